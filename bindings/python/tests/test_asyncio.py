"""asyncio: awaitable connect/recv/send, `async for`, no thread per waiting call."""

from __future__ import annotations

import asyncio
import threading

import pytest

import remotedev


def test_async_round_trip(relay: remotedev.Relay) -> None:
    async def main() -> None:
        async with remotedev.AsyncMonitor(relay.url) as monitor, remotedev.AsyncClient(
            relay.url, name="async"
        ) as app:
            await monitor.connect(5)
            app_id = await app.connect(5)
            await app.init({"count": 0})
            await app.send({"type": "INCREMENT"}, {"count": 1})
            await app.send_state({"computedStates": []})
            kinds = []
            while "STATE" not in kinds:
                m = await monitor.recv(5)
                if isinstance(m, remotedev.AppMessage):
                    kinds.append(m.type)
                    if m.type == "ACTION":
                        assert m.payload == {"count": 1} and m.connection_id == app_id
            assert kinds.index("INIT") < kinds.index("ACTION") < kinds.index("STATE")
            monitor.dispatch(app_id, {"type": "JUMP_TO_ACTION", "actionId": 0}, {"count": 0})
            async for command in app:
                if isinstance(command, remotedev.Dispatch):
                    assert command.state == {"count": 0}
                    break
            with pytest.raises(remotedev.TimeoutError):
                await app.recv(0.1)

    asyncio.run(main())


def test_async_for_ends_when_closed_and_waits_need_no_threads(relay: remotedev.Relay) -> None:
    async def main() -> None:
        clients = [remotedev.AsyncClient(relay.url) for _ in range(20)]
        await asyncio.gather(*(c.connect(5) for c in clients))
        threads_before = threading.active_count()

        async def drain(c: remotedev.AsyncClient) -> int:
            n = 0
            async for _ in c:
                n += 1
            return n

        tasks = [asyncio.ensure_future(drain(c)) for c in clients]
        await asyncio.sleep(0.3)
        assert threading.active_count() == threads_before  # 20 waits, no new thread
        await asyncio.gather(*(c.close() for c in clients))
        counts = await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert all(isinstance(n, int) for n in counts)

    asyncio.run(main())


def test_async_cancellation_and_errors(relay: remotedev.Relay) -> None:
    async def main() -> None:
        app = remotedev.AsyncClient(relay.url)
        await app.connect(5)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(app.recv(), 0.2)  # cancels the pending recv
        with pytest.raises(remotedev.InvalidArgumentError):
            await app.send("{bad", "{}")
        with pytest.raises(remotedev.InvalidArgumentError):
            await app.recv(-5)
        await app.close()
        with pytest.raises(remotedev.ClosedError):
            await app.recv(1)
        unreachable = remotedev.AsyncMonitor(port=1)
        # the cause, not a bare timeout: the endpoint and "Connection refused"
        with pytest.raises(remotedev.ConnectionError, match="ws://127.0.0.1:1/socketcluster/.*refused"):
            await unreachable.connect(0.2)
        assert unreachable.last_error is not None and "refused" in unreachable.last_error
        await unreachable.close()

    asyncio.run(main())
