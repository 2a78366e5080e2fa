"""Job types besides breakdown repairs: Poisson streams of jobs, one per type and territory.

Each ``[[work.types]]`` entry sends, from every territory, a Poisson stream of jobs that
join the territory's team's dispatch line like breakdown calls.  Every quantity of a
job is drawn from a named stream keyed by (type, territory): the gaps between its jobs
(``job_arrival``), their on-site times (``job_duration``) and trips (``job_travel``,
``job_travel_from_base``).  So staffing and dispatch never change when a job comes or
what it needs (common random numbers), and a scenario's breakdowns draw exactly what
they draw without job types.

The streams are built only when the system has job types: a model without them
schedules nothing here and its calls do no work for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import simpy
from simpy.events import NORMAL

from sim.calendar import WeeklyCalendar
from sim.distributions import Distribution, Exponential
from sim.system import WorkType

from .calls import Job
from .fleet import CallSource
from .steps import Step, scheduler
from .team import Team
from .variates import Constant, Variates, durations


class _Stream:
    """The jobs of one type from one territory of the block."""

    __slots__ = ("base_travel", "duration", "gaps", "job_type", "local", "row", "team", "travel")

    def __init__(
        self,
        gaps: Variates,
        duration: Variates | Constant,
        travel: Variates | Constant,
        base_travel: Variates | Constant | None,
        job_type: int,
        row: int,
        local: int,
        team: Team,
    ) -> None:
        self.gaps = gaps
        self.duration = duration
        self.travel = travel
        self.base_travel = base_travel
        self.job_type = job_type
        self.row = row
        self.local = local
        self.team = team


class JobStreams:
    """The Poisson jobs of every type from every territory of a block.

    Parameters
    ----------
    env : simpy.Environment
    types : sequence of WorkType
        The system's job types, in the scenario's order.
    first_row : int
        The row (``service_class``) of the first type: the number of service classes.
    teams_of_territory : sequence of Team
        The team each territory of the block reports to.
    numbering : CallSource
        The breakdowns' source, whose count of calls numbers the jobs too (call numbers
        stay unique: the earliest-due line breaks ties by them).
    seed, replication : int
    travel : Distribution
        A trip's time (the scenario's travel), for types with ``travel = true``.
    from_base : Distribution, optional
        The trip of a technician who was idle (``travel.from_base_h``).
    multipliers : sequence of float
        Each territory's load relative to an equal split, per territory of a team.
    pooled : int
        Territories per team.
    clock : WeeklyCalendar, optional
        Jobs arrive only in these hours (the breakdowns' clock).
    first : int
        Global number of the block's first territory.
    """

    def __init__(
        self,
        env: simpy.Environment,
        types: Sequence[WorkType],
        first_row: int,
        teams_of_territory: Sequence[Team],
        numbering: CallSource,
        seed: int,
        replication: int,
        travel: Distribution,
        from_base: Distribution | None = None,
        multipliers: Sequence[float] = (1.0,),
        pooled: int = 1,
        clock: WeeklyCalendar | None = None,
        first: int = 0,
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.numbering = numbering
        self.pooled = pooled
        self.clock = clock
        self.first = first
        no_trip = Constant(0.0)
        self.streams: list[_Stream] = []
        for j, wt in enumerate(types):
            if wt.arrivals != "poisson":
                continue  # the fleet's replacements send these jobs (sim/model/fleet.py)
            for local, team in enumerate(teams_of_territory):
                t = first + local
                rate = wt.jobs_per_h * multipliers[t % pooled]
                key = (j, t)
                self.streams.append(
                    _Stream(
                        Variates(Exponential(1.0 / rate).sample, seed, replication, "job_arrival", *key),
                        durations(wt.duration, seed, replication, "job_duration", *key),
                        durations(travel, seed, replication, "job_travel", *key) if wt.travel else no_trip,
                        None
                        if from_base is None
                        else durations(from_base, seed, replication, "job_travel_from_base", *key)
                        if wt.travel
                        else no_trip,
                        j + 1,
                        first_row + j,
                        local,
                        team,
                    )
                )
        for stream in self.streams:
            self._next_job(stream)

    def _next_job(self, stream: _Stream) -> None:
        gap = stream.gaps.next()
        if self.clock is not None:
            now = self.env.now
            gap = self.clock.add_business_hours(now, gap) - now
        self._schedule(Step(stream, self._job_arrives), NORMAL, gap)

    def _job_arrives(self, step: Step[_Stream]) -> None:
        stream = step.value
        self._next_job(stream)
        territory = self.first + stream.local
        job = Job(
            self.numbering.calls,
            territory,
            territory % self.pooled,
            stream.row,
            stream.job_type,
            stream.travel.next(),
            stream.duration.next(),
            self.env.now,
        )
        if stream.base_travel is not None:
            job.base_travel_h = stream.base_travel.next()
        self.numbering.calls += 1
        stream.team.log_call(job)
