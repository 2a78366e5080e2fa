"""What a run folder's ``manifest.json`` says: the head written before the first task
(enough to repeat or resume the run), how the run went, and the design points rebuilt
from it; and ``machines.parquet``, the map's machine places.

The manifest records the scenario as written (its TOML keys, hash, sweep and every design
point's scenario), so that a run can be repeated, resumed and labelled from it; what it
derives (the parsed targets, the seed, the map's places) it reads from the resolved
:class:`sim.system.ServiceSystem`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.config import DesignPoint, Scenario
from sim.experiment.plan import planned_tasks
from sim.experiment.replication import machine_locations
from sim.model import machine_places
from sim.system import ServiceSystem

if TYPE_CHECKING:
    from sim.experiment.experiment import Experiment


def targets_manifest(system: ServiceSystem) -> dict[str, Any]:
    """``manifest["targets"]``: the system's targets (the scenario's ``[targets]``, parsed)
    for readers of the run.

    ``{"require": [{"kpi", "class", "op", "bound", "text"}, ...],
    "objective": {"kpi", "minimize"} | None}``.
    """
    t = system.targets
    assert t is not None
    objective = t.objective
    return {
        "require": [c.as_dict() for c in t.constraints],
        "objective": None if objective is None else {"kpi": objective[0], "minimize": objective[1]},
    }


def manifest_head(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    argv: Sequence[str],
    source: str,
    keep_calls: bool = False,
) -> dict[str, Any]:
    """What a run is: enough to repeat it, or to resume it, from the manifest alone."""
    from sim.results import git_commit, package_versions

    system = ServiceSystem.from_scenario(scenario)
    return {
        "scenario_file": source,
        "scenario": scenario.model_dump(mode="json"),
        "config_hash": scenario.config_hash(),
        "sweep": {k: list(v) for k, v in scenario.sweep.items()},
        "design_points": [
            {
                "id": p.id,
                "params": p.params,
                "config_hash": p.scenario.config_hash(),
                "replications": p.scenario.run.replications,
                "scenario": p.scenario.model_dump(mode="json"),
            }
            for p in points
        ],
        **({"targets": targets_manifest(system)} if system.targets is not None else {}),
        "seed": system.run.seed,
        # the points' own counts (a sweep of run.replications gives each point its own)
        "replications": scenario.run.replications
        if len({p.scenario.run.replications for p in points}) <= 1
        else {p.id: p.scenario.run.replications for p in points},
        "tasks_planned": planned_tasks(points),
        "records": keep_calls,
        "command_line": list(argv),
        "git_commit": git_commit(),
        "versions": {"python": sys.version.split()[0], **package_versions()},
    }


def manifest(exp: Experiment, head: dict[str, Any]) -> dict[str, Any]:
    """The head plus how the run went: wall time, precision reached, every task's status."""
    return {
        **head,
        **({"unstable": exp.unstable} if exp.unstable else {}),
        "wall_s": round(exp.wall_s, 3),
        **({"precision_reached": exp.precision} if exp.precision else {}),
        **({"warmup_chosen_h": exp.warmups} if exp.warmups else {}),
        "tasks": [
            {
                "design_point": exp.points[r.design_point].id,
                "replication": r.replication,
                "status": "failed" if r.error else "done",
                "wall_s": round(r.wall_s, 4),
                **({"error": r.error} if r.error else {}),
            }
            for r in exp.results
        ],
    }


def points_from_manifest(man: dict[str, Any], source: str) -> tuple[Scenario, list[DesignPoint]]:
    """The scenario and design points of a run, rebuilt from its manifest."""
    from sim.config import validate_scenario

    scenario = validate_scenario(man["scenario"], source)
    if not all("scenario" in d for d in man["design_points"]):
        from sim.errors import ResultsError

        raise ResultsError(f"{source}: its design points have no scenarios (an older run): cannot resume it")
    points = [
        DesignPoint(i, dict(d["params"]), validate_scenario(d["scenario"], source))
        for i, d in enumerate(man["design_points"])
    ]
    return scenario, points


#: the map's machine places: the first teams of each geometry design point, within a budget
LAYOUT_TEAMS = 4
LAYOUT_ROWS = 50_000


def machine_layout(points: Sequence[DesignPoint]) -> pd.DataFrame | None:
    """``machines.parquet``: where replication 0 puts the machines of the first
    ``LAYOUT_TEAMS`` teams of each geometry design point (team-local km), for the report's
    map; points past ``LAYOUT_ROWS`` rows are left out.  None without geometry."""
    frames = []
    rows = 0
    for p in points:
        system = ServiceSystem.from_scenario(p.scenario)
        given = machine_locations(p.scenario) if system.territories.locations_csv else None
        places = machine_places(system, 0, LAYOUT_TEAMS, given)
        if not places or rows + len(places) > LAYOUT_ROWS:
            continue
        rows += len(places)
        df = pd.DataFrame(places, columns=["team", "territory", "x_km", "y_km"])
        df.insert(0, "design_point", p.id)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None
