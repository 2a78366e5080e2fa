"""A contractor for overflow ([contractor], issue 16): config, model, tallies, formulas."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.estimate.contractor import mms_deterministic_patience
from sim.analytic.queues import erlang_b, mms
from sim.config import validate_scenario
from sim.model import simulate
from sim.model.calls import Phase
from sim.monitors import monitors_for
from sim.monitors.protocol import CallLike
from sim.monitors.tally import Tally
from sim.system import ServiceSystem

BASE: dict[str, Any] = {
    "run": {"horizon_h": 4000.0, "warmup_h": 100.0, "replications": 1, "seed": 16},
    "fleet": {"calls_per_h": 1.2},
    "territories": {"technicians": 2},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "contractor": {
        "when": "all_busy",
        "response_h": {"dist": "exponential", "mean": 3.0},
        "price": 100.0,
    },
}


FLEET = {"machines": 40, "time_to_failure_h": {"dist": "exponential", "mean": 30.0}}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<test>"))


class ContractorLoad(Tally):
    """The contractor's jobs at once (most seen), and every contracted call seen."""

    name = "contractor_load"

    def __init__(self) -> None:
        super().__init__()
        self.now = 0
        self.most = 0
        self.calls: list[CallLike] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"contracted": self.taken, "contractor_failed": self.done, "contractor_restored": self.done}

    def taken(self, call: CallLike, now: float) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        self.calls.append(call)

    def done(self, call: CallLike, now: float) -> None:
        self.now -= 1


def run(
    system: ServiceSystem, replication: int = 0, keep_calls: bool = False
) -> tuple[Any, ContractorLoad, float]:
    load = ContractorLoad()
    monitors = monitors_for(system, system.technicians, range(system.teams), keep_calls, extra=[load])
    end = simulate(system, replication, monitors)
    return monitors, load, end


# -- config -------------------------------------------------------------------------


def test_without_a_contractor_the_system_has_none_and_the_hash_is_unchanged():
    plain = validate_scenario(variant(BASE, drop=("contractor",)))
    assert ServiceSystem.from_scenario(plain).contractor is None
    assert "contractor" not in plain.model_dump()


def test_the_system_resolves_rows_and_always_types():
    system = system_of(
        {
            "fleet.classes": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}],
            "work": {
                "types": [
                    {
                        "name": "install",
                        "jobs_per_day": 1.0,
                        "duration_h": {"dist": "exponential", "mean": 2.0},
                    }
                ]
            },
            "contractor.classes": ["b"],
            "contractor.always": ["install"],
        }
    )
    c = system.contractor
    assert c is not None
    assert c.rows == frozenset({1}) and c.always == frozenset({2})
    assert c.capacity is None and c.repair is None and c.first_time_fix == 1.0


# -- the model ------------------------------------------------------------------------


def test_all_busy_sends_exactly_the_calls_that_find_nobody_free():
    """The contractor's calls waited 0 (handed over at once); the team's calls never waited."""
    system = system_of()
    monitors, _, end = run(system, keep_calls=True)
    k = monitors.kpis(end)["all"]
    assert k["wait_h"] == 0.0 and k["p_wait"] == 0.0
    contracted = [c for c in monitors.calls if c.technician == -1]
    assert contracted and all(c.dispatched_at == c.logged_at for c in contracted)
    share = len(contracted) / len(monitors.calls)
    assert k["contractor_share"] == pytest.approx(share, abs=0.01)


def test_capacity_is_never_exceeded_and_the_rest_waits_in_line():
    system = system_of(
        {"contractor.capacity": 1, "contractor.response_h": {"dist": "deterministic", "value": 5.0}}
    )
    monitors, load, end = run(system)
    assert load.most == 1
    assert monitors.kpis(end)["all"]["wait_h"] > 0  # a full contractor leaves calls to the team


def test_wait_over_hands_over_at_the_threshold_only_calls_still_waiting():
    system = system_of(
        {"contractor.when": "wait_over", "contractor.threshold_h": 0.5, "fleet.calls_per_h": 1.6}
    )
    monitors, _, _ = run(system, keep_calls=True)
    contracted = [c for c in monitors.calls if c.technician == -1]
    assert len(contracted) > 100
    assert all(c.dispatched_at - c.logged_at == pytest.approx(0.5, abs=1e-9) for c in contracted)
    served = [c for c in monitors.calls if c.technician >= 0]
    assert max(c.dispatched_at - c.logged_at for c in served) < 0.5


