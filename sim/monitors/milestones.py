"""The restored milestone: calls whose machine worked again within the class's promise.

Built only when a class has ``restore_sla_h``.  A call is counted under the rule of the
other call KPIs (logged inside the measured window, followed until its machine works
again), so the share needs no look-ahead and has no end-of-run bias.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .level import NAN
from .protocol import CallLike
from .tally import Tally

#: ``add_business_hours(start, hours)``: the instant ``hours`` customer hours after ``start``
BusinessClock = Callable[[float, float], float]


@dataclass(frozen=True)
class RestorePromises:
    """The restored milestone of every row of the tables.

    Attributes
    ----------
    targets_h
        Per row (the classes, then the job types): the hours within which the machine
        must work again, or ``None`` (no promise; job types have none).
    business
        Per row: the clock counts customer hours only.
    part_wait_stops_clock
        Per row: hours waiting for parts are not counted (wall clock only).
    add_business_hours
        The customer-hours clock (needed if any row counts business hours).
    """

    targets_h: Sequence[float | None]
    business: Sequence[bool]
    part_wait_stops_clock: Sequence[bool]
    add_business_hours: BusinessClock | None = None


@dataclass(frozen=True, slots=True)
class MilestoneSnapshot:
    restored: tuple[int, ...]  # per row: calls restored (of those with a promise)
    met: tuple[int, ...]  # per row: of which within the promise


class MilestoneTally(Tally):
    """Per row: calls with a restore promise that were restored, and how many in time."""

    __slots__ = ("class_names", "met", "promises", "restored_calls")
    name = "milestones"

    def __init__(self, class_names: Sequence[str], promises: RestorePromises) -> None:
        super().__init__()
        if any(promises.business) and promises.add_business_hours is None:
            raise ValueError("a business-hours promise needs the customer-hours clock")
        self.class_names = list(class_names)
        self.promises = promises
        self.restored_calls = [0] * len(self.class_names)
        self.met = [0] * len(self.class_names)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"restored": self.restored}

    def restored(self, call: CallLike, now: float) -> None:
        row = call.service_class
        p = self.promises
        hours = p.targets_h[row]
        if hours is None or not self.warm_end <= call.logged_at < self.end:
            return
        self.restored_calls[row] += 1
        if p.business[row]:
            assert p.add_business_hours is not None
            met = now <= p.add_business_hours(call.failed_at, hours)
        else:
            elapsed = now - call.failed_at
            if p.part_wait_stops_clock[row]:
                elapsed -= call.part_wait
            met = elapsed <= hours
        self.met[row] += met

    def clear(self, now: float) -> None:
        self.restored_calls = [0] * len(self.class_names)
        self.met = [0] * len(self.class_names)

    def snapshot(self, now: float) -> MilestoneSnapshot:
        return MilestoneSnapshot(tuple(self.restored_calls), tuple(self.met))

    def absorb(self, snapshot: MilestoneSnapshot, now: float) -> None:
        self.restored_calls = [a + b for a, b in zip(self.restored_calls, snapshot.restored, strict=True)]
        self.met = [a + b for a, b in zip(self.met, snapshot.met, strict=True)]

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        targets = self.promises.targets_h
        calls = met = 0
        for i, name in enumerate(self.class_names):
            if targets[i] is None:
                continue
            n, m = self.restored_calls[i], self.met[i]
            calls += n
            met += m
            rows[name]["restore_met"] = m / n if n else NAN
        rows["all"]["restore_met"] = met / calls if calls else NAN
