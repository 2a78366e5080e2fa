"""Larson's hypercube model: hand-solved chains, Erlang identities, a seeded event simulation."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from sim.analytic.hypercube import HYPERCUBE_MAX_UNITS, HypercubeResult, hypercube
from sim.analytic.queues import UnstableQueueError, erlang_b, erlang_c


def _random_case(seed: int, n: int, n_atoms: int, rho: float) -> tuple[np.ndarray, list, float]:
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.0, 2.0, n_atoms)
    lam[rng.integers(n_atoms)] = 0.0  # an atom without calls is allowed
    lam[0] += 0.5
    prefs = [[int(u) for u in rng.permutation(n)] for _ in range(n_atoms)]
    mu = lam.sum() / (n * rho)
    return lam, prefs, mu


# --------------------------------------------------------------------------- identities


@pytest.mark.parametrize(
    ("seed", "n", "n_atoms", "rho"),
    [(1, 2, 3, 0.5), (2, 3, 5, 0.9), (3, 4, 4, 0.3), (4, 6, 9, 0.75), (5, 8, 8, 0.95)],
)
def test_all_busy_is_erlang_c_whatever_the_preferences(seed: int, n: int, n_atoms: int, rho: float) -> None:
    lam, prefs, mu = _random_case(seed, n, n_atoms, rho)
    r = hypercube(lam, prefs, mu)
    a = lam.sum() / mu
    assert r.n_units == n
    assert r.offered_load == pytest.approx(a)
    assert r.p_all_busy == pytest.approx(erlang_c(n, a), rel=1e-9)
    assert sum(r.state_probabilities) == pytest.approx(1.0, abs=1e-12)
    assert min(r.state_probabilities) >= 0.0
    # Workloads sum to the offered load, and equal the carried calls each unit serves.
    assert sum(r.workloads) == pytest.approx(a, rel=1e-10)
    f = np.array(r.dispatch_fractions)
    np.testing.assert_allclose(f.sum(axis=1), 1.0, rtol=1e-10)
    np.testing.assert_allclose(lam @ f / mu, r.workloads, rtol=1e-9, atol=1e-12)
    # M/M/N queue measures.
    assert r.lq == pytest.approx(erlang_c(n, a) * rho / (1 - rho), rel=1e-9)
    assert r.wq == pytest.approx(erlang_c(n, a) / (n * mu - lam.sum()), rel=1e-9)


@pytest.mark.parametrize(("seed", "n", "n_atoms", "load"), [(6, 3, 4, 2.5), (7, 5, 7, 7.0)])
def test_loss_variant_is_erlang_b(seed: int, n: int, n_atoms: int, load: float) -> None:
    lam, prefs, _ = _random_case(seed, n, n_atoms, 0.5)
    mu = lam.sum() / load  # overloaded is fine for a loss system
    r = hypercube(lam, prefs, mu, "loss")
    b = erlang_b(n, load)
    assert r.p_all_busy == pytest.approx(b, rel=1e-9)
    assert sum(r.workloads) == pytest.approx(load * (1 - b), rel=1e-10)
    f = np.array(r.dispatch_fractions)
    np.testing.assert_allclose(f.sum(axis=1), 1 - b, rtol=1e-10)
    np.testing.assert_allclose(lam @ f / mu, r.workloads, rtol=1e-9)
    assert r.lq == r.wq == 0.0


@pytest.mark.parametrize("n", [2, 3, 5])
def test_symmetric_preferences_give_equal_workloads(n: int) -> None:
    # Atom j is unit j's own area; neighbours follow cyclically.
    prefs = [[(j + k) % n for k in range(n)] for j in range(n)]
    r = hypercube([0.7] * n, prefs, 1.0)
    np.testing.assert_allclose(r.workloads, 0.7, rtol=1e-10)
    f = np.array(r.dispatch_fractions)
    assert (np.diag(f) > f.sum(axis=1) / n).all()  # the own unit serves most calls


def test_one_unit_is_mm1() -> None:
    rho = 0.6
    r = hypercube([0.2, 0.4], [[0], [0]], 1.0)
    assert r.state_probabilities == pytest.approx((1 - rho, rho), rel=1e-12)
    assert r.workloads == pytest.approx((rho,))
    assert r.p_all_busy == pytest.approx(rho)
    assert r.lq == pytest.approx(rho**2 / (1 - rho))
    assert r.wq == pytest.approx(rho / (1.0 - rho))  # lambda / (mu (mu - lambda)), mu = 1
    assert r.dispatch_fractions == ((1.0,), (1.0,))


# --------------------------------------------------------------------------- 2 units by hand


def _two_unit_by_hand(lam0: float, lam1: float, prefs: list, mu: float, infinite: bool) -> dict:
    """Balance equations of the 4-state chain {00, 10, 01, 11} (first digit: unit 0 busy).

    alpha = rate of calls that pick unit 0 when both are idle, beta the rest;
    mu' = mu (1 - rho) leaves the aggregated all-busy state (infinite line), mu (loss):
      lam p00          = mu (p10 + p01)
      (lam + mu) p10   = alpha p00 + mu' p11
      (lam + mu) p01   = beta p00 + mu' p11
      2 mu' p11        = lam (p10 + p01)
    so p10 + p01 = (lam/mu) p00, p10 - p01 = (alpha - beta) p00 / (lam + mu),
    p11 = lam^2 p00 / (2 mu mu').
    """
    lam = lam0 + lam1
    rho = lam / (2 * mu)
    mu_full = mu * (1 - rho) if infinite else mu
    alpha = (lam0 if prefs[0][0] == 0 else 0.0) + (lam1 if prefs[1][0] == 0 else 0.0)
    beta = lam - alpha
    p00 = 1 / (1 + lam / mu + lam**2 / (2 * mu * mu_full))
    p10 = p00 / 2 * (lam / mu + (alpha - beta) / (lam + mu))
    p01 = p00 / 2 * (lam / mu - (alpha - beta) / (lam + mu))
    p11 = lam**2 * p00 / (2 * mu * mu_full)
    queued = p11 / 2 if infinite else 0.0
    fractions = []
    for first, _second in prefs:
        to_first = p00 + (p01 if first == 0 else p10) + queued
        to_second = (p10 if first == 0 else p01) + queued
        row = [to_first, to_second] if first == 0 else [to_second, to_first]
        fractions.append(row)
    return {
        "states": (p00, p10, p01, p11),  # bit masks 0b00, 0b01 (unit 0), 0b10 (unit 1), 0b11
        "workloads": (p10 + p11, p01 + p11),
        "fractions": fractions,
    }


@pytest.mark.parametrize("queue", ["infinite", "loss"])
@pytest.mark.parametrize("prefs", [[[0, 1], [1, 0]], [[0, 1], [0, 1]], [[1, 0], [0, 1]]])
def test_two_units_against_hand_solution(queue: str, prefs: list) -> None:
    lam0, lam1, mu = 1.0, 0.5, 1.25
    r = hypercube([lam0, lam1], prefs, mu, queue)  # type: ignore[arg-type]
    hand = _two_unit_by_hand(lam0, lam1, prefs, mu, queue == "infinite")
    assert r.state_probabilities == pytest.approx(hand["states"], rel=1e-12)
    assert r.workloads == pytest.approx(hand["workloads"], rel=1e-12)
    np.testing.assert_allclose(r.dispatch_fractions, hand["fractions"], rtol=1e-12)
    assert r.probability([0]) == r.state_probabilities[0b01]
    assert r.probability({0, 1}) == r.p_all_busy
    assert r.probability([]) == r.state_probabilities[0]


def test_shared_first_choice_loads_that_unit() -> None:
    r = hypercube([1.0, 0.5], [[0, 1], [0, 1]], 1.25)
    assert r.workloads[0] > r.workloads[1]
    # Here the numbers: p00 = 1 / (1 + 1.2 + 1.44 / (2 (1 - 0.6))) = 1 / 4.
    assert r.probability([]) == pytest.approx(0.25, rel=1e-12)


def test_mean_travel() -> None:
    travel = [[0.1, 0.5], [0.4, 0.2]]
    r = hypercube([1.0, 0.5], [[0, 1], [1, 0]], 1.25, travel_times=travel)
    f = np.array(r.dispatch_fractions)
    by_atom = (f * np.array(travel)).sum(axis=1)
    assert r.mean_travel_by_atom == pytest.approx(tuple(by_atom))
    assert r.mean_travel == pytest.approx((1.0 * by_atom[0] + 0.5 * by_atom[1]) / 1.5)
    assert hypercube([1.0, 0.5], [[0, 1], [1, 0]], 1.25).mean_travel is None


# --------------------------------------------------------------------------- simulation


def _simulate(lam: np.ndarray, prefs: list, mu: float, events: int, seed: int) -> tuple:
    """Event-by-event CTMC with an explicit FIFO queue (no aggregation, no PASTA).

    Returns each unit's busy fraction of the elapsed time, the count of calls
    served per (atom, unit), and the arrivals per atom.
    """
    rng = np.random.default_rng(seed)
    n, n_atoms = len(prefs[0]), len(lam)
    busy = [False] * n
    waiting: deque[int] = deque()
    busy_time = np.zeros(n)
    elapsed = 0.0
    served = np.zeros((n_atoms, n))
    arrivals = np.zeros(n_atoms)
    total = lam.sum()
    p_atom = lam / total
    expo = rng.exponential(size=events)
    unif = rng.uniform(size=events)
    atoms = rng.choice(n_atoms, size=events, p=p_atom)
    for k in range(events):
        busy_idx = [i for i in range(n) if busy[i]]
        rate = total + mu * len(busy_idx)
        dt = expo[k] / rate
        elapsed += dt
        for i in busy_idx:
            busy_time[i] += dt
        u = unif[k] * rate
        if u < total:
            j = int(atoms[k])
            arrivals[j] += 1
            for i in prefs[j]:
                if not busy[i]:
                    busy[i] = True
                    served[j, i] += 1
                    break
            else:
                waiting.append(j)
        else:
            i = busy_idx[min(int((u - total) / mu), len(busy_idx) - 1)]
            if waiting:
                served[waiting.popleft(), i] += 1
            else:
                busy[i] = False
    return busy_time / elapsed, served, arrivals


def test_against_event_simulation() -> None:
    lam = np.array([0.9, 0.3, 0.6])
    prefs = [[0, 1, 2], [1, 2, 0], [0, 2, 1]]
    mu = 1.0  # rho = 0.6
    r = hypercube(lam, prefs, mu)
    assert r.p_all_busy > 0.3  # many calls queue: the 1/N rule for queued calls matters
    busy_fraction, served, arrivals = _simulate(lam, prefs, mu, 150_000, seed=2024)
    f_sim = served / arrivals[:, None]
    np.testing.assert_allclose(f_sim, r.dispatch_fractions, atol=0.02)
    np.testing.assert_allclose(busy_fraction, r.workloads, atol=0.02)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"preference": [[0, 1], [1, 2]]}, r"preference\[1\] must list every unit"),
        ({"preference": [[0, 1], [0, 0]]}, r"preference\[1\] must list every unit"),
        ({"preference": [[0, 1], [1]]}, r"preference\[1\] must list every unit"),
        ({"preference": [[0, 1]]}, "one list per atom"),
        ({"preference": [[0, 1.0], [1, 0]]}, "non-integer"),
        ({"preference": "01"}, "preference"),
        ({"atoms_rates": [1.0, -1.0]}, r"atoms_rates\[1\]"),
        ({"atoms_rates": [0.0, 0.0]}, "positive total"),
        ({"service_rate": 0.0}, "service_rate"),
        ({"queue": "fifo"}, "queue"),
        ({"travel_times": [[1.0, 2.0]]}, "travel_times"),
        ({"travel_times": [[1.0, 2.0], [1.0, -2.0]]}, "travel_times"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    args = {"atoms_rates": [1.0, 0.5], "preference": [[0, 1], [1, 0]], "service_rate": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        hypercube(**args)


def test_too_many_units_and_instability() -> None:
    n = HYPERCUBE_MAX_UNITS + 1
    with pytest.raises(ValueError, match="between 1 and"):
        hypercube([1.0], [list(range(n))], 1.0)
    with pytest.raises(UnstableQueueError):
        hypercube([1.0, 1.0], [[0, 1], [1, 0]], 1.0)  # rho = 1
    # The loss variant has no stability condition.
    assert hypercube([1.0, 1.0], [[0, 1], [1, 0]], 0.5, "loss").p_all_busy == pytest.approx(erlang_b(2, 4.0))


def test_largest_size_is_fast_and_consistent() -> None:
    lam, prefs, mu = _random_case(9, HYPERCUBE_MAX_UNITS, 12, 0.8)
    r = hypercube(lam, prefs, mu)
    assert isinstance(r, HypercubeResult)
    assert len(r.state_probabilities) == 2**HYPERCUBE_MAX_UNITS
    assert r.p_all_busy == pytest.approx(erlang_c(HYPERCUBE_MAX_UNITS, lam.sum() / mu), rel=1e-9)
    assert math.isclose(sum(r.workloads), lam.sum() / mu, rel_tol=1e-9)
