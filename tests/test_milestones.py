"""The restored milestone (issue 15): a class promises that the machine works again within
``restore_sla_h`` hours of the breakdown.

The tally is checked call by call against the call records (wall clock, part waits taken
off, business hours), its block sums through the task files, and the estimate's labels
where its formula does not hold.  The exact values against simulation are the validation
cases ``restore_milestone`` (M/M/2) and ``restore_milestone_fleet`` (M/M/2//12, two life
laws).
"""

from __future__ import annotations

import math

import pytest
from block_merge import whole_and_merged
from scenario_data import toml_data, variant

from sim.analytic import estimate
from sim.calendar import WeeklyCalendar
from sim.config import validate_scenario
from sim.monitors.milestones import MilestoneTally, RestorePromises
from sim.system import ServiceSystem

BASE = toml_data("""
[run]
horizon_h = 3000.0
warmup_h = 100.0
seed = 41

[fleet]
calls_per_h = 0.6

[[fleet.classes]]
name = "contract"
share = 0.5
restore_sla_h = 3.0

[[fleet.classes]]
name = "paid"
share = 0.5

[territories]
technicians = 1

[repair]
time_h = { dist = "exponential", mean = 1.0 }
""")

PARTS = {
    "parts": {
        "shortage": "wait",
        "use_depot": False,
        "supplier_lead_time_h": {"dist": "deterministic", "value": 2.0},
        "types": [{"name": "kit", "p_need": 0.5, "van": {"S": 1}}],
    }
}


def _scenario(changes: dict | None = None, drop: tuple[str, ...] = ()):
    return validate_scenario(variant(BASE, changes, drop), "<milestones>")


class _Call:
    """The fields of a call that the tally reads."""

    def __init__(self, service_class: int, failed_at: float, part_wait: float = 0.0) -> None:
        self.service_class = service_class
        self.failed_at = self.logged_at = failed_at
        self.part_wait = part_wait


def test_a_call_restored_within_its_promise_counts_as_met_and_one_after_it_does_not():
    tally = MilestoneTally(["contract", "paid"], RestorePromises([3.0, None], [False, False], [False, False]))
    tally.restored(_Call(0, 10.0), 13.0)  # exactly on time
    tally.restored(_Call(0, 10.0), 13.5)  # late
    tally.restored(_Call(1, 10.0), 99.0)  # no promise: not counted
    rows: dict[str, dict[str, float]] = {"all": {}, "contract": {}, "paid": {}}
    tally.kpis(100.0, rows)
    assert rows["contract"]["restore_met"] == 0.5
    assert rows["all"]["restore_met"] == 0.5
    assert "restore_met" not in rows["paid"]


def test_the_clock_stops_for_part_waits_when_the_class_says_so():
    """Restored 5 h after the breakdown, 2.5 h of which waiting for a part: late on a 3-h
    promise, in time if the part wait does not count."""
    for stops, met in ((False, 0.0), (True, 1.0)):
        tally = MilestoneTally(["contract"], RestorePromises([3.0], [False], [stops]))
        tally.restored(_Call(0, 0.0, part_wait=2.5), 5.0)
        rows: dict[str, dict[str, float]] = {"all": {}, "contract": {}}
        tally.kpis(10.0, rows)
        assert rows["contract"]["restore_met"] == met


def test_the_business_clock_counts_customer_hours_only():
    """Customer hours Mon-Fri 08:00-17:00.  A breakdown Monday 16:00 with a 4-h promise is
    due Tuesday 11:00 (1 h on Monday, 3 on Tuesday): restored at 10:30 it is in time, at
    11:30 late; on the wall clock both would be late."""
    hours = WeeklyCalendar.from_shifts([(("mon", "tue", "wed", "thu", "fri"), "08:00", "17:00")])
    promises = RestorePromises([4.0], [True], [False], hours.add_business_hours)
    tally = MilestoneTally(["contract"], promises)
    tally.restored(_Call(0, 16.0), 24.0 + 10.5)
    tally.restored(_Call(0, 16.0), 24.0 + 11.5)
    rows: dict[str, dict[str, float]] = {"all": {}, "contract": {}}
    tally.kpis(100.0, rows)
    assert rows["contract"]["restore_met"] == 0.5


@pytest.mark.parametrize("stops", [False, True])
def test_restore_met_is_the_share_the_call_records_give(run_one, stops):
    """With spare parts (a van of one kit, 2-h resupply, the technician waits on site) the
    KPI equals the share computed from every finished call's record: restored within 3 h
    of the breakdown, less its part wait when the clock stops for it."""
    changes = {**PARTS, "fleet.classes.0.part_wait_stops_clock": stops}
    recorder, kpis = run_one(_scenario(changes), keep_calls=True)
    calls = [c for c in recorder.calls if c.service_class == 0]
    assert len(calls) > 500
    assert sum(c.part_wait_h > 0 for c in calls) > 50  # the part rule is exercised
    elapsed = [c.restored_at - c.failed_at - (c.part_wait_h if stops else 0.0) for c in calls]
    share = sum(e <= 3.0 for e in elapsed) / len(calls)
    assert kpis["contract"]["restore_met"] == pytest.approx(share, abs=1e-12)
    assert kpis["all"]["restore_met"] == kpis["contract"]["restore_met"]


