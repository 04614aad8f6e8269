from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

import remotedev

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def relay() -> Iterator[remotedev.Relay]:
    with remotedev.Relay(port=0) as r:
        yield r


def connect_monitored(monitor: remotedev.Monitor, app: remotedev.Client, timeout: float = 5.0) -> str:
    """Connects the monitor, then the app, and waits until the monitor's answer to the
    app's `START` has reached the app; returns the app's connection id.

    The app replays its history when that `START` arrives, so a test that sends before
    it would see its messages twice, in an order that depends on timing."""
    import time

    monitor.connect(timeout)
    app_id = app.connect(timeout)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the monitor's START did not reach the app within {timeout} s")
        if isinstance(app.recv(left), remotedev.Start):
            return app_id


def recv_until(monitor: remotedev.Monitor, kind: str, timeout: float = 5.0) -> remotedev.AppMessage:
    """The next app message of type `kind` (others are skipped)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} message within {timeout} s")
        event = monitor.recv(left)
        if isinstance(event, remotedev.AppMessage) and event.type == kind:
            return event


class NodeMonitor:
    """tests/reference/peers.mjs monitor: a real socketcluster-client monitor."""

    def __init__(self, url: str, gen: str = "20") -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is required (the real socketcluster-client monitor)")
        if not (REPO / "tests" / "interop" / "node_modules").is_dir():
            pytest.fail("run `bash tests/interop/setup.sh` first (npm packages)")
        self.proc = subprocess.Popen(
            [node, str(REPO / "tests" / "reference" / "peers.mjs"), "monitor", "--gen", gen, "--url", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: "queue.Queue[Any]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                self.lines.put(json.loads(line))

    def next(self, timeout: float = 10.0) -> Any:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
            raise AssertionError(f"node monitor said nothing within {timeout} s {err}") from None

    def send(self, event: str, data: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"event": event, "data": data}) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait(5)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


@pytest.fixture
def node_monitor_factory() -> Iterator[Any]:
    made: List[NodeMonitor] = []

    def make(url: str, gen: str = "20") -> NodeMonitor:
        m = NodeMonitor(url, gen)
        made.append(m)
        return m

    yield make
    for m in made:
        m.close()


def python_env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


__all__ = ["recv_until", "NodeMonitor", "REPO", "python_env", "Optional"]
