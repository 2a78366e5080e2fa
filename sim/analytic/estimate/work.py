"""Job types (``[[work.types]]``) in the analytic layer: one queue with a mixed service law.

A team's breakdown classes and job types are Poisson streams (breakdowns from Poisson
calls, jobs by construction) sharing its technicians.  Each stream's time per job is
its trip (the scenario's travel, or none for a type with ``travel = false``) plus its
on-site time (the repair time, or the type's duration), independent of each other.
:mod:`sim.analytic.mixed` then gives:

* FIFO, one technician: M/G/1 of the mixture (Pollaczek-Khinchine), exact;
* FIFO, several: Allen-Cunneen on the mixture, approximate;
* nonpreemptive priority, one technician: Cobham's formula between the priority levels,
  each level the mixture of the streams at that priority (FIFO within a level, whatever
  the kind), exact.

Anything else with job types (a finite fleet, priority with several technicians, shifts,
customer-hours clocks, trips from base, parts, internal work, other disciplines) gets no queueing
value, with a note saying why, rather than a breakdown-only formula that ignores the
jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.mixed import MixedResult, mg1_priority_mixed, mixed_mgs, service_mixture
from sim.analytic.queues import UnstableQueueError

if TYPE_CHECKING:
    from sim.system import ServiceSystem

NOTE = "job types: one queue with the mixed service law of breakdowns and jobs (sim/analytic/mixed.py)"


@dataclass(frozen=True)
class _Stream:
    """One row's Poisson stream in one team: rate, time per job (trip + on site)."""

    row: str
    rate: float  # per hour, per team
    trip: float  # mean trip
    onsite: float  # mean on-site time
    variance: float  # of trip + on site
    priority: int
    breakdown: bool

    @property
    def mean(self) -> float:
        return self.trip + self.onsite

    @property
    def scv(self) -> float:
        return self.variance / (self.mean * self.mean)


def _why_not(system: ServiceSystem) -> str | None:
    """Why the mixed formulas do not apply (``None``: they do)."""
    tr = system.travel
    cal = system.calendar
    discipline = system.dispatch.pair[0]
    if system.source.finite:
        return "breakdowns from a finite fleet are not a Poisson stream"
    if system.parts is not None:
        return "spare parts (revisits) are not in the mixed model"
    if system.internal is not None:
        return "internal work (vacations) is not in the mixed model"
    if tr.mode != "time" or tr.from_base is not None:
        return "trips from base after idleness are not in the mixed model"
    if cal.shifts is not None or cal.uptime_clock is not None:
        return "shifts and customer-hours clocks are not in the mixed model"
    if discipline not in ("fifo", "priority"):
        return f"no mixed formula for the {discipline!r} discipline"
    if discipline == "priority" and system.team.technicians > 1:
        return "no exact or standard formula for priority between mixed types on several technicians"
    return None


def _streams(system: ServiceSystem) -> list[_Stream]:
    tr, source = system.travel, system.source
    assert tr.mode == "time" and not source.finite  # (_why_not)
    trip = tr.time
    repair = system.repair.time
    lam = source.calls_per_team_h
    out = [
        _Stream(
            c.name, lam * c.share, trip.mean, repair.mean, trip.variance + repair.variance, c.priority, True
        )
        for c in system.classes
    ]
    pooled = system.territories.pooled  # (the multipliers average 1: a team has pooled x the rate)
    for t in system.work_types:
        m_trip, v_trip = (trip.mean, trip.variance) if t.travel else (0.0, 0.0)
        out.append(
            _Stream(
                t.name,
                t.jobs_per_h * pooled,
                m_trip,
                t.duration.mean,
                v_trip + t.duration.variance,
                t.priority,
                False,
            )
        )
    return out


