"""Complaints (``[complaints]``, issue 15): broken promises raise complaints, supervisors
handle them within a deadline.

The keys and the system; the model (complaints only add events: the service is the same
with or without them; common random numbers across a sweep of technicians; each kind of
broken promise judged at its instant); the tally against a trace of the complaints; the
analytic layer's labels (exact only for complaints at Poisson calls) and the rate of
complaints against exact breach probabilities.  The validation case
``scenarios/validation/complaints_erlang_c.toml`` checks the supervisors' M/M/2 formulas
with power; the bad inputs are ``tests/bad_inputs/complaints_*.toml``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.config import PROMISE_KEYS, Promise, validate_scenario
from sim.experiment.blocks import auto_blocks
from sim.experiment.tables import kpi_names
from sim.model import simulate
from sim.monitors import Tally, monitors_for
from sim.monitors.snapshots import snapshot_from_record, snapshot_record
from sim.system import ServiceSystem

COMPLAINTS: dict[str, Any] = {
    "supervisors": 1,
    "handling_h": {"dist": "exponential", "mean": 1.0},
    "deadline_h": 4.0,
    "probability": {"any_call": 0.3},
}
BASE: dict[str, Any] = {
    "meta": {"name": "complaints"},
    "run": {"horizon_h": 4000.0, "warmup_h": 100.0, "replications": 1, "seed": 9},
    "fleet": {
        "calls_per_h": 1.0,
        "classes": [{"name": "contract", "share": 0.4, "sla_h": 1.0}, {"name": "paid", "share": 0.6}],
    },
    "territories": {"count": 1, "technicians": 2, "pooled": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.5}},
    "complaints": COMPLAINTS,
}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<complaints>"))


class Trace(Tally):
    """Every complaint raised, and every call's first on-site instant and due time."""

    __slots__ = ("on_site", "raised", "resolved")
    name = "trace"

    def __init__(self) -> None:
        super().__init__()
        self.raised: list[tuple[int, int, float]] = []  # (call number, promise, now)
        self.resolved: list[tuple[int, int, float, float]] = []  # (call, promise, raised, now)
        self.on_site: dict[int, tuple[float, float]] = {}  # call -> (first on site, due)

    def handles(self) -> dict[str, Any]:
        def on_site(call: Any, now: float) -> None:
            if call.visits == 0:
                self.on_site[call.number] = (now, call.due_at)

        return {
            "complaint_raised": lambda call, p, now: self.raised.append((call.number, p, now)),
            "complaint_resolved": lambda call, p, at, now: self.resolved.append((call.number, p, at, now)),
            "on_site": on_site,
        }


def run(system: ServiceSystem, replication: int = 0) -> tuple[Trace, dict[str, dict[str, float]]]:
    trace = Trace()
    monitors = monitors_for(system, system.technicians, range(system.territories.count), extra=(trace,))
    end = simulate(system, replication, monitors)
    return trace, monitors.kpis(end)


# -- keys and system ------------------------------------------------------------------


def test_off_by_default_no_complaint_kpis_and_the_dump_unchanged():
    sc = validate_scenario(variant(BASE, drop=("complaints",)), "<x>")
    assert "complaints" not in sc.model_dump()  # (so the hash of an old scenario is unchanged)
    system = ServiceSystem.from_scenario(sc)
    assert system.complaints is None
    assert not [k for k in kpi_names(system) if "complaint" in k or "supervisor" in k]


def test_every_promise_has_a_key_and_the_system_keeps_them_by_index():
    assert set(PROMISE_KEYS) == set(Promise)
    s = system_of({"complaints.probability": {"any_call": 0.3, "late_on_site": 0.6}})
    assert s.complaints is not None
    assert s.complaints.probability[Promise.ANY_CALL] == 0.3
    assert s.complaints.probability[Promise.ON_SITE] == 0.6
    assert s.complaints.promises == (Promise.ON_SITE, Promise.ANY_CALL)
    assert auto_blocks(s) == 1  # one desk for all teams
    names = kpi_names(s)
    for k in ("complaints_per_100_calls", "complaint_met", "complaint_h", "supervisor_utilization"):
        assert k in names


# -- the model ------------------------------------------------------------------------


