"""Broken promises raise complaints, supervisors handle them (``[complaints]``), and each
call gets a satisfaction score (``[satisfaction]``).

Two parts, built once per replication when the scenario has either section:

* :class:`PromiseJudge` stands between the model and its recorder.  It passes every
  report on unchanged and, at the instants where a promise shows kept or broken, judges
  it: the reply (``late_reply``), the first technician or contractor on site
  (``late_on_site``), the machine working again (``late_restore``), the call of a repeat
  failure (``repeat_failure``), a booked call's late arrival or missed appointment
  (``appointment_outcome``); ``any_call`` at every customer's call.  A broken promise
  raises a complaint if the call's uniform for that promise is below its probability;
  when the machine works again the call's score is reported (``satisfied``).
* :class:`ComplaintDesk`: the supervisors and their FIFO line of complaints.  A
  complaint waits for a free supervisor, who handles it for its drawn time; its end is
  the resolution.

Common random numbers: at the customer's call the judge draws, for every promise that
can raise a complaint, a uniform (stream ``complaint_draw``) and a handling time
(``complaint_handling``), keyed by the call's source (machine, or territory of Poisson
calls) and the promise, the k-th call of a source taking the k-th draws.  So whether a
breach raises a complaint, and how long the supervisor takes with it, is the same for
a call across a sweep of staffing; only which promises break differs.  The judge and the
desk only add events: the service process and its draws are the same with or without
complaints.

Only breakdown calls raise complaints (job types' jobs and planned visits are work
orders).  With a helpdesk the customer's call is the request (``requested``);
without, it is the call logged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import cast

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.monitors.protocol import EVENTS, AppointmentLike, CallLike, Outcome, Recorder
from sim.system import Complaints as ComplaintsSpec
from sim.system import Promise, ServiceSystem
from sim.system import Satisfaction as SatisfactionSpec

from .shifts import ShiftCalendar
from .steps import Step, scheduler
from .variates import Constant, Variates, durations


class ComplaintPhase(IntEnum):
    """Where a complaint is.  ``QUEUED -> HANDLED -> RESOLVED``."""

    QUEUED = 0  # waiting for a free supervisor
    HANDLED = 1  # a supervisor handles it
    RESOLVED = 2  # handled: the customer has the answer


QUEUED, HANDLED, RESOLVED = ComplaintPhase


class Complaint:
    """One complaint: the call and the promise it is about, when it was raised."""

    __slots__ = ("call", "handling_h", "phase", "promise", "raised_at")

    def __init__(self, call: CallLike, promise: Promise, raised_at: float, handling_h: float) -> None:
        self.call = call
        self.promise = promise
        self.raised_at = raised_at
        self.handling_h = handling_h
        self.phase = QUEUED


class ComplaintDesk:
    """The supervisors and their FIFO line of complaints.

    Parameters
    ----------
    env : simpy.Environment
    supervisors : int
    recorder : Recorder
        Receives ``complaint_raised``, ``complaint_taken`` and ``complaint_resolved``.
    """

    def __init__(self, env: simpy.Environment, supervisors: int, recorder: Recorder) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.recorder = recorder
        self.free = supervisors
        self.on_duty = True  # (with shifts a ShiftCalendar sends them off and on)
        self.line: deque[Complaint] = deque()

    def raise_complaint(self, call: CallLike, promise: Promise, handling_h: float, now: float) -> None:
        """A customer complains (QUEUED), and a free supervisor takes it at once."""
        c = Complaint(call, promise, now, handling_h)
        self.recorder.complaint_raised(call, int(promise), now)
        if self.free and self.on_duty:
            self.free -= 1
            self._take(c, now)
        else:
            self.line.append(c)

    def _take(self, c: Complaint, now: float) -> None:
        """QUEUED -> HANDLED."""
        c.phase = HANDLED
        self.recorder.complaint_taken(c.call, int(c.promise), c.raised_at, now)
        self._schedule(Step(c, self._resolved), NORMAL, c.handling_h)

    def _resolved(self, step: Step[Complaint]) -> None:
        """HANDLED -> RESOLVED; the supervisor takes the next complaint or is free."""
        c = step.value
        now = self.env.now
        c.phase = RESOLVED
        self.recorder.complaint_resolved(c.call, int(c.promise), c.raised_at, now)
        if self.line and self.on_duty:
            self._take(self.line.popleft(), now)
        else:
            self.free += 1

    def end_shift(self) -> None:
        """The supervisors' shift ends: no complaint is taken; those held are finished."""
        self.on_duty = False

    def start_shift(self) -> None:
        """The shift starts: the free supervisors take the waiting complaints in order."""
        self.on_duty = True
        now = self.env.now
        while self.free and self.line:
            self.free -= 1
            self._take(self.line.popleft(), now)


