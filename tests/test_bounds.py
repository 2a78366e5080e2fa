"""The work estimate behind the size limits, and ``--force`` going past them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import bounds
from sim.cli import main
from sim.config import ScenarioError, expand_sweep, load_scenario, validate_scenario
from sim.system import ServiceSystem

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "bad_cli" / "tiny.toml"


def systems(points):
    """Each design point's resolved system, by id (what the CLI hands to the estimate)."""
    return {p.id: ServiceSystem.from_scenario(p.scenario) for p in points}


def test_the_estimate_is_calls_per_hour_times_hours_times_replications():
    """M/M/1 of mm1.toml: 0.375 calls/h x (2,000 + 240,000) h x 12 replications."""
    sc = load_scenario(ROOT / "scenarios" / "validation" / "mm1.toml")
    work = bounds.estimate(systems(expand_sweep(sc)))
    run = sc.run
    assert work.calls == pytest.approx(0.375 * (run.warmup_h + run.horizon_h) * run.replications)
    assert bounds.too_much(work) is None


def test_a_finite_fleet_counts_every_machine_failing_at_its_mean_rate():
    raw = {
        "run": {"horizon_h": 1000.0, "warmup_h": 0.0, "replications": 2},
        "fleet": {"machines": 150, "time_to_failure_h": {"dist": "exponential", "mean": 400.0}},
        "territories": {"count": 4},
        "sweep": {"territories.technicians": [1, 2, 3]},
    }
    points = systems(expand_sweep(validate_scenario(raw)))
    work = bounds.estimate(points)
    assert work.calls == pytest.approx(150 * 4 / 400.0 * 1000.0 * 2 * 3)
    assert work.points == 3
    # the largest factor named: here the sweep is as typical as the rest, the rate is not
    assert bounds.estimate(points, 10**6, "--max-replications").key == "--max-replications"


def test_job_types_add_their_jobs_to_the_work():
    """Breakdowns at 0.2/h plus installations, 1.6 a working day of 8 h, in 3 territories."""
    raw = {
        "run": {"horizon_h": 1000.0, "warmup_h": 0.0, "replications": 2},
        "fleet": {"calls_per_h": 0.2},
        "territories": {"count": 3},
        "work": {
            "types": [
                {
                    "name": "installation",
                    "jobs_per_day": 1.6,
                    "duration_h": {"dist": "exponential", "mean": 2.0},
                }
            ]
        },
    }
    work = bounds.estimate(systems(expand_sweep(validate_scenario(raw))))
    assert work.calls == pytest.approx((0.2 + 1.6 / 8.0) * 3 * 1000.0 * 2)


def test_force_goes_past_the_limits(tmp_path, capsys):
    """The same command refused without --force runs with it (a serial run ignores workers)."""
    out = tmp_path / "r"
    args = ["run", str(TINY), "--workers", "100000", "--backend", "serial", "--quiet", "--out", str(out)]
    assert main(args) == 2
    assert "--workers" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert len([p for p in out.iterdir() if p.is_dir()]) == 1  # (beside the shared plotly.min.js)


@pytest.mark.parametrize(
    ("dist", "why"),
    [
        ({"dist": "exponential", "mean": 5e-324}, "subnormal"),
        ({"dist": "gamma", "mean": 2.0, "cv": 1e-200}, "too extreme"),
        ({"dist": "lognormal", "mean": 2.0, "cv": 1e200}, "too extreme"),
        ({"dist": "weibull", "mean": 1e308, "shape": 0.06}, "too extreme"),
        ({"dist": "empirical", "values": [1.0, 2.0], "weights": [1e308, 1e308]}, "too extreme"),
        ({"dist": "deterministic", "value": 1e308}, "too extreme"),
    ],
)
def test_distributions_that_break_the_arithmetic_are_refused_at_load(dist, why):
    with pytest.raises(ScenarioError) as info:
        validate_scenario({"fleet": {"calls_per_h": 0.3}, "repair": {"time_h": dist}}, "<t>")
    assert "repair.time_h" in str(info.value) and why in str(info.value)


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "gamma", "mean": 2.0, "cv": 0.001},
        {"dist": "lognormal", "mean": 2.0, "cv": 30.0},
        {"dist": "weibull", "mean": 400.0, "shape": 0.06},
        {"dist": "exponential", "mean": 1e-6},
    ],
)
def test_extreme_but_computable_distributions_load(dist):
    validate_scenario({"fleet": {"calls_per_h": 0.3}, "repair": {"time_h": dist}}, "<t>")
