"""The monitors: built for what the scenario asks, injectable, typed snapshots that merge.

The model reports to a monitor set; these tests build sets from scenarios (data, not
TOML text), add their own tallies to them, and compare the trimmed production set with
the set that measures everything.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from sim.config import validate_scenario
from sim.model import simulate
from sim.monitors import (
    MonitorSpec,
    Tally,
    monitors_for,
    snapshot_from_record,
    snapshot_record,
    trips_take_time,
)
from sim.system import ServiceSystem

BASE: dict[str, Any] = {
    "meta": {"name": "monitors"},
    "run": {"horizon_h": 400.0, "warmup_h": 40.0, "replications": 1, "seed": 5},
    "fleet": {"calls_per_h": 0.6},
    "territories": {"count": 1, "technicians": 1, "pooled": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
}


def scenario(**changes: Any) -> Any:
    """The base scenario with whole sections replaced or added."""
    raw = copy.deepcopy(BASE)
    for section, value in changes.items():
        raw[section] = {**raw.get(section, {}), **value}
    return validate_scenario(raw, "<monitors>")


def whole(sc: Any, keep_calls: bool = False, extra: tuple[Any, ...] = ()) -> Any:
    """The monitor set of the whole fleet of the scenario's system."""
    system = ServiceSystem.from_scenario(sc)
    terr = system.territories
    return monitors_for(system, system.technicians, range(terr.count), keep_calls, extra)


