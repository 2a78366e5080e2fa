"""report.html for a run folder: DataFrames -> plotly figures -> one offline page.

``write_report(run_dir)`` reads ``results/<run-id>/`` with
:func:`sim.results.read_run` and writes ``report.html`` with ``plotly.min.js``
beside it, so the page needs no network.  Sections appear only when the run
has their data:

1. summary table (design points x key KPIs, 95% CIs, analytic values);
2. validation: simulated KPIs with CIs against exact / approximate formulas;
3. trade-offs: cost (or a staffing proxy) against mean wait, the standard, the
   cheapest feasible design;
4. distributions: empirical CDF of waits against the analytic tail (needs
   ``calls.parquet``);
5. time series: calls waiting and machines down, warm-up, Welch averages
   (needs ``timeseries.parquet``);
6. teaching view: the M/M/s wait against utilization for 1-4 technicians with
   a slider (always);
7. parts and geography views (only when their KPIs are in the run).

Nothing here imports :mod:`sim.model`; closed forms come from :mod:`sim.analytic`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sim.results import read_run

from .data import RunView, load_view
from .figures import (
    Section,
    distribution_section,
    geography_section,
    parts_section,
    teaching_section,
    timeseries_section,
    tradeoff_section,
    validation_section,
)
from .page import render, summary_section

REPORT = "report.html"
PLOTLY_JS = "plotly.min.js"
#: the service standard of the Dupit case: mean wait of at most 2 h
DEFAULT_STANDARD_H = 2.0

__all__ = ["DEFAULT_STANDARD_H", "PLOTLY_JS", "REPORT", "build_sections", "write_report"]


def build_sections(view: RunView, standard_h: float = DEFAULT_STANDARD_H) -> list[Section]:
    """The sections the run has data for, in page order."""
    builders = (
        lambda: summary_section(view, standard_h),
        lambda: validation_section(view),
        lambda: tradeoff_section(view, standard_h),
        lambda: distribution_section(view),
        lambda: timeseries_section(view),
        teaching_section,
        lambda: parts_section(view),
        lambda: geography_section(view),
    )
    return [s for s in (b() for b in builders) if s is not None]


def _standard(manifest: dict, standard_h: float | None) -> float:
    if standard_h is not None:
        return float(standard_h)
    study = manifest.get("study")
    if isinstance(study, dict) and study.get("standard_wait_h") is not None:
        return float(study["standard_wait_h"])
    return DEFAULT_STANDARD_H


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_plotly_js(folder: Path) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    target = folder / PLOTLY_JS
    if target.is_file() and target.stat().st_size == len(js.encode("utf-8")):
        return
    _write_atomic(target, js)


def write_report(run_dir: str | Path, standard_h: float | None = None) -> Path:
    """Write ``run_dir/report.html`` (and ``plotly.min.js`` beside it); return the html path.

    Parameters
    ----------
    run_dir : path
        A run folder written by :func:`sim.results.write_run`.
    standard_h : float, optional
        The mean-wait standard for the trade-off chart and the table's
        "meets" column; default ``manifest["study"]["standard_wait_h"]`` or 2 h.

    Raises
    ------
    sim.results.ResultsError
        If ``run_dir`` is not a run folder.
    """
    run = read_run(run_dir)
    view = load_view(run)
    std = _standard(run.manifest, standard_h)
    html = render(view, build_sections(view, std), PLOTLY_JS, std)
    _write_plotly_js(run.path)
    out = run.path / REPORT
    _write_atomic(out, html)
    return out
