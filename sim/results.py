"""Writing and reading ``results/<run-id>/``.

A run is written into a hidden ``.partial-<run-id>`` folder next to its
final place and renamed when every file is complete, so a folder without
that prefix is always whole, and an interrupted run never leaves a
half-written folder that looks finished.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "manifest.json"
REPLICATIONS = "replications.parquet"
SUMMARY = "summary.csv"
CALLS = "calls.parquet"
SERIES = "timeseries.parquet"
PARTIAL_PREFIX = ".partial-"


class ResultsError(OSError):
    """A results folder cannot be written or read (message names the path)."""


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


def write_run(
    base: Path,
    rid: str,
    manifest: dict[str, Any],
    replications: pd.DataFrame,
    summary: pd.DataFrame,
    calls: pd.DataFrame | None = None,
    series: pd.DataFrame | None = None,
) -> Path:
    """Write a complete run folder atomically and return its path."""
    final = base / rid
    partial = base / f"{PARTIAL_PREFIX}{rid}"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if final.exists():
            raise ResultsError(f"{final}: already exists; not overwriting a finished run")
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir()
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        replications.to_parquet(partial / REPLICATIONS, index=False)
        summary.to_csv(partial / SUMMARY, index=False)
        if calls is not None and not calls.empty:
            calls.to_parquet(partial / CALLS, index=False)
        if series is not None and not series.empty:
            series.to_parquet(partial / SERIES, index=False)
        os.replace(partial, final)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, ResultsError):
            raise
        raise ResultsError(f"{exc.filename or base}: cannot write results: {exc.strerror}") from None
    return final


def read_run(path: str | Path) -> RunData:
    """Read a run folder written by :func:`write_run`."""
    p = Path(path)
    if not (p / MANIFEST).is_file():
        raise ResultsError(f"{p}: not a run folder (no {MANIFEST})")
    manifest = json.loads((p / MANIFEST).read_text())
    replications = pd.read_parquet(p / REPLICATIONS)
    summary = pd.read_csv(p / SUMMARY)
    calls = pd.read_parquet(p / CALLS) if (p / CALLS).is_file() else None
    series = pd.read_parquet(p / SERIES) if (p / SERIES).is_file() else None
    return RunData(p, manifest, replications, summary, calls, series)


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
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
