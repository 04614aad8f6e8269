"""`Monitor` and `AsyncMonitor`: what the Redux DevTools app does."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from . import _remotedev
from ._backoff import Backoff
from ._base import CaFiles, _ca_files, AsyncPulling, Base, Pulling
from ._json import dumps
from ._messages import MonitorEvent, event_from_native

__all__ = ["Monitor", "AsyncMonitor"]

MessageCallback = Callable[[MonitorEvent], Any]
_Native = Union[_remotedev.AppMessageFields, str]


class _MonitorBase(Base[_Native, MonitorEvent]):
    """Options left None keep the core's defaults (`answer_start` on, `ack_timeout`
    10 s, `connect_timeout` 20 s, `auto_reconnect` on, 127.0.0.1:8000, no `auth_token`:
    a relay with an auth key that refuses it makes `connect()` raise `AuthError`). Sending never
    waits for the network."""

    _native: _remotedev.NativeMonitor

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        host: Optional[str] = None,
        port: Optional[int] = None,
        answer_start: Optional[bool] = None,
        ack_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        auto_reconnect: Optional[bool] = None,
        backoff: Optional[Backoff] = None,
        ca_file: CaFiles = None,
        ca_pem: Optional[str] = None,
        dangerous_accept_any_certificate: Optional[bool] = None,
        auth_token: Optional[str] = None,
        on_message: Optional[MessageCallback] = None,
    ) -> None:
        tls = (_ca_files(ca_file), ca_pem, dangerous_accept_any_certificate)
        connection = (url, host, port, ack_timeout, connect_timeout, auto_reconnect, backoff, *tls, auth_token)
        self._native = _remotedev.NativeMonitor(connection, answer_start)
        if on_message is not None:
            self.on_message(on_message)

    def _item(self, native: _Native) -> MonitorEvent:
        return event_from_native(native)

    def on_message(self, callback: MessageCallback) -> None:
        """Calls `callback(message)` for every message, on a background thread."""
        self._call_back(callback, "remotedev-monitor")

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


class Monitor(_MonitorBase, Pulling[_Native, MonitorEvent]):
    """A monitor, like the Redux DevTools app: logs in as a monitor, asks apps to
    start, and receives their messages as `AppMessage` (or `Report`): `recv()`,
    iteration, or `on_message`."""


class AsyncMonitor(_MonitorBase, AsyncPulling[_Native, MonitorEvent]):
    """`Monitor` for asyncio: awaitable `connect`, `recv`, `close`, `async for`."""
