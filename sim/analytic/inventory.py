"""Closed-form spare-parts inventory results the simulator must reproduce.

Every model here is a textbook anchor (validation cases
``scenarios/validation/parts_*.toml``):

* :func:`base_stock` -- Palm's theorem for one location with one-for-one
  (S-1, S) replenishment and backorders;
* :func:`emergency_fill` -- the same location when a stock-out is covered by an
  emergency shipment instead of a backorder (Erlang B);
* :func:`s_S_policy` -- (s, S) continuous review with unit Poisson demand and
  backorders;
* :func:`metric` and :func:`vari_metric` -- a depot resupplying several vans
  (Sherbrooke's METRIC and Graves' / Sherbrooke's VARI-METRIC);
* :func:`first_time_fix` -- the first-time-fix identity.

Demand is Poisson with rate ``demand_rate`` (units per unit of time); lead
and transit times are means in the same time unit. Stocks are integer
numbers of units.

Functions validate their inputs and raise :class:`ValueError` naming the bad
argument. Expectations of the form E[(X - S)^+] are computed as sums of
non-negative terms of ``scipy.stats`` survival or distribution functions
(never from factorials and never as a difference of two large numbers), so
they stay accurate for large stocks and large pipelines.

This module deliberately depends on nothing but ``math``, ``numpy``,
``scipy`` and :mod:`.queues`, so that it can check the simulator
independently of it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import nbinom, poisson

from .queues import erlang_b

__all__ = [
    "BaseStockResult",
    "EmergencyResult",
    "MultiEchelonResult",
    "SSResult",
    "base_stock",
    "emergency_fill",
    "first_time_fix",
    "metric",
    "s_S_policy",
    "vari_metric",
]

#: Stop summing a survival-function tail once its last term is below this
#: fraction of the running sum (the rest is then negligible in double precision).
_TAIL_TOL = 1e-20

#: Relative excess of variance over mean below which VARI-METRIC keeps the
#: Poisson pipeline (a negative binomial that close to Poisson is ill-conditioned).
_POISSON_TOL = 1e-9


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BaseStockResult:
    """Steady state of one stocking location under a base-stock (S-1, S) policy.

    Attributes
    ----------
    demand_rate : float
        Poisson demand rate lambda.
    lead_time_mean : float
        Mean replenishment lead time L (for a van in a two-echelon model, the
        effective lead time: transit time plus the mean depot delay).
    stock : int
        Base stock level S.
    pipeline : str
        Distribution of the number X of units in resupply: ``"Poisson"``
        (Palm's theorem, METRIC) or ``"negative binomial"`` (VARI-METRIC).
    pipeline_mean : float
        E[X] = lambda L.
    pipeline_variance : float
        Var[X] (equal to the mean for a Poisson pipeline).
    fill_rate : float
        Fraction of demands met from the shelf at once, P(X <= S - 1).
    ready_rate : float
        Fraction of time with no backorder outstanding, P(X <= S).
    expected_backorders : float
        Time-average number of backorders, EBO = E[(X - S)^+].
    expected_on_hand : float
        Time-average units on the shelf, E[(S - X)^+] = S - E[X] + EBO.
    mean_delay : float
        Mean wait per demand (over all demands, the ones met at once counting
        zero), EBO / lambda by Little's law.
    backorder_variance : float
        VBO = Var[(X - S)^+].
    """

    demand_rate: float
    lead_time_mean: float
    stock: int
    pipeline: str
    pipeline_mean: float
    pipeline_variance: float
    fill_rate: float
    ready_rate: float
    expected_backorders: float
    expected_on_hand: float
    mean_delay: float
    backorder_variance: float


@dataclass(frozen=True)
class EmergencyResult:
    """Steady state of a base-stock location whose stock-outs go out as emergency shipments.

    Attributes
    ----------
    demand_rate : float
        Poisson demand rate lambda.
    lead_time_mean : float
        Mean replenishment lead time L of the location's own pipeline.
    stock : int
        Base stock level S.
    offered_load : float
        a = lambda L, the pipeline an unlimited stock would carry.
    fill_rate : float
        Fraction of demands met from the shelf, 1 - B(S, a).
    emergency_rate : float
        Emergency shipments per unit of time, lambda B(S, a).
    pipeline_mean : float
        Mean number of own replenishments outstanding, a (1 - B(S, a)).
    expected_on_hand : float
        Time-average units on the shelf, S - a (1 - B(S, a)).
    """

    demand_rate: float
    lead_time_mean: float
    stock: int
    offered_load: float
    fill_rate: float
    emergency_rate: float
    pipeline_mean: float
    expected_on_hand: float


@dataclass(frozen=True)
class SSResult:
    """Steady state of an (s, S) continuous-review location with unit Poisson demand.

    Attributes
    ----------
    demand_rate : float
        Poisson demand rate lambda.
    lead_time_mean : float
        Replenishment lead time L.
    reorder_point : int
        s: an order is placed when the inventory position drops to s.
    order_up_to : int
        S: each order raises the inventory position to S.
    order_quantity : int
        Q = S - s.
    pipeline_mean : float
        Mean lead-time demand lambda L.
    fill_rate : float
        (1/Q) sum_{y=s+1}^{S} P(D_L <= y - 1).
    ready_rate : float
        Fraction of time with no backorder, (1/Q) sum_y P(D_L <= y).
    expected_backorders : float
        (1/Q) sum_y E[(D_L - y)^+].
    expected_on_hand : float
        (1/Q) sum_y E[(y - D_L)^+].
    mean_delay : float
        Mean wait per demand, EBO / lambda (Little's law).
    order_rate : float
        Replenishment orders per unit of time, lambda / Q.
    """

    demand_rate: float
    lead_time_mean: float
    reorder_point: int
    order_up_to: int
    order_quantity: int
    pipeline_mean: float
    fill_rate: float
    ready_rate: float
    expected_backorders: float
    expected_on_hand: float
    mean_delay: float
    order_rate: float


@dataclass(frozen=True)
class MultiEchelonResult:
    """Steady state of a depot resupplying J vans, both on base-stock policies.

    Attributes
    ----------
    model : str
        ``"METRIC"`` or ``"VARI-METRIC"``.
    depot : BaseStockResult
        The depot (Palm's theorem with demand lambda_0 = sum_j lambda_j and
        lead time T0).
    depot_delay : float
        Mean delay a van order waits at the depot, EBO_0 / lambda_0.
    vans : tuple of BaseStockResult
        One per van, in input order; ``lead_time_mean`` is the effective lead
        time O_j + ``depot_delay`` and ``pipeline`` says which distribution the
        van pipeline was given.
    """

    model: str
    depot: BaseStockResult
    depot_delay: float
    vans: tuple[BaseStockResult, ...]

    @property
    def total_van_backorders(self) -> float:
        """Sum of the vans' expected backorders."""
        return math.fsum(v.expected_backorders for v in self.vans)

    @property
    def van_fill_rate(self) -> float:
        """Demand-weighted fill rate over all vans."""
        total = math.fsum(v.demand_rate for v in self.vans)
        return math.fsum(v.demand_rate * v.fill_rate for v in self.vans) / total


# --------------------------------------------------------------------------- validation


def _real(name: str, value: Any, *, allow_zero: bool) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0), else raise ValueError naming it."""
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return x


def _integer(name: str, value: Any, *, minimum: int) -> int:
    """Return ``value`` as an int >= ``minimum``; floats such as 3.0 are refused on purpose."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return n


def _probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1], else raise ValueError naming it."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}") from None
    if not 0.0 <= p <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return p


