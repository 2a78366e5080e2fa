"""Unequal territories (``territories.weights``): validation, the model, the formulas."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from sim.analytic import estimate
from sim.config import ScenarioError, expand_sweep, validate_scenario
from sim.experiment.replication import run_replication
from sim.experiment.tasks import Task
from sim.system import ServiceSystem


def _raw(**fleet: Any) -> dict[str, Any]:
    return {
        "run": {"horizon_h": 4000.0, "warmup_h": 100.0, "replications": 1, "seed": 5},
        "fleet": fleet or {"calls_per_h": 0.2},
        "territories": {"count": 3, "pooled": 3},
        "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    }


def _with(raw: dict[str, Any], **territories: Any) -> dict[str, Any]:
    return raw | {"territories": raw["territories"] | territories}


def _nan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _run(raw: dict[str, Any]) -> tuple[dict[str, float], Counter[int]]:
    sc = validate_scenario(raw)
    (point,) = expand_sweep(sc)
    res = run_replication(Task(point, 0, keep_calls=True))
    assert res.error is None, res.error
    row = next(r for r in res.rows if r["class"] == "all")
    assert res.calls is not None
    return row, Counter(c.territory for c in res.calls)


@pytest.mark.parametrize(
    ("territories", "key", "reason"),
    [
        ({"weights": [1.0, 2.0]}, "territories.weights", "one weight per territory"),
        ({"weights": [1.0, -2.0, 1.0]}, "territories.weights", "greater than 0"),
    ],
)
def test_bad_weights_name_the_key(territories: dict[str, Any], key: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as err:
        validate_scenario(_with(_raw(), **territories), "x.toml")
    assert key in str(err.value) and reason in str(err.value)


def test_machine_counts_must_be_whole() -> None:
    life = {"dist": "exponential", "mean": 50.0}
    ok = validate_scenario(_with(_raw(machines=10, time_to_failure_h=life), weights=[5.0, 10.0, 15.0]))
    assert ok.territories.machines_of(10) == [5, 10, 15]
    with pytest.raises(ScenarioError, match="whole numbers"):
        validate_scenario(_with(_raw(machines=10, time_to_failure_h=life), weights=[1.0, 1.0, 2.0]))


@pytest.mark.parametrize(
    "fleet",
    [
        {"calls_per_h": 0.2},
        {"machines": 8, "time_to_failure_h": {"dist": "exponential", "mean": 40.0}},
        {"machines": 8, "time_to_failure_h": {"dist": "weibull", "mean": 40.0, "shape": 2.0}},
    ],
    ids=["poisson", "exponential-lives", "weibull-lives"],
)
def test_equal_weights_change_nothing(fleet: dict[str, Any]) -> None:
    """Weights 1 : 1 : 1 are the default territories, draw for draw."""
    plain, _ = _run(_raw(**fleet))
    weighted, _ = _run(_with(_raw(**fleet), weights=[2.0, 2.0, 2.0]))
    assert weighted.keys() == plain.keys()
    same = [k for k in plain if weighted[k] == plain[k] or (_nan(weighted[k]) and _nan(plain[k]))]
    assert same == list(plain)


@pytest.mark.parametrize(
    "fleet",
    [
        {"calls_per_h": 0.2},
        {"machines": 10, "time_to_failure_h": {"dist": "exponential", "mean": 60.0}},
        {"machines": 10, "time_to_failure_h": {"dist": "lognormal", "mean": 60.0, "cv": 0.5}},
    ],
    ids=["poisson", "exponential-lives", "lognormal-lives"],
)
def test_calls_come_in_the_weights_proportions(fleet: dict[str, Any]) -> None:
    _, calls = _run(_with(_raw(**fleet), weights=[1.0, 2.0, 7.0]))
    total = sum(calls.values())
    assert total > 1500
    for t, share in enumerate((0.1, 0.2, 0.7)):
        # binomial standard error at most 0.012 here: 4 of them
        assert calls[t] / total == pytest.approx(share, abs=0.05)


def test_unequal_atoms_in_the_hypercube_and_the_trip_labels() -> None:
    raw = _with(_raw(calls_per_h=0.3), weights=[1.0, 2.0, 3.0]) | {"dispatch": {"policy": "preference"}}
    unequal = estimate(ServiceSystem.from_scenario(validate_scenario(raw)))
    equal = estimate(
        ServiceSystem.from_scenario(
            validate_scenario(_raw(calls_per_h=0.3) | {"dispatch": {"policy": "preference"}})
        )
    )
    w = [unequal.get(f"workload_tech{i}") for i in range(3)]
    assert all(e is not None and e.exact and "unequal atoms" in e.model for e in w)
    assert w[0].value < w[1].value < w[2].value  # the busier territory's own technician works most
    # the total work and the chance of waiting are the team's: Erlang C either way
    assert sum(e.value for e in w) == pytest.approx(
        sum(equal.get(f"workload_tech{i}").value for i in range(3))
    )
    assert unequal.get("p_wait").value == pytest.approx(equal.get("p_wait").value)
    # between-job trips are no longer between uniform points of the team's area
    geo = {"mode": "geometry"}
    size = {"width_km": 5.0, "height_km": 5.0}
    trips = estimate(
        ServiceSystem.from_scenario(
            validate_scenario(_with(_raw(calls_per_h=0.3), weights=[1.0, 2.0, 3.0], **size) | {"travel": geo})
        )
    )
    assert trips.get("trip_km").exact is False
    same = estimate(
        ServiceSystem.from_scenario(validate_scenario(_with(_raw(calls_per_h=0.3), **size) | {"travel": geo}))
    )
    assert same.get("trip_km").exact is True


def test_the_system_lays_out_the_machines_of_a_block() -> None:
    """``ServiceSystem.layout``: machines numbered territory by territory over the whole
    fleet; a block of teams gets its own territories' counts and its first global number."""
    life = {"dist": "exponential", "mean": 50.0}
    raw = _raw(machines=10, time_to_failure_h=life)
    raw["territories"] = {"count": 6, "pooled": 3, "weights": [5.0, 10.0, 15.0]}
    system = ServiceSystem.from_scenario(validate_scenario(raw))
    whole = system.layout(range(6))
    assert whole.counts == [5, 10, 15, 5, 10, 15] and whole.base == 0 and whole.machines == 60
    assert [whole.territory_of(m) for m in (0, 4, 5, 14, 15, 29, 30, 59)] == [0, 0, 1, 1, 2, 2, 3, 5]
    second_team = system.layout(range(3, 6))
    assert second_team.counts == [5, 10, 15] and second_team.base == 30 and second_team.first == 3
    assert second_team.territory_of(14) == 1
    with pytest.raises(ValueError, match="finite fleet"):
        ServiceSystem.from_scenario(validate_scenario(_raw(calls_per_h=0.2))).layout(range(3))
