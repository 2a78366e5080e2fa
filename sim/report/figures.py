"""Plotly figures of the report, one builder per section.

Each builder returns ``None`` when the run lacks the data for it, so the page
shows only sections that have something to say.  Every text that comes from
the run (names, labels, parameters) is HTML-escaped before it reaches plotly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.stats import welch_moving_average

from .approximations import approximation_table
from .data import (
    ALL,
    MANY_POINTS,
    Axis,
    Point,
    RunView,
    _evenly,
    esc,
    finite,
    is_share,
    kpi_title,
    outside_ci,
    per_class,
    staffing,
    sweep_axis,
    target_text,
    wait_tail,
)

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
)
FAIL = "#d62728"
EXACT = "#111111"
APPROX = "#6b6b6b"
CLASS_SYMBOLS = ("circle", "triangle-up", "triangle-down", "square", "pentagon", "star-diamond")

#: the KPIs of validation charts, in the order the dropdown lists them
VALIDATION_ORDER = (
    "wait_h",
    "p_wait",
    "p_wait_gt_",
    "response_h",
    "restore_h",
    "queue_len",
    "machines_down",
    "utilization",
    "utilization_onsite",
    "calls_per_day",
    "sla_met",
)
PARTS_KPIS = (
    "fill_rate_van",
    "fill_rate_depot",
    "first_time_fix",
    "visits_per_call",
    "part_wait_h",
    "restore_h",
    "van_on_hand",
    "van_backorders",
    "depot_on_hand",
    "depot_backorders",
    "emergency_per_day",
    "parts_cost_per_day",
)
PARTS_TRIGGERS = ("fill_rate_van", "fill_rate_depot", "first_time_fix", "visits_per_call", "part_wait_h")
GEO_KPIS = ("trip_km", "trip_h", "travel_share", "off_territory_share", "response_h")
# off-territory trips alone (pooled teams without travel) do not make a geography view
GEO_TRIGGERS = ("trip_km", "trip_h", "travel_share")


@dataclass
class Chart:
    """One figure and the words under it."""

    id: str
    figure: go.Figure
    caption: str = ""  # HTML (already escaped)
    tall: bool = False


@dataclass
class Section:
    id: str
    title: str
    intro: str  # HTML (already escaped)
    charts: list[Chart] = field(default_factory=list)
    html: str = ""  # extra HTML after the charts
    nav: str = ""  # short name in the navigation bar (default: the title)


def base_layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = dict(
        template="plotly_white",
        font=dict(size=14),
        margin=dict(l=70, r=20, t=80, b=60),
        hoverlabel=dict(align="left"),
        autosize=True,
        legend=dict(font=dict(size=13)),
    )
    layout.update(extra)
    return layout


def _kpi_axis(kpi: str) -> dict[str, Any]:
    return dict(
        title=dict(text=esc(kpi_title(kpi))),
        tickformat=".0%" if is_share(kpi) else "",
        rangemode="tozero",
        automargin=True,
    )


def _x_axis(axis: Axis) -> dict[str, Any]:
    out: dict[str, Any] = dict(title=dict(text=esc(axis.title)), automargin=True)
    if not axis.numeric:
        out.update(type="category", categoryorder="array", categoryarray=axis.categories, tickangle=-30)
    return out


def _kpi_order(kpis: Sequence[str]) -> list[str]:
    def rank(k: str) -> tuple[int, str]:
        for i, prefix in enumerate(VALIDATION_ORDER):
            if k == prefix or (prefix.endswith("_") and k.startswith(prefix)):
                return i, k
        return len(VALIDATION_ORDER), k

    return sorted(kpis, key=rank)


def _has_class_rows(kpi: str) -> bool:
    return per_class(kpi)


def _series_colors(names: Iterable[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(dict.fromkeys(names))}


def _class_symbols(view: RunView) -> dict[str, str]:
    names = list(dict.fromkeys(c for p in view.points for c in view.classes(p.id)))
    return {c: CLASS_SYMBOLS[i % len(CLASS_SYMBOLS)] for i, c in enumerate(names)}


def _dropdown(
    labels: Sequence[str], visibility: Sequence[list[bool]], relayouts: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return dict(
        type="dropdown",
        direction="down",
        x=0.0,
        xanchor="left",
        y=1.02,
        yanchor="bottom",
        showactive=True,
        active=0,
        pad=dict(r=4, t=4),
        buttons=[
            dict(label=lbl, method="update", args=[{"visible": vis}, rel])
            for lbl, vis, rel in zip(labels, visibility, relayouts, strict=True)
        ],
    )


def sig(values: Any, digits: int = 5) -> np.ndarray:
    """Values rounded to ``digits`` significant digits: what a chart can show, and a
    third of the JSON of full doubles."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(np.isfinite(v) & (v != 0), np.floor(np.log10(np.abs(v))), 0.0)
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(np.isfinite(v), np.round(v * scale) / scale, v)


def _fmt(x: float, share: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.1%}" if share else f"{x:.4g}"


# ---------------------------------------------------------------------------
# 2. validation (and 7. parts / geography, which reuse the sweep chart without formulas)


