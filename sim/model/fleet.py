"""Where calls come from: a finite fleet of machines, or a Poisson stream.

Finite fleet (the default).  Each machine works for a time drawn from
``time_to_failure_h``, breaks down, is reported at once, stays down until
its repair ends and is then as good as new.  A non-exponential machine is
started part-way through its life (a draw from the equilibrium residual
life), so the fleet's call rate is stationary from time 0.

Infinite source (for validation).  Each territory sends Poisson calls at
``calls_per_h`` whatever the number of machines down.

A call's needs are drawn from streams keyed by its machine (the k-th call of
machine m always gets the k-th draws), or, for Poisson calls, by the
territory in arrival order: staffing and dispatch never change them.

Repeat repairs (finite fleets, ``[repair.repeat]``).  After each repair, with
probability p the cause is left: the machine works for a repeat delay R instead of
a fresh life and fails again, a call marked ``repeat``.  Whether the k-th repair
of machine m leaves the cause, and its R, are the k-th draws of streams keyed by
the machine, so staffing and dispatch do not change them.  A fleet without
repeats runs exactly the code it ran before (the repeat steps are chosen when the
fleet is built).

Contract status and service life (exponential fleets, ``[fleet.lifecycle]``).  A
:class:`LifecycleFleet` gives each machine an installation time and a service life; a
breakdown's class is its machine's status when it breaks (warranty while younger than the
warranty, then contract or paid, decided at the installation), and at the end of its life
the machine is replaced.  A fleet without it is built as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

from sim import rng as streams
from sim.calendar import WeeklyCalendar
from sim.distributions import Distribution, Exponential
from sim.monitors.protocol import Recorder
from sim.system import Layout, Lifecycle, Parts, RepeatRepairs, WorkType

from .calls import NAN, Call, Job, RepeatCall
from .geography import Geometry
from .steps import Step, scheduler
from .team import Team
from .variates import Constant, Variates, classes, durations


def _uniforms(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.random(size)


def _locations(
    geometry: Geometry | None,
    layout: Layout,
    pooled: int,
    seed: int,
    replication: int,
    given: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[float, float]] | None:
    """Every machine's location (team-local km), in the block's territories in order:
    ``given`` (km within each territory, all territories in order), or uniform in its
    territory, drawn per territory in machine order."""
    if geometry is None:
        return None
    out: list[tuple[float, float]] = []
    for local, n in enumerate(layout.counts):
        t = layout.first + local
        x0, y0 = geometry.origin(t % pooled)
        if given is not None:
            start = layout.base + layout.starts[local]
            out.extend((x0 + x, y0 + y) for x, y in given[start : start + n])
            continue
        uv = streams.stream(seed, replication, "machine_location", t).random((n, 2))
        xs = (x0 + uv[:, 0] * geometry.width).tolist()
        ys = (y0 + uv[:, 1] * geometry.height).tolist()
        out.extend(zip(xs, ys, strict=True))
    return out


class CallNeeds:
    """What the calls from one source will need, drawn in order.

    ``travel`` is the trip time, or in geometry mode the noise added to the trip.
    """

    __slots__ = (
        "base_travel_h",
        "extras",
        "fix",
        "p_need",
        "part_draws",
        "quantity",
        "repair_h",
        "service_class",
        "travel_h",
    )

    def __init__(
        self,
        travel: Distribution,
        repair: Distribution,
        shares: list[float],
        seed: int,
        replication: int,
        *entity: int,
        parts: Parts | None = None,
        p_other_failure: float = 0.0,
        from_base: Distribution | None = None,
    ) -> None:
        self.service_class = classes(shares, seed, replication, *entity)
        self.travel_h = durations(travel, seed, replication, "travel", *entity)
        self.base_travel_h = (
            None
            if from_base is None
            else durations(from_base, seed, replication, "travel_from_base", *entity)
        )
        self.repair_h = durations(repair, seed, replication, "repair", *entity)
        self.extras = parts is not None
        if parts is not None:
            self.p_need = [t.p_need for t in parts.types]
            self.part_draws = Variates(_uniforms, seed, replication, "parts", *entity)
            self.quantity = [
                None
                if t.quantity is None
                else durations(t.quantity, seed, replication, "part_quantity", *entity, k)
                for k, t in enumerate(parts.types)
            ]
            self.fix = Variates(_uniforms, seed, replication, "fix", *entity) if p_other_failure > 0 else None

    def draw_parts(self, call: Call) -> None:
        """Which units of which part types the repair will need (and the fix draws)."""
        units: list[int] = []
        draws = self.part_draws
        for k, p in enumerate(self.p_need):
            if draws.next() < p:
                q = self.quantity[k]
                units.extend([k] * (1 if q is None else max(1, math.ceil(q.next()))))
        call.parts = tuple(units)
        call.fix = self.fix


class RepeatDraws:
    """Per machine (global number): whether each repair leaves the cause, and the repeat
    delay; each machine's streams are made when its first repair ends."""

    __slots__ = ("_after", "_decide", "p", "replication", "seed", "spec")

    def __init__(self, repeats: RepeatRepairs, seed: int, replication: int) -> None:
        self.p = repeats.p
        self.spec = repeats.after
        self.seed = seed
        self.replication = replication
        self._decide: dict[int, Variates] = {}
        self._after: dict[int, Variates | Constant] = {}

    def delay(self, machine: int) -> float | None:
        """The repeat delay after this repair of ``machine``, or ``None``: the cause is removed."""
        decide = self._decide.get(machine)
        if decide is None:
            decide = self._decide[machine] = Variates(
                _uniforms, self.seed, self.replication, "repeat", machine
            )
        if decide.next() >= self.p:
            return None
        after = self._after.get(machine)
        if after is None:
            after = self._after[machine] = durations(
                self.spec, self.seed, self.replication, "repeat_after", machine
            )
        return after.next()


