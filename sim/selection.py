"""Selecting the best design point: Rinott's two-stage indifference-zone procedure.

Stage 1 runs ``n0`` replications of every design; the sample standard deviations
fix how many replications each design needs, ``N_i = max(n0, ceil((h S_i / delta)^2))``,
with Rinott's constant ``h`` for k designs, n0 and the confidence.  Stage 2 runs the
missing replications; the design with the best overall mean is selected, and with
probability >= the confidence it is the best or within ``delta`` of it.  The procedure
assumes independent designs, so every design gets its own seed here (no common random
numbers): its seed comes from the named stream ``design_seed`` of the scenario's seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.config import DesignPoint, with_overrides
from sim.experiment.experiment import Experiment, run_experiment
from sim.rng import design_seed
from sim.stats import rinott_choose, rinott_select


@dataclass(frozen=True)
class Selection:
    kpi: str
    delta: float
    confidence: float
    minimize: bool
    h: float
    n0: int
    replications: dict[str, int]
    means: dict[str, float]
    sds: dict[str, float]
    best: str
    experiment: Experiment


def independent(points: Sequence[DesignPoint]) -> list[DesignPoint]:
    """The design points, each with its own seed (no common random numbers between them)."""
    out = []
    for p in points:
        seed = design_seed(p.scenario.run.seed, p.index)
        out.append(
            DesignPoint(p.index, p.params, with_overrides(p.scenario, {"run.seed": seed}, f"select ({p.id})"))
        )
    return out


def _values(exp: Experiment, kpi: str, point: DesignPoint) -> list[float]:
    reps = exp.replications
    rows = reps[(reps["design_point"] == point.id) & (reps["class"] == "all")]
    return [float(v) for v in rows.sort_values("replication")[kpi]]


def select_best(
    scenario: Any,
    points: Sequence[DesignPoint],
    kpi: str,
    delta: float,
    confidence: float = 0.95,
    minimize: bool = True,
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    check_plan: Callable[[dict[str, int]], None] | None = None,
) -> Selection:
    """Rinott's procedure over ``points``: stage 1 with ``run.replications`` each, then more.

    ``check_plan`` sees the replications stage 2 needs per point before it starts (it may
    raise to refuse a stage that cannot finish)."""
    if len(points) < 2:
        raise ValueError("selecting the best needs at least 2 design points (add a [sweep])")
    points = independent(points)
    first = run_experiment(
        scenario, points, backend, None if backend == "serial" else workers, progress=progress
    )
    if first.failures:
        raise RuntimeError(
            f"stage 1: {len(first.failures)} replication(s) failed:\n{first.failures[0].error}"
        )
    stage1 = {p.id: _values(first, kpi, p) for p in points}
    plan = rinott_select(stage1, delta, confidence, minimize)
    if check_plan is not None:
        check_plan(dict(plan.n_total))
    second = []
    for p in points:
        n = {"run.replications": plan.n_total[p.id]}
        second.append(
            DesignPoint(p.index, p.params, with_overrides(p.scenario, n, f"select, stage 2 ({p.id})"))
        )
    final = run_experiment(scenario, second, backend, workers, progress=progress, finished=first.results)
    means = {p.id: sum(v := _values(final, kpi, p)) / len(v) for p in second}
    if any(math.isnan(m) for m in means.values()):
        raise RuntimeError(f"{kpi}: some design points have no value")
    pick = rinott_choose(means, minimize)
    return Selection(
        kpi,
        delta,
        confidence,
        minimize,
        plan.h,
        plan.n0,
        dict(plan.n_total),
        means,
        dict(plan.sd),
        pick,
        final,
    )
