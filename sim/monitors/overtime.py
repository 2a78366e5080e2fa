"""Overtime: work beyond the shift end, per technician and week."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN
from .tally import Tally


@dataclass(frozen=True, slots=True)
class OvertimeSnapshot:
    hours: float
    technicians: int


class OvertimeTally(Tally):
    """Hours worked past the shift ends inside the window (0 without a shift calendar,
    which is still reported: ``overtime_h_per_week`` is a column of every table)."""

    __slots__ = ("hours", "shifts", "technicians")
    name = "overtime"

    def __init__(self, technicians: int, shifts: bool = True) -> None:
        super().__init__()
        self.technicians = technicians
        self.shifts = shifts
        self.hours = 0.0

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"overtime": self.overtime} if self.shifts else {}

    def overtime(self, hours: float, now: float) -> None:
        """A job finished after its shift ended, taking ``hours`` beyond it."""
        if self.start <= now < self.end:
            self.hours += hours

    def clear(self, now: float) -> None:
        self.hours = 0.0

    def snapshot(self, now: float) -> OvertimeSnapshot:
        return OvertimeSnapshot(self.hours, self.technicians)

    def absorb(self, snapshot: OvertimeSnapshot, now: float) -> None:
        self.hours += snapshot.hours
        self.technicians += snapshot.technicians

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = now - self.start
        rows["all"]["overtime_h_per_week"] = (
            self.hours / self.technicians / (span / 168.0) if span > 0 else NAN
        )
