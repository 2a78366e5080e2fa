"""Internal work in scheduled blocks (``[work.internal]`` with ``mode = "scheduled"``,
issue 14): each technician has a block of ``block_h`` every ``block_h / share`` hours of
the clock, spread over the period across the team; a technician busy when a block is due
finishes the job in hand first; during a block no call is taken.

Exact claims: ``internal_share`` = share and ``internal_h_per_day`` = share x the working
day for a stable team (every block is done), and at Poisson calls the offered loads
(``utilization``, ``calls_per_day``) by work conservation; checked with power below (the
exact value inside the 99 % interval, a half-width under 3 %, and the M/M/2 utilisation
without the blocks' effect on the waits).  The waits have no formula (a note).
"""

from __future__ import annotations

from typing import Any

import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.config import ScenarioError, expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.experiment.tables import kpi_names
from sim.model.build import simulate
from sim.monitors import monitors_for
from sim.stats import t_interval
from sim.system import ServiceSystem

BASE: dict[str, Any] = {
    "meta": {"name": "blocks"},
    "run": {"horizon_h": 40000.0, "warmup_h": 500.0, "replications": 8, "seed": 1419},
    "fleet": {"calls_per_h": 0.8},
    "territories": {"technicians": 2},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "work": {"internal": {"mode": "scheduled", "block_h": 4.0, "share": 0.1}},
}


def _system(data: dict[str, Any]) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(data, "<blocks>"))


def test_the_system_holds_the_blocks_not_the_idle_tasks():
    system = _system(BASE)
    assert system.internal is None
    blocks = system.internal_blocks
    assert blocks is not None and blocks.every_h == pytest.approx(40.0) and blocks.block_h == 4.0
    assert {"internal_share", "internal_h_per_day"} <= set(kpi_names(system))


def test_no_call_is_taken_during_a_block_and_a_busy_technician_finishes_first():
    """One technician, a 2-h block every 10 h: replay the blocks from the calls (block k
    starts at 10 k, or at the release of the job in hand, or at the end of block k - 1)
    and check that no call's service overlaps one."""
    data = variant(
        BASE,
        {
            "run.horizon_h": 3000.0,
            "territories.technicians": 1,
            "fleet.calls_per_h": 0.3,
            "work.internal": {"mode": "scheduled", "block_h": 2.0, "share": 0.2},
        },
    )
    system = _system(data)
    recorder = monitors_for(system, 1, range(1), True)
    simulate(system, 0, recorder)
    calls = sorted(
        (c for c in recorder.calls if c.restored_at == c.restored_at), key=lambda c: c.dispatched_at
    )
    assert len(calls) > 500
    free_at, postponed, i = 0.0, 0, 0
    for k in range(2900 // 10):
        due = 10.0 * k
        # the technician's jobs dispatched before the block can start
        while i < len(calls) and calls[i].dispatched_at < max(due, free_at):
            free_at = max(free_at, calls[i].restored_at)
            i += 1
        start = max(due, free_at)
        postponed += start > due
        end = start + 2.0
        assert i >= len(calls) or calls[i].dispatched_at >= end - 1e-9, (k, start, calls[i])
        free_at = end
    assert postponed > 20  # (some blocks waited for the job in hand)


def test_the_blocks_share_and_the_offered_load_are_exact_with_power():
    sc = validate_scenario(BASE, "<blocks>")
    reps = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False).replications
    whole = reps[reps["class"] == "all"]
    est = estimate(_system(BASE))
    for kpi, value in (
        ("internal_share", 0.1),
        ("internal_h_per_day", 0.8),
        ("utilization", 0.4),
        ("calls_per_day", 6.4),
    ):
        e = est.get(kpi)
        assert e is not None and e.exact and e.value == pytest.approx(value), kpi
        ci = t_interval(whole[kpi].to_numpy(), 0.99)
        assert ci.contains(value) or abs(ci.mean - value) < 1e-9, (kpi, ci)
        assert ci.half_width < 0.03 * value, (kpi, ci)
    assert est.get("wait_h") is None
    # power: the blocks lengthen the waits well beyond M/M/2's 0.19 h
    wait = t_interval(whole["wait_h"].to_numpy(), 0.99)
    assert wait.low > 0.19 * 1.3


def test_an_unstable_team_with_blocks_is_refused_by_the_estimate():
    est = estimate(_system(variant(BASE, {"fleet.calls_per_h": 1.7})))  # 0.85 + 0.1 < 1
    assert est.unstable is None
    est = estimate(_system(variant(BASE, {"fleet.calls_per_h": 1.85})))  # 0.925 + 0.1 >= 1
    assert est.unstable is not None and "internal share" in est.unstable


@pytest.mark.parametrize(
    ("internal", "key", "reason"),
    [
        ({"mode": "scheduled", "block_h": 4.0, "share": 1.0}, "work.internal.share", "1 or more"),
        ({"mode": "scheduled", "block_h": 4.0, "share": 1.5}, "work.internal.share", "1 or more"),
        ({"mode": "scheduled", "share": 0.1}, "work.internal.block_h", "required"),
        ({"mode": "scheduled", "block_h": 4.0}, "work.internal.share", "required"),
        (
            {
                "mode": "scheduled",
                "block_h": 4.0,
                "share": 0.1,
                "task_h": {"dist": "exponential", "mean": 1.0},
            },
            "work.internal.task_h",
            "when_idle",
        ),
        ({"mode": "when_idle", "block_h": 4.0}, "work.internal.block_h", "scheduled"),
    ],
)
def test_bad_blocks_are_refused_naming_the_key(internal, key, reason):
    with pytest.raises(ScenarioError, match=key) as err:
        validate_scenario(variant(BASE, {"work.internal": internal}), "<blocks>")
    assert reason in str(err.value)


def test_blocks_with_shifts_are_refused():
    shifts = {
        "calendar.shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00"}]
    }
    with pytest.raises(ScenarioError, match=r"work\.internal\.mode"):
        validate_scenario(variant(BASE, shifts), "<blocks>")