def _sequence(name: str, values: Any) -> list[Any]:
    """Return the items of a non-empty sequence or 1-D array, else raise ValueError."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {values.shape}")
        values = values.tolist()
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a sequence, got {values!r}")
    if len(values) == 0:
        raise ValueError(f"{name} must contain at least one van")
    return list(values)


# --------------------------------------------------------------------------- core sums


def _sf_tail(dist: Any, start: int, scale: float) -> npt.NDArray[np.float64]:
    """Survival function P(X > k) for k = start, start + 1, ... until negligible.

    Chunks double in length, so a heavy (negative binomial) tail terminates in
    O(log n) calls; ``scale`` (a standard deviation) sets the first chunk.
    """
    chunk = max(64, int(8.0 * scale) + 1)
    parts: list[npt.NDArray[np.float64]] = []
    total = 0.0
    k0 = start
    while True:
        sf = np.asarray(dist.sf(np.arange(k0, k0 + chunk)), dtype=np.float64)
        parts.append(sf)
        total += float(sf.sum())
        last = float(sf[-1])
        if last == 0.0 or last <= _TAIL_TOL * total:
            return np.concatenate(parts)
        k0 += chunk
        chunk *= 2


def _stock_measures(
    dist: Any, mean: float, var: float, stocks: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], ...]:
    """Fill, ready, E[(X - y)^+] and E[(y - X)^+] for each stock level y in ``stocks``.

    ``stocks`` must be sorted ascending and >= 0; X has ``mean`` and variance
    ``var``. Below the mean, E[(y - X)^+] = sum_{k<y} P(X <= k) is summed
    and EBO = mean - y + E[(y - X)^+]; above it, EBO = sum_{k>=y} P(X > k)
    is summed and the on-hand follows. Every sum has non-negative terms and
    the final addition never cancels, whatever the size of y or the mean.
    """
    ys = np.asarray(stocks, dtype=np.int64)
    fill = np.asarray(dist.cdf(ys - 1), dtype=np.float64)
    ready = np.asarray(dist.cdf(ys), dtype=np.float64)
    ebo = np.empty(ys.size, dtype=np.float64)
    on_hand = np.empty(ys.size, dtype=np.float64)

    low = ys <= mean
    if low.any():
        y_low = ys[low]
        cdf = np.asarray(dist.cdf(np.arange(int(y_low[-1]))), dtype=np.float64)
        below = np.concatenate(([0.0], np.cumsum(cdf)))  # below[y] = sum_{k<y} F(k)
        on_hand[low] = below[y_low]
        ebo[low] = (mean - y_low) + below[y_low]
    high = ~low
    if high.any():
        y_high = ys[high]
        lo, hi = int(y_high[0]), int(y_high[-1])
        head = np.asarray(dist.sf(np.arange(lo, hi)), dtype=np.float64)
        terms = np.concatenate((head, _sf_tail(dist, hi, math.sqrt(var))))
        above = np.cumsum(terms[::-1])[::-1]  # above[i] = sum_{k >= lo + i} sf(k)
        ebo[high] = above[y_high - lo]
        on_hand[high] = (y_high - mean) + ebo[high]
    return fill, ready, ebo, on_hand


def _backorder_variance(dist: Any, mean: float, var: float, stock: int) -> float:
    """VBO = Var[(X - S)^+], from sums of non-negative terms.

    Above the mean, E[((X - S)^+)^2] = sum_{j>=0} (2j + 1) P(X > S + j) and
    VBO = that - EBO^2 (EBO is small there). At or below it, with
    L = (S - X)^+, EL = sum_{k<S} F(k) and E[L^2] = sum_{j<S} (2j + 1) F(S-1-j),
    VBO = Var[X] - E[L^2] - EL^2 - 2 (mean - S) EL (all corrections small
    when S is well below the mean; at S = 0 it is exactly Var[X]).
    """
    if stock > mean:
        sf = _sf_tail(dist, stock, math.sqrt(var))
        weights = 2.0 * np.arange(sf.size) + 1.0
        ebo = float(sf[::-1].sum())
        second = float((weights * sf)[::-1].sum())
        vbo = second - ebo * ebo
    else:
        cdf = np.asarray(dist.cdf(np.arange(stock)), dtype=np.float64)  # F(0..S-1)
        el = float(cdf.sum())
        weights = 2.0 * np.arange(stock) + 1.0
        el2 = float((weights * cdf[::-1]).sum())
        vbo = var - el2 - el * el - 2.0 * (mean - stock) * el
    return max(vbo, 0.0)


def _location(
    demand_rate: float,
    lead_time: float,
    stock: int,
    mean: float,
    var: float,
) -> BaseStockResult:
    """Base-stock measures for a pipeline with the given mean and variance.

    The pipeline is Poisson when ``var <= mean`` (to a relative tolerance),
    otherwise the negative binomial with that mean and variance.
    """
    if var <= mean * (1.0 + _POISSON_TOL):
        dist, label, var = poisson(mean), "Poisson", mean
    else:
        # NB(r, p): mean r (1 - p) / p, variance mean / p.
        p = mean / var
        r = mean * mean / (var - mean)
        dist, label = nbinom(r, p), "negative binomial"
    fill, ready, ebo, on_hand = _stock_measures(dist, mean, var, np.array([stock]))
    return BaseStockResult(
        demand_rate=demand_rate,
        lead_time_mean=lead_time,
        stock=stock,
        pipeline=label,
        pipeline_mean=mean,
        pipeline_variance=var,
        fill_rate=float(fill[0]),
        ready_rate=float(ready[0]),
        expected_backorders=float(ebo[0]),
        expected_on_hand=float(on_hand[0]),
        mean_delay=float(ebo[0]) / demand_rate,
        backorder_variance=_backorder_variance(dist, mean, var, stock),
    )


# --------------------------------------------------------------------------- one location


def base_stock(demand_rate: float, lead_time_mean: float, stock: int) -> BaseStockResult:
    """One location, base stock S, Poisson demand, backorders (Palm's theorem).

    Parameters
    ----------
    demand_rate : float
        Poisson demand rate lambda > 0.
    lead_time_mean : float
        Mean replenishment lead time L >= 0; the lead times are i.i.d. with
        any distribution.
    stock : int
        Base stock level S >= 0 (S = 0 gives fill rate 0).

    Returns
    -------
    BaseStockResult
        With X ~ Poisson(m = lambda L) the number of units in resupply:
        ``fill_rate = P(X <= S - 1)``, ``ready_rate = P(X <= S)``,
        ``expected_backorders = E[(X - S)^+]``, ``expected_on_hand = S - m +
        EBO``, ``mean_delay = EBO / lambda``, ``backorder_variance =
        Var[(X - S)^+]``.

    Notes
    -----
    Palm's theorem: each demand triggers one replenishment order, so the
    outstanding orders form an M/G/infinity queue whose occupancy is Poisson
    with mean lambda L whatever the lead-time distribution.

    Examples
    --------
    >>> r = base_stock(1.0, 2.0, 3)
    >>> round(r.fill_rate, 4), round(r.ready_rate, 4), round(r.expected_backorders, 4)
    (0.6767, 0.8571, 0.218)
    """
    lam = _real("demand_rate", demand_rate, allow_zero=False)
    lead = _real("lead_time_mean", lead_time_mean, allow_zero=True)
    s = _integer("stock", stock, minimum=0)
    m = lam * lead
    return _location(lam, lead, s, m, m)


def emergency_fill(demand_rate: float, lead_time_mean: float, stock: int) -> EmergencyResult:
    """One location, base stock S, stock-outs met by emergency shipments (lost to the pipeline).

    Parameters
    ----------
    demand_rate : float
        Poisson demand rate lambda > 0.
    lead_time_mean : float
        Mean replenishment lead time L >= 0 of the location's own resupply
        (any distribution).
    stock : int
        Base stock level S >= 0.

    Returns
    -------
    EmergencyResult
        ``fill_rate = 1 - B(S, lambda L)``, ``emergency_rate = lambda B``,
        ``expected_on_hand = S - lambda L (1 - B)``.

    Notes
    -----
    A demand met from the shelf sends one unit into resupply; a demand that
    finds the shelf empty is covered by an emergency shipment that does not
    enter the location's own pipeline. The pipeline is therefore an
    M/G/S/S loss system with S "servers" (the S units), and by PASTA and
    the insensitivity of Erlang's loss formula the fraction of demands that
    find all S units in resupply is B(S, lambda L) for any lead-time
    distribution.

    Examples
    --------
    >>> round(emergency_fill(1.0, 5.0, 10).fill_rate, 6)
    0.981615
    """
    lam = _real("demand_rate", demand_rate, allow_zero=False)
    lead = _real("lead_time_mean", lead_time_mean, allow_zero=True)
    s = _integer("stock", stock, minimum=0)
    a = lam * lead
    b = erlang_b(s, a)
    busy = a * (1.0 - b)
    return EmergencyResult(
        demand_rate=lam,
        lead_time_mean=lead,
        stock=s,
        offered_load=a,
        fill_rate=1.0 - b,
        emergency_rate=lam * b,
        pipeline_mean=busy,
        expected_on_hand=s - busy,
    )


def s_S_policy(demand_rate: float, lead_time_mean: float, s: int, S: int) -> SSResult:
    """One location, (s, S) continuous review, unit Poisson demand, backorders.

    Parameters
    ----------
    demand_rate : float
        Poisson demand rate lambda > 0.
    lead_time_mean : float
        Replenishment lead time L >= 0.
    s : int
        Reorder point, s >= -1 (an order is placed when the inventory
        position, on hand + on order - backorders, falls to s).
    S : int
        Order-up-to level, S > s (so Q = S - s >= 1 and S >= 0).

    Returns
    -------
    SSResult
        With D_L ~ Poisson(lambda L) and y running over s+1..S:
        ``fill_rate = (1/Q) sum_y P(D_L <= y - 1)``, ``ready_rate = (1/Q)
        sum_y P(D_L <= y)``, ``expected_backorders = (1/Q) sum_y E[(D_L -
        y)^+]``, ``expected_on_hand = (1/Q) sum_y E[(y - D_L)^+]``,
        ``mean_delay = EBO / lambda``, ``order_rate = lambda / Q``.

    Notes
    -----
    With unit demands the inventory position is uniform on {s+1, ..., S}
    and independent of the demand D_L over the next lead time; net
    inventory L later is IP - D_L. This is exact for a constant lead time
    (and for any lead times that never cross); with crossing random lead
    times it is an approximation, except for Q = 1 where it reduces to
    Palm's theorem (:func:`base_stock` with stock S), exact for any
    distribution.

    Examples
    --------
    >>> r = s_S_policy(1.0, 2.0, 2, 3)  # Q = 1: base stock 3
    >>> round(r.fill_rate, 4), r.order_rate
    (0.6767, 1.0)
    """
    lam = _real("demand_rate", demand_rate, allow_zero=False)
    lead = _real("lead_time_mean", lead_time_mean, allow_zero=True)
    reorder = _integer("s", s, minimum=-1)
    up_to = _integer("S", S, minimum=0)
    if up_to <= reorder:
        raise ValueError(f"S must be greater than s, got s={s!r}, S={S!r}")
    q = up_to - reorder
    m = lam * lead
    ys = np.arange(reorder + 1, up_to + 1, dtype=np.int64)
    fill, ready, ebo, on_hand = _stock_measures(poisson(m), m, m, ys)
    ebo_mean = math.fsum(ebo.tolist()) / q
    return SSResult(
        demand_rate=lam,
        lead_time_mean=lead,
        reorder_point=reorder,
        order_up_to=up_to,
        order_quantity=q,
        pipeline_mean=m,
        fill_rate=math.fsum(fill.tolist()) / q,
        ready_rate=math.fsum(ready.tolist()) / q,
        expected_backorders=ebo_mean,
        expected_on_hand=math.fsum(on_hand.tolist()) / q,
        mean_delay=ebo_mean / lam,
        order_rate=lam / q,
    )


# --------------------------------------------------------------------------- two echelons


def _two_echelon(
    model: str,
    depot_rate_per_van: Sequence[float],
    depot_lead_time: float,
    depot_stock: int,
    transit_times: Sequence[float],
    van_stocks: Sequence[int],
) -> MultiEchelonResult:
    """Shared validation and depot step of METRIC and VARI-METRIC."""
    rates = [
        _real(f"depot_rate_per_van[{j}]", v, allow_zero=False)
        for j, v in enumerate(_sequence("depot_rate_per_van", depot_rate_per_van))
    ]
    transits = [
        _real(f"transit_times[{j}]", v, allow_zero=True)
        for j, v in enumerate(_sequence("transit_times", transit_times))
    ]
    stocks = [
        _integer(f"van_stocks[{j}]", v, minimum=0) for j, v in enumerate(_sequence("van_stocks", van_stocks))
    ]
    if not len(rates) == len(transits) == len(stocks):
        raise ValueError(
            "depot_rate_per_van, transit_times and van_stocks must have one entry per van, "
            f"got lengths {len(rates)}, {len(transits)}, {len(stocks)}"
        )
    lam0 = math.fsum(rates)
    t0 = _real("depot_lead_time", depot_lead_time, allow_zero=True)
    s0 = _integer("depot_stock", depot_stock, minimum=0)

    depot = base_stock(lam0, t0, s0)
    delay = depot.expected_backorders / lam0
    vans = []
    for lam, transit, stock in zip(rates, transits, stocks, strict=True):
        mean = lam * (transit + delay)
        if model == "METRIC":
            var = mean
        else:
            f = lam / lam0
            var = lam * transit + f * (1.0 - f) * depot.expected_backorders + f * f * depot.backorder_variance
        vans.append(_location(lam, transit + delay, stock, mean, var))
    return MultiEchelonResult(model=model, depot=depot, depot_delay=delay, vans=tuple(vans))


def metric(
    depot_rate_per_van: Sequence[float],
    depot_lead_time: float,
    depot_stock: int,
    transit_times: Sequence[float],
    van_stocks: Sequence[int],
) -> MultiEchelonResult:
    """Depot -> J vans, base stock at both echelons: Sherbrooke's METRIC.

    Parameters
    ----------
    depot_rate_per_van : sequence of float
        Poisson demand rate lambda_j > 0 of each van; every van demand
        becomes one order on the depot, so the depot sees lambda_0 = sum_j
        lambda_j.
    depot_lead_time : float
        Mean supplier -> depot lead time T0 >= 0 (any distribution).
    depot_stock : int
        Depot base stock S0 >= 0.
    transit_times : sequence of float
        Mean depot -> van transit time O_j >= 0, one per van.
    van_stocks : sequence of int
        Van base stock S_j >= 0, one per van.

    Returns
    -------
    MultiEchelonResult
        ``depot`` is :func:`base_stock` (lambda_0, T0, S0); ``depot_delay =
        EBO_0 / lambda_0``; van j is a base-stock location whose pipeline is
        taken as Poisson with mean lambda_j (O_j + EBO_0 / lambda_0).

    Notes
    -----
    METRIC ignores the extra variance the shared depot backorders add to the
    van pipelines, so it understates van backorders when the depot is short
    of stock (Sherbrooke reports 10-30 %); prefer :func:`vari_metric` as the
    reference for simulation.

    Examples
    --------
    >>> r = metric([1.0, 1.0], 4.0, 6, [1.0, 1.0], [2, 2])
    >>> round(r.depot_delay, 4), r.vans[0].pipeline
    (1.1752, 'Poisson')
    """
    return _two_echelon("METRIC", depot_rate_per_van, depot_lead_time, depot_stock, transit_times, van_stocks)


def vari_metric(
    depot_rate_per_van: Sequence[float],
    depot_lead_time: float,
    depot_stock: int,
    transit_times: Sequence[float],
    van_stocks: Sequence[int],
) -> MultiEchelonResult:
    """Depot -> J vans, base stock at both echelons: VARI-METRIC (two-moment fit).

    Parameters
    ----------
    depot_rate_per_van : sequence of float
        Poisson demand rate lambda_j > 0 of each van.
    depot_lead_time : float
        Mean supplier -> depot lead time T0 >= 0 (any distribution).
    depot_stock : int
        Depot base stock S0 >= 0.
    transit_times : sequence of float
        Mean depot -> van transit time O_j >= 0, one per van.
    van_stocks : sequence of int
        Van base stock S_j >= 0, one per van.

    Returns
    -------
    MultiEchelonResult
        As :func:`metric`, but van j's pipeline has mean mu_j = lambda_j (O_j
        + EBO_0 / lambda_0) and variance lambda_j O_j + f (1 - f) EBO_0 + f^2
        VBO_0 with f = lambda_j / lambda_0, and is given the negative
        binomial with those two moments (the Poisson when the variance does
        not exceed the mean, e.g. S0 = 0 or a depot that is never out).

    Notes
    -----
    Each depot backorder belongs to van j with probability f independently,
    so van j's share of the depot backorders B_0 is binomially thinned:
    mean f EBO_0, variance f (1 - f) EBO_0 + f^2 VBO_0. Adding the units in
    transit (Poisson, mean lambda_j O_j) gives the moments above. Van
    expected backorders are never below METRIC's (the negative binomial is a
    gamma mixture of Poissons with the same mean, hence larger in convex
    order).

    Examples
    --------
    >>> r = vari_metric([1.0, 1.0], 4.0, 6, [1.0, 1.0], [2, 2])
    >>> r.vans[0].pipeline
    'negative binomial'
    """
    return _two_echelon(
        "VARI-METRIC", depot_rate_per_van, depot_lead_time, depot_stock, transit_times, van_stocks
    )


# --------------------------------------------------------------------------- first-time fix


def first_time_fix(p_part_needed: float, van_fill_rate: float, p_other: float) -> float:
    """First-time-fix probability from part shortages and other causes.

    Parameters
    ----------
    p_part_needed : float
        Probability in [0, 1] that a visit needs a part.
    van_fill_rate : float
        Probability in [0, 1] that a needed part is on the van.
    p_other : float
        Probability in [0, 1] that the first visit fails for another reason
        (diagnosis, skills), counted as disjoint from a part shortage.

    Returns
    -------
    float
        ``1 - (p_part_needed * (1 - van_fill_rate) + p_other)``.

    Raises
    ------
    ValueError
        If an argument is not a probability, or if the two failure causes
        add up to more than 1 (they cannot be disjoint then). The result is
        never clipped.

    Examples
    --------
    >>> round(first_time_fix(0.4, 0.9, 0.05), 10)
    0.91
    """
    p_part = _probability("p_part_needed", p_part_needed)
    fill = _probability("van_fill_rate", van_fill_rate)
    other = _probability("p_other", p_other)
    failure = p_part * (1.0 - fill) + other
    if failure > 1.0:
        raise ValueError(
            f"p_other must be at most 1 - p_part_needed * (1 - van_fill_rate) = "
            f"{1.0 - p_part * (1.0 - fill)!r} (disjoint failure causes), got {p_other!r}"
        )
    return 1.0 - failure
