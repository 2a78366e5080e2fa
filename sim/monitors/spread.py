"""How the mean wait varies across territories (large fleets of many territories)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .protocol import CallLike
from .tally import Tally

#: the spread is reported from this many territories on
MIN_TERRITORIES = 20


@dataclass(frozen=True, slots=True)
class SpreadSnapshot:
    offset: int  # the first territory of the block
    calls: tuple[int, ...]  # per territory of the block
    wait_h: tuple[float, ...]


class TerritorySpread(Tally):
    """Calls tallied and their summed waits per territory; territory numbers start at
    ``offset`` (a block of a large fleet)."""

    __slots__ = ("calls", "offset", "wait_h")
    name = "spread"

    def __init__(self, territories: int, offset: int = 0) -> None:
        super().__init__()
        self.offset = offset
        self.calls = [0] * territories
        self.wait_h = [0.0] * territories

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"dispatched": self.dispatched}

    def dispatched(self, call: CallLike, now: float) -> None:
        if self.warm_end <= call.logged_at < self.end and call.visits == 0:
            i = call.territory - self.offset
            self.calls[i] += 1
            self.wait_h[i] += now - call.logged_at

    def clear(self, now: float) -> None:
        self.calls = [0] * len(self.calls)
        self.wait_h = [0.0] * len(self.wait_h)

    def snapshot(self, now: float) -> SpreadSnapshot:
        return SpreadSnapshot(self.offset, tuple(self.calls), tuple(self.wait_h))

    def absorb(self, snapshot: SpreadSnapshot, now: float) -> None:
        for i, (n, w) in enumerate(zip(snapshot.calls, snapshot.wait_h, strict=True)):
            self.calls[snapshot.offset + i] += n
            self.wait_h[snapshot.offset + i] += w

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        """The 95th percentile of the territories' mean waits, and the mean of the worst
        5 % of territories."""
        if len(self.calls) < MIN_TERRITORIES:
            return
        means = sorted(w / n for w, n in zip(self.wait_h, self.calls, strict=True) if n)
        if not means:
            return
        k = max(1, math.ceil(0.05 * len(means)))
        p95 = means[min(len(means) - 1, math.ceil(0.95 * len(means)) - 1)]
        rows["all"].update(wait_h_territory_p95=p95, wait_h_worst5pct=sum(means[-k:]) / k)
