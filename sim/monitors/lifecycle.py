"""Contract status and installations (``[fleet.lifecycle]``): built only with a lifecycle.

``installations_per_day`` counts the replacements in the window per working day.
``warranty_machine_share`` is the time-average share of machines in warranty: each
installation at ``a`` opens a warranty interval ``[a, min(a + W, next installation of the
machine))``, whose overlap with the window is added when the interval closes (at the next
installation) or, for the open ones, when the KPIs are taken; so no event is spent on a
warranty's end.  ``call_share`` is each class's share of the breakdown calls logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class LifecycleSnapshot:
    machines: int
    installations: int
    warranty_h: float  # machine-hours in warranty in the window
    calls: tuple[int, ...]  # breakdown calls logged per class


class LifecycleTally(Tally):
    """Installations, machine-hours in warranty, and breakdown calls per class.

    Parameters
    ----------
    classes
        Number of service classes (the rows of breakdown calls; job types' rows after
        them are not counted).
    warranty_h
        The warranty after installation.
    hours_per_day
        Length of a working day (for ``installations_per_day``).
    """

    __slots__ = ("calls", "closed_h", "hours_per_day", "installations", "last", "machines", "warranty_h")
    name = "lifecycle"

    def __init__(self, classes: int, warranty_h: float, hours_per_day: float) -> None:
        super().__init__()
        self.warranty_h = warranty_h
        self.hours_per_day = hours_per_day
        self.machines = 0
        self.installations = 0
        self.closed_h = 0.0
        self.calls = [0] * classes
        # each machine's last installation (kept through the warm-up's reset)
        self.last: dict[int, float] = {}

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"installed": self.installed, "logged": self.logged}

    def _overlap(self, at: float, until: float) -> float:
        """Hours of the warranty interval ``[at, until)`` inside the window."""
        return max(0.0, min(until, self.end) - max(at, self.start))

    def installed(self, machine: int, at: float, replaced: bool, now: float) -> None:
        prev = self.last.get(machine)
        if prev is not None:
            self.closed_h += self._overlap(prev, min(prev + self.warranty_h, now))
        self.last[machine] = at
        if not replaced:
            self.machines += 1
        elif self.start <= now < self.end:
            self.installations += 1

    def logged(self, call: CallLike, now: float) -> None:
        if self.start <= now < self.end and call.service_class < len(self.calls):
            self.calls[call.service_class] += 1

    def clear(self, now: float) -> None:
        self.installations = 0
        self.closed_h = 0.0
        self.calls = [0] * len(self.calls)

    def _warranty_hours(self, now: float) -> float:
        w = self.warranty_h
        return self.closed_h + sum(self._overlap(a, min(a + w, now)) for a in self.last.values())

    def snapshot(self, now: float) -> LifecycleSnapshot:
        return LifecycleSnapshot(
            self.machines, self.installations, self._warranty_hours(now), tuple(self.calls)
        )

    def absorb(self, snapshot: LifecycleSnapshot, now: float) -> None:
        self.machines += snapshot.machines
        self.installations += snapshot.installations
        self.closed_h += snapshot.warranty_h
        self.calls = [a + b for a, b in zip(self.calls, snapshot.calls, strict=True)]

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = min(now, self.end) - self.start
        row = rows["all"]
        row["installations_per_day"] = self.installations / span * self.hours_per_day if span > 0 else NAN
        row["warranty_machine_share"] = (
            self._warranty_hours(now) / (self.machines * span) if span > 0 and self.machines else NAN
        )
        total = sum(self.calls)
        row["call_share"] = 1.0 if total else NAN
        for name, n in zip(list(rows)[: len(self.calls)], self.calls, strict=True):
            rows[name]["call_share"] = n / total if total else NAN
