"""The tasks of a design: every (design point, replication[, block]), and the work each
is expected to take (for the progress bar and the order tasks go to a pool)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.bounds import calls_per_h, jobs_per_h, planned_per_h, tasks_per_h
from sim.config import DesignPoint
from sim.experiment.blocks import auto_blocks
from sim.experiment.tasks import Task
from sim.system import ServiceSystem


def make_tasks(
    points: Sequence[DesignPoint], keep_calls: bool = False, replications: dict[int, range] | None = None
) -> list[Task]:
    """Every (design point, replication[, block]), replications innermost."""
    tasks = []
    for p in points:
        blocks = auto_blocks(ServiceSystem.from_scenario(p.scenario))
        reps = replications[p.index] if replications else range(p.scenario.run.replications)
        tasks += [Task(p, r, keep_calls, block=b, blocks=blocks) for r in reps for b in range(blocks)]
    return tasks


def planned_tasks(points: Sequence[DesignPoint]) -> int:
    """Tasks of a run before any ``--precision`` additions: replications x blocks, summed
    over the points (each point has its own ``run.replications`` when that is swept)."""
    return sum(
        p.scenario.run.replications * auto_blocks(ServiceSystem.from_scenario(p.scenario)) for p in points
    )


def task_work(task: Task) -> float:
    """Expected work of a task, for the progress bar's estimate: the events it simulates
    (calls, job-type jobs, internal tasks and planned jobs per hour, as :mod:`sim.bounds` counts them,
    x simulated hours) plus the machines it sets up, over its blocks."""
    system = ServiceSystem.from_scenario(task.point.scenario)
    run = system.run
    hours = run.horizon_h + (run.warmup_h if isinstance(run.warmup_h, float) else 0.0)
    source = system.source
    machines = source.machines * system.territories.count if source.finite else 0
    rate = calls_per_h(system) + jobs_per_h(system) + tasks_per_h(system) + planned_per_h(system)
    if not math.isfinite(rate):
        rate = 0.0  # (refused by the bounds before any task runs)
    return max(1.0, (rate * hours + machines) / task.blocks)
