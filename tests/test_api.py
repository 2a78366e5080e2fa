"""The public Python API: same engine and results folder as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.config import ScenarioError

SHORT = {"run.horizon_h": 1500.0, "run.warmup_h": 100.0}


def test_load_run_and_tables(tmp_path: Path) -> None:
    study = sim.load("scenarios/contracts.toml", set=SHORT)
    assert len(study.points) == 3 and study.scenario.run.horizon_h == 1500.0
    res = study.run(replications=2, workers=1, out=tmp_path)
    assert isinstance(res.summary, pd.DataFrame) and isinstance(res.replications, pd.DataFrame)
    assert set(res.summary["design_point"]) == {"dp000", "dp001", "dp002"}
    assert len(res.replications[res.replications["class"] == "all"]) == 3 * 2
    assert (res.path / "summary.csv").is_file() and res.path.parent == tmp_path
    wait = res.kpi("wait_h", "contract")
    assert list(wait.index) == ["dp000", "dp001", "dp002"] and (wait["ci_low"] <= wait["mean"]).all()
    assert list(res.design_points["label"]) == ["fifo", "priority", "earliest_due"]
    analytic = res.analytic
    assert {"design_point", "kpi", "class", "value", "model", "exact"} <= set(analytic.columns)
    assert not analytic[(analytic["kpi"] == "wait_h") & (analytic["role"] == "primary")].empty
    rec = res.recommendation()
    assert rec is not None and rec.best in {"dp000", "dp001", "dp002", None}
    html = res.report(tmp_path / "mine" / "contracts.html")
    assert html.is_file() and not (html.parent / "plotly.min.js").exists()
    assert html.stat().st_size > 1_000_000  # plotly inside: it opens without its script beside it


def test_the_api_and_the_cli_give_the_same_tables(tmp_path: Path, capsys) -> None:
    res = sim.load("scenarios/validation/mm1.toml", set=SHORT, sweep={"territories.technicians": [1, 2]}).run(
        replications=2, workers=1, seed=5, out=tmp_path / "api"
    )
    rc = main(
        [
            *("run", "scenarios/validation/mm1.toml", "--set", "run.horizon_h=1500.0"),
            *("--set", "run.warmup_h=100.0", "--sweep", "territories.technicians=1,2"),
            *("--replications", "2", "--seed", "5", "--backend", "serial", "--quiet"),
            *("--out", str(tmp_path / "cli")),
        ]
    )
    assert rc == 0, capsys.readouterr()
    (cli,) = [p for p in (tmp_path / "cli").iterdir() if p.is_dir()]
    cli_summary = pd.read_csv(cli / "summary.csv")
    api_summary = pd.read_csv(res.path / "summary.csv")
    pd.testing.assert_frame_equal(api_summary, cli_summary)
    reopened = sim.open_run(cli)
    pd.testing.assert_frame_equal(reopened.replications, pd.read_parquet(res.path / "replications.parquet"))
    assert json.loads((res.path / "manifest.json").read_text())["command_line"][0] == "sim.api"


def test_bad_overrides_are_one_line_scenario_errors() -> None:
    with pytest.raises(ScenarioError, match=r"territories\.technicians"):
        sim.load("scenarios/validation/mm1.toml", set={"territories.technicians": 0})
    with pytest.raises(ScenarioError, match="not a finite number"):
        sim.load("scenarios/validation/mm1.toml", set={"run.horizon_h": float("inf")})
