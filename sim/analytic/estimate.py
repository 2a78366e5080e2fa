"""Pick the closed-form model that matches a scenario and evaluate its KPIs.

:func:`estimate` returns, for every KPI a formula covers, the value, the
model's name and whether that model is *exact* for the scenario or only an
approximation (with the reason).  One model is primary (the best match);
others are kept as alternatives, e.g. the textbook's infinite-source M/M/1
next to the exact finite-fleet M/M/1//N.

The scenario is read by attribute only (duck typing), so this module imports
no other project module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import ctmc, geometry, hypercube, inventory, quadrature, takacs, welch
from .queues import (
    QueueResult,
    UnstableQueueError,
    allen_cunneen,
    finite_source,
    finite_source_wait_tail,
    mg1,
    mg1_priority_nonpreemptive,
    mms,
    mms_wait_tail,
    priority_nonpreemptive,
)


@dataclass(frozen=True)
class Estimate:
    """One analytic KPI value."""

    kpi: str
    service_class: str  # "all" or a class name
    value: float
    model: str
    exact: bool
    note: str = ""


@dataclass(frozen=True)
class Estimates:
    """Everything the analytic layer can say about a scenario.

    ``unstable`` holds the reason when no steady state exists; then no
    queueing KPI is given.
    """

    primary: list[Estimate] = field(default_factory=list)
    alternatives: list[Estimate] = field(default_factory=list)
    unstable: str | None = None
    notes: list[str] = field(default_factory=list)

    def get(self, kpi: str, service_class: str = "all") -> Estimate | None:
        for e in self.primary:
            if e.kpi == kpi and e.service_class == service_class:
                return e
        return None

    @property
    def all(self) -> list[Estimate]:
        return [*self.primary, *self.alternatives]


@dataclass(frozen=True)
class _Team:
    """The queueing view of one team (all teams of a scenario are alike)."""

    servers: int
    finite: bool
    machines: int  # finite fleet only
    failure_rate: float  # per machine per hour (finite) ...
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


def _threshold_kpi(hours: float) -> str:
    return f"p_wait_gt_{hours:g}h"


def _team_grid(pooled: int) -> tuple[int, int]:
    # the model's layout of a team's territories (sim.config.team_grid), repeated here
    # because the analytic layer imports no other project module
    rows = max(d for d in range(1, math.isqrt(pooled) + 1) if pooled % d == 0)
    return pooled // rows, rows


def _uniform_abs_moments(length: float, at: float) -> tuple[float, float]:
    """E|U - at| and E(U - at)^2 for U uniform on [0, length] (``at`` anywhere)."""

    def g(u: float) -> float:
        return u * abs(u) / 2

    m1 = (g(length - at) - g(-at)) / length
    m2 = length**2 / 3 - length * at + at**2
    return m1, m2


def _call_shares(terr: Any) -> list[float]:
    """Each territory's share of its team's calls (``territories.weights``; equal by default)."""
    weights = getattr(terr, "weights", None) or [1.0] * terr.pooled
    total = math.fsum(weights)
    return [w / total for w in weights]


def _unequal_trips_from_base(terr: Any, shares: Sequence[float], rect: bool) -> tuple[float, float]:
    """Mean and second moment of a trip from a base to a call, territory k sending the
    share ``shares[k]`` of the team's calls (uniform in the territory).

    An approximation: it takes each base to serve 1/pooled of the calls, independently of
    where they come from (a location-blind rule such as FIFO's technician free the
    longest); but a technician based nearer the calls is free again sooner and takes more
    of them, so the mean trip is a little shorter than this.
    """
    cols, _ = _team_grid(terr.pooled)
    w, h = terr.width_km, terr.height_km
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


def _trip_moments(scenario: Any, from_base: bool | None = None) -> tuple[float, float, bool, str]:
    """Mean and second moment of the outbound trip distance (km, road), and whether the
    trips are independent from job to job; ``from_base`` (default: return_to_base) asks
    for the trip from base rather than from the previous job."""
    terr, tr = scenario.territories, scenario.travel
    if from_base is None:
        from_base = tr.return_to_base
    shares = _call_shares(terr)
    cols, rows = _team_grid(terr.pooled)
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


def _team(scenario: Any, dist: Any) -> _Team:
    terr = scenario.territories
    tr = scenario.travel
    repair = dist(scenario.repair.time_h)
    s = terr.technicians * terr.pooled
    trip_km = None
    iid, note = True, ""
    if tr.mode == "geometry":
        noise = dist(tr.noise_h) if tr.noise_h is not None else None
        n_mean = noise.mean if noise else 0.0
        n_var = noise.variance if noise else 0.0
        km, km2, iid, note = _trip_moments(scenario)
        legs = 2 if tr.return_to_base else 1
        mean_outbound = km / tr.speed_kmh + n_mean
        mean_travel = legs * km / tr.speed_kmh + n_mean
        var_travel = legs**2 * (km2 - km**2) / tr.speed_kmh**2 + n_var
        trip_km = km
        exp_service = False
        first_travel, first_km = None, None
        if getattr(tr, "idle_at_base", False):
            km0, km0_2, _, _ = _trip_moments(scenario, from_base=True)
            first_travel = (km0 / tr.speed_kmh + n_mean, (km0_2 - km0**2) / tr.speed_kmh**2 + n_var)
            first_km = km0
    else:
        travel = dist(tr.time_h)
        mean_travel = mean_outbound = travel.mean
        var_travel = travel.variance
        # exponential service: the technician's whole time per call (travel + repair)
        exp_service = (travel.is_zero and repair.is_exponential) or (repair.is_zero and travel.is_exponential)
        first_travel, first_km = None, None
        if getattr(tr, "from_base_h", None) is not None:
            base = dist(tr.from_base_h)
            first_travel = (base.mean, base.variance)
            exp_service = False
    equal = len(set(_call_shares(terr))) == 1
    cols, rows = _team_grid(terr.pooled)
    # from base: the technicians' shares of the calls depend on where their bases are,
    # unless the bases are alike (a 1x1, 2x1 or 2x2 grid by symmetry, equal territories)
    uniform = (equal and cols <= 2 and rows <= 2) if tr.return_to_base else equal
    common = dict(
        mean_outbound=mean_outbound,
        trip_km=trip_km,
        iid_service=iid,
        travel_note=note,
        service_laws=None if tr.mode == "geometry" or first_travel is not None else (travel, repair),
        trip_formula_exact=uniform,
        first_travel=first_travel,
        first_trip_km=first_km,
    )
    fleet = scenario.fleet
    if fleet.machines is not None:
        ttf = dist(fleet.time_to_failure_h)
        return _Team(
            s,
            True,
            fleet.machines * terr.pooled,
            1.0 / ttf.mean,
            0.0,
            mean_travel,
            var_travel,
            repair.mean,
            repair.variance,
            exp_service,
            ttf.is_exponential,
            **common,
        )
    return _Team(
        s,
        False,
        0,
        0.0,
        fleet.calls_per_h * terr.pooled,
        mean_travel,
        var_travel,
        repair.mean,
        repair.variance,
        exp_service,
        True,
        **common,
    )


def estimate(scenario: Any, distribution: Any = None) -> Estimates:
    """Analytic estimates of a scenario's KPIs.

    Parameters
    ----------
    scenario : sim.config.Scenario
        A validated scenario (read by attribute).
    distribution : callable, optional
        Builds a distribution object (with ``mean``, ``variance``,
        ``is_exponential``, ``is_zero``) from a scenario distribution spec;
        defaults to :func:`sim.distributions.from_spec`.
    """
    if distribution is None:  # imported here to keep this module free of project imports
        from sim.distributions import from_spec as distribution
    team = _team(scenario, distribution)
    classes = list(scenario.fleet.classes)
    priorities = [c.priority if c.priority is not None else 1 for c in classes]
    uses_priority = scenario.dispatch.policy == "priority" and len(set(priorities)) > 1
    thresholds = list(scenario.report.wait_thresholds_h)
    # calls_per_day counts calls per working day of the clock the simulation reports in
    # (with shifts: a week over its working days), at the clock-average call rate
    hours_per_day = scenario.calendar.day_length_h * _clock_share(scenario)
    try:
        if team.first_travel is not None:
            out = _first_trips(team, classes, priorities, uses_priority, thresholds, hours_per_day)
        elif team.finite:
            out = _finite(team, classes, priorities, uses_priority, thresholds, hours_per_day)
        else:
            out = _infinite(team, classes, priorities, uses_priority, thresholds, hours_per_day)
    except UnstableQueueError as exc:
        return Estimates(unstable=f"no steady state: {exc}")
    out = _adjust_for_policy(out, scenario, team)
    out = _whole_system(out, scenario.territories.teams)
    if scenario.parts is not None:
        out = _with_parts(out, scenario, team, distribution)
    if scenario.costs is not None:
        out = _with_costs(out, scenario)
    return out


def _with_costs(est: Estimates, scenario: Any) -> Estimates:
    """``cost_per_day`` and ``cost_per_call``: the cost model applied to the formulas' KPIs,
    exact when every KPI it prices is (the staff cost is a constant)."""
    from sim.costs import cost_kpis, kpis_priced, parts_priced  # (the one cost model)
    from sim.system import ServiceSystem

    system = ServiceSystem.from_scenario(scenario)
    if parts_priced(system):
        return est  # no formula prices parts used or held
    kpis: dict[str, float] = {}
    by_class: dict[str, dict[str, float]] = {}
    used: list[Estimate] = []
    for kpi, per_class in kpis_priced(system):
        for cls in [c.name for c in scenario.fleet.classes] if per_class else ["all"]:
            e = est.get(kpi, cls)
            if e is None:
                return est
            used.append(e)
            if per_class:
                by_class.setdefault(cls, {})[kpi] = e.value
            else:
                kpis[kpi] = e.value
    if by_class:
        for c in scenario.fleet.classes:
            calls = est.get("calls_per_day", c.name)
            if calls is None:
                return est
            used.append(calls)
            by_class[c.name]["calls_per_day"] = calls.value
    cost = cost_kpis(system, kpis, by_class)
    exact = all(e.exact for e in used)
    parts = ", ".join(dict.fromkeys(f"{e.kpi} ({e.model})" for e in used))
    note = f"the cost model applied to {parts}"
    rows = [
        Estimate(kpi, "all", cost[kpi], "cost model", exact, note)
        for kpi in ("cost_per_day", "cost_per_call", "cost_downtime_per_day")
        if kpi in cost and math.isfinite(cost[kpi])
    ]
    return replace(est, primary=[*est.primary, *rows])


def _clock_share(scenario: Any) -> float:
    """Share of clock time in which machines fail (or Poisson calls arrive)."""
    cal = scenario.calendar
    if cal.breakdowns != "customer_hours":
        return 1.0
    return float(cal.customer_calendar().hours_per_week) / (7 * 24.0)


#: KPIs that the simulation reports for all teams together (the formulas are per team)
_TOTALS = ("queue_len", "machines_down", "calls_per_day")


def _whole_system(est: Estimates, teams: int) -> Estimates:
    """Scale per-team counts and rates to the whole system, as the simulation reports them."""
    if teams == 1:
        return est

    def scale(e: Estimate) -> Estimate:
        return replace(e, value=e.value * teams) if e.kpi in _TOTALS else e

    return replace(
        est, primary=[scale(e) for e in est.primary], alternatives=[scale(e) for e in est.alternatives]
    )


def _with_parts(est: Estimates, scenario: Any, team: _Team, dist: Any) -> Estimates:
    """Spare-parts KPIs from inventory theory, and what parts do to the queueing figures."""
    parts = scenario.parts
    terr = scenario.territories
    techs = terr.technicians * terr.count
    calls = est.get("calls_per_day")
    util = est.get("utilization")
    if calls is None and util is not None:  # priority dispatch: the same rate from the utilisation
        value = util.value / team.mean_service * techs * scenario.calendar.day_length_h
        calls = replace(util, kpi="calls_per_day", value=value)
    if calls is None:
        return est
    lam_tech = calls.value / scenario.calendar.day_length_h / techs
    # Palm's theorem needs Poisson demand at the van: Poisson calls, and the units taken when
    # the call is logged (reservation) so that queueing does not reshape the stream
    # (breakdowns in customer hours only: a Poisson stream whose rate varies over the week)
    steady_rate = not team.finite and _clock_share(scenario) == 1.0
    poisson = steady_rate and parts.reservation and team.servers == 1
    why = (
        "Poisson calls with reservation at a one-technician van"
        if poisson
        else "demand at the van is not Poisson (finite fleet, queueing, no reservation or "
        "breakdowns in customer hours only)"
    )
    supplier = dist(parts.supplier_lead_time_h).mean
    transit = dist(parts.depot_to_van_h).mean
    rates = [lam_tech * t.p_need * (dist(t.quantity).mean if t.quantity else 1.0) for t in parts.types]
    batches = any(t.quantity is not None for t in parts.types)
    out: list[Estimate] = []
    alts: list[Estimate] = []
    emergency = parts.shortage == "emergency"

    def add(kpi: str, value: float, model: str, exact: bool, note: str) -> None:
        out.append(Estimate(kpi, "all", value, model, exact, note))

    vans = [t.van.S if t.van else 0 for t in parts.types]
    van_policies_ok = all(t.van is None or t.van.policy == "base_stock" for t in parts.types)
    fills, ebo, on_hand, emerg = [], 0.0, 0.0, 0.0
    depot_exact = False
    if not parts.use_depot:
        for lam, S in zip(rates, vans, strict=True):
            if lam <= 0:
                fills.append(1.0)
                on_hand += S
                continue
            if emergency:
                r = inventory.emergency_fill(lam, supplier, S)
                fills.append(r.fill_rate)
                on_hand += r.expected_on_hand
                emerg += r.emergency_rate
            else:
                b = inventory.base_stock(lam, supplier, S)
                fills.append(b.fill_rate)
                ebo += b.expected_backorders
                on_hand += b.expected_on_hand
        exact = poisson and not batches and van_policies_ok
        model = "Erlang B (emergency shipments)" if emergency else "Palm (base stock)"
        note = why if exact else why + ("; batches of units" if batches else "")
    else:
        # two echelons: every van's demand reaches its depot
        per_depot = techs if parts.shared_depot else terr.technicians * terr.pooled
        depots = 1 if parts.shared_depot else terr.teams
        d_fill, d_ebo, d_on = [], 0.0, 0.0
        for k, (lam, t) in enumerate(zip(rates, parts.types, strict=True)):
            if lam <= 0:
                fills.append(1.0)
                d_fill.append(1.0)
                continue
            S0 = t.depot.S if t.depot else 0
            lam0 = lam * per_depot
            if t.depot is not None and t.depot.policy == "sS":
                d = inventory.s_S_policy(lam0, supplier, t.depot.s, t.depot.S)
                d_fill.append(d.fill_rate)
                d_ebo += d.expected_backorders
                d_on += d.expected_on_hand
            else:
                v = inventory.vari_metric(
                    [lam] * per_depot, supplier, S0, [transit] * per_depot, [vans[k]] * per_depot
                )
                m = inventory.metric(
                    [lam] * per_depot, supplier, S0, [transit] * per_depot, [vans[k]] * per_depot
                )
                d_fill.append(v.depot.fill_rate)
                d_ebo += v.depot.expected_backorders
                d_on += v.depot.expected_on_hand
                fills.append(v.vans[0].fill_rate)
                ebo += v.vans[0].expected_backorders
                on_hand += v.vans[0].expected_on_hand
                alts.append(
                    Estimate(
                        "van_backorders",
                        "all",
                        techs * m.vans[0].expected_backorders,
                        "METRIC",
                        False,
                        "METRIC: the van pipeline taken as Poisson (understates backorders)",
                    )
                )
        depot_exact = (
            poisson
            and not batches
            and not emergency
            and all(
                t.depot is None
                or t.depot.policy == "base_stock"
                or dist(parts.supplier_lead_time_h).variance == 0
                for t in parts.types
            )
        )
        total = sum(rates) * per_depot
        if total > 0 and len(d_fill) == len(rates):
            add(
                "fill_rate_depot",
                sum(f * r for f, r in zip(d_fill, rates, strict=True)) / sum(rates),
                "Palm / (s,S) at the depot",
                depot_exact,
                "depot demand: the vans' Poisson orders",
            )
            add(
                "depot_backorders",
                depots * d_ebo,
                "Palm / (s,S) at the depot",
                depot_exact,
                "depot demand: the vans' Poisson orders",
            )
            add(
                "depot_on_hand",
                depots * d_on,
                "Palm / (s,S) at the depot",
                depot_exact,
                "depot demand: the vans' Poisson orders",
            )
        exact = False
        model = "VARI-METRIC"
        note = "two-echelon approximation (negative binomial van pipeline)"
    # A van that stocks nothing fills no demand from its shelf and holds nothing, whatever
    # the demand process; its backorders are then its whole pipeline, lambda x lead time by
    # Little's law, exact when the demand rate is (Poisson calls, units of one).
    zero_van = all(S == 0 or lam <= 0 for S, lam in zip(vans, rates, strict=True))
    zero_note = "no van stock: every demand finds the van empty"
    rate_exact = steady_rate and not batches
    if parts.use_depot:
        ebo_zero_exact = zero_van and depot_exact
        ebo_zero_note = zero_note + "; van backorders = demand rate x (depot delay + transit)"
    else:
        ebo_zero_exact = zero_van and rate_exact
        ebo_zero_note = zero_note + "; backorders = demand rate x lead time (Little)"
    if len(fills) == len(rates) and sum(rates) > 0:
        fill = sum(f * r for f, r in zip(fills, rates, strict=True)) / sum(rates)
        stock_exact, stock_note = (exact, note) if exact or not zero_van else (True, zero_note)
        ebo_exact, ebo_note = (exact, note) if exact or not ebo_zero_exact else (True, ebo_zero_note)
        add("fill_rate_van", fill, model, stock_exact, stock_note)
        add("van_on_hand", techs * on_hand, model, stock_exact, stock_note)
        if not emergency:
            add("van_backorders", techs * ebo, model, ebo_exact, ebo_note)
            add("van_delay_per_demand_h", ebo / sum(rates), model, ebo_exact, ebo_note + "; Little's law")
        else:
            per_day = techs * emerg * scenario.calendar.day_length_h
            add("emergency_per_day", per_day, model, ebo_exact, ebo_note)
        # first-time fix: a visit fails if a needed part is missing, or for other causes
        missing = 1.0
        for t, f in zip(parts.types, fills, strict=True):
            missing *= 1.0 - t.p_need * (1.0 - f)
        single = (
            len(parts.types) == 1
            and parts.types[0].quantity is None
            and parts.shortage == "revisit"
            and not parts.reservation
        )
        if single:
            add(
                "ftf_identity_gap",
                0.0,
                "first-time-fix identity",
                True,
                "1 - FTF = q + (1 - q) p_other, q = share of calls finding the part missing: "
                "holds call by call",
            )
        if parts.shortage != "revisit":
            # the technician waits for the part on site: only the other causes fail a visit,
            # each with probability p_other, independently of everything else
            add(
                "first_time_fix",
                1.0 - parts.p_other_failure,
                "first-time-fix identity",
                True,
                "shortages are waited out on site: 1 - FTF = p_other",
            )
        elif not parts.reservation:  # (with reservation a part may come before the visit)
            q = 1.0 - missing
            ftf = 1.0 - (q + (1.0 - q) * parts.p_other_failure)
            add(
                "first_time_fix",
                ftf,
                "first-time-fix identity",
                zero_van,
                "1 - FTF = P(part missing) + P(other cause), "
                + ("no van stock: a needed part is always missing" if zero_van else "with the van fill rate"),
            )
    # parts waits and revisits lengthen the technician's time per call and revisits add
    # trips: no queueing formula above holds exactly any more (waits, tails, travel, trips)
    changes_service = parts.shortage != "emergency" or (fills and min(fills) < 1) or parts.p_other_failure > 0
    queue = [
        replace(e, exact=False, note="parts waits and revisits change the service time")
        if changes_service
        else e
        for e in est.primary
    ]
    return replace(est, primary=queue + out, alternatives=est.alternatives + alts)


_CLASS_WAIT_KPIS = ("wait_h", "response_h", "restore_h", "sla_met", "p_wait")


def _adjust_for_policy(est: Estimates, scenario: Any, team: _Team) -> Estimates:
    """What the FIFO/priority formulas still say under the other dispatch rules."""
    policy = scenario.dispatch.policy
    primary = list(est.primary)
    alternatives = list(est.alternatives)
    if scenario.territories.locations_csv is not None:
        note = "machines at given places, not uniform: the distance formulas do not hold"
        primary = [
            replace(e, exact=False, note=note) if e.kpi in ("trip_km", "trip_h") else e for e in primary
        ]
    cal = scenario.calendar
    clock_note = (
        "the formulas assume a continuous clock; shifts stop work outside working "
        "hours, so waits in clock hours are longer"
    )
    if cal.shifts or cal.breakdowns == "customer_hours":
        note = (
            clock_note
            if cal.shifts
            else "the formulas assume a continuous clock; breakdowns only in customer hours "
            "make the call rate vary over the week"
        )
        primary = [replace(e, exact=False, note=note) for e in primary]
        alternatives = [replace(e, exact=False, note=note) for e in alternatives]
    elif cal.sla_clock == "business":
        note = "the SLA counts business hours only: the wait tail in clock hours does not give it"
        primary = [replace(e, exact=False, note=note) if e.kpi == "sla_met" else e for e in primary]
    if policy == "nearest":
        note = "FIFO formula: nearest-job dispatch shortens trips as the backlog grows"
        primary = [replace(e, exact=False, note=note) for e in primary]
    elif policy == "earliest_due":
        # reordering classes leaves the overall mean wait of a work-conserving order
        # unchanged (exactly for M/M/s and M/G/1), but the per-class split is unknown
        # (a class's share of the line is unknown too)
        primary = [
            e
            for e in primary
            if e.service_class == "all"
            or not (e.kpi in (*_CLASS_WAIT_KPIS, "queue_len") or e.kpi.startswith("p_wait_gt_"))
        ]
        # the order changes the spread of the waits, so every tail (and the SLA share) too
        primary = [
            replace(e, exact=False, note="FIFO tail; earliest-due order changes it")
            if e.exact and (e.kpi.startswith("p_wait_gt_") or e.kpi == "sla_met")
            else e  # (an earlier reason, e.g. shifts, is kept)
            for e in primary
        ]
    elif policy == "preference":
        primary = [
            replace(e, exact=False, note="trips depend on who serves whom")
            if e.kpi in ("trip_km", "trip_h")
            else e
            for e in primary
        ]
        workloads = _hypercube_workloads(scenario, team)
        if cal.shifts or cal.breakdowns == "customer_hours":  # (added after the clock's downgrade)
            workloads = [replace(e, exact=False, note=clock_note) for e in workloads]
        primary += workloads
    return replace(est, primary=primary, alternatives=alternatives)


def _hypercube_workloads(scenario: Any, team: _Team) -> list[Estimate]:
    """Per-technician workloads of the first team from Larson's hypercube model."""
    terr = scenario.territories
    if team.servers > hypercube.HYPERCUBE_MAX_UNITS or team.finite:
        return []
    unequal = len(set(_call_shares(terr))) > 1
    rates = [scenario.fleet.calls_per_h * terr.pooled * p for p in _call_shares(terr)]
    res = hypercube.hypercube(rates, scenario.preference_lists, 1.0 / team.mean_service)
    exact = team.exponential_service
    note = (
        "hypercube model: Poisson calls, exponential service, first free technician on the "
        "territory's list, FIFO line when all are busy"
        + (" (territories with unequal call rates: exact all the same)" if unequal else "")
    )
    if not exact:
        note += " (service is not exponential here: approximate)"
    return [
        Estimate(
            f"workload_tech{i}",
            "all",
            w,
            f"hypercube N={team.servers}" + (", unequal atoms" if unequal else ""),
            exact,
            note,
        )
        for i, w in enumerate(res.workloads)
    ]