class CallSource:
    """What every source of calls shares: the teams its territories report to, the
    clock its machines age by, and how a call is drawn and logged.

    A source may cover a block of the territories (``first``, ``first + 1``...);
    calls carry global territory and machine numbers.

    Parameters
    ----------
    env : simpy.Environment
    needs_of : callable
        The :class:`CallNeeds` of one stream entity (a machine or a territory, global
        number; a repeat call of an exponential fleet: (machine, 1)): each source keys
        its calls' needs by what it draws them for.
    teams_of_territory : sequence of Team
        The team each territory of the block reports to.
    seed, replication : int
        The run's root seed and the replication (for the source's own streams).
    pooled : int
        Territories per team.
    geometry : Geometry, optional
        Where machines and calls are placed.
    clock : WeeklyCalendar, optional
        Machines age (and calls come) only in these hours.
    first : int
        Global number of the block's first territory.
    """

    def __init__(
        self,
        env: simpy.Environment,
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        # what a call's repair is reported to (decided once, not per call)
        self.told_of_repairs: CallSource | None = self if self.follows_repairs else None
        self.team_of_territory = teams_of_territory
        self.pooled = pooled
        self.clock = clock
        self.first = first
        self.calls = 0

    def _working_delay(self, hours: float) -> float:
        """Clock time until ``hours`` of the machines' working time have passed (callers
        skip it without a clock: one call fewer per event)."""
        assert self.clock is not None
        now = self.env.now
        return self.clock.add_business_hours(now, hours) - now

    def _draw_call(self, needs: CallNeeds, machine: int, local: int) -> Call:
        """A call from territory ``local`` (of this block), with its needs drawn."""
        territory = self.first + local
        call = Call(
            self.calls,
            machine,
            territory,
            territory % self.pooled,
            needs.service_class.next(),  # type: ignore[arg-type]  # class draws are ints
            needs.travel_h.next(),
            needs.repair_h.next(),
            self.env.now,
            NAN,  # x, y: placed below in geometry mode
            NAN,
            self.told_of_repairs,  # (positional: a keyword makes a dict per call)
        )
        if needs.base_travel_h is not None:
            call.base_travel_h = needs.base_travel_h.next()
        if needs.extras:
            needs.draw_parts(call)
        return call

    #: whether a call's repair changes what the source does next (a finite fleet's machine
    #: can fail again); Poisson calls do not depend on repairs, so they are not told
    follows_repairs = True

    def machine_restored(self, call: Call) -> None:
        """A machine works again (what happens next depends on the source)."""


class _Machines(CallSource):
    """A finite fleet: the machines of the block's territories as the system lays them out
    (``layout``: :meth:`sim.system.ServiceSystem.layout`), numbered territory by territory,
    placed in their territories."""

    def __init__(
        self,
        env: simpy.Environment,
        layout: Layout,
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
        locations: Sequence[tuple[float, float]] | None = None,
    ) -> None:
        super().__init__(env, needs_of, teams_of_territory, seed, replication, pooled, geometry, clock, first)
        if layout.first != first or len(layout.counts) != len(teams_of_territory):
            raise ValueError("the layout is not that of the block's territories")
        self.layout = layout
        self.locations = _locations(geometry, self.layout, pooled, seed, replication, locations)

    def _repeat_call(self, needs: CallNeeds, machine: int) -> None:
        """Log the repeat call of ``machine`` (within this block), drawn from ``needs`` (the
        repeat steps of both fleets; a first failure stays inline on the hot path)."""
        local = self.layout.territory_of(machine)
        call = self._draw_call(needs, self.layout.base + machine, local)
        call.__class__ = RepeatCall
        if self.locations is not None:
            call.x, call.y = self.locations[machine]
        self.calls += 1
        self.team_of_territory[local].log_call(call)


class Fleet(_Machines):
    """The installed base, each machine a renewal process with lives ``time_to_failure``.

    A call's needs are keyed by its machine.  With ``repeats``, a repair that leaves the
    cause is followed by a repeat delay instead of the machine's next life (the lives
    drawn stay in order: the k-th fresh life is the k-th draw).
    """

    def __init__(
        self,
        env: simpy.Environment,
        layout: Layout,
        time_to_failure: Distribution,
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
        locations: Sequence[tuple[float, float]] | None = None,
        repeats: RepeatRepairs | None = None,
    ) -> None:
        super().__init__(
            env,
            layout,
            needs_of,
            teams_of_territory,
            seed,
            replication,
            pooled,
            geometry,
            clock,
            first,
            locations,
        )
        base = self.layout.base
        if repeats is not None:
            self.repeats = RepeatDraws(repeats, seed, replication)
            self.machine_restored = self._restored_or_repeat  # type: ignore[method-assign]
        self.needs = [needs_of(base + m) for m in range(self.layout.machines)]
        self.uptimes = [
            Variates(time_to_failure.sample, seed, replication, "failure", base + m)
            for m in range(self.layout.machines)
        ]
        for m, uptime in enumerate(self.uptimes):
            # the first draw of a machine's stream is its residual life at time 0
            residual = float(time_to_failure.sample_residual(uptime.generator, 1)[0])
            self._fails_after(residual, m)

    def _breaks_down(self, step: Step[int]) -> None:
        machine = step.value  # within this block
        local = self.layout.territory_of(machine)
        call = self._draw_call(self.needs[machine], self.layout.base + machine, local)
        if self.locations is not None:
            call.x, call.y = self.locations[machine]
        self.calls += 1
        self.team_of_territory[local].log_call(call)

    def machine_restored(self, call: Call) -> None:
        """Back to work: the machine's next failure is scheduled."""
        machine = call.machine - self.layout.base
        self._fails_after(self.uptimes[machine].next(), machine)

    def _fails_after(self, uptime: float, machine: int) -> None:
        delay = uptime if self.clock is None else self._working_delay(uptime)
        self._schedule(Step(machine, self._breaks_down), NORMAL, delay)

    # -- repeat repairs (chosen at construction) ------------------------------

    def _restored_or_repeat(self, call: Call) -> None:
        """:meth:`machine_restored` with repeats: the machine's next life, or (the cause
        left) its repeat delay."""
        machine = call.machine - self.layout.base
        after = self.repeats.delay(call.machine)
        if after is None:
            self._fails_after(self.uptimes[machine].next(), machine)
            return
        delay = after if self.clock is None else self._working_delay(after)
        self._schedule(Step(machine, self._breaks_down_again), NORMAL, delay)

    def _breaks_down_again(self, step: Step[int]) -> None:
        """The fault a repair left: the machine fails again, a repeat call."""
        machine = step.value  # within this block
        self._repeat_call(self.needs[machine], machine)


class RenewableFleet(Fleet):
    """A :class:`Fleet` whose machines' lives can be renewed early (age-based renewal:
    preventive maintenance, or a replacement at the end of a service life).

    It keeps each machine's pending failure, so that :meth:`suspend` can cancel it and
    :meth:`renew` start a fresh life, the next draw of the machine's ``failure`` stream
    (the k-th life of machine m stays its k-th draw).  A plain :class:`Fleet` keeps
    nothing of the kind, so fleets that never renew early run as before.  Same
    parameters as :class:`Fleet`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.pending: dict[int, Step[int]] = {}  # (filled by the first lives, in Fleet.__init__)
        super().__init__(*args, **kwargs)

    def _fails_after(self, uptime: float, machine: int) -> None:
        delay = uptime if self.clock is None else self._working_delay(uptime)
        step = self.pending[machine] = Step(machine, self._breaks_down)
        self._schedule(step, NORMAL, delay)

    def suspend(self, machine: int) -> None:
        """``machine`` (within this block) stops ageing: its pending failure is cancelled."""
        step = self.pending.pop(machine, None)
        if step is not None:
            step.callbacks = []  # the event still fires, with nothing to do

    def renew(self, machine: int) -> None:
        """``machine`` (within this block) is as good as new: its pending failure, if any, is
        cancelled and a fresh life starts now."""
        self.suspend(machine)
        self._fails_after(self.uptimes[machine].next(), machine)


class ExponentialFleet(_Machines):
    """A fleet whose machines have exponential lives (mean ``mean_life_h``), as a thinned
    Poisson stream.

    Each working machine fails at rate 1/MTTF, so a territory's breakdowns are a
    Poisson stream of rate N/MTTF *candidates*, each hitting a machine chosen
    uniformly; a candidate that hits a machine already down is ignored.  This is
    exact for exponential lives, and it keeps the candidate times (and the needs
    drawn for each candidate, in order) the same whatever the staffing or the
    dispatch rule: much stronger common random numbers than per-machine clocks,
    whose cycles drift apart, and one random stream per territory instead of one
    per machine.  A call's needs are keyed by its territory.

    With ``repeats``, a machine whose repair left the cause is *repeat pending* for its
    repeat delay R: candidates that hit it are ignored (so it works exactly R), and then
    it fails again, a repeat call whose needs are keyed by the machine (streams of
    entity (machine, 1)), so the candidates and their needs stay as they were.
    """

    def __init__(
        self,
        env: simpy.Environment,
        layout: Layout,
        mean_life_h: float,
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
        locations: Sequence[tuple[float, float]] | None = None,
        repeats: RepeatRepairs | None = None,
    ) -> None:
        super().__init__(
            env,
            layout,
            needs_of,
            teams_of_territory,
            seed,
            replication,
            pooled,
            geometry,
            clock,
            first,
            locations,
        )
        territories = len(teams_of_territory)
        self.needs = [needs_of(first + t) for t in range(territories)]
        if repeats is not None:
            self.repeats = RepeatDraws(repeats, seed, replication)
            self.needs_of = needs_of
            self.repeat_needs: dict[int, CallNeeds] = {}
            self.machine_restored = self._restored_or_repeat  # type: ignore[method-assign]
        # 1: working and hit by candidates; 0: down (or repeat pending)
        self.up = bytearray(b"\x01") * self.layout.machines
        # a territory of n machines: candidates at n / MTTF
        self.gaps = [
            Variates(Exponential(mean_life_h / n).sample, seed, replication, "breakdown_gap", first + t)
            for t, n in enumerate(self.layout.counts)
        ]
        self.picks = [
            Variates(_uniforms, seed, replication, "breakdown_machine", first + t) for t in range(territories)
        ]
        # each territory's candidate step is made once and scheduled again for every candidate
        self._candidates: tuple[Callable[[Step[int]], None]] = (self._candidate,)
        for t in range(territories):
            self._next_candidate(Step(t, self._candidate))

    def _next_candidate(self, step: Step[int]) -> None:
        """Schedule ``step`` (its territory's candidate failure) for the next candidate."""
        gap = self.gaps[step.value].next()
        if self.clock is not None:
            gap = self._working_delay(gap)
        step.callbacks = self._candidates  # (SimPy cleared them when it processed the step)
        self._schedule(step, NORMAL, gap)

    def _candidate(self, step: Step[int]) -> None:
        local = step.value  # territory within this block
        self._next_candidate(step)
        n = self.layout.counts[local]
        machine = self.layout.starts[local] + int(self.picks[local].next() * n)
        # the needs are drawn for every candidate, so that the n-th candidate's needs are
        # the same in every design, whichever candidates become calls
        call = self._draw_call(self.needs[local], self.layout.base + machine, local)
        if not self.up[machine]:
            return  # already broken: a working machine cannot fail twice
        self.up[machine] = 0
        if self.locations is not None:
            call.x, call.y = self.locations[machine]
        self.calls += 1
        self.team_of_territory[local].log_call(call)

    def machine_restored(self, call: Call) -> None:
        """Back to work: the machine can fail again."""
        self.up[call.machine - self.layout.base] = 1

    def suspend(self, machine: int) -> None:
        """``machine`` (within this block) stops ageing: candidates that hit it are ignored."""
        self.up[machine] = 0

    def renew(self, machine: int) -> None:
        """``machine`` (within this block) is as good as new.  Exponential lives have no
        age, so a renewal only makes the machine reachable by candidates again."""
        self.up[machine] = 1

    # -- repeat repairs (chosen at construction) ------------------------------

    def _restored_or_repeat(self, call: Call) -> None:
        """:meth:`machine_restored` with repeats: the machine can fail again, or (the cause
        left) stays out of the candidates' reach until its repeat failure."""
        machine = call.machine - self.layout.base
        after = self.repeats.delay(call.machine)
        if after is None:
            self.up[machine] = 1
            return
        # (up stays 0: repeat pending)
        delay = after if self.clock is None else self._working_delay(after)
        self._schedule(Step(machine, self._breaks_down_again), NORMAL, delay)

    def _breaks_down_again(self, step: Step[int]) -> None:
        """The fault a repair left: the machine fails again, a repeat call."""
        machine = step.value  # within this block
        number = self.layout.base + machine
        needs = self.repeat_needs.get(number)
        if needs is None:
            needs = self.repeat_needs[number] = self.needs_of(number, 1)
        self._repeat_call(needs, machine)


class Installations:
    """The installation jobs of a fleet's replacements: their row and type, and per
    territory of the block the draws of their on-site times and trips (named streams
    ``installation_duration``, ``installation_travel``, ``installation_travel_from_base``
    keyed by territory: the k-th replacement of a territory takes the k-th draws)."""

    __slots__ = ("base_travel", "duration", "job_type", "row", "travel")

    def __init__(
        self,
        job: WorkType,
        row: int,
        job_type: int,
        travel: Distribution,
        from_base: Distribution | None,
        territories: range,
        seed: int,
        replication: int,
    ) -> None:
        self.row = row
        self.job_type = job_type
        self.duration = [
            durations(job.duration, seed, replication, "installation_duration", t) for t in territories
        ]
        no_trip = Constant(0.0)
        self.travel: list[Variates | Constant] = [
            durations(travel, seed, replication, "installation_travel", t) if job.travel else no_trip
            for t in territories
        ]
        self.base_travel: list[Variates | Constant] | None = (
            None
            if from_base is None
            else [
                durations(from_base, seed, replication, "installation_travel_from_base", t)
                if job.travel
                else no_trip
                for t in territories
            ]
        )


class LifecycleFleet(ExponentialFleet):
    """An exponential fleet whose machines have a contract status and a service life.

    Each machine (global number m) has an installation time and a service life from the
    named stream ``service_life`` keyed by m: at time 0 a length-biased life and a uniform
    point of it (the stationary age of the renewal process, so the fleet starts in steady
    state: the age is that point, the rest of the life the time to the first replacement),
    then one fresh life per replacement.  At each installation the stream
    ``contract_status`` keyed by m decides, from the contract share, whether the machine
    is under contract or paid after its warranty.  A breakdown takes the warranty class
    while the machine's age (wall clock) is below the warranty, its status's class
    afterwards.  At the end of its life the machine is replaced at once (warranty and
    life restart, status drawn anew), whether it works or is down: a down machine stays
    down until its open call is done, which keeps its class.  Breakdowns are unaffected
    (exponential lives: the new machine's time to failure has the same law), so the
    candidates and their needs are those of :class:`ExponentialFleet`.  With
    ``installations`` each replacement also sends an installation job (a :class:`Job` of
    that type) to the team of the machine's territory.
    """

    def __init__(
        self,
        env: simpy.Environment,
        layout: Layout,
        mean_life_h: float,
        lifecycle: Lifecycle,
        recorder: Recorder,
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
        locations: Sequence[tuple[float, float]] | None = None,
        installations: Installations | None = None,
    ) -> None:
        super().__init__(
            env,
            layout,
            mean_life_h,
            needs_of,
            teams_of_territory,
            seed,
            replication,
            pooled,
            geometry,
            clock,
            first,
            locations,
        )
        self.recorder = recorder
        self.installations = installations
        self.warranty_h = lifecycle.warranty_h
        self.warranty_class = lifecycle.warranty
        self.contract_share = lifecycle.contract_share
        self.contract_class = lifecycle.contract
        self.paid_class = lifecycle.paid
        base, n, life = self.layout.base, self.layout.machines, lifecycle.life
        self.lives = [Variates(life.sample, seed, replication, "service_life", base + m) for m in range(n)]
        self.statuses = [
            Variates(_uniforms, seed, replication, "contract_status", base + m) for m in range(n)
        ]
        self.installed_at = [0.0] * n
        self.after_warranty = [0] * n  # each machine's class once its warranty is over
        for m in range(n):
            gen = self.lives[m].generator
            length = float(life.sample_length_biased(gen, 1)[0])
            age = float(gen.random()) * length
            self._install(m, -age, length - age, False)

    def _install(self, machine: int, at: float, life_h: float, replaced: bool) -> None:
        """A new machine at ``at`` (before 0: the start state), replaced after ``life_h``."""
        self.installed_at[machine] = at
        contract = self.statuses[machine].next() < self.contract_share
        self.after_warranty[machine] = self.contract_class if contract else self.paid_class
        self.recorder.installed(self.layout.base + machine, at, replaced, self.env.now)
        self._schedule(Step(machine, self._end_of_life), NORMAL, life_h)

    def _end_of_life(self, step: Step[int]) -> None:
        machine = step.value  # within this block
        self._install(machine, self.env.now, self.lives[machine].next(), True)
        jobs = self.installations
        if jobs is None:
            return
        local = self.layout.territory_of(machine)
        territory = self.first + local
        job = Job(
            self.calls,
            territory,
            territory % self.pooled,
            jobs.row,
            jobs.job_type,
            jobs.travel[local].next(),
            jobs.duration[local].next(),
            self.env.now,
        )
        if jobs.base_travel is not None:
            job.base_travel_h = jobs.base_travel[local].next()
        self.calls += 1
        self.team_of_territory[local].log_call(job)

    def _draw_call(self, needs: CallNeeds, machine: int, local: int) -> Call:
        """A call whose class is its machine's status now."""
        call = super()._draw_call(needs, machine, local)
        m = machine - self.layout.base
        in_warranty = self.env.now - self.installed_at[m] < self.warranty_h
        call.service_class = self.warranty_class if in_warranty else self.after_warranty[m]
        return call


class PoissonCalls(CallSource):
    """Infinite source: Poisson calls at ``calls_per_h`` from each territory (one rate for
    all, or one per territory of a team).  A call's needs are keyed by its territory."""

    follows_repairs = False

    def __init__(
        self,
        env: simpy.Environment,
        calls_per_h: float | Sequence[float],
        needs_of: Callable[..., CallNeeds],
        teams_of_territory: Sequence[Team],
        seed: int,
        replication: int,
        pooled: int = 1,
        geometry: Geometry | None = None,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
    ) -> None:
        super().__init__(env, needs_of, teams_of_territory, seed, replication, pooled, geometry, clock, first)
        self.geometry = geometry
        territories = range(first, first + len(teams_of_territory))
        self.needs = [needs_of(t) for t in territories]
        self.where: list[Variates] = []
        if geometry is not None:
            self.where = [Variates(_uniforms, seed, replication, "call_location", t) for t in territories]
        rates = [calls_per_h] * pooled if isinstance(calls_per_h, float | int) else list(calls_per_h)
        self.gaps = [
            Variates(Exponential(1.0 / rates[t % pooled]).sample, seed, replication, "arrival", t)
            for t in territories
        ]
        # each territory's arrival step is made once and scheduled again for every call
        self._arrives: tuple[Callable[[Step[int]], None]] = (self._call_arrives,)
        for local in range(len(self.gaps)):
            self._next_call(Step(local, self._call_arrives))

    def _next_call(self, step: Step[int]) -> None:
        """Schedule ``step`` (its territory's arrival) for the next call."""
        gap = self.gaps[step.value].next()
        if self.clock is not None:
            gap = self._working_delay(gap)
        step.callbacks = self._arrives  # (SimPy cleared them when it processed the step)
        self._schedule(step, NORMAL, gap)

    def _call_arrives(self, step: Step[int]) -> None:
        local = step.value  # territory within this block
        # the next call first (_next_call inline: this runs for every call)
        gap = self.gaps[local].next()
        if self.clock is not None:
            gap = self._working_delay(gap)
        step.callbacks = self._arrives
        self._schedule(step, NORMAL, gap)
        call = self._draw_call(self.needs[local], -1, local)
        if self.geometry is not None:
            x0, y0 = self.geometry.origin(call.local_territory)
            where = self.where[local]
            call.x = x0 + where.next() * self.geometry.width
            call.y = y0 + where.next() * self.geometry.height
        self.calls += 1
        self.team_of_territory[local].log_call(call)


def call_source(
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
    planned: Callable[..., CallSource] | None = None,
    lifecycle: Lifecycle | None = None,
    recorder: Recorder | None = None,
    installations: Installations | None = None,
) -> CallSource:
    """The calls of a block of territories: a finite fleet of the machines ``layout``
    places in them (:meth:`sim.system.ServiceSystem.layout`) with lives ``life``
    (exponential lives: a thinned Poisson stream), with ``repeats`` if given, or Poisson
    calls at ``calls_per_h`` per territory of a team.
    ``planned`` (:class:`sim.model.planned.PlannedSource`) builds a fleet with a
    maintenance plan instead, from the same arguments (with ``lifecycle`` too).  With
    ``lifecycle`` (exponential lives only) the machines' statuses and service lives are
    reported to ``recorder``."""
    if planned is not None:
        return planned(
            env,
            needs_of,
            teams_of_territory,
            seed,
            replication,
            layout=layout,
            life=life,
            calls_per_h=calls_per_h,
            pooled=pooled,
            geometry=geometry,
            clock=clock,
            first=first,
            locations=locations,
            repeats=repeats,
            lifecycle=lifecycle,
            recorder=recorder,
            installations=installations,
        )
    args = (needs_of, teams_of_territory, seed, replication, pooled, geometry, clock, first)
    if lifecycle is not None:
        if layout is None or life is None or not life.is_exponential or repeats is not None:
            raise ValueError("a fleet lifecycle needs a finite fleet with exponential lives and no repeats")
        assert recorder is not None
        return LifecycleFleet(env, layout, life.mean, lifecycle, recorder, *args, locations, installations)
    if layout is not None and life is not None:
        if life.is_exponential:
            return ExponentialFleet(env, layout, life.mean, *args, locations, repeats)
        return Fleet(env, layout, life, *args, locations, repeats)
    if calls_per_h is None:
        raise ValueError("a call source needs machines and their life, or a call rate")
    if repeats is not None:
        raise ValueError("repeat repairs need a finite fleet (Poisson calls have no machine)")
    return PoissonCalls(env, calls_per_h, *args)
