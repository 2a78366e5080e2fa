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
from typing import Any

import pandas as pd
import pytest

import sim.experiment.replication
from sim import cli
from sim.config import expand_sweep, validate_scenario
from sim.experiment.execution import run_tasks
from sim.experiment.experiment import run_experiment
from sim.experiment.manifest import manifest_head
from sim.experiment.plan import make_tasks
from sim.experiment.tasks import result_record
from sim.results import TASK_SCHEMA

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
    serial = run_experiment(scenario, points, backend="serial")
    marker = tmp_path / "died-once"
    real = sim.experiment.replication.run_replication

    def dies_once(task):
        if task.point.index == 1 and task.replication == 2 and not marker.exists():
            marker.write_text("x")
            os._exit(1)  # the worker process dies (forked workers share this patched module)
        return real(task)

    monkeypatch.setattr(sim.experiment.replication, "run_replication", dies_once)
    dask = run_experiment(scenario, points, backend="dask", workers=2)
    assert marker.exists()
    assert not dask.failures
    pd.testing.assert_frame_equal(serial.replications, dask.replications, check_exact=True)


RUN = [sys.executable, "run_sim.py", "run"]


def _forks(sid: int) -> list[int]:
    """The session's processes that are the run or its forked workers (not e.g. git)."""
    out = []
    for pid in _session_members(sid):
        try:
            if b"run_sim.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                out.append(pid)
        except OSError:
            continue
    return out


