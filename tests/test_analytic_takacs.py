"""Takacs' exact M/G/1//N (embedded chain at departures) and the quadrature rules it uses.

The simulation evidence is the validation case ``mg1_finite_takacs`` (deterministic and
gamma repairs on six machines); these tests check the chain against the closed forms it
must reduce to and against results derived by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scenario_data import toml_data, variant

from sim.analytic import estimate, finite_source
from sim.analytic.quadrature import rule, sum_rule
from sim.analytic.takacs import MAX_MACHINES, mg1_finite_source
from sim.distributions import from_spec
from sim.system import ServiceSystem


@pytest.mark.parametrize(("machines", "rate", "mean"), [(1, 0.2, 1.0), (5, 0.1, 2.0), (150, 1 / 400, 2.0)])
def test_exponential_service_gives_mm1n(machines, rate, mean):
    """With exponential repairs the chain must reproduce the M/M/1//N closed form."""
    law = from_spec({"dist": "exponential", "mean": mean})
    r = mg1_finite_source(machines, rate, *rule(law))
    ref = finite_source(machines, rate, 1.0 / mean, 1)
    for field in ("wq", "w", "l", "lq", "arrival_rate", "utilization", "p_wait"):
        assert getattr(r, field) == pytest.approx(getattr(ref, field), rel=2e-6, abs=1e-12), field
    assert np.allclose(r.probabilities, ref.probabilities, atol=1e-7)
    assert np.allclose(r.arrival_probabilities, ref.arrival_probabilities, atol=1e-7)


def test_two_machines_deterministic_repair_by_hand():
    """N = 2, repairs of exactly d: after a repair the other machine is down iff it failed
    during it, so pi_0 = e^{-lambda d}; lambda_eff = 1 / (d + pi_0 / (2 lambda))."""
    lam, d = 0.3, 1.5
    r = mg1_finite_source(2, lam, [d], [1.0])
    pi0 = math.exp(-lam * d)
    lam_eff = 1.0 / (d + pi0 / (2 * lam))
    assert r.arrival_rate == pytest.approx(lam_eff, rel=1e-12)
    assert r.p_wait == pytest.approx(1 - pi0, rel=1e-12)
    assert r.l == pytest.approx(2 - lam_eff / lam, rel=1e-12)
    assert r.wq == pytest.approx(r.l / lam_eff - d, rel=1e-12)
    assert sum(r.probabilities) == pytest.approx(1.0, abs=1e-12)
    assert r.utilization == pytest.approx(1.0 - r.probabilities[0], rel=1e-12)


def test_one_machine_never_waits():
    r = mg1_finite_source(1, 0.25, *rule(from_spec({"dist": "gamma", "mean": 2.0, "cv": 0.5})))
    assert r.wq == pytest.approx(0.0, abs=1e-12)
    assert r.l == pytest.approx(2.0 / (4.0 + 2.0), rel=1e-7)  # E[S] / (E[life] + E[S])


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "gamma", "mean": 2.0, "cv": 0.5},
        {"dist": "gamma", "mean": 2.0, "cv": 2.0},
        {"dist": "lognormal", "mean": 2.0, "cv": 1.5},
        {"dist": "weibull", "mean": 2.0, "shape": 0.7},
        {"dist": "uniform", "low": 0.5, "high": 3.5},
    ],
)
def test_quadrature_rules_integrate_the_moments(spec):
    """A rule must give the law's mean and variance (the chain depends on E[g(S)])."""
    law = from_spec(spec)
    x, w = rule(law)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert w @ x == pytest.approx(law.mean, rel=1e-6)
    assert w @ (x - law.mean) ** 2 == pytest.approx(law.variance, rel=1e-3)


def test_the_sum_of_two_exponentials_is_erlang_two():
    """The product rule of trip + repair against the Erlang-2 law it is."""
    expo = from_spec({"dist": "exponential", "mean": 1.0})
    summed = mg1_finite_source(150, 1 / 400, *sum_rule(rule(expo, 8), rule(expo, 8)))
    erlang = mg1_finite_source(150, 1 / 400, *rule(from_spec({"dist": "erlang", "mean": 2.0, "k": 2})))
    assert summed.wq == pytest.approx(erlang.wq, rel=1e-4)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="machines"):
        mg1_finite_source(MAX_MACHINES + 1, 0.1, [1.0], [1.0])
    with pytest.raises(ValueError, match="nodes and weights"):
        mg1_finite_source(3, 0.1, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="positive mean"):
        mg1_finite_source(3, 0.1, [0.0], [1.0])


DUPIT_LIKE = toml_data("""
[fleet]
machines = 150
time_to_failure_h = { dist = "exponential", mean = 400.0 }

[repair]
time_h = { dist = "gamma", mean = 1.5, cv = 0.5 }
""")


def test_estimate_uses_the_exact_chain_for_one_technician(make_scenario):
    """Dupit's new-equipment proposal: M/G/1//150 by Takacs, exact; the old scaling is an
    alternative labelled approximate."""
    est = estimate(ServiceSystem.from_scenario(make_scenario(DUPIT_LIKE)))
    wait = est.get("wait_h")
    assert wait.exact and "Takacs" in wait.model
    law = from_spec({"dist": "gamma", "mean": 1.5, "cv": 0.5})
    assert wait.value == pytest.approx(mg1_finite_source(150, 1 / 400, *rule(law)).wq, rel=1e-12)
    scaled = [e for e in est.alternatives if e.kpi == "wait_h" and "(1+cv^2)/2" in e.model]
    assert scaled and not scaled[0].exact


def test_non_exponential_lives_make_the_chain_approximate(make_scenario):
    raw = variant(DUPIT_LIKE, {"fleet.time_to_failure_h": {"dist": "weibull", "mean": 400.0, "shape": 2.0}})
    wait = estimate(ServiceSystem.from_scenario(make_scenario(raw))).get("wait_h")
    assert "Takacs" in wait.model and not wait.exact


def test_a_fleet_beyond_the_chain_falls_back_to_the_labelled_approximation(make_scenario):
    raw = variant(DUPIT_LIKE, {"fleet.machines": MAX_MACHINES + 1, "fleet.time_to_failure_h.mean": 4000.0})
    wait = estimate(ServiceSystem.from_scenario(make_scenario(raw))).get("wait_h")
    assert "Takacs" not in wait.model and not wait.exact
