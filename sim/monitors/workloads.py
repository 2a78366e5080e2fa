"""Busy time of each technician of the first team (Larson's hypercube workloads)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.kpis import workload_kpi

from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class WorkloadsSnapshot:
    busy_h: tuple[float, ...]  # per technician of the first team


class WorkloadTally(Tally):
    """Hours each technician of the first team (numbers ``0 .. team_size - 1``) is busy
    inside the window, trips included.

    Parameters
    ----------
    team_size
        Technicians of the first team.
    by_levels
        The technicians' level tally (:class:`~sim.monitors.levels.LevelTally`, given
        this tally) adds the busy hours in its own ``released`` report, so that a
        release costs one report, not two and a fan-out; this tally then handles none.
    """

    __slots__ = ("busy_h", "by_levels", "team_size")
    name = "workloads"

    def __init__(self, team_size: int, by_levels: bool = False) -> None:
        super().__init__()
        self.team_size = team_size
        self.by_levels = by_levels
        self.busy_h = [0.0] * team_size

    def handles(self) -> dict[str, Callable[..., None]]:
        return {} if self.by_levels else {"released": self.released}

    def released(self, call: CallLike, now: float) -> None:
        """The technician is done with the call (repair, and drive back if any)."""
        if call.technician < self.team_size:
            # (min and max written out: builtin calls cost more than the rest of the line)
            end, start, started = self.end, self.start, call.job_started_at
            busy = (now if now < end else end) - (started if started > start else start)
            if busy > 0.0:
                self.busy_h[call.technician] += busy

    def clear(self, now: float) -> None:
        self.busy_h = [0.0] * self.team_size

    def snapshot(self, now: float) -> WorkloadsSnapshot:
        return WorkloadsSnapshot(tuple(self.busy_h))

    def absorb(self, snapshot: WorkloadsSnapshot, now: float) -> None:
        self.busy_h = [a + b for a, b in zip(self.busy_h, snapshot.busy_h, strict=True)]

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = now - self.start
        for i, busy_time in enumerate(self.busy_h):
            rows["all"][workload_kpi(i)] = busy_time / span if span > 0 else NAN
