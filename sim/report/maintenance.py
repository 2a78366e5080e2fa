"""Preventive-maintenance section: breakdowns per day and the technician hours of the
planned visits against the maintenance interval, the simulated points (with their
confidence intervals) beside the age-replacement curve (renewal-reward).

Shown for a run whose design points have a maintenance plan (``[work.maintenance]``) and
differ in its interval ``every_h``; otherwise ``None``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.analytic.estimate.maintenance import no_wait, optimal_interval, renewal_curve

from .data import RunView, esc
from .plotting import APPROX, EXACT, PALETTE, base_layout
from .section import Chart, Section

#: points of the renewal-reward curve between the smallest and largest interval
CURVE_POINTS = 120

#: (KPI, its title on the chart, the index of the curve's value)
_CHARTS = (
    ("breakdowns_per_day", "breakdowns per working day", 0),
    ("pm_h_per_day", "technician-hours on planned visits per working day", 1),
    ("pm_cost_per_day", "cost rate of the plan per working day", 2),
)

#: the interval's keys among a design point's parameters (hours of operation, calendar days)
INTERVAL_KEYS = ("work.maintenance.every_h", "work.maintenance.every_days")


def _series(view: RunView, intervals: dict[str, float]) -> dict[str, list[str]]:
    """The design points grouped by what else than the interval they set (one series each;
    a sweep of the interval alone is one series)."""
    out: dict[str, list[str]] = {}
    for p in view.points:
        if p.id not in intervals:
            continue
        rest = {k: v for k, v in p.params.items() if k not in INTERVAL_KEYS}
        name = ", ".join(str(v) if k == "variant" else f"{k} = {v}" for k, v in rest.items()) or "simulated"
        out.setdefault(name, []).append(p.id)
    return out


def maintenance_section(view: RunView) -> Section | None:
    """The interval trade-off, or ``None`` without a sweep of a maintenance plan."""
    planned = [p for p in view.points if p.system is not None and p.system.maintenance is not None]
    intervals = {p.id: float(p.system.maintenance.every_h) for p in planned}
    if len(set(intervals.values())) < 2 or not view.has_kpi("breakdowns_per_day"):
        return None
    base = planned[0].system
    lo, hi = min(intervals.values()), max(intervals.values())
    grid = np.geomspace(lo, hi, CURVE_POINTS)
    # the curve is drawn for the first point's system with only its interval changed: the
    # analytic column gives each point's own value
    curve = renewal_curve(base, grid.tolist())
    best = optimal_interval(base)
    calendar = bool(base.maintenance.calendar)
    # a calendar plan's curve is block replacement, always approximate
    exact = no_wait(base) and not calendar
    series = _series(view, intervals)
    axis = (
        "maintenance interval (hours of the clock: every_days x the working day)"
        if calendar
        else "maintenance interval every_h (hours of operation)"
    )
    charts = []
    for kpi, title, k in _CHARTS:
        if not view.has_kpi(kpi):
            continue
        rows = view.rows(kpi)
        rows = rows[rows["design_point"].isin(intervals)]
        if rows.empty:
            continue
        fig = go.Figure()
        for n, (name, ids) in enumerate(series.items()):
            part = rows[rows["design_point"].isin(ids)]
            if part.empty:
                continue
            mean = part["mean"].astype(float).to_numpy()
            label = "simulated (mean, confidence interval)" if len(series) == 1 else esc(name)
            fig.add_trace(
                go.Scatter(
                    x=[intervals[dp] for dp in part["design_point"]],
                    y=mean,
                    mode="markers",
                    name=label,
                    marker=dict(color=PALETTE[n % len(PALETTE)], size=10),
                    error_y=dict(
                        type="data",
                        symmetric=False,
                        array=part["ci_high"].astype(float).to_numpy() - mean,
                        arrayminus=mean - part["ci_low"].astype(float).to_numpy(),
                    ),
                )
            )
        if curve is not None:
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=[c[k] for c in curve],
                    mode="lines",
                    name="age replacement (renewal-reward)" + ("" if exact else ", approximate"),
                    line=dict(color=EXACT if exact else APPROX, dash="solid" if exact else "dash"),
                )
            )
        if kpi == "pm_cost_per_day" and best is not None and lo <= best[0] <= hi:
            fig.add_trace(
                go.Scatter(
                    x=[best[0]],
                    y=[best[1]],
                    mode="markers",
                    name=f"optimal interval T* = {best[0]:.4g} h (renewal-reward)",
                    marker=dict(color=EXACT if exact else APPROX, symbol="star", size=14),
                )
            )
        fig.update_layout(
            **base_layout(
                title=dict(text=esc(title)),
                xaxis=dict(title=dict(text=axis), type="log"),
                yaxis=dict(title=dict(text=esc(title)), rangemode="tozero"),
            )
        )
        charts.append(Chart(f"maintenance-{kpi}", fig, ""))
    if not charts:
        return None
    why = (
        "exact here: nobody waits for a technician"
        if exact
        else "approximate here: it ignores the waits for a technician (a machine keeps ageing "
        "while its planned job waits, a broken one stays down longer)"
    )
    intro = (
        "Shorter intervals mean more planned visits and technician hours, longer ones more "
        "breakdowns. The line is the age-replacement model (renewal-reward: breakdowns "
        f"F(T) / cycle, planned visits R(T) / cycle), {why}."
        if not calendar
        else "Shorter intervals mean more planned visits and technician hours, longer ones "
        "more breakdowns. The plan is on a fixed calendar (block replacement): the line is "
        "the lives' renewal function over the working hours of a period, approximate "
        "(downtimes at their means, no waits)."
    )
    if view.has_kpi("pm_cost_per_day"):
        intro += (
            " The plan's cost rate is work.maintenance.cost per planned visit plus "
            "breakdown_cost per breakdown (renewal-reward's C(T); the technicians' time is in "
            "cost_per_day)"
            + (f"; its minimum is at T* = {best[0]:.4g} h of operation." if best is not None else ".")
        )
    else:
        intro += " No cost curve: the plan has no cost or breakdown_cost."
    if curve is None:
        intro += " No curve: the machines' lives are not Weibull."
    title = "Preventive maintenance: the interval trade-off"
    return Section("maintenance", title, intro, charts, nav="Maintenance")