def test_complaints_add_events_only_the_service_is_bit_identical():
    """The judge and the desk draw from their own streams and only add events: every other
    KPI is exactly that of the scenario without complaints."""
    with_c = run(system_of({"complaints.probability": {"any_call": 0.3, "late_on_site": 0.5}}))[1]
    without = run(system_of(drop=("complaints",)))[1]
    for row, values in without.items():
        for k, v in values.items():
            assert with_c[row][k] == v or (math.isnan(v) and math.isnan(with_c[row][k])), (row, k)


def test_any_call_complaints_are_the_same_whatever_the_staffing():
    """Common random numbers: a call's draws are made at the call, so the complaints of
    calls that complain whatever happens are the same calls, at the same instants, with the
    same handling, for 2 or 4 technicians."""
    a = run(system_of())[0]
    b = run(system_of({"territories.technicians": 4}))[0]
    end = 4100.0  # (after it each run goes on only while its own calls are open)
    assert [r for r in a.raised if r[2] < end] == [r for r in b.raised if r[2] < end]
    assert [r for r in a.resolved if r[3] < end] == [r for r in b.resolved if r[3] < end]
    assert len(a.raised) > 1000


def test_a_late_arrival_complains_only_when_late_and_at_its_instant():
    trace, _ = run(system_of({"complaints.probability": {"late_on_site": 1.0}}))
    late = {n for n, (at, due) in trace.on_site.items() if at > due}
    raised = {n: now for n, p, now in trace.raised}
    assert all(p == Promise.ON_SITE for _, p, _ in trace.raised)
    assert set(raised) == late and len(late) > 100  # probability 1: every late call, only those
    assert all(raised[n] == trace.on_site[n][0] for n in raised)


def test_the_share_of_breaches_that_complain_is_the_probability():
    trace, _ = run(system_of({"complaints.probability": {"late_on_site": 0.4}, "run.horizon_h": 40000.0}))
    late = sum(1 for at, due in trace.on_site.values() if at > due)
    share = len(trace.raised) / late
    assert share == pytest.approx(0.4, abs=3 * math.sqrt(0.4 * 0.6 / late))


def test_the_tally_matches_the_trace():
    system = system_of({"complaints.deadline_h": 1.5})
    trace, kpis = run(system)
    window = [(at, now) for _, _, at, now in trace.resolved if 100.0 <= at < 4100.0]
    times = np.array([now - at for at, now in window])
    assert kpis["all"]["complaint_h"] == pytest.approx(times.mean(), rel=1e-9)
    assert kpis["all"]["complaint_met"] == pytest.approx((times <= 1.5).mean(), rel=1e-9)


def test_snapshots_round_trip():
    system = system_of()
    monitors = monitors_for(system, system.technicians, range(1))
    end = simulate(system, 0, monitors)
    snap = monitors.snapshot(end)
    assert snapshot_from_record(snapshot_record(snap)) == snap


# -- the analytic layer ---------------------------------------------------------------


def test_any_call_at_poisson_calls_is_exact_other_promises_approximate():
    exact = estimate(system_of())
    for k in ("complaints_per_100_calls", "complaint_h", "complaint_wait_h", "complaint_met"):
        e = exact.get(k)
        assert e is not None and e.exact, k
    assert exact.get("complaints_per_100_calls").value == pytest.approx(30.0)  # type: ignore[union-attr]
    approx = estimate(system_of({"complaints.probability": {"any_call": 0.3, "late_on_site": 0.5}}))
    rate = approx.get("complaints_per_100_calls")
    assert rate is not None and rate.exact  # linearity: exact with an exact sla_met
    h = approx.get("complaint_h")
    assert h is not None and not h.exact and "congestion" in h.note


def test_the_complaint_rate_of_late_arrivals_matches_the_exact_breach_probability():
    """Two technicians, M/M/2 with no travel: 1 - sla_met is the exact P(wait > 1 h) of the
    contract class; 50 % of those complain.  The simulated rate (4 replications of
    40,000 h) holds the formula within 3 standard errors, with a tight interval."""
    system = system_of({"complaints.probability": {"late_on_site": 0.5}, "run.horizon_h": 40000.0})
    formula = estimate(system).get("complaints_per_100_calls", "contract")
    assert formula is not None and formula.exact
    values = [run(system, r)[1]["contract"]["complaints_per_100_calls"] for r in range(4)]
    mean, se = float(np.mean(values)), float(np.std(values, ddof=1) / 2)
    assert abs(mean - formula.value) <= 3 * se + 1e-9
    assert se / mean < 0.03


