"""The cost model: money per working day and per call, from a replication's KPIs.

Costs are computed after the simulation from KPIs that the model already
measures (technician count, travel share, calls, SLA breaches, machines
down), so the model itself knows nothing about money.  The same function
prices the analytic values of those KPIs (:func:`sim.analytic.estimate`), so
the formula column of ``cost_per_day`` is the cost model applied to the
formulas, exact when every KPI it uses is.

With repeat repairs, ``cost_repeat_per_day`` prices the repeat calls at the average
cost of a call (``repeat_share x cost_per_day``: what a service report charges them).

With a contractor, ``cost_per_day`` includes its price per job times its jobs per day
(``contractor_cost_per_day``, :func:`contractor_money`).

With ``downtime_per_machine_h`` this is the classic finite-source cost model
(technicians + machines down): cost per day = s x cost per technician-day +
downtime cost x L x hours per day, L the mean number of machines down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the cost model reads the resolved system, never the scenario file's models
    from sim.system import ServiceSystem


def cost_kpis(
    system: ServiceSystem,
    kpis: Mapping[str, float],
    by_class: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, float]:
    """``cost_per_day`` and ``cost_per_call`` for the whole system, or nothing without ``[costs]``.

    Parameters
    ----------
    system : sim.system.ServiceSystem
        The resolved scenario (``ServiceSystem.from_scenario``).
    kpis : mapping
        The overall (``class = "all"``) KPIs of one replication.
    by_class : mapping, optional
        Each class's KPIs, for SLA penalties that differ by class.
    """
    costs = system.costs
    if costs is None:
        return {}
    hours_per_day = system.calendar.hours_per_day
    techs = system.technicians
    per_tech_day = (
        costs.technician_per_h * hours_per_day
        + (costs.technician_per_year + costs.added_technician_per_year) / costs.working_days_per_year
    )
    staff = techs * per_tech_day
    travel_hours_per_day = kpis.get("travel_share", 0.0) * techs * hours_per_day
    travel = costs.travel_per_h * travel_hours_per_day
    calls = kpis.get("calls_per_day", math.nan)
    penalties = 0.0
    for c in system.classes:
        row = (by_class or {}).get(c.name)
        if c.sla_h is None or row is None:
            continue
        met = row.get("sla_met", math.nan)
        if not math.isnan(met):
            penalties += c.sla_penalty * (1.0 - met) * row.get("calls_per_day", 0.0)
    parts = _parts_per_day(system, kpis, costs.working_days_per_year)
    # machines down is a time average over the clock: a working day spans day_length_h of it
    downtime = (
        costs.downtime_per_machine_h * kpis.get("machines_down", math.nan) * system.calendar.day_length_h
        if costs.downtime_per_machine_h
        else 0.0
    )
    contractor = 0.0
    if system.contractor is not None:  # the contractor's price per visit
        contractor = system.contractor.price * kpis.get("contractor_jobs_per_day", math.nan)
    per_day = staff + travel + penalties + parts + downtime + contractor
    per_call = per_day / calls if calls and not math.isnan(calls) else math.nan
    out = {
        "cost_per_day": per_day,
        "cost_per_call": per_call,
        "cost_staff_per_day": staff,
        "cost_travel_per_day": travel,
        "cost_penalty_per_day": penalties,
        "cost_parts_per_day": parts,
        "cost_downtime_per_day": downtime,
    }
    if system.repeats is not None:
        # repeat calls priced at the average cost of a call, as a service report counts
        # them: repeat calls per day x cost per call (= repeat_share x cost_per_day)
        out["cost_repeat_per_day"] = kpis.get("repeat_share", math.nan) * calls * per_call
    return out


def kpis_priced(system: ServiceSystem) -> list[tuple[str, bool]]:
    """The KPIs the cost model reads for this system, and whether per class.

    A cost rate of zero makes its KPI irrelevant; the parts costs are not listed (they
    come from usage and stock KPIs that no formula prices).
    """
    costs = system.costs
    if costs is None:
        return []
    used = [("calls_per_day", False)]
    if system.contractor is not None and system.contractor.price:
        used.append(("contractor_jobs_per_day", False))
    if system.repeats is not None:
        used.append(("repeat_share", False))
    if costs.travel_per_h:
        used.append(("travel_share", False))
    if costs.downtime_per_machine_h:
        used.append(("machines_down", False))
    penalised = [c for c in system.classes if c.sla_h is not None and c.sla_penalty]
    if penalised:
        used.append(("sla_met", True))
    return used


def parts_priced(system: ServiceSystem) -> bool:
    """True when the system's parts cost anything (usage, emergencies or holding)."""
    parts = system.parts
    if parts is None:
        return False
    return bool(
        parts.emergency_cost or parts.holding_cost_per_unit_year or any(t.unit_cost for t in parts.types)
    )


