"""A whole experiment: every replication of every design point, the tables built from
them, in memory (:func:`run_experiment`) or into a run folder (:func:`execute`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from sim.config import DesignPoint, Scenario
from sim.experiment.blocks import auto_blocks, merge_blocks
from sim.experiment.execution import run_tasks
from sim.experiment.interval_check import check_intervals
from sim.experiment.manifest import machine_layout, manifest, manifest_head
from sim.experiment.plan import make_tasks
from sim.experiment.precision import Precision, precision_intervals
from sim.experiment.stability import unstable_points
from sim.experiment.tables import (
    calls_table,
    decisions_table,
    replications_table,
    series_table,
    summary_table,
)
from sim.experiment.tasks import Task, TaskResult, result_from_record, result_record, task_file, task_key
from sim.experiment.warmup import resolve_warmups
from sim.stats import SteinPlan
from sim.system import ServiceSystem


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
    precision: dict[str, Any] = field(default_factory=dict)  # what --precision reached
    warmups: dict[str, float] = field(default_factory=dict)  # warm-ups chosen by MSER-5
    decisions: pd.DataFrame | None = None  # dispatch decisions, if recorded
    unstable: dict[str, str] = field(default_factory=dict)  # design points whose queue grows
    interval_check: pd.DataFrame | None = None  # the pilot CVs (sim.experiment.interval_check)

    @property
    def failures(self) -> list[TaskResult]:
        return [r for r in self.results if r.error is not None]


def run_experiment(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    backend: str = "process",
    workers: int | None = None,
    keep_calls: bool = False,
    progress: bool | None = None,
    confidence: float = 0.95,
    finished: Sequence[TaskResult] = (),
    on_result: Callable[[TaskResult], None] | None = None,
    dask_address: str | None = None,
    precision: Precision | None = None,
    interval_check: bool = False,
) -> Experiment:
    """Run every replication of every design point and build the tables.

    ``finished`` results (from a resumed run) are kept and not run again.
    With ``precision`` (:class:`Precision`), each design point gets the
    replications its first stage says are needed (the same replication numbers,
    hence the same streams, at every point), and the summary's interval of the
    KPI is the rule's (``interval = "stein"``).  With ``interval_check``, an
    independent pilot of each design point estimates the CV of a replication mean
    (:mod:`sim.experiment.interval_check`) for the interval warnings.
    """
    t0 = time.perf_counter()
    points, warmups = resolve_warmups(points, backend, workers, progress, dask_address)
    have = {r.key: r for r in finished if r.error is None}
    by_index = {p.index: p for p in points}

    def collect(tasks: list[Task]) -> None:
        todo = [t for t in tasks if task_key(t) not in have]
        for r in run_tasks(todo, backend, workers, progress, on_result, dask_address):
            have[r.key] = r

    blocks_of = {p.index: auto_blocks(ServiceSystem.from_scenario(p.scenario)) for p in points}

    def replication(p: DesignPoint, r: int) -> TaskResult:
        blocks = blocks_of[p.index]
        keys = [(p.index, r, b) for b in range(blocks)]
        if any(k not in have for k in keys):
            return TaskResult(p.index, r, error="not run")
        parts = [have[k] for k in keys]
        return parts[0] if blocks == 1 else merge_blocks(by_index[p.index], parts)

    counts = {p.index: p.scenario.run.replications for p in points}
    collect(make_tasks(points, keep_calls))
    reached: dict[str, Any] = {}
    plans: dict[int, SteinPlan] = {}

    def kpi_values(p: DesignPoint, n: int) -> list[float]:
        assert precision is not None
        return [
            row[precision.kpi]
            for r in range(n)
            for row in replication(p, r).rows
            if row["class"] == "all" and precision.kpi in row
        ]

    if precision is not None:  # the second stage, planned from the first (the same on a resume)
        extra: dict[int, range] = {}
        for p in points:
            plans[p.index] = plan = precision.plan(kpi_values(p, counts[p.index]))
            if plan.total > counts[p.index]:
                extra[p.index] = range(counts[p.index], plan.total)
                counts[p.index] = plan.total
        if extra:
            collect(make_tasks([p for p in points if p.index in extra], keep_calls, extra))
    results = [replication(p, r) for p in points for r in range(counts[p.index])]
    reps = replications_table(results)
    summary = summary_table(reps, points, confidence)
    if precision is not None:
        values = {p.index: kpi_values(p, counts[p.index]) for p in points}
        reached = precision_intervals(summary, points, plans, values, precision, confidence)
    calls = calls_table(results, points) if keep_calls else None
    exp = Experiment(
        scenario,
        list(points),
        results,
        reps,
        summary,
        calls,
        series_table(results, points),
        time.perf_counter() - t0,
    )
    exp.precision = reached
    exp.warmups = warmups
    exp.decisions = decisions_table(results, points)
    exp.unstable = unstable_points(summary, points) if not summary.empty else {}
    if interval_check:
        exp.interval_check = check_intervals(points, backend, workers, progress, dask_address)
        exp.wall_s = time.perf_counter() - t0
    return exp


class RunInterrupted(Exception):
    """Ctrl-C during a run: the finished tasks are kept in ``path`` for ``--resume``."""

    def __init__(self, path: Any, finished: int) -> None:
        self.path, self.finished = path, finished
        super().__init__(
            f"interrupted: {finished} finished task(s) kept in {path}; complete the run with: "
            f"python run_sim.py run --resume {path}"
        )


def execute(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    out: Any,
    argv: Sequence[str],
    source: str,
    backend: str = "process",
    workers: int | None = None,
    keep_calls: bool = False,
    progress: bool | None = None,
    resume: Any = None,
    dask_address: str | None = None,
    precision: Precision | None = None,
    extra: dict[str, Any] | None = None,
    announce: Callable[[], None] | None = None,
    interval_check: bool = False,
) -> Experiment:
    """Run an experiment into a results folder, saving each task as it finishes.

    With ``resume`` (a run folder that did not finish), the tasks already saved
    are loaded instead of run again; the final files equal those of a run that
    was never interrupted.  ``announce`` is called once every check has passed, just
    before the first task (so a refused run prints nothing but its error).
    """
    from pathlib import Path

    from sim.results import RunFolder, run_id

    if resume is not None:
        folder, head = RunFolder.open_for_resume(resume)
        finished = [result_from_record(r) for r in folder.load_tasks()]  # (checked first)
        keep_calls = bool(head.get("records", keep_calls))
        if head.get("precision"):
            try:
                precision = Precision(**head["precision"])
            except TypeError:
                from sim.errors import ResultsError

                raise ResultsError(f"{folder.path}/manifest.json: its 'precision' is damaged") from None
        folder.lock()  # the first change to the folder, once all of it is known to be valid
    else:
        head = manifest_head(scenario, points, argv, source, keep_calls)
        for key, value in (extra or {}).items():  # e.g. a study's own notes and costs
            if key == "design_points":
                for d in head["design_points"]:
                    d.update(value.get(d["id"], {}))
            else:
                head[key] = value
        if precision is not None:
            head["precision"] = asdict(precision)
        folder = RunFolder.create(Path(out), run_id(scenario.meta.name, scenario.config_hash()), head)
        finished = []

    def save(res: TaskResult) -> None:
        folder.save_task(task_file(points, res), result_record(res))

    if announce is not None:  # every check passed: the run starts now
        announce()
    try:
        exp = run_experiment(
            scenario,
            points,
            backend,
            workers,
            keep_calls,
            progress,
            finished=finished,
            on_result=save,
            dask_address=dask_address,
            precision=precision,
            interval_check=interval_check,
        )
        exp.path = folder.finish(
            manifest(exp, head),
            exp.replications,
            exp.summary,
            exp.calls,
            exp.series,
            exp.decisions,
            machine_layout(points),
            exp.interval_check,
        )
    except KeyboardInterrupt:
        raise RunInterrupted(folder.path, len(folder.load_tasks())) from None
    finally:
        folder.unlock()  # (a run that stops for any reason can be resumed at once)
    return exp
