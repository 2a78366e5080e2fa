"""Trade-off section: the cost of each design point (its cost model, a study's own design
cost, or staffing as a proxy) against the first targeted KPI, the targets, and the best
design that meets them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .data import (
    ALL,
    MANY_POINTS,
    RunView,
    esc,
    finite,
    is_share,
    kpi_title,
    staffing,
    sweep_axis,
    target_text,
)
from .plotting import (
    FAIL,
    base_layout,
    fmt_value,
    series_colors,
    sig,
)
from .section import Chart, Section


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
    colors = series_colors(names)
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
        return fmt_value(v, share)

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
