"""Judging a run's summary against the scenario's ``[targets]``.

A design point *meets* a target when the whole 95 % confidence interval of the
simulated mean lies on the right side of the bound, *misses* it when the whole
interval lies on the wrong side, and is *not distinguishable* otherwise.  The
recommended design is the one that meets every target with the best mean of the
objective (``targets.minimize`` / ``maximize``); without an objective, every design
that meets the targets is listed.  A scenario without ``[targets]`` gets no verdicts.
The targets are read from the resolved system (:attr:`sim.system.ServiceSystem.targets`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from sim.system import Target, Targets


@dataclass(frozen=True)
class Judgement:
    """One design point against one target."""

    design_point: str
    target: Target
    mean: float
    ci_low: float
    ci_high: float
    verdict: str  # "yes", "no", "not distinguishable", "?" (no value)


@dataclass(frozen=True)
class Recommendation:
    """The designs that meet every target, and the best of them by the objective."""

    targets: tuple[Target, ...]
    objective: tuple[str, bool] | None  # (kpi, minimize)
    meets: tuple[str, ...]  # design points meeting every target with confidence
    undecided: tuple[str, ...]  # no target missed, but at least one not distinguishable
    best: str | None  # the recommended design point (None: none meets every target)
    best_objective: tuple[float, float, float] | None  # mean, ci_low, ci_high of the objective


def _value(summary: pd.DataFrame, dp: str, cls: str, kpi: str) -> tuple[float, float, float]:
    rows = summary[(summary["design_point"] == dp) & (summary["class"] == cls) & (summary["kpi"] == kpi)]
    if rows.empty:
        return math.nan, math.nan, math.nan
    r = rows.iloc[0]
    return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])


def design_points(summary: pd.DataFrame) -> list[str]:
    """The design points of a summary, in their order."""
    return list(dict.fromkeys(summary["design_point"])) if not summary.empty else []


def judge(summary: pd.DataFrame, targets: Sequence[Target]) -> list[Judgement]:
    """Every (design point, target) verdict, design points in summary order."""
    out = []
    for dp in design_points(summary):
        for t in targets:
            mean, low, high = _value(summary, dp, t.service_class, t.kpi)
            out.append(Judgement(dp, t, mean, low, high, t.verdict(low, high)))
    return out


def verdict_for(judgements: Sequence[Judgement], dp: str, kpi: str, service_class: str) -> str | None:
    """The combined verdict of the targets on (``kpi``, ``service_class``) at ``dp``, if any."""
    mine = [
        j.verdict
        for j in judgements
        if j.design_point == dp and j.target.kpi == kpi and j.target.service_class == service_class
    ]
    if not mine:
        return None
    for v in ("no", "?", "not distinguishable"):
        if v in mine:
            return v
    return "yes"


def recommend(summary: pd.DataFrame, targets: Targets) -> Recommendation:
    """The designs meeting every target and the best of them by the objective."""
    cons = tuple(targets.constraints)
    judgements = judge(summary, cons)
    meets, undecided = [], []
    for dp in design_points(summary):
        verdicts = [j.verdict for j in judgements if j.design_point == dp]
        if all(v == "yes" for v in verdicts):
            meets.append(dp)
        elif "no" not in verdicts:
            undecided.append(dp)
    objective = targets.objective
    best, best_value = None, None
    if meets and objective is not None:
        kpi, minimize = objective
        values = {dp: _value(summary, dp, "all", kpi) for dp in meets}
        ranked = sorted(
            (dp for dp in meets if not math.isnan(values[dp][0])),
            key=lambda dp: values[dp][0] if minimize else -values[dp][0],
        )
        if ranked:
            best, best_value = ranked[0], values[ranked[0]]
    elif len(meets) == 1:
        best = meets[0]
    return Recommendation(cons, objective, tuple(meets), tuple(undecided), best, best_value)
