"""The simulator against exact queueing formulas: the statistical tests with power.

Each file in ``scenarios/validation/`` reduces the simulator to a textbook
model (M/M/1, M/D/1, M/G/1, M/M/3, M/M/s//N, nonpreemptive priority, and
the parts, trips and hypercube anchors added since).  An exact check passes
only when the exact value lies inside the simulated 99 % confidence interval
AND the interval's relative half-width is within the case's allowance, so a
pass is evidence, not luck with a wide interval; a KPI listed under
``approximate_kpis`` must be within the case's tolerance of its approximation.
The default suite runs every case in quick mode (``validate --quick``: a quarter of the
horizon, the allowance doubled, the same checks); the full-length runs are the slow
statistical studies (``pytest -m slow``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_data import toml_data, variant

from sim.analytic import estimate
from sim.config import ScenarioError, load_scenario, validate_scenario
from sim.system import ServiceSystem
from sim.validate import MAX_REL_HALF_WIDTH, QUICK_HORIZON_FACTOR, QUICK_TOLERANCE_FACTOR, quick, run_case

CASES = sorted((Path(__file__).resolve().parents[1] / "scenarios" / "validation").glob("*.toml"))


def test_there_are_validation_cases():
    """The suite is not vacuous: the validation folder holds the anchor cases."""
    names = {p.stem for p in CASES}
    assert {"mm1", "mm3", "md1", "mm1_finite", "priority3"} <= names


@pytest.mark.parametrize(
    "is_quick", [True, pytest.param(False, marks=pytest.mark.slow)], ids=["quick", "full"]
)
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_validation_case_matches_its_exact_formula(path, is_quick):
    """Every listed KPI passes: exact value inside the 99 % CI (or an approximation within
    tolerance) and relative half-width within the allowance."""
    scenario = load_scenario(path)
    assert scenario.validation is not None
    assert scenario.validation.confidence == pytest.approx(0.99)
    checks = run_case(path, is_quick=is_quick, backend="process")
    if is_quick:
        scenario = quick(scenario)
    listed = set(scenario.validation.kpis) | set(getattr(scenario.validation, "approximate_kpis", []))
    assert {c.kpi for c in checks} == listed
    failed = [
        f"{c.service_class} {c.kpi}: exact {c.exact:.6g} ({c.model}), simulated {c.mean:.6g} "
        f"[{c.ci_low:.6g}, {c.ci_high:.6g}], rel. half-width {c.rel_half_width:.2%} "
        f"(allowed {c.max_rel_half_width:.0%}) -> {c.verdict}"
        for c in checks
        if not c.passed
    ]
    assert not failed, "\n".join(failed)
    for c in checks:
        if c.informational:  # another formula shown for comparison (METRIC), not a check
            continue
        assert c.inside and c.tight
        assert c.max_rel_half_width == scenario.validation.max_rel_half_width


def test_quick_mode_shortens_the_horizon_and_widens_the_allowance_only():
    """``--quick`` changes two keys through the one override mechanism: a quarter of the
    horizon, twice the allowance (at most its key's limit); the rest is the case as written."""
    path = next(p for p in CASES if p.stem == "mm1")
    case = load_scenario(path)
    assert case.validation is not None
    short = quick(case, str(path))
    assert short.validation is not None
    assert short.run.horizon_h == case.run.horizon_h * QUICK_HORIZON_FACTOR
    assert short.validation.max_rel_half_width == case.validation.max_rel_half_width * QUICK_TOLERANCE_FACTOR
    before, after = case.model_dump(mode="json"), short.model_dump(mode="json")
    for raw in (before, after):
        del raw["run"]["horizon_h"], raw["validation"]["max_rel_half_width"]
    assert before == after
    loose = validate_scenario(variant(case.model_dump(mode="json"), {"validation.max_rel_half_width": 0.8}))
    widened = quick(loose).validation
    assert widened is not None and widened.max_rel_half_width == MAX_REL_HALF_WIDTH


def test_the_quick_allowance_limit_is_the_keys_limit():
    raw = variant(load_scenario(CASES[0]).model_dump(mode="json"))
    validate_scenario(variant(raw, {"validation.max_rel_half_width": MAX_REL_HALF_WIDTH}))
    with pytest.raises(ScenarioError, match=r"validation\.max_rel_half_width"):
        validate_scenario(variant(raw, {"validation.max_rel_half_width": MAX_REL_HALF_WIDTH * 1.001}))


# ---------------------------------------------------------------------------
# Several teams: the analytic totals must be totals, like the simulated ones

ONE_TEAM = toml_data("""
[run]
horizon_h = 20000.0
warmup_h = 500.0
replications = 1
seed = 79

[fleet]
calls_per_h = 0.375

[territories]
count = 1
technicians = 1
pooled = 1

[repair]
time_h = { dist = "exponential", mean = 2.0 }
""")


def _scenario(count: int):
    return validate_scenario(variant(ONE_TEAM, {"territories.count": count}), "<test>")


def test_simulated_levels_and_rates_are_totals_over_all_teams(run_one):
    """With two independent territories the simulator counts the calls and machines of
    both: twice the call rate of one territory and twice its machines down."""
    _, k1 = run_one(_scenario(1))
    _, k2 = run_one(_scenario(2))
    assert k2["all"]["calls_logged_per_h"] == pytest.approx(2 * 0.375, rel=0.03)
    assert k1["all"]["calls_logged_per_h"] == pytest.approx(0.375, rel=0.03)
    assert k2["all"]["machines_down"] > 1.6 * k1["all"]["machines_down"]
    assert k2["all"]["utilization"] == pytest.approx(0.75, rel=0.05)  # per technician


@pytest.mark.parametrize("kpi", ["machines_down", "queue_len", "calls_per_day"])
def test_analytic_totals_scale_with_the_number_of_teams(kpi):
    """Two identical, independent territories: twice the machines down, calls waiting and
    calls per day of one; the wait and the utilisation stay the same."""
    one, two = (
        estimate(ServiceSystem.from_scenario(_scenario(1))),
        estimate(ServiceSystem.from_scenario(_scenario(2))),
    )
    assert two.get("wait_h").value == pytest.approx(one.get("wait_h").value)
    assert two.get("utilization").value == pytest.approx(one.get("utilization").value)
    assert two.get(kpi).value == pytest.approx(2 * one.get(kpi).value)


def test_pooling_all_territories_makes_one_team_at_the_combined_rate():
    """count = 2, pooled = 2 is one team of two: M/M/2 at twice the rate (control case)."""
    raw = variant(ONE_TEAM, {"territories.count": 2, "territories.pooled": 2})
    est = estimate(ServiceSystem.from_scenario(validate_scenario(raw, "<test>")))
    assert est.get("calls_per_day").value == pytest.approx(2 * 0.375 * 8.0)
    assert est.get("wait_h").model == "M/M/2"


def test_the_two_echelon_case_shows_that_metric_understates_van_backorders():
    """Next to VARI-METRIC (checked), validate shows METRIC for the van backorders: the
    simulated value lies well above METRIC's, the bias that VARI-METRIC corrects."""
    path = next(p for p in CASES if p.stem == "parts_two_echelon")
    checks = run_case(path, is_quick=True, backend="serial")
    metric = [c for c in checks if c.informational and c.model == "METRIC"]
    assert metric and all(c.kpi == "van_backorders" for c in metric)
    assert all(c.ci_low > 1.1 * c.exact for c in metric)
    assert all(c.passed for c in checks)
