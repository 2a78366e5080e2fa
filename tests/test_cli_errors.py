"""The command line as a user meets it: bad input gives one clear line and exit status 2.

Each invocation runs ``python run_sim.py ...`` in a subprocess from the
repository root.  The invocations are independent, so a module fixture starts
them all at once and each test reads the outcome of its own command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
[meta]
name = "cli-test"

[run]
horizon_h = 200.0
warmup_h = 20.0
replications = 2
seed = 5

[fleet]
calls_per_h = 0.375
"""


@dataclass(frozen=True)
class Case:
    """One command: the scenario text to write (None: no file), extra arguments, what to expect."""

    text: str | None
    args: tuple[str, ...]
    key: str  # the key the message must name ("" when there is none)
    reason: str
    names_file: bool = True


BAD = {
    "missing file": Case(None, (), "", "no such file"),
    "directory": Case("<dir>", (), "", "is a directory"),
    "TOML syntax error": Case("[fleet\ncalls_per_h = 1\n", (), "", "TOML syntax error"),
    "unknown key": Case(GOOD + "[repair]\ntme = 2.0\n", (), "repair.tme", "unknown key"),
    "wrong type": Case(
        GOOD + '[territories]\ntechnicians = "two"\n', (), "territories.technicians", "valid integer"
    ),
    "--set with a bad value": Case(
        GOOD, ("--set", "territories.technicians=two"), "territories.technicians", "valid integer"
    ),
    "--replications 0": Case(GOOD, ("--replications", "0"), "run.replications", "greater than"),
    "--workers 0": Case(GOOD, ("--workers", "0"), "--workers", "at least 1", names_file=False),
}
THROUGH_LIST_ITEM = Case(
    GOOD + "[report]\nwait_thresholds_h = [2.0]\n",
    ("--set", "report.wait_thresholds_h.0.x=1"),
    "report.wait_thresholds_h.0.x",
    "not a section",
)


@dataclass(frozen=True)
class Outcome:
    file: Path
    out: Path
    returncode: int
    stdout: str
    stderr: str


def run_sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run_sim.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _run_case(base: Path, name: str, case: Case) -> Outcome:
    folder = base / name.replace(" ", "_").replace("-", "")
    folder.mkdir()
    file = folder / "scenario.toml"
    if case.text == "<dir>":
        file = folder / "a_directory"
        file.mkdir()
    elif case.text is not None:
        file.write_text(case.text, encoding="utf-8")
    out = folder / "results"
    proc = run_sim("run", str(file), "--out", str(out), "--backend", "serial", "--quiet", *case.args)
    return Outcome(file, out, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Run every command of this module concurrently (each is ~1 s of interpreter start-up)."""
    base = tmp_path_factory.mktemp("cli")
    cases = {**BAD, "through list item": THROUGH_LIST_ITEM, "good": Case(GOOD, (), "", "")}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_run_case, base, name, case) for name, case in cases.items()}
        analytic = pool.submit(run_sim, "analytic", "scenarios/validation/mm1.toml", "--json")
        results = {name: f.result() for name, f in futures.items()}
        results["analytic"] = analytic.result()  # type: ignore[assignment]
    return results


def assert_clean_usage_error(o: Outcome, case: Case) -> None:
    assert o.returncode == 2, (o.returncode, o.stderr)
    assert "Traceback" not in o.stderr, o.stderr
    lines = o.stderr.strip().splitlines()
    assert len(lines) == 1, o.stderr
    line = lines[0]
    if case.names_file:
        assert str(o.file) in line, line
    assert case.key in line, line
    assert case.reason in line, line
    assert not o.out.exists(), "an error must leave no results folder behind"


@pytest.mark.parametrize("name", BAD)
def test_bad_input_gives_one_line_and_status_2(outcomes, name):
    """Bad file, key, value or option: exit 2, one stderr line naming file, key and reason,
    no traceback, no results folder."""
    assert_clean_usage_error(outcomes[name], BAD[name])


def test_set_through_a_list_item_is_a_usage_error(outcomes):
    """``--set`` that walks through a number inside a list is a usage error, not a crash."""
    assert_clean_usage_error(outcomes["through list item"], THROUGH_LIST_ITEM)


def test_good_file_runs_and_writes_one_results_folder(outcomes):
    """Control: the same small scenario without the mistake runs, exits 0 and writes a run."""
    o = outcomes["good"]
    assert o.returncode == 0, o.stderr
    assert "Traceback" not in o.stderr
    (run_dir,) = [p for p in o.out.iterdir() if p.is_dir()]  # (and the shared plotly.min.js)
    assert run_dir.name.endswith("_cli-test_" + run_dir.name.rsplit("_", 1)[-1])
    assert {"manifest.json", "replications.parquet", "summary.csv"} <= {p.name for p in run_dir.iterdir()}


def test_analytic_json_gives_the_mm1_wait_exactly(outcomes):
    """``analytic mm1.toml --json``: M/M/1 with rho = 0.75 and 2-h repairs waits 6 h exactly."""
    proc = outcomes["analytic"]
    assert proc.returncode == 0, proc.stderr
    (point,) = json.loads(proc.stdout)
    assert point["unstable"] is None
    by_kpi = {
        e["kpi"]: e for e in point["estimates"] if e["role"] == "primary" and e["service_class"] == "all"
    }
    wait = by_kpi["wait_h"]
    assert wait["value"] == 6.0
    assert wait["exact"] is True
    assert wait["model"] == "M/M/1"
    assert by_kpi["queue_len"]["value"] == pytest.approx(2.25, rel=1e-12)
    assert by_kpi["restore_h"]["value"] == pytest.approx(8.0, rel=1e-12)
    assert by_kpi["utilization"]["value"] == pytest.approx(0.75, rel=1e-12)


def test_analytic_prints_each_note_once_in_the_same_order_whatever_the_hash_seed():
    """``analytic`` on the appointment scenario (estimates with and without notes): no empty
    ``note:`` line, and the same text under two string-hash seeds (the notes once came out
    of a set, in an order that changed between runs)."""
    outs = []
    for seed in ("1", "2"):
        env = {"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "run_sim.py", "analytic", "scenarios/appointments.toml", "--set", "sweep={}"]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    notes = [line for line in outs[0].splitlines() if line.startswith("  note:")]
    assert len(notes) >= 3 and all(line.strip() != "note:" for line in notes)
    assert len(notes) == len(set(notes))
    assert outs[0] == outs[1]
