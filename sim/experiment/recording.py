"""The recorder a task's model reports to, set up for the scenario and the task's teams."""

from __future__ import annotations

from sim.config import Scenario
from sim.recorder import KPIRecorder


def make_recorder(sc: Scenario, keep_calls: bool, technicians: int, territories: range) -> KPIRecorder:
    """A recorder for ``territories`` (all of them, or one block's) of ``sc``."""
    classes = sc.fleet.classes
    track = len(territories) if sc.territories.count >= 20 else 0  # spread across territories
    return KPIRecorder(
        [c.name for c in classes],
        [c.sla_h for c in classes],
        sc.report.wait_thresholds_h,
        technicians=technicians,
        hours_per_day=sc.calendar.day_length_h,
        keep_calls=keep_calls,
        technicians_per_territory=sc.territories.technicians,
        pooled=sc.territories.pooled,
        parts=sc.parts is not None,
        territories=track,
        territory_offset=territories.start,
    )
