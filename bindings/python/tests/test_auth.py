"""Issue 12: a relay with an auth key; `auth_token` on Client / Monitor / Socket,
`AuthError` without it, `issue_token`, `python -m remotedev token`, `read_only`."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Iterator

import pytest

import remotedev
from conftest import connect_monitored, python_env, recv_until

KEY = "py-test-key-0123456789"


@pytest.fixture
def auth_relay() -> Iterator[remotedev.Relay]:
    with remotedev.Relay(
        port=0, db=":memory:", auth_key=KEY, allow_origins=["https://app.example"]
    ) as r:
        yield r


def test_without_a_token_connect_raises_auth_error_at_once(auth_relay: remotedev.Relay) -> None:
    with remotedev.Client(auth_relay.url) as app:
        started = time.monotonic()
        with pytest.raises(remotedev.AuthError) as e:
            app.connect(10)
        assert time.monotonic() - started < 5
        assert "AuthError" in str(e.value)
        assert isinstance(e.value, remotedev.ConnectionError)
    with remotedev.Monitor(auth_relay.url) as monitor:
        with pytest.raises(remotedev.AuthError):
            monitor.connect(10)
    wrong = remotedev.issue_token("another-key")
    with remotedev.Monitor(auth_relay.url, auth_token=wrong) as monitor:
        with pytest.raises(remotedev.AuthError):
            monitor.connect(10)


def test_with_a_token_app_and_monitor_work(auth_relay: remotedev.Relay) -> None:
    token = remotedev.issue_token(KEY, expires_in=600)
    with remotedev.Monitor(auth_relay.url, auth_token=token) as monitor, remotedev.Client(
        auth_relay.url, auth_token=token, name="Counter"
    ) as app:
        app_id = connect_monitored(monitor, app)
        app.send({"type": "INCREMENT"}, {"count": 1})
        assert recv_until(monitor, "ACTION").connection_id == app_id
    sock = remotedev.Socket(auth_relay.url, auth_token=token)
    try:
        sock.connect()
        assert sock.invoke("login", {}) == "log"
    finally:
        sock.close()


def test_issue_token_and_cli_token_and_bad_options() -> None:
    assert remotedev.issue_token(KEY).startswith("ey")
    with pytest.raises(remotedev.InvalidOptionError):
        remotedev.issue_token("")
    with pytest.raises(remotedev.InvalidOptionError):
        remotedev.Relay(port=0, db=":memory:", allow_origins=["not an origin"])
    r = subprocess.run(
        [sys.executable, "-m", "remotedev", "token", "--authKey", KEY, "--exp", "30d"],
        capture_output=True, text=True, timeout=30, env=python_env(),
    )
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.count(".") == 2
    with remotedev.Relay(port=0, db=":memory:", auth_key=KEY) as relay:
        with remotedev.Client(relay.url, auth_token=token) as app:
            app.connect(5)


def test_read_only_relay_keeps_commands_from_the_app() -> None:
    with remotedev.Relay(port=0, db=":memory:", read_only=True) as relay, remotedev.Monitor(
        relay.url
    ) as monitor, remotedev.Client(relay.url) as app:
        app_id = connect_monitored(monitor, app)
        monitor.dispatch(app_id, {"type": "JUMP_TO_ACTION", "actionId": 0}, {"count": 0})
        app.send({"type": "INCREMENT"}, {"count": 1})
        assert recv_until(monitor, "ACTION").connection_id == app_id
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                command = app.recv(max(0.0, deadline - time.monotonic()))
            except remotedev.TimeoutError:
                break
            assert not isinstance(command, remotedev.Dispatch), command