# ---------------------------------------------------------------------------


def _fifo_kpis(
    res: QueueResult,
    team: _Team,
    classes: Sequence[Any],
    tail: Any,
    tail_exact: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
    exact: bool,
    note: str,
) -> list[Estimate]:
    """KPIs of a FIFO team: every class sees the same wait."""
    lam = res.arrival_rate
    s = team.servers
    out: list[Estimate] = []

    def add(kpi: str, cls: str, value: float, is_exact: bool = exact) -> None:
        out.append(Estimate(kpi, cls, value, res.model, is_exact, note))

    add("utilization", "all", lam * team.mean_service / s)
    add("utilization_onsite", "all", lam * team.mean_repair / s)
    add("travel_share", "all", lam * team.mean_travel / s)
    restore = res.wq + team.mean_to_restore
    add("machines_down", "all", lam * restore)  # Little's law on broken machines
    for cls, share in [("all", 1.0), *((c.name, c.share) for c in classes)]:
        add("wait_h", cls, res.wq)
        add("response_h", cls, res.wq + team.mean_outbound)
        add("restore_h", cls, restore)
        add("queue_len", cls, share * res.lq)
        add("calls_per_day", cls, share * lam * hours_per_day)
        if tail is not None:
            for x in thresholds:
                add(_threshold_kpi(x), cls, float(tail(x)), exact and tail_exact)
    add("p_wait", "all", res.p_wait)
    if team.trip_km is not None:
        # under an order that ignores location, a trip joins two independent uniform points:
        # exact for Poisson calls from uniform places; a finite fleet is one fixed sample of
        # places (and a machine may call twice in a row), given places are not uniform
        trip_exact = not team.finite and team.trip_formula_exact
        trip_note = f"Larson & Odoni: {team.travel_note}"
        if team.finite:
            trip_note += "; approximate for a finite fleet (machines are a fixed sample of places)"
        elif not team.trip_formula_exact:
            trip_note += "; approximate: who serves which territory depends on the bases and the load"
        out.append(Estimate("trip_km", "all", team.trip_km, "uniform-point geometry", trip_exact, trip_note))
        out.append(
            Estimate("trip_h", "all", team.mean_outbound, "uniform-point geometry", trip_exact, trip_note)
        )
    if tail is not None and team.mean_travel == 0.0:
        sla_classes = [c for c in classes if c.sla_h is not None]
        for c in sla_classes:
            add("sla_met", c.name, 1.0 - float(tail(c.sla_h)), exact and tail_exact)
        if sla_classes:
            total = sum(c.share for c in sla_classes)
            met = sum(c.share * (1.0 - float(tail(c.sla_h))) for c in sla_classes) / total
            add("sla_met", "all", met, exact and tail_exact)
    return out


