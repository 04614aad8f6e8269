"""Relay + Client + Monitor in Python, the CLI, callbacks, iteration, GIL release."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import remotedev
from conftest import REPO, connect_monitored, python_env, recv_until


def test_relay_properties_and_close() -> None:
    relay = remotedev.Relay(port=0)
    assert relay.port > 0
    assert relay.url == f"ws://127.0.0.1:{relay.port}/socketcluster/"
    assert not relay.closed
    relay.close()
    relay.close()  # idempotent
    assert relay.closed
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", relay.port)) != 0


def test_busy_port_raises_address_in_use(relay: remotedev.Relay) -> None:
    with pytest.raises(remotedev.AddressInUseError, match=f"port {relay.port}.*already in use"):
        remotedev.Relay(port=relay.port)
    # also the built-in and the package base class
    with pytest.raises(OSError):
        remotedev.Relay(port=relay.port)
    with pytest.raises(remotedev.Error):
        remotedev.Relay(port=relay.port)


def test_app_monitor_round_trip(relay: remotedev.Relay) -> None:
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(
        relay.url, name="Counter", instance_id="counter-1"
    ) as app:
        app_id = connect_monitored(monitor, app)
        assert app.id == app_id
        assert app.instance_id == "counter-1"
        app.init({"count": 0})
        app.send({"type": "INCREMENT"}, {"count": 1})
        app.send('{"type":"INCREMENT"}', '{"count":2}')  # pre-serialised JSON text
        init = recv_until(monitor, "INIT")
        assert (init.connection_id, init.instance_id, init.name) == (app_id, "counter-1", "Counter")
        assert init.payload == {"count": 0}
        first = recv_until(monitor, "ACTION")
        assert first.payload == {"count": 1}
        assert first.action["type"] == "PERFORM_ACTION"
        assert first.action["action"] == {"type": "INCREMENT"}
        second = recv_until(monitor, "ACTION")
        assert second.payload == {"count": 2}
        app.send_state({"actionsById": {}, "computedStates": [], "stagedActionIds": [0]})
        state = recv_until(monitor, "STATE")
        assert state.payload["stagedActionIds"] == [0]

        monitor.dispatch(app_id, {"type": "JUMP_TO_ACTION", "actionId": 1}, {"count": 1})
        monitor.send_to(app_id, {"type": "IMPORT", "state": json.dumps({"a": 1})})
        monitor.send_to(app_id, {"type": "ACTION", "action": "{ type: 'INCREMENT' }"})
        monitor.send_to(app_id, '{"type":"SYNC","state":"{\\"b\\":2}","id":"other"}')
        monitor.send_to(app_id, {"type": "WHATEVER", "x": 1})
        monitor.broadcast({"type": "STOP"})
        got = []
        while len(got) < 6:
            c = app.recv(5)
            if not isinstance(c, remotedev.Start):
                got.append(c)
        # one relay channel per path (targeted vs broadcast): order only within each
        by_kind = {c.kind: c for c in got}
        assert sorted(by_kind) == ["ACTION", "DISPATCH", "IMPORT", "STOP", "SYNC", "WHATEVER"]
        targeted = [c.kind for c in got if c.kind != "STOP"]
        assert targeted == ["DISPATCH", "IMPORT", "ACTION", "SYNC", "WHATEVER"]
        dispatch, imp, action = by_kind["DISPATCH"], by_kind["IMPORT"], by_kind["ACTION"]
        sync, other, stop = by_kind["SYNC"], by_kind["WHATEVER"], by_kind["STOP"]
        assert isinstance(dispatch, remotedev.Dispatch)
        assert dispatch.type == "JUMP_TO_ACTION"
        assert dispatch.action == {"type": "JUMP_TO_ACTION", "actionId": 1}
        assert dispatch.state == {"count": 1}
        assert dispatch.state_json == '{"count":1}'
        assert isinstance(imp, remotedev.Import) and imp.state == {"a": 1}
        assert isinstance(action, remotedev.Action) and action.value == "{ type: 'INCREMENT' }"
        assert isinstance(sync, remotedev.Sync) and sync.state == {"b": 2} and sync.source == "other"
        assert isinstance(other, remotedev.Other) and other.kind == "WHATEVER"
        assert json.loads(other.raw) == {"type": "WHATEVER", "x": 1}
        assert isinstance(stop, remotedev.Stop)
        deadline = time.monotonic() + 5
        while app.streaming and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not app.streaming


def test_host_port_and_iteration_ends_on_close(relay: remotedev.Relay) -> None:
    app = remotedev.Client(host="127.0.0.1", port=relay.port)
    assert app.url == relay.url
    app.connect(5)
    seen = []

    def consume() -> None:
        for command in app:
            seen.append(command)

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.2)
    app.close()
    t.join(5)
    assert not t.is_alive()
    assert app.closed
    with pytest.raises(remotedev.ClosedError):
        app.recv(1)


def test_on_command_callback(relay: remotedev.Relay) -> None:
    got: list = []
    done = threading.Event()

    def on_command(command: remotedev.Command) -> None:
        got.append(command)
        if isinstance(command, remotedev.Dispatch):
            done.set()

    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url, on_command=on_command) as app:
        monitor.connect(5)
        app_id = app.connect(5)
        app.init({"n": 0})
        recv_until(monitor, "INIT")
        monitor.dispatch(app_id, {"type": "JUMP_TO_STATE", "index": 0}, {"n": 0})
        assert done.wait(5)
    assert any(isinstance(c, remotedev.Dispatch) and c.state == {"n": 0} for c in got)


def test_monitor_on_message_callback(relay: remotedev.Relay) -> None:
    inits = threading.Event()

    def on_message(m: remotedev.MonitorEvent) -> None:
        if isinstance(m, remotedev.AppMessage) and m.type == "INIT":
            inits.set()

    with remotedev.Monitor(relay.url, on_message=on_message) as monitor, remotedev.Client(relay.url) as app:
        connect_monitored(monitor, app)
        app.init([1, 2, 3])
        assert inits.wait(5)


def test_recv_releases_the_gil(relay: remotedev.Relay) -> None:
    with remotedev.Client(relay.url) as app:
        app.connect(5)
        counter = [0]
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                counter[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        before = counter[0]
        with pytest.raises(remotedev.TimeoutError):
            app.recv(0.5)
        during = counter[0] - before
        stop.set()
        t.join()
        assert during > 10_000, during


def test_ctrl_c_interrupts_a_blocking_recv(relay: remotedev.Relay) -> None:
    code = (
        "import remotedev, sys\n"
        f"app = remotedev.Client({relay.url!r})\n"
        "app.connect(5)\n"
        "print('waiting', flush=True)\n"
        "try:\n"
        "    app.recv()\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(3)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=python_env())
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "waiting"
    time.sleep(0.3)
    started = time.monotonic()
    p.send_signal(signal.SIGINT)
    assert p.wait(5) == 3
    assert time.monotonic() - started < 2
    assert p.stdout.read().strip() == "interrupted"
    p.stdout.close()


def test_python_dash_m_remotedev_runs_the_relay() -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "remotedev", "--port=0", "--logLevel", "0", "--pingInterval", "5000",
         "--db", ":memory:", "--maxRequestBody", "1mb"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=python_env(),
    )
    assert p.stdout is not None and p.stderr is not None
    line = p.stdout.readline().strip()
    assert line.startswith("remotedev relay listening on ws://127.0.0.1:"), line
    url = line.rsplit(" ", 1)[1]
    port = int(url.split(":")[2].split("/")[0])
    with remotedev.Client(url) as app:
        app.connect(5)
    # a second relay on the same port: one line naming the port, exit 1
    busy = subprocess.run(
        [sys.executable, "-m", "remotedev", "--port", str(port)],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert busy.returncode == 1
    assert f"port {port}" in busy.stderr and len(busy.stderr.strip().splitlines()) == 1
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0
    p.stdout.close()
    p.stderr.close()


def test_python_dash_m_remotedev_stops_cleanly_on_ctrl_c() -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "remotedev", "--port", "0", "--db", ":memory:", "--logLevel", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=python_env(),
    )
    assert p.stdout is not None and p.stderr is not None
    line = p.stdout.readline()
    assert line.startswith("remotedev relay listening on "), line
    with remotedev.Client(line.split()[-1]) as app:
        app.connect(5)  # serving (the handler is installed right after that line)
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    assert p.wait(10) == 0
    assert "KeyboardInterrupt" not in p.stderr.read()
    p.stdout.close()
    p.stderr.close()


def test_cli_rejects_bad_flags() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "remotedev", "--logLevel", "7"],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert r.returncode == 2 and "logLevel" in r.stderr


def _flags(help_text: str) -> set:
    return set(re.findall(r"--[A-Za-z][A-Za-z-]*", help_text))


def test_python_dash_m_remotedev_has_every_flag_of_the_binary() -> None:
    binary = os.environ.get("REMOTEDEV_BIN") or str(REPO / "target" / "debug" / "remotedev")
    if not os.path.exists(binary):
        pytest.fail(f"{binary} is missing: run `cargo build --bin remotedev` in {REPO}")
    ours = subprocess.run(
        [sys.executable, "-m", "remotedev", "--help"],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    theirs = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    assert ours.returncode == 0 == theirs.returncode, ours.stderr
    assert "python -m remotedev" in ours.stdout
    flags = _flags(theirs.stdout)
    assert {"--db", "--dbOptions", "--maxRequestBody", "--hostname", "--port"} <= flags
    assert _flags(ours.stdout) == flags


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as e:
        e.close()
        return int(e.code)


def test_relay_report_store_and_request_body_options(tmp_path: Path) -> None:
    db = tmp_path / "reports.sqlite3"
    with remotedev.Relay(port=0, db=db, max_request_body=2048) as relay:
        http = f"http://127.0.0.1:{relay.port}/"
        assert _post(http, json.dumps({"type": "STATE", "payload": "{}"}).encode()) == 200
        assert _post(http, b"{" + b" " * 4096 + b"}") == 413
    assert db.is_file()
    knex = tmp_path / "knex.json"
    other = tmp_path / "other.sqlite3"
    knex.write_text(json.dumps({"client": "sqlite3", "connection": {"filename": str(other)}}))
    with remotedev.Relay(port=0, db_options=knex, handshake_timeout=5, pending_limit=10, channel_limit=10):
        pass
    assert other.is_file()
    knex.write_text(json.dumps({"client": "mysql", "connection": "mysql://x/y"}))
    with pytest.raises(remotedev.InvalidArgumentError, match='client "mysql" is not supported'):
        remotedev.Relay(port=0, db_options=knex)
    knex.write_text(json.dumps({"client": "pg"}))
    with pytest.raises(remotedev.InvalidArgumentError, match='"client":"pg" needs "connection"'):
        remotedev.Relay(port=0, db_options=knex)
    with remotedev.Relay(port=0, db=":memory:") as relay:
        assert relay.port > 0


def test_relay_defaults_to_the_cores_port_8000() -> None:
    # without binding 8000 (it may be busy): the failure names the default port
    with pytest.raises(remotedev.ConnectionError, match="203.0.113.1:8000"):
        remotedev.Relay(host="203.0.113.1", db=":memory:")


def test_the_relay_serves_the_monitor_ui_unless_told_not_to() -> None:
    with remotedev.Relay(port=0, db=":memory:") as relay:
        req = urllib.request.Request(f"http://127.0.0.1:{relay.port}/", headers={"Accept": "text/html"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/html")
    with remotedev.Relay(port=0, db=":memory:", serve_ui=False) as relay:
        req = urllib.request.Request(f"http://127.0.0.1:{relay.port}/", headers={"Accept": "text/html"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        e.value.close()
        assert e.value.code == 405
