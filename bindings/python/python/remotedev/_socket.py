from __future__ import annotations

import itertools
import threading
import time
import typing
from typing import Any, Callable, Dict, Optional

from . import _remotedev
from ._backoff import Backoff
from ._base import CaFiles, _ca_files, Closing, Connection, close_at_exit, until_closed
from ._json import dumps_value, loads

__all__ = ["Socket", "Subscription", "Events"]

Handler = Callable[[str, Any], Any]
Ack = Callable[[str, Any, Any], Any]


class Events:
    """Events of one name sent by the server, pulled with `recv` or by iterating."""

    def __init__(self, native: _remotedev.NativeStream) -> None:
        self._native = native

    def recv(self, timeout: Optional[float] = None) -> Any:
        """The next one (parsed). `TimeoutError`, or `ClosedError` (at once) once it
        ended: the socket was closed."""
        return loads(self._native.recv(timeout))

    def __iter__(self) -> typing.Iterator[Any]:
        return until_closed(self.recv)


class Subscription(Events):
    """Messages published on one channel, pulled with `recv` or by iterating; it ends
    (`ClosedError`) when unsubscribed or when the socket is closed."""

    def __init__(self, native: _remotedev.NativeStream, channel: str) -> None:
        super().__init__(native)
        self._channel = channel

    @property
    def channel(self) -> str:
        return self._channel


