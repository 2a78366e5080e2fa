"""report.html for a run folder: DataFrames -> plotly figures -> one offline page.

``write_report(run_dir)`` reads ``results/<run-id>/`` with
:func:`sim.results.read_run` and writes ``report.html`` with ``plotly.min.js``
beside it (hard-linked to one copy per results root; or plotly.js inside the
page with ``self_contained``), so the page needs no network.  Sections appear only
when the run has their data:

1. summary table (design points x key KPIs, 95% CIs, analytic values);
2. validation: simulated KPIs with CIs against exact / approximate formulas;
3. trade-offs: cost (or a staffing proxy) against the first targeted KPI (the
   mean wait without targets), the targets and the best design that meets them;
4. distributions: empirical CDF of waits against the analytic tail (needs
   ``calls.parquet``);
5. time series: calls waiting and machines down, warm-up, Welch averages
   (needs ``timeseries.parquet``);
6. teaching view: the M/M/s wait against utilization for 1-4 technicians with
   a slider (always);
7. parts and geography views (only when their KPIs are in the run);
8. a map of territories, teams, bases and machines (geometry scenarios).

Nothing here imports :mod:`sim.model`; closed forms come from :mod:`sim.analytic`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sim.results import read_run

from .appointments import appointments_section
from .complaints import complaints_section
from .data import RunView, load_view
from .geography import geography_section
from .maintenance import maintenance_section
from .map import map_section
from .page import render, summary_section
from .parts import parts_section
from .section import Section
from .skills import skills_section
from .targets import Targets
from .teaching import teaching_section
from .timeseries import timeseries_section
from .tradeoff import tradeoff_section
from .validation import validation_section
from .wait_distribution import distribution_section
from .workmix import workmix_section

REPORT = "report.html"
PLOTLY_JS = "plotly.min.js"
#: sibling run folders searched for a copy of plotly.min.js to link to (newest first)
SIBLINGS_SEARCHED = 50

__all__ = ["PLOTLY_JS", "REPORT", "build_sections", "write_report"]


def build_sections(view: RunView) -> list[Section]:
    """The sections the run has data for, in page order."""
    builders = (
        lambda: summary_section(view),
        lambda: validation_section(view),
        lambda: tradeoff_section(view),
        lambda: maintenance_section(view),
        lambda: workmix_section(view),
        lambda: complaints_section(view),
        lambda: appointments_section(view),
        lambda: skills_section(view),
        lambda: distribution_section(view),
        lambda: timeseries_section(view),
        lambda: teaching_section(view),
        lambda: parts_section(view),
        lambda: geography_section(view),
        lambda: map_section(view),
    )
    return [s for s in (b() for b in builders) if s is not None]


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


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _same(path: Path, js: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(js) and path.read_bytes() == js
    except OSError:
        return False


def _place_plotly_js(run_dir: Path, js: str) -> str:
    """``plotly.min.js`` beside the page, as one copy per results root: a hard link to a
    sibling run's identical copy when there is one (a copy where links are not possible).

    Each run folder stays whole (it can be moved or mailed and still works offline) while
    the disk holds the 4.5 MB once per results root, not once per run.
    """
    data = js.encode("utf-8")
    own = run_dir / PLOTLY_JS
    if _same(own, data):
        return PLOTLY_JS
    try:
        siblings = sorted((d for d in run_dir.parent.iterdir() if d.is_dir() and d != run_dir), reverse=True)
    except OSError:
        siblings = []
    for d in siblings[:SIBLINGS_SEARCHED]:
        if _same(d / PLOTLY_JS, data):
            tmp = run_dir / f".{PLOTLY_JS}.link.tmp"
            try:
                tmp.unlink(missing_ok=True)
                os.link(d / PLOTLY_JS, tmp)
                os.replace(tmp, own)
                return PLOTLY_JS
            except OSError:
                tmp.unlink(missing_ok=True)
                break  # no hard links here (another device, a file system without them)
    _write_atomic(own, js)
    return PLOTLY_JS


def write_report(
    run_dir: str | Path,
    *,
    targets: Targets | None = None,
    self_contained: bool = False,
) -> Path:
    """Write ``run_dir/report.html``; return its path.

    Parameters
    ----------
    run_dir : path
        A run folder written by :func:`sim.results.write_run`.
    targets : Targets, optional
        The targets to judge designs by; default the run's own (its scenario's
        ``[targets]``), none when it has none.
    self_contained : bool
        Put plotly.js inside the page (about 4.5 MB more), for sending one file.
        Otherwise the page loads ``plotly.min.js`` beside it, a hard link to the copy
        of another run in the same results root when there is one.

    Raises
    ------
    sim.results.ResultsError
        If ``run_dir`` is not a run folder.
    """
    run = read_run(run_dir)
    view = load_view(run)
    if targets is not None:
        view.targets = targets
    sections = build_sections(view)
    js = _plotly_js()
    if self_contained:
        html = render(view, sections, None, inline_js=js)
    else:
        html = render(view, sections, _place_plotly_js(run.path, js))
    out = run.path / REPORT
    _write_atomic(out, html)
    return out
