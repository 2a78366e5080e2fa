"""report.html: offline, escaped, and each section shown only when the run has its data.

Run folders are built the way the CLI builds them (validate, expand the sweep,
run serially, write the folder) with tiny horizons, so every test takes well
under a few seconds.
"""

from __future__ import annotations

import copy
import json
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scenario_data import toml_data, variant

from sim.config import DesignPoint, expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.experiment.manifest import machine_layout, manifest, manifest_head
from sim.report import PLOTLY_JS, REPORT, write_report
from sim.report.data import load_view, param_label, wait_tail
from sim.report.teaching import RHO_STEPS, teaching_figure
from sim.results import ResultsError, read_run, run_id, write_run
from sim.stats import welch_moving_average as welch
from sim.system import ServiceSystem

ROOT = Path(__file__).resolve().parents[1]

SWEEP = toml_data("""
[meta]
name = "report-sweep"
description = "M/M/1 with a swept call rate"

[run]
horizon_h = 1500.0
warmup_h = 100.0
replications = 3
seed = 7

[fleet]
calls_per_h = 0.2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[sweep]
"fleet.calls_per_h" = [0.15, 0.25, 0.35]
""")

SINGLE = toml_data("""
[meta]
name = "report-single"

[run]
horizon_h = 1000.0
warmup_h = 50.0
replications = 2
seed = 3

[fleet]
machines = 20
time_to_failure_h = { dist = "exponential", mean = 60.0 }

[repair]
time_h = { dist = "exponential", mean = 2.0 }
""")

TRAVEL = """
[meta]
name = "report-travel"

[run]
horizon_h = 1000.0
warmup_h = 50.0
replications = 2
seed = 5

[fleet]
calls_per_h = 0.2

[travel]
time_h = { dist = "exponential", mean = 0.5 }

[repair]
time_h = { dist = "exponential", mean = 1.5 }
"""

# Parts of a Dupit-like study: (part, TOML); one design point sequence, like sim.dupit.
STUDY = {
    "baseline": """
        [meta]
        name = "mini-baseline"
        description = "Baseline"
        [run]
        horizon_h = 1500.0
        warmup_h = 100.0
        replications = 3
        seed = 11
        [fleet]
        machines = 30
        time_to_failure_h = { dist = "exponential", mean = 80.0 }
        [repair]
        time_h = { dist = "exponential", mean = 2.0 }
        """,
    "proposal1": """
        [meta]
        name = "mini-p1"
        [run]
        horizon_h = 1500.0
        warmup_h = 100.0
        replications = 3
        seed = 11
        [fleet]
        machines = 20
        time_to_failure_h = { dist = "exponential", mean = 80.0 }
        [repair]
        time_h = { dist = "exponential", mean = 2.0 }
        """,
    "proposal3": """
        [meta]
        name = "mini-p3"
        [run]
        horizon_h = 1500.0
        warmup_h = 100.0
        replications = 3
        seed = 11
        [fleet]
        machines = 30
        time_to_failure_h = { dist = "exponential", mean = 80.0 }
        [territories]
        count = 2
        [repair]
        time_h = { dist = "exponential", mean = 2.0 }
        [sweep]
        "territories.pooled" = [2]
        """,
    "proposal4": """
        [meta]
        name = "mini-p4"
        [run]
        horizon_h = 1500.0
        warmup_h = 100.0
        replications = 3
        seed = 11
        [fleet]
        machines = 30
        time_to_failure_h = { dist = "exponential", mean = 80.0 }
        [[fleet.classes]]
        name = "critical"
        share = 0.3
        priority = 1
        [[fleet.classes]]
        name = "standard"
        share = 0.7
        priority = 2
        [repair]
        time_h = { dist = "exponential", mean = 2.0 }
        [dispatch]
        policy = "priority"
        """,
}


#: what a study module hands the report through the manifest: titles, tags, its targets
STUDY_ENTRY = {
    "name": "mini",
    "title": "mini study",
    "group_key": "study.part",
    "groups": [
        {"key": "baseline", "title": "Status quo", "short": "Status quo"},
        {"key": "proposal1", "title": "P1 fewer machines", "short": "P1"},
        {"key": "proposal3", "title": "P3 pooled teams", "short": "P3"},
        {"key": "proposal4", "title": "P4 priority", "short": "P4"},
    ],
    "design_cost": {"key": "extra_cost_per_year", "title": "extra cost", "unit": "per year"},
}


