"""Dispatch policies (issue 4): what each rule does, not only that it runs.

Hand-driven stories first: calls logged at chosen times, places and classes, with
chosen trip and repair times, so each rule's choice is known exactly and contrasted
with FIFO's.  Then whole scenarios: nearest-job dispatch against FIFO as the load
grows and beyond FIFO's capacity, the decisions log, and pooling's dispatches outside
a technician's own territory.  Last, dispatch as two choices (issue 10): a queue
discipline and a technician choice combined freely, each half doing what it does
alone, and a new pair checked against its exact formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
import simpy
from scenario_data import toml_data, variant

from sim.analytic.geometry import mean_distance_two_points
from sim.config import default_preference, expand_sweep
from sim.experiment.replication import run_replication
from sim.experiment.tasks import Task
from sim.model import make_policy
from sim.model.calls import Call
from sim.model.geography import Geometry
from sim.model.team import Team
from sim.model.technician import crew
from sim.monitors import CallRecord, MonitorSpec
from sim.system import ServiceSystem


class Story:
    """One team driven by hand; the recorder keeps every call and every decision.

    ``pooled`` territories of ``size_km`` x ``size_km`` side by side (geometry mode when
    ``speed_kmh`` is given), ``technicians`` per territory.
    """

    def __init__(
        self,
        policy: str | tuple[str, str] = "fifo",
        technicians: int = 1,
        pooled: int = 1,
        priorities: Sequence[int] = (1,),
        sla_h: Sequence[float] | None = None,
        speed_kmh: float | None = None,
        size_km: float = 10.0,
        preference: Sequence[Sequence[int]] | None = None,
    ) -> None:
        self.env = simpy.Environment()
        names = [f"class{i}" for i in range(len(priorities))]
        team_size = technicians * pooled
        targets: list[float | None] = list(sla_h) if sla_h is not None else [None] * len(names)
        self.recorder = MonitorSpec(
            names,
            targets,
            [1.0],
            team_size,
            8.0,
            keep_calls=True,
            technicians_per_territory=technicians,
            pooled=pooled,
        ).build()
        geometry = Geometry(size_km, size_km, pooled, False, 1.0, speed_kmh) if speed_kmh else None
        deadline: Callable[[Call], float] | None = None
        if sla_h is not None:
            deadline = lambda call: call.logged_at + sla_h[call.service_class]  # noqa: E731
        self.team = Team(
            self.env,
            crew(range(team_size), [i // technicians for i in range(team_size)], geometry),
            make_policy("fifo", priorities),
            self.recorder,
            geometry=geometry,
            record_decisions=True,
            deadline=deadline,
        )
        self.team.line = make_policy(
            policy,
            priorities,
            self.team.distance_km if geometry else None,
            preference or default_preference(pooled, technicians),
        )
        self.logged = 0

    def call(
        self,
        at: float,
        repair: float,
        travel: float = 0.0,
        service_class: int = 0,
        where: tuple[float, float] = (math.nan, math.nan),
        territory: int = 0,
    ) -> int:
        number = self.logged
        self.logged += 1

        def customer(env: simpy.Environment):
            yield env.timeout(at - env.now)
            self.team.log_call(
                Call(
                    number=number,
                    machine=-1,
                    territory=territory,
                    local_territory=territory,
                    service_class=service_class,
                    travel_h=travel,
                    repair_h=repair,
                    now=env.now,
                    x=where[0],
                    y=where[1],
                )
            )

        self.env.process(customer(self.env))
        return number

    def run(self, until: float = 100.0) -> dict[int, CallRecord]:
        self.env.run(until=until)
        return {c.number: c for c in self.recorder.calls}


# ---------------------------------------------------------------------------
# priority


@pytest.mark.parametrize("technicians", [1, 2])
def test_priority_serves_a_later_critical_call_first_but_never_interrupts_a_repair(technicians):
    """Every technician is repairing a routine call; a routine call waits (logged at 1),
    then a critical one is logged (at 2).  The first technician to finish takes the
    critical call, the next one the routine call; the repairs under way run to their end."""
    story = Story("priority", technicians=technicians, priorities=(1, 2))
    busy = [story.call(at=0.0, repair=5.0 + i, service_class=1) for i in range(technicians)]
    routine = story.call(at=1.0, repair=2.0, service_class=1)
    critical = story.call(at=2.0, repair=2.0, service_class=0)
    calls = story.run()
    assert calls[critical].dispatched_at == 5.0
    assert calls[routine].dispatched_at == (7.0 if technicians == 1 else 6.0)
    for i, n in enumerate(busy):
        assert (calls[n].on_site_at, calls[n].restored_at) == (0.0, 5.0 + i)


def test_fifo_would_have_served_the_routine_call_first():
    """The same story under FIFO: the routine call, logged first, goes first."""
    story = Story("fifo", priorities=(1, 2))
    story.call(at=0.0, repair=5.0, service_class=1)
    routine = story.call(at=1.0, repair=2.0, service_class=1)
    critical = story.call(at=2.0, repair=2.0, service_class=0)
    calls = story.run()
    assert (calls[routine].dispatched_at, calls[critical].dispatched_at) == (5.0, 7.0)


# ---------------------------------------------------------------------------
# earliest_due


def test_earliest_due_serves_the_earlier_deadline_even_if_logged_later():
    """SLAs: gold 2 h, bronze 24 h.  A bronze call logged at 1 is due at 25; a gold call
    logged at 3 is due at 5: when the technician is free (5) the gold call goes first."""
    story = Story("earliest_due", priorities=(1, 2), sla_h=(2.0, 24.0))
    story.call(at=0.0, repair=5.0, service_class=1)
    bronze = story.call(at=1.0, repair=2.0, service_class=1)
    gold = story.call(at=3.0, repair=2.0, service_class=0)
    calls = story.run()
    assert (calls[gold].dispatched_at, calls[bronze].dispatched_at) == (5.0, 7.0)


def test_earliest_due_follows_the_deadline_not_the_class():
    """SLAs: gold 2 h, bronze 4 h.  Bronze logged at 1 is due at 5; gold logged at 3.5 is
    due at 5.5.  Earliest-due serves bronze first, where priority would serve gold."""
    story = Story("earliest_due", priorities=(1, 2), sla_h=(2.0, 4.0))
    story.call(at=0.0, repair=5.0, service_class=1)
    bronze = story.call(at=1.0, repair=2.0, service_class=1)
    gold = story.call(at=3.5, repair=2.0, service_class=0)
    calls = story.run()
    assert (calls[bronze].dispatched_at, calls[gold].dispatched_at) == (5.0, 7.0)
    by_priority = Story("priority", priorities=(1, 2), sla_h=(2.0, 4.0))
    by_priority.call(at=0.0, repair=5.0, service_class=1)
    b = by_priority.call(at=1.0, repair=2.0, service_class=1)
    g = by_priority.call(at=3.5, repair=2.0, service_class=0)
    calls = by_priority.run()
    assert (calls[g].dispatched_at, calls[b].dispatched_at) == (5.0, 7.0)


EARLIEST_DUE = toml_data("""
[run]
horizon_h = 2000.0
warmup_h = 0.0
seed = 83