def test_a_finite_fleet_gets_no_complaint_formula():
    fleet = {"fleet": {"machines": 30, "time_to_failure_h": {"dist": "exponential", "mean": 40.0}}}
    est = estimate(system_of(fleet))
    assert est.get("complaint_h") is None
    assert any("finite fleet" in n for n in est.notes)


def test_late_arrivals_and_missed_appointments_are_broken_promises():
    """The shipped appointments scenario (one window width) with a complaint for every late
    arrival and every call's first missed appointment: the complaints are exactly those
    calls, raised at the outcome's instant."""
    from sim.config import load_scenario

    sc = load_scenario("scenarios/appointments.toml")
    raw = variant(
        sc.model_dump(exclude={"sweep"}),
        {
            "run.horizon_h": 4000.0,
            "run.replications": 1,
            "appointments.window_h": 2.0,
            "complaints": {
                "supervisors": 1,
                "handling_h": {"dist": "exponential", "mean": 1.0},
                "deadline_h": 8.0,
                "probability": {"late_arrival": 1.0, "missed_appointment": 1.0},
            },
        },
    )
    system = ServiceSystem.from_scenario(validate_scenario(raw, "<appts>"))
    outcomes: dict[tuple[int, int], float] = {}

    class Outcomes(Tally):
        name = "outcomes"

        def handles(self) -> dict[str, Any]:
            def seen(call: Any, appt: Any, now: float) -> None:
                kind = {2: Promise.LATE_ARRIVAL, 3: Promise.MISSED_APPOINTMENT}.get(int(appt.outcome))
                if kind is not None and (call.number, kind) not in outcomes:
                    outcomes[call.number, kind] = now

            return {"appointment_outcome": seen}

    trace = Trace()
    extra = (trace, Outcomes())
    monitors = monitors_for(system, system.technicians, range(system.territories.count), extra=extra)
    simulate(system, 0, monitors)
    raised = {(n, p): now for n, p, now in trace.raised}
    assert raised == outcomes
    assert {p for _, p in raised} == {Promise.LATE_ARRIVAL, Promise.MISSED_APPOINTMENT}


def test_supervisors_with_shifts_take_complaints_only_in_them():
    """Supervisors Monday-Friday 08:00-18:00: every complaint is taken in their hours, the
    wait includes the nights, and the per-working-period estimate (approximate) is within
    5 % of the simulated mean of 4 replications of 20,000 h."""
    shifts = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}]
    changes = {"complaints.shifts": shifts, "complaints.probability": {"any_call": 0.1}}
    system = system_of({**changes, "run.horizon_h": 20000.0})
    assert system.complaints is not None and system.complaints.shifts is not None
    cal = system.complaints.shifts
    taken: list[float] = []

    class Taken(Tally):
        name = "taken"

        def handles(self) -> dict[str, Any]:
            return {"complaint_taken": lambda call, p, at, now: taken.append(now)}

    monitors = monitors_for(system, system.technicians, range(1), extra=(Taken(),))
    simulate(system, 0, monitors)
    assert taken and all(cal.is_open(t) for t in taken)
    est = estimate(system)
    wait = est.get("complaint_wait_h")
    assert wait is not None and not wait.exact and "working period" in wait.model
    assert est.get("complaint_met") is None
    sims = [run(system, r)[1]["all"]["complaint_wait_h"] for r in range(4)]
    assert abs(np.mean(sims) - wait.value) / wait.value < 0.05


def test_the_analytic_layer_names_each_promise_by_its_scenario_key():
    """The analytic layer keeps its own copy of the promises' keys (it reads the system,
    not the scenario): the same as the scenario's, in the order of ``Promise``."""
    from sim.analytic.estimate.complaints import PROMISE_KEYS as ANALYTIC_KEYS
    from sim.analytic.estimate.complaints import no_breach_note

    assert tuple(PROMISE_KEYS[p] for p in sorted(PROMISE_KEYS)) == ANALYTIC_KEYS
    assert no_breach_note("complaints", Promise.ON_SITE) == (
        "complaints: no estimate of the late_on_site breaches (no formula for sla_met here); no formula"
    )
