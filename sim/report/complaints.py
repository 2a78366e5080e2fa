"""Complaints and satisfaction section: per class and design point, complaints per 100
calls, complaints resolved in time, their handling time and the mean satisfaction score,
as grouped bars with their confidence intervals (a menu picks the KPI).

Shown for a run with ``[complaints]`` or ``[satisfaction]``; otherwise ``None``.  The
satisfaction score is a model, not data: the section says so.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .data import ALL, RunView, esc, kpi_title
from .plotting import PALETTE, base_layout, dropdown, kpi_axis
from .section import Chart, Section

#: the KPIs the chart offers, in menu order
KPIS = ("complaints_per_100_calls", "satisfaction", "complaint_met", "complaint_h", "complaint_wait_h")


def complaints_section(view: RunView) -> Section | None:
    """The per-class bars, or ``None`` without complaint or satisfaction KPIs."""
    present = [k for k in KPIS if view.has_kpi(k)]
    if not present:
        return None
    labels = {p.id: p.label or p.id for p in view.points}
    classes = list(dict.fromkeys(c for p in view.points for c in view.classes(p.id)))
    fig = go.Figure()
    spans: list[tuple[str, int, int]] = []
    for kpi in present:
        start = len(fig.data)
        for i, cls in enumerate(classes):
            rows = view.rows(kpi, cls)
            if rows.empty:
                continue
            mean = rows["mean"].astype(float).to_numpy()
            fig.add_trace(
                go.Bar(
                    x=[esc(labels.get(dp, dp)) for dp in rows["design_point"]],
                    y=mean,
                    name=esc("all classes" if cls == ALL else cls),
                    marker=dict(color=PALETTE[i % len(PALETTE)]),
                    error_y=dict(
                        type="data",
                        symmetric=False,
                        array=np.maximum(rows["ci_high"].astype(float).to_numpy() - mean, 0.0),
                        arrayminus=np.maximum(mean - rows["ci_low"].astype(float).to_numpy(), 0.0),
                    ),
                    visible=not spans,
                )
            )
        if len(fig.data) > start:
            spans.append((kpi, start, len(fig.data)))
    if not spans:
        return None
    n = len(fig.data)
    visibility = [[a <= j < b for j in range(n)] for _, a, b in spans]
    layout = base_layout(
        title=dict(text="Complaints and satisfaction per class", x=0.5, xanchor="center"),
        barmode="group",
        xaxis=dict(title=dict(text="design point"), type="category", automargin=True),
        yaxis=kpi_axis(spans[0][0]),
    )
    if len(spans) > 1:
        layout["updatemenus"] = [
            dropdown(
                [esc(kpi_title(k)) for k, _, _ in spans],
                visibility,
                [{"yaxis": kpi_axis(k)} for k, _, _ in spans],
            )
        ]
    fig.update_layout(**layout)
    intro = (
        "Per class and design point (95% confidence intervals): complaints per 100 calls "
        "(each broken promise raises one with its probability), the share resolved within "
        "the deadline, the time from complaint to resolution, and the mean satisfaction score."
    )
    if view.has_kpi("satisfaction"):
        intro += (
            " The satisfaction score is a model, not data: a configured function of the "
            "promises kept, first-time fix and the waits (`[satisfaction]`), for comparing "
            "designs on one scale, not a forecast of survey answers."
        )
    return Section("complaints", "Complaints and satisfaction", esc(intro), [Chart("complaints", fig)])
