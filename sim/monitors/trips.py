"""First trips to the calls: distance, hours, and how many leave the home territory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .calls import CallTally
from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class TripsSnapshot:
    trips: int
    km: float
    hours: float
    away: int  # trips outside the technician's home territory


class TripTally(Tally):
    """The first trip of every call of the window.

    Parameters
    ----------
    technicians_per_territory, pooled
        How technicians are numbered (team by team, territory by territory within a
        team), to tell a trip outside the technician's home territory.
    timed
        Trips may take time (travel or geometry).  Without it every trip takes 0 h and
        has no distance (the model draws none), and with one territory per team none
        leaves home: the trips are then the calls' first dispatches, which ``calls``
        counts, and nothing needs to be reported per trip.
    calls
        The call tally that counts the first dispatches (used when nothing is reported).
    """

    __slots__ = ("away", "calls", "hours", "km", "per_territory", "pooled", "timed", "trips")
    name = "trips"

    def __init__(
        self,
        technicians_per_territory: int = 1,
        pooled: int = 1,
        timed: bool = True,
        calls: CallTally | None = None,
    ) -> None:
        super().__init__()
        self.per_territory = technicians_per_territory
        self.pooled = pooled
        self.timed = timed or pooled > 1 or calls is None
        self.calls = calls
        self.trips = 0
        self.km = 0.0
        self.hours = 0.0
        self.away = 0

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"dispatched": self.dispatched} if self.timed else {}

    def home_territory(self, technician: int) -> int:
        team, index = divmod(technician, self.per_territory * self.pooled)
        return team * self.pooled + index // self.per_territory

    def dispatched(self, call: CallLike, now: float) -> None:
        if self.warm_end <= call.logged_at < self.end and call.visits == 0:
            self.trips += 1
            self.km += call.trip_km
            self.hours += call.travel_h
            if self.pooled > 1 and self.home_territory(call.technician) != call.territory:
                self.away += 1

    def clear(self, now: float) -> None:
        self.trips, self.km, self.hours, self.away = 0, 0.0, 0.0, 0

    def snapshot(self, now: float) -> TripsSnapshot:
        if self.timed:
            return TripsSnapshot(self.trips, self.km, self.hours, self.away)
        assert self.calls is not None
        trips = self.calls.first_dispatches()
        # (a time-mode trip has no distance: its km is nan, as the model leaves it)
        return TripsSnapshot(trips, NAN if trips else 0.0, 0.0, 0)

    def absorb(self, snapshot: TripsSnapshot, now: float) -> None:
        # (a merge target never ran: its own sums are zero, whatever it would count)
        self.timed = True
        self.trips += snapshot.trips
        self.km += snapshot.km
        self.hours += snapshot.hours
        self.away += snapshot.away

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        s = self.snapshot(now)
        trips = s.trips
        rows["all"].update(
            trip_km=s.km / trips if trips else NAN,
            trip_h=s.hours / trips if trips else NAN,
            off_territory_share=s.away / trips if trips else NAN,
        )