def _infinite(
    team: _Team,
    classes: Sequence[Any],
    priorities: Sequence[int],
    uses_priority: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
) -> Estimates:
    lam, s = team.arrival_rate, team.servers
    es, vs = team.mean_service, team.var_service
    mu = 1.0 / es
    if s == 1:
        res = mg1(lam, es, vs)
        exact, note = True, "Poisson calls, one technician, FIFO: Pollaczek-Khinchine is exact"
        if not team.iid_service:
            exact, note = False, f"Pollaczek-Khinchine with the mean trip; {team.travel_note}"
    elif team.exponential_service:
        res = mms(lam, mu, s)
        exact, note = True, "Poisson calls, exponential service, FIFO: Erlang C is exact"
    else:
        res = allen_cunneen(lam, es, vs, s)
        exact, note = False, "non-exponential service with several technicians: no closed form"
    tail = None
    if team.exponential_service:

        def tail(t: float) -> float:
            return float(mms_wait_tail(lam, mu, s, t))

    fifo = _fifo_kpis(res, team, classes, tail, True, thresholds, hours_per_day, exact, note)
    if not uses_priority:
        return Estimates(primary=fifo)
    prio = _priority(team, lam, classes, priorities, res, exact_total=exact)
    return Estimates(primary=prio, alternatives=_fifo_for_comparison(fifo))