def _sweep_traces(
    view: RunView, axis: Axis, kpi: str, with_analytic: bool, colors: dict[str, str], symbols: dict[str, str]
) -> tuple[list[go.Scatter], int, int]:
    """Simulated means with CIs per series and class, the analytic values, the failures."""
    traces: list[go.Scatter] = []
    checks = failures = 0
    classes = [ALL]
    if _has_class_rows(kpi):
        classes = list(dict.fromkeys(c for p in view.points for c in view.classes(p.id)))
    share = is_share(kpi)
    fail_x: list[Any] = []
    fail_y: list[float] = []
    fail_text: list[str] = []
    shown_legend = {"exact": False, "approx": False}
    for cls in classes:
        rows = view.rows(kpi, cls)
        rows = rows[[dp in axis.drawn and cls in view.classes(dp) for dp in rows["design_point"]]]
        rows = rows[np.isfinite(rows["mean"].astype(float))]
        if rows.empty:
            continue
        series = [axis.series.get(dp, "") for dp in rows["design_point"]]
        for name in dict.fromkeys(series):
            sub = rows[[s == name for s in series]]
            pts: list[Point] = [view.point(dp) for dp in sub["design_point"]]  # type: ignore[misc]
            x = [axis.x[p.id] for p in pts]
            cls_txt = "" if cls == ALL else f" · {esc(cls)} calls"
            label = (name or "simulated") + cls_txt
            hover = [
                f"{esc(p.label) if axis.compact else p.hover}<br>{esc(kpi_title(kpi))}{cls_txt}: "
                f"<b>{_fmt(m, share)}</b> "
                f"[{_fmt(lo, share)}, {_fmt(hi, share)}] (95% CI, n={int(n)})"
                for p, m, lo, hi, n in zip(
                    pts, sub["mean"], sub["ci_low"], sub["ci_high"], sub["n"], strict=True
                )
            ]
            mean = sub["mean"].astype(float).to_numpy()
            lo = sub["ci_low"].astype(float).to_numpy()
            hi = sub["ci_high"].astype(float).to_numpy()
            color = colors.get(name, PALETTE[0])
            sim = go.Scatter(
                x=x,
                y=sig(mean),
                mode="markers" + ("+lines" if axis.numeric else ""),
                name=label,
                legendgroup=label,
                offsetgroup=cls,
                legendrank=100 + len(traces),
                marker=dict(
                    color=color, size=10, symbol=symbols.get(cls, "circle"), line=dict(width=1, color="white")
                ),
                line=dict(color=color, width=1.5),
                error_y=dict(
                    type="data",
                    array=sig(hi - mean),
                    arrayminus=sig(mean - lo),
                    thickness=1.8,
                    width=6,
                    color=color,
                ),
                hovertext=None if axis.compact else hover,
                hoverinfo="x+y+name" if axis.compact else "text",
            )
            if not with_analytic or "analytic" not in sub:
                traces.append(sim)
                continue
            ana = sub["analytic"].astype(float).to_numpy()
            exact = sub["analytic_exact"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            models = sub["analytic_model"].fillna("").astype(str).to_numpy()
            # formulas first, so the simulated dots and their intervals are drawn on top
            for kind, mask in (("exact", exact & np.isfinite(ana)), ("approx", ~exact & np.isfinite(ana))):
                if not mask.any():
                    continue
                idx = np.flatnonzero(mask)
                is_exact = kind == "exact"
                col = EXACT if is_exact else APPROX
                traces.append(
                    go.Scatter(
                        x=[x[i] for i in idx],
                        y=sig(ana[idx]),
                        mode="markers" + ("+lines" if axis.numeric else ""),
                        name="exact formula" if is_exact else "approximation",
                        legendgroup=kind,
                        showlegend=not shown_legend[kind],
                        offsetgroup=cls,
                        legendrank=900 if is_exact else 901,
                        marker=dict(
                            symbol="diamond" if is_exact else "diamond-open",
                            size=16,
                            color=col,
                            line=dict(width=2, color=col),
                        ),
                        line=dict(color=col, width=2, dash="solid" if is_exact else "dash"),
                        hovertext=None
                        if axis.compact
                        else [
                            f"{pts[i].hover}<br>{esc(models[i])} "
                            f"({'exact' if is_exact else 'approximation'}): "
                            f"<b>{_fmt(ana[i], share)}</b>{cls_txt}"
                            for i in idx
                        ],
                        hoverinfo="x+y+name" if axis.compact else "text",
                    )
                )
                shown_legend[kind] = True
            traces.append(sim)
            ok = exact & np.isfinite(ana)
            checks += int(ok.sum())
            bad = ok & outside_ci(ana, lo, hi)
            for i in np.flatnonzero(bad):
                failures += 1
                fail_x.append(x[i])
                fail_y.append(float(ana[i]))
                fail_text.append(
                    f"{pts[i].hover}<br><b>exact {esc(models[i])} value "
                    f"{_fmt(ana[i], share)} outside the 95% CI</b> "
                    f"[{_fmt(lo[i], share)}, {_fmt(hi[i], share)}]{cls_txt}"
                )
    if fail_x:
        traces.append(
            go.Scatter(
                x=fail_x,
                y=fail_y,
                mode="markers",
                name="exact value outside 95% CI",
                legendrank=999,
                marker=dict(symbol="x-thin-open", size=22, color=FAIL, line=dict(width=4, color=FAIL)),
                hovertext=fail_text,
                hoverinfo="text",
            )
        )
    return traces, checks, failures


def sweep_figure(
    view: RunView, kpis: Sequence[str], with_analytic: bool, title: str
) -> tuple[go.Figure, dict[str, tuple[int, int]]] | None:
    axis = sweep_axis(view)
    colors = _series_colors(axis.series[p.id] for p in view.points)
    symbols = _class_symbols(view)
    fig = go.Figure()
    per_kpi: list[tuple[str, int, int]] = []
    stats: dict[str, tuple[int, int]] = {}
    for kpi in kpis:
        traces, checks, failures = _sweep_traces(view, axis, kpi, with_analytic, colors, symbols)
        if not traces:
            continue
        start = len(fig.data)
        fig.add_traces(traces)
        per_kpi.append((kpi, start, len(fig.data)))
        stats[kpi] = (checks, failures)
    if not per_kpi:
        return None
    n = len(fig.data)
    first = per_kpi[0]
    for i, tr in enumerate(fig.data):
        tr.visible = first[1] <= i < first[2]
    layout = base_layout(
        title=dict(text=esc(title), x=0.5, xanchor="center"),
        xaxis=_x_axis(axis),
        yaxis=_kpi_axis(first[0]),
    )
    if not axis.numeric:
        layout["scattermode"] = "group"
        layout["scattergap"] = 0.6
    if len(per_kpi) > 1:
        labels, vis, rel = [], [], []
        for kpi, a, b in per_kpi:
            checks, fails = stats[kpi]
            extra = f"  ({fails} outside CI)" if fails else ""
            labels.append(esc(kpi_title(kpi, with_unit=False)) + extra)
            vis.append([a <= i < b for i in range(n)])
            y = _kpi_axis(kpi)
            rel.append({"yaxis.title.text": y["title"]["text"], "yaxis.tickformat": y["tickformat"]})
        layout["updatemenus"] = [_dropdown(labels, vis, rel)]
    fig.update_layout(**layout)
    return fig, stats


def validation_section(view: RunView) -> Section | None:
    s = view.summary
    if not view.usable or "analytic" not in s:
        return None
    has = s.groupby("kpi")["analytic"].apply(lambda v: bool(np.isfinite(v.astype(float)).any()))
    kpis = _kpi_order([k for k, ok in has.items() if ok])
    if not kpis:
        return None
    built = sweep_figure(view, kpis, True, "Simulated (95% CI) against the closed form")
    if built is None:
        return None
    fig, _ = built
    verdict = exact_verdict(*exact_checks(view))
    intro = (
        "Each dot is a simulated mean with its 95% confidence interval over replications. "
        "Black filled diamonds (solid lines) are formulas that are <em>exact</em> for the "
        "scenario; grey open diamonds (dashed) are <em>approximations</em>, where a gap shows "
        "how far the textbook formula can be trusted. Choose the KPI in the menu. "
        f"{verdict} With 95% intervals about one exact check in twenty misses by chance; "
        "a miss that repeats across points or grows with the sweep is a real disagreement."
    )
    if sweep_axis(view).note:
        intro += " " + sweep_axis(view).note
    charts = [Chart("validation", fig, tall=True)]
    util = utilization_figure(view)
    if util is not None:
        charts.append(
            Chart(
                "validation-util",
                util,
                "Mean wait against technician utilization: waiting grows steeply as "
                "utilization approaches 1.",
            )
        )
    return Section(
        "validation",
        "Validation: simulation against queueing formulas",
        intro,
        charts,
        _failure_table(view) + approximation_table(view),
        nav="Validation",
    )


def exact_checks(view: RunView) -> tuple[int, int, list[str]]:
    """(exact values compared, how many lie outside their 95% CI, titles of those KPIs),
    over every row of the summary the report shows (all design points, not only drawn ones)."""
    s = view.summary
    ana = s["analytic"].astype(float)
    exact = s["analytic_exact"].astype("boolean").fillna(False).to_numpy(dtype=bool) & np.isfinite(ana)
    shown = np.array(
        [c in view.classes(str(dp)) for dp, c in zip(s["design_point"], s["class"], strict=True)], dtype=bool
    )
    ok = exact & shown
    outside = ok & outside_ci(ana, s["ci_low"], s["ci_high"])
    failing = [kpi_title(k, False) for k in dict.fromkeys(s.loc[outside, "kpi"])]
    return int(ok.sum()), int(outside.sum()), failing


def exact_verdict(checks: int, fails: int, failing: Sequence[str]) -> str:
    """The sentence on the exact checks, true for any count."""
    if checks == 0:
        return "No formula is exact for this scenario, so every comparison here is with an approximation."
    if fails:
        return (
            f"<strong>{fails:,} of {checks:,}</strong> exact value{'s' if checks > 1 else ''} "
            f"{'lie' if fails > 1 else 'lies'} outside the simulated 95% confidence interval "
            f"(red crosses; KPIs: {esc(', '.join(failing))})."
        )
    if checks == 1:
        return "The one exact value lies inside its simulated 95% confidence interval."
    return f"All {checks:,} exact values lie inside the simulated 95% confidence intervals."


def _failure_table(view: RunView) -> str:
    s = view.summary
    exact = s["analytic_exact"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    ana = s["analytic"].astype(float)
    shown = np.array(
        [c in view.classes(dp) for dp, c in zip(s["design_point"], s["class"], strict=True)], dtype=bool
    )
    outside = outside_ci(ana, s["ci_low"], s["ci_high"])
    bad = s[exact & outside & shown]
    if bad.empty:
        return ""
    rows = []
    for _, r in bad.head(MAX_FAILURE_ROWS).iterrows():
        p = view.point(r["design_point"])
        share = is_share(r["kpi"])
        rows.append(
            f"<tr><td>{esc(r['design_point'])}</td><td>{esc(p.label if p else '')}</td>"
            f"<td>{esc(r['class'])}</td><td>{esc(kpi_title(r['kpi']))}</td>"
            f"<td>{esc(r['analytic_model'])}</td><td class=num>{_fmt(r['analytic'], share)}</td>"
            f"<td class=num>{_fmt(r['mean'], share)} [{_fmt(r['ci_low'], share)}, "
            f"{_fmt(r['ci_high'], share)}]</td></tr>"
        )
    more = (
        f"<p class=caption>The first {len(rows)} of {len(bad):,}; every row is in "
        "<code>summary.csv</code>.</p>"
        if len(bad) > len(rows)
        else ""
    )
    return (
        "<details><summary>Exact values outside the 95% CI "
        f"({len(bad):,})</summary>{more}<div class=table-wrap><table class=data><thead><tr>"
        "<th>point</th><th>design</th><th>class</th><th>KPI</th><th>model</th>"
        "<th>exact</th><th>simulated [95% CI]</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></details>"
    )


def utilization_figure(view: RunView) -> go.Figure | None:
    w = view.rows("wait_h").set_index("design_point")
    u = view.rows("utilization").set_index("design_point")
    axis = sweep_axis(view)
    common = [p for p in view.points if p.id in w.index and p.id in u.index and p.id in axis.drawn]
    if len(common) < 3:
        return None
    um = u.loc[[p.id for p in common], "mean"].astype(float)
    if um.round(2).nunique() < 3 or not np.isfinite(um).all():
        return None
    colors = _series_colors(axis.series[p.id] for p in view.points)
    fig = go.Figure()
    series = [axis.series[p.id] for p in common]
    shown = {"exact": False, "approx": False}
    for name in dict.fromkeys(series):
        pts = [p for p, s in zip(common, series, strict=True) if s == name]
        ids = [p.id for p in pts]
        x = u.loc[ids, "mean"].astype(float).to_numpy()
        y = w.loc[ids, "mean"].astype(float).to_numpy()
        order = np.argsort(x)
        color = colors.get(name, PALETTE[0])
        sim = go.Scatter(
            x=sig(x),
            y=sig(y),
            mode="markers",
            name=name or "simulated",
            legendgroup=name,
            legendrank=100,
            marker=dict(size=11, color=color),
            error_y=dict(
                type="data",
                array=w.loc[ids, "ci_high"].astype(float).to_numpy() - y,
                arrayminus=y - w.loc[ids, "ci_low"].astype(float).to_numpy(),
                width=6,
            ),
            error_x=dict(
                type="data",
                array=u.loc[ids, "ci_high"].astype(float).to_numpy() - x,
                arrayminus=x - u.loc[ids, "ci_low"].astype(float).to_numpy(),
                width=0,
            ),
            hovertext=[
                f"{esc(p.label) if axis.compact else p.hover}<br>utilization {xi:.1%}, "
                f"mean wait <b>{yi:.3g} h</b>"
                for p, xi, yi in zip(pts, x, y, strict=True)
            ],
            hoverinfo="text",
        )
        ua = u.loc[ids, "analytic"].astype(float).to_numpy()
        wa = w.loc[ids, "analytic"].astype(float).to_numpy()
        ex = w.loc[ids, "analytic_exact"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        for kind, mask in (("exact", ex), ("approx", ~ex)):
            mask = mask & np.isfinite(ua) & np.isfinite(wa)
            if not mask.any():
                continue
            idx = [i for i in order if mask[i]]
            is_exact = kind == "exact"
            col = EXACT if is_exact else APPROX
            fig.add_trace(
                go.Scatter(
                    x=sig(ua[idx]),
                    y=sig(wa[idx]),
                    mode="markers+lines" if axis.numeric else "markers",
                    name="exact formula" if is_exact else "approximation",
                    legendgroup=kind,
                    showlegend=not shown[kind],
                    legendrank=900 if is_exact else 901,
                    marker=dict(
                        symbol="diamond" if is_exact else "diamond-open",
                        size=14,
                        color=col,
                        line=dict(width=2, color=col),
                    ),
                    line=dict(color=col, dash="solid" if is_exact else "dash"),
                    hovertext=[
                        f"{esc(pts[i].label) if axis.compact else pts[i].hover}<br>formula: utilization "
                        f"{ua[i]:.1%}, wait {wa[i]:.3g} h"
                        for i in idx
                    ],
                    hoverinfo="text",
                )
            )
            shown[kind] = True
        fig.add_trace(sim)  # on top of the formulas
    fig.update_layout(
        **base_layout(
            title=dict(text="Mean wait against utilization", x=0.5, xanchor="center"),
            xaxis=dict(
                title=dict(text="technician utilization (busy time / available time)"),
                tickformat=".0%",
                automargin=True,
            ),
            yaxis=dict(title=dict(text="mean wait (h)"), rangemode="tozero", automargin=True),
        )
    )
    return fig


# ---------------------------------------------------------------------------
# 3. trade-offs


def _costs(view: RunView) -> tuple[dict[str, float], str, str] | None:
    """Cost of each point, the axis title (with its unit) and where the cost comes from."""
    cur = view.currency
    obj = view.targets.objective
    for kpi in ([obj] if obj else []) + ["cost_per_day"]:
        if kpi is not None and view.has_kpi(kpi):
            rows = view.rows(kpi)
            return (
                {
                    dp: float(m)
                    for dp, m in zip(rows["design_point"], rows["mean"], strict=True)
                    if np.isfinite(float(m))
                },
                f"{kpi_title(kpi, currency=cur)}, mean",
                f"Cost: the run's <code>{esc(kpi)}</code>"
                + (" (the scenario's objective)." if kpi == obj else " (its cost model)."),
            )
    listed = [d for d in view.manifest.get("design_points") or [] if isinstance(d, dict)]
    study = view.manifest.get("study")
    dc = study.get("design_cost") if isinstance(study, dict) else None
    if isinstance(dc, dict) and isinstance(dc.get("key"), str):
        # a study's own cost of each design point (see sim.studies)
        key, title, unit = dc["key"], str(dc.get("title") or dc["key"]), str(dc.get("unit") or "")
        nums = {str(d.get("id")): float(d[key]) for d in listed if finite([d.get(key)])}
        unpriced = [str(d.get("id")) for d in listed if not finite([d.get(key)])]
        note = f"Cost: the study's {esc(title)} of each design point, from the manifest."
        if unpriced:
            labels = [pt.label if (pt := view.point(dp)) else dp for dp in unpriced]
            note += f" Not priced, so not shown ({len(unpriced)}): {esc('; '.join(labels))}."
        if nums:
            unit = " ".join(w for w in (cur, unit) if w)
            return nums, f"{title} ({unit})" if unit else title, note
    known = [p for p in view.points if p.system is not None]
    if not known:
        return None
    units = {staffing(p.system)[1] for p in known}
    if len(units) > 1:  # mixed finite and Poisson fleets: count heads
        costs = {p.id: float(p.system.technicians) for p in known}
        title = "technicians (territories x technicians per territory)"
    else:
        costs = {p.id: staffing(p.system)[0] for p in known}
        title = units.pop()
    note = (
        f"No cost data in this run: staffing ({esc(title)}) is the cost proxy. Equipment, "
        "travel, parts and training costs are not counted, so designs that change only "
        "those look free."
    )
    missing = [p.id for p in view.points if p.system is None]
    if missing:
        note += (
            f" Left out ({len(missing)}): {esc(', '.join(missing))}, whose scenario the "
            "manifest does not hold."
        )
    return costs, title, note


#: rows of the table of exact values outside their interval (the rest: summary.csv)
MAX_FAILURE_ROWS = 100
#: design points in the time-series menu (evenly spread over the run's points)
MAX_TS_POINTS = 12

#: marker symbols of the trade-off chart's series, told apart without colour too
SERIES_SYMBOLS = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "triangle-down",
    "pentagon",
    "hexagon",
    "star-triangle-up",
    "hourglass",
    "cross",
    "x",
    "bowtie",
)


def dodge(x: np.ndarray, y: np.ndarray, width: float) -> np.ndarray:
    """Offsets along x that set markers at the same (x, y) side by side.

    Points whose x values are within ``width`` and whose y values are within 3 % of
    the y range of each other form a cluster; each cluster is spread over
    ``width`` per marker, centred on its mean x.  Hover texts keep the true x.
    """
    n = len(x)
    out = np.zeros(n)
    if n < 2 or width <= 0:
        return out
    yr = float(np.nanmax(y) - np.nanmin(y)) or 1.0
    done = np.zeros(n, dtype=bool)
    order = np.lexsort((y, x))
    for i in order:
        if done[i]:
            continue
        near = [j for j in order if not done[j] and abs(x[j] - x[i]) < width and abs(y[j] - y[i]) < 0.03 * yr]
        if len(near) > 1:
            for k, j in enumerate(near):
                out[j] = (k - (len(near) - 1) / 2) * width
        for j in near:
            done[j] = True
    return out


def _best(view: RunView, ids: Sequence[str], cost: dict[str, float]) -> tuple[list[str], str]:
    """The designs that meet every target and are best by the objective (else cheapest)."""
    v = view.verdicts()
    ok = [dp for dp in ids if v.get(dp) == "yes"]
    if not ok:
        return [], ""
    obj = view.targets.objective
    if obj is not None and view.has_kpi(obj):
        r = view.rows(obj).set_index("design_point")["mean"].astype(float)
        vals = {dp: float(r.get(dp, math.nan)) for dp in ok}
        vals = {dp: x for dp, x in vals.items() if np.isfinite(x)}
        by = "lowest" if view.targets.minimize else "highest"
        what = f"{by} {kpi_title(obj, False)}"
        if not view.targets.minimize:
            vals = {dp: -x for dp, x in vals.items()}
    else:
        vals = {dp: cost[dp] for dp in ok}
        what = "cheapest"
    if not vals:
        return [], ""
    m = min(vals.values())
    return [dp for dp, x in vals.items() if math.isclose(x, m, rel_tol=1e-9, abs_tol=1e-12)], what


def tradeoff_section(view: RunView) -> Section | None:
    targets = view.targets
    ykpi, ycls = ("wait_h", ALL)
    if targets.require:
        ykpi, ycls = targets.require[0].kpi, targets.require[0].cls
    if len(view.points) < 2 or not view.has_kpi(ykpi):
        return None
    costs = _costs(view)
    if costs is None:
        return None
    cost, xtitle, note = costs
    w = view.rows(ykpi, ycls)
    w = w[w["design_point"].isin(list(cost))]
    w = w[np.isfinite(w["mean"].astype(float))]
    if len(w) < 2:
        return None
    cur = view.currency
    share = is_share(ykpi)
    yname = kpi_title(ykpi, False) + ("" if ycls == ALL else f" ({ycls} calls)")
    ytitle = kpi_title(ykpi, currency=cur) + ("" if ycls == ALL else f", {ycls} calls")
    axis = sweep_axis(view)
    ids = [str(dp) for dp in w["design_point"]]
    pts = [view._by_id[dp] for dp in ids]
    mean = w["mean"].astype(float).to_numpy()
    lo = w["ci_low"].astype(float).to_numpy()
    hi = w["ci_high"].astype(float).to_numpy()
    x = np.array([cost[dp] for dp in ids])
    verdict = view.verdicts()
    many = len(ids) > MANY_POINTS
    xr = float(x.max() - x.min())
    width = 0.012 * (xr if xr > 0 else max(abs(float(x.max())), 1.0))
    xs = x + (dodge(x, mean, width) if not many else 0.0)
    series = [axis.series.get(dp, "") for dp in ids]
    names = list(dict.fromkeys(series))
    colors = _series_colors(names)
    symbols = {n: SERIES_SYMBOLS[i % len(SERIES_SYMBOLS)] for i, n in enumerate(names)}
    best, best_by = _best(view, ids, cost)
    fig = go.Figure()
    words = {
        "yes": "meets every target",
        "no": "misses a target",
        "unclear": "not distinguishable from a target",
    }

    def fx(v: float) -> str:
        return f"{v:,.4g}"

    def fy(v: float) -> str:
        return _fmt(v, share)

    for name in names:
        idx = [i for i, s in enumerate(series) if s == name]
        if targets.require:
            sym = [symbols[name] + ("" if verdict.get(ids[i]) == "yes" else "-open") for i in idx]
        else:
            sym = [symbols[name]] * len(idx)
        if many:
            hover = [f"{esc(pts[i].label)}<br>{fx(x[i])} · {fy(mean[i])}" for i in idx]
        else:
            hover = [
                f"{pts[i].hover}<br>{esc(xtitle)}: <b>{fx(x[i])}</b><br>{esc(yname)} "
                f"<b>{fy(mean[i])}</b> [{fy(lo[i])}, {fy(hi[i])}]"
                + (f"<br>{words.get(verdict.get(ids[i], ''), '')}" if targets.require else "")
                for i in idx
            ]
        fig.add_trace(
            go.Scatter(
                x=sig(xs[idx]),
                y=sig(mean[idx]),
                mode="markers",
                name=name or "design points",
                legendrank=100,
                marker=dict(
                    size=8 if many else 13,
                    color=colors[name],
                    symbol=sym,
                    line=dict(width=2, color=colors[name]),
                ),
                error_y=None
                if many
                else dict(
                    type="data",
                    array=sig(hi[idx] - mean[idx]),
                    arrayminus=sig(mean[idx] - lo[idx]),
                    width=5,
                    color=colors[name],
                ),
                hovertext=hover,
                hoverinfo="text",
            )
        )
    if best:
        idx = [ids.index(dp) for dp in best]
        fig.add_trace(
            go.Scatter(  # drawn last, a ring around the design points so they stay visible
                x=xs[idx],
                y=mean[idx],
                mode="markers",
                name=f"best that meets the targets ({best_by})",
                legendrank=999,
                marker=dict(
                    symbol="star-open", size=34, color="#b8860b", line=dict(width=3, color="#b8860b")
                ),
                hovertext=[f"{pts[i].hover}<br><b>best design that meets every target</b>" for i in idx],
                hoverinfo="text",
            )
        )
    for t in targets.require:
        if t.kpi == ykpi and t.cls == ycls:
            fig.add_hline(
                y=t.bound,
                line=dict(color=FAIL, dash="dash", width=2),
                annotation_text=f"target: {esc(yname)} {esc(target_text(t, cur))}",
                annotation_position="top right",
            )
    yaxis = dict(title=dict(text=esc(ytitle)), rangemode="tozero", automargin=True)
    if share:
        yaxis["tickformat"] = ".0%"
    fig.update_layout(
        **base_layout(
            title=dict(text=f"{esc(xtitle.split(' (')[0])} against {esc(yname)}", x=0.5, xanchor="center"),
            xaxis=dict(
                title=dict(text=esc(xtitle)),
                type="linear",
                automargin=True,
                separatethousands=True,
                exponentformat="none",
                rangemode="tozero",
                zeroline=True,
            ),
            yaxis=yaxis,
            legend=dict(title=dict(text=esc(_legend_title(view))), font=dict(size=13)),
        )
    )
    intro = f"Every design point: {esc(xtitle.split(' (')[0])} against {esc(yname)}"
    intro += " (95% CI)." if not many else f" ({len(ids):,} points; error bars left out at this size)."
    if not many and np.any(dodge(x, mean, width) != 0):
        intro += " Markers at the same place are set side by side; hover shows their exact values."
    intro += f" {note} "
    other = [t for t in targets.require if not (t.kpi == ykpi and t.cls == ycls)]
    if targets.require:
        intro += (
            "Filled markers meet every target of the scenario with 95% confidence, open ones "
            "do not (or cannot be told apart at this precision); the dashed line is the "
            f"target on {esc(yname)}."
        )
        if other:
            intro += (
                " Other targets: " + esc(", ".join(target_text(t, cur) + f" on {t.kpi}" for t in other)) + "."
            )
        if best:
            label = "; ".join(f"{view._by_id[dp].label}" for dp in best)
            i = ids.index(best[0])
            intro += (
                f" <strong>Recommendation: {esc(label)}</strong> ({esc(best_by)} among the designs "
                f"that meet every target; {esc(xtitle)} {fx(x[i])}, {esc(yname)} {fy(mean[i])}), "
                "marked with a star."
            )
        else:
            intro += " <strong>No design meets every target at this precision.</strong>"
    else:
        intro += (
            "The scenario sets no targets (a <code>[targets]</code> section), so no design is "
            "marked as meeting them and none is recommended."
        )
    return Section(
        "tradeoffs",
        f"Trade-offs: {xtitle.split(' (')[0]} against {yname}",
        intro,
        [Chart("tradeoff", fig)],
        nav="Trade-offs",
    )


def _legend_title(view: RunView) -> str:
    if view.groups:
        return "study part"
    axis = sweep_axis(view)
    return "" if not any(axis.series.values()) else "series"


# ---------------------------------------------------------------------------
# 4. distributions


MAX_ECDF_POINTS = 8


def distribution_section(view: RunView) -> Section | None:
    calls = view.run.calls
    if calls is None or calls.empty or "design_point" not in calls:
        return None
    by_point = {str(k): g for k, g in calls.groupby("design_point", sort=False, observed=True)}
    present = set(by_point)
    pts = [p for p in view.points if p.id in present][:MAX_ECDF_POINTS]
    if not pts:
        return None
    waits: dict[str, np.ndarray] = {}
    for p in pts:
        sub = by_point[p.id]
        warm = view.warmup_h(p)
        if warm is not None and "logged_at" in sub:
            sub = sub[sub["logged_at"] >= warm]
        w = sub["wait_h"] if "wait_h" in sub else sub["dispatched_at"] - sub["logged_at"]
        w = np.sort(w.astype(float).to_numpy())
        w = w[np.isfinite(w)]
        if len(w):
            waits[p.id] = w
    if not waits:
        return None
    tmax = max(float(np.quantile(w, 0.995)) for w in waits.values()) or 1.0
    t = np.linspace(0.0, tmax, 300)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("P(wait ≤ t): empirical CDF", "P(wait > t): tail, log scale"),
    )
    colors = _series_colors(p.id for p in pts)
    notes = []
    for p in pts:
        if p.id not in waits:
            continue
        w = waits[p.id]
        cdf = np.searchsorted(w, t, side="right") / len(w)
        color = colors[p.id]
        name = f"{esc(p.label)}: simulated, {len(w):,} calls"
        extra = f"<extra>{p.hover}</extra>"
        fig.add_trace(
            go.Scatter(
                x=t,
                y=cdf,
                mode="lines",
                line=dict(color=color, width=6, shape="hv"),
                opacity=0.45,
                name=name,
                legendgroup=p.id,
                hovertemplate="simulated P(wait ≤ %{x:.3g} h) = %{y:.3f}" + extra,
            ),
            row=1,
            col=1,
        )
        tail = 1.0 - cdf
        keep = tail > 0
        fig.add_trace(
            go.Scatter(
                x=t[keep],
                y=tail[keep],
                mode="lines",
                showlegend=False,
                opacity=0.45,
                line=dict(color=color, width=6, shape="hv"),
                legendgroup=p.id,
                hovertemplate="simulated P(wait > %{x:.3g} h) = %{y:.4f}" + extra,
            ),
            row=1,
            col=2,
        )
        an = wait_tail(p.system) if p.system is not None else None
        if an is None:
            why = (
                "its scenario is not in the manifest"
                if p.system is None
                else "no closed-form tail (non-exponential service or priority dispatch)"
            )
            notes.append(f"{esc(p.label)}: {why}")
            continue
        at = an.fn(t)
        label = f"{esc(an.model)} formula ({'exact' if an.exact else 'approximation'})"
        for col, y, sym in ((1, 1.0 - at, "≤"), (2, at, ">")):
            keep = y > 0
            fig.add_trace(
                go.Scatter(
                    x=t[keep],
                    y=y[keep],
                    mode="lines",
                    name=f"{esc(p.label)}: {label}" if col == 1 else None,
                    legendgroup=f"{p.id}-formula",
                    showlegend=col == 1,
                    line=dict(color=_darker(color), width=2, dash="solid" if an.exact else "dash"),
                    hovertemplate=f"{label}: P(wait {sym} %{{x:.3g}} h) = %{{y:.4f}}" + extra,
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="wait t (h)", automargin=True)
    fig.update_yaxes(title_text="probability", automargin=True, row=1, col=1, range=[0, 1.02])
    fig.update_yaxes(
        title_text="probability (log)", type="log", automargin=True, row=1, col=2, exponentformat="power"
    )
    fig.update_layout(
        **base_layout(
            title=dict(
                text="Distribution of waits (calls logged after the warm-up)", x=0.5, xanchor="center"
            ),
            legend=dict(orientation="h", y=-0.2, yanchor="top", font=dict(size=13)),
        )
    )
    intro = (
        "Broad pale lines: the empirical distribution of every call's wait (calls logged "
        "after the warm-up, all replications). Thin dark lines: the closed form of the same "
        "point (solid when exact, dashed when approximate). The jump at t = 0 is the share of calls "
        "served at once; on the log scale an M/M/s tail is a straight line."
    )
    if len(present) > len(pts):
        intro += f" Showing the first {len(pts)} of {len(present)} design points."
    if notes:
        intro += " No formula drawn for " + "; ".join(notes) + "."
    return Section(
        "distributions",
        "Distribution of waiting times",
        intro,
        [Chart("distribution", fig)],
        nav="Distributions",
    )


# ---------------------------------------------------------------------------
# 5. time series


def timeseries_section(view: RunView) -> Section | None:
    series = view.run.series
    need = {"design_point", "replication", "t_h", "calls_waiting", "machines_down"}
    if series is None or series.empty or not need <= set(series.columns):
        return None
    dp_str = series["design_point"].astype(str)
    present = set(dp_str)
    present_pts = [p for p in view.points if p.id in present]
    pts = _evenly(present_pts, MAX_TS_POINTS)
    if not pts:
        return None
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("calls waiting", "machines down (broken, not yet restored)"),
    )
    groups: list[tuple[int, int]] = []
    shapes_per: list[list[dict[str, Any]]] = []
    w_used = 1
    for k, p in enumerate(pts):
        sub = series[dp_str == p.id]
        avg = sub.groupby("t_h")[["calls_waiting", "machines_down"]].mean().sort_index()
        nrep = sub["replication"].nunique()
        t = avg.index.to_numpy(dtype=float)
        w_used = max(1, round(len(t) / 40))
        start = len(fig.data)
        for row, col, title in ((1, "calls_waiting", "calls waiting"), (2, "machines_down", "machines down")):
            y = avg[col].to_numpy(dtype=float)
            fig.add_trace(
                go.Scatter(
                    x=sig(t),
                    y=sig(y),
                    mode="lines",
                    name=f"mean of {nrep} replications",
                    legendgroup="raw",
                    showlegend=row == 1,
                    visible=k == 0,
                    line=dict(color="#9ecae1", width=1),
                    hovertemplate=f"t = %{{x:,.0f}} h: {title} %{{y:.3g}} (mean of {nrep})"
                    f"<extra>{esc(p.label)}</extra>",
                ),
                row=row,
                col=1,
            )
            ma = welch_moving_average(y, w_used)  # Law's procedure: the last w points drop
            fig.add_trace(
                go.Scatter(
                    x=sig(t[: len(ma)]),
                    y=sig(ma),
                    mode="lines",
                    name=f"Welch moving average (window {2 * w_used + 1})",
                    legendgroup="welch",
                    showlegend=row == 1,
                    visible=k == 0,
                    line=dict(color="#08519c", width=3),
                    hovertemplate=f"t = %{{x:,.0f}} h: {title}, Welch average %{{y:.3g}}"
                    f"<extra>{esc(p.label)}</extra>",
                ),
                row=row,
                col=1,
            )
            kpi = "queue_len" if col == "calls_waiting" else "machines_down"
            ref = view.rows(kpi).set_index("design_point")
            if p.id in ref.index and np.isfinite(float(ref.loc[p.id, "mean"])):
                m = float(ref.loc[p.id, "mean"])
                fig.add_trace(
                    go.Scatter(
                        x=[t[0], t[-1]],
                        y=[m, m],
                        mode="lines",
                        name="time average after warm-up",
                        legendgroup="steady",
                        showlegend=row == 1,
                        visible=k == 0,
                        line=dict(color="#2ca02c", dash="dot", width=2),
                        hovertext=[f"{p.hover}<br>time average after warm-up: {m:.3g}"] * 2,
                        hoverinfo="text",
                    ),
                    row=row,
                    col=1,
                )
        groups.append((start, len(fig.data)))
        warm = view.warmup_h(p) or 0.0
        shapes: list[dict[str, Any]] = []
        if warm > 0:
            for yref in ("y domain", "y2 domain"):
                shapes.append(
                    dict(
                        type="rect",
                        xref="x",
                        yref=yref,
                        x0=0,
                        x1=warm,
                        y0=0,
                        y1=1,
                        fillcolor="#999",
                        opacity=0.15,
                        line=dict(width=0),
                        layer="below",
                    )
                )
                shapes.append(
                    dict(
                        type="line",
                        xref="x",
                        yref=yref,
                        x0=warm,
                        x1=warm,
                        y0=0,
                        y1=1,
                        line=dict(color=FAIL, width=2, dash="dash"),
                    )
                )
        shapes_per.append(shapes)
    warm0 = view.warmup_h(pts[0]) or 0.0
    layout = base_layout(
        title=dict(text="Levels over time (warm-up shaded)", x=0.5, xanchor="center"),
        shapes=shapes_per[0],
        annotations=list(fig.layout.annotations)
        + (
            [
                dict(
                    x=warm0,
                    y=1,
                    xref="x",
                    yref="y domain",
                    text="end of warm-up",
                    showarrow=False,
                    xanchor="left",
                    yanchor="top",
                    font=dict(color=FAIL),
                )
            ]
            if warm0 > 0
            else []
        ),
        legend=dict(orientation="h", y=-0.12, yanchor="top", font=dict(size=13)),
    )
    if len(pts) > 1:
        n = len(fig.data)
        layout["updatemenus"] = [
            _dropdown(
                [esc(p.label) for p in pts],
                [[a <= i < b for i in range(n)] for a, b in groups],
                [{"shapes": sh} for sh in shapes_per],
            )
        ]
    fig.update_layout(**layout)
    fig.update_xaxes(title_text="simulated time (h)", row=2, col=1, automargin=True)
    fig.update_yaxes(title_text="calls", row=1, col=1, rangemode="tozero", automargin=True)
    fig.update_yaxes(title_text="machines", row=2, col=1, rangemode="tozero", automargin=True)
    intro = (
        "The levels sampled at regular instants in every replication, averaged across "
        "replications at each instant (light), then smoothed with Welch's centred moving "
        f"average over {2 * w_used + 1} instants (dark). The shaded band is the warm-up, "
        "discarded from every statistic; where the dark line has flattened out is where the "
        "system has forgotten its empty start. The dotted line is the time average after the "
        "warm-up. Totals over all territories."
    )
    if len(pts) > 1:
        intro += " Choose the design point in the menu."
    if len(pts) < len(present_pts):
        intro += f" The menu offers {len(pts)} evenly spread of the {len(present_pts):,} design points."
    return Section(
        "timeseries",
        "Time series and warm-up",
        intro,
        [Chart("timeseries", fig, tall=True)],
        nav="Time series",
    )


# ---------------------------------------------------------------------------
# 6. teaching view

RHO_STEPS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05 .. 0.95
SERVERS = (1, 2, 3, 4)
TEACH_COLORS = ("#d62728", "#ff7f0e", "#2ca02c", "#1f77b4")
Y_MAX = 20.0


def _wq_in_service_times(rho: float, s: int) -> float:
    from sim.analytic import mms

    return mms(s * rho, 1.0, s).wq  # mu = 1: the wait in units of the mean service time


def teaching_figure(initial_rho: float = 0.75, service_h: float = 2.0) -> go.Figure:
    grid = np.round(np.concatenate([np.linspace(0.01, 0.9, 90), np.linspace(0.905, 0.98, 16)]), 4)
    fig = go.Figure()
    for s, color in zip(SERVERS, TEACH_COLORS, strict=True):
        y = [_wq_in_service_times(r, s) for r in grid]
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=y,
                mode="lines",
                name=f"{s} technician{'s' if s > 1 else ''} sharing one queue",
                line=dict(color=color, width=3),
                legendgroup=str(s),
                hovertemplate=f"M/M/{s}: utilization %{{x:.0%}}<br>wait %{{y:.2f}} service times"
                f"<extra></extra>",
            )
        )
    points0 = [_wq_in_service_times(initial_rho, s) for s in SERVERS]
    for s, color, y0 in zip(SERVERS, TEACH_COLORS, points0, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[initial_rho],
                y=[y0],
                mode="markers",
                showlegend=False,
                legendgroup=str(s),
                marker=dict(size=16, color=color, line=dict(width=2, color="white")),
                hovertemplate=f"M/M/{s} at utilization %{{x:.0%}}: wait %{{y:.2f}} service times"
                "<extra></extra>",
            )
        )
    n_curves = len(SERVERS)
    marker_idx = list(range(n_curves, 2 * n_curves))

    def note(rho: float, ys: Sequence[float]) -> str:
        bits = [f"{s} tech: {y:.2f} ({y * service_h:.2f} h)" for s, y in zip(SERVERS, ys, strict=True)]
        return (
            f"utilization {rho:.0%} — mean wait in service times (hours with "
            f"{service_h:g}-h repairs):<br>" + " · ".join(bits)
        )

    steps = []
    for rho in RHO_STEPS:
        ys = [_wq_in_service_times(rho, s) for s in SERVERS]
        steps.append(
            dict(
                method="update",
                label=f"{rho:.2f}",
                args=[
                    {"x": [[rho]] * n_curves, "y": [[y] for y in ys]},
                    {"annotations[0].text": note(rho, ys)},
                    marker_idx,
                ],
            )
        )
    active = min(range(len(RHO_STEPS)), key=lambda i: abs(RHO_STEPS[i] - initial_rho))
    fig.update_layout(
        **base_layout(
            title=dict(
                text="Waiting explodes as utilization approaches 1 — and pooling tames it",
                x=0.5,
                xanchor="center",
            ),
            xaxis=dict(
                title=dict(text="utilization ρ = λ / (s μ)"), range=[0, 1], tickformat=".0%", automargin=True
            ),
            yaxis=dict(
                title=dict(text="mean wait Wq (in mean service times)"), range=[0, Y_MAX], automargin=True
            ),
            margin=dict(l=70, r=20, t=110, b=40),
            legend=dict(x=0.02, y=0.98, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.8)"),
            annotations=[
                dict(
                    text=note(initial_rho, points0),
                    x=0.5,
                    y=1.0,
                    xref="paper",
                    yref="paper",
                    xanchor="center",
                    yanchor="bottom",
                    showarrow=False,
                    font=dict(size=14),
                )
            ],
            sliders=[
                dict(
                    active=active,
                    steps=steps,
                    currentvalue=dict(prefix="utilization ρ = "),
                    pad=dict(t=60, b=10),
                    len=1.0,
                    x=0,
                    xanchor="left",
                )
            ],
        )
    )
    return fig


