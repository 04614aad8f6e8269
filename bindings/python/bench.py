"""Python `send` throughput through our relay to a monitor: the `remotedev` module
against the PyPI `socketclusterclient` 1.3.6 doing the same job, in the same run.

    python bench.py [--count 20000] [--state-bytes 1024]

Each sender records N actions whose state is a ~1 KiB dict, as an app would; a monitor
socket subscribed to `log` counts them. Reported: the rate of the send calls alone, and
end to end (first send until the monitor has all N).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any, Callable, Dict

import remotedev


def make_state(size: int) -> Dict[str, Any]:
    items = [{"id": i, "title": f"todo {i:04d}", "done": i % 2 == 0} for i in range(size // 40)]
    return {"count": 0, "items": items}


class Counter:
    """A monitor on our Socket, counting ACTION messages without parsing them in Python."""

    def __init__(self, url: str) -> None:
        self.sock = remotedev.Socket(url)
        self.sock.connect(5)
        assert self.sock.invoke("login", {}) == "log"
        self.sub = self.sock._native.subscribe("log")
        self.sock.wait_subscribed("log", 5)

    def wait_for(self, n: int, timeout: float = 120.0) -> float:
        got = 0
        deadline = time.monotonic() + timeout
        while got < n:
            text = self.sub.recv(max(0.0, deadline - time.monotonic()))
            if '"ACTION"' in text:
                got += 1
        return time.perf_counter()

    def close(self) -> None:
        self.sock.close()


def run(name: str, url: str, n: int, setup: Callable[[], Callable[[int], None]]) -> Dict[str, float]:
    counter = Counter(url)
    send = setup()
    done: Dict[str, float] = {}
    t = threading.Thread(target=lambda: done.setdefault("end", counter.wait_for(n)))
    t.start()
    start = time.perf_counter()
    for i in range(n):
        send(i)
    sent = time.perf_counter()
    t.join()
    counter.close()
    r = {"send_calls_per_s": n / (sent - start), "end_to_end_per_s": n / (done["end"] - start)}
    print(f"{name:28s} send calls {r['send_calls_per_s']:>9.0f}/s   end to end {r['end_to_end_per_s']:>9.0f}/s")
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--state-bytes", type=int, default=1024)
    args = ap.parse_args()
    state = make_state(args.state_bytes)
    size = len(json.dumps(state, separators=(",", ":")))
    print(f"{args.count} sends, state {size} bytes of JSON, one relay (ours), one monitor")
    action = {"type": "INCREMENT"}
    with remotedev.Relay(port=0, db=":memory:") as relay:
        clients = []

        def ours() -> Callable[[int], None]:
            app = remotedev.Client(relay.url, name="bench")
            app.connect(5)
            clients.append(app)
            return lambda i: app.send(action, state)

        run("remotedev.Client.send", relay.url, args.count, ours)
        for c in clients:
            c.close()

        try:
            from socketclusterclient import Socketcluster
        except ImportError:
            print("socketclusterclient not installed: pip install socketclusterclient==1.3.6")
            return

        def theirs() -> Callable[[int], None]:
            sock = Socketcluster.socket(relay.url)
            ready = threading.Event()
            ids: Dict[str, str] = {}

            def onconnect(s: Any) -> None:
                s.emitack("login", "master", lambda key, err, data: ready.set())

            def onauth(s: Any, is_auth: Any) -> None:
                ids["id"] = s.id

            sock.setBasicListener(onconnect, lambda s: None, lambda s, e: None)
            sock.setAuthenticationListener(lambda s, t: None, onauth)
            threading.Thread(target=sock.connect, daemon=True).start()
            assert ready.wait(5)
            clients.append(sock)

            def send(i: int) -> None:
                # what an app must do itself with that library (the relay spec's message)
                message = {
                    "type": "ACTION",
                    "action": json.dumps({"type": "PERFORM_ACTION", "action": action,
                                          "timestamp": int(time.time() * 1000)}),
                    "payload": json.dumps(state),
                    "id": ids.get("id"),
                    "instanceId": "bench",
                    "name": "bench",
                    "nextActionId": i + 2,
                }
                sock.emit("log", message)

            return send

        run("socketclusterclient.emit", relay.url, args.count, theirs)
        for c in clients[1:]:
            c.disconnect()


if __name__ == "__main__":
    main()