def _first_trips(
    team: _Team,
    classes: Sequence[Any],
    priorities: Sequence[int],
    uses_priority: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
) -> Estimates:
    """Trips from base after idleness, between jobs otherwise.

    One technician, Poisson calls, an order blind to the trips: Welch's M/G/1 with an
    exceptional first service in each busy period (exact with trip-time laws; under
    geometry consecutive trips share a point, so an approximation).  Otherwise the usual
    formulas with the between-jobs trip, labelled approximate.
    """
    assert team.first_travel is not None
    t0, v0 = team.first_travel
    t, vt = team.mean_travel, team.var_travel
    r, vr = team.mean_repair, team.var_repair
    if team.finite or team.servers > 1 or uses_priority:
        note = (
            "a technician who was idle drives from base, one going straight on from a job "
            "does not: the formula uses the between-jobs trip (an approximation)"
        )
        plain = _finite if team.finite else _infinite
        out = plain(team, classes, priorities, uses_priority, thresholds, hours_per_day)
        return replace(
            out,
            primary=[replace(e, exact=False, note=note) for e in out.primary],
            alternatives=[replace(e, exact=False, note=note) for e in out.alternatives],
        )
    lam = team.arrival_rate
    res = welch.mg1_exceptional_first(lam, t0 + r, v0 + vr + (t0 + r) ** 2, t + r, vt + vr + (t + r) ** 2)
    geometric = team.first_trip_km is not None
    exact = not geometric
    model = "M/G/1, exceptional first service (Welch)"
    note = (
        "Poisson calls, one technician: a call that finds the technician idle gets the trip "
        "from base, the others the trip between jobs (Welch 1964)"
        + ("; under geometry successive trips share a point: an approximation" if geometric else "")
    )
    p0 = res.p_idle
    outbound = p0 * t0 + (1.0 - p0) * t
    rows: list[Estimate] = []

    def add(kpi: str, cls: str, value: float) -> None:
        rows.append(Estimate(kpi, cls, value, model, exact, note))

    add("utilization", "all", res.utilization)
    add("utilization_onsite", "all", lam * r)
    add("travel_share", "all", lam * outbound)
    add("p_wait", "all", res.p_wait)
    add("machines_down", "all", res.l)
    for cls, share in [("all", 1.0), *((c.name, c.share) for c in classes)]:
        add("wait_h", cls, res.wq)
        add("response_h", cls, res.wq + outbound)
        add("restore_h", cls, res.w)
        add("queue_len", cls, share * res.lq)
        add("calls_per_day", cls, share * lam * hours_per_day)
    if geometric:
        assert team.first_trip_km is not None and team.trip_km is not None
        km = p0 * team.first_trip_km + (1.0 - p0) * team.trip_km
        rows.append(Estimate("trip_km", "all", km, model, False, note))
        rows.append(Estimate("trip_h", "all", outbound, model, False, note))
    return Estimates(primary=rows)


