"""RemoteDev / Redux DevTools remote monitoring over the libremotedev Rust core.

- `Relay`: the relay (`python -m remotedev --port 8000` runs one from the shell).
- `Client` / `AsyncClient`: an app instrumented for Redux DevTools.
- `Monitor` / `AsyncMonitor`: what the Redux DevTools app does.
- `Socket`: a generic SocketCluster client.
- `set_log_level(n)`: the core's log level (0 silent … 3 info, 4 debug, 5 trace).
"""

from __future__ import annotations

from ._backoff import Backoff
from ._client import AsyncClient, Client
from ._errors import (
    AddressInUseError,
    AuthError,
    ClosedError,
    ConnectionError,
    Error,
    InvalidArgumentError,
    InvalidOptionError,
    JSONError,
    ProtocolError,
    QueueFullError,
    TimeoutError,
)
from ._json import RawJSON
from ._messages import (
    Action,
    AppMessage,
    Command,
    Disconnected,
    Dispatch,
    Export,
    Import,
    MonitorEvent,
    Other,
    Report,
    Start,
    Stop,
    Sync,
    Update,
)
from ._monitor import AsyncMonitor, Monitor
from ._relay import Relay
from ._remotedev import __version__, issue_token, set_log_level
from ._socket import Events, Socket, Subscription

__all__ = [
    "Relay",
    "Client",
    "AsyncClient",
    "Monitor",
    "AsyncMonitor",
    "Socket",
    "Subscription",
    "Events",
    "RawJSON",
    "Backoff",
    "set_log_level",
    "issue_token",
    # messages
    "Command",
    "Start",
    "Stop",
    "Dispatch",
    "Action",
    "Import",
    "Sync",
    "Update",
    "Export",
    "Disconnected",
    "Other",
    "AppMessage",
    "Report",
    "MonitorEvent",
    # exceptions (see _errors for the tree)
    "Error",
    "ConnectionError",
    "AuthError",
    "ClosedError",
    "QueueFullError",
    "AddressInUseError",
    "TimeoutError",
    "ProtocolError",
    "InvalidArgumentError",
    "InvalidOptionError",
    "JSONError",
    "__version__",
]
