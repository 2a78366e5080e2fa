"""Repeat calls: calls of a fault that a repair left (``[repair.repeat]``).

Built only for scenarios with repeat repairs.  ``repeat_share`` is the share of the calls
logged in the window that are repeats.  ``repeat_within_window`` is the service report's
repeat-call rate: the share of restorations followed by a repeat call of the same
machine within ``window_h``.  It is counted as a ratio of two rates over the window
(repeat calls logged that came at most ``window_h`` after their machine's restoration,
over the restorations), which needs no look-ahead past the end of the horizon and in
steady state has the mean of the share it names: the restorations near the end whose
repeats fall after it are balanced by those before the start whose repeats fall inside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class RepeatSnapshot:
    calls: int
    repeats: int
    restorations: int
    within: int


class RepeatTally(Tally):
    """Calls, repeat calls, restorations and repeat calls within the window.

    Parameters
    ----------
    window_h
        The window of ``repeat_within_window`` (hours after the restoration).
    """

    __slots__ = ("calls", "repeats", "restorations", "restored_at", "window_h", "within")
    name = "repeats"

    def __init__(self, window_h: float) -> None:
        super().__init__()
        self.window_h = window_h
        self.calls = 0
        self.repeats = 0
        self.restorations = 0
        self.within = 0
        # each machine's last restoration (kept through the warm-up's reset: a repeat just
        # after it follows a restoration before it)
        self.restored_at: dict[int, float] = {}

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"logged": self.logged, "restored": self.restored}

    def logged(self, call: CallLike, now: float) -> None:
        if not self.start <= now < self.end:
            return
        self.calls += 1
        if call.repeat:
            self.repeats += 1
            if now - self.restored_at[call.machine] <= self.window_h:
                self.within += 1

    def restored(self, call: CallLike, now: float) -> None:
        self.restored_at[call.machine] = now
        if self.start <= now < self.end:
            self.restorations += 1

    def clear(self, now: float) -> None:
        self.calls = self.repeats = self.restorations = self.within = 0

    def snapshot(self, now: float) -> RepeatSnapshot:
        return RepeatSnapshot(self.calls, self.repeats, self.restorations, self.within)

    def absorb(self, snapshot: RepeatSnapshot, now: float) -> None:
        self.calls += snapshot.calls
        self.repeats += snapshot.repeats
        self.restorations += snapshot.restorations
        self.within += snapshot.within

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        row = rows["all"]
        row["repeat_share"] = self.repeats / self.calls if self.calls else NAN
        row["repeat_within_window"] = self.within / self.restorations if self.restorations else NAN