class Socket(Connection, Closing):
    """A SocketCluster client for any SocketCluster server (our relay, remotedev-server,
    @redux-devtools/cli). It reconnects by itself and answers both ping forms.

    Method names follow the PyPI `socketclusterclient` so the seed doc's Python steps
    port line by line (`emit`, `emitack`, `subscribe`, `onchannel`, `on`,
    `setBasicListener`); callbacks run on one background thread per socket (the
    core's pump). Data is any JSON-serialisable value (a `str` is a JSON string; wrap
    ready JSON text in `RawJSON`), written as `JSON.stringify` writes it: NaN and
    ±Infinity as `null`, lone surrogates as `\\udXXX` escapes. Event and channel names
    holding a lone surrogate raise `InvalidArgumentError`. Unlike
    `socketclusterclient`, `connect()` returns once the socket is open;
    `run_forever()` blocks until it is closed.
    """

    _native: _remotedev.NativeSocket

    def __init__(
        self,
        url: str,
        *,
        ack_timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        auto_reconnect: Optional[bool] = None,
        backoff: Optional[Backoff] = None,
        ca_file: CaFiles = None,
        ca_pem: Optional[str] = None,
        dangerous_accept_any_certificate: Optional[bool] = None,
        auth_token: Optional[str] = None,
    ) -> None:
        tls = (_ca_files(ca_file), ca_pem, dangerous_accept_any_certificate)
        connection = (url, None, None, ack_timeout, connect_timeout, auto_reconnect, backoff, *tls, auth_token)
        self._native = _remotedev.NativeSocket(connection)
        self.url = url
        self._lock = threading.Lock()
        self._channel_handlers: Dict[str, Handler] = {}
        self._event_handlers: Dict[str, Handler] = {}
        self._acks: Dict[str, Callable[[Optional[str], Optional[str]], Any]] = {}
        self._tokens = itertools.count(1)
        self._dispatching = False
        self._onconnect: Optional[Callable[[Socket], Any]] = None
        self._ondisconnect: Optional[Callable[[Socket], Any]] = None
        self._onerror: Optional[Callable[[Socket, Any], Any]] = None

    # --- connection

    def connect(self, timeout: float = 20.0) -> str:
        """Waits until the socket is open; returns its id. When the time runs out it
        raises why: `ConnectionError` naming the server and the cause, else
        `TimeoutError`."""
        return self._native.connect(timeout)

    def setBasicListener(
        self,
        onconnect: Optional[Callable[[Socket], Any]] = None,
        ondisconnect: Optional[Callable[[Socket], Any]] = None,
        onConnectError: Optional[Callable[[Socket, Any], Any]] = None,
    ) -> None:
        """`onconnect(socket)` after each (re)connection (at once if already open),
        `ondisconnect(socket)`, `onConnectError(socket, message)`."""
        self._onconnect, self._ondisconnect, self._onerror = onconnect, ondisconnect, onConnectError
        self._native.watch_connection()
        self._ensure_dispatcher()

    def run_forever(self) -> None:
        """Blocks until the socket is closed (Ctrl-C interrupts)."""
        while not self.closed:
            time.sleep(0.1)

    def close(self) -> None:
        """Closes with 1000; no reconnect follows. Callbacks still queued (e.g. the
        `ondisconnect`) run after it returns."""
        self._native.close()

    disconnect = close

    # --- events

    def emit(self, event: str, data: Any = None) -> None:
        """Transmits an event (no answer expected). Queued while disconnected."""
        self._native.transmit(event, dumps_value(data))

    def invoke(self, event: str, data: Any = None) -> Any:
        """Sends an event and waits for the server's answer (parsed). Raises
        `ProtocolError` if the server answers with an error, `TimeoutError` after the
        ack timeout."""
        return loads(self._native.invoke(event, dumps_value(data)))

    def emitack(self, event: str, data: Any, ack: Ack) -> None:
        """Invokes in the background; calls `ack(event, error, data)` with `error` None
        or the core's error message."""

        def done(error: Optional[str], answer: Optional[str]) -> None:
            ack(event, error, None if error is not None else loads(answer))

        token = self._register(done)
        self._native.invoke_later(event, dumps_value(data), token)

    def on(self, event: str, handler: Handler) -> None:
        """Calls `handler(event, data)` for every event named `event` from the server."""
        with self._lock:
            self._event_handlers[event] = handler
        self._native.watch_event(event)
        self._ensure_dispatcher()

    def events(self, event: str) -> Events:
        """Events named `event`, pulled."""
        return Events(self._native.receiver(event))

    # --- channels

    def subscribe(self, channel: str) -> None:
        """Subscribes (kept across reconnects); messages go to `onchannel` handlers."""
        self._native.watch_channel(channel)
        self._ensure_dispatcher()

    def subscribeack(self, channel: str, ack: Ack) -> None:
        """Subscribes and calls `ack(channel, error, None)` once the server answered."""
        self.subscribe(channel)

        def done(error: Optional[str], _answer: Optional[str]) -> None:
            ack(channel, error, None)

        self._native.subscribe_later(channel, self._register(done))

    def onchannel(self, channel: str, handler: Handler) -> None:
        """Calls `handler(channel, data)` for every message published on `channel`."""
        with self._lock:
            self._channel_handlers[channel] = handler
        self._ensure_dispatcher()

    def channel(self, channel: str) -> Subscription:
        """Subscribes and returns the channel's messages to pull."""
        return Subscription(self._native.subscribe(channel), channel)

    def wait_subscribed(self, channel: str, timeout: float = 10.0) -> None:
        """Waits until the server acknowledged the subscription to `channel`."""
        self._native.wait_subscribed(channel, timeout)

    def unsubscribe(self, channel: str) -> None:
        with self._lock:
            self._channel_handlers.pop(channel, None)
        self._native.unsubscribe(channel)

    # --- the callback thread

    def _register(self, done: Callable[[Optional[str], Optional[str]], Any]) -> str:
        token = str(next(self._tokens))
        with self._lock:
            self._acks[token] = done
        self._ensure_dispatcher()
        return token

    def _ensure_dispatcher(self) -> None:
        with self._lock:
            if self._dispatching:
                return
            self._dispatching = True
        self._native.start_dispatch(self._deliver)
        close_at_exit(self)

    def _deliver(self, kind: str, key: str, data: Optional[str]) -> None:
        if kind in ("channel", "event"):
            handlers = self._channel_handlers if kind == "channel" else self._event_handlers
            with self._lock:
                handler = handlers.get(key)
            if handler is not None:
                handler(key, loads(data))
        elif kind in ("ack", "ackerror"):
            with self._lock:
                done = self._acks.pop(key, None)
            if done is not None:
                if kind == "ack":
                    done(None, data)
                else:
                    done(data or "error", None)
        elif kind == "connect":
            if self._onconnect is not None:
                self._onconnect(self)
        elif kind == "disconnect":
            if self._ondisconnect is not None:
                self._ondisconnect(self)
        elif kind == "error":
            if self._onerror is not None:
                self._onerror(self, key)
