"""Assemble a field-service model from a resolved :class:`~sim.system.ServiceSystem` and run
one replication (no scenario file object reaches the model)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import simpy
from simpy.events import Event, Timeout

from sim.calendar import WeeklyCalendar
from sim.distributions import Distribution
from sim.monitors.protocol import Recorder
from sim.system import FiniteFleet, GeometryTravel, ServiceSystem, TimeTravel

from .calls import Call
from .complaints import judged
from .dispatch import DispatchPolicy, make_policy
from .fleet import CallNeeds, CallSource, Installations, _locations, call_source
from .geography import Geometry
from .helpdesk import Helpdesk, HelpdeskTeam
from .jobs import JobStreams
from .parts import PartsSystem
from .planned import PlannedLine, PlannedSource, VisitPlan
from .shifts import ShiftCalendar
from .shortage import Emergency, Revisit, ShortageRule, WaitOnSite
from .skills import SkilledLine, SkilledTeam
from .team import PartsRules, Team
from .technician import crew, distance_km
from .variates import Constant, Variates, durations


@dataclass
class FieldService:
    """A built model: its clock, teams, their shift calendars and the call source."""

    env: simpy.Environment
    teams: list[Team]
    source: CallSource
    calendars: list[ShiftCalendar]
    jobs: JobStreams | None = None  # the job types' Poisson streams (None: breakdowns only)
    helpdesk: Helpdesk | None = None  # the stage before dispatch (None: calls go straight there)
    visits: VisitPlan | None = None  # the key-customer visits (None: none)


def build(
    env: simpy.Environment,
    system: ServiceSystem,
    replication: int,
    recorder: Recorder,
    teams_range: range | None = None,
    locations: Sequence[tuple[float, float]] | None = None,
) -> FieldService:
    """Build the model of one replication of ``system`` on ``env``.

    ``teams_range`` builds only those teams (a block of a large fleet whose teams are
    independent); every random stream is keyed by global team, territory and machine
    numbers, so a block gives exactly what the same teams give in the whole fleet.
    """
    seed = system.run.seed
    # with [complaints] the model reports through the judge of broken promises
    recorder = judged(env, system, recorder, seed, replication)
    terr = system.territories
    tr = system.travel
    # with a fleet lifecycle a call's class is its machine's status (no class draws)
    shares = [c.share for c in system.classes] if system.lifecycle is None else [1.0]
    types = system.work_types  # job types: rows after the classes, on the classes' scales
    priorities = [c.priority for c in system.classes] + [t.priority for t in types]
    geometry = _geometry(system)
    # in geometry mode a call's drawn travel time is the noise added to its trip
    travel = tr.per_call
    repair = system.repair.time
    from_base = tr.from_base if isinstance(tr, TimeTravel) else None
    idle_at_base = isinstance(tr, GeometryTravel) and tr.idle_at_base

    team_size = system.team.technicians
    home = system.team.home  # each territory's own technicians
    cal = system.calendar
    shifts = cal.shifts
    plan = system.maintenance  # planned visits: the last row, their window its target
    visits = system.visits  # key-customer visits: the last row
    planned_target: list[float | None] = [] if plan is None else [plan.window_h]
    planned_target += [] if visits is None else [visits.window_h]
    deadline = _deadline(
        [c.sla_h for c in system.classes] + [t.target_h for t in types] + planned_target, cal.sla_calendar
    )
    block = teams_range if teams_range is not None else range(system.teams)
    rules = _parts_rules(env, system, replication, recorder, team_size, block)
    vans = rules.system.vans if rules is not None else None
    revisit_priority = system.parts.revisit_priority if system.parts is not None else None
    internal = system.internal
    # one helpdesk for all teams, before them: their breakdown calls reach it first
    desk = None if system.helpdesk is None else Helpdesk(env, system.helpdesk, recorder, seed, replication)
    if desk is not None and system.helpdesk is not None and system.helpdesk.shifts is not None:
        ShiftCalendar(env, system.helpdesk.shifts, desk)  # the agents' shifts drive the desk
    make_team: Callable[..., Team] = Team if desk is None else functools.partial(HelpdeskTeam, desk)
    skills = system.skills  # skill groups: dispatch on eligible pairs (sim/model/skills.py)
    if skills is not None:
        make_team = functools.partial(SkilledTeam, (skills, seed, replication, repair))
    # technicians (placed at their bases), then their dispatch line, then the team
    teams: list[Team] = []
    calendars: list[ShiftCalendar] = []
    for k in block:
        first = k * team_size
        members = crew(range(first, first + team_size), home, geometry, vans)
        policy: DispatchPolicy
        if skills is None:
            policy = make_policy(
                system.dispatch.pair,
                priorities,
                distance_km(members, geometry) if geometry is not None else None,
                [[first + i for i in order] for order in system.team.preference],
                revisit_priority,
            )
        else:  # each technician's skills, by the group (technicians numbered group by group)
            group_of = skills.group_of
            policy = SkilledLine(
                system.dispatch.pair[0],
                priorities,
                {t.id: tuple(sorted(skills.groups[group_of[t.id - first]].skills)) for t in members},
                len(skills.names),
            )
        if plan is not None or visits is not None:  # planned jobs wait behind the breakdowns (planned.py)
            policy = PlannedLine(policy)
        team = make_team(
            env,
            members,
            policy,
            recorder,
            geometry=geometry,
            return_to_base=tr.return_to_base,
            record_decisions=system.dispatch.record_decisions,
            deadline=deadline,
            parts=rules,
            first_trips=from_base is not None or idle_at_base,
            wip=cal.wip if shifts else "overtime",
            # each technician's internal tasks from their own stream (common random numbers)
            tasks=None
            if internal is None
            else {t.id: durations(internal.task, seed, replication, "internal_task", t.id) for t in members},
            # overflow to the contractor: the team's own desk, its streams keyed by the team
            contractor=None if system.contractor is None else (system.contractor, k, seed, replication),
            appointments=None if system.appointments is None else (system.appointments, seed, replication),
            blocks=system.internal_blocks,
        )
        if shifts:
            calendars.append(ShiftCalendar(env, shifts, team))
        teams.append(team)
    first = block.start * terr.pooled  # first territory of the block
    territories = range(first, block.stop * terr.pooled)
    team_of_territory = [teams[i // terr.pooled] for i in range(len(territories))]

    p_other = system.repair.p_other_failure

    def needs_of(*entity: int) -> CallNeeds:
        return CallNeeds(
            travel,
            repair,
            shares,
            seed,
            replication,
            *entity,
            parts=system.parts,
            p_other_failure=p_other,
            from_base=from_base,
        )

    src = system.source
    finite = isinstance(src, FiniteFleet)
    source = call_source(
        env,
        needs_of,
        team_of_territory,
        seed,
        replication,
        layout=system.layout(territories) if finite else None,  # the block's machines
        life=src.life if isinstance(src, FiniteFleet) else None,
        calls_per_h=None if finite else list(src.per_territory),
        pooled=terr.pooled,
        geometry=geometry,
        # machines age (and Poisson calls arrive) only in customer hours, if the scenario says so
        clock=cal.uptime_clock,
        first=first,
        locations=locations,
        repeats=system.repeats,
        # a maintenance plan comes with its fleet (sim/model/planned.py)
        planned=None
        if plan is None
        else PlannedSource(plan, system.row_names.index(plan.row), travel, from_base),
        lifecycle=system.lifecycle,
        recorder=recorder,
        installations=_installations(system, travel, from_base, territories, replication),
    )
    jobs = None
    if types:
        jobs = JobStreams(
            env,
            types,
            len(system.classes),
            team_of_territory,
            source,
            seed,
            replication,
            travel,
            from_base,
            terr.multipliers,
            terr.pooled,
            cal.uptime_clock,
            first,
        )
    planned = None
    if visits is not None:
        planned = VisitPlan(
            env,
            visits,
            team_of_territory,
            source,
            system.row_names.index(visits.row),
            seed,
            replication,
            travel,
            from_base,
            terr.pooled,
            first,
        )
    return FieldService(env, teams, source, calendars, jobs, desk, planned)


def _installations(
    system: ServiceSystem,
    travel: Distribution,
    from_base: Distribution | None,
    territories: range,
    replication: int,
) -> Installations | None:
    """The installation jobs of the fleet's replacements (``None``: none)."""
    life = system.lifecycle
    if life is None or life.installation is None:
        return None
    j = life.installation
    job = system.work_types[j]
    return Installations(
        job, len(system.classes) + j, j + 1, travel, from_base, territories, system.run.seed, replication
    )


