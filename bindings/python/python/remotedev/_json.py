"""Turning Python values into the JSON text the core sends (no protocol logic here)."""

from __future__ import annotations

import json
from typing import Any, Optional

from ._errors import InvalidArgumentError

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


def _default(obj: Any) -> Any:
    # Plain objects (like the seed doc's `Message` class) go as their attributes.
    if hasattr(obj, "__dict__"):
        return vars(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# One encoder for every call (json.dumps would build one per call with these options).
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default)


def _encode(value: Any, what: str) -> str:
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as e:
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
    return None if text is None else json.loads(text)