[fleet]
calls_per_h = 0.4

[[fleet.classes]]
name = "contract"
share = 0.3
sla_h = 4.0

[[fleet.classes]]
name = "warranty"
share = 0.5
sla_h = 8.0

[[fleet.classes]]
name = "paid"
share = 0.2

[repair]
time_h = { dist = "deterministic", value = 2.0 }

[dispatch]
policy = "earliest_due"
""")


def test_earliest_due_on_a_whole_run(make_scenario, run_one):
    """One technician, three classes (SLA 4 h, 8 h, none): whenever a call is taken from
    the line, no call then waiting has an earlier deadline (a call without SLA comes
    after every call with one; equal deadlines go by call number)."""
    rec, k = run_one(make_scenario(EARLIEST_DUE), keep_calls=True)
    sla = (4.0, 8.0, math.inf)
    calls = sorted(rec.calls, key=lambda c: c.dispatched_at)

    def rank(c) -> tuple[float, int]:
        return (c.logged_at + sla[c.service_class], c.number)

    waited = [c for c in calls if c.dispatched_at > c.logged_at]
    assert len(waited) > 300
    for c in waited:
        t = c.dispatched_at
        rivals = [d for d in calls if d.logged_at < t < d.dispatched_at]
        assert all(rank(c) < rank(d) for d in rivals), c.number
    assert k["contract"]["wait_h"] < k["warranty"]["wait_h"] < k["paid"]["wait_h"]


# ---------------------------------------------------------------------------
# nearest


def test_a_freed_technician_takes_the_nearest_waiting_call():
    """A 10 x 10 km territory, 10 km/h.  The technician repairs at (2, 2) until 5.28;
    meanwhile calls wait at (9, 9), (1, 1) and (4, 5).  Nearest: (1, 1) first, then from
    there (4, 5) (5 km, not 11.3 km), then (9, 9).  FIFO takes them as logged."""

    def order(policy: str) -> list[int]:
        story = Story(policy, speed_kmh=10.0)
        story.call(at=0.0, repair=5.0, where=(2.0, 2.0))
        waiting = [
            story.call(at=t, repair=1.0, where=xy)
            for t, xy in ((1.0, (9.0, 9.0)), (2.0, (1.0, 1.0)), (3.0, (4.0, 5.0)))
        ]
        calls = story.run()
        return sorted(waiting, key=lambda n: calls[n].dispatched_at)

    assert order("nearest") == [2, 3, 1]
    assert order("fifo") == [1, 2, 3]


def test_nearest_trip_is_measured_from_where_the_last_job_ended():
    """The second trip of the story above starts at (1, 1): 5 km to (4, 5), 0.5 h."""
    story = Story("nearest", speed_kmh=10.0)
    story.call(at=0.0, repair=5.0, where=(2.0, 2.0))
    story.call(at=2.0, repair=1.0, where=(1.0, 1.0))
    second = story.call(at=3.0, repair=1.0, where=(4.0, 5.0))
    c = story.run()[second]
    assert c.trip_km == pytest.approx(5.0)
    assert c.on_site_at - c.dispatched_at == pytest.approx(0.5)


def test_a_new_call_goes_to_the_nearest_free_technician():
    """Two pooled 10 x 10 km territories side by side, bases at (5, 5) and (15, 5), both
    technicians free.  A call at (14, 5) goes to technician 1 (1 km away); FIFO gives it
    to technician 0, free the longest (9 km away)."""
    for policy, technician, km in (("nearest", 1, 1.0), ("fifo", 0, 9.0)):
        story = Story(policy, pooled=2, speed_kmh=10.0)
        n = story.call(at=1.0, repair=1.0, where=(14.0, 5.0), territory=1)
        c = story.run()[n]
        assert (c.technician, c.trip_km) == (technician, pytest.approx(km)), policy


NEAREST = toml_data("""
[run]
horizon_h = 4000.0
warmup_h = 200.0
seed = 7

