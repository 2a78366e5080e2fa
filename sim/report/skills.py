"""Skills and contractors section: the flexibility curve and the contractor's cost
against service.

* The flexibility curve: for each contractor threshold (or none), the share of the benefit
  of full pooling bought by cross-training, ``(W(0) - W(f)) / (W(0) - W(1))`` of the
  simulated mean waits, against the share f of cross-trained technicians (the points with
  no and with full cross-training anchor it), beside the mean waits themselves with their
  confidence intervals.
* The frontier: the contractor's cost per day against the mean wait, one point per
  design point; the points no other point beats on both (the efficient frontier) are
  joined.
* A table per design point: the share cross-trained, the contractor setting, the mean
  wait of the calls needing each skill (``wait_h_skill<i>``), the contractor's share of
  the calls and its cost per day, and the total cost per day (with ``[costs]``).

Shown for a run whose design points have skills and differ in their share of
cross-trained technicians; otherwise ``None``.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from .data import RunView, esc
from .plotting import PALETTE, base_layout
from .section import Chart, Section


def cross_trained_share(system: Any) -> float:
    """The share of a team's technicians with every skill."""
    skills = system.skills
    every = frozenset(range(len(skills.names)))
    return sum(g.technicians for g in skills.groups if g.skills == every) / system.team.technicians


def _threshold(system: Any) -> str:
    c = system.contractor
    if c is None:
        return "no contractor"
    if c.when == "all_busy":
        return "contractor when all busy"
    return f"contractor after {c.threshold_h:g} h"


def skills_section(view: RunView) -> Section | None:
    """The flexibility curve and the contractor frontier, or ``None``."""
    points = [p for p in view.points if p.system is not None and p.system.skills is not None]
    share = {p.id: cross_trained_share(p.system) for p in points}
    if len(set(share.values())) < 2 or not view.has_kpi("wait_h"):
        return None
    series = {p.id: _threshold(p.system) for p in points}
    waits = view.rows("wait_h")
    waits = waits[waits["design_point"].isin(share)]
    mean = {r.design_point: float(r.mean) for r in waits.itertuples()}
    low = {r.design_point: float(r.ci_low) for r in waits.itertuples()}
    high = {r.design_point: float(r.ci_high) for r in waits.itertuples()}
    names = list(dict.fromkeys(series[p] for p in mean))
    curve = go.Figure()
    raw = go.Figure()
    drawn = 0
    for i, name in enumerate(names):
        ids = sorted((p for p in mean if series[p] == name), key=lambda p: share[p])
        colour = PALETTE[i % len(PALETTE)]
        x = [share[p] for p in ids]
        y = [mean[p] for p in ids]
        raw.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines+markers",
                name=esc(name),
                line=dict(color=colour),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[high[p] - mean[p] for p in ids],
                    arrayminus=[mean[p] - low[p] for p in ids],
                ),
            )
        )
        none = [mean[p] for p in ids if share[p] == 0.0]
        full = [mean[p] for p in ids if share[p] == 1.0]
        if not none or not full or not math.isfinite(none[0] - full[0]) or none[0] <= full[0]:
            continue
        gain = [(none[0] - w) / (none[0] - full[0]) for w in y]
        curve.add_trace(
            go.Scatter(x=x, y=gain, mode="lines+markers", name=esc(name), line=dict(color=colour))
        )
        drawn += 1
    axis = dict(title=dict(text="share of cross-trained technicians"), tickformat=".0%", range=[-0.03, 1.03])
    curve.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="proportional (no pooling gain)",
            line=dict(dash="dot", color="#999"),
        )
    )
    curve.update_layout(
        **base_layout(
            title=dict(text="flexibility curve: share of the full-pooling benefit"),
            xaxis=axis,
            yaxis=dict(title=dict(text="(W(0) - W(f)) / (W(0) - W(1))"), tickformat=".0%"),
        )
    )
    raw.update_layout(
        **base_layout(
            title=dict(text="mean wait against cross-training"),
            xaxis=axis,
            yaxis=dict(title=dict(text="mean wait (h)"), rangemode="tozero"),
        )
    )
    charts = []
    if drawn:
        charts.append(
            Chart(
                "skills-flexibility",
                curve,
                "Each line is one contractor setting; 0 % is the separate pools, 100 % one "
                "pooled team. A line above the diagonal: a little cross-training buys more than "
                "its share of the benefit of full pooling.",
            )
        )
    charts.append(Chart("skills-waits", raw, "Simulated mean wait with its confidence interval."))
    frontier = _frontier(view, share, series, mean)
    if frontier is not None:
        charts.append(frontier)
    intro = (
        "How much cross-training pays: the mean wait as technicians learn both skills, and "
        "what the contractor costs for the wait it saves. The calls and their needs are the "
        "same at every level (common random numbers), so the differences are not noise of "
        "the calls. The separate pools and full pooling are exact M/M/s queues without a "
        "contractor (validation cases skills_separate_pools, skills_full_pooling); "
        "partial flexibility and the contractor's overflow have no exact formula here."
    )
    table = _per_skill_table(view, points, share, series)
    return Section("skills", "Skills and contractors", intro, charts, html=table, nav="Skills")


