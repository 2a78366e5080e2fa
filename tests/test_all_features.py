"""Every feature at once: the backends still agree to the last bit, Little's law still holds.

A small sweep (2 variants x 2 staffing levels x 2 replications) turns everything on:
two service classes with SLAs (business-hours clock) and penalties, a finite Weibull
fleet, pooled geometry (rectilinear, circuity, trip noise, no return to base),
preference and nearest dispatch with every decision recorded, Mon-Fri shifts (resume
and overtime), two part types (one with a quantity distribution) with van stock, an
(s, S) depot, revisits and other causes of failed visits, and costs.  Its replications
table is bit-identical on the serial, process (2 workers) and dask (2-worker
LocalCluster) backends.
"""

from __future__ import annotations

import pandas as pd
import pytest
from scenario_data import toml_data, variant

from sim.config import Scenario, expand_sweep, validate_scenario
from sim.experiment.experiment import Experiment, run_experiment

ALL_FEATURES = toml_data("""
[meta]
name = "all-features"

[run]
horizon_h = 1500.0
warmup_h = 200.0
replications = 2
seed = 97

[calendar]
shifts = [{ days = ["mon", "tue", "wed", "thu", "fri"], start = "08:00", end = "17:00" }]
wip = "resume"
sla_clock = "business"

[fleet]
machines = 40
time_to_failure_h = { dist = "weibull", mean = 300.0, shape = 1.5 }

[[fleet.classes]]
name = "contract"
share = 0.3
priority = 1
sla_h = 4.0
penalty = 150.0

[[fleet.classes]]
name = "paid"
share = 0.7
priority = 2
sla_h = 16.0

[territories]
count = 4
technicians = 1
pooled = 2
width_km = 15.0
height_km = 10.0

[travel]
mode = "geometry"
metric = "rectilinear"
circuity = 1.2
speed_kmh = 35.0
noise_h = { dist = "uniform", low = 0.05, high = 0.2 }
return_to_base = false

[repair]
time_h = { dist = "lognormal", mean = 1.2, cv = 0.6 }

[dispatch]
policy = "preference"
record_decisions = true

[costs]
technician_per_year = 54000.0
added_technician_per_year = 6000.0
travel_per_h = 20.0
sla_penalty = 40.0

[parts]
shortage = "revisit"
p_other_failure = 0.05
supplier_lead_time_h = { dist = "gamma", mean = 48.0, cv = 0.5 }
depot_to_van_h = { dist = "deterministic", value = 16.0 }
emergency_cost = 80.0

[[parts.types]]
name = "fuser"
p_need = 0.25
unit_cost = 120.0
van = { S = 2 }
depot = { policy = "sS", s = 1, S = 4 }

[[parts.types]]
name = "roller"
p_need = 0.15
quantity = { dist = "empirical", values = [1.0, 2.0], weights = [0.7, 0.3] }
unit_cost = 30.0
van = { S = 1 }
depot = { S = 3 }

[[variants]]
name = "preference"

[[variants]]
name = "nearest"
set = { "dispatch.policy" = "nearest", "calendar.wip" = "overtime" }

[sweep]
"territories.technicians" = [1, 2]
""")


def scenario(shortage: str = "revisit", p_other: float = 0.05) -> Scenario:
    raw = variant(ALL_FEATURES, {"parts.shortage": shortage, "parts.p_other_failure": p_other})
    return validate_scenario(raw, "<all features>")


def experiment(sc: Scenario, backend: str, workers: int = 1) -> Experiment:
    exp = run_experiment(sc, expand_sweep(sc), backend=backend, workers=workers, progress=False)
    assert not exp.failures, exp.failures
    return exp


@pytest.fixture(scope="module")
def serial() -> Experiment:
    """The sweep with revisits, run serially: 4 design points x 2 replications."""
    return experiment(scenario(), "serial")


def test_the_sweep_really_uses_every_feature(serial):
    """A net under the comparisons below: every feature left its mark in the table."""
    reps = serial.replications
    assert len(reps) == 4 * 2 * 3  # design points x replications x (all + 2 classes)
    rows = reps[reps["class"] == "all"]
    assert set(rows["variant"]) == {"preference", "nearest"}
    assert (rows["off_territory_share"] > 0).all()  # pooled teams
    assert (rows["trip_km"] > 0).all()  # geometry
    assert (rows["first_time_fix"] < 1).all() and (rows["visits_per_call"] > 1).all()
    assert (rows["fill_rate_depot"] < 1).all()
    assert (rows["cost_per_day"] > 0).all() and (rows["parts_cost_per_day"] > 0).all()
    assert (rows[rows["variant"] == "nearest"]["overtime_h_per_week"] > 0).all()
    assert (rows[rows["variant"] == "preference"]["overtime_h_per_week"] == 0).all()
    classes = reps[reps["class"] != "all"]
    assert set(classes["class"]) == {"contract", "paid"}
    assert (classes["sla_met"] > 0).all()
    contract = classes[classes["class"] == "contract"]["sla_met"]
    assert (contract < 1).all()  # the 4-h promise is broken now and then


def test_process_backend_gives_a_bit_identical_table(serial):
    """Two worker processes: the same replications table, to the last bit."""
    pooled = experiment(serial.scenario, "process", workers=2)
    pd.testing.assert_frame_equal(serial.replications, pooled.replications, check_exact=True)
    pd.testing.assert_frame_equal(serial.summary, pooled.summary, check_exact=True)


def test_dask_backend_gives_a_bit_identical_table(serial):
    """A 2-worker dask LocalCluster: the same replications table, to the last bit."""
    pytest.importorskip("distributed", reason="the dask backend needs dask[distributed]")
    dask = experiment(serial.scenario, "dask", workers=2)
    pd.testing.assert_frame_equal(serial.replications, dask.replications, check_exact=True)


def little_gaps(reps: pd.DataFrame) -> list[tuple[str, str, int, float]]:
    """(design point, class, replication, queue_len / (calls_logged_per_h x wait_h) - 1)."""
    return [
        (r.design_point, r["class"], r.replication, r.queue_len / (r.calls_logged_per_h * r.wait_h) - 1.0)
        for _, r in reps.iterrows()
    ]


def test_littles_law_holds_with_every_feature_on():
    """Time-average calls waiting = calls logged per hour x mean wait, overall and per
    class, on every replication of every design point, within 5 % (edge effects of a
    1,500-h run with nightly queues), here with the ``wait`` shortage rule."""
    exp = experiment(scenario("wait", 0.0), "serial")
    gaps = little_gaps(exp.replications)
    assert len(gaps) == 24
    assert all(abs(gap) < 0.05 for *_, gap in gaps), gaps


def test_littles_law_holds_with_revisits_too(serial):
    """The same check on the sweep with revisits (a missing part, or another cause)."""
    gaps = little_gaps(serial.replications)
    assert all(abs(gap) < 0.05 for *_, gap in gaps), gaps