def same_kpis(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> None:
    """Bit for bit, and in the same column order."""
    assert list(a) == list(b)
    for row in a:
        assert list(a[row]) == list(b[row]), row
        for k, x in a[row].items():
            y = b[row][k]
            assert x == y or (math.isnan(x) and math.isnan(y)), (row, k, x, y)


# ---------------------------------------------------------------------------
# A test brings its own tally


class CallsPerTechnician(Tally):
    """Our own question: how many first visits did each technician make?"""

    __slots__ = ("visits",)
    name = "calls_per_technician"

    def __init__(self) -> None:
        super().__init__()
        self.visits: dict[int, int] = {}

    def handles(self) -> dict[str, Any]:
        return {"on_site": self.on_site}

    def on_site(self, call: Any, now: float) -> None:
        if call.visits == 0 and self.start <= now < self.end:
            self.visits[call.technician] = self.visits.get(call.technician, 0) + 1

    def clear(self, now: float) -> None:
        self.visits = {}

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        rows["all"]["busiest_technician_calls"] = float(max(self.visits.values(), default=0))


def test_a_test_adds_its_own_tally_to_the_run_without_patching_anything():
    # A dispatcher with two technicians wonders whether one of them takes all the work.
    sc = scenario(territories={"technicians": 2})
    # We add our tally to the monitors the run builds for this scenario ...
    ours = CallsPerTechnician()
    monitors = whole(sc, extra=(ours,))
    end = simulate(ServiceSystem.from_scenario(sc), 0, monitors)
    kpis = monitors.kpis(end)
    # ... it saw every first visit after the warm-up, both technicians took calls ...
    assert set(ours.visits) == {0, 1}
    assert sum(ours.visits.values()) == pytest.approx(kpis["all"]["n_calls"], abs=2)
    # ... its KPI comes last in the row, and the run's own KPIs did not change.
    assert list(kpis["all"])[-1] == "busiest_technician_calls"
    plain = whole(sc)
    simulate(ServiceSystem.from_scenario(sc), 0, plain)
    without = {k: v for k, v in kpis["all"].items() if k != "busiest_technician_calls"}
    same_kpis({"all": without}, {"all": plain.kpis(end)["all"]})


# ---------------------------------------------------------------------------
# Only what the scenario asks


def test_the_set_holds_only_the_tallies_the_scenario_needs():
    plain = whole(scenario())
    assert set(plain.by_name) == {"calls", "levels", "trips", "overtime", "series"}
    parts = scenario(
        parts={
            "shortage": "revisit",
            "supplier_lead_time_h": {"dist": "exponential", "mean": 24.0},
            "types": [{"name": "fuser", "p_need": 0.3, "van": {"S": 1}, "depot": {"S": 2}}],
        }
    )
    assert "parts" in whole(parts).by_name
    team = scenario(territories={"technicians": 3})
    assert "workloads" in whole(team).by_name  # a team of 2 to 10 technicians
    many = scenario(territories={"count": 20})
    assert "spread" in whole(many).by_name
    asked = scenario(dispatch={"record_decisions": True})
    assert "decisions" in whole(asked).by_name
    assert "call_log" in whole(plain_sc := scenario(), keep_calls=True).by_name
    assert "call_log" not in whole(plain_sc).by_name


def test_trips_take_time_unless_they_are_a_fixed_zero():
    def takes_time(**changes: Any) -> bool:
        return trips_take_time(ServiceSystem.from_scenario(scenario(**changes)))

    assert not takes_time()
    assert not takes_time(travel={"time_h": {"dist": "deterministic", "value": 0.0}})
    assert takes_time(travel={"time_h": {"dist": "exponential", "mean": 0.5}})
    assert takes_time(travel={"time_h": {"dist": "deterministic", "value": 0.25}})
    zero = {"dist": "deterministic", "value": 0.0}
    assert takes_time(travel={"time_h": zero, "from_base_h": {"dist": "exponential", "mean": 0.5}})
    geometry = {"mode": "geometry", "speed_kmh": 40.0}
    assert takes_time(travel=geometry, territories={"width_km": 10.0, "height_km": 10.0})


def test_a_report_no_tally_needs_costs_nothing_and_one_tally_gets_it_directly():
    monitors = whole(scenario())
    calls = monitors["calls"]
    assert monitors.logged == calls.logged  # the tally's own bound method, no fan-out
    assert monitors.part_demand.__name__ == "_ignore"  # no parts: nobody listens


@pytest.mark.parametrize(
    "changes",
    [
        {},  # no travel: one level for busy and on site, responses from the waits
        {"territories": {"technicians": 2, "pooled": 2, "count": 2}},
        {"fleet": {"classes": [{"name": "a", "share": 0.4, "sla_h": 1.0}, {"name": "b", "share": 0.6}]}},
        {
            "calendar": {
                "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]
            }
        },
        {"travel": {"time_h": {"dist": "exponential", "mean": 0.4}}},
    ],
    ids=["no-travel", "pooled", "sla", "shifts", "travel"],
)
def test_the_trimmed_set_measures_exactly_what_the_full_set_measures(changes):
    """The production set leaves out what the scenario cannot produce and derives what
    it determines; the set that measures everything must give the same bits."""
    sc = scenario(**changes)
    terr = sc.territories
    classes = sc.fleet.classes
    full = MonitorSpec(
        [c.name for c in classes],
        [c.sla_h for c in classes],
        sc.report.wait_thresholds_h,
        terr.technicians * terr.count,
        sc.calendar.day_length_h,
        technicians_per_territory=terr.technicians,
        pooled=terr.pooled,
    ).build()
    trimmed = whole(sc)
    end = simulate(ServiceSystem.from_scenario(sc), 1, full, samples=20)
    simulate(ServiceSystem.from_scenario(sc), 1, trimmed, samples=20)
    same_kpis(full.kpis(end), trimmed.kpis(end))
    assert full.series == trimmed.series


# ---------------------------------------------------------------------------
# Typed snapshots: block merges and task files


def test_blocks_of_teams_merge_into_the_whole_fleet():
    """Two blocks of teams, each run on its own, merged through JSON records, give the
    KPIs of the whole fleet (the sums are added in another order: equal to rounding)."""
    sc = scenario(
        territories={"count": 4, "technicians": 1, "pooled": 2},
        travel={"time_h": {"dist": "exponential", "mean": 0.3}},
    )
    system = ServiceSystem.from_scenario(sc)
    total = whole(sc)
    end = simulate(system, 2, total)
    merged = monitors_for(system, 0, range(4))
    for teams in (range(1), range(1, 2)):
        territories = range(teams.start * 2, teams.stop * 2)
        block = monitors_for(system, 2, territories)
        simulate(system, 2, block, teams_range=teams)
        record = json.loads(json.dumps(snapshot_record(block.snapshot(end))))
        snap = snapshot_from_record(record)
        assert snap == block.snapshot(end) or math.isnan(snap.tallies["trips"].km)
        merged.absorb(snap, end)
    a, b = total.kpis(end), merged.kpis(end)
    assert list(a["all"]) == list(b["all"])
    for k, x in a["all"].items():
        assert b["all"][k] == pytest.approx(x, rel=1e-9, nan_ok=True), k
    assert a["all"]["n_calls"] == b["all"]["n_calls"]


def test_a_snapshot_names_its_types_and_refuses_unknown_ones():
    sc = scenario()
    monitors = whole(sc)
    end = simulate(ServiceSystem.from_scenario(sc), 0, monitors)
    record = snapshot_record(monitors.snapshot(end))
    assert record["tallies"]["calls"]["type"] == "CallsSnapshot"
    record["tallies"]["calls"]["type"] = "Mystery"
    with pytest.raises(ValueError, match="Mystery"):
        snapshot_from_record(record)
