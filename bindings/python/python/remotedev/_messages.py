"""Typed monitor commands (what an app receives) and app messages (what a monitor
receives). The core parses the wire format; these only carry its results."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Tuple, Union

__all__ = [
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
]


def _parse(text: Optional[str]) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class Start:
    """A monitor opened: the client has replayed its history and streams again."""

    kind = "START"


@dataclass(frozen=True)
class Stop:
    """Monitoring stopped: the client sends nothing until the next `Start`."""

    kind = "STOP"


@dataclass(frozen=True)
class Dispatch:
    """Time travel and other instrumentation actions, e.g. `JUMP_TO_ACTION`.

    `action` is the parsed lifted action (`{"type": "JUMP_TO_ACTION", "actionId": 1}`);
    `state` the parsed state to show (None when the monitor sent none).
    """

    action: Any
    state: Any = None
    action_json: str = field(default="null", repr=False)
    state_json: Optional[str] = field(default=None, repr=False)
    kind = "DISPATCH"

    @property
    def type(self) -> Optional[str]:
        """The lifted action's `type`, e.g. `JUMP_TO_ACTION`."""
        t = self.action.get("type") if isinstance(self.action, dict) else None
        return t if isinstance(t, str) else None


@dataclass(frozen=True)
class Action:
    """The Dispatcher monitor asks to run an action. `raw` is the JSON as sent (usually
    a string of JavaScript source); it is never evaluated."""

    raw: str
    kind = "ACTION"

    @property
    def value(self) -> Any:
        """`raw` parsed (a `str` of source for the DevTools app)."""
        return json.loads(self.raw)


@dataclass(frozen=True)
class Import:
    """Replace the app's (lifted) state."""

    state: Any
    state_json: str = field(default="null", repr=False)
    kind = "IMPORT"


@dataclass(frozen=True)
class Sync:
    """Another instance's lifted state to mirror; `source` is its connection id."""

    state: Any
    source: Optional[str] = None
    state_json: str = field(default="null", repr=False)
    kind = "SYNC"


@dataclass(frozen=True)
class Update:
    """Asks for a fresh `STATE`."""

    kind = "UPDATE"


@dataclass(frozen=True)
class Export:
    """Asks for an export of the instance."""

    kind = "EXPORT"


@dataclass(frozen=True)
class Disconnected:
    """A monitor (connection `id`) went away; treated like `Stop`."""

    id: Optional[str] = None
    kind = "DISCONNECTED"


@dataclass(frozen=True)
class Other:
    """Any other command type; `raw` is the message's JSON."""

    type: str
    raw: str

    @property
    def kind(self) -> str:
        return self.type


Command = Union[Start, Stop, Dispatch, Action, Import, Sync, Update, Export, Disconnected, Other]


def command_from_native(t: Tuple[str, Optional[str], Optional[str]]) -> Command:
    tag, a, b = t
    if tag == "Start":
        return Start()
    if tag == "Stop":
        return Stop()
    if tag == "Dispatch":
        assert a is not None
        return Dispatch(_parse(a), _parse(b), a, b)
    if tag == "Action":
        assert a is not None
        return Action(a)
    if tag == "Import":
        assert a is not None
        return Import(_parse(a), a)
    if tag == "Sync":
        assert a is not None
        return Sync(_parse(a), b, a)
    if tag == "Update":
        return Update()
    if tag == "Export":
        return Export()
    if tag == "Disconnected":
        return Disconnected(a)
    return Other(a or "", b or "null")


@dataclass(frozen=True)
class AppMessage:
    """A message from an app (`INIT`, `ACTION`, `STATE`, `START`, ...).

    `payload` and `action` are parsed from their JSON-string form; `connection_id` is
    where targeted commands go (`Monitor.send_to`).
    """

    type: str
    connection_id: Optional[str]
    instance_id: Optional[str]
    name: Optional[str]
    payload: Any
    action: Any
    raw: str = field(repr=False)


@dataclass(frozen=True)
class Report:
    """A report-store notification (`raw` is its JSON)."""

    raw: str

    @property
    def value(self) -> Any:
        return json.loads(self.raw)


MonitorEvent = Union[AppMessage, Report]


def event_from_native(
    t: Tuple[
        str,
        str,
        Optional[str],
        Optional[str],
        Optional[str],
        Optional[str],
        Optional[str],
        Optional[str],
    ],
) -> MonitorEvent:
    tag, kind, conn, inst, name, payload, action, raw = t
    if tag == "report":
        return Report(kind)
    return AppMessage(kind, conn, inst, name, _parse(payload), _parse(action), raw or "")
