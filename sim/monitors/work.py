"""The work mix: calls per row when job types share the technicians, and technician
hours by row (a service class's breakdowns, or a job type's jobs).

Built only for a system with job types (``[[work.types]]``): a system without them
keeps :class:`~sim.monitors.calls.CallTally` as it is and no hours tally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .calls import CallTally
from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally


class WorkCallTally(CallTally):
    """:class:`CallTally` for a system with job types: a job puts no machine down.

    Rows from ``breakdown_rows`` on are job types; their calls are tallied as every
    call is (waits, responses, completions, on-time share), but they leave the level of
    machines down alone.  The other arguments are :class:`CallTally`'s.
    """

    __slots__ = ("breakdown_rows",)

    def __init__(
        self,
        breakdown_rows: int,
        class_names: Sequence[str],
        sla_h: Sequence[float | None],
        thresholds_h: Sequence[float],
        hours_per_day: float,
        revisits: bool = True,
        responses: bool = True,
    ) -> None:
        super().__init__(class_names, sla_h, thresholds_h, hours_per_day, revisits, responses)
        self.breakdown_rows = breakdown_rows

    def logged(self, call: CallLike, now: float) -> None:
        if call.service_class < self.breakdown_rows:
            super().logged(call, now)
            return
        self.waiting[call.service_class].change(1, now)
        if self.warm_end <= call.logged_at < self.end:
            self.tally[call.service_class].logged += 1

    def restored(self, call: CallLike, now: float) -> None:
        if call.service_class < self.breakdown_rows:
            super().restored(call, now)
            return
        # CallTally.restored without the machines down: the job is done (completion)
        end = self.end
        t = self.tally[call.service_class]
        if self.start <= now < end:
            t.completed += 1
        if self.warm_end <= call.logged_at < end:
            t.restores += 1
            t.restore_sum += now - call.failed_at
            if self.revisits:
                t.visits += call.visits
                t.first_time += call.visits == 1
                t.part_wait += call.part_wait


@dataclass(frozen=True, slots=True)
class HoursSnapshot:
    busy: tuple[LevelSums, ...]  # technicians busy on each row's calls
    on_duty: LevelSums


class HoursTally(Tally):
    """Technician hours by row: busy (travel + on site, dispatch -> release) on the calls
    of each service class and each job type, as a share of the available technician-hours
    (``hours_share``; the ``all`` row's is the utilisation).

    Parameters
    ----------
    rows
        Names of the rows (service classes, then job types).
    technicians
        Technicians on duty from the start.
    """

    __slots__ = ("busy", "on_duty", "rows")
    name = "hours"

    def __init__(self, rows: Sequence[str], technicians: int) -> None:
        super().__init__()
        self.rows = list(rows)
        self.busy = [Level() for _ in self.rows]
        self.on_duty = Level(technicians)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "dispatched": self.dispatched,
            "released": self.released,
            "paused": self.paused,
            "resumed": self.resumed,
            "duty": self.duty,
        }

    def dispatched(self, call: CallLike, now: float) -> None:
        self.busy[call.service_class].change(1, now)

    def released(self, call: CallLike, now: float) -> None:
        self.busy[call.service_class].change(-1, now)

    def paused(self, call: CallLike, now: float, on_site: bool) -> None:
        self.busy[call.service_class].change(-1, now)

    def resumed(self, call: CallLike, now: float, on_site: bool) -> None:
        self.busy[call.service_class].change(1, now)

    def duty(self, delta: int, now: float) -> None:
        self.on_duty.change(delta, now)

    def clear(self, now: float) -> None:
        for level in (*self.busy, self.on_duty):
            level.reset(now)

    def close(self, now: float) -> None:
        super().close(now)
        for level in (*self.busy, self.on_duty):
            level.freeze(now)

    def snapshot(self, now: float) -> HoursSnapshot:
        return HoursSnapshot(tuple(lv.snapshot(now) for lv in self.busy), self.on_duty.snapshot(now))

    def absorb(self, snapshot: HoursSnapshot, now: float) -> None:
        for level, sums in zip(self.busy, snapshot.busy, strict=True):
            level.absorb(sums, self.start, now)
        self.on_duty.absorb(snapshot.on_duty, self.start, now)

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        available = self.on_duty.mean(now)
        total = 0.0
        for name, level in zip(self.rows, self.busy, strict=True):
            share = level.mean(now) / available if available > 0 else NAN
            rows[name]["hours_share"] = share
            total += share
        rows["all"]["hours_share"] = total
