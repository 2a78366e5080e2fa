"""All the work of a service organisation together (issue 14): the life cycle (contract
status, replacements, installation jobs) with preventive maintenance and key-customer
visits, and ``scenarios/service_organisation.toml`` that brings them together.

A replacement restarts its machine's plan (``MaintenancePlan.replaced``): with lives of
exactly 100 h, a plan every 60 h of operation and nobody waiting, every life has exactly
one planned visit, so visits and installations come at the same rate (without the restart
a plan would run on at one visit per 61 h).  The plan leaves the machines' lives and
statuses alone (common random numbers), and the tallies keep the installation jobs out of
the breakdowns (machines down, breakdowns per day) when planned work is in the table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import simpy
from scenario_data import toml_data, variant

from sim.cli import main
from sim.config import expand_sweep, load_scenario, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.model import simulate
from sim.model.build import build
from sim.model.planned import PlannedLifecycleFleet
from sim.monitors import monitors_for
from sim.monitors.planned import PlannedTally
from sim.monitors.work import WorkCallTally
from sim.system import ServiceSystem

ROOT = Path(__file__).resolve().parents[1]

#: machines that never break down (a mean life of 10^7 h) but are replaced every 100 h
LIFE = toml_data(
    """
    [meta]
    name = "lifecycle-maintenance"
    [run]
    horizon_h = 5000.0
    warmup_h = 300.0
    replications = 1
    seed = 17
    [fleet]
    machines = 20
    time_to_failure_h = { dist = "exponential", mean = 10000000.0 }
    [[fleet.classes]]
    name = "warranty"
    [[fleet.classes]]
    name = "contract"
    [[fleet.classes]]
    name = "paid"
    [fleet.lifecycle]
    life_h = { dist = "deterministic", value = 100.0 }
    warranty_h = 30.0
    contract_share = 0.5
    warranty_class = "warranty"
    contract_class = "contract"
    paid_class = "paid"
    [territories]
    technicians = 25
    [repair]
    time_h = { dist = "exponential", mean = 1.0 }
    [work.maintenance]
    every_h = 60.0
    window_h = 10.0
    duration_h = { dist = "deterministic", value = 1.0 }
    travel = false
    """
)


def _all_row(data: dict) -> dict[str, float]:
    sc = validate_scenario(data, "<org>")
    exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False)
    assert not exp.failures, exp.failures
    reps = exp.replications
    return reps[reps["class"] == "all"].iloc[0].to_dict()


def test_a_replacement_restarts_the_plan():
    """One planned visit per 100-h life: visits per day = installations per day (to the
    few lives cut by the window's ends), not 100 / 61 of them."""
    row = _all_row(LIFE)
    installs, visits = row["installations_per_day"], row["pm_visits_per_day"]
    assert installs == pytest.approx(20 / 100.0 * 8.0, rel=0.02)  # N / life x 8 h a day
    assert visits == pytest.approx(installs, rel=0.03)
    assert row["breakdowns_per_day"] == 0.0
    assert row["pm_in_window"] == 1.0


def test_the_plan_leaves_the_lives_and_statuses_alone():
    """The same seed with and without the plan: the same replacements and warranty hours,
    the plan's fleet class built only with the plan."""
    data = variant(LIFE, {"fleet.time_to_failure_h.mean": 200.0})
    with_plan = _all_row(data)
    without = _all_row(variant(data, drop=["work.maintenance"]))
    for kpi in ("installations_per_day", "warranty_machine_share"):
        assert with_plan[kpi] == without[kpi]
    system = ServiceSystem.from_scenario(validate_scenario(data, "<org>"))
    monitors = monitors_for(system, 25, range(1))
    model_fleet = _fleet_of(system, monitors)
    assert isinstance(model_fleet, PlannedLifecycleFleet)


def _fleet_of(system: ServiceSystem, monitors) -> object:
    return build(simpy.Environment(), system, 0, monitors).source


def test_installation_jobs_are_no_breakdowns_beside_planned_work():
    """With installation jobs and planned work the call tally counts machines down for the
    classes' rows only, and the plan's tally counts only them as breakdowns."""
    data = variant(
        LIFE,
        {
            "fleet.lifecycle.installation": {"duration_h": {"dist": "deterministic", "value": 2.0}},
            "work.visits": {
                "customers": 2,
                "every_days": 5.0,
                "window_h": 8.0,
                "duration_h": {"dist": "deterministic", "value": 1.0},
            },
        },
    )
    system = ServiceSystem.from_scenario(validate_scenario(data, "<org>"))
    assert system.row_names == ("warranty", "contract", "paid", "installation", "maintenance", "visits")
    monitors = monitors_for(system, 25, range(1))
    calls = next(t for t in monitors.tallies if isinstance(t, WorkCallTally))
    planned = next(t for t in monitors.tallies if isinstance(t, PlannedTally))
    assert calls.breakdown_rows == 3 and planned.breakdown_rows == 3
    end = simulate(system, 0, monitors)
    row = monitors.kpis(end)["all"]
    # machines never break down: none is down, though installation jobs come and go
    assert row["machines_down"] == 0.0 and row["breakdowns_per_day"] == 0.0
    assert monitors.kpis(end)["installation"]["calls_per_day"] > 0


def test_the_service_organisation_scenario_runs(tmp_path):
    """The shipped scenario, short, from the command line: every kind of work takes
    technician time, the hours by category add up, and the report has the work mix."""
    path = ROOT / "scenarios" / "service_organisation.toml"
    system = ServiceSystem.from_scenario(load_scenario(path))
    assert system.lifecycle is not None and system.lifecycle.installation is not None
    assert system.maintenance is not None and system.visits is not None and system.internal is not None
    # rows: contract, warranty, paid, installation, maintenance, visits
    assert system.categories == (1, 2, 0, 2, 1, 3)
    args = ["run", str(path), "--backend", "serial", "--quiet", "--out", str(tmp_path)]
    args += ["--set", "run.horizon_h=3000", "--set", "run.warmup_h=500", "--replications", "2"]
    assert main(args) == 0
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    reps = pd.read_parquet(run / "replications.parquet")
    for r in reps[reps["class"] == "all"].to_dict("records"):
        total = sum(r[k] for k in ("hours_a_share", "hours_b_share", "hours_c_share", "hours_d_share"))
        assert total == pytest.approx(r["utilization"] + r["internal_share"], rel=1e-9)
        assert min(r["pm_visits_per_day"], r["visits_per_day"], r["installations_per_day"]) > 0
    hours = reps.groupby("class")["hours_share"].mean()
    assert all(hours[row] > 0 for row in system.row_names)
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "<section id='workmix'" in html and "hours by category" in html


def test_staffing_leaves_every_breakdown_installation_and_visit_unchanged():
    """Common random numbers on the whole organisation: with two or three technicians per
    territory, every breakdown that happens in both runs happens at the same instant to the
    same machine, in the same class (its status), with the same repair time; every
    installation job and every key-customer visit comes at the same instant with the same
    on-site time.  (Staffing does change which breakdown candidates find their machine
    working, and when a maintained machine is next due: age-based plans restart at each
    renewal.)"""
    base = load_scenario(ROOT / "scenarios" / "service_organisation.toml")
    runs = []
    for technicians in (2, 3):
        sc = validate_scenario(
            {
                **base.model_dump(mode="json", exclude_none=True, exclude={"variants"}),
                "run": {"horizon_h": 4000.0, "warmup_h": 0.0, "replications": 1, "seed": 5},
                "territories": {"count": 3, "technicians": technicians},
            },
            "<org>",
        )
        system = ServiceSystem.from_scenario(sc)
        recorder = monitors_for(system, system.technicians, range(system.territories.count), True)
        simulate(system, 0, recorder)
        runs.append((system, recorder.calls))
    (system, two), (_, three) = runs
    rows = system.row_names
    breakdown_rows = {rows.index(c.name) for c in system.classes}

    def keyed(calls, kinds):
        return {
            (c.service_class, c.territory, c.failed_at): (c.machine, c.repair_h)
            for c in calls
            if c.service_class in kinds
        }

    a, b = keyed(two, breakdown_rows), keyed(three, breakdown_rows)
    common = a.keys() & b.keys()
    assert len(common) > 0.9 * min(len(a), len(b)) > 1000
    assert all(a[k] == b[k] for k in common)
    for row in ("installation", "visits"):
        kind = {rows.index(row)}
        a, b = keyed(two, kind), keyed(three, kind)
        assert len(a) > 20 and a == b, row
