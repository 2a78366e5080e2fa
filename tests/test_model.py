"""Behaviour of the SimPy field-service model, told as small stories.

The first stories drive one team by hand: calls are logged at chosen times
with chosen trip and repair times, so every timestamp is known exactly.  The
later ones run whole scenarios with deterministic trip and repair times and
check each logged call against the rule it must obey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
import simpy
from scenario_data import toml_data, variant

from sim.config import expand_sweep
from sim.experiment.experiment import run_experiment
from sim.experiment.replication import run_replication
from sim.experiment.tasks import Task
from sim.model import make_policy
from sim.model.calls import Call
from sim.model.team import Team
from sim.model.technician import crew
from sim.monitors import MonitorSpec

# ---------------------------------------------------------------------------
# Hand-driven team


class Story:
    """One team, a recorder that keeps every call (keep_calls), calls logged at chosen times."""

    def __init__(
        self,
        technicians: int = 1,
        policy: str = "fifo",
        priorities: Sequence[int] = (1,),
    ) -> None:
        self.env = simpy.Environment()
        names = [f"class{i}" for i in range(len(priorities))]
        self.recorder = MonitorSpec(
            names, [None] * len(names), [0.5], technicians, 8.0, keep_calls=True
        ).build()
        self.team = Team(self.env, crew(range(technicians)), make_policy(policy, priorities), self.recorder)
        self.logged = 0

    def call(self, at: float, repair: float, travel: float = 0.0, service_class: int = 0) -> int:
        """Log a call at time ``at``; return its number."""
        number = self.logged
        self.logged += 1

        def customer(env: simpy.Environment):
            yield env.timeout(at - env.now)
            self.team.log_call(
                Call(
                    number=number,
                    machine=-1,
                    territory=0,
                    local_territory=0,
                    service_class=service_class,
                    travel_h=travel,
                    repair_h=repair,
                    now=env.now,
                )
            )

        self.env.process(customer(self.env))
        return number

    def run(self, until: float) -> dict[int, object]:
        """Run to ``until``; every call restored since the last reset, by number."""
        self.env.run(until=until)
        return {c.number: c for c in self.recorder.calls}


def test_a_call_that_finds_the_technician_free_is_dispatched_at_once():
    """No wait: the technician leaves the moment the call is logged."""
    story = Story()
    story.call(at=1.0, travel=0.5, repair=2.0)
    (c,) = story.run(until=10.0).values()
    assert c.logged_at == 1.0
    assert c.dispatched_at == 1.0
    assert c.technician == 0


def test_travel_then_repair():
    """On site after the trip; the machine works again when the repair ends."""
    story = Story()
    story.call(at=1.0, travel=0.5, repair=2.0)
    (c,) = story.run(until=10.0).values()
    assert c.on_site_at == 1.5
    assert c.restored_at == 3.5


def test_a_call_that_finds_the_technician_busy_waits_for_the_end_of_the_repair():
    """The technician goes straight from one repair to the next waiting call."""
    story = Story()
    first = story.call(at=1.0, travel=0.5, repair=2.0)
    second = story.call(at=2.0, travel=0.25, repair=1.0)
    calls = story.run(until=10.0)
    assert calls[first].restored_at == 3.5
    assert calls[second].dispatched_at == 3.5
    assert calls[second].on_site_at == 3.75
    assert calls[second].restored_at == 4.75


def test_fifo_serves_waiting_calls_in_the_order_they_were_logged():
    """First come, first served."""
    story = Story()
    story.call(at=0.0, repair=10.0)
    waiting = [story.call(at=t, repair=1.0) for t in (1.0, 2.0, 3.0)]
    calls = story.run(until=20.0)
    assert [calls[n].dispatched_at for n in waiting] == [10.0, 11.0, 12.0]


def test_fifo_ignores_priority():
    """Under FIFO a critical call logged later waits behind an earlier routine one."""
    story = Story(policy="fifo", priorities=(1, 2))
    story.call(at=0.0, repair=5.0, service_class=1)
    routine = story.call(at=1.0, repair=2.0, service_class=1)
    critical = story.call(at=2.0, repair=2.0, service_class=0)
    calls = story.run(until=20.0)
    assert calls[routine].dispatched_at == 5.0
    assert calls[critical].dispatched_at == 7.0


def test_priority_call_logged_while_a_routine_one_waits_is_served_first():
    """Nonpreemptive priority: the critical call jumps the line of waiting calls ..."""
    story = Story(policy="priority", priorities=(1, 2))
    in_repair = story.call(at=0.0, repair=5.0, service_class=1)
    routine = story.call(at=1.0, repair=2.0, service_class=1)
    critical = story.call(at=2.0, repair=2.0, service_class=0)
    calls = story.run(until=20.0)
    assert calls[critical].dispatched_at == 5.0
    assert calls[routine].dispatched_at == 7.0
    # ... but never interrupts the repair in progress
    assert calls[in_repair].restored_at == 5.0
    assert calls[in_repair].on_site_at == 0.0


def test_priority_is_fifo_within_a_class():
    """Two critical calls are served in the order they were logged."""
    story = Story(policy="priority", priorities=(1, 2))
    story.call(at=0.0, repair=5.0, service_class=1)
    a = story.call(at=1.0, repair=1.0, service_class=0)
    b = story.call(at=2.0, repair=1.0, service_class=0)
    calls = story.run(until=20.0)
    assert calls[a].dispatched_at == 5.0
    assert calls[b].dispatched_at == 6.0


def test_two_technicians_serve_two_calls_at_once():
    """A second call is dispatched at once when the second technician is free."""
    story = Story(technicians=2)
    a = story.call(at=0.0, repair=5.0)
    b = story.call(at=1.0, repair=5.0)
    calls = story.run(until=20.0)
    assert calls[b].dispatched_at == 1.0
    assert {calls[a].technician, calls[b].technician} == {0, 1}


def test_the_recorder_forgets_everything_before_the_warm_up():
    """After reset at 2.5 only what happens later counts; calls logged before are not
    tallied, but the machines they keep down and the technician time they use still count."""
    story = Story()
    first = story.call(at=1.0, repair=2.0)  # down 1 -> 3
    second = story.call(at=2.0, repair=2.0)  # waits 2 -> 3, down 2 -> 5
    third = story.call(at=4.0, repair=2.0)  # waits 4 -> 5, down 4 -> 7
    story.env.run(until=2.5)
    story.recorder.reset(2.5)
    calls = story.run(until=10.0)
    assert first not in calls and second not in calls  # logged before the warm-up ended
    assert set(calls) == {third}
    k = story.recorder.kpis(10.0)["all"]
    span = 10.0 - 2.5
    assert k["n_calls"] == 1
    assert k["wait_h"] == 1.0  # only the third call's wait is tallied
    assert k["restore_h"] == 3.0
    assert k["calls_logged_per_h"] == pytest.approx(1 / span)
    assert k["queue_len"] == pytest.approx((0.5 + 1.0) / span)  # second 2.5-3, third 4-5
    assert k["machines_down"] == pytest.approx((0.5 + 2.5 + 3.0) / span)
    assert k["utilization"] == pytest.approx((0.5 + 2.0 + 2.0) / span)
    assert k["p_wait_gt_0.5h"] == 1.0


# ---------------------------------------------------------------------------
# The recorder's own call log (keep_calls=True)


def test_keep_calls_records_every_finished_call():
    """keep_calls=True: the recorder keeps one record per restored call, with its times."""
    story = Story()
    story.call(at=1.0, travel=0.5, repair=2.0)
    story.call(at=2.0, travel=0.25, repair=1.0, service_class=0)
    story.run(until=10.0)
    records = story.recorder.calls
    assert [r.number for r in records] == [0, 1]
    assert [(r.logged_at, r.dispatched_at, r.on_site_at, r.restored_at) for r in records] == [
        (1.0, 1.0, 1.5, 3.5),
        (2.0, 3.5, 3.75, 4.75),
    ]
    assert [(r.travel_h, r.repair_h, r.technician) for r in records] == [(0.5, 2.0, 0), (0.25, 1.0, 0)]


def test_a_call_finished_during_the_warm_up_is_not_in_the_call_log():
    """The call log, like every tally, starts at the end of the warm-up."""
    story = Story()
    story.call(at=0.5, repair=1.0)  # restored at 1.5, inside the warm-up
    late = story.call(at=4.0, repair=1.0)
    story.env.run(until=2.5)
    story.recorder.reset(2.5)
    story.env.run(until=10.0)
    assert [r.number for r in story.recorder.calls] == [late]


# ---------------------------------------------------------------------------
# Whole scenarios with deterministic trips and repairs

DETERMINISTIC = toml_data("""
[run]
horizon_h = 2000.0
warmup_h = 0.0
seed = 41

