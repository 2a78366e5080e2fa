"""Internal work taken when idle: what it does to the queueing figures.

A technician with no call waiting does internal tasks one after another and takes a
waiting call only when the task in hand ends: the queue with multiple vacations
(:mod:`sim.analytic.vacations`).  With Poisson calls:

* one technician, any service and task laws: Fuhrmann and Cooper's decomposition, the
  M/G/1 wait plus the mean residual task E[V^2] / (2 E[V]), exact; under nonpreemptive
  priority, each class's wait by Cobham's argument with that residual, exact;
* several technicians, exponential service and tasks: the Markov chain of (calls
  present, technicians serving), solved numerically, exact;
* several technicians otherwise, or a finite fleet (whose call rate falls as the waits
  grow): no exact value and no cited approximation, so the waits get no analytic value.

Every call waits (no technician is ever idle), so ``p_wait`` is 1; the technicians'
time not spent on calls is internal, so ``internal_share = 1 - utilization``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic import vacations
from sim.analytic.ctmc import StateSpaceTooLarge
from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.estimate.team import TeamView

if TYPE_CHECKING:
    from sim.system import ServiceSystem

PRIORITY_MODEL = "M/G/1 nonpreemptive priority, multiple vacations"

#: KPIs that depend on the waits (internal work changes them)
_WAITS = ("wait_h", "response_h", "restore_h", "queue_len", "machines_down", "sla_met", "restore_met")
#: KPIs a finite fleet's call rate changes (the waits change how many machines work)
_RATES = ("utilization", "utilization_onsite", "travel_share", "calls_per_day")
#: KPIs that depend on how often a trip starts from base (first trips)
_TRIPS = ("utilization", "travel_share")


def _is_wait(kpi: str) -> bool:
    return kpi in _WAITS or kpi.startswith("p_wait_gt_")


def _vacation_queue(
    system: ServiceSystem, team: TeamView, notes: list[str]
) -> tuple[vacations.VacationResult, str] | None:
    """The team's queue with multiple vacations and why it holds, if a model covers it."""
    assert system.internal is not None
    task = system.internal.task
    if team.finite or team.first_travel is not None:
        return None  # the call rate, or the share of trips from base, depends on the waits
    lam, es, vs = team.arrival_rate, team.mean_service, team.var_service
    if team.servers == 1:
        res = vacations.mg1_multiple_vacations(lam, es, vs, task.mean, task.variance)
        why = (
            "Poisson calls, one technician, internal tasks when idle: the M/G/1 wait plus the "
            "mean residual task E[V^2]/(2E[V]) (decomposition, Fuhrmann & Cooper 1985)"
        )
        return res, why
    if team.exponential_service and task.is_exponential:
        try:
            res = vacations.mmc_multiple_vacations(lam, 1.0 / es, team.servers, 1.0 / task.mean)
        except (StateSpaceTooLarge, ArithmeticError) as exc:  # (too big, or truncated too early)
            notes.append(f"internal work with several technicians: {exc}, so no wait is given")
            return None
        why = (
            "Poisson calls, exponential service and internal tasks, each technician on tasks "
            "when idle: the Markov chain of (calls present, technicians serving), solved numerically"
        )
        return res, why
    return None


