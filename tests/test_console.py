"""The terminal: number formats, design labels, per-class rows, the default job's options,
``--sweep`` ranges, ``optimize`` over invalid grid points, a resumed study, help texts."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from scenario_data import toml_data, variant

import sim.experiment.experiment
from sim import toml_writer
from sim.cli import _parser, main
from sim.config import expand_sweep, load_scenario
from sim.console import design_labels, fmt, money, value
from sim.experiment.plan import task_work
from sim.experiment.tasks import Task

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (5.156, "5.156"),
        (14.0, "14.00"),
        (0.0011667, "0.001167"),
        (-0.0011667, "-0.001167"),
        (123456.7, "123,457"),
        (2.5e7, "25,000,000"),
        (0.0, "0"),
        (12000, "12,000"),
        (float("nan"), "-"),
    ],
)
def test_numbers_are_never_in_scientific_notation(x: float, text: str) -> None:
    assert fmt(x) == text


def test_units_decide_the_format() -> None:
    assert value("sla_met", 0.8) == "80.0%" and value("p_wait_gt_8h", 0.0191) == "1.9%"
    assert value("wait_h", 1.5413) == "1.541"
    assert value("cost_per_day", 279.5, "EUR") == "280 EUR"
    assert money(2.7e8, "EUR") == "270.00 M EUR" and money(93.364) == "93.36"


def test_design_points_are_labelled_by_what_differs() -> None:
    labels = design_labels(
        {
            "dp000": {"variant": "fifo", "territories.technicians": 2, "territories.pooled": 3},
            "dp001": {"variant": "priority", "territories.technicians": 2, "territories.pooled": 4},
            "dp002": {
                "variant": "priority",
                "territories.technicians": 2,
                "territories.pooled": 4,
                "repair.time_h": '{"dist": "exponential", "mean": 1.5}',
            },
        }
    )
    assert labels["dp000"] == "fifo, pooled=3"
    assert labels["dp002"] == "priority, pooled=4, time_h=exp mean 1.5 h"
    assert design_labels({"dp000": {"parts.types.0.van.S": 2}}) == {"dp000": ""}
    two = design_labels({"dp000": {"parts.types.0.van.S": 1}, "dp001": {"parts.types.0.van.S": 2}})
    assert two == {"dp000": "van.S=1", "dp001": "van.S=2"}


def test_run_prints_per_class_rows_labels_and_the_recommendation(tmp_path, capsys) -> None:
    rc = main(
        [
            *("run", "scenarios/contracts.toml", "--set", "run.horizon_h=1500", "--replications", "2"),
            *("--backend", "serial", "--quiet", "--out", str(tmp_path)),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "nan" not in out and "{" not in out and not re.search(r"\de[-+]\d", out)
    assert re.search(r"^dp001  priority$", out, re.M)
    head = next(line for line in out.splitlines() if line.startswith("by class"))
    assert head.split()[2:] == ["contract", "warranty", "paid"]
    sla = [line for line in out.splitlines() if line.startswith("SLA met (%)")]
    assert len(sla) == 3 and all("target: " in line for line in sla)
    assert re.search(r"^cost_per_day +EUR/day +\d", out, re.M)
    assert "overview (means)" in out and "Recommendation (targets: sla_met[contract] >= 80%" in out


def test_sweep_takes_integer_ranges(tmp_path, capsys) -> None:
    rc = main(
        [
            *("run", "scenarios/validation/mm1.toml", "--sweep", "territories.technicians=1..3"),
            *("--set", "run.horizon_h=300", "--set", "run.warmup_h=10", "--replications", "1"),
            *("--backend", "serial", "--quiet", "--out", str(tmp_path)),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert [line for line in out.splitlines() if re.match(r"^dp00\d  \S+$", line)] == [
        "dp000  technicians=1",
        "dp001  technicians=2",
        "dp002  technicians=3",
    ]


def test_the_default_job_takes_out_quiet_and_workers(monkeypatch, tmp_path) -> None:
    import sim.studies.dupit as dupit

    seen: dict[str, Any] = {}

    def fake(out: Path, backend: str, workers: int | None, progress: bool, *a: Any, **k: Any) -> int:
        seen.update(out=out, backend=backend, workers=workers, progress=progress)
        return 0

    monkeypatch.setattr(dupit, "run_study", fake)
    assert main(["--out", str(tmp_path), "--quiet", "--workers", "2"]) == 0
    assert seen == {"out": tmp_path, "backend": "process", "workers": 2, "progress": False}


def test_optimize_lists_invalid_grid_points_and_goes_on(tmp_path, capsys) -> None:
    scen = tmp_path / "o.toml"
    scen.write_text(
        "[run]\nhorizon_h = 2000.0\nwarmup_h = 100.0\nreplications = 3\n"
        "[fleet]\ncalls_per_h = 0.375\n[costs]\ntechnician_per_year = 50000.0\n"
        '[targets]\nrequire = ["wait_h <= 2"]\nminimize = "cost_per_day"\n'
    )
    rc = main(
        [
            *("optimize", str(scen), "--over", "territories.technicians=0..2"),
            *("--backend", "serial", "--quiet", "--out", str(tmp_path / "out")),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    invalid = next(line for line in out.splitlines() if line.startswith("territories.technicians=0 "))
    assert "invalid: territories.technicians" in invalid
    assert "cheapest design meeting wait_h <= 2: territories.technicians=2" in out


def test_every_option_has_help() -> None:
    missing = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, sp in action.choices.items():
                    walk(sp, sub)
            elif not action.help:
                missing.append(f"{name} {action.option_strings or action.dest}")

    walk(_parser(), "run_sim.py")
    assert not missing


def test_the_progress_bar_weighs_tasks_by_their_expected_work() -> None:
    sc = load_scenario("scenarios/validation/mm1.toml", ["run.warmup_h=0"])
    (small,) = expand_sweep(
        load_scenario("scenarios/validation/mm1.toml", ["run.horizon_h=1000", "run.warmup_h=0"])
    )
    (big,) = expand_sweep(sc)
    assert task_work(Task(big, 0)) == pytest.approx(240 * task_work(Task(small, 0)))


def test_the_progress_bar_counts_jobs_and_internal_tasks_as_work(make_scenario) -> None:
    """Job-type jobs and internal tasks are events like calls: 0.2 calls/h plus 2.4 jobs per
    8-h day (0.3/h) is 2.5 times the calls alone; internal tasks of 0.5 h for one technician
    add at most 2/h (the bound counts every technician always in a task)."""
    base = """
    [run]
    horizon_h = 1000.0
    warmup_h = 0.0
    [fleet]
    calls_per_h = 0.2
    """
    jobs = (
        base
        + """
    [[work.types]]
    name = "install"
    jobs_per_day = 2.4
    duration_h = { dist = "exponential", mean = 1.0 }
    """
    )
    tasks = (
        base
        + """
    [work.internal]
    mode = "when_idle"
    task_h = { dist = "exponential", mean = 0.5 }
    """
    )
    (calls,) = expand_sweep(make_scenario(base))
    (with_jobs,) = expand_sweep(make_scenario(jobs))
    (with_tasks,) = expand_sweep(make_scenario(tasks))
    assert task_work(Task(with_jobs, 0)) == pytest.approx(2.5 * task_work(Task(calls, 0)))
    assert task_work(Task(with_tasks, 0)) == pytest.approx((0.2 + 2.0) / 0.2 * task_work(Task(calls, 0)))


def _small_study(folder: Path) -> Path:
    """The Dupit scenario files with short runs (the study's code and structure unchanged)."""
    study = folder / "dupit"
    study.mkdir()
    short = {"run.horizon_h": 800.0, "run.warmup_h": 100.0, "run.replications": 2}
    for f in (ROOT / "scenarios" / "dupit").glob("*.toml"):
        (study / f.name).write_text(toml_writer.dumps(variant(toml_data(f.read_text()), short)))
    return study


def test_resuming_a_study_prints_the_study(tmp_path, capsys, monkeypatch) -> None:
    from sim.experiment.experiment import RunInterrupted
    from sim.studies.dupit import run_study

    real = sim.experiment.experiment.run_experiment

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiment.experiment, "run_experiment", interrupted)
    with pytest.raises(RunInterrupted):
        run_study(tmp_path / "out", backend="serial", progress=False, folder=_small_study(tmp_path))
    monkeypatch.setattr(sim.experiment.experiment, "run_experiment", real)
    capsys.readouterr()
    (run,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    rc = main(["run", "--resume", str(run), "--backend", "serial", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "Proposal 3: teams of pooled territories" in out
    assert "Recommendation (standard: mean wait <= 2 h for all calls)" in out
    shutil.rmtree(tmp_path / "out")
