"""The Dupit case study: the default job of ``python run_sim.py``.

Dupit's reps each serve a territory of 150 printer-copiers; customers wait
6 h on average (the textbook's M/M/1) and a new standard asks for at most
2 h.  Four proposals are simulated next to their closed forms:

1. fewer machines per rep (100 instead of 150: about 5,000 more reps);
2. new equipment: faster or less variable repairs;
3. teams that pool 2, 3 or 4 territories;
4. priority for the critical new copiers.

The scenarios live in ``scenarios/dupit/`` so users can change them; the
standard is their ``[targets]`` (``wait_h <= 2``).  All design points run as one
experiment (common random numbers across them) and are written to one results
folder, whose manifest carries the study's titles and groups (see
:mod:`sim.studies`).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import (
    DesignPoint,
    Scenario,
    Target,
    check_target_kpis,
    expand_sweep,
    load_scenario,
    with_overrides,
)
from sim.console import exactness, fmt, table
from sim.experiment.experiment import execute
from sim.experiment.tables import kpi_names
from sim.report import write_report
from sim.resources import scenario_path
from sim.system import ServiceSystem

STUDY_DIR = scenario_path("dupit")  # shipped with the package (sim.resources)
ONE_DAY_H = 8.0  # P(wait > 1 working day)
GROUP_KEY = "study.part"

# The case's own figures (seed slides): about 10,000 reps serve 1.5 M machines; cutting the
# workload to 100 machines per rep needs about 5,000 more reps costing 270 M in wages and
# 30 M in training and facilities per year, i.e. 60,000 per rep-year.
COMPANY_MACHINES = 1_500_000
COST_PER_REP_YEAR = 300_000_000 / 5_000


@dataclass(frozen=True)
class Part:
    key: str
    file: str
    title: str
    short: str  # for chart legends


PARTS = (
    Part("baseline", "baseline.toml", "Status quo: 150 machines per rep", "Status quo"),
    Part(
        "proposal1",
        "proposal1_fewer_machines.toml",
        "Proposal 1: 100 machines per rep",
        "P1 fewer machines",
    ),
    Part(
        "proposal2",
        "proposal2_equipment.toml",
        "Proposal 2: new equipment (repair time)",
        "P2 new equipment",
    ),
    Part(
        "proposal3",
        "proposal3_teams.toml",
        "Proposal 3: teams of pooled territories",
        "P3 pooled teams",
    ),
    Part(
        "proposal4",
        "proposal4_priority.toml",
        "Proposal 4: priority for critical copiers",
        "P4 priority",
    ),
)


def standard(scenario: Scenario) -> Target:
    """The study's standard: the mean-wait target of its scenario files (``wait_h <= 2``)."""
    targets = scenario.targets.constraints if scenario.targets is not None else []
    for t in targets:
        if t.kpi == "wait_h" and t.service_class == "all" and t.op == "<=":
            return t
    raise ValueError('the Dupit scenario files need [targets] require = ["wait_h <= X"]')


def manifest_study() -> dict[str, Any]:
    """The manifest's ``"study"`` field (see :mod:`sim.studies`)."""
    return {
        "name": "dupit",
        "title": "Dupit case study",
        "group_key": GROUP_KEY,
        "groups": [{"key": p.key, "title": p.title, "short": p.short} for p in PARTS],
        "design_cost": {
            "key": "extra_cost_per_year",
            "title": "extra staff cost per year",
            "unit": "per year",
        },
    }


def load_study(folder: Path = STUDY_DIR) -> tuple[Scenario, list[DesignPoint]]:
    """Every design point of every part, numbered in one sequence."""
    points: list[DesignPoint] = []
    baseline: Scenario | None = None
    for part in PARTS:
        path = folder / part.file
        scenario = load_scenario(path)
        check_target_kpis(scenario, kpi_names(ServiceSystem.from_scenario(scenario)), str(path))
        baseline = baseline or scenario
        for p in expand_sweep(scenario, str(path)):
            params = {GROUP_KEY: part.key, **p.params}
            points.append(DesignPoint(len(points), params, p.scenario))
    assert baseline is not None
    return baseline, points


