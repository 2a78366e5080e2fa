"""Inputs that used to run and give wrong tables without a word (issue 11, first part).

Each test runs a tiny scenario (a few hundred simulated hours, serial) through the real
pipeline and reads the tables back, so that the defect it guards against would show.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.config import ScenarioError, expand_sweep, load_scenario, validate_scenario
from sim.experiment.experiment import execute
from sim.results import read_run

TINY = {
    "meta": {"name": "silent"},
    "run": {"horizon_h": 300.0, "warmup_h": 30.0, "replications": 2, "seed": 3},
    "fleet": {"calls_per_h": 0.3},
    "repair": {"time_h": {"dist": "exponential", "mean": 2.0}},
    "report": {"wait_thresholds_h": [2.0]},
}


def _run(tmp_path: Path, raw: dict[str, Any]) -> Any:
    scenario = validate_scenario(raw, "<test>")
    points = expand_sweep(scenario, "<test>")
    exp = execute(scenario, points, tmp_path / "results", ["test"], "<test>", "serial", progress=False)
    return read_run(exp.path)


def test_summary_holds_the_kpis_of_every_design_point(tmp_path):
    """Sweeping the team size adds workload_tech* at 3 technicians, and sweeping the
    thresholds gives each point its own p_wait_gt_*: the summary has them all."""
    raw = {
        **TINY,
        "sweep": {"territories.technicians": [1, 3], "report.wait_thresholds_h": [[1.0], [4.0]]},
    }
    run = _run(tmp_path, raw)
    s = run.summary[run.summary["class"] == "all"]
    kpis = {dp: set(g["kpi"]) for dp, g in s.groupby("design_point")}
    assert "workload_tech2" not in kpis["dp000"]
    assert {"workload_tech0", "workload_tech1", "workload_tech2"} <= kpis["dp002"]
    assert "p_wait_gt_1h" in kpis["dp000"] and "p_wait_gt_4h" not in kpis["dp000"]
    assert "p_wait_gt_4h" in kpis["dp001"] and "p_wait_gt_1h" not in kpis["dp001"]
    assert "p_wait_gt_4h" in kpis["dp003"]
    # the summary's mean is the replications' mean (a union, not a reshuffle)
    reps = run.replications
    got = s[(s["design_point"] == "dp003") & (s["kpi"] == "workload_tech2")]["mean"].item()
    want = reps[(reps["design_point"] == "dp003") & (reps["class"] == "all")]["workload_tech2"].mean()
    assert got == pytest.approx(want, rel=1e-12)


def test_names_with_line_breaks_cannot_split_csv_rows(tmp_path):
    """A name is refused at load time; and were a cell to hold a CR anyway, the CSV writer
    quotes it, so the table reads back with as many rows as it had."""
    raw = {**TINY, "fleet": {"calls_per_h": 0.3, "classes": [{"name": "a\rb", "share": 1.0}]}}
    with pytest.raises(ScenarioError, match=r"fleet\.classes\[0\]\.name: contains the control"):
        validate_scenario(raw, "<test>")
    from sim.results import write_table

    table = pd.DataFrame({"class": ["x\ry", "p\nq", "plain"], "mean": [1.0, 2.0, 3.0]})
    path = write_table(tmp_path, "t.csv", table)
    back = pd.read_csv(path)
    assert list(back["class"]) == ["x\ry", "p\nq", "plain"]
    assert list(back["mean"]) == [1.0, 2.0, 3.0]
    # and the stdlib reader agrees
    import csv

    with open(path, newline="") as fh:
        assert len(list(csv.reader(fh))) == 4


def test_a_class_named_all_is_refused():
    raw = {**TINY, "fleet": {"calls_per_h": 0.3, "classes": [{"name": "all", "share": 1.0}]}}
    with pytest.raises(ScenarioError, match=r"fleet\.classes\[0\]\.name: 'all' is reserved"):
        validate_scenario(raw, "<test>")


def test_design_points_run_the_values_they_are_labelled_with(tmp_path):
    """A sweep that refines a variant's table (its cv) is allowed: each point runs its
    variant's mean and the swept cv, and its labels say so."""
    raw = {
        **TINY,
        "repair": {"time_h": {"dist": "gamma", "mean": 2.0, "cv": 1.0}},
        "variants": [
            {"name": "fast", "set": {"repair.time_h.mean": 1.0}},
            {"name": "slow", "set": {"repair.time_h.mean": 3.0}},
        ],
        "sweep": {"repair.time_h.cv": [0.5, 1.5]},
    }
    scenario = validate_scenario(raw, "<test>")
    points = expand_sweep(scenario, "<test>")
    ran = [(p.params["variant"], p.scenario.repair.time_h.mean, p.scenario.repair.time_h.cv) for p in points]
    assert ran == [("fast", 1.0, 0.5), ("fast", 1.0, 1.5), ("slow", 3.0, 0.5), ("slow", 3.0, 1.5)]
    assert len({p.scenario.config_hash() for p in points}) == 4


