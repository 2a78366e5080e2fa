"""Technicians who work shifts: the calendar that sends a team on and off duty.

Outside shift hours no call is dispatched; calls wait for the next shift.
What happens to a job running at the shift end is the team's own mechanism
(:meth:`sim.model.team.Team.end_shift`): it is finished as overtime
(``wip = "overtime"``, the hours are counted) or paused and resumed at the
start of the next shift with the time it still needed (``wip = "resume"``).
"""

from __future__ import annotations

from typing import Protocol

import simpy
from simpy.events import Event, Timeout

from sim.calendar import WeeklyCalendar


class Crew(Protocol):
    """What a calendar sends on and off duty: a team, or the helpdesk's agents."""

    @property
    def on_duty(self) -> bool: ...
    def end_shift(self) -> None: ...
    def start_shift(self) -> None: ...


class ShiftCalendar:
    """Ends and starts a team's (or the helpdesk's) shifts at the calendar's boundaries.

    Parameters
    ----------
    env : simpy.Environment
    calendar : WeeklyCalendar
        The technicians' (agents') working hours.
    team : Crew
        Sent off duty at once if the calendar is closed now.
    """

    def __init__(self, env: simpy.Environment, calendar: WeeklyCalendar, team: Crew) -> None:
        self.env = env
        self.calendar = calendar
        self.team = team
        if not calendar.is_open(env.now):
            team.end_shift()
        self._schedule_boundary()

    def _schedule_boundary(self) -> None:
        now = self.env.now
        cal = self.calendar
        nxt = cal.next_close(now) if self.team.on_duty else cal.next_open(now)
        Timeout(self.env, nxt - now).callbacks.append(self._boundary)

    def _boundary(self, event: Event) -> None:
        if self.team.on_duty:
            self.team.end_shift()
        else:
            self.team.start_shift()
        self._schedule_boundary()
