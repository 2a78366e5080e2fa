"""Renewal theory of a fleet whose machines are replaced at the end of a service life.

Each machine's installations form a renewal process with i.i.d. service lives L (mean
E[L], survival S).  Started in its stationary state (the age at time 0 drawn from the
density S(a) / E[L]):

* installations per hour of the fleet = N / E[L] at every instant (a stationary renewal
  process has a constant renewal density), whatever else happens to the machines, as
  long as the replacement comes at the end of the life and the life does not depend on
  breakdowns;
* the share of machines in warranty (age < W) = P(A < W) = (1/E[L]) int_0^W S(a) da
  = E[min(L, W)] / E[L];
* a breakdown comes from a machine in warranty with that same probability when a
  machine's failure rate does not depend on its age or status (exponential times to
  failure) and whether it is working does not depend on its status either (class-blind
  dispatch, e.g. FIFO): the breaking machine is then a working machine chosen
  independently of the ages.  Contract and paid split the rest by ``contract_share``.
"""

from __future__ import annotations

import math
from typing import Any


def expected_min(life: Any, w: float) -> float:
    """E[min(L, w)] = int_0^w S(a) da for a service life ``life`` (a
    :class:`sim.distributions.Distribution`).

    >>> from sim.distributions import Deterministic, Exponential, Uniform
    >>> round(expected_min(Exponential(100.0), 100.0), 6)  # 100 (1 - e^-1)
    63.212056
    >>> expected_min(Deterministic(50.0), 20.0), expected_min(Deterministic(50.0), 80.0)
    (20.0, 50.0)
    >>> expected_min(Uniform(0.0, 10.0), 5.0)  # 5 - 25 / 20
    3.75
    """
    from scipy.special import gammainc, ndtr

    if w <= 0:
        return 0.0
    name = life.name
    if name == "exponential":
        m = life.mean
        return float(-m * math.expm1(-w / m))
    if name == "deterministic":
        return float(min(life.value, w))
    if name == "uniform":
        a, b = life.low, life.high
        if w <= a:
            return float(w)
        if w >= b:
            return float(life.mean)
        return float(a + ((b - a) ** 2 - (b - w) ** 2) / (2.0 * (b - a)))
    if name == "empirical":
        p = [x / sum(life.weights) for x in life.weights]
        return float(sum(q * min(v, w) for q, v in zip(p, life.values, strict=True)))
    if name in ("gamma", "erlang"):
        k, theta = life.shape, life.scale
        x = w / theta
        return float(w * (1.0 - gammainc(k, x)) + k * theta * gammainc(k + 1.0, x))
    if name == "weibull":
        x = (w / life.scale) ** life.shape
        return float(life.mean * gammainc(1.0 / life.shape, x))
    if name == "lognormal":
        mu, s = life.mu, life.sigma
        z = (math.log(w) - mu) / s
        return float(w * (1.0 - ndtr(z)) + math.exp(mu + 0.5 * s * s) * ndtr(z - s))
    raise ValueError(f"no survival integral for distribution {name!r}")


def stationary_age_cdf(life: Any, w: float) -> float:
    """P(A < w) for the stationary age A of the renewal process of lives ``life``: the
    share of machines younger than ``w`` (in warranty when ``w`` is the warranty).

    >>> from sim.distributions import Deterministic, Exponential
    >>> stationary_age_cdf(Deterministic(100.0), 25.0)  # ages uniform on [0, 100)
    0.25
    >>> round(stationary_age_cdf(Exponential(100.0), 25.0), 6)  # memoryless: 1 - e^-1/4
    0.221199
    """
    return expected_min(life, w) / life.mean


def status_shares(in_warranty: float, contract_share: float) -> tuple[float, float, float]:
    """(warranty, contract, paid) shares from the share in warranty and the share of
    machines under contract after their warranty.

    >>> status_shares(0.2, 0.75)
    (0.2, 0.6000000000000001, 0.2)
    """
    rest = 1.0 - in_warranty
    return in_warranty, rest * contract_share, rest * (1.0 - contract_share)


def installations_per_h(machines: int, mean_life_h: float) -> float:
    """Replacements per hour of a fleet of ``machines`` in its stationary state: N / E[L]
    (the renewal density of N stationary renewal processes).

    >>> installations_per_h(150, 30000.0)
    0.005
    """
    return machines / mean_life_h
