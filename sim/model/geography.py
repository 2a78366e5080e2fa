"""Where machines and technicians are, and how long a trip takes.

Each territory is a ``width x height`` km rectangle.  A team's territories are
laid side by side in a grid (rows = the largest divisor of the team size not
above its square root), so pooling k territories gives one region k times
larger.  Technicians are based at the centre of their home territory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.config import team_grid


@dataclass(frozen=True)
class Geometry:
    """Distances and trip times inside one team's region (team-local km)."""

    width: float
    height: float
    pooled: int
    rectilinear: bool
    circuity: float
    speed_kmh: float

    @property
    def grid(self) -> tuple[int, int]:
        return team_grid(self.pooled)

    def origin(self, local_territory: int) -> tuple[float, float]:
        """South-west corner of a territory (its index within the team)."""
        cols, _ = self.grid
        return (local_territory % cols) * self.width, (local_territory // cols) * self.height

    def base(self, local_territory: int) -> tuple[float, float]:
        x0, y0 = self.origin(local_territory)
        return x0 + 0.5 * self.width, y0 + 0.5 * self.height

    def road_km(self, ax: float, ay: float, bx: float, by: float) -> float:
        """Road distance: straight-line or rectilinear distance times the circuity factor."""
        dx, dy = abs(ax - bx), abs(ay - by)
        d = dx + dy if self.rectilinear else math.hypot(dx, dy)
        return d * self.circuity

    def hours(self, km: float) -> float:
        return km / self.speed_kmh
