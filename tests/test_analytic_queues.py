"""Closed-form queueing results against published numbers and internal identities."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import poisson

from sim.analytic import (
    FiniteSourceResult,
    PriorityResult,
    QueueResult,
    UnstableQueueError,
    allen_cunneen,
    erlang_b,
    erlang_c,
    finite_source,
    finite_source_wait_tail,
    mg1,
    mg1_priority_nonpreemptive,
    mm1,
    mms,
    mms_wait_tail,
    priority_nonpreemptive,
    priority_preemptive,
)


def _erlang_b_exact(s: int, a: Fraction) -> Fraction:
    """Definition a^s/s! / sum_k a^k/k!, in exact arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(s + 1)]
    return terms[-1] / sum(terms)


# --------------------------------------------------------------------------- Erlang B / C


@pytest.mark.parametrize("a", [0.1, 1.0, 3.7, 50.0])
def test_erlang_b_one_server(a: float) -> None:
    assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)


def test_erlang_b_table_values() -> None:
    # Standard Erlang B table: 10 circuits, 5 Erlangs -> 1.8385 % blocking.
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-7)
    for s, a in [(2, Fraction(1)), (5, Fraction(2)), (20, Fraction(15)), (30, Fraction(61, 2))]:
        assert erlang_b(s, float(a)) == pytest.approx(float(_erlang_b_exact(s, a)), rel=1e-12)


def test_erlang_b_edge_cases() -> None:
    assert erlang_b(0, 3.0) == 1.0  # no stock / no server: all blocked
    assert erlang_b(4, 0.0) == 0.0


@pytest.mark.parametrize(("s", "a"), [(10_000, 9_500.0), (10_000, 10_500.0), (2_000, 100.0)])
def test_erlang_b_large_is_stable(s: int, a: float) -> None:
    # B(s, a) = P(X = s) / P(X <= s) for X ~ Poisson(a): an independent stable route.
    expected = poisson.pmf(s, a) / poisson.cdf(s, a)
    assert erlang_b(s, a) == pytest.approx(expected, rel=1e-9)


def test_erlang_c_published_value() -> None:
    # M/M/3, lambda = 9, mu = 4: a = 2.25, C = 0.56776.
    assert erlang_c(3, 2.25) == pytest.approx(0.56776, abs=5e-6)
    assert erlang_c(1, 0.75) == pytest.approx(0.75, rel=1e-14)  # C(1, a) = a
    assert erlang_c(2, 0.0) == 0.0


def test_erlang_c_matches_validation_formula() -> None:
    s, a = 5, Fraction(37, 10)
    rho = a / s
    top = a**s / math.factorial(s) / (1 - rho)
    expected = top / (sum(a**k / math.factorial(k) for k in range(s)) + top)
    assert erlang_c(s, float(a)) == pytest.approx(float(expected), rel=1e-12)


def test_erlang_c_large() -> None:
    c = erlang_c(10_000, 9_900.0)
    assert 0 < c < 1 and math.isfinite(c)


# --------------------------------------------------------------------------- M/M/1, M/M/s


def test_mm1_dupit_status_quo() -> None:
    r = mm1(3.0, 4.0)
    assert isinstance(r, QueueResult)
    assert r.model == "M/M/1"
    assert r.wq == pytest.approx(0.75)
    assert r.w == pytest.approx(1.0)
    assert r.lq == pytest.approx(2.25)
    assert r.l == pytest.approx(3.0)
    assert r.utilization == pytest.approx(0.75)
    assert r.p_wait == pytest.approx(0.75)
    assert mms_wait_tail(3.0, 4.0, 1, 1.0) == pytest.approx(0.75 * math.exp(-1))
    assert round(mms_wait_tail(3.0, 4.0, 1, 1.0), 4) == 0.2759


def test_mm1_dupit_proposal_1() -> None:
    r = mm1(2.0, 4.0)
    assert r.wq == pytest.approx(0.25)
    tail = mms_wait_tail(2.0, 4.0, 1, 1.0)
    assert tail == pytest.approx(0.5 * math.exp(-2))
    assert round(tail, 4) == 0.0677


