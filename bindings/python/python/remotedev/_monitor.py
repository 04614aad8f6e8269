from __future__ import annotations

import threading
from types import TracebackType
import typing
from typing import Any, Callable, Optional, Type

from . import _remotedev
from ._errors import ClosedError, TimeoutError
from ._json import dumps
from ._messages import MonitorEvent, event_from_native
from ._pull import Pulling

__all__ = ["Monitor", "AsyncMonitor"]

MessageCallback = Callable[[MonitorEvent], Any]


class _MonitorBase:
    def __init__(
        self,
        url: Optional[str] = None,
        *,
        host: Optional[str] = None,
        port: Optional[int] = None,
        answer_start: bool = True,
        ack_timeout: float = 10.0,
        connect_timeout: float = 20.0,
        auto_reconnect: bool = True,
    ) -> None:
        self._native = _remotedev.NativeMonitor(
            url, host, port, answer_start, ack_timeout, connect_timeout, auto_reconnect
        )

    @property
    def url(self) -> str:
        return self._native.url

    @property
    def id(self) -> Optional[str]:
        return self._native.id

    @property
    def closed(self) -> bool:
        return self._native.closed

    def send_to(self, connection_id: str, command: Any) -> None:
        """Sends `command` (a dict such as `{"type": "DISPATCH", ...}`, or JSON text) to
        the app connection `connection_id` only (see `AppMessage.connection_id`)."""
        self._native.send_to(connection_id, dumps(command, "command"))

    def broadcast(self, command: Any) -> None:
        """Sends `command` to every app."""
        self._native.broadcast(dumps(command, "command"))

    def dispatch(
        self,
        connection_id: str,
        action: Any,
        state: Any = None,
        instance_id: Optional[str] = None,
    ) -> None:
        """Sends a `DISPATCH` as the DevTools app does, e.g.
        `dispatch(app_id, {"type": "JUMP_TO_ACTION", "actionId": 1}, state)`."""
        command = _remotedev.dispatch_json(
            dumps(action, "action"),
            None if state is None else dumps(state, "state"),
            instance_id,
        )
        self._native.send_to(connection_id, command)


class Monitor(_MonitorBase, Pulling[MonitorEvent]):
    """A monitor, like the Redux DevTools app: logs in as a monitor, asks apps to
    start, and receives their messages as `AppMessage` (or `Report`)."""

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        host: Optional[str] = None,
        port: Optional[int] = None,
        answer_start: bool = True,
        ack_timeout: float = 10.0,
        connect_timeout: float = 20.0,
        auto_reconnect: bool = True,
        on_message: Optional[MessageCallback] = None,
    ) -> None:
        super().__init__(
            url,
            host=host,
            port=port,
            answer_start=answer_start,
            ack_timeout=ack_timeout,
            connect_timeout=connect_timeout,
            auto_reconnect=auto_reconnect,
        )
        if on_message is not None:
            self.on_message(on_message)

    def connect(self, timeout: float = 10.0) -> str:
        """Waits until connected and subscribed to `log`; returns the socket id."""
        return self._native.wait_ready(timeout)

    def recv(self, timeout: Optional[float] = None) -> MonitorEvent:
        """The next app message. Raises `TimeoutError` / `ClosedError`."""
        return event_from_native(self._native.recv(timeout))

    def on_message(self, callback: MessageCallback) -> None:
        """Calls `callback(message)` for every message, on a background thread."""
        self._call_back(callback, "on_message", "remotedev-monitor")

    def _close_native(self) -> None:
        self._native.close()


class AsyncMonitor(_MonitorBase):
    """`Monitor` for asyncio (`send_to`, `broadcast`, `dispatch` never wait)."""

    async def connect(self, timeout: float = 10.0) -> str:
        return await self._native.wait_ready_async(timeout)

    async def recv(self, timeout: Optional[float] = None) -> MonitorEvent:
        return event_from_native(await self._native.recv_async(timeout))

    def __aiter__(self) -> typing.AsyncIterator[MonitorEvent]:
        return self._events()

    async def _events(self) -> typing.AsyncIterator[MonitorEvent]:
        while True:
            try:
                yield await self.recv()
            except ClosedError:
                return

    async def close(self) -> None:
        await self._native.close_async()

    async def __aenter__(self) -> AsyncMonitor:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()
