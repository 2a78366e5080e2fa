"""What the FIFO and priority formulas still say under the scenario's dispatch rule,
calendar and machine places; Larson's hypercube for preference lists."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic import hypercube
from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.estimate.team import TeamView

if TYPE_CHECKING:
    from sim.system import ServiceSystem

_CLASS_WAIT_KPIS = ("wait_h", "response_h", "restore_h", "sla_met", "restore_met", "p_wait")


def adjust_for_policy(est: Estimates, system: ServiceSystem, team: TeamView) -> Estimates:
    """What the FIFO/priority formulas still say under the other dispatch rules: each half
    of the pair (queue discipline, technician choice) in turn."""
    discipline, technician = system.dispatch.pair
    primary = list(est.primary)
    alternatives = list(est.alternatives)
    if system.territories.locations_csv is not None:
        note = "machines at given places, not uniform: the distance formulas do not hold"
        primary = [
            replace(e, exact=False, note=note) if e.kpi in ("trip_km", "trip_h") else e for e in primary
        ]
    cal = system.calendar
    shifts = cal.shifts is not None
    clock_note = (
        "the formulas assume a continuous clock; shifts stop work outside working "
        "hours, so waits in clock hours are longer"
    )
    if shifts or cal.breakdowns == "customer_hours":
        note = (
            clock_note
            if shifts
            else "the formulas assume a continuous clock; breakdowns only in customer hours "
            "make the call rate vary over the week"
        )
        primary = [replace(e, exact=False, note=note) for e in primary]
        alternatives = [replace(e, exact=False, note=note) for e in alternatives]
    elif cal.sla_clock == "business":
        note = "the SLA counts business hours only: the wait tail in clock hours does not give it"
        primary = [replace(e, exact=False, note=note) if e.kpi == "sla_met" else e for e in primary]
    if discipline == "nearest":
        note = "FIFO formula: nearest-job dispatch shortens trips as the backlog grows"
        primary = [replace(e, exact=False, note=note) for e in primary]
    elif discipline == "earliest_due":
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
            if e.exact and (e.kpi.startswith("p_wait_gt_") or e.kpi in ("sla_met", "restore_met"))
            else e  # (an earlier reason, e.g. shifts, is kept)
            for e in primary
        ]
    if technician == "nearest" and team.servers > 1:
        # the trip (part of the technician's time) depends on which technicians are free,
        # so the service times are neither independent of the state nor of each other
        note = "formula for a location-blind choice: the nearest free technician shortens trips"
        primary = [replace(e, exact=False, note=note) if e.exact else e for e in primary]
    elif technician == "preference":
        # who serves a call changes its trip, not the queue: the technicians are alike
        primary = [
            replace(e, exact=False, note="trips depend on who serves whom")
            if e.kpi in ("trip_km", "trip_h")
            else e
            for e in primary
        ]
        workloads = _hypercube_workloads(system, team)
        if shifts or cal.breakdowns == "customer_hours":  # (added after the clock's downgrade)
            workloads = [replace(e, exact=False, note=clock_note) for e in workloads]
        primary += workloads
    return replace(est, primary=primary, alternatives=alternatives)


def _hypercube_workloads(system: ServiceSystem, team: TeamView) -> list[Estimate]:
    """Per-technician workloads of the first team from Larson's hypercube model."""
    terr, source = system.territories, system.source
    if team.servers > hypercube.HYPERCUBE_MAX_UNITS or team.finite:
        return []
    unequal = terr.unequal
    if source.finite:
        return []
    rates = [source.calls_per_h * terr.pooled * p for p in terr.call_shares]
    res = hypercube.hypercube(rates, system.team.preference, 1.0 / team.mean_service)
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
