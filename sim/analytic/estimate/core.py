"""Pick the closed-form model that matches a scenario and evaluate its KPIs.

:func:`estimate` builds the team's queueing view, takes the matching queueing model,
adjusts its labels to the dispatch rule and calendar, adds internal work taken when
idle, scales to the whole system and adds parts and costs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.appointments import appointments_estimate
from sim.analytic.estimate.categories import with_categories
from sim.analytic.estimate.contractor import contractor_estimate
from sim.analytic.estimate.internal import blocks_estimate, with_internal_work
from sim.analytic.estimate.lifecycle import with_lifecycle
from sim.analytic.estimate.maintenance import planned_estimate
from sim.analytic.estimate.parts import with_parts
from sim.analytic.estimate.policy import adjust_for_policy
from sim.analytic.estimate.queueing import finite_fleet, first_trips, infinite_source
from sim.analytic.estimate.repeats import relabel, repeat_kpis
from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.estimate.skills import skills_estimate
from sim.analytic.estimate.team import team_view
from sim.analytic.estimate.work import work_estimate
from sim.analytic.queues import UnstableQueueError

if TYPE_CHECKING:  # (the system is passed in: no project import runs here)
    from sim.system import ServiceSystem


def estimate(system: ServiceSystem) -> Estimates:
    """Analytic estimates of a service system's KPIs.

    Parameters
    ----------
    system : sim.system.ServiceSystem
        The resolved scenario (``ServiceSystem.from_scenario(scenario)``): its
        distributions are built, its teams, sources and classes resolved.
    """
    if system.complaints is not None or system.satisfaction is not None:
        # the system's formulas, then the complaints' and the satisfaction's on top
        from sim.analytic.estimate.complaints import with_complaints
        from sim.analytic.estimate.satisfaction import with_satisfaction

        out = estimate(replace(system, complaints=None, satisfaction=None))
        if system.complaints is not None:
            out = with_complaints(out, system)
        return with_satisfaction(out, system) if system.satisfaction is not None else out
    if system.appointments is not None:
        return appointments_estimate(system)  # (booked calls wait for their window)
    # the hours by category sum the rows' hours, whichever model gave them; so does the
    # classes' money
    return with_categories(with_class_money(_estimate(system), system), system)


#: the money of a row (sim.costs.work_money)
MONEY_KPIS = ("revenue_per_day", "job_cost_per_day", "margin_per_day")


def with_class_money(est: Estimates, system: ServiceSystem) -> Estimates:
    """The priced classes' money: ``revenue`` and ``cost`` per call x the class's
    ``calls_per_day`` (linear, so exact where the rate is), and the ``all`` row's sums with
    the job types' and the plans' money when each of those has its value."""
    priced = system.priced_classes
    if not priced or est.unstable is not None:
        return est
    rows: list[Estimate] = []
    total = dict.fromkeys(MONEY_KPIS, 0.0)
    exact = True
    for c in priced:
        calls = est.get("calls_per_day", c.name)
        if calls is None:
            why = f"money of class {c.name!r}: no value (its calls per day)"
            return replace(est, notes=[*est.notes, why])
        note = f"money per call x calls_per_day ({calls.model})"
        for kpi, per_call in zip(MONEY_KPIS, (c.revenue, c.cost, c.revenue - c.cost), strict=True):
            rows.append(Estimate(kpi, c.name, per_call * calls.value, "money x rates", calls.exact, note))
            total[kpi] += per_call * calls.value
        exact = exact and calls.exact
    primary = [*est.primary, *rows]
    others = bool(system.work_types or system.priced_plans)
    given = [est.get(kpi) for kpi in MONEY_KPIS]
    if others and any(e is None for e in given):
        return replace(est, primary=primary)  # (the other rows' money has no value: no sum)
    if others:
        primary = [e for e in primary if not (e.kpi in MONEY_KPIS and e.service_class == "all")]
        for kpi, e in zip(MONEY_KPIS, given, strict=True):
            assert e is not None
            total[kpi] += e.value
        exact = exact and all(e is not None and e.exact for e in given)
    note = "the priced rows summed"
    primary += [Estimate(kpi, "all", v, "money x rates", exact, note) for kpi, v in total.items()]
    return replace(est, primary=primary)


def _estimate(system: ServiceSystem) -> Estimates:
    """:func:`estimate` before the hours by category."""
    if system.internal_blocks is not None:
        return blocks_estimate(system, _estimate(replace(system, internal_blocks=None)))
    if system.helpdesk is not None:
        from sim.analytic.estimate.helpdesk import helpdesk_estimate  # (it calls back here)

        return helpdesk_estimate(system)
    if system.maintenance is not None or system.visits is not None:
        return planned_estimate(system)  # (its own model: the queueing views do not apply)
    if system.skills is not None:  # (before the contractor: skills change who takes a call)
        out = skills_estimate(system)
        return with_costs(out, system) if system.costs is not None else out
    if system.contractor is not None:
        out = contractor_estimate(system)
        return with_costs(out, system) if system.costs is not None else out
    if system.work_types:
        out = with_lifecycle(work_estimate(system), system)
        return with_costs(out, system) if system.costs is not None else out
    team = team_view(system)
    classes = list(system.classes)
    priorities = [c.priority for c in classes]
    uses_priority = system.dispatch.pair[0] == "priority" and len(set(priorities)) > 1
    thresholds = list(system.report.wait_thresholds_h)
    # calls_per_day counts calls per working day of the clock the simulation reports in
    # (with shifts: a week over its working days), at the clock-average call rate
    hours_per_day = system.calendar.day_length_h * system.calendar.clock_share
    try:
        if team.first_travel is not None:
            out = first_trips(team, classes, priorities, uses_priority, thresholds, hours_per_day)
        elif team.finite:
            out = finite_fleet(team, classes, priorities, uses_priority, thresholds, hours_per_day)
        else:
            out = infinite_source(team, classes, priorities, uses_priority, thresholds, hours_per_day)
    except UnstableQueueError as exc:
        return Estimates(unstable=f"no steady state: {exc}")
    if system.repeats is not None:
        out = relabel(out)
    out = adjust_for_policy(out, system, team)
    if system.internal is not None:
        out = with_internal_work(out, system, team)
    out = whole_system(out, system.teams)
    out = repeat_kpis(out, system)
    out = with_lifecycle(out, system)
    if system.parts is not None:
        out = with_parts(out, system, team)
    if system.costs is not None:
        out = with_costs(out, system)
    return out


def with_costs(est: Estimates, system: ServiceSystem) -> Estimates:
    """``cost_per_day`` and ``cost_per_call``: the cost model applied to the formulas' KPIs,
    exact when every KPI it prices is (the staff cost is a constant)."""
    from sim.costs import cost_kpis, kpis_priced, parts_priced  # (the one cost model)

    if parts_priced(system):
        return est  # no formula prices parts used or held
    kpis: dict[str, float] = {}
    by_class: dict[str, dict[str, float]] = {}
    used: list[Estimate] = []
    for kpi, per_class in kpis_priced(system):
        for cls in [c.name for c in system.classes] if per_class else ["all"]:
            e = est.get(kpi, cls)
            if e is None:
                return est
            used.append(e)
            if per_class:
                by_class.setdefault(cls, {})[kpi] = e.value
            else:
                kpis[kpi] = e.value
    if by_class:
        for c in system.classes:
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
        for kpi in ("cost_per_day", "cost_per_call", "cost_downtime_per_day", "cost_repeat_per_day")
        if kpi in cost and math.isfinite(cost[kpi])
    ]
    return replace(est, primary=[*est.primary, *rows])


#: KPIs that the simulation reports for all teams together (the formulas are per team)
_TOTALS = ("queue_len", "machines_down", "calls_per_day")


def whole_system(est: Estimates, teams: int) -> Estimates:
    """Scale per-team counts and rates to the whole system, as the simulation reports them."""
    if teams == 1:
        return est

    def scale(e: Estimate) -> Estimate:
        return replace(e, value=e.value * teams) if e.kpi in _TOTALS else e

    return replace(
        est, primary=[scale(e) for e in est.primary], alternatives=[scale(e) for e in est.alternatives]
    )


def relative_error(simulated: float, analytic: float) -> float:
    if analytic == 0 or math.isnan(analytic):
        return math.nan
    return (simulated - analytic) / abs(analytic)
