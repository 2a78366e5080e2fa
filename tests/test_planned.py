"""Preventive maintenance (``[work.maintenance]``, issue 14): the plan's line, its rules
(behind the breakdowns unless urgent, cancelled by a breakdown, the machine resting during
a visit), the monitor, the estimate's labels, and bit-identical runs.

The exact claims (renewal-reward with nobody waiting) are validated by simulation in the
case ``scenarios/validation/pm_age_renewal.toml``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import pytest
import simpy

from sim.analytic import estimate
from sim.config import expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.model.build import build
from sim.model.calls import Call
from sim.model.dispatch import make_policy
from sim.model.planned import PlannedExponentialFleet, PlannedFleet, PlannedJob, PlannedLine
from sim.monitors import monitors_for
from sim.system import ServiceSystem
from tests.scenario_data import variant

#: one technician, 20 Weibull machines: planned jobs wait, and breakdowns cancel some
BASE: dict[str, Any] = {
    "meta": {"name": "planned"},
    "run": {"horizon_h": 6000.0, "warmup_h": 500.0, "replications": 2, "seed": 11},
    "fleet": {"machines": 20, "time_to_failure_h": {"dist": "weibull", "mean": 150.0, "shape": 2.5}},
    "territories": {"technicians": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 2.0}},
    "travel": {"time_h": {"dist": "deterministic", "value": 0.5}},
    "work": {
        "maintenance": {
            "every_h": 90.0,
            "window_h": 6.0,
            "duration_h": {"dist": "gamma", "mean": 1.5, "cv": 0.3},
        }
    },
}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<planned>"))


def run(system: ServiceSystem, keep_calls: bool = False) -> tuple[Any, dict[str, dict[str, float]]]:
    from sim.model.build import simulate

    recorder = monitors_for(system, system.technicians, range(system.territories.count), keep_calls)
    end = simulate(system, 0, recorder)
    return recorder, recorder.kpis(end)


class _Plan:
    """Stands in for the plan: the line tells it which jobs technicians take."""

    def __init__(self) -> None:
        self.taken_jobs: list[int] = []

    def taken(self, job: PlannedJob) -> None:
        self.taken_jobs.append(job.number)


def _job(number: int, plan: Any, row: int = 1) -> PlannedJob:
    return PlannedJob(number, number, number, 0, 0, row, 0.0, 1.0, 0.0, plan)


def _call(number: int) -> Call:
    return Call(number, number, 0, 0, 0, 0.0, 1.0, 0.0)


@pytest.mark.parametrize("pair", [("fifo", "longest_idle"), ("priority", "longest_idle")])
def test_the_line_puts_planned_jobs_behind_breakdowns_unless_urgent(pair: tuple[str, str]) -> None:
    line = PlannedLine(make_policy(pair, [1, 2], None, [], None))
    plan = _Plan()
    first, second, urgent = _job(10, plan), _job(11, plan), _job(12, plan)
    line.hold(first)
    line.add(_call(1))
    line.hold(second)
    line.hold(urgent)
    line.make_urgent(urgent)
    line.add(_call(2))
    assert len(line) == 5
    order = [line.next_call(0) for _ in range(5)]
    assert [c.number for c in order if c is not None] == [12, 1, 2, 10, 11]
    assert line.next_call(0) is None and len(line) == 0
    assert plan.taken_jobs == [12, 10, 11]  # the plan hears of each planned job taken


def test_a_cancelled_job_leaves_the_line() -> None:
    line = PlannedLine(make_policy(("fifo", "longest_idle"), [1, 2], None, [], None))
    plan = _Plan()
    a, b = _job(1, plan), _job(2, plan)
    line.hold(a)
    line.hold(b)
    line.make_urgent(b)
    line.cancel(a)
    line.cancel(b)
    assert len(line) == 0 and line.next_call(0) is None


def test_the_system_holds_the_plan_and_its_row() -> None:
    system = system_of()
    assert system.maintenance is not None
    assert system.maintenance.every_h == 90.0 and system.maintenance.duration.mean == pytest.approx(1.5)
    assert system.row_names == ("standard", "maintenance")
    assert system_of(drop=("work",)).maintenance is None


@pytest.mark.parametrize(
    ("life", "cls"),
    [
        ({"dist": "weibull", "mean": 150.0, "shape": 2.5}, PlannedFleet),
        ({"dist": "exponential", "mean": 150.0}, PlannedExponentialFleet),
    ],
)
def test_the_fleet_with_a_plan_is_built_only_with_maintenance(life: dict[str, Any], cls: type) -> None:
    for system, planned in (
        (system_of({"fleet.time_to_failure_h": life}), True),
        (system_of({"fleet.time_to_failure_h": life}, drop=("work",)), False),
    ):
        env = simpy.Environment()
        model = build(env, system, 0, monitors_for(system, 1, range(1)))
        assert isinstance(model.source, cls) is planned
        assert all(isinstance(t.line, PlannedLine) is planned for t in model.teams)


@pytest.fixture(scope="module")
def loaded() -> tuple[Any, dict[str, dict[str, float]]]:
    return run(system_of(), keep_calls=True)


def _by_machine(calls: list[Any], row: int) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for c in calls:
        if c.service_class == row:
            out[c.machine].append(c)
    return out


def test_a_machine_in_a_planned_visit_does_not_fail_and_a_breakdown_cancels_the_waiting_job(loaded) -> None:
    recorder, _ = loaded
    visits = _by_machine(recorder.calls, 1)
    breakdowns = _by_machine(recorder.calls, 0)
    assert sum(map(len, visits.values())) > 300 and sum(map(len, breakdowns.values())) > 100
    for m, jobs in visits.items():
        for job in jobs:
            # no breakdown from the due time (the job waiting) to the visit's end
            assert not any(job.logged_at <= b.failed_at <= job.restored_at for b in breakdowns[m])


def test_the_next_visit_comes_due_every_h_after_the_last_renewal(loaded) -> None:
    recorder, _ = loaded
    renewals: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for c in recorder.calls:
        renewals[c.machine].append((c.restored_at, "visit" if c.service_class == 1 else "repair"))
        if c.service_class == 1:
            renewals[c.machine].append((c.logged_at, "due"))
    checked = 0
    for events in renewals.values():
        events.sort()
        for (t0, k0), (t1, k1) in itertools.pairwise(events):
            if k1 == "due" and k0 in ("visit", "repair"):
                assert t1 - t0 == pytest.approx(90.0)
                checked += 1
    assert checked > 200


def test_the_kpis_agree_with_the_rows(loaded) -> None:
    _, kpis = loaded
    row = kpis["all"]
    assert row["pm_visits_per_day"] == pytest.approx(kpis["maintenance"]["calls_per_day"])
    assert row["breakdowns_per_day"] == pytest.approx(kpis["standard"]["calls_logged_per_h"] * 8.0, rel=0.02)
    assert row["pm_in_window"] == pytest.approx(kpis["maintenance"]["sla_met"])
    assert 0.0 < row["pm_in_window"] < 1.0  # one technician: some visits miss their window
    # technician time on a visit: its trip (0.5 h) and its on-site time (1.5 h on average)
    assert row["pm_h_per_day"] / row["pm_visits_per_day"] == pytest.approx(2.0, rel=0.03)
    assert row["breakdowns_avoided"] > 0  # Weibull shape 2.5: renewing early avoids breakdowns


def test_urgent_visits_meet_their_window_more_often_and_delay_the_breakdowns() -> None:
    busy = {"fleet.machines": 30, "work.maintenance.window_h": 3.0}  # utilisation about 0.7
    _, lazy = run(system_of(busy))
    _, eager = run(system_of({**busy, "work.maintenance.urgent_within_h": 3.0}))
    assert eager["all"]["pm_in_window"] > lazy["all"]["pm_in_window"] + 0.05
    assert eager["standard"]["wait_h"] > lazy["standard"]["wait_h"]


def test_the_estimate_is_exact_only_when_nobody_waits() -> None:
    crowded = estimate(system_of())
    e = crowded.get("breakdowns_per_day")
    assert e is not None and not e.exact
    assert crowded.get("wait_h") is None  # no queueing formula with a plan
    staffed = estimate(system_of({"territories.technicians": 20}))
    e = staffed.get("breakdowns_per_day")
    assert e is not None and e.exact
    assert (
        estimate(system_of({"fleet.time_to_failure_h": {"dist": "gamma", "mean": 150.0, "cv": 0.5}})).primary
        == []
    )


def test_the_kpis_are_columns_only_with_maintenance() -> None:
    from sim.experiment.tables import kpi_names

    names = set(kpi_names(system_of()))
    planned = {
        "pm_visits_per_day",
        "pm_in_window",
        "pm_h_per_day",
        "breakdowns_per_day",
        "breakdowns_avoided",
    }
    assert planned <= names
    assert not planned & set(kpi_names(system_of(drop=("work",))))


def test_same_seed_same_tables_serial_and_process() -> None:
    scenario = validate_scenario(variant(BASE, {"run.horizon_h": 2000.0}), "<planned>")
    points = expand_sweep(scenario, "<planned>")
    tables = [
        run_experiment(scenario, points, backend, 2, progress=False).replications
        for backend in ("serial", "serial", "process")
    ]
    for other in tables[1:]:
        assert tables[0].equals(other)


def test_blocks_of_teams_with_a_plan_merge_into_the_whole_fleet() -> None:
    """A large fleet runs in blocks of teams: the plan's tallies of two blocks, through
    their JSON records, add up to those of the whole fleet (machines and draws keyed by
    global numbers)."""
    from block_merge import whole_and_merged

    system = system_of({"territories.count": 2, "run.horizon_h": 3000.0})
    total, merged, end = whole_and_merged(system, system.technicians)
    whole, parts = total.kpis(end), merged.kpis(end)
    planned = (
        "pm_visits_per_day",
        "pm_in_window",
        "pm_h_per_day",
        "breakdowns_per_day",
        "breakdowns_avoided",
    )
    for kpi in planned:
        assert parts["all"][kpi] == pytest.approx(whole["all"][kpi], rel=1e-12), kpi
    for kpi in ("calls_per_day", "wait_h", "sla_met"):
        assert parts["maintenance"][kpi] == pytest.approx(whole["maintenance"][kpi], rel=1e-12), kpi


VISITS: dict[str, Any] = {
    "customers": 6,
    "every_days": 4.0,
    "window_h": 6.0,
    "duration_h": {"dist": "deterministic", "value": 1.0},
}


def test_visits_keep_their_calendar_and_wait_behind_breakdowns() -> None:
    """Key-customer visits beside the plan: one visit per customer and period whatever the
    waits (a fixed calendar), each row tallied apart."""
    system = system_of({"work.visits": VISITS})
    assert system.row_names == ("standard", "maintenance", "visits")
    recorder, kpis = run(system, keep_calls=True)
    row = kpis["all"]
    measured_days = (6000.0 - 500.0) / 8.0
    # 6 customers, every 4 days; the edges of the window move the count by at most one each
    assert abs(row["visits_per_day"] - 6 / 4.0) <= 6 / measured_days + 1e-12
    assert row["visits_per_day"] == pytest.approx(kpis["visits"]["calls_per_day"])
    assert row["visits_in_window"] == pytest.approx(kpis["visits"]["sla_met"])
    assert 0.0 < row["visits_in_window"] < 1.0
    assert all(c.machine == -1 for c in recorder.calls if c.service_class == 2)
    assert row["pm_visits_per_day"] == pytest.approx(kpis["maintenance"]["calls_per_day"])
    est = estimate(system)
    e = est.get("visits_per_day")
    assert e is not None and e.exact and e.value == pytest.approx(1.5)


def test_visits_without_a_fleet_plan_work_with_poisson_calls() -> None:
    system = system_of(
        {"fleet": {"calls_per_h": 0.2}, "work": {"visits": VISITS}},
    )
    assert system.maintenance is None and system.row_names == ("standard", "visits")
    _, kpis = run(system)
    assert kpis["all"]["visits_per_day"] == pytest.approx(1.5, abs=6 / ((6000.0 - 500.0) / 8.0))
    assert "pm_visits_per_day" not in kpis["all"]
    assert estimate(system).get("wait_h") is None  # planned work: no queueing formula


@pytest.mark.parametrize(
    ("case", "shown"),
    [("scenarios/preventive_maintenance.toml", True), ("scenarios/validation/pm_age_renewal.toml", False)],
)
def test_the_report_draws_the_interval_trade_off_only_for_a_sweep_of_the_interval(tmp_path, case, shown):
    """The sweep scenario's report has the maintenance section (simulated points beside the
    renewal-reward curve); a run whose points share one interval has none."""
    from sim.cli import main

    sweep = [] if not shown else ["--set", 'sweep={"work.maintenance.every_h" = [150.0, 600.0]}']
    argv = ["run", case, "--set", "run.horizon_h=1500", "--set", "run.warmup_h=300", "--replications", "2"]
    assert main([*argv, *sweep, "--backend", "serial", "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    html = (run / "report.html").read_text(encoding="utf-8")
    assert ("maintenance-breakdowns_per_day" in html) is shown
    assert ("age replacement (renewal-reward), approximate" in html) is shown
    # the priced plan (c_p 50, c_f 300): its cost rate beside the curve, with T* in range
    assert ("maintenance-pm_cost_per_day" in html) is shown
    assert ("optimal interval T*" in html) is shown


def test_staffing_changes_no_visits_due_time_or_needs() -> None:
    """Common random numbers: each key-customer visit comes due at the same instant with the
    same on-site time whatever the staffing (its draws are keyed by territory and customer),
    and so do the Poisson breakdowns beside them."""
    base = {"fleet": {"calls_per_h": 0.2}, "work": {"visits": VISITS}}
    runs = []
    for technicians in (1, 2):
        recorder, _ = run(system_of({**base, "territories.technicians": technicians}), keep_calls=True)
        runs.append({(c.service_class, c.logged_at): c.repair_h for c in recorder.calls})
    one, two = runs
    common = one.keys() & two.keys()
    assert len(common) > 0.95 * min(len(one), len(two)) > 1000
    assert all(one[k] == two[k] for k in common)


def test_the_work_estimate_counts_the_planned_jobs() -> None:
    """20 machines maintained every 90 h of operation add at most 20 / 90 jobs an hour to
    the breakdowns' 20 / 150 (the bound of sim.bounds, which the progress bar shares)."""
    from sim.bounds import calls_per_h, planned_per_h

    system = system_of()
    assert planned_per_h(system) == pytest.approx(20 / 90.0)
    assert calls_per_h(system) == pytest.approx(20 / 150.0)
    assert planned_per_h(system_of(drop=("work.maintenance",))) == 0.0
