"""Technicians busy, on site and on duty: time-weighted levels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally
from .workloads import WorkloadTally


@dataclass(frozen=True, slots=True)
class LevelsSnapshot:
    busy: LevelSums
    on_site: LevelSums
    on_duty: LevelSums


class LevelTally(Tally):
    """Technicians busy (dispatched -> released), on site (arrived -> left) and on duty
    (shifts), each a time-weighted level.

    Parameters
    ----------
    technicians
        Technicians on duty from the start (all of them without a shift calendar).
    instant_trips
        Trips take no time, technicians do not drive back and no visit is cut short
        (no parts): the model starts the repair at the instant of the dispatch and
        releases the technician at the instant the machine works again, so the busy and
        on-site levels change at the same instants and one level, changed on arrival
        and on release, serves for both.
    workloads
        The first team's workloads (made with ``by_levels=True``): each release adds the
        technician's busy hours to it here (one report per release instead of two).
    """

    __slots__ = ("busy", "instant_trips", "on_duty", "on_site_level", "workloads")
    name = "levels"

    def __init__(
        self, technicians: int, instant_trips: bool = False, workloads: WorkloadTally | None = None
    ) -> None:
        super().__init__()
        self.busy = Level()
        self.instant_trips = instant_trips
        self.on_site_level = self.busy if instant_trips else Level()
        self.on_duty = Level(technicians)
        if workloads is not None and not workloads.by_levels:
            raise ValueError("the workloads carried by the levels must be made with by_levels=True")
        self.workloads = workloads

    def handles(self) -> dict[str, Callable[..., None]]:
        out: dict[str, Callable[..., None]] = {
            "on_site": self.on_site,
            "released": self.released if self.workloads is None else self.released_with_workloads,
            "paused": self.paused,
            "resumed": self.resumed,
            "duty": self.duty,
        }
        if not self.instant_trips:
            out.update(dispatched=self.dispatched, restored=self.restored, left_site=self.left_site)
        return out

    # -- reports (Level.change inline: these run for every call) ----------------

    def dispatched(self, call: CallLike, now: float) -> None:
        lv = self.busy
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value += 1

    def on_site(self, call: CallLike, now: float) -> None:
        lv = self.on_site_level
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value += 1

    def restored(self, call: CallLike, now: float) -> None:
        lv = self.on_site_level
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value -= 1

    def left_site(self, call: CallLike, now: float) -> None:
        """A visit ended without fixing the machine."""
        self.on_site_level.change(-1, now)

    def released(self, call: CallLike, now: float) -> None:
        lv = self.busy
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value -= 1

    def released_with_workloads(self, call: CallLike, now: float) -> None:
        """:meth:`released` and :meth:`WorkloadTally.released` in one report."""
        lv = self.busy
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value -= 1
        w = self.workloads
        assert w is not None
        if call.technician < w.team_size:  # (WorkloadTally.released, inline)
            end, start, started = w.end, w.start, call.job_started_at
            busy = (now if now < end else end) - (started if started > start else start)
            if busy > 0.0:
                w.busy_h[call.technician] += busy

    def paused(self, call: CallLike, now: float, on_site: bool) -> None:
        """A job stopped at a shift end, to resume at the next shift."""
        self.busy.change(-1, now)
        if on_site and not self.instant_trips:
            self.on_site_level.change(-1, now)

    def resumed(self, call: CallLike, now: float, on_site: bool) -> None:
        self.busy.change(1, now)
        if on_site and not self.instant_trips:
            self.on_site_level.change(1, now)

    def duty(self, delta: int, now: float) -> None:
        """Technicians come on (delta > 0) or go off (delta < 0) shift."""
        self.on_duty.change(delta, now)

    # -- the window and the KPIs -------------------------------------------------

    def _levels(self) -> tuple[Level, ...]:
        if self.instant_trips:
            return (self.busy, self.on_duty)
        return (self.busy, self.on_site_level, self.on_duty)

    def clear(self, now: float) -> None:
        for level in self._levels():
            level.reset(now)

    def close(self, now: float) -> None:
        super().close(now)
        for level in self._levels():
            level.freeze(now)

    def snapshot(self, now: float) -> LevelsSnapshot:
        return LevelsSnapshot(
            self.busy.snapshot(now), self.on_site_level.snapshot(now), self.on_duty.snapshot(now)
        )

    def absorb(self, snapshot: LevelsSnapshot, now: float) -> None:
        if self.instant_trips:  # merged, the on-site level is summed on its own
            self.instant_trips = False
            self.on_site_level = Level()
        self.busy.absorb(snapshot.busy, self.start, now)
        self.on_site_level.absorb(snapshot.on_site, self.start, now)
        self.on_duty.absorb(snapshot.on_duty, self.start, now)

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        # available technician-hours: all of them on the continuous clock, shifts otherwise
        available = self.on_duty.mean(now)
        busy = self.busy.mean(now) / available if available > 0 else NAN
        on_site = self.on_site_level.mean(now) / available if available > 0 else NAN
        rows["all"].update(utilization=busy, utilization_onsite=on_site, travel_share=busy - on_site)
