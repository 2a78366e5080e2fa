"""Monitors: small tallies that the model reports to, built for what the scenario asks.

The model reports each step of a call's life to a :class:`Recorder`
(:mod:`sim.monitors.protocol`, the only part the model imports).  A run's recorder is a
:class:`Monitors` set (:func:`monitors_for`): calls per class, levels, trips, overtime,
and, when the scenario has them, workloads, parts, repeat calls and the spread across
territories;
each is a :class:`Monitor` with ``reset``, ``snapshot``, ``absorb`` and ``kpis``, whose
typed snapshot lets the blocks of a large fleet add their sums.
"""

from .build import MonitorSpec, monitors_for, trips_take_time
from .composite import Monitors, MonitorsSnapshot
from .logs import CallRecord
from .protocol import CallLike, Monitor, Recorder
from .snapshots import snapshot_from_record, snapshot_record
from .tally import Tally

__all__ = [
    "CallLike",
    "CallRecord",
    "Monitor",
    "MonitorSpec",
    "Monitors",
    "MonitorsSnapshot",
    "Recorder",
    "Tally",
    "monitors_for",
    "snapshot_from_record",
    "snapshot_record",
    "trips_take_time",
]
