"""Geography: where machines and technicians are, and how long trips take (issue 4).

The geometry on its own first (the team grid, bases, road distances), then where a
scenario puts its machines, a hand-driven technician who returns to base after every
job, and short runs whose mean trips are checked against the closed forms (two uniform
points: 0.5214 a Euclidean, 2a/3 rectilinear; centre to a uniform point: 0.3826 a
Euclidean, a/2 rectilinear), with tight intervals.  Last, pooling: a region k times
larger makes longer trips.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from scenario_data import toml_data, variant

from sim.analytic.geometry import mean_distance_from_point, mean_distance_two_points
from sim.config import expand_sweep, team_grid
from sim.experiment.replication import run_replication
from sim.experiment.tasks import Task
from sim.model import make_policy
from sim.model.build import build
from sim.model.calls import Call
from sim.model.geography import Geometry
from sim.model.team import Team
from sim.model.technician import crew
from sim.monitors import MonitorSpec
from sim.stats import t_interval
from sim.system import ServiceSystem

# ---------------------------------------------------------------------------
# The geometry on its own


@pytest.mark.parametrize(
    ("pooled", "grid"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 1)), (4, (2, 2)), (6, (3, 2))]
)
def test_a_team_lays_its_territories_out_as_square_as_it_can(pooled, grid):
    """(columns, rows): rows is the largest divisor of the team size not above its square
    root; the model's geometry uses the same grid."""
    assert team_grid(pooled) == grid
    assert Geometry(10.0, 6.0, pooled, False, 1.0, 40.0).grid == grid


def test_territories_sit_side_by_side_and_technicians_start_at_their_centres():
    """Six 10 x 6 km territories in 3 columns x 2 rows: territory 4 is the middle of the
    second row, south-west corner (10, 6), base at its centre (15, 9)."""
    geo = Geometry(10.0, 6.0, 6, False, 1.0, 40.0)
    assert [geo.origin(t) for t in range(6)] == [
        (0.0, 0.0),
        (10.0, 0.0),
        (20.0, 0.0),
        (0.0, 6.0),
        (10.0, 6.0),
        (20.0, 6.0),
    ]
    assert [geo.base(t) for t in range(6)] == [
        (5.0, 3.0),
        (15.0, 3.0),
        (25.0, 3.0),
        (5.0, 9.0),
        (15.0, 9.0),
        (25.0, 9.0),
    ]


def test_road_distance_is_euclidean_or_rectilinear_times_the_circuity():
    """From (0, 0) to (3, 4): 5 km straight, 7 km along the axes; circuity 1.3 lengthens
    both; the trip time is distance / speed."""
    straight = Geometry(10.0, 10.0, 1, False, 1.0, 40.0)
    grid = Geometry(10.0, 10.0, 1, True, 1.0, 40.0)
    winding = Geometry(10.0, 10.0, 1, False, 1.3, 40.0)
    winding_grid = Geometry(10.0, 10.0, 1, True, 1.3, 40.0)
    assert straight.road_km(0.0, 0.0, 3.0, 4.0) == 5.0
    assert grid.road_km(0.0, 0.0, 3.0, 4.0) == 7.0
    assert winding.road_km(3.0, 4.0, 0.0, 0.0) == pytest.approx(6.5)
    assert winding_grid.road_km(3.0, 4.0, 0.0, 0.0) == pytest.approx(9.1)
    assert straight.hours(20.0) == 0.5


# ---------------------------------------------------------------------------
# Where a scenario puts machines and calls

LOCATIONS = toml_data("""
[run]
horizon_h = 1000.0
warmup_h = 0.0
seed = 17

[territories]
count = 12
technicians = 1
pooled = 6
width_km = 10.0
height_km = 6.0

[travel]
mode = "geometry"

[repair]
time_h = { dist = "exponential", mean = 1.0 }
""")