def _geometry(system: ServiceSystem) -> Geometry | None:
    """Distances and trip times in a team's region, in geometry mode."""
    tr, terr = system.travel, system.territories
    if not isinstance(tr, GeometryTravel):
        return None
    assert terr.width_km is not None and terr.height_km is not None
    return Geometry(terr.width_km, terr.height_km, terr.pooled, tr.rectilinear, tr.circuity, tr.speed_kmh)


def _parts_rules(
    env: simpy.Environment,
    system: ServiceSystem,
    replication: int,
    recorder: Recorder,
    team_size: int,
    block: range,
) -> PartsRules | None:
    parts = system.parts
    if parts is None:
        return None
    seed = system.run.seed

    def variates(dist: Distribution, stream: str, entity: tuple[int, ...]) -> Variates | Constant:
        return durations(dist, seed, replication, stream, *entity)

    stock = PartsSystem(env, parts, block, team_size, recorder, variates)
    techs = range(block.start * team_size, block.stop * team_size)
    shortage: ShortageRule
    if parts.shortage == "revisit":
        shortage = Revisit(variates(parts.failed_visit, "failed_visit", ()))
    elif parts.shortage == "emergency":
        shortage = Emergency({t: variates(parts.emergency, "emergency", (t,)) for t in techs})
    else:
        shortage = WaitOnSite()
    return PartsRules(stock, shortage, parts.revisit_first, system.repair.p_other_failure, parts.reservation)