def test_mms_published_value() -> None:
    r = mms(9.0, 4.0, 3)
    assert r.model == "M/M/3"
    assert r.p_wait == pytest.approx(0.56776, abs=5e-6)
    assert r.wq == pytest.approx(0.18925, abs=5e-6)
    # L and Lq summed over the birth-death chain's stationary law (the code uses Erlang C
    # and Little's law): p_n = p_0 a^n / n! for n <= 3, p_3 rho^(n - 3) beyond
    a, rho = 9.0 / 4.0, 0.75
    n = np.arange(0, 400)
    p = np.array([a**k / math.factorial(k) if k <= 3 else a**3 / 6 * rho ** (k - 3) for k in n])
    p /= p.sum()
    assert r.l == pytest.approx(float(n @ p), rel=1e-9)
    assert r.lq == pytest.approx(float(np.maximum(n - 3, 0) @ p), rel=1e-9)
    assert r.w == pytest.approx(float(n @ p) / 9.0, rel=1e-9)
    assert r.utilization == pytest.approx(0.75)


def test_mms_wait_tail_vectorised() -> None:
    t = np.array([[0.0, 0.1], [1.0, np.inf]])
    tail = mms_wait_tail(9.0, 4.0, 3, t)
    assert isinstance(tail, np.ndarray) and tail.shape == t.shape
    c = erlang_c(3, 2.25)
    np.testing.assert_allclose(tail, c * np.exp(-3.0 * t), rtol=1e-14)
    assert isinstance(mms_wait_tail(9.0, 4.0, 3, 0.5), float)
    # The tail integrates to the mean wait.
    area, _ = integrate.quad(lambda x: mms_wait_tail(9.0, 4.0, 3, x), 0, np.inf)
    assert area == pytest.approx(mms(9.0, 4.0, 3).wq, rel=1e-8)


# --------------------------------------------------------------------------- M/G/1, M/G/s


def test_md1() -> None:
    lam, mu = 3.0, 4.0
    rho = lam / mu
    r = mg1(lam, 1 / mu, 0.0)
    assert r.model == "M/D/1"
    assert r.wq == pytest.approx(rho / (2 * mu * (1 - rho)))
    assert r.wq == pytest.approx(mm1(lam, mu).wq / 2)
    assert r.p_wait == pytest.approx(rho)


def test_pk_with_exponential_service_is_mm1() -> None:
    r, ref = mg1(3.0, 0.25, 0.0625), mm1(3.0, 4.0)
    assert r.model == "M/M/1"
    for name in ("wq", "w", "lq", "l", "utilization", "p_wait"):
        assert getattr(r, name) == pytest.approx(getattr(ref, name), rel=1e-12)


def test_pk_general() -> None:
    r = mg1(2.0, 0.3, 0.05)
    assert r.model == "M/G/1"
    assert r.wq == pytest.approx(2.0 * (0.05 + 0.09) / (2 * (1 - 0.6)))


def test_allen_cunneen() -> None:
    ac = allen_cunneen(9.0, 0.25, 0.0, 3)
    assert ac.model == "M/G/3 (Allen-Cunneen)"
    assert ac.wq == pytest.approx(mms(9.0, 4.0, 3).wq / 2)
    # Exponential service: exactly M/M/s.
    assert allen_cunneen(9.0, 0.25, 0.0625, 3).wq == pytest.approx(mms(9.0, 4.0, 3).wq)
    # One server: coincides with Pollaczek-Khinchine.
    assert allen_cunneen(2.0, 0.3, 0.05, 1).wq == pytest.approx(mg1(2.0, 0.3, 0.05).wq)


# --------------------------------------------------------------------------- finite source


