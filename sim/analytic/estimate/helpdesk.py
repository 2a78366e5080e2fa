"""The helpdesk before dispatch (``[helpdesk]``) in the analytic layer.

The helpdesk is a c-server FIFO queue (c = ``agents``) fed by all the system's calls.  An
agent's time with a request is S = H + B R: the handling H, and for a remote resolution
(B = 1 with probability p = ``remote_share``, independently) the remote time R.

* **Helpdesk.** Poisson calls and exponential S (H exponential and no remote time) make
  it M/M/c: Erlang C gives the wait for an agent Wq exactly, ``reply_h`` = Wq + E[H], and
  ``reply_met`` = P(Wq + H <= T) in closed form (:func:`mmc_reply_within`).  With a remote
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
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.queues import UnstableQueueError, allen_cunneen, mg1, mms

if TYPE_CHECKING:
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
        if exponential and (name in promised or (name == "all" and promised)):
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
    poisson = exponential  # the visit calls' stream is Poisson only after an M/M/c stage
    why = "after the helpdesk (Burke + Bernoulli thinning)" if poisson else "after a non-M/M/c helpdesk"
    present = lam * (wq + mean_s)  # requests at the helpdesk (Little)

    def adjust(e: Estimate) -> Estimate | None:
        if e.kpi in _DROPPED or e.kpi.startswith("cost_"):
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
    if not poisson:
        notes.append("helpdesk: the visit calls' stream is not Poisson, the team's waits are approximate")
    notes.append("helpdesk: sla_met, restore_met and costs are not computed (deadlines over both stages)")
    return Estimates(primary=[*rows, *primary], alternatives=alternatives, notes=[*team.notes, *notes])
