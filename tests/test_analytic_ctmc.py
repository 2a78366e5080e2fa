"""The numerical exact solver (continuous-time Markov chain) against every closed form it
overlaps, and its use by the analytic layer.

The simulation evidence is the validation case ``priority_finite`` (three priority classes
on a twelve-machine fleet, one and two technicians).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scenario_data import toml_data, variant

from sim.analytic import ctmc, erlang_b, estimate, finite_source
from sim.analytic.ctmc import MAX_STATES, MODEL, StateSpaceTooLarge, finite_priority, finite_priority_states
from sim.system import ServiceSystem


def test_stationary_solves_a_birth_death_chain():
    """M/M/2/2 loss system: p_2 is Erlang B."""
    lam, mu = 1.3, 0.7
    q = sp.csr_matrix(np.array([[-lam, lam, 0.0], [mu, -(lam + mu), lam], [0.0, 2 * mu, -2 * mu]]))
    pi = ctmc.stationary(q)
    assert pi.sum() == pytest.approx(1.0)
    assert pi[2] == pytest.approx(erlang_b(2, lam / mu), rel=1e-12)


def test_stationary_copes_with_a_transient_first_state():
    """State 0 is left at rate 1 and never re-entered, so pi_0 = 0 and cannot be pinned;
    the closed class {1, 2} (rates 2 and 3) has pi = (3/5, 2/5)."""
    q = sp.csr_matrix(np.array([[-1.0, 1.0, 0.0], [0.0, -2.0, 2.0], [0.0, 3.0, -3.0]]))
    pi = ctmc.stationary(q)
    assert pi == pytest.approx([0.0, 0.6, 0.4], abs=1e-12)


def test_stationary_refuses_a_chain_with_two_closed_classes():
    q = sp.csr_matrix(
        np.array([[-1.0, 1.0, 0.0, 0.0], [1.0, -1.0, 0.0, 0.0], [0.0, 0.0, -2.0, 2.0], [0.0, 0.0, 2.0, -2.0]])
    )
    with pytest.raises(ArithmeticError, match="singular"):
        ctmc.stationary(q)


@pytest.mark.parametrize(("machines", "servers"), [(1, 1), (10, 1), (20, 2), (150, 1), (40, 7), (5, 8)])
def test_one_level_is_mmsn(machines, servers):
    """FIFO (one level): the chain is M/M/s//N, to rounding."""
    lam, mu = 1 / 25.0, 0.5
    r = finite_priority(machines, lam, mu, servers, [1.0])
    ref = finite_source(machines, lam, mu, servers)
    assert r.model == MODEL
    for field in ("l", "lq", "wq", "w", "arrival_rate", "utilization", "p_wait"):
        assert getattr(r, field) == pytest.approx(getattr(ref, field), rel=1e-9, abs=1e-12), field
    assert np.allclose(r.probabilities, ref.probabilities, atol=1e-12)


@pytest.mark.parametrize("shares", [[0.2, 0.8], [0.5, 0.5], [0.2, 0.3, 0.5], [0.1, 0.2, 0.3, 0.4]])
@pytest.mark.parametrize("servers", [1, 3])
def test_priority_levels_conserve_the_fifo_totals(shares, servers):
    """A nonpreemptive order with a common repair law leaves the number down as in FIFO:
    every total equals M/M/s//N, and the rate-weighted waits average to its wait."""
    lam, mu, n = 1 / 30.0, 0.5, 24
    r = finite_priority(n, lam, mu, servers, shares)
    ref = finite_source(n, lam, mu, servers)
    assert r.l == pytest.approx(ref.l, rel=1e-9)
    assert r.wq == pytest.approx(ref.wq, rel=1e-9)
    assert sum(r.level_lq) == pytest.approx(ref.lq, rel=1e-9)
    assert sum(x * w for x, w in zip(shares, r.level_wq, strict=True)) == pytest.approx(ref.wq, rel=1e-9)
    # higher levels wait less
    assert all(a < b for a, b in itertools.pairwise(r.level_wq))


def test_the_level_reduction_equals_the_full_chain():
    """K levels by K - 1 two-level chains against the chain on all K queue lengths."""
    shares = [0.2, 0.3, 0.5]
    reduced = finite_priority(15, 1 / 20.0, 0.5, 2, shares)
    full = ctmc._chain(15, 1 / 20.0, 0.5, 2, shares)
    assert reduced.level_lq == pytest.approx(full.level_lq, rel=1e-9)
    assert reduced.level_wq == pytest.approx(full.level_wq, rel=1e-9)


