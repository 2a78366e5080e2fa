"""Parts section: fill rates, first-time fix, visits and part delays per design point
(only when the run has parts KPIs)."""

from __future__ import annotations

from .data import (
    RunView,
)
from .section import Section
from .sweep import kpi_section

PARTS_KPIS = (
    "fill_rate_van",
    "fill_rate_depot",
    "first_time_fix",
    "visits_per_call",
    "part_wait_h",
    "restore_h",
    "van_on_hand",
    "van_backorders",
    "depot_on_hand",
    "depot_backorders",
    "emergency_per_day",
    "parts_cost_per_day",
)
PARTS_TRIGGERS = ("fill_rate_van", "fill_rate_depot", "first_time_fix", "visits_per_call", "part_wait_h")


def parts_section(view: RunView) -> Section | None:
    if not any(view.has_kpi(k) for k in PARTS_TRIGGERS):
        return None
    return kpi_section(
        view,
        "parts",
        "Spare parts and first-time fix",
        PARTS_KPIS,
        "Fill rates, first-time fix, visits and part delays per design point "
        "(95% CIs). Choose the KPI in the menu.",
    )
