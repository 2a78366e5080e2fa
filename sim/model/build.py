"""Assemble a field-service model from a scenario and run one replication."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import simpy
from simpy.events import Event, Timeout

from sim.calendar import WeeklyCalendar
from sim.config import Scenario
from sim.distributions import Deterministic, Distribution, from_spec
from sim.monitors.protocol import Recorder

from .calls import Call
from .dispatch import Fifo, make_policy
from .fleet import CallNeeds, ExponentialFleet, Fleet, Layout, PoissonCalls, _locations
from .geography import Geometry
from .parts import PartsSystem
from .shifts import ShiftTeam
from .team import PartsRules, Team
from .variates import durations


@dataclass
class FieldService:
    """A built model: its clock, teams and call source."""

    env: simpy.Environment
    teams: list[Team]
    source: Fleet | ExponentialFleet | PoissonCalls


def build(
    env: simpy.Environment,
    scenario: Scenario,
    replication: int,
    recorder: Recorder,
    teams_range: range | None = None,
    locations: Sequence[tuple[float, float]] | None = None,
) -> FieldService:
    """Build the model of one replication of ``scenario`` on ``env``.

    ``teams_range`` builds only those teams (a block of a large fleet whose teams are
    independent); every random stream is keyed by global team, territory and machine
    numbers, so a block gives exactly what the same teams give in the whole fleet.
    """
    seed = scenario.run.seed
    terr = scenario.territories
    tr = scenario.travel
    classes = scenario.fleet.classes
    shares = [c.share for c in classes]
    priorities = [c.priority if c.priority is not None else 1 for c in classes]
    geometry: Geometry | None = None
    if tr.mode == "geometry":
        assert terr.width_km is not None and terr.height_km is not None
        geometry = Geometry(
            terr.width_km, terr.height_km, terr.pooled, tr.metric == "rectilinear", tr.circuity, tr.speed_kmh
        )
        # in geometry mode a call's drawn travel time is the noise added to its trip
        travel: Distribution = from_spec(tr.noise_h) if tr.noise_h else Deterministic(0.0)
    else:
        travel = from_spec(tr.time_h)
    repair: Distribution = from_spec(scenario.repair.time_h)
    from_base = from_spec(tr.from_base_h) if tr.from_base_h is not None else None

    team_size = terr.technicians * terr.pooled
    home = [i // terr.technicians for i in range(team_size)]  # each territory's own technicians
    preference = scenario.preference_lists
    cal = scenario.calendar
    shifts = cal.technician_calendar()
    customer = cal.customer_calendar()
    deadline = _deadline([c.sla_h for c in classes], customer if cal.sla_clock == "business" else None)
    block = teams_range if teams_range is not None else range(terr.teams)
    rules = _parts_rules(env, scenario, replication, recorder, team_size, block)
    teams: list[Team] = []
    for k in block:
        members = range(k * team_size, (k + 1) * team_size)
        args = (
            env,
            members,
            Fifo(),
            recorder,
            home,
            geometry,
            tr.return_to_base,
            scenario.dispatch.record_decisions,
            deadline,
            rules,
            from_base is not None or tr.idle_at_base,
        )
        team = ShiftTeam(*args, calendar=shifts, wip=cal.wip) if shifts else Team(*args)
        first = k * team_size
        team.line = make_policy(
            scenario.dispatch.policy,
            priorities,
            team.distance_km if geometry is not None else None,
            [[first + i for i in order] for order in preference],
            scenario.parts.revisit_priority if scenario.parts is not None else None,
        )
        teams.append(team)
    first = block.start * terr.pooled  # first territory of the block
    territories = range(first, block.stop * terr.pooled)
    team_of_territory = [teams[i // terr.pooled] for i in range(len(territories))]

    fleet = scenario.fleet
    # machines age (and Poisson calls arrive) only in customer hours, if the scenario says so
    uptime_clock = customer if cal.breakdowns == "customer_hours" else None
    source: Fleet | ExponentialFleet | PoissonCalls
    if fleet.machines is not None and fleet.time_to_failure_h is not None:
        counts = terr.machines_of(fleet.machines)  # per territory of a team
        life = from_spec(fleet.time_to_failure_h)
        if life.is_exponential:
            needs = [
                CallNeeds(
                    travel, repair, shares, seed, replication, t, parts=scenario.parts, from_base=from_base
                )
                for t in territories
            ]
            source = ExponentialFleet(
                env,
                counts,
                life.mean,
                needs,
                team_of_territory,
                seed,
                replication,
                terr.pooled,
                geometry,
                uptime_clock,
                first,
                locations,
            )
        else:
            layout = Layout(counts, terr.pooled, first, len(territories))  # the fleet's own numbering
            machines = range(layout.base, layout.base + layout.machines)
            needs = [
                CallNeeds(
                    travel, repair, shares, seed, replication, m, parts=scenario.parts, from_base=from_base
                )
                for m in machines
            ]
            source = Fleet(
                env,
                counts,
                life,
                needs,
                team_of_territory,
                seed,
                replication,
                terr.pooled,
                geometry,
                uptime_clock,
                first,
                locations,
            )
    else:
        assert fleet.calls_per_h is not None
        needs = [
            CallNeeds(travel, repair, shares, seed, replication, t, parts=scenario.parts, from_base=from_base)
            for t in territories
        ]
        source = PoissonCalls(
            env,
            [fleet.calls_per_h * m for m in terr.multipliers],
            needs,
            team_of_territory,
            seed,
            replication,
            terr.pooled,
            geometry,
            uptime_clock,
            first,
        )
    # the source learns of restored machines (a finite fleet schedules their next failure)
    for team in teams:
        team.machine_restored = source.machine_restored
    return FieldService(env, teams, source)


def _parts_rules(
    env: simpy.Environment,
    scenario: Scenario,
    replication: int,
    recorder: Recorder,
    team_size: int,
    block: range,
) -> PartsRules | None:
    parts = scenario.parts
    if parts is None:
        return None
    seed = scenario.run.seed

    def variates(spec: Any, stream: str, entity: tuple[int, ...]) -> Any:
        return durations(from_spec(spec), seed, replication, stream, *entity)

    system = PartsSystem(env, parts, block, team_size, recorder, variates)
    techs = range(block.start * team_size, block.stop * team_size)
    return PartsRules(
        system,
        parts.shortage,
        {t: variates(parts.emergency_h, "emergency", (t,)) for t in techs},
        variates(parts.failed_visit_h, "failed_visit", ()),
        parts.revisit_first,
        parts.p_other_failure,
        parts.reservation,
    )


def _deadline(sla_h: list[float | None], business: WeeklyCalendar | None) -> Callable[[Call], float] | None:
    """A call's response deadline: SLA hours after it is logged, on the wall clock or in
    business hours."""
    if all(s is None for s in sla_h):
        return None
    sla = [math.inf if s is None else s for s in sla_h]
    if business is None:
        return lambda call: call.logged_at + sla[call.service_class]

    def due(call: Call) -> float:
        hours = sla[call.service_class]
        return math.inf if hours == math.inf else business.add_business_hours(call.logged_at, hours)

    return due


def simulate(
    scenario: Scenario,
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
    warmup = scenario.run.warmup_h
    if not isinstance(warmup, float | int):
        raise ValueError("resolve run.warmup_h = 'auto' before simulating")
    env = simpy.Environment()
    build(env, scenario, replication, recorder, teams_range, locations)
    end = warmup + scenario.run.horizon_h
    if samples > 0:
        _sample_levels(env, recorder, end / samples, end)
    if warmup > 0:
        env.run(until=warmup)
    recorder.reset(warmup)
    last = batches if batches and on_batch is not None else 0
    if last:
        step = scenario.run.horizon_h / batches
        for b in range(1, batches):
            env.run(until=warmup + b * step)
            on_batch(env.now)  # type: ignore[misc]
    if env.now < end:
        env.run(until=end)
    recorder.close(end)
    _run_on(env, recorder, end + scenario.run.horizon_h)
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
    scenario: Scenario,
    replication: int,
    teams: int,
    locations: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[int, int, float, float]]:
    """(team, territory, x_km, y_km) of every machine of the first ``teams`` teams, in
    team-local km, as :func:`build` places them (drawn per replication, or ``locations``);
    empty unless the scenario has geometry and a finite fleet."""
    terr = scenario.territories
    machines = scenario.fleet.machines
    if scenario.travel.mode != "geometry" or machines is None:
        return []
    assert terr.width_km is not None and terr.height_km is not None
    tr = scenario.travel
    geometry = Geometry(
        terr.width_km, terr.height_km, terr.pooled, tr.metric == "rectilinear", tr.circuity, tr.speed_kmh
    )
    n = min(teams, terr.teams) * terr.pooled
    layout = Layout(terr.machines_of(machines), terr.pooled, 0, n)
    places = _locations(geometry, layout, terr.pooled, scenario.run.seed, replication, locations) or []
    out = []
    for i, (x, y) in enumerate(places):
        territory = layout.territory_of(i)
        out.append((territory // terr.pooled, territory, x, y))
    return out
    counts = terr.machines_of(machines)  # per territory of a team
    layout = Layout(counts, terr.pooled, 0, min(teams, terr.teams) * terr.pooled)
    places = _locations(geometry, layout, terr.pooled, scenario.run.seed, replication, locations) or []
    return [
        (t // terr.pooled, t, x, y)
        for (x, y), t in zip(places, (layout.territory_of(m) for m in range(len(places))), strict=True)
    ]
