"""What `Client` and `Monitor` (and their asyncio twins) share: the connection's
properties, pulling with `recv`, iteration until closed, the callback thread (the core's
pump), and closing as a context manager. `N` is the native item, `T` the typed one."""

from __future__ import annotations

import atexit
import os
from types import TracebackType
import typing
import weakref
from typing import TYPE_CHECKING, Any, Callable, Optional, Type

from ._errors import ClosedError

if TYPE_CHECKING:
    from ._remotedev import _NativeClient, _NativeConnection

T = typing.TypeVar("T")
N = typing.TypeVar("N")
Self = typing.TypeVar("Self", bound="Closing")
AsyncSelf = typing.TypeVar("AsyncSelf", bound="AsyncPulling[Any, Any]")


_WITH_CALLBACKS: weakref.WeakSet[Any] = weakref.WeakSet()


def close_at_exit(obj: Any) -> None:
    """Closes `obj._native` when the interpreter exits, so that no callback thread asks
    for the GIL while Python shuts down."""
    _WITH_CALLBACKS.add(obj)


@atexit.register
def _close_with_callbacks() -> None:
    for obj in list(_WITH_CALLBACKS):
        obj._native.close()


def until_closed(recv: Callable[[], T]) -> typing.Iterator[T]:
    """`recv()` results until it raises `ClosedError`."""
    while True:
        try:
            yield recv()
        except ClosedError:
            return


class Closing:
    """`with` closes on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class native_property(typing.Generic[T]):
    """A read-only property that reads the attribute of the same name of `_native`."""

    def __init__(self, doc: str = "") -> None:
        self.__doc__ = doc
        self._name = ""

    def __set_name__(self, owner: Any, name: str) -> None:
        self._name = name

    @typing.overload
    def __get__(self, obj: None, owner: Any = None) -> native_property[T]: ...
    @typing.overload
    def __get__(self, obj: object, owner: Any = None) -> T: ...
    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else getattr(obj._native, self._name)


class Connection:
    """The connection's state, for clients and sockets."""

    _native: _NativeConnection
    id: native_property[Optional[str]] = native_property(
        "The socket id of the current connection (None while not connected)."
    )
    state: native_property[str] = native_property(
        "`connecting`, `open`, `disconnected` or `closed`."
    )
    closed: native_property[bool] = native_property("Whether it is closed for good.")
    last_error: native_property[Optional[str]] = native_property(
        "Why the latest connection attempt failed (the endpoint and the cause, e.g. "
        '"Connection refused"), while it keeps retrying in the background; None once '
        "connected."
    )


class Base(Connection, typing.Generic[N, T]):
    _native: _NativeClient[N]
    url: native_property[str] = native_property("The relay URL.")

    def _item(self, native: N) -> T:
        raise NotImplementedError

    def _call_back(self, callback: Callable[[T], Any], thread_name: str) -> None:
        """Calls `callback(item)` for every item on one background thread (the core's
        pump); an exception of the callback is printed and the next item follows.
        Raises `RuntimeError` if a callback was already set."""
        self._native.call_back(lambda native: callback(self._item(native)), thread_name)
        close_at_exit(self)


class Pulling(Base[N, T], Closing):
    def connect(self, timeout: float = 10.0) -> str:
        """Waits until connected and logged in; returns the socket id. When the time
        runs out it raises why: `ConnectionError` naming the relay and the cause (e.g.
        "Connection refused"), else `TimeoutError`. Ctrl-C interrupts."""
        return self._native.connect(timeout)

    def recv(self, timeout: Optional[float] = None) -> T:
        """The next item. Raises `TimeoutError` after `timeout` seconds, and
        `ClosedError` (at once) once closed. Ctrl-C interrupts the wait."""
        return self._item(self._native.recv(timeout))

    def __iter__(self) -> typing.Iterator[T]:
        """Items until the client is closed."""
        return until_closed(self.recv)

    def close(self) -> None:
        """Disconnects for good and stops the callback thread."""
        self._native.close()


class AsyncPulling(Base[N, T]):
    async def connect(self, timeout: float = 10.0) -> str:
        return await self._native.connect_async(timeout)

    async def recv(self, timeout: Optional[float] = None) -> T:
        return self._item(await self._native.recv_async(timeout))

    def __aiter__(self) -> typing.AsyncIterator[T]:
        return self._items()

    async def _items(self) -> typing.AsyncIterator[T]:
        while True:
            try:
                yield await self.recv()
            except ClosedError:
                return

    async def close(self) -> None:
        await self._native.close_async()

    async def __aenter__(self: AsyncSelf) -> AsyncSelf:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


PathLike = typing.Union[str, "os.PathLike[str]"]


CaFiles = typing.Union[PathLike, typing.Sequence[PathLike], None]
""": one PEM path or several."""


def _ca_files(ca_file: CaFiles) -> Optional[typing.List[str]]:
    """`ca_file` (one PEM path or several) as the list of paths the core takes."""
    if ca_file is None:
        return None
    if isinstance(ca_file, (str, os.PathLike)):
        return [os.fspath(ca_file)]
    return [os.fspath(f) for f in ca_file]
