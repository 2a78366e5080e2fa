"""The sweep chart: simulated means with their 95% intervals per design point (and class),
with or without the formulas' values, one KPI at a time through a menu; and a section made
of it alone (parts, geography)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .data import (
    ALL,
    Axis,
    Point,
    RunView,
    esc,
    is_share,
    kpi_title,
    outside_ci,
    per_class,
    sweep_axis,
)
from .plotting import (
    APPROX,
    EXACT,
    FAIL,
    PALETTE,
    base_layout,
    class_symbols,
    dropdown,
    fmt_value,
    kpi_axis,
    series_colors,
    sig,
    x_axis,
)
from .section import Chart, Section


def _has_class_rows(kpi: str) -> bool:
    return per_class(kpi)


def _sweep_traces(
    view: RunView, axis: Axis, kpi: str, with_analytic: bool, colors: dict[str, str], symbols: dict[str, str]
) -> tuple[list[go.Scatter], int, int]:
    """Simulated means with CIs per series and class, the analytic values, the failures."""
    traces: list[go.Scatter] = []
    checks = failures = 0
    classes = [ALL]
    if _has_class_rows(kpi):
        classes = list(dict.fromkeys(c for p in view.points for c in view.classes(p.id)))
    share = is_share(kpi)
    fail_x: list[Any] = []
    fail_y: list[float] = []
    fail_text: list[str] = []
    shown_legend = {"exact": False, "approx": False}
    for cls in classes:
        rows = view.rows(kpi, cls)
        if rows.empty:  # (a per-class KPI some rows lack, e.g. a job type's revenue)
            continue
        rows = rows[[dp in axis.drawn and cls in view.classes(dp) for dp in rows["design_point"]]]
        rows = rows[np.isfinite(rows["mean"].astype(float))]
        if rows.empty:
            continue
        series = [axis.series.get(dp, "") for dp in rows["design_point"]]
        for name in dict.fromkeys(series):
            sub = rows[[s == name for s in series]]
            pts: list[Point] = [view.point(dp) for dp in sub["design_point"]]  # type: ignore[misc]
            x = [axis.x[p.id] for p in pts]
            cls_txt = "" if cls == ALL else f" · {esc(cls)} calls"
            label = (name or "simulated") + cls_txt
            hover = [
                f"{esc(p.label) if axis.compact else p.hover}<br>{esc(kpi_title(kpi))}{cls_txt}: "
                f"<b>{fmt_value(m, share)}</b> "
                f"[{fmt_value(lo, share)}, {fmt_value(hi, share)}] (95% CI, n={int(n)})"
                for p, m, lo, hi, n in zip(
                    pts, sub["mean"], sub["ci_low"], sub["ci_high"], sub["n"], strict=True
                )
            ]
            mean = sub["mean"].astype(float).to_numpy()
            lo = sub["ci_low"].astype(float).to_numpy()
            hi = sub["ci_high"].astype(float).to_numpy()
            color = colors.get(name, PALETTE[0])
            sim = go.Scatter(
                x=x,
                y=sig(mean),
                mode="markers" + ("+lines" if axis.numeric else ""),
                name=label,
                legendgroup=label,
                offsetgroup=cls,
                legendrank=100 + len(traces),
                marker=dict(
                    color=color, size=10, symbol=symbols.get(cls, "circle"), line=dict(width=1, color="white")
                ),
                line=dict(color=color, width=1.5),
                error_y=dict(
                    type="data",
                    array=sig(hi - mean),
                    arrayminus=sig(mean - lo),
                    thickness=1.8,
                    width=6,
                    color=color,
                ),
                hovertext=None if axis.compact else hover,
                hoverinfo="x+y+name" if axis.compact else "text",
            )
            if not with_analytic or "analytic" not in sub:
                traces.append(sim)
                continue
            ana = sub["analytic"].astype(float).to_numpy()
            exact = sub["analytic_exact"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            models = sub["analytic_model"].fillna("").astype(str).to_numpy()
            # formulas first, so the simulated dots and their intervals are drawn on top
            for kind, mask in (("exact", exact & np.isfinite(ana)), ("approx", ~exact & np.isfinite(ana))):
                if not mask.any():
                    continue
                idx = np.flatnonzero(mask)
                is_exact = kind == "exact"
                col = EXACT if is_exact else APPROX
                traces.append(
                    go.Scatter(
                        x=[x[i] for i in idx],
                        y=sig(ana[idx]),
                        mode="markers" + ("+lines" if axis.numeric else ""),
                        name="exact formula" if is_exact else "approximation",
                        legendgroup=kind,
                        showlegend=not shown_legend[kind],
                        offsetgroup=cls,
                        legendrank=900 if is_exact else 901,
                        marker=dict(
                            symbol="diamond" if is_exact else "diamond-open",
                            size=16,
                            color=col,
                            line=dict(width=2, color=col),
                        ),
                        line=dict(color=col, width=2, dash="solid" if is_exact else "dash"),
                        hovertext=None
                        if axis.compact
                        else [
                            f"{pts[i].hover}<br>{esc(models[i])} "
                            f"({'exact' if is_exact else 'approximation'}): "
                            f"<b>{fmt_value(ana[i], share)}</b>{cls_txt}"
                            for i in idx
                        ],
                        hoverinfo="x+y+name" if axis.compact else "text",
                    )
                )
                shown_legend[kind] = True
            traces.append(sim)
            ok = exact & np.isfinite(ana)
            checks += int(ok.sum())
            bad = ok & outside_ci(ana, lo, hi)
            for i in np.flatnonzero(bad):
                failures += 1
                fail_x.append(x[i])
                fail_y.append(float(ana[i]))
                fail_text.append(
                    f"{pts[i].hover}<br><b>exact {esc(models[i])} value "
                    f"{fmt_value(ana[i], share)} outside the 95% CI</b> "
                    f"[{fmt_value(lo[i], share)}, {fmt_value(hi[i], share)}]{cls_txt}"
                )
    if fail_x:
        traces.append(
            go.Scatter(
                x=fail_x,
                y=fail_y,
                mode="markers",
                name="exact value outside 95% CI",
                legendrank=999,
                marker=dict(symbol="x-thin-open", size=22, color=FAIL, line=dict(width=4, color=FAIL)),
                hovertext=fail_text,
                hoverinfo="text",
            )
        )
    return traces, checks, failures


def sweep_figure(
    view: RunView, kpis: Sequence[str], with_analytic: bool, title: str
) -> tuple[go.Figure, dict[str, tuple[int, int]]] | None:
    axis = sweep_axis(view)
    colors = series_colors(axis.series[p.id] for p in view.points)
    symbols = class_symbols(view)
    fig = go.Figure()
    per_kpi: list[tuple[str, int, int]] = []
    stats: dict[str, tuple[int, int]] = {}
    for kpi in kpis:
        traces, checks, failures = _sweep_traces(view, axis, kpi, with_analytic, colors, symbols)
        if not traces:
            continue
        start = len(fig.data)
        fig.add_traces(traces)
        per_kpi.append((kpi, start, len(fig.data)))
        stats[kpi] = (checks, failures)
    if not per_kpi:
        return None
    n = len(fig.data)
    first = per_kpi[0]
    for i, tr in enumerate(fig.data):
        tr.visible = first[1] <= i < first[2]
    layout = base_layout(
        title=dict(text=esc(title), x=0.5, xanchor="center"),
        xaxis=x_axis(axis),
        yaxis=kpi_axis(first[0]),
    )
    if not axis.numeric:
        layout["scattermode"] = "group"
        layout["scattergap"] = 0.6
    if len(per_kpi) > 1:
        labels, vis, rel = [], [], []
        for kpi, a, b in per_kpi:
            checks, fails = stats[kpi]
            extra = f"  ({fails} outside CI)" if fails else ""
            labels.append(esc(kpi_title(kpi, with_unit=False)) + extra)
            vis.append([a <= i < b for i in range(n)])
            y = kpi_axis(kpi)
            rel.append({"yaxis.title.text": y["title"]["text"], "yaxis.tickformat": y["tickformat"]})
        layout["updatemenus"] = [dropdown(labels, vis, rel)]
    fig.update_layout(**layout)
    return fig, stats


def kpi_section(view: RunView, sid: str, title: str, kpis: Sequence[str], intro: str) -> Section | None:
    present = [k for k in kpis if view.has_kpi(k)]
    if not present:
        return None
    built = sweep_figure(view, present, False, title)
    if built is None:
        return None
    if sweep_axis(view).note:
        intro += " " + sweep_axis(view).note
    return Section(sid, title, intro, [Chart(sid, built[0])], nav=title.split(" and ")[0])