def scenario(text: str | dict[str, Any], **meta: str) -> Any:
    """A validated scenario from a dict (or TOML text), with ``meta`` keys set."""
    raw = toml_data(text) if isinstance(text, str) else variant(text)
    raw.setdefault("meta", {}).update(meta)
    return validate_scenario(raw, "<test>")


def make_run(
    base: Path,
    text: str | dict[str, Any],
    *,
    records: bool = True,
    series: bool = True,
    point_scenarios: bool = True,
    **meta: str,
) -> Path:
    """A run folder of a scenario (its sweep), written like ``run_sim.py run``."""
    sc = scenario(text, **meta)
    points = expand_sweep(sc, "<test>")
    exp = run_experiment(sc, points, backend="serial", keep_calls=records, progress=False)
    assert not exp.failures, exp.failures[0].error
    man = manifest(exp, manifest_head(sc, points, ["run", "<test>"], "<test>", records))
    if not point_scenarios:  # a manifest from before per-point scenarios were kept
        for d in man["design_points"]:
            d.pop("scenario", None)
    return write_run(
        base,
        run_id(sc.meta.name, sc.config_hash()),
        man,
        exp.replications,
        exp.summary,
        exp.calls,
        exp.series if series else None,
        machine_layout(points),
    )


def make_study(
    base: Path,
    *,
    point_scenarios: bool = True,
    records: bool = False,
    costs: dict[str, float | None] | None = None,
) -> Path:
    """A run folder shaped like the Dupit study: a ``study.part`` column, mixed scenarios."""
    points: list[DesignPoint] = []
    first = None
    for part, text in STUDY.items():
        sc = scenario(text)
        first = first or sc
        for p in expand_sweep(sc, part):
            points.append(DesignPoint(len(points), {"study.part": part, **p.params}, p.scenario))
    assert first is not None
    exp = run_experiment(first, points, backend="serial", keep_calls=records, progress=False)
    assert not exp.failures, exp.failures[0].error
    study = first.model_copy(update={"meta": first.meta.model_copy(update={"name": "mini-study"})})
    exp.scenario = study
    man = manifest(exp, manifest_head(study, points, ["dupit"], "<study>", records))
    man["study"] = STUDY_ENTRY
    man["targets"] = {"require": [{"kpi": "wait_h", "class": "all", "op": "<=", "bound": 2.0}]}
    for d in man["design_points"]:
        if not point_scenarios:
            d.pop("scenario", None)
        if costs is not None:
            d["extra_cost_per_year"] = costs.get(d["params"]["study.part"])
    return write_run(
        base,
        run_id("mini-study", study.config_hash()),
        man,
        exp.replications,
        exp.summary,
        exp.calls,
        exp.series,
    )


def section_ids(html: str) -> list[str]:
    return re.findall(r"<section id='([a-z-]+)'", html)


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("runs"), SWEEP, records=False)


