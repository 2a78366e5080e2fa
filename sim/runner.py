"""Tasks, executors and experiments.

A task is one (design point, replication).  :func:`run_replication` is a
top-level pure function of its task: any task re-run alone gives the same
rows, whatever backend or worker ran it, because every random draw comes from
streams addressed by the replication number (common random numbers across
design points).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim import analytic
from sim.config import DesignPoint, Scenario
from sim.model import simulate
from sim.recorder import CallRecord, KPIRecorder
from sim.stats import summarize

#: KPI columns in the order tables show them (p_wait_gt_* columns follow wait_h).
CALL_KPIS = ("wait_h", "response_h", "restore_h", "sla_met", "queue_len", "calls_per_day")
TEAM_KPIS = ("utilization", "utilization_onsite", "travel_share", "machines_down")
BACKENDS = ("serial", "process")
#: evenly spaced samples of the levels per replication (for time-series charts)
SERIES_SAMPLES = 200


def kpi_names(scenario: Scenario) -> list[str]:
    """All KPI columns of a scenario's tables."""
    return [
        "wait_h", *scenario.wait_kpi_names, "response_h", "restore_h", "sla_met", "queue_len",
        "calls_per_day", *TEAM_KPIS,
    ]


@dataclass(frozen=True)
class Task:
    """One replication of one design point."""

    point: DesignPoint
    replication: int
    keep_calls: bool = False
    samples: int = SERIES_SAMPLES


@dataclass
class TaskResult:
    """The rows of one task (one per class plus ``all``), or its error."""

    design_point: int
    replication: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    calls: list[CallRecord] | None = None
    series: list[tuple[float, int, int, int]] | None = None
    wall_s: float = 0.0
    error: str | None = None


