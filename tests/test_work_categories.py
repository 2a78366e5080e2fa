"""Technician hours by the service report's category (``[work.categories]``, issue 14):
A paid, B contract, C warranty, D internal work and other, as shares of paid time.

The shares are the busy time by row regrouped, plus the internal tasks in D, so they
add up to ``utilization + internal_share`` in every replication (shifts, trips and the
life cycle's status classes included), each row's share is the job types' ``hours_share``
where that is measured, the block sums merge, nothing changes without the section, and
the refusals name their key.  The statistical check of the exact formula (offered load
by category) is the validation case ``work_categories``.
"""

from __future__ import annotations

import pytest
from block_merge import whole_and_merged
from scenario_data import toml_data, variant

from sim.analytic import estimate
from sim.config import ScenarioError, expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.experiment.tables import kpi_names
from sim.system import ServiceSystem

CATS = ("hours_a_share", "hours_b_share", "hours_c_share", "hours_d_share")

#: a fleet with contract status, installations as a job, internal work, shifts and trips
LIFE = toml_data(
    """
    [meta]
    name = "categories"
    [run]
    horizon_h = 3000.0
    warmup_h = 200.0
    replications = 3
    seed = 5
    [calendar]
    shifts = [{ days = ["mon", "tue", "wed", "thu", "fri"], start = "08:00", end = "17:00" }]
    wip = "overtime"
    [fleet]
    machines = 60
    time_to_failure_h = { dist = "exponential", mean = 150.0 }
    [[fleet.classes]]
    name = "warranty"
    [[fleet.classes]]
    name = "contract"
    [[fleet.classes]]
    name = "paid"
    [fleet.lifecycle]
    life_h = { dist = "gamma", mean = 900.0, cv = 0.5 }
    warranty_h = 200.0
    contract_share = 0.5
    warranty_class = "warranty"
    contract_class = "contract"
    paid_class = "paid"
    [fleet.lifecycle.installation]
    duration_h = { dist = "gamma", mean = 2.0, cv = 0.4 }
    [territories]
    count = 2
    technicians = 1
    [travel]
    time_h = { dist = "exponential", mean = 0.4 }
    [repair]
    time_h = { dist = "exponential", mean = 1.0 }
    [work.internal]
    mode = "when_idle"
    task_h = { dist = "gamma", mean = 1.0, cv = 0.5 }
    [work.categories]
    installation = "D"
    """
)

#: Poisson breakdowns in two classes and a job type: every row has its hours_share
TYPES = toml_data(
    """
    [meta]
    name = "categories-types"
    [run]
    horizon_h = 3000.0
    warmup_h = 100.0
    replications = 2
    seed = 9
    [fleet]
    calls_per_h = 0.3
    [[fleet.classes]]
    name = "paid"
    share = 0.4
    [[fleet.classes]]
    name = "contract"
    share = 0.6
    [travel]
    time_h = { dist = "exponential", mean = 0.5 }
    [repair]
    time_h = { dist = "exponential", mean = 1.0 }
    [[work.types]]
    name = "commissioning"
    jobs_per_day = 1.0
    duration_h = { dist = "gamma", mean = 1.5, cv = 0.5 }
    [work.categories]
    paid = "A"
    contract = "B"
    commissioning = "C"
    """
)


def _overall(data: dict) -> list[dict[str, float]]:
    sc = validate_scenario(data, "<categories>")
    exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False)
    assert not exp.failures, exp.failures
    reps = exp.replications
    return reps.to_dict("records")


def test_the_shares_add_up_to_the_busy_and_internal_time():
    """A + B + C + D = utilization + internal_share in each replication, with shifts,
    trips, installation jobs and internal work; each category took time."""
    rows = [r for r in _overall(LIFE) if r["class"] == "all"]
    assert len(rows) == 3
    for r in rows:
        total = sum(r[k] for k in CATS)
        assert total == pytest.approx(r["utilization"] + r["internal_share"], rel=1e-9)
        assert all(r[k] > 0.01 for k in CATS), r
        # D holds the internal tasks and the installation jobs
        assert r["hours_d_share"] > r["internal_share"]


