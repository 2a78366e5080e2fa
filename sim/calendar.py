"""Weekly working-hours calendars (pure time arithmetic, no simulation).

The simulation clock is in hours from Monday 00:00 of week 0.  A calendar is
a set of weekly open intervals, e.g. Monday-Friday 08:00-17:00; it answers
whether an instant is inside working hours, when the next opening or closing
is, and what instant lies a number of *business* hours after another (for
SLA clocks that only run in business hours, and machines that only break
down while customers use them).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WEEK_H = 168.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_clock(text: str) -> float:
    """``"08:30"`` -> 8.5 (hours); ``"24:00"`` allowed as the end of a day."""
    hh, sep, mm = text.partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    h, m = int(hh), int(mm)
    if m >= 60 or h > 24 or (h == 24 and m):
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    return h + m / 60.0


@dataclass(frozen=True)
class WeeklyCalendar:
    """Open intervals within a week, as sorted, disjoint ``(start, end)`` hours in [0, 168]."""

    intervals: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if not self.intervals:
            raise ValueError("a calendar needs at least one working interval")
        last = -1.0
        for a, b in self.intervals:
            if not (0.0 <= a < b <= WEEK_H) or a < last:
                raise ValueError(f"intervals must be sorted, disjoint and inside the week: {self.intervals}")
            last = b

    @classmethod
    def from_shifts(cls, shifts: Iterable[tuple[Sequence[str], str, str]]) -> WeeklyCalendar:
        """Build from ``(days, "HH:MM", "HH:MM")`` shifts; overlapping shifts are an error."""
        spans = []
        for days, start, end in shifts:
            a, b = parse_clock(start), parse_clock(end)
            if not a < b:
                raise ValueError(f"shift {start}-{end}: the end must be after the start")
            for d in days:
                base = DAYS.index(d) * 24.0
                spans.append((base + a, base + b))
        spans.sort()
        for (a1, b1), (a2, _) in itertools.pairwise(spans):
            if a2 < b1:
                raise ValueError(f"shifts overlap: {_fmt(a1)}-{_fmt(b1)} and {_fmt(a2)}")
        # join back-to-back intervals (e.g. 00:00-12:00 and 12:00-24:00)
        merged: list[list[float]] = []
        for a, b in spans:
            if merged and merged[-1][1] == a:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        return cls(tuple((a, b) for a, b in merged))

    @property
    def hours_per_week(self) -> float:
        return sum(b - a for a, b in self.intervals)

    def _locate(self, t: float) -> tuple[float, float]:
        week = math.floor(t / WEEK_H)
        return week * WEEK_H, t - week * WEEK_H

    def is_open(self, t: float) -> bool:
        _, r = self._locate(t)
        i = bisect.bisect_right([a for a, _ in self.intervals], r) - 1
        return i >= 0 and r < self.intervals[i][1]

    def next_open(self, t: float) -> float:
        """The first instant >= t inside working hours."""
        base, r = self._locate(t)
        for a, b in self.intervals:
            if r < b:
                return base + max(a, r)
        return base + WEEK_H + self.intervals[0][0]

    def next_close(self, t: float) -> float:
        """The end of the working interval that contains t (t must be open), or of the next one."""
        base, r = self._locate(self.next_open(t))
        for _, b in self.intervals:
            if r < b:
                return base + b
        raise AssertionError("unreachable")  # pragma: no cover

    def add_business_hours(self, t: float, hours: float) -> float:
        """The instant at which ``hours`` of working time have passed since ``t``."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        # skip whole weeks, but never all of them: the last stretch must end at a closing
        # time, not at the next opening
        full_weeks = max(0, math.ceil(hours / self.hours_per_week) - 1)
        left = hours - full_weeks * self.hours_per_week
        t += full_weeks * WEEK_H
        while True:
            start = self.next_open(t)
            end = self.next_close(start)
            if left <= end - start:
                return start + left
            left -= end - start
            t = end

    def business_hours_between(self, a: float, b: float) -> float:
        """Working hours in [a, b]."""
        total, t = 0.0, a
        while t < b:
            start = self.next_open(t)
            if start >= b:
                break
            end = min(self.next_close(start), b)
            total += end - start
            t = end
        return total


def _fmt(h: float) -> str:
    day, rest = divmod(h, 24.0)
    return f"{DAYS[int(day) % 7]} {int(rest):02d}:{round((rest % 1) * 60):02d}"
