"""Spare-parts inventory formulas against hand computation, identities and a Monte-Carlo check."""

from __future__ import annotations

import dataclasses
import itertools
import math
import pickle
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from scipy.stats import poisson

from sim.analytic.inventory import (
    BaseStockResult,
    EmergencyResult,
    MultiEchelonResult,
    SSResult,
    base_stock,
    emergency_fill,
    first_time_fix,
    metric,
    s_S_policy,
    vari_metric,
)
from sim.analytic.queues import erlang_b

E2 = math.exp(-2.0)


def _reference(m: float, stock: int) -> dict[str, float]:
    """Definitions summed term by term over the Poisson pmf (positive terms only)."""
    hi = int(m + 60 * math.sqrt(m) + stock + 60)
    x = np.arange(hi + 1)
    p = poisson.pmf(x, m)
    excess = np.maximum(x - stock, 0)
    short = np.maximum(stock - x, 0)
    ebo = float((excess * p)[::-1].sum())
    return {
        "fill": float(p[:stock].sum()),
        "ready": float(p[: stock + 1].sum()),
        "ebo": ebo,
        "on_hand": float((short * p).sum()),
        "vbo": float(((excess - ebo) ** 2 * p)[::-1].sum()),
    }


# --------------------------------------------------------------------------- Palm's theorem


def test_base_stock_hand_values() -> None:
    # lambda = 1, L = 2, S = 3: X ~ Poisson(2).
    r = base_stock(1.0, 2.0, 3)
    assert isinstance(r, BaseStockResult)
    assert r.pipeline == "Poisson"
    assert r.pipeline_mean == pytest.approx(2.0) and r.pipeline_variance == pytest.approx(2.0)
    assert r.fill_rate == pytest.approx(5 * E2, rel=1e-14)  # P(X <= 2) = (1 + 2 + 2) e^-2
    assert r.ready_rate == pytest.approx(19 / 3 * E2, rel=1e-14)  # + 4/3 e^-2
    assert round(r.fill_rate, 4) == 0.6767 and round(r.ready_rate, 4) == 0.8571
    # EBO = m - S + sum_{x<S} (S - x) p(x) = 2 - 3 + (3 + 2*2 + 1*2) e^-2 = 9 e^-2 - 1.
    assert r.expected_backorders == pytest.approx(9 * E2 - 1, rel=1e-13)
    assert r.expected_on_hand == pytest.approx(9 * E2, rel=1e-14)
    assert r.mean_delay == pytest.approx(9 * E2 - 1, rel=1e-13)
    assert r.backorder_variance == pytest.approx(_reference(2.0, 3)["vbo"], rel=1e-12)


def test_base_stock_zero_stock() -> None:
    r = base_stock(0.5, 6.0, 0)
    assert r.fill_rate == 0.0
    assert r.ready_rate == pytest.approx(math.exp(-3.0), rel=1e-14)
    assert r.expected_backorders == pytest.approx(3.0, rel=1e-15)  # every unit in resupply
    assert r.backorder_variance == pytest.approx(3.0, rel=1e-13)
    assert r.expected_on_hand == 0.0
    assert r.mean_delay == pytest.approx(6.0)  # every demand waits a full lead time


def test_base_stock_zero_lead_time() -> None:
    r = base_stock(2.0, 0.0, 1)
    assert (r.fill_rate, r.ready_rate, r.expected_backorders) == (1.0, 1.0, 0.0)
    assert r.expected_on_hand == 1.0 and r.backorder_variance == 0.0


