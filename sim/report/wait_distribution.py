"""Distribution section: the empirical distribution of waits (calls logged after the
warm-up) against the closed-form tail where there is one (needs ``calls.parquet``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .data import (
    RunView,
    esc,
    wait_tail,
)
from .plotting import (
    base_layout,
    darker,
    series_colors,
)
from .section import Chart, Section

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
    colors = series_colors(p.id for p in pts)
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
                    line=dict(color=darker(color), width=2, dash="solid" if an.exact else "dash"),
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
