"""Job types besides breakdown repairs (``[[work.types]]``, issue 14).

A service organisation's technicians install machines and visit customers as well as
repair breakdowns.  These stories follow such jobs from the scenario file to the
tables: they arrive as Poisson streams of their own, take their own on-site time, wait
in the same line as the breakdowns (at their own priority), put no machine down, and
each type is a row of the tables with its volume, technician hours and money.  The
exact mean waits are checked by the validation case ``mg1_job_types``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from sim.analytic import estimate
from sim.analytic.mixed import service_mixture
from sim.config import expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.model.build import build, simulate
from sim.model.calls import Call, Job
from sim.monitors import monitors_for
from sim.monitors.calls import CallTally
from sim.monitors.tally import Tally
from sim.system import ServiceSystem
from tests.scenario_data import variant

INSTALLATION = {
    "name": "installation",
    "jobs_per_day": 1.2,
    "duration_h": {"dist": "gamma", "mean": 1.5, "cv": 0.5},
    "priority": 2,
    "target_h": 8.0,
    "revenue": 300.0,
    "cost": 40.0,
    "travel": False,
}
VISIT = {
    "name": "visit",
    "jobs_per_day": 1.6,
    "duration_h": {"dist": "deterministic", "value": 0.5},
    "priority": 3,
}
BASE: dict[str, Any] = {
    "meta": {"name": "job-types"},
    "run": {"horizon_h": 4000.0, "warmup_h": 200.0, "replications": 2, "seed": 5},
    "fleet": {"calls_per_h": 0.2, "classes": [{"name": "repair", "share": 1.0, "priority": 1}]},
    "travel": {"time_h": {"dist": "exponential", "mean": 0.25}},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "work": {"types": [INSTALLATION, VISIT]},
}


def _system(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<test>"))


def _run(changes: dict[str, Any] | None = None) -> pd.DataFrame:
    sc = validate_scenario(variant(BASE, changes), "<test>")
    exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False)
    assert not exp.failures, exp.failures
    reps: pd.DataFrame = exp.replications
    return reps


class _Logged(Tally):
    """Every call logged before ``until``: (kind, territory, when, on-site time, trip)."""

    name = "logged_calls"

    def __init__(self, until: float) -> None:
        super().__init__()
        self.until = until
        self.calls: list[tuple[int, int, float, float, float]] = []

    def handles(self) -> dict[str, Any]:
        return {"logged": self.logged}

    def logged(self, call: Any, now: float) -> None:
        if now < self.until:
            self.calls.append((call.job_type, call.territory, now, call.repair_h, call.travel_h))


def _calls_logged(system: ServiceSystem, replication: int = 0) -> list[tuple[int, int, float, float, float]]:
    end = float(system.run.warmup_h) + system.run.horizon_h
    log = _Logged(end)
    territories = range(system.territories.count)
    simulate(system, replication, monitors_for(system, system.technicians, territories, extra=[log]))
    return log.calls


# ---------------------------------------------------------------------------
# From the scenario to the system and the model


def test_the_system_holds_each_type_with_its_rate_per_hour_and_built_duration():
    system = _system()
    installation, visit = system.work_types
    assert installation.jobs_per_h == pytest.approx(1.2 / 8.0)  # an 8-h working day
    assert installation.duration.mean == pytest.approx(1.5)
    assert (installation.priority, installation.target_h, installation.travel) == (2, 8.0, False)
    assert (visit.revenue, visit.cost, visit.target_h, visit.travel) == (0.0, 0.0, None, True)
    assert system.row_names == ("repair", "installation", "visit")


def test_a_scenario_without_job_types_builds_nothing_for_them():
    """No job streams, the plain call tally, no hours tally, and breakdown calls carry
    their kind as a class attribute (no field set per call)."""
    system = _system(drop=("work",))
    import simpy

    model = build(simpy.Environment(), system, 0, monitors_for(system, 1, range(1)))
    assert model.jobs is None
    monitors = monitors_for(system, 1, range(1))
    assert type(monitors["calls"]) is CallTally
    assert "hours" not in monitors.by_name
    assert "job_type" not in Call.__slots__ and Call.job_type == 0
    assert "job_type" in Job.__slots__


# ---------------------------------------------------------------------------
# Common random numbers


def test_changing_staffing_leaves_every_job_and_every_breakdown_unchanged():
    """One or three technicians: the same jobs arrive at the same instants with the same
    needs, and so do the breakdowns (Poisson calls)."""
    one = _calls_logged(_system())
    three = _calls_logged(_system({"territories.technicians": 3}))
    assert one == three
    kinds = {kind for kind, *_ in one}
    assert kinds == {0, 1, 2}


def test_adding_job_types_leaves_the_breakdowns_draws_unchanged():
    """The jobs draw from their own streams: the breakdowns of a scenario are the same
    with and without job types (arrival, repair time, trip)."""
    with_jobs = [c for c in _calls_logged(_system()) if c[0] == 0]
    without = _calls_logged(_system(drop=("work",)))
    assert with_jobs == without


def test_each_types_jobs_are_keyed_by_type_and_territory():
    """Two territories: the first territory's installations are the same whether or not
    a second territory (or a second type) exists."""
    alone = [c for c in _calls_logged(_system({"work.types": [INSTALLATION]})) if c[0] == 1]
    two = _calls_logged(_system({"territories.count": 2}))
    first_territory = [c for c in two if c[0] == 1 and c[1] == 0]
    assert alone == first_territory
    assert any(c[0] == 1 and c[1] == 1 for c in two)


def test_a_finite_fleets_jobs_do_not_depend_on_staffing_either():
    fleet = {"fleet": {"machines": 30, "time_to_failure_h": {"dist": "weibull", "mean": 150.0, "shape": 1.5}}}
    one, two = (_calls_logged(_system({**fleet, "territories.technicians": k})) for k in (1, 2))
    jobs = [[c for c in calls if c[0] > 0] for calls in (one, two)]
    assert jobs[0] == jobs[1] and jobs[0]


# ---------------------------------------------------------------------------
# In the tables


@pytest.fixture(scope="module")
def fifo_rows() -> pd.DataFrame:
    return _run({"run.replications": 3, "run.horizon_h": 8000.0})


def test_each_type_is_a_row_with_its_jobs_hours_and_money(fifo_rows):
    reps = fifo_rows
    assert set(reps["class"]) == {"all", "repair", "installation", "visit"}
    inst = reps[reps["class"] == "installation"]
    # revenue, direct cost and margin are the type's money times its jobs per day
    assert inst["revenue_per_day"].to_numpy() == pytest.approx(300.0 * inst["calls_per_day"].to_numpy())
    assert inst["job_cost_per_day"].to_numpy() == pytest.approx(40.0 * inst["calls_per_day"].to_numpy())
    assert inst["margin_per_day"].to_numpy() == pytest.approx(260.0 * inst["calls_per_day"].to_numpy())
    overall = reps[reps["class"] == "all"].set_index("replication")
    by_type = reps[reps["class"].isin(["installation", "visit"])].groupby("replication")
    assert overall["revenue_per_day"].to_numpy() == pytest.approx(by_type["revenue_per_day"].sum().to_numpy())
    # the technician hours by row add up to the utilisation
    by_row = reps[reps["class"] != "all"].groupby("replication")["hours_share"].sum()
    assert by_row.to_numpy() == pytest.approx(overall["utilization"].to_numpy())
    # a type without a target has no on-time share; one with a target has
    visit = reps[reps["class"] == "visit"]
    assert visit["sla_met"].isna().all()
    assert inst["sla_met"].between(0.0, 1.0).all()


def test_volumes_and_hours_follow_the_arrival_rates(fifo_rows):
    """3 x 8000 h: installations 0.15/h x 1.5 h, visits 0.2/h x (0.25 + 0.5) h."""
    means = fifo_rows.groupby("class")[["calls_per_day", "hours_share"]].mean()
    assert means.loc["installation", "calls_per_day"] == pytest.approx(1.2, rel=0.05)
    assert means.loc["visit", "calls_per_day"] == pytest.approx(1.6, rel=0.05)
    assert means.loc["installation", "hours_share"] == pytest.approx(0.15 * 1.5, rel=0.06)
    assert means.loc["visit", "hours_share"] == pytest.approx(0.2 * 0.75, rel=0.06)


def test_a_type_without_travel_is_on_site_at_the_dispatch(fifo_rows):
    rows = fifo_rows.set_index(["replication", "class"])
    inst = rows.xs("installation", level="class")
    assert inst["response_h"].to_numpy() == pytest.approx(inst["wait_h"].to_numpy())
    repair = rows.xs("repair", level="class")
    assert (repair["response_h"] > repair["wait_h"] + 0.1).all()


def test_jobs_put_no_machine_down(fifo_rows):
    """machines_down counts breakdowns only: Little's law on the breakdowns' restore
    time, far below what counting every job's time would give."""
    reps = fifo_rows
    down = reps.loc[reps["class"] == "all", "machines_down"].mean()
    restore = reps.loc[reps["class"] == "repair", "restore_h"].mean()
    assert down == pytest.approx(0.2 * restore, rel=0.08)
    everything = reps.loc[reps["class"] == "all"]
    assert down < 0.7 * (everything["calls_logged_per_h"] * everything["restore_h"]).mean()


