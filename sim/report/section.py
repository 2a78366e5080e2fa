"""What a report section is: its charts (plotly figures with captions), its words and its
place in the navigation bar.  Every section module returns one, or ``None`` when the run
lacks its data."""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go


@dataclass
class Chart:
    """One figure and the words under it."""

    id: str
    figure: go.Figure
    caption: str = ""  # HTML (already escaped)
    tall: bool = False


@dataclass
class Section:
    """One section of the page: a title, words, charts and extra HTML."""

    id: str
    title: str
    intro: str  # HTML (already escaped)
    charts: list[Chart] = field(default_factory=list)
    html: str = ""  # extra HTML after the charts
    nav: str = ""  # short name in the navigation bar (default: the title)
