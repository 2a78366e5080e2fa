"""Validation cases: simulated KPIs against their exact closed forms.

A case is a scenario file with a ``[validation]`` table listing the KPIs to
check.  For each KPI (overall and per class) whose analytic value is exact
for the scenario, the case passes when the exact value lies inside the
simulated confidence interval (99 % by default) AND the interval's relative
half-width is at most ``max_rel_half_width``, so that a pass means something.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sim.analytic import estimate
from sim.config import Scenario, expand_sweep, load_scenario, with_overrides
from sim.experiment.experiment import run_experiment
from sim.system import ServiceSystem

QUICK_HORIZON_FACTOR = 0.25  # --quick: a quarter of the horizon ...
QUICK_TOLERANCE_FACTOR = 2.0  # ... so half-widths double; the allowance doubles with them
MAX_REL_HALF_WIDTH = 1.0  # the limit of validation.max_rel_half_width


@dataclass(frozen=True)
class Check:
    case: str
    design_point: str
    service_class: str
    kpi: str
    exact: float
    model: str
    mean: float
    ci_low: float
    ci_high: float
    rel_half_width: float
    max_rel_half_width: float
    tolerance: float = 0.0  # > 0: an approximation, allowed to be off by this share

    @property
    def inside(self) -> bool:
        if self.tolerance:
            slack = self.tolerance * abs(self.exact) + (self.ci_high - self.ci_low) / 2
            return abs(self.mean - self.exact) <= slack
        return self.ci_low <= self.exact <= self.ci_high

    max_abs_half_width: float = 0.01
    informational: bool = False  # another formula shown for comparison (e.g. METRIC)

    @property
    def tight(self) -> bool:
        if self.exact == 0.0:  # an identity: relative precision means nothing at 0
            return (self.ci_high - self.ci_low) / 2 <= self.max_abs_half_width
        return self.rel_half_width <= self.max_rel_half_width

    @property
    def passed(self) -> bool:
        return self.informational or (self.inside and self.tight)

    @property
    def verdict(self) -> str:
        if self.informational:
            off = (self.mean - self.exact) / self.exact if self.exact else float("nan")
            return f"info: simulation is {off:+.0%} off this formula"
        if self.passed:
            return "pass"
        if not self.inside:
            return "FAIL (outside tolerance)" if self.tolerance else "FAIL (outside CI)"
        return "FAIL (CI too wide)"


def case_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.toml"))


def quick(scenario: Scenario, source: str = "<validation case>") -> Scenario:
    """The same case with a shorter horizon and a proportionally wider allowance (changed
    with :func:`sim.config.with_overrides`, so validated like a file).

    The allowance stays within its key's limit (a half-width as large as the value): a
    case allowing more than half of that gets the limit in quick mode.
    """
    assert scenario.validation is not None
    wider = scenario.validation.max_rel_half_width * QUICK_TOLERANCE_FACTOR
    changes = {
        "run.horizon_h": scenario.run.horizon_h * QUICK_HORIZON_FACTOR,
        "validation.max_rel_half_width": min(wider, MAX_REL_HALF_WIDTH),
    }
    return with_overrides(scenario, changes, f"{source} (--quick)")


def run_case(
    path: Path,
    is_quick: bool = False,
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
) -> list[Check]:
    """Run one validation case and check every exact KPI it lists."""
    scenario = load_scenario(path)
    if scenario.validation is None:
        raise ValueError(f"{path}: not a validation case (no [validation] table)")
    if is_quick:
        scenario = quick(scenario, str(path))
    val = scenario.validation
    assert val is not None
    points = expand_sweep(scenario, str(path))
    exp = run_experiment(scenario, points, backend, workers, progress=progress, confidence=val.confidence)
    if exp.failures:
        raise RuntimeError(f"{path}: {len(exp.failures)} replication(s) failed:\n{exp.failures[0].error}")
    checks: list[Check] = []
    s = exp.summary
    wanted = [(k, True) for k in val.kpis] + [(k, False) for k in val.approximate_kpis]
    for kpi, exact in wanted:
        rows = s[(s["kpi"] == kpi) & s["analytic"].notna()]
        rows = rows[rows["analytic_exact"].fillna(False)] if exact else rows
        if len(scenario.fleet.classes) == 1 and not (scenario.work and scenario.work.types):
            # the one class's row repeats the overall row
            rows = rows[rows["class"] == "all"]
        if rows.empty:
            kind = "exact formula" if exact else "formula"
            raise ValueError(f"{path}: validation: no {kind} for {kpi!r} in this case")
        for r in rows.to_dict("records"):
            value = float(r["analytic"])
            checks.append(
                Check(
                    path.stem,
                    r["design_point"],
                    r["class"],
                    kpi,
                    value,
                    str(r["analytic_model"]),
                    float(r["mean"]),
                    float(r["ci_low"]),
                    float(r["ci_high"]),
                    float(r["half_width"]) / abs(value) if value else float("inf"),
                    val.max_rel_half_width,
                    0.0 if exact else val.approx_tolerance,
                    val.max_abs_half_width,
                )
            )
        if not exact:  # show the other formulas for the same KPI, e.g. METRIC's bias
            for r in rows.to_dict("records"):
                point = next(p for p in points if p.id == r["design_point"])
                for alt in estimate(ServiceSystem.from_scenario(point.scenario)).alternatives:
                    if alt.kpi == kpi and alt.service_class == r["class"]:
                        checks.append(
                            Check(
                                path.stem,
                                r["design_point"],
                                r["class"],
                                kpi,
                                alt.value,
                                alt.model,
                                float(r["mean"]),
                                float(r["ci_low"]),
                                float(r["ci_high"]),
                                math.nan,
                                val.max_rel_half_width,
                                val.approx_tolerance,
                                informational=True,
                            )
                        )
    return checks
