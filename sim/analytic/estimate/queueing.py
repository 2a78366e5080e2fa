"""The queueing formulas of one team: FIFO (Poisson or finite fleet, trips from base after
idleness) and nonpreemptive priority, each value labelled exact or approximate."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from scipy import integrate

from sim.analytic import ctmc, quadrature, takacs, welch
from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.estimate.team import TeamView
from sim.analytic.queues import (
    QueueResult,
    UnstableQueueError,
    allen_cunneen,
    finite_source,
    finite_source_wait_tail,
    mg1,
    mg1_priority_nonpreemptive,
    mms,
    mms_wait_tail,
    priority_nonpreemptive,
)


def _threshold_kpi(hours: float) -> str:
    return f"p_wait_gt_{hours:g}h"


def sojourn_tail(wait_tail: Callable[[float], float], repair_rate: float, t: float) -> float:
    """P(W + S > t) for a wait W with tail ``wait_tail`` and an independent exponential
    repair S of rate ``repair_rate``: ``P(S > t) + integral_0^t f_S(x) P(W > t - x) dx``.

    Examples
    --------
    M/M/1 (lambda = 0.75, mu = 1): the time in system is exponential with rate 0.25.

    >>> from sim.analytic.queues import mms_wait_tail
    >>> round(sojourn_tail(lambda x: float(mms_wait_tail(0.75, 1.0, 1, x)), 1.0, 3.0), 6)
    0.472367
    """
    if t <= 0.0:
        return 1.0
    mu = repair_rate
    body, _ = integrate.quad(
        lambda x: mu * math.exp(-mu * x) * wait_tail(t - x), 0.0, t, epsabs=1e-12, epsrel=1e-10
    )
    return min(1.0, math.exp(-mu * t) + float(body))


def _fifo_kpis(
    res: QueueResult,
    team: TeamView,
    classes: Sequence[Any],
    tail: Any,
    tail_exact: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
    exact: bool,
    note: str,
) -> list[Estimate]:
    """KPIs of a FIFO team: every class sees the same wait."""
    lam = res.arrival_rate
    s = team.servers
    out: list[Estimate] = []

    def add(kpi: str, cls: str, value: float, is_exact: bool = exact) -> None:
        out.append(Estimate(kpi, cls, value, res.model, is_exact, note))

    add("utilization", "all", lam * team.mean_service / s)
    add("utilization_onsite", "all", lam * team.mean_repair / s)
    add("travel_share", "all", lam * team.mean_travel / s)
    restore = res.wq + team.mean_to_restore
    add("machines_down", "all", lam * restore)  # Little's law on broken machines
    for cls, share in [("all", 1.0), *((c.name, c.share) for c in classes)]:
        add("wait_h", cls, res.wq)
        add("response_h", cls, res.wq + team.mean_outbound)
        add("restore_h", cls, restore)
        add("queue_len", cls, share * res.lq)
        add("calls_per_day", cls, share * lam * hours_per_day)
        if tail is not None:
            for x in thresholds:
                add(_threshold_kpi(x), cls, float(tail(x)), exact and tail_exact)
    add("p_wait", "all", res.p_wait)
    if team.trip_km is not None:
        # under an order that ignores location, a trip joins two independent uniform points:
        # exact for Poisson calls from uniform places; a finite fleet is one fixed sample of
        # places (and a machine may call twice in a row), given places are not uniform
        trip_exact = not team.finite and team.trip_formula_exact
        trip_note = f"Larson & Odoni: {team.travel_note}"
        if team.finite:
            trip_note += "; approximate for a finite fleet (machines are a fixed sample of places)"
        elif not team.trip_formula_exact:
            trip_note += "; approximate: who serves which territory depends on the bases and the load"
        out.append(Estimate("trip_km", "all", team.trip_km, "uniform-point geometry", trip_exact, trip_note))
        out.append(
            Estimate("trip_h", "all", team.mean_outbound, "uniform-point geometry", trip_exact, trip_note)
        )
    if tail is not None and team.mean_travel == 0.0:
        # the restored milestone: the time to restore is the wait plus the call's own
        # repair, independent of its wait under FIFO (exponential here: the tail is only
        # given for exponential service, which is the repair without trips)
        promised = [c for c in classes if c.restore_sla_h is not None and not c.restore_business]
        mu_repair = 1.0 / team.mean_repair
        for c in promised:
            add(
                "restore_met",
                c.name,
                1.0 - sojourn_tail(tail, mu_repair, c.restore_sla_h),
                exact and tail_exact,
            )
        if promised and len(promised) == sum(c.restore_sla_h is not None for c in classes):
            total = sum(c.share for c in promised)
            met = (
                sum(c.share * (1.0 - sojourn_tail(tail, mu_repair, c.restore_sla_h)) for c in promised)
                / total
            )
            add("restore_met", "all", met, exact and tail_exact)
        sla_classes = [c for c in classes if c.sla_h is not None]
        for c in sla_classes:
            add("sla_met", c.name, 1.0 - float(tail(c.sla_h)), exact and tail_exact)
        if sla_classes:
            total = sum(c.share for c in sla_classes)
            met = sum(c.share * (1.0 - float(tail(c.sla_h))) for c in sla_classes) / total
            add("sla_met", "all", met, exact and tail_exact)
    return out


def infinite_source(
    team: TeamView,
    classes: Sequence[Any],
    priorities: Sequence[int],
    uses_priority: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
) -> Estimates:
    lam, s = team.arrival_rate, team.servers
    es, vs = team.mean_service, team.var_service
    mu = 1.0 / es
    if s == 1:
        res = mg1(lam, es, vs)
        exact, note = True, "Poisson calls, one technician, FIFO: Pollaczek-Khinchine is exact"
        if not team.iid_service:
            exact, note = False, f"Pollaczek-Khinchine with the mean trip; {team.travel_note}"
    elif team.exponential_service:
        res = mms(lam, mu, s)
        exact, note = True, "Poisson calls, exponential service, FIFO: Erlang C is exact"
    else:
        res = allen_cunneen(lam, es, vs, s)
        exact, note = False, "non-exponential service with several technicians: no closed form"
    tail = None
    if team.exponential_service:

        def tail(t: float) -> float:
            return float(mms_wait_tail(lam, mu, s, t))

    fifo = _fifo_kpis(res, team, classes, tail, True, thresholds, hours_per_day, exact, note)
    if not uses_priority:
        return Estimates(primary=fifo)
    prio = _priority(team, lam, classes, priorities, res, exact_total=exact)
    return Estimates(primary=prio, alternatives=_fifo_for_comparison(fifo))


def first_trips(
    team: TeamView,
    classes: Sequence[Any],
    priorities: Sequence[int],
    uses_priority: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
) -> Estimates:
    """Trips from base after idleness, between jobs otherwise.

    One technician, Poisson calls, an order blind to the trips: Welch's M/G/1 with an
    exceptional first service in each busy period (exact with trip-time laws; under
    geometry consecutive trips share a point, so an approximation).  Otherwise the usual
    formulas with the between-jobs trip, labelled approximate.
    """
    assert team.first_travel is not None
    t0, v0 = team.first_travel
    t, vt = team.mean_travel, team.var_travel
    r, vr = team.mean_repair, team.var_repair
    if team.finite or team.servers > 1 or uses_priority:
        note = (
            "a technician who was idle drives from base, one going straight on from a job "
            "does not: the formula uses the between-jobs trip (an approximation)"
        )
        plain = finite_fleet if team.finite else infinite_source
        out = plain(team, classes, priorities, uses_priority, thresholds, hours_per_day)
        return replace(
            out,
            primary=[replace(e, exact=False, note=note) for e in out.primary],
            alternatives=[replace(e, exact=False, note=note) for e in out.alternatives],
        )
    lam = team.arrival_rate
    res = welch.mg1_exceptional_first(lam, t0 + r, v0 + vr + (t0 + r) ** 2, t + r, vt + vr + (t + r) ** 2)
    geometric = team.first_trip_km is not None
    exact = not geometric
    model = "M/G/1, exceptional first service (Welch)"
    note = (
        "Poisson calls, one technician: a call that finds the technician idle gets the trip "
        "from base, the others the trip between jobs (Welch 1964)"
        + ("; under geometry successive trips share a point: an approximation" if geometric else "")
    )
    p0 = res.p_idle
    outbound = p0 * t0 + (1.0 - p0) * t
    rows: list[Estimate] = []

    def add(kpi: str, cls: str, value: float) -> None:
        rows.append(Estimate(kpi, cls, value, model, exact, note))

    add("utilization", "all", res.utilization)
    add("utilization_onsite", "all", lam * r)
    add("travel_share", "all", lam * outbound)
    add("p_wait", "all", res.p_wait)
    add("machines_down", "all", res.l)
    for cls, share in [("all", 1.0), *((c.name, c.share) for c in classes)]:
        add("wait_h", cls, res.wq)
        add("response_h", cls, res.wq + outbound)
        add("restore_h", cls, res.w)
        add("queue_len", cls, share * res.lq)
        add("calls_per_day", cls, share * lam * hours_per_day)
    if geometric:
        assert team.first_trip_km is not None and team.trip_km is not None
        km = p0 * team.first_trip_km + (1.0 - p0) * team.trip_km
        rows.append(Estimate("trip_km", "all", km, model, False, note))
        rows.append(Estimate("trip_h", "all", outbound, model, False, note))
    return Estimates(primary=rows)


def _priority(
    team: TeamView,
    lam: float,
    classes: Sequence[Any],
    priorities: Sequence[int],
    fifo: QueueResult,
    exact_total: bool,
    finite_note: str = "",
) -> list[Estimate]:
    """Nonpreemptive priority: per-class waits (classes sharing a priority share a level)."""
    s, es = team.servers, team.mean_service
    levels = sorted(set(priorities))
    rates = [sum(lam * c.share for c, p in zip(classes, priorities, strict=True) if p == lv) for lv in levels]
    if team.exponential_service:
        res = priority_nonpreemptive(rates, 1.0 / es, s)
        exact, note = True, "Poisson calls, exponential service: nonpreemptive priority M/M/s"
    elif s == 1:
        res = mg1_priority_nonpreemptive(rates, es, team.var_service + es**2)
        exact, note = True, "Poisson calls, one technician: Cobham's formula is exact"
    else:
        # scale the M/M/s result by the Allen-Cunneen factor
        res0 = priority_nonpreemptive(rates, 1.0 / es, s)
        factor = (1.0 + team.var_service / es**2) / 2.0
        res = type(res0)(**{**res0.__dict__, "wq": tuple(w * factor for w in res0.wq)})
        exact, note = False, "non-exponential service with several technicians: M/M/s priority x (1+cv^2)/2"
    if finite_note:
        exact, note = False, finite_note
    out: list[Estimate] = []
    for c, p in zip(classes, priorities, strict=True):
        wq = res.wq[levels.index(p)]
        for kpi, value in (
            ("wait_h", wq),
            ("response_h", wq + team.mean_outbound),
            ("restore_h", wq + team.mean_to_restore),
        ):
            out.append(Estimate(kpi, c.name, value, res.model, exact, note))
    # With a service law common to all classes, the overall mean wait of a work-conserving
    # nonpreemptive order equals FIFO's (exactly for M/M/s and for M/G/1).
    total_exact = exact_total and (team.exponential_service or s == 1)
    for kpi, value in (
        ("wait_h", fifo.wq),
        ("response_h", fifo.wq + team.mean_outbound),
        ("restore_h", fifo.wq + team.mean_to_restore),
        ("queue_len", fifo.lq),
        ("machines_down", fifo.arrival_rate * (fifo.wq + team.mean_to_restore)),
        ("utilization", fifo.arrival_rate * es / s),
        ("p_wait", fifo.p_wait),
    ):
        out.append(
            Estimate(
                kpi, "all", value, fifo.model, total_exact, "conservation: the overall wait equals FIFO's"
            )
        )
    return out


def finite_fleet(
    team: TeamView,
    classes: Sequence[Any],
    priorities: Sequence[int],
    uses_priority: bool,
    thresholds: Sequence[float],
    hours_per_day: float,
) -> Estimates:
    n, s = team.machines, team.servers
    mu = 1.0 / team.mean_service
    mmsn = finite_source(n, team.failure_rate, mu, s)
    res: QueueResult = mmsn  # replaced below by the scaled or the exact M/G/1//N values
    # Insensitivity (Bunday & Scraton 1980, the G/M/s//N machine-interference model): with
    # exponential repairs and FIFO, the law of the number down, in time and as seen by a
    # breakdown, depends on the life law only through its mean, so M/M/s//N is exact for
    # any life law, and so is the FIFO wait tail (Erlang stages behind the arrival state).
    exact = team.exponential_service
    tail = None
    if team.exponential_service:

        def tail(t: float) -> float:
            return float(finite_source_wait_tail(mmsn, mu, t))

    if exact and team.exponential_failures:
        note = "finite fleet, exponential failures and service, FIFO: M/M/s//N is exact"
    elif exact:
        note = (
            "finite fleet, exponential service, FIFO: M/M/s//N is exact for any life law "
            "(G/M/s//N insensitivity, Bunday & Scraton 1980)"
        )
    scaled: QueueResult | None = None
    if not team.exponential_service:
        # scale the queueing delay by the Allen-Cunneen variability factor
        factor = (1.0 + team.var_service / team.mean_service**2) / 2.0
        wq = res.wq * factor
        lq = res.arrival_rate * wq
        scaled = res = replace(
            res,
            model=f"M/G/{s}//{n} (M/M/{s}//{n} x (1+cv^2)/2)",
            wq=wq,
            w=wq + team.mean_service,
            lq=lq,
            l=lq + res.arrival_rate * team.mean_service,
        )
        note = "M/M/s//N wait x (1 + cv^2)/2 for non-exponential service: an approximation"
        takacs_res = _takacs(team) if s == 1 else None
        if takacs_res is not None:
            res = takacs_res
            exact = team.exponential_failures
            note = (
                "finite fleet, one technician, exponential lives, FIFO: Takacs' embedded "
                "Markov chain (M/G/1//N) is exact"
                if exact
                else "M/G/1//N (Takacs) at the same mean life: approximate for non-exponential lives"
            )

    fifo = _fifo_kpis(res, team, classes, tail, exact, thresholds, hours_per_day, exact, note)
    # the textbook's view: the same calls as Poisson from an infinite population
    alternatives: list[Estimate] = []
    if scaled is not None and scaled is not res:
        why_scaled = "M/M/1//N wait x (1 + cv^2)/2: the scaling the exact chain replaces"
        alternatives.append(Estimate("wait_h", "all", scaled.wq, scaled.model, False, why_scaled))
    notes: list[str] = []
    lam_inf = n * team.failure_rate
    try:
        if team.exponential_service:
            inf = mms(lam_inf, mu, s)
        elif s == 1:
            inf = mg1(lam_inf, team.mean_service, team.var_service)
        else:
            inf = allen_cunneen(lam_inf, team.mean_service, team.var_service, s)
        why = "infinite-source approximation: ignores that broken machines cannot fail"
        for kpi, value in (
            ("wait_h", inf.wq),
            ("restore_h", inf.wq + team.mean_to_restore),
            ("queue_len", inf.lq),
            ("utilization", inf.utilization),
        ):
            alternatives.append(Estimate(kpi, "all", value, inf.model, False, why))
        for x in thresholds:
            if team.exponential_service:
                alternatives.append(
                    Estimate(
                        _threshold_kpi(x),
                        "all",
                        float(mms_wait_tail(lam_inf, mu, s, x)),
                        inf.model,
                        False,
                        why,
                    )
                )
    except UnstableQueueError as exc:
        notes.append(
            f"the infinite-source M/M/{s} has no steady state here ({exc.rho:.3f} >= 1); "
            "the finite fleet always has one"
        )
    if not uses_priority:
        return Estimates(primary=fifo, alternatives=alternatives, notes=notes)
    prio = _priority(
        team,
        res.arrival_rate,
        classes,
        priorities,
        res,
        exact_total=exact,
        finite_note="per-class waits: infinite-source priority formula at the finite fleet's call rate",
    )
    # overall values under priority come from the exact finite-source model when exponential
    prio = [
        e
        if e.service_class != "all"
        else Estimate(e.kpi, "all", e.value, res.model, exact, "conservation: the overall wait equals FIFO's")
        for e in prio
    ]
    if team.exponential_service and team.exponential_failures:
        chain = _finite_priority_chain(team, classes, priorities, hours_per_day, notes)
        if chain:
            approx = [e for e in prio if e.service_class != "all"]
            prio = [e for e in prio if e.service_class == "all"] + chain
            alternatives += [e for e in approx if e.kpi == "wait_h"]
    return Estimates(primary=prio, alternatives=alternatives + _fifo_for_comparison(fifo), notes=notes)


def _fifo_for_comparison(fifo: Sequence[Estimate]) -> list[Estimate]:
    """The FIFO waits shown next to a priority order's: what FIFO would give, not this
    scenario's per-class values (the overall one is the same by conservation)."""
    note = "FIFO order, for comparison with the priority order"
    return [
        e if e.service_class == "all" else replace(e, exact=False, note=note)
        for e in fifo
        if e.kpi == "wait_h"
    ]


