"""The run's targets as the report reads them: constraints on KPIs and an objective.

Targets belong to the scenario (its ``[targets]`` section, kept in the
manifest's resolved scenario) or to the study that wrote the run (the
manifest's ``study`` entry).  A run without targets has none: no "meets?"
column, no target line, no star, no recommendation.  Nothing here knows a
particular study or standard.

Read from the manifest's ``targets`` (``{"require": [{"kpi", "class", "op",
"bound"}], "objective": {"kpi", "minimize"}}``, see :func:`sim.experiment.manifest.targets_manifest`),
else from the scenario's ``[targets]`` section as written (``require = ["wait_h <= 2",
"sla_met[contract] >= 0.95"]``, ``minimize = "cost_per_day"`` or ``maximize``).  A study
sets its targets in its scenario files like any other scenario.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALL = "all"
_TEXT = re.compile(
    r"^\s*(?P<kpi>[A-Za-z_][A-Za-z0-9_.]*)(?:\[(?P<cls>[^\]]+)\])?\s*(?P<op><=|>=)\s*"
    r"(?P<bound>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_KPI = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class Target:
    """One requirement: ``kpi[cls] op bound`` (``op`` is ``<=`` or ``>=``)."""

    kpi: str
    op: str
    bound: float
    cls: str = ALL

    @property
    def text(self) -> str:
        cls = "" if self.cls == ALL else f"[{self.cls}]"
        return f"{self.kpi}{cls} {self.op} {self.bound:g}"

    def verdict(self, ci_low: float, ci_high: float) -> str:
        """``yes`` when the whole 95% interval meets it, ``no`` when none of it does,
        ``unclear`` when it straddles the bound, ``unknown`` without an interval."""
        try:
            lo, hi = float(ci_low), float(ci_high)
        except (TypeError, ValueError):
            return "unknown"
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return "unknown"
        if self.op == "<=":
            return "yes" if hi <= self.bound else "no" if lo > self.bound else "unclear"
        return "yes" if lo >= self.bound else "no" if hi < self.bound else "unclear"


@dataclass(frozen=True)
class Targets:
    """The requirements and the objective (``None``: no objective given)."""

    require: tuple[Target, ...] = ()
    objective: str | None = None
    minimize: bool = True
    source: str = ""  # where they came from: "scenario" or "caller"

    def __bool__(self) -> bool:
        return bool(self.require) or self.objective is not None


def _from_text(text: Any) -> Target | None:
    m = _TEXT.match(str(text))
    if not m:
        return None
    bound = float(m["bound"])
    return Target(m["kpi"], m["op"], bound, (m["cls"] or ALL).strip()) if math.isfinite(bound) else None


def _from_dict(d: Mapping[str, Any]) -> Target | None:
    try:
        kpi, op, bound = str(d["kpi"]), str(d["op"]), float(d["bound"])
    except (KeyError, TypeError, ValueError):
        return _from_text(d.get("text")) if isinstance(d.get("text"), str) else None
    if op not in ("<=", ">=") or not _KPI.match(kpi) or not math.isfinite(bound):
        return None
    return Target(kpi, op, bound, str(d.get("class") or ALL))


def parse_targets(section: Any, source: str) -> Targets:
    """Targets from a ``targets`` mapping (manifest or scenario form); empty when absent."""
    if not isinstance(section, Mapping):
        return Targets()
    require: list[Target] = []
    items = section.get("require")
    for item in items if isinstance(items, list) else []:
        t = _from_dict(item) if isinstance(item, Mapping) else _from_text(item)
        if t is not None:
            require.append(t)
    objective, minimize = None, True
    obj = section.get("objective")
    if isinstance(obj, Mapping) and isinstance(obj.get("kpi"), str):
        objective, minimize = obj["kpi"], bool(obj.get("minimize", True))
    elif isinstance(section.get("minimize"), str):
        objective = section["minimize"]
    elif isinstance(section.get("maximize"), str):
        objective, minimize = section["maximize"], False
    if objective is not None and not _KPI.match(objective):
        objective = None
    return Targets(tuple(dict.fromkeys(require)), objective, minimize, source)


def run_targets(manifest: Mapping[str, Any]) -> Targets:
    """The run's targets: the manifest's, else its scenario's ``[targets]``; empty when none."""
    t = parse_targets(manifest.get("targets"), "scenario")
    if t:
        return t
    sc = manifest.get("scenario")
    return parse_targets(sc.get("targets"), "scenario") if isinstance(sc, Mapping) else Targets()