[fleet]
calls_per_h = 0.8

[territories]
technicians = 2
width_km = 20.0
height_km = 20.0

[travel]
mode = "geometry"
speed_kmh = 20.0

[repair]
time_h = { dist = "deterministic", value = 1.0 }

[dispatch]
policy = "fifo"
""")
#: mean trip between two uniform points of the 20 x 20 km square (FIFO's trip)
FIFO_TRIP_KM = mean_distance_two_points(20.0, 20.0)


def overall(make_scenario, raw: Mapping[str, Any], replication: int = 0) -> dict[str, float]:
    (point,) = expand_sweep(make_scenario(raw))
    res = run_replication(Task(point, replication, samples=0))
    assert res.error is None, res.error
    return next(row for row in res.rows if row["class"] == "all")


def nearest_and_fifo(make_scenario, rate: float, horizon: float = 4000.0):
    load = {"fleet.calls_per_h": rate, "run.horizon_h": horizon}
    return (
        overall(make_scenario, variant(NEAREST, {**load, "dispatch.policy": "nearest"})),
        overall(make_scenario, variant(NEAREST, {**load, "dispatch.policy": "fifo"})),
    )


def test_nearest_trips_get_shorter_as_the_backlog_grows(make_scenario):
    """Two technicians in a 20 x 20 km square, 1-h repairs, loads 0.8, 1.1 and 1.25 calls
    per hour.  Under FIFO a trip joins two uniform points whatever the load: 0.5214 x
    20 km within 3 %.  Under nearest the technician picks among more waiting calls as
    the backlog grows: the mean trip falls with the load, and is shorter than FIFO's."""
    nearest_km = []
    for rate in (0.8, 1.1, 1.25):
        near, fifo = nearest_and_fifo(make_scenario, rate)
        assert fifo["trip_km"] == pytest.approx(FIFO_TRIP_KM, rel=0.03), rate
        assert near["trip_km"] < fifo["trip_km"]
        assert near["queue_len"] < fifo["queue_len"]
        nearest_km.append(near["trip_km"])
    assert nearest_km[0] > nearest_km[1] > nearest_km[2]
    assert nearest_km[2] < 0.8 * FIFO_TRIP_KM


