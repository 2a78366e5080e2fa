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
import socket
from collections.abc import Sequence
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
INTERVAL_CHECK = "interval_check.csv"  # the pilot CVs behind the interval warnings
TASKS = "tasks"
LOCK = ".lock"
#: the version of the task records under ``tasks/`` (2: typed monitor snapshots); a record
#: without one is of version 1.  ``--resume`` refuses a folder of another version, whose
#: block sums would otherwise be merged wrongly.
TASK_SCHEMA = 2


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
    """Write via a temporary file and rename, so a reader never sees half a file; a
    failed write (a full disk) leaves no temporary file behind."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: a manifest larger than this is not one of ours (a 2,000-point sweep's is a few MB)
MAX_MANIFEST_BYTES = 500_000_000
#: keys every manifest has, with their JSON type
_MANIFEST_KEYS = {"scenario": dict, "design_points": list, "config_hash": str}


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A run folder's manifest, checked: one line naming the file and what is wrong
    (missing, empty, truncated, not UTF-8, not an object, keys missing) otherwise."""
    p = Path(path)
    f = p / MANIFEST
    if not p.is_dir():
        raise ResultsError(f"{p}: not a run folder (no such folder)")
    if not f.is_file():
        raise ResultsError(f"{p}: not a run folder (no {MANIFEST})")
    try:
        if f.stat().st_size > MAX_MANIFEST_BYTES:
            raise ResultsError(f"{f}: {f.stat().st_size:,} bytes: too large to be a run's manifest")
        data = f.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{f}: cannot read: {exc.strerror}") from None
    if not data.strip():
        raise ResultsError(f"{f}: empty (the run's manifest is lost; the folder cannot be used)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultsError(f"{f}: not UTF-8 text (byte {exc.start}): not a manifest of a run") from None
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise ResultsError(f"{f}: not valid JSON (truncated or damaged? {exc})") from None
    if not isinstance(manifest, dict):
        kind = type(manifest).__name__
        raise ResultsError(f"{f}: holds a JSON {kind}, not an object: not a run's manifest")
    for key, cls in _MANIFEST_KEYS.items():
        if not isinstance(manifest.get(key), cls):
            raise ResultsError(f"{f}: no {key!r} ({cls.__name__}): not a run's manifest, or damaged")
    for i, d in enumerate(manifest["design_points"]):
        # (a point's own scenario may be absent in older runs: the report does without)
        shaped = isinstance(d, dict) and isinstance(d.get("params"), dict)
        if not (shaped and isinstance(d.get("scenario", {}), dict)):
            raise ResultsError(f"{f}: design_points[{i}] is not a design point (params and scenario)")
    return manifest


def _read_table(path: Path, read: Any, columns: Sequence[str]) -> pd.DataFrame:
    """A table of a run folder, or one line saying why it cannot be read."""
    if not path.is_file():
        raise ResultsError(f"{path}: missing (the run folder is incomplete)")
    try:
        table = read(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()  # every task failed: nothing to summarise
    except Exception as exc:  # pyarrow and pandas raise many kinds for a damaged file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{path}: unreadable (truncated or damaged?): {first[:200]}") from None
    missing = [c for c in columns if c not in table.columns]
    if not table.empty and missing:
        raise ResultsError(f"{path}: no column {missing[0]!r}: not a table this program wrote")
    return table


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
        """A new run folder holding its manifest (status running) and its lock; if that
        cannot be written (a full disk), nothing of the folder is left."""
        path = base / rid
        made = False
        try:
            base.mkdir(parents=True, exist_ok=True)
            path.mkdir()
            made = True
            folder = cls(path)
            folder.lock()
            _write_json(path / MANIFEST, {**manifest, "status": "running"})
        except FileExistsError:
            raise ResultsError(f"{path}: already exists; not overwriting a run") from None
        except (OSError, ResultsError) as exc:
            if made:
                shutil.rmtree(path, ignore_errors=True)
            if isinstance(exc, ResultsError):
                raise
            raise ResultsError(f"{exc.filename or base}: cannot write results: {exc.strerror}") from None
        return folder

    @classmethod
    def open_for_resume(cls, path: str | Path) -> tuple[RunFolder, dict[str, Any]]:
        """The folder and its manifest, checked; nothing in the folder is changed (the
        ``tasks/`` folder is made by :meth:`lock`, once the run is known to be valid)."""
        p = Path(path)
        manifest = read_manifest(p)
        if manifest.get("status") == "complete":
            raise ResultsError(f"{p}: this run is already complete; nothing to resume")
        folder = cls(p)
        owner = folder._lock_owner()
        if owner is not None:
            raise ResultsError(f"{p}: the run is being {owner}; wait for it to finish")
        return folder, manifest

    # -- a lock, so that two processes never write one run --------------------

    def _lock_owner(self) -> str | None:
        """Who holds the lock: 'run by process N' (alive), or None (free or stale)."""
        lock = self.path / LOCK
        try:
            pid_text, _, host = lock.read_text().partition(" ")
            pid = int(pid_text)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return "used by another process (unreadable lock file .lock)"
        if host.strip() != socket.gethostname():
            return f"resumed by process {pid} on {host.strip()} (delete {lock} if it is not running)"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # that process is gone: a stale lock
        except PermissionError:
            pass  # alive, another user's
        return f"resumed by process {pid}" if pid != os.getpid() else None

    def lock(self) -> None:
        """Take the run's lock (``.lock``: this process's id and host) and make ``tasks/``."""
        owner = self._lock_owner()
        if owner is not None:
            raise ResultsError(f"{self.path}: the run is being {owner}; wait for it to finish")
        try:
            _atomic_write(self.path / LOCK, lambda f: f.write_text(f"{os.getpid()} {socket.gethostname()}"))
            self.tasks_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"{self.path}: cannot write: {exc.strerror}") from None

    def unlock(self) -> None:
        lock = self.path / LOCK
        try:
            if lock.read_text().split(" ")[0] == str(os.getpid()):
                lock.unlink()
        except (OSError, ValueError):
            pass

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest (atomically), e.g. to mark a shard finished."""
        try:
            _write_json(self.path / MANIFEST, manifest)
        except OSError as exc:
            raise ResultsError(f"{self.path / MANIFEST}: cannot write: {exc.strerror}") from None

    def save_task(self, key: str, record: dict[str, Any]) -> None:
        try:
            _write_json(self.tasks_dir / f"{key}.json", record)
        except OSError as exc:
            raise ResultsError(f"{self.tasks_dir}: cannot save a finished task: {exc.strerror}") from None

    def load_tasks(self) -> list[dict[str, Any]]:
        """The saved task records, each checked for its shape (one line naming a file that is
        not a task record); a file cut short by a crash is skipped (its task runs again)."""
        out = []
        for f in sorted(self.tasks_dir.glob("*.json")):
            try:
                record = json.loads(f.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue  # a task file cut short by a crash: the task is simply run again
            except OSError as exc:
                raise ResultsError(f"{f}: cannot read: {exc.strerror}") from None
            schema = record.get("schema", 1) if isinstance(record, dict) else None
            if schema is not None and schema != TASK_SCHEMA:
                raise ResultsError(
                    f"{f}: written by an incompatible version of the program (task schema "
                    f"{schema}, this version reads {TASK_SCHEMA}); cannot resume this run, start it again"
                )
            problem = _task_problem(record)
            if problem:
                raise ResultsError(f"{f}: not a task record ({problem}); nothing was changed")
            out.append(record)
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
        interval_check: pd.DataFrame | None = None,
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
            if interval_check is not None and not interval_check.empty:
                _atomic_write(p / INTERVAL_CHECK, lambda f: _to_csv(interval_check, f))
            _write_json(p / MANIFEST, {**manifest, "status": "complete"})
        except OSError as exc:
            raise ResultsError(
                f"{exc.filename or p}: cannot write results: {exc.strerror}; the finished tasks "
                f"are kept in {self.tasks_dir}"
            ) from None
        shutil.rmtree(self.tasks_dir, ignore_errors=True)
        self.unlock()
        return p


def _task_problem(rec: Any) -> str | None:
    """What is wrong with a task record's shape (``None``: it is one)."""
    if not isinstance(rec, dict):
        return f"a JSON {type(rec).__name__}, not an object"
    for key, kinds in (
        ("design_point", int),
        ("replication", int),
        ("rows", list),
        ("wall_s", (int, float)),
    ):
        if not isinstance(rec.get(key), kinds) or isinstance(rec.get(key), bool):
            return f"{key!r} missing or of the wrong type"
    if rec["design_point"] < 0 or rec["replication"] < 0:
        return "negative design point or replication"
    if not all(isinstance(r, dict) for r in rec["rows"]):
        return "'rows' holds something other than tables"
    if rec.get("error") is not None and not isinstance(rec["error"], str):
        return "'error' is not text"
    return None


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
    """Read a complete run folder; any damage is one :class:`ResultsError` line naming the
    file and what is wrong."""
    p = Path(path)
    manifest = read_manifest(p)
    if manifest.get("status", "complete") != "complete":
        raise ResultsError(
            f"{p}: the run did not finish (status {manifest.get('status')!r}); complete it with "
            f"python run_sim.py run --resume {p}"
        )
    replications = _read_table(p / REPLICATIONS, pd.read_parquet, ("design_point", "replication", "class"))
    summary = _read_table(p / SUMMARY, pd.read_csv, ("design_point", "class", "kpi", "mean"))
    calls = _read_table(p / CALLS, pd.read_parquet, ()) if (p / CALLS).is_file() else None
    series = _read_table(p / SERIES, pd.read_parquet, ()) if (p / SERIES).is_file() else None
    machines = _read_table(p / MACHINES, pd.read_parquet, ()) if (p / MACHINES).is_file() else None
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