def test_stopping_the_clock_for_parts_keeps_more_promises(run_one):
    _, wall = run_one(_scenario(PARTS))
    _, stopped = run_one(_scenario({**PARTS, "fleet.classes.0.part_wait_stops_clock": True}))
    assert stopped["contract"]["restore_met"] > wall["contract"]["restore_met"] + 0.02


def test_blocks_merged_through_task_files_give_the_whole_fleets_share():
    system = ServiceSystem.from_scenario(_scenario({"territories.count": 2}))
    whole, merged, end = whole_and_merged(system, system.technicians)
    a, b = whole.kpis(end), merged.kpis(end)
    for row in ("all", "contract"):
        assert b[row]["restore_met"] == pytest.approx(a[row]["restore_met"], rel=1e-12)
        assert 0.0 < a[row]["restore_met"] < 1.0


def test_no_column_without_a_promise(run_one):
    _, kpis = run_one(_scenario(drop=("fleet.classes.0.restore_sla_h",)))
    assert "restore_met" not in kpis["all"]


def _restore_estimates(changes: dict | None = None):
    est = estimate(ServiceSystem.from_scenario(_scenario(changes)))
    return {e.service_class: e for e in est.primary if e.kpi == "restore_met"}


def test_the_estimate_is_exact_for_an_mm1_and_matches_the_sojourn_law():
    """M/M/1, lambda = 0.6, mu = 1: the time to restore is exponential with rate 0.4."""
    est = _restore_estimates()
    assert est["contract"].exact
    assert est["contract"].value == pytest.approx(1.0 - math.exp(-0.4 * 3.0), rel=1e-9)
    assert est["all"].value == est["contract"].value
    assert "paid" not in est


def test_the_estimate_is_approximate_with_parts_and_absent_on_the_business_clock():
    assert not _restore_estimates(PARTS)["contract"].exact
    hours = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]
    business = {"calendar.customer_hours": hours, "fleet.classes.0.restore_clock": "business"}
    assert _restore_estimates(business) == {}
    assert not _restore_estimates({"calendar.shifts": hours})["contract"].exact


HELPDESK = {
    "fleet.calls_per_h": 1.2,
    "territories.technicians": 2,
    "helpdesk": {"agents": 1, "handling_h": {"dist": "exponential", "mean": 0.5}, "reply_target_h": 2.0},
    "fleet.classes.0.reply_sla_h": 0.5,
}


def test_each_class_has_its_reply_milestone_the_helpdesk_target_by_default(run_one):
    """One agent (M/M/1, lambda = 1.2, handling 0.5 h): the reply (call -> end of handling)
    is exponential with rate 2 - 1.2 = 0.8.  The contract class promises 0.5 h, the paid
    class takes the helpdesk's 2 h; the estimate is exact for each, and three
    replications of 20,000 h hold both within 0.015."""
    changes = {**HELPDESK, "run.horizon_h": 20000.0}
    scenario = _scenario(changes)
    est = {
        e.service_class: e
        for e in estimate(ServiceSystem.from_scenario(scenario)).primary
        if e.kpi == "reply_met"
    }
    assert est["contract"].exact and est["paid"].exact
    assert est["contract"].value == pytest.approx(1.0 - math.exp(-0.8 * 0.5), rel=1e-9)
    assert est["paid"].value == pytest.approx(1.0 - math.exp(-0.8 * 2.0), rel=1e-9)
    assert est["all"].value == pytest.approx(0.5 * est["contract"].value + 0.5 * est["paid"].value)
    for cls in ("contract", "paid", "all"):
        sims = [run_one(scenario, r)[1][cls]["reply_met"] for r in range(3)]
        assert sum(sims) / 3 == pytest.approx(est[cls].value, abs=0.015), cls


def test_a_reply_milestone_without_a_helpdesk_is_refused():
    from sim.config import ScenarioError

    with pytest.raises(ScenarioError) as err:
        _scenario({"fleet.classes.0.reply_sla_h": 1.0})
    assert err.value.key == "fleet.classes[0].reply_sla_h"


# ---------------------------------------------------------------------------
# The reply milestone on the business clock (reply_clock)

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
CUSTOMER_HOURS = [{"days": WEEKDAYS, "start": "08:00", "end": "17:00"}]
#: a helpdesk around the clock, customers' hours Mon-Fri 08:00-17:00, the contract class
#: promising a reply within 0.5 h of its customers' hours
BUSINESS_REPLY = {
    **HELPDESK,
    "calendar.customer_hours": CUSTOMER_HOURS,
    "fleet.classes.0.reply_clock": "business",
}


