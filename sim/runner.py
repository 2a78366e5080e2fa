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
from collections.abc import Callable, Sequence
from dataclasses import asdict, astuple, dataclass, field
from typing import Any

import pandas as pd

from sim import analytic, backends
from sim.backends import MAX_ATTEMPTS, check_dask_address  # noqa: F401 - part of this module's API
from sim.config import DesignPoint, Scenario, read_locations, spec_mean
from sim.costs import cost_kpis
from sim.kpis import Features, table_kpis
from sim.model import machine_places, simulate
from sim.recorder import CallRecord, KPIRecorder
from sim.stats import (
    lag1_autocorrelation,
    mean_interval,
    mser_time,
    precision_met,
    required_replications,
    summarize,
)
from sim.system import ServiceSystem

BACKENDS = ("serial", "process", "dask")
#: evenly spaced samples of the levels per replication (for time-series charts)
SERIES_SAMPLES = 200


def kpi_names(scenario: Scenario) -> list[str]:
    """All KPI columns of a scenario's tables, in the catalogue's order (:mod:`sim.kpis`)."""
    terr = scenario.territories
    features = Features(
        costs=scenario.costs is not None,
        downtime_cost=scenario.costs is not None and bool(scenario.costs.downtime_per_machine_h),
        parts=scenario.parts is not None,
        shifts=bool(scenario.calendar.shifts),
        ftf_identity=ftf_identity_applies(scenario),
        territories=terr.count,
        team_size=terr.technicians * terr.pooled,
    )
    return table_kpis(features, scenario.report.wait_thresholds_h)


@dataclass(frozen=True)
class Task:
    """One replication of one design point."""

    point: DesignPoint
    replication: int
    keep_calls: bool = False
    samples: int = SERIES_SAMPLES
    block: int = 0  # a large fleet's replication runs as `blocks` tasks of whole teams
    blocks: int = 1


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
    block: int = 0
    state: dict[str, Any] | None = None  # a block's running sums, merged into the rows later
    decisions: list[tuple[float, str, int, int, int]] | None = None  # dispatch.record_decisions

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.design_point, self.replication, self.block)


def _param_value(value: Any) -> Any:
    """Parameter values as table cells: scalars as they are, tables as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _recorder(sc: Scenario, keep_calls: bool, technicians: int, territories: range) -> KPIRecorder:
    classes = sc.fleet.classes
    track = len(territories) if sc.territories.count >= 20 else 0  # spread across territories
    return KPIRecorder(
        [c.name for c in classes],
        [c.sla_h for c in classes],
        sc.report.wait_thresholds_h,
        technicians=technicians,
        hours_per_day=sc.calendar.day_length_h,
        keep_calls=keep_calls,
        technicians_per_territory=sc.territories.technicians,
        pooled=sc.territories.pooled,
        parts=sc.parts is not None,
        territories=track,
        territory_offset=territories.start,
    )


_LOCATIONS: dict[tuple[Any, ...], list[tuple[float, float]]] = {}


def _machine_locations(sc: Scenario) -> list[tuple[float, float]]:
    """The CSV's machine locations, read once per process (and file and fleet)."""
    t = sc.territories
    key = (t.locations_csv, t.count, sc.fleet.machines, t.width_km, t.height_km)
    if key not in _LOCATIONS:
        _LOCATIONS[key] = read_locations(sc, str(t.locations_csv))
    return _LOCATIONS[key]


