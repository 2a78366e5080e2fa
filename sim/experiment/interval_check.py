"""The interval check: an independent pilot says whether a run is long enough for its intervals.

Replication means of congestion KPIs (waits, queues, machines down) are right-skewed
when the horizon is short against the system's relaxation time, and then the 95 %
interval over 10 replications covers less than 95 % (``bench/README.md``, coverage
benchmark).  How skewed they are follows the coefficient of variation (CV) of a
replication mean, so the check estimates that CV and :func:`sim.stats.interval_warnings`
warns above :data:`sim.stats.CV_MAX`.

Why a pilot.  A CV computed from the same replications as the interval selects: the
intervals whose replications happened to vary little escape the warning, and they are
exactly the ones that are too short (on the benchmark's M/M/1 at rho = 0.75 the
intervals the old rule did not warn about covered 79 %; a CV from within-run batches of
the same replications still selected, 73-82 % on the KPIs near the threshold).  The
pilot's replications use streams no real replication uses
(:data:`PILOT_REPLICATION`), so the warning is independent of the interval it is
about: the intervals it leaves unwarned cover what the configuration covers.

The pilot runs :data:`PILOT_REPLICATIONS` replications of the design point (the same
horizon and warm-up), each in :data:`PILOT_BATCHES` batches; the variance of a
replication mean is estimated from the batch means within each run (pooled over the
pilot's replications: ``PILOT_REPLICATIONS * (PILOT_BATCHES - 1)`` degrees of freedom,
far steadier than the spread of a few replication means).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.config import DesignPoint, ScenarioError, with_overrides
from sim.experiment.execution import run_tasks
from sim.experiment.tasks import Task, TaskResult
from sim.kpis import known

#: replications of the pilot of one design point
PILOT_REPLICATIONS = 2
#: batches of each pilot replication
PILOT_BATCHES = 10
#: the pilot's first replication number: streams that no real replication uses
PILOT_REPLICATION = 1 << 30
#: the fewest replications for which the check runs (the CV rule's own minimum)
CHECK_MIN_REPLICATIONS = 3

#: columns of the check's table (``interval_check.csv`` in a run folder)
COLUMNS = ("design_point", "class", "kpi", "pilot_mean", "pilot_cv", "pilot_replications", "pilot_batches")


def needs_check(point: DesignPoint) -> bool:
    """Whether a design point's intervals are over replications the check can judge."""
    run = point.scenario.run
    return run.batches == 0 and run.replications >= CHECK_MIN_REPLICATIONS


def pilot_tasks(points: Sequence[DesignPoint]) -> list[Task]:
    """The pilot's tasks: each checked point in batches, on the pilot's own streams."""
    tasks = []
    for p in points:
        if not needs_check(p):
            continue
        try:
            pilot = with_overrides(
                p.scenario,
                {"run.replications": 1, "run.batches": PILOT_BATCHES},
                f"interval-check pilot ({p.id})",
            )
        except ScenarioError:
            continue  # a scenario that cannot run in batches: the warnings use its own CV
        pp = DesignPoint(p.index, p.params, pilot)
        tasks += [Task(pp, PILOT_REPLICATION + i, samples=0) for i in range(PILOT_REPLICATIONS)]
    return tasks


def within_run_cv(results: Sequence[TaskResult]) -> pd.DataFrame:
    """Each (design point, class, KPI)'s CV of a replication mean, from the pilot's batches.

    For pilot replication ``r`` with batch values ``b_r1 .. b_rk``, ``var(b_r) / k``
    estimates the variance of its mean; the CV is the square root of their average
    over the pilot's replications, over the absolute mean of all batch values
    (``pilot_mean``, which the rule on shares needs: a share's rarer outcome).  A
    pilot task that failed leaves its design point out of the table (the warnings then
    fall back to the replications' own CV there; the real replications report the error).
    """
    rows = pd.DataFrame([row for r in results if r.error is None for row in r.rows])
    if rows.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    names = [c for c in rows.columns if known(str(c))]  # with patterns: p_wait_gt_<x>h
    long = rows.melt(["design_point", "class", "replication", "batch"], names, "kpi", "value").dropna(
        subset=["value"]
    )
    per_run = long.groupby(["design_point", "class", "kpi", "replication"], sort=False)["value"]
    stats = pd.DataFrame({"var_mean": per_run.var(ddof=1) / per_run.count(), "mean": per_run.mean()})
    by = stats.groupby(level=["design_point", "class", "kpi"], sort=False)
    out = pd.DataFrame({"var_mean": by["var_mean"].mean(), "mean": by["mean"].mean()}).reset_index()
    out["pilot_cv"] = [
        math.sqrt(v) / abs(m) if m != 0 and math.isfinite(v) else math.nan
        for v, m in zip(out["var_mean"], out["mean"], strict=True)
    ]
    out["pilot_mean"] = out["mean"]
    out["pilot_replications"] = PILOT_REPLICATIONS
    out["pilot_batches"] = PILOT_BATCHES
    return out[list(COLUMNS)]


def check_intervals(
    points: Sequence[DesignPoint],
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    dask_address: str | None = None,
) -> pd.DataFrame:
    """Run the pilot of every design point the check can judge; the table of pilot CVs."""
    tasks = pilot_tasks(points)
    if not tasks:
        return pd.DataFrame(columns=list(COLUMNS))
    return within_run_cv(run_tasks(tasks, backend, workers, progress, None, dask_address))