def test_under_priority_a_type_ranks_with_the_classes_on_one_scale():
    """A type of priority 1 goes before breakdowns of priority 2; visits (3) wait longest."""
    reps = _run(
        {
            "dispatch.policy": "priority",
            "fleet.classes": [{"name": "repair", "share": 1.0, "priority": 2}],
            "work.types": [{**INSTALLATION, "priority": 1}, VISIT],
            "run.horizon_h": 8000.0,
        }
    )
    waits = reps.groupby("class")["wait_h"].mean()
    assert waits["installation"] < waits["repair"] < waits["visit"]


# ---------------------------------------------------------------------------
# The analytic layer


def test_one_technician_fifo_is_the_pollaczek_khinchine_wait_of_the_mixture():
    system = _system()
    est = estimate(system)
    wait = est.get("wait_h")
    assert wait is not None and wait.exact and wait.model == "M/G/1 (mixed types)"
    # by hand: second moments of (trip + on site) per stream, Poisson rates per hour
    lam = [0.2, 0.15, 0.2]
    mean = [0.25 + 1.0, 1.5, 0.25 + 0.5]
    var = [0.25**2 + 1.0, 0.75**2, 0.25**2]
    second = sum(r * (v + m * m) for r, m, v in zip(lam, mean, var, strict=True))
    rho = sum(r * m for r, m in zip(lam, mean, strict=True))
    assert wait.value == pytest.approx(second / (2 * (1 - rho)))
    inst = est.get("response_h", "installation")
    assert inst is not None and inst.value == pytest.approx(wait.value)  # no trip
    assert est.get("hours_share", "visit").value == pytest.approx(0.2 * 0.75)  # type: ignore[union-attr]


