"""Typed monitor commands (what an app receives) and app messages (what a monitor
receives). The core parses the wire format; these only carry its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Optional, Tuple, Union

from ._json import loads
from ._remotedev import AppMessageFields, CommandFields





class _Bare:
    """A command that carries nothing but its type (`kind`)."""

    __slots__ = ()
    kind: ClassVar[str]

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = kind

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Start(_Bare, kind="START"):
    """A monitor opened: the client has replayed its history and streams again."""


class Stop(_Bare, kind="STOP"):
    """Monitoring stopped: the client sends nothing until the next `Start`."""


class Update(_Bare, kind="UPDATE"):
    """Asks for a fresh `STATE`."""


class Export(_Bare, kind="EXPORT"):
    """Asks for an export of the instance."""


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
        return loads(self.raw)


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


_BARE_COMMANDS: Tuple[Command, ...] = (Start(), Stop(), Update(), Export())
_BARE: Dict[str, Command] = {c.kind: c for c in _BARE_COMMANDS}


def command_from_fields(f: CommandFields) -> Command:
    """The typed command for the core's named fields (`Command::fields`)."""
    if f.raw is not None:
        return Other(f.kind, f.raw)
    if f.kind == "DISPATCH":
        return Dispatch(loads(f.action), loads(f.state), f.action or "null", f.state)
    if f.kind == "ACTION":
        return Action(f.action or "null")
    if f.kind == "IMPORT":
        return Import(loads(f.state), f.state or "null")
    if f.kind == "SYNC":
        return Sync(loads(f.state), f.connection_id, f.state or "null")
    if f.kind == "DISCONNECTED":
        return Disconnected(f.connection_id)
    return _BARE.get(f.kind) or Other(f.kind, "null")


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
        return loads(self.raw)


MonitorEvent = Union[AppMessage, Report]


def event_from_native(item: Union[AppMessageFields, str]) -> MonitorEvent:
    """A report notification (its JSON text) or an app message (the core's fields)."""
    if isinstance(item, str):
        return Report(item)
    return AppMessage(
        item.kind,
        item.connection_id,
        item.instance_id,
        item.name,
        loads(item.payload),
        loads(item.action),
        item.raw,
    )