def _priority(
    team: _Team,
    lam: float,
    classes: Sequence[Any],
    priorities: Sequence[int],
    fifo: QueueResult,
    exact_total: bool,
    finite_note: str = "",
) -> list[Estimate]:
    """Nonpreemptive priority: per-class waits (classes sharing a priority share a level)."""
    s, es = team.servers, team.mean_service
    levels = sorted(set(priorities))
    rates = [sum(lam * c.share for c, p in zip(classes, priorities, strict=True) if p == lv) for lv in levels]
    if team.exponential_service:
        res = priority_nonpreemptive(rates, 1.0 / es, s)
        exact, note = True, "Poisson calls, exponential service: nonpreemptive priority M/M/s"
    elif s == 1:
        res = mg1_priority_nonpreemptive(rates, es, team.var_service + es**2)
        exact, note = True, "Poisson calls, one technician: Cobham's formula is exact"
    else:
        # scale the M/M/s result by the Allen-Cunneen factor
        res0 = priority_nonpreemptive(rates, 1.0 / es, s)
        factor = (1.0 + team.var_service / es**2) / 2.0
        res = type(res0)(**{**res0.__dict__, "wq": tuple(w * factor for w in res0.wq)})
        exact, note = False, "non-exponential service with several technicians: M/M/s priority x (1+cv^2)/2"
    if finite_note:
        exact, note = False, finite_note
    out: list[Estimate] = []
    for c, p in zip(classes, priorities, strict=True):
        wq = res.wq[levels.index(p)]
        for kpi, value in (
            ("wait_h", wq),
            ("response_h", wq + team.mean_outbound),
            ("restore_h", wq + team.mean_to_restore),
        ):
            out.append(Estimate(kpi, c.name, value, res.model, exact, note))
    # With a service law common to all classes, the overall mean wait of a work-conserving
    # nonpreemptive order equals FIFO's (exactly for M/M/s and for M/G/1).
    total_exact = exact_total and (team.exponential_service or s == 1)
    for kpi, value in (
        ("wait_h", fifo.wq),
        ("response_h", fifo.wq + team.mean_outbound),
        ("restore_h", fifo.wq + team.mean_to_restore),
        ("queue_len", fifo.lq),
        ("machines_down", fifo.arrival_rate * (fifo.wq + team.mean_to_restore)),
        ("utilization", fifo.arrival_rate * es / s),
        ("p_wait", fifo.p_wait),
    ):
        out.append(
            Estimate(
                kpi, "all", value, fifo.model, total_exact, "conservation: the overall wait equals FIFO's"
            )
        )
    return out


