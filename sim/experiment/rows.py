"""A replication's KPIs as table rows: costs and the first-time-fix identity added, one
row per class (and per job type) plus ``all``, parameter values as cells."""

from __future__ import annotations

import json
import math
from typing import Any

from sim.config import DesignPoint
from sim.costs import contractor_money, cost_kpis, work_money
from sim.system import ServiceSystem


def param_value(value: Any) -> Any:
    """Parameter values as table cells: scalars as they are, tables as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def replication_rows(
    point: DesignPoint, replication: int, batches: list[dict[str, dict[str, float]]]
) -> list[dict[str, Any]]:
    """The rows of one replication (or of each of its batches, for batch means)."""
    params = {k: param_value(v) for k, v in point.params.items()}
    system = ServiceSystem.from_scenario(point.scenario)
    rows = []
    for b, kpis in enumerate(batches):
        kpis["all"].update(cost_kpis(system, kpis["all"], kpis))
        kpis["all"].update(ftf_identity_gap(system, kpis["all"]))
        for name, money in work_money(system, kpis).items():
            kpis[name].update(money)
        for name, money in contractor_money(system, kpis).items():
            kpis[name].update(money)
        for name in ["all", *system.row_names]:
            rows.append(
                {
                    "design_point": point.id,
                    "replication": replication,
                    **({"batch": b} if len(batches) > 1 or system.run.batches else {}),
                    "class": name,
                    **params,
                    **kpis[name],
                }
            )
    return rows


def ftf_identity_applies(system: ServiceSystem) -> bool:
    """One part type, one unit per call, revisits, parts taken on site: the first-time-fix
    identity can be checked on every replication."""
    p = system.parts
    return (
        p is not None
        and len(p.types) == 1
        and p.types[0].quantity is None
        and p.shortage == "revisit"
        and not p.reservation
        and not system.work_types  # (jobs have no parts: they would dilute both sides)
        and system.maintenance is None  # (nor have planned visits)
        and system.visits is None
    )


def ftf_identity_gap(system: ServiceSystem, kpis: dict[str, float]) -> dict[str, float]:
    """``ftf_identity_gap`` = (1 - FTF) - [q + (1 - q) p_other], q = share of calls that met a
    missing part on the first visit (from this replication's own van demands and fill)."""
    if not ftf_identity_applies(system):
        return {}
    calls = kpis.get("calls_logged_per_h", math.nan)
    q = kpis["van_demand_per_h"] * (1.0 - kpis["fill_rate_van"]) / calls if calls else math.nan
    p_other = system.repair.p_other_failure
    return {"ftf_identity_gap": (1.0 - kpis["first_time_fix"]) - (q + (1.0 - q) * p_other)}