def test_nearest_keeps_up_where_fifo_cannot(make_scenario):
    """FIFO's capacity is s / (E[repair] + E[trip]) = 2 / (1 + 10.43 / 20) = 1.31 calls
    per hour.  At 1.5 calls per hour FIFO falls behind (it completes about its capacity,
    and the line grows without end), while nearest, whose trips shrink with the backlog,
    completes calls at the arrival rate with a short line.  Shown on one run, not
    asserted by a formula for nearest."""
    near, fifo = nearest_and_fifo(make_scenario, 1.5, horizon=3000.0)
    per_h = 1.0 / 8.0  # calls_per_day is per 8-h working day
    fifo_capacity = 2.0 / (1.0 + FIFO_TRIP_KM / 20.0)
    assert fifo["calls_per_day"] * per_h == pytest.approx(fifo_capacity, rel=0.03)
    assert fifo["calls_per_day"] * per_h < 0.9 * fifo["calls_logged_per_h"]
    assert fifo["queue_len"] > 100
    assert near["calls_per_day"] * per_h == pytest.approx(near["calls_logged_per_h"], rel=0.02)
    assert near["queue_len"] < 20


# ---------------------------------------------------------------------------
# preference (Larson's hypercube)


def test_a_call_goes_to_the_first_free_technician_on_its_territorys_list():
    """Two pooled territories, technician 0 at home in territory 0, technician 1 in
    territory 1; default lists [[0, 1], [1, 0]].  A call from territory 1 finds both free:
    technician 1 (FIFO would send technician 0, free the longest).  A second call from
    territory 1 while technician 1 is busy: the next on the list, technician 0.  Every
    decision is recorded as (time, rule, call, candidates, technician)."""
    story = Story("preference", pooled=2)
    a = story.call(at=1.0, repair=5.0, territory=1)
    b = story.call(at=2.0, repair=5.0, territory=1)
    c = story.call(at=3.0, repair=1.0, territory=0)  # both busy: waits for the first free
    calls = story.run()
    assert (calls[a].technician, calls[b].technician) == (1, 0)
    assert (calls[c].dispatched_at, calls[c].technician) == (6.0, 1)
    assert story.recorder.decisions == [
        (1.0, "preference", a, 2, 1),
        (2.0, "preference", b, 1, 0),
        (6.0, "preference", c, 1, 1),  # technician 1 freed, one call waiting
    ]


def test_a_preference_list_can_send_a_call_away_from_home_first():
    """Lists [[1, 0], [1, 0]]: technician 1 is everybody's first choice, so a call from
    territory 0 goes to technician 1 while both are free."""
    story = Story("preference", pooled=2, preference=[[1, 0], [1, 0]])
    n = story.call(at=1.0, repair=1.0, territory=0)
    assert story.run()[n].technician == 1
    assert story.recorder.decisions[0][1:] == ("preference", n, 2, 1)


