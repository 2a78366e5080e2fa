"""The helpdesk before dispatch: agents take the customers' requests, resolve some remotely.

With ``[helpdesk]`` every breakdown call is a request to one helpdesk (shared by all
teams; a run with a helpdesk is never split into blocks of teams).  A request waits FIFO
for a free agent; the agent handles it (``handling``), and that end is the *reply*.
Then, if the request is resolved remotely (a share of them, decided per request), the
agent keeps it for the remote time and at its end the machine works again, without a
visit; otherwise the call goes on to its team's dispatch line and the agent takes the
next request.  The agent is busy from taking the request to letting it go.

Every quantity of a request is drawn from a named stream keyed by the call's source (the
machine of a finite fleet, the territory of Poisson calls), the k-th request of a source
getting the k-th draws: ``helpdesk_handling``, ``helpdesk_remote`` (a uniform per
request) and ``helpdesk_remote_h`` (per remote resolution).  So the number of agents and
technicians never changes what a request needs or whether it is resolved remotely
(common random numbers across a sweep of ``helpdesk.agents``).

Clocks: a call's ``failed_at`` stays the customer's call (the breakdown); on going on to
dispatch its ``logged_at`` becomes that instant, so the dispatch line's wait counts from
there, while the response, the restoration and the SLA deadline count from the
customer's call (``failed_at``).  Without a helpdesk the two are the same instant.

Job types' jobs (:class:`~sim.model.calls.Job`) are work orders, not customer reports:
they go straight to dispatch.

With the agents' shifts (``helpdesk.shifts``) a :class:`~sim.model.shifts.ShiftCalendar`
sends the agents on and off duty: off duty no request is taken (they wait in the line,
overnight), a request held at the end of the shift is finished, and at the start of the
next the free agents take the waiting requests in order.
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.monitors.protocol import Recorder
from sim.system import Helpdesk as HelpdeskSpec

from .calls import Call
from .steps import Step, scheduler
from .team import Team
from .variates import Constant, Variates, durations


class RequestPhase(IntEnum):
    """Where a request is at the helpdesk.

    ::

        QUEUED -> HANDLING -> REMOTE -> DONE    resolved remotely (the machine works again)
        QUEUED -> HANDLING -> DONE              gone on to dispatch
    """

    QUEUED = 0  # waiting for a free agent
    HANDLING = 1  # an agent handles it, up to the reply
    REMOTE = 2  # the agent resolves it remotely
    DONE = 3  # the agent has let it go


QUEUED, HANDLING, REMOTE, DONE = RequestPhase


def _uniforms(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.random(size)


class _SourceDraws:
    """The helpdesk draws of one source (machine or territory), in request order."""

    __slots__ = ("handling", "remote", "remote_h")

    def __init__(
        self, handling: Variates | Constant, remote: Variates | Constant, remote_h: Variates | Constant
    ) -> None:
        self.handling = handling
        self.remote = remote
        self.remote_h = remote_h


class Request:
    """One call at the helpdesk: the team it goes on to and what the agent will do."""

    __slots__ = ("call", "handling_h", "phase", "remote", "remote_h", "team")

    def __init__(
        self, call: Call, team: HelpdeskTeam, handling_h: float, remote: bool, remote_h: float
    ) -> None:
        self.call = call
        self.team = team
        self.handling_h = handling_h
        self.remote = remote
        self.remote_h = remote_h  # 0 unless resolved remotely with a remote time
        self.phase = QUEUED


class Helpdesk:
    """The agents and their FIFO line of requests.

    Parameters
    ----------
    env : simpy.Environment
    spec : sim.system.Helpdesk
        Agents, handling and remote times, the remote share.
    recorder : Recorder
        Receives ``requested``, ``answered``, ``replied`` and then ``passed_on`` or
        ``fixed_remotely`` for every request.
    seed, replication : int
    """

    def __init__(
        self, env: simpy.Environment, spec: HelpdeskSpec, recorder: Recorder, seed: int, replication: int
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.spec = spec
        self.recorder = recorder
        self.seed = seed
        self.replication = replication
        self.free = spec.agents
        self.on_duty = True  # (with shifts the calendar sends the agents off at once if closed)
        self.line: deque[Request] = deque()
        self._draws: dict[int, _SourceDraws] = {}  # by source, built on its first request
        self._share = spec.remote_share

    def _source_draws(self, entity: int) -> _SourceDraws:
        seed, rep, spec = self.seed, self.replication, self.spec
        share = self._share
        # a share of 0 or 1 decides without a draw; no remote time: 0 h
        remote: Variates | Constant = (
            Constant(0.0 if share >= 1.0 else 1.0)
            if share in (0.0, 1.0)
            else Variates(_uniforms, seed, rep, "helpdesk_remote", entity)
        )
        draws = _SourceDraws(
            durations(spec.handling, seed, rep, "helpdesk_handling", entity),
            remote,
            Constant(0.0)
            if spec.remote is None
            else durations(spec.remote, seed, rep, "helpdesk_remote_h", entity),
        )
        self._draws[entity] = draws
        return draws

    # -- the helpdesk process ---------------------------------------------------

    def request(self, call: Call, team: HelpdeskTeam) -> None:
        """A customer's call reaches the helpdesk (QUEUED)."""
        now = self.env.now
        entity = call.machine if call.machine >= 0 else call.territory
        draws = self._draws.get(entity) or self._source_draws(entity)
        handling_h = draws.handling.next()
        remote = draws.remote.next() < self._share
        req = Request(call, team, handling_h, remote, draws.remote_h.next() if remote else 0.0)
        self.recorder.requested(call, now)
        if self.free and self.on_duty:
            self.free -= 1
            self._answer(req, now)
        else:
            self.line.append(req)

    def _answer(self, req: Request, now: float) -> None:
        """QUEUED -> HANDLING: an agent takes the request."""
        req.phase = HANDLING
        self.recorder.answered(req.call, now)
        self._schedule(Step(req, self._replied), NORMAL, req.handling_h)

    def _replied(self, step: Step[Request]) -> None:
        """HANDLING -> REMOTE (resolved remotely) or DONE (on to dispatch): the reply."""
        req = step.value
        now = self.env.now
        call = req.call
        self.recorder.replied(call, now)
        if req.remote:
            req.phase = REMOTE
            if req.remote_h > 0.0:
                self._schedule(Step(req, self._fixed), NORMAL, req.remote_h)
            else:
                self._fix(req, now)
            return
        req.phase = DONE
        self.recorder.passed_on(call, now)
        self._next(now)
        call.logged_at = now  # the dispatch line's wait counts from here
        req.team.dispatch_call(call)

    def _fixed(self, step: Step[Request]) -> None:
        self._fix(step.value, self.env.now)

    def _fix(self, req: Request, now: float) -> None:
        """REMOTE -> DONE: the machine works again without a visit."""
        req.phase = DONE
        call = req.call
        self.recorder.fixed_remotely(call, now)
        self._next(now)
        if call.source is not None:
            call.source.machine_restored(call)

    def _next(self, now: float) -> None:
        """An agent lets a request go: takes the next one, or is free (off duty: leaves)."""
        if self.line and self.on_duty:
            self._answer(self.line.popleft(), now)
        else:
            self.free += 1

    # -- shifts (helpdesk.shifts) ---------------------------------------------------

    def end_shift(self) -> None:
        """The shift ends: no request is taken; those held are finished."""
        self.on_duty = False

    def start_shift(self) -> None:
        """The shift starts: the free agents take the waiting requests in order."""
        self.on_duty = True
        now = self.env.now
        while self.free and self.line:
            self.free -= 1
            self._answer(self.line.popleft(), now)


class HelpdeskTeam(Team):
    """A team whose breakdown calls reach it through the helpdesk: :meth:`log_call` sends
    them there, and the helpdesk hands the calls that need a visit to
    :meth:`dispatch_call` (the team's own :meth:`Team.log_call`).  Jobs of job types go
    straight to dispatch.

    Parameters
    ----------
    helpdesk : Helpdesk
    *args, **kwargs
        As :class:`~sim.model.team.Team`.
    """

    #: a booked call gets its appointment at the reply, when it reaches dispatch
    books_at_logging = False

    def __init__(self, helpdesk: Helpdesk, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helpdesk = helpdesk

    def log_call(self, call: Call) -> None:
        """A customer reports a breakdown: to the helpdesk first (a job: to dispatch)."""
        if call.job_type:
            self._reach_dispatch(call)
        else:
            self.helpdesk.request(call, self)

    def dispatch_call(self, call: Call) -> None:
        """The helpdesk passes on a call that needs a visit: it joins the dispatch line
        (or, a booked row, gets its appointment)."""
        self._reach_dispatch(call)
