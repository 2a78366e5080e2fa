"""Faults a long study must survive: Ctrl-C, a dying Dask worker, a results folder that
cannot be written, a disk that fills up.  Nothing finished may be lost."""

from __future__ import annotations

import errno
import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import cli, runner
from sim.config import expand_sweep, validate_scenario

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = """
[meta]
name = "faults"
[run]
horizon_h = {horizon}
warmup_h = 100.0
replications = {reps}
seed = 7
[fleet]
machines = 150
time_to_failure_h = {{ dist = "exponential", mean = 400.0 }}
[repair]
time_h = {{ dist = "exponential", mean = 2.0 }}
[sweep]
"territories.technicians" = [1, 2]
"""


def scenario_file(tmp_path: Path, horizon: float = 2000.0, reps: int = 3) -> Path:
    f = tmp_path / "faults.toml"
    f.write_text(SCENARIO.format(horizon=horizon, reps=reps))
    return f


def test_ctrl_c_stops_cleanly_keeps_finished_tasks_and_says_how_to_resume(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) ends the run with
    status 130 and one line naming the folder and the --resume command; the finished tasks
    are kept, and resuming completes the run."""
    scen = scenario_file(tmp_path, horizon=300000.0, reps=6)  # long enough to interrupt
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "run_sim.py", "run", str(scen), "--out", str(out), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # as in a terminal: a CI job started in the background may inherit SIGINT ignored,
        # and then Python would not turn Ctrl-C into KeyboardInterrupt at all
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(glob.glob(f"{out}/*/tasks/*.json")) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure being tested
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the run did not stop after Ctrl-C")
    assert proc.returncode == 130
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    (run_dir,) = glob.glob(f"{out}/*/")
    assert last.startswith("interrupted:") and "--resume" in last and run_dir.rstrip("/") in last
    kept = len(glob.glob(f"{run_dir}tasks/*.json"))
    assert kept >= 2
    assert json.loads(Path(run_dir, "manifest.json").read_text())["status"] == "running"
    done = subprocess.run(
        [sys.executable, "run_sim.py", "run", "--resume", run_dir, "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(Path(run_dir, "manifest.json").read_text())["status"] == "complete"


def test_a_results_folder_that_cannot_be_created_is_a_clear_error(tmp_path, capsys):
    """--out below a plain file: exit 2, one line naming the folder, nothing written."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    code = cli.main(["run", str(scenario_file(tmp_path)), "--out", str(blocker / "results"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "not_a_folder" in err[0] and "not writable" in err[0]


def test_a_full_disk_keeps_earlier_results_and_the_finished_tasks(tmp_path, capsys, monkeypatch):
    """When the tables cannot be written (no space left), the command says so in one line
    (exit 2), an earlier run in the same folder is untouched, and this run's finished tasks
    stay on disk so that --resume can write the tables later."""
    scen = scenario_file(tmp_path)
    out = tmp_path / "results"
    assert cli.main(["run", str(scen), "--out", str(out), "--quiet", "--backend", "serial"]) == 0
    (earlier,) = [p for p in out.iterdir() if p.is_dir()]  # (and the shared plotly.min.js)
    before = {p.name: p.read_bytes() for p in earlier.iterdir() if p.is_file()}
    capsys.readouterr()

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "replications.parquet")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    time.sleep(1.1)  # a new run id (they are stamped to the second)
    code = cli.main(["run", str(scen), "--out", str(out), "--quiet", "--backend", "serial", "--seed", "8"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2
    assert len(err) == 1 and "No space left on device" in err[0] and "tasks" in err[0]
    assert {p.name: p.read_bytes() for p in earlier.iterdir() if p.is_file()} == before
    (new,) = [p for p in out.iterdir() if p.is_dir() and p != earlier]
    assert len(list((new / "tasks").glob("*.json"))) == 6  # 2 points x 3 replications
    monkeypatch.undo()
    assert cli.main(["run", "--resume", str(new), "--quiet"]) == 0


def test_a_dask_worker_that_dies_has_its_task_retried(tmp_path, monkeypatch):
    """A Dask worker process that dies in the middle of a task: Dask reschedules the task
    on a new worker and the tables equal those of a serial run."""
    pytest.importorskip("distributed")
    scenario = validate_scenario(
        {
            "run": {"horizon_h": 2000.0, "warmup_h": 100.0, "replications": 3, "seed": 3},
            "fleet": {"machines": 20, "time_to_failure_h": {"dist": "exponential", "mean": 40.0}},
            "sweep": {"territories.technicians": [1, 2]},
        }
    )
    points = expand_sweep(scenario)
    serial = runner.run_experiment(scenario, points, backend="serial")
    marker = tmp_path / "died-once"
    real = runner.run_replication

    def dies_once(task):
        if task.point.index == 1 and task.replication == 2 and not marker.exists():
            marker.write_text("x")
            os._exit(1)  # the worker process dies (forked workers share this patched module)
        return real(task)

    monkeypatch.setattr(runner, "run_replication", dies_once)
    dask = runner.run_experiment(scenario, points, backend="dask", workers=2)
    assert marker.exists()
    assert not dask.failures
    pd.testing.assert_frame_equal(serial.replications, dask.replications, check_exact=True)