def block_teams(teams: int, blocks: int, block: int) -> range:
    """The teams of one block: contiguous, as equal as possible."""
    return range(block * teams // blocks, (block + 1) * teams // blocks)


def run_replication(task: Task) -> TaskResult:
    """Simulate one task and return its KPI rows (pure: same task, same rows).

    A block task (one of a large fleet's blocks of teams) returns its running sums
    instead; :func:`merge_blocks` turns the blocks of a replication into its rows.
    """
    t0 = time.perf_counter()
    sc = task.point.scenario
    terr = sc.territories
    teams = block_teams(terr.teams, task.blocks, task.block) if task.blocks > 1 else None
    territories = range(teams.start * terr.pooled, teams.stop * terr.pooled) if teams else range(terr.count)
    recorder = _recorder(sc, task.keep_calls, terr.technicians * len(territories), territories)
    batches: list[dict[str, dict[str, float]]] = []

    def close_batch(now: float) -> None:
        batches.append(recorder.kpis(now))
        recorder.new_batch(now)

    locations = _machine_locations(sc) if sc.territories.locations_csv else None
    end = simulate(
        sc, task.replication, recorder, task.samples, sc.run.batches, close_batch, teams, locations
    )
    calls = recorder.calls if task.keep_calls else None
    if teams is not None:
        return TaskResult(
            task.point.index,
            task.replication,
            [],
            calls,
            recorder.series or None,
            time.perf_counter() - t0,
            block=task.block,
            state=recorder.state(end),
        )
    rows = _rows(task.point, task.replication, batches or [recorder.kpis(end)])
    return TaskResult(
        task.point.index,
        task.replication,
        rows,
        calls,
        recorder.series or None,
        time.perf_counter() - t0,
        decisions=recorder.decisions if sc.dispatch.record_decisions else None,
    )


def _rows(
    point: DesignPoint, replication: int, batches: list[dict[str, dict[str, float]]]
) -> list[dict[str, Any]]:
    sc = point.scenario
    params = {k: _param_value(v) for k, v in point.params.items()}
    system = ServiceSystem.from_scenario(sc)
    rows = []
    for b, kpis in enumerate(batches):
        kpis["all"].update(cost_kpis(system, kpis["all"], kpis))
        kpis["all"].update(_ftf_identity(sc, kpis["all"]))
        for name in ["all", *(c.name for c in sc.fleet.classes)]:
            rows.append(
                {
                    "design_point": point.id,
                    "replication": replication,
                    **({"batch": b} if len(batches) > 1 or sc.run.batches else {}),
                    "class": name,
                    **params,
                    **kpis[name],
                }
            )
    return rows


def ftf_identity_applies(sc: Scenario) -> bool:
    """One part type, one unit per call, revisits, parts taken on site: the first-time-fix
    identity can be checked on every replication."""
    p = sc.parts
    return (
        p is not None
        and len(p.types) == 1
        and p.types[0].quantity is None
        and p.shortage == "revisit"
        and not p.reservation
    )


def _ftf_identity(sc: Scenario, kpis: dict[str, float]) -> dict[str, float]:
    """``ftf_identity_gap`` = (1 - FTF) - [q + (1 - q) p_other], q = share of calls that met a
    missing part on the first visit (from this replication's own van demands and fill)."""
    if not ftf_identity_applies(sc):
        return {}
    assert sc.parts is not None
    calls = kpis.get("calls_logged_per_h", math.nan)
    q = kpis["van_demand_per_h"] * (1.0 - kpis["fill_rate_van"]) / calls if calls else math.nan
    p_other = sc.parts.p_other_failure
    return {"ftf_identity_gap": (1.0 - kpis["first_time_fix"]) - (q + (1.0 - q) * p_other)}


def merge_blocks(point: DesignPoint, parts: Sequence[TaskResult]) -> TaskResult:
    """One replication's result from its blocks: sums added, then KPIs computed once."""
    sc = point.scenario
    failed = [p for p in parts if p.error]
    if failed:
        return TaskResult(point.index, parts[0].replication, error=failed[0].error)
    parts = sorted(parts, key=lambda p: p.block)
    recorder = _recorder(sc, False, 0, range(sc.territories.count))
    recorder.on_duty.value = 0
    end = float(sc.run.warmup_h) + sc.run.horizon_h
    for p in parts:
        assert p.state is not None
        recorder.absorb(p.state, end)
    series = None
    if all(p.series for p in parts):
        series = [
            (samples[0][0], *(sum(col) for col in zip(*(s[1:] for s in samples), strict=True)))
            for samples in zip(*(p.series for p in parts), strict=True)
        ]
    calls = [c for p in parts for c in (p.calls or [])] if any(p.calls for p in parts) else None
    rows = _rows(point, parts[0].replication, [recorder.kpis(end)])
    return TaskResult(point.index, parts[0].replication, rows, calls, series, sum(p.wall_s for p in parts))


#: a replication of a fleet bigger than this many machines runs as several tasks
BLOCK_MACHINES = 50_000  # small blocks keep each process's working set in cache


def auto_blocks(scenario: Scenario) -> int:
    """Blocks of teams for one replication: from the fleet's size only (never from the
    number of workers, so that the tables do not depend on the machine)."""
    sc = scenario
    if sc.run.batches or (sc.parts is not None and sc.parts.shared_depot):
        return 1  # batch means need one run; a shared depot links all teams
    machines = (sc.fleet.machines or 0) * sc.territories.count
    if sc.fleet.calls_per_h is not None:
        machines = sc.territories.count * 150  # Poisson territories: size by territory count
    return max(1, min(sc.territories.teams, math.ceil(machines / BLOCK_MACHINES)))


def _guarded(task: Task) -> TaskResult:
    """Run a task; an exception becomes the task's recorded error, not a crash."""
    try:
        return run_replication(task)
    except Exception:
        return TaskResult(task.point.index, task.replication, error=traceback.format_exc(), block=task.block)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_chunk(tasks: list[Task]) -> list[TaskResult]:
    """Run a chunk of tasks on one worker (see :mod:`sim.backends`): one round trip for many."""
    return [_guarded(t) for t in tasks]


def _failed(task: Task, reason: str) -> TaskResult:
    return TaskResult(task.point.index, task.replication, block=task.block, error=reason)


#: how the backends see a task
JOB = backends.Job(
    chunk_fn=run_chunk,
    key=lambda t: _key(t),
    group=lambda t: t.point.index,
    wall_s=lambda r: r.wall_s,
    fail=_failed,
)


def task_work(task: Task) -> float:
    """Expected work of a task, for the progress bar's estimate: the calls it simulates
    (call rate x simulated hours) plus the machines it sets up, over its blocks."""
    sc = task.point.scenario
    warmup = sc.run.warmup_h if isinstance(sc.run.warmup_h, float) else 0.0
    hours = sc.run.horizon_h + warmup
    count = sc.territories.count
    if sc.fleet.calls_per_h is not None:
        rate, machines = sc.fleet.calls_per_h * count, 0
    else:
        machines = (sc.fleet.machines or 0) * count
        ttf = spec_mean(sc.fleet.time_to_failure_h) if sc.fleet.time_to_failure_h is not None else math.inf
        rate = machines / ttf if ttf > 0 else 0.0
    return max(1.0, (rate * hours + machines) / task.blocks)


def run_tasks(
    tasks: Sequence[Task],
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
    dask_address: str | None = None,
) -> list[TaskResult]:
    """Run tasks on a backend and return their results in task order.

    Parameters
    ----------
    backend : {"serial", "process", "dask"}
        ``dask`` starts a local cluster, or uses ``dask_address``'s scheduler.
    workers : int, optional
        Worker processes (default: one per core).
    progress : bool, optional
        Show a progress bar; ``None`` shows it only on a terminal.
    on_result : callable, optional
        Called in the main process as each task finishes (e.g. to save it).
    """
    from tqdm import tqdm

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    disable = (not sys.stderr.isatty()) if progress is None else not progress
    results: dict[tuple[int, int, int], TaskResult] = {}
    # the bar counts expected work (calls simulated), not tasks: a sweep's tasks differ in
    # size by orders of magnitude, and a count of tasks would make the estimate meaningless
    work = {_key(t): task_work(t) for t in tasks}
    bar = tqdm(
        total=sum(work.values()),
        disable=disable,
        desc=f"simulating 0/{len(tasks)} tasks",
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
    )
    failures = 0

    def done(res: TaskResult) -> None:
        nonlocal failures
        results[res.key] = res
        failures += res.error is not None
        if on_result is not None:
            on_result(res)
        failed = f", {failures} failed" if failures else ""
        bar.set_description_str(f"simulating {len(results)}/{len(tasks)} tasks{failed}", refresh=False)
        bar.update(work.get(res.key, 0.0))

    workers = workers or default_workers()
    try:
        if backend == "dask":
            backends.run_dask(JOB, tasks, workers, dask_address, done)
        elif backend == "serial" or workers == 1 or len(tasks) <= 1:
            backends.run_serial(JOB, tasks, done)
        else:
            # the largest first, so that no big task starts last and runs alone
            backends.run_processes(JOB, sorted(tasks, key=lambda t: -work[_key(t)]), workers, done)
    finally:
        bar.close()
    return [results[_key(t)] for t in tasks]


def _key(task: Task) -> tuple[int, int, int]:
    return (task.point.index, task.replication, task.block)


def result_record(res: TaskResult) -> dict[str, Any]:
    """A task result as JSON-ready data (for the run folder's task files)."""
    return {
        "design_point": res.design_point,
        "replication": res.replication,
        "rows": res.rows,
        "calls": [list(astuple(c)) for c in res.calls] if res.calls is not None else None,
        "series": res.series,
        "wall_s": res.wall_s,
        "error": res.error,
        "block": res.block,
        "state": res.state,
        "decisions": res.decisions,
    }


def result_from_record(rec: dict[str, Any]) -> TaskResult:
    calls = [CallRecord(*c) for c in rec["calls"]] if rec.get("calls") is not None else None
    series = [tuple(x) for x in rec["series"]] if rec.get("series") else None
    return TaskResult(
        rec["design_point"],
        rec["replication"],
        rec["rows"],
        calls,
        series,
        rec["wall_s"],
        rec.get("error"),
        rec.get("block", 0),
        rec.get("state"),
        [tuple(d) for d in rec["decisions"]] if rec.get("decisions") else None,
    )


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
    kpis = list(dict.fromkeys(k for p in points for k in kpi_names(p.scenario)))
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
    if "batch" in replications:
        # batch means: the batches must be nearly independent for the t interval to hold
        lag1 = []
        for dp, cls, kpi in zip(summ["design_point"], summ["class"], summ["kpi"], strict=True):
            rows = replications[(replications["design_point"] == dp) & (replications["class"] == cls)]
            lag1.append(lag1_autocorrelation(rows[kpi].to_numpy(dtype=float)))
        summ["lag1_autocorrelation"] = lag1
        limit = [2.0 / math.sqrt(n) if n > 0 else math.nan for n in summ["n"]]
        summ["batches_independent"] = [
            abs(r) <= lim if not math.isnan(r) else pd.NA for r, lim in zip(lag1, limit, strict=True)
        ]
    # parameter columns right after the design point
    params = list(dict.fromkeys(k for p in points for k in p.params))
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
    precision: dict[str, Any] = field(default_factory=dict)  # what --precision reached
    warmups: dict[str, float] = field(default_factory=dict)  # warm-ups chosen by MSER-5
    decisions: pd.DataFrame | None = None  # dispatch decisions, if recorded
    unstable: dict[str, str] = field(default_factory=dict)  # design points whose queue grows

    @property
    def failures(self) -> list[TaskResult]:
        return [r for r in self.results if r.error is not None]


def make_tasks(
    points: Sequence[DesignPoint], keep_calls: bool = False, replications: dict[int, range] | None = None
) -> list[Task]:
    """Every (design point, replication[, block]), replications innermost."""
    tasks = []
    for p in points:
        blocks = auto_blocks(p.scenario)
        reps = replications[p.index] if replications else range(p.scenario.run.replications)
        tasks += [Task(p, r, keep_calls, block=b, blocks=blocks) for r in reps for b in range(blocks)]
    return tasks


def planned_tasks(points: Sequence[DesignPoint]) -> int:
    """Tasks of a run before any ``--precision`` additions: replications x blocks, summed
    over the points (each point has its own ``run.replications`` when that is swept)."""
    return sum(p.scenario.run.replications * auto_blocks(p.scenario) for p in points)


@dataclass(frozen=True)
class Precision:
    """Sequential stopping: add replications until the KPI's CI is tight enough.

    ``relative``: half-width / |mean| <= relative / (1 + relative) (Law's rule);
    ``absolute``: half-width <= absolute (for KPIs near zero).
    """

    kpi: str = "wait_h"
    relative: float | None = 0.05
    absolute: float | None = None
    max_replications: int = 200
    confidence: float = 0.95

    def met(self, ci: Any) -> bool:
        return precision_met(ci, self.relative, self.absolute)

    def needed(self, values: Sequence[float]) -> int:
        """Replications the current variance estimate says are needed (capped)."""
        try:
            n = required_replications(values, self.relative, self.absolute, self.confidence)
        except ValueError:  # too few values, or a relative target around a zero mean
            return self.max_replications
        return min(self.max_replications, n)


#: replications of the pilot run that chooses an automatic warm-up
PILOT_REPLICATIONS = 5


def resolve_warmups(
    points: Sequence[DesignPoint],
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    dask_address: str | None = None,
) -> tuple[list[DesignPoint], dict[str, float]]:
    """Replace ``run.warmup_h = "auto"`` by MSER-5's truncation point.

    A pilot of each such design point (up to 5 replications, no warm-up, the
    same streams as the real run) samples the number of machines down over
    time; MSER-5 on the average across replications gives the warm-up,
    capped at half the pilot's length.
    """
    auto = [p for p in points if p.scenario.run.warmup_h == "auto"]
    if not auto:
        return list(points), {}
    pilots = []
    for p in auto:
        run = p.scenario.run.model_copy(update={"warmup_h": 0.0, "batches": 0})
        pilots.append(DesignPoint(p.index, p.params, p.scenario.model_copy(update={"run": run})))
    tasks = [
        Task(pp, r) for pp in pilots for r in range(min(PILOT_REPLICATIONS, pp.scenario.run.replications))
    ]
    results = run_tasks(tasks, backend, workers, progress, None, dask_address)
    chosen: dict[str, float] = {}
    for pp in pilots:
        series = [r.series for r in results if r.design_point == pp.index and r.series]
        error = next((r.error for r in results if r.design_point == pp.index and r.error), None)
        if not series or error:
            raise RuntimeError(f"{pp.id}: the warm-up pilot failed: {error}")
        times = [t for t, *_ in series[0]]
        values = [[down for _, _, down, _ in s] for s in series]
        chosen[pp.id] = mser_time(times, values, batch=5, cap_fraction=0.5)
    out = []
    for p in points:
        if p.id in chosen:
            run = p.scenario.run.model_copy(update={"warmup_h": chosen[p.id]})
            p = DesignPoint(p.index, p.params, p.scenario.model_copy(update={"run": run}))
        out.append(p)
    return out, chosen


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
) -> Experiment:
    """Run every replication of every design point and build the tables.

    ``finished`` results (from a resumed run) are kept and not run again.
    With ``precision``, design points whose KPI interval is still too wide get
    more replications (the same replication numbers, hence the same streams,
    at every point) until it is tight enough or the maximum is reached.
    """
    t0 = time.perf_counter()
    points, warmups = resolve_warmups(points, backend, workers, progress, dask_address)
    have = {r.key: r for r in finished if r.error is None}
    by_index = {p.index: p for p in points}

    def collect(tasks: list[Task]) -> None:
        todo = [t for t in tasks if _key(t) not in have]
        for r in run_tasks(todo, backend, workers, progress, on_result, dask_address):
            have[r.key] = r

    def replication(p: DesignPoint, r: int) -> TaskResult:
        blocks = auto_blocks(p.scenario)
        keys = [(p.index, r, b) for b in range(blocks)]
        if any(k not in have for k in keys):
            return TaskResult(p.index, r, error="not run")
        parts = [have[k] for k in keys]
        return parts[0] if blocks == 1 else merge_blocks(by_index[p.index], parts)

    counts = {p.index: p.scenario.run.replications for p in points}
    collect(make_tasks(points, keep_calls))
    reached: dict[str, Any] = {}
    while precision is not None:
        extra: dict[int, range] = {}
        for p in points:
            values = [
                row[precision.kpi]
                for r in range(counts[p.index])
                for row in replication(p, r).rows
                if row["class"] == "all" and precision.kpi in row
            ]
            ci = mean_interval(values, precision.confidence)  # the interval the summary reports
            met = precision.met(ci)
            reached[p.id] = {
                "replications": counts[p.index],
                "mean": ci.mean,
                "half_width": ci.half_width,
                "met": met,
            }
            if not met and counts[p.index] < precision.max_replications:
                # always at least one more (a failed task leaves one value fewer than runs)
                want = min(precision.max_replications, max(precision.needed(values), counts[p.index] + 1))
                extra[p.index] = range(counts[p.index], want)
                counts[p.index] = want
        if not extra:
            break
        collect(make_tasks([p for p in points if p.index in extra], keep_calls, extra))
    results = [replication(p, r) for p in points for r in range(counts[p.index])]
    reps = replications_table(results)
    summary = summary_table(reps, points, confidence)
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
    return exp