def _finite(
    team: _Team,
    classes: Sequence[Any],
    priorities: Sequence[int],
    uses_priority: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
) -> Estimates:
    n, s = team.machines, team.servers
    mu = 1.0 / team.mean_service
    mmsn = finite_source(n, team.failure_rate, mu, s)
    res: QueueResult = mmsn  # replaced below by the scaled or the exact M/G/1//N values
    # Insensitivity (Bunday & Scraton 1980, the G/M/s//N machine-interference model): with
    # exponential repairs and FIFO, the law of the number down, in time and as seen by a
    # breakdown, depends on the life law only through its mean, so M/M/s//N is exact for
    # any life law, and so is the FIFO wait tail (Erlang stages behind the arrival state).
    exact = team.exponential_service
    tail = None
    if team.exponential_service:

        def tail(t: float) -> float:
            return float(finite_source_wait_tail(mmsn, mu, t))

    if exact and team.exponential_failures:
        note = "finite fleet, exponential failures and service, FIFO: M/M/s//N is exact"
    elif exact:
        note = (
            "finite fleet, exponential service, FIFO: M/M/s//N is exact for any life law "
            "(G/M/s//N insensitivity, Bunday & Scraton 1980)"
        )
    scaled: QueueResult | None = None
    if not team.exponential_service:
        # scale the queueing delay by the Allen-Cunneen variability factor
        factor = (1.0 + team.var_service / team.mean_service**2) / 2.0
        wq = res.wq * factor
        lq = res.arrival_rate * wq
        scaled = res = replace(
            res,
            model=f"M/G/{s}//{n} (M/M/{s}//{n} x (1+cv^2)/2)",
            wq=wq,
            w=wq + team.mean_service,
            lq=lq,
            l=lq + res.arrival_rate * team.mean_service,
        )
        note = "M/M/s//N wait x (1 + cv^2)/2 for non-exponential service: an approximation"
        takacs_res = _takacs(team) if s == 1 else None
        if takacs_res is not None:
            res = takacs_res
            exact = team.exponential_failures
            note = (
                "finite fleet, one technician, exponential lives, FIFO: Takacs' embedded "
                "Markov chain (M/G/1//N) is exact"
                if exact
                else "M/G/1//N (Takacs) at the same mean life: approximate for non-exponential lives"
            )

    fifo = _fifo_kpis(res, team, classes, tail, exact, thresholds, hours_per_day, exact, note)
    # the textbook's view: the same calls as Poisson from an infinite population
    alternatives: list[Estimate] = []
    if scaled is not None and scaled is not res:
        why_scaled = "M/M/1//N wait x (1 + cv^2)/2: the scaling the exact chain replaces"
        alternatives.append(Estimate("wait_h", "all", scaled.wq, scaled.model, False, why_scaled))
    notes: list[str] = []
    lam_inf = n * team.failure_rate
    try:
        if team.exponential_service:
            inf = mms(lam_inf, mu, s)
        elif s == 1:
            inf = mg1(lam_inf, team.mean_service, team.var_service)
        else:
            inf = allen_cunneen(lam_inf, team.mean_service, team.var_service, s)
        why = "infinite-source approximation: ignores that broken machines cannot fail"
        for kpi, value in (
            ("wait_h", inf.wq),
            ("restore_h", inf.wq + team.mean_to_restore),
            ("queue_len", inf.lq),
            ("utilization", inf.utilization),
        ):
            alternatives.append(Estimate(kpi, "all", value, inf.model, False, why))
        for x in thresholds:
            if team.exponential_service:
                alternatives.append(
                    Estimate(
                        _threshold_kpi(x),
                        "all",
                        float(mms_wait_tail(lam_inf, mu, s, x)),
                        inf.model,
                        False,
                        why,
                    )
                )
    except UnstableQueueError as exc:
        notes.append(
            f"the infinite-source M/M/{s} has no steady state here ({exc.rho:.3f} >= 1); "
            "the finite fleet always has one"
        )
    if not uses_priority:
        return Estimates(primary=fifo, alternatives=alternatives, notes=notes)
    prio = _priority(
        team,
        res.arrival_rate,
        classes,
        priorities,
        res,
        exact_total=exact,
        finite_note="per-class waits: infinite-source priority formula at the finite fleet's call rate",
    )
    # overall values under priority come from the exact finite-source model when exponential
    prio = [
        e
        if e.service_class != "all"
        else Estimate(e.kpi, "all", e.value, res.model, exact, "conservation: the overall wait equals FIFO's")
        for e in prio
    ]
    if team.exponential_service and team.exponential_failures:
        chain = _finite_priority_chain(team, classes, priorities, hours_per_day, notes)
        if chain:
            approx = [e for e in prio if e.service_class != "all"]
            prio = [e for e in prio if e.service_class == "all"] + chain
            alternatives += [e for e in approx if e.kpi == "wait_h"]
    return Estimates(primary=prio, alternatives=alternatives + _fifo_for_comparison(fifo), notes=notes)


