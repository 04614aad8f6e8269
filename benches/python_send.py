"""What one Python `Client.send` costs (issue 14): the rate of the calls and the calling
thread's CPU time per call, for a ~1 KiB `dict` state and for the same state given as
a pre-serialised `str` (JSON text, sent as it is).

    python benches/python_send.py [--count 50000] [--state-bytes 1024] [--url URL]

The CPU time is the calling thread's own (`RUSAGE_THREAD`: serialising the state, the
native call, validating and framing it); the connection's writes happen on the
library's threads and are not in it. Thread CPU time barely moves when other processes
load the machine, unlike the call rate, which is printed too. Without `--url` a relay
is started in this process (`remotedev.Relay`, port 0). Prints one JSON line per case.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any, Dict

import remotedev


def make_state(size: int) -> Dict[str, Any]:
    """A Redux-like state of about `size` bytes of JSON: nested keys, lists, text."""
    items = [
        {"id": i, "title": f'todo "{i:04d}"', "done": i % 2 == 0, "tags": ["a", "b"]}
        for i in range(max(1, size // 64))
    ]
    return {"count": 0, "filter": "all", "todos": {"items": items, "loading": False}}


def thread_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime + r.ru_stime


def measure(name: str, app: remotedev.Client, action: Any, state: Any, count: int) -> None:
    for _ in range(min(2000, count)):  # warm-up
        app.send(action, state)
    cpu0, t0 = thread_cpu(), time.perf_counter()
    for _ in range(count):
        app.send(action, state)
    cpu1, t1 = thread_cpu(), time.perf_counter()
    print(
        json.dumps(
            {
                "case": name,
                "sends": count,
                "calls_per_s": round(count / (t1 - t0)),
                "thread_cpu_us_per_send": round((cpu1 - cpu0) / count * 1e6, 2),
                "sends_per_cpu_s": round(count / max(cpu1 - cpu0, 1e-9)),
            }
        ),
        flush=True,
    )


def run(url: str, count: int, state_bytes: int) -> None:
    state = make_state(state_bytes)
    text = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    action = {"type": "INCREMENT"}
    app = remotedev.Client(url, name="python_send")
    app.connect(10)
    try:
        measure(f"dict state ({len(text)} B)", app, action, state, count)
        measure(f"str state ({len(text)} B)", app, '{"type":"INCREMENT"}', text, count)
    finally:
        app.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--state-bytes", type=int, default=1024)
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    if args.url:
        run(args.url, args.count, args.state_bytes)
        return
    with remotedev.Relay(port=0, db=":memory:") as relay:
        run(relay.url, args.count, args.state_bytes)


if __name__ == "__main__":
    main()