def unstable_points(summary: pd.DataFrame, points: Sequence[DesignPoint]) -> dict[str, str]:
    """Design points whose queue grows without bound, and why we say so.

    Flagged when the formulas find no steady state, or when the number of calls waiting
    grew over the measured horizon by more than chance allows (the whole 95 % interval of
    its growth rate above zero) and by more than 10 calls.
    """
    out: dict[str, str] = {}
    rows = (
        summary[(summary["class"] == "all") & (summary["kpi"] == "queue_growth_per_h")]
        if not summary.empty
        else summary
    )
    growth = {r["design_point"]: r for r in rows.to_dict("records")}
    for p in points:
        est = analytic.estimate(p.scenario)
        g = growth.get(p.id)
        rate = float(g["mean"]) if g is not None else math.nan
        grows = g is not None and float(g["ci_low"]) > 0 and rate * p.scenario.run.horizon_h > 10
        if est.unstable or grows:
            why = f"{rate:+.3g} calls waiting per hour" if not math.isnan(rate) else ""
            out[p.id] = (
                "unstable: the queue grows without bound"
                + (f" ({why})" if why else "")
                + ("; the formulas find no steady state" if est.unstable else "")
            )
    return out


def targets_manifest(scenario: Scenario) -> dict[str, Any]:
    """``manifest["targets"]``: the scenario's ``[targets]``, parsed for readers of the run.

    ``{"require": [{"kpi", "class", "op", "bound", "text"}, ...],
    "objective": {"kpi", "minimize"} | None}``.
    """
    t = scenario.targets
    assert t is not None
    objective = t.objective
    return {
        "require": [c.as_dict() for c in t.constraints],
        "objective": None if objective is None else {"kpi": objective[0], "minimize": objective[1]},
    }