def test_several_technicians_are_allen_cunneen_approximate_and_rates_stay_exact():
    system = _system({"territories.technicians": 2})
    est = estimate(system)
    wait, util = est.get("wait_h"), est.get("utilization")
    assert wait is not None and not wait.exact and "Allen-Cunneen" in wait.model
    assert util is not None and util.exact
    rates, means = [0.2, 0.15, 0.2], [1.25, 1.5, 0.75]
    mix = service_mixture(rates, means, [(0.25**2 + 1) / 1.25**2, 0.25, 0.25**2 / 0.75**2])
    assert util.value == pytest.approx(mix.arrival_rate * mix.mean / 2)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"dispatch.policy": "priority", "territories.technicians": 2}, "priority"),
        ({"fleet": {"machines": 30, "time_to_failure_h": {"dist": "exponential", "mean": 150.0}}}, "finite"),
        ({"dispatch.policy": "earliest_due"}, "earliest_due"),
    ],
    ids=["priority-on-two", "finite-fleet", "earliest-due"],
)
def test_no_breakdown_only_formula_is_given_when_the_mixture_does_not_apply(changes, why):
    est = estimate(_system(changes))
    assert est.get("wait_h") is None
    assert any(why in note for note in est.notes), est.notes


def test_money_of_the_formulas_follows_the_rates():
    est = estimate(_system())
    revenue = est.get("revenue_per_day", "installation")
    assert revenue is not None and revenue.value == pytest.approx(300.0 * 1.2)
    margin = est.get("margin_per_day")
    assert margin is not None and margin.value == pytest.approx(260.0 * 1.2)
    assert not math.isnan(est.get("calls_per_day").value)  # type: ignore[union-attr]


