"""A team of technicians and its dispatcher.

A team serves the calls of its territories (one territory, or several pooled
into one).  A call that finds a technician free is dispatched at once (the
policy says which technician); otherwise it waits in the policy's line.  The
technician drives to the site, repairs the machine and, on finishing (and,
if the scenario says so, after driving back to base), takes the next call
the policy gives or becomes free.  The technician is busy for trips and
repair.

Each step is a SimPy timeout with a callback rather than a process per call:
a call only ever waits for one thing at a time, and callbacks keep the
per-call overhead low.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import simpy
from simpy.events import Event, Timeout

from sim.monitors.protocol import Recorder

from .calls import Call
from .dispatch import DispatchPolicy
from .geography import Geometry
from .parts import PartsSystem


@dataclass
class PartsRules:
    """What a team does about parts: the stock system, the shortage rule and its times."""

    system: PartsSystem
    shortage: str  # "wait", "revisit" or "emergency"
    emergency: dict[int, Any]  # per technician: emergency shipment times
    failed_visit: Any  # time on site before leaving without the part
    revisit_first: bool
    p_other_failure: float
    reservation: bool = False  # units taken from the van when the call is logged


class Team:
    """Technicians who share one dispatch line.

    Parameters
    ----------
    env : simpy.Environment
    technicians : sequence of int
        Identifiers of the team's technicians.
    policy : DispatchPolicy
        The line of calls waiting for a technician, and the dispatch rules.
    recorder : Recorder
        Receives every step of every call.
    home : sequence of int
        Home territory (team-local index) of each technician.
    geometry : Geometry, optional
        Distances and trip times; without it a call's trip time is drawn.
    return_to_base : bool
        The technician drives back to base after every job.
    record_decisions : bool
        Report every dispatch decision to the recorder.
    deadline : callable, optional
        A call's response deadline (its SLA), from the call; none by default.
    parts : PartsRules, optional
        Van stock and what to do when a part is missing; without it parts never run short.
    first_trips : bool
        A technician who was idle starts from base: in geometry mode from the base's
        place, otherwise with the call's drawn trip from base (``base_travel_h``); one
        who goes straight on from a job drives from there (the call's ``noise_h``).
    """

    def __init__(
        self,
        env: simpy.Environment,
        technicians: Sequence[int],
        policy: DispatchPolicy,
        recorder: Recorder,
        home: Sequence[int] | None = None,
        geometry: Geometry | None = None,
        return_to_base: bool = False,
        record_decisions: bool = False,
        deadline: Callable[[Call], float] | None = None,
        parts: PartsRules | None = None,
        first_trips: bool = False,
    ) -> None:
        self.env = env
        self.first_trips = first_trips
        self.technicians = list(technicians)
        self.free: deque[int] = deque(self.technicians)
        self.line = policy
        self.recorder = recorder
        self.machine_restored: Callable[[Call], None] = _nothing
        self.home = dict(zip(self.technicians, home or [0] * len(self.technicians), strict=True))
        self.geometry = geometry
        self.return_to_base = return_to_base and geometry is not None
        self.record_decisions = record_decisions
        self.deadline = deadline
        self.parts = parts
        self.waiting_on_site: dict[int, Call] = {}  # technicians waiting on site for a part
        if geometry is not None:
            self.base = {t: geometry.base(self.home[t]) for t in self.technicians}
            self.position = dict(self.base)

    def distance_km(self, technician: int, call: Call) -> float:
        """Road distance from where the technician is to the call's machine."""
        assert self.geometry is not None
        x, y = self.position[technician]
        return self.geometry.road_km(x, y, call.x, call.y)

    # -- the service process ------------------------------------------------

    def log_call(self, call: Call) -> None:
        """A customer reports a breakdown to this team's dispatcher."""
        if self.deadline is not None:
            call.due_at = self.deadline(call)
        self.recorder.logged(call, self.env.now)
        if call.parts and self.parts is not None and self.parts.reservation:
            self.reserve_parts(call)
        if self.free and self.on_duty:
            candidates = len(self.free)
            technician = self.line.pick_technician(call, self.free)
            self._send(technician, call, candidates)
        else:
            self.line.add(call)

    def _send(self, technician: int, call: Call, candidates: int = 1, busy: bool = False) -> None:
        """The technician takes the call and starts the trip (``busy``: straight from a job)."""
        now = self.env.now
        call.technician = technician
        if call.visits == 0:
            call.dispatched_at = now
        call.job_started_at = now
        geo = self.geometry
        if self.first_trips:
            if geo is not None:
                if not busy:  # idle technicians wait at base
                    self.position[technician] = self.base[technician]
            else:
                call.travel_h = call.noise_h if busy else call.base_travel_h
        if geo is not None:
            # the trip depends on where the technician is now
            call.trip_km = self.distance_km(technician, call)
            call.travel_h = call.noise_h + geo.hours(call.trip_km)
            self.position[technician] = (call.x, call.y)
        self.recorder.dispatched(call, now)
        if self.record_decisions:
            self.recorder.decision(self.line.name, call, candidates, technician, now)
        if call.travel_h > 0.0:
            self._after(call.travel_h, call, self._arrive)
        else:
            self._start_repair(call, now)

    def _arrive(self, event: Event) -> None:
        self._start_repair(event.value, self.env.now)  # type: ignore[arg-type]

    def _start_repair(self, call: Call, now: float) -> None:
        """On site: the repair begins, once the parts it needs are in hand."""
        if call.visits == 0:
            call.on_site_at = now
        self.recorder.on_site(call, now)
        if not call.parts or call.parts_ready or self.parts is None:
            self._after(call.repair_h, call, self._repair_done)
            return
        if not call.missing:  # nothing reserved yet: take the units from the van now
            self._demand_parts(call, self.parts.system.vans[call.technician])
            if not call.missing:
                self._after(call.repair_h, call, self._repair_done)
                return
        # a shortage: wait on site for the parts, or leave and come back when they are here
        call.parts_since = now
        if self.parts.shortage == "revisit":
            call.hold = "leaving"
            self._after(self.parts.failed_visit.next(), call, self._leave_site)
        else:
            call.hold = "site"
            self.waiting_on_site[call.technician] = call

    def _demand_parts(self, call: Call, van: Any) -> None:
        """Ask the van for every unit the repair needs; note how many are missing."""
        rules = self.parts
        assert rules is not None
        now = self.env.now
        emergency = rules.shortage == "emergency"  # the van does not re-order for these
        missing = 0
        for k in call.parts:
            self.recorder.part_used(rules.system.unit_cost[k], now)
            if not van[k].demand(None if emergency else lambda c=call: self._part_arrives(c)):
                missing += 1
        call.missing = missing
        call.parts_ready = not missing
        if missing and emergency:
            self.recorder.emergency(now)
            # (a reserved part is shipped to the team's only technician)
            tech = call.technician if call.technician >= 0 else self.technicians[0]
            delay = rules.emergency[tech].next()
            Timeout(self.env, delay, call).callbacks.append(self._emergency_arrives)

    def reserve_parts(self, call: Call) -> None:
        """Reservation: the units are taken (or ordered) from the van when the call is logged."""
        assert self.parts is not None
        self._demand_parts(call, self.parts.system.vans[self.technicians[0]])

    def _emergency_arrives(self, event: Event) -> None:
        call: Call = event.value  # type: ignore[assignment]  # simpy types it Any | None
        while call.missing:
            self._part_arrives(call)

    def _part_arrives(self, call: Call) -> None:
        """A missing unit has arrived for the call."""
        call.missing -= 1
        if call.missing:
            return
        call.parts_ready = True
        hold, call.hold = call.hold, ""
        if hold:
            call.part_wait += self.env.now - call.parts_since
        if hold == "site":
            del self.waiting_on_site[call.technician]
            self._after(call.repair_h, call, self._repair_done)
        elif hold == "away":
            self.requeue(call)
        elif hold == "leaving":
            call.hold = "leaving"  # _leave_site sends the call back into the line

    def _leave_site(self, event: Event) -> None:
        """After a visit without the parts, the technician leaves; the call will be revisited."""
        call: Call = event.value  # type: ignore[assignment]  # simpy types it Any | None
        self.recorder.left_site(call, self.env.now)
        call.visits += 1
        self._job_over(call)
        if call.parts_ready:  # the parts came while the technician was still there
            call.hold = ""
            self.requeue(call)
        else:
            call.hold = "away"

    def requeue(self, call: Call) -> None:
        """A call that needs another visit goes back to the dispatcher."""
        self.recorder.requeued(call, self.env.now)
        if self.free and self.on_duty:
            candidates = len(self.free)
            self._send(self.line.pick_technician(call, self.free), call, candidates)
        elif self.parts is not None and self.parts.revisit_first:
            self.line.add_front(call)
        else:
            self.line.add(call)

    def _repair_done(self, event: Event) -> None:
        """The machine works again (unless the fix failed); the technician heads back or
        takes the next call."""
        call: Call = event.value  # type: ignore[assignment]  # simpy types it Any | None
        rules = self.parts
        if rules is not None and call.fix is not None and call.fix.next() < rules.p_other_failure:
            # diagnosis or skills: the visit did not fix the machine
            self.recorder.left_site(call, self.env.now)
            call.visits += 1
            self._job_over(call)
            self.requeue(call)
            return
        call.visits += 1
        self.recorder.restored(call, self.env.now)
        self.machine_restored(call)
        if self.return_to_base:
            assert self.geometry is not None
            tech = call.technician
            bx, by = self.base[tech]
            drive = self.geometry.hours(self.geometry.road_km(call.x, call.y, bx, by))
            self.position[tech] = (bx, by)
            self._after(drive, call, self._back_at_base)
        else:
            self._job_over(call)

    def _back_at_base(self, event: Event) -> None:
        self._job_over(event.value)  # type: ignore[arg-type]

    def _job_over(self, call: Call) -> None:
        """The technician is free: the policy gives the next call, if one waits."""
        self.recorder.released(call, self.env.now)
        technician = call.technician
        following = self.line.next_call(technician) if self.on_duty else None
        if following is None:
            self.free.append(technician)
        else:
            self._send(technician, following, len(self.line) + 1, busy=True)

    #: technicians work around the clock unless a shift calendar says otherwise
    on_duty = True

    def _after(self, delay: float, call: Call, then: Callable[[Event], None]) -> None:
        """Continue the call's service after ``delay`` hours."""
        Timeout(self.env, delay, call).callbacks.append(then)


def _nothing(call: Call) -> None:
    pass
