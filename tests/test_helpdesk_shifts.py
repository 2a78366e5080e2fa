"""Helpdesk agents with a shift calendar (``helpdesk.shifts``, issue 15).

Agents take requests only during their shifts (requests wait overnight and over the
weekend), finish the one they hold at a shift's end; the analytic layer computes the
wait per working period (a fluid pile over the week) and labels it approximate; the
helpdesk's utilisation stays exact.  Bad shifts are ``tests/bad_inputs/helpdesk_shifts*.toml``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.estimate.helpdesk import closed_periods
from sim.config import validate_scenario
from sim.model import simulate
from sim.monitors import Tally, monitors_for
from sim.system import ServiceSystem

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
BASE: dict[str, Any] = {
    "meta": {"name": "helpdesk-shifts"},
    "run": {"horizon_h": 20000.0, "warmup_h": 500.0, "replications": 1, "seed": 21},
    "fleet": {"calls_per_h": 0.5},
    "territories": {"count": 1, "technicians": 2, "pooled": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "helpdesk": {
        "agents": 2,
        "handling_h": {"dist": "exponential", "mean": 0.5},
        "shifts": [{"days": WEEKDAYS, "start": "08:00", "end": "18:00"}],
    },
}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<shifts>"))


class Trace(Tally):
    __slots__ = ("answered", "replied")
    name = "trace"

    def __init__(self) -> None:
        super().__init__()
        self.answered: list[float] = []
        self.replied: list[float] = []

    def handles(self) -> dict[str, Any]:
        return {
            "answered": lambda call, now: self.answered.append(now),
            "replied": lambda call, now: self.replied.append(now),
        }


def run(system: ServiceSystem, replication: int = 0) -> tuple[Trace, dict[str, dict[str, float]]]:
    trace = Trace()
    monitors = monitors_for(system, system.technicians, range(1), extra=(trace,))
    end = simulate(system, replication, monitors)
    return trace, monitors.kpis(end)


def test_the_shifts_reach_the_system_and_their_absence_dumps_as_before():
    s = system_of()
    assert s.helpdesk is not None and s.helpdesk.shifts is not None
    assert s.helpdesk.shifts.hours_per_week == 50.0
    plain = validate_scenario(variant(BASE, drop=("helpdesk.shifts",)))
    assert plain.model_dump()["helpdesk"]["shifts"] is None  # (the key dumped before it was built)
    assert ServiceSystem.from_scenario(plain).helpdesk.shifts is None  # type: ignore[union-attr]


def test_agents_take_requests_only_in_their_shifts_and_finish_the_one_they_hold():
    system = system_of()
    cal = system.helpdesk.shifts  # type: ignore[union-attr]
    trace, kpis = run(system)
    assert trace.answered and all(cal.is_open(t) for t in trace.answered)
    # a request held at the end of a shift is replied to after it
    assert any(not cal.is_open(t) for t in trace.replied)
    assert kpis["all"]["helpdesk_wait_h"] > 10.0  # the nights and weekends


def test_closed_periods_of_a_working_week():
    cal = system_of().helpdesk.shifts  # type: ignore[union-attr]
    assert sorted(closed_periods(cal.intervals)) == [14.0] * 4 + [62.0]


def test_the_wait_per_working_period_is_approximate_and_close():
    """Four replications of 20,000 h: the fluid-pile estimate of the wait for an agent is
    within 5 % of the simulated mean (it is labelled approximate); the utilisation is
    exact and inside 3 standard errors."""
    system = system_of()
    est = estimate(system)
    wait, util = est.get("helpdesk_wait_h"), est.get("helpdesk_utilization")
    assert wait is not None and not wait.exact and "working period" in wait.model
    assert util is not None and util.exact
    assert est.get("reply_met") is None
    assert est.get("wait_h") is None  # the visit calls come in bursts: no team wait
    runs = [run(system, r)[1]["all"] for r in range(4)]
    waits = np.array([k["helpdesk_wait_h"] for k in runs])
    assert abs(waits.mean() - wait.value) / wait.value < 0.05
    busy = np.array([k["helpdesk_utilization"] for k in runs])
    assert abs(busy.mean() - util.value) <= 3 * busy.std(ddof=1) / 2


def test_a_load_beyond_the_shifts_has_no_steady_state():
    est = estimate(system_of({"fleet.calls_per_h": 1.4}))  # 0.7 agent-h/h > 2 x 50/168
    assert est.unstable is not None and "open" in est.unstable


@pytest.mark.parametrize("agents", [1, 3])
def test_more_agents_shorten_only_the_open_hours_part(agents):
    a = estimate(system_of({"helpdesk.agents": agents})).get("helpdesk_wait_h")
    b = estimate(system_of({"helpdesk.agents": agents + 1})).get("helpdesk_wait_h")
    assert a is not None and b is not None and b.value < a.value
    assert b.value > 10.0  # no staffing removes the wait for the morning