def _solve(streams: Sequence[_Stream], servers: int, priority: bool) -> tuple[MixedResult, list[float]]:
    """The queue and each stream's mean wait."""
    rates = [s.rate for s in streams]
    if not priority or len({s.priority for s in streams}) == 1:
        res = mixed_mgs(rates, [s.mean for s in streams], [s.scv for s in streams], servers)
        return res, [res.wq] * len(streams)
    levels = sorted({s.priority for s in streams})
    lv_rates, lv_means, lv_scvs = [], [], []
    for p in levels:
        at = [s for s in streams if s.priority == p]
        mix = service_mixture([s.rate for s in at], [s.mean for s in at], [s.scv for s in at])
        lv_rates.append(mix.arrival_rate)
        lv_means.append(mix.mean)
        lv_scvs.append(mix.scv)
    res = mg1_priority_mixed(lv_rates, lv_means, lv_scvs)
    return res, [res.wq_by_type[levels.index(s.priority)] for s in streams]


def work_estimate(system: ServiceSystem) -> Estimates:
    """The estimates of a system with job types (see the module's docstring).

    Parameters
    ----------
    system : sim.system.ServiceSystem
        With ``work_types``.

    Returns
    -------
    Estimates
        Per team formulas scaled to all teams (counts and money per day); only notes when
        no mixed formula applies.
    """
    why = _why_not(system)
    if why is not None:
        return Estimates(notes=[f"no queueing formula with job types: {why}"])
    streams = _streams(system)
    s = system.team.technicians
    priority = system.dispatch.pair[0] == "priority"
    try:
        res, waits = _solve(streams, s, priority)
    except UnstableQueueError as exc:
        return Estimates(unstable=f"no steady state: {exc}")
    teams = system.teams
    per_day = system.calendar.day_length_h  # (continuous clock: the working day)
    out: list[Estimate] = []

    # rates, utilisations and hours by row are exact whatever the queue (work conservation)
    def add(kpi: str, row: str, value: float, exact: bool = res.exact) -> None:
        out.append(Estimate(kpi, row, value, res.model, exact, NOTE))

    lam = sum(x.rate for x in streams)
    add("wait_h", "all", sum(x.rate * w for x, w in zip(streams, waits, strict=True)) / lam)
    add("response_h", "all", sum(x.rate * (w + x.trip) for x, w in zip(streams, waits, strict=True)) / lam)
    add("restore_h", "all", sum(x.rate * (w + x.mean) for x, w in zip(streams, waits, strict=True)) / lam)
    add("queue_len", "all", teams * sum(x.rate * w for x, w in zip(streams, waits, strict=True)))
    add("calls_per_day", "all", teams * lam * per_day, True)
    add("p_wait", "all", res.p_wait)
    add("utilization", "all", res.utilization, True)
    add("hours_share", "all", res.utilization, True)
    onsite = sum(x.rate * x.onsite for x in streams) / s
    add("utilization_onsite", "all", onsite, True)
    add("travel_share", "all", res.utilization - onsite, True)
    add(
        "machines_down",
        "all",
        teams * sum(x.rate * (w + x.mean) for x, w in zip(streams, waits, strict=True) if x.breakdown),
    )
    money = {"revenue_per_day": 0.0, "job_cost_per_day": 0.0, "margin_per_day": 0.0}
    by_name = {t.name: t for t in system.work_types}
    for x, w in zip(streams, waits, strict=True):
        add("wait_h", x.row, w)
        add("response_h", x.row, w + x.trip)
        add("restore_h", x.row, w + x.mean)
        add("queue_len", x.row, teams * x.rate * w)
        jobs = teams * x.rate * per_day
        add("calls_per_day", x.row, jobs, True)
        add("hours_share", x.row, x.rate * x.mean / s, True)
        t = by_name.get(x.row)
        if t is not None and not x.breakdown:
            row = {
                "revenue_per_day": t.revenue * jobs,
                "job_cost_per_day": t.cost * jobs,
                "margin_per_day": (t.revenue - t.cost) * jobs,
            }
            for kpi, v in row.items():
                add(kpi, x.row, v, True)
                money[kpi] += v
    for kpi, v in money.items():
        add(kpi, "all", v, True)
    return Estimates(primary=out)
