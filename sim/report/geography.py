"""Geography section: trip lengths and travel share per design point (only when the run
has travel)."""

from __future__ import annotations

from .data import (
    RunView,
)
from .section import Section
from .sweep import kpi_section

GEO_KPIS = ("trip_km", "trip_h", "travel_share", "off_territory_share", "response_h")
# off-territory trips alone (pooled teams without travel) do not make a geography view
GEO_TRIGGERS = ("trip_km", "trip_h", "travel_share")


def geography_section(view: RunView) -> Section | None:
    if not any(view.has_kpi(k, nonzero=True) for k in GEO_TRIGGERS):
        return None
    return kpi_section(
        view,
        "geography",
        "Geography and travel",
        GEO_KPIS,
        "Trip lengths and the share of technician time spent travelling per "
        "design point (95% CIs). Choose the KPI in the menu.",
    )
