"""The measured window that every tally keeps, and the defaults of :class:`Monitor`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


class Tally:
    """Base of the tallies: the window ``[start, end)`` and do-nothing defaults.

    ``start`` begins the current measurement (the end of the warm-up, or of the last
    batch); calls logged before ``warm_end`` are never tallied, nor calls logged from
    ``end`` (the end of the horizon) on.  Each tally keeps its own copy of the window,
    so that a report costs no lookup in another object.
    """

    __slots__ = ("end", "start", "warm_end")
    name = "tally"

    def __init__(self) -> None:
        self.start = 0.0
        self.warm_end = 0.0
        self.end = math.inf

    def handles(self) -> dict[str, Callable[..., None]]:
        """The reports this tally needs, as bound methods (see :data:`EVENTS`)."""
        return {}

    def reset(self, now: float) -> None:
        self.start = self.warm_end = now
        self.end = math.inf
        self.clear(now)

    def new_batch(self, now: float) -> None:
        self.start = now
        self.end = math.inf
        self.clear(now)

    def clear(self, now: float) -> None:
        """Restart the sums at ``now`` (a reset or a new batch)."""

    def close(self, now: float) -> None:
        self.end = now

    def pending(self) -> bool:
        return False

    def snapshot(self, now: float) -> Any:
        return None

    def absorb(self, snapshot: Any, now: float) -> None:
        pass

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        pass
