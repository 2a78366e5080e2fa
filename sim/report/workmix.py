"""Work-mix section: the technician hours by the service report's category (A paid, B
contract, C warranty, D internal and other: ``[work.categories]``) per design point, and a
table per design point of the work by row (service class, job type, installation job,
planned maintenance, key-customer visits): its category, jobs per day, mean wait, on-time
share, technician hours and its money per day.

Shown for a run whose summary has the hours by category; otherwise ``None``.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from .data import ALL, RunView, esc, is_share, kpi_title
from .page import fmt_ci
from .plotting import PALETTE, base_layout
from .section import Chart, Section

#: the categories' KPIs and their names on the chart
CATEGORIES = (
    ("hours_a_share", "A paid"),
    ("hours_b_share", "B contract"),
    ("hours_c_share", "C warranty"),
    ("hours_d_share", "D internal and other"),
)
#: the columns of a design point's table (KPI per row of the tables)
ROW_KPIS = (
    "calls_per_day",
    "wait_h",
    "sla_met",
    "hours_share",
    "revenue_per_day",
    "job_cost_per_day",
    "margin_per_day",
)
IDLE = "#c9ced4"
#: design points shown in the tables (the chart shows all of them)
MAX_TABLES = 6


def _chart(view: RunView) -> Chart:
    points = view.points
    labels = [p.label or p.id for p in points]
    fig = go.Figure()
    total = [0.0] * len(points)
    for k, (kpi, name) in enumerate(CATEGORIES):
        rows = view.rows(kpi).set_index("design_point")
        means, hover = [], []
        for i, p in enumerate(points):
            if p.id not in rows.index:
                means.append(math.nan)
                hover.append("")
                continue
            r = rows.loc[p.id]
            m = float(r["mean"])
            means.append(m)
            total[i] += m if math.isfinite(m) else 0.0
            ci = fmt_ci(m, float(r["ci_low"]), float(r["ci_high"]), float(r["half_width"]), True)
            hover.append(f"{esc(name)}: {ci}")
        fig.add_trace(
            go.Bar(
                y=[esc(x) for x in labels],
                x=means,
                name=esc(name),
                orientation="h",
                marker=dict(color=PALETTE[k]),
                hovertext=hover,
                hoverinfo="text",
            )
        )
    idle = [max(0.0, 1.0 - t) for t in total]
    fig.add_trace(
        go.Bar(
            y=[esc(x) for x in labels],
            x=idle,
            name="idle",
            orientation="h",
            marker=dict(color=IDLE),
            hovertext=[f"idle: {v:.1%}" for v in idle],
            hoverinfo="text",
        )
    )
    fig.update_layout(
        **base_layout(
            barmode="stack",
            title=dict(text="technician hours by category (share of paid time)"),
            xaxis=dict(
                title=dict(text="share of the paid technician-hours"), tickformat=".0%", range=[0, 1.0]
            ),
            yaxis=dict(automargin=True, autorange="reversed"),
        )
    )
    caption = (
        "Each bar is a design point's paid (on-duty) technician-hours: the categories' means "
        "(hover: 95% confidence intervals), the rest idle. A call's hours run from its "
        "dispatch to the technician's release, so the trip counts in the job's category; "
        "internal tasks are D."
    )
    return Chart("workmix-categories", fig, esc(caption))


def _table(view: RunView, dp: str, rows_of: list[str], categories: tuple[int, ...] | None, cur: str) -> str:
    kpis = [k for k in ROW_KPIS if view.has_kpi(k)]
    head = "<th class=c1>work</th><th>category</th>" + "".join(
        f"<th>{esc(kpi_title(k, currency=cur))}</th>" for k in kpis
    )
    body = []
    for i, name in enumerate(rows_of):
        cat = "ABCD"[categories[i]] if categories is not None and i < len(categories) else "-"
        cells = [f"<td class=c1>{esc(name)}</td>", f"<td>{cat}</td>"]
        for k in kpis:
            r = view.rows(k, name)
            r = r[r["design_point"] == dp]
            if r.empty:
                cells.append("<td class=num>-</td>")
                continue
            x = r.iloc[0]
            txt = fmt_ci(
                float(x["mean"]), float(x["ci_low"]), float(x["ci_high"]), float(x["half_width"]), is_share(k)
            )
            cells.append(f"<td class=num>{txt}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<div class=table-wrap><table class=data><thead><tr>"
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )


def workmix_section(view: RunView) -> Section | None:
    """The work mix, or ``None`` without the hours by category."""
    if not view.has_kpi("hours_a_share"):
        return None
    cur = view.currency
    html = []
    shown = view.table_points()[:MAX_TABLES]
    for p in shown:
        system = p.system
        rows_of = (
            list(system.row_names) if system is not None else [c for c in view.classes(p.id) if c != ALL]
        )
        categories = system.categories if system is not None else None
        html.append(f"<h3>{esc(p.label or p.id)}</h3>" + _table(view, p.id, rows_of, categories, cur))
    if len(shown) < len(view.points):
        html.append(f"<p class=caption>Tables for {len(shown)} of {len(view.points)} design points.</p>")
    intro = (
        "The service report's categories of technician hours: A paid service, B contract "
        "service, C free service under warranty, D internal work (inspections, parts "
        "handling, tool upkeep, training) and whatever is none of the three "
        "(<code>[work.categories]</code>). Below, per design point, each kind of work: its "
        "category, jobs done per working day, mean wait, on-time share (the row's "
        "<code>sla_met</code>: a class's SLA, a job type's target, a planned visit's window), "
        "its share of the technician hours and, for job types and priced classes and planned "
        "visits (<code>revenue</code>, <code>cost</code> per call or visit), revenue, direct "
        "cost and margin per day (before the team's own cost, <code>cost_per_day</code>)."
    )
    return Section(
        "workmix", "Work mix: hours by category", intro, [_chart(view)], "".join(html), nav="Work mix"
    )
