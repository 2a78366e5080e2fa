"""Trips from base after idleness, between jobs otherwise (``travel.from_base_h``,
``travel.idle_at_base``), and Welch's M/G/1 with exceptional first service."""

from __future__ import annotations

from typing import Any

import pytest

from sim.analytic import estimate
from sim.analytic.queues import UnstableQueueError, mg1
from sim.analytic.welch import mg1_exceptional_first
from sim.config import ScenarioError, expand_sweep, validate_scenario
from sim.experiment.replication import run_replication
from sim.experiment.tasks import Task
from sim.system import ServiceSystem


def test_welch_reduces_to_pollaczek_khinchine() -> None:
    lam, es, vs = 0.3, 2.0, 1.5
    pk = mg1(lam, es, vs)
    w = mg1_exceptional_first(lam, es, vs + es**2, es, vs + es**2)
    assert w.wq == pytest.approx(pk.wq) and w.p_idle == pytest.approx(1 - lam * es)
    assert w.w == pytest.approx(pk.w) and w.lq == pytest.approx(pk.lq)


def test_welch_idle_share_and_wait() -> None:
    # p0 = (1 - rho) / (1 - rho + lam E[S0]); a longer first service, a longer wait
    w = mg1_exceptional_first(0.3, 2.5, 8.5, 1.75, 5.375)
    assert w.p_idle == pytest.approx(0.475 / 1.225)
    assert w.wq == pytest.approx(0.3 * 5.375 / 0.95 + 0.3 * 3.125 / 2.45)
    assert w.wq > mg1(0.3, 1.75, 5.375 - 1.75**2).wq
    with pytest.raises(UnstableQueueError):
        mg1_exceptional_first(0.6, 2.0, 5.0, 1.75, 5.0)


def _raw(travel: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "run": {"horizon_h": 6000.0, "warmup_h": 100.0, "replications": 1, "seed": 3},
        "fleet": {"calls_per_h": 0.3},
        "travel": travel,
        "repair": {"time_h": {"dist": "exponential", "mean": 1.5}},
        **more,
    }


TIME = {
    "from_base_h": {"dist": "deterministic", "value": 1.0},
    "time_h": {"dist": "deterministic", "value": 0.25},
}


@pytest.mark.parametrize(
    ("travel", "key"),
    [
        ({"mode": "geometry", "from_base_h": {"dist": "deterministic", "value": 1.0}}, "travel.from_base_h"),
        ({"idle_at_base": True}, "travel.idle_at_base"),
        ({"mode": "geometry", "idle_at_base": True, "return_to_base": True}, "travel.idle_at_base"),
    ],
)
def test_bad_combinations_name_the_key(travel: dict[str, Any], key: str) -> None:
    raw = _raw(travel, territories={"width_km": 5.0, "height_km": 5.0})
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")):
        validate_scenario(raw, "x.toml")


def test_an_idle_technician_drives_from_base() -> None:
    """Calls that find the technician free get the trip from base, the others the trip
    between jobs; and exactly the calls that wait are the busy ones."""
    (point,) = expand_sweep(validate_scenario(_raw(TIME)))
    res = run_replication(Task(point, 0, keep_calls=True))
    assert res.calls is not None and len(res.calls) > 1000
    waited = [c for c in res.calls if c.dispatched_at > c.logged_at]
    found_free = [c for c in res.calls if c.dispatched_at == c.logged_at]
    assert waited and found_free
    assert {c.travel_h for c in found_free} == {1.0}
    assert {c.travel_h for c in waited} == {0.25}


def test_labels() -> None:
    one = estimate(ServiceSystem.from_scenario(validate_scenario(_raw(TIME))))
    assert one.get("wait_h").exact and "Welch" in one.get("wait_h").model
    two = estimate(ServiceSystem.from_scenario(validate_scenario(_raw(TIME, territories={"technicians": 2}))))
    assert two.get("wait_h") is not None and not two.get("wait_h").exact
    finite = _raw(TIME) | {
        "fleet": {"machines": 10, "time_to_failure_h": {"dist": "exponential", "mean": 30.0}}
    }
    assert not estimate(ServiceSystem.from_scenario(validate_scenario(finite))).get("wait_h").exact
    geo = _raw(
        {"mode": "geometry", "idle_at_base": True, "speed_kmh": 20.0},
        territories={"width_km": 10.0, "height_km": 10.0},
    )
    g = estimate(ServiceSystem.from_scenario(validate_scenario(geo)))
    assert not g.get("wait_h").exact and not g.get("trip_km").exact
    # the trip is between the trip from the centre (0.3826 a) and between two points (0.5214 a)
    assert 3.826 < g.get("trip_km").value < 5.214
