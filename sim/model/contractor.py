"""A contractor for overflow: an outside firm that takes some of a team's calls.

The contractor is no technician of ours: it makes no trips the team pays for and uses no
van stock.  A call handed to it (:meth:`ContractorDesk.take`) is ``CONTRACTED``: after the
contractor's response time it is on site, after its repair time the visit ends.  The
visit restores the machine (the call is ``DONE`` and its source is told, as after a
technician's repair) or, with probability ``1 - first_time_fix``, does not: the call
goes back to the team's line as a revisit (``back``).  Until then the machine is down.

Each team has its own desk (the teams stay independent, so the blocks of a large fleet
give what the whole fleet gives), holding at most ``capacity`` jobs at once.  Its draws
come from named streams keyed by the team's global number: ``contractor_response``,
``contractor_repair`` (only when the scenario gives ``repair_h``; otherwise the call's own
repair time is used) and ``contractor_fix``.  Which calls go to the contractor depends on
staffing; the calls' own needs (and every stream of the breakdowns) do not.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.monitors.protocol import Recorder
from sim.system import Contractor

from .calls import CONTRACTED, DONE, Call
from .steps import Step, scheduler
from .variates import Constant, Variates, durations


def _uniforms(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.random(size)


class ContractorDesk:
    """One team's share of the contractor.

    Parameters
    ----------
    env : simpy.Environment
    spec : sim.system.Contractor
    team : int
        The team's global number (the key of the desk's random streams).
    seed, replication : int
    recorder : Recorder
    back : callable
        Takes back a call whose contractor visit did not fix the machine (the team's
        ``requeue``).
    """

    __slots__ = (
        "_schedule",
        "back",
        "busy",
        "capacity",
        "env",
        "fix",
        "p_fix",
        "recorder",
        "repair",
        "response",
    )

    def __init__(
        self,
        env: simpy.Environment,
        spec: Contractor,
        team: int,
        seed: int,
        replication: int,
        recorder: Recorder,
        back: Callable[[Call], None],
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.recorder = recorder
        self.back = back
        self.capacity = spec.capacity if spec.capacity is not None else -1  # -1: unlimited
        self.busy = 0
        streams = (seed, replication)
        self.response = durations(spec.response, *streams, "contractor_response", team)
        self.repair: Variates | Constant | None = None
        if spec.repair is not None:
            self.repair = durations(spec.repair, *streams, "contractor_repair", team)
        self.p_fix = spec.first_time_fix
        self.fix: Variates | None = None
        if spec.first_time_fix < 1.0:
            self.fix = Variates(_uniforms, *streams, "contractor_fix", team)

    @property
    def full(self) -> bool:
        """Whether the desk holds ``capacity`` jobs already."""
        return self.busy == self.capacity

    def take(self, call: Call, now: float) -> None:
        """WAITING -> CONTRACTED: the contractor takes the call (the caller checked
        :attr:`full`)."""
        self.busy += 1
        call.phase = CONTRACTED
        call.dispatched_at = now
        self.recorder.contracted(call, now)
        self._schedule(Step(call, self._arrive), NORMAL, self.response.next())

    def _arrive(self, step: Step[Call]) -> None:
        call = step.value
        now = self.env.now
        call.on_site_at = now
        self.recorder.contractor_on_site(call, now)
        repair = call.repair_h if self.repair is None else self.repair.next()
        self._schedule(Step(call, self._visit_over), NORMAL, repair)

    def _visit_over(self, step: Step[Call]) -> None:
        """CONTRACTED -> DONE (the machine works), or -> the team's line (not fixed)."""
        call = step.value
        now = self.env.now
        self.busy -= 1
        call.visits += 1
        if self.fix is not None and self.fix.next() >= self.p_fix:
            self.recorder.contractor_failed(call, now)
            self.back(call)
            return
        call.phase = DONE
        self.recorder.contractor_restored(call, now)
        if call.source is not None:  # a finite fleet schedules the next failure
            call.source.machine_restored(call)
