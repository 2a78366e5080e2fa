"""Technician hours by the service report's category (``[work.categories]``): A paid
service, B contract service, C free service under warranty, D internal work and other.

Built only for a system with categories.  A call's hours are its technician's from the
dispatch to the release (the trip included, as the busy level counts them) and go to its
row's category; internal tasks go to D.  So A + B + C + D = utilization + internal_share,
each a share of the paid (on-duty) technician-hours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally

#: the KPIs of the four categories, A to D
CATEGORY_KPIS = ("hours_a_share", "hours_b_share", "hours_c_share", "hours_d_share")
#: the index of category D, which holds the internal tasks
INTERNAL = 3


@dataclass(frozen=True, slots=True)
class CategorySnapshot:
    busy: tuple[LevelSums, ...]  # technicians on each category's work
    on_duty: LevelSums


class CategoryTally(Tally):
    """Technicians on each category's work and technicians on duty, time-weighted levels.

    Parameters
    ----------
    row_category
        The category (0 to 3: A to D) of each row (``service_class``) of the tables.
    technicians
        Technicians on duty from the start.
    """

    __slots__ = ("busy", "on_duty", "row_level")
    name = "categories"

    def __init__(self, row_category: Sequence[int], technicians: int) -> None:
        super().__init__()
        self.busy = [Level() for _ in CATEGORY_KPIS]
        self.row_level = [self.busy[c] for c in row_category]  # each row's category level
        self.on_duty = Level(technicians)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "dispatched": self.dispatched,
            "released": self.released,
            "paused": self.paused,
            "resumed": self.resumed,
            "internal": self.internal,
            "duty": self.duty,
        }

    def dispatched(self, call: CallLike, now: float) -> None:
        self.row_level[call.service_class].change(1, now)

    def released(self, call: CallLike, now: float) -> None:
        self.row_level[call.service_class].change(-1, now)

    def paused(self, call: CallLike, now: float, on_site: bool) -> None:
        self.row_level[call.service_class].change(-1, now)

    def resumed(self, call: CallLike, now: float, on_site: bool) -> None:
        self.row_level[call.service_class].change(1, now)

    def internal(self, delta: int, now: float) -> None:
        self.busy[INTERNAL].change(delta, now)

    def duty(self, delta: int, now: float) -> None:
        self.on_duty.change(delta, now)

    def clear(self, now: float) -> None:
        for level in (*self.busy, self.on_duty):
            level.reset(now)

    def close(self, now: float) -> None:
        super().close(now)
        for level in (*self.busy, self.on_duty):
            level.freeze(now)

    def snapshot(self, now: float) -> CategorySnapshot:
        return CategorySnapshot(tuple(lv.snapshot(now) for lv in self.busy), self.on_duty.snapshot(now))

    def absorb(self, snapshot: CategorySnapshot, now: float) -> None:
        for level, sums in zip(self.busy, snapshot.busy, strict=True):
            level.absorb(sums, self.start, now)
        self.on_duty.absorb(snapshot.on_duty, self.start, now)

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        available = self.on_duty.mean(now)
        row = rows["all"]
        for kpi, level in zip(CATEGORY_KPIS, self.busy, strict=True):
            row[kpi] = level.mean(now) / available if available > 0 else NAN
