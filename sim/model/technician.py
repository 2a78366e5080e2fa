"""Technicians: who they are, where they are based and are now, their van, their job.

The dispatch line knows technicians by their number (``id``, numbered team by team
across the fleet); the team holds the objects and finds them by number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .calls import Call
    from .geography import Geometry
    from .parts import StockPoint

NAN = float("nan")

#: where nobody is placed (no geometry)
NOWHERE = (NAN, NAN)


class Technician:
    """One technician of a team.

    Parameters
    ----------
    id : int
        The technician's number (global: a block of a large fleet starts past 0).
    home : int
        Home territory, as the team-local index of a territory.
    base : (float, float)
        Where the technician is based (team-local km); :data:`NOWHERE` without geometry.
    van : list of StockPoint, optional
        The van's stock, one point per part type (only with parts).
    """

    __slots__ = ("base", "call", "generation", "home", "id", "overtime_since", "position", "step", "van")

    def __init__(
        self,
        id: int,
        home: int = 0,
        base: tuple[float, float] = NOWHERE,
        van: list[StockPoint] | None = None,
    ) -> None:
        self.id = id
        self.home = home
        self.base = base
        self.position = base  # where the last trip ended (geometry mode)
        self.van = van
        self.call: Call | None = None  # the call being worked on (from dispatch to release)
        # the running step's continuation and end, while work can be paused (shift ends);
        # a paused step's timer is disowned by bumping the generation
        self.step: tuple[Callable[[Call], None], float] | None = None
        self.generation = 0
        self.overtime_since: float | None = None  # at work since the shift ended

    def __repr__(self) -> str:
        return f"Technician({self.id}, home={self.home})"


def crew(
    ids: Sequence[int],
    home: Sequence[int] | None = None,
    geometry: Geometry | None = None,
    vans: Mapping[int, list[StockPoint]] | None = None,
) -> list[Technician]:
    """The technicians ``ids`` of one team, each based at the centre of their home
    territory (with geometry) and given their van (with parts)."""
    homes = home if home is not None else [0] * len(ids)
    return [
        Technician(
            t,
            h,
            geometry.base(h) if geometry is not None else NOWHERE,
            vans[t] if vans is not None else None,
        )
        for t, h in zip(ids, homes, strict=True)
    ]


def distance_km(technicians: Sequence[Technician], geometry: Geometry) -> Callable[[int, Call], float]:
    """Road distance from where a technician (by number) is to a call's machine."""
    by_id = {t.id: t for t in technicians}
    road_km = geometry.road_km

    def distance(technician: int, call: Call) -> float:
        x, y = by_id[technician].position
        return road_km(x, y, call.x, call.y)

    return distance
