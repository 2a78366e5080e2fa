"""Preventive maintenance in calendar days (``work.maintenance.every_days`` with
``tolerance_days``, issue 14): each machine's window opens on a fixed calendar, every
``every_days`` working days whatever happens to it; the job is released when the window
opens (``tolerance_days`` before the due time) and is inside its window when the
technician is on site by ``tolerance_days`` after the due time.  A machine that is down,
or has its visit waiting or in hand, when its window opens skips that period.

The formula (block replacement: the lives' renewal function over a period's working
hours) is an approximation; its measured error on the cases below is asserted with the
bound the docs quote (5 %).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.block_replacement import calendar_plan, renewal_function
from sim.config import expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.model.build import simulate
from sim.monitors import monitors_for
from sim.stats import t_interval
from sim.system import ServiceSystem

#: ten Weibull machines on a 10-day calendar (80 h of an 8-h day), due +- 1 day (16 h)
BASE: dict[str, Any] = {
    "meta": {"name": "calendar-plan"},
    "run": {"horizon_h": 20000.0, "warmup_h": 400.0, "replications": 4, "seed": 1418},
    "fleet": {"machines": 10, "time_to_failure_h": {"dist": "weibull", "mean": 100.0, "shape": 2.0}},
    "territories": {"technicians": 10},
    "repair": {"time_h": {"dist": "exponential", "mean": 5.0}},
    "work": {
        "maintenance": {
            "every_days": 10.0,
            "tolerance_days": 1.0,
            "duration_h": {"dist": "deterministic", "value": 1.0},
        }
    },
}
PERIOD_H = 80.0


def _system(data: dict[str, Any]) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(data, "<calendar>"))


def _calls(data: dict[str, Any]):
    system = _system(data)
    recorder = monitors_for(system, system.technicians, range(system.territories.count), True)
    end = simulate(system, 0, recorder)
    return system, recorder.calls, recorder.kpis(end)


def _releases(calls, row: int) -> dict[int, list[float]]:
    out: dict[int, list[float]] = defaultdict(list)
    for c in calls:
        if c.service_class == row:
            out[c.machine].append(c.logged_at)
    return out


def test_the_system_holds_a_calendar_plan_with_its_window():
    plan = _system(BASE).maintenance
    assert plan is not None and plan.calendar and plan.every_days == 10.0
    assert plan.every_h == PERIOD_H and plan.window_h == 16.0  # 2 x 1 day of 8 h


def test_the_windows_open_on_a_fixed_calendar_whatever_the_breakdowns():
    """Every release of a machine is on its grid start + k x 80 h (breakdowns and repairs
    do not move it), and a machine is never released twice in one period."""
    data = variant(BASE, {"run.horizon_h": 6000.0, "territories.technicians": 1})
    _, calls, _ = _calls(data)
    releases = _releases(calls, 1)
    breakdowns = sum(c.service_class == 0 for c in calls)
    assert breakdowns > 200 and sum(map(len, releases.values())) > 500
    for times in releases.values():
        times.sort()
        start = times[0] % PERIOD_H
        for t in times:
            k = round((t - start) / PERIOD_H)
            assert t == pytest.approx(start + k * PERIOD_H, abs=1e-6)
        assert len({round((t - start) / PERIOD_H) for t in times}) == len(times)


def test_nobody_waiting_every_visit_is_in_its_window_and_a_down_machine_skips():
    """Ten technicians: each visit is taken at its window's opening (in window), and the
    periods a machine is down at its opening are skipped: fewer visits than periods."""
    _, calls, kpis = _calls(variant(BASE, {"run.horizon_h": 8000.0}))
    row = kpis["all"]
    assert row["pm_in_window"] == 1.0
    periods = 10 * (8000.0 - 400.0) / PERIOD_H
    assert 0.9 * periods < row["pm_visits_per_day"] * (8000.0 - 400.0) / 8.0 < periods
    for c in calls:
        if c.service_class == 1 and c.on_site_at == c.on_site_at:  # (NaN: not reached)
            assert c.on_site_at == pytest.approx(c.logged_at)  # (no travel, nobody waits)


def test_one_technician_misses_some_windows_and_urgency_helps():
    busy = {"run.horizon_h": 8000.0, "fleet.machines": 30, "territories.technicians": 1}
    _, _, lazy = _calls(variant(BASE, busy))
    _, _, eager = _calls(variant(BASE, {**busy, "work.maintenance.urgent_within_h": 8.0}))
    assert 0.0 < lazy["all"]["pm_in_window"] < 1.0
    assert eager["all"]["pm_in_window"] > lazy["all"]["pm_in_window"]


def test_the_block_replacement_estimate_is_labelled_approximate_and_within_5_percent():
    """The measured error of the approximation (4 replications of 20,000 h)."""
    sc = validate_scenario(BASE, "<calendar>")
    exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False)
    reps = exp.replications
    whole = reps[reps["class"] == "all"]
    est = estimate(_system(BASE))
    for kpi in ("breakdowns_per_day", "pm_visits_per_day", "pm_h_per_day", "machines_down"):
        e = est.get(kpi)
        assert e is not None and not e.exact, kpi
        ci = t_interval(whole[kpi].to_numpy(), 0.99)
        assert abs(ci.mean - e.value) < 0.05 * e.value, (kpi, ci.mean, e.value)
    # the renewal function of wearing-out lives is below t / mean: the plan avoids breakdowns
    assert renewal_function(2.0, 100.0, 78.0) < 0.78


def test_the_renewal_function_of_exponential_lives_and_the_plan_without_downtimes():
    assert renewal_function(1.0, 50.0, 120.0) == pytest.approx(120.0 / 50.0, rel=1e-6)
    p = calendar_plan(2.0, 100.0, 60.0, 0.0, 0.0)
    assert p.breakdown_rate == pytest.approx(renewal_function(2.0, 100.0, 60.0) / 60.0)
    assert p.planned_rate == pytest.approx(1.0 / 60.0)


def test_staffing_leaves_the_calendar_and_the_visits_needs_unchanged():
    """Common random numbers: each machine's calendar (its first opening, pm_start) and the
    on-site time of its visit in period k are the same whatever the staffing (a skipped
    period uses its draws all the same)."""
    data = variant(
        BASE,
        {"run.horizon_h": 4000.0, "work.maintenance.duration_h": {"dist": "gamma", "mean": 1.0, "cv": 0.5}},
    )
    runs = []
    for technicians in (1, 3):
        _, calls, _ = _calls(variant(data, {"territories.technicians": technicians}))
        by = defaultdict(list)
        for c in sorted(calls, key=lambda c: c.number):
            if c.service_class == 1:
                by[c.machine].append(c)
        runs.append(by)
    one, three = runs
    assert one.keys() == three.keys()
    same = 0
    for m in one:
        start = one[m][0].logged_at % PERIOD_H
        assert three[m][0].logged_at % PERIOD_H == pytest.approx(start)
        period = {round((c.logged_at - start) / PERIOD_H): c.repair_h for c in three[m]}
        for c in one[m]:
            k = round((c.logged_at - start) / PERIOD_H)
            if k in period:
                assert c.repair_h == period[k]
                same += 1
    assert same > 300