def _fifo_for_comparison(fifo: Sequence[Estimate]) -> list[Estimate]:
    """The FIFO waits shown next to a priority order's: what FIFO would give, not this
    scenario's per-class values (the overall one is the same by conservation)."""
    note = "FIFO order, for comparison with the priority order"
    return [
        e if e.service_class == "all" else replace(e, exact=False, note=note)
        for e in fifo
        if e.kpi == "wait_h"
    ]


def _finite_priority_chain(
    team: _Team,
    classes: Sequence[Any],
    priorities: Sequence[int],
    hours_per_day: float,
    notes: list[str],
) -> list[Estimate]:
    """Per-class KPIs of nonpreemptive priority on a finite fleet from the exact Markov
    chain (no closed form exists); nothing if the chain is too big (said in ``notes``)."""
    levels = sorted(set(priorities))
    shares = [sum(c.share for c, p in zip(classes, priorities, strict=True) if p == lv) for lv in levels]
    try:
        r = ctmc.finite_priority(
            team.machines, team.failure_rate, 1.0 / team.mean_service, team.servers, shares
        )
    except ctmc.StateSpaceTooLarge as exc:
        notes.append(f"per-class waits: {exc}, so the infinite-source priority formula stays")
        return []
    note = (
        f"finite fleet, exponential lives and service, nonpreemptive priority: "
        f"the Markov chain solved numerically ({r.states:,} states)"
    )
    out: list[Estimate] = []
    for c, p in zip(classes, priorities, strict=True):
        k = levels.index(p)
        wq = r.level_wq[k]
        for kpi, value in (
            ("wait_h", wq),
            ("response_h", wq + team.mean_outbound),
            ("restore_h", wq + team.mean_to_restore),
            ("queue_len", r.level_lq[k] * c.share / shares[k]),
            ("calls_per_day", c.share * r.arrival_rate * hours_per_day),
            ("p_wait", r.p_wait),
        ):
            out.append(Estimate(kpi, c.name, value, r.model, True, note))
    return out


def _takacs(team: _Team) -> QueueResult | None:
    """The exact M/G/1//N of a one-technician team with i.i.d. service, if it can be had."""
    if team.service_laws is None or team.machines > takacs.MAX_MACHINES:
        return None
    laws = [law for law in team.service_laws if not law.is_zero]
    try:
        smooth = [law for law in laws if law.name not in ("deterministic", "empirical")]
        points = 16 if len(smooth) <= 1 else 8  # (a product rule: fewer points per law)
        service = quadrature.sum_rule(*(quadrature.rule(law, points) for law in laws))
    except (ValueError, AttributeError):  # a law without a quadrature rule
        return None
    return takacs.mg1_finite_source(team.machines, team.failure_rate, *service)


def relative_error(simulated: float, analytic: float) -> float:
    if analytic == 0 or math.isnan(analytic):
        return math.nan
    return (simulated - analytic) / abs(analytic)
