"""Internal work (category D): technicians in internal tasks, a time-weighted level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .tally import Tally


@dataclass(frozen=True, slots=True)
class InternalSnapshot:
    working: LevelSums
    on_duty: LevelSums
    technicians: int


class InternalTally(Tally):
    """Technicians doing internal work (from a task's start to its end) and technicians on
    duty, each a time-weighted level; built only for scenarios with ``[work.internal]``.

    Internal time is measured apart from the busy level: ``utilization`` stays travel +
    on site, ``internal_share`` is internal hours over available (on-duty) hours.

    Parameters
    ----------
    technicians
        Technicians of the task (all on duty at the start).
    hours_per_day
        Length of a working day (for ``internal_h_per_day``).
    """

    __slots__ = ("hours_per_day", "on_duty", "technicians", "working")
    name = "internal"

    def __init__(self, technicians: int, hours_per_day: float) -> None:
        super().__init__()
        self.technicians = technicians
        self.hours_per_day = hours_per_day
        self.working = Level()
        self.on_duty = Level(technicians)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"internal": self.internal, "duty": self.duty}

    def internal(self, delta: int, now: float) -> None:
        """Technicians start (``delta > 0``) or finish (``delta < 0``) internal tasks."""
        self.working.change(delta, now)

    def duty(self, delta: int, now: float) -> None:
        self.on_duty.change(delta, now)

    def clear(self, now: float) -> None:
        self.working.reset(now)
        self.on_duty.reset(now)

    def close(self, now: float) -> None:
        super().close(now)
        self.working.freeze(now)
        self.on_duty.freeze(now)

    def snapshot(self, now: float) -> InternalSnapshot:
        return InternalSnapshot(self.working.snapshot(now), self.on_duty.snapshot(now), self.technicians)

    def absorb(self, snapshot: InternalSnapshot, now: float) -> None:
        self.working.absorb(snapshot.working, self.start, now)
        self.on_duty.absorb(snapshot.on_duty, self.start, now)
        self.technicians += snapshot.technicians

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        working = self.working.mean(now)  # technicians in internal tasks, on average
        available = self.on_duty.mean(now)
        row = rows["all"]
        row["internal_share"] = working / available if available > 0 else NAN
        # internal hours per technician per working day
        row["internal_h_per_day"] = working / self.technicians * self.hours_per_day
