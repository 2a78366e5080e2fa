"""A time-weighted level (calls waiting, machines down, technicians busy ...)."""

from __future__ import annotations

from dataclasses import dataclass

NAN = float("nan")


@dataclass(frozen=True, slots=True)
class LevelSums:
    """A level's snapshot: its integral since the reset and its value, at one instant."""

    area: float
    value: int


class Level:
    """A time-weighted level: its integral over time since the last reset.

    :meth:`freeze` ends the measurement (at the end of the horizon): the level goes
    on changing while the model runs on, but its time average and final value stay
    those at the freeze.  Tallies on the hot path update ``area``, ``since`` and
    ``value`` inline, exactly as :meth:`change` does (a method call per change would
    cost more than the change).
    """

    __slots__ = ("area", "frozen", "since", "start", "value")

    def __init__(self, value: int = 0) -> None:
        self.value = value
        self.area = 0.0
        self.since = 0.0
        self.start = 0.0
        self.frozen: tuple[float, int, float] | None = None  # (area, value, time) at the freeze

    def change(self, delta: int, now: float) -> None:
        self.area += self.value * (now - self.since)
        self.since = now
        self.value += delta

    def reset(self, now: float) -> None:
        """Start a new measurement at ``now``, keeping the current level."""
        self.area = 0.0
        self.since = self.start = now
        self.frozen = None

    def freeze(self, now: float) -> None:
        """End the measurement at ``now``."""
        self.change(0, now)
        self.frozen = (self.area, self.value, now)

    def closed(self, now: float) -> tuple[float, int]:
        """Integral since the reset and current value, at ``now`` or at the freeze."""
        if self.frozen is not None:
            return self.frozen[0], self.frozen[1]
        return self.area + self.value * (now - self.since), self.value

    def mean(self, now: float) -> float:
        """Time average from the last reset to ``now`` (or to the freeze)."""
        if self.frozen is not None:
            now = self.frozen[2]
        span = now - self.start
        return self.closed(now)[0] / span if span > 0 else NAN

    def snapshot(self, now: float) -> LevelSums:
        area, value = self.closed(now)
        return LevelSums(area, value)

    def absorb(self, sums: LevelSums, start: float, now: float) -> None:
        """Add a block's level (measured from ``start``) into this one, as of ``now``."""
        self.area += sums.area
        self.value += sums.value
        self.since, self.start = now, start
