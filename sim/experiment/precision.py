"""``--precision``: enough replications for a KPI's interval to be as tight as asked
(Stein's two-stage rule, a relative or an absolute half-width)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.config import DesignPoint
from sim.kpis import value_range
from sim.stats import ConfidenceInterval, SteinPlan, stein_interval, stein_plan


@dataclass(frozen=True)
class Precision:
    """``--precision``: replications enough for the KPI's interval to be this tight.

    Two stages (Stein's rule, :func:`sim.stats.stein_plan`): the point's
    ``run.replications`` are the first stage; their spread says how many in all
    reach the half-width asked (``relative``: half-width / |mean| <= relative /
    (1 + relative), Law's relative precision; ``absolute``: half-width <=
    absolute, for KPIs near zero; either when both), and the KPI's final
    interval uses that spread, which makes it exact for normal replication means
    whatever the total turns out to be; the total is fixed once, so a resumed run
    plans the same second stage.
    """

    kpi: str = "wait_h"
    relative: float | None = 0.05
    absolute: float | None = None
    max_replications: int = 200
    confidence: float = 0.95

    def plan(self, first_stage: Sequence[float]) -> SteinPlan:
        """How many replications in all, from the first stage (Stein's rule, capped)."""
        return stein_plan(first_stage, self.relative, self.absolute, self.confidence, self.max_replications)

    def interval(self, plan: SteinPlan, values: Sequence[float]) -> ConfidenceInterval:
        """The final interval over all ``values``: the first stage's spread, cut to the KPI's range."""
        return stein_interval(plan, values).clipped(*value_range(self.kpi))


def precision_intervals(
    summary: pd.DataFrame,
    points: Sequence[DesignPoint],
    plans: dict[int, SteinPlan],
    values: dict[int, list[float]],
    precision: Precision,
    confidence: float,
) -> dict[str, Any]:
    """What ``--precision`` reached per point; its KPI's rows of ``summary`` get the rule's interval."""
    reached: dict[str, Any] = {}
    for p in points:
        plan = plans[p.index]
        ci = precision.interval(plan, values[p.index])
        reached[p.id] = {
            "replications": len(values[p.index]),
            "first_stage": plan.n0,
            "mean": ci.mean,
            "half_width": ci.half_width,
            "target": plan.target,
            "met": plan.met,
        }
        if confidence != precision.confidence or summary.empty:
            continue
        mine = (summary["design_point"] == p.id) & (summary["class"] == "all")
        row = mine & (summary["kpi"] == precision.kpi)
        summary.loc[row, ["ci_low", "ci_high", "half_width", "interval"]] = [
            ci.low,
            ci.high,
            ci.half_width,
            ci.method,
        ]
    return reached