def _session_members(sid: int) -> list[int]:
    """Processes of session ``sid`` (Linux /proc): the run and everything it started."""
    pids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process just ended
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # fields: state, ppid, pgrp, session
            pids.append(int(Path(stat).parent.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_after_sigkill_of_the_parent_no_worker_survives(tmp_path):
    """SIGKILL to the run (it cannot clean up): its pool workers notice that their parent
    is gone and exit within a second or so, busy or idle, instead of living on."""
    scen = scenario_file(tmp_path, horizon=300000.0, reps=6)  # tasks of several seconds
    proc = subprocess.Popen(
        [*RUN, str(scen), "--out", str(tmp_path / "r"), "--quiet", "--workers", "2", "--backend", "process"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own session: every process it starts is found by sid
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(_forks(proc.pid)) < 3:  # the run + 2 workers
            time.sleep(0.1)
        time.sleep(1.0)  # the workers are busy with their first tasks
        workers = [p for p in _forks(proc.pid) if p != proc.pid]
        assert len(workers) >= 2, "the pool did not start"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.time() + 20
        while time.time() < deadline and _session_members(proc.pid):
            time.sleep(0.1)
        left = _session_members(proc.pid)
        assert not left, f"worker process(es) {left} survived the parent's SIGKILL"
    finally:
        for pid in _session_members(proc.pid):  # (only if the test failed)
            os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------
# Damaged or foreign run folders: one line naming the file, exit 2, nothing changed

TINY = """
[meta]
name = "damaged"
[run]
horizon_h = 300.0
warmup_h = 30.0
replications = 2
seed = 4
[fleet]
calls_per_h = 0.3
[sweep]
"territories.technicians" = [1, 2]
"""


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under the folder (folders as None) with its bytes."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory) -> dict[str, Path]:
    """A complete run and an incomplete one (2 of its 4 tasks saved, as after a kill)."""
    from sim.results import RunFolder

    base = tmp_path_factory.mktemp("damaged")
    scen = base / "damaged.toml"
    scen.write_text(TINY)
    assert (
        cli.main(["run", str(scen), "--out", str(base / "complete"), "--quiet", "--backend", "serial"]) == 0
    )
    (complete,) = [p for p in (base / "complete").iterdir() if p.is_dir()]  # (and plotly.min.js)
    scenario = validate_scenario(__import__("tomllib").loads(TINY))
    points = expand_sweep(scenario)
    head = manifest_head(scenario, points, ["test"], str(scen))
    folder = RunFolder.create(base / "incomplete", "run", head)
    for res in run_tasks(make_tasks(points)[:2], "serial"):
        folder.save_task(f"dp{res.design_point:03d}-r{res.replication:05d}-b000", result_record(res))
    folder.unlock()
    return {"complete": complete, "incomplete": folder.path}


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])


DAMAGE = {
    "manifest truncated": ("manifest.json", _truncate, "not valid JSON"),
    "manifest empty": ("manifest.json", lambda f: f.write_bytes(b""), "empty"),
    "manifest a list": ("manifest.json", lambda f: f.write_text("[1, 2]"), "not an object"),
    "manifest latin-1": (
        "manifest.json",
        lambda f: f.write_bytes(
            json.dumps({"scenario_file": "caf\u00e9"}, ensure_ascii=False).encode("latin-1")
        ),
        "not UTF-8",
    ),
    "manifest utf-16": (
        "manifest.json",
        lambda f: f.write_bytes(f.read_text().encode("utf-16")),
        "not UTF-8",
    ),
    "manifest of something else": (
        "manifest.json",
        lambda f: f.write_text('{"name": "my notes", "status": "running"}'),
        "no 'scenario'",
    ),
    "manifest design point damaged": (
        "manifest.json",
        lambda f: f.write_text(json.dumps({**json.loads(f.read_text()), "design_points": [1]})),
        "design_points[0]",
    ),
    "manifest scenario invalid": (
        "manifest.json",
        lambda f: f.write_text(
            json.dumps({**json.loads(f.read_text()), "scenario": {"fleet": {"calls_per_hour": 1}}})
        ),
        "fleet.calls_per_hour",
    ),
}
REPORT_DAMAGE = {
    **DAMAGE,
    "replications truncated": ("replications.parquet", _truncate, "unreadable"),
    "replications missing": ("replications.parquet", lambda f: f.unlink(), "missing"),
    "summary missing": ("summary.csv", lambda f: f.unlink(), "missing"),
    "summary of something else": ("summary.csv", lambda f: f.write_text("a,b\n1,2\n"), "no column"),
}
RESUME_DAMAGE = {
    **DAMAGE,
    "manifest class name with a terminal escape": (
        "manifest.json",
        lambda f: f.write_text(
            json.dumps(
                {
                    **json.loads(f.read_text()),
                    "scenario": {
                        "fleet": {"calls_per_h": 1.0, "classes": [{"name": "\x1b[2Jx", "share": 1.0}]}
                    },
                }
            )
        ),
        "\\x1b[2Jx",  # shown escaped, never sent to the terminal
    ),
    "task file a list": ("tasks/dp000-r00000-b000.json", lambda f: f.write_text("[]"), "not a task record"),
    "task file wrong shape": (
        "tasks/dp000-r00000-b000.json",
        lambda f: f.write_text(json.dumps({"schema": TASK_SCHEMA, "design_point": "dp000", "rows": []})),
        "'design_point'",
    ),
}


def _damaged_copy(source: Path, tmp_path: Path, file: str, damage: Any) -> tuple[Path, Path]:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(source, run)
    damage(run / file)
    return run, run / file


def _assert_refused_unchanged(code: int, err: str, named: Path, reason: str, run: Path, before: Any) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert "\x1b" not in err, "a raw terminal escape reached the terminal"
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert str(named) in lines[0] or str(named.parent) in lines[0], lines[0]
    assert reason in lines[0], lines[0]
    assert _snapshot(run) == before, "the folder was changed"


@pytest.mark.parametrize("name", REPORT_DAMAGE)
def test_report_on_a_damaged_folder_is_one_line(name, finished_runs, tmp_path, capsys):
    file, damage, reason = REPORT_DAMAGE[name]
    run, named = _damaged_copy(finished_runs["complete"], tmp_path, file, damage)
    before = _snapshot(run)
    code = cli.main(["report", str(run)])
    captured = capsys.readouterr()
    if name == "manifest scenario invalid":  # report reads the tables, not the scenario
        assert code == 0, captured.err
        return
    assert captured.out == ""
    _assert_refused_unchanged(code, captured.err, named, reason, run, before)


@pytest.mark.parametrize("name", RESUME_DAMAGE)
def test_resume_of_a_damaged_folder_is_one_line_and_changes_nothing(name, finished_runs, tmp_path, capsys):
    """In particular no tasks/ folder, lock or temporary file appears."""
    file, damage, reason = RESUME_DAMAGE[name]
    run, named = _damaged_copy(finished_runs["incomplete"], tmp_path, file, damage)
    if file != "manifest.json" or name == "manifest scenario invalid":
        pass
    else:
        import shutil

        shutil.rmtree(run / "tasks")  # a folder whose tasks/ is gone: resume must not make it
    before = _snapshot(run)
    code = cli.main(["run", "--resume", str(run), "--quiet", "--backend", "serial"])
    captured = capsys.readouterr()
    assert captured.out == ""
    _assert_refused_unchanged(code, captured.err, named, reason, run, before)


def test_resume_of_the_undamaged_copy_completes(finished_runs, tmp_path, capsys):
    """Control for the two tests above: the same copy, undamaged, resumes to completion."""
    run, _ = _damaged_copy(finished_runs["incomplete"], tmp_path, "manifest.json", lambda f: None)
    assert cli.main(["run", "--resume", str(run), "--quiet", "--backend", "serial"]) == 0
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"
    assert not (run / ".lock").exists() and not (run / "tasks").exists()


def test_a_second_resume_is_told_which_process_resumes(finished_runs, tmp_path, capsys):
    """A live process holding the lock: the second resume names it and changes nothing; once
    that process is gone the lock is stale and the resume goes ahead."""
    run, _ = _damaged_copy(finished_runs["incomplete"], tmp_path, "manifest.json", lambda f: None)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        (run / ".lock").write_text(f"{holder.pid} {socket.gethostname()}")
        before = _snapshot(run)
        code = cli.main(["run", "--resume", str(run), "--quiet", "--backend", "serial"])
        err = capsys.readouterr().err
        _assert_refused_unchanged(code, err, run, f"being resumed by process {holder.pid}", run, before)
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(["run", "--resume", str(run), "--quiet", "--backend", "serial"]) == 0


@pytest.mark.slow  # two interpreters and a real run: ~30 s on a busy machine
def test_a_run_holds_its_lock_while_it_runs(tmp_path):
    """A real run in another process: a resume of its folder meanwhile is refused by name."""
    scen = scenario_file(tmp_path, horizon=300000.0, reps=6)
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "run_sim.py", "run", str(scen), "--out", str(out), "--quiet", "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not glob.glob(f"{out}/*/.lock"):
            time.sleep(0.05)
        (run_dir,) = glob.glob(f"{out}/*/")
        second = subprocess.run(
            [sys.executable, "run_sim.py", "run", "--resume", run_dir, "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        proc.kill()
        proc.wait()
    assert second.returncode == 2, second.stderr
    assert f"being resumed by process {proc.pid}" in second.stderr or f"process {proc.pid}" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1


def test_a_full_disk_leaves_no_temporary_files(tmp_path, capsys, monkeypatch):
    """The writer gets half-way through a table, then the disk is full: no .tmp file is
    left, and when not even the manifest can be written, no run folder is left either."""
    scen = scenario_file(tmp_path)
    out = tmp_path / "results"
    real = pd.DataFrame.to_parquet

    def half_then_full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 half a table")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_full)
    code = cli.main(["run", str(scen), "--out", str(out), "--quiet", "--backend", "serial"])
    assert code == 2 and "No space left" in capsys.readouterr().err
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real)

    import sim.results

    def full(path, data):
        Path(path).with_name(f".{Path(path).name}.tmp").write_text("{")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(sim.results, "_write_json", full)
    out2 = tmp_path / "results2"
    code = cli.main(["run", str(scen), "--out", str(out2), "--quiet", "--backend", "serial"])
    assert code == 2 and "No space left" in capsys.readouterr().err
    assert not [p for p in out2.iterdir() if p.is_dir() or p.name.endswith(".tmp")]


def test_a_report_that_cannot_be_written_says_the_tables_are_safe(tmp_path, capsys, monkeypatch):
    import sim.report

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "report.html")

    monkeypatch.setattr(sim.report, "write_report", no_space)
    out = tmp_path / "results"
    code = cli.main(
        ["run", str(scenario_file(tmp_path)), "--out", str(out), "--quiet", "--backend", "serial"]
    )
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2
    assert len(err) == 1 and "tables are safe" in err[0] and "No space left" in err[0]
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
    assert (run_dir / "summary.csv").is_file() and (run_dir / "replications.parquet").is_file()
