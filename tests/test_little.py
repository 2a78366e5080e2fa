"""Little's law and the utilisation identity on every kind of run.

L = lambda W holds on every sample path up to edge effects (calls still in
the system when measuring starts or stops), whatever the distributions, the
dispatch rule or the fleet model.  So on one long replication:

* time-average calls waiting  ==  calls logged per hour x mean wait,
* time-average machines down  ==  calls logged per hour x mean restore time,

within 2 %, overall and per service class; and the technicians' busy share
equals calls per hour x E[technician time per call] / technicians within 3 %
(the only noise is the sample mean of the service times).
"""

from __future__ import annotations

import textwrap
import tomllib

import pytest

from sim.config import expand_sweep, validate_scenario
from sim.distributions import from_spec
from sim.experiment.replication import run_replication
from sim.experiment.tasks import Task

SCENARIOS = {
    "M/M/1": """
        [run]
        horizon_h = 40000.0
        warmup_h = 500.0
        seed = 61

        [fleet]
        calls_per_h = 0.375

        [repair]
        time_h = { dist = "exponential", mean = 2.0 }
    """,
    "M/M/3": """
        [run]
        horizon_h = 20000.0
        warmup_h = 500.0
        seed = 67

        [fleet]
        calls_per_h = 1.125

        [territories]
        technicians = 3

        [repair]
        time_h = { dist = "exponential", mean = 2.0 }
    """,
    "finite fleet, travel, pooled": """
        [run]
        horizon_h = 20000.0
        warmup_h = 500.0
        seed = 71

        [fleet]
        machines = 30
        time_to_failure_h = { dist = "weibull", mean = 80.0, shape = 1.5 }

        [territories]
        count = 2
        technicians = 1
        pooled = 2

        [travel]
        time_h = { dist = "uniform", low = 0.25, high = 0.75 }

        [repair]
        time_h = { dist = "gamma", mean = 1.5, cv = 0.7 }
    """,
    "3-class priority": """
        [run]
        horizon_h = 20000.0
        warmup_h = 500.0
        seed = 73

        [fleet]
        calls_per_h = 0.7
        classes = [
          { name = "critical", share = 0.2, priority = 1, sla_h = 2.0 },
          { name = "contract", share = 0.3, priority = 2, sla_h = 4.0 },
          { name = "warranty", share = 0.5, priority = 3 },
        ]

        [territories]
        technicians = 2

        [repair]
        time_h = { dist = "exponential", mean = 2.0 }

        [dispatch]
        policy = "priority"
    """,
}
LITTLE_TOL = 0.02
UTIL_TOL = 0.03


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[object, dict[str, dict[str, float]]]]:
    """One long replication of each scenario: (scenario, {class or 'all': KPI row})."""
    out = {}
    for name, text in SCENARIOS.items():
        sc = validate_scenario(tomllib.loads(textwrap.dedent(text)), name)
        (point,) = expand_sweep(sc)
        res = run_replication(Task(point, 0))
        assert res.error is None, res.error
        out[name] = (sc, {row["class"]: row for row in res.rows})
    return out


def classes_of(sc) -> list[str]:
    names = [c.name for c in sc.fleet.classes]
    return ["all", *names] if len(names) > 1 else ["all"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_calls_waiting_equal_arrival_rate_times_wait(runs, name):
    """Lq = lambda Wq, overall and for every service class."""
    sc, rows = runs[name]
    for cls in classes_of(sc):
        k = rows[cls]
        assert k["queue_len"] > 0.05, cls  # the identity is not checked on an empty line
        assert k["queue_len"] == pytest.approx(k["calls_logged_per_h"] * k["wait_h"], rel=LITTLE_TOL), cls


@pytest.mark.parametrize("name", SCENARIOS)
def test_machines_down_equal_arrival_rate_times_restore_time(runs, name):
    """L = lambda W for machines out of service (logged until restored)."""
    _, rows = runs[name]
    k = rows["all"]
    assert k["machines_down"] == pytest.approx(k["calls_logged_per_h"] * k["restore_h"], rel=LITTLE_TOL)


@pytest.mark.parametrize("name", SCENARIOS)
def test_response_is_wait_plus_mean_trip(runs, name):
    """Per call, response = wait + trip; on average the difference is E[travel]."""
    sc, rows = runs[name]
    travel = from_spec(sc.travel.time_h)
    for cls in classes_of(sc):
        k = rows[cls]
        diff = k["response_h"] - k["wait_h"]
        if travel.variance == 0.0:
            assert diff == pytest.approx(travel.mean, abs=1e-9), cls
        else:
            assert diff == pytest.approx(travel.mean, rel=UTIL_TOL), cls


@pytest.mark.parametrize("name", SCENARIOS)
def test_utilization_equals_call_rate_times_service_time_per_technician(runs, name):
    """rho = lambda E[travel + repair] / s; on-site and travel shares split it."""
    sc, rows = runs[name]
    k = rows["all"]
    terr = sc.territories
    s = terr.technicians * terr.count
    travel = from_spec(sc.travel.time_h).mean
    repair = from_spec(sc.repair.time_h).mean
    lam = k["calls_logged_per_h"]
    assert k["utilization"] == pytest.approx(lam * (travel + repair) / s, rel=UTIL_TOL)
    assert k["utilization_onsite"] == pytest.approx(lam * repair / s, rel=UTIL_TOL)
    if travel:
        assert k["travel_share"] == pytest.approx(lam * travel / s, rel=UTIL_TOL)
    else:
        assert k["travel_share"] == pytest.approx(0.0, abs=1e-12)


def test_calls_come_in_the_class_shares(runs):
    """Each class gets its share of the calls (within 4 binomial standard errors), and under
    priority dispatch the classes wait in priority order (the mix of 0.2 / 0.3 / 0.5 at 70 %
    load makes the gaps many standard errors wide)."""
    sc, rows = runs["3-class priority"]
    total = rows["all"]["n_calls"]
    assert total > 10_000
    for c in sc.fleet.classes:
        se = (c.share * (1 - c.share) / total) ** 0.5
        assert rows[c.name]["n_calls"] / total == pytest.approx(c.share, abs=4 * se), c.name
    waits = [rows[c.name]["wait_h"] for c in sorted(sc.fleet.classes, key=lambda c: c.priority)]
    assert waits == sorted(waits) and waits[0] < 0.5 * waits[-1]
