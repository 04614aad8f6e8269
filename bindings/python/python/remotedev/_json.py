"""Turning Python values into the JSON text the core sends (no protocol logic here).

Values are written as `JSON.stringify` writes them, because that is what the JavaScript
apps and monitors beside them send:

- `float("nan")`, `float("inf")` and `-float("inf")` become `null` (as keys:
  `"NaN"`, `"Infinity"`, `"-Infinity"`);
- a `str` holding a lone surrogate (e.g. `"cut\\ud83d"`, what JavaScript makes when it
  slices an emoji) is sent with a `\\ud83d` escape; the native module writes it, for
  values and for JSON text alike. Nothing raises `UnicodeEncodeError`.

Text given as JSON (a `str` for `Client`/`Monitor`, `RawJSON` for `Socket`) is sent as
it is; the core refuses text that is not JSON with `JSONError`.

Values are serialised by `orjson` (about 15 times faster than the `json` module for a
1 KiB state: 0.8 against 12.5 µs here), which writes NaN and ±Infinity as `null` like
`JSON.stringify`, and also writes dataclasses, `datetime`, `UUID` and `Enum` values
(as orjson documents). What orjson refuses goes through the `json` module as before:
dict keys that are not `str`, lone surrogates, integers beyond 64 bits, cycles, and
objects neither writes (which raise `InvalidArgumentError`).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import uuid
from typing import Any, Optional, Set

import orjson

from ._errors import InvalidArgumentError, JSONError

__all__ = ["RawJSON", "dumps", "dumps_value", "loads"]


class RawJSON:
    """JSON text to send as it is (for `Socket`, where a `str` is a string value)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise InvalidArgumentError("RawJSON takes a str of JSON text")
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"


def _not_serialisable(obj: Any) -> TypeError:
    return TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _orjson_native(obj: Any) -> bool:
    """A value orjson writes in a form of its own (and the json module cannot)."""
    if isinstance(obj, (datetime.date, datetime.time, uuid.UUID, enum.Enum)):
        return True
    return dataclasses.is_dataclass(obj) and not isinstance(obj, type)


def _default(obj: Any) -> Any:
    """What the encoders hand back: subclasses of the built-in types as those types
    (orjson does not write float, tuple or set subclasses itself), then plain objects
    (like the seed doc's `Message` class) as their attributes."""
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, (list, tuple)):
        return list(obj)
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, (set, frozenset)) or _orjson_native(obj):
        raise _not_serialisable(obj)
    if hasattr(obj, "__dict__"):
        return vars(obj)
    raise _not_serialisable(obj)


def _default_json(obj: Any) -> Any:
    """The json module's fallback: as `_default`, and orjson's own types in orjson's
    form, so a value writes the same whichever encoder takes it."""
    if _orjson_native(obj):
        return orjson.loads(orjson.dumps(obj, default=_default))
    return _default(obj)


# One encoder for every call (json.dumps would build one per call with these options).
# allow_nan=False: the fast C encoder refuses NaN, and `_finite` then rewrites the value.
_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default_json
)


def _key(key: Any) -> Any:
    """A dict key as JavaScript's `String()` writes a non-finite number."""
    if isinstance(key, float) and not math.isfinite(key):
        return "NaN" if key != key else ("Infinity" if key > 0 else "-Infinity")
    return key


def _finite(value: Any, active: Set[int]) -> Any:
    """`value` with every NaN / ±Infinity replaced by None, as `JSON.stringify` does."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, (set, frozenset)) or _orjson_native(value):
        return value  # the encoder decides (and names the type it cannot write)
    if not isinstance(value, (dict, list, tuple)) and not hasattr(value, "__dict__"):
        return value
    if id(value) in active:
        raise ValueError("Circular reference detected")
    active.add(id(value))
    try:
        if isinstance(value, dict):
            return {_key(k): _finite(v, active) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [_finite(v, active) for v in value]
        return _finite(vars(value), active)
    finally:
        active.discard(id(value))


def _encode(value: Any, what: str) -> str:
    try:
        return orjson.dumps(value, default=_default).decode()
    except Exception:  # orjson.JSONEncodeError is a TypeError; user code may raise anything
        pass  # the json module's path below has its own answer for each of these
    try:
        try:
            return _ENCODER.encode(value)
        except ValueError:  # a NaN or an infinity somewhere (or a cycle)
            return _ENCODER.encode(_finite(value, set()))
    except Exception as e:
        raise InvalidArgumentError(f"{what} is not JSON-serialisable: {e}") from e


def dumps(value: Any, what: str = "value") -> str:
    """For Client/Monitor: a `str` is already JSON text; anything else is serialised."""
    if isinstance(value, str):
        return value
    if isinstance(value, RawJSON):
        return value.text
    return _encode(value, what)


def dumps_value(value: Any, what: str = "data") -> Optional[str]:
    """For Socket: every value is serialised (a `str` is a string); `RawJSON` is kept."""
    if isinstance(value, RawJSON):
        return value.text
    return _encode(value, what)


def loads(text: Optional[str]) -> Any:
    """JSON text that came from the core (already valid JSON), parsed.

    The `json` module keeps what JavaScript keeps (lone surrogates, integers beyond 64
    bits) but recurses once per level and gives up near 1000 levels with a
    `RecursionError`; any app can send that much nesting inside a string payload.
    Such text is read by orjson instead, which does not recurse and reads up to 1024
    levels (integers beyond 64 bits then become floats). Deeper text raises
    `JSONError`; the connection goes on."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except RecursionError:
        pass
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise JSONError(f"JSON nested too deeply to read in Python: {e}") from e
