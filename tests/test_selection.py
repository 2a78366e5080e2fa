"""Rinott selection (``sim/selection.py``): independent designs, and the clearly best one picked."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.config import expand_sweep, validate_scenario
from sim.rng import design_seed
from sim.selection import independent, select_best


def mmc_sweep(seed: int = 17, replications: int = 5) -> dict[str, Any]:
    """An infinite-source M/M/3 (0.5 calls/h) with mean repairs of 1.5, 2 and 2.5 h."""
    return {
        "meta": {"name": "selection"},
        "run": {"horizon_h": 1500.0, "warmup_h": 100.0, "replications": replications, "seed": seed},
        "fleet": {"calls_per_h": 0.5},
        "territories": {"technicians": 3},
        "repair": {"time_h": {"dist": "exponential", "mean": 1.5}},
        "sweep": {"repair.time_h.mean": [1.5, 2.0, 2.5]},
    }


def points_of(raw: dict[str, Any]) -> tuple[Any, list[Any]]:
    scenario = validate_scenario(raw, "<test_selection>")
    return scenario, expand_sweep(scenario, "<test_selection>")


def test_each_design_gets_its_own_valid_seed_from_the_named_stream() -> None:
    for seed in (0, 17, 2**63 - 1):  # the largest seed a scenario accepts
        _, points = points_of(mmc_sweep(seed))
        seeds = [p.scenario.run.seed for p in independent(points)]
        assert len(set(seeds)) == len(points)
        assert seed not in seeds
        assert all(0 <= s < 2**63 for s in seeds)  # still a valid run.seed
        assert seeds == [design_seed(seed, p.index) for p in points]  # reproducible
        for p, s in zip(independent(points), seeds, strict=True):
            raw = p.scenario.model_dump(mode="json")
            assert validate_scenario(raw, "<test_selection>").run.seed == s


def test_designs_share_no_random_numbers() -> None:
    # Two identical designs: with common random numbers their replications would be equal.
    raw = mmc_sweep(replications=3)
    raw["sweep"] = {"repair.time_h.mean": [2.0, 2.0]}
    scenario, points = points_of(raw)
    sel = select_best(scenario, points, "wait_h", delta=10.0, backend="serial", progress=False)
    reps = sel.experiment.replications
    waits = [
        reps[(reps["design_point"] == p.id) & (reps["class"] == "all")].sort_values("replication")["wait_h"]
        for p in sel.experiment.points
    ]
    assert not np.allclose(waits[0].to_numpy(), waits[1].to_numpy())


def test_select_best_picks_the_clearly_best_design() -> None:
    # Erlang C: mean waits 0.029 h, 0.091 h and 0.222 h.  The smallest gap, 0.062 h, is twice
    # delta; Rinott's sample sizes make each final mean's standard error at most delta / h
    # (about 0.01 h), so the gap is over 4 standard errors of a difference and a wrong pick
    # has a probability near 1e-5: the check has power, not luck.
    scenario, points = points_of(mmc_sweep())
    sel = select_best(scenario, points, "wait_h", delta=0.03, backend="serial", progress=False)
    by_repair = {p.id: p.params["repair.time_h.mean"] for p in points}
    assert by_repair[sel.best] == 1.5
    assert sel.n0 == 5
    done = sel.experiment.replications
    for pid, n in sel.replications.items():  # stage 2 ran what the plan asked, no more
        assert n >= sel.n0
        assert (done[(done["design_point"] == pid) & (done["class"] == "all")]["replication"]).nunique() == n
    ordered = sorted(sel.means, key=lambda pid: by_repair[pid])
    assert sel.means[ordered[0]] < sel.means[ordered[1]] < sel.means[ordered[2]]
