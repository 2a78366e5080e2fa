"""Validation section: the simulation against the queueing formulas (exact or approximate),
the exact values outside their interval, and the mean wait against utilization."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .approximations import approximation_table
from .data import (
    RunView,
    esc,
    is_share,
    kpi_title,
    outside_ci,
    sweep_axis,
)
from .plotting import (
    APPROX,
    EXACT,
    PALETTE,
    base_layout,
    fmt_value,
    series_colors,
    sig,
)
from .section import Chart, Section
from .sweep import sweep_figure

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


#: rows of the table of exact values outside their interval (the rest: summary.csv)
MAX_FAILURE_ROWS = 100


def _kpi_order(kpis: Sequence[str]) -> list[str]:
    def rank(k: str) -> tuple[int, str]:
        for i, prefix in enumerate(VALIDATION_ORDER):
            if k == prefix or (prefix.endswith("_") and k.startswith(prefix)):
                return i, k
        return len(VALIDATION_ORDER), k

    return sorted(kpis, key=rank)


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
            f"<td>{esc(r['analytic_model'])}</td><td class=num>{fmt_value(r['analytic'], share)}</td>"
            f"<td class=num>{fmt_value(r['mean'], share)} [{fmt_value(r['ci_low'], share)}, "
            f"{fmt_value(r['ci_high'], share)}]</td></tr>"
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
    colors = series_colors(axis.series[p.id] for p in view.points)
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