[fleet]
calls_per_h = 0.3

[territories]
technicians = 1

[travel]
time_h = { dist = "deterministic", value = 0.5 }

[repair]
time_h = { dist = "deterministic", value = 1.5 }
""")


def test_one_technician_follows_the_lindley_recursion(make_scenario, run_one):
    """With one technician and FIFO, each call is dispatched at max(its log time, the
    previous call's restore time), is on site 0.5 h later and restored 1.5 h after that."""
    rec, _ = run_one(make_scenario(DETERMINISTIC), keep_calls=True)
    calls = sorted(rec.calls, key=lambda c: c.number)
    assert len(calls) > 500
    assert [c.number for c in calls] == list(range(len(calls)))
    free_at = 0.0
    for c in calls:
        assert c.dispatched_at == max(c.logged_at, free_at)
        assert c.on_site_at == c.dispatched_at + 0.5
        assert c.restored_at == c.on_site_at + 1.5
        assert (c.travel_h, c.repair_h, c.technician) == (0.5, 1.5, 0)
        free_at = c.restored_at
    assert any(c.dispatched_at > c.logged_at for c in calls)  # some calls did wait
    assert any(c.dispatched_at == c.logged_at for c in calls)  # some did not


def test_several_technicians_fifo(make_scenario, run_one):
    """With three technicians, calls still leave in the order they were logged, and a
    waiting call is taken at the very moment a technician finishes a repair."""
    sc = make_scenario(variant(DETERMINISTIC, {"territories.technicians": 3, "fleet.calls_per_h": 1.2}))
    rec, _ = run_one(sc, keep_calls=True)
    calls = sorted(rec.calls, key=lambda c: c.number)
    dispatched = [c.dispatched_at for c in calls]
    assert dispatched == sorted(dispatched)
    restored = {c.restored_at for c in calls}
    waited = [c for c in calls if c.dispatched_at > c.logged_at]
    assert len(waited) > 50
    assert all(c.dispatched_at in restored for c in waited)
    assert {c.technician for c in calls} == {0, 1, 2}


PRIORITY = toml_data("""
[run]
horizon_h = 3000.0
warmup_h = 0.0
seed = 43

[fleet]
calls_per_h = 0.4

[[fleet.classes]]
name = "critical"
share = 0.3
priority = 1

[[fleet.classes]]
name = "routine"
share = 0.7
priority = 2

[repair]
time_h = { dist = "deterministic", value = 2.0 }

[dispatch]
policy = "priority"
""")


def test_priority_dispatch_on_a_whole_run(make_scenario, run_one):
    """Whenever a routine call is taken from the line no critical call is waiting; every
    repair runs to its end uninterrupted; critical calls wait less on average."""
    rec, k = run_one(make_scenario(PRIORITY), keep_calls=True)
    calls = rec.calls
    critical = [c for c in calls if c.service_class == 0]
    routine = [c for c in calls if c.service_class == 1]
    assert len(critical) > 200 and len(routine) > 500
    for r in routine:
        if r.dispatched_at > r.logged_at:
            t = r.dispatched_at
            assert not any(c.logged_at < t < c.dispatched_at for c in critical), r.number
    assert all(c.restored_at == c.on_site_at + 2.0 for c in calls)
    assert k["critical"]["wait_h"] < k["routine"]["wait_h"]


POOLED = toml_data("""
[run]
horizon_h = 3000.0
warmup_h = 0.0
seed = 47

[fleet]
calls_per_h = 0.35

[territories]
count = 2
technicians = 1
pooled = 1

[travel]
time_h = { dist = "deterministic", value = 0.25 }

[repair]
time_h = { dist = "deterministic", value = 1.75 }
""")


def test_without_pooling_each_territory_has_its_own_technician(make_scenario, run_one):
    """count = 2, pooled = 1: two teams; territory t is served only by technician t."""
    rec, _ = run_one(make_scenario(POOLED), keep_calls=True)
    assert {(c.territory, c.technician) for c in rec.calls} == {(0, 0), (1, 1)}


def test_pooled_territories_share_their_technicians(make_scenario, run_one):
    """count = 2, pooled = 2: one team; a call from territory 1 can be served by the
    technician of territory 0 and vice versa, and the shared line cuts the wait."""
    pooled, k_pooled = run_one(make_scenario(variant(POOLED, {"territories.pooled": 2})), keep_calls=True)
    _, k_alone = run_one(make_scenario(POOLED))
    assert {(c.territory, c.technician) for c in pooled.calls} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert k_pooled["all"]["wait_h"] < 0.7 * k_alone["all"]["wait_h"]


def test_warm_up_calls_are_not_tallied(make_scenario, run_one):
    """With a 500-h warm-up the tallies count only calls logged after 500 h: about
    0.3 calls/h x 2000 h, not the ~150 calls of the warm-up as well."""
    sc = make_scenario(variant(DETERMINISTIC, {"run.warmup_h": 500.0}))
    rec, k = run_one(sc, keep_calls=True)
    after = [c for c in rec.calls if c.logged_at >= 500.0]
    assert k["all"]["n_calls"] == pytest.approx(len(after), abs=2)
    assert k["all"]["calls_logged_per_h"] == pytest.approx(len(after) / 2000.0, abs=2 / 2000.0)
    assert k["all"]["wait_h"] == pytest.approx(
        np.mean([c.dispatched_at - c.logged_at for c in after]), rel=1e-2
    )


def test_warm_up_calls_are_not_in_the_call_log(make_scenario, run_one):
    """With a 500-h warm-up, every logged call record broke down after 500 h; the calls
    before were simulated (numbers do not start at 0) but are not in the log."""
    sc = make_scenario(variant(DETERMINISTIC, {"run.warmup_h": 500.0}))
    rec, _k = run_one(sc, keep_calls=True)
    assert min(c.number for c in rec.calls) > 100
    assert min(c.failed_at for c in rec.calls) >= 500.0


# ---------------------------------------------------------------------------
# Determinism and memory


def test_same_scenario_and_replication_gives_identical_kpis(make_scenario, run_one):
    """Golden rule: the same seed twice gives the same numbers, to the last bit."""
    sc = make_scenario(variant(PRIORITY, {"repair.time_h": {"dist": "gamma", "mean": 2.0, "cv": 0.7}}))
    _, a = run_one(sc, 3)
    _, b = run_one(sc, 3)
    np.testing.assert_equal(a, b)


SMALL_SWEEP = """
[run]
horizon_h = 500.0
warmup_h = 50.0
replications = 3
seed = 53

[fleet]
machines = 12
time_to_failure_h = { dist = "weibull", mean = 30.0, shape = 1.5 }

[travel]
time_h = { dist = "uniform", low = 0.1, high = 0.4 }

[repair]
time_h = { dist = "lognormal", mean = 1.5, cv = 0.6 }

[sweep]
"territories.technicians" = [1, 2]
"""


def test_run_replication_is_a_pure_function_of_its_task(make_scenario):
    """The same task run twice gives identical rows."""
    (point, _) = expand_sweep(make_scenario(SMALL_SWEEP))
    a = run_replication(Task(point, 1))
    b = run_replication(Task(point, 1))
    assert a.error is None
    pd.testing.assert_frame_equal(pd.DataFrame(a.rows), pd.DataFrame(b.rows))


def test_serial_and_process_backends_give_identical_tables(make_scenario):
    """ARCHITECTURE rule 2: a process pool gives the same replications table as a serial
    run, and any single task re-run alone gives its own rows again."""
    sc = make_scenario(SMALL_SWEEP)
    points = expand_sweep(sc)
    serial = run_experiment(sc, points, backend="serial", progress=False)
    pooled = run_experiment(sc, points, backend="process", workers=2, progress=False)
    assert not serial.failures and not pooled.failures
    assert len(serial.replications) == 2 * 3 * 2  # points x replications x (all + 1 class)
    pd.testing.assert_frame_equal(serial.replications, pooled.replications)
    pd.testing.assert_frame_equal(serial.summary, pooled.summary)
    alone = pd.DataFrame(run_replication(Task(points[1], 2)).rows)
    from_run = serial.replications[
        (serial.replications["design_point"] == "dp001") & (serial.replications["replication"] == 2)
    ].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, from_run, check_dtype=False)