PREFERENCE = toml_data("""
[run]
horizon_h = 2000.0
warmup_h = 100.0
seed = 89

[fleet]
calls_per_h = 0.3

[territories]
count = 2
technicians = 1
pooled = 2

[travel]
time_h = { dist = "uniform", low = 0.2, high = 0.6 }

[repair]
time_h = { dist = "exponential", mean = 1.5 }

[dispatch]
policy = "preference"
record_decisions = false
""")


def test_record_decisions_keeps_every_dispatch_of_a_run(make_scenario, run_one):
    """``record_decisions = true``: one (time, rule, call, candidates, technician) per
    dispatch after the warm-up.  A call that finds both technicians free goes to its own
    territory's technician (the head of its list); a call that finds one free goes to
    that one.  Without the option nothing is kept."""
    rec, _ = run_one(make_scenario(variant(PREFERENCE, {"dispatch.record_decisions": True})), keep_calls=True)
    by_number = {c.number: c for c in rec.calls}
    decisions = [d for d in rec.decisions if d[2] in by_number]
    assert len(decisions) > 900
    assert {d[1] for d in rec.decisions} == {"preference"}
    assert all(d[0] >= 100.0 for d in rec.decisions)
    on_arrival = [d for d in decisions if by_number[d[2]].dispatched_at == by_number[d[2]].logged_at]
    assert {d[3] for d in on_arrival} == {1, 2}
    for time, _, number, candidates, technician in on_arrival:
        c = by_number[number]
        assert (time, technician) == (c.dispatched_at, c.technician)
        if candidates == 2:
            assert technician == c.territory  # its own technician
    quiet, _ = run_one(make_scenario(variant(PREFERENCE, {"dispatch.record_decisions": False})))
    assert quiet.decisions == []


def test_pooling_sends_technicians_outside_their_own_territory(make_scenario):
    """Two territories with a technician each: pooled, some calls are served by the
    other territory's technician (off_territory_share > 0), fewer under preference
    dispatch than under FIFO; not pooled, none ever are."""
    share = {}
    for policy in ("fifo", "preference"):
        share[policy] = overall(make_scenario, variant(PREFERENCE, {"dispatch.policy": policy}))[
            "off_territory_share"
        ]
        alone = overall(
            make_scenario, variant(PREFERENCE, {"territories.pooled": 1, "dispatch.policy": "fifo"})
        )
        assert alone["off_territory_share"] == 0.0
    assert 0.0 < share["preference"] < share["fifo"]
    assert share["fifo"] == pytest.approx(0.5, abs=0.05)  # FIFO ignores where calls are


# ---------------------------------------------------------------------------
# two independent choices: a queue discipline and a technician choice


def test_priority_order_with_the_nearest_technician():
    """Priority discipline, nearest-technician choice: two pooled 10 x 10 km territories
    side by side (bases (5, 5) and (15, 5)), 10 km/h.

    At 1 a routine call at (14, 5) finds both technicians free: the nearest, technician 1
    (1 km), takes it; the priority policy alone (technician free the longest) would send
    technician 0 from 9 km away.  At 2 a routine call at (6, 5) goes to technician 0, the
    only one free.  Both now repair until 6.1 (technician 1) and 7.1 (technician 0).  A
    routine call (logged at 3) and then a critical one (at 4) wait: technician 1, freed
    first, takes the critical call, and technician 0 the routine call after it."""
    pair = ("priority", "nearest")
    story = Story(pair, pooled=2, priorities=(1, 2), speed_kmh=10.0)
    first = story.call(at=1.0, repair=5.0, where=(14.0, 5.0), territory=1, service_class=1)
    second = story.call(at=2.0, repair=5.0, where=(6.0, 5.0), territory=0, service_class=1)
    routine = story.call(at=3.0, repair=1.0, where=(9.0, 5.0), territory=0, service_class=1)
    critical = story.call(at=4.0, repair=1.0, where=(19.0, 5.0), territory=1, service_class=0)
    calls = story.run()
    assert (calls[first].technician, calls[first].trip_km) == (1, pytest.approx(1.0))
    assert calls[second].technician == 0
    assert (calls[critical].technician, calls[critical].dispatched_at) == (1, pytest.approx(6.1))
    assert (calls[routine].technician, calls[routine].dispatched_at) == (0, pytest.approx(7.1))
    assert {d[1] for d in story.recorder.decisions} == {"priority+nearest"}

    alone = Story("priority", pooled=2, priorities=(1, 2), speed_kmh=10.0)
    n = alone.call(at=1.0, repair=5.0, where=(14.0, 5.0), territory=1, service_class=1)
    assert (alone.run()[n].technician, alone.recorder.decisions[0][1]) == (0, "priority")