def _finite_priority_chain(
    team: TeamView,
    classes: Sequence[Any],
    priorities: Sequence[int],
    hours_per_day: float,
    notes: list[str],
) -> list[Estimate]:
    """Per-class KPIs of nonpreemptive priority on a finite fleet from the exact Markov
    chain (no closed form exists); nothing if the chain is too big (said in ``notes``)."""
    levels = sorted(set(priorities))
    shares = [sum(c.share for c, p in zip(classes, priorities, strict=True) if p == lv) for lv in levels]
    try:
        r = ctmc.finite_priority(
            team.machines, team.failure_rate, 1.0 / team.mean_service, team.servers, shares
        )
    except ctmc.StateSpaceTooLarge as exc:
        notes.append(f"per-class waits: {exc}, so the infinite-source priority formula stays")
        return []
    note = (
        f"finite fleet, exponential lives and service, nonpreemptive priority: "
        f"the Markov chain solved numerically ({r.states:,} states)"
    )
    out: list[Estimate] = []
    for c, p in zip(classes, priorities, strict=True):
        k = levels.index(p)
        wq = r.level_wq[k]
        for kpi, value in (
            ("wait_h", wq),
            ("response_h", wq + team.mean_outbound),
            ("restore_h", wq + team.mean_to_restore),
            ("queue_len", r.level_lq[k] * c.share / shares[k]),
            ("calls_per_day", c.share * r.arrival_rate * hours_per_day),
            ("p_wait", r.p_wait),
        ):
            out.append(Estimate(kpi, c.name, value, r.model, True, note))
    return out


def _takacs(team: TeamView) -> QueueResult | None:
    """The exact M/G/1//N of a one-technician team with i.i.d. service, if it can be had."""
    if team.service_laws is None or team.machines > takacs.MAX_MACHINES:
        return None
    laws = [law for law in team.service_laws if not law.is_zero]
    try:
        smooth = [law for law in laws if law.name not in ("deterministic", "empirical")]
        points = 16 if len(smooth) <= 1 else 8  # (a product rule: fewer points per law)
        service = quadrature.sum_rule(*(quadrature.rule(law, points) for law in laws))
    except (ValueError, AttributeError):  # a law without a quadrature rule
        return None
    return takacs.mg1_finite_source(team.machines, team.failure_rate, *service)