def test_finite_source_worked_example() -> None:
    # The Dupit territory: N = 150, s = 1, one failure per 50 working days, mu = 4/day.
    r = finite_source(150, 1 / 50, 4.0, 1)
    assert isinstance(r, FiniteSourceResult)
    assert r.model == "M/M/1//150"
    assert round(r.l, 3) == 2.636
    assert round(r.wq, 4) == 0.6445
    assert round(r.arrival_rate, 3) == 2.947
    assert r.w == pytest.approx(r.wq + 0.25)  # L - Lq = busy repairers = lambda_eff / mu
    assert r.utilization == pytest.approx(1 - r.probabilities[0])  # single repairer busy
    assert len(r.probabilities) == len(r.arrival_probabilities) == 151
    assert sum(r.probabilities) == pytest.approx(1.0, abs=1e-12)
    assert sum(r.arrival_probabilities) == pytest.approx(1.0, abs=1e-12)
    assert r.arrival_probabilities[-1] == 0.0
    # An arriving breakdown sees fewer machines down than the time average.
    assert r.p_wait < 1 - r.probabilities[0]
    assert "probabilities" not in repr(r)


def test_finite_source_validation_formula_multi_server() -> None:
    n_mach, lam, mu, s = 12, 0.3, 1.0, 3
    r = finite_source(n_mach, lam, mu, s)
    x = lam / mu
    weights = [
        math.comb(n_mach, n) * x**n
        if n <= s
        else math.comb(n_mach, n) * math.factorial(n) / (math.factorial(s) * s ** (n - s)) * x**n
        for n in range(n_mach + 1)
    ]
    p = np.array(weights) / sum(weights)
    np.testing.assert_allclose(r.probabilities, p, rtol=1e-10, atol=1e-300)
    n = np.arange(n_mach + 1)
    assert r.l == pytest.approx(float(n @ p))
    assert r.lq == pytest.approx(float(np.maximum(n - s, 0) @ p))
    arrival = (n_mach - n) * p / float((n_mach - n) @ p)
    assert r.p_wait == pytest.approx(float(arrival[s:].sum()))


def test_finite_source_large_fleet_approaches_mm1() -> None:
    r = finite_source(20_000, 3.0 / 20_000, 4.0, 1)
    ref = mm1(3.0, 4.0)
    assert r.wq == pytest.approx(ref.wq, rel=5e-3)
    assert r.l == pytest.approx(ref.l, rel=5e-3)
    assert r.p_wait == pytest.approx(ref.p_wait, rel=5e-3)
    assert r.wq < ref.wq  # a finite source always waits less


def test_finite_source_huge_no_overflow() -> None:
    r = finite_source(15_000, 0.02, 4.0, 100)
    assert r.model == "M/M/100//15000"
    values = [r.l, r.lq, r.wq, r.w, r.arrival_rate, r.p_wait, r.utilization]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert sum(r.probabilities) == pytest.approx(1.0, abs=1e-12)
    assert 0 < r.utilization < 1
    # Near-saturated and overloaded fleets are still fine: finite source never explodes.
    r2 = finite_source(15_000, 1.0, 4.0, 100)
    assert r2.utilization == pytest.approx(1.0, abs=1e-9) and math.isfinite(r2.wq)


def test_finite_source_more_servers_than_machines() -> None:
    r = finite_source(3, 1.0, 2.0, 5)
    assert r.p_wait == 0.0 and r.wq == 0.0 and r.lq == 0.0
    assert finite_source_wait_tail(r, 2.0, 0.0) == 0.0


@pytest.mark.parametrize(("n_mach", "lam", "mu", "s"), [(150, 1 / 50, 4.0, 1), (40, 0.2, 1.5, 3)])
def test_finite_source_wait_tail(n_mach: int, lam: float, mu: float, s: int) -> None:
    r = finite_source(n_mach, lam, mu, s)
    assert finite_source_wait_tail(r, mu, 0.0) == pytest.approx(r.p_wait, rel=1e-12)
    t = np.linspace(0.0, 3.0, 7)
    tail = finite_source_wait_tail(r, mu, t)
    assert tail.shape == t.shape
    assert np.all(np.diff(tail) < 0)
    # The tail integrates to the mean wait (Little's law gives the same wq).
    area, _ = integrate.quad(lambda x: finite_source_wait_tail(r, mu, x), 0, np.inf, limit=200)
    assert area == pytest.approx(r.wq, rel=1e-6)


def test_finite_source_wait_tail_rejects_wrong_service_rate() -> None:
    r = finite_source(150, 1 / 50, 4.0, 1)
    with pytest.raises(ValueError, match="service_rate"):
        finite_source_wait_tail(r, 5.0, 1.0)
    with pytest.raises(ValueError, match="t must be"):
        finite_source_wait_tail(r, 4.0, -1.0)