def test_earliest_due_order_with_preference_lists():
    """Earliest-due discipline, preference-list choice: two pooled territories with a
    technician each, default lists [[0, 1], [1, 0]]; SLAs gold 2 h, bronze 24 h.

    At 1 a call from territory 1 finds both technicians free: its own technician 1 takes
    it (the head of its list).  At 2 another call from territory 1 gets technician 0, the
    next on the list.  Both repair for 5 h.  A bronze call (logged at 3, due at 27) and a
    gold one (logged at 4, due at 6) wait: technician 1, freed at 6, takes the gold call
    though the bronze one waited longer; FIFO with the same lists takes the bronze one."""

    def run(discipline: str) -> dict[int, CallRecord]:
        story = Story((discipline, "preference"), pooled=2, priorities=(1, 2), sla_h=(2.0, 24.0))
        story.call(at=1.0, repair=5.0, territory=1, service_class=1)
        story.call(at=2.0, repair=5.0, territory=1, service_class=1)
        story.call(at=3.0, repair=1.0, territory=0, service_class=1)  # bronze
        story.call(at=4.0, repair=1.0, territory=0, service_class=0)  # gold
        return story.run()

    due = run("earliest_due")
    assert (due[0].technician, due[1].technician) == (1, 0)
    assert (due[3].dispatched_at, due[3].technician) == (6.0, 1)  # gold first
    assert (due[2].dispatched_at, due[2].technician) == (7.0, 0)
    fifo = run("fifo")
    assert (fifo[0].technician, fifo[1].technician) == (1, 0)  # the same choice of technician
    assert (fifo[2].dispatched_at, fifo[3].dispatched_at) == (6.0, 7.0)  # bronze first


def test_the_policy_names_are_the_pairs_they_stand_for():
    """Each ``dispatch.policy`` name builds the same discipline and choice as its pair,
    and a pair without a name is called ``discipline+technician``."""
    from sim.model.dispatch import POLICIES, make_policy

    def distance(technician: int, call: Call) -> float:
        return 0.0

    for name, pair in POLICIES.items():
        by_name = make_policy(name, [1], distance, [[0]])
        by_pair = make_policy(pair, [1], distance, [[0]])
        assert by_name.name == by_pair.name == name
        assert by_name.pair == by_pair.pair == pair
        assert type(by_name) is type(by_pair)
    assert make_policy(("nearest", "preference"), [1], distance, [[0]]).name == "nearest+preference"
    with pytest.raises(ValueError, match="geometry"):
        make_policy(("fifo", "nearest"), [1])


GEOMETRY_PAIR = toml_data("""
[run]
horizon_h = 600.0
warmup_h = 50.0
seed = 31

[fleet]
calls_per_h = 0.9

[territories]
count = 2
technicians = 1
pooled = 2
width_km = 15.0
height_km = 15.0

[travel]
mode = "geometry"
speed_kmh = 30.0

[repair]
time_h = { dist = "exponential", mean = 1.5 }
""")