@pytest.fixture(scope="module")
def records_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same sweep with per-call records (calls.parquet)."""
    return make_run(tmp_path_factory.mktemp("runs"), SWEEP, records=True)


@pytest.fixture(scope="module")
def sweep_report(sweep_run: Path) -> str:
    return write_report(sweep_run).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Offline page, sections


def test_report_is_written_with_local_plotly(sweep_run: Path, sweep_report: str) -> None:
    html = sweep_report
    assert (sweep_run / REPORT).is_file()
    js = sweep_run / PLOTLY_JS
    assert js.is_file() and js.stat().st_size > 1_000_000
    assert [p.name for p in sweep_run.parent.iterdir()] == [sweep_run.name]  # run folders only
    assert "plotly.js v" in js.read_text(encoding="utf-8")[:300]
    assert f"<script src='{PLOTLY_JS}'></script>" in html
    assert "cdn.plot.ly" not in html
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", html), "no network resources"


def test_sweep_without_records_has_no_distribution(sweep_report: str) -> None:
    ids = section_ids(sweep_report)
    assert ids == ["summary", "validation", "tradeoffs", "timeseries", "teaching"]
    for sid in ids:  # every section is in the navigation
        assert f"href='#{sid}'" in sweep_report


def test_run_with_records_has_every_data_section(records_run: Path) -> None:
    assert (records_run / "calls.parquet").is_file()
    html = write_report(records_run).read_text(encoding="utf-8")
    ids = section_ids(html)
    assert ids == ["summary", "validation", "tradeoffs", "distributions", "timeseries", "teaching"]
    for sid in ids:
        assert f"href='#{sid}'" in html
    # parts and geography views only appear with their KPIs
    assert "id='parts'" not in html and "id='geography'" not in html
    # the empirical CDF of each point is drawn next to the M/M/1 formula (exact)
    assert html.count("formula (exact)") >= 3  # (chart JSON spells "/" as \u002f)


def test_summary_table_has_cis_and_analytic_values(sweep_report: str) -> None:
    table = sweep_report.split("id=summary-table", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 3  # header and three design points
    assert "mean wait (h)" in table and "P(wait &gt; 8 h)" in table
    assert "M/M/1 exact" in table
    assert re.search(r"\d\.\d+ \[\d\.\d+, \d\.\d+\]", table)
    # no [targets] in the scenario: nothing is judged, against 2 h or anything else
    body = sweep_report.split("<body>", 1)[1]
    assert "meets" not in body and "standard" not in body and "Recommendation" not in body
    assert "2 h" not in table.replace("P(wait &gt; 2 h)", "")
    # no travel here, so the response time (equal to the wait) is left out
    assert "mean response time" not in table


def test_sweep_axis_is_the_swept_number(sweep_run: Path) -> None:
    view = load_view(read_run(sweep_run))
    from sim.report.data import sweep_axis

    axis = sweep_axis(view)
    assert axis.numeric
    assert axis.title == "calls per territory (per h)"
    assert [axis.x[p.id] for p in view.points] == [0.15, 0.25, 0.35]
    assert all(p.scenario is not None for p in view.points)  # rebuilt and checked


def test_sections_need_their_data(tmp_path: Path) -> None:
    run = make_run(tmp_path, SINGLE, records=False, series=False)
    html = write_report(run).read_text(encoding="utf-8")
    # one design point, no call records, no time series
    assert section_ids(html) == ["summary", "validation", "teaching"]
    for absent in ("chart-distribution", "chart-timeseries", "chart-tradeoff"):
        assert absent not in html


def test_geography_view_when_technicians_travel(tmp_path: Path) -> None:
    run = make_run(tmp_path, TRAVEL, records=False)
    html = write_report(run).read_text(encoding="utf-8")
    ids = section_ids(html)
    assert "geography" in ids and "parts" not in ids
    assert "mean response time" in html  # with travel, response differs from wait


def test_evil_names_are_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    run = make_run(tmp_path, SWEEP, records=False, name=evil, description="<img src=x onerror=alert(2)> & co")
    html = write_report(run).read_text(encoding="utf-8")
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt; &amp; co" in html
    # every <script> element is ours: the plotly.js link and the one drawing script
    assert html.count("<script") == html.count("</script>") == 2
    assert run.name.startswith("20") and "<" not in run.name


def test_evil_class_name_inside_charts_is_escaped(tmp_path: Path) -> None:
    raw = variant(toml_data(STUDY["proposal4"]), {"fleet.classes.0.name": "</script><b>x"})
    run = make_run(tmp_path, raw, records=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "</script><b>" not in html
    assert html.count("<script") == html.count("</script>") == 2


def test_rewriting_a_report_is_harmless(sweep_run: Path, sweep_report: str) -> None:
    js = sweep_run / PLOTLY_JS
    before = js.stat().st_mtime_ns
    again = write_report(sweep_run).read_text(encoding="utf-8")
    assert section_ids(again) == section_ids(sweep_report)
    assert js.stat().st_mtime_ns == before  # plotly.js not rewritten when unchanged
    assert not list(sweep_run.glob(".*.tmp")) and not list(sweep_run.parent.glob(".*.tmp"))


def test_missing_run_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not a run folder"):
        write_report(tmp_path / "nope")


def test_report_does_not_import_the_model() -> None:
    code = (
        "import sys; import sim.report; "
        "bad = sorted(m for m in sys.modules if m == 'simpy' or m.startswith('sim.model') "
        "or m.startswith('sim.experiment')); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# Validation: failures are highlighted


def test_failures_are_highlighted(tmp_path: Path) -> None:
    run = make_run(tmp_path, SINGLE, records=False)
    summ = pd.read_csv(run / "summary.csv")
    summ["analytic"] = summ["mean"]  # every exact value inside its interval
    summ.to_csv(run / "summary.csv", index=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "exact value outside 95% CI" not in html
    # make one exact value disagree with its interval
    row = (summ["kpi"] == "wait_h") & (summ["class"] == "all")
    summ.loc[row, "analytic"] = summ.loc[row, "ci_high"] * 2 + 1
    summ.to_csv(run / "summary.csv", index=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "exact value outside 95% CI" in html
    assert "Exact values outside the 95% CI (1)" in html
    assert "class='num bad'" in html


# ---------------------------------------------------------------------------
# The Dupit-shaped study


def test_study_parts_label_points_and_tradeoff_uses_staffing(tmp_path: Path) -> None:
    run = make_study(tmp_path)
    view = load_view(read_run(run))
    assert [p.group for p in view.points] == ["baseline", "proposal1", "proposal3", "proposal4"]
    labels = [p.label for p in view.points]
    # swept values, or else what differs from the base scenario, behind the part's tag
    assert labels == [
        "Status quo",
        "P1 · 20 machines",
        "P3 · teams of 2",
        "P4 · critical 30% / standard 70%, dispatch policy priority",
    ]
    html = write_report(run).read_text(encoding="utf-8")
    assert section_ids(html) == ["summary", "validation", "tradeoffs", "timeseries", "teaching"]
    assert "technicians per 1,000 machines" in html
    assert "No cost data in this run" in html
    # per-class rows for the priority part only
    table = html.split("id=summary-table", 1)[1].split("</table>", 1)[0]
    assert table.count("<td class=c2>critical</td>") == 1 and table.count("<td class=c2>standard</td>") == 1
    assert "P1 fewer machines" in html  # the legend names the part


def test_study_without_point_scenarios_degrades(tmp_path: Path) -> None:
    run = make_study(tmp_path, point_scenarios=False)
    view = load_view(read_run(run))
    # only the baseline is the base scenario plus its swept values; proposal 1 (other
    # fleet), 3 (other territory count) and 4 (other policy) are not, and the check notices
    known = {p.group: p.scenario is not None for p in view.points}
    assert known == {"baseline": True, "proposal1": False, "proposal3": False, "proposal4": False}
    html = write_report(run).read_text(encoding="utf-8")
    # one known staffing level is no trade-off; the rest of the report stands
    assert section_ids(html) == ["summary", "validation", "timeseries", "teaching"]


def test_study_costs_from_manifest(tmp_path: Path) -> None:
    costs = {"baseline": 0.0, "proposal1": 3e8, "proposal3": 0.0, "proposal4": None}
    html = write_report(make_study(tmp_path, costs=costs)).read_text(encoding="utf-8")
    assert "extra cost (per year)" in html
    assert "Not priced, so not shown (1)" in html


# ---------------------------------------------------------------------------
# Pieces


def test_welch_average() -> None:
    """The report's time series uses Welch's procedure as in sim.stats (Law's m - w points)."""
    assert np.allclose(welch(np.full(9, 3.0), 2), 3.0)
    ramp = np.arange(10.0)
    assert np.allclose(welch(ramp, 3), ramp[:7])  # centred: a line stays a line
    noisy = np.array([0.0, 10.0, 0.0, 10.0, 0.0])
    assert welch(noisy, 1)[2] == pytest.approx(20 / 3)


def test_wait_tail_matches_mm1() -> None:
    sc = scenario(variant(SWEEP, drop=["sweep"]))
    tail = wait_tail(ServiceSystem.from_scenario(sc))
    assert tail is not None and tail.exact and tail.model == "M/M/1"
    lam, mu = 0.2, 0.5
    t = np.array([0.0, 1.0, 5.0])
    assert np.allclose(tail.fn(t), (lam / mu) * np.exp(-(mu - lam) * t))
    gamma = scenario(variant(SINGLE, {"repair.time_h": {"dist": "gamma", "mean": 2.0, "cv": 0.5}}))
    assert wait_tail(ServiceSystem.from_scenario(gamma)) is None  # non-exponential repairs


def test_no_exponential_tail_when_trips_depend_on_places() -> None:
    """Trips of distance / speed (or a different trip from base) are not part of an
    exponential service time, even with exponential repairs: no M/M/s tail is drawn, as
    the analytic layer gives none."""
    plain = scenario(SINGLE)
    assert wait_tail(ServiceSystem.from_scenario(plain)) is not None  # (the control)
    raw = plain.model_dump(mode="json")
    geometry = validate_scenario(
        {
            **raw,
            "territories": {**raw["territories"], "width_km": 10.0, "height_km": 10.0},
            "travel": {"mode": "geometry"},
        }
    )
    assert wait_tail(ServiceSystem.from_scenario(geometry)) is None
    from_base = validate_scenario({**raw, "travel": {"from_base_h": {"dist": "deterministic", "value": 0.5}}})
    assert wait_tail(ServiceSystem.from_scenario(from_base)) is None


def test_teaching_slider_moves_along_the_curves() -> None:
    fig = teaching_figure()
    slider = fig.layout.sliders[0]
    assert [float(s.label) for s in slider.steps] == list(RHO_STEPS)
    assert RHO_STEPS[0] == 0.05 and RHO_STEPS[-1] == 0.95
    half = slider.steps[RHO_STEPS.index(0.5)]
    data, _, traces = half.args
    assert list(traces) == [4, 5, 6, 7]
    assert data["x"][0] == [0.5]
    assert data["y"][0][0] == pytest.approx(1.0)  # M/M/1: rho / (1 - rho) service times
    assert data["y"][1][0] == pytest.approx(1 / 3)  # M/M/2 at rho 0.5: C = 1/3, Wq = C/(2(1-rho))
    assert fig.data[4].x[0] == 0.75 and fig.data[4].y[0] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("repair.time_h", {"dist": "deterministic", "value": 1.5}, "repair fixed 1.5 h"),
        (
            "repair.time_h",
            json.dumps({"dist": "gamma", "mean": 2, "cv": 0.5}),
            "repair gamma mean 2 h cv 0.5",
        ),
        ("territories.pooled", 3, "teams of 3"),
        ("territories.technicians", 1, "1 technician"),
        ("fleet.calls_per_h", 0.25, "calls per territory 0.25 per h"),
        ("territories.width_km", 5.0, "territory width 5 km"),
        ("travel.speed_kmh", 30, "travel speed 30 km/h"),
    ],
)
def test_param_labels(key: str, value: Any, text: str) -> None:
    assert param_label(key, value) == text


