"""Bad arguments and failures raise the right exceptions, with the core's messages."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

import remotedev


def test_hierarchy() -> None:
    for cls in (
        remotedev.ConnectionError,
        remotedev.TimeoutError,
        remotedev.ProtocolError,
        remotedev.InvalidArgumentError,
    ):
        assert issubclass(cls, remotedev.Error)
    assert issubclass(remotedev.ClosedError, remotedev.ConnectionError)
    assert issubclass(remotedev.AddressInUseError, remotedev.ConnectionError)
    assert issubclass(remotedev.ConnectionError, ConnectionError)
    assert issubclass(remotedev.TimeoutError, TimeoutError)
    assert issubclass(remotedev.InvalidArgumentError, ValueError)
    for cls in (remotedev.InvalidOptionError, remotedev.JSONError):
        assert issubclass(cls, remotedev.InvalidArgumentError) and issubclass(cls, ValueError)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"url": "http://127.0.0.1:1/x"}, "invalid URL"),
        ({"url": "not a url"}, "invalid URL"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "port": 1}, "either url or host/port"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "max_age": 0}, "max_age"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "name": "cut\ud83d"}, "name is not valid Unicode"),
        ({"url": "ws://127.0.0.1:1/socketcluster/", "ack_timeout": -1.0}, "ack_timeout"),
    ],
)
def test_client_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(remotedev.InvalidArgumentError, match=message):
        remotedev.Client(**kwargs)


def test_client_type_errors() -> None:
    with pytest.raises(TypeError):
        remotedev.Client(url=123)  # type: ignore[arg-type]
    with pytest.raises(remotedev.InvalidOptionError, match="must be a port from 0 to 65535, got 70000"):
        remotedev.Client(port=70000)


def test_bad_payloads(relay: remotedev.Relay) -> None:
    with remotedev.Client(relay.url) as app:
        with pytest.raises(remotedev.InvalidArgumentError, match="invalid JSON"):
            app.init("{not json")
        with pytest.raises(remotedev.InvalidArgumentError, match="invalid JSON"):
            app.send('{"type":"X"}', "")
        with pytest.raises(remotedev.InvalidArgumentError, match="not JSON-serialisable"):
            app.send({"type": "X"}, {"f": object.__new__(type("Slotted", (), {"__slots__": ()}))})
        with pytest.raises(remotedev.InvalidArgumentError, match="not JSON-serialisable"):
            app.init({"x": float("nan")} if False else {1j: 1})
        with pytest.raises(remotedev.InvalidArgumentError, match="timeout"):
            app.recv(-1)
        with pytest.raises(remotedev.InvalidArgumentError, match="timeout"):
            app.connect(float("nan"))


def test_relay_bad_arguments() -> None:
    with pytest.raises(remotedev.InvalidArgumentError, match="protocol version"):
        remotedev.Relay(port=0, protocol_version="3")
    with pytest.raises(remotedev.ConnectionError, match="cannot listen"):
        remotedev.Relay(host="203.0.113.1", port=0)  # not an address of this machine
    with pytest.raises(remotedev.InvalidArgumentError, match="either db or db_options"):
        remotedev.Relay(port=0, db=":memory:", db_options="knex.json")


# The core's words, as `cargo test` sees them (src/options.rs, RelayOptions::validate).
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: remotedev.Relay(port=0, ping_interval=0),
         "invalid option ping_interval: must be greater than 0 ms"),
        (lambda: remotedev.Relay(port=0, ping_interval=30, ping_timeout=20),
         "invalid option ping_interval: must be less than ping_timeout (20000 ms), got 30000 ms"),
        (lambda: remotedev.Relay(port=0, max_payload=-1),
         "invalid option max_payload: must not be negative, got -1"),
        (lambda: remotedev.Relay(port=0, max_outbound_bytes=0),
         "invalid option outbound_limit: must be greater than 0"),
        (lambda: remotedev.Relay(port=0, worker_threads=0),
         "invalid option worker_threads: must be greater than 0"),
        (lambda: remotedev.Relay(port=0, max_request_body=0),
         "invalid option max_request_body: must be greater than 0"),
        (lambda: remotedev.Relay(port=70000),
         "invalid option port: must be a port from 0 to 65535, got 70000"),
        (lambda: remotedev.Client(port=1, ack_timeout=float("nan")),
         "invalid option ack_timeout: must be a finite number of seconds >= 0, got NaN"),
        (lambda: remotedev.Client(port=1, connect_timeout=0),
         "invalid option connect_timeout: must be greater than 0 ms"),
        (lambda: remotedev.Client(port=1, max_age=0),
         "invalid option max_age: must be greater than 0"),
        (lambda: remotedev.Client(port=1, queue_limit=-5),
         "invalid option queue_limit: must not be negative, got -5"),
        (lambda: remotedev.Monitor(port=1, ack_timeout=-1.0),
         "invalid option ack_timeout: must be a finite number of seconds >= 0, got -1"),
        (lambda: remotedev.Socket("ws://127.0.0.1:1/socketcluster/", ack_timeout=float("inf")),
         "invalid option ack_timeout: must be a finite number of seconds >= 0, got inf"),
        (lambda: remotedev.set_log_level(9),
         "invalid option log_level: must be 0 (silent) to 5 (trace), got 9"),
    ],
)
def test_invalid_options_raise_the_cores_text(make: Any, message: str) -> None:
    with pytest.raises(remotedev.InvalidOptionError) as e:
        make()
    assert str(e.value) == message
    assert isinstance(e.value, ValueError)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connect_to_a_dead_port_names_the_endpoint_and_the_cause() -> None:
    url = f"ws://127.0.0.1:{_dead_port()}/socketcluster/"
    for make in (remotedev.Client, remotedev.Monitor, remotedev.Socket):
        with make(url) as client:
            deadline = time.monotonic() + 2
            while client.last_error is None and time.monotonic() < deadline:
                time.sleep(0.01)
            # meanwhile, while it keeps retrying in the background
            assert client.last_error is not None and url in client.last_error
            assert "refused" in client.last_error.lower(), client.last_error
            started = time.monotonic()
            with pytest.raises(remotedev.ConnectionError) as e:
                client.connect(timeout=2)
            assert time.monotonic() - started < 2.5
            assert url in str(e.value) and "refused" in str(e.value).lower(), str(e.value)
            assert isinstance(e.value, ConnectionError)  # the built-in too


def test_connect_times_out_when_the_server_never_answers() -> None:
    with socket.socket() as server:  # accepts TCP, never answers the upgrade
        server.bind(("127.0.0.1", 0))
        server.listen()
        app = remotedev.Client(port=server.getsockname()[1])
        with pytest.raises(remotedev.TimeoutError, match="timed out after 300 ms"):
            app.connect(0.3)
        assert app.last_error is None
        app.close()


def test_receiving_on_closed_handles_raises_closed_at_once(relay: remotedev.Relay) -> None:
    app = remotedev.Client(relay.url)
    app.connect(5)
    app.close()
    monitor = remotedev.Monitor(relay.url)
    monitor.connect(5)
    monitor.close()
    sock = remotedev.Socket(relay.url)
    sock.connect(5)
    sub, events = sock.channel("news"), sock.events("ping")
    kept = sock.channel("kept")
    sock.unsubscribe("news")
    started = time.monotonic()
    with pytest.raises(remotedev.ClosedError):
        sub.recv(5)  # unsubscribed: ended
    sock.close()
    for recv in (app.recv, monitor.recv, kept.recv, events.recv):
        with pytest.raises(remotedev.ClosedError, match="closed"):
            while True:  # what arrived before the close comes first, then the end
                recv(5)
    assert time.monotonic() - started < 1.0  # never a 5 s timeout
    with pytest.raises(remotedev.ClosedError):
        app.connect(0.5)
    assert [app.state, monitor.state, sock.state] == ["closed"] * 3
    # sending on a closed client is refused, not queued for a socket that is gone
    for send in (lambda: app.init({}), lambda: app.send({"type": "A"}, {}), lambda: app.send_state({})):
        with pytest.raises(remotedev.ClosedError):
            send()


def test_monitor_and_socket_bad_arguments(relay: remotedev.Relay) -> None:
    with remotedev.Monitor(relay.url) as monitor:
        with pytest.raises(remotedev.InvalidArgumentError, match="empty connection id"):
            monitor.send_to("", {"type": "START"})
        with pytest.raises(remotedev.InvalidArgumentError, match="invalid JSON"):
            monitor.broadcast("{oops")
    with remotedev.Socket(relay.url) as sock:
        sock.connect(5)
        with pytest.raises(remotedev.InvalidArgumentError):
            sock.emit("", 1)
        with pytest.raises(remotedev.InvalidArgumentError, match="empty channel"):
            sock.channel("")
        # the relay answers invokes of unknown events with an error
        with pytest.raises(remotedev.ProtocolError, match="remote error"):
            sock.invoke("no-such-event", {"a": 1})