# --------------------------------------------------------------------------- priorities


def test_nonpreemptive_two_class_mm1_by_hand() -> None:
    # lambda = (1, 2), mu = 4: W0 = rho/mu = 0.1875, sigma = (0.25, 0.75)
    # Wq_1 = 0.1875 / 0.75 = 0.25; Wq_2 = 0.1875 / (0.75 * 0.25) = 1.
    r = priority_nonpreemptive([1.0, 2.0], 4.0, 1)
    assert isinstance(r, PriorityResult)
    assert r.model == "M/M/1 nonpreemptive priority"
    assert r.wq == pytest.approx((0.25, 1.0))
    assert r.w == pytest.approx((0.5, 1.25))
    assert r.lq == pytest.approx((0.25, 2.0))
    assert r.wq_overall == pytest.approx(0.75)
    assert r.p_wait == pytest.approx((0.75, 0.75))


@pytest.mark.parametrize(("rates", "mu", "s"), [([1.0, 2.0, 3.0], 2.5, 3), ([0.5, 0.0, 4.0], 1.0, 6)])
def test_nonpreemptive_conservation(rates: list[float], mu: float, s: int) -> None:
    r = priority_nonpreemptive(rates, mu, s)
    fifo = mms(sum(rates), mu, s)
    assert r.wq_overall == pytest.approx(fifo.wq, rel=1e-12)
    assert sum(r.lq) == pytest.approx(fifo.lq, rel=1e-12)
    assert list(r.wq) == sorted(r.wq)  # lower priority never waits less


def test_nonpreemptive_single_class_is_mms() -> None:
    r, ref = priority_nonpreemptive([9.0], 4.0, 3), mms(9.0, 4.0, 3)
    assert r.wq[0] == pytest.approx(ref.wq, rel=1e-12)
    assert r.l[0] == pytest.approx(ref.l, rel=1e-12)


def test_cobham_mg1() -> None:
    # Exponential service reproduces the M/M/1 priority result.
    expo = mg1_priority_nonpreemptive([1.0, 2.0], 0.25, 2 * 0.25**2)
    assert expo.wq == pytest.approx(priority_nonpreemptive([1.0, 2.0], 4.0, 1).wq)
    # Deterministic service: W0 = 3 * 0.0625 / 2; conservation gives P-K overall.
    det = mg1_priority_nonpreemptive([1.0, 2.0], 0.25, 0.0625)
    w0 = 3.0 * 0.0625 / 2
    assert det.wq == pytest.approx((w0 / 0.75, w0 / (0.75 * 0.25)))
    assert det.wq_overall == pytest.approx(mg1(3.0, 0.25, 0.0).wq)
    assert det.model == "M/G/1 nonpreemptive priority"


def test_preemptive_two_class_mm1_by_hand() -> None:
    # Class 2 in preemptive M/M/1: W_2 = (1/mu) / ((1 - sigma_1)(1 - sigma)) = 4/3.
    r = priority_preemptive([1.0, 2.0], 4.0, 1)
    assert r.w == pytest.approx((1 / 3, 4 / 3))
    assert r.wq == pytest.approx((1 / 12, 13 / 12))


@pytest.mark.parametrize(("rates", "mu", "s"), [([1.0, 2.0, 3.0], 2.5, 3), ([4.0, 0.5], 1.0, 6)])
def test_preemptive_properties(rates: list[float], mu: float, s: int) -> None:
    r = priority_preemptive(rates, mu, s)
    assert r.model == f"M/M/{s} preemptive-resume priority"
    # The top class ignores everyone else.
    top = mms(rates[0], mu, s)
    assert r.w[0] == pytest.approx(top.w, rel=1e-12)
    assert r.p_wait[0] == pytest.approx(top.p_wait, rel=1e-12)
    # Common exponential service: work conservation, total L and W equal FIFO.
    fifo = mms(sum(rates), mu, s)
    assert r.w_overall == pytest.approx(fifo.w, rel=1e-12)
    assert sum(r.l) == pytest.approx(fifo.l, rel=1e-12)
    assert list(r.w) == sorted(r.w)