def test_report_of_a_run_with_nan_kpis(tmp_path: Path) -> None:
    """sla_met is NaN without SLAs: such KPIs are left out, not drawn as empty charts."""
    run = make_run(tmp_path, SINGLE, records=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "SLA met" not in html
    assert not math.isnan(float(pd.read_csv(run / "summary.csv")["mean"].iloc[0]))


def test_tradeoff_uses_the_cost_model(tmp_path: Path) -> None:
    raw = costed([1, 2])
    run = make_run(tmp_path, raw, records=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "cost per day, mean" in html and "No cost data" not in html
    assert "no targets" in html and "Recommendation" not in html  # nothing to meet


def test_run_whose_tasks_all_failed(tmp_path: Path) -> None:
    """No rows at all: the page still renders, with the failure warning and the teaching view."""
    from sim.report import build_sections
    from sim.report.page import render
    from sim.results import RunData

    man = {
        "scenario": {"meta": {"name": "broken"}},
        "design_points": [{"id": "dp000", "params": {}}],
        "tasks": [{"design_point": "dp000", "replication": 0, "status": "failed"}],
    }
    run = RunData(tmp_path, man, pd.DataFrame(), pd.DataFrame(), None, None)
    view = load_view(run)
    sections = build_sections(view)
    assert [s.id for s in sections] == ["teaching"]
    html = render(view, sections, "plotly.min.js")
    assert "1 of 1 tasks failed" in html


def test_automatic_warmup_is_read_from_the_manifest(tmp_path: Path) -> None:
    run = make_run(tmp_path, variant(SINGLE, {"run.warmup_h": "auto"}), records=False)
    data = read_run(run)
    view = load_view(data)
    chosen = data.manifest.get("warmup_chosen_h") or {}
    assert view.warmup_h(view.points[0]) == chosen.get("dp000")
    html = write_report(run).read_text(encoding="utf-8")
    assert "timeseries" in section_ids(html)


# ---------------------------------------------------------------------------
# Targets, trade-off axes, labels, sentences, plotly.js


def costed(technicians: list[int]) -> dict[str, Any]:
    """The M/M/s sweep at 0.4 calls/h over the staffing, with a wage."""
    changes = {
        "fleet.calls_per_h": 0.4,
        "sweep": {"territories.technicians": technicians},
        "costs": {"technician_per_h": 30.0},
    }
    return variant(SWEEP, changes)


COSTED = costed([2, 3, 4])


def set_targets(run: Path, require: list[dict[str, Any]], objective: dict[str, Any] | None) -> None:
    """Give a run the manifest entry the runner writes for a scenario's [targets]."""
    man = json.loads((run / "manifest.json").read_text())
    man["targets"] = {"require": require, "objective": objective}
    (run / "manifest.json").write_text(json.dumps(man))


def chart(sections: list[Any], cid: str) -> Any:
    return next(c.figure for s in sections for c in s.charts if c.id == cid)


def test_targets_drive_the_table_the_lines_and_the_recommendation(tmp_path: Path) -> None:
    from sim.report import build_sections

    run = make_run(tmp_path, COSTED, records=False)
    view = load_view(read_run(run))
    w = view.rows("wait_h").set_index("design_point")
    # a bound between the 2- and the 3-technician waits: 3 and 4 meet it, 2 does not
    bound = round(float(w["ci_low"].iloc[0] + w["ci_high"].iloc[1]) / 2, 3)
    assert w["ci_high"].iloc[1] < bound < w["ci_low"].iloc[0]
    wait = {"kpi": "wait_h", "class": "all", "op": "<=", "bound": bound}
    set_targets(run, [wait], {"kpi": "cost_per_day", "minimize": True})
    view = load_view(read_run(run))
    assert [t.text for t in view.targets.require] == [f"wait_h <= {bound:g}"]
    assert view.verdicts() == {"dp000": "no", "dp001": "yes", "dp002": "yes"}
    html = write_report(run).read_text(encoding="utf-8")
    table = html.split("id=summary-table", 1)[1].split("</table>", 1)[0]
    assert f"meets ≤ {bound:g} h?" in table
    assert table.count("<span class=yes>yes</span>") == 2 and table.count("<span class=no>no</span>") == 1
    # the cheapest design that meets the target: 3 technicians
    assert "Recommendation: 3 technicians" in html
    fig = chart(build_sections(view), "tradeoff")
    assert fig.layout.xaxis.type == "linear" and fig.layout.xaxis.title.text == "cost per day, mean"
    assert [s.y0 for s in fig.layout.shapes] == [bound]  # the target line, and only it
    stars = [t for t in fig.data if t.marker.symbol == "star-open"]
    assert len(stars) == 1 and len(stars[0].x) == 1
    cost = view.rows("cost_per_day").set_index("design_point")["mean"]
    assert stars[0].x[0] == pytest.approx(cost["dp001"])


def test_a_class_target_and_a_share(tmp_path: Path) -> None:
    changes = {"costs": {"technician_per_h": 30.0}, "sweep": {"territories.technicians": [1, 2]}}
    run = make_run(tmp_path, variant(toml_data(STUDY["proposal4"]), changes), records=False)
    set_targets(run, [{"kpi": "p_wait", "class": "critical", "op": "<=", "bound": 0.5}], None)
    html = write_report(run).read_text(encoding="utf-8")
    table = html.split("id=summary-table", 1)[1].split("</table>", 1)[0]
    assert "meets ≤ 50% (critical)?" in table
    # judged on the critical rows only (one per design point)
    verdicts = re.findall(r"<td class=meets>(.*?)</td>", table)
    assert len([v for v in verdicts if v]) == 2


def test_study_titles_come_from_its_manifest_entry(tmp_path: Path) -> None:
    view = load_view(read_run(make_study(tmp_path)))
    assert [t.text for t in view.targets.require] == ["wait_h <= 2"]
    assert [p.group_tag for p in view.points] == ["Status quo", "P1", "P3", "P4"]
    assert view.groups == ["baseline", "proposal1", "proposal3", "proposal4"]


def test_no_dupit_words_in_the_generic_report() -> None:
    for path in (ROOT / "sim" / "report").glob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "dupit" not in text and "proposal" not in text and "standard_h" not in text, path


def test_labels_name_list_items(sweep_run: Path) -> None:
    from sim.report.data import key_title

    raw = tomllib.loads((ROOT / "scenarios" / "parts_van_stock_sweep.toml").read_text())
    assert key_title("parts.types.0.van.S", raw) == ("fuser van stock level S", "")
    assert param_label("parts.types.0.van.S", 2, raw) == "fuser van stock level S 2"
    assert key_title("parts.types.3.depot.S", raw) == ("type 4 depot stock level S", "")
    assert key_title("fleet.classes.0.sla_h", {"fleet": {"classes": [{"name": "gold"}]}}) == ("gold SLA", "h")


def test_dodge_sets_equal_points_side_by_side() -> None:
    from sim.report.tradeoff import dodge

    x = np.array([1.0, 1.0, 1.0, 5.0])
    y = np.array([2.0, 2.0, 2.01, 9.0])
    off = dodge(x, y, 0.1)
    assert sorted(off[:3]) == pytest.approx([-0.1, 0.0, 0.1]) and off[3] == 0
    assert len(set(x + off)) == 4


def test_exact_sentence_counts_the_run(tmp_path: Path, sweep_run: Path) -> None:
    from sim.report.validation import exact_checks, exact_verdict

    view = load_view(read_run(sweep_run))
    n, fails, _ = exact_checks(view)
    s = view.summary
    s = s[s["class"] == "all"]  # one service class: its rows repeat the overall ones, not shown
    assert n == int((s["analytic_exact"].astype("boolean").fillna(False) & s["analytic"].notna()).sum()) > 0
    html = write_report(sweep_run).read_text(encoding="utf-8")
    assert (f"All {n} exact values" in html) == (fails == 0)
    assert "All 0" not in html
    assert exact_verdict(0, 0, []).startswith("No formula is exact")
    assert exact_verdict(1, 0, []).startswith("The one exact value")
    assert "1 of 3</strong> exact values lies" in exact_verdict(3, 1, ["mean wait"])
    # a run whose formulas are all approximations
    run = make_run(tmp_path, SINGLE, records=False)
    summ = pd.read_csv(run / "summary.csv")
    summ["analytic_exact"] = False
    summ.to_csv(run / "summary.csv", index=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "No formula is exact" in html and "All 0" not in html


def test_missing_plotly_is_explained_and_self_contained_carries_it(tmp_path: Path) -> None:
    run = make_run(tmp_path, SINGLE, records=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "id=no-plotly class=warn hidden" in html and "--self-contained" in html
    one = write_report(run, self_contained=True).read_text(encoding="utf-8")
    assert "<script src=" not in one and "plotly.js v" in one[:10_000]
    assert len(one) > len(html) + 1_000_000


def test_results_root_shares_one_plotly(tmp_path: Path) -> None:
    """Each run folder has its plotly.min.js (it can be moved whole), one file on disk."""
    a = make_run(tmp_path, SINGLE, records=False, name="a")
    b = make_run(tmp_path, SINGLE, records=False, name="b")
    (a / PLOTLY_JS).write_text("an older plotly")  # replaced by the current one
    for run in (a, b):
        write_report(run)
    ja, jb = (run / PLOTLY_JS for run in (a, b))
    assert ja.read_bytes() == jb.read_bytes() and ja.stat().st_size > 1_000_000
    assert ja.stat().st_ino == jb.stat().st_ino and ja.stat().st_nlink == 2  # a hard link
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([a.name, b.name])
    assert not list(tmp_path.glob("*/.*.tmp"))


def test_report_command_self_contained(tmp_path: Path) -> None:
    run = make_run(tmp_path, SINGLE, records=False)
    out = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "report", str(run), "--self-contained"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "<script src=" not in (run / REPORT).read_text(encoding="utf-8")


GEO_SWEEP = """
[meta]
name = "geo-sweep"

[run]
horizon_h = 800.0
warmup_h = 50.0
replications = 2
seed = 4

[fleet]
machines = 15
time_to_failure_h = { dist = "exponential", mean = 60.0 }

[territories]
count = 2
width_km = 10.0
height_km = 8.0

[travel]
mode = "geometry"
speed_kmh = 30.0

[repair]
time_h = { dist = "exponential", mean = 1.5 }

[sweep]
"territories.pooled" = [2, 1]
"""


def test_map_of_a_geography_run(tmp_path: Path, sweep_report: str) -> None:
    from sim.report import build_sections

    run = make_run(tmp_path, GEO_SWEEP, records=False)
    machines = pd.read_parquet(run / "machines.parquet")  # recorded by the run: 2 x 15 per point
    assert machines.groupby("design_point").size().to_dict() == {"dp000": 30, "dp001": 30}
    one = machines[machines["design_point"] == "dp001"]  # pooled = 1: two teams of one territory
    assert sorted(one["team"].unique()) == [0, 1]
    assert one["x_km"].between(0, 10).all() and one["y_km"].between(0, 8).all()
    both = machines[machines["design_point"] == "dp000"]  # one team: territory 1 east of 0
    assert both.loc[both["territory"] == 1, "x_km"].between(10, 20).all()
    view = load_view(read_run(run))
    sections = build_sections(view)
    assert "map" in [s.id for s in sections]
    fig = chart(sections, "map")
    first = [t for t in fig.data if t.visible]
    bases = next(t for t in first if t.name == "technician base")
    assert list(zip(bases.x, bases.y, strict=True)) == [(5.0, 4.0), (15.0, 4.0)]  # territory centres
    assert sum(len(t.x) for t in first if t.name.startswith("machines")) == 30
    assert fig.layout.yaxis.scaleanchor == "x"
    assert len(fig.layout.updatemenus[0].buttons) == 2  # one entry per layout
    assert "id='map'" not in sweep_report  # no geometry, no map


def test_map_shows_the_given_places_of_a_locations_csv(tmp_path: Path) -> None:
    csv_path = ROOT / "scenarios" / "data" / "clustered_machines.csv"
    raw = variant(
        toml_data((ROOT / "scenarios" / "located_machines.toml").read_text()),
        {"territories.locations_csv": str(csv_path), "run.horizon_h": 500.0, "run.replications": 2},
    )
    run = make_run(tmp_path, raw, records=False)
    given = pd.read_csv(csv_path)
    rec = pd.read_parquet(run / "machines.parquet")
    # team-local km: the second territory sits east of the first (teams of 2, side by side)
    expect = given["x_km"] + 10.0 * given["territory"]
    assert np.allclose(rec["x_km"], expect) and np.allclose(rec["y_km"], given["y_km"])
    html = write_report(run).read_text(encoding="utf-8")
    assert "given places, locations CSV" in html


def test_a_big_sweep_is_thinned_not_dropped(tmp_path: Path) -> None:
    from sim.report import build_sections
    from sim.report.data import MAX_SERIES, MAX_TABLE_POINTS

    run = big_run(tmp_path, 400)  # 40 rates x 10 staffing levels
    view = load_view(read_run(run))
    sections = build_sections(view)
    fig = chart(sections, "validation")
    series = {t.name for t in fig.data if "technician" in t.name}
    assert len(series) <= MAX_SERIES and "Drawn: 8 of 10 series" in sections[1].intro
    table = next(s for s in sections if s.id == "summary").html
    assert table.count("<tr>") == 1 + MAX_TABLE_POINTS and "Showing 200 of 400 design points" in table
    ts = chart(sections, "timeseries")
    assert len(ts.layout.updatemenus[0].buttons) == 12
    # the sentence counts every exact value of the run, drawn or not
    from sim.report.validation import exact_checks

    assert exact_checks(view)[0] > 400
    html = write_report(run).read_text(encoding="utf-8")
    assert f"All {exact_checks(view)[0]:,} exact values" in html or "exact values lie outside" in html


BIG_SEED = """
[meta]
name = "big-sweep"

[run]
horizon_h = 400.0
warmup_h = 20.0
replications = 2
seed = 9

[fleet]
calls_per_h = 0.2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[costs]
technician_per_h = 30.0

[sweep]
"fleet.calls_per_h" = [0.1, 0.2, 0.3, 0.4]
"territories.technicians" = [1, 2]
"""


def big_run(base: Path, n: int) -> Path:
    """A run folder shaped like an ``n``-point sweep (40 call rates x n/40 staffing levels),
    its rows tiled from an 8-point real run: the report sees what a real sweep gives it."""
    real = read_run(make_run(base / "seed", BIG_SEED, records=False))
    man = copy.deepcopy(real.manifest)
    src = man["design_points"]
    points, summ, reps, series = [], [], [], []
    for i in range(n):
        rate, tech = round(0.01 * (i % 40 + 1), 2), i // 40 + 1
        s = src[i % len(src)]
        dp = f"dp{i:04d}"
        entry = copy.deepcopy(s)
        entry["id"] = dp
        entry["params"] = {"fleet.calls_per_h": rate, "territories.technicians": tech}
        entry["scenario"]["fleet"]["calls_per_h"] = rate
        entry["scenario"]["territories"]["technicians"] = tech
        points.append(entry)
        for table, out in ((real.summary, summ), (real.replications, reps), (real.series, series)):
            rows = table[table["design_point"] == s["id"]].copy()
            rows["design_point"] = dp
            out.append(rows)
    man["design_points"] = points
    man["tasks"] = [{**t, "design_point": p["id"]} for p in points for t in man["tasks"][:2]]
    return write_run(
        base / "runs",
        run_id(f"big-{n}", f"{n:08d}"),
        man,
        pd.concat(reps, ignore_index=True),
        pd.concat(summ, ignore_index=True),
        None,
        pd.concat(series, ignore_index=True),
    )
