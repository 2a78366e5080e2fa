"""A run killed with SIGKILL mid-way resumes to the very files of an uninterrupted run.

One module fixture runs the scenario (24 tasks, about 4-6 s of CPU on the process
backend) three ways: uninterrupted, killed (a real SIGKILL to the process group
once a few tasks are saved) and resumed.  A copy of the killed folder, taken
before resuming, serves the checks on what ``--resume`` must refuse.
"""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from scenario_data import toml_data, variant

from sim import toml_writer
from sim.cli import main
from sim.results import ResultsError, read_run

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("replications.parquet", "summary.csv", "timeseries.parquet")

SCENARIO = toml_data("""
[meta]
name = "resume-test"
description = "24 tasks of a pooled Dupit-like fleet"

[run]
horizon_h = 20000.0
warmup_h = 500.0
replications = 12
seed = 99

[fleet]
machines = 150
time_to_failure_h = { dist = "exponential", mean = 400.0 }

[territories]
count = 4
technicians = 1
pooled = 2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[sweep]
"territories.technicians" = [1, 2]
""")

OTHER = variant(SCENARIO, {"run.seed": 100})


def run_sim(*args: str, out: Path | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(ROOT / "run_sim.py"), *args]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def the_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
    assert len(runs) == 1, runs
    return runs[0]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under a folder with its size and modification time (ns)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@dataclass
class Story:
    scenario: Path
    other: Path
    reference: Path  # uninterrupted run
    killed: Path  # killed, then resumed in place
    pristine: Path  # copy of the killed folder before it was resumed
    saved_before_kill: dict[str, dict]  # task files present after the kill
    resume_rc: int
    resume_err: str


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    base = tmp_path_factory.mktemp("resume")
    scen = base / "scenario.toml"
    scen.write_text(toml_writer.dumps(SCENARIO))
    other = base / "other.toml"
    other.write_text(toml_writer.dumps(OTHER))
    common = ("--backend", "process", "--workers", "2", "--quiet")

    # the run to kill
    killed_out = base / "killed"
    proc = run_sim("run", str(scen), "--out", str(killed_out), *common)
    deadline = time.monotonic() + 60
    try:
        while True:
            files = list(killed_out.glob("*/tasks/*.json"))
            if len(files) >= 3:
                break
            assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr}"
            assert time.monotonic() < deadline, "no task was saved within 60 s"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its pool workers, no clean-up
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    killed = the_run(killed_out)
    pristine = base / "pristine" / killed.name
    shutil.copytree(killed, pristine)
    saved = {f.stem: json.loads(f.read_text()) for f in (killed / "tasks").glob("*.json")}

    # the uninterrupted run, then the resumed one
    ref = run_sim("run", str(scen), "--out", str(base / "reference"), *common)
    _, err = ref.communicate(timeout=120)
    assert ref.returncode == 0, err
    res = run_sim("run", "--resume", str(killed), *common)
    _, res_err = res.communicate(timeout=120)
    return Story(scen, other, the_run(base / "reference"), killed, pristine, saved, res.returncode, res_err)


def test_the_run_was_killed_mid_way(story: Story) -> None:
    man = json.loads((story.pristine / "manifest.json").read_text())
    assert man["status"] == "running"
    assert 3 <= len(story.saved_before_kill) < 24
    assert not any((story.pristine / t).exists() for t in TABLES)


def test_resume_completes_to_byte_identical_files(story: Story) -> None:
    assert story.resume_rc == 0, story.resume_err
    man = json.loads((story.killed / "manifest.json").read_text())
    assert man["status"] == "complete"
    assert len(man["tasks"]) == 24 and all(t["status"] == "done" for t in man["tasks"])
    for name in TABLES:
        assert filecmp.cmp(story.reference / name, story.killed / name, shallow=False), name
    assert not (story.killed / "tasks").exists()


def test_resume_does_not_redo_finished_tasks(story: Story) -> None:
    man = json.loads((story.killed / "manifest.json").read_text())
    wall = {(t["design_point"], t["replication"], t.get("block", 0)): t["wall_s"] for t in man["tasks"]}
    for rec in story.saved_before_kill.values():
        assert rec["error"] is None
        key = (f"dp{rec['design_point']:03d}", rec["replication"], rec.get("block", 0))
        assert wall[key] == round(rec["wall_s"], 4), key  # loaded, not run again


def test_read_run_of_an_incomplete_run_says_resume(story: Story) -> None:
    with pytest.raises(ResultsError, match="--resume") as info:
        read_run(story.pristine)
    assert str(story.pristine) in str(info.value)
    assert "running" in str(info.value)


def test_report_of_an_incomplete_run_exits_2_and_says_resume(story: Story, capsys) -> None:
    before = snapshot(story.pristine)
    assert main(["report", str(story.pristine)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "--resume" in err[0]
    assert snapshot(story.pristine) == before


def test_resume_of_a_folder_that_is_not_a_run_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        assert main(["run", "--resume", str(folder), "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and "not a run folder" in err[0]
    assert not (tmp_path / "missing").exists()
    assert list((tmp_path / "empty").iterdir()) == []


def test_resume_of_a_complete_run_exits_2(story: Story, capsys) -> None:
    before = snapshot(story.reference)
    assert main(["run", "--resume", str(story.reference), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already complete" in err[0]
    assert snapshot(story.reference) == before


def test_resume_with_another_scenario_exits_2_and_changes_nothing(story: Story, capsys) -> None:
    before = snapshot(story.pristine)
    assert main(["run", str(story.other), "--resume", str(story.pristine), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "not the scenario of the run" in err[0]
    assert snapshot(story.pristine) == before


def test_resume_refuses_new_settings(story: Story, capsys) -> None:
    before = snapshot(story.pristine)
    rc = main(["run", "--resume", str(story.pristine), "--set", "run.seed=1", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--resume" in err[0]
    assert snapshot(story.pristine) == before


def test_resume_of_task_files_from_an_incompatible_version_exits_2(
    story: Story, tmp_path: Path, capsys
) -> None:
    """A task file written by another version (schema 1: no 'schema' key, block sums as a
    loose dict) is refused in one line naming it, instead of merging wrong numbers."""
    old = tmp_path / story.pristine.name
    shutil.copytree(story.pristine, old)
    victim = sorted((old / "tasks").glob("*.json"))[0]
    record = json.loads(victim.read_text())
    assert record.pop("schema") == 2  # what this version writes
    victim.write_text(json.dumps(record))
    before = snapshot(old)
    assert main(["run", "--resume", str(old), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and victim.name in err[0]
    assert "incompatible version" in err[0] and "task schema 1" in err[0]
    assert snapshot(old) == before