def test_the_business_reply_clock_counts_customer_hours_only():
    """Customer hours Mon-Fri 08:00-17:00, a 1-h reply promise.  A call on Friday 16:30
    answered on Monday 08:20 has used 50 minutes of them (in time), one answered at 08:40
    70 minutes (late); on the wall clock both are late, as is the wall-clock class's."""
    from sim.monitors.helpdesk import HelpdeskTally

    hours = WeeklyCalendar.from_shifts([(tuple(WEEKDAYS), "08:00", "17:00")])
    tally = HelpdeskTally(["contract", "paid"], 1, [1.0, 1.0], [True, False], hours.add_business_hours)
    friday, monday = 4 * 24.0 + 16.5, 7 * 24.0
    tally.replied(_Call(0, friday), monday + 8.0 + 20 / 60)
    tally.replied(_Call(0, friday), monday + 8.0 + 40 / 60)
    tally.replied(_Call(1, friday), monday + 8.0 + 20 / 60)
    rows: dict[str, dict[str, float]] = {"all": {}, "contract": {}, "paid": {}}
    tally.kpis(200.0, rows)
    assert rows["contract"]["reply_met"] == 0.5
    assert rows["paid"]["reply_met"] == 0.0
    assert rows["all"]["reply_met"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="customer-hours clock"):
        HelpdeskTally(["contract"], 1, [1.0], [True])


def test_business_reply_met_is_the_share_the_replies_give_and_complaints_follow_it(run_one):
    """Simulated (M/M/1 helpdesk around the clock, lambda = 1.2): ``reply_met`` of the
    business-clock class equals the share computed reply by reply with the customers'
    calendar; it keeps far more promises than the wall clock (a call of the night has used
    no customer hours by its reply); a complaint for every late reply raises exactly the
    late replies of that clock."""
    from sim.model import simulate
    from sim.monitors import monitors_for
    from sim.monitors.tally import Tally

    class Replies(Tally):
        name = "replies"

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[int, float, float]] = []

        def handles(self) -> dict:
            return {"replied": lambda call, now: self.seen.append((call.service_class, call.failed_at, now))}

    complaints = {
        "supervisors": 2,
        "handling_h": {"dist": "exponential", "mean": 0.1},
        "deadline_h": 8.0,
        "probability": {"late_reply": 1.0},
    }
    changes = {**BUSINESS_REPLY, "run.horizon_h": 6000.0, "complaints": complaints}
    system = ServiceSystem.from_scenario(_scenario(changes))
    replies = Replies()
    monitors = monitors_for(system, system.technicians, range(system.territories.count), extra=[replies])
    end = simulate(system, 0, monitors)
    kpis = monitors.kpis(end)
    hours = WeeklyCalendar.from_shifts([(tuple(WEEKDAYS), "08:00", "17:00")])
    mine = [(t0, t1) for row, t0, t1 in replies.seen if row == 0 and t0 >= system.run.warmup_h]
    assert len(mine) > 2000
    business = sum(t1 <= hours.add_business_hours(t0, 0.5) for t0, t1 in mine) / len(mine)
    wall = sum(t1 - t0 <= 0.5 for t0, t1 in mine) / len(mine)
    assert kpis["contract"]["reply_met"] == pytest.approx(business, abs=1e-12)
    assert business > wall + 0.2  # power: the two clocks differ by far more than noise
    late = 100.0 * (1.0 - kpis["contract"]["reply_met"])
    assert kpis["contract"]["complaints_per_100_calls"] == pytest.approx(late, abs=0.5)
    # the paid class stays on the wall clock (its 2-h target, the helpdesk's)
    plain = _scenario({**HELPDESK, "run.horizon_h": 6000.0})
    _, wall_kpis = run_one(plain)
    assert kpis["paid"]["reply_met"] == wall_kpis["paid"]["reply_met"]


def test_the_business_reply_clock_has_no_formula_and_no_key_means_the_wall_clock():
    est = estimate(ServiceSystem.from_scenario(_scenario(BUSINESS_REPLY)))
    met = {e.service_class: e for e in est.primary if e.kpi == "reply_met"}
    assert set(met) == {"paid"} and met["paid"].exact
    assert any("business clock" in n for n in est.notes)
    plain = _scenario({**HELPDESK, "calendar.customer_hours": CUSTOMER_HOURS})
    assert "reply_clock" not in plain.model_dump()["fleet"]["classes"][0]  # dumps (hashes) as before
    assert not ServiceSystem.from_scenario(plain).classes[0].reply_business


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({**HELPDESK, "fleet.classes.0.reply_clock": "business"}, "fleet.classes[0].reply_clock"),
        (
            {
                "helpdesk": {"agents": 1, "handling_h": {"dist": "exponential", "mean": 0.5}},
                "calendar.customer_hours": CUSTOMER_HOURS,
                "fleet.classes.0.reply_clock": "wall",
            },
            "fleet.classes[0].reply_clock",
        ),
    ],
)
def test_a_reply_clock_needs_customer_hours_and_a_reply_promise(changes, key):
    from sim.config import ScenarioError

    with pytest.raises(ScenarioError) as err:
        _scenario(changes)
    assert err.value.key == key
