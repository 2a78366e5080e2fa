"""A team of technicians and its dispatcher: the life of a call.

A team serves the calls of its territories (one territory, or several pooled
into one).  A call that finds a technician free is dispatched at once (the
policy says which technician); otherwise it waits in the policy's line.  The
technician drives to the site, repairs the machine and, on finishing (and,
if the scenario says so, after driving back to base), takes the next call
the policy gives or becomes free.  The technician is busy for trips and
repair.  Each method below is one step of that process and moves the call to
its next :class:`~sim.model.calls.Phase`.

Each step is a bare SimPy event with a callback rather than a process per call:
a call only ever waits for one thing at a time, so the call itself is the event of
its trips, repairs and drives back (:meth:`Team._after`), and callbacks keep the
per-call overhead low.

Shift ends (:meth:`Team.end_shift`, driven by :mod:`sim.model.shifts`) stop
dispatch; work in progress runs on as overtime, or (``wip="resume"``) every
running step is paused and resumed with the time it still needed at the next
:meth:`Team.start_shift`.

Internal work taken when idle (``tasks``): a technician who would become free with
no call waiting starts an internal task instead, and at its end takes the call that
waits or starts another task, so on duty nobody is free and a new call waits for
the first task to end.  A task is never paused: one running at a shift end is
finished, and no task starts off duty (the technician is then free until the shift
starts).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import simpy
from simpy.events import NORMAL

from sim.monitors.protocol import Recorder
from sim.system import Appointments, Contractor, InternalBlocks

from .appointments import Appointment, AppointmentBook
from .calls import AWAITING_PART, AWAY, DONE, LEAVING, REPAIRING, RETURNING, TRAVELLING, WAITING, Call
from .contractor import ContractorDesk
from .dispatch import DispatchPolicy
from .geography import Geometry
from .parts import PartsSystem, StockPoint
from .shortage import ShortageRule
from .steps import Step, scheduler
from .technician import Technician
from .variates import Constant, Variates

#: what happens when a step of a call's service is over (called with the call)
Then = Callable[[Call], None]


@dataclass
class PartsRules:
    """What a team does about parts: the stock system, the shortage rule and its times."""

    system: PartsSystem
    shortage: ShortageRule
    revisit_first: bool
    p_other_failure: float
    reservation: bool = False  # units taken from the van when the call is logged


class Team:
    """Technicians who share one dispatch line.

    Parameters
    ----------
    env : simpy.Environment
    technicians : sequence of Technician
        The team's technicians (see :func:`sim.model.technician.crew`).
    policy : DispatchPolicy
        The line of calls waiting for a technician, and the dispatch rules.
    recorder : Recorder
        Receives every step of every call.
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
    wip : {"overtime", "resume"}
        Work in progress at a shift end: finished as overtime, or paused until the next shift.
    tasks : mapping of int to Variates, optional
        Internal work taken when idle: the lengths of each technician's internal tasks,
        by technician number; none by default.
    contractor : (Contractor, int, int, int), optional
        Overflow to a contractor: the system's contractor and the team's global number,
        the seed and the replication (its desk's streams); none by default.
    appointments : (Appointments, int, int), optional
        Booked rows given arrival windows: the system's appointments, the seed and the
        replication (the team's own :class:`~sim.model.appointments.AppointmentBook`);
        none by default.
    blocks : InternalBlocks, optional
        Internal work in scheduled blocks: each technician's block of ``block_h`` every
        ``every_h`` hours, spread over the period; a block due during a job starts at its
        release.  None by default.
    """

    #: a call of a booked row is booked when it is logged; a helpdesk team books it at
    #: the helpdesk's reply instead (:class:`~sim.model.helpdesk.HelpdeskTeam`)
    books_at_logging = True

    def __init__(
        self,
        env: simpy.Environment,
        technicians: Sequence[Technician],
        policy: DispatchPolicy,
        recorder: Recorder,
        geometry: Geometry | None = None,
        return_to_base: bool = False,
        record_decisions: bool = False,
        deadline: Callable[[Call], float] | None = None,
        parts: PartsRules | None = None,
        first_trips: bool = False,
        wip: str = "overtime",
        tasks: Mapping[int, Variates | Constant] | None = None,
        contractor: tuple[Contractor, int, int, int] | None = None,
        appointments: tuple[Appointments, int, int] | None = None,
        blocks: InternalBlocks | None = None,
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.first_trips = first_trips
        self.crew = list(technicians)
        self.technicians = [t.id for t in self.crew]
        self._by_id = {t.id: t for t in self.crew}
        self.free: deque[int] = deque(self.technicians)
        self.line = policy
        self.recorder = recorder
        self.geometry = geometry
        self.return_to_base = return_to_base and geometry is not None
        self.record_decisions = record_decisions
        self.deadline = deadline
        self.parts = parts
        # technicians work around the clock unless a shift calendar sends them off duty
        self.on_duty = True
        self.pauses = wip == "resume"
        self._running: dict[int, Technician] = {}  # steps a shift end would pause, in start order
        self._stopped: list[tuple[Call, Then, float]] = []  # paused: (call, then, hours left)
        if self.pauses:
            self._after = self._after_pausable  # type: ignore[method-assign]
        # a technician with no call to take: free, or (internal work) on to a task; chosen
        # here so that a team without internal work pays nothing for it
        self.tasks = tasks
        self._idle: Callable[[int], None] = self.free.append if tasks is None else self._start_task
        if tasks is not None:
            # the first tasks start once the shift calendar has said whether the team is
            # on duty at time 0 (it is built after the team)
            self._schedule(Step(None, self._start_tasks), NORMAL, 0.0)
        # scheduled blocks of internal work: blocks due per technician (None: no blocks)
        self.blocks = blocks
        self._blocks_due: dict[int, int] | None = None
        if blocks is not None:
            self._blocks_due = dict.fromkeys(self.technicians, 0)
            n = len(self.technicians)
            for i, technician in enumerate(self.technicians):  # spread over the period
                self._schedule(Step(technician, self._block_due), NORMAL, i * blocks.every_h / n)
        # a call that finds no technician free joins the line, or (a contractor's overflow
        # rule) goes to the contractor or joins the line with a timer
        self._overflow: Callable[[Call], None] | None = None
        self.contractor: ContractorDesk | None = None
        if contractor is not None:
            spec, number, seed, replication = contractor
            self.contractor = ContractorDesk(env, spec, number, seed, replication, recorder, self.requeue)
            self._rows = spec.rows
            self._always = spec.always
            self._threshold_h = spec.threshold_h
            self._overflow = self._overflow_now if spec.when == "all_busy" else self._queue_with_timer
            if spec.always:
                self.log_call = self._log_call_always  # type: ignore[method-assign]
        # booked rows go to the team's appointment book instead of the line, and their first
        # arrival goes through the window; chosen here so that other teams pay nothing
        self.book: AppointmentBook | None = None
        if appointments is not None:
            book_spec, book_seed, book_rep = appointments
            self.book = AppointmentBook(
                env, book_spec, recorder, book_seed, book_rep, self.release_booked, self._withdraw
            )
            self._booked_rows = book_spec.rows
            self._reach_dispatch = self._book_or_log  # type: ignore[method-assign]
            if self.books_at_logging:
                self.log_call = self._book_or_log  # type: ignore[method-assign]
            self._start_repair = self._start_repair_booked  # type: ignore[method-assign]

    def distance_km(self, technician: int, call: Call) -> float:
        """Road distance from where the technician is to the call's machine."""
        assert self.geometry is not None
        x, y = self._by_id[technician].position
        return self.geometry.road_km(x, y, call.x, call.y)

    # -- the service process ------------------------------------------------

    def log_call(self, call: Call) -> None:
        """A customer reports a breakdown to this team's dispatcher (the call is WAITING)."""
        now = self.env.now
        if self.deadline is not None:
            call.due_at = self.deadline(call)
        self.recorder.logged(call, now)
        if call.parts and self.parts is not None and self.parts.reservation:
            self.reserve_parts(call)
        if self.free and self.on_duty:
            candidates = len(self.free)
            technician = self.line.pick_technician(call, self.free)
            self._send(technician, call, now, candidates)
        elif self._overflow is None:
            self.line.add(call)
        else:
            self._overflow(call)

    # -- overflow to a contractor ----------------------------------------------

    def _log_call_always(self, call: Call) -> None:
        """:meth:`log_call` when the contractor always takes some job types."""
        desk = self.contractor
        assert desk is not None
        if call.service_class in self._always and not desk.full:
            now = self.env.now
            if self.deadline is not None:
                call.due_at = self.deadline(call)
            self.recorder.logged(call, now)
            desk.take(call, now)
        else:  # (the class's own log_call: a helpdesk team's sends breakdowns to its desk)
            type(self).log_call(self, call)

    def _reach_dispatch(self, call: Call) -> None:
        """A call reaches the dispatcher (from the helpdesk): booked, or logged as now."""
        Team.log_call(self, call)

    # -- appointments (booked rows) -------------------------------------------

    def _book_or_log(self, call: Call) -> None:
        """A call of a booked row gets an appointment; the others are logged as urgent."""
        if call.service_class in self._booked_rows:
            assert self.book is not None
            self.book.take(call)
        else:
            Team.log_call(self, call)

    def release_booked(self, call: Call, appointment: Appointment) -> None:
        """A booked call's release time: its first appointment logs it with the
        dispatcher (its wait counts from here); after a missed one it lines up again."""
        now = self.env.now
        if appointment.number == 1:
            call.logged_at = now
            Team.log_call(self, call)
        elif self.free and self.on_duty:
            candidates = len(self.free)
            self._send(self.line.pick_technician(call, self.free), call, now, candidates)
        else:
            self.line.add(call)

    def _withdraw(self, call: Call) -> bool:
        """The working day of a booked call's window is over: take it out of the line if
        it still waits there for its first visit (a missed appointment)."""
        if call.phase is not WAITING or call.visits:
            return False
        self.line.remove(call)
        return True

    def _start_repair_booked(self, call: Call, now: float) -> None:
        """A booked call's first arrival: the window's promise is kept or late; before the
        window opens the technician waits at the door (busy, not on site)."""
        appointment = None
        if call.visits == 0:
            assert self.book is not None
            appointment = self.book.arrived(call, now)
        if appointment is not None and now < appointment.start:
            self._after(appointment.start - now, call, self._window_opens)
        else:
            Team._start_repair(self, call, now)

    def _window_opens(self, call: Call) -> None:
        Team._start_repair(self, call, self.env.now)

    def _overflow_now(self, call: Call) -> None:
        """``all_busy``: a call of the contractor's rows that finds nobody free goes to it
        (unless it is full: then the call joins the line)."""
        desk = self.contractor
        assert desk is not None
        if call.service_class in self._rows and not desk.full:
            desk.take(call, self.env.now)
        else:
            self.line.add(call)

    def _queue_with_timer(self, call: Call) -> None:
        """``wait_over``: the call joins the line; one of the contractor's rows starts the
        timer that sends it to the contractor if it still waits at the threshold."""
        self.line.add(call)
        if call.service_class in self._rows:
            assert self._threshold_h is not None
            self._schedule(Step(call, self._wait_over), NORMAL, self._threshold_h)

    def _wait_over(self, step: Step[Call]) -> None:
        """The threshold has passed: a call still in the line for its first visit goes to
        the contractor, unless it is full (the call then stays in the line)."""
        call = step.value
        desk = self.contractor
        assert desk is not None
        if call.phase is WAITING and call.visits == 0 and not desk.full:
            self.line.remove(call)
            desk.take(call, self.env.now)

    def _send(self, technician: int, call: Call, now: float, candidates: int = 1, busy: bool = False) -> None:
        """WAITING -> TRAVELLING at ``now``: the technician takes the call and starts the
        trip (``busy``: straight from a job)."""
        tech = self._by_id[technician]
        tech.call = call
        call.technician = technician
        call.phase = TRAVELLING
        if call.visits == 0:
            call.dispatched_at = now
        call.job_started_at = now
        geo = self.geometry
        if self.first_trips:
            if geo is not None:
                if not busy:  # idle technicians wait at base
                    tech.position = tech.base
            else:
                call.travel_h = call.noise_h if busy else call.base_travel_h
        if geo is not None:
            # the trip depends on where the technician is now
            x, y = tech.position
            call.trip_km = geo.road_km(x, y, call.x, call.y)
            call.travel_h = call.noise_h + geo.hours(call.trip_km)
            tech.position = (call.x, call.y)
        self.recorder.dispatched(call, now)
        if self.record_decisions:
            self.recorder.decision(self.line.name, call, candidates, technician, now)
        if call.travel_h > 0.0:
            self._after(call.travel_h, call, self._arrive)
        else:
            self._start_repair(call, now)

    def _arrive(self, call: Call) -> None:
        self._start_repair(call, self.env.now)

    def _start_repair(self, call: Call, now: float) -> None:
        """TRAVELLING -> REPAIRING on site, once the parts it needs are in hand; a part
        missing -> AWAITING_PART or LEAVING, as the shortage rule says."""
        if call.visits == 0:
            call.on_site_at = now
        self.recorder.on_site(call, now)
        rules = self.parts
        if not call.parts or call.parts_ready or rules is None:
            call.phase = REPAIRING
            self._after(call.repair_h, call, self._repair_done)
            return
        if not call.missing:  # nothing reserved yet: take the units from the van now
            van = self._by_id[call.technician].van
            assert van is not None
            self._demand_parts(call, van)
            if not call.missing:
                call.phase = REPAIRING
                self._after(call.repair_h, call, self._repair_done)
                return
        # a shortage: wait on site for the parts, or leave and come back when they are here
        call.parts_since = now
        stay = rules.shortage.visit_h()
        if stay is None:
            call.phase = AWAITING_PART
        else:
            call.phase = LEAVING
            self._after(stay, call, self._leave_site)

    def _demand_parts(self, call: Call, van: list[StockPoint]) -> None:
        """Ask the van for every unit the repair needs; note how many are missing."""
        rules = self.parts
        assert rules is not None
        now = self.env.now
        shortage = rules.shortage
        # a unit missing is backordered at the van, or (emergency) shipped from outside
        backorder = None if shortage.ships else lambda: self._part_arrives(call)
        missing = 0
        for k in call.parts:
            self.recorder.part_used(rules.system.unit_cost[k], now)
            if not van[k].demand(backorder):
                missing += 1
        call.missing = missing
        call.parts_ready = not missing
        if missing and shortage.ships:
            self.recorder.emergency(now)
            # (a reserved part is shipped to the team's only technician)
            tech = call.technician if call.technician >= 0 else self.technicians[0]
            delay = shortage.shipping_h(tech)
            self._schedule(Step(call, self._emergency_arrives), NORMAL, delay)

    def reserve_parts(self, call: Call) -> None:
        """Reservation: the units are taken (or ordered) from the van when the call is logged."""
        van = self.crew[0].van
        assert self.parts is not None and van is not None
        self._demand_parts(call, van)

    def _emergency_arrives(self, step: Step[Call]) -> None:
        call = step.value
        while call.missing:
            self._part_arrives(call)

    def _part_arrives(self, call: Call) -> None:
        """A missing unit has arrived for the call; with the last one, AWAITING_PART ->
        REPAIRING, AWAY -> WAITING (a revisit); LEAVING stays (the technician leaves)."""
        call.missing -= 1
        if call.missing:
            return
        call.parts_ready = True
        phase = call.phase
        if phase is AWAITING_PART:
            call.part_wait += self.env.now - call.parts_since
            call.phase = REPAIRING
            self._after(call.repair_h, call, self._repair_done)
        elif phase is AWAY:
            call.part_wait += self.env.now - call.parts_since
            self.requeue(call)
        elif phase is LEAVING:
            call.part_wait += self.env.now - call.parts_since
        # (otherwise the parts came before anyone was on site: a reservation)

    def _leave_site(self, call: Call) -> None:
        """LEAVING -> AWAY, or WAITING if the parts came meanwhile: after a visit without
        the parts the technician leaves; the call will be revisited."""
        now = self.env.now
        self.recorder.left_site(call, now)
        call.visits += 1
        self._job_over(call, now)
        if call.parts_ready:  # the parts came while the technician was still there
            self.requeue(call)
        else:
            call.phase = AWAY

    def requeue(self, call: Call) -> None:
        """-> WAITING: a call that needs another visit goes back to the dispatcher."""
        now = self.env.now
        self.recorder.requeued(call, now)
        call.phase = WAITING
        if self.free and self.on_duty:
            candidates = len(self.free)
            self._send(self.line.pick_technician(call, self.free), call, now, candidates)
        elif self.parts is not None and self.parts.revisit_first:
            self.line.add_front(call)
        else:
            self.line.add(call)

    def _repair_done(self, call: Call) -> None:
        """REPAIRING -> RETURNING or DONE: the machine works again (unless the fix failed:
        -> WAITING); the technician heads back or takes the next call."""
        now = self.env.now
        rules = self.parts
        if rules is not None and call.fix is not None and call.fix.next() < rules.p_other_failure:
            # diagnosis or skills: the visit did not fix the machine
            self.recorder.left_site(call, now)
            call.visits += 1
            self._job_over(call, now)
            self.requeue(call)
            return
        call.visits += 1
        self.recorder.restored(call, now)
        if call.source is not None:  # a finite fleet schedules the next failure
            call.source.machine_restored(call)
        if self.return_to_base:
            assert self.geometry is not None
            tech = self._by_id[call.technician]
            bx, by = tech.base
            drive = self.geometry.hours(self.geometry.road_km(call.x, call.y, bx, by))
            tech.position = tech.base
            call.phase = RETURNING
            self._after(drive, call, self._back_at_base)
        else:
            call.phase = DONE
            self._job_over(call, now)

    def _back_at_base(self, call: Call) -> None:
        """RETURNING -> DONE."""
        call.phase = DONE
        self._job_over(call, self.env.now)

    def _job_over(self, call: Call, now: float) -> None:
        """The technician is released: the policy gives the next call, if one waits."""
        technician = call.technician
        tech = self._by_id[technician]
        tech.call = None
        since = tech.overtime_since
        if since is not None:  # (set only off shift: each shift start settles them)
            tech.overtime_since = None
            self.recorder.overtime(now - since, now)
        self.recorder.released(call, now)
        due = self._blocks_due
        if due is not None and due[technician]:  # a block came due during the job
            due[technician] -= 1
            self._start_block(technician, now)
            return
        following = self.line.next_call(technician) if self.on_duty else None
        if following is None:
            self._idle(technician)
        else:
            self._send(technician, following, now, len(self.line) + 1, busy=True)

    # -- internal work in scheduled blocks -------------------------------------

    def _block_due(self, step: Step[int]) -> None:
        """A technician's block is due: an idle technician starts it now; a busy one (a
        job, or the last block still running) after the job in hand."""
        technician = step.value
        assert self.blocks is not None and self._blocks_due is not None
        self._schedule(Step(technician, self._block_due), NORMAL, self.blocks.every_h)
        if technician in self.free:
            self.free.remove(technician)
            self._start_block(technician, self.env.now)
        else:
            self._blocks_due[technician] += 1

    def _start_block(self, technician: int, now: float) -> None:
        assert self.blocks is not None
        self.recorder.internal(1, now)
        self._schedule(Step(technician, self._block_done), NORMAL, self.blocks.block_h)

    def _block_done(self, step: Step[int]) -> None:
        """The block ends: the next block if one is due, else the call that waits (from
        base, as after idleness), else the technician is free."""
        technician = step.value
        now = self.env.now
        assert self._blocks_due is not None
        self.recorder.internal(-1, now)
        if self._blocks_due[technician]:
            self._blocks_due[technician] -= 1
            self._start_block(technician, now)
            return
        following = self.line.next_call(technician) if self.on_duty else None
        if following is None:
            self._idle(technician)
        else:
            self._send(technician, following, now, len(self.line) + 1)

    # -- internal work taken when idle ---------------------------------------

    def _start_task(self, technician: int) -> None:
        """No call waits: the technician starts an internal task (on duty), or is free."""
        if not self.on_duty:
            self.free.append(technician)
            return
        assert self.tasks is not None
        self.recorder.internal(1, self.env.now)
        self._schedule(Step(technician, self._task_done), NORMAL, self.tasks[technician].next())

    def _task_done(self, step: Step[int]) -> None:
        """The task is finished: the technician takes the call that waits (from base, as
        after idleness), or starts another task."""
        technician = step.value
        now = self.env.now
        self.recorder.internal(-1, now)
        following = self.line.next_call(technician) if self.on_duty else None
        if following is None:
            self._start_task(technician)
        else:
            self._send(technician, following, now, len(self.line) + 1)

    def _start_tasks(self, step: Step[None] | None = None) -> None:
        """Every free technician starts a task (at time 0, and at a shift start)."""
        free = self.free
        while free and self.on_duty:
            self._start_task(free.popleft())

    # -- steps in time, and shift ends that pause them ---------------------

    def _after(self, delay: float, call: Call, then: Then) -> None:
        """Continue the call's service after ``delay`` hours: the call itself is the event
        SimPy schedules (a call waits for one step at a time, so no separate
        :class:`~sim.model.steps.Step` is made per trip or repair)."""
        if call.callbacks is not None:  # (the one-step-at-a-time rule, checked)
            raise RuntimeError(f"call {call.number}: a step of its service is already scheduled")
        call.callbacks = (then,)
        self._schedule(call, NORMAL, delay)  # type: ignore[arg-type]  # a call is a bare event

    def _after_pausable(self, delay: float, call: Call, then: Then) -> None:
        """:meth:`_after` for a team whose work pauses at shift ends."""
        if not self.on_duty:
            # no work off shift: a step that becomes possible now (a part has come) waits
            # for the next shift, in full
            self._stopped.append((call, then, delay))
            return
        tech = self._by_id[call.technician]
        generation = tech.generation
        tech.step = (then, self.env.now + delay)
        running = self._running
        running[tech.id] = tech

        def unless_paused(step: Step[Call]) -> None:
            if tech.generation == generation:  # not paused meanwhile
                del running[tech.id]
                tech.step = None
                then(step.value)

        self._schedule(Step(call, unless_paused), NORMAL, delay)

    def end_shift(self) -> None:
        """The shift ends: no more dispatch.  Everyone still at work (a step running, or
        waiting on site for a part) works on as overtime, or their step is paused (and a
        technician waiting for a part stops being busy until the next shift)."""
        now = self.env.now
        self.on_duty = False
        self.recorder.duty(-len(self.crew), now)
        if not self.pauses:
            for tech in self.crew:
                if tech.call is not None:
                    tech.overtime_since = now
            return
        for tech in self._running.values():
            tech.generation += 1
            assert tech.step is not None and tech.call is not None
            then, end = tech.step
            tech.step = None
            self._stopped.append((tech.call, then, end - now))
            self.recorder.paused(tech.call, now, tech.call.phase is REPAIRING)
        self._running.clear()
        # a technician waiting on site for a part goes home too; the repair, once the part
        # is here, waits for the next shift (_after_pausable)
        for tech in self.crew:
            if tech.call is not None and tech.call.phase is AWAITING_PART:
                self.recorder.paused(tech.call, now, True)

    def start_shift(self) -> None:
        """The shift starts: overtime is settled, paused steps go on with the time they
        still need, and free technicians take the calls that waited."""
        now = self.env.now
        self.on_duty = True
        self.recorder.duty(len(self.crew), now)
        # overtime still running into this shift is counted up to its start
        for tech in self.crew:
            since = tech.overtime_since
            if since is not None:
                tech.overtime_since = None
                self.recorder.overtime(now - since, now)
        stopped, self._stopped = self._stopped, []
        for call, then, left in stopped:
            self.recorder.resumed(call, now, call.phase is REPAIRING)
            self._after(left, call, then)
        if self.pauses:  # back on site, still waiting for the part
            for tech in self.crew:
                if tech.call is not None and tech.call.phase is AWAITING_PART:
                    self.recorder.resumed(tech.call, now, True)
        while self.free:
            following = self.line.next_call(self.free[0])
            if following is None:
                break
            self._send(self.free.popleft(), following, now, len(self.line) + 1)
        if self.tasks is not None:  # the others go on to internal work
            self._start_tasks()
