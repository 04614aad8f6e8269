from __future__ import annotations

import threading
from types import TracebackType
import typing
from typing import Any, Callable, Optional, Type

from . import _remotedev
from ._errors import ClosedError, TimeoutError
from ._json import dumps
from ._messages import Command, command_from_native
from ._pull import Pulling

__all__ = ["Client", "AsyncClient"]

CommandCallback = Callable[[Command], Any]


class _ClientBase:
    def __init__(
        self,
        url: Optional[str] = None,
        *,
        host: Optional[str] = None,
        port: Optional[int] = None,
        name: str = "",
        instance_id: Optional[str] = None,
        max_age: int = 50,
        queue_limit: int = 1000,
        ack_timeout: float = 10.0,
        connect_timeout: float = 20.0,
        auto_reconnect: bool = True,
    ) -> None:
        self._native = _remotedev.NativeApp(
            url,
            host,
            port,
            name,
            instance_id,
            max_age,
            queue_limit,
            ack_timeout,
            connect_timeout,
            auto_reconnect,
        )

    @property
    def url(self) -> str:
        return self._native.url

    @property
    def id(self) -> Optional[str]:
        """The socket id of the current connection (None while not connected)."""
        return self._native.id

    @property
    def instance_id(self) -> str:
        return self._native.instance_id

    @property
    def streaming(self) -> bool:
        """Whether messages currently go to monitors (False after `Stop`)."""
        return self._native.streaming

    @property
    def dropped(self) -> int:
        """Messages dropped because the disconnected queue was full."""
        return self._native.dropped

    @property
    def closed(self) -> bool:
        return self._native.closed



class Client(_ClientBase, Pulling[Command]):
    """An app instrumented for Redux DevTools. It connects in the background once
    created, logs in as `master` after every (re)connect, and keeps what is sent while
    disconnected.

    Commands from monitors arrive typed: `recv()`, iteration, or `on_command`.
    Give `url` or `host`/`port` (default 127.0.0.1:8000).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        host: Optional[str] = None,
        port: Optional[int] = None,
        name: str = "",
        instance_id: Optional[str] = None,
        max_age: int = 50,
        queue_limit: int = 1000,
        ack_timeout: float = 10.0,
        connect_timeout: float = 20.0,
        auto_reconnect: bool = True,
        on_command: Optional[CommandCallback] = None,
    ) -> None:
        super().__init__(
            url,
            host=host,
            port=port,
            name=name,
            instance_id=instance_id,
            max_age=max_age,
            queue_limit=queue_limit,
            ack_timeout=ack_timeout,
            connect_timeout=connect_timeout,
            auto_reconnect=auto_reconnect,
        )
        if on_command is not None:
            self.on_command(on_command)

    def connect(self, timeout: float = 10.0) -> str:
        """Waits until connected and logged in; returns the socket id."""
        return self._native.wait_ready(timeout)

    def init(self, state: Any) -> None:
        """Starts a new log with `state` (any JSON-serialisable value, or JSON text)."""
        self._native.init(dumps(state, "state"))

    def send(self, action: Any, state: Any) -> None:
        """Records `action` (e.g. `{"type": "INCREMENT"}`) and the state after it.
        Each may be any JSON-serialisable value or a `str` of JSON text."""
        self._native.send(dumps(action, "action"), dumps(state, "state"))

    def send_state(self, lifted: Any) -> None:
        """Sends a whole lifted state (redux-devtools-instrument shape) as `STATE`."""
        self._native.send_state(dumps(lifted, "lifted state"))

    def recv(self, timeout: Optional[float] = None) -> Command:
        """The next command. Raises `TimeoutError` after `timeout` seconds, and
        `ClosedError` once the client is closed. Ctrl-C interrupts the wait."""
        return command_from_native(self._native.recv(timeout))

    def on_command(self, callback: CommandCallback) -> None:
        """Calls `callback(command)` for every command, on a background thread."""
        self._call_back(callback, "on_command", "remotedev-commands")

    def _close_native(self) -> None:
        self._native.close()


class AsyncClient(_ClientBase):
    """`Client` for asyncio: awaitable `connect`, `recv`, `send`, `close` and
    `async for command in client`. Waiting costs no thread."""

    async def connect(self, timeout: float = 10.0) -> str:
        return await self._native.wait_ready_async(timeout)

    async def recv(self, timeout: Optional[float] = None) -> Command:
        return command_from_native(await self._native.recv_async(timeout))

    async def init(self, state: Any) -> None:
        self._native.init(dumps(state, "state"))

    async def send(self, action: Any, state: Any) -> None:
        """Never waits for the network: the message is queued for the connection."""
        self._native.send(dumps(action, "action"), dumps(state, "state"))

    async def send_state(self, lifted: Any) -> None:
        self._native.send_state(dumps(lifted, "lifted state"))

    def __aiter__(self) -> typing.AsyncIterator[Command]:
        return self._commands()

    async def _commands(self) -> typing.AsyncIterator[Command]:
        while True:
            try:
                yield await self.recv()
            except ClosedError:
                return

    async def close(self) -> None:
        await self._native.close_async()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()