def _deadline(sla_h: list[float | None], business: WeeklyCalendar | None) -> Callable[[Call], float] | None:
    """A call's response deadline: SLA hours after the customer's call (``failed_at``: with a
    helpdesk, before the call reaches dispatch), on the wall clock or in business hours."""
    if all(s is None for s in sla_h):
        return None
    sla = [math.inf if s is None else s for s in sla_h]
    if business is None:
        return lambda call: call.failed_at + sla[call.service_class]

    def due(call: Call) -> float:
        hours = sla[call.service_class]
        return math.inf if hours == math.inf else business.add_business_hours(call.failed_at, hours)

    return due


def simulate(
    system: ServiceSystem,
    replication: int,
    recorder: Recorder,
    samples: int = 0,
    batches: int = 0,
    on_batch: Callable[[float], None] | None = None,
    teams_range: range | None = None,
    locations: Sequence[tuple[float, float]] | None = None,
) -> float:
    """Run one replication: warm up, reset the recorder, run the horizon, follow its calls.

    ``samples`` > 0 asks the recorder to note its levels at that many evenly
    spaced instants over the whole run (warm-up included, the run-on after the
    horizon not).  ``batches`` > 0 splits the horizon into that many equal
    batches and calls ``on_batch(now)`` at the end of each (for batch means).

    End of the run: at the end of the horizon the recorder is closed (its
    time-average levels stop there and later calls are not tallied), and the model
    runs on, arrivals and dispatch unchanged, until every call logged inside the
    measured window has been served (``recorder.pending()`` is false), so that
    the long waits still open at the horizon are not dropped.  The run-on stops
    after at most one more horizon (only an unstable queue gets there; its calls
    still open then are left out).  Returns the end of the horizon (warm-up +
    horizon, in hours): the KPIs are measured up to it.
    """
    warmup = system.run.warmup_h
    if not isinstance(warmup, float | int):
        raise ValueError("resolve run.warmup_h = 'auto' before simulating")
    horizon = system.run.horizon_h
    env = simpy.Environment()
    build(env, system, replication, recorder, teams_range, locations)
    end = warmup + horizon
    if samples > 0:
        _sample_levels(env, recorder, end / samples, end)
    if warmup > 0:
        env.run(until=warmup)
    recorder.reset(warmup)
    last = batches if batches and on_batch is not None else 0
    if last:
        step = horizon / batches
        for b in range(1, batches):
            env.run(until=warmup + b * step)
            on_batch(env.now)  # type: ignore[misc]
    if env.now < end:
        env.run(until=end)
    recorder.close(end)
    _run_on(env, recorder, end + horizon)
    if last:
        on_batch(end)  # type: ignore[misc]
    return end


def _run_on(env: simpy.Environment, recorder: Recorder, limit: float) -> None:
    """Go on past the horizon until the recorder has no call of its window left open."""
    while recorder.pending() and env.peek() <= limit:
        env.step()


def _sample_levels(env: simpy.Environment, recorder: Recorder, every: float, end: float) -> None:
    def sample(event: Event) -> None:
        if env.now >= end:  # the run-on after the horizon is not sampled
            return
        recorder.sample(env.now)
        Timeout(env, every).callbacks.append(sample)

    Timeout(env, every).callbacks.append(sample)


def machine_places(
    system: ServiceSystem,
    replication: int,
    teams: int,
    locations: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[int, int, float, float]]:
    """(team, territory, x_km, y_km) of every machine of the first ``teams`` teams, in
    team-local km, as :func:`build` places them (drawn per replication, or ``locations``);
    empty unless the system has geometry and a finite fleet."""
    terr = system.territories
    geometry = _geometry(system)
    if geometry is None or not isinstance(system.source, FiniteFleet):
        return []
    n = min(teams, system.teams) * terr.pooled
    layout = system.layout(range(n))
    places = _locations(geometry, layout, terr.pooled, system.run.seed, replication, locations) or []
    out = []
    for i, (x, y) in enumerate(places):
        territory = layout.territory_of(i)
        out.append((territory // terr.pooled, territory, x, y))
    return out
