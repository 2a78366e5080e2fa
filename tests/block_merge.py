"""A replication of two teams run whole and as two blocks merged through their task-file
records: what the tests of each feature's block sums compare."""

from __future__ import annotations

import json

from sim.model import simulate
from sim.monitors import Monitors, monitors_for, snapshot_from_record, snapshot_record
from sim.system import ServiceSystem


def whole_and_merged(system: ServiceSystem, technicians: int) -> tuple[Monitors, Monitors, float]:
    """The monitors of the whole two-team fleet (``technicians`` in all), those of its two
    one-team blocks merged through JSON, and the end of the run."""
    whole = monitors_for(system, technicians, range(2))
    end = simulate(system, 1, whole)
    merged = monitors_for(system, 0, range(2))
    for teams in (range(1), range(1, 2)):
        block = monitors_for(system, 1, teams)
        simulate(system, 1, block, teams_range=teams)
        record = json.loads(json.dumps(snapshot_record(block.snapshot(end))))
        merged.absorb(snapshot_from_record(record), end)
    return whole, merged, end