def test_a_policy_name_and_its_pair_run_the_same_replication(make_scenario):
    """``policy = "nearest"`` and ``discipline = "nearest"``, ``technician = "nearest"`` are
    one rule: the same seed gives the same KPIs to the last bit, and differs from FIFO."""
    named, pair, fifo = (
        overall(make_scenario, variant(GEOMETRY_PAIR, {"dispatch": dispatch}))
        for dispatch in (
            {"policy": "nearest"},
            {"discipline": "nearest", "technician": "nearest"},
            {"policy": "fifo"},
        )
    )
    assert named == pair
    assert named["trip_km"] < fifo["trip_km"]


def test_each_half_changes_only_what_it_decides(make_scenario):
    """Two pooled territories: the nearest-technician choice shortens the trips of calls
    that find both technicians free, keeping FIFO order; the nearest-call discipline
    keeps the technician free the longest for new calls but shortens the trips from one
    job to the next.  Each pair runs differently, and each nearest half alone shortens
    FIFO's trips."""
    trip = {}
    for discipline in ("fifo", "nearest"):
        for technician in ("longest_idle", "nearest"):
            dispatch = {"discipline": discipline, "technician": technician}
            trip[discipline, technician] = overall(
                make_scenario, variant(GEOMETRY_PAIR, {"dispatch": dispatch})
            )["trip_km"]
    assert len(set(trip.values())) == 4
    assert trip["fifo", "nearest"] < trip["fifo", "longest_idle"]
    assert trip["nearest", "longest_idle"] < trip["fifo", "longest_idle"]


PRIORITY_PREFERENCE_CASE = """
# Priority discipline with preference lists: two territories pooled into one team, one
# technician each, M/M/2 (rho = 0.6) with two priority classes.  Which free technician
# takes a call changes who works (the hypercube workloads), not the queue: every
# technician repairs at the same rate, so the per-class waits are nonpreemptive priority
# M/M/2's (Cobham) and P(wait) is Erlang C.
[meta]
name = "validate-priority-preference"

[run]
horizon_h = 40000.0
warmup_h = 1000.0
replications = 10
seed = 2027

[fleet]
calls_per_h = 0.3

[[fleet.classes]]
name = "critical"
share = 0.3
priority = 1

[[fleet.classes]]
name = "standard"
share = 0.7
priority = 2

[territories]
count = 2
pooled = 2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[dispatch]
discipline = "priority"
technician = "preference"
preference = [[0, 1], [0, 1]]

[validation]
kpis = ["wait_h", "p_wait", "workload_tech0", "workload_tech1"]
max_rel_half_width = 0.06
"""


def test_priority_with_preference_lists_matches_its_exact_formulas(tmp_path):
    """A new pair with exact formulas, checked as a validation case (fixed seed, 10
    replications of 40,000 h): each class's mean wait (nonpreemptive priority M/M/2), the
    overall wait and P(wait) (Erlang C) and both technicians' workloads (hypercube, lists
    [[0, 1], [0, 1]]: technician 0 takes every call that finds both free) lie inside the
    99 % intervals, each interval within 6 % of its mean.  The formulas give the critical
    class a wait well below the standard one's and technician 0 more work than 1, so the
    check sees both halves of the pair at work."""
    from sim.analytic import mms, priority_nonpreemptive
    from sim.validate import run_case

    path = tmp_path / "priority_preference.toml"
    path.write_text(PRIORITY_PREFERENCE_CASE)
    checks = run_case(path, is_quick=False, backend="serial")
    by = {(c.service_class, c.kpi): c for c in checks}
    assert {
        ("critical", "wait_h"),
        ("standard", "wait_h"),
        ("all", "wait_h"),
        ("all", "p_wait"),
        ("all", "workload_tech0"),
        ("all", "workload_tech1"),
    } <= set(by)
    failed = [
        f"{c.service_class} {c.kpi}: exact {c.exact:.5g} ({c.model}), simulated {c.mean:.5g} "
        f"[{c.ci_low:.5g}, {c.ci_high:.5g}], rel. half-width {c.rel_half_width:.2%}"
        for c in checks
        if not (c.inside and c.tight)
    ]
    assert not failed, "\n".join(failed)
    # the exact values are the textbook's, not the layer's own arithmetic
    waits = priority_nonpreemptive([0.6 * 0.3, 0.6 * 0.7], 0.5, 2).wq
    assert by["critical", "wait_h"].exact == pytest.approx(waits[0], rel=1e-9)
    assert by["standard", "wait_h"].exact == pytest.approx(waits[1], rel=1e-9)
    assert by["all", "wait_h"].exact == pytest.approx(mms(0.6, 0.5, 2).wq, rel=1e-9)
    assert by["critical", "wait_h"].exact < 0.5 * by["standard", "wait_h"].exact
    assert by["all", "workload_tech0"].exact > 1.2 * by["all", "workload_tech1"].exact


