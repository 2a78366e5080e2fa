"""Coverage of the confidence intervals the product prints, on cases with exact answers.

A 95 % interval must contain the true value 95 % of the time.  For each case
below the analytic layer knows the exact steady-state value of some KPIs
(``analytic_exact`` in ``summary.csv``).  The benchmark runs many independent
macro-replications of a case (one seed each) through the same code as
``python run_sim.py run`` -- :func:`sim.experiment.plan.make_tasks`,
:func:`sim.experiment.execution.run_tasks` (serial backend, one core),
:func:`sim.experiment.tables.replications_table`, then :func:`sim.stats.summarize`, which
``summary_table`` calls -- but writes no results folder.  It counts how often
the 95 % interval (printed by ``run``) and the 99 % interval (used by
``validate``) contain the exact value, with the binomial standard error
``sqrt(p (1 - p) / M)`` of each coverage estimate over ``M`` intervals.

Design.  Every macro-replication (one seed) runs 20 replications.  Their
replications 0-4, 5-9, 10-14 and 15-19 give four independent intervals with 5
replications, 0-9 and 10-19 two with 10, and all twenty one with 20 (the
replications of one seed use disjoint random streams, so the groups are
independent).  With ``M`` seeds a case gives ``4M``, ``2M`` and ``M`` intervals.

Two more checks use the product's own loops:

* batch means (``run.batches``): one long run per seed, the interval over its
  batches, checked the same way;
* the sequential-precision rule (``--precision``): :func:`sim.experiment.experiment.run_experiment`
  with a :class:`sim.experiment.precision.Precision`, one design point per seed; reports how
  often the target was met, the replications it took, and the coverage of the
  final interval.

Run from the repository root::

    python bench/bench_coverage.py --quick          # about 2 minutes
    python bench/bench_coverage.py                  # about 15-20 minutes on one core
    python bench/bench_coverage.py --budget-min 10  # stop adding seeds after 10 min in all

The markdown table goes to stdout; ``--json`` writes every figure to a file.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing it
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from sim import analytic  # noqa: E402
from sim.config import DesignPoint, Scenario, validate_scenario  # noqa: E402
from sim.experiment.execution import run_tasks  # noqa: E402
from sim.experiment.experiment import run_experiment  # noqa: E402
from sim.experiment.interval_check import check_intervals  # noqa: E402
from sim.experiment.plan import make_tasks  # noqa: E402
from sim.experiment.precision import Precision  # noqa: E402
from sim.experiment.tables import add_batch_check, kpi_names, replications_table  # noqa: E402
from sim.stats import (  # noqa: E402
    MIN_REPLICATIONS,
    interval_warnings,
    mean_interval,
    precision_met,
    required_replications,
    summarize,
)
from sim.system import ServiceSystem  # noqa: E402

LEVELS = (0.95, 0.99)
SIZES = (5, 10, 20)
POOL = 20  # replications per seed (a multiple of every size)


@dataclass(frozen=True)
class Case:
    """An exact case: a scenario, the classes to check, how many seeds in a full run."""

    name: str
    title: str
    raw: dict[str, Any]
    seeds: int
    classes: tuple[str, ...] = ("all",)
    kpis: tuple[str, ...] = ()  # empty: every KPI with an exact analytic value


def _scenario(name: str, horizon: float, warmup: float, **sections: Any) -> dict[str, Any]:
    return {
        "meta": {"name": name},
        "run": {"horizon_h": horizon, "warmup_h": warmup, "replications": POOL, "seed": 1},
        **sections,
    }


EXP1 = {"time_h": {"dist": "exponential", "mean": 1.0}}
EXP2 = {"time_h": {"dist": "exponential", "mean": 2.0}}

#: horizons of about 2,000-2,500 calls per replication: short runs, where skewed
#: replication means make the t interval fragile (long runs are easier)
CASES = (
    Case(
        "mm1_rho50",
        "M/M/1, rho 0.5, 4,000 h",
        _scenario("mm1-50", 4000.0, 200.0, fleet={"calls_per_h": 0.5}, repair=EXP1),
        seeds=140,
    ),
    Case(
        "mm1_rho75",
        "M/M/1, rho 0.75, 3,000 h",
        _scenario("mm1-75", 3000.0, 300.0, fleet={"calls_per_h": 0.75}, repair=EXP1),
        seeds=140,
    ),
    Case(
        "mm1_rho75_long",
        "M/M/1, rho 0.75, 12,000 h (mm1_rho75 with the 4x horizon run's warning suggests)",
        _scenario("mm1-75-long", 12000.0, 300.0, fleet={"calls_per_h": 0.75}, repair=EXP1),
        seeds=300,
    ),
    Case(
        "mm3_rho75",
        "M/M/3, rho 0.75, 1,000 h",
        _scenario(
            "mm3-75", 1000.0, 100.0, fleet={"calls_per_h": 2.25}, territories={"technicians": 3}, repair=EXP1
        ),
        seeds=140,
    ),
    Case(
        "mm2_finite",
        "M/M/2//20 machine repair, 4,000 h",
        _scenario(
            "mm2-20",
            4000.0,
            200.0,
            fleet={"machines": 20, "time_to_failure_h": {"dist": "exponential", "mean": 30.0}},
            territories={"technicians": 2},
            repair=EXP2,
        ),
        seeds=110,
    ),
    Case(
        "priority_mm2",
        "nonpreemptive priority M/M/2, 3 classes, rho 0.7, 3,000 h",
        _scenario(
            "prio",
            3000.0,
            300.0,
            fleet={
                "calls_per_h": 0.7,
                "classes": [
                    {"name": "critical", "share": 0.2, "priority": 1},
                    {"name": "contract", "share": 0.3, "priority": 2},
                    {"name": "warranty", "share": 0.5, "priority": 3},
                ],
            },
            territories={"technicians": 2},
            repair=EXP2,
            dispatch={"policy": "priority"},
        ),
        seeds=110,
        classes=("critical", "warranty"),
        kpis=("wait_h",),
    ),
    Case(
        "palm_van",
        "Palm: van base stock S = 3, Poisson demand, 10,000 h",
        _scenario(
            "palm",
            10000.0,
            500.0,
            fleet={"calls_per_h": 0.2},
            repair=EXP1,
            parts={
                "shortage": "revisit",
                "reservation": True,
                "use_depot": False,
                "supplier_lead_time_h": {"dist": "exponential", "mean": 10.0},
                "types": [{"name": "kit", "p_need": 1.0, "van": {"S": 3}}],
            },
        ),
        seeds=110,
        kpis=("fill_rate_van", "van_backorders", "van_on_hand", "van_delay_per_demand_h"),
    ),
)

#: batch means: one run of 20 batches per seed, 20 times the case's horizon
BATCH_CASES = (("mm1_rho75", 20, 100), ("mm3_rho75", 20, 100))
#: --precision: relative half-width 10 % on wait_h, starting at 10 replications
PRECISION_CASES = (("mm1_rho75", 0.10, 80), ("mm3_rho75", 0.10, 80))


def _points(sc: Scenario, seeds: Sequence[int], **run: Any) -> list[DesignPoint]:
    out = []
    for i, seed in enumerate(seeds):
        r = sc.run.model_copy(update={"seed": seed, **run})
        out.append(DesignPoint(i, {"run.seed": seed}, sc.model_copy(update={"run": r})))
    return out


def exact_values(case: Case, sc: Scenario) -> dict[tuple[str, str], float]:
    """(class, KPI) -> exact value, for the KPIs the case checks."""
    system = ServiceSystem.from_scenario(sc)
    est = analytic.estimate(system)
    out = {}
    for kpi in case.kpis or tuple(kpi_names(system)):
        for cls in case.classes:
            e = est.get(kpi, cls)
            if e is not None and e.exact and math.isfinite(e.value):
                out[(cls, kpi)] = float(e.value)
    return out


#: None: the summary's own interval; "t" or "skew_t" to force one (--interval)
INTERVAL: str | None = None
#: warnings as run prints them: the CV rule on the interval check's pilot (--no-pilot: on the
#: replications' own CV, the rule of before, which selects the intervals it leaves unwarned)
PILOT = True
#: the statistics code chooses among intervals (else: the t interval of before)
NEW_STATS = "method" in inspect.signature(summarize).parameters
#: batch means: both intervals are checked on the same runs
BATCH_METHODS = ("t", "skew_t")


def _summarize(reps: pd.DataFrame, kpis: list[str], confidence: float) -> pd.DataFrame:
    extra = {"method": INTERVAL} if INTERVAL else {}
    summ = summarize(reps, kpis, ("design_point", "class"), confidence, **extra)
    if "interval" not in summ:  # the code before the skewness-corrected interval
        summ["interval"] = "t"
    return summ


def _interval_rows(reps: pd.DataFrame, size: int, confidence: float, kpis: list[str]) -> pd.DataFrame:
    """Intervals over disjoint groups of ``size`` replications of every seed."""
    df = reps.copy()
    df["design_point"] = df["design_point"].astype(str) + "-g" + (df["replication"] // size).astype(str)
    summ = _summarize(df, kpis, confidence)
    return summ


@dataclass
class Tally:
    """Hits and trials of one (case, class, KPI, size, level)."""

    hits: int = 0
    trials: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    warned: int = 0  # intervals for which run prints a warning (sim.stats.interval_warnings)
    unwarned_hits: int = 0  # intervals not warned about that hold the exact value

    def add(self, covered: Sequence[bool], methods: Sequence[str], warned: Sequence[bool] = ()) -> None:
        self.hits += int(sum(covered))
        self.trials += len(covered)
        self.warned += int(sum(warned))
        self.unwarned_hits += sum(bool(c) and not w for c, w in zip(covered, warned, strict=True))
        for m in methods:
            self.methods[m] = self.methods.get(m, 0) + 1

    @property
    def coverage(self) -> float:
        return self.hits / self.trials if self.trials else math.nan

    @property
    def se(self) -> float:
        p = self.coverage
        return math.sqrt(p * (1 - p) / self.trials) if self.trials else math.nan

    @property
    def unwarned_coverage(self) -> float:
        unwarned = self.trials - self.warned
        return self.unwarned_hits / unwarned if unwarned else math.nan


def _tally(
    tallies: dict[tuple[str, str, int, float], Tally],
    reps: pd.DataFrame,
    exact: dict[tuple[str, str], float],
    kpis: list[str],
    pilot: pd.DataFrame | None = None,
) -> None:
    for size in SIZES:
        for level in LEVELS:
            summ = _interval_rows(reps, size, level, kpis)
            for (cls, kpi), value in exact.items():
                rows = summ[(summ["class"] == cls) & (summ["kpi"] == kpi)]
                covered = [
                    (lo <= value <= hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
                ]
                key = (cls, kpi, size, level)
                tallies.setdefault(key, Tally()).add(
                    covered, list(rows["interval"].astype(str)), _warned(rows, pilot)
                )


def _group_pilot(rows: pd.DataFrame, pilot: pd.DataFrame) -> pd.DataFrame:
    """The pilot of each seed under the names of its groups of replications (``dp-gK``)."""
    groups = pd.Series(rows["design_point"].unique(), dtype=str)
    names = pd.DataFrame({"group": groups, "design_point": groups.str.rsplit("-g", n=1).str[0]})
    return (
        pilot.merge(names, on="design_point")
        .drop(columns="design_point")
        .rename(columns={"group": "design_point"})
    )


def _warned(rows: pd.DataFrame, pilot: pd.DataFrame | None = None) -> list[bool]:
    """For each interval (row of one KPI), whether ``run`` would print a warning about it
    (with ``pilot``, the interval check's pilot CVs of each seed, as ``run`` prints them)."""
    if rows.empty or "all" not in set(rows["class"]):
        return [False] * len(rows)
    lines = interval_warnings(rows, None if pilot is None else _group_pilot(rows, pilot))
    named = {line.split(": ", 1)[0] for line in lines}
    few = rows["n"] < MIN_REPLICATIONS
    return [bool(f) or str(dp) in named for dp, f in zip(rows["design_point"], few, strict=True)]


def _pilot_path(replications: Path) -> Path:
    """Where ``--save-replications`` keeps the pilot's CVs beside the replications."""
    return replications.with_name(replications.stem + ".pilot.parquet")


def run_case(
    case: Case,
    seeds: int,
    budget_s: float,
    seed0: int,
    save: list[pd.DataFrame] | None = None,
    replay: pd.DataFrame | None = None,
    pilots: list[pd.DataFrame] | None = None,
    replay_pilot: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Replications of ``seeds`` seeds (in chunks, stopping when the budget is spent).

    With ``save``, ``pilots`` collects the interval check's pilot CVs of every seed;
    ``replay_pilot`` (saved that way) gives ``--replay`` the warnings as ``run`` prints them."""
    sc = validate_scenario(case.raw, case.name)
    exact = exact_values(case, sc)
    kpis = sorted({k for _, k in exact})
    tallies: dict[tuple[str, str, int, float], Tally] = {}
    t0 = time.process_time()
    done = 0
    chunk = 10
    while replay is None and done < seeds and (done == 0 or time.process_time() - t0 < budget_s):
        batch = list(range(seed0 + done, seed0 + min(seeds, done + chunk)))
        results = run_tasks(make_tasks(_points(sc, batch)), backend="serial", progress=False)
        failed = [r for r in results if r.error]
        if failed:
            raise RuntimeError(f"{case.name}: {failed[0].error}")
        reps = replications_table(results)
        reps = reps[reps["class"].isin(case.classes)]
        # the interval check's pilot of each seed: streams no replication uses, as run has it
        pilot = check_intervals(_points(sc, batch), backend="serial", progress=False) if PILOT else None
        if save is not None:
            save.append(reps[["run.seed", "replication", "class", *kpis]].assign(case=case.name))
            if pilot is not None and pilots is not None:  # the pilot's CVs, for --replay
                seed_of = {p.id: s for p, s in zip(_points(sc, batch), batch, strict=True)}
                pilots.append(
                    pilot.assign(case=case.name, **{"run.seed": pilot["design_point"].map(seed_of)})
                )
        _tally(tallies, reps, exact, kpis, pilot)
        done += len(batch)
    if replay is not None:
        reps = replay[replay["case"] == case.name].copy()
        if "run.seed" in reps:
            reps["design_point"] = "s" + reps["run.seed"].astype(str)
        else:  # files of the first version: rows are in run order, one block of rows per seed
            reps["design_point"] = (reps["design_point"] != reps["design_point"].shift()).cumsum().astype(str)
        replayed = None
        if replay_pilot is not None and PILOT and "run.seed" in reps:  # the saved pilot of each seed
            replayed = replay_pilot[replay_pilot["case"] == case.name].copy()
            replayed["design_point"] = "s" + replayed["run.seed"].astype(str)
            replayed = replayed.drop(columns=["case", "run.seed"])
        _tally(tallies, reps, exact, kpis, replayed)
        done = reps["design_point"].nunique()
    return {
        "case": case.name,
        "title": case.title,
        "seeds": done,
        "cpu_s": time.process_time() - t0,
        "exact": {f"{c}/{k}": v for (c, k), v in exact.items()},
        "rows": [
            {
                "class": cls,
                "kpi": kpi,
                "replications": size,
                "level": level,
                "intervals": t.trials,
                "coverage": t.coverage,
                "se": t.se,
                "methods": t.methods,
                "warned": t.warned / t.trials if t.trials else math.nan,
                "unwarned_coverage": t.unwarned_coverage,
                "unwarned": t.trials - t.warned,
            }
            for (cls, kpi, size, level), t in tallies.items()
        ],
    }


def run_batch_case(case: Case, batches: int, seeds: int, budget_s: float, seed0: int) -> dict[str, Any]:
    """Batch means: one long run per seed, an interval over its batches."""
    sc = validate_scenario(case.raw, case.name)
    exact = exact_values(case, sc)
    kpis = sorted({k for _, k in exact})
    horizon = sc.run.horizon_h * batches
    tallies: dict[tuple[str, str, float, str], Tally] = {}
    t0 = time.process_time()
    done = 0
    while done < seeds and (done == 0 or time.process_time() - t0 < budget_s):
        batch = list(range(seed0 + done, seed0 + min(seeds, done + 10)))
        points = _points(sc, batch, replications=1, batches=batches, horizon_h=horizon)
        results = run_tasks(make_tasks(points), backend="serial", progress=False)
        reps = replications_table(results)
        reps = reps[reps["class"].isin(case.classes)]
        for level, method in itertools.product(
            LEVELS, BATCH_METHODS if NEW_STATS and not INTERVAL else [None]
        ):
            extra = {"method": method} if method else {}
            summ = summarize(reps, kpis, ("design_point", "class"), level, **extra)
            if "interval" not in summ:
                summ["interval"] = "t"
            add_batch_check(summ, reps)  # the lag-1 check whose failure run warns about
            for (cls, kpi), value in exact.items():
                rows = summ[(summ["class"] == cls) & (summ["kpi"] == kpi)]
                covered = [
                    (lo <= value <= hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)
                ]
                label = method or str(rows["interval"].iloc[0]) if len(rows) else "t"
                tallies.setdefault((cls, kpi, level, label), Tally()).add(covered, [label], _warned(rows))
        done += len(batch)
    return {
        "case": case.name,
        "batches": batches,
        "horizon_h": horizon,
        "seeds": done,
        "cpu_s": time.process_time() - t0,
        "rows": [
            {
                "class": c,
                "kpi": k,
                "level": lv,
                "interval": m,
                "intervals": t.trials,
                "coverage": t.coverage,
                "se": t.se,
                "methods": t.methods,
                "warned": t.warned / t.trials if t.trials else math.nan,
                "unwarned_coverage": t.unwarned_coverage,
                "unwarned": t.trials - t.warned,
            }
            for (c, k, lv, m), t in tallies.items()
        ],
    }


def run_precision_case(
    case: Case, relative: float, seeds: int, budget_s: float, seed0: int
) -> dict[str, Any]:
    """The ``--precision`` loop of :func:`run_experiment`, one design point per seed."""
    sc = validate_scenario(case.raw, case.name)
    exact = exact_values(case, sc)[("all", "wait_h")]
    t0 = time.process_time()
    rule = Precision("wait_h", relative, None, 200, 0.95)
    hits = Tally()
    reached: list[dict[str, Any]] = []
    done = 0
    while done < seeds and (done == 0 or time.process_time() - t0 < budget_s):
        chunk = range(seed0 + done, seed0 + min(seeds, done + 10))
        exp = run_experiment(
            sc, _points(sc, chunk, replications=10), "serial", progress=False, precision=rule
        )
        rows = exp.summary[(exp.summary["class"] == "all") & (exp.summary["kpi"] == "wait_h")]
        hits.add([(lo <= exact <= hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)], [])
        reached += list(exp.precision.values())
        done += len(chunk)
    return {
        "case": case.name,
        "relative": relative,
        "seeds": done,
        "cpu_s": time.process_time() - t0,
        "met": sum(r["met"] for r in reached) / len(reached),
        "mean_replications": sum(r["replications"] for r in reached) / len(reached),
        "max_replications": max(r["replications"] for r in reached),
        "coverage": hits.coverage,
        "se": hits.se,
        "rel_error_within_target": sum(abs(r["mean"] - exact) <= relative * exact for r in reached)
        / len(reached),
    }


def _sequential(wait: Any, i: int, n0: int, relative: float, cap: int) -> tuple[int, Any] | None:
    """The rule ``--precision`` had before: more replications until the summary's interval of
    all values so far is narrow enough (Law 2015, sec. 9.4.1); None past the stream's end."""
    n = n0
    while True:
        ci = mean_interval(wait[i : i + n], 0.95)
        if precision_met(ci, relative) or n >= cap:
            return n, ci
        n = min(cap, max(required_replications(wait[i : i + n], relative), n + 1))
        if i + n > len(wait):
            return None


def replay_precision(
    case: Case,
    replay: pd.DataFrame,
    relative: float,
    n0: int = 10,
    rule_name: str = "stein",
    resample: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """The ``--precision`` rule on saved replications, taken in order as a stream.

    Each run of the rule takes the next ``n0`` replications as its first stage,
    asks :meth:`Precision.plan` how many in all, takes that many more from the
    stream and builds the final interval with :meth:`Precision.interval` (the
    code ``run_experiment`` calls); the other KPIs get the summary's interval over
    the same replications (:func:`summarize`).  The replications of a case are
    independent, so consecutive runs use disjoint, independent data, as separate
    ``run --precision`` calls would, at no simulation cost.  ``rule_name =
    "sequential"`` replays the rule of before (:func:`_sequential`) on the same data.

    ``resample > 0``: the resampling world instead (as :func:`resample_check`): a stream
    of ``resample`` rows drawn with replacement from all the case's replications, each
    interval checked against the pool's mean, exactly the mean of that population.
    """
    sc = validate_scenario(case.raw, case.name)
    exact = exact_values(case, sc)
    kpis = [k for c, k in exact if c == "all"]
    rule = Precision("wait_h", relative, None, 200, 0.95)
    df = replay[(replay["case"] == case.name) & (replay["class"] == "all")]
    df = df.sort_values(["run.seed", "replication"]).reset_index(drop=True)
    if resample:
        import numpy as np

        pool_mean = df[kpis].mean()
        exact = {("all", k): float(pool_mean[k]) for k in kpis}
        rows = np.random.default_rng(seed).integers(0, len(df), resample)
        df = df.iloc[rows].reset_index(drop=True)
    tallies = {k: Tally() for k in kpis}
    sizes: list[int] = []
    met = rel_ok = 0
    i = 0
    wait = df["wait_h"].to_numpy()
    while i + n0 <= len(df):
        if rule_name == "stein":
            plan = rule.plan(wait[i : i + n0])
            total, reached = plan.total, plan.met
            if i + total > len(df):
                break
            ci = rule.interval(plan, wait[i : i + total])
        else:
            got = _sequential(wait, i, n0, relative, rule.max_replications)
            if got is None:
                break
            total, ci = got
            reached = precision_met(ci, relative)
        block = df.iloc[i : i + total].assign(design_point="p")
        others = [k for k in kpis if k != "wait_h"]
        summ = summarize(block, others, ("design_point", "class")).set_index("kpi")
        for k in kpis:
            lo, hi = (ci.low, ci.high) if k == "wait_h" else (summ.at[k, "ci_low"], summ.at[k, "ci_high"])
            tallies[k].add([lo <= exact[("all", k)] <= hi], [])
        sizes.append(total)
        met += reached
        rel_ok += abs(ci.mean - exact[("all", "wait_h")]) <= relative * exact[("all", "wait_h")]
        i += total
    runs = len(sizes)
    return {
        "case": case.name + (" (resampled)" if resample else ""),
        "rule": rule_name,
        "relative": relative,
        "first_stage": n0,
        "runs": runs,
        "replications_used": i,
        "met": met / runs,
        "mean_replications": sum(sizes) / runs,
        "max_replications": max(sizes),
        "rel_error_within_target": rel_ok / runs,
        "coverage": {
            k: {"coverage": t.coverage, "se": t.se, "intervals": t.trials} for k, t in tallies.items()
        },
    }


def replay_precision_markdown(rows: list[dict[str, Any]]) -> str:
    kpis = list(dict.fromkeys(k for r in rows for k in r["coverage"]))
    lines = [
        "| case | rule | target | first stage | runs | target met | mean replications | max "
        "| rel. error within target | " + " | ".join(f"{k} 95 %" for k in kpis) + " |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(kpis),
    ]
    for r in rows:
        cov = r["coverage"]
        cells = [_pct(cov[k]["coverage"], cov[k]["se"]) if k in cov else "-" for k in kpis]
        lines.append(
            f"| {r['case']} | {r['rule']} | {r['relative']:.0%} | {r['first_stage']} | {r['runs']} "
            f"| {100 * r['met']:.0f} % | {r['mean_replications']:.1f} | {r['max_replications']} "
            f"| {100 * r['rel_error_within_target']:.1f} % | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def _pct(p: float, se: float) -> str:
    return "-" if math.isnan(p) else f"{100 * p:.1f} ± {100 * se:.1f}"


def markdown(results: dict[str, Any]) -> str:
    """The tables of bench/README.md."""
    lines = [
        "| case | class | KPI | method | "
        + " | ".join(f"{int(lv * 100)} %, n={n}" for lv in LEVELS for n in SIZES)
        + " | warned, n=10 | 95 % not warned, n=10 |",
        "|---|---|---|---|" + "---:|" * (len(LEVELS) * len(SIZES) + 2),
    ]
    for res in results["cases"]:
        rows = {(r["class"], r["kpi"], r["replications"], r["level"]): r for r in res["rows"]}
        for cls, kpi in dict.fromkeys((r["class"], r["kpi"]) for r in res["rows"]):
            cells = []
            methods: dict[str, int] = {}
            for lv in LEVELS:
                for n in SIZES:
                    r = rows[(cls, kpi, n, lv)]
                    cells.append(_pct(r["coverage"], r["se"]))
                    if n == 10:
                        for m, c in r["methods"].items():
                            methods[m] = methods.get(m, 0) + c
            total = sum(methods.values()) or 1
            used = ", ".join(
                f"{m} {100 * c / total:.0f} %" if len(methods) > 1 else m for m, c in methods.items()
            )
            r10 = rows[(cls, kpi, 10, LEVELS[0])]
            warned = r10.get("warned", math.nan)
            unwarned, ucov = r10.get("unwarned", 0), r10.get("unwarned_coverage", math.nan)
            lines.append(
                f"| {res['case']} ({res['seeds']} seeds) | {cls} | {kpi} | {used} | "
                + " | ".join(cells)
                + (" | -" if math.isnan(warned) else f" | {100 * warned:.0f} %")
                + (
                    " | -"
                    if not unwarned or math.isnan(ucov)
                    else f" | {_pct(ucov, math.sqrt(ucov * (1 - ucov) / unwarned))} ({unwarned})"
                )
                + " |"
            )
    if results.get("batches"):
        lines += [
            "",
            "Batch means (one run per seed, `run.batches`):",
            "",
            "| case | batches x length | seeds | class | KPI | interval | 95 % | 99 % | warned"
            " | 95 % not warned |",
            "|---|---|---:|---|---|---|---:|---:|---:|---:|",
        ]
        for res in results["batches"]:
            rows = {(r["class"], r["kpi"], r["level"], r.get("interval", "t")): r for r in res["rows"]}
            for cls, kpi, m in dict.fromkeys((c, k, m) for c, k, _, m in rows):
                cells = [
                    _pct(rows[(cls, kpi, lv, m)]["coverage"], rows[(cls, kpi, lv, m)]["se"]) for lv in LEVELS
                ]
                r95 = rows.get((cls, kpi, 0.95, m), {})
                warned, ucov = r95.get("warned", math.nan), r95.get("unwarned_coverage", math.nan)
                unwarned = r95.get("unwarned", 0)
                cells.append("-" if math.isnan(warned) else f"{100 * warned:.0f} %")
                cells.append(
                    "-"
                    if not unwarned or math.isnan(ucov)
                    else f"{_pct(ucov, math.sqrt(ucov * (1 - ucov) / unwarned))} ({unwarned})"
                )
                lines.append(
                    f"| {res['case']} | {res['batches']} x {res['horizon_h'] / res['batches']:g} h "
                    f"| {res['seeds']} | {cls} | {kpi} | {m} | " + " | ".join(cells) + " |"
                )
    if results.get("precision"):
        lines += [
            "",
            "Sequential precision (`--precision`, wait_h, start at 10 replications, at most 200):",
            "",
            "| case | target | seeds | target met | mean replications | max | coverage of 95 % |"
            " rel. error within target |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results["precision"]:
            lines.append(
                f"| {r['case']} | {r['relative']:.0%} | {r['seeds']} | {100 * r['met']:.0f} % "
                f"| {r['mean_replications']:.1f} | {r['max_replications']} | {_pct(r['coverage'], r['se'])} "
                f"| {100 * r['rel_error_within_target']:.1f} % |"
            )
    return "\n".join(lines)


#: KPIs of the resampling check (where a case lists none of its own)
RESAMPLE_KPIS = ("wait_h", "queue_len", "utilization", "p_wait_gt_8h")


def resample_check(replay: pd.DataFrame, draws: int, seed: int) -> list[dict[str, Any]]:
    """Coverage in the resampling world: the shape of the replication means, measured precisely.

    For each case and KPI the pool of all saved replications is taken as the population:
    ``draws`` groups of ``n`` are drawn from it with replacement, and each interval
    (``t`` and ``skew_t``, :func:`sim.stats.mean_interval`) is checked against the pool's
    mean, which is exactly the mean of that population.  This isolates what the
    distribution of the replication means (skewness, tails) does to an interval, with
    ``draws`` intervals per figure instead of a few hundred; the bias of the engine is
    measured separately, as ``z = (pool mean - exact) / its standard error``.
    """
    import numpy as np

    from sim.stats import mean_interval

    rng = np.random.default_rng(seed)
    out = []
    for case in CASES:
        pool = replay[replay["case"] == case.name]
        if pool.empty:
            continue
        sc = validate_scenario(case.raw, case.name)
        exact = exact_values(case, sc)
        for (cls, kpi), value in exact.items():
            if kpi not in (case.kpis or RESAMPLE_KPIS):
                continue
            x = pool[pool["class"] == cls][kpi].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            mu, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))
            row: dict[str, Any] = {
                "case": case.name,
                "class": cls,
                "kpi": kpi,
                "pool": len(x),
                "z": (mu - value) / se if se > 0 else math.nan,
                "skewness": float(pd.Series(x).skew()),
            }
            for n in SIZES:
                groups = rng.choice(x, size=(draws, n), replace=True)
                for lv in LEVELS:
                    for method in ("t", "skew_t"):
                        hit = 0
                        for g in groups:
                            ci = mean_interval(g, lv, method)
                            hit += ci.low <= mu <= ci.high
                        row[f"{method}_{int(lv * 100)}_{n}"] = hit / draws
            out.append(row)
    return out


def resample_markdown(rows: list[dict[str, Any]], draws: int) -> str:
    se95 = 100 * math.sqrt(0.95 * 0.05 / draws)
    se99 = 100 * math.sqrt(0.99 * 0.01 / draws)
    head = " | ".join(f"{m} {lv} %, n={n}" for lv in (95, 99) for n in SIZES for m in ("t", "skew_t"))
    lines = [
        f"Resampling check ({draws} groups per figure; binomial SE about {se95:.1f} points at 95 %, "
        f"{se99:.1f} at 99 %):",
        "",
        f"| case | class | KPI | pool | skewness | bias z | {head} |",
        "|---|---|---|---:|---:|---:|" + "---:|" * (4 * len(SIZES)),
    ]
    for r in rows:
        cells = [f"{100 * r[f'{m}_{lv}_{n}']:.1f}" for lv in (95, 99) for n in SIZES for m in ("t", "skew_t")]
        lines.append(
            f"| {r['case']} | {r['class']} | {r['kpi']} | {r['pool']} "
            f"| {r['skewness']:.2f} | {r['z']:+.1f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def comparison(before: dict[str, Any], after: dict[str, Any], label: tuple[str, str]) -> str:
    """Coverage before and after, side by side, for every (case, class, KPI) in both."""
    old = {
        (c["case"], r["class"], r["kpi"], r["replications"], r["level"]): r
        for c in before["cases"]
        for r in c["rows"]
    }
    sizes = " | ".join(f"{int(lv * 100)} %, n={n}" for lv in LEVELS for n in SIZES)
    lines = [
        f"| case | class | KPI | {sizes.replace(' | ', ' | ')} |",
        "|---|---|---|" + "---:|" * (len(LEVELS) * len(SIZES)),
    ]
    for res in after["cases"]:
        rows = {(r["class"], r["kpi"], r["replications"], r["level"]): r for r in res["rows"]}
        for cls, kpi in dict.fromkeys((r["class"], r["kpi"]) for r in res["rows"]):
            cells = []
            for lv in LEVELS:
                for n in SIZES:
                    a = rows[(cls, kpi, n, lv)]
                    b = old.get((res["case"], cls, kpi, n, lv))
                    was = f"{100 * b['coverage']:.1f}" if b else "-"
                    cells.append(f"{was} → {100 * a['coverage']:.1f}")
            lines.append(f"| {res['case']} | {cls} | {kpi} | " + " | ".join(cells) + " |")
    return f"Coverage in %, {label[0]} → {label[1]}:\n\n" + "\n".join(lines)


def _write(out: dict[str, Any], path: Path | None) -> None:
    """Every figure so far, as JSON (after each case: a long run stopped early keeps them)."""
    if path is not None:
        path.write_text(json.dumps(out, indent=1))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the seeds (about 2 minutes)")
    ap.add_argument(
        "--budget-min",
        type=float,
        default=20.0,
        help="CPU minutes in all; a case stops adding seeds once its share is spent (default 20)",
    )
    ap.add_argument("--cases", nargs="*", help="only these cases (names as in the table)")
    ap.add_argument("--no-cases", action="store_true", help="skip the replication cases")
    ap.add_argument("--no-batches", action="store_true", help="skip the batch-means check")
    ap.add_argument("--no-precision", action="store_true", help="skip the --precision check")
    ap.add_argument(
        "--no-pilot",
        action="store_true",
        help="warnings from the replications' own CV (the rule before the interval check's pilot)",
    )
    ap.add_argument("--seed", type=int, default=1_000, help="first seed (default 1000)")
    ap.add_argument("--seeds", type=int, help="seeds per replication case (default: the case's own)")
    ap.add_argument("--json", type=Path, help="write every figure to this file")
    ap.add_argument("--batch-seeds", type=int, help="seeds per batch-means case (default: the case's own)")
    ap.add_argument("--save-replications", type=Path, help="write the replications' KPIs (parquet)")
    ap.add_argument(
        "--replay",
        type=Path,
        help="no simulation: the intervals of replications saved by --save-replications",
    )
    ap.add_argument(
        "--interval", choices=("t", "skew_t"), help="force this interval (default: the summary's own)"
    )
    ap.add_argument(
        "--resample",
        type=int,
        default=0,
        metavar="DRAWS",
        help="with --replay: the resampling check with this many groups per figure "
        "(with --replay-precision: a resampled stream of this many replications)",
    )
    ap.add_argument(
        "--replay-precision",
        type=float,
        nargs="+",
        metavar="GAMMA",
        help="with --replay: the --precision rule (relative precision GAMMA) on the saved replications",
    )
    ap.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("BEFORE", "AFTER"),
        help="no simulation: print two --json files' coverages side by side",
    )
    args = ap.parse_args(argv)

    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        print(comparison(before, after, (args.compare[0].stem, args.compare[1].stem)))
        return 0
    global INTERVAL, PILOT
    INTERVAL = args.interval
    PILOT = not args.no_pilot
    scale = 0.1 if args.quick else 1.0
    replay = pd.read_parquet(args.replay) if args.replay else None
    if replay is not None and args.resample and not args.replay_precision:
        rows = resample_check(replay, args.resample, args.seed)
        print(resample_markdown(rows, args.resample))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return 0
    if replay is not None and args.replay_precision:
        prec = [
            replay_precision(c, replay, rel, rule_name=rule, resample=args.resample, seed=args.seed)
            for c in CASES
            if c.name in set(replay["case"]) and (not args.cases or c.name in args.cases)
            for rel in args.replay_precision
            for rule in ("stein", "sequential")
        ]
        print(replay_precision_markdown(prec))
        if args.json:
            args.json.write_text(json.dumps(prec, indent=1))
        return 0
    if replay is not None:
        args.no_batches = args.no_precision = True
    cases = [c for c in CASES if not args.cases or c.name in args.cases]
    if replay is not None:  # the cases the file holds
        cases = [c for c in cases if c.name in set(replay["case"])]
    by_name = {c.name: c for c in CASES}
    batch_cases = [] if args.no_batches else [b for b in BATCH_CASES if b[0] in {c.name for c in cases}]
    prec_cases = [] if args.no_precision else [p for p in PRECISION_CASES if p[0] in {c.name for c in cases}]
    # budget shares: the replication cases get 65 %, batch means 15 %, precision 20 %
    budget = args.budget_min * 60.0
    share = 0.65 * budget / max(1, len(cases)) if (batch_cases or prec_cases) else budget / max(1, len(cases))
    out: dict[str, Any] = {
        "quick": args.quick,
        "budget_min": args.budget_min,
        "cases": [],
        "batches": [],
        "precision": [],
    }
    t0 = time.process_time()
    saved: list[pd.DataFrame] | None = [] if args.save_replications else None
    pilots: list[pd.DataFrame] | None = [] if args.save_replications else None
    replay_pilot = None
    if args.replay and _pilot_path(args.replay).exists():
        replay_pilot = pd.read_parquet(_pilot_path(args.replay))
    elif replay is not None and PILOT:
        print(
            f"{args.replay}: no saved pilot ({_pilot_path(args.replay).name}): warnings from "
            "the replications' own CV",
            file=sys.stderr,
        )
    for case in [] if args.no_cases else cases:
        seeds = args.seeds or max(2, math.ceil(case.seeds * scale))
        res = run_case(case, seeds, share, args.seed, saved, replay, pilots, replay_pilot)
        print(f"{case.name}: {res['seeds']} seeds, {res['cpu_s']:.0f} s CPU", file=sys.stderr)
        out["cases"].append(res)
        _write(out, args.json)
        if saved:  # after every case: a long run stopped early keeps its replications
            pd.concat(saved, ignore_index=True).to_parquet(args.save_replications)
        if pilots:
            pd.concat(pilots, ignore_index=True).to_parquet(_pilot_path(args.save_replications))
    for name, batches, seeds in batch_cases:
        res = run_batch_case(
            by_name[name],
            batches,
            args.batch_seeds or max(2, math.ceil(seeds * scale)),
            0.15 * budget / len(batch_cases),
            args.seed + 10_000,  # seeds apart from the replication cases
        )
        print(f"{name} batch means: {res['seeds']} seeds, {res['cpu_s']:.0f} s CPU", file=sys.stderr)
        out["batches"].append(res)
        _write(out, args.json)
    for name, rel, seeds in prec_cases:
        res = run_precision_case(
            by_name[name],
            rel,
            max(2, math.ceil(seeds * scale)),
            0.2 * budget / len(prec_cases),
            args.seed + 20_000,
        )
        print(f"{name} precision: {res['seeds']} seeds, {res['cpu_s']:.0f} s CPU", file=sys.stderr)
        out["precision"].append(res)
        _write(out, args.json)
    out["cpu_s"] = time.process_time() - t0
    print(f"total {out['cpu_s']:.0f} s CPU", file=sys.stderr)
    print(markdown(out))
    _write(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
