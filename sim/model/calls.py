"""A service call: one breakdown waiting for, and receiving, a repair."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.variates import Variates

NAN = float("nan")


class Call:
    """A breakdown reported by a customer.

    The call's needs (class, repair time, travel time or travel noise, where the
    machine is) are drawn when it is logged, from streams keyed by the machine
    (or by the arrival order in infinite-source mode), so they do not depend on
    staffing or dispatch.  Timestamps are simulation hours; ``nan`` until the
    step happens.
    """

    __slots__ = (
        "base_travel_h",
        "dispatched_at",
        "due_at",
        "failed_at",
        "fix",
        "hold",
        "job_started_at",
        "local_territory",
        "logged_at",
        "machine",
        "missing",
        "noise_h",
        "number",
        "on_site_at",
        "part_wait",
        "parts",
        "parts_ready",
        "parts_since",
        "repair_h",
        "service_class",
        "technician",
        "territory",
        "travel_h",
        "trip_km",
        "visits",
        "x",
        "y",
    )

    def __init__(
        self,
        number: int,
        machine: int,
        territory: int,
        local_territory: int,
        service_class: int,
        travel_h: float,
        repair_h: float,
        now: float,
        x: float = NAN,
        y: float = NAN,
    ) -> None:
        self.number = number
        self.machine = machine  # -1 in infinite-source mode
        self.territory = territory
        self.local_territory = local_territory  # index of the territory within its team
        self.service_class = service_class
        self.travel_h = travel_h  # the current trip's duration (geometry: known at dispatch)
        self.noise_h = travel_h  # geometry mode: the drawn time added to every trip's drive
        # time mode with travel.from_base_h: the trip if the technician was idle (then
        # travel_h is set at dispatch, noise_h keeping the between-jobs draw)
        self.base_travel_h = NAN
        self.repair_h = repair_h
        self.x = x  # km, team-local coordinates (geometry mode)
        self.y = y
        self.trip_km = NAN
        self.failed_at = now
        self.logged_at = now
        self.due_at = float("inf")  # response deadline (SLA), set when the call is logged
        self.dispatched_at = NAN  # the first dispatch (the wait ends)
        self.job_started_at = NAN  # the current visit's dispatch
        self.on_site_at = NAN
        self.technician = -1
        self.parts: tuple[int, ...] = ()  # part type of every unit the repair needs
        self.parts_ready = False  # the units are in hand (a revisit after a shortage)
        self.visits = 0  # visits finished so far
        self.part_wait = 0.0  # hours the call waited for missing parts
        self.fix: Variates | None = None  # draws deciding whether a visit fixes the machine (other causes)
        self.missing = 0  # units still awaited after a shortage
        self.parts_since = NAN  # when the shortage was found
        # what awaits the missing parts: "site" (the technician, on site), "leaving" (a
        # technician about to leave), "away" (a revisit, once they come) or "" (nobody yet)
        self.hold = ""