@pytest.mark.parametrize(
    ("m", "stock"),
    [(0.3, 0), (0.3, 1), (2.0, 1), (2.0, 2), (2.0, 7), (7.5, 3), (7.5, 8), (7.5, 20), (40.0, 40)],
)
def test_base_stock_matches_definitions(m: float, stock: int) -> None:
    r = base_stock(2.0, m / 2.0, stock)
    ref = _reference(m, stock)
    assert r.fill_rate == pytest.approx(ref["fill"], rel=1e-12, abs=1e-15)
    assert r.ready_rate == pytest.approx(ref["ready"], rel=1e-12)
    assert r.expected_backorders == pytest.approx(ref["ebo"], rel=1e-11, abs=1e-15)
    assert r.expected_on_hand == pytest.approx(ref["on_hand"], rel=1e-11, abs=1e-15)
    assert r.backorder_variance == pytest.approx(ref["vbo"], rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("stock", [0, 1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize(("lam", "lead"), [(1.0, 2.0), (0.25, 10.0), (3.0, 0.1)])
def test_little_and_net_inventory_identities(lam: float, lead: float, stock: int) -> None:
    r = base_stock(lam, lead, stock)
    assert r.mean_delay * lam == pytest.approx(r.expected_backorders, rel=1e-14)
    # Net inventory = S - X, so on hand - backorders = S - m.
    assert r.expected_on_hand - r.expected_backorders == pytest.approx(stock - lam * lead, abs=1e-12)
    assert 0.0 <= r.fill_rate <= r.ready_rate <= 1.0
    # Ready rate at S is the fill rate at S + 1.
    assert base_stock(lam, lead, stock + 1).fill_rate == pytest.approx(r.ready_rate, rel=1e-14)


def test_base_stock_monotone_in_stock() -> None:
    rs = [base_stock(1.0, 5.0, s) for s in range(25)]
    ebo = [r.expected_backorders for r in rs]
    fill = [r.fill_rate for r in rs]
    assert all(a > b for a, b in itertools.pairwise(ebo))
    assert all(a < b for a, b in itertools.pairwise(fill))
    # EBO(S) - EBO(S + 1) = P(X > S) = 1 - ready(S).
    for a, b in itertools.pairwise(rs):
        assert a.expected_backorders - b.expected_backorders == pytest.approx(1 - a.ready_rate)


@pytest.mark.parametrize("stock", [9_000, 9_900, 10_000, 10_100, 10_500, 11_000])
def test_base_stock_large_pipeline(stock: int) -> None:
    m = 10_000.0
    r = base_stock(100.0, 100.0, stock)
    ref = _reference(m, stock)
    assert r.fill_rate == pytest.approx(ref["fill"], rel=1e-10, abs=1e-300)
    assert r.expected_backorders == pytest.approx(ref["ebo"], rel=1e-9, abs=1e-300)
    assert r.expected_on_hand == pytest.approx(ref["on_hand"], rel=1e-9)
    assert r.backorder_variance == pytest.approx(ref["vbo"], rel=1e-7, abs=1e-300)


def test_base_stock_far_tails_are_finite_and_positive() -> None:
    r = base_stock(1.0, 2.0, 60)  # P(X > 60) ~ 1e-63
    assert r.fill_rate == 1.0 and r.expected_on_hand == pytest.approx(58.0)
    assert 0.0 < r.expected_backorders < 1e-60
    assert r.expected_backorders == pytest.approx(_reference(2.0, 60)["ebo"], rel=1e-10)
    big = base_stock(1.0, 1e5, 0)
    assert big.expected_backorders == 1e5 and big.backorder_variance == pytest.approx(1e5)
    # At S = m, EBO ~ sqrt(m / (2 pi)) (normal approximation, error O(1)).
    huge = base_stock(1.0, 1e5, 100_000)
    assert huge.expected_backorders == pytest.approx(math.sqrt(1e5 / (2 * math.pi)), rel=1e-2)


# --------------------------------------------------------------------------- emergency shipments


def test_emergency_fill_against_erlang_b_table() -> None:
    r = emergency_fill(1.0, 5.0, 10)  # 10 units, 5 Erlangs: B = 0.018385
    assert isinstance(r, EmergencyResult)
    assert r.fill_rate == pytest.approx(1 - 0.018385, abs=5e-7)
    assert r.emergency_rate == pytest.approx(0.018385, abs=5e-7)
    assert r.offered_load == 5.0
    assert r.expected_on_hand == pytest.approx(10 - 5 * (1 - 0.018385), abs=5e-6)
    # S = 2, a = 1: B = (1/2) / (1 + 1 + 1/2) = 0.2.
    r2 = emergency_fill(0.5, 2.0, 2)
    assert r2.fill_rate == pytest.approx(0.8, rel=1e-14)
    assert r2.emergency_rate == pytest.approx(0.1, rel=1e-14)
    assert r2.pipeline_mean == pytest.approx(0.8, rel=1e-14)


@pytest.mark.parametrize("stock", [0, 1, 3, 6, 12])
@pytest.mark.parametrize(("lam", "lead"), [(1.0, 2.0), (0.2, 30.0)])
def test_emergency_fill_relations(lam: float, lead: float, stock: int) -> None:
    e = emergency_fill(lam, lead, stock)
    p = base_stock(lam, lead, stock)
    b = erlang_b(stock, lam * lead)
    assert e.fill_rate == pytest.approx(1 - b, rel=1e-14)
    # B(S, a) = p(S) / P(X <= S) for X ~ Poisson(a): the emergency fill is the
    # backorder fill conditioned on X <= S, so it is never lower.
    assert e.fill_rate == pytest.approx(p.fill_rate / p.ready_rate, rel=1e-12, abs=1e-300)
    assert e.fill_rate >= p.fill_rate
    assert e.expected_on_hand == pytest.approx(stock - e.pipeline_mean, abs=1e-12)
    assert e.expected_on_hand >= p.expected_on_hand - 1e-12
    assert e.emergency_rate + lam * e.fill_rate == pytest.approx(lam, rel=1e-14)


def test_emergency_zero_stock_ships_everything() -> None:
    r = emergency_fill(2.0, 3.0, 0)
    assert (r.fill_rate, r.emergency_rate, r.expected_on_hand) == (0.0, 2.0, 0.0)


# --------------------------------------------------------------------------- (s, S)


@pytest.mark.parametrize("order_up_to", [0, 1, 3, 6])
def test_ss_with_unit_quantity_is_base_stock(order_up_to: int) -> None:
    r = s_S_policy(1.0, 2.0, order_up_to - 1, order_up_to)
    b = base_stock(1.0, 2.0, order_up_to)
    assert isinstance(r, SSResult)
    assert r.order_quantity == 1 and r.order_rate == 1.0
    assert r.fill_rate == pytest.approx(b.fill_rate, rel=1e-14, abs=1e-300)
    assert r.ready_rate == pytest.approx(b.ready_rate, rel=1e-14)
    assert r.expected_backorders == pytest.approx(b.expected_backorders, rel=1e-14)
    assert r.expected_on_hand == pytest.approx(b.expected_on_hand, rel=1e-14, abs=1e-300)
    assert r.mean_delay == pytest.approx(b.mean_delay, rel=1e-14)


def test_ss_hand_values() -> None:
    # m = 1, s = 0, S = 2: IP uniform on {1, 2}.
    r = s_S_policy(0.5, 2.0, 0, 2)
    e1 = math.exp(-1.0)
    assert r.fill_rate == pytest.approx((e1 + 2 * e1) / 2, rel=1e-14)
    assert r.ready_rate == pytest.approx((2 * e1 + 2.5 * e1) / 2, rel=1e-14)
    # E[(D - 1)^+] = e^-1, E[(D - 2)^+] = m - 2 + 2 e^-1 + e^-1 = 3 e^-1 - 1.
    assert r.expected_backorders == pytest.approx((e1 + 3 * e1 - 1) / 2, rel=1e-13)
    assert r.order_rate == 0.25 and r.order_quantity == 2
    assert r.mean_delay * 0.5 == pytest.approx(r.expected_backorders, rel=1e-14)


@pytest.mark.parametrize(("s", "order_up_to"), [(-1, 4), (2, 9), (30, 80), (55, 70)])
def test_ss_averages_the_poisson_measures_over_a_uniform_position(s: int, order_up_to: int) -> None:
    # The inventory position is uniform on s+1..S; each measure is summed here straight from
    # scipy's Poisson law (the code goes through its own stock measures, as base_stock does).
    lam, lead = 2.0, 25.0  # m = 50: the ranges straddle the mean
    r = s_S_policy(lam, lead, s, order_up_to)
    m, q = lam * lead, order_up_to - s
    ys = np.arange(s + 1, order_up_to + 1)
    d = np.arange(0, 400)  # P(D > 400) is below 1e-200 for m = 50
    pmf = poisson.pmf(d, m)
    assert r.fill_rate == pytest.approx(poisson.cdf(ys - 1, m).mean(), rel=1e-10)
    assert r.ready_rate == pytest.approx(poisson.cdf(ys, m).mean(), rel=1e-10)
    backorders = [pmf @ np.maximum(d - y, 0) for y in ys]
    assert r.expected_backorders == pytest.approx(sum(backorders) / q, rel=1e-9, abs=1e-14)
    # E[net inventory] = E[IP] - m = (s + S + 1) / 2 - m.
    assert r.expected_on_hand - r.expected_backorders == pytest.approx(
        (s + order_up_to + 1) / 2 - lam * lead, abs=1e-10
    )
    assert r.order_rate == pytest.approx(lam / q)


# --------------------------------------------------------------------------- METRIC / VARI-METRIC


def _fields(r: BaseStockResult) -> dict[str, float]:
    """The numeric fields to compare (the pipeline's name is checked on its own)."""
    return {
        k: v
        for k, v in dataclasses.asdict(r).items()
        if k not in ("lead_time_mean", "pipeline_variance", "backorder_variance", "pipeline")
    }


@pytest.mark.parametrize("model", [metric, vari_metric])
def test_two_echelon_with_depot_never_out(model: Callable[..., MultiEchelonResult]) -> None:
    rates, transits, stocks = [0.5, 1.0, 0.25], [1.0, 2.0, 0.5], [1, 3, 0]
    r = model(rates, 3.0, 200, transits, stocks)
    assert isinstance(r, MultiEchelonResult)
    assert r.depot.demand_rate == pytest.approx(1.75) and r.depot.fill_rate == 1.0
    assert r.depot_delay < 1e-100
    for van, lam, o, s in zip(r.vans, rates, transits, stocks, strict=True):
        ref = base_stock(lam, o, s)
        assert van.pipeline == "Poisson"
        for key, value in _fields(ref).items():
            assert getattr(van, key) == pytest.approx(value, rel=1e-12, abs=1e-300), key


def test_two_echelon_with_empty_depot_equals_full_lead_time() -> None:
    # S0 = 0: every order waits T0 at the depot; VBO0 = EBO0 = m0, so the
    # VARI-METRIC variance equals the mean and both models are Palm with O_j + T0.
    rates, transits, stocks = [0.5, 0.5, 1.0], [1.0, 0.5, 2.0], [2, 1, 4]
    m = metric(rates, 3.0, 0, transits, stocks)
    v = vari_metric(rates, 3.0, 0, transits, stocks)
    assert m.model == "METRIC" and v.model == "VARI-METRIC"
    assert m.depot_delay == pytest.approx(3.0)
    for a, b, lam, o, s in zip(m.vans, v.vans, rates, transits, stocks, strict=True):
        ref = base_stock(lam, o + 3.0, s)
        assert a.pipeline == b.pipeline == "Poisson"
        for key, value in _fields(ref).items():
            assert getattr(a, key) == pytest.approx(value, rel=1e-12), key
            assert getattr(b, key) == pytest.approx(value, rel=1e-9), key


@pytest.mark.parametrize("depot_stock", [1, 3, 6, 10])
def test_vari_metric_backorders_not_below_metric(depot_stock: int) -> None:
    rates, transits, stocks = [0.5] * 4, [0.5] * 4, [2] * 4
    m = metric(rates, 5.0, depot_stock, transits, stocks)
    v = vari_metric(rates, 5.0, depot_stock, transits, stocks)
    assert v.depot == m.depot and v.depot_delay == m.depot_delay
    for a, b in zip(m.vans, v.vans, strict=True):
        assert b.pipeline == "negative binomial"
        assert b.pipeline_mean == pytest.approx(a.pipeline_mean, rel=1e-15)
        assert b.pipeline_variance > b.pipeline_mean
        assert b.expected_backorders > a.expected_backorders
        # Both still satisfy the net-inventory identity and Little's law.
        assert b.expected_on_hand - b.expected_backorders == pytest.approx(
            b.stock - b.pipeline_mean, abs=1e-12
        )
        assert b.mean_delay * b.demand_rate == pytest.approx(b.expected_backorders)
    assert v.total_van_backorders > m.total_van_backorders


def test_vari_metric_variance_formula() -> None:
    rates, t0, s0, transits = [1.0, 3.0], 2.0, 6, [0.5, 1.5]
    v = vari_metric(rates, t0, s0, transits, [1, 2])
    depot = base_stock(4.0, t0, s0)
    assert v.depot == depot
    for van, lam, o in zip(v.vans, rates, transits, strict=True):
        f = lam / 4.0
        assert van.pipeline_mean == pytest.approx(lam * (o + depot.expected_backorders / 4.0))
        assert van.pipeline_variance == pytest.approx(
            lam * o + f * (1 - f) * depot.expected_backorders + f * f * depot.backorder_variance
        )
        assert van.lead_time_mean == pytest.approx(o + v.depot_delay)
    assert v.van_fill_rate == pytest.approx((v.vans[0].fill_rate + 3 * v.vans[1].fill_rate) / 4)


def _simulate_two_echelon(
    rates: list[float],
    t0: float,
    s0: int,
    transits: list[float],
    stocks: list[int],
    horizon: float,
    rng: np.random.Generator,
) -> tuple[float, npt.NDArray[np.float64]]:
    """Exact FIFO depot -> vans system, exponential supplier lead times, fixed transit.

    Returns time-average depot and per-van backorders after a 10 % warm-up,
    each as (sum of waits of demands in the window) / window (Little).
    With FIFO matching of demands to units, the n-th demand gets the n-th unit
    to become available: ready time max(t_n, A_(n)).
    """
    lam = np.asarray(rates)
    n = rng.poisson(lam.sum() * horizon)
    t = np.sort(rng.uniform(0.0, horizon, n))
    van = rng.choice(lam.size, size=n, p=lam / lam.sum())
    supply = np.concatenate((np.full(s0, -np.inf), t + rng.exponential(t0, n)))
    ready = np.maximum(t, np.sort(supply)[:n])
    warm = 0.1 * horizon
    keep = t >= warm
    depot_ebo = float((ready - t)[keep].sum()) / (horizon - warm)
    van_ebo = np.empty(lam.size)
    for j in range(lam.size):
        mine = van == j
        units = np.concatenate((np.full(stocks[j], -np.inf), np.sort(ready[mine] + transits[j])))
        wait = np.maximum(units[: mine.sum()] - t[mine], 0.0)
        van_ebo[j] = wait[keep[mine]].sum() / (horizon - warm)
    return depot_ebo, van_ebo


def test_vari_metric_agrees_with_monte_carlo() -> None:
    args = ([0.5] * 4, 5.0, 6, [0.5] * 4, [2] * 4)
    m, v = metric(*args), vari_metric(*args)
    rng = np.random.default_rng(20240611)
    runs = [_simulate_two_echelon(*args, horizon=40_000.0, rng=rng) for _ in range(16)]
    depot = np.array([d for d, _ in runs])
    vans = np.array([b.sum() for _, b in runs])
    se_depot = depot.std(ddof=1) / math.sqrt(depot.size)
    se_vans = vans.std(ddof=1) / math.sqrt(vans.size)
    # The depot is exact (Palm); VARI-METRIC is a two-moment approximation
    # that is close here, METRIC is about 20 % low.
    assert abs(depot.mean() - m.depot.expected_backorders) < 4 * se_depot
    assert abs(vans.mean() - v.total_van_backorders) < 4 * se_vans + 0.01 * vans.mean()
    assert vans.mean() - m.total_van_backorders > 10 * se_vans
    assert 1 - m.total_van_backorders / vans.mean() > 0.15  # Sherbrooke: 10-30 % low
    assert abs(vans.mean() - v.total_van_backorders) < abs(vans.mean() - m.total_van_backorders)


@pytest.mark.parametrize(
    "lead_times",
    [
        lambda rng, n: np.full(n, 3.0),
        lambda rng, n: rng.exponential(3.0, n),
        lambda rng, n: rng.lognormal(math.log(3.0) - 0.5, 1.0, n),  # mean 3
    ],
    ids=["deterministic", "exponential", "lognormal"],
)
def test_palm_insensitive_to_lead_time_distribution(
    lead_times: Callable[[np.random.Generator, int], npt.NDArray[np.float64]],
) -> None:
    lam, stock, horizon = 1.0, 4, 200_000.0
    rng = np.random.default_rng(7)
    n = rng.poisson(lam * horizon)
    t = np.sort(rng.uniform(0.0, horizon, n))
    supply = np.sort(np.concatenate((np.full(stock, -np.inf), t + lead_times(rng, n))))[:n]
    wait = np.maximum(supply - t, 0.0)
    keep = t >= 1_000.0
    r = base_stock(lam, 3.0, stock)
    assert np.mean(wait[keep] == 0.0) == pytest.approx(r.fill_rate, abs=0.01)
    assert wait[keep].sum() / (horizon - 1_000.0) == pytest.approx(r.expected_backorders, rel=0.05)


# --------------------------------------------------------------------------- first-time fix


def test_first_time_fix_identity() -> None:
    assert first_time_fix(0.0, 0.3, 0.0) == 1.0
    assert first_time_fix(1.0, 0.0, 0.0) == 0.0
    assert first_time_fix(0.6, 1.0, 0.1) == pytest.approx(0.9)
    assert first_time_fix(0.4, 0.9, 0.05) == pytest.approx(1 - (0.4 * 0.1 + 0.05))
    fill = base_stock(0.2, 5.0, 2).fill_rate
    assert 1 - first_time_fix(0.3, fill, 0.07) == pytest.approx(0.3 * (1 - fill) + 0.07)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: base_stock(0.0, 1.0, 1), "demand_rate"),
        (lambda: base_stock(-1.0, 1.0, 1), "demand_rate"),
        (lambda: base_stock(float("nan"), 1.0, 1), "demand_rate"),
        (lambda: base_stock(1.0, -0.5, 1), "lead_time_mean"),
        (lambda: base_stock(1.0, float("inf"), 1), "lead_time_mean"),
        (lambda: base_stock(1.0, 1.0, -1), "stock"),
        (lambda: base_stock(1.0, 1.0, 2.0), "stock"),
        (lambda: base_stock(1.0, 1.0, True), "stock"),
        (lambda: base_stock("x", 1.0, 1), "demand_rate"),
        (lambda: emergency_fill(1.0, 1.0, -2), "stock"),
        (lambda: emergency_fill(1.0, -1.0, 2), "lead_time_mean"),
        (lambda: s_S_policy(1.0, 1.0, 3, 3), "S must be greater than s"),
        (lambda: s_S_policy(1.0, 1.0, 4, 2), "S must be greater than s"),
        (lambda: s_S_policy(1.0, 1.0, -2, 2), "s must be"),
        (lambda: s_S_policy(1.0, 1.0, 0.0, 2), "s must be"),
        (lambda: s_S_policy(1.0, 1.0, -1, -1), "S must be"),
        (lambda: metric([1.0, 0.0], 1.0, 1, [1.0, 1.0], [1, 1]), r"depot_rate_per_van\[1\]"),
        (lambda: metric([], 1.0, 1, [], []), "depot_rate_per_van"),
        (lambda: metric(1.0, 1.0, 1, [1.0], [1]), "depot_rate_per_van"),
        (lambda: metric([1.0], 1.0, 1, [1.0, 2.0], [1]), "one entry per van"),
        (lambda: vari_metric([1.0], -1.0, 1, [1.0], [1]), "depot_lead_time"),
        (lambda: vari_metric([1.0], 1.0, -1, [1.0], [1]), "depot_stock"),
        (lambda: vari_metric([1.0], 1.0, 1, [-1.0], [1]), r"transit_times\[0\]"),
        (lambda: vari_metric([1.0], 1.0, 1, [1.0], [1.5]), r"van_stocks\[0\]"),
        (lambda: first_time_fix(1.2, 0.5, 0.0), "p_part_needed"),
        (lambda: first_time_fix(0.5, -0.1, 0.0), "van_fill_rate"),
        (lambda: first_time_fix(0.5, 0.5, float("nan")), "p_other"),
        (lambda: first_time_fix(1.0, 0.0, 0.2), "p_other"),
    ],
)
def test_bad_input_names_the_argument(call: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()


def test_results_are_frozen_and_picklable() -> None:
    results = [
        base_stock(1.0, 2.0, 3),
        emergency_fill(1.0, 2.0, 3),
        s_S_policy(1.0, 2.0, 1, 4),
        vari_metric(np.array([0.5, 0.5]), 4.0, 3, (1.0, 1.0), np.array([1, 2])),
    ]
    for r in results:
        assert pickle.loads(pickle.dumps(r)) == r
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.stock = 5  # type: ignore[misc, union-attr]
