"""The exceptions of `remotedev`. Messages come from the Rust core."""

from __future__ import annotations

import builtins

__all__ = [
    "Error",
    "ConnectionError",
    "ClosedError",
    "QueueFullError",
    "AddressInUseError",
    "TimeoutError",
    "ProtocolError",
    "InvalidArgumentError",
]


class Error(Exception):
    """Base class of every error raised by `remotedev`."""


class ConnectionError(Error, builtins.ConnectionError):
    """The connection failed or went away (also a built-in `ConnectionError`)."""


class ClosedError(ConnectionError):
    """The client or socket was closed for good."""


class QueueFullError(ConnectionError):
    """A message was dropped because the outbound queue was full."""


class AddressInUseError(ConnectionError):
    """The relay's port is already in use."""


class TimeoutError(Error, builtins.TimeoutError):
    """Nothing happened within the time asked for (also a built-in `TimeoutError`)."""


class ProtocolError(Error):
    """The peer answered with an error (e.g. an invoke the server refused)."""


class InvalidArgumentError(Error, ValueError):
    """An argument is out of range or not valid JSON (also a `ValueError`)."""
