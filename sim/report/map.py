"""The map of a geography scenario: territories, teams, technician bases and machines.

Territories, teams and bases follow from the scenario (each territory a
``width_km x height_km`` rectangle, a team's territories on the grid of
:func:`sim.config.team_grid`, technicians based at the centre of their home
territory).  Machines are the run's recorded layout (``machines.parquet``: the
places of the first replication, drawn or given by a locations CSV), or else the
given places of the scenario's locations CSV when the file is still there.
Coordinates are team-local km, as in the model: each team is its own region, so
the map sets teams side by side with a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .data import Point, RunView, esc
from .section import Chart, Section

#: teams drawn per design point (the rest repeat the same pattern)
MAP_TEAMS = 4
#: design points with a map of their own (distinct layouts, in design order)
MAP_LAYOUTS = 8
TEAM_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


def _geometry(system: Any) -> tuple[float, float, int, int, int, int] | None:
    """(width, height, pooled, teams, columns, rows) of a geometry system, else None."""
    terr = system.territories
    if system.travel.mode != "geometry" or terr.width_km is None or terr.height_km is None:
        return None
    cols, rows = terr.grid
    return float(terr.width_km), float(terr.height_km), terr.pooled, terr.teams, cols, rows


def _given_places(p: Point) -> pd.DataFrame | None:
    """The locations CSV's places (team-local km), when the file can still be read."""
    from sim.config import ScenarioError, read_locations

    system = p.system
    terr = system.territories
    if terr.locations_csv is None or not system.source.finite:
        return None
    try:
        places = read_locations(p.scenario, "manifest")  # (the file as the scenario names it)
    except ScenarioError:
        return None
    cols, _ = terr.grid
    n = system.source.machines
    t = np.arange(len(places)) // n
    local = t % terr.pooled
    xy = np.asarray(places, dtype=float).reshape(-1, 2)
    return pd.DataFrame(
        {
            "team": t // terr.pooled,
            "territory": t,
            "x_km": xy[:, 0] + (local % cols) * terr.width_km,
            "y_km": xy[:, 1] + (local // cols) * terr.height_km,
        }
    )


def _machines(view: RunView, p: Point) -> tuple[pd.DataFrame | None, str]:
    table = getattr(view.run, "machines", None)
    if isinstance(table, pd.DataFrame) and not table.empty and "design_point" in table:
        sub = table[table["design_point"].astype(str) == p.id]
        if not sub.empty:
            csv = p.system.territories.locations_csv is not None
            return sub, "machines (given places, locations CSV)" if csv else "machines (replication 1)"
    given = _given_places(p)
    if given is not None:
        return given, "machines (given places, locations CSV)"
    return None, ""


def _signature(p: Point) -> tuple[Any, ...]:
    t = p.system.territories
    return (t.width_km, t.height_km, t.pooled, t.count, t.technicians, t.locations_csv, p.system.run.seed)


def map_points(view: RunView) -> list[Point]:
    """Design points with a map: geometry scenarios, one per distinct layout."""
    out: list[Point] = []
    seen: set[tuple[Any, ...]] = set()
    for p in view.points:
        if p.system is None or _geometry(p.system) is None:
            continue
        sig = _signature(p)
        if sig not in seen:
            seen.add(sig)
            out.append(p)
        if len(out) == MAP_LAYOUTS:
            break
    return out


def _rect(x0: float, y0: float, x1: float, y1: float) -> tuple[list[float | None], list[float | None]]:
    return [x0, x1, x1, x0, x0, None], [y0, y0, y1, y1, y0, None]


def map_traces(view: RunView, p: Point) -> tuple[list[go.Scatter], str]:
    """The traces of one design point's map and a note on what is drawn."""
    geo = _geometry(p.system)
    assert geo is not None
    w, h, pooled, teams, cols, rows = geo
    shown = min(teams, MAP_TEAMS)
    gap = 0.15 * cols * w
    step = cols * w + gap
    tech = p.system.territories.technicians
    traces: list[go.Scatter] = []
    machines, what = _machines(view, p)
    if machines is not None:
        for k in range(shown):
            sub = machines[machines["team"] == k]
            if sub.empty:
                continue
            traces.append(
                go.Scatter(
                    x=np.round(sub["x_km"].to_numpy(dtype=float) + k * step, 3),
                    y=np.round(sub["y_km"].to_numpy(dtype=float), 3),
                    mode="markers",
                    name=what,
                    legendgroup="machines",
                    showlegend=k == 0,
                    marker=dict(size=5, color=TEAM_COLORS[k % len(TEAM_COLORS)], opacity=0.75),
                    hoverinfo="skip",
                )
            )
    tx: list[float | None] = []
    ty: list[float | None] = []
    bx: list[float] = []
    by: list[float] = []
    btext: list[str] = []
    mx: list[float | None] = []
    my: list[float | None] = []
    for k in range(shown):
        for local in range(pooled):
            x0, y0 = k * step + (local % cols) * w, (local // cols) * h
            rx, ry = _rect(x0, y0, x0 + w, y0 + h)
            tx += rx
            ty += ry
            bx.append(x0 + w / 2)
            by.append(y0 + h / 2)
            btext.append(
                f"team {k + 1}, territory {k * pooled + local + 1}: base of "
                f"{tech} technician{'s' if tech != 1 else ''}"
            )
        rx, ry = _rect(k * step, 0.0, k * step + cols * w, rows * h)
        mx += rx
        my += ry
    traces.append(
        go.Scatter(
            x=tx,
            y=ty,
            mode="lines",
            name="territory",
            line=dict(color="#8a949e", width=1, dash="dot"),
            hoverinfo="skip",
        )
    )
    traces.append(
        go.Scatter(
            x=mx,
            y=my,
            mode="lines",
            name="team boundary",
            line=dict(color="#16324f", width=3),
            hoverinfo="skip",
        )
    )
    traces.append(
        go.Scatter(
            x=bx,
            y=by,
            mode="markers",
            name="technician base",
            marker=dict(symbol="square", size=13, color="#111", line=dict(width=2, color="white")),
            hovertext=btext,
            hoverinfo="text",
        )
    )
    note = (
        f"{esc(p.label)}: {teams:,} team{'s' if teams != 1 else ''} of {pooled} territor"
        f"{'y' if pooled == 1 else 'ies'} ({w:g} x {h:g} km each)"
    )
    if shown < teams:
        note += f", the first {shown} drawn"
    if machines is None:
        note += "; machine places not recorded in this run"
    return traces, note


def map_figure(view: RunView, pts: Sequence[Point]) -> tuple[go.Figure, list[str]]:
    fig = go.Figure()
    groups: list[tuple[int, int]] = []
    notes: list[str] = []
    for i, p in enumerate(pts):
        traces, note = map_traces(view, p)
        start = len(fig.data)
        for tr in traces:
            tr.visible = i == 0
            fig.add_trace(tr)
        groups.append((start, len(fig.data)))
        notes.append(note)
    layout: dict[str, Any] = dict(
        template="plotly_white",
        font=dict(size=14),
        margin=dict(l=70, r=20, t=80, b=60),
        title=dict(text="Where the machines and technicians are (km)", x=0.5, xanchor="center"),
        xaxis=dict(title=dict(text="x (km; teams set side by side)"), automargin=True, zeroline=False),
        yaxis=dict(title=dict(text="y (km)"), scaleanchor="x", scaleratio=1, automargin=True, zeroline=False),
        legend=dict(orientation="h", y=-0.15, yanchor="top"),
    )
    if len(pts) > 1:
        n = len(fig.data)
        vis = [[a <= j < b for j in range(n)] for a, b in groups]
        layout["updatemenus"] = [
            dict(
                type="dropdown",
                x=0.0,
                xanchor="left",
                y=1.02,
                yanchor="bottom",
                buttons=[
                    dict(label=esc(p.label), method="update", args=[{"visible": v}])
                    for p, v in zip(pts, vis, strict=True)
                ],
            )
        ]
    fig.update_layout(**layout)
    return fig, notes


def map_section(view: RunView) -> Section | None:
    """The map of a geography scenario, a menu entry per distinct layout; None without geometry."""
    pts = map_points(view)
    if not pts:
        return None
    fig, notes = map_figure(view, pts)
    intro = (
        "Territories (dotted), teams (bold: a team's technicians serve every call of its "
        "territories) and technician bases (black squares, the centre of each home territory) "
        "on the km grid; dots are the machines, coloured by team. In the model each team is a "
        "region of its own (a technician never crosses into another team's), so the map sets "
        "teams side by side with a gap. " + "; ".join(notes) + "."
    )
    if len(pts) > 1:
        intro += " Choose the layout in the menu (one entry per distinct layout of the run)."
    chart = Chart("map", fig, tall=True)
    return Section("map", "Map: territories, teams and machines", intro, [chart], nav="Map")
