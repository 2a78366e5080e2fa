"""Preventive maintenance (``[work.maintenance]``) in the analytic layer: age replacement
by renewal-reward (:mod:`sim.analytic.age_replacement`).

Each machine is a renewal process whose cycle starts at a renewal (a repair's end or a
planned visit's end): it works min(L, T) hours (T = ``every_h``), then either breaks down
(probability F(T)) and is down for d_f, or comes due and is in a planned visit for d_p,
not ageing during either.  Per machine-hour

    breakdowns      F(T) / C,    planned visits  R(T) / C,
    C = integral_0^T R(t) dt + d_f F(T) + d_p R(T),

and the breakdowns avoided per machine-hour are (integral_0^T R / E[L] - F(T)) / C (the
working hours at the renewal rate 1 / E[L], less the breakdowns).

**Exact** when nobody ever waits for a technician: as many technicians in each team as
machines (a machine has at most one job at a time), no shift calendar, no spare parts and
no other cause of a failed visit; then d_f is the trip plus the repair and d_p the trip
(if the plan travels) plus the visit, whatever the laws of these times, and T is met
exactly.  Otherwise the same formulas with those downtimes are an **approximation**: they
ignore the waits (a waiting machine keeps ageing past T, a broken one stays down longer),
and so they are beside the fleet's replacements (``[fleet.lifecycle]``: each restarts a
plan), installation jobs, key-customer visits or internal work, whose hours are not in the
cycle (then no ``utilization`` is given).
Lives: Weibull (exponential is shape 1); for other laws no value is given (a note says so).

Key-customer visits (``[work.visits]``) keep a fixed calendar, so each customer has one
visit per ``every_days`` working days whatever the waits: ``visits_per_day`` = customers
per territory x territories / every_days, exact for a team that keeps up (a stable one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.analytic.age_replacement import age_replacement
from sim.analytic.block_replacement import calendar_plan
from sim.analytic.estimate.results import Estimate, Estimates

if TYPE_CHECKING:
    from sim.system import ServiceSystem

MODEL = "age replacement (renewal-reward)"
#: the model of the planned work's money (linear in the visit and breakdown rates)
MONEY = "money x rates"


def no_wait(system: ServiceSystem) -> bool:
    """Whether no call or planned visit can ever wait for a technician."""
    src = system.source
    assert src.finite
    return (
        system.team.technicians >= sum(src.per_territory)
        and system.calendar.shifts is None
        and system.parts is None
        and system.repair.p_other_failure == 0.0
    )


def renewal_curve(
    system: ServiceSystem, intervals: Sequence[float]
) -> list[tuple[float, float, float]] | None:
    """(breakdowns per day, planned-visit technician hours per day, the plan's cost rate
    ``pm_cost_per_day``) of the whole fleet at each interval T, by the same renewal-reward
    formulas as :func:`maintenance_estimate` (``None``: no plan, or lives other than
    Weibull); for the report's trade-off curve."""
    plan, src = system.maintenance, system.source
    if plan is None or not src.finite:
        return None
    life = src.life
    shape = getattr(life, "shape", None) if life.name == "weibull" else 1.0 if life.is_exponential else None
    if shape is None:
        return None
    _, d_f, visit_h = _downtimes(system)
    scale = sum(src.per_territory) * system.teams * system.calendar.day_length_h
    out = []
    for t in intervals:
        if plan.calendar:
            c = calendar_plan(float(shape), life.mean, float(t), visit_h, d_f)
            broke, planned = c.breakdown_rate, c.planned_rate
        else:
            r = age_replacement(float(shape), life.mean, float(t), 1.0, 1.0, visit_h, d_f)
            broke, planned = r.breakdown_rate, r.planned_rate
        cost = plan.cost * planned + plan.breakdown_cost * broke
        out.append((scale * broke, scale * planned * visit_h, scale * cost))
    return out


def optimal_interval(system: ServiceSystem) -> tuple[float, float] | None:
    """The interval T* that minimises the plan's cost rate by renewal-reward, and that rate
    per working day for the whole fleet (:func:`sim.analytic.age_replacement.optimal_age_replacement`
    with c_p = ``cost``, c_f = ``breakdown_cost`` and the downtimes of the estimate);
    ``None`` without both costs, for lives other than Weibull, or when no finite interval
    beats no plan."""
    from sim.analytic.age_replacement import optimal_age_replacement

    plan, src = system.maintenance, system.source
    if plan is None or not src.finite or not (plan.cost > 0 and plan.breakdown_cost > 0) or plan.calendar:
        return None  # (age replacement's optimum; none computed for a calendar plan)
    life = src.life
    shape = getattr(life, "shape", None) if life.name == "weibull" else 1.0 if life.is_exponential else None
    if shape is None:
        return None
    _, d_f, visit_h = _downtimes(system)
    best = optimal_age_replacement(float(shape), life.mean, plan.cost, plan.breakdown_cost, visit_h, d_f)
    if not best.optimal:
        return None
    scale = sum(src.per_territory) * system.teams * system.calendar.day_length_h
    return best.interval, scale * best.at_optimum.cost_rate