def teaching_section(view: RunView | None = None) -> Section:
    intro = (
        "The M/M/s formula (Erlang C) at the same utilization for 1, 2, 3 and 4 technicians "
        "sharing one queue. Move the slider: the dots slide along their curves. With one "
        "technician the mean wait is ρ/(1−ρ) service times, so it doubles between 75% and 86% "
        "and grows without bound as ρ approaches 1. Pooling territories keeps each technician "
        "just as busy yet cuts the wait, because a call waits only when every technician of the "
        f"team is busy. At ρ = 0.75 one technician's calls wait {_wq_in_service_times(0.75, 1):.2g} "
        f"service times on average, a team of two's {_wq_in_service_times(0.75, 2):.2g}, "
        f"of four {_wq_in_service_times(0.75, 4):.2g}."
    )
    return Section(
        "teaching",
        "Teaching view: utilization and pooling",
        intro,
        [Chart("teaching", teaching_figure(), tall=True)],
        nav="Teaching view",
    )


# ---------------------------------------------------------------------------
# 7. parts and geography


def _kpi_section(view: RunView, sid: str, title: str, kpis: Sequence[str], intro: str) -> Section | None:
    present = [k for k in kpis if view.has_kpi(k)]
    if not present:
        return None
    built = sweep_figure(view, present, False, title)
    if built is None:
        return None
    if sweep_axis(view).note:
        intro += " " + sweep_axis(view).note
    return Section(sid, title, intro, [Chart(sid, built[0])], nav=title.split(" and ")[0])


def parts_section(view: RunView) -> Section | None:
    if not any(view.has_kpi(k) for k in PARTS_TRIGGERS):
        return None
    return _kpi_section(
        view,
        "parts",
        "Spare parts and first-time fix",
        PARTS_KPIS,
        "Fill rates, first-time fix, visits and part delays per design point "
        "(95% CIs). Choose the KPI in the menu.",
    )


def geography_section(view: RunView) -> Section | None:
    if not any(view.has_kpi(k, nonzero=True) for k in GEO_TRIGGERS):
        return None
    return _kpi_section(
        view,
        "geography",
        "Geography and travel",
        GEO_KPIS,
        "Trip lengths and the share of technician time spent travelling per "
        "design point (95% CIs). Choose the KPI in the menu.",
    )


def _darker(hex_color: str, factor: float = 0.6) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"#{int(r * factor):02x}{int(g * factor):02x}{int(b * factor):02x}"
