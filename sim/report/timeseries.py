"""Time-series section: calls waiting and machines down over time, averaged across
replications, Welch's moving average and the warm-up (needs ``timeseries.parquet``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.stats import welch_moving_average

from .data import (
    RunView,
    _evenly,
    esc,
)
from .plotting import (
    FAIL,
    base_layout,
    dropdown,
    sig,
)
from .section import Chart, Section

#: design points in the time-series menu (evenly spread over the run's points)
MAX_TS_POINTS = 12


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
            dropdown(
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
