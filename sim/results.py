"""Writing and reading ``results/<run-id>/``.

Every file is written to a temporary name and renamed, so no reader sees
half a file.  A run's manifest says ``"status": "running"`` until every
table is written; finished tasks are kept one file each under ``tasks/``
meanwhile, which is what ``--resume`` completes from.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultsError

MANIFEST = "manifest.json"
REPLICATIONS = "replications.parquet"
SUMMARY = "summary.csv"
CALLS = "calls.parquet"
SERIES = "timeseries.parquet"
MACHINES = "machines.parquet"  # where the machines stand (geometry scenarios, for the map)
DECISIONS = "decisions.parquet"
TASKS = "tasks"


def safe_name(name: str) -> str:
    """A scenario name made safe as part of a folder name (no path traversal)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-.")
    return (cleaned or "scenario")[:60]


def run_id(name: str, config_hash: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}_{safe_name(name)}_{config_hash}"


@dataclass(frozen=True)
class RunData:
    """A finished run read back from disk."""

    path: Path
    manifest: dict[str, Any]
    replications: pd.DataFrame
    summary: pd.DataFrame
    calls: pd.DataFrame | None
    series: pd.DataFrame | None
    machines: pd.DataFrame | None = None


def _atomic_write(path: Path, write: Any) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _to_csv(table: pd.DataFrame, path: Path) -> None:
    """RFC 4180 CSV: CRLF line ends, so the writer quotes every cell holding a carriage
    return or a line feed (with a bare LF it leaves a lone CR unquoted, and readers split
    the row there)."""
    table.to_csv(path, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def _write_json(path: Path, data: Any) -> None:
    _atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=1, default=str) + "\n"))


class RunFolder:
    """A run's folder while it runs: the manifest, and one file per finished task.

    Each finished task is saved atomically as it completes, so a killed run
    loses only the tasks in flight; ``--resume`` reloads the others.  The
    tables are written at the end, the manifest last, with ``status =
    "complete"``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tasks_dir = path / TASKS

    @classmethod
    def create(cls, base: Path, rid: str, manifest: dict[str, Any]) -> RunFolder:
        path = base / rid
        try:
            base.mkdir(parents=True, exist_ok=True)
            path.mkdir()
            (path / TASKS).mkdir()
            _write_json(path / MANIFEST, {**manifest, "status": "running"})
        except FileExistsError:
            raise ResultsError(f"{path}: already exists; not overwriting a run") from None
        except OSError as exc:
            raise ResultsError(f"{exc.filename or base}: cannot write results: {exc.strerror}") from None
        return cls(path)

    @classmethod
    def open_for_resume(cls, path: str | Path) -> tuple[RunFolder, dict[str, Any]]:
        p = Path(path)
        if not (p / MANIFEST).is_file():
            raise ResultsError(f"{p}: not a run folder (no {MANIFEST})")
        try:
            manifest = json.loads((p / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{p / MANIFEST}: unreadable manifest ({exc})") from None
        if manifest.get("status") == "complete":
            raise ResultsError(f"{p}: this run is already complete; nothing to resume")
        (p / TASKS).mkdir(exist_ok=True)
        return cls(p), manifest

    def save_task(self, key: str, record: dict[str, Any]) -> None:
        try:
            _write_json(self.tasks_dir / f"{key}.json", record)
        except OSError as exc:
            raise ResultsError(f"{self.tasks_dir}: cannot save a finished task: {exc.strerror}") from None

    def load_tasks(self) -> list[dict[str, Any]]:
        out = []
        for f in sorted(self.tasks_dir.glob("*.json")):
            try:
                out.append(json.loads(f.read_text()))
            except ValueError:
                continue  # a task file cut short by a crash: the task is simply run again
        return out

    def finish(
        self,
        manifest: dict[str, Any],
        replications: pd.DataFrame,
        summary: pd.DataFrame,
        calls: pd.DataFrame | None = None,
        series: pd.DataFrame | None = None,
        decisions: pd.DataFrame | None = None,
        machines: pd.DataFrame | None = None,
    ) -> Path:
        """Write the tables, then the manifest marked complete; drop the task files."""
        p = self.path
        try:
            _atomic_write(p / REPLICATIONS, lambda f: replications.to_parquet(f, index=False))
            _atomic_write(p / SUMMARY, lambda f: _to_csv(summary, f))
            if calls is not None and not calls.empty:
                _atomic_write(p / CALLS, lambda f: calls.to_parquet(f, index=False))
            if series is not None and not series.empty:
                _atomic_write(p / SERIES, lambda f: series.to_parquet(f, index=False))
            if decisions is not None and not decisions.empty:
                _atomic_write(p / DECISIONS, lambda f: decisions.to_parquet(f, index=False))
            if machines is not None and not machines.empty:
                _atomic_write(p / MACHINES, lambda f: machines.to_parquet(f, index=False))
            _write_json(p / MANIFEST, {**manifest, "status": "complete"})
        except OSError as exc:
            raise ResultsError(
                f"{exc.filename or p}: cannot write results: {exc.strerror}; the finished tasks "
                f"are kept in {self.tasks_dir}"
            ) from None
        shutil.rmtree(self.tasks_dir, ignore_errors=True)
        return p


def write_run(
    base: Path,
    rid: str,
    manifest: dict[str, Any],
    replications: pd.DataFrame,
    summary: pd.DataFrame,
    calls: pd.DataFrame | None = None,
    series: pd.DataFrame | None = None,
    machines: pd.DataFrame | None = None,
) -> Path:
    """Write a complete run folder in one go (for tables already in memory)."""
    folder = RunFolder.create(base, rid, manifest)
    return folder.finish(manifest, replications, summary, calls, series, None, machines)


def write_table(run_dir: Path, name: str, table: pd.DataFrame) -> Path:
    """Add a derived CSV table (e.g. comparisons) to a finished run folder."""
    path = Path(run_dir) / name
    try:
        _atomic_write(path, lambda f: _to_csv(table, f))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write: {exc.strerror}") from None
    return path


def read_run(path: str | Path) -> RunData:
    """Read a complete run folder."""
    p = Path(path)
    if not (p / MANIFEST).is_file():
        raise ResultsError(f"{p}: not a run folder (no {MANIFEST})")
    manifest = json.loads((p / MANIFEST).read_text())
    if manifest.get("status", "complete") != "complete":
        raise ResultsError(
            f"{p}: the run did not finish (status {manifest.get('status')!r}); complete it with "
            f"python run_sim.py run --resume {p}"
        )
    replications = pd.read_parquet(p / REPLICATIONS)
    try:
        summary = pd.read_csv(p / SUMMARY)
    except pd.errors.EmptyDataError:  # every task failed: nothing to summarise
        summary = pd.DataFrame()
    calls = pd.read_parquet(p / CALLS) if (p / CALLS).is_file() else None
    series = pd.read_parquet(p / SERIES) if (p / SERIES).is_file() else None
    machines = pd.read_parquet(p / MACHINES) if (p / MACHINES).is_file() else None
    return RunData(p, manifest, replications, summary, calls, series, machines)


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("fieldservice-sim", "simpy", "numpy", "pandas", "scipy", "pydantic", "plotly"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_commit(cwd: Path | None = None) -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