def test_a_failed_contractor_visit_returns_the_call_to_the_team():
    """first_time_fix 0.5: about half the contractor's visits fail; those calls get a
    technician's visit after, and every machine is restored in the end (finite fleet)."""
    system = system_of(
        {
            "contractor.first_time_fix": 0.5,
            "fleet": {"machines": 40, "time_to_failure_h": {"dist": "exponential", "mean": 30.0}},
        }
    )
    monitors, load, end = run(system, keep_calls=True)
    snapshot = monitors["contractor"].snapshot(end)
    jobs = sum(snapshot.jobs)
    assert jobs > 200
    assert snapshot.failed / jobs == pytest.approx(0.5, abs=0.06)
    again = [c for c in monitors.calls if c.visits == 2]
    assert again and all(c.technician >= 0 for c in again)  # the revisit was the team's
    restored_by_contractor = [c for c in load.calls if c.technician == -1 and c.visits == 1]
    assert restored_by_contractor and all(c.phase is Phase.DONE for c in restored_by_contractor)


def test_always_job_types_go_to_the_contractor():
    system = system_of(
        {
            "work": {
                "types": [
                    {
                        "name": "install",
                        "jobs_per_day": 2.0,
                        "duration_h": {"dist": "exponential", "mean": 2.0},
                    }
                ]
            },
            "contractor.always": ["install"],
            "contractor.classes": [],
        }
    )
    monitors, _, end = run(system)
    rows = monitors.kpis(end)
    assert rows["install"]["contractor_share"] == 1.0
    assert rows["standard"]["contractor_share"] == 0.0  # (no class of its own left to it)


def test_the_calls_are_the_same_whatever_the_staffing():
    """Common random numbers: the contractor takes more calls from a smaller team, but the
    calls and their needs are the same."""
    a, _, _ = run(system_of({"territories.technicians": 1}), keep_calls=True)
    b, _, _ = run(system_of({"territories.technicians": 3}), keep_calls=True)
    key = lambda calls: sorted((c.logged_at, c.repair_h) for c in calls)  # noqa: E731
    assert key(a.calls) == key(b.calls)


def test_little_and_restorations_hold_with_the_contractor():
    """Machines down (open calls) = arrival rate x mean restoration, contracted calls in."""
    monitors, _, end = run(system_of())
    k = monitors.kpis(end)["all"]
    assert k["machines_down"] == pytest.approx(k["calls_logged_per_h"] * k["restore_h"], rel=0.03)


def test_blocks_of_teams_merge_the_contractor_sums():
    from block_merge import whole_and_merged

    system = system_of({"territories.count": 2})
    total, merged, end = whole_and_merged(system, system.technicians)
    a, b = total.kpis(end)["all"], merged.kpis(end)["all"]
    assert a["contractor_share"] > 0.05
    for kpi in ("contractor_share", "contractor_response_h", "contractor_jobs_per_day", "restore_h"):
        assert b[kpi] == pytest.approx(a[kpi], rel=1e-12), kpi


# -- costs ------------------------------------------------------------------------------


def test_the_contractor_price_is_in_cost_per_day():
    from sim.costs import contractor_money, cost_kpis

    system = system_of({"costs": {"technician_per_h": 30.0}})
    plain = system_of({"costs": {"technician_per_h": 30.0}}, drop=("contractor",))
    kpis = {"calls_per_day": 9.6, "contractor_jobs_per_day": 2.0}
    assert cost_kpis(system, kpis)["cost_per_day"] - cost_kpis(plain, kpis)["cost_per_day"] == pytest.approx(
        200.0
    )
    assert contractor_money(system, {"all": kpis})["all"]["contractor_cost_per_day"] == pytest.approx(200.0)


# -- formulas ----------------------------------------------------------------------------


def test_fleet_chain_against_engset_and_its_own_identities():
    """A contractor that restores at once (nu large) sends the machine back at once: the
    chain's blocking is Engset's then; in any case busy = lambda (1 - P_c) / mu and the
    machines at the contractor = lambda P_c / nu (Little)."""
    from sim.analytic.estimate.contractor import fleet_overflow

    n, g, s, mu = 12, 0.2, 2, 1.0
    quick = fleet_overflow(n, g, s, mu, 1e9)
    # Engset: the time-congestion of the N-1 other sources, arrival-weighted
    weights = [math.comb(n - 1, k) * (g / mu) ** k for k in range(s + 1)]
    assert quick.p_overflow == pytest.approx(weights[-1] / sum(weights), rel=1e-6)
    for nu in (0.1, 0.5, 2.0):
        r = fleet_overflow(n, g, s, mu, nu)
        assert r.busy == pytest.approx(r.rate * (1 - r.p_overflow) / mu, rel=1e-9)
        assert r.at_contractor == pytest.approx(r.rate * r.p_overflow / nu, rel=1e-9)
        assert r.rate == pytest.approx(g * (n - r.down), rel=1e-9)