def manifest_head(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    argv: Sequence[str],
    source: str,
    keep_calls: bool = False,
) -> dict[str, Any]:
    """What a run is: enough to repeat it, or to resume it, from the manifest alone."""
    from sim.results import git_commit, package_versions

    return {
        "scenario_file": source,
        "scenario": scenario.model_dump(mode="json"),
        "config_hash": scenario.config_hash(),
        "sweep": {k: list(v) for k, v in scenario.sweep.items()},
        "design_points": [
            {
                "id": p.id,
                "params": p.params,
                "config_hash": p.scenario.config_hash(),
                "replications": p.scenario.run.replications,
                "scenario": p.scenario.model_dump(mode="json"),
            }
            for p in points
        ],
        **({"targets": targets_manifest(scenario)} if scenario.targets is not None else {}),
        "seed": scenario.run.seed,
        # the points' own counts (a sweep of run.replications gives each point its own)
        "replications": scenario.run.replications
        if len({p.scenario.run.replications for p in points}) <= 1
        else {p.id: p.scenario.run.replications for p in points},
        "tasks_planned": planned_tasks(points),
        "records": keep_calls,
        "command_line": list(argv),
        "git_commit": git_commit(),
        "versions": {"python": sys.version.split()[0], **package_versions()},
    }


#: the map's machine places: the first teams of each geometry design point, within a budget
LAYOUT_TEAMS = 4
LAYOUT_ROWS = 50_000


