"""The ``[targets]`` section: bounds ``KPI[CLASS] <= X`` and the objective that ranks designs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, model_validator

from sim.config.errors import KeyedError, ScenarioError
from sim.config.fields import Section

if TYPE_CHECKING:
    from sim.config.schema import Scenario

_TARGET = re.compile(
    r"^\s*(?P<kpi>[A-Za-z_][A-Za-z0-9_.]*)(?:\[(?P<cls>[^\]]+)\])?\s*(?P<op><=|>=)\s*"
    r"(?P<bound>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


@dataclass(frozen=True)
class Target:
    """A bound on one KPI of one service class: ``wait_h <= 2``, ``sla_met[contract] >= 0.95``.

    Met "with confidence" when the whole confidence interval of the simulated mean lies
    on the right side of the bound.
    """

    kpi: str
    service_class: str  # "all" for every call
    op: str  # "<=" or ">="
    bound: float

    def __str__(self) -> str:
        cls = "" if self.service_class == "all" else f"[{self.service_class}]"
        return f"{self.kpi}{cls} {self.op} {self.bound:g}"

    def holds(self, low: float, high: float) -> bool:
        """Met with confidence: the whole interval ``[low, high]`` is on the right side."""
        return high <= self.bound if self.op == "<=" else low >= self.bound

    def fails(self, low: float, high: float) -> bool:
        """Missed with confidence: the whole interval is on the wrong side."""
        return low > self.bound if self.op == "<=" else high < self.bound

    def verdict(self, low: float, high: float) -> str:
        """``yes``, ``no``, ``not distinguishable`` (the interval straddles the bound) or ``?``."""
        if math.isnan(low) or math.isnan(high):
            return "?"
        if self.holds(low, high):
            return "yes"
        return "no" if self.fails(low, high) else "not distinguishable"

    def as_dict(self) -> dict[str, Any]:
        """The manifest's form: ``{"kpi", "class", "op", "bound", "text"}``."""
        return {
            "kpi": self.kpi,
            "class": self.service_class,
            "op": self.op,
            "bound": self.bound,
            "text": str(self),
        }


def parse_target(text: str) -> Target:
    """Read ``KPI[CLASS] <= X`` or ``KPI >= X``; ``ValueError`` with the reason otherwise."""
    m = _TARGET.match(text)
    if not m:
        raise ValueError(f"cannot read {text!r} (expected e.g. 'wait_h <= 2' or 'sla_met[contract] >= 0.95')")
    bound = float(m["bound"])
    if not math.isfinite(bound):
        raise ValueError(f"{text!r}: the bound must be a finite number")
    return Target(m["kpi"], (m["cls"] or "all").strip(), m["op"], bound)


class Targets(Section):
    """The service organisation's own targets.  They decide the "target met?" column of
    the summary, the recommendation, the report's lines and stars, and the default goal
    of ``optimize`` and ``select``.  A scenario without ``[targets]`` is judged against
    nothing.

    ```toml
    [targets]
    require = ["wait_h <= 2", "sla_met[contract] >= 0.95"]
    minimize = "cost_per_day"
    ```

    `require` lists bounds `KPI <= X` or `KPI >= X` on the mean of a KPI, for all calls
    or for one service class in brackets.  A design *meets* a bound when the whole 95 %
    confidence interval is on its side, *misses* it when the whole interval is on the
    other side, and is *not distinguishable* otherwise.  `minimize` (or `maximize`) names
    the KPI that ranks the designs meeting every bound: the best of them is recommended.
    Every KPI named must be one the scenario produces (cost KPIs need `[costs]`,
    `p_wait_gt_Xh` needs X in `report.wait_thresholds_h`).
    """

    require: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list)
    minimize: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    maximize: Annotated[str, Field(min_length=1, max_length=80)] | None = None

    @model_validator(mode="after")
    def _readable(self) -> Targets:
        for i, text in enumerate(self.require):
            try:
                parse_target(text)
            except ValueError as exc:
                raise KeyedError(f"targets.require[{i}]", str(exc)) from None
        if self.minimize is not None and self.maximize is not None:
            raise KeyedError("targets.maximize", "give either minimize or maximize, not both")
        return self

    @property
    def constraints(self) -> list[Target]:
        """The requirements, parsed."""
        return [parse_target(t) for t in self.require]

    @property
    def objective(self) -> tuple[str, bool] | None:
        """``(kpi, minimize)`` or ``None`` when the targets name no objective."""
        if self.minimize is not None:
            return self.minimize, True
        if self.maximize is not None:
            return self.maximize, False
        return None


def check_target_kpis(scenario: Scenario, known: Sequence[str], source: str) -> None:
    """Every KPI in ``[targets]`` is one the scenario produces (``known``: its KPI names).

    Raises
    ------
    ScenarioError
        Naming ``targets.require[i]``, ``targets.minimize`` or ``targets.maximize``.
    """
    targets = scenario.targets
    if targets is None:
        return

    def hint(kpi: str) -> str:
        if kpi.startswith("cost") and scenario.costs is None:
            return "; cost KPIs need a [costs] section"
        if kpi.startswith("p_wait_gt_"):
            return "; list its threshold in report.wait_thresholds_h"
        return f"; known: {', '.join(known)}"

    for i, t in enumerate(targets.constraints):
        if t.kpi not in known:
            raise ScenarioError(source, f"targets.require[{i}]", f"unknown KPI {t.kpi!r}{hint(t.kpi)}")
    for key in ("minimize", "maximize"):
        kpi = getattr(targets, key)
        if kpi is not None and kpi not in known:
            raise ScenarioError(source, f"targets.{key}", f"unknown KPI {kpi!r}{hint(kpi)}")
