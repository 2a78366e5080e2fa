"""The SimPy field-service model: the only package that imports simpy.

It has no file I/O, pandas or plotting: it turns a scenario and a
replication number into reports to a :class:`sim.monitors.protocol.Recorder`.
"""

from .build import FieldService, build, machine_places, simulate
from .calls import Call
from .dispatch import Dispatcher, DispatchPolicy, Fifo, NonpreemptivePriority, make_policy

__all__ = [
    "Call",
    "DispatchPolicy",
    "Dispatcher",
    "FieldService",
    "Fifo",
    "NonpreemptivePriority",
    "build",
    "machine_places",
    "make_policy",
    "simulate",
]
