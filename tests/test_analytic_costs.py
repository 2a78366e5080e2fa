"""The finite-source cost model (technicians + downtime) and its analytic value.

The simulation evidence is the validation case ``finite_cost``; the example
``scenarios/staffing_downtime_cost.toml`` answers "how many technicians minimise the total
cost".
"""

from __future__ import annotations

from typing import Any

import pytest
from scenario_data import toml_data, variant

from sim.analytic import estimate, finite_source
from sim.config import load_scenario
from sim.costs import cost_kpis
from sim.system import ServiceSystem

PLANT = toml_data("""
[fleet]
machines = 60
time_to_failure_h = { dist = "exponential", mean = 100.0 }

[territories]
technicians = 3

[repair]
time_h = { dist = "exponential", mean = 3.0 }

[costs]
technician_per_h = 45.0
downtime_per_machine_h = 120.0
""")


def plant(techs: int) -> dict[str, Any]:
    return variant(PLANT, {"territories.technicians": techs})


def test_downtime_is_priced_per_machine_hour_down(make_scenario):
    sc = make_scenario(plant(3))
    cost = cost_kpis(ServiceSystem.from_scenario(sc), {"machines_down": 2.0, "calls_per_day": 4.0})
    assert cost["cost_downtime_per_day"] == pytest.approx(120.0 * 2.0 * 8.0)
    assert cost["cost_per_day"] == pytest.approx(3 * 45.0 * 8.0 + 120.0 * 2.0 * 8.0)
    assert cost["cost_per_call"] == pytest.approx((3 * 45.0 * 8.0 + 120.0 * 2.0 * 8.0) / 4.0)


def test_without_a_downtime_rate_machines_down_costs_nothing(make_scenario):
    sc = make_scenario(variant(plant(3), drop=["costs.downtime_per_machine_h"]))
    cost = cost_kpis(ServiceSystem.from_scenario(sc), {"machines_down": 2.0, "calls_per_day": 4.0})
    assert cost["cost_downtime_per_day"] == 0.0


@pytest.mark.parametrize("techs", [2, 3, 5])
def test_the_analytic_total_cost_is_the_classic_finite_source_formula(make_scenario, techs):
    """cost/day = s x 45 x 8 + 120 x 8 x L(M/M/s//60), exact because L is."""
    est = estimate(ServiceSystem.from_scenario(make_scenario(plant(techs))))
    ref = finite_source(60, 0.01, 1 / 3.0, techs)
    cost = est.get("cost_per_day")
    assert cost.exact and cost.model == "cost model"
    assert cost.value == pytest.approx(techs * 45.0 * 8.0 + 120.0 * 8.0 * ref.l, rel=1e-12)
    per_call = est.get("cost_per_call")
    # per call: hourly cost over calls per hour (the code divides the day's cost by calls per day)
    assert per_call.value == pytest.approx((techs * 45.0 + 120.0 * ref.l) / ref.arrival_rate, rel=1e-12)


def test_an_approximate_kpi_makes_the_cost_approximate(make_scenario):
    raw = variant(plant(3), {"repair.time_h": {"dist": "gamma", "mean": 3.0, "cv": 0.5}})
    cost = estimate(ServiceSystem.from_scenario(make_scenario(raw))).get("cost_per_day")
    assert cost is not None and not cost.exact


def test_priced_parts_leave_the_cost_without_a_formula(make_scenario):
    parts = {"shortage": "wait", "types": [{"name": "kit", "p_need": 0.5, "unit_cost": 80.0}]}
    assert (
        estimate(ServiceSystem.from_scenario(make_scenario(variant(plant(3), {"parts": parts})))).get(
            "cost_per_day"
        )
        is None
    )


def test_the_example_answers_how_many_technicians_minimise_the_cost():
    """Three technicians: fewer leave machines down, more sit idle (by the exact formulas)."""
    from pathlib import Path

    from sim.config import expand_sweep

    path = Path(__file__).resolve().parents[1] / "scenarios" / "staffing_downtime_cost.toml"
    points = expand_sweep(load_scenario(path), str(path))
    costs = {
        p.params["territories.technicians"]: estimate(ServiceSystem.from_scenario(p.scenario)).get(
            "cost_per_day"
        )
        for p in points
    }
    assert all(c.exact for c in costs.values())
    best = min(costs, key=lambda s: costs[s].value)
    assert best == 3
    assert costs[2].value > costs[3].value < costs[4].value
