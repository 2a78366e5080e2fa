"""Preventive maintenance (``[work.maintenance]``): planned visits per machine, age-based
renewal.

Each machine of a finite fleet comes due ``every_h`` hours of operation after its last
renewal, a planned visit or a breakdown repair (the plan restarts from the repair).  At
the due time a :class:`PlannedJob` goes to the machine's team:

* a technician free and on duty takes it at once (``Team.log_call``, as any call);
* otherwise the plan *holds* it in the team's :class:`PlannedLine`, behind every
  breakdown: the team's discipline orders the breakdowns, and a planned job is taken
  only when no breakdown waits, in order of due time; from ``window_h - urgent_within_h``
  hours after its due time a job that still waits is *urgent* and is taken before the
  breakdowns (urgent jobs in the order they became urgent).  A held job is reported to
  the recorder (``logged``, with its due time as ``logged_at``) only when a technician
  takes it, so a job cancelled before that leaves no trace in the call tallies;
* if the machine breaks down while its job waits, the job is cancelled (the repair
  renews the machine).

From the dispatch of a planned visit to its end the machine is in the technician's hands:
it neither ages nor fails (its pending failure is cancelled, :meth:`RenewableFleet.suspend`).
At the end it is as good as new, a fresh life from its ``failure`` stream
(:meth:`RenewableFleet.renew`; the thinned exponential fleet only takes the machine back
into the candidates' reach: exponential lives have no age), and its next visit comes due
``every_h`` later.

A plan in calendar days (``Maintenance.calendar``) keeps a fixed calendar per machine
instead: its window opens every ``every_h`` hours of the clock whatever happens (breakdowns
and visits do not move it), the job released then; a machine that is down, or has its last
visit waiting or in hand, skips that period.

Every draw of the plan is keyed by the machine: where in its interval the plan starts at
time 0 (``pm_start``), the visits' on-site times (``pm_duration``) and trips
(``pm_travel``, ``pm_travel_from_base``); breakdowns draw what they draw without a plan.
Nothing of this module is built for a system without maintenance.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import simpy
from simpy.events import NORMAL

from sim import rng as streams
from sim.calendar import WeeklyCalendar
from sim.distributions import Distribution
from sim.monitors.protocol import Recorder
from sim.system import Layout, Lifecycle, Maintenance, RepeatRepairs, Visits

from .calls import WAITING, Call
from .dispatch import DispatchPolicy
from .fleet import (
    CallNeeds,
    CallSource,
    ExponentialFleet,
    Installations,
    LifecycleFleet,
    RenewableFleet,
)
from .geography import Geometry
from .steps import Schedule, Step, scheduler
from .team import Team
from .variates import Constant, Variates, durations


class PlannedJob(Call):
    """A planned maintenance visit of one machine (``machine`` its global number), or a
    visit to a key customer (``machine`` -1, no source: nothing follows its end).

    Its ``service_class`` is the planned visits' row (after the classes and job types),
    ``repair_h`` the visit's on-site time, ``logged_at`` its due time and ``due_at`` the
    end of its window; ``source`` is the plan, told when the visit ends.
    """

    __slots__ = ("local_machine", "plan")

    def __init__(
        self,
        number: int,
        machine: int,
        local_machine: int,
        territory: int,
        local_territory: int,
        row: int,
        travel_h: float,
        duration_h: float,
        now: float,
        plan: MaintenancePlan | VisitPlan,
    ) -> None:
        super().__init__(
            number,
            machine,
            territory,
            local_territory,
            row,
            travel_h,
            duration_h,
            now,
            # a maintenance visit's end renews the machine; a customer visit's changes nothing
            source=plan if isinstance(plan, MaintenancePlan) else None,
        )
        self.local_machine = local_machine  # within the fleet's block (a visit: its customer)
        self.plan = plan


class PlannedLine:
    """A team's dispatch line with planned jobs: urgent planned jobs, then the team's own
    line (breakdowns, in its discipline's order), then the other planned jobs by due time.

    Parameters
    ----------
    inner : DispatchPolicy
        The team's line as built without maintenance; it never holds a planned job.
    """

    def __init__(self, inner: DispatchPolicy) -> None:
        self.inner = inner
        self.name = inner.name
        self.held: deque[PlannedJob] = deque()  # waiting, not urgent, in order of due time
        self.urgent: deque[PlannedJob] = deque()

    def add(self, call: Call) -> None:
        self.inner.add(call)

    def add_front(self, call: Call) -> None:
        self.inner.add_front(call)

    def hold(self, job: PlannedJob) -> None:
        """A planned job that found no technician free waits behind the breakdowns."""
        self.held.append(job)

    def make_urgent(self, job: PlannedJob) -> None:
        """The job's window is about to close: it goes before the breakdowns."""
        self.held.remove(job)
        self.urgent.append(job)

    def cancel(self, job: PlannedJob) -> None:
        """The machine broke down before the visit: the job leaves the line."""
        if job in self.urgent:
            self.urgent.remove(job)
        else:
            self.held.remove(job)

    def next_call(self, technician: int) -> Call | None:
        if self.urgent:
            job = self.urgent.popleft()
        else:
            call = self.inner.next_call(technician)
            if call is not None or not self.held:
                return call
            job = self.held.popleft()
        job.plan.taken(job)
        return job

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        return self.inner.pick_technician(call, free)

    def remove(self, call: Call) -> None:
        """A waiting breakdown leaves for a contractor (planned jobs never do)."""
        self.inner.remove(call)

    def __len__(self) -> int:
        return len(self.inner) + len(self.held) + len(self.urgent)


class Renewable(Protocol):
    """What the plan asks of its fleet: machine numbers, the call count, and renewals."""

    layout: Layout
    calls: int

    def suspend(self, machine: int) -> None: ...

    def renew(self, machine: int) -> None: ...


class _Draws:
    """One machine's planned visits: on-site times and trips, drawn in order."""

    __slots__ = ("base_travel", "duration", "travel")

    def __init__(
        self,
        duration: Variates | Constant,
        travel: Variates | Constant,
        base_travel: Variates | Constant | None,
    ) -> None:
        self.duration = duration
        self.travel = travel
        self.base_travel = base_travel


def _offer(
    job: PlannedJob,
    team: Team,
    line: PlannedLine,
    window_h: float,
    urgent_after_h: float,
    urgent: Callable[[Step[PlannedJob]], None],
    schedule: Schedule,
) -> bool:
    """A planned job comes due: a free technician takes it at once (``True``), or the line
    holds it behind the breakdowns, due at the end of its window, and ``urgent`` is called
    ``urgent_after_h`` later to put it first unless it was taken meanwhile (``False``)."""
    if team.free and team.on_duty:
        team.log_call(job)
        return True
    job.due_at = job.logged_at + window_h if team.deadline is None else team.deadline(job)
    line.hold(job)
    if urgent_after_h <= 0.0:
        line.make_urgent(job)
    else:
        schedule(Step(job, urgent), NORMAL, urgent_after_h)
    return False


class MaintenancePlan:
    """The planned visits of a block's machines (see the module's docstring).

    Parameters
    ----------
    env : simpy.Environment
    plan : Maintenance
        The system's plan.
    fleet : Renewable
        The machines (a :class:`PlannedFleet` or :class:`PlannedExponentialFleet`).
    teams_of_territory : sequence of Team
        The team each territory of the block reports to; their lines are
        :class:`PlannedLine`.
    row : int
        The planned visits' row (``service_class``).
    seed, replication : int
    travel : Distribution
        A trip's time (the scenario's travel), if the plan says ``travel = true``.
    from_base : Distribution, optional
        The trip of a technician who was idle (``travel.from_base_h``).
    pooled : int
        Territories per team.
    first : int
        Global number of the block's first territory.
    """

    def __init__(
        self,
        env: simpy.Environment,
        plan: Maintenance,
        fleet: Renewable,
        teams_of_territory: Sequence[Team],
        row: int,
        seed: int,
        replication: int,
        travel: Distribution,
        from_base: Distribution | None = None,
        pooled: int = 1,
        first: int = 0,
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.plan = plan
        self.every_h = plan.every_h
        self.fleet = fleet
        self.teams = teams_of_territory
        self.lines: list[PlannedLine] = []
        for team in teams_of_territory:
            assert isinstance(team.line, PlannedLine)  # (build wraps every team's line)
            self.lines.append(team.line)
        self.row = row
        self.seed = seed
        self.replication = replication
        self.travel = travel
        self.from_base = from_base
        self.pooled = pooled
        self.first = first
        self.due: dict[int, Step[int]] = {}  # block-local machine -> its pending due time
        self.waiting: dict[int, PlannedJob] = {}  # block-local machine -> its held job
        # a calendar plan (every_days): due times never move; a machine down or with its
        # visit in hand when its window opens skips that period
        self.calendar = plan.calendar
        self.down: set[int] = set()  # block-local machines broken down (calendar plans)
        self.in_visit: set[int] = set()  # block-local machines in a planned visit (calendar plans)
        self._draws: dict[int, _Draws] = {}
        layout = fleet.layout
        for m in range(layout.machines):
            # the plans start spread over one interval (not all due at once)
            u = float(streams.stream(seed, replication, "pm_start", layout.base + m).random())
            self._due_after(u * self.every_h, m)

    # -- what the fleet tells ----------------------------------------------

    def renewed(self, machine: int) -> None:
        """A repair renewed ``machine`` (block-local): its next visit comes due ``every_h``
        on (a calendar plan keeps its calendar)."""
        if self.calendar:
            self.down.discard(machine)
            return
        self._due_after(self.every_h, machine)

    def broke(self, machine: int) -> None:
        """``machine`` broke down: its due time (not a calendar's), or its waiting job, is
        cancelled."""
        if self.calendar:
            self.down.add(machine)
        else:
            step = self.due.pop(machine, None)
            if step is not None:
                step.callbacks = []  # (fires with nothing to do)
        job = self.waiting.pop(machine, None)
        if job is not None:
            self.lines[self.fleet.layout.territory_of(machine)].cancel(job)

    def replaced(self, machine: int) -> None:
        """``machine`` reached the end of its service life and a new one took its place
        (``[fleet.lifecycle]``): a working machine's plan restarts from the new machine
        (its due time, or its waiting job, is cancelled; the next visit comes due
        ``every_h`` on).  A machine down or in a planned visit keeps its course: the end of
        its repair or visit renews it and restarts the plan.  A calendar plan keeps its
        calendar: only a waiting job is cancelled (the new machine needs no visit yet)."""
        if self.calendar:
            job = self.waiting.pop(machine, None)
            if job is not None:
                self.lines[self.fleet.layout.territory_of(machine)].cancel(job)
            return
        step = self.due.pop(machine, None)
        job = self.waiting.pop(machine, None)
        if step is None and job is None:
            return
        if step is not None:
            step.callbacks = []  # (fires with nothing to do)
        if job is not None:
            self.lines[self.fleet.layout.territory_of(machine)].cancel(job)
        self._due_after(self.every_h, machine)

    # -- the visits -----------------------------------------------------------

    def _due_after(self, hours: float, machine: int) -> None:
        step = self.due[machine] = Step(machine, self._comes_due)
        self._schedule(step, NORMAL, hours)

    def _draws_of(self, machine: int) -> _Draws:
        draws = self._draws.get(machine)
        if draws is None:
            number = self.fleet.layout.base + machine
            key = (self.seed, self.replication)
            travel = self.plan.travel
            draws = self._draws[machine] = _Draws(
                durations(self.plan.duration, *key, "pm_duration", number),
                durations(self.travel, *key, "pm_travel", number) if travel else Constant(0.0),
                None
                if self.from_base is None
                else durations(self.from_base, *key, "pm_travel_from_base", number)
                if travel
                else Constant(0.0),
            )
        return draws

    def _comes_due(self, step: Step[int]) -> None:
        """The machine's visit is due (a calendar plan: its window opens): a technician
        takes it now, or it waits."""
        machine = step.value
        del self.due[machine]
        if self.calendar:
            self._due_after(self.every_h, machine)  # (the fixed calendar's next window)
            if machine in self.down or machine in self.in_visit or machine in self.waiting:
                # this period's visit is skipped, its draws used all the same: the k-th
                # period's visit has the same needs whatever the staffing
                draws = self._draws_of(machine)
                draws.travel.next()
                draws.duration.next()
                if draws.base_travel is not None:
                    draws.base_travel.next()
                return
        fleet = self.fleet
        local = fleet.layout.territory_of(machine)
        territory = self.first + local
        draws = self._draws_of(machine)
        now = self.env.now
        job = PlannedJob(
            fleet.calls,
            fleet.layout.base + machine,
            machine,
            territory,
            territory % self.pooled,
            self.row,
            draws.travel.next(),
            draws.duration.next(),
            now,
            self,
        )
        if draws.base_travel is not None:
            job.base_travel_h = draws.base_travel.next()
        fleet.calls += 1
        plan = self.plan
        if _offer(
            job,
            self.teams[local],
            self.lines[local],
            plan.window_h,
            plan.urgent_after_h,
            self._urgent,
            self._schedule,
        ):
            fleet.suspend(machine)
            if self.calendar:
                self.in_visit.add(machine)
        else:
            self.waiting[machine] = job

    def _urgent(self, step: Step[PlannedJob]) -> None:
        job = step.value
        if self.waiting.get(job.local_machine) is job:  # (not taken nor cancelled meanwhile)
            self.lines[self.fleet.layout.territory_of(job.local_machine)].make_urgent(job)

    def taken(self, job: PlannedJob) -> None:
        """A technician takes a held job (the line tells): it is logged now (its
        ``logged_at`` stays the due time) and the machine stops ageing."""
        del self.waiting[job.local_machine]
        team = self.teams[self.fleet.layout.territory_of(job.local_machine)]
        team.recorder.logged(job, self.env.now)
        self.fleet.suspend(job.local_machine)
        if self.calendar:
            self.in_visit.add(job.local_machine)

    def machine_restored(self, call: Call) -> None:
        """A planned visit ended: the machine is as good as new, its next visit due later
        (a calendar plan's stays on the calendar)."""
        assert isinstance(call, PlannedJob) and call.phase is not WAITING
        self.fleet.renew(call.local_machine)
        if self.calendar:
            self.in_visit.discard(call.local_machine)
            return
        self._due_after(self.every_h, call.local_machine)


class VisitPlan:
    """Periodic visits to the key customers of a block's territories (``[work.visits]``).

    Each customer (``customers`` per territory) has a fixed calendar: a visit every
    ``every_h`` hours of the clock from a start drawn uniformly over the first period
    (``visit_start``, keyed by (territory, customer)); a late visit does not move the
    next, and a visit still waiting when the next comes due is still made.  A visit is a
    :class:`PlannedJob` in the visits' row, taken at once by a free technician or held in
    the team's :class:`PlannedLine` as a maintenance visit is (behind the breakdowns until
    urgent); it touches no machine.  On-site times and trips: ``visit_duration``,
    ``visit_travel``, ``visit_travel_from_base``, keyed by (territory, customer).

    Parameters
    ----------
    env : simpy.Environment
    visits : Visits
    teams_of_territory : sequence of Team
        Their lines are :class:`PlannedLine`.
    numbering : CallSource
        The breakdowns' source, whose count of calls numbers the visits too.
    row : int
        The visits' row.
    seed, replication : int
    travel, from_base : Distribution
        As for :class:`MaintenancePlan`.
    pooled : int
    first : int
        Global number of the block's first territory.
    """

    def __init__(
        self,
        env: simpy.Environment,
        visits: Visits,
        teams_of_territory: Sequence[Team],
        numbering: CallSource,
        row: int,
        seed: int,
        replication: int,
        travel: Distribution,
        from_base: Distribution | None = None,
        pooled: int = 1,
        first: int = 0,
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.visits = visits
        self.teams = teams_of_territory
        self.lines: list[PlannedLine] = []
        for team in teams_of_territory:
            assert isinstance(team.line, PlannedLine)  # (build wraps every team's line)
            self.lines.append(team.line)
        self.numbering = numbering
        self.row = row
        self.pooled = pooled
        self.first = first
        self.waiting: set[int] = set()  # numbers of the held visits
        n = visits.customers
        self._draws: list[_Draws] = []
        for local in range(len(teams_of_territory)):
            t = first + local
            for c in range(n):
                key = (seed, replication)
                self._draws.append(
                    _Draws(
                        durations(visits.duration, *key, "visit_duration", t, c),
                        durations(travel, *key, "visit_travel", t, c) if visits.travel else Constant(0.0),
                        None
                        if from_base is None
                        else durations(from_base, *key, "visit_travel_from_base", t, c)
                        if visits.travel
                        else Constant(0.0),
                    )
                )
                u = float(streams.stream(seed, replication, "visit_start", t, c).random())
                self._schedule(Step(local * n + c, self._comes_due), NORMAL, u * visits.every_h)

    def _comes_due(self, step: Step[int]) -> None:
        customer = step.value  # local territory * customers + customer
        self._schedule(Step(customer, self._comes_due), NORMAL, self.visits.every_h)  # fixed calendar
        local = customer // self.visits.customers
        territory = self.first + local
        draws = self._draws[customer]
        now = self.env.now
        job = PlannedJob(
            self.numbering.calls,
            -1,
            customer,
            territory,
            territory % self.pooled,
            self.row,
            draws.travel.next(),
            draws.duration.next(),
            now,
            self,
        )
        if draws.base_travel is not None:
            job.base_travel_h = draws.base_travel.next()
        self.numbering.calls += 1
        visits = self.visits
        if not _offer(
            job,
            self.teams[local],
            self.lines[local],
            visits.window_h,
            visits.urgent_after_h,
            self._urgent,
            self._schedule,
        ):
            self.waiting.add(job.number)

    def _urgent(self, step: Step[PlannedJob]) -> None:
        job = step.value
        if job.number in self.waiting:  # (not taken meanwhile)
            self.lines[job.local_machine // self.visits.customers].make_urgent(job)

    def taken(self, job: PlannedJob) -> None:
        """A technician takes a held visit: it is logged now (``logged_at`` stays its due time)."""
        self.waiting.discard(job.number)
        self.teams[job.local_machine // self.visits.customers].recorder.logged(job, self.env.now)


# ---------------------------------------------------------------------------
# fleets that tell their plan of breakdowns and repairs


@dataclass(frozen=True)
class PlanArgs:
    """What a planned fleet passes to its :class:`MaintenancePlan` (besides itself)."""

    maintenance: Maintenance
    row: int
    seed: int
    replication: int
    travel: Distribution
    from_base: Distribution | None = None

    def plan(self, fleet: PlannedFleet | PlannedExponentialFleet) -> MaintenancePlan:
        return MaintenancePlan(
            fleet.env,
            self.maintenance,
            fleet,
            fleet.team_of_territory,
            self.row,
            self.seed,
            self.replication,
            self.travel,
            self.from_base,
            fleet.pooled,
            fleet.first,
        )


class PlannedFleet(RenewableFleet):
    """A fleet of renewal machines with a maintenance plan (``plan``, a keyword after
    :class:`Fleet`'s arguments)."""

    def __init__(self, *args: Any, plan: PlanArgs, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan.plan(self)

    def _breaks_down(self, step: Step[int]) -> None:
        self.plan.broke(step.value)
        super()._breaks_down(step)

    def machine_restored(self, call: Call) -> None:
        super().machine_restored(call)
        self.plan.renewed(call.machine - self.layout.base)


class PlannedExponentialFleet(ExponentialFleet):
    """The thinned exponential fleet with a maintenance plan (keywords as
    :class:`PlannedFleet`)."""

    def __init__(self, *args: Any, plan: PlanArgs, **kwargs: Any) -> None:
        self._hit = -1  # the machine the last candidate hit (block-local)
        super().__init__(*args, **kwargs)
        self.plan = plan.plan(self)

    def _draw_call(self, needs: CallNeeds, machine: int, local: int) -> Call:
        self._hit = machine - self.layout.base
        return super()._draw_call(needs, machine, local)

    def _candidate(self, step: Step[int]) -> None:
        calls = self.calls
        super()._candidate(step)
        if self.calls != calls:  # the candidate was a breakdown
            self.plan.broke(self._hit)

    def machine_restored(self, call: Call) -> None:
        super().machine_restored(call)
        self.plan.renewed(call.machine - self.layout.base)


class PlannedLifecycleFleet(PlannedExponentialFleet, LifecycleFleet):
    """The lifecycle fleet (contract status, service lives, replacements) with a
    maintenance plan (arguments as :class:`LifecycleFleet`, ``plan`` a keyword): a
    replacement restarts the plan of the new machine (:meth:`MaintenancePlan.replaced`)."""

    def _end_of_life(self, step: Step[int]) -> None:
        self.plan.replaced(step.value)
        super()._end_of_life(step)


@dataclass(frozen=True)
class PlannedSource:
    """:func:`sim.model.fleet.call_source` for a system with a maintenance plan: the finite
    fleet of a block with its plan (exponential lives: the thinned stream)."""

    maintenance: Maintenance
    row: int  # the planned visits' row
    travel: Distribution  # the scenario's trip time (for plans with travel)
    from_base: Distribution | None = None  # the trip of a technician who was idle

    def __call__(
        self,
        env: simpy.Environment,
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        *,
        layout: Layout | None = None,
        life: Distribution | None = None,
        calls_per_h: Sequence[float] | None = None,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
        locations: Sequence[tuple[float, float]] | None = None,
        repeats: RepeatRepairs | None = None,
        lifecycle: Lifecycle | None = None,
        recorder: Recorder | None = None,
        installations: Installations | None = None,
    ) -> PlannedFleet | PlannedExponentialFleet:
        # (the scenario's checks: a finite fleet, no geometry, no repeats)
        assert layout is not None and life is not None and calls_per_h is None
        assert geometry is None and repeats is None
        args = (needs_of, teams_of_territory, seed, replication, pooled, None, clock, first, locations)
        plan = PlanArgs(self.maintenance, self.row, seed, replication, self.travel, self.from_base)
        if lifecycle is not None:
            # (the scenario's check: a lifecycle needs exponential lives)
            assert life.is_exponential and recorder is not None
            fleet_args = (needs_of, teams_of_territory, seed, replication, pooled, None, clock, first)
            return PlannedLifecycleFleet(
                env,
                layout,
                life.mean,
                lifecycle,
                recorder,
                *fleet_args,
                locations,
                installations,
                plan=plan,
            )
        if life.is_exponential:
            return PlannedExponentialFleet(env, layout, life.mean, *args, plan=plan)
        return PlannedFleet(env, layout, life, *args, plan=plan)
