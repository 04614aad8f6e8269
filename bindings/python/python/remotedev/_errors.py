"""The exceptions of `remotedev`. Messages come from the Rust core, word for word.

    Error
    ├── ConnectionError        (also the built-in ConnectionError)
    │   ├── ClosedError        the client, socket or stream is closed for good
    │   ├── AuthError          the relay refused the client's auth token (or needs one)
    │   ├── QueueFullError
    │   └── AddressInUseError
    ├── TimeoutError           (also the built-in TimeoutError)
    ├── ProtocolError          the peer answered with an error
    └── InvalidArgumentError   (also a ValueError)
        ├── InvalidOptionError an option the core refuses ("invalid option FIELD: …")
        └── JSONError          text given as JSON that is not JSON
"""

from __future__ import annotations

import builtins



class Error(Exception):
    """Base class of every error raised by `remotedev`."""


class ConnectionError(Error, builtins.ConnectionError):
    """The relay cannot be reached (the text names the endpoint and the cause, e.g.
    "Connection refused"), or the connection went away."""


class ClosedError(ConnectionError):
    """The client, socket or subscription was closed for good: nothing more will come."""


class AuthError(ConnectionError):
    """The relay requires an auth token and refused this client's (none given, invalid,
    expired, or signed with another key). Not retried until the next connection."""


class QueueFullError(ConnectionError):
    """A message was dropped because the outbound queue was full."""


class AddressInUseError(ConnectionError):
    """The relay's port is already in use."""


class TimeoutError(Error, builtins.TimeoutError):
    """Nothing happened within the time asked for (also a built-in `TimeoutError`)."""


class ProtocolError(Error):
    """The peer answered with an error (e.g. an invoke the server refused)."""


class InvalidArgumentError(Error, ValueError):
    """An argument is out of range or not valid (also a `ValueError`)."""


class InvalidOptionError(InvalidArgumentError):
    """An option value the core refuses, e.g. `invalid option ping_interval: must be
    greater than 0 ms` (the same text as in Rust and C)."""


class JSONError(InvalidArgumentError):
    """A `str` given as JSON text is not JSON; the text says what is wrong and where."""