def _param_value(value: Any) -> Any:
    """Parameter values as table cells: scalars as they are, tables as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def run_replication(task: Task) -> TaskResult:
    """Simulate one task and return its KPI rows (pure: same task, same rows)."""
    t0 = time.perf_counter()
    sc = task.point.scenario
    classes = sc.fleet.classes
    recorder = KPIRecorder(
        [c.name for c in classes],
        [c.sla_h for c in classes],
        sc.report.wait_thresholds_h,
        technicians=sc.territories.technicians * sc.territories.count,
        hours_per_day=sc.calendar.hours_per_day,
        keep_calls=task.keep_calls,
    )
    end = simulate(sc, task.replication, recorder, task.samples)
    kpis = recorder.kpis(end)
    params = {k: _param_value(v) for k, v in task.point.params.items()}
    rows = [
        {
            "design_point": task.point.id,
            "replication": task.replication,
            "class": name,
            **params,
            **values,
        }
        for name, values in [("all", kpis["all"]), *((c.name, kpis[c.name]) for c in classes)]
    ]
    return TaskResult(
        task.point.index, task.replication, rows,
        recorder.calls if task.keep_calls else None, recorder.series or None,
        time.perf_counter() - t0,
    )


def _guarded(task: Task) -> TaskResult:
    """Run a task; an exception becomes the task's recorded error, not a crash."""
    try:
        return run_replication(task)
    except Exception:  # noqa: BLE001 - every failure is reported in the manifest
        return TaskResult(task.point.index, task.replication, error=traceback.format_exc())


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_tasks(
    tasks: Sequence[Task],
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Run tasks on a backend and return their results in task order.

    Parameters
    ----------
    backend : {"serial", "process"}
    workers : int, optional
        Worker processes (default: one per core).
    progress : bool, optional
        Show a progress bar; ``None`` shows it only on a terminal.
    on_result : callable, optional
        Called in the main process as each task finishes.
    """
    from tqdm import tqdm

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    disable = (not sys.stderr.isatty()) if progress is None else not progress
    bar = tqdm(total=len(tasks), unit="task", disable=disable, desc="simulating", leave=False)
    results: dict[tuple[int, int], TaskResult] = {}
    failures = 0

    def done(res: TaskResult) -> None:
        nonlocal failures
        results[(res.design_point, res.replication)] = res
        failures += res.error is not None
        if on_result is not None:
            on_result(res)
        bar.update(1)
        if failures:
            bar.set_postfix(failed=failures)

    workers = workers or default_workers()
    try:
        if backend == "serial" or workers == 1 or len(tasks) <= 1:
            for task in tasks:
                done(_guarded(task))
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
                _drain(pool, tasks, done)
    finally:
        bar.close()
    return [results[(t.point.index, t.replication)] for t in tasks]


def _drain(pool: Executor, tasks: Iterable[Task], done: Callable[[TaskResult], None]) -> None:
    futures = [pool.submit(_guarded, t) for t in tasks]
    for fut in as_completed(futures):
        done(fut.result())


# ---------------------------------------------------------------------------
# Tables


def replications_table(results: Sequence[TaskResult]) -> pd.DataFrame:
    """One row per (design point, replication, class)."""
    rows = [row for res in results if res.error is None for row in res.rows]
    return pd.DataFrame(rows)


def calls_table(results: Sequence[TaskResult], points: Sequence[DesignPoint]) -> pd.DataFrame:
    """Per-call records of every task that kept them."""
    frames = []
    for res in results:
        if not res.calls:
            continue
        df = pd.DataFrame(res.calls)
        names = [c.name for c in points[res.design_point].scenario.fleet.classes]
        df["service_class"] = pd.Categorical.from_codes(df["service_class"], names).astype(str)
        df["wait_h"] = df["dispatched_at"] - df["logged_at"]
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
        df = pd.DataFrame(res.series, columns=["t_h", "calls_waiting", "machines_down",
                                               "technicians_busy"])
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
    kpis = kpi_names(points[0].scenario)
    summ = summarize(replications, kpis, ("design_point", "class"), confidence)
    by_id = {p.id: p for p in points}
    estimates = {p.id: analytic.estimate(p.scenario) for p in points}
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
    # parameter columns right after the design point
    params = sorted({k for p in points for k in p.params})
    for i, key in enumerate(params):
        summ.insert(1 + i, key, [_param_value(by_id[dp].params.get(key)) for dp in summ["design_point"]])
    return summ


# ---------------------------------------------------------------------------
# Experiments


@dataclass
class Experiment:
    """A finished experiment: its design, tables and where they were written."""

    scenario: Scenario
    points: list[DesignPoint]
    results: list[TaskResult]
    replications: pd.DataFrame
    summary: pd.DataFrame
    calls: pd.DataFrame | None
    series: pd.DataFrame
    wall_s: float
    path: Any = None  # the results folder, once written

    @property
    def failures(self) -> list[TaskResult]:
        return [r for r in self.results if r.error is not None]


def make_tasks(points: Sequence[DesignPoint], keep_calls: bool = False) -> list[Task]:
    """Every (design point, replication), replications innermost."""
    return [
        Task(p, r, keep_calls) for p in points for r in range(p.scenario.run.replications)
    ]


def run_experiment(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    backend: str = "process",
    workers: int | None = None,
    keep_calls: bool = False,
    progress: bool | None = None,
    confidence: float = 0.95,
) -> Experiment:
    """Run every replication of every design point and build the tables."""
    t0 = time.perf_counter()
    results = run_tasks(make_tasks(points, keep_calls), backend, workers, progress)
    reps = replications_table(results)
    summary = summary_table(reps, points, confidence)
    calls = calls_table(results, points) if keep_calls else None
    return Experiment(scenario, list(points), results, reps, summary, calls,
                      series_table(results, points), time.perf_counter() - t0)


def manifest(exp: Experiment, argv: Sequence[str], source: str) -> dict[str, Any]:
    """Everything needed to know how a run was made and to repeat it."""
    from sim.results import git_commit, package_versions

    return {
        "scenario_file": source,
        "scenario": exp.scenario.model_dump(mode="json"),
        "config_hash": exp.scenario.config_hash(),
        "sweep": {k: list(v) for k, v in exp.scenario.sweep.items()},
        "design_points": [
            {"id": p.id, "params": p.params, "config_hash": p.scenario.config_hash()}
            for p in exp.points
        ],
        "seed": exp.scenario.run.seed,
        "replications": exp.scenario.run.replications,
        "command_line": list(argv),
        "git_commit": git_commit(),
        "versions": {"python": sys.version.split()[0], **package_versions()},
        "wall_s": round(exp.wall_s, 3),
        "tasks": [
            {
                "design_point": exp.points[r.design_point].id,
                "replication": r.replication,
                "status": "failed" if r.error else "done",
                "wall_s": round(r.wall_s, 4),
                **({"error": r.error} if r.error else {}),
            }
            for r in exp.results
        ],
    }