@pytest.mark.parametrize(
    ("raw_extra", "key"),
    [
        (
            {
                "variants": [{"name": "fast", "set": {"repair.time_h.mean": 1.0}}],
                "sweep": {"repair.time_h": [{"dist": "exponential", "mean": 2.0}]},
            },
            "sweep.repair.time_h: would undo variants[0] (fast)'s repair.time_h.mean",
        ),
        (
            {"sweep": {"repair.time_h": [{"dist": "exponential", "mean": 2.0}], "repair.time_h.mean": [1.0]}},
            "sweep.repair.time_h.mean: overlaps sweep.repair.time_h",
        ),
    ],
)
def test_an_override_that_another_would_undo_is_refused(raw_extra, key):
    with pytest.raises(ScenarioError) as info:
        validate_scenario({**TINY, **raw_extra}, "<test>")
    assert key in str(info.value)


def _file(tmp_path: Path, raw: dict[str, Any]) -> Path:
    from tests.test_bad_inputs import to_toml

    f = tmp_path / "s.toml"
    f.write_text(to_toml(raw))
    return f


EXP = "repair.time_h={dist='exponential',mean=1.0}"


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--set", "repair.time_h.mean=3", "--sweep", EXP], "--set repair.time_h.mean"),
        (
            ["--set", "territories.technicians=2", "--sweep", "territories.technicians=1,3"],
            "--set territories.technicians",
        ),
        (["--set", "run.replications=3", "--replications", "4"], "--set run.replications"),
        (["--set", "repair.time_h.mean=3", "--set", EXP], "--set repair.time_h"),
    ],
)
def test_a_set_that_would_be_undone_is_refused(tmp_path, capsys, args, key):
    f = _file(tmp_path, TINY)
    out = tmp_path / "results"
    assert main(["run", str(f), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and key in err and str(f) in err, err
    assert not out.exists()


def test_set_of_a_key_the_file_sweeps_is_refused(tmp_path):
    f = _file(tmp_path, {**TINY, "sweep": {"territories.technicians": [1, 2]}})
    with pytest.raises(ScenarioError, match=r"would be undone by the sweep of territories\.technicians"):
        load_scenario(f, ["territories.technicians=3"])


def test_sweeping_replications_counts_each_points_tasks(tmp_path, capsys):
    """``run.replications = [2, 3]``: 5 tasks printed, run and recorded."""
    f = _file(tmp_path, {**TINY, "sweep": {"run.replications": [2, 3]}})
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--backend", "serial", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "2 design point(s) x 2 to 3 replication(s) = 5 task(s)" in err, err
    (run_dir,) = [p for p in (tmp_path / "r").iterdir() if p.is_dir()]  # (and plotly.min.js)
    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["replications"] == {"dp000": 2, "dp001": 3}
    assert man["tasks_planned"] == 5 and len(man["tasks"]) == 5
    assert [d["replications"] for d in man["design_points"]] == [2, 3]
    reps = read_run(run_dir).replications
    assert reps[reps["class"] == "all"].groupby("design_point").size().to_dict() == {"dp000": 2, "dp001": 3}
    summ = pd.read_csv(io.StringIO((run_dir / "summary.csv").read_text()))
    n = summ[(summ["class"] == "all") & (summ["kpi"] == "wait_h")].set_index("design_point")["n"]
    assert n.to_dict() == {"dp000": 2, "dp001": 3}
