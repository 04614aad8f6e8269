from __future__ import annotations

from types import TracebackType
from typing import Optional, Type

from . import _remotedev

__all__ = ["Relay"]


class Relay:
    """A RemoteDev relay running on background threads; it listens once created.

    >>> with Relay(port=0) as relay:
    ...     print(relay.url)  # ws://127.0.0.1:PORT/socketcluster/

    A busy port raises `AddressInUseError`. Times are in seconds.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ping_interval: float = 8.0,
        ping_timeout: float = 20.0,
        max_payload: int = 100 * 1024 * 1024,
        max_outbound_bytes: int = 64 * 1024 * 1024,
        protocol_version: str = "auto",
        subscribe_grace: float = 2.0,
        worker_threads: Optional[int] = None,
    ) -> None:
        self._native = _remotedev.NativeRelay(
            host,
            port,
            ping_interval,
            ping_timeout,
            max_payload,
            max_outbound_bytes,
            str(protocol_version),
            subscribe_grace,
            worker_threads,
        )

    @property
    def port(self) -> int:
        return self._native.port

    @property
    def url(self) -> str:
        """`ws://HOST:PORT/socketcluster/`."""
        return self._native.url

    @property
    def closed(self) -> bool:
        return self._native.closed

    def close(self) -> None:
        """Closes every socket (1001) and stops the relay. Idempotent."""
        self._native.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "listening"
        return f"<remotedev.Relay {self.url} {state}>"