# ---------------------------------------------------------------------------
# Large fleets and records


def test_blocks_of_teams_with_job_types_merge_into_the_whole_fleet():
    """A large fleet runs in blocks of teams: the job rows and technician hours of two
    blocks, through their JSON records, add up to those of the whole fleet."""
    from block_merge import whole_and_merged

    system = _system({"territories.count": 2})
    total, merged, end = whole_and_merged(system, system.technicians)
    whole, parts = total.kpis(end), merged.kpis(end)
    for row in ("all", "installation", "visit"):
        for kpi in ("calls_per_day", "wait_h", "hours_share", "queue_len"):
            assert parts[row][kpi] == pytest.approx(whole[row][kpi], rel=1e-12), (row, kpi)
    assert parts["all"]["machines_down"] == pytest.approx(whole["all"]["machines_down"], rel=1e-12)


def test_the_call_records_name_each_jobs_type():
    """``--records``: a job's row names its type where a breakdown's names its class."""
    sc = validate_scenario(variant(BASE, {"run.replications": 1, "run.horizon_h": 500.0}), "<test>")
    exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False, keep_calls=True)
    calls = exp.calls
    assert calls is not None
    assert set(calls["service_class"]) == {"repair", "installation", "visit"}
    # an installation takes no trip (travel = false) and has no machine
    inst = calls[calls["service_class"] == "installation"]
    assert len(inst) > 20
    assert (inst["travel_h"] == 0.0).all() and (inst["machine"] == -1).all()
    assert (calls.loc[calls["service_class"] == "visit", "travel_h"] > 0.0).any()


def test_a_run_with_job_types_writes_its_report(tmp_path):
    """From the command line: the validation case, short, writes tables and a report that
    shows the job types (whose money rows the breakdown class lacks)."""
    from sim.cli import main

    case = "scenarios/validation/mg1_job_types.toml"
    argv = ["run", case, "--set", "run.horizon_h=1500", "--replications", "2", "--backend", "serial"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    summary = pd.read_csv(run / "summary.csv")
    assert {"installation", "visit"} <= set(summary["class"])
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "installation" in html and "visit" in html


def test_serial_and_process_runs_give_the_same_tables():
    """Every job's draws come from its own named stream, so the backend and the number of
    workers change no bit."""
    sc = validate_scenario(variant(BASE, {"run.horizon_h": 1000.0, "territories.count": 2}), "<test>")
    points = expand_sweep(sc)
    serial = run_experiment(sc, points, backend="serial", progress=False).replications
    parallel = run_experiment(sc, points, backend="process", workers=2, progress=False).replications
    pd.testing.assert_frame_equal(serial, parallel)
    assert {"installation", "visit"} <= set(serial["class"])


def test_a_types_target_counts_business_hours_under_the_business_clock():
    """Mon-Fri 08:00-17:00 and sla_clock = "business": an installation logged on Friday at
    16:00 with an 8-h target is due on Monday at 15:00 (1 h on Friday, 7 on Monday)."""
    import simpy

    shifts = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]
    system = _system({"calendar": {"shifts": shifts, "sla_clock": "business"}})
    model = build(simpy.Environment(), system, 0, monitors_for(system, 1, range(1)))
    deadline = model.teams[0].deadline
    assert deadline is not None
    friday_16h = 4 * 24.0 + 16.0
    job = Job(0, 0, 0, 1, 1, 0.0, 1.5, friday_16h)  # row 1: the installation
    assert deadline(job) == pytest.approx(7 * 24.0 + 15.0)
    visit = Job(1, 0, 0, 2, 2, 0.0, 0.5, friday_16h)  # no target
    assert deadline(visit) == math.inf
