"""Does a warning rule select the intervals it leaves unwarned?  Three CV rules side by side.

    python bench/bench_selection.py [--cases mm1_rho75 mm1_rho50 mm3_rho75] [--seeds 200] [--seed S]

Each seed runs 10 replications of a coverage-benchmark case (``bench_coverage.CASES``),
each in 10 batches; a replication's mean is the mean of its batches, which is exact for
the time averages checked here (``queue_len``, ``machines_down``; a call-weighted wait
is not an equal-weight mean of batches, so waits are left out).  For the 95 % interval
over the 10 replication means (the summary's ``skew_t``) three rules decide a warning
(CV above ``sim.stats.CV_MAX``):

* ``own``: the CV of the 10 replication means (``run``'s rule before the interval check);
* ``own-batches``: the CV of a replication mean from the batches within the same 10 runs;
* ``pilot``: the same estimate from 2 replications of *another* seed (independent of the
  interval, as the interval check's pilot is), the larger of the two KPIs' deciding for
  both, as ``run`` judges a design point.

A rule that does not select leaves unwarned intervals covering what all of them cover.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_coverage as bc

from sim.config import validate_scenario
from sim.experiment.execution import run_tasks
from sim.experiment.tables import replications_table
from sim.experiment.tasks import Task
from sim.stats import CV_MAX, mean_interval

KPIS = ("queue_len", "machines_down")
REPLICATIONS, BATCHES, PILOT = 10, 10, 2


def batches(case: bc.Case, seeds: Sequence[int]) -> pd.DataFrame:
    sc = validate_scenario(case.raw, case.name)
    out = []
    for i in range(0, len(seeds), 10):
        pts = bc._points(sc, seeds[i : i + 10], replications=1, batches=BATCHES)
        # each point is one seed in batch mode (one replication per task): 10 replications
        tasks = [Task(p, r) for p in pts for r in range(REPLICATIONS)]
        reps = replications_table(run_tasks(tasks, backend="serial", progress=False))
        out.append(reps[reps["class"] == "all"][["run.seed", "replication", "batch", *KPIS]])
    return pd.concat(out, ignore_index=True)


def _pct(c: np.ndarray) -> str:
    if not len(c):
        return "-"
    p = float(c.mean())
    return f"{100 * p:.1f} ± {100 * math.sqrt(p * (1 - p) / len(c)):.1f} ({len(c)})"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=["mm1_rho75", "mm1_rho50", "mm3_rho75"])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    by_name = {c.name: c for c in bc.CASES}
    print("| case | KPI | intervals | 95 %, all | rule | warned | 95 %, not warned |")
    print("|---|---|---:|---:|---|---:|---:|")
    for name in args.cases:
        case = by_name[name]
        sc = validate_scenario(case.raw, case.name)
        exact = bc.exact_values(case, sc)
        seeds = list(range(args.seed, args.seed + args.seeds))
        d = batches(case, seeds)
        pilot_cv: dict[int, float] = {}  # per seed: the largest pilot CV, as run judges a point
        for kpi in KPIS:
            g = d.groupby(["run.seed", "replication"])[kpi]
            rep, var_mean = g.mean(), g.var() / g.count()
            for i, s in enumerate(seeds):
                other = seeds[(i + 1) % len(seeds)]
                pv, pm = var_mean.loc[other].to_numpy()[:PILOT], rep.loc[other].to_numpy()[:PILOT]
                pilot_cv[s] = max(pilot_cv.get(s, 0.0), math.sqrt(pv.mean()) / abs(pm.mean()))
        for kpi in KPIS:
            g = d.groupby(["run.seed", "replication"])[kpi]
            rep, var_mean = g.mean(), g.var() / g.count()
            covered, rules = [], {"own": [], "own-batches": [], "pilot": []}
            for s in seeds:
                x = rep.loc[s].to_numpy()
                ci = mean_interval(x, 0.95, "skew_t")
                covered.append(ci.low <= exact[("all", kpi)] <= ci.high)
                rules["own"].append(x.std(ddof=1) / abs(x.mean()))
                rules["own-batches"].append(math.sqrt(var_mean.loc[s].mean()) / abs(x.mean()))
                rules["pilot"].append(pilot_cv[s])
            c = np.array(covered)
            for rule, cv in rules.items():
                warned = np.array(cv) > CV_MAX
                print(
                    f"| {name} | {kpi} | {len(c)} | {_pct(c)} | {rule} | {100 * warned.mean():.0f} % | "
                    f"{_pct(c[~warned])} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
