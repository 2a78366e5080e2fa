"""Every "exact" the analytic column prints is true, and no exact answer is labelled approximate.

Issue 12's defects, one test each (the statistical evidence is in the validation cases
``parts_palm_shifts``, ``trips_from_base``, ``finite_insensitive`` and
``parts_no_van_stock``); these tests pin the labels and values without simulating.
"""

from __future__ import annotations

from typing import Any

import pytest
from scenario_data import toml_data, variant

from sim.analytic import base_stock, estimate, finite_source, finite_source_wait_tail, mg1
from sim.system import ServiceSystem

POISSON_PARTS = toml_data("""
[fleet]
calls_per_h = 0.1

[repair]
time_h = { dist = "exponential", mean = 1.0 }

[parts]
shortage = "wait"
reservation = true
use_depot = false
supplier_lead_time_h = { dist = "gamma", mean = 20.0, cv = 0.5 }

[[parts.types]]
name = "kit"
p_need = 0.8
van = { S = 2 }
""")

WEEKDAYS_8_TO_17 = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}
SHIFTS = {"calendar.shifts": [WEEKDAYS_8_TO_17]}


def parts(shortage: str = "wait", reservation: bool = True, stock: int = 2, **changes: Any) -> dict[str, Any]:
    keys = {"parts.shortage": shortage, "parts.reservation": reservation, "parts.types.0.van.S": stock}
    return variant(POISSON_PARTS, keys | changes)


# (a) parts under a shift calendar ---------------------------------------------------


def test_parts_under_shifts_use_the_clock_demand_rate_and_stay_exact(make_scenario):
    """Breakdowns and deliveries run around the clock: the van sees Poisson demand at
    0.1 x 0.8 per clock hour, and Palm's theorem holds at that rate."""
    est = estimate(ServiceSystem.from_scenario(make_scenario(parts(**SHIFTS))))
    palm = base_stock(0.1 * 0.8, 20.0, 2)
    fill = est.get("fill_rate_van")
    assert fill.value == pytest.approx(palm.fill_rate, rel=1e-12)
    assert fill.exact
    assert est.get("van_backorders").value == pytest.approx(palm.expected_backorders, rel=1e-12)
    # calls per working day: the clock rate times a working day of the calendar (168 h / 5)
    assert est.get("calls_per_day").value == pytest.approx(0.1 * 168.0 / 5, rel=1e-12)
    # the queueing figures assume a continuous clock: approximate under shifts
    assert not est.get("wait_h").exact


def test_breakdowns_in_customer_hours_make_every_formula_approximate(make_scenario):
    """A call rate that varies over the week is not the steady Poisson stream the formulas
    take, with or without shifts."""
    hours = {"calendar": {"breakdowns": "customer_hours", "customer_hours": [WEEKDAYS_8_TO_17]}}
    est = estimate(ServiceSystem.from_scenario(make_scenario(parts(**hours))))
    assert est.primary
    # (first-time fix = 1 - p_other holds call by call, whatever the clock)
    wrong = [e for e in est.all if e.exact and e.kpi != "first_time_fix"]
    assert not wrong, wrong
    # the mean demand is the clock average: 45 open hours a week
    assert est.get("calls_per_day").value == pytest.approx(0.1 * 45 / 168 * 8.0, rel=1e-12)


# (b) return to base -----------------------------------------------------------------

RETURN = """
[fleet]
calls_per_h = 0.25

[territories]
width_km = 10.0
height_km = 10.0

[travel]
mode = "geometry"
speed_kmh = 30.0
metric = "rectilinear"
return_to_base = true

[repair]
time_h = { dist = "exponential", mean = 1.5 }
"""


def test_restore_time_ends_with_the_repair_not_the_drive_back(make_scenario):
    """Rectilinear trips from the centre of a 10 km square: 5 km = 1/6 h each way. The
    technician is busy for both legs (the wait), the machine only until the repair ends."""
    est = estimate(ServiceSystem.from_scenario(make_scenario(RETURN)))
    leg = 5.0 / 30.0
    wq = est.get("wait_h").value
    # the wait is Pollaczek-Khinchine with both legs in the service time
    both_legs_var = 4 * ((100 / 12 + 100 / 12 + 2 * 2.5 * 2.5) - 25.0) / 900.0  # (2 D / v)
    es = 2 * leg + 1.5
    assert wq == pytest.approx(mg1(0.25, es, both_legs_var + 1.5**2).wq, rel=1e-9)
    restore = est.get("restore_h")
    assert restore.value == pytest.approx(wq + leg + 1.5, rel=1e-12)
    assert restore.exact
    down = est.get("machines_down")
    assert down.value == pytest.approx(0.25 * (wq + leg + 1.5), rel=1e-12)


