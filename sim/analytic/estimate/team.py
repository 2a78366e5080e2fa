"""The queueing view of one team, read from the resolved service system: servers, call
source, service time moments and the trip geometry (all teams of a system are alike).

The system (:class:`sim.system.ServiceSystem`) is passed in; this package imports it for
type checking only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.analytic import geometry
from sim.analytic.estimate.repeats import exponential_up_time, renewal

if TYPE_CHECKING:
    from sim.system import ServiceSystem, Territories


@dataclass(frozen=True)
class TeamView:
    """The queueing view of one team (all teams of a scenario are alike)."""

    servers: int
    finite: bool
    machines: int  # finite fleet only
    failure_rate: float  # per machine per working hour (finite; with repeats 1 / mean up time) ...
    arrival_rate: float  # ... or calls per hour (infinite)
    mean_travel: float
    var_travel: float
    mean_repair: float
    var_repair: float
    exponential_service: bool
    exponential_failures: bool
    # outbound trip (call -> site): its mean time, and length in km (geometry mode)
    mean_outbound: float = 0.0
    trip_km: float | None = None
    # service times are independent from call to call (not so when a trip starts where
    # the previous job ended)
    iid_service: bool = True
    travel_note: str = ""
    # the laws of the trip and the repair when each call's service time is their i.i.d. sum
    # (travel given as a time distribution); None under geometry
    service_laws: tuple[Any, Any] | None = None
    # the trip formula holds (calls uniform over the area the trips join)
    trip_formula_exact: bool = True
    # a technician who was idle drives from base: that trip's mean and variance (hours) and
    # mean length (km, geometry); the travel fields above are then the trips between jobs
    first_travel: tuple[float, float] | None = None
    first_trip_km: float | None = None

    @property
    def mean_service(self) -> float:
        return self.mean_travel + self.mean_repair

    @property
    def var_service(self) -> float:
        return self.var_travel + self.var_repair

    @property
    def mean_to_restore(self) -> float:
        """Dispatch to machine working again: the outbound trip and the repair (a drive
        back to base keeps the technician busy, but the machine already works)."""
        return self.mean_outbound + self.mean_repair


def _uniform_abs_moments(length: float, at: float) -> tuple[float, float]:
    """E|U - at| and E(U - at)^2 for U uniform on [0, length] (``at`` anywhere)."""

    def g(u: float) -> float:
        return u * abs(u) / 2

    m1 = (g(length - at) - g(-at)) / length
    m2 = length**2 / 3 - length * at + at**2
    return m1, m2


def _unequal_trips_from_base(terr: Territories, shares: Sequence[float], rect: bool) -> tuple[float, float]:
    """Mean and second moment of a trip from a base to a call, territory k sending the
    share ``shares[k]`` of the team's calls (uniform in the territory).

    An approximation: it takes each base to serve 1/pooled of the calls, independently of
    where they come from (a location-blind rule such as FIFO's technician free the
    longest); but a technician based nearer the calls is free again sooner and takes more
    of them, so the mean trip is a little shorter than this.
    """
    cols, _ = terr.grid
    w, h = terr.width_km, terr.height_km
    assert w is not None and h is not None  # (geometry)
    mean = second = 0.0
    for j in range(terr.pooled):
        bx, by = (j % cols + 0.5) * w, (j // cols + 0.5) * h
        for k, p in enumerate(shares):
            x0, y0 = bx - (k % cols) * w, by - (k // cols) * h  # the base in territory k's frame
            ex1, ex2 = _uniform_abs_moments(w, x0)
            ey1, ey2 = _uniform_abs_moments(h, y0)
            mean += p * geometry.mean_distance_from_point(
                w, h, x0, y0, "rectilinear" if rect else "euclidean"
            )
            second += p * (ex2 + ey2 + (2 * ex1 * ey1 if rect else 0.0))
    return mean / terr.pooled, second / terr.pooled


def _trip_moments(system: ServiceSystem, from_base: bool | None = None) -> tuple[float, float, bool, str]:
    """Mean and second moment of the outbound trip distance (km, road), and whether the
    trips are independent from job to job; ``from_base`` (default: return_to_base) asks
    for the trip from base rather than from the previous job."""
    terr, tr = system.territories, system.travel
    assert tr.mode == "geometry" and terr.width_km is not None and terr.height_km is not None
    if from_base is None:
        from_base = tr.return_to_base
    shares = terr.call_shares
    cols, rows = terr.grid
    a, b = cols * terr.width_km, rows * terr.height_km
    rect = tr.metric == "rectilinear"
    c = tr.circuity
    if from_base:
        means, seconds = [], []
        for j in range(terr.pooled):
            x0 = (j % cols + 0.5) * terr.width_km
            y0 = (j // cols + 0.5) * terr.height_km
            means.append(geometry.mean_distance_from_point(a, b, x0, y0, tr.metric))
            ex1, ex2 = _uniform_abs_moments(a, x0)
            ey1, ey2 = _uniform_abs_moments(b, y0)
            seconds.append(ex2 + ey2 + (2 * ex1 * ey1 if rect else 0.0))
        note = "trips from the base: a fixed point to a uniform point"
        if len(set(shares)) > 1:
            mean, second = _unequal_trips_from_base(terr, shares, rect)
            note += " of the caller's territory, each base taken to serve an equal share of calls"
            return c * mean, c**2 * second, True, note
        return c * sum(means) / len(means), c**2 * sum(seconds) / len(seconds), True, note
    mean = geometry.mean_distance_two_points(a, b, tr.metric)
    second = a**2 / 6 + b**2 / 6 + (2 * (a / 3) * (b / 3) if rect else 0.0)
    note = "trips from the previous job: two uniform points (successive trips share an end)"
    if terr.pooled > 1 and len(set(shares)) > 1:
        note += "; territories of unequal call rates: calls are not uniform over the team's area"
    return c * mean, c**2 * second, False, note


def team_view(system: ServiceSystem) -> TeamView:
    """The queueing view of one team of ``system``."""
    terr = system.territories
    tr = system.travel
    repair = system.repair.time
    s = system.team.technicians
    trip_km = None
    iid, note = True, ""
    travel: Any = None
    if tr.mode == "geometry":
        noise = tr.noise
        n_mean = noise.mean if noise else 0.0
        n_var = noise.variance if noise else 0.0
        km, km2, iid, note = _trip_moments(system)
        legs = 2 if tr.return_to_base else 1
        mean_outbound = km / tr.speed_kmh + n_mean
        mean_travel = legs * km / tr.speed_kmh + n_mean
        var_travel = legs**2 * (km2 - km**2) / tr.speed_kmh**2 + n_var
        trip_km = km
        exp_service = False
        first_travel, first_km = None, None
        if tr.idle_at_base:
            km0, km0_2, _, _ = _trip_moments(system, from_base=True)
            first_travel = (km0 / tr.speed_kmh + n_mean, (km0_2 - km0**2) / tr.speed_kmh**2 + n_var)
            first_km = km0
    else:
        travel = tr.time
        mean_travel = mean_outbound = travel.mean
        var_travel = travel.variance
        # exponential service: the technician's whole time per call (travel + repair)
        exp_service = (travel.is_zero and repair.is_exponential) or (repair.is_zero and travel.is_exponential)
        first_travel, first_km = None, None
        if tr.from_base is not None:
            base = tr.from_base
            first_travel = (base.mean, base.variance)
            exp_service = False
    equal = not terr.unequal
    cols, rows = terr.grid
    # from base: the technicians' shares of the calls depend on where their bases are,
    # unless the bases are alike (a 1x1, 2x1 or 2x2 grid by symmetry, equal territories)
    uniform = (equal and cols <= 2 and rows <= 2) if tr.return_to_base else equal
    common: dict[str, Any] = dict(
        mean_outbound=mean_outbound,
        trip_km=trip_km,
        iid_service=iid,
        travel_note=note,
        service_laws=None if tr.mode == "geometry" or first_travel is not None else (travel, repair),
        trip_formula_exact=uniform,
        first_travel=first_travel,
        first_trip_km=first_km,
    )
    source = system.source
    if source.finite:
        # with repeat repairs a machine's up time mixes fresh lives and repeat delays:
        # the formulas take its mean (exact where they are insensitive to the life law)
        repeats = renewal(system)
        return TeamView(
            s,
            True,
            source.machines_per_team,
            1.0 / source.life.mean if repeats is None else repeats.effective_failure_rate,
            0.0,
            mean_travel,
            var_travel,
            repair.mean,
            repair.variance,
            exp_service,
            exponential_up_time(system),
            **common,
        )
    return TeamView(
        s,
        False,
        0,
        0.0,
        source.calls_per_team_h,
        mean_travel,
        var_travel,
        repair.mean,
        repair.variance,
        exp_service,
        True,
        **common,
    )
