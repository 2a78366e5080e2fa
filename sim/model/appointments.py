"""Appointments: booked calls given an arrival window, and what became of each promise.

With ``[appointments]`` each team keeps an :class:`AppointmentBook`: its arrival windows
(cut from the shift calendar, the same for every team) and the technician-hours each
still offers to bookings.  A call of a booked row that reaches dispatch is not put in the
line: :meth:`AppointmentBook.take` gives it the first window that starts at least the
lead time later (and not before the customer's preferred day) with the booking's hours
left, and schedules its release to the team's dispatch line the row's mean trip before
the window opens.  From there the call takes its turn like any other.

Each appointment ends in one :class:`~sim.monitors.protocol.Outcome`: KEPT (the
technician arrived inside the window, or before it and waited at the door), LATE
(arrived after it closed), or MISSED (still not dispatched when the working interval of
its window ended: the team withdraws it from the line and it is booked again, with the
same rule and no preference).  The book reports ``booked`` for every appointment given
and ``appointment_outcome`` for every promise kept or broken.

The only draws are the preferred day offset (named stream ``appointment_preferred_day``,
keyed by the call's territory, one draw per first booking) and, with preferred times of
day, a uniform per first booking that picks the call's time (``appointment_preferred_time``,
keyed by territory); the call keeps its time through every rebooking.  Booking itself is
deterministic, so staffing changes which window a call gets only through the order in
which calls reach dispatch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.monitors.protocol import Outcome, Recorder
from sim.system import Appointments

from .calls import NAN, Call
from .steps import Step, scheduler
from .variates import Constant, Variates, durations

OPEN, KEPT, LATE, MISSED = Outcome.OPEN, Outcome.KEPT, Outcome.LATE, Outcome.MISSED


def _uniforms(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.random(size)


class Appointment:
    """One appointment of a booked call (see :class:`~sim.monitors.protocol.AppointmentLike`)."""

    __slots__ = (
        "arrived_at",
        "booked_at",
        "call",
        "day_end",
        "end",
        "number",
        "outcome",
        "preferred",
        "start",
    )

    def __init__(
        self,
        call: Call,
        number: int,
        start: float,
        end: float,
        day_end: float,
        now: float,
        preferred: int = -1,
    ) -> None:
        self.call = call
        self.preferred = preferred  # the customer's preferred time of day (index; -1: none)
        self.number = number
        self.start = start
        self.end = end
        self.day_end = day_end  # the end of the window's working interval: missed after it
        self.booked_at = now
        self.arrived_at = NAN
        self.outcome = OPEN


class AppointmentBook:
    """One team's arrival windows, the hours booked in them and the open appointments.

    Parameters
    ----------
    env : simpy.Environment
    spec : sim.system.Appointments
    recorder : Recorder
        Receives ``booked`` and ``appointment_outcome``.
    seed, replication : int
    release : callable
        Puts a booked call in the team's dispatch line (``Team.release_booked``).
    withdraw : callable
        Takes a booked call out of the team's line if it still waits there for its first
        visit; returns whether it did.
    """

    def __init__(
        self,
        env: simpy.Environment,
        spec: Appointments,
        recorder: Recorder,
        seed: int,
        replication: int,
        release: Callable[[Call, Appointment], None],
        withdraw: Callable[[Call], bool],
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.spec = spec
        self.recorder = recorder
        self.seed = seed
        self.replication = replication
        self.release = release
        self.withdraw = withdraw
        self.offered = spec.offered_h
        self.used: dict[int, float] = {}  # window index -> hours booked in it
        self.open: dict[int, Appointment] = {}  # call number -> its open appointment
        self._preferred: dict[int, Variates | Constant] = {}  # by territory
        self._times: dict[int, Variates] = {}  # by territory: uniforms picking the time of day

    def _preferred_start(self, call: Call) -> float:
        """The start of the customer's preferred day (a whole number of days after the
        request's calendar day), or 0 without a preference."""
        dist = self.spec.preferred_days
        if dist is None:
            return 0.0
        draws = self._preferred.get(call.territory)
        if draws is None:
            draws = durations(dist, self.seed, self.replication, "appointment_preferred_day", call.territory)
            self._preferred[call.territory] = draws
        return (math.floor(call.failed_at / 24.0) + math.floor(draws.next())) * 24.0

    def _preferred_time(self, call: Call) -> int:
        """The customer's preferred time of day (an index of ``spec.preferred_shares``), or
        -1 for none (also without preferred times: no draw then)."""
        shares = self.spec.preferred_shares
        if not shares:
            return -1
        draws = self._times.get(call.territory)
        if draws is None:
            draws = Variates(
                _uniforms, self.seed, self.replication, "appointment_preferred_time", call.territory
            )
            self._times[call.territory] = draws
        u = draws.next()
        return next((k for k, cum in enumerate(shares) if u < cum), -1)

    def take(self, call: Call) -> None:
        """A booked call reaches dispatch: give it its first appointment."""
        now = self.env.now
        preferred = self._preferred_time(call)
        self._book(call, max(now + self.spec.lead_h, self._preferred_start(call)), 1, now, preferred)

    def _book(self, call: Call, earliest: float, number: int, now: float, preferred: int = -1) -> None:
        """The first window from ``earliest`` (inside the preferred time of day, if any)
        with the booking's hours left; the call's release is scheduled the row's mean trip
        before it opens."""
        spec = self.spec
        need = spec.job_h[call.service_class]
        used = self.used
        i = spec.first_window(earliest)
        if preferred < 0:
            while used.get(i, 0.0) + need > self._open_h(i, now) + 1e-9:
                i += 1
        else:  # (the scenario's check: every preferred time holds a window of the week)
            inside, n = spec.preferred_windows[preferred], len(spec.windows)
            while i % n not in inside or used.get(i, 0.0) + need > self._open_h(i, now) + 1e-9:
                i += 1
        used[i] = used.get(i, 0.0) + need
        start, end, day_end = spec.window(i)
        appt = Appointment(call, number, start, end, day_end, now, preferred)
        self.open[call.number] = appt
        self.recorder.booked(call, appt, now)
        release_at = max(now, start - spec.release_h[call.service_class])
        self._schedule(Step(appt, self._released), NORMAL, release_at - now)
        self._schedule(Step(appt, self._day_over), NORMAL, day_end - now)

    def _open_h(self, i: int, now: float) -> float:
        """The hours window ``i`` offers to a booking made at ``now``: less the share held
        back, unless it starts within ``release_held_h`` (then the whole capacity)."""
        spec = self.spec
        release = spec.release_held_h
        if release is not None and spec.window(i)[0] - now <= release:
            return spec.capacity_h
        return self.offered

    def _released(self, step: Step[Appointment]) -> None:
        appt = step.value
        self.release(appt.call, appt)

    def _day_over(self, step: Step[Appointment]) -> None:
        """The window's working interval is over: an appointment still waiting for its
        technician is missed, and the call is booked again."""
        appt = step.value
        if appt.outcome is not OPEN:
            return
        call = appt.call
        if not self.withdraw(call):
            return  # a technician is on the way: the arrival decides (late)
        now = self.env.now
        appt.outcome = MISSED
        del self.open[call.number]
        self.recorder.appointment_outcome(call, appt, now)
        self._book(call, now + self.spec.lead_h, appt.number + 1, now, appt.preferred)

    def arrived(self, call: Call, now: float) -> Appointment | None:
        """The technician is at the door of a booked call (its first visit): the promise
        is kept or the arrival is late.  Returns the appointment (``None``: none open)."""
        appt = self.open.pop(call.number, None)
        if appt is None:
            return None
        appt.arrived_at = now
        appt.outcome = KEPT if now <= appt.end else LATE
        self.recorder.appointment_outcome(call, appt, now)
        return appt
