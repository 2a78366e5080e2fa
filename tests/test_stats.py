"""Output analysis (sim/stats.py): warm-up, batch means, precision, CRN, Rinott, Little."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, signal, special
from scipy import stats as sps

from sim.stats import (
    ConfidenceInterval,
    batch_means,
    lag1_autocorrelation,
    little_check,
    mser,
    mser_time,
    paired_comparison,
    precision_met,
    required_replications,
    rinott_choose,
    rinott_h,
    rinott_pcs,
    rinott_select,
    t_interval,
    welch_moving_average,
)


def ar1(rng: np.random.Generator, n: int, phi: float, x0: float = 0.0) -> np.ndarray:
    """AR(1) with unit stationary variance and mean 0, started at ``x0``."""
    e = rng.normal(size=n) * math.sqrt(1.0 - phi * phi)
    return signal.lfilter([1.0], [1.0, -phi], e, zi=[phi * x0])[0]


# --- MSER-5 -----------------------------------------------------------------


def test_mser_truncates_near_the_initial_transient() -> None:
    # AR(1), phi = 0.9, started 50 standard deviations away: 50 * 0.9**t < 1 for t > 37.
    truncations, bias_kept, bias_all = [], [], []
    for seed in range(40):
        x = ar1(np.random.default_rng(seed), 2000, 0.9, x0=50.0)
        r = mser(x)
        assert r.batch == 5 and r.truncation_index == 5 * r.truncation_batches
        assert len(r.statistic) == 2000 // 5 // 2 + 1
        assert not r.at_limit
        truncations.append(r.truncation_index)
        bias_kept.append(x[r.truncation_index :].mean())
        bias_all.append(x.mean())
    assert 20 <= np.median(truncations) <= 80
    assert max(truncations) < 400
    assert abs(np.mean(bias_kept)) < 0.25 * abs(np.mean(bias_all))


def test_mser_stationary_series_keeps_almost_everything() -> None:
    x = np.random.default_rng(7).normal(size=1000)
    assert mser(x).truncation_index <= 100


def test_mser_flags_a_transient_longer_than_the_data() -> None:
    r = mser(np.linspace(100.0, 0.0, 200) + np.random.default_rng(1).normal(size=200))
    assert r.at_limit
    assert r.truncation_batches == 200 // 5 // 2


def test_mser_input_checks() -> None:
    with pytest.raises(ValueError):
        mser([1.0, 2.0, 3.0], batch=5)
    with pytest.raises(ValueError):
        mser(np.arange(20.0), batch=0)
    with pytest.raises(ValueError):
        mser([1.0, math.nan] * 10)


def test_mser_time_converts_to_time_and_caps() -> None:
    x = ar1(np.random.default_rng(3), 2000, 0.9, x0=50.0)
    times = 0.5 * np.arange(1, 2001)  # evenly spaced samples of a run of 1000 h
    d = mser(x).truncation_index
    assert mser_time(times, x) == pytest.approx(times[d - 1])
    # a 2-D input is averaged over replications first
    assert mser_time(times, np.vstack([x, x])) == pytest.approx(times[d - 1])
    # the cap: a steadily decreasing series would truncate at half the data
    trend = np.linspace(100.0, 0.0, 2000)
    assert mser_time(times, trend, cap_fraction=0.1) == pytest.approx(100.0)
    assert mser_time(times, np.random.default_rng(4).normal(size=2000), cap_fraction=0.0) == 0.0
    with pytest.raises(ValueError):
        mser_time(times[:-1], x)


# --- Welch ----------------------------------------------------------------------


def test_welch_on_constant_input_is_constant() -> None:
    out = welch_moving_average(np.full((5, 40), 3.5), window=6)
    assert out.shape == (34,)
    np.testing.assert_allclose(out, 3.5)


def test_welch_matches_laws_definition() -> None:
    rng = np.random.default_rng(11)
    y = rng.normal(size=(4, 30))
    w = 3
    ybar = y.mean(axis=0)
    expected = [ybar[: 2 * i + 1].mean() if i < w else ybar[i - w : i + w + 1].mean() for i in range(30 - w)]
    np.testing.assert_allclose(welch_moving_average(y, w), expected)
    np.testing.assert_allclose(welch_moving_average(y, 0), ybar)
    # a linear trend is unchanged by a centred average
    np.testing.assert_allclose(welch_moving_average(np.arange(10.0), 2), np.arange(8.0))
    with pytest.raises(ValueError):
        welch_moving_average(y, 30)


# --- batch means ----------------------------------------------------------------


def test_batch_means_coverage_for_iid_normal() -> None:
    rng = np.random.default_rng(2024)
    covered = 0
    for _ in range(400):
        r = batch_means(rng.normal(5.0, 2.0, size=1000), batches=20)
        covered += r.low <= 5.0 <= r.high
    assert 0.92 <= covered / 400 <= 0.98


def test_batch_means_layout_and_fields() -> None:
    x = np.arange(105.0)
    r = batch_means(x, batches=10)
    assert (r.batches, r.batch_size) == (10, 10)
    assert r.mean == pytest.approx(x[5:].mean())  # leftover dropped from the start
    assert r.threshold == pytest.approx(2 / math.sqrt(10))
    ci = t_interval(x[5:].reshape(10, 10).mean(axis=1))
    assert r.half_width == pytest.approx(ci.half_width)
    with pytest.raises(ValueError):
        batch_means(np.arange(5.0), batches=10)


def test_lag1_flag_false_for_iid_true_for_strong_ar1() -> None:
    iid = batch_means(np.random.default_rng(5).normal(size=1000))
    assert iid.independent
    strong = batch_means(ar1(np.random.default_rng(5), 1000, 0.995))
    assert not strong.independent
    assert strong.lag1_autocorrelation > 0.5
    # the same over many seeds: a ~5 % false alarm rate, a high detection rate
    false_alarms = np.mean(
        [not batch_means(np.random.default_rng(s).normal(size=400)).independent for s in range(200)]
    )
    detected = np.mean(
        [not batch_means(ar1(np.random.default_rng(s), 1000, 0.995)).independent for s in range(100)]
    )
    assert false_alarms <= 0.10
    assert detected >= 0.80


def test_lag1_autocorrelation_known_values() -> None:
    assert lag1_autocorrelation([1.0, 1.0, 1.0]) == 0.0
    assert lag1_autocorrelation([1.0, -1.0, 1.0, -1.0]) == pytest.approx(-0.75)


# --- sequential precision -------------------------------------------------------


def test_required_replications_is_monotone_in_precision() -> None:
    values = np.random.default_rng(9).normal(10.0, 2.0, size=10)
    rel = [required_replications(values, rel_precision=g) for g in (0.5, 0.2, 0.1, 0.05, 0.02)]
    assert rel == sorted(rel) and rel[0] == 10 and rel[-1] > rel[-2]
    absolute = [required_replications(values, abs_precision=b) for b in (2.0, 1.0, 0.5, 0.2)]
    assert absolute == sorted(absolute) and absolute[-1] > absolute[0]
    # the minimal count: its half-width meets the target, one fewer does not
    sd, mean = values.std(ddof=1), values.mean()
    n = rel[-1]
    target = 0.02 / 1.02 * abs(mean)
    assert sps.t.ppf(0.975, n - 1) * sd / math.sqrt(n) <= target
    assert sps.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) > target
    # either criterion suffices when both are given
    both = required_replications(values, rel_precision=0.02, abs_precision=0.5)
    assert both == min(n, required_replications(values, abs_precision=0.5))


def test_required_replications_edge_cases() -> None:
    assert required_replications([3.0, 3.0, 3.0], rel_precision=0.01) == 3
    with pytest.raises(ValueError):
        required_replications([1.0, -1.0], rel_precision=0.1)  # zero mean
    with pytest.raises(ValueError):
        required_replications([1.0, 2.0])
    with pytest.raises(ValueError):
        required_replications([1.0], abs_precision=0.1)


def test_precision_met() -> None:
    ci = ConfidenceInterval(n=10, mean=10.0, sd=1.0, half_width=0.45, confidence=0.95)
    assert precision_met(ci, rel_precision=0.05)  # 0.45 <= 0.05/1.05 * 10 = 0.476
    assert not precision_met(ci, rel_precision=0.045)
    assert precision_met(ci, abs_precision=0.5)
    assert not precision_met(ci, abs_precision=0.4)
    assert precision_met(ci, rel_precision=0.01, abs_precision=0.5)
    near_zero = ConfidenceInterval(n=10, mean=0.001, sd=0.1, half_width=0.05, confidence=0.95)
    assert not precision_met(near_zero, rel_precision=0.05)
    assert precision_met(near_zero, rel_precision=0.05, abs_precision=0.1)
    assert not precision_met(t_interval([1.0]), abs_precision=1.0)
    with pytest.raises(ValueError):
        precision_met(ci)


# --- paired comparison (CRN) ----------------------------------------------------


def test_paired_comparison_with_crn() -> None:
    rng = np.random.default_rng(17)
    common = rng.normal(100.0, 10.0, size=40)  # the shared randomness of each replication
    a = common + rng.normal(0.0, 0.5, size=40)
    b = 0.95 * common + rng.normal(0.0, 0.5, size=40)
    r = paired_comparison(a, b)
    assert r.n == 40
    ci = t_interval(a - b)
    assert r.mean_difference == pytest.approx(ci.mean)
    assert r.ci.half_width == pytest.approx(ci.half_width)
    assert r.var_paired == pytest.approx(np.var(a - b, ddof=1))
    assert r.var_independent == pytest.approx(np.var(a, ddof=1) + np.var(b, ddof=1))
    assert r.variance_reduction > 50
    assert abs(r.mean_difference - 5.0) < 4 * r.ci.sd / math.sqrt(r.n)  # E[a - b] = 5


def test_paired_comparison_independent_and_nan() -> None:
    rng = np.random.default_rng(18)
    a, b = rng.normal(size=2000), rng.normal(size=2000)
    assert paired_comparison(a, b).variance_reduction == pytest.approx(1.0, abs=0.1)
    r = paired_comparison([1.0, 2.0, math.nan, 4.0], [0.5, math.nan, 1.0, 3.0])
    assert r.n == 2
    with pytest.raises(ValueError):
        paired_comparison([1.0, 2.0], [1.0])


# --- Rinott ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n0", "p_star", "table"),
    [
        # Law (2015), Table 10.11 (Dudewicz-Dalal h1); for k = 2 it equals Rinott's h.
        (2, 20, 0.95, 2.453),
        (2, 20, 0.90, 1.896),
        # Bechhofer, Santner & Goldsman (1995), Table 2.13, as quoted by the KSL library's
        # Rinott check (dof = n0 - 1 = 50).
        (10, 51, 0.975, 4.045),
        (1000, 51, 0.975, 6.057),
        (1000, 51, 0.90, 5.488),
    ],
)
def test_rinott_h_table_values(k: int, n0: int, p_star: float, table: float) -> None:
    assert rinott_h(k, n0, p_star) == pytest.approx(table, abs=0.02)


@pytest.mark.parametrize("n0", [3, 10, 20])
def test_rinott_h_for_two_designs_is_the_t_difference_quantile(n0: int) -> None:
    # k = 2: P(CS) = P(T1 - T2 <= h) with T1, T2 independent t(n0 - 1); solve by 1-D quad.
    # The t law through scipy.special (a frozen distribution's per-call overhead made this
    # test take seconds).
    nu = n0 - 1
    norm = math.exp(special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2)) / math.sqrt(nu * math.pi)

    def pdf(s: float) -> float:
        return norm * (1.0 + s * s / nu) ** (-(nu + 1) / 2)

    def pcs(h: float) -> float:
        return integrate.quad(lambda s: special.stdtr(nu, s + h) * pdf(s), -np.inf, np.inf)[0]

    exact = optimize.brentq(lambda h: pcs(h) - 0.95, 0.0, 50.0, xtol=1e-10)
    assert rinott_h(2, n0, 0.95) == pytest.approx(exact, abs=1e-5)


def test_rinott_h_grows_with_k_and_confidence() -> None:
    hs = [rinott_h(k, 20, 0.95) for k in (2, 3, 5, 10)]
    assert hs == sorted(hs)
    assert rinott_h(5, 20, 0.99) > rinott_h(5, 20, 0.95) > rinott_h(5, 20, 0.90)
    assert rinott_h(5, 40, 0.95) < rinott_h(5, 20, 0.95)
    with pytest.raises(ValueError):
        rinott_h(5, 20, 0.15)
    with pytest.raises(ValueError):
        rinott_h(1, 20, 0.95)


def test_rinott_integral_by_monte_carlo() -> None:
    # P(h) = P(Z_i <= h / sqrt(nu (1/X_i + 1/Y)), i = 2..k) with a common Y.
    k, n0, m = 5, 10, 200_000
    nu = n0 - 1
    h = rinott_h(k, n0, 0.95)
    rng = np.random.default_rng(99)
    y = rng.chisquare(nu, size=(m, 1))
    x = rng.chisquare(nu, size=(m, k - 1))
    z = rng.normal(size=(m, k - 1))
    p = np.mean(np.all(z <= h / np.sqrt(nu * (1 / x + 1 / y)), axis=1))
    assert p == pytest.approx(rinott_pcs(h, k, n0), abs=4 * math.sqrt(0.95 * 0.05 / m))
    assert rinott_pcs(h, k, n0) == pytest.approx(0.95, abs=1e-9)


@pytest.mark.parametrize("macro", [1000, pytest.param(5000, marks=pytest.mark.slow)])
def test_rinott_procedure_meets_pcs_in_least_favourable_configuration(macro: int) -> None:
    # Best design (smallest mean) exactly delta better than all others, unequal variances.
    # 1000 macro-replications in the default suite, 5000 (a tolerance half as wide) in -m slow.
    rng = np.random.default_rng(2025)
    sigma = np.array([3.0, 1.0, 2.0, 1.5])  # the best design is the noisiest
    mu = np.array([0.0, 1.0, 1.0, 1.0])
    delta, n0, p_star = 1.0, 10, 0.95
    k = len(mu)
    correct = 0
    totals = []
    for _ in range(macro):
        first = rng.normal(mu[:, None], sigma[:, None], size=(k, n0))
        plan = rinott_select({f"d{i}": first[i] for i in range(k)}, delta, p_star)
        n = np.array([plan.n_total[f"d{i}"] for i in range(k)])
        extra = n - n0
        second_sum = rng.normal(extra * mu, np.sqrt(extra) * sigma)  # sum of the extra values
        means = (first.sum(axis=1) + second_sum) / n
        correct += rinott_choose({f"d{i}": means[i] for i in range(k)}) == "d0"
        totals.append(n.sum())
    pcs = correct / macro
    assert pcs >= p_star - 2 * math.sqrt(p_star * (1 - p_star) / macro)
    assert np.mean(totals) > k * n0  # a second stage was needed


def test_rinott_select_sample_sizes() -> None:
    rng = np.random.default_rng(4)
    stage = {"a": rng.normal(0, 1, 20), "b": rng.normal(0, 4, 20), "c": np.full(20, 2.0)}
    plan = rinott_select(stage, delta=0.5, confidence=0.95)
    assert plan.h == rinott_h(3, 20, 0.95)
    assert plan.n0 == 20
    for name, n in plan.n_total.items():
        # the smallest N >= n0 whose interval half-width h S / sqrt(N) is within delta
        assert plan.h * plan.sd[name] / math.sqrt(n) <= 0.5
        assert n == 20 or plan.h * plan.sd[name] / math.sqrt(n - 1) > 0.5
        assert plan.additional[name] == n - 20
    assert plan.sd["b"] == pytest.approx(4.0, rel=0.35)  # the sample sd of N(0, 4^2), 20 values
    assert plan.n_total["c"] == 20 and plan.additional["c"] == 0
    assert plan.n_total["b"] > plan.n_total["a"] > 20
    with pytest.raises(ValueError):
        rinott_select({"a": np.ones(5), "b": np.ones(6)}, delta=1.0)
    with pytest.raises(ValueError):
        rinott_select({"a": np.ones(5), "b": np.ones(5)}, delta=0.0)


def test_rinott_choose() -> None:
    assert rinott_choose({"x": 3.0, "y": 1.0, "z": 2.0}) == "y"
    assert rinott_choose({"x": 3.0, "y": 1.0, "z": 2.0}, minimize=False) == "x"
    assert rinott_choose({"x": [1.0, 5.0], "y": [2.0, 2.0]}) == "y"
    assert rinott_choose({"x": 1.0, "y": 1.0}) == "x"


# --- Little's law ----------------------------------------------------------------


def test_little_check() -> None:
    assert little_check(2.0, 0.5, 4.0) == 0.0
    assert little_check(2.0, 0.5, 4.4) == pytest.approx(0.2 / 2.2)
    assert little_check(0.0, 0.0, 3.0) == 0.0
    assert math.isnan(little_check(math.nan, 1.0, 1.0))
