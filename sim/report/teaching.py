"""Teaching view: the M/M/s wait against utilization for 1-4 technicians sharing one
queue, with a slider (always shown; needs no run data)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .data import (
    RunView,
)
from .plotting import (
    base_layout,
)
from .section import Chart, Section

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