def test_each_category_is_its_rows_hours():
    """With job types the rows' hours_share is measured: each category is its rows' sum."""
    records = _overall(TYPES)
    for rep in {r["replication"] for r in records}:
        by = {r["class"]: r for r in records if r["replication"] == rep}
        assert by["all"]["hours_a_share"] == pytest.approx(by["paid"]["hours_share"], rel=1e-12)
        assert by["all"]["hours_b_share"] == pytest.approx(by["contract"]["hours_share"], rel=1e-12)
        assert by["all"]["hours_c_share"] == pytest.approx(by["commissioning"]["hours_share"], rel=1e-12)
        assert by["all"]["hours_d_share"] == 0.0


def test_blocks_merge_to_the_whole():
    """The category levels merge through the task-file records like the other levels."""
    system = ServiceSystem.from_scenario(validate_scenario(LIFE, "<categories>"))
    whole, merged, end = whole_and_merged(system, 2)
    for kpi in CATS:
        assert merged.kpis(end)["all"][kpi] == pytest.approx(whole.kpis(end)["all"][kpi], rel=1e-9)


def test_off_without_the_section():
    """Without [work.categories] no column is added (the other tables stay as they were)."""
    for data in (variant(LIFE, drop=["work.categories"]), variant(TYPES, drop=["work.categories"])):
        system = ServiceSystem.from_scenario(validate_scenario(data, "<off>"))
        assert system.categories is None
        assert not set(CATS) & set(kpi_names(system))
    system = ServiceSystem.from_scenario(validate_scenario(TYPES, "<on>"))
    assert system.categories == (0, 1, 2)
    assert set(CATS) <= set(kpi_names(system))


def test_the_lifecycle_statuses_have_their_categories():
    system = ServiceSystem.from_scenario(validate_scenario(LIFE, "<life>"))
    # rows: warranty, contract, paid, installation
    assert system.categories == (2, 1, 0, 3)


@pytest.mark.parametrize(
    ("data", "changes", "key", "words"),
    [
        (TYPES, {"work.categories.visits": "D"}, "work.categories.visits", "not a row"),
        (TYPES, {"work.categories.paid": "E"}, "work.categories.paid", ""),
        (LIFE, {"work.categories.warranty": "A"}, "work.categories.warranty", "by definition"),
    ],
)
def test_bad_categories_are_refused(data, changes, key, words):
    with pytest.raises(ScenarioError) as err:
        validate_scenario(variant(data, changes), "<bad>")
    assert key in str(err.value) and words in str(err.value)


def test_a_row_without_category_is_refused():
    with pytest.raises(ScenarioError) as err:
        validate_scenario(variant(TYPES, drop=["work.categories.commissioning"]), "<bad>")
    assert "work.categories" in str(err.value) and "'commissioning' has no category" in str(err.value)


def test_the_estimate_sums_the_offered_load():
    """Poisson classes and a job type: A, B, C are the rows' loads rate x E[S] / s, exact;
    with a finite fleet and installation jobs no row's hours are given: a note, no value."""
    system = ServiceSystem.from_scenario(validate_scenario(TYPES, "<est>"))
    est = {e.kpi: e for e in estimate(system).primary if e.service_class == "all"}
    lam, trip, repair = 0.3, 0.5, 1.0
    assert est["hours_a_share"].value == pytest.approx(0.4 * lam * (trip + repair))
    assert est["hours_b_share"].value == pytest.approx(0.6 * lam * (trip + repair))
    assert est["hours_c_share"].value == pytest.approx(1.0 / 8.0 * (trip + 1.5))
    assert est["hours_d_share"].value == 0.0
    assert all(est[k].exact for k in CATS)
    life = estimate(ServiceSystem.from_scenario(validate_scenario(LIFE, "<est>")))
    assert life.get("hours_a_share") is None
    assert any("hours by category" in n for n in life.notes)