def test_patience_formula_limits_and_its_own_identity():
    """T -> 0: Erlang B; T large: M/M/s (Erlang C); always: busy = lambda (1 - P_c) / mu."""
    r0 = mms_deterministic_patience(1.6, 1.0, 2, 1e-12)
    assert r0.p_overflow == pytest.approx(erlang_b(2, 1.6), rel=1e-9)
    big = mms_deterministic_patience(1.6, 1.0, 2, 200.0)
    ref = mms(1.6, 1.0, 2)
    assert big.mean_wait == pytest.approx(ref.wq, rel=1e-9)
    assert big.p_wait == pytest.approx(ref.p_wait, rel=1e-9)
    for t in (0.1, 1.0, 3.0):
        r = mms_deterministic_patience(2.5, 1.0, 2, t)  # overloaded without the contractor
        assert r.busy == pytest.approx(2.5 * (1 - r.p_overflow), rel=1e-9)
        assert r.tail(0.0) == pytest.approx(r.p_wait, rel=1e-9)
        assert r.tail(t) == 0.0


def test_estimate_is_exact_only_for_the_loss_system_and_the_patience_queue():
    loss = estimate(system_of())
    e = loss.get("contractor_share")
    assert e is not None and e.exact and e.value == pytest.approx(erlang_b(2, 1.2))
    for change in (
        {"contractor.capacity": 2},
        {"contractor.first_time_fix": 0.9},
        {"fleet": FLEET, "contractor.when": "wait_over", "contractor.threshold_h": 1.0},
    ):
        out = estimate(system_of(change))
        assert not out.primary and out.notes, change
    patience = estimate(system_of({"contractor.when": "wait_over", "contractor.threshold_h": 1.0}))
    assert patience.get("wait_h") is not None and patience.get("wait_h").exact  # type: ignore[union-attr]
    gamma = estimate(
        system_of(
            {
                "contractor.when": "wait_over",
                "contractor.threshold_h": 1.0,
                "repair.time_h": {"dist": "gamma", "mean": 1.0, "cv": 0.5},
            }
        )
    )
    assert not gamma.primary  # M/M/s+D needs exponential technician time
    # a finite fleet: the exact chain with exponential times, the same chain approximate else
    fleet = estimate(system_of({"fleet": FLEET, "contractor.repair_h": {"dist": "exponential", "mean": 4.0}}))
    assert fleet.get("contractor_share") is not None and not fleet.get("contractor_share").exact  # type: ignore[union-attr]
    zero = {"dist": "deterministic", "value": 0.0}
    four = {"dist": "exponential", "mean": 4.0}
    fleet = estimate(system_of({"fleet": FLEET, "contractor.response_h": zero, "contractor.repair_h": four}))
    assert fleet.get("contractor_share").exact  # type: ignore[union-attr]
    weibull = {"machines": 40, "time_to_failure_h": {"dist": "weibull", "mean": 30.0, "shape": 2.0}}
    fleet = estimate(
        system_of({"fleet": weibull, "contractor.response_h": zero, "contractor.repair_h": four})
    )
    assert not fleet.get("contractor_share").exact  # type: ignore[union-attr]
    assert math.isclose(loss.get("wait_h").value, 0.0)  # type: ignore[union-attr]


def test_every_tally_that_hears_restorations_hears_the_contractors():
    """The restored milestone and the call log count the contractor's restorations too;
    the technicians' on-site level does not (no technician was there)."""
    system = system_of({"fleet.classes": [{"name": "standard", "share": 1.0, "restore_sla_h": 2.0}]})
    monitors, load, end = run(system, keep_calls=True)
    restored = monitors["calls"].snapshot(end).classes[0].restores
    assert monitors["milestones"].snapshot(end).restored[0] == restored
    assert len(monitors.calls) == restored and any(c.technician == -1 for c in monitors.calls)
    assert load.calls
    k = monitors.kpis(end)["all"]
    assert k["utilization_onsite"] == pytest.approx(k["utilization"])  # (no trips: all on site)