def test_serial_and_process_backends_give_identical_call_tables(make_scenario):
    """With keep_calls the per-call tables of both backends are identical too."""
    sc = make_scenario(SMALL_SWEEP)
    points = expand_sweep(sc)
    serial = run_experiment(sc, points, backend="serial", keep_calls=True, progress=False)
    pooled = run_experiment(sc, points, backend="process", workers=2, keep_calls=True, progress=False)
    assert not serial.failures and not pooled.failures
    assert serial.calls is not None and len(serial.calls) > 100
    pd.testing.assert_frame_equal(serial.calls, pooled.calls)


def test_without_keep_calls_the_recorder_holds_no_calls(make_scenario, run_one):
    """By default the recorder keeps running sums only: no per-call list grows."""
    rec, k = run_one(make_scenario(DETERMINISTIC))
    assert k["all"]["n_calls"] > 500
    assert rec.calls == []
    (point,) = expand_sweep(make_scenario(DETERMINISTIC))
    assert run_replication(Task(point, 0)).calls is None


def test_kpis_are_finite_and_in_range(make_scenario, run_one):
    """A sanity net over one run: shares in [0, 1], times non-negative; with 0.5-h trips
    and 1.5-h repairs a quarter of the busy time is travel, and a response is a wait plus
    the trip."""
    _, k = run_one(make_scenario(DETERMINISTIC))
    a = k["all"]
    for name in ("utilization", "utilization_onsite", "travel_share", "p_wait_gt_2h"):
        assert 0.0 <= a[name] <= 1.0, name
    for name in ("wait_h", "response_h", "restore_h", "queue_len", "machines_down"):
        assert a[name] >= 0.0 and math.isfinite(a[name]), name
    assert a["travel_share"] == pytest.approx(a["utilization"] * 0.5 / 2.0, rel=1e-3)
    assert a["response_h"] == pytest.approx(a["wait_h"] + 0.5, rel=1e-3)


def test_a_call_is_the_event_of_one_step_at_a_time():
    """The call is the SimPy event of its trips and repairs (no event made per step): a
    second step scheduled while one runs is refused instead of firing twice."""
    story = Story()
    story.call(at=1.0, repair=2.0)
    story.env.run(until=1.5)  # dispatched at 1.0, repairing until 3.0
    call = story.team.crew[0].call
    assert call is not None and call.callbacks is not None  # the repair is scheduled
    with pytest.raises(RuntimeError, match="already scheduled"):
        story.team._after(1.0, call, story.team._repair_done)
    assert [round(c.restored_at, 9) for c in story.run(10.0).values()] == [3.0]  # type: ignore[attr-defined]
