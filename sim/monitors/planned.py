"""Planned work: preventive maintenance (``[work.maintenance]``: planned visits, their
window, the technician hours they take, and the breakdowns they avoid) and key-customer
visits (``[work.visits]``: visits per day and in their window).

Each tally is built only for a system with that plan.  A planned visit is a call of the
``maintenance`` row (after the classes); its ``logged_at`` is its due time and its
``due_at`` the end of its window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class PlannedSnapshot:
    visits: int
    on_site: int
    in_window: int
    breakdowns: int
    busy: LevelSums
    resting: LevelSums


class PlannedTally(Tally):
    """Planned visits and breakdowns of one task.

    * ``pm_visits_per_day``: planned visits finished per working day (in the window).
    * ``pm_in_window``: share of the planned visits due in the window whose technician
      was on site by the end of their tolerance window.
    * ``pm_h_per_day``: technician-hours (travel + on site, dispatch -> release) on planned
      visits per working day, all technicians together.
    * ``breakdowns_per_day``: breakdown calls logged per working day.
    * ``breakdowns_avoided``: per working day, the breakdowns that the machines' working
      hours would have had at the rate of a machine without the plan (1 / mean life, the
      renewal rate), minus the breakdowns logged.  A machine works (ages) except from its
      breakdown to its repair's end and from a planned visit's dispatch to its end.

    Parameters
    ----------
    row
        The planned visits' row (``service_class``); the rows before it are the classes'.
    machines
        Machines of the task.
    mean_life_h
        Mean time to failure of a machine (the renewal rate without the plan is its inverse).
    hours_per_day
        Length of a working day.
    breakdowns
        The rows of breakdown calls are those below it (default ``row``): with the
        installation job of ``[fleet.lifecycle]`` its row lies between the classes' and
        the planned visits'.
    """

    __slots__ = (
        "breakdown_rows",
        "breakdowns",
        "busy",
        "hours_per_day",
        "in_window",
        "machines",
        "mean_life_h",
        "on_site",
        "resting",
        "row",
        "visits",
    )
    name = "planned"

    def __init__(
        self, row: int, machines: int, mean_life_h: float, hours_per_day: float, breakdowns: int | None = None
    ) -> None:
        super().__init__()
        self.row = row
        self.breakdown_rows = row if breakdowns is None else breakdowns
        self.machines = machines
        self.mean_life_h = mean_life_h
        self.hours_per_day = hours_per_day
        self.visits = 0
        self.on_site = 0
        self.in_window = 0
        self.breakdowns = 0
        self.busy = Level()  # technicians on planned visits
        self.resting = Level()  # machines not ageing: broken down, or in a planned visit

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "logged": self.logged,
            "dispatched": self.dispatched,
            "on_site": self.arrived,
            "restored": self.restored,
            "released": self.released,
            "paused": self.paused,
            "resumed": self.resumed,
        }

    def logged(self, call: CallLike, now: float) -> None:
        if call.service_class < self.breakdown_rows:  # a breakdown
            self.resting.change(1, now)
            if self.start <= now < self.end:
                self.breakdowns += 1

    def dispatched(self, call: CallLike, now: float) -> None:
        if call.service_class == self.row:
            self.busy.change(1, now)
            self.resting.change(1, now)

    def arrived(self, call: CallLike, now: float) -> None:
        if call.service_class == self.row and self.warm_end <= call.logged_at < self.end:
            self.on_site += 1
            self.in_window += now <= call.due_at

    def restored(self, call: CallLike, now: float) -> None:
        if call.service_class < self.breakdown_rows or call.service_class == self.row:
            self.resting.change(-1, now)
            if call.service_class == self.row and self.start <= now < self.end:
                self.visits += 1

    def released(self, call: CallLike, now: float) -> None:
        if call.service_class == self.row:
            self.busy.change(-1, now)

    def paused(self, call: CallLike, now: float, on_site: bool) -> None:
        if call.service_class == self.row:
            self.busy.change(-1, now)

    def resumed(self, call: CallLike, now: float, on_site: bool) -> None:
        if call.service_class == self.row:
            self.busy.change(1, now)

    def clear(self, now: float) -> None:
        self.visits = self.on_site = self.in_window = self.breakdowns = 0
        self.busy.reset(now)
        self.resting.reset(now)

    def close(self, now: float) -> None:
        super().close(now)
        self.busy.freeze(now)
        self.resting.freeze(now)

    def snapshot(self, now: float) -> PlannedSnapshot:
        return PlannedSnapshot(
            self.visits,
            self.on_site,
            self.in_window,
            self.breakdowns,
            self.busy.snapshot(now),
            self.resting.snapshot(now),
        )

    def absorb(self, snapshot: PlannedSnapshot, now: float) -> None:
        self.visits += snapshot.visits
        self.on_site += snapshot.on_site
        self.in_window += snapshot.in_window
        self.breakdowns += snapshot.breakdowns
        self.busy.absorb(snapshot.busy, self.start, now)
        self.resting.absorb(snapshot.resting, self.start, now)
        # (the machines are those of this tally's territories: a merge covers all blocks')

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = now - self.start
        row = rows["all"]
        if span <= 0:
            return
        per_day = self.hours_per_day / span
        row["pm_visits_per_day"] = self.visits * per_day
        row["pm_in_window"] = self.in_window / self.on_site if self.on_site else NAN
        row["pm_h_per_day"] = self.busy.mean(now) * self.hours_per_day
        row["breakdowns_per_day"] = self.breakdowns * per_day
        working_h = (self.machines - self.resting.mean(now)) * span  # machine-hours of ageing
        row["breakdowns_avoided"] = (working_h / self.mean_life_h - self.breakdowns) * per_day


@dataclass(frozen=True, slots=True)
class VisitSnapshot:
    visits: int
    on_site: int
    in_window: int


class VisitTally(Tally):
    """Key-customer visits of one task: ``visits_per_day`` (visits finished per working
    day) and ``visits_in_window`` (share of the visits due in the window whose technician
    was on site by the end of their tolerance window).

    Parameters
    ----------
    row
        The visits' row (``service_class``).
    hours_per_day
        Length of a working day.
    """

    __slots__ = ("hours_per_day", "in_window", "on_site", "row", "visits")
    name = "visits"

    def __init__(self, row: int, hours_per_day: float) -> None:
        super().__init__()
        self.row = row
        self.hours_per_day = hours_per_day
        self.visits = self.on_site = self.in_window = 0

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"on_site": self.arrived, "restored": self.restored}

    def arrived(self, call: CallLike, now: float) -> None:
        if call.service_class == self.row and self.warm_end <= call.logged_at < self.end:
            self.on_site += 1
            self.in_window += now <= call.due_at

    def restored(self, call: CallLike, now: float) -> None:
        if call.service_class == self.row and self.start <= now < self.end:
            self.visits += 1

    def clear(self, now: float) -> None:
        self.visits = self.on_site = self.in_window = 0

    def snapshot(self, now: float) -> VisitSnapshot:
        return VisitSnapshot(self.visits, self.on_site, self.in_window)

    def absorb(self, snapshot: VisitSnapshot, now: float) -> None:
        self.visits += snapshot.visits
        self.on_site += snapshot.on_site
        self.in_window += snapshot.in_window

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = now - self.start
        row = rows["all"]
        if span > 0:
            row["visits_per_day"] = self.visits * self.hours_per_day / span
        row["visits_in_window"] = self.in_window / self.on_site if self.on_site else NAN
