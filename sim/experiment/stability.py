"""Design points whose queue grows without bound, and why we say so."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim import analytic
from sim.config import DesignPoint
from sim.system import ServiceSystem


def unstable_points(summary: pd.DataFrame, points: Sequence[DesignPoint]) -> dict[str, str]:
    """Design points whose queue grows without bound, and why we say so.

    Flagged when the formulas find no steady state, or when the number of calls waiting
    grew over the measured horizon by more than chance allows (the whole 95 % interval of
    its growth rate above zero) and by more than 10 calls.
    """
    out: dict[str, str] = {}
    rows = (
        summary[(summary["class"] == "all") & (summary["kpi"] == "queue_growth_per_h")]
        if not summary.empty
        else summary
    )
    growth = {r["design_point"]: r for r in rows.to_dict("records")}
    for p in points:
        est = analytic.estimate(ServiceSystem.from_scenario(p.scenario))
        g = growth.get(p.id)
        rate = float(g["mean"]) if g is not None else math.nan
        grows = g is not None and float(g["ci_low"]) > 0 and rate * p.scenario.run.horizon_h > 10
        if est.unstable or grows:
            why = f"{rate:+.3g} calls waiting per hour" if not math.isnan(rate) else ""
            out[p.id] = (
                "unstable: the queue grows without bound"
                + (f" ({why})" if why else "")
                + ("; the formulas find no steady state" if est.unstable else "")
            )
    return out
