"""Appointments section: the lead-time distribution of the booked calls, and the windows
kept, the lead time and the technicians' utilisation against the window width (one line
per share of capacity held back for urgent work), each point with its confidence interval.

Shown for a run whose design points have ``[appointments]``; the charts against the width
need at least two widths, otherwise only the distribution is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from sim.kpis import APPT_LEAD_DAYS

from .data import Point, RunView, esc
from .plotting import PALETTE, base_layout, kpi_axis
from .section import Chart, Section

#: (KPI, chart title) of the charts against the window width
_AGAINST_WIDTH = (
    ("appt_kept", "windows kept"),
    ("appt_lead_days", "days from the call to the appointment"),
    ("utilization", "technicians' utilisation (waits at the door included)"),
)


def _error_bars(rows: object) -> dict[str, object]:
    mean = rows["mean"].astype(float).to_numpy()  # type: ignore[index]
    return dict(
        type="data",
        symmetric=False,
        array=rows["ci_high"].astype(float).to_numpy() - mean,  # type: ignore[index]
        arrayminus=mean - rows["ci_low"].astype(float).to_numpy(),  # type: ignore[index]
    )


def _lead_distribution(view: RunView, points: Sequence[Point]) -> Chart | None:
    fig = go.Figure()
    for i, p in enumerate(points):
        ys, lows, highs = [], [], []
        for d in APPT_LEAD_DAYS:
            rows = view.rows(f"appt_lead_le_{d}d")
            rows = rows[rows["design_point"] == p.id]
            if rows.empty:
                break
            ys.append(float(rows["mean"].iloc[0]))
            lows.append(float(rows["ci_low"].iloc[0]))
            highs.append(float(rows["ci_high"].iloc[0]))
        if len(ys) != len(APPT_LEAD_DAYS):
            continue
        fig.add_trace(
            go.Scatter(
                x=list(APPT_LEAD_DAYS),
                y=ys,
                mode="lines+markers",
                name=esc(p.label or p.id),
                line=dict(color=PALETTE[i % len(PALETTE)]),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[h - y for h, y in zip(highs, ys, strict=True)],
                    arrayminus=[y - lo for lo, y in zip(lows, ys, strict=True)],
                ),
            )
        )
    if not fig.data:
        return None
    fig.update_layout(
        **base_layout(
            title=dict(text="lead-time distribution: share booked within d days of the call"),
            xaxis=dict(title=dict(text="days from the call to the window's start"), type="log"),
            yaxis=dict(title=dict(text="share of booked calls"), tickformat=".0%", range=[0, 1.02]),
        )
    )
    caption = "Booked calls only (all booked rows together); the first appointment of each call."
    return Chart("appointments-lead", fig, esc(caption))


def _against_width(view: RunView, points: Sequence[Point], kpi: str, title: str) -> Chart | None:
    fig = go.Figure()
    held = sorted({p.system.appointments.held_back for p in points})
    for i, share in enumerate(held):
        group = sorted(
            (p for p in points if p.system.appointments.held_back == share),
            key=lambda p: p.system.appointments.window_h,
        )
        ids = [p.id for p in group]
        rows = view.rows(kpi)
        rows = rows[rows["design_point"].isin(ids)]
        if rows.empty:
            continue
        width = {p.id: p.system.appointments.window_h for p in group}
        rows = rows.assign(width=[width[dp] for dp in rows["design_point"]]).sort_values("width")
        fig.add_trace(
            go.Scatter(
                x=rows["width"].to_numpy(),
                y=rows["mean"].astype(float).to_numpy(),
                mode="lines+markers",
                name=esc(f"{share:.0%} held back for urgent work"),
                line=dict(color=PALETTE[i % len(PALETTE)]),
                error_y=_error_bars(rows),
            )
        )
    if not fig.data:
        return None
    fig.update_layout(
        **base_layout(
            title=dict(text=esc(title)),
            xaxis=dict(title=dict(text="window width window_h (hours)")),
            yaxis=kpi_axis(kpi),
        )
    )
    return Chart(f"appointments-{kpi}", fig, "")


def appointments_section(view: RunView) -> Section | None:
    """The appointments' trade-off, or ``None`` without ``[appointments]``."""
    points = [p for p in view.points if p.system is not None and p.system.appointments is not None]
    if not points or not view.has_kpi("appt_lead_days"):
        return None
    charts = []
    lead = _lead_distribution(view, points)
    if lead is not None:
        charts.append(lead)
    if len({p.system.appointments.window_h for p in points}) > 1:
        for kpi, title in _AGAINST_WIDTH:
            chart = _against_width(view, points, kpi, title)
            if chart is not None:
                charts.append(chart)
    if not charts:
        return None
    intro = (
        "Booked calls are given an arrival window; a window is kept when the technician "
        "arrives by its end (early arrivals wait at the door, which counts as busy time). "
        "Narrow windows are a sharper promise but hold fewer bookings and are broken more "
        "often; capacity held back for urgent work lengthens the lead time and keeps more "
        "windows. Where the booking queue's formula applies (one window a day, Poisson "
        "calls), its values are in the summary table with their label."
    )
    return Section(
        "appointments", "Appointments: windows kept against lead time", intro, charts, nav="Appointments"
    )
