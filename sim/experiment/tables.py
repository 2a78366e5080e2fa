"""The tables of an experiment: replications, summary (with CIs and analytic values),
per-call records, dispatch decisions and level series; and the KPI columns they hold."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim import analytic
from sim.config import DesignPoint
from sim.experiment.rows import ftf_identity_applies, param_value
from sim.experiment.tasks import TaskResult
from sim.kpis import Features, table_kpis
from sim.stats import lag1_autocorrelation, summarize
from sim.system import ServiceSystem


def kpi_names(system: ServiceSystem) -> list[str]:
    """All KPI columns of a system's tables, in the catalogue's order (:mod:`sim.kpis`)."""
    features = Features(
        costs=system.costs is not None,
        downtime_cost=system.costs is not None and bool(system.costs.downtime_per_machine_h),
        parts=system.parts is not None,
        shifts=system.calendar.shifts is not None,
        ftf_identity=ftf_identity_applies(system),
        territories=system.territories.count,
        team_size=system.team.technicians,
        repeats=system.repeats is not None,
        internal=system.internal is not None or system.internal_blocks is not None,
        work_types=bool(system.work_types),
        restore_targets=any(c.restore_sla_h is not None for c in system.classes),
        helpdesk=system.helpdesk is not None,
        reply_target=system.helpdesk is not None
        and (
            system.helpdesk.reply_target_h is not None
            or any(c.reply_sla_h is not None for c in system.classes)
        ),
        maintenance=system.maintenance is not None,
        visits=system.visits is not None,
        row_money=bool(system.priced_plans or system.priced_classes),
        pm_money=system.maintenance is not None and system.maintenance.priced,
        lifecycle=system.lifecycle is not None,
        contractor=system.contractor is not None,
        complaints=system.complaints is not None,
        satisfaction=system.satisfaction is not None,
        appointments=system.appointments is not None,
        skills=0 if system.skills is None else len(system.skills.names),
        skill_groups=0 if system.skills is None else len(system.skills.groups),
        escalation=system.skills is not None and system.skills.escalate_to is not None,
        remote_experts=system.skills is not None and system.skills.remote is not None,
        categories=system.categories is not None,
    )
    return table_kpis(features, system.report.wait_thresholds_h)


def replications_table(results: Sequence[TaskResult]) -> pd.DataFrame:
    """One row per (design point, replication, class)."""
    rows = [row for res in results if res.error is None for row in res.rows]
    return pd.DataFrame(rows)


def calls_table(results: Sequence[TaskResult], points: Sequence[DesignPoint]) -> pd.DataFrame:
    """Per-call records of every task that kept them."""
    frames = []
    names_of: dict[int, list[str]] = {}
    for res in results:
        if not res.calls:
            continue
        df = pd.DataFrame(res.calls)
        if res.design_point not in names_of:
            system = ServiceSystem.from_scenario(points[res.design_point].scenario)
            names_of[res.design_point] = list(system.row_names)  # classes, then job types
        names = names_of[res.design_point]
        df["service_class"] = pd.Categorical.from_codes(df["service_class"], names).astype(str)
        df["wait_h"] = df["dispatched_at"] - df["logged_at"]
        df.insert(0, "replication", res.replication)
        df.insert(0, "design_point", points[res.design_point].id)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def decisions_table(results: Sequence[TaskResult], points: Sequence[DesignPoint]) -> pd.DataFrame:
    """Every recorded dispatch decision: when, by which rule, which call, among how many
    free technicians (or waiting calls), and who took it."""
    frames = []
    for res in results:
        if res.decisions:
            df = pd.DataFrame(res.decisions, columns=["t_h", "rule", "call", "candidates", "technician"])
            df.insert(0, "replication", res.replication)
            df.insert(0, "design_point", points[res.design_point].id)
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def series_table(results: Sequence[TaskResult], points: Sequence[DesignPoint]) -> pd.DataFrame:
    """Levels over time: one row per (design point, replication, sample instant)."""
    frames = []
    for res in results:
        if not res.series:
            continue
        df = pd.DataFrame(res.series, columns=["t_h", "calls_waiting", "machines_down", "technicians_busy"])
        df.insert(0, "replication", res.replication)
        df.insert(0, "design_point", points[res.design_point].id)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def summary_table(
    replications: pd.DataFrame,
    points: Sequence[DesignPoint],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tidy summary with CIs and the analytic value of the best-matching model."""
    if replications.empty:
        return pd.DataFrame()
    # the union over the points, in order: a sweep may add KPIs (per-technician workloads,
    # thresholds) that the first point does not have
    systems = {p.id: ServiceSystem.from_scenario(p.scenario) for p in points}
    kpis = list(dict.fromkeys(k for system in systems.values() for k in kpi_names(system)))
    summ = summarize(replications, kpis, ("design_point", "class"), confidence)
    by_id = {p.id: p for p in points}
    estimates = {dp: analytic.estimate(system) for dp, system in systems.items()}
    values, models, exacts, notes = [], [], [], []
    for dp, cls, kpi in zip(summ["design_point"], summ["class"], summ["kpi"], strict=True):
        est = estimates[dp]
        e = est.get(kpi, cls)
        if e is None:
            values.append(math.nan)
            models.append("unstable" if est.unstable else "")
            exacts.append(pd.NA)
            notes.append(est.unstable or "")
        else:
            values.append(e.value)
            models.append(e.model)
            exacts.append(e.exact)
            notes.append(e.note)
    summ["analytic"] = values
    summ["analytic_model"] = models
    summ["analytic_exact"] = pd.array(exacts, dtype="boolean")
    summ["rel_error"] = [
        analytic.relative_error(m, a) for m, a in zip(summ["mean"], summ["analytic"], strict=True)
    ]
    summ["analytic_note"] = notes
    if "batch" in replications:
        add_batch_check(summ, replications)
    # parameter columns right after the design point
    params = list(dict.fromkeys(k for p in points for k in p.params))
    for i, key in enumerate(params):
        summ.insert(1 + i, key, [param_value(by_id[dp].params.get(key)) for dp in summ["design_point"]])
    return summ


def add_batch_check(summ: pd.DataFrame, replications: pd.DataFrame) -> None:
    """Add the batch means' lag-1 check to a summary of batches (in place).

    Batch means must be nearly independent for their t interval to hold: columns
    ``lag1_autocorrelation`` and ``batches_independent`` (``|r1| <= 2 / sqrt(n)``), which
    :func:`sim.stats.interval_warnings` reads."""
    lag1 = []
    for dp, cls, kpi in zip(summ["design_point"], summ["class"], summ["kpi"], strict=True):
        rows = replications[(replications["design_point"] == dp) & (replications["class"] == cls)]
        lag1.append(lag1_autocorrelation(rows[kpi].to_numpy(dtype=float)))
    summ["lag1_autocorrelation"] = lag1
    limit = [2.0 / math.sqrt(n) if n > 0 else math.nan for n in summ["n"]]
    summ["batches_independent"] = [
        abs(r) <= lim if not math.isnan(r) else pd.NA for r, lim in zip(lag1, limit, strict=True)
    ]