def extra_reps_per_year_cost(scenario: Scenario, part: str) -> float:
    """Yearly cost of the reps needed company-wide beyond today's (150 machines each).

    ``nan`` for new equipment, whose price the case does not give.
    """
    if part == "proposal2":
        return math.nan
    machines = scenario.fleet.machines or 150
    reps = COMPANY_MACHINES / (machines / scenario.territories.technicians)
    return max(0.0, reps - COMPANY_MACHINES / 150) * COST_PER_REP_YEAR


def _label(params: dict[str, Any]) -> str:
    parts = []
    for key, value in params.items():
        if key == GROUP_KEY:
            continue
        if key == "repair.time_h":
            d = json.loads(value) if isinstance(value, str) else value
            mean = d.get("mean", d.get("value"))
            cv = {"deterministic": 0.0, "exponential": 1.0}.get(d["dist"], d.get("cv"))
            parts.append(f"repair mean {mean:g} h, cv {cv:g}")
        elif key == "territories.pooled":
            parts.append(f"teams of {value}")
        elif key == "variant":
            parts.append(str(value).replace("-", " "))
        elif key == "fleet.classes":
            classes = json.loads(value) if isinstance(value, str) else value
            parts.append(f"critical share {classes[0]['share']:g}")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts) or "-"


