"""`Client` and `AsyncClient`: an app instrumented for Redux DevTools."""

from __future__ import annotations

from typing import Any, Callable, Optional

from . import _remotedev
from ._backoff import Backoff
from ._base import CaFiles, _ca_files, AsyncPulling, Base, Pulling, native_property
from ._json import dumps
from ._messages import Command, command_from_fields

__all__ = ["Client", "AsyncClient"]

CommandCallback = Callable[[Command], Any]


class _ClientBase(Base[_remotedev.CommandFields, Command]):
    """Options left None keep the core's defaults (`max_age` 50, `queue_limit` 1000,
    `ack_timeout` 10 s, `connect_timeout` 20 s, `auto_reconnect` on, a random
    `instance_id`, 127.0.0.1:8000); the core checks them all and refuses bad ones with
    `InvalidOptionError`. `wss://` relays (and their `https://` report API) are checked
    against the platform's root certificates plus `ca_file` (one PEM path or several)
    and `ca_pem` (PEM text); `dangerous_accept_any_certificate=True` accepts any
    certificate (self-signed development relays only). `auth_token` is sent in the
    handshake for a relay started with an auth key (`remotedev token` or `issue_token`
    makes one); a relay that refuses it makes `connect()` raise `AuthError` at once."""

    _native: _remotedev.NativeApp

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        host: Optional[str] = None,
        port: Optional[int] = None,
        name: Optional[str] = None,
        instance_id: Optional[str] = None,
        max_age: Optional[int] = None,
        queue_limit: Optional[int] = None,
        ack_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        auto_reconnect: Optional[bool] = None,
        backoff: Optional[Backoff] = None,
        ca_file: CaFiles = None,
        ca_pem: Optional[str] = None,
        dangerous_accept_any_certificate: Optional[bool] = None,
        auth_token: Optional[str] = None,
        on_command: Optional[CommandCallback] = None,
    ) -> None:
        tls = (_ca_files(ca_file), ca_pem, dangerous_accept_any_certificate)
        connection = (url, host, port, ack_timeout, connect_timeout, auto_reconnect, backoff, *tls, auth_token)
        self._native = _remotedev.NativeApp(connection, name, instance_id, max_age, queue_limit)
        if on_command is not None:
            self.on_command(on_command)

    def _item(self, native: _remotedev.CommandFields) -> Command:
        return command_from_fields(native)

    instance_id: native_property[str] = native_property("The id monitors know this store by.")
    streaming: native_property[bool] = native_property(
        "Whether messages currently go to monitors (False after `Stop`)."
    )
    dropped: native_property[int] = native_property(
        "Messages dropped because the disconnected queue was full."
    )

    def on_command(self, callback: CommandCallback) -> None:
        """Calls `callback(command)` for every command, on a background thread."""
        self._call_back(callback, "remotedev-commands")

    def _init(self, state: Any) -> None:
        self._native.init(dumps(state, "state"))

    def _send(self, action: Any, state: Any) -> None:
        self._native.send(dumps(action, "action"), dumps(state, "state"))

    def _send_state(self, lifted: Any) -> None:
        self._native.send_state(dumps(lifted, "lifted state"))


class Client(_ClientBase, Pulling[_remotedev.CommandFields, Command]):
    """An app instrumented for Redux DevTools. It connects in the background once
    created, logs in as `master` after every (re)connect, and keeps what is sent while
    disconnected.

    Commands from monitors arrive typed: `recv()`, iteration, or `on_command`.
    Give `url` or `host`/`port` (default 127.0.0.1:8000). Values are any
    JSON-serialisable Python value or a `str` of JSON text (`JSONError` if it is not).
    They go as `JSON.stringify` writes them: NaN and ±Infinity as `null`, a lone
    surrogate in a string (`"cut\\ud83d"`) as its `\\ud83d` escape.
    """

    def init(self, state: Any) -> None:
        """Starts a new log with `state` (any JSON-serialisable value, or JSON text)."""
        self._init(state)

    def send(self, action: Any, state: Any) -> None:
        """Records `action` (e.g. `{"type": "INCREMENT"}`) and the state after it.
        Each may be any JSON-serialisable value or a `str` of JSON text."""
        self._send(action, state)

    def send_state(self, lifted: Any) -> None:
        """Sends a whole lifted state (redux-devtools-instrument shape) as `STATE`."""
        self._send_state(lifted)


class AsyncClient(_ClientBase, AsyncPulling[_remotedev.CommandFields, Command]):
    """`Client` for asyncio: awaitable `connect`, `recv`, `send`, `close` and
    `async for command in client`. Waiting costs no thread; sending never waits for
    the network (the message is queued for the connection)."""

    async def init(self, state: Any) -> None:
        self._init(state)

    async def send(self, action: Any, state: Any) -> None:
        self._send(action, state)

    async def send_state(self, lifted: Any) -> None:
        self._send_state(lifted)