def test_preemptive_zero_rate_class_is_limit() -> None:
    r0 = priority_preemptive([1.0, 0.0, 2.0], 4.0, 2)
    r_eps = priority_preemptive([1.0, 1e-7, 2.0], 4.0, 2)
    assert r0.w[1] == pytest.approx(r_eps.w[1], rel=1e-6)
    assert r0.l[1] == 0.0
    assert r0.w[2] == pytest.approx(r_eps.w[2], rel=1e-6)
    assert priority_preemptive([0.0, 3.0], 4.0, 1).w[0] == pytest.approx(0.25)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call",
    [
        lambda: mm1(4.2, 4.0),
        lambda: mms(12.6, 4.0, 3),
        lambda: erlang_c(3, 3.15),
        lambda: mms_wait_tail(4.2, 4.0, 1, 1.0),
        lambda: mg1(4.2, 0.25, 0.0),
        lambda: allen_cunneen(12.6, 0.25, 0.01, 3),
        lambda: priority_nonpreemptive([2.0, 2.2], 4.0, 1),
        lambda: mg1_priority_nonpreemptive([2.0, 2.2], 0.25, 0.1),
        lambda: priority_preemptive([2.0, 2.2], 4.0, 1),
    ],
)
def test_unstable_raises_with_rho(call: Callable[[], object]) -> None:
    with pytest.raises(UnstableQueueError, match=r"rho = 1\.0500 >= 1") as info:
        call()
    assert info.value.rho == pytest.approx(1.05)
    assert isinstance(info.value, ValueError)


def test_rho_exactly_one_is_unstable() -> None:
    with pytest.raises(UnstableQueueError, match=r"rho = 1\.0000"):
        mm1(4.0, 4.0)


def test_unstable_error_pickles() -> None:
    err = pickle.loads(pickle.dumps(UnstableQueueError(1.25, "M/M/2")))
    assert err.rho == 1.25 and "M/M/2" in str(err) and "1.2500" in str(err)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: mm1(-1.0, 4.0), "arrival_rate"),
        (lambda: mm1(0.0, 4.0), "arrival_rate"),
        (lambda: mm1(1.0, math.nan), "service_rate"),
        (lambda: mms(1.0, 4.0, 0), "servers"),
        (lambda: mms(1.0, 4.0, 2.0), "servers"),  # type: ignore[arg-type]
        (lambda: mms(1.0, 4.0, True), "servers"),
        (lambda: erlang_b(-1, 1.0), "servers"),
        (lambda: erlang_b(2, -1.0), "offered_load"),
        (lambda: erlang_c(0, 1.0), "servers"),
        (lambda: mms_wait_tail(1.0, 4.0, 1, -0.5), "t must be"),
        (lambda: mg1(1.0, 0.0, 0.1), "mean_service"),
        (lambda: mg1(1.0, 0.1, -0.1), "var_service"),
        (lambda: allen_cunneen(1.0, 0.1, 0.0, 0), "servers"),
        (lambda: finite_source(0, 0.1, 1.0, 1), "machines"),
        (lambda: finite_source(10, 0.0, 1.0, 1), "failure_rate"),
        (lambda: finite_source(10, 0.1, math.inf, 1), "service_rate"),
        (lambda: finite_source(10, 0.1, 1.0, 0), "servers"),
        (lambda: priority_nonpreemptive([], 4.0, 1), "arrival_rates"),
        (lambda: priority_nonpreemptive([0.0, 0.0], 4.0, 1), "arrival_rates"),
        (lambda: priority_nonpreemptive([1.0, -1.0], 4.0, 1), r"arrival_rates\[1\]"),
        (lambda: priority_preemptive("12", 4.0, 1), "arrival_rates"),  # type: ignore[arg-type]
        (lambda: mg1_priority_nonpreemptive([1.0], 0.25, 0.01), "second_moment_service"),
    ],
)
def test_bad_inputs_raise_value_error(call: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name) as info:
        call()
    assert not isinstance(info.value, UnstableQueueError)