def _downtimes(system: ServiceSystem) -> tuple[float, float, float]:
    """The trip, a breakdown's downtime and a planned visit's (trip if it travels, visit)."""
    plan = system.maintenance
    assert plan is not None
    tr = system.travel
    from_base = getattr(tr, "from_base", None)
    # with nobody waiting every dispatch is from idleness: the trip from base when given
    trip = from_base.mean if from_base is not None else tr.per_call.mean
    return trip, trip + system.repair.time.mean, (trip if plan.travel else 0.0) + plan.duration.mean


def _other_work(system: ServiceSystem) -> list[str]:
    """What besides breakdowns and planned visits the renewal-reward cycle leaves out."""
    out = []
    if system.lifecycle is not None:
        out.append("the replacements at the end of the service lives (each restarts its machine's plan)")
    if system.work_types:
        out.append("the jobs (installations) that take the technicians")
    if system.visits is not None:
        out.append("the key-customer visits that take the technicians")
    if system.internal is not None:
        out.append("the internal tasks that delay the visits and repairs")
    return out


def maintenance_estimate(system: ServiceSystem) -> Estimates:
    """Breakdowns, planned visits, their hours, the breakdowns avoided, machines down and
    utilisation of a fleet with a maintenance plan (per working day, all machines)."""
    plan, src = system.maintenance, system.source
    assert plan is not None and src.finite
    life = src.life
    shape = getattr(life, "shape", None) if life.name == "weibull" else 1.0 if life.is_exponential else None
    if shape is None:
        return Estimates(
            notes=[f"maintenance: no formula for {life.name} lives (age replacement is computed for Weibull)"]
        )
    if plan.calendar:
        return calendar_estimate(system, float(shape))
    tr = system.travel
    from_base = getattr(tr, "from_base", None)
    other = _other_work(system)
    exact = no_wait(system) and not other
    trip, d_f, visit_h = _downtimes(system)
    r = age_replacement(float(shape), life.mean, plan.every_h, 1.0, 1.0, visit_h, d_f)
    machines = sum(src.per_territory) * system.teams
    hours_per_day = system.calendar.day_length_h
    scale = machines * hours_per_day
    f = r.breakdown_probability
    working = r.availability * r.mean_cycle  # integral_0^T R
    note = (
        "nobody waits (technicians >= machines per team, no shifts or parts): renewal-reward exact"
        if exact
        else f"ignores {'; '.join(other)}: an approximation"
        if other
        else "ignores the waits for a technician (the visit then comes past age T, breakdowns "
        "stay down longer): an approximation"
    )
    rows = [
        Estimate("breakdowns_per_day", "all", scale * r.breakdown_rate, MODEL, exact, note),
        Estimate("pm_visits_per_day", "all", scale * r.planned_rate, MODEL, exact, note),
        Estimate("pm_h_per_day", "all", scale * r.planned_rate * visit_h, MODEL, exact, note),
        Estimate(
            "breakdowns_avoided",
            "all",
            # (exponential lives: working / mean life = F(T) exactly; rounding would leave 1e-16)
            0.0 if shape == 1.0 else scale * (working / life.mean - f) / r.mean_cycle,
            MODEL,
            exact,
            f"{note}; the working hours at 1 / mean life, less the breakdowns",
        ),
        Estimate("machines_down", "all", machines * f * d_f / r.mean_cycle, MODEL, exact, note),
    ]
    if not (system.visits is not None or system.work_types or system.internal is not None):
        # (the technicians' other work is not in it)
        rows.append(
            Estimate(
                "utilization",
                "all",
                machines * (f * d_f + (1.0 - f) * visit_h) / r.mean_cycle / system.technicians,
                MODEL,
                exact,
                note,
            )
        )
    if exact and (not plan.travel or (from_base or tr.per_call).variance == 0.0):
        on_time = 1.0 if (trip if plan.travel else 0.0) <= plan.window_h else 0.0
        rows.append(
            Estimate("pm_in_window", "all", on_time, MODEL, True, "nobody waits: on site after a fixed trip")
        )
    return Estimates(
        primary=rows,
        notes=["maintenance: the queueing formulas do not apply to a fleet with planned visits"],
    )


#: the calendar plan's model (sim/analytic/block_replacement.py)
CALENDAR_MODEL = "block replacement (renewal function)"


