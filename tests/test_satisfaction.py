"""The satisfaction score per call (``[satisfaction]``, issue 15): a model, not data.

Identities that hold replication by replication (the score is counted over the same calls
as the call KPIs): with only a per-hour weight on the response the mean score is best -
w x response_h; with only a weight on a late arrival it is best - w x (1 - sla_met).  The
analytic mean (linearity) is exact only where the floor cannot bind; adding a score changes
no other KPI; bad weights are ``tests/bad_inputs/satisfaction_*.toml``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.config import validate_scenario
from sim.experiment.tables import kpi_names
from sim.model import simulate
from sim.monitors import monitors_for
from sim.system import Promise, ServiceSystem

BASE: dict[str, Any] = {
    "meta": {"name": "satisfaction"},
    "run": {"horizon_h": 4000.0, "warmup_h": 100.0, "replications": 1, "seed": 11},
    "fleet": {
        "calls_per_h": 1.0,
        "classes": [{"name": "contract", "share": 0.4, "sla_h": 1.0}, {"name": "paid", "share": 0.6}],
    },
    "territories": {"count": 1, "technicians": 2, "pooled": 1},
    "travel": {"time_h": {"dist": "exponential", "mean": 0.3}},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.5}},
    "satisfaction": {"best": 10.0, "worst": -1e5, "per_response_h": 0.5},
}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<satisfaction>"))


def kpis_of(system: ServiceSystem, replication: int = 0) -> dict[str, dict[str, float]]:
    monitors = monitors_for(system, system.technicians, range(system.territories.count))
    end = simulate(system, replication, monitors)
    return monitors.kpis(end)


def test_off_by_default_and_the_kpi_with_the_section():
    without = system_of(drop=("satisfaction",))
    assert without.satisfaction is None and "satisfaction" not in kpi_names(without)
    assert "satisfaction" not in validate_scenario(variant(BASE, drop=("satisfaction",))).model_dump()
    s = system_of({"satisfaction.broken": {"late_on_site": 2.0}})
    assert s.satisfaction is not None and s.satisfaction.broken[Promise.ON_SITE] == 2.0
    assert "satisfaction" in kpi_names(s)


def test_a_score_changes_no_other_kpi():
    a = kpis_of(system_of())
    b = kpis_of(system_of(drop=("satisfaction",)))
    for row, values in b.items():
        assert set(a[row]) == {*values, "satisfaction"}
        assert all(a[row][k] == v or (math.isnan(v) and math.isnan(a[row][k])) for k, v in values.items())


@pytest.mark.parametrize("row", ["contract", "paid", "all"])
def test_the_response_weight_gives_best_minus_w_times_response(row):
    k = kpis_of(system_of())[row]
    assert k["satisfaction"] == pytest.approx(10.0 - 0.5 * k["response_h"], rel=1e-9)


def test_a_late_arrival_weight_gives_best_minus_w_times_the_breach_share():
    k = kpis_of(system_of({"satisfaction.per_response_h": 0.0, "satisfaction.broken": {"late_on_site": 2.0}}))
    assert k["contract"]["satisfaction"] == pytest.approx(
        10.0 - 2.0 * (1.0 - k["contract"]["sla_met"]), rel=1e-9
    )
    assert k["paid"]["satisfaction"] == 10.0  # no promise to break


def test_the_floor_holds():
    k = kpis_of(system_of({"satisfaction.worst": 9.9}))
    assert k["all"]["satisfaction"] >= 9.9


def test_the_linear_mean_is_exact_only_where_the_floor_cannot_bind():
    notravel = {"travel.time_h": {"dist": "deterministic", "value": 0.0}}
    broken = {**notravel, "satisfaction.per_response_h": 0.0, "satisfaction.broken": {"late_on_site": 2.0}}
    e = estimate(system_of(broken)).get("satisfaction", "contract")
    sla = estimate(system_of(broken)).get("sla_met", "contract")
    assert e is not None and sla is not None and e.exact
    assert e.value == pytest.approx(10.0 - 2.0 * (1.0 - sla.value))
    # the same weights with a floor they can reach: the linear form is no longer exact
    e = estimate(system_of({**broken, "satisfaction.worst": 9.0})).get("satisfaction", "contract")
    assert e is not None and not e.exact
    e = estimate(system_of(notravel)).get("satisfaction")
    assert e is not None and not e.exact and "floor" in e.note


def test_the_exact_linear_mean_holds_against_simulation():
    """M/M/2 with no travel: 1 - sla_met of the contract class is exact, and so is the mean
    score; five replications of 20,000 h hold it within 3 standard errors."""
    changes = {
        "travel.time_h": {"dist": "deterministic", "value": 0.0},
        "run.horizon_h": 20000.0,
        "satisfaction.per_response_h": 0.0,
        "satisfaction.broken": {"late_on_site": 2.0},
    }
    system = system_of(changes)
    formula = estimate(system).get("satisfaction", "contract")
    assert formula is not None and formula.exact
    values = [kpis_of(system, r)["contract"]["satisfaction"] for r in range(5)]
    mean = sum(values) / 5
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / 4 / 5)
    assert abs(mean - formula.value) <= 3 * se
    assert se / (10.0 - formula.value) < 0.03  # tight on the points lost (0.92 here)


def test_the_report_has_a_complaints_and_satisfaction_section_per_class(tmp_path):
    from sim.config import expand_sweep
    from sim.experiment.experiment import run_experiment
    from sim.experiment.manifest import manifest, manifest_head
    from sim.report import write_report
    from sim.results import run_id, write_run

    raw = variant(
        BASE,
        {
            "run.horizon_h": 1000.0,
            "run.replications": 2,
            "complaints": {
                "supervisors": 1,
                "handling_h": {"dist": "exponential", "mean": 1.0},
                "deadline_h": 4.0,
                "probability": {"late_on_site": 0.5, "any_call": 0.05},
            },
            "sweep": {"territories.technicians": [2, 3]},
        },
    )
    sc = validate_scenario(raw, "<report>")
    points = expand_sweep(sc, "<test>")
    exp = run_experiment(sc, points, backend="serial", progress=False)
    man = manifest(exp, manifest_head(sc, points, ["run", "<test>"], "<test>", False))
    run = write_run(
        tmp_path, run_id(sc.meta.name, sc.config_hash()), man, exp.replications, exp.summary, None, None
    )
    html = write_report(run).read_text(encoding="utf-8")
    assert "<section id='complaints'" in html
    assert "a model, not data" in html
    for cls in ("contract", "paid", "all classes"):
        assert f'"name":"{cls}"' in html
    # without the sections, no such section
    plain = validate_scenario(variant(raw, drop=("complaints", "satisfaction")), "<report>")
    exp = run_experiment(plain, expand_sweep(plain, "<t>"), backend="serial", progress=False)
    man = manifest(exp, manifest_head(plain, expand_sweep(plain, "<t>"), ["run"], "<t>", False))
    run = write_run(
        tmp_path, run_id("plain", plain.config_hash()), man, exp.replications, exp.summary, None, None
    )
    assert "<section id='complaints'" not in write_report(run).read_text(encoding="utf-8")