LABELS = toml_data("""
[fleet]
calls_per_h = 0.3

[[fleet.classes]]
name = "critical"
share = 0.3
priority = 1
sla_h = 4.0

[[fleet.classes]]
name = "standard"
share = 0.7
priority = 2
sla_h = 24.0

[territories]
count = 2
pooled = 2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[dispatch]
discipline = "fifo"
technician = "longest_idle"
""")
#: the keys that put LABELS on a 10 x 10 km map
GEOMETRY = {
    "territories.width_km": 10.0,
    "territories.height_km": 10.0,
    "travel": {"mode": "geometry", "speed_kmh": 40.0},
}


def primary(make_scenario, discipline: str, choice: str, geometry: bool = False, pooled: int = 2):
    """The analytic layer's primary values of a pair: {(kpi, class): (value, exact, model)}."""
    from sim.analytic import estimate

    changes = {
        "dispatch.discipline": discipline,
        "dispatch.technician": choice,
        "territories.count": pooled,
        "territories.pooled": pooled,
        **(GEOMETRY if geometry else {}),
    }
    est = estimate(ServiceSystem.from_scenario(make_scenario(variant(LABELS, changes)))).primary
    return {(e.kpi, e.service_class): (e.value, e.exact, e.model) for e in est}


def test_the_nearest_technician_leaves_no_formula_exact(make_scenario):
    """Geometry, two pooled territories with a technician each: with the technician free
    the longest, FIFO's trip length is exact (a trip joins two uniform points whoever
    drives).  Choosing the nearest free technician shortens the trips, so
    no value stays exact, under FIFO or priority order.  With one technician per team
    (nothing to choose) the values and labels are the longest-idle ones."""
    blind = primary(make_scenario, "fifo", "longest_idle", geometry=True)
    assert blind["trip_km", "all"][1] and blind["trip_h", "all"][1]
    for discipline in ("fifo", "priority"):
        near = primary(make_scenario, discipline, "nearest", geometry=True)
        assert near and not any(exact for _, exact, _ in near.values()), discipline
    alone = primary(make_scenario, "fifo", "longest_idle", geometry=True, pooled=1)
    assert any(exact for _, exact, _ in alone.values())
    assert primary(make_scenario, "fifo", "nearest", geometry=True, pooled=1) == alone


def test_preference_lists_keep_the_discipline_formulas_exact(make_scenario):
    """Without geometry the technicians are alike, so the choice changes who works, not
    the queue: priority order with preference lists keeps the exact priority M/M/2 waits
    per class (the same values as priority with the technician free the longest) and gains
    the exact hypercube workloads; earliest-due order keeps only the overall wait."""
    pref = primary(make_scenario, "priority", "preference")
    blind = primary(make_scenario, "priority", "longest_idle")
    for cls in ("critical", "standard"):
        assert pref["wait_h", cls] == blind["wait_h", cls]
        assert pref["wait_h", cls][1] and "priority" in pref["wait_h", cls][2]
    assert pref["wait_h", "critical"][0] < pref["wait_h", "standard"][0]
    assert pref["workload_tech0", "all"][1] and ("workload_tech0", "all") not in blind
    due = primary(make_scenario, "earliest_due", "preference")
    assert due["wait_h", "all"][1] and due["workload_tech1", "all"][1]
    assert ("wait_h", "critical") not in due
