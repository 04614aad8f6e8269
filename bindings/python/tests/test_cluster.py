"""Issue 15: `Relay(redis=..., cluster=...)`: two relays on one real redis-server
behave as one (tests/interop/setup.sh installs Debian's redis-server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Iterator

import pytest

import remotedev
from conftest import connect_monitored, recv_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    assert binary, "redis-server is missing (tests/lib/setup.sh ensure_redis installs it)"
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", data],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "redis-server did not listen"
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}"
        finally:
            proc.kill()
            proc.wait()


def test_app_and_monitor_on_different_relays(redis_url: str) -> None:
    with remotedev.Relay(port=0, db=":memory:", redis=redis_url, cluster="py") as a, \
            remotedev.Relay(port=0, db=":memory:", redis=redis_url, cluster="py") as b:
        deadline = time.monotonic() + 20
        while not (a.redis_connected and b.redis_connected):
            assert time.monotonic() < deadline, "relays did not connect to Redis"
            time.sleep(0.02)
        with remotedev.Monitor(b.url) as monitor, remotedev.Client(a.url, name="Counter") as app:
            app_id = connect_monitored(monitor, app)
            app.send({"type": "INCREMENT"}, {"count": 1})
            assert recv_until(monitor, "ACTION").connection_id == app_id


def test_redis_options_are_checked() -> None:
    with remotedev.Relay(port=0, db=":memory:") as single:
        assert single.redis_connected is None
    with pytest.raises(remotedev.InvalidOptionError, match="redis"):
        remotedev.Relay(port=0, db=":memory:", redis="localhost:6379")
    with pytest.raises(remotedev.InvalidOptionError, match="cluster"):
        remotedev.Relay(port=0, db=":memory:", redis="redis://127.0.0.1:1", cluster="a b")
