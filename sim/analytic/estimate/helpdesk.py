"""The helpdesk before dispatch (``[helpdesk]``) in the analytic layer.

The helpdesk is a c-server FIFO queue (c = ``agents``) fed by all the system's calls.  An
agent's time with a request is S = H + B R: the handling H, and for a remote resolution
(B = 1 with probability p = ``remote_share``, independently) the remote time R.

* **Helpdesk.** Poisson calls and exponential S (H exponential and no remote time) make
  it M/M/c: Erlang C gives the wait for an agent Wq exactly, ``reply_h`` = Wq + E[H], and
  ``reply_met`` = P(Wq + H <= T) in closed form (:func:`mmc_reply_within`; on the wall
  clock only: a class with ``reply_clock = "business"`` has a deadline that depends on the
  instant of the call, and gets no value).  With a remote
  time S is a mixture, not exponential: one agent is M/G/1 (Pollaczek-Khinchine, exact);
  several are M/G/c (Allen-Cunneen, approximate).  ``helpdesk_utilization`` = lambda E[S] /
  c and ``remote_share`` = p are exact whenever the helpdesk is stable.
* **Visit queue.** The calls that need a visit leave the helpdesk at the end of handling.
  When the helpdesk is M/M/c its departures are a Poisson stream of rate lambda (Burke's
  theorem), and each departure goes on to dispatch independently with probability 1 - p
  (Bernoulli thinning of a Poisson stream is Poisson): each team sees Poisson calls at
  (1 - p) times its rate, so the team's formulas at the thinned rate are as exact as they
  are without a helpdesk.  Otherwise (remote time held by the agent, non-exponential
  handling) the departures are not Poisson and the team's waits are approximate (its
  utilisation and throughput, rate x mean service, stay exact).
* **Clocks.** ``wait_h`` counts from the call reaching dispatch (the team's formula);
  ``response_h`` and ``restore_h`` count from the customer's call, so they add the visit
  calls' helpdesk time Wq + E[H] (its mean, whatever its dependence on the team's queue);
  ``machines_down`` adds the requests at the helpdesk, lambda (Wq + E[S]) by Little's law.
  ``sla_met`` and ``restore_met`` (deadlines from the customer's call) would need the law
  of the sum of the two stages: not computed.  Costs are not computed with a helpdesk.
* **Finite fleets.** Requests from a finite fleet are not Poisson (the call rate falls as
  machines are down, at the helpdesk too): no formula is given.
* **Agents' shifts** (``helpdesk.shifts``): the helpdesk is no longer a stationary M/M/c
  queue, so its waits are approximate, computed per working period
  (:func:`shift_wait`).  The work waiting, W(t) agent-hours, grows at lambda E[S] and,
  in open hours, falls at c while positive (a fluid over the week, run to its periodic
  state): requests made while closed pile up, and the pile of a long closed period
  (the weekend) can outlast the next open period.  A request made at t waits until the
  calendar has given the agents W(t) / c working hours (with W = 0 while closed: until
  the opening); one made in open hours with no pile sees the M/M/c (M/G/c) wait at rate
  lambda.  The fluid ignores the randomness of the pile and a request still held at a
  shift's end.  The shifts are stable when lambda E[S] < c x (open share of the week).
  ``helpdesk_utilization`` (busy agent-hours over all hours) and ``remote_share`` stay
  exact; ``reply_met`` is not given.  The visit calls reach dispatch in a burst after
  each opening: the team's waits (and everything counted from the customer's call) have
  no formula here, only its rates and busy shares (rate x mean service, exact).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.queues import UnstableQueueError, allen_cunneen, mg1, mms

if TYPE_CHECKING:
    from sim.calendar import WeeklyCalendar
    from sim.system import ServiceSystem

#: team KPIs that count from the customer's call: the helpdesk time is added to them
_FROM_CALL = ("response_h", "restore_h")
#: team KPIs that need the law of both stages together: dropped
_DROPPED = ("sla_met", "restore_met")
#: team KPIs that are rate x mean service time: exact at the thinned rate whatever the stream
_RATES = ("utilization", "utilization_onsite", "travel_share", "calls_per_day")


def mmc_reply_within(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """P(Wq + H <= t) in the M/M/c queue: the sojourn time (wait + service) within ``t``.

    Wq is 0 with probability 1 - C and exponential with rate theta = c mu - lambda
    otherwise (C = Erlang C); H is exponential with rate mu and independent of Wq, so
    P(W > t) = (1 - C) e^{-mu t} + C P(E_theta + E_mu > t), the last term the
    hypoexponential tail (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu), or
    (1 + mu t) e^{-mu t} when theta = mu.

    >>> round(mmc_reply_within(1.0, 2.0, 1, 1.0), 6)  # M/M/1: W ~ exp(mu - lambda)
    0.632121
    """
    base = mms(arrival_rate, service_rate, servers)
    c, mu = base.p_wait, service_rate
    theta = servers * mu - arrival_rate
    if abs(theta - mu) < 1e-12 * mu:
        both = (1.0 + mu * t) * math.exp(-mu * t)
    else:
        both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return 1.0 - ((1.0 - c) * math.exp(-mu * t) + c * both)


def closed_periods(intervals: tuple[tuple[float, float], ...], week_h: float = 168.0) -> list[float]:
    """The lengths of the closed periods of a week of open ``intervals`` (sorted, disjoint).

    >>> closed_periods(((8.0, 18.0), (32.0, 42.0)))  # two days open 08-18, the rest closed
    [14.0, 134.0]
    """
    gaps = [b2 - a1 for (_, a1), (b2, _) in itertools.pairwise(intervals)]
    gaps.append(week_h - intervals[-1][1] + intervals[0][0])
    return [g for g in gaps if g > 1e-12]


def shift_wait(
    calendar: WeeklyCalendar, lam: float, mean_s: float, agents: int, wq_open: float, step_h: float = 0.05
) -> float:
    """The mean wait for an agent who works ``calendar``'s shifts, per working period (see
    the module): the fluid pile of work over the week, in its periodic state, and
    ``wq_open`` for requests that find no pile in open hours."""
    n = round(168.0 / step_h)
    step = 168.0 / n
    arriving, clearing = lam * mean_s * step, agents * step
    opened = [calendar.is_open((i + 0.5) * step) for i in range(n)]
    pile = 0.0
    for _ in range(200):  # weeks until the pile at the week's start repeats
        start, total = pile, 0.0
        for i in range(n):
            t = (i + 0.5) * step
            if pile > 0.0 or not opened[i]:
                total += calendar.add_business_hours(t, pile / agents) - t
            else:
                total += wq_open
            pile += arriving
            if opened[i]:
                pile = max(0.0, pile - clearing)
        if abs(pile - start) <= 1e-9 * (1.0 + start):
            break
    return total / n


def helpdesk_estimate(system: ServiceSystem) -> Estimates:
    """The helpdesk's KPIs and the team's at the thinned call rate (see the module)."""
    from sim.analytic.estimate.core import estimate  # (the team's formulas, unchanged)

    desk = system.helpdesk
    assert desk is not None
    source = system.source
    if source.finite:
        return Estimates(
            notes=["helpdesk with a finite fleet: its requests are not Poisson; no formula is given"]
        )
    if system.work_types:
        return Estimates(notes=["helpdesk with job types: no formula is given"])
    lam = source.calls_per_team_h * system.teams
    p = desk.remote_share
    h, r = desk.handling, desk.remote
    er = 0.0 if r is None else r.mean
    mean_s = h.mean + p * er
    var_s = h.variance + (0.0 if r is None else p * r.variance + p * (1.0 - p) * er * er)
    exponential = h.is_exponential and (r is None or p == 0.0)
    c = desk.agents
    closed = [] if desk.shifts is None else closed_periods(desk.shifts.intervals)
    q_closed = sum(closed) / 168.0
    if closed and lam * mean_s >= c * (1.0 - q_closed):
        return Estimates(
            unstable=f"no steady state at the helpdesk: load {lam * mean_s:.4g} agent-hours per hour "
            f">= {c} agents x {1.0 - q_closed:.3g} of the week open"
        )
    try:
        if exponential:
            q = mms(lam, 1.0 / mean_s, c)
            model, exact = f"M/M/{c} (Erlang C)", True
        elif c == 1:
            q = mg1(lam, mean_s, var_s)
            model, exact = "M/G/1 (Pollaczek-Khinchine)", True
        else:
            q = allen_cunneen(lam, mean_s, var_s, c)
            model, exact = f"M/G/{c} (Allen-Cunneen)", False
    except UnstableQueueError as exc:
        return Estimates(unstable=f"no steady state at the helpdesk: {exc}")
    wq, reply = q.wq, q.wq + h.mean
    if desk.shifts is not None and closed:  # per working period (see the module): approximate
        wq = shift_wait(desk.shifts, lam, mean_s, c, q.wq)
        reply = wq + h.mean
        model, exact = f"{model} per working period (fluid pile over the week)", False
    rows = [
        Estimate("helpdesk_utilization", "all", lam * mean_s / c, model, True),
        Estimate("remote_share", "all", p, "Bernoulli per request", True),
    ]
    shares = [cl.share for cl in system.classes]
    total = sum(shares)
    for name, share in [("all", total), *((cl.name, cl.share) for cl in system.classes)]:
        rows += [
            Estimate("helpdesk_wait_h", name, wq, model, exact),
            Estimate("reply_h", name, reply, model, exact),
            Estimate("helpdesk_queue_len", name, lam * share / total * wq, model, exact, "Little's law"),
        ]
        if name != "all":
            rows.append(Estimate("remote_share", name, p, "Bernoulli per request", True))
        targets = {cl.name: cl.reply_sla_h or desk.reply_target_h for cl in system.classes}
        promised = {k: v for k, v in targets.items() if v is not None}
        # on the business clock the deadline depends on the instant of the call: no formula
        off_wall = {cl.name for cl in system.classes if cl.reply_business} & promised.keys()
        wall = name not in off_wall and not (name == "all" and off_wall)
        if exponential and not closed and wall and (name in promised or (name == "all" and promised)):
            # a FIFO helpdesk blind to classes: every class's reply has the same law
            mu = 1.0 / mean_s
            if name == "all":
                met = {k: mmc_reply_within(lam, mu, c, t) for k, t in promised.items()}
                weight = {cl.name: cl.share for cl in system.classes if cl.name in promised}
                within = sum(weight[k] * met[k] for k in met) / sum(weight.values())
            else:
                within = mmc_reply_within(lam, mu, c, promised[name])
            rows.append(Estimate("reply_met", name, within, f"{model}, sojourn tail", True))
    notes = []
    if any(cl.reply_business for cl in system.classes):
        notes.append("helpdesk: reply_met on the business clock (reply_clock) has no formula")
    if p >= 1.0:
        notes.append("helpdesk: every request is resolved remotely; no team formula")
        return Estimates(primary=rows, notes=notes)
    # the team at the thinned Poisson rate (Burke + Bernoulli thinning when exact)
    thinned = replace(
        source,
        calls_per_h=source.calls_per_h * (1.0 - p),
        per_territory=tuple(x * (1.0 - p) for x in source.per_territory),
    )
    team = estimate(replace(system, source=thinned, helpdesk=None, costs=None))
    if team.unstable is not None:
        return Estimates(primary=rows, unstable=team.unstable, notes=[*team.notes, *notes])
    # the visit calls' stream is Poisson only after an M/M/c stage open around the clock
    poisson = exponential and not closed
    why = "after the helpdesk (Burke + Bernoulli thinning)" if poisson else "after a non-M/M/c helpdesk"
    present = lam * (wq + mean_s)  # requests at the helpdesk (Little)

    def adjust(e: Estimate) -> Estimate | None:
        if e.kpi in _DROPPED or e.kpi.startswith("cost_"):
            return None
        if closed and e.kpi not in _RATES:  # the visit calls come in bursts at the openings
            return None
        # rates and busy shares need only the visit rate (1 - p) lambda, Poisson or not
        value, ok = e.value, e.exact and (poisson or e.kpi in _RATES)
        if e.kpi in _FROM_CALL:
            value, ok = value + reply, ok and exact
        elif e.kpi == "machines_down":
            value, ok = value + present, ok and exact
        note = f"{e.note}; " if e.note else ""
        return replace(e, value=value, model=f"{e.model}, thinned calls {why}", exact=ok, note=note + why)

    primary = [a for a in map(adjust, team.primary) if a is not None]
    alternatives = [a for a in map(adjust, team.alternatives) if a is not None]
    if closed:
        notes.append("helpdesk with shifts: the visit calls come in bursts at openings (team: rates only)")
    elif not poisson:
        notes.append("helpdesk: the visit calls' stream is not Poisson, the team's waits are approximate")
    notes.append("helpdesk: sla_met, restore_met and costs are not computed (deadlines over both stages)")
    return Estimates(primary=[*rows, *primary], alternatives=alternatives, notes=[*team.notes, *notes])
