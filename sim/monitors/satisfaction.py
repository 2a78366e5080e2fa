"""The satisfaction score per call (``[satisfaction]``): its mean per class.

Built only for scenarios with a score.  A call is counted under the rule of the other
call KPIs (logged inside the measured window, followed until its machine works again),
so the mean needs no look-ahead.  The score is a model, not data (``sim/config/satisfaction.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class SatisfactionSnapshot:
    calls: tuple[int, ...]  # per class: calls scored
    total: tuple[float, ...]  # per class: sum of their scores


class SatisfactionTally(Tally):
    """Per class: calls scored and the sum of their scores.

    Parameters
    ----------
    class_names
        The service classes (job types' jobs and planned visits are not scored).
    """

    __slots__ = ("calls", "class_names", "total")
    name = "satisfaction"

    def __init__(self, class_names: Sequence[str]) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.calls = [0] * len(self.class_names)
        self.total = [0.0] * len(self.class_names)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"satisfied": self.satisfied}

    def satisfied(self, call: CallLike, score: float, now: float) -> None:
        if self.warm_end <= call.logged_at < self.end:
            self.calls[call.service_class] += 1
            self.total[call.service_class] += score

    def clear(self, now: float) -> None:
        self.calls = [0] * len(self.class_names)
        self.total = [0.0] * len(self.class_names)

    def snapshot(self, now: float) -> SatisfactionSnapshot:
        return SatisfactionSnapshot(tuple(self.calls), tuple(self.total))

    def absorb(self, snapshot: SatisfactionSnapshot, now: float) -> None:
        self.calls = [a + b for a, b in zip(self.calls, snapshot.calls, strict=True)]
        self.total = [a + b for a, b in zip(self.total, snapshot.total, strict=True)]

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        for name, n, t in zip(self.class_names, self.calls, self.total, strict=True):
            rows[name]["satisfaction"] = t / n if n else NAN
        n = sum(self.calls)
        rows["all"]["satisfaction"] = sum(self.total) / n if n else NAN
