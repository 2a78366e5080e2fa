"""How much work a study asks for, and the limits above which it is refused unless forced.

A run that cannot finish (a horizon of 1e12 h, a million design points, a Rinott second
stage of 10^9 replications) should be refused in one line before anything is written,
naming its size and the key that makes it so.  The limits are documented in
``docs/scenario_reference.md`` ("Limits"); ``--force`` lets a user who means it go on.

The work of a run is counted in simulated calls, the engine's unit of work.  One
replication of ``scenarios/validation/mm1.toml`` (90,750 calls) took 13.4 s on one core of
a busy 2-core machine, about 7,000 calls/s; an idle core does more, so ``CALLS_PER_S`` is
taken as 10^4 and the limit of 2 x 10^8 calls is some 6 hours of one core.  An internal
task (``[work.internal]``) is an event like a call and is counted as one.

The work is read from each design point's :class:`sim.system.ServiceSystem`; only
:func:`grid_size` reads the scenario as written (its sweep and variants, which no single
design point's system holds).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.system import ServiceSystem

#: simulated calls (all design points and replications) above which a run is refused
MAX_CALLS = 2e8
#: design points of a sweep grid (variants x values of every swept key)
MAX_DESIGN_POINTS = 10_000
#: values of one ``optimize --over`` range
MAX_OVER_VALUES = 10_000
#: replications of one design point (``--max-replications``, Rinott's second stage)
MAX_POINT_REPLICATIONS = 100_000
#: calls the engine simulates per second on one core (measured order of magnitude)
CALLS_PER_S = 1e4


def max_workers() -> int:
    """Worker processes allowed without ``--force``: 4 per core, at least 64."""
    return max(64, 4 * (os.cpu_count() or 1))


def calls_per_h(system: ServiceSystem) -> float:
    """Calls per hour of the whole system: the Poisson rate, or for a finite fleet every
    machine failing at its mean rate (an upper bound: broken machines do not fail)."""
    source, count = system.source, system.territories.count
    if not source.finite:
        return float(source.calls_per_h) * count
    mean = source.life.mean
    if system.repeats is not None:  # a repair that leaves the cause: a shorter up time
        mean = (1.0 - system.repeats.p) * mean + system.repeats.p * system.repeats.after.mean
    return math.inf if mean <= 0 else source.machines * count / mean


def tasks_per_h(system: ServiceSystem) -> float:
    """Internal tasks per hour of the whole system, at most: every technician always in a
    task (0 without internal work)."""
    if system.internal is None:
        return 0.0
    mean = system.internal.task.mean
    return math.inf if mean <= 0 else system.technicians / mean


def jobs_per_h(system: ServiceSystem) -> float:
    """Jobs of the job types per hour of the whole system (0 without job types)."""
    return sum(t.jobs_per_h for t in system.work_types) * system.territories.count


def planned_per_h(system: ServiceSystem) -> float:
    """Planned jobs per hour of the whole system, at most: every machine maintained every
    ``every_h`` hours (``[work.maintenance]``) and every key customer visited on time
    (``[work.visits]``); 0 without planned work."""
    count, rate = system.territories.count, 0.0
    pm, visits, source = system.maintenance, system.visits, system.source
    if pm is not None and source.finite:
        rate += source.machines * count / pm.every_h
    if visits is not None:
        rate += visits.customers * count / visits.every_h
    return rate


def _events_per_h(system: ServiceSystem) -> float:
    return calls_per_h(system) + tasks_per_h(system) + jobs_per_h(system) + planned_per_h(system)


def _hours(system: ServiceSystem) -> float:
    run = system.run
    # an automatic warm-up is chosen by a pilot as long as the run (counted as such)
    warmup = run.horizon_h if run.warmup_h == "auto" else float(run.warmup_h)
    return warmup + run.horizon_h


@dataclass(frozen=True)
class Work:
    """The calls a run simulates, and the factors of its largest design point."""

    calls: float
    points: int
    rate: float  # calls per hour of the largest point
    hours: float  # its warm-up + horizon
    replications: int  # its replications
    key: str  # the key whose factor is furthest above a typical study

    def describe(self) -> str:
        return (
            f"about {self.calls:.2g} calls ({self.rate:,.4g} calls/h x {self.hours:,.0f} h x "
            f"{self.replications:,} replication(s)"
            + (f", {self.points:,} design points" if self.points > 1 else "")
            + ")"
        )


def estimate(
    points: Mapping[str, ServiceSystem],
    replications: Mapping[str, int] | int | None = None,
    replications_key: str = "run.replications",
) -> Work:
    """The work of running ``points`` (each design point's system by its id), with their
    own replications or the given ones (an int for all, or per design point id;
    ``replications_key`` names where they come from, e.g. ``--max-replications``)."""

    def reps(dp: str) -> int:
        own = points[dp].run.replications
        if replications is None:
            return own
        if isinstance(replications, int):
            return replications
        return int(replications.get(dp, own))

    total, biggest, top = 0.0, None, -1.0
    for dp, system in points.items():
        with_reps = _events_per_h(system) * _hours(system) * reps(dp)
        total += with_reps
        if with_reps > top or biggest is None:
            biggest, top = dp, with_reps
    assert biggest is not None, "no design points"
    sc = points[biggest]
    rate, hours, n = _events_per_h(sc), _hours(sc), reps(biggest)
    # each factor against a typical study (10 calls/h, 42,000 h, 10 replications, 10 points)
    finite = sc.source.finite
    run = sc.run
    long_warmup = run.warmup_h != "auto" and float(run.warmup_h) > run.horizon_h
    hours_key = "run.warmup_h" if long_warmup else "run.horizon_h"
    factors = {
        ("fleet.machines" if finite else "fleet.calls_per_h"): calls_per_h(sc) / 10.0,
        hours_key: hours / 42_000.0,
        replications_key: n / 10.0,
        "sweep": len(points) / 10.0,
    }
    if sc.source.finite and sc.territories.count > sc.source.machines:
        factors["territories.count"] = factors.pop("fleet.machines")
    if sc.internal is not None:
        factors["work.internal.task_h"] = tasks_per_h(sc) / 10.0
    key = max(factors, key=lambda k: factors[k] if math.isfinite(factors[k]) else math.inf)
    return Work(total, len(points), rate, hours, n, key)


def too_much(work: Work, limit: float = MAX_CALLS) -> str | None:
    """Why ``work`` is refused (``None`` when it is within ``limit``); the key to name is
    ``work.key``."""
    if work.calls <= limit:
        return None
    hours = limit / CALLS_PER_S / 3600
    return (
        f"the run would simulate {work.describe()}, above the limit of {limit:.2g} "
        f"(about {hours:.0f} h of one core); this key is the largest factor: lower it, or add --force"
    )


def grid_size(scenario: Scenario) -> int:
    """Design points of a scenario's sweep grid and variants, without building them (the
    one count read from the scenario as written: a system is one design point)."""
    n = max(1, len(scenario.variants))
    for values in scenario.sweep.values():
        n *= len(values)
    return n
