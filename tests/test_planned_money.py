"""The money of planned work (issue 14): ``revenue`` and ``cost`` per visit of
``[work.maintenance]`` and ``[work.visits]`` give their rows ``revenue_per_day``,
``job_cost_per_day`` and ``margin_per_day``; ``cost`` and ``breakdown_cost`` give the plan's
cost rate ``pm_cost_per_day`` (the age-replacement model's C(T)).

Money is linear in the visit and breakdown rates, so the analytic money is exact where the
rates are: with nobody waiting (as many technicians as machines, no travel) the
renewal-reward rates are exact, and so is C(T).  The seeded test below checks it with power:
the exact value inside the 99 % interval of 6 replications, the interval within 3 % of it,
and the cost rate that ignores the plan's renewals (breakdowns at 1 / mean life) outside.
The validation case ``scenarios/validation/pm_age_cost.toml`` checks the same at length.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.age_replacement import age_replacement
from sim.config import ScenarioError, expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.experiment.tables import kpi_names
from sim.stats import t_interval
from sim.system import ServiceSystem

#: ten Weibull machines and ten technicians: nobody waits, renewal-reward is exact
BASE: dict[str, Any] = {
    "meta": {"name": "planned-money"},
    "run": {"horizon_h": 20000.0, "warmup_h": 600.0, "replications": 6, "seed": 1416},
    "fleet": {"machines": 10, "time_to_failure_h": {"dist": "weibull", "mean": 100.0, "shape": 2.0}},
    "territories": {"technicians": 10},
    "repair": {"time_h": {"dist": "exponential", "mean": 5.0}},
    "work": {
        "maintenance": {
            "every_h": 60.0,
            "window_h": 20.0,
            "duration_h": {"dist": "deterministic", "value": 1.0},
            "revenue": 70.0,
            "cost": 40.0,
            "breakdown_cost": 200.0,
        }
    },
}


def _system(data: dict[str, Any]) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(data, "<money>"))


def _replications(data: dict[str, Any]):
    sc = validate_scenario(data, "<money>")
    exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False)
    assert not exp.failures, exp.failures
    return exp.replications


def test_the_plans_cost_rate_is_renewal_reward_exactly_with_power():
    reps = _replications(BASE)
    est = estimate(_system(BASE))
    whole = reps[reps["class"] == "all"]
    row = reps[reps["class"] == "maintenance"]
    checks = [
        ("pm_cost_per_day", whole, "all"),
        ("revenue_per_day", row, "maintenance"),
        ("margin_per_day", row, "maintenance"),
        ("margin_per_day", whole, "all"),
    ]
    for kpi, rows, cls in checks:
        e = est.get(kpi, cls)
        assert e is not None and e.exact, (kpi, cls)
        ci = t_interval(rows[kpi].to_numpy(), 0.99)
        assert ci.contains(e.value), (kpi, cls, ci, e.value)
        assert ci.half_width < 0.03 * abs(e.value), (kpi, ci)
    # the closed form by hand: C(T) per machine-hour x 10 machines x 8 h a day
    r = age_replacement(2.0, 100.0, 60.0, 40.0, 200.0, 1.0, 5.0)
    assert est.get("pm_cost_per_day").value == pytest.approx(r.cost_rate * 10 * 8.0)
    # power: without the renewals' effect (breakdowns at 1 / mean life) the value is far out
    naive = 40.0 * est.get("pm_visits_per_day").value + 200.0 * 10 * 8.0 * r.availability / 100.0
    assert not t_interval(whole["pm_cost_per_day"].to_numpy(), 0.99).contains(naive)


def test_the_rows_money_is_money_per_visit_times_visits_done():
    data = variant(
        BASE,
        {
            "run.horizon_h": 3000.0,
            "run.replications": 1,
            "territories.technicians": 2,
            "work.visits": {
                "customers": 3,
                "every_days": 4.0,
                "window_h": 16.0,
                "duration_h": {"dist": "deterministic", "value": 1.0},
                "revenue": 25.0,
                "cost": 5.0,
            },
        },
    )
    reps = _replications(data)
    by = {r["class"]: r for r in reps.to_dict("records")}
    pm, visits, whole = by["maintenance"], by["visits"], by["all"]
    assert pm["revenue_per_day"] == pytest.approx(70.0 * pm["calls_per_day"])
    assert pm["job_cost_per_day"] == pytest.approx(40.0 * pm["calls_per_day"])
    assert visits["margin_per_day"] == pytest.approx(20.0 * visits["calls_per_day"])
    assert whole["revenue_per_day"] == pytest.approx(pm["revenue_per_day"] + visits["revenue_per_day"])
    assert whole["pm_cost_per_day"] == pytest.approx(
        40.0 * whole["pm_visits_per_day"] + 200.0 * whole["breakdowns_per_day"]
    )
    assert math.isnan(by["standard"].get("revenue_per_day", math.nan))  # a class has no money
    # the visits' money is exact (a fixed calendar), the maintenance's approximate (waits)
    est = estimate(_system(data))
    assert est.get("revenue_per_day", "visits").exact
    assert est.get("revenue_per_day", "visits").value == pytest.approx(25.0 * 3 / 4.0)
    assert not est.get("revenue_per_day", "maintenance").exact
    assert not est.get("revenue_per_day", "all").exact


def test_the_money_columns_come_only_with_priced_plans():
    plain = variant(
        BASE, drop=["work.maintenance.revenue", "work.maintenance.cost", "work.maintenance.breakdown_cost"]
    )
    names = set(kpi_names(_system(plain)))
    assert not {"revenue_per_day", "margin_per_day", "pm_cost_per_day"} & names
    priced = set(kpi_names(_system(BASE)))
    assert {"revenue_per_day", "job_cost_per_day", "margin_per_day", "pm_cost_per_day"} <= priced
    only_breakdowns = variant(plain, {"work.maintenance.breakdown_cost": 100.0})
    names = set(kpi_names(_system(only_breakdowns)))
    assert "pm_cost_per_day" in names and "revenue_per_day" not in names


@pytest.mark.parametrize("key", ["revenue", "cost", "breakdown_cost"])
def test_negative_money_is_refused_naming_the_key(key):
    with pytest.raises(ScenarioError, match=f"work.maintenance.{key}"):
        validate_scenario(variant(BASE, {f"work.maintenance.{key}": -1.0}), "<money>")


def test_scenarios_without_the_new_keys_dump_and_hash_as_before():
    """Plans without money, maintenance in hours of operation and internal work when idle
    dump without the keys added for money, calendar plans and scheduled blocks, so the
    config hash (and --resume) of an older scenario is unchanged."""
    plain = variant(
        BASE, drop=["work.maintenance.revenue", "work.maintenance.cost", "work.maintenance.breakdown_cost"]
    )
    plain = variant(
        plain,
        {
            "work.visits": {
                "customers": 2,
                "every_days": 4.0,
                "window_h": 8.0,
                "duration_h": {"dist": "deterministic", "value": 1.0},
            },
            "work.internal": {"mode": "when_idle", "task_h": {"dist": "exponential", "mean": 1.0}},
        },
    )
    work = validate_scenario(plain, "<money>").model_dump(mode="json")["work"]
    added = {"revenue", "cost", "breakdown_cost", "tolerance_days", "block_h", "share"}
    assert not added & (set(work["maintenance"]) | set(work["visits"]) | set(work["internal"]))
    priced = validate_scenario(BASE, "<money>")
    assert priced.model_dump(mode="json")["work"]["maintenance"]["breakdown_cost"] == 200.0
    assert priced.config_hash() != validate_scenario(plain, "<money>").config_hash()


# --------------------------------------------------------------------------- classes' money

#: Poisson calls at one technician (M/M/1): a class's calls per day are exact, so is its money
CLASSES: dict[str, Any] = {
    "meta": {"name": "class-money"},
    "run": {"horizon_h": 40000.0, "warmup_h": 200.0, "replications": 8, "seed": 1420},
    "fleet": {
        "calls_per_h": 0.6,
        "classes": [
            {"name": "paid", "share": 0.4, "revenue": 150.0, "cost": 30.0},
            {"name": "contract", "share": 0.6},
        ],
    },
    "territories": {"technicians": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
}


def test_a_classs_money_is_money_per_call_times_its_calls_exactly_with_power():
    reps = _replications(CLASSES)
    est = estimate(_system(CLASSES))
    paid = reps[reps["class"] == "paid"]
    assert "revenue_per_day" not in reps[reps["class"] == "contract"].dropna(axis=1).columns
    for r in paid.to_dict("records"):
        assert r["margin_per_day"] == pytest.approx(120.0 * r["calls_per_day"])
    for kpi, cls, value in (
        ("revenue_per_day", "paid", 150.0 * 0.4 * 0.6 * 8.0),
        ("margin_per_day", "paid", 120.0 * 0.4 * 0.6 * 8.0),
        ("revenue_per_day", "all", 150.0 * 0.4 * 0.6 * 8.0),
    ):
        e = est.get(kpi, cls)
        assert e is not None and e.exact and e.value == pytest.approx(value), (kpi, cls)
        rows = reps[reps["class"] == cls]
        ci = t_interval(rows[kpi].to_numpy(), 0.99)
        assert ci.contains(value), (kpi, cls, ci)
        # power: a value 5 % off would be outside the interval
        assert not ci.contains(1.05 * value) and not ci.contains(0.95 * value), (kpi, ci)


def test_a_class_without_money_dumps_as_before():
    plain = validate_scenario(
        variant(CLASSES, drop=["fleet.classes.0.revenue", "fleet.classes.0.cost"]), "<m>"
    )
    assert not {"revenue", "cost"} & set(plain.model_dump(mode="json")["fleet"]["classes"][0])
    assert "revenue_per_day" not in kpi_names(ServiceSystem.from_scenario(plain))