def test_the_infinite_source_limit_is_approached():
    """With lambda N fixed and N growing, the waits move towards Cobham's M/M/1 formula."""
    from sim.analytic import priority_nonpreemptive

    cobham = priority_nonpreemptive([0.375 * 0.3, 0.375 * 0.7], 0.5, 1).wq
    gaps = [
        np.abs(np.array(finite_priority(n, 0.375 / n, 0.5, 1, [0.3, 0.7]).level_wq) - cobham)
        for n in (25, 50, 100)
    ]
    assert all((a > b).all() for a, b in itertools.pairwise(gaps))


def test_a_chain_too_big_is_refused_with_its_size():
    n = 500
    size = finite_priority_states(n, 1, 2)
    assert size > MAX_STATES
    with pytest.raises(StateSpaceTooLarge, match=f"{size:,} states"):
        finite_priority(n, 1 / 1000.0, 0.5, 1, [0.3, 0.7])


def test_bad_shares_are_refused():
    with pytest.raises(ValueError, match="sum to 1"):
        finite_priority(10, 0.1, 0.5, 1, [0.3, 0.3])


PRIORITY = toml_data("""
[fleet]
machines = 12
time_to_failure_h = { dist = "exponential", mean = 20.0 }

[[fleet.classes]]
name = "critical"
share = 0.3
priority = 1

[[fleet.classes]]
name = "standard"
share = 0.7
priority = 2

[repair]
time_h = { dist = "exponential", mean = 2.0 }

[dispatch]
policy = "priority"
""")


def priority(**changes: Any) -> dict[str, Any]:
    return variant(PRIORITY, changes)


def test_estimate_gives_exact_per_class_waits_on_a_finite_fleet(make_scenario):
    est = estimate(ServiceSystem.from_scenario(make_scenario(priority())))
    r = finite_priority(12, 1 / 20.0, 0.5, 1, [0.3, 0.7])
    for cls, k in (("critical", 0), ("standard", 1)):
        wait = est.get("wait_h", cls)
        assert wait.model == MODEL and wait.exact
        assert wait.value == pytest.approx(r.level_wq[k], rel=1e-12)
        assert est.get("restore_h", cls).value == pytest.approx(r.level_wq[k] + 2.0, rel=1e-12)
    # the infinite-source formula it replaces stays as a labelled approximation
    old = [e for e in est.alternatives if e.kpi == "wait_h" and e.service_class == "critical"]
    assert old and not any(e.exact for e in old)


def test_a_fleet_too_big_for_the_chain_keeps_the_approximation_and_says_why(make_scenario):
    est = estimate(ServiceSystem.from_scenario(make_scenario(priority(**{"fleet.machines": 600}))))
    wait = est.get("wait_h", "critical")
    assert wait.model != MODEL and not wait.exact
    assert any("states" in n for n in est.notes)


def test_non_exponential_repairs_do_not_use_the_chain(make_scenario):
    est = estimate(
        ServiceSystem.from_scenario(
            make_scenario(priority(**{"repair.time_h": {"dist": "gamma", "mean": 2.0, "cv": 0.5}}))
        )
    )
    assert est.get("wait_h", "critical").model != MODEL


@pytest.mark.parametrize(("machines", "phases"), [(1, 3), (6, 2), (6, 4), (40, 3)])
def test_erlang_repairs_chain_agrees_with_takacs(machines, phases):
    """Two exact methods for M/E_k/1//N: the phase chain and Takacs' embedded chain."""
    from sim.analytic.quadrature import rule
    from sim.analytic.takacs import mg1_finite_source
    from sim.distributions import from_spec

    lam, mean = 1 / 8.0, 2.0
    chain = ctmc.finite_erlang_repairs(machines, lam, mean, phases)
    takacs = mg1_finite_source(machines, lam, *rule(from_spec({"dist": "erlang", "mean": mean, "k": phases})))
    for field in ("l", "wq", "arrival_rate", "utilization", "p_wait"):
        assert getattr(chain, field) == pytest.approx(getattr(takacs, field), rel=1e-6, abs=1e-12), field
    assert np.allclose(chain.probabilities, takacs.probabilities, atol=1e-7)


def test_one_phase_is_mm1n():
    r = ctmc.finite_erlang_repairs(10, 1 / 30.0, 2.0, 1)
    assert r.wq == pytest.approx(finite_source(10, 1 / 30.0, 0.5, 1).wq, rel=1e-10)