def machine_layout(points: Sequence[DesignPoint]) -> pd.DataFrame | None:
    """``machines.parquet``: where replication 0 puts the machines of the first
    ``LAYOUT_TEAMS`` teams of each geometry design point (team-local km), for the report's
    map; points past ``LAYOUT_ROWS`` rows are left out.  None without geometry."""
    frames = []
    rows = 0
    for p in points:
        sc = p.scenario
        given = _machine_locations(sc) if sc.territories.locations_csv else None
        places = machine_places(sc, 0, LAYOUT_TEAMS, given)
        if not places or rows + len(places) > LAYOUT_ROWS:
            continue
        rows += len(places)
        df = pd.DataFrame(places, columns=["team", "territory", "x_km", "y_km"])
        df.insert(0, "design_point", p.id)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


def manifest(exp: Experiment, head: dict[str, Any]) -> dict[str, Any]:
    """The head plus how the run went: wall time, precision reached, every task's status."""
    return {
        **head,
        **({"unstable": exp.unstable} if exp.unstable else {}),
        "wall_s": round(exp.wall_s, 3),
        **({"precision_reached": exp.precision} if exp.precision else {}),
        **({"warmup_chosen_h": exp.warmups} if exp.warmups else {}),
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


class RunInterrupted(Exception):
    """Ctrl-C during a run: the finished tasks are kept in ``path`` for ``--resume``."""

    def __init__(self, path: Any, finished: int) -> None:
        self.path, self.finished = path, finished
        super().__init__(
            f"interrupted: {finished} finished task(s) kept in {path}; complete the run with: "
            f"python run_sim.py run --resume {path}"
        )


def points_from_manifest(man: dict[str, Any], source: str) -> tuple[Scenario, list[DesignPoint]]:
    """The scenario and design points of a run, rebuilt from its manifest."""
    from sim.config import validate_scenario

    scenario = validate_scenario(man["scenario"], source)
    if not all("scenario" in d for d in man["design_points"]):
        from sim.errors import ResultsError

        raise ResultsError(f"{source}: its design points have no scenarios (an older run): cannot resume it")
    points = [
        DesignPoint(i, dict(d["params"]), validate_scenario(d["scenario"], source))
        for i, d in enumerate(man["design_points"])
    ]
    return scenario, points


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
        key = f"{points[res.design_point].id}-r{res.replication:05d}-b{res.block:03d}"
        folder.save_task(key, result_record(res))

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
        )
        exp.path = folder.finish(
            manifest(exp, head), exp.replications, exp.summary, exp.calls, exp.series, exp.decisions
        )
    except KeyboardInterrupt:
        raise RunInterrupted(folder.path, len(folder.load_tasks())) from None
    finally:
        folder.unlock()  # (a run that stops for any reason can be resumed at once)
    exp.path = folder.finish(
        manifest(exp, head),
        exp.replications,
        exp.summary,
        exp.calls,
        exp.series,
        exp.decisions,
        machine_layout(points),
    )
    return exp
