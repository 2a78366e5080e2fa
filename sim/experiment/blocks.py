"""A large fleet's replication as blocks of whole teams, run as separate tasks and merged.

The number of blocks depends on the fleet's size only (never on the number of workers), so
the tables do not depend on the machine; a block returns its recorder's running sums, and
:func:`merge_blocks` adds them and computes the KPIs once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.config import DesignPoint
from sim.experiment.rows import replication_rows
from sim.experiment.tasks import TaskResult
from sim.monitors import monitors_for
from sim.system import ServiceSystem

#: a replication of a fleet bigger than this many machines runs as several tasks
BLOCK_MACHINES = 50_000  # small blocks keep each process's working set in cache


def block_teams(teams: int, blocks: int, block: int) -> range:
    """The teams of one block: contiguous, as equal as possible."""
    return range(block * teams // blocks, (block + 1) * teams // blocks)


def auto_blocks(system: ServiceSystem) -> int:
    """Blocks of teams for one replication: from the fleet's size only (never from the
    number of workers, so that the tables do not depend on the machine)."""
    if system.run.batches or (system.parts is not None and system.parts.shared_depot):
        return 1  # batch means need one run; a shared depot links all teams
    if system.helpdesk is not None:
        return 1  # one helpdesk serves all teams
    if system.complaints is not None:
        return 1  # one complaints desk serves all teams
    count = system.territories.count
    source = system.source
    # Poisson territories: size by territory count
    machines = source.machines * count if source.finite else count * 150
    return max(1, min(system.territories.teams, math.ceil(machines / BLOCK_MACHINES)))


def merge_blocks(point: DesignPoint, parts: Sequence[TaskResult]) -> TaskResult:
    """One replication's result from its blocks: sums added, then KPIs computed once."""
    failed = [p for p in parts if p.error]
    if failed:
        return TaskResult(point.index, parts[0].replication, error=failed[0].error)
    parts = sorted(parts, key=lambda p: p.block)
    system = ServiceSystem.from_scenario(point.scenario)
    recorder = monitors_for(system, 0, range(system.territories.count))  # no technician until merged
    end = float(system.run.warmup_h) + system.run.horizon_h
    for p in parts:
        assert p.state is not None
        recorder.absorb(p.state, end)
    series = None
    if all(p.series for p in parts):
        series = [
            (samples[0][0], *(sum(col) for col in zip(*(s[1:] for s in samples), strict=True)))
            for samples in zip(*(p.series for p in parts), strict=True)
        ]
    calls = [c for p in parts for c in (p.calls or [])] if any(p.calls for p in parts) else None
    rows = replication_rows(point, parts[0].replication, [recorder.kpis(end)])
    return TaskResult(point.index, parts[0].replication, rows, calls, series, sum(p.wall_s for p in parts))
