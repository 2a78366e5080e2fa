"""Spare parts and revisits: stock levels, demands, backorder delays, costs, and the
calls waiting for another visit.

Counts of events (part demands, emergencies, parts used) are those inside the window;
a part backorder is charged to the window of its demand (like a call, followed past the
horizon until it is filled: :meth:`PartsTally.pending`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally

KINDS = ("van", "depot")


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    on_hand: LevelSums
    backorders: LevelSums
    demands: int
    filled: int  # demands met from stock at once
    delay_h: float  # backorder delays, summed


@dataclass(frozen=True, slots=True)
class PartsSnapshot:
    van: StockSnapshot
    depot: StockSnapshot
    revisits_waiting: LevelSums
    parts_cost: float
    emergencies: int


class _Stock:
    """The running sums of one kind of stock point (all vans, or all depots)."""

    __slots__ = ("backorders", "delay_h", "demands", "filled", "on_hand")

    def __init__(self) -> None:
        self.on_hand = Level()
        self.backorders = Level()
        self.demands = 0
        self.filled = 0
        self.delay_h = 0.0

    def clear(self, now: float) -> None:
        self.on_hand.reset(now)
        self.backorders.reset(now)
        self.demands = self.filled = 0
        self.delay_h = 0.0


class PartsTally(Tally):
    """Stock on hand and backorders (time-weighted), demands and fill, backorder delays,
    parts cost, emergency shipments and the calls waiting for a revisit."""

    __slots__ = (
        "emergencies",
        "hours_per_day",
        "open_backorders",
        "parts_cost",
        "revisits_waiting",
        "stocks",
    )
    name = "parts"

    def __init__(self, hours_per_day: float) -> None:
        super().__init__()
        self.hours_per_day = hours_per_day
        self.stocks = {k: _Stock() for k in KINDS}
        # calls waiting for a second (third ...) visit, apart from the first waits, so
        # that queue_len = arrival rate x wait_h (Little) still holds
        self.revisits_waiting = Level()
        self.parts_cost = 0.0
        self.emergencies = 0
        self.open_backorders = 0  # part backorders of the window not yet filled

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "dispatched": self.dispatched,
            "requeued": self.requeued,
            "part_used": self.part_used,
            "emergency": self.emergency,
            "stock": self.stock,
            "part_demand": self.part_demand,
            "backorder_filled": self.backorder_filled,
        }

    def dispatched(self, call: CallLike, now: float) -> None:
        if call.visits:
            self.revisits_waiting.change(-1, now)

    def requeued(self, call: CallLike, now: float) -> None:
        """The call waits again for a technician (a revisit)."""
        self.revisits_waiting.change(1, now)

    def part_used(self, unit_cost: float, now: float) -> None:
        if self.start <= now < self.end:
            self.parts_cost += unit_cost

    def emergency(self, now: float) -> None:
        if self.start <= now < self.end:
            self.emergencies += 1

    def stock(self, kind: str, on_hand: int, backorders: int, now: float) -> None:
        """Stock on the shelf or backorders changed at a van or a depot."""
        s = self.stocks[kind]
        if on_hand:
            s.on_hand.change(on_hand, now)
        if backorders:
            s.backorders.change(backorders, now)
            if backorders > 0 and self.warm_end <= now < self.end:
                self.open_backorders += backorders

    def part_demand(self, kind: str, filled: bool, now: float) -> None:
        if self.start <= now < self.end:
            s = self.stocks[kind]
            s.demands += 1
            s.filled += filled

    def backorder_filled(self, kind: str, delay: float, now: float) -> None:
        """A backorder is filled after ``delay`` hours: charged to the window of its demand."""
        if self.warm_end <= now - delay < self.end:
            self.stocks[kind].delay_h += delay
            self.open_backorders = max(0, self.open_backorders - 1)

    # -- the window -------------------------------------------------------------

    def reset(self, now: float) -> None:
        super().reset(now)
        self.open_backorders = 0

    def clear(self, now: float) -> None:
        for s in self.stocks.values():
            s.clear(now)
        self.revisits_waiting.reset(now)
        self.parts_cost = 0.0
        self.emergencies = 0

    def close(self, now: float) -> None:
        super().close(now)
        for s in self.stocks.values():
            s.on_hand.freeze(now)
            s.backorders.freeze(now)
        self.revisits_waiting.freeze(now)

    def pending(self) -> bool:
        return self.open_backorders > 0

    # -- snapshots and KPIs -----------------------------------------------------

    def _stock_snapshot(self, kind: str, now: float) -> StockSnapshot:
        s = self.stocks[kind]
        return StockSnapshot(
            s.on_hand.snapshot(now), s.backorders.snapshot(now), s.demands, s.filled, s.delay_h
        )

    def snapshot(self, now: float) -> PartsSnapshot:
        return PartsSnapshot(
            self._stock_snapshot("van", now),
            self._stock_snapshot("depot", now),
            self.revisits_waiting.snapshot(now),
            self.parts_cost,
            self.emergencies,
        )

    def absorb(self, snapshot: PartsSnapshot, now: float) -> None:
        for kind, theirs in (("van", snapshot.van), ("depot", snapshot.depot)):
            s = self.stocks[kind]
            s.on_hand.absorb(theirs.on_hand, self.start, now)
            s.backorders.absorb(theirs.backorders, self.start, now)
            s.demands += theirs.demands
            s.filled += theirs.filled
            s.delay_h += theirs.delay_h
        self.revisits_waiting.absorb(snapshot.revisits_waiting, self.start, now)
        self.parts_cost += snapshot.parts_cost
        self.emergencies += snapshot.emergencies

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = now - self.start
        days = span / self.hours_per_day
        out = rows["all"]
        for kind in KINDS:
            s = self.stocks[kind]
            demands = s.demands
            out[f"fill_rate_{kind}"] = s.filled / demands if demands else NAN
            out[f"{kind}_on_hand"] = s.on_hand.mean(now)
            out[f"{kind}_backorders"] = s.backorders.mean(now)
            out[f"{kind}_demand_per_h"] = demands / span if span > 0 else NAN
            out[f"{kind}_delay_per_demand_h"] = s.delay_h / demands if demands else NAN
        out["revisit_queue_len"] = self.revisits_waiting.mean(now)
        out["emergency_per_day"] = self.emergencies / days if days > 0 else NAN
        out["parts_cost_per_day"] = self.parts_cost / days if days > 0 else NAN