@pytest.mark.parametrize(
    "fleet",
    [
        {"machines": 50, "time_to_failure_h": {"dist": "exponential", "mean": 200.0}},
        {"machines": 50, "time_to_failure_h": {"dist": "weibull", "mean": 200.0, "shape": 2.0}},
        {"calls_per_h": 0.05},
    ],
    ids=["exponential fleet", "weibull fleet", "Poisson calls"],
)
def test_every_call_comes_from_inside_its_own_territory(make_scenario, fleet):
    """Two teams of six 10 x 6 km territories: every call's machine lies in its
    territory's rectangle (team-local km), and the points fill each rectangle evenly."""
    sc = make_scenario(variant(LOCATIONS, {"fleet": fleet}))
    env = simpy.Environment()
    recorder = MonitorSpec(["standard"], [None], [1.0], 12, 8.0).build()
    model = build(env, ServiceSystem.from_scenario(sc), 0, recorder)
    seen: list[Call] = []
    for team in model.teams:

        def spy(call: Call, log=team.log_call) -> None:
            seen.append(call)
            log(call)

        team.log_call = spy  # type: ignore[method-assign]
    env.run(until=1000.0)
    assert len(seen) > 400
    geo = model.teams[0].geometry
    assert geo is not None
    for c in seen:
        assert c.local_territory == c.territory % 6
        x0, y0 = geo.origin(c.local_territory)
        assert x0 <= c.x <= x0 + 10.0 and y0 <= c.y <= y0 + 6.0, c.number
    rel_x = np.array([(c.x - geo.origin(c.local_territory)[0]) / 10.0 for c in seen])
    rel_y = np.array([(c.y - geo.origin(c.local_territory)[1]) / 6.0 for c in seen])
    assert abs(rel_x.mean() - 0.5) < 0.05 and abs(rel_y.mean() - 0.5) < 0.05
    assert {c.territory for c in seen} == set(range(12))


# ---------------------------------------------------------------------------
# Return to base, by hand


def test_return_to_base_keeps_the_technician_busy_for_the_drive_back():
    """10 x 10 km, base (5, 5), 10 km/h.  Call A at (8, 9): 5 km out (0.5 h), repaired
    0.5 -> 1.5, then 0.5 h back: the technician is free at 2.0, not at 1.5.  Call B
    (logged at 0.1, at (5, 1)) leaves from the base at 2.0: 4 km, on site 2.4, restored
    3.4, back at 3.8.  Busy 3.8 h of 10: utilization 0.38, of which 2 h on site."""
    env = simpy.Environment()
    recorder = MonitorSpec(["standard"], [None], [1.0], 1, 8.0, keep_calls=True).build()
    geometry = Geometry(10.0, 10.0, 1, False, 1.0, 10.0)
    team = Team(
        env,
        crew([0], geometry=geometry),
        make_policy("fifo", [1]),
        recorder,
        geometry=geometry,
        return_to_base=True,
    )

    def customer(env: simpy.Environment, number: int, at: float, x: float, y: float):
        yield env.timeout(at)
        team.log_call(Call(number, -1, 0, 0, 0, 0.0, 1.0, env.now, x=x, y=y))

    env.process(customer(env, 0, 0.0, 8.0, 9.0))
    env.process(customer(env, 1, 0.1, 5.0, 1.0))
    env.run(until=10.0)
    a, b = recorder.calls
    assert (a.trip_km, a.on_site_at, a.restored_at) == (5.0, 0.5, 1.5)
    assert b.dispatched_at == 2.0  # after the drive back, not at the end of A's repair
    assert b.trip_km == pytest.approx(4.0)  # from the base, not from A's machine
    assert (b.on_site_at, b.restored_at) == (pytest.approx(2.4), pytest.approx(3.4))
    k = recorder.kpis(10.0)["all"]
    assert k["utilization"] == pytest.approx(3.8 / 10.0)
    assert k["utilization_onsite"] == pytest.approx(2.0 / 10.0)
    assert k["travel_share"] == pytest.approx(1.8 / 10.0)
    assert team.crew[0].position == (5.0, 5.0)


# ---------------------------------------------------------------------------
# Mean trips against the closed forms

TRIPS = toml_data("""
[run]
horizon_h = 16000.0
warmup_h = 100.0
seed = 131

[fleet]
calls_per_h = 0.3

[territories]
technicians = 1
width_km = 12.0
height_km = 8.0

[travel]
mode = "geometry"
circuity = 1.25
speed_kmh = 30.0

[repair]
time_h = { dist = "exponential", mean = 1.0 }
""")