def with_internal_work(est: Estimates, system: ServiceSystem, team: TeamView) -> Estimates:
    """The team's formulas with internal work taken when idle (``system.internal``).

    Parameters
    ----------
    est : Estimates
        The formulas of one team without internal work, labelled for the dispatch rule
        and the calendar (their downgrades are kept).
    system : sim.system.ServiceSystem
    team : TeamView
    """
    notes = list(est.notes)
    found = _vacation_queue(system, team, notes)
    lam = team.arrival_rate
    priorities = {c.priority for c in system.classes}
    by_priority = system.dispatch.pair[0] == "priority" and len(priorities) > 1
    # under priority, each class's extra wait (one technician), else one for all classes
    class_extra = _priority_extra(system, team, est) if by_priority and found is not None else {}
    per_class_known = not by_priority or bool(class_extra)
    out: list[Estimate] = []
    for e in est.primary:
        if _is_wait(e.kpi):
            if found is None or e.kpi in ("sla_met", "restore_met") or e.kpi.startswith("p_wait_gt_"):
                continue  # no formula for this team, nor for the law of the wait (tails)
            if e.service_class != "all" and not per_class_known:
                continue  # priority classes: how the extra wait splits is not given here
            res, why = found
            # the overall wait of a nonpreemptive order blind to service times is FIFO's
            share = 1.0 if e.service_class == "all" else _share(system, e.service_class)
            extra = class_extra.get(e.service_class, res.wq_vacation)
            shift = share * lam * extra if e.kpi in ("queue_len", "machines_down") else extra
            model = PRIORITY_MODEL if e.service_class in class_extra else res.model
            note = why if e.exact else f"{why}; {e.note}"
            out.append(replace(e, value=e.value + shift, model=model, note=note))
        elif (team.finite and e.kpi in _RATES) or (team.first_travel is not None and e.kpi in _TRIPS):
            continue  # the call rate (finite fleet) or the share of trips from base changes
        elif e.kpi == "p_wait" or e.kpi.startswith("workload_tech"):
            continue  # p_wait: replaced below; workloads: nobody is free to be chosen by list
        else:
            out.append(e)
    # (Poisson calls never come at the instant a task ends; a finite fleet's might)
    why_wait = "no technician is ever idle: every call waits for the task in hand to end"
    out.append(Estimate("p_wait", "all", 1.0, "internal work when idle", not team.finite, why_wait))
    util = next((e for e in out if e.kpi == "utilization" and e.service_class == "all"), None)
    if util is not None:
        share_note = "the time not spent on calls is spent on internal tasks: 1 - utilization"
        model = f"1 - utilization ({util.model})"
        out.append(replace(util, kpi="internal_share", value=1.0 - util.value, model=model, note=share_note))
        out.append(
            replace(
                util,
                kpi="internal_h_per_day",
                value=(1.0 - util.value) * system.calendar.day_length_h,
                model=model,
                note=share_note + ", per technician per working day",
            )
        )
    alternatives = [e for e in est.alternatives if not _is_wait(e.kpi) and e.kpi not in _RATES]
    return replace(est, primary=out, alternatives=alternatives, notes=notes)


def _priority_extra(system: ServiceSystem, team: TeamView, est: Estimates) -> dict[str, float]:
    """Each class's wait added by internal work under nonpreemptive priority, one
    technician: the vacation formula's wait less Cobham's (the formulas' per-class wait)."""
    if team.servers != 1:
        return {}
    assert system.internal is not None
    task = system.internal.task
    levels = sorted({c.priority for c in system.classes})
    lam = team.arrival_rate
    rates = [sum(lam * c.share for c in system.classes if c.priority == lv) for lv in levels]
    waits = vacations.mg1_priority_multiple_vacations(
        rates, team.mean_service, team.var_service, task.mean, task.variance
    )
    out: dict[str, float] = {}
    for c in system.classes:
        before = est.get("wait_h", c.name)
        if before is None:
            return {}
        out[c.name] = waits[levels.index(c.priority)] - before.value
    return out


def _share(system: ServiceSystem, name: str) -> float:
    return next(c.share for c in system.classes if c.name == name)


#: what a team's formulas give that scheduled blocks leave exact (work conservation at
#: Poisson calls: the offered load does not depend on who waits how long)
_CONSERVED = ("calls_per_day", "utilization", "utilization_onsite", "travel_share", "hours_share")

BLOCKS_MODEL = "scheduled blocks"


def blocks_estimate(system: ServiceSystem, base: Estimates) -> Estimates:
    """The estimates of a team with internal work in scheduled blocks
    (``system.internal_blocks``), from ``base``, the same system's without them.

    ``internal_share`` is the blocks' share and ``internal_h_per_day`` its hours per
    technician and working day, exact for
    a stable team (every block is done, a postponed one after the job in hand); at Poisson
    calls the rates and offered loads stay exact (work conservation).  The waits have no
    formula here: the blocks take whole technicians away at fixed times (a note says so).
    """
    blocks = system.internal_blocks
    assert blocks is not None
    if base.unstable is not None:
        return base
    util = base.get("utilization")
    if util is not None and util.value + blocks.share >= 1.0:
        return Estimates(
            unstable=f"no steady state: utilization {util.value:.3g} + internal share {blocks.share:g} >= 1"
        )
    note = "each technician's blocks take their share of the clock (a stable team does them all)"
    keep = [e for e in base.primary if not system.source.finite and e.kpi in _CONSERVED and e.exact]
    day = system.calendar.day_length_h
    rows = [
        Estimate("internal_share", "all", blocks.share, BLOCKS_MODEL, True, note),
        Estimate("internal_h_per_day", "all", blocks.share * day, BLOCKS_MODEL, True, note),
    ]
    # (the base's notes speak of its waits, which are not given here)
    notes = [
        "internal work in scheduled blocks: no formula for the waits (the blocks take whole "
        "technicians away at fixed times); the rates and offered loads are those without them"
    ]
    return Estimates(primary=[*keep, *rows], notes=notes)
