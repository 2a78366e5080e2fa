"""Complaints and their handling by supervisors (``[complaints]``).

Built only for scenarios with complaints.  ``complaints_per_100_calls`` is a ratio of two
counts over the window: complaints raised in it over customers' calls made in it (as
``repeat_within_window`` is counted): it needs no look-ahead past the horizon and in
steady state has the mean it names, complaints per call, because the calls near the end
whose complaints fall after it are balanced by those before the start whose complaints
fall inside.  A complaint raised in the window is followed until it is resolved (the run
goes on while one is open): ``complaint_h`` (raised -> resolved), ``complaint_wait_h``
(raised -> a supervisor takes it) and ``complaint_met`` (resolved within the deadline).
``supervisor_utilization`` is the time-average of supervisors busy over their number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class ComplaintClassSnapshot:
    calls: int
    raised: int
    taken: int
    wait_sum: float
    resolved: int
    time_sum: float
    met: int


@dataclass(frozen=True, slots=True)
class ComplaintSnapshot:
    classes: tuple[ComplaintClassSnapshot, ...]
    busy: LevelSums


class _Sums:
    __slots__ = ("calls", "met", "raised", "resolved", "taken", "time_sum", "wait_sum")

    def __init__(self) -> None:
        self.calls = 0  # customers' calls made in the window
        self.raised = 0  # complaints raised in the window
        self.taken = 0
        self.wait_sum = 0.0
        self.resolved = 0
        self.time_sum = 0.0
        self.met = 0


class ComplaintTally(Tally):
    """Per class: calls, complaints raised, their waits and resolution times; supervisors busy.

    Parameters
    ----------
    class_names
        The rows of the per-class KPIs: the service classes (job types' jobs and planned
        visits raise no complaints).
    supervisors
        For ``supervisor_utilization``.
    deadline_h
        A complaint is resolved in time within this many hours of being raised.
    helpdesk
        Whether the customer's call is the helpdesk's request (else the call logged).
    """

    __slots__ = ("busy", "class_names", "deadline_h", "helpdesk", "open", "sums", "supervisors")
    name = "complaints"

    def __init__(
        self, class_names: Sequence[str], supervisors: int, deadline_h: float, helpdesk: bool
    ) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.supervisors = supervisors
        self.deadline_h = deadline_h
        self.helpdesk = helpdesk
        self.busy = Level()
        self.sums = [_Sums() for _ in self.class_names]
        self.open = 0  # complaints of the window not resolved yet

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "requested" if self.helpdesk else "logged": self.called,
            "complaint_raised": self.raised,
            "complaint_taken": self.taken,
            "complaint_resolved": self.resolved,
        }

    # -- reports ------------------------------------------------------------------

    def called(self, call: CallLike, now: float) -> None:
        row = call.service_class
        if row < len(self.sums) and self.start <= now < self.end:
            self.sums[row].calls += 1

    def raised(self, call: CallLike, promise: int, now: float) -> None:
        if self.start <= now < self.end:
            self.sums[call.service_class].raised += 1
        if self.warm_end <= now < self.end:
            self.open += 1

    def taken(self, call: CallLike, promise: int, raised_at: float, now: float) -> None:
        self.busy.change(1, now)
        if self.warm_end <= raised_at < self.end:
            t = self.sums[call.service_class]
            t.taken += 1
            t.wait_sum += now - raised_at

    def resolved(self, call: CallLike, promise: int, raised_at: float, now: float) -> None:
        self.busy.change(-1, now)
        if self.warm_end <= raised_at < self.end:
            self.open -= 1
            t = self.sums[call.service_class]
            t.resolved += 1
            t.time_sum += now - raised_at
            t.met += now - raised_at <= self.deadline_h

    # -- the window -----------------------------------------------------------------

    def reset(self, now: float) -> None:
        super().reset(now)
        self.open = 0  # complaints before the warm-up's end are not followed

    def clear(self, now: float) -> None:
        self.busy.reset(now)
        self.sums = [_Sums() for _ in self.class_names]

    def close(self, now: float) -> None:
        super().close(now)
        self.busy.freeze(now)

    def pending(self) -> bool:
        """Whether a complaint of the window is still open."""
        return self.open > 0

    # -- snapshots and KPIs -----------------------------------------------------------

    def snapshot(self, now: float) -> ComplaintSnapshot:
        return ComplaintSnapshot(
            tuple(
                ComplaintClassSnapshot(t.calls, t.raised, t.taken, t.wait_sum, t.resolved, t.time_sum, t.met)
                for t in self.sums
            ),
            self.busy.snapshot(now),
        )

    def absorb(self, snapshot: ComplaintSnapshot, now: float) -> None:
        for t, theirs in zip(self.sums, snapshot.classes, strict=True):
            t.calls += theirs.calls
            t.raised += theirs.raised
            t.taken += theirs.taken
            t.wait_sum += theirs.wait_sum
            t.resolved += theirs.resolved
            t.time_sum += theirs.time_sum
            t.met += theirs.met
        self.busy.absorb(snapshot.busy, self.start, now)

    @staticmethod
    def _row(sums: Sequence[_Sums]) -> dict[str, float]:
        calls = sum(t.calls for t in sums)
        taken = sum(t.taken for t in sums)
        resolved = sum(t.resolved for t in sums)
        return {
            "complaints_per_100_calls": 100.0 * sum(t.raised for t in sums) / calls if calls else NAN,
            "complaint_wait_h": sum(t.wait_sum for t in sums) / taken if taken else NAN,
            "complaint_h": sum(t.time_sum for t in sums) / resolved if resolved else NAN,
            "complaint_met": sum(t.met for t in sums) / resolved if resolved else NAN,
        }

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        for name, t in zip(self.class_names, self.sums, strict=True):
            rows[name].update(self._row([t]))
        everything = rows["all"]
        everything.update(self._row(self.sums))
        everything["supervisor_utilization"] = self.busy.mean(now) / self.supervisors
