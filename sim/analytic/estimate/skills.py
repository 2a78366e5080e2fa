"""Skills (``[skills]``): separate pools, full cross-training and partial flexibility.

The skills split into *components*: skills linked by a group that has both.  Each
component is served by its own groups only.  Poisson calls (each needing skill k with
probability p_k, independently: a thinned Poisson stream per skill), exponential repair
times, no travel time, first-time fix 1 and FIFO dispatch:

* a component served by **one group** is an M/M/s queue of its own (s = the group's
  members per team, arrival rate lambda x sum of its skills' p_k, mean service the
  repair mean x the group's ``repair_factor``): exact.  This covers both extremes: every
  group a specialist of one skill (separate pools, each skill its own M/M/s) and one
  group with every skill (full cross-training, one pooled M/M/s).
* a component served by **several groups** (partial flexibility: specialists of one skill
  each plus cross-trained technicians with every skill of the component) has no closed
  form.  Approximation, labelled approximate: the wait of skill k is the mix
  ``(1 - f) W_split,k + f W_pool`` of the two extremes at the same headcount, weighted by
  the share f of cross-trained technicians in the component: ``W_pool`` is the pooled
  M/M/n of the component (every technician for every call, the load-weighted mean
  service), ``W_split,k`` the separate pool of skill k with its specialists plus a share
  of the cross-trained technicians, split so that every skill's utilization is the same
  (fractional servers, Erlang C by the continuous extension of Erlang B, Jagerman 1974).
  Exact at f = 0 and f = 1; in between it ignores how FIFO dispatch couples the skills
  (it overstates the wait: 1.10 h against 0.79 h simulated with one cross-trained
  technician of four, 60/40 needs, rho = 0.75).  The utilization over all technicians is
  exact whenever every group's factor is the same (work is conserved); the groups' own
  utilizations get no value.

With escalation (``[skills.escalation]``), when every skill pool has one group and the
specialists' group does not escalate, the pools form a **Jackson network**: a pool's
departures are Poisson (Burke's theorem), each escalated independently with the group's
probability, so the specialists' pool is an M/M/s at its own calls' rate plus the
escalated rate (an escalated call's specialist repair is a new exponential draw).  Exact:
the waits, the escalated share, the time escalation adds (the specialists' W = Wq + mean
service) and the utilizations.  With a probability by fault type (the skill the call
needs, ``escalation = {skill = p}``) a pool of skills K escalates at the rate
lambda sum_{k in K} p_k e_k: still exact, because a call's need is an independent mark
drawn at its arrival and the pool's dynamics do not read it (every need has the same
repair law and the group's factor), so the needs of the departing calls are i.i.d. with
the arrival shares, independent of the departure times, and the escalated stream is an
independent thinning of Burke's Poisson departures.

With a remote-expert tier (``[skills.escalation.remote]``: c experts, handling time H, a
remote fix with probability q) the escalated stream (Poisson, above) meets the experts
first: with exponential H an M/M/c (exact), and its departures are Poisson again (Burke),
thinned by 1 - q, so the specialists are an M/M/s at their own rate plus (1 - q) x the
escalated rate (exact); the time escalation adds is Wq_tier + E[H] + (1 - q) W_spec
(exact), the remote-fix share q and the experts' utilization (rate E[H] / c) exact.  With
another H, one expert is an M/G/1 (Pollaczek-Khinchine: its wait exact), several an
M/G/c by Allen-Cunneen (approximate); the tier's departures are then not Poisson, and
the specialists' pool at the Poisson rate is an approximation, as is the time added.

Anything else (finite fleets, travel time, other repair laws, first-time fix below 1, a
priority or earliest-due discipline, a contractor, groups with some but not all of a
component's skills) gets no value, only a note.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.queues import QueueResult, UnstableQueueError, allen_cunneen, mg1, mms

if TYPE_CHECKING:
    from sim.system import RemoteExperts, ServiceSystem, Skills

POOL_MODEL = "M/M/s per skill pool"
FLEX_MODEL = "partial flexibility: mix of split pools and the pooled M/M/n"
JACKSON_MODEL = "M/M/s pools in a Jackson network (escalation)"
REMOTE_APPROX = "M/M/s pools after a non-exponential remote tier (its departures taken as Poisson)"


def erlang_b_real(servers: float, offered_load: float) -> float:
    """Erlang B at a real number of servers: 1/B = a * int_0^inf exp(-a t) (1 + t)^s dt.

    >>> round(erlang_b_real(2.0, 1.5), 6), round(erlang_b_real(2.5, 1.5), 4)
    (0.310345, 0.2091)
    """
    from scipy.integrate import quad

    a, s = offered_load, servers
    value, _ = quad(lambda t: math.exp(-a * t + s * math.log1p(t)), 0.0, math.inf, limit=200)
    return 1.0 / (a * value)


def erlang_c_real(servers: float, offered_load: float) -> float:
    """Erlang C from :func:`erlang_b_real`: C = s B / (s - a (1 - B)), for a < s."""
    b = erlang_b_real(servers, offered_load)
    s, a = servers, offered_load
    return s * b / (s - a * (1.0 - b))


def components(skills: Skills) -> list[tuple[list[int], list[int]]]:
    """The (skills, groups) of each component: skills linked by a group that has both."""
    parent = list(range(len(skills.names)))

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for g in skills.groups:
        ks = sorted(g.skills)
        for k in ks[1:]:
            parent[root(k)] = root(ks[0])
    out: dict[int, tuple[list[int], list[int]]] = {}
    for k in range(len(skills.names)):
        out.setdefault(root(k), ([], []))[0].append(k)
    for i, g in enumerate(skills.groups):
        out[root(min(g.skills))][1].append(i)
    return list(out.values())


def _why_not(system: ServiceSystem) -> str | None:
    from sim.distributions import Deterministic, Exponential

    tr = system.travel
    if system.source.finite:
        return "a finite fleet (the skills' calls are not independent Poisson streams)"
    if tr.mode != "time" or tr.from_base is not None:
        return "travel that is not a time"
    if not (isinstance(tr.time, Deterministic) and tr.time.value == 0.0):
        return "trips that take time (the service is not exponential)"
    if not isinstance(system.repair.time, Exponential):
        return "repair times that are not exponential"
    if system.dispatch.pair[0] != "fifo":
        return f"the {system.dispatch.pair[0]!r} discipline"
    if system.contractor is not None:
        return "a contractor"
    if system.calendar.clock_share != 1.0:
        return "calls in customer hours only"
    assert system.skills is not None
    if any(g.first_time_fix < 1.0 for g in system.skills.groups):
        return "a first-time fix below 1"
    return None


def _escalation_inflow(skills: Skills, comps: list[tuple[list[int], list[int]]], lam: float) -> float | None:
    """Escalated calls per hour into the component of ``skills.escalate_to``, when the
    network is Jackson's: every component served by one group, the specialists' group not
    escalating (``None`` otherwise).  A group's departures are Poisson (Burke) and each is
    escalated independently, so the specialists see a Poisson stream."""
    to = skills.escalate_to
    assert to is not None
    inflow = 0.0
    for ks, gs in comps:
        if len(gs) != 1:
            return None
        g = skills.groups[gs[0]]
        if to in ks:
            if any(g.escalation_of(k) > 0 for k in ks if k != to):  # (feedback into the pool)
                return None
        else:  # each need escalated with the group's probability for it (fault type)
            inflow += lam * sum(skills.shares[k] * g.escalation_of(k) for k in ks)
    return inflow


def skills_estimate(system: ServiceSystem) -> Estimates:
    """The formulas of the module docstring for a system with skills."""
    skills = system.skills
    assert skills is not None
    why = _why_not(system)
    if why is not None:
        return Estimates(notes=[f"skills: no formula with {why}"])
    assert not system.source.finite
    lam = system.source.calls_per_team_h
    mean = system.repair.time.mean
    p = skills.shares
    groups = skills.groups
    n_total = system.team.technicians
    hours_per_day = system.calendar.day_length_h
    waits = [0.0] * len(p)
    exact_wait = [True] * len(p)
    p_wait = 0.0
    group_util: dict[int, float] = {}
    busy = 0.0  # mean busy technicians per team
    notes: list[str] = []
    models: set[str] = set()
    comps = components(skills)
    to = skills.escalate_to
    inflow = 0.0  # escalated calls per hour into the specialists' pool
    if to is not None:
        found = _escalation_inflow(skills, comps, lam)
        if found is None:
            return Estimates(
                notes=[
                    "skills: no formula for escalation unless each skill pool has one group "
                    "and the specialists do not escalate"
                ]
            )
        inflow = found
    escalated = inflow / lam  # share of calls escalated
    added = 0.0  # escalation -> restoration: the specialists' time in system
    experts: tuple[QueueResult, bool, str] | None = None  # the remote tier, its wait exact?
    to_specialists = inflow  # escalated calls per hour reaching the specialists
    specialists_exact = True  # their arrivals Poisson
    from sim.distributions import Exponential

    try:
        remote = skills.remote
        if remote is not None and inflow > 0:
            experts = _experts(remote, inflow)
            to_specialists = inflow * (1.0 - remote.fix)
            # Burke again: an M/M/c tier's departures are Poisson, thinned independently;
            # after another handling law they are not, and the specialists' M/M/s is an
            # approximation (Poisson arrivals at the same rate)
            specialists_exact = isinstance(remote.handling, Exponential)
        for ks, gs in comps:
            rate = lam * sum(p[k] for k in ks)
            if to is not None and to in ks:
                rate += to_specialists
            if rate == 0.0:
                continue
            if len(gs) == 1:
                g = groups[gs[0]]
                r = mms(rate, 1.0 / (mean * g.repair_factor), g.technicians)
                for k in ks:
                    waits[k] = r.wq
                    if to is not None and to in ks and not specialists_exact:
                        exact_wait[k] = False
                p_wait += sum(p[k] for k in ks) * r.p_wait
                group_util[gs[0]] = r.utilization
                busy += rate * mean * g.repair_factor
                if to is not None and to in ks:
                    added = r.w
                models.add(f"M/M/{g.technicians}")
                continue
            flex = _flexible(skills, ks, gs)
            if flex is None:
                return Estimates(
                    notes=["skills: no formula for groups with some but not all of a component's skills"]
                )
            specialists, cross = flex
            n = sum(groups[g].technicians for g in gs)
            f = groups[cross].technicians / n
            # the pooled M/M/n: every technician takes every call of the component
            service = {k: mean * groups[specialists.get(k, cross)].repair_factor for k in ks}
            pool_mean = sum(p[k] * service[k] for k in ks) / sum(p[k] for k in ks)
            pool = mms(rate, 1.0 / pool_mean, n)
            loads = {k: lam * p[k] * service[k] for k in ks}
            total = sum(loads.values())
            if total >= n:
                raise UnstableQueueError(total / n, "skills (all technicians)")
            own = {k: groups[specialists[k]].technicians if k in specialists else 0 for k in ks}
            servers = _equal_utilisation(loads, own, n)
            if sum(servers.values()) > n * (1 + 1e-9):  # specialists idle while the others drown
                worst = max(loads[k] / servers[k] for k in ks)
                raise UnstableQueueError(max(worst, 1.0), "skills (a skill's eligible technicians)")
            for k in ks:
                s_k = servers[k]
                c = erlang_c_real(s_k, loads[k])
                split = c * service[k] / (s_k - loads[k])
                waits[k] = (1.0 - f) * split + f * pool.wq
                exact_wait[k] = False
                p_wait += p[k] * ((1.0 - f) * c + f * pool.p_wait)
            busy += total
            models.add(FLEX_MODEL)
            notes.append(
                "skills: partial flexibility approximated by the mix of the split pools and the "
                "pooled M/M/n, weighted by the share of cross-trained technicians"
            )
    except UnstableQueueError as exc:
        return Estimates(unstable=f"no steady state: {exc}")
    jackson = "Jackson network: Poisson departures (Burke), independent escalation"
    added_exact = True
    if experts is not None:
        assert skills.remote is not None
        tier, tier_exact, tier_model = experts
        # the expert's wait and time, then (not fixed) the specialists' W
        added = tier.wq + skills.remote.handling.mean + (1.0 - skills.remote.fix) * added
        added_exact = tier_exact and specialists_exact
        jackson += ", the remote tier " + tier_model
    from sim.kpis import group_utilization_kpi, skill_wait_kpi

    exact = all(exact_wait)
    approx = FLEX_MODEL if FLEX_MODEL in models else REMOTE_APPROX
    model = POOL_MODEL if exact else approx
    detail = ", ".join(sorted(models))
    wait = sum(pk * w for pk, w in zip(p, waits, strict=True))
    restore = wait + sum(p[k] * mean * _factor(skills, k) for k in range(len(p)) if p[k] > 0)
    restore += escalated * added  # an escalated call's expert, second wait and visit
    same_factor = len({g.repair_factor for g in groups}) == 1
    one_group = FLEX_MODEL not in models  # every pool one group: who serves a call is known
    teams = system.teams
    out = [
        Estimate(
            skill_wait_kpi(k),
            "all",
            waits[k],
            (POOL_MODEL if approx == REMOTE_APPROX else model) if exact_wait[k] else approx,
            exact_wait[k],
            detail,
        )
        for k in range(len(p))
        if p[k] > 0
    ]
    out += [
        Estimate("wait_h", "all", wait, model, exact, detail),
        Estimate("p_wait", "all", p_wait, model, exact, detail),
        Estimate("response_h", "all", wait, model, exact, "no travel: the response is the wait"),
        Estimate(
            "queue_len", "all", lam * wait * teams, model, exact, "Little's law (first waits), all teams"
        ),
        Estimate(
            "calls_per_day", "all", lam * hours_per_day * teams, "Poisson calls", True, "every call is served"
        ),
        Estimate(
            "utilization", "all", busy / n_total, model, exact or same_factor or one_group, "work conserved"
        ),
    ]
    if exact or same_factor or one_group:
        out.append(
            Estimate("restore_h", "all", restore, model, exact, "wait + the serving group's repair mean")
        )
        out.append(
            Estimate("machines_down", "all", lam * restore * teams, model, exact, "Little's law, all teams")
        )
    out += [
        Estimate(group_utilization_kpi(g), "all", u, POOL_MODEL, True, f"group {groups[g].name!r}")
        for g, u in sorted(group_util.items())
    ]
    if to is not None:
        out += [
            Estimate("escalation_share", "all", escalated, JACKSON_MODEL, True, "Bernoulli per first visit"),
            Estimate("failed_visits_per_call", "all", escalated, JACKSON_MODEL, True, "first-time fix 1"),
            Estimate("unfixed_visits_per_call", "all", 0.0, JACKSON_MODEL, True, "first-time fix 1"),
            Estimate(
                "escalation_added_h",
                "all",
                added,
                JACKSON_MODEL if added_exact else REMOTE_APPROX,
                added_exact,
                jackson,
            ),
        ]
        if experts is not None:
            assert skills.remote is not None
            tier, tier_exact, tier_model = experts
            out += [
                Estimate(
                    "expert_wait_h",
                    "all",
                    tier.wq,
                    tier_model,
                    tier_exact,
                    "the escalated calls a Poisson stream (Burke, independent escalation)",
                ),
                Estimate(
                    "remote_fix_share",
                    "all",
                    skills.remote.fix,
                    tier_model,
                    True,
                    "Bernoulli per escalated call",
                ),
                Estimate("expert_utilization", "all", tier.utilization, tier_model, True, "work conserved"),
            ]
    return Estimates(primary=out, notes=notes)


def _experts(remote: RemoteExperts, inflow: float) -> tuple[QueueResult, bool, str]:
    """The remote tier at the escalated rate: M/M/c (exact), M/G/1 by Pollaczek-Khinchine
    (exact), else M/G/c by Allen-Cunneen (approximate); (result, exact, model)."""
    from sim.distributions import Exponential

    h = remote.handling
    c = remote.experts
    if isinstance(h, Exponential):
        return mms(inflow, 1.0 / h.mean, c), True, f"M/M/{c} remote experts"
    if c == 1:
        return mg1(inflow, h.mean, h.variance), True, "M/G/1 remote expert (Pollaczek-Khinchine)"
    return allen_cunneen(inflow, h.mean, h.variance, c), False, f"M/G/{c} remote experts (Allen-Cunneen)"


def _equal_utilisation(loads: dict[int, float], own: dict[int, int], n: int) -> dict[int, float]:
    """Fractional servers per skill: each skill's specialists plus a share of the
    cross-trained technicians, split so that every skill's utilization is the same
    (water-filling: s_k = max(own_k, load_k / rho) with sum s_k = n)."""
    lo, hi = 1e-12, 1.0
    for _ in range(100):  # sum_k max(own_k, load_k / rho) decreases in rho
        rho = 0.5 * (lo + hi)
        if sum(max(own[k], loads[k] / rho) for k in loads) > n:
            lo = rho
        else:
            hi = rho
    return {k: max(float(own[k]), loads[k] / hi) for k in loads}


def _factor(skills: Skills, k: int) -> float:
    """The repair factor of the (only) group serving skill k's component with one group,
    or the specialists of k (partial flexibility: the restore time then mixes the groups,
    so it is only given when every factor is the same)."""
    for g in skills.groups:
        if g.skills == frozenset({k}):
            return g.repair_factor
    return next(g.repair_factor for g in skills.groups if k in g.skills)


def _flexible(skills: Skills, ks: list[int], gs: list[int]) -> tuple[dict[int, int], int] | None:
    """A component with specialists (one skill each, at most one group per skill) and one
    cross-trained group with every skill of the component: (skill -> specialists' group,
    cross-trained group); ``None`` for any other structure."""
    specialists: dict[int, int] = {}
    cross: int | None = None
    for g in gs:
        have = skills.groups[g].skills
        if len(have) == 1:
            (k,) = have
            if k in specialists:
                return None
            specialists[k] = g
        elif have == frozenset(ks) and cross is None:
            cross = g
        else:
            return None
    return None if cross is None else (specialists, cross)