def _row(summary: pd.DataFrame, dp: str, cls: str, kpi: str) -> pd.Series | None:
    rows = summary[(summary["design_point"] == dp) & (summary["class"] == cls) & (summary["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def study_tables(
    summary: pd.DataFrame, points: Sequence[DesignPoint], std: Target
) -> tuple[str, list[dict[str, Any]]]:
    """The printed tables and the list of options they compare."""
    out: list[str] = []
    options: list[dict[str, Any]] = []
    header = (
        "design",
        "class",
        "analytic wait h (model)",
        "simulated wait h [95% CI]",
        "P(wait>1 day)",
        f"meets {std.bound:g} h?",
        "extra cost/yr",
    )
    for part in PARTS:
        rows = []
        for p in (q for q in points if q.params[GROUP_KEY] == part.key):
            classes = ["all"] + (
                [c.name for c in p.scenario.fleet.classes] if len(p.scenario.fleet.classes) > 1 else []
            )
            cost = extra_reps_per_year_cost(p.scenario, part.key)
            for cls in classes:
                w = _row(summary, p.id, cls, "wait_h")
                tail = _row(summary, p.id, cls, f"p_wait_gt_{ONE_DAY_H:g}h")
                if w is None:
                    continue
                model = (
                    f"{fmt(w.analytic)} ({w.analytic_model}, {exactness(w.analytic_exact)})"
                    if not pd.isna(w.analytic)
                    else "-"
                )
                v = std.verdict(w.ci_low, w.ci_high)
                rows.append(
                    (
                        _label(p.params),
                        cls,
                        model,
                        f"{w['mean']:.2f} [{w.ci_low:.2f}, {w.ci_high:.2f}]",
                        "-" if tail is None else f"{tail['mean']:.1%}",
                        v,
                        _money(cost) if cls == "all" else "",
                    )
                )
                options.append(
                    {
                        "part": part.key,
                        "title": part.title,
                        "design": _label(p.params),
                        "class": cls,
                        "wait_h": w["mean"],
                        "verdict": v,
                        "cost": cost,
                    }
                )
            if part.key == "baseline":
                # the textbook's view of the same territory, for comparison
                mm1 = 0.75 * 8.0  # M/M/1, lambda = 3/day, mu = 4/day: Wq = 0.75 day
                rows.append(
                    (
                        "textbook M/M/1 (Poisson calls)",
                        "all",
                        f"{mm1:.2f} (M/M/1, approx)",
                        "-",
                        f"{0.75 * math.exp(-1):.1%}",
                        std.verdict(mm1, mm1),
                        "",
                    )
                )
        out.append(f"{part.title}\n{table(rows, header)}\n")
    return "\n".join(out), options


def _money(cost: float) -> str:
    return "equipment (not priced)" if math.isnan(cost) else f"{cost / 1e6:,.0f} M"


def recommendation(options: list[dict[str, Any]], std: Target) -> str:
    """The conclusion that follows from the simulated numbers."""
    # the pooled teams' realistic figure is the one with their longer trips
    overall = [
        o
        for o in options
        if o["class"] == "all" and o["part"] != "baseline" and "no travel penalty" not in o["design"]
    ]
    meets = [o for o in overall if o["verdict"] == "yes"]
    lines = [f"Recommendation (standard: mean wait <= {std.bound:g} h for all calls)"]
    if not meets:
        lines.append("  No proposal meets the standard for all calls at this precision.")
        return "\n".join(lines)
    by_part: dict[str, list[dict[str, Any]]] = {}
    for o in meets:
        by_part.setdefault(o["part"], []).append(o)
    priced = sorted((o for o in meets if not math.isnan(o["cost"])), key=lambda o: (o["cost"], -o["wait_h"]))
    if priced:
        best = priced[0]
        lines.append(
            f"  Cheapest priced option that meets it: {best['title']} ({best['design']}): "
            f"mean wait {best['wait_h']:.2f} h, extra staff cost {_money(best['cost'])} "
            "per year."
        )
    textbook = [
        o
        for o in options
        if o["part"] == "proposal3"
        and o["class"] == "all"
        and "no travel penalty" in o["design"]
        and o["verdict"] == "yes"
    ]
    realistic = [o for o in meets if o["part"] == "proposal3"]
    if textbook:
        first_tb = textbook[0]["design"].split(", ")[-1]
        first_real = realistic[0]["design"].split(", ")[-1] if realistic else "no team size tried"
        lines.append(
            f"  Pooling: the M/M/s view (travel inside the repair time) says {first_tb} "
            f"suffice; with the longer trips of a bigger region it takes {first_real}."
        )
    for o in priced[1:]:
        if o["part"] != priced[0]["part"] and o["cost"] > priced[0]["cost"]:
            lines.append(
                f"  {o['title']} also meets it ({o['wait_h']:.2f} h) at "
                f"{_money(o['cost'])} per year more in reps."
            )
            break
    if "proposal2" in by_part:
        designs = "; ".join(o["design"] for o in by_part["proposal2"])
        lines.append(
            f"  New equipment meets it if repairs become: {designs}. Worth buying if it "
            "costs less than the cheapest alternative above."
        )
    prio = [o for o in options if o["part"] == "proposal4" and o["class"] != "all"]
    crit_ok = [o for o in prio if o["class"] == "critical" and o["verdict"] == "yes"]
    std_bad = [o for o in prio if o["class"] == "standard" and o["verdict"] == "no"]
    if crit_ok and std_bad:
        lines.append(
            "  Priority alone meets the standard for the critical copiers only; the other "
            f"customers then wait {min(o['wait_h'] for o in std_bad):.1f} h or more."
        )
    return "\n".join(lines)


def print_results(exp: Any, points: Sequence[DesignPoint]) -> None:
    """The study's tables and recommendation (also after ``run --resume`` of a study run)."""
    std = standard(exp.scenario)
    text, options = study_tables(exp.summary, points, std)
    print(text)
    print(recommendation(options, std))


def run_study(
    out: Path,
    backend: str = "process",
    workers: int | None = None,
    progress: bool = True,
    argv: Sequence[str] = (),
    folder: Path = STUDY_DIR,
    dask_address: str | None = None,
) -> int:
    """Run the Dupit study, print its tables and write ``results/<run-id>/``."""
    baseline, points = load_study(folder)
    std = standard(baseline)
    n_tasks = sum(p.scenario.run.replications for p in points)
    print(
        f"Dupit case study: {len(points)} design points, {n_tasks} replications "
        f"(standard: mean wait <= {std.bound:g} h)",
        file=sys.stderr,
    )
    study = with_overrides(baseline, {"meta.name": "dupit-study"}, "the Dupit study")
    costs = {p.id: extra_reps_per_year_cost(p.scenario, p.params[GROUP_KEY]) for p in points}
    extra = {
        "study": manifest_study(),
        "design_points": {
            dp: {"extra_cost_per_year": None if math.isnan(c) else c} for dp, c in costs.items()
        },
    }
    exp = execute(
        study,
        points,
        out,
        argv,
        str(folder),
        backend,
        workers,
        progress=None if progress else False,
        dask_address=dask_address,
        extra=extra,
    )
    print_results(exp, points)
    report = write_report(exp.path)
    print(f"\nwrote {exp.path}  ({exp.wall_s:.1f} s)\nreport: {report}")
    return 1 if exp.failures else 0
