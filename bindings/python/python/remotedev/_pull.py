"""What `Client` and `Monitor` share: pulling with `recv`, iteration until closed, an
optional callback on a background thread, and closing as a context manager."""

from __future__ import annotations

import threading
from types import TracebackType
import typing
from typing import Any, Callable, Optional, Type

from ._errors import ClosedError, TimeoutError

T = typing.TypeVar("T")
Self = typing.TypeVar("Self", bound="Pulling[Any]")


class Pulling(typing.Generic[T]):
    _thread: Optional[threading.Thread] = None

    def recv(self, timeout: Optional[float] = None) -> T:
        raise NotImplementedError

    def _close_native(self) -> None:
        raise NotImplementedError

    def __iter__(self) -> typing.Iterator[T]:
        """Items until the client is closed."""
        while True:
            try:
                yield self.recv()
            except ClosedError:
                return

    def _call_back(self, callback: Callable[[T], Any], setter: str, thread_name: str) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{setter} was already set")

        def run() -> None:
            while True:
                try:
                    item = self.recv(0.25)
                except TimeoutError:
                    continue
                except ClosedError:
                    return
                callback(item)

        self._thread = threading.Thread(target=run, name=thread_name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Disconnects for good."""
        self._close_native()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