def _parts_per_day(system: ServiceSystem, kpis: Mapping[str, float], days_per_year: float) -> float:
    """Parts used, emergency shipments and the holding cost of the stock on the shelves."""
    parts = system.parts
    if parts is None:
        return 0.0
    used = kpis.get("parts_cost_per_day", 0.0)
    emergencies = kpis.get("emergency_per_day", 0.0) * parts.emergency_cost
    units = kpis.get("van_on_hand", 0.0) + kpis.get("depot_on_hand", 0.0)
    holding = units * parts.holding_cost_per_unit_year / days_per_year
    return sum(0.0 if math.isnan(x) else x for x in (used, emergencies, holding))


def work_money(
    system: ServiceSystem, by_row: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """Money of the rows per working day: ``revenue_per_day``, ``job_cost_per_day`` and
    ``margin_per_day`` (revenue - direct cost) of each priced class's row (revenue and cost
    per call), each job type's row and each priced plan's row (``maintenance``, ``visits``:
    revenue and cost per visit),
    from its completed jobs per working day (``calls_per_day``), and their sums in the
    ``all`` row; nothing without job types or priced plans.  The team's own cost (staff,
    travel) is ``cost_per_day``; the margin here is before it (the row's share of
    technician time is ``hours_share``).  With a priced maintenance plan, also the plan's
    cost rate ``pm_cost_per_day`` in ``all`` (:func:`plan_cost_per_day`).
    """
    priced = [(c.name, c.revenue, c.cost) for c in system.priced_classes]
    priced += [(t.name, t.revenue, t.cost) for t in system.work_types]
    priced += [(p.row, p.revenue, p.cost) for p in system.priced_plans]
    plan = system.maintenance
    if not priced and (plan is None or not plan.priced):
        return {}
    out: dict[str, dict[str, float]] = {}
    total = {"revenue_per_day": 0.0, "job_cost_per_day": 0.0, "margin_per_day": 0.0}
    for name, revenue, cost in priced:
        jobs = by_row.get(name, {}).get("calls_per_day", math.nan)
        row = {
            "revenue_per_day": revenue * jobs,
            "job_cost_per_day": cost * jobs,
            "margin_per_day": (revenue - cost) * jobs,
        }
        out[name] = row
        for k, v in row.items():
            total[k] += v
    out["all"] = total if priced else {}
    if plan is not None and plan.priced:
        all_row = by_row.get("all", {})
        out["all"]["pm_cost_per_day"] = plan_cost_per_day(
            system, all_row.get("pm_visits_per_day", math.nan), all_row.get("breakdowns_per_day", math.nan)
        )
    return out


def plan_cost_per_day(system: ServiceSystem, visits_per_day: float, breakdowns_per_day: float) -> float:
    """The maintenance plan's cost rate: ``cost`` x planned visits + ``breakdown_cost`` x
    breakdowns per working day (renewal-reward's C(T), c_p = cost, c_f = breakdown_cost;
    a rate of zero makes its KPI irrelevant)."""
    plan = system.maintenance
    assert plan is not None
    out = 0.0
    if plan.cost:
        out += plan.cost * visits_per_day
    if plan.breakdown_cost:
        out += plan.breakdown_cost * breakdowns_per_day
    return out


def contractor_money(
    system: ServiceSystem, by_row: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """``contractor_cost_per_day`` of each row and of ``all``: ``contractor.price`` x the
    row's contractor jobs per working day; nothing without a contractor (with ``[costs]``
    the ``all`` value is part of ``cost_per_day``)."""
    c = system.contractor
    if c is None:
        return {}
    return {
        name: {"contractor_cost_per_day": c.price * row.get("contractor_jobs_per_day", math.nan)}
        for name, row in by_row.items()
    }
