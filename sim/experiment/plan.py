"""The tasks of a design: every (design point, replication[, block]), and the work each
is expected to take (for the progress bar and the order tasks go to a pool)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.config import DesignPoint, spec_mean
from sim.experiment.blocks import auto_blocks
from sim.experiment.tasks import Task


def make_tasks(
    points: Sequence[DesignPoint], keep_calls: bool = False, replications: dict[int, range] | None = None
) -> list[Task]:
    """Every (design point, replication[, block]), replications innermost."""
    tasks = []
    for p in points:
        blocks = auto_blocks(p.scenario)
        reps = replications[p.index] if replications else range(p.scenario.run.replications)
        tasks += [Task(p, r, keep_calls, block=b, blocks=blocks) for r in reps for b in range(blocks)]
    return tasks


def planned_tasks(points: Sequence[DesignPoint]) -> int:
    """Tasks of a run before any ``--precision`` additions: replications x blocks, summed
    over the points (each point has its own ``run.replications`` when that is swept)."""
    return sum(p.scenario.run.replications * auto_blocks(p.scenario) for p in points)


def task_work(task: Task) -> float:
    """Expected work of a task, for the progress bar's estimate: the calls it simulates
    (call rate x simulated hours) plus the machines it sets up, over its blocks."""
    sc = task.point.scenario
    warmup = sc.run.warmup_h if isinstance(sc.run.warmup_h, float) else 0.0
    hours = sc.run.horizon_h + warmup
    count = sc.territories.count
    if sc.fleet.calls_per_h is not None:
        rate, machines = sc.fleet.calls_per_h * count, 0
    else:
        machines = (sc.fleet.machines or 0) * count
        ttf = spec_mean(sc.fleet.time_to_failure_h) if sc.fleet.time_to_failure_h is not None else math.inf
        rate = machines / ttf if ttf > 0 else 0.0
    return max(1.0, (rate * hours + machines) / task.blocks)