def calendar_estimate(system: ServiceSystem, shape: float) -> Estimates:
    """Breakdowns, planned visits and their hours of a plan in calendar days: block
    replacement (:func:`sim.analytic.block_replacement.calendar_plan`), always approximate
    (downtimes at their means, the visit at a fixed phase of the period, no waits)."""
    plan, src = system.maintenance, system.source
    assert plan is not None and src.finite
    _, d_f, visit_h = _downtimes(system)
    c = calendar_plan(shape, src.life.mean, plan.every_h, visit_h, d_f)
    machines = sum(src.per_territory) * system.teams
    scale = machines * system.calendar.day_length_h
    other = _other_work(system)
    note = (
        "a fixed calendar: breakdowns between visits by the lives' renewal function in the "
        "working hours of a period, downtimes at their means, a visit skipped when the machine "
        "is down as its window opens"
        + ("" if no_wait(system) else ", no waits for a technician")
        + (f"; ignores {'; '.join(other)}" if other else "")
        + ": an approximation"
    )
    rows = [
        Estimate("breakdowns_per_day", "all", scale * c.breakdown_rate, CALENDAR_MODEL, False, note),
        Estimate("pm_visits_per_day", "all", scale * c.planned_rate, CALENDAR_MODEL, False, note),
        Estimate("pm_h_per_day", "all", scale * c.planned_rate * visit_h, CALENDAR_MODEL, False, note),
        Estimate("machines_down", "all", machines * c.down_share, CALENDAR_MODEL, False, note),
    ]
    return Estimates(
        primary=rows,
        notes=["maintenance: the queueing formulas do not apply to a fleet with planned visits"],
    )


def visits_estimate(system: ServiceSystem) -> list[Estimate]:
    """``visits_per_day`` of the key-customer visits (none without ``[work.visits]``)."""
    visits = system.visits
    if visits is None:
        return []
    per_day = visits.customers * system.territories.count / visits.every_days
    note = "one visit per customer and period on a fixed calendar (for a team that keeps up)"
    return [Estimate("visits_per_day", "all", per_day, "fixed calendar", True, note)]


def planned_estimate(system: ServiceSystem) -> Estimates:
    """The estimates of a system with planned work: maintenance, key-customer visits."""
    out = maintenance_estimate(system) if system.maintenance is not None else Estimates()
    notes = [*out.notes]
    if system.maintenance is None:
        notes.append("planned visits: the queueing formulas do not apply to a team with planned work")
    rows = [*out.primary, *visits_estimate(system)]
    return Estimates(primary=[*rows, *money_estimate(system, Estimates(primary=rows))], notes=notes)


def money_estimate(system: ServiceSystem, est: Estimates) -> list[Estimate]:
    """The planned work's money (:func:`sim.costs.work_money`) applied to the estimated
    visit rates: each priced plan's row, their sum in ``all`` when no other row has money
    (job types and the installation job have no estimate beside planned work), and the
    maintenance plan's cost rate ``pm_cost_per_day``.  Money is linear in the rates, so
    each value is exact when the rates it prices are."""
    from sim.costs import plan_cost_per_day  # (the one cost model)

    rate_of = {"maintenance": "pm_visits_per_day", "visits": "visits_per_day"}
    out: list[Estimate] = []
    total = {"revenue_per_day": 0.0, "job_cost_per_day": 0.0, "margin_per_day": 0.0}
    used: list[Estimate] = []
    for plan in system.priced_plans:
        rate = est.get(rate_of[plan.row])
        if rate is None:
            used = []
            break
        used.append(rate)
        note = f"{plan.row}: money per visit x {rate.kpi} ({rate.model})"
        for kpi, per_visit in (
            ("revenue_per_day", plan.revenue),
            ("job_cost_per_day", plan.cost),
            ("margin_per_day", plan.revenue - plan.cost),
        ):
            out.append(Estimate(kpi, plan.row, per_visit * rate.value, MONEY, rate.exact, note))
            total[kpi] += per_visit * rate.value
    if used and not system.work_types:  # (no job type's money is missing from the sum)
        exact = all(e.exact for e in used)
        note = "the priced plans' rows summed"
        out += [Estimate(kpi, "all", v, MONEY, exact, note) for kpi, v in total.items()]
    pm = system.maintenance
    if pm is not None and pm.priced:
        visits, breakdowns = est.get("pm_visits_per_day"), est.get("breakdowns_per_day")
        if visits is not None and breakdowns is not None:
            out.append(
                Estimate(
                    "pm_cost_per_day",
                    "all",
                    plan_cost_per_day(system, visits.value, breakdowns.value),
                    MONEY,
                    visits.exact and breakdowns.exact,
                    ("block replacement's" if pm.calendar else "renewal-reward C(T):")
                    + f" cost x pm_visits_per_day + breakdown_cost x breakdowns_per_day ({visits.model})",
                )
            )
    return out
