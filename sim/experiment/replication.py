"""Running one task on a worker: simulate it, and turn its recorder into rows.

:func:`run_replication` is a pure function of its task (same task, same rows);
:func:`run_chunk` is what the backends send to a worker (top-level, so that it pickles).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from typing import Any

from sim.config import Scenario, read_locations
from sim.experiment.blocks import block_teams
from sim.experiment.rows import replication_rows
from sim.experiment.tasks import Task, TaskResult
from sim.model import simulate
from sim.monitors import Monitor, monitors_for
from sim.system import ServiceSystem

_LOCATIONS: dict[tuple[Any, ...], list[tuple[float, float]]] = {}


def machine_locations(sc: Scenario) -> list[tuple[float, float]]:
    """The CSV's machine locations, read once per process (and file and fleet).

    The file is read, and checked, against the scenario as written
    (:func:`sim.config.read_locations` names its keys in the one-line errors)."""
    t = sc.territories
    key = (t.locations_csv, t.count, sc.fleet.machines, t.width_km, t.height_km)
    if key not in _LOCATIONS:
        _LOCATIONS[key] = read_locations(sc, str(t.locations_csv))
    return _LOCATIONS[key]


def run_replication(task: Task, extra: Sequence[Monitor[Any]] = ()) -> TaskResult:
    """Simulate one task and return its KPI rows (pure: same task, same rows).

    A block task (one of a large fleet's blocks of teams) returns its running sums
    instead; :func:`sim.experiment.blocks.merge_blocks` turns the blocks of a
    replication into its rows.  ``extra`` tallies join the monitor set the scenario
    needs (a test's own questions).
    """
    t0 = time.perf_counter()
    sc = task.point.scenario
    system = ServiceSystem.from_scenario(sc)
    terr = system.territories
    teams = block_teams(system.teams, task.blocks, task.block) if task.blocks > 1 else None
    territories = range(teams.start * terr.pooled, teams.stop * terr.pooled) if teams else range(terr.count)
    recorder = monitors_for(system, terr.technicians * len(territories), territories, task.keep_calls, extra)
    batches: list[dict[str, dict[str, float]]] = []

    def close_batch(now: float) -> None:
        batches.append(recorder.kpis(now))
        recorder.new_batch(now)

    locations = machine_locations(sc) if terr.locations_csv else None
    end = simulate(
        system,
        task.replication,
        recorder,
        task.samples,
        system.run.batches,
        close_batch,
        teams,
        locations,
    )
    calls = recorder.calls if task.keep_calls else None
    if teams is not None:
        return TaskResult(
            task.point.index,
            task.replication,
            [],
            calls,
            recorder.series or None,
            time.perf_counter() - t0,
            block=task.block,
            state=recorder.snapshot(end),
        )
    rows = replication_rows(task.point, task.replication, batches or [recorder.kpis(end)])
    return TaskResult(
        task.point.index,
        task.replication,
        rows,
        calls,
        recorder.series or None,
        time.perf_counter() - t0,
        decisions=recorder.decisions if system.dispatch.record_decisions else None,
    )


def _guarded(task: Task) -> TaskResult:
    """Run a task; an exception becomes the task's recorded error, not a crash."""
    try:
        return run_replication(task)
    except Exception:
        return TaskResult(task.point.index, task.replication, error=traceback.format_exc(), block=task.block)


def run_chunk(tasks: list[Task]) -> list[TaskResult]:
    """Run a chunk of tasks on one worker (see :mod:`sim.experiment.backends`): one round
    trip for many."""
    return [_guarded(t) for t in tasks]
