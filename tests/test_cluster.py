"""A real Dask cluster: a scheduler and two workers started as separate processes on
127.0.0.1 (``dask scheduler``, ``dask worker``), as a user starts them on a cluster.

The tables equal the process pool's, also when a worker is killed in the middle of
the run; a cluster that loses all its workers is reported on the terminal; a
scheduler that is not there, or a port out of range, is one line and exit 2 within
seconds, with nothing written.  In CI (``CI=true``) a cluster that cannot start fails
the test instead of skipping it.  The cluster is started once for the file and each
process is stopped after it (about 20 s in all on 2 busy cores).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.config import DesignPoint, Scenario, expand_sweep, validate_scenario
from sim.experiment import backends
from sim.experiment.experiment import Experiment, run_experiment
from sim.experiment.tasks import TaskResult

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DASK = ["--backend", "dask", "--dask-address"]
START_TIMEOUT_S = 90.0  # a busy CI machine imports distributed slowly
RUN_LIMIT_S = 240.0  # a run on the cluster that takes longer has hung

SMALL_TOML = """\
[meta]
name = "cluster-cli"
[run]
horizon_h = 300.0
warmup_h = 30.0
replications = 2
seed = 5
[fleet]
calls_per_h = 0.4
[repair]
time_h = { dist = "exponential", mean = 2.0 }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: SIGTERM when this test process dies, even killed (Linux), so that no
    scheduler or worker outlives an interrupted test run."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop() still stops them
        pass


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, started and stopped here."""

    def __init__(self) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}  # workers import this checkout's sim
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, *args: str, delay_s: float = 0.0) -> subprocess.Popen[bytes]:
        # `python -m dask` is the `dask` command of this very environment
        command = [sys.executable, "-m", "dask", *args]
        if delay_s:  # started now (from this thread), running dask only later
            command = ["sh", "-c", f'sleep {delay_s}; exec "$0" "$@"', *command]
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def start(self, workers: int = 2) -> None:
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._spawn("scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        for _ in range(workers):
            self.start_worker()
        self.wait_for(workers)

    def start_worker(self, delay_s: float = 0.0) -> subprocess.Popen[bytes]:
        # no nanny: the process killed below is the worker itself, and nothing restarts it
        w = self._spawn(
            *("worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard"),
            *("--host", "127.0.0.1"),
            delay_s=delay_s,
        )
        self.workers.append(w)
        return w

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def wait_for(self, n: int, timeout: float = START_TIMEOUT_S) -> None:
        """Until the scheduler knows ``n`` workers."""
        from distributed import Client

        deadline = time.monotonic() + timeout
        while True:
            try:
                with Client(self.address, timeout="5s") as client:
                    client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except Exception:  # the scheduler is still starting
                if time.monotonic() > deadline or (self.scheduler and self.scheduler.poll() is not None):
                    raise
                time.sleep(0.5)

    def ensure(self, n: int) -> None:
        while len(self.alive()) < n:
            self.start_worker()
        self.wait_for(n)

    @contextlib.contextmanager
    def deadline(self, seconds: float = RUN_LIMIT_S) -> Iterator[None]:
        """Stop the whole cluster if the block takes longer (a hung run then fails, not hangs)."""
        timer = threading.Timer(seconds, self.stop)
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
        assert self.scheduler is not None and self.scheduler.poll() is None, f"over {seconds} s"

    def stop(self) -> None:
        for p in [*self.workers, self.scheduler]:
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in [*self.workers, self.scheduler]:
            if p is None:
                continue
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        import distributed  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("CI needs dask[distributed] for the cluster test (pip install -e '.[dev]')")
        pytest.skip("dask[distributed] is not installed")
    c = Cluster()
    try:
        c.start(2)
    except Exception as exc:
        c.stop()
        message = f"could not start a Dask cluster on 127.0.0.1: {type(exc).__name__}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    yield c
    c.stop()


def study(replications: int = 4, horizon: float = 3000.0) -> tuple[Scenario, list[DesignPoint]]:
    scenario = validate_scenario(
        {
            "meta": {"name": "cluster"},
            "run": {"horizon_h": horizon, "warmup_h": 100.0, "replications": replications, "seed": 11},
            "fleet": {"machines": 30, "time_to_failure_h": {"dist": "exponential", "mean": 50.0}},
            "repair": {"time_h": {"dist": "gamma", "mean": 1.0, "cv": 0.5}},
            "report": {"wait_thresholds_h": [1.0]},
            "sweep": {"territories.technicians": [1, 2]},
        },
        "<test_cluster>",
    )
    return scenario, expand_sweep(scenario, "<test_cluster>")


@pytest.fixture(scope="module")
def pool_run() -> Experiment:
    scenario, points = study()
    return run_experiment(scenario, points, backend="process", workers=2, progress=False)


def assert_same_tables(a: Experiment, b: Experiment) -> None:
    assert not a.failures and not b.failures
    pd.testing.assert_frame_equal(a.replications, b.replications, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.series, b.series, check_exact=True)


def test_cluster_tables_equal_the_process_pool(cluster: Cluster, pool_run: Experiment) -> None:
    cluster.ensure(2)
    scenario, points = study()
    with cluster.deadline():
        exp = run_experiment(scenario, points, backend="dask", dask_address=cluster.address, progress=False)
    assert_same_tables(pool_run, exp)


def test_a_worker_killed_mid_run_changes_nothing(cluster: Cluster, pool_run: Experiment) -> None:
    """SIGKILL to one worker as soon as the first result is back: the scheduler gives its
    chunks to the other worker and the tables stay the same."""
    cluster.ensure(2)
    victim = cluster.alive()[0]
    seen: list[Any] = []

    def kill_first(res: TaskResult) -> None:
        if not seen:
            victim.send_signal(signal.SIGKILL)
        seen.append(res)

    scenario, points = study()
    with cluster.deadline():
        exp = run_experiment(
            scenario, points, "dask", dask_address=cluster.address, progress=False, on_result=kill_first
        )
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert_same_tables(pool_run, exp)


def test_a_cluster_without_workers_is_reported_and_the_run_resumes_with_new_ones(
    cluster: Cluster, pool_run: Experiment, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """Every worker killed: a warning on the terminal after the timeout (not silence);
    a worker started later completes the run, with the same tables."""
    cluster.ensure(2)
    monkeypatch.setattr(backends, "NO_WORKERS_WARN_S", 2.0)
    seen: list[Any] = []

    def kill_all_then_add_one_later(res: TaskResult) -> None:
        if not seen:
            for w in cluster.alive():
                w.send_signal(signal.SIGKILL)
            cluster.start_worker(delay_s=6.0)
        seen.append(res)

    scenario, points = study()
    with cluster.deadline():
        exp = run_experiment(
            scenario,
            points,
            backend="dask",
            dask_address=cluster.address,
            progress=False,
            on_result=kill_all_then_add_one_later,
        )
    err = capsys.readouterr().err
    assert "warning: the Dask cluster at " in err and "has had no workers for 2 s" in err, err
    assert_same_tables(pool_run, exp)


def test_the_cli_runs_on_the_cluster(cluster: Cluster, tmp_path: Path, capsys: Any) -> None:
    cluster.ensure(1)
    scen = tmp_path / "s.toml"
    scen.write_text(SMALL_TOML)
    out = tmp_path / "out"
    args = ["run", str(scen), "--out", str(out), "--quiet", "--backend", "dask"]
    with cluster.deadline():
        assert main([*args, "--dask-address", cluster.address]) == 0
    assert len(list(out.glob("*/summary.csv"))) == 1


# ---------------------------------------------------------------------------
# A scheduler that is not there


def run_cli(tmp_path: Path, address: str, capsys: Any) -> tuple[int, list[str], float, Path]:
    """``run`` in this process (so that the time is the check's, not Python's start)."""
    scen = tmp_path / "s.toml"
    scen.write_text(SMALL_TOML)
    out = tmp_path / "out"
    t0 = time.monotonic()
    rc = main(["run", str(scen), "--out", str(out), "--quiet", *DASK, address])
    return rc, capsys.readouterr().err.strip().splitlines(), time.monotonic() - t0, out


def test_no_scheduler_at_the_address_is_one_line_within_seconds(tmp_path: Path, capsys: Any) -> None:
    """Nothing listens on the port: refused at once."""
    rc, err, wall, out = run_cli(tmp_path, f"tcp://127.0.0.1:{free_port()}", capsys)
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith("error: --dask-address: no Dask scheduler at tcp://127.0.0.1:"), err
    assert not out.exists()
    assert wall < 10, wall


def test_something_that_is_not_a_scheduler_is_one_line_after_the_timeout(tmp_path: Path, capsys: Any) -> None:
    """A port that accepts connections but never speaks Dask: refused after the connect
    timeout (5 s), not after Dask's default of 30 s, and not a traceback."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        rc, err, wall, out = run_cli(tmp_path, f"tcp://127.0.0.1:{port}", capsys)
    assert rc == 2 and len(err) == 1, err
    assert "no Dask scheduler answered" in err[0], err
    assert not out.exists()
    assert wall < backends.CONNECT_TIMEOUT_S + 10, wall


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, capsys: Any, port: str) -> None:
    scen = tmp_path / "s.toml"
    scen.write_text(SMALL_TOML)
    out = tmp_path / "out"
    rc = main(["run", str(scen), "--out", str(out), "--backend", "dask", "--dask-address", f"tcp://h:{port}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and f"port {port} is out of range (1-65535)" in err[0], err
    assert not out.exists()
