"""Technicians who work shifts.

Outside shift hours no call is dispatched; calls wait for the next shift.
A job that is running when the shift ends is either finished as overtime
(``wip = "overtime"``, the hours are counted) or stopped and resumed at the
start of the next shift with the time it still needed (``wip = "resume"``).
"""

from __future__ import annotations

from collections.abc import Callable

from simpy.events import Event, Timeout

from sim.calendar import WeeklyCalendar

from .calls import Call
from .team import Team


class ShiftTeam(Team):
    """A :class:`Team` whose technicians are on duty only during the calendar's shifts."""

    def __init__(self, *args, calendar: WeeklyCalendar, wip: str = "overtime", **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.wip = wip
        self.on_duty = calendar.is_open(self.env.now)
        # the timer each technician's current step runs on; a stopped step's timer is
        # disowned by bumping the technician's generation, so its callback does nothing
        self._generation = dict.fromkeys(self.technicians, 0)
        self._running: dict[int, tuple[Call, Callable[[Event], None], float]] = {}
        self._stopped: list[tuple[Call, Callable[[Event], None], float]] = []
        self._overtime_since: dict[int, float] = {}
        if not self.on_duty:
            self.recorder.duty(-len(self.technicians), self.env.now)
        self._schedule_boundary()

    # -- shift boundaries ---------------------------------------------------

    def _schedule_boundary(self) -> None:
        now = self.env.now
        nxt = self.calendar.next_close(now) if self.on_duty else self.calendar.next_open(now)
        Timeout(self.env, nxt - now).callbacks.append(self._boundary)

    def _boundary(self, event: Event) -> None:
        if self.on_duty:
            self._shift_ends()
        else:
            self._shift_starts()
        self._schedule_boundary()

    def _shift_ends(self) -> None:
        now = self.env.now
        self.on_duty = False
        self.recorder.duty(-len(self.technicians), now)
        if self.wip == "overtime":
            # everyone still at work (a step running, or waiting on site for a part) works on
            for tech in (*self._running, *self.waiting_on_site):
                self._overtime_since[tech] = now
            return
        for tech, (call, then, end) in list(self._running.items()):
            self._generation[tech] += 1
            del self._running[tech]
            self._stopped.append((call, then, end - now))
            self.recorder.paused(call, now, then == self._repair_done)

    def _shift_starts(self) -> None:
        now = self.env.now
        self.on_duty = True
        self.recorder.duty(len(self.technicians), now)
        # overtime still running into this shift is counted up to its start
        for since in self._overtime_since.values():
            self.recorder.overtime(now - since, now)
        self._overtime_since.clear()
        for call, then, left in self._stopped:
            self.recorder.resumed(call, now, then == self._repair_done)
            self._after(left, call, then)
        self._stopped.clear()
        while self.free:
            following = self.line.next_call(self.free[0])
            if following is None:
                break
            self._send(self.free.popleft(), following, len(self.line) + 1)

    # -- timers that a shift end can stop ----------------------------------

    def _after(self, delay: float, call: Call, then: Callable[[Event], None]) -> None:
        if not self.on_duty and self.wip == "resume":
            # no work off shift: a step that becomes possible now (a part has come) waits
            # for the next shift, in full
            self._stopped.append((call, then, delay))
            return
        tech = call.technician
        generation = self._generation[tech]
        self._running[tech] = (call, then, self.env.now + delay)

        def step(event: Event) -> None:
            if self._generation[tech] == generation:  # not stopped meanwhile
                del self._running[tech]
                then(event)

        Timeout(self.env, delay, call).callbacks.append(step)

    def _job_over(self, call: Call) -> None:
        since = self._overtime_since.pop(call.technician, None)
        if since is not None:  # (entries only exist off shift: each shift start settles them)
            now = self.env.now
            self.recorder.overtime(now - since, now)
        super()._job_over(call)