def _uniforms(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.random(size)


#: the reports the judge looks at (the others go straight to the recorder)
_JUDGED = (
    "requested",
    "logged",
    "replied",
    "on_site",
    "contractor_on_site",
    "restored",
    "contractor_restored",
    "fixed_remotely",
    "appointment_outcome",
)


class _Open:
    """What the judge keeps of a call until its machine works again."""

    __slots__ = ("broken", "handling", "uniforms")

    def __init__(self, uniforms: list[float], handling: list[float]) -> None:
        self.uniforms = uniforms  # per complaint promise: the draw that decides
        self.handling = handling  # per complaint promise: the supervisor's time
        self.broken = 0  # bit p: promise p broken


class PromiseJudge:
    """The recorder the model reports to with complaints or a satisfaction score: it judges
    the promises and passes every report on (see the module).

    Parameters
    ----------
    env : simpy.Environment
    system : ServiceSystem
        Its ``complaints`` and ``satisfaction`` (one at least), classes (the promises),
        helpdesk and calendar.
    recorder : Recorder
        The tallies.
    seed, replication : int
    """

    def __init__(
        self, env: simpy.Environment, system: ServiceSystem, recorder: Recorder, seed: int, replication: int
    ) -> None:
        spec = system.complaints
        score = system.satisfaction
        assert spec is not None or score is not None
        self.env = env
        self.spec: ComplaintsSpec | None = spec
        self.score: SatisfactionSpec | None = score
        self.inner = recorder
        self.desk = None if spec is None else ComplaintDesk(env, spec.supervisors, recorder)
        if self.desk is not None and spec is not None and spec.shifts is not None:
            ShiftCalendar(env, spec.shifts, self.desk)  # the supervisors' shifts
        self.seed = seed
        self.replication = replication
        # every other report reaches the recorder directly (bound once, here)
        for event in (*EVENTS, "reset", "close", "pending"):
            if event not in _JUDGED:
                setattr(self, event, getattr(recorder, event))
        classes = system.classes
        self.classes = len(classes)  # rows from here on are job types and planned visits
        self.helpdesk = system.helpdesk is not None
        # the promises that raise complaints, and those judged at all (complaints or score)
        self.promises: tuple[Promise, ...] = () if spec is None else spec.promises
        self.chance: tuple[float, ...] = (0.0,) * len(Promise) if spec is None else spec.probability
        weights = (0.0,) * len(Promise) if score is None else score.broken
        self.judged = frozenset(self.promises) | {p for p in Promise if weights[p] > 0.0}
        desk = system.helpdesk
        self.reply_h: Sequence[float | None] = [
            c.reply_sla_h if c.reply_sla_h is not None else (None if desk is None else desk.reply_target_h)
            for c in classes
        ]
        self.restore_h: Sequence[float | None] = [c.restore_sla_h for c in classes]
        self.part_wait_stops: Sequence[bool] = [c.part_wait_stops_clock for c in classes]
        hours = system.calendar.customer_hours
        self.business: Sequence[Callable[[float, float], float] | None] = [
            hours.add_business_hours if c.restore_business and hours is not None else None for c in classes
        ]
        self.reply_business: Sequence[Callable[[float, float], float] | None] = [
            hours.add_business_hours if c.reply_business and hours is not None else None for c in classes
        ]
        self._draws: dict[int, tuple[list[Variates], list[Variates | Constant]]] = {}
        self._open: dict[int, _Open] = {}  # by call number, from the customer's call

    # -- draws -------------------------------------------------------------------

    def _source_draws(self, entity: int) -> tuple[list[Variates], list[Variates | Constant]]:
        seed, rep = self.seed, self.replication
        handling = self.spec.handling if self.spec is not None else None
        draws = (
            [Variates(_uniforms, seed, rep, "complaint_draw", entity, int(p)) for p in self.promises],
            [
                durations(handling, seed, rep, "complaint_handling", entity, int(p))
                for p in self.promises
                if handling is not None
            ],
        )
        self._draws[entity] = draws
        return draws

    def _called(self, call: CallLike, now: float) -> None:
        """The customer's call: its draws, and the promises judged at once."""
        entity = call.machine if call.machine >= 0 else call.territory
        u, h = self._draws.get(entity) or self._source_draws(entity)
        self._open[call.number] = _Open([x.next() for x in u], [x.next() for x in h])
        if Promise.ANY_CALL in self.judged:
            self._broken(call, Promise.ANY_CALL, now)
        if call.repeat and Promise.REPEAT in self.judged:
            self._broken(call, Promise.REPEAT, now)

    def _broken(self, call: CallLike, promise: Promise, now: float) -> None:
        """A promise broken: noted for the score, and a complaint if the call's draw says so."""
        state = self._open.get(call.number)
        if state is None or state.broken >> promise & 1:  # (opened at the customer's call;
            return  # each kind judged once per call: a second miss is no new draw)
        state.broken |= 1 << promise
        if promise in self.promises:
            i = self.promises.index(promise)
            if state.uniforms[i] < self.chance[promise]:
                assert self.desk is not None
                self.desk.raise_complaint(call, promise, state.handling[i], now)

    def _closed(self, call: CallLike, now: float, visited: bool) -> None:
        """The machine works again: the call's score, and nothing more to judge."""
        state = self._open.pop(call.number, None)
        score = self.score
        if state is None or score is None:
            return
        points = score.best
        for p in Promise:
            if state.broken >> p & 1:
                points -= score.broken[p]
        if call.visits > 1:
            points -= score.not_fixed_first_time
        if visited:
            points -= score.per_response_h * (call.on_site_at - call.failed_at)
        points -= score.per_restore_h * (now - call.failed_at)
        self.inner.satisfied(call, max(score.worst, points), now)

    # -- the judged reports --------------------------------------------------------

    def requested(self, call: CallLike, now: float) -> None:
        self.inner.requested(call, now)
        if call.service_class < self.classes:
            self._called(call, now)

    def logged(self, call: CallLike, now: float) -> None:
        self.inner.logged(call, now)
        if not self.helpdesk and call.service_class < self.classes:
            self._called(call, now)

    def replied(self, call: CallLike, now: float) -> None:
        self.inner.replied(call, now)
        row = call.service_class
        target = self.reply_h[row]
        if target is None or Promise.REPLY not in self.judged:
            return
        add = self.reply_business[row]
        late = now > add(call.failed_at, target) if add is not None else now - call.failed_at > target
        if late:
            self._broken(call, Promise.REPLY, now)

    def on_site(self, call: CallLike, now: float) -> None:
        self.inner.on_site(call, now)
        self._judge_on_site(call, now)

    def contractor_on_site(self, call: CallLike, now: float) -> None:
        self.inner.contractor_on_site(call, now)
        self._judge_on_site(call, now)

    def _judge_on_site(self, call: CallLike, now: float) -> None:
        # the response promise is kept or broken at the first visit (as sla_met counts it)
        if (
            call.visits == 0
            and call.service_class < self.classes
            and now > call.due_at
            and Promise.ON_SITE in self.judged
        ):
            self._broken(call, Promise.ON_SITE, now)

    def appointment_outcome(self, call: CallLike, appointment: AppointmentLike, now: float) -> None:
        self.inner.appointment_outcome(call, appointment, now)
        kind = {Outcome.LATE: Promise.LATE_ARRIVAL, Outcome.MISSED: Promise.MISSED_APPOINTMENT}.get(
            appointment.outcome
        )
        if kind is not None and kind in self.judged:
            self._broken(call, kind, now)

    def restored(self, call: CallLike, now: float) -> None:
        self.inner.restored(call, now)
        self._judge_restored(call, now)

    def contractor_restored(self, call: CallLike, now: float) -> None:
        self.inner.contractor_restored(call, now)
        self._judge_restored(call, now)

    def fixed_remotely(self, call: CallLike, now: float) -> None:
        # no restore promise is judged for a remote fix (restore_met does not count them)
        self.inner.fixed_remotely(call, now)
        self._closed(call, now, visited=False)

    def _judge_restored(self, call: CallLike, now: float) -> None:
        row = call.service_class
        if row >= self.classes:
            return
        hours = self.restore_h[row]
        if hours is not None and Promise.RESTORE in self.judged:
            add = self.business[row]
            if add is not None:
                late = now > add(call.failed_at, hours)
            else:
                elapsed = now - call.failed_at
                if self.part_wait_stops[row]:
                    elapsed -= call.part_wait
                late = elapsed > hours
            if late:
                self._broken(call, Promise.RESTORE, now)
        self._closed(call, now, visited=True)


def judged(
    env: simpy.Environment, system: ServiceSystem, recorder: Recorder, seed: int, replication: int
) -> Recorder:
    """The recorder the model reports to: ``recorder`` itself, or with ``[complaints]`` or
    ``[satisfaction]`` a :class:`PromiseJudge` in front of it."""
    if system.complaints is None and system.satisfaction is None:
        return recorder
    # the judge has every report of the protocol (its own or the recorder's, bound in
    # its constructor), which the type checker cannot see through setattr
    return cast(Recorder, PromiseJudge(env, system, recorder, seed, replication))
