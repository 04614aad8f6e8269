"""`Backoff`: how long a client waits before each reconnect attempt (the core's
`remotedev::client::Backoff`; README "Reconnect")."""

from __future__ import annotations

import typing
from typing import Literal, Optional

__all__ = ["Backoff"]


class Backoff(typing.NamedTuple):
    """Reconnect waits, in seconds. Fields left None keep the defaults of the chosen
    `schedule`, which the core owns:

    - `"jittered"` (default): `initial_delay` 0.25 + up to `randomness` 0.25 before the
      first retry, then a random wait in `[d/2, d]` with `d` growing by `multiplier` 2
      up to `max_delay` 30 — back within about a second after a relay restart, at
      most 8 attempts in a relay's first 30 s down.
    - `"reference"`: socketcluster-client's `(initial_delay + randomness·r) ·
      multiplierⁿ` capped at `max_delay`, with 10, 10, 1.5 and 60.

    The core refuses a `multiplier` below 1, a `max_delay` below `initial_delay` and
    negative or non-finite seconds with `InvalidOptionError`.
    """

    initial_delay: Optional[float] = None
    randomness: Optional[float] = None
    multiplier: Optional[float] = None
    max_delay: Optional[float] = None
    schedule: Optional[Literal["jittered", "reference"]] = None

    @classmethod
    def reference(cls) -> "Backoff":
        """socketcluster-client's schedule and timings."""
        return cls(schedule="reference")
