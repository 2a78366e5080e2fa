"""Complaints (``[complaints]``) in the analytic layer: their rate and the supervisors' queue.

* **Rate.** A call of class k raises on average sum_j p_j q_jk complaints, where p_j is the
  complaint probability of promise j and q_jk the chance that the call breaks it: 1 for
  ``any_call``, 1 - ``reply_met``, 1 - ``sla_met``, 1 - ``restore_met`` of the class (0 for
  a class without that promise), ``repeat_share`` for a repeat failure.  The draws are
  independent of the breaches, so by linearity of expectation ``complaints_per_100_calls``
  = 100 sum_j p_j q_jk whatever the dependence between the breaches: exact wherever every
  q_jk used is exact.  It needs the base estimates of those KPIs; without them no
  complaint formula is given.
* **Supervisors.** The complaints of all classes queue FIFO for c supervisors; a
  complaint's handling H is drawn independently of everything else.  The stream of
  complaints is Poisson only when every complaint is an ``any_call`` one of Poisson calls
  (independent Bernoulli thinning of a Poisson stream, at the call): then the queue is
  M/M/c for exponential H (Erlang C: ``complaint_wait_h`` = Wq, ``complaint_h`` = Wq +
  E[H], ``complaint_met`` = P(Wq + H <= deadline) in closed form), M/G/1 for one
  supervisor (Pollaczek-Khinchine, the means only), M/G/c otherwise (Allen-Cunneen,
  approximate).  A broken promise is not a Poisson event: breaches come in bursts when
  the technicians' or the helpdesk's queue is long (they are correlated with
  congestion), so with any other promise the same formulas at the complaint rate are
  labelled approximate; it underestimates the waits, as bursts do: in
  ``scenarios/validation/complaints_late_on_site.toml`` (complaints from late arrivals at
  an M/M/2) the M/M/1 at the complaint rate gives a wait for the supervisor of 0.13 h
  against 0.36 h simulated, a handling time of 1.13 h against 1.37 h (4 x 40,000 h).
  ``supervisor_utilization`` = rate x E[H] / c is exact wherever the rate is (a time
  average of a stable queue needs only the rate).
* **Supervisors' shifts** (``complaints.shifts``): the wait per working period, as for
  the helpdesk's agents (:func:`sim.analytic.estimate.helpdesk.shift_wait`: a fluid pile
  of work over the week), approximate; ``complaint_met`` is not given.
* **Finite fleets.** No formula (the call rate itself is the fleet's).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.helpdesk import closed_periods, mmc_reply_within, shift_wait
from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.queues import QueueResult, UnstableQueueError, allen_cunneen, mg1, mms

if TYPE_CHECKING:
    from sim.system import ServiceSystem

#: why the supervisors' formulas are approximate when a promise other than any_call counts
BURSTS = "breaches are correlated with congestion: the complaints are not a Poisson stream"


#: the scenario key of each promise (``sim.config.PROMISE_KEYS``: the analytic layer reads
#: the system only), and the KPI whose complement is its breach probability, where one is
PROMISE_KEYS = (
    "late_reply",
    "late_on_site",
    "late_restore",
    "repeat_failure",
    "any_call",
    "late_arrival",
    "missed_appointment",
)
_BREACH_KPI = {0: "reply_met", 1: "sla_met", 2: "restore_met", 3: "repeat_share"}


def no_breach_note(section: str, promise: int) -> str:
    """Why ``section`` (complaints, satisfaction) has no formula: a promise whose breaches
    have no estimate, named by its scenario key (and the KPI that has none)."""
    kpi = _BREACH_KPI.get(int(promise))
    why = f" (no formula for {kpi} here)" if kpi is not None else " (per appointment, not per call)"
    return f"{section}: no estimate of the {PROMISE_KEYS[int(promise)]} breaches{why}; no formula"


def breach(base: Estimates, system: ServiceSystem, promise: int, row: int) -> tuple[float, bool] | None:
    """The chance that a call of class ``row`` breaks ``promise``, and whether it is exact
    (``None``: no base estimate to take it from)."""
    from sim.system import Promise  # (the system is passed in: no project import at module level)

    cl = system.classes[row]
    p = Promise(promise)
    if p is Promise.ANY_CALL:
        return 1.0, True
    if p is Promise.REPEAT:
        e = base.get("repeat_share", "all")
        return None if e is None else (e.value, e.exact)
    if p in (Promise.LATE_ARRIVAL, Promise.MISSED_APPOINTMENT):
        return None  # (per appointment, not per call: a call can be booked again)
    desk = system.helpdesk
    promised = {
        Promise.REPLY: cl.reply_sla_h is not None or (desk is not None and desk.reply_target_h is not None),
        Promise.ON_SITE: cl.sla_h is not None,
        Promise.RESTORE: cl.restore_sla_h is not None,
    }[p]
    if not promised:
        return 0.0, True  # no such promise to this class: never broken
    kpi = {Promise.REPLY: "reply_met", Promise.ON_SITE: "sla_met", Promise.RESTORE: "restore_met"}[p]
    e = base.get(kpi, cl.name)
    return None if e is None else (1.0 - e.value, e.exact)


def with_complaints(base: Estimates, system: ServiceSystem) -> Estimates:
    """``base`` (the estimate of the system without complaints) with the complaints'
    KPIs (see the module)."""
    spec = system.complaints
    assert spec is not None
    if base.unstable is not None:
        return base
    if system.source.finite:
        return replace(base, notes=[*base.notes, "complaints with a finite fleet: no formula is given"])
    lam = system.source.calls_per_team_h * system.teams
    shares = [c.share for c in system.classes]
    total = sum(shares)
    per_call: list[float] = []
    rate_exact = True
    for row in range(len(system.classes)):
        mean = 0.0
        for promise in spec.promises:
            b = breach(base, system, promise, row)
            if b is None:
                note = no_breach_note("complaints", promise)
                return replace(base, notes=[*base.notes, note])
            mean += spec.probability[promise] * b[0]
            rate_exact = rate_exact and b[1]
        per_call.append(mean)
    overall = sum(s * m for s, m in zip(shares, per_call, strict=True)) / total
    model = "sum of p x P(breach) per promise"
    rows = [
        Estimate("complaints_per_100_calls", name, 100.0 * m, model, rate_exact)
        for name, m in [("all", overall), *zip((c.name for c in system.classes), per_call, strict=True)]
    ]
    rate = lam * overall
    h = spec.handling
    c = spec.supervisors
    poisson = _only_any_call(spec.promises)  # complaints at Poisson calls, thinned
    exponential = h.is_exponential
    notes = list(base.notes)
    if rate <= 0.0:
        return replace(base, primary=[*base.primary, *rows], notes=notes)
    try:
        q: QueueResult
        if exponential:
            q = mms(rate, 1.0 / h.mean, c)
            queue = f"M/M/{c} (Erlang C)"
            exact = poisson
        elif c == 1:
            q = mg1(rate, h.mean, h.variance)
            queue = "M/G/1 (Pollaczek-Khinchine)"
            exact = poisson
        else:
            q = allen_cunneen(rate, h.mean, h.variance, c)
            queue = f"M/G/{c} (Allen-Cunneen)"
            exact = False
    except UnstableQueueError as exc:
        notes.append(f"complaints: the supervisors' queue has no steady state ({exc})")
        return replace(base, primary=[*base.primary, *rows], notes=notes)
    wq = q.wq
    met_ok = exponential
    if spec.shifts is not None and closed_periods(spec.shifts.intervals):
        open_share = spec.shifts.hours_per_week / 168.0
        if rate * h.mean >= c * open_share:
            notes.append("complaints: the supervisors' shifts cannot handle the complaint rate")
            return replace(base, primary=[*base.primary, *rows], notes=notes)
        # per working period, as the helpdesk's agents (a fluid pile over the week)
        wq = shift_wait(spec.shifts, rate, h.mean, c, q.wq)
        queue, exact, met_ok = f"{queue} per working period (fluid pile over the week)", False, False
    why = "" if poisson else BURSTS
    label = queue if poisson else f"{queue} at the complaint rate"
    exact = exact and rate_exact
    rows.append(
        Estimate("supervisor_utilization", "all", rate * h.mean / c, f"rate x E[H] / {c}", rate_exact)
    )
    met = mmc_reply_within(rate, 1.0 / h.mean, c, spec.deadline_h) if met_ok else None
    for name in ["all", *(cl.name for cl in system.classes)]:
        # a FIFO desk blind to classes: every class's complaints wait alike
        rows += [
            Estimate("complaint_wait_h", name, wq, label, exact, why),
            Estimate("complaint_h", name, wq + h.mean, label, exact, why),
        ]
        if met is not None:
            rows.append(Estimate("complaint_met", name, met, f"{label}, sojourn tail", exact, why))
    if not poisson:
        notes.append(f"complaints: {BURSTS}; the supervisors' formulas are approximate")
    return replace(base, primary=[*base.primary, *rows], notes=notes)


def _only_any_call(promises: tuple[int, ...]) -> bool:
    from sim.system import Promise

    return tuple(promises) == (Promise.ANY_CALL,)
