"""Overflow to a contractor (``[contractor]``): the team as a loss system or an M/M/s+D.

* ``when = "all_busy"``, unlimited capacity: a call that finds every technician busy
  leaves, so each team is an M/G/s/s loss system whose service is a technician's busy
  time per call (trip + repair).  The share sent to the contractor is Erlang B(s, a),
  a = sum of lambda_i E[S_i] over the rows the team serves, exact for Poisson calls and
  any service law (Erlang B is insensitive; several rows with their own service laws
  see the same blocking, by PASTA).  Every other value follows from it by PASTA and
  Little's law: utilisation (1 - B) a / s, response and restoration as the mixture of
  the team's and the contractor's times, no wait at all.
* ``when = "wait_over"``, unlimited capacity: a call still waiting after T leaves the
  line, which is the M/M/s queue with deterministic patience T (M/M/s+D).  Its offered
  (virtual) wait V has, by level crossing (Baccelli & Hebuterne 1981; the M/M/n+G
  formulas of Zeltyn & Mandelbaum 2005 with H(x) = min(x, T)), an atom P(V = 0) and
  the density f(v) = lambda p_{s-1} exp((lambda - s mu) v) on (0, T),
  f(T) exp(-s mu (v - T)) beyond, with p_k = p_0 a^k / k! for k < s busy
  technicians.  The contractor's share is P(V >= T); a call's wait is min(V, T).  Exact
  for Poisson calls, exponential technician time (trip 0 and exponential repair, or the
  reverse) and FIFO; derived in this module's :func:`mms_deterministic_patience`.

Anything else with a contractor (finite fleets: a machine at the contractor stays down,
so neither Engset's nor Erlang's blocking applies; a capacity; first-time fix below 1;
shifts, parts, internal work, geometry) gets no value, only a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.queues import erlang_b

if TYPE_CHECKING:
    from sim.distributions import Distribution
    from sim.system import ServiceSystem

LOSS_MODEL = "M/G/s/s (Erlang B), overflow to the contractor"
PATIENCE_MODEL = "M/M/s+D (deterministic patience), overflow to the contractor"


@dataclass(frozen=True)
class PatienceResult:
    """The M/M/s+D queue: ``p_overflow`` = P(V >= T), ``mean_wait`` = E[min(V, T)],
    ``p_wait`` = P(V > 0), ``busy`` = mean busy servers, ``tail(x)`` = P(min(V, T) > x)."""

    p_overflow: float
    mean_wait: float
    p_wait: float
    busy: float
    p_free_last: float  # p_{s-1}: s - 1 busy, V = 0
    rate: float
    servers: int
    service_rate: float
    patience: float

    def tail(self, x: float) -> float:
        """P(wait > x): the wait is min(V, T), so 0 from T on."""
        if x >= self.patience:
            return 0.0
        lam, smu, t = self.rate, self.servers * self.service_rate, self.patience
        head = self.p_free_last * lam * _integral_exp(lam - smu, x, t)
        return head + self.p_overflow


def _integral_exp(c: float, a: float, b: float) -> float:
    """The integral of exp(c v) over [a, b]."""
    if abs(c) < 1e-12:
        return b - a
    return (math.exp(c * b) - math.exp(c * a)) / c


def mms_deterministic_patience(
    rate: float, service_rate: float, servers: int, patience: float
) -> PatienceResult:
    """M/M/s+D: Poisson arrivals, s exponential servers, FIFO, every customer leaves
    after waiting ``patience`` (to the contractor); stable for every load.

    Derivation (level crossing of the offered wait V): with k < s servers busy, V = 0 and
    p_k = p_0 a^k / k!; an arrival finding s - 1 busy makes V jump to Exp(s mu); one
    finding V = u < T joins and adds Exp(s mu).  Up- and down-crossings of level v give
    f(v) = lambda p_{s-1} e^{-s mu v} + lambda int_0^{min(v,T)} f(u) e^{-s mu (v-u)} du,
    so f(v) = lambda p_{s-1} e^{(lambda - s mu) v} on (0, T) and
    f(T) e^{-s mu (v - T)} beyond; the probabilities sum to 1.

    >>> r = mms_deterministic_patience(0.5, 1.0, 1, 50.0)  # M/M/1, rho 0.5: Wq = 1
    >>> round(r.mean_wait, 6), round(r.p_wait, 6)
    (1.0, 0.5)
    >>> r = mms_deterministic_patience(2.0, 1.0, 2, 0.0)  # no waiting: Erlang B(2, 2)
    >>> round(r.p_overflow, 6) == round(erlang_b(2, 2.0), 6)
    True
    """
    lam, mu, s, t = rate, service_rate, servers, patience
    a = lam / mu
    smu = s * mu
    c = lam - smu
    # relative to p_0 = 1
    terms = [1.0]
    for k in range(1, s):
        terms.append(terms[-1] * a / k)
    last = terms[-1]
    inside = lam * last * _integral_exp(c, 0.0, t)  # P(0 < V < T)
    beyond = lam * last * math.exp(c * t) / smu  # P(V >= T)
    total = sum(terms) + inside + beyond
    p_last = last / total
    # E[V; V < T] = lam p int_0^T v e^{cv} dv
    first_moment = t * t / 2 if abs(c) < 1e-12 else (math.exp(c * t) * (c * t - 1) + 1) / (c * c)
    mean_wait = lam * p_last * first_moment + t * beyond / total
    busy = sum(k * x for k, x in enumerate(terms)) / total + s * (inside + beyond) / total
    return PatienceResult(beyond / total, mean_wait, (inside + beyond) / total, busy, p_last, lam, s, mu, t)


@dataclass(frozen=True)
class FleetOverflow:
    """The finite fleet with overflow when all technicians are busy (:func:`fleet_overflow`)."""

    p_overflow: float  # share of breakdowns sent to the contractor (arrival-weighted)
    busy: float  # mean technicians busy
    at_contractor: float  # mean machines at the contractor
    rate: float  # breakdowns per hour

    @property
    def down(self) -> float:
        return self.busy + self.at_contractor


def fleet_overflow(
    machines: int, failure_rate: float, servers: int, service_rate: float, contractor_rate: float
) -> FleetOverflow:
    """N machines failing at rate gamma while up; a breakdown that finds all s technicians
    busy goes to a contractor with unlimited capacity, where the machine stays down for an
    exponential time of rate nu.  The chain on (n busy technicians, m machines at the
    contractor) is solved exactly; it has no product form (a machine goes to the
    contractor only when n = s but comes back from it in any state), so neither Engset's
    formula (blocked machines would return to work at once) nor Erlang B applies.

    >>> r = fleet_overflow(1, 0.1, 1, 1.0, 0.5)  # one machine never finds its technician busy
    >>> round(r.p_overflow, 12), round(r.busy, 6)
    (0.0, 0.090909)
    """
    import numpy as np
    import scipy.sparse as sp

    from sim.analytic.ctmc import stationary

    index: dict[tuple[int, int], int] = {}
    for n in range(min(servers, machines) + 1):
        for m in range(machines - n + 1):
            index[(n, m)] = len(index)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []

    def rate(a: tuple[int, int], b: tuple[int, int], r: float) -> None:
        rows.append(index[a])
        cols.append(index[b])
        vals.append(r)

    for n, m in index:
        up = machines - n - m
        if up:
            rate((n, m), (n + 1, m) if n < servers else (n, m + 1), up * failure_rate)
        if n:
            rate((n, m), (n - 1, m), n * service_rate)
        if m:
            rate((n, m), (n, m - 1), m * contractor_rate)
    size = len(index)
    q = sp.coo_matrix((vals, (rows, cols)), shape=(size, size)).tocsr()
    q = q - sp.diags(np.asarray(q.sum(axis=1)).ravel())
    pi = stationary(q)
    arrivals = blocked = busy = away = 0.0
    for (n, m), i in index.items():
        up = (machines - n - m) * failure_rate * pi[i]
        arrivals += up
        blocked += up if n == servers else 0.0
        busy += n * pi[i]
        away += m * pi[i]
    return FleetOverflow(
        float(blocked / arrivals) if arrivals else 0.0, float(busy), float(away), float(arrivals)
    )


def _why_not(system: ServiceSystem) -> list[str]:
    """What keeps the scenario from the loss system / M/M/s+D (empty: the formulas hold)."""
    c = system.contractor
    assert c is not None
    out = []
    if system.source.finite and (c.when != "all_busy" or system.work_types or system.repeats):
        out.append("a finite fleet with overflow after a wait, job types or repeat repairs")
    if c.capacity is not None:
        out.append("a limited contractor capacity")
    if c.first_time_fix < 1.0:
        out.append("contractor first_time_fix below 1 (failed visits come back to the team)")
    n_rows = len(system.classes) + len(system.work_types)
    if set(range(n_rows)) - c.rows - c.always:
        out.append("contractor.classes leaves rows to the team alone")
    if system.calendar.shifts is not None or system.calendar.uptime_clock is not None:
        out.append("shifts or customer hours")
    if system.parts is not None:
        out.append("spare parts")
    if system.internal is not None:
        out.append("internal work")
    if system.helpdesk is not None:
        out.append("a helpdesk before dispatch")
    if system.maintenance is not None or system.visits is not None:
        out.append("planned work")
    if system.travel.mode == "geometry":
        out.append("geometry travel (trips depend on where the technicians are)")
    return out


@dataclass(frozen=True)
class _Row:
    name: str
    rate: float  # calls per hour and team
    service: float  # a technician's mean busy time per call (trip + on site)
    trip: float  # mean trip
    on_site: float
    contractor_on_site: float
    always: bool
    breakdown: bool


def _rows(system: ServiceSystem) -> list[_Row]:
    c = system.contractor
    assert c is not None and not system.source.finite
    tr = system.travel
    assert tr.mode == "time"
    # no call ever waits for a technician, so every trip starts from base (from_base_h)
    trip = tr.from_base.mean if tr.from_base is not None else tr.time.mean
    pooled = system.territories.pooled
    rows = []
    repair = system.repair.time.mean
    classes = system.classes
    total_share = sum(x.share for x in classes)
    for i, k in enumerate(classes):
        rate = system.source.calls_per_team_h * k.share / total_share
        on_c = c.repair.mean if c.repair is not None else repair
        rows.append(_Row(k.name, rate, trip + repair, trip, repair, on_c, i in c.always, True))
    for j, wt in enumerate(system.work_types):
        i = len(classes) + j
        t = trip if wt.travel else 0.0
        d = wt.duration.mean
        on_c = c.repair.mean if c.repair is not None else d
        rows.append(_Row(wt.name, wt.jobs_per_h * pooled, t + d, t, d, on_c, i in c.always, False))
    return rows


def contractor_estimate(system: ServiceSystem) -> Estimates:
    """The analytic values of a system with a contractor (see the module's notes)."""
    c = system.contractor
    assert c is not None
    reasons = _why_not(system)
    if reasons:
        return Estimates(notes=[f"contractor: no formula with {'; '.join(reasons)}"])
    if system.source.finite:
        return _fleet_estimate(system)
    rows = _rows(system)
    s = system.team.technicians
    team_rows = [r for r in rows if not r.always]
    lam_team = sum(r.rate for r in team_rows)
    response_c = c.response.mean
    if c.when == "all_busy":
        a = sum(r.rate * r.service for r in team_rows)
        p_c = erlang_b(s, a) if lam_team > 0 else 0.0
        waits = {"wait_h": 0.0, "p_wait": 0.0, "queue_len": 0.0}
        tails = dict.fromkeys(system.report.wait_kpi_names, 0.0)
        model, exact, note = LOSS_MODEL, True, "Erlang B is insensitive to the service law"
    else:
        assert c.threshold_h is not None
        t = c.threshold_h
        tr = system.travel
        assert tr.mode == "time"  # (the checks above)
        laws = (tr.time, system.repair.time)
        exp_service = (laws[0].is_zero and laws[1].is_exponential) or (
            laws[1].is_zero and laws[0].is_exponential
        )
        fifo = system.dispatch.pair[0] == "fifo"
        if system.work_types or not exp_service or not fifo or tr.from_base is not None:
            return Estimates(
                notes=[
                    "contractor: M/M/s+D needs Poisson breakdowns only, exponential technician "
                    "time (trip + repair) and FIFO; no formula here"
                ]
            )
        mean_s = team_rows[0].service
        res = mms_deterministic_patience(lam_team, 1.0 / mean_s, s, t)
        p_c = res.p_overflow
        waits = {"wait_h": res.mean_wait, "p_wait": res.p_wait, "queue_len": lam_team * res.mean_wait}
        tails = {
            name: res.tail(x)
            for name, x in zip(system.report.wait_kpi_names, system.report.wait_thresholds_h, strict=True)
        }
        model, exact, note = PATIENCE_MODEL, True, "offered wait of M/M/s+D by level crossing"
    teams = system.teams
    day = system.calendar.day_length_h
    out: list[Estimate] = []

    def add(kpi: str, row: str, value: float) -> None:
        out.append(Estimate(kpi, row, value, model, exact, note))

    busy = sum(r.rate * (1 - p_c) * r.service for r in team_rows)
    on_site = sum(r.rate * (1 - p_c) * r.on_site for r in team_rows)
    add("utilization", "all", busy / s)
    add("utilization_onsite", "all", on_site / s)
    add("travel_share", "all", (busy - on_site) / s)
    per_row = []
    # a contracted call's wait in the line: none (all busy), the threshold (wait over)
    wait_c_team = c.threshold_h if c.when == "wait_over" and c.threshold_h is not None else 0.0
    for r in rows:
        share = 1.0 if r.always else p_c
        wait_c = 0.0 if r.always else wait_c_team
        response = (1 - share) * r.trip + share * (wait_c + response_c)
        if c.when == "wait_over" and not r.always:
            response = waits["wait_h"] + (1 - share) * r.trip + share * response_c
        restore = response + (1 - share) * r.on_site + share * r.contractor_on_site
        per_row.append((r, share, response, restore))
        add("contractor_share", r.name, share)
        add("contractor_response_h", r.name, wait_c + response_c)
        add("contractor_jobs_per_day", r.name, r.rate * share * day * teams)
        add("contractor_cost_per_day", r.name, c.price * r.rate * share * day * teams)
        add("calls_per_day", r.name, r.rate * day * teams)
        add("response_h", r.name, response)
        add("restore_h", r.name, restore)
        if not r.always:
            for k, v in waits.items():
                add(k, r.name, r.rate * waits["wait_h"] * teams if k == "queue_len" else v)
            for k, v in tails.items():
                add(k, r.name, v)
    lam = sum(r.rate for r in rows)
    contracted = sum(r.rate * sh for r, sh, _, _ in per_row)
    add("contractor_share", "all", contracted / lam)
    waited = sum(r.rate * sh * (0.0 if r.always else wait_c_team) for r, sh, _, _ in per_row)
    add("contractor_response_h", "all", waited / contracted + response_c if contracted else math.nan)
    add("contractor_jobs_per_day", "all", contracted * day * teams)
    add("contractor_cost_per_day", "all", c.price * contracted * day * teams)
    add("calls_per_day", "all", lam * day * teams)
    add("response_h", "all", sum(r.rate * resp for r, _, resp, _ in per_row) / lam)
    add("restore_h", "all", sum(r.rate * rest for r, _, _, rest in per_row) / lam)
    # machines down: breakdowns open from logged to restored (Little), jobs put none down
    add("machines_down", "all", teams * sum(r.rate * rest for r, _, _, rest in per_row if r.breakdown))
    if team_rows:
        served = sum(r.rate for r in team_rows)
        for k, v in waits.items():
            # (the always rows wait 0: the overall mean mixes them in)
            value = v * teams if k == "queue_len" else v * served / lam
            add(k, "all", value)
        for k, v in tails.items():
            add(k, "all", v * served / lam)
    return Estimates(primary=out)


FLEET_MODEL = "M/M/s/s//N with overflow to the contractor (exact chain)"


def _exponential_sum(*laws: Distribution) -> bool:
    """Whether a sum of independent times is exponential: one of them, the others 0."""
    busy = [d for d in laws if not d.is_zero]
    return len(busy) == 1 and busy[0].is_exponential


def _fleet_estimate(system: ServiceSystem) -> Estimates:
    """A finite fleet with overflow when all technicians are busy: :func:`fleet_overflow`,
    exact with exponential lives, technician times and contractor times, otherwise the
    same chain with those times' means (approximate)."""
    c = system.contractor
    source = system.source
    tr = system.travel
    assert c is not None and source.finite and tr.mode == "time"
    trip = tr.from_base if tr.from_base is not None else tr.time  # (every trip from base: no line)
    repair = system.repair.time
    on_c = c.repair if c.repair is not None else repair
    exact = (
        source.life.is_exponential and _exponential_sum(trip, repair) and _exponential_sum(c.response, on_c)
    )
    s = system.team.technicians
    r = fleet_overflow(
        source.machines_per_team,
        1.0 / source.life.mean,
        s,
        1.0 / (trip.mean + repair.mean),
        1.0 / (c.response.mean + on_c.mean),
    )
    note = (
        "exponential lives and times: the chain is the system"
        if exact
        else "the chain with exponential times of the same means (the system's laws are not all exponential)"
    )
    teams, day = system.teams, system.calendar.day_length_h
    p = r.p_overflow
    out: list[Estimate] = []

    def add(kpi: str, value: float, per_class: bool = True) -> None:
        names = ["all", *(k.name for k in system.classes)] if per_class else ["all"]
        out.extend(Estimate(kpi, name, value, FLEET_MODEL, exact, note) for name in names)

    add("contractor_share", p)
    add("contractor_response_h", c.response.mean)
    add("response_h", (1 - p) * trip.mean + p * c.response.mean)
    add("restore_h", r.down / r.rate)
    add("wait_h", 0.0)
    add("p_wait", 0.0)
    for name in system.report.wait_kpi_names:
        add(name, 0.0)
    add("queue_len", 0.0, per_class=False)
    add("utilization", r.busy / s, per_class=False)
    add("utilization_onsite", r.busy / s * repair.mean / (trip.mean + repair.mean), per_class=False)
    add("machines_down", r.down * teams, per_class=False)
    add("calls_per_day", r.rate * day * teams, per_class=False)
    add("contractor_jobs_per_day", r.rate * p * day * teams, per_class=False)
    add("contractor_cost_per_day", c.price * r.rate * p * day * teams, per_class=False)
    return Estimates(primary=out)