# (c) parts waits and revisits -------------------------------------------------------


@pytest.mark.parametrize("shortage", ["revisit", "wait"])
def test_parts_waits_and_revisits_leave_no_queueing_kpi_exact(make_scenario, shortage):
    """M/M/1 without parts is exact for every queueing KPI, tails and travel share included;
    with shortages that change the service process none of them is."""
    raw = parts(shortage, reservation=False, **{"travel.time_h": {"dist": "deterministic", "value": 0.0}})
    base = estimate(ServiceSystem.from_scenario(make_scenario(variant(raw, drop=["parts"]))))
    assert base.get("p_wait_gt_2h").exact and base.get("travel_share").exact
    est = estimate(ServiceSystem.from_scenario(make_scenario(raw)))
    queue = {e.kpi for e in base.primary}
    wrong = [e for e in est.primary if e.kpi in queue and e.exact]
    assert not wrong, wrong


# (d) insensitivity of the machine-interference model --------------------------------

FINITE = toml_data("""
[fleet]
machines = 12
time_to_failure_h = { dist = "exponential", mean = 12.0 }

[territories]
technicians = 2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[report]
wait_thresholds_h = [1.0]
""")


@pytest.mark.parametrize(
    "life",
    [
        {"dist": "weibull", "mean": 12.0, "shape": 2.0},
        {"dist": "deterministic", "value": 12.0},
        {"dist": "lognormal", "mean": 12.0, "cv": 0.5},
    ],
    ids=["weibull", "deterministic", "lognormal"],
)
def test_mms_n_is_exact_for_any_life_law_with_exponential_repairs(make_scenario, life):
    """G/M/s//N insensitivity (Bunday & Scraton 1980): the M/M/2//12 values, labelled exact."""
    est = estimate(
        ServiceSystem.from_scenario(make_scenario(variant(FINITE, {"fleet.time_to_failure_h": life})))
    )
    ref = finite_source(12, 1 / 12.0, 0.5, 2)
    expected = {
        "machines_down": ref.l,
        "wait_h": ref.wq,
        "restore_h": ref.w,
        "p_wait": ref.p_wait,
        "p_wait_gt_1h": finite_source_wait_tail(ref, 0.5, 1.0),
        "calls_per_day": ref.arrival_rate * 8.0,
    }
    for kpi, value in expected.items():
        e = est.get(kpi)
        assert e.exact, kpi
        assert e.value == pytest.approx(value, rel=1e-12), kpi


def test_non_exponential_repairs_with_several_technicians_stay_approximate(make_scenario):
    raw = variant(FINITE, {"repair.time_h": {"dist": "gamma", "mean": 2.0, "cv": 0.5}})
    est = estimate(ServiceSystem.from_scenario(make_scenario(raw)))
    assert not est.get("wait_h").exact


# (e) exact parts values that were labelled approximate ------------------------------


def test_a_van_without_stock_is_exact_whatever_the_demand(make_scenario):
    """S = 0: nothing filled from the shelf, nothing on it, the pipeline is all backorders,
    and a needed part is always missing on the first visit."""
    est = estimate(ServiceSystem.from_scenario(make_scenario(parts("revisit", reservation=False, stock=0))))
    assert est.get("fill_rate_van").exact and est.get("fill_rate_van").value == 0.0
    assert est.get("van_on_hand").exact and est.get("van_on_hand").value == 0.0
    ebo = est.get("van_backorders")
    assert ebo.exact and ebo.value == pytest.approx(0.1 * 0.8 * 20.0, rel=1e-12)
    ftf = est.get("first_time_fix")
    assert ftf.exact and ftf.value == pytest.approx(0.2, rel=1e-12)


def test_van_stock_without_reservation_keeps_palm_approximate(make_scenario):
    """Control: with stock on the van and the units taken on site, demand is not Poisson."""
    est = estimate(ServiceSystem.from_scenario(make_scenario(parts("revisit", reservation=False, stock=2))))
    assert not est.get("fill_rate_van").exact
    assert not est.get("first_time_fix").exact


@pytest.mark.parametrize("shortage", ["wait", "emergency"])
def test_first_time_fix_is_exact_when_shortages_are_waited_out(make_scenario, shortage):
    """The technician stays on site until the part comes: only other causes fail a visit."""
    raw = parts(shortage, reservation=False, **{"parts.p_other_failure": 0.15})
    ftf = estimate(ServiceSystem.from_scenario(make_scenario(raw))).get("first_time_fix")
    assert ftf.exact and ftf.value == pytest.approx(0.85, rel=1e-12)