def trip_interval(make_scenario, run_one, metric: str, back_to_base: bool):
    """99 % interval of the mean trip (km), from 20 batches of consecutive trips (trips
    between jobs share an end point, so single trips are not independent)."""
    raw = variant(TRIPS, {"travel.metric": metric, "travel.return_to_base": back_to_base})
    rec, k = run_one(make_scenario(raw), keep_calls=True)
    trips = np.array([c.trip_km for c in sorted(rec.calls, key=lambda c: c.dispatched_at)])
    assert len(trips) > 4000
    batches = np.array_split(trips, 20)
    ci = t_interval([b.mean() for b in batches], 0.99)
    return ci, k["all"]


@pytest.mark.parametrize("metric", ["euclidean", "rectilinear"])
def test_trips_from_base_match_the_centre_to_uniform_point_formula(make_scenario, run_one, metric):
    """Return to base: every trip joins the centre of the 12 x 8 km territory to a uniform
    point (x 1.25 circuity).  The exact mean lies in the 99 % interval, which is within
    3 % of it; trip_h is trip_km / speed, and the drive back doubles the travel share."""
    exact = mean_distance_from_point(12.0, 8.0, metric=metric, circuity=1.25)
    ci, k = trip_interval(make_scenario, run_one, metric, True)
    assert ci.contains(exact), (ci, exact)
    assert ci.half_width < 0.03 * exact
    assert k["trip_km"] == pytest.approx(exact, rel=0.03)
    assert k["trip_h"] == pytest.approx(k["trip_km"] / 30.0)
    calls_per_h = k["calls_logged_per_h"]
    assert k["travel_share"] == pytest.approx(2 * calls_per_h * k["trip_h"], rel=0.03)


@pytest.mark.parametrize("metric", ["euclidean", "rectilinear"])
def test_trips_between_jobs_match_the_two_uniform_points_formula(make_scenario, run_one, metric):
    """Without return to base a trip starts where the last job ended: two independent
    uniform points of the territory (x 1.25).  Exact mean in the 99 % interval, interval
    within 3 %; travel is now one way only."""
    exact = mean_distance_two_points(12.0, 8.0, metric, circuity=1.25)
    ci, k = trip_interval(make_scenario, run_one, metric, False)
    assert ci.contains(exact), (ci, exact)
    assert ci.half_width < 0.03 * exact
    assert k["travel_share"] == pytest.approx(k["calls_logged_per_h"] * k["trip_h"], rel=0.03)


def test_the_closed_forms_for_a_unit_square():
    """The issue's constants: 0.5214 and 2/3 between two points; 0.3826 and 1/2 from the
    centre."""
    assert mean_distance_two_points(1.0, 1.0) == pytest.approx(0.521405, abs=1e-6)
    assert mean_distance_two_points(1.0, 1.0, "rectilinear") == pytest.approx(2 / 3)
    assert mean_distance_from_point(1.0, 1.0) == pytest.approx(0.382598, abs=1e-6)
    assert mean_distance_from_point(1.0, 1.0, metric="rectilinear") == pytest.approx(0.5)


# ---------------------------------------------------------------------------
# Pooling

POOLING = toml_data("""
[run]
horizon_h = 4000.0
warmup_h = 100.0
seed = 137

[fleet]
calls_per_h = 0.25

[territories]
count = 4
technicians = 1
pooled = 1
width_km = 10.0
height_km = 10.0

[travel]
mode = "geometry"
speed_kmh = 30.0

[repair]
time_h = { dist = "exponential", mean = 1.0 }
""")


def test_a_bigger_region_makes_longer_trips(make_scenario):
    """Four 10 x 10 km territories with a technician each, FIFO.  Pooled by 2 the region
    is 20 x 10 km, by 4 it is 20 x 20 km: the mean trip grows with the region, towards
    the two-uniform-points mean of the whole region; with dedicated territories it is
    that of one 10 x 10 km square."""
    trips = {}
    for pooled in (1, 2, 4):
        (point,) = expand_sweep(make_scenario(variant(POOLING, {"territories.pooled": pooled})))
        res = run_replication(Task(point, 0, samples=0))
        assert res.error is None, res.error
        trips[pooled] = next(r for r in res.rows if r["class"] == "all")["trip_km"]
    assert trips[1] < trips[2] < trips[4]
    assert trips[1] == pytest.approx(mean_distance_two_points(10.0, 10.0), rel=0.03)
    assert trips[4] == pytest.approx(mean_distance_two_points(20.0, 20.0), rel=0.03)
    assert math.isfinite(trips[2])
