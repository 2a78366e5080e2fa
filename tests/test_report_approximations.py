"""The validation view's table of approximations (sim/report/approximations.py)."""

from __future__ import annotations

from pathlib import Path

from sim.config import expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.experiment.manifest import manifest, manifest_head
from sim.report import write_report
from sim.report.approximations import FLAG_REL_ERROR
from sim.results import run_id, write_run


def _run(base: Path, raw: dict) -> Path:
    sc = validate_scenario(raw, "<test>")
    points = expand_sweep(sc, "<test>")
    exp = run_experiment(sc, points, backend="serial", progress=False)
    assert not exp.failures
    man = manifest(exp, manifest_head(sc, points, ["run", "<test>"], "<test>", False))
    return write_run(
        base, run_id(sc.meta.name, sc.config_hash()), man, exp.replications, exp.summary, None, exp.series
    )


BASE = {
    "run": {"horizon_h": 3000.0, "warmup_h": 200.0, "replications": 3, "seed": 8},
    "fleet": {"calls_per_h": 0.15},
    "repair": {"time_h": {"dist": "exponential", "mean": 2.0}},
}


def test_approximations_far_off_are_flagged_with_their_reason(tmp_path: Path) -> None:
    """Under a weekday shift the continuous-clock formulas are far off: flagged, with the
    analytic layer's reason."""
    shifts = {"shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]}
    run = _run(tmp_path, BASE | {"calendar": shifts})
    html = write_report(run).read_text()
    assert "How good are the approximations?" in html
    assert f"more than {FLAG_REL_ERROR:.0%} off the simulation:" in html
    assert "the formulas assume a continuous clock" in html
    assert "<tr class=flag>" in html


def test_no_flag_when_the_approximations_hold(tmp_path: Path) -> None:
    """M/G/2 with nearly exponential repairs: Allen-Cunneen is close, nothing flagged."""
    raw = BASE | {
        "territories": {"technicians": 2},
        "repair": {"time_h": {"dist": "gamma", "mean": 2.0, "cv": 0.9}},
        "run": BASE["run"] | {"horizon_h": 20000.0},
    }
    html = write_report(_run(tmp_path, raw)).read_text()
    assert "How good are the approximations?" in html
    assert "<tr class=flag>" not in html
    assert f"are within {FLAG_REL_ERROR:.0%} of the simulation" in html
