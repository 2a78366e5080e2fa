"""Cheapest design that meets a service constraint: analytic bracketing, then simulation.

1. Candidates: the Cartesian product of the ``--over`` ranges.
   A grid point that is not a valid scenario is listed as invalid and skipped.
2. Bracketing: the analytic layer evaluates every candidate; a candidate whose
   constraint KPI is clearly out of reach (an exact value beyond the bound by more
   than 10 %, an approximate one by more than 100 %, or no steady state) is
   dropped without simulation.
3. The rest are simulated with common random numbers; a candidate is feasible
   when the upper (or lower) end of its confidence interval meets every bound.
4. The feasible candidate with the smallest objective mean wins (ties: the one
   with the most slack on the first constraint).
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.analytic import estimate
from sim.config import (
    DesignPoint,
    Scenario,
    ScenarioError,
    Target,
    parse_target,
    with_overrides,
)
from sim.costs import cost_kpis
from sim.system import ServiceSystem

RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
EXACT_MARGIN, APPROX_MARGIN = 0.10, 1.00

#: a constraint of the search is a scenario target (``wait_h <= 2``)
Constraint = Target


def out_of_reach(con: Target, value: float, exact: bool) -> bool:
    """The analytic value is so far beyond the bound that simulating is pointless."""
    margin = EXACT_MARGIN if exact else APPROX_MARGIN
    if con.op == "<=":
        return value > con.bound * (1 + margin) + 1e-12
    return value < con.bound * (1 - margin) - 1e-12


def parse_constraint(text: str, known: Sequence[str]) -> Target:
    """``--subject-to`` text -> a target; ``ValueError`` naming the option otherwise."""
    try:
        con = parse_target(text)
    except ValueError as exc:
        raise ValueError(f"--subject-to: {exc}") from None
    if con.kpi not in known:
        raise ValueError(f"--subject-to: unknown KPI {con.kpi!r}; known: {', '.join(known)}")
    return con


def parse_over(text: str) -> tuple[str, list[Any]]:
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ValueError(f"--over: expected key=LOW..HIGH or key=v1,v2 (got {text!r})")
    m = RANGE.match(values)
    if m:
        low, high = int(m[1]), int(m[2])
        if high < low:
            raise ValueError(f"--over {key}: empty range {values}")
        from sim.bounds import MAX_OVER_VALUES

        if high - low + 1 > MAX_OVER_VALUES:  # before building the list
            raise ValueError(
                f"--over {key.strip()}: {values} has {high - low + 1:,} values, above the limit "
                f"of {MAX_OVER_VALUES:,}"
            )
        return key.strip(), list(range(low, high + 1))
    try:
        parsed = tomllib.loads(f"v = [{values}]")["v"]
    except tomllib.TOMLDecodeError:
        parsed = [v.strip() for v in values.split(",")]
        if "" in parsed[:-1]:
            raise ValueError(f"--over {key.strip()}: an empty list item in {values!r}") from None
        parsed = [v for v in parsed if v]
    if not parsed:
        raise ValueError(f"--over {key.strip()}: no values in {values!r}")
    return key.strip(), parsed


@dataclass
class Candidate:
    point: DesignPoint
    analytic: dict[str, tuple[float, bool]] = field(default_factory=dict)
    pruned: str = ""
    simulated: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    feasible: bool | None = None


def candidates(scenario: Scenario, over: Sequence[tuple[str, list[Any]]], source: str) -> list[Candidate]:
    out = []
    for i, combo in enumerate(itertools.product(*(v for _, v in over))):
        params = {key: value for (key, _), value in zip(over, combo, strict=True)}
        try:
            sc = with_overrides(
                scenario, params, f"{source} (--over {params})", without=("sweep", "variants")
            )
        except ScenarioError as exc:
            # a grid point the scenario cannot take (e.g. fewer technicians than a rule needs)
            # is listed as such; the search goes on over the others
            key = f"{exc.key}: " if exc.key else ""
            out.append(Candidate(DesignPoint(i, params, scenario), pruned=f"invalid: {key}{exc.reason}"))
            continue
        out.append(Candidate(DesignPoint(i, params, sc)))
    if all(c.pruned for c in out):
        first = out[0].pruned.removeprefix("invalid: ")
        raise ScenarioError(source, "--over", f"no grid point is a valid scenario ({first})")
    return out


def bracket(cands: Sequence[Candidate], objective: str, constraints: Sequence[Constraint]) -> None:
    """Analytic values of objective and constraints; drop hopeless candidates."""
    for c in cands:
        if c.pruned:
            continue
        system = ServiceSystem.from_scenario(c.point.scenario)
        est = estimate(system)
        if est.unstable:
            c.pruned = f"analytic: {est.unstable}"
            continue
        values = {e.kpi: (e.value, e.exact) for e in est.primary if e.service_class == "all"}
        cost = cost_kpis(system, {k: v for k, (v, _) in values.items()})
        for k, v in cost.items():
            values.setdefault(k, (v, False))
        c.analytic = values
        for con in constraints:
            e = est.get(con.kpi, con.service_class)
            if e is not None and out_of_reach(con, e.value, e.exact):
                kind = "exact" if e.exact else "approximate"
                c.pruned = f"analytic ({e.model}, {kind}): {con.kpi} = {e.value:.4g}, not {con}"
                break


def decide(
    cands: Sequence[Candidate], summary: Any, objective: str, constraints: Sequence[Constraint]
) -> Candidate | None:
    """Mark feasibility from the simulated CIs and return the cheapest feasible candidate."""
    by_id = {c.point.id: c for c in cands if not c.pruned}
    for c in by_id.values():
        ok = True
        for con in [*constraints, Target(objective, "all", "<=", math.inf)]:
            rows = summary[
                (summary["design_point"] == c.point.id)
                & (summary["class"] == con.service_class)
                & (summary["kpi"] == con.kpi)
            ]
            if rows.empty:
                ok = False
                continue
            r = rows.iloc[0]
            c.simulated[f"{con.kpi}[{con.service_class}]"] = (r["mean"], r["ci_low"], r["ci_high"])
            if con.bound != math.inf:
                ok = ok and con.holds(r["ci_low"], r["ci_high"])
        c.feasible = ok
    feasible = [c for c in by_id.values() if c.feasible]
    if not feasible:
        return None
    first = constraints[0]

    def slack(c: Candidate) -> float:
        mean = c.simulated[f"{first.kpi}[{first.service_class}]"][0]
        return (first.bound - mean) if first.op == "<=" else (mean - first.bound)

    return min(feasible, key=lambda c: (c.simulated[f"{objective}[all]"][0], -slack(c)))
