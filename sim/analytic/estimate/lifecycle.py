"""Contract status and installations (``[fleet.lifecycle]``) in the analytic layer.

Every machine's installations are a stationary renewal process of its service lives
(the model starts each machine at its stationary age), independent of breakdowns and
dispatch (:mod:`sim.analytic.renewal`):

* ``installations_per_day`` = N / E[L] x hours per day, exact whatever else happens;
* ``warranty_machine_share`` = P(A < W) = E[min(L, W)] / E[L], exact likewise;
* ``calls_per_day`` of the installation job's row (one job per replacement), exact too;
* ``call_share`` per class: warranty P(A < W), contract (1 - P(A < W)) c, paid
  (1 - P(A < W)) (1 - c).  Exact when a machine's failure rate does not depend on its
  age or status (exponential times to failure, the only lives built with a lifecycle)
  and whether a machine works does not depend on its status: a dispatch discipline
  blind to the class (FIFO, nearest call).  Under the priority or earliest-due
  disciplines a machine's downtime depends on its class, so the share of breakdowns
  from a status is not its share of machines: approximate, and so is every queueing
  value computed with those shares (relabelled here).  With installation jobs the shares
  are approximate too: a machine's installation job queues ahead of its next breakdowns,
  so machines just replaced (in warranty) stay down a little longer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.renewal import installations_per_h

if TYPE_CHECKING:
    from sim.system import ServiceSystem

#: queue disciplines that never look at a call's class
CLASS_BLIND = ("fifo", "nearest")

MODEL = "stationary renewal (service lives)"


def with_lifecycle(est: Estimates, system: ServiceSystem) -> Estimates:
    """Add the lifecycle KPIs and, under a class-aware discipline, relabel the values that
    rest on the classes' shares as approximations."""
    life = system.lifecycle
    if life is None:
        return est
    source = system.source
    assert source.finite  # (the scenario's check)
    machines = source.machines_per_team * system.teams
    per_day = installations_per_h(machines, life.life.mean) * system.calendar.day_length_h
    discipline = system.dispatch.pair[0]
    one_level = len({c.priority for c in system.classes}) == 1
    blind = discipline in CLASS_BLIND or (discipline == "priority" and one_level)
    rows = [
        Estimate("installations_per_day", "all", per_day, MODEL, True, "N / E[L] (renewal theorem)"),
        Estimate(
            "warranty_machine_share",
            "all",
            life.in_warranty,
            MODEL,
            True,
            "P(stationary age < warranty_h) = E[min(L, W)] / E[L]",
        ),
    ]
    # an installation job queues ahead of its own machine's next breakdowns: a young
    # machine's downtime is then longer, so the shares are no longer exact
    shares_exact = blind and life.installation is None
    note = (
        "P(age < W) split by contract_share: exact with exponential times to failure and a "
        "class-blind discipline"
        if shares_exact
        else "P(age < W) split by contract_share; installation jobs delay the repairs of young "
        "machines just replaced (approximate)"
        if blind
        else "the machines' status shares; under a class-aware discipline a machine's downtime "
        "depends on its class, so the breakdown shares differ from them (approximate)"
    )
    rows += [Estimate("call_share", c.name, c.share, MODEL, shares_exact, note) for c in system.classes]
    if life.installation is not None:
        # one job per replacement, each one done in a stable system: jobs done per day =
        # installations per day
        name = system.work_types[life.installation].name
        rows.append(
            Estimate("calls_per_day", name, per_day, MODEL, True, "one job per replacement: N / E[L]")
        )
    if blind:
        return replace(est, primary=[*est.primary, *rows])

    def approximate(e: Estimate) -> Estimate:
        if not e.exact:
            return e
        why = "approximate: the classes' shares of the breakdowns are those of the machines"
        return replace(e, exact=False, note=f"{e.note}; {why}" if e.note else why)

    return replace(
        est,
        primary=[*(approximate(e) for e in est.primary), *rows],
        alternatives=[approximate(e) for e in est.alternatives],
    )
