"""Spare parts: inventory theory for the vans and depots, and what parts do to the
queueing figures (waits and revisits change the service time)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic import inventory
from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.estimate.team import TeamView

if TYPE_CHECKING:
    from sim.system import PartType, ServiceSystem


def with_parts(est: Estimates, system: ServiceSystem, team: TeamView) -> Estimates:
    """Spare-parts KPIs from inventory theory, and what parts do to the queueing figures."""
    parts = system.parts
    assert parts is not None
    terr = system.territories
    techs = terr.technicians * terr.count
    calls = est.get("calls_per_day")
    util = est.get("utilization")
    if calls is None and util is not None:  # priority dispatch: the same rate from the utilisation
        value = util.value / team.mean_service * techs * system.calendar.day_length_h
        calls = replace(util, kpi="calls_per_day", value=value)
    if calls is None:
        return est
    lam_tech = calls.value / system.calendar.day_length_h / techs
    # Palm's theorem needs Poisson demand at the van: Poisson calls, and the units taken when
    # the call is logged (reservation) so that queueing does not reshape the stream
    # (breakdowns in customer hours only: a Poisson stream whose rate varies over the week)
    steady_rate = not team.finite and system.calendar.clock_share == 1.0
    poisson = steady_rate and parts.reservation and team.servers == 1
    why = (
        "Poisson calls with reservation at a one-technician van"
        if poisson
        else "demand at the van is not Poisson (finite fleet, queueing, no reservation or "
        "breakdowns in customer hours only)"
    )
    supplier = parts.supplier_lead_time.mean
    transit = parts.depot_to_van.mean
    rates = [lam_tech * t.p_need * (t.quantity.mean if t.quantity else 1.0) for t in parts.types]
    batches = parts.batches
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
            if emergency:
                # vans lose their stock-outs to emergency shipments, so a van's orders (and
                # the depot's demand) are the demands it fills; its lead time is the transit
                # plus the depot's mean delay per order (Little), found as a fixed point
                fill, van, dep = _emergency_van(lam, per_depot, supplier, transit, S0, t, vans[k])
                fills.append(fill)
                on_hand += van.expected_on_hand
                emerg += van.emergency_rate
                d_fill.append(dep[0])
                d_ebo += dep[1]
                d_on += dep[2]
            elif t.depot is not None and t.depot.policy == "sS":
                assert t.depot.s is not None  # (an (s, S) policy has its reorder point)
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
                t.depot is None or t.depot.policy == "base_stock" or parts.supplier_lead_time.variance == 0
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
        if emergency:
            model = "Erlang B at the van, depot delay by Little"
            note = (
                "two-echelon approximation: the van as an Erlang loss system whose lead time is "
                "the transit plus the depot's mean delay per order"
            )
        else:
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
            per_day = techs * emerg * system.calendar.day_length_h
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
                1.0 - system.repair.p_other_failure,
                "first-time-fix identity",
                True,
                "shortages are waited out on site: 1 - FTF = p_other",
            )
        elif not parts.reservation:  # (with reservation a part may come before the visit)
            q = 1.0 - missing
            ftf = 1.0 - (q + (1.0 - q) * system.repair.p_other_failure)
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
    changes_service = (
        parts.shortage != "emergency" or (fills and min(fills) < 1) or system.repair.p_other_failure > 0
    )
    queue = [
        replace(e, exact=False, note="parts waits and revisits change the service time")
        if changes_service
        else e
        for e in est.primary
    ]
    return replace(est, primary=queue + out, alternatives=est.alternatives + alts)


def _emergency_van(
    lam: float, vans: int, supplier: float, transit: float, depot_stock: int, part: PartType, van_stock: int
) -> tuple[float, inventory.EmergencyResult, tuple[float, float, float]]:
    """A van with emergency shipments resupplied from a depot: (van fill, van result, depot
    (fill, backorders, on hand)).

    The depot sees the vans' orders, ``vans x lam x fill``, taken as Poisson; its mean delay
    per order is its backorders over that rate (Little); the van is an Erlang loss system
    (:func:`inventory.emergency_fill`) with lead time ``transit + delay``.  The fill and the
    delay depend on each other; a few rounds of substitution settle them (each round moves
    the fill by less, since a lower fill lowers the depot's load).
    """
    depot = part.depot
    fill = 1.0
    van = inventory.emergency_fill(lam, transit, van_stock)
    dep = (1.0, 0.0, float(depot_stock))
    for _ in range(50):
        lam0 = vans * lam * fill
        if lam0 <= 0:
            break
        if depot is not None and depot.policy == "sS":
            assert depot.s is not None  # (an (s, S) policy has its reorder point)
            ss = inventory.s_S_policy(lam0, supplier, depot.s, depot.S)
            dep = (ss.fill_rate, ss.expected_backorders, ss.expected_on_hand)
        else:
            bs = inventory.base_stock(lam0, supplier, depot_stock)
            dep = (bs.fill_rate, bs.expected_backorders, bs.expected_on_hand)
        van = inventory.emergency_fill(lam, transit + dep[1] / lam0, van_stock)
        if abs(van.fill_rate - fill) < 1e-12:
            fill = van.fill_rate
            break
        fill = van.fill_rate
    return fill, van, dep