def _per_skill_table(
    view: RunView, points: list[Any], share: dict[str, float], series: dict[str, str]
) -> str:
    """HTML: per design point, the waits per skill and the costs (the sweep's numbers)."""
    names = points[0].system.skills.names
    columns = [(f"wait_h_skill{k}", f"wait, {name} (h)") for k, name in enumerate(names)]
    columns += [
        ("contractor_share", "to the contractor"),
        ("contractor_cost_per_day", "contractor cost / day"),
        ("cost_per_day", "cost / day"),
    ]
    columns = [(kpi, title) for kpi, title in columns if view.has_kpi(kpi)]
    if not columns:
        return ""
    values = {kpi: {r.design_point: float(r.mean) for r in view.rows(kpi).itertuples()} for kpi, _ in columns}

    def cell(kpi: str, dp: str) -> str:
        v = values[kpi].get(dp, math.nan)
        if not math.isfinite(v):
            return "<td class=num>-</td>"
        if kpi == "contractor_share":
            return f"<td class=num>{v:.1%}</td>"
        return f"<td class=num>{v:,.0f}</td>" if "cost" in kpi else f"<td class=num>{v:.3f}</td>"

    body = "".join(
        f"<tr><td>{esc(p.id)}</td><td class=num>{share[p.id]:.0%}</td><td>{esc(series[p.id])}</td>"
        + "".join(cell(kpi, p.id) for kpi, _ in columns)
        + "</tr>"
        for p in sorted(points, key=lambda p: (series[p.id], share[p.id]))
    )
    head = "".join(f"<th>{esc(title)}</th>" for _, title in columns)
    return (
        "<details open><summary>Waits per skill and costs, per design point (simulated means)</summary>"
        "<div class=table-wrap><table class=data><thead><tr><th>point</th><th>cross-trained</th>"
        f"<th>contractor</th>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
    )


def _frontier(
    view: RunView, share: dict[str, float], series: dict[str, str], wait: dict[str, float]
) -> Chart | None:
    """Contractor cost per day against the mean wait, with the efficient frontier."""
    if not view.has_kpi("contractor_cost_per_day"):
        return None
    cost_rows = view.rows("contractor_cost_per_day")
    cost = {r.design_point: float(r.mean) for r in cost_rows.itertuples() if r.design_point in wait}
    ids = [p for p in cost if math.isfinite(cost[p]) and math.isfinite(wait[p])]
    if len(ids) < 2:
        return None
    fig = go.Figure()
    for i, f in enumerate(sorted({share[p] for p in ids})):
        these = [p for p in ids if share[p] == f]
        fig.add_trace(
            go.Scatter(
                x=[wait[p] for p in these],
                y=[cost[p] for p in these],
                mode="markers",
                name=f"{f:.0%} cross-trained",
                marker=dict(color=PALETTE[i % len(PALETTE)], size=10),
                text=[esc(f"{p}: {series[p]}") for p in these],
                hovertemplate="%{text}<br>wait %{x:.3g} h, cost %{y:.4g}/day<extra></extra>",
            )
        )
    best: list[str] = []
    for p in sorted(ids, key=lambda p: (wait[p], cost[p])):
        if not best or cost[p] < cost[best[-1]]:
            best.append(p)
    fig.add_trace(
        go.Scatter(
            x=[wait[p] for p in best],
            y=[cost[p] for p in best],
            mode="lines",
            name="efficient frontier",
            line=dict(color="#111", dash="dash"),
        )
    )
    fig.update_layout(
        **base_layout(
            title=dict(text="contractor cost against service"),
            xaxis=dict(title=dict(text="mean wait (h)"), rangemode="tozero"),
            yaxis=dict(title=dict(text="contractor cost per day"), rangemode="tozero"),
        )
    )
    return Chart(
        "skills-frontier",
        fig,
        "One point per design point (contractor threshold x cross-training); the dashed line "
        "joins those no other point beats on both the wait and the contractor's cost.",
    )
