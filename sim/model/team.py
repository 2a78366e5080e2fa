"""A team of technicians and its dispatcher.

A team serves the calls of its territories (one territory, or several pooled
into one).  A call that finds a technician free is dispatched at once;
otherwise it waits in the dispatch policy's line.  The technician drives to
the site, repairs the machine, and on finishing takes the next waiting call
or becomes free.  The technician is busy for the trip and the repair.

Each step is a SimPy timeout with a callback rather than a process per call:
a call only ever waits for one thing at a time, and callbacks keep the
per-call overhead low.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import simpy
from simpy.events import Event, Timeout

from sim.recorder import Recorder

from .calls import Call
from .dispatch import DispatchPolicy


class Team:
    """Technicians who share one dispatch line.

    Parameters
    ----------
    env : simpy.Environment
    technicians : sequence of int
        Identifiers of the team's technicians.
    policy : DispatchPolicy
        The line of calls waiting for a technician.
    recorder : Recorder
        Receives every step of every call.
    machine_restored : callable, optional
        Called with each call whose machine works again (set by the source).
    """

    def __init__(
        self,
        env: simpy.Environment,
        technicians: Sequence[int],
        policy: DispatchPolicy,
        recorder: Recorder,
        machine_restored: Callable[[Call], None] | None = None,
    ) -> None:
        self.env = env
        self.technicians = list(technicians)
        # the technician free the longest takes the next new call
        self.free: deque[int] = deque(technicians)
        self.line = policy
        self.recorder = recorder
        self.machine_restored = machine_restored or _nothing

    def log_call(self, call: Call) -> None:
        """A customer reports a breakdown to this team's dispatcher."""
        self.recorder.logged(call, self.env.now)
        if self.free:
            self._send(self.free.popleft(), call)
        else:
            self.line.add(call)

    def _send(self, technician: int, call: Call) -> None:
        """The technician takes the call and starts the trip."""
        now = self.env.now
        call.technician = technician
        call.dispatched_at = now
        self.recorder.dispatched(call, now)
        if call.travel_h > 0.0:
            Timeout(self.env, call.travel_h, call).callbacks.append(self._arrive)
        else:
            self._start_repair(call, now)

    def _arrive(self, event: Event) -> None:
        self._start_repair(event.value, self.env.now)

    def _start_repair(self, call: Call, now: float) -> None:
        """On site: the repair begins."""
        call.on_site_at = now
        self.recorder.on_site(call, now)
        Timeout(self.env, call.repair_h, call).callbacks.append(self._repair_done)

    def _repair_done(self, event: Event) -> None:
        """The machine works again; the technician takes the next call or is free."""
        call: Call = event.value
        self.recorder.restored(call, self.env.now)
        self.machine_restored(call)
        technician = call.technician
        following = self.line.next_call(technician)
        if following is None:
            self.free.append(technician)
        else:
            self._send(technician, following)


def _nothing(call: Call) -> None:
    pass
