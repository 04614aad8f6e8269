"""Text crossing into Rust: lone surrogates and non-finite floats go as `JSON.stringify`
writes them, text that is not JSON raises `JSONError`, names with lone surrogates raise
`InvalidArgumentError`; never a non-`remotedev` exception, and the connection keeps
working afterwards."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import uuid
from typing import Any

import pytest

import remotedev
from conftest import connect_monitored, recv_until

CUT = "cut\ud83d"  # what JavaScript's "cut😀".slice(0, 4) gives


def test_lone_surrogates_and_non_finite_floats_go_as_json_stringify_writes_them(
    relay: remotedev.Relay,
) -> None:
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url) as app:
        connect_monitored(monitor, app)

        app.init({"s": CUT})  # a value: serialised, the surrogate escaped
        init = recv_until(monitor, "INIT")
        assert init.payload == {"s": CUT}
        assert "\\ud83d" in init.raw  # the escape travels, as JSON.stringify writes it

        app.send('{"type":"T"}', '{"s": "cut\ud83d"}')  # JSON text holding one
        text = recv_until(monitor, "ACTION")
        assert text.payload == {"s": CUT} and "\\ud83d" in text.raw

        nan, inf = float("nan"), float("inf")
        app.send({"type": "N", "v": nan}, {"x": nan, "y": [inf, -inf, 1.5], nan: 1, inf: 2})
        got = recv_until(monitor, "ACTION")
        assert got.payload == {"x": None, "y": [None, None, 1.5], "NaN": 1, "Infinity": 2}
        assert got.action["action"] == {"type": "N", "v": None}

        app.send({"type": "GOOD"}, {"n": 1})  # and the connection goes on
        assert recv_until(monitor, "ACTION").payload == {"n": 1}


@pytest.mark.parametrize(
    "text, words",
    [
        ("{not json", "key must be a string"),
        ('{"x": NaN}', "expected value"),
        ('{"s": "cut\ud83d', "EOF while parsing a string"),  # a surrogate and not JSON
        ("\ud800", "expected value"),
        ("", "EOF while parsing a value"),
    ],
)
def test_text_that_is_not_json_raises_json_error(
    relay: remotedev.Relay, text: str, words: str
) -> None:
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url) as app:
        connect_monitored(monitor, app)
        for call in (lambda: app.init(text), lambda: app.send(text, "{}"), lambda: app.send_state(text)):
            with pytest.raises(remotedev.JSONError) as e:
                call()
            assert str(e.value).startswith("invalid JSON: ") and words in str(e.value), str(e.value)
            assert isinstance(e.value, ValueError)
        with pytest.raises(remotedev.JSONError):
            monitor.broadcast(text)
        app.init({"after": True})
        assert recv_until(monitor, "INIT").payload == {"after": True}


def test_names_with_lone_surrogates_are_refused_and_data_is_escaped(relay: remotedev.Relay) -> None:
    bad_names: Any = [
        lambda: remotedev.Client(relay.url, instance_id="i\udc00"),
        lambda: remotedev.Monitor("ws://127.0.0.1:1/\ud800"),
        lambda: remotedev.Relay(host="127.0.0.1\ud800", port=0),
    ]
    with remotedev.Socket(relay.url) as app, remotedev.Socket(relay.url) as mon:
        app.connect(5)
        mon.connect(5)
        assert mon.invoke("login", {}) == "log"
        log = mon.channel("log")
        mon.wait_subscribed("log", 5)
        bad_names += [lambda: app.emit("log\ud800", 1), lambda: app.channel("\udfff")]
        for make in bad_names:
            with pytest.raises(remotedev.InvalidArgumentError, match="lone surrogate"):
                make()
        app.emit("log", {"s": CUT, "n": float("-inf")})
        assert log.recv(5) == {"s": CUT, "n": None}
        app.emit("log", remotedev.RawJSON('"\ud83d"'))
        assert log.recv(5) == "\ud83d"
        with pytest.raises(remotedev.JSONError):
            app.emit("log", remotedev.RawJSON("{bad"))
        app.emit("log", "fine")
        assert log.recv(5) == "fine"


def test_monitor_commands_with_surrogates_and_nan_reach_the_app(relay: remotedev.Relay) -> None:
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url) as app:
        app_id = connect_monitored(monitor, app)
        monitor.dispatch(app_id, {"type": "JUMP_TO_STATE", "index": math.nan}, {"s": CUT})
        while True:
            command = app.recv(5)
            if isinstance(command, remotedev.Dispatch):
                break
        assert command.action == {"type": "JUMP_TO_STATE", "index": None}
        assert command.state == {"s": CUT}
        assert json.loads(command.state_json or "null") == {"s": CUT}



@dataclasses.dataclass
class Todo:
    text: str
    done: bool


class Color(enum.Enum):
    RED = 1


class F(float):
    pass


class T(tuple):  # type: ignore[type-arg]
    pass


class S(set):  # type: ignore[type-arg]
    pass


class Exploding:
    @property
    def __dict__(self) -> Any:  # type: ignore[override]
        raise RuntimeError("boom")


def test_values_orjson_writes_and_those_it_leaves_to_the_json_module(relay: remotedev.Relay) -> None:
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url) as app:
        connect_monitored(monitor, app)
        when = datetime.datetime(2026, 12, 1, 3, 4, 5, tzinfo=datetime.timezone.utc)
        # orjson's own: dataclasses and datetimes, key order kept, compact, UTF-8 as is
        app.init({"z": 1, "todos": [Todo("é😀", False)], "when": when, "a": 1.5})
        init = recv_until(monitor, "INIT")
        assert init.payload == {
            "z": 1,
            "todos": [{"text": "é😀", "done": False}],
            "when": "2026-12-01T03:04:05+00:00",
            "a": 1.5,
        }
        assert list(init.payload) == ["z", "todos", "when", "a"]
        # refused by orjson, written by the json module: an int beyond 64 bits, int keys;
        # orjson's own types in the same value still go in orjson's form
        app.send({"type": "BIG"}, {"n": 2**70, 1: "one", "when": when, "c": Color.RED})
        got = recv_until(monitor, "ACTION")
        assert got.payload == {"n": 2**70, "1": "one", "when": "2026-12-01T03:04:05+00:00", "c": 1}
        # subclasses of float, tuple and set: as the base type, or refused, never `{}`
        app.send({"type": "SUB"}, {"f": F(1.5), "t": T((1, 2)), "nan": F("nan"), "u": uuid.UUID(int=5)})
        got = recv_until(monitor, "ACTION")
        assert got.payload == {
            "f": 1.5,
            "t": [1, 2],
            "nan": None,
            "u": "00000000-0000-0000-0000-000000000005",
        }
        for bad in ({"s": S([1])}, {"s": S([1]), 1: 2}):
            with pytest.raises(remotedev.InvalidArgumentError, match="Object of type S is not JSON"):
                app.send({"type": "X"}, bad)
        # an exception from the user's own code is wrapped, with its cause
        with pytest.raises(remotedev.InvalidArgumentError, match="boom") as info:
            app.send({"type": "X"}, {"o": Exploding()})
        assert isinstance(info.value.__cause__, RuntimeError)
        app.send({"type": "AFTER"}, {"ok": True})  # and the connection goes on
        assert recv_until(monitor, "ACTION").payload == {"ok": True}


def test_deeply_nested_payloads_are_read_or_refused_with_json_error(relay: remotedev.Relay) -> None:
    # Any app can send a state nested deeper than the json module recurses (~1000).
    with remotedev.Monitor(relay.url) as monitor, remotedev.Socket(relay.url) as app:
        monitor.connect(5)
        app_id = app.connect(5)
        assert app.invoke("login", "master") == "respond"
        deep, deeper = "[" * 1020 + "]" * 1020, "[" * 5000 + "]" * 5000
        app.emit("log", {"type": "ACTION", "id": app_id, "payload": deep, "action": "{}"})
        got = recv_until(monitor, "ACTION")
        depth, value = 0, got.payload
        while value:
            depth, value = depth + 1, value[0]
        assert depth == 1019  # read by orjson: the innermost [] is the empty list
        app.emit("log", {"type": "ACTION", "id": app_id, "payload": deeper, "action": "{}"})
        with pytest.raises(remotedev.JSONError, match="nested too deeply"):
            recv_until(monitor, "ACTION")
        app.emit("log", {"type": "ACTION", "id": app_id, "payload": '{"after":1}', "action": "{}"})
        assert recv_until(monitor, "ACTION").payload == {"after": 1}  # and it goes on

