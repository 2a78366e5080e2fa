"""Plotting helpers shared by the report's sections: colours and marker symbols, the base
layout, KPI and sweep axes, the dropdown menu, and numbers rounded for charts and hovers.

Every text that comes from the run (names, labels, parameters) is HTML-escaped before it
reaches plotly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .data import (
    Axis,
    RunView,
    esc,
    is_share,
    kpi_title,
)

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
)
FAIL = "#d62728"
EXACT = "#111111"
APPROX = "#6b6b6b"
CLASS_SYMBOLS = ("circle", "triangle-up", "triangle-down", "square", "pentagon", "star-diamond")


def base_layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = dict(
        template="plotly_white",
        font=dict(size=14),
        margin=dict(l=70, r=20, t=80, b=60),
        hoverlabel=dict(align="left"),
        autosize=True,
        legend=dict(font=dict(size=13)),
    )
    layout.update(extra)
    return layout


def kpi_axis(kpi: str) -> dict[str, Any]:
    return dict(
        title=dict(text=esc(kpi_title(kpi))),
        tickformat=".0%" if is_share(kpi) else "",
        rangemode="tozero",
        automargin=True,
    )


def x_axis(axis: Axis) -> dict[str, Any]:
    out: dict[str, Any] = dict(title=dict(text=esc(axis.title)), automargin=True)
    if not axis.numeric:
        out.update(type="category", categoryorder="array", categoryarray=axis.categories, tickangle=-30)
    return out


def series_colors(names: Iterable[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(dict.fromkeys(names))}


def class_symbols(view: RunView) -> dict[str, str]:
    names = list(dict.fromkeys(c for p in view.points for c in view.classes(p.id)))
    return {c: CLASS_SYMBOLS[i % len(CLASS_SYMBOLS)] for i, c in enumerate(names)}


def dropdown(
    labels: Sequence[str], visibility: Sequence[list[bool]], relayouts: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return dict(
        type="dropdown",
        direction="down",
        x=0.0,
        xanchor="left",
        y=1.02,
        yanchor="bottom",
        showactive=True,
        active=0,
        pad=dict(r=4, t=4),
        buttons=[
            dict(label=lbl, method="update", args=[{"visible": vis}, rel])
            for lbl, vis, rel in zip(labels, visibility, relayouts, strict=True)
        ],
    )


def sig(values: Any, digits: int = 5) -> np.ndarray:
    """Values rounded to ``digits`` significant digits: what a chart can show, and a
    third of the JSON of full doubles."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(np.isfinite(v) & (v != 0), np.floor(np.log10(np.abs(v))), 0.0)
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(np.isfinite(v), np.round(v * scale) / scale, v)


def fmt_value(x: float, share: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.1%}" if share else f"{x:.4g}"


def darker(hex_color: str, factor: float = 0.6) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"#{int(r * factor):02x}{int(g * factor):02x}{int(b * factor):02x}"
