"""Concurrent senders, and no reference leaks over 10 000 sends."""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc

import remotedev
from conftest import connect_monitored


def test_threads_send_concurrently(relay: remotedev.Relay) -> None:
    threads_n, per_thread = 8, 300
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url, max_age=10) as app:
        connect_monitored(monitor, app)
        app.init({"n": 0})
        barrier = threading.Barrier(threads_n)

        def sender(t: int) -> None:
            barrier.wait()
            for i in range(per_thread):
                app.send({"type": "ADD", "t": t}, {"t": t, "i": i})

        ts = [threading.Thread(target=sender, args=(t,)) for t in range(threads_n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        last = {t: -1 for t in range(threads_n)}
        ids = []
        received = 0
        while received < threads_n * per_thread:
            m = monitor.recv(10)
            if isinstance(m, remotedev.AppMessage) and m.type == "ACTION":
                t, i = m.payload["t"], m.payload["i"]
                assert i == last[t] + 1  # each thread's sends arrive in its order
                last[t] = i
                ids.append(int(m.raw.split('"nextActionId":')[1].rstrip("}")))
                received += 1
        assert ids == list(range(2, 2 + threads_n * per_thread))


def test_no_reference_leaks_over_10000_sends(relay: remotedev.Relay) -> None:
    with remotedev.Client(relay.url, max_age=5) as app:
        app.connect(5)
        action = {"type": "TICK"}
        state = {"payload": "x" * 1000, "list": list(range(10))}
        text = '{"pre":"serialised"}'
        for _ in range(500):  # warm up caches and the allocator
            app.send(action, state)
        gc.collect()
        refs = (sys.getrefcount(action), sys.getrefcount(state), sys.getrefcount(text))
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for i in range(10_000):
            app.send(action, state)
            if i % 2:
                app.send(text, text)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        assert (sys.getrefcount(action), sys.getrefcount(state), sys.getrefcount(text)) == refs
        growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
        assert growth < 64 * 1024, f"Python heap grew by {growth} bytes over 10 000 sends"


def test_no_leaks_receiving_commands(relay: remotedev.Relay) -> None:
    with remotedev.Monitor(relay.url) as monitor, remotedev.Client(relay.url) as app:
        app_id = connect_monitored(monitor, app)

        def roundtrip(n: int) -> None:
            for i in range(n):
                monitor.dispatch(app_id, {"type": "JUMP_TO_STATE", "index": i}, {"i": i})
            got = 0
            while got < n:
                if isinstance(app.recv(10), remotedev.Dispatch):
                    got += 1

        roundtrip(200)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        roundtrip(2000)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
        assert growth < 64 * 1024, growth
