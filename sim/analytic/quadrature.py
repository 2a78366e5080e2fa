"""A duration law as a discrete rule (nodes, weights) for expectations E[g(X)].

The exact finite-source M/G/1//N solution (:mod:`sim.analytic.takacs`) needs
E[g(S)] for smooth bounded g and a service time S that is the sum of a trip
and a repair.  Each law becomes a rule: its own atoms for deterministic and
empirical laws, otherwise Gauss-Legendre nodes in the probability scale u on
pieces graded geometrically towards u = 0 and u = 1, mapped through the
quantile function (``E[g(X)] = integral_0^1 g(F^-1(u)) du``), so that heavy tails and
densities that blow up at 0 are integrated as accurately as the middle.  The
sum of independent laws is the product rule.

Laws are read by attribute (``name`` and their parameters, as in
:mod:`sim.distributions`), so this module imports no other project module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

#: piece boundaries in u: graded towards both ends (the mass beyond the last is < 1e-13)
_TAIL = (1e-13, 1e-10, 1e-7, 1e-5, 1e-3)
_EDGES = np.array([0.0, *_TAIL, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, *(1.0 - t for t in reversed(_TAIL))])

Rule = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _frozen(law: Any) -> Any:
    """The scipy.stats law of a continuous duration, from its attributes."""
    name = law.name
    if name == "exponential":
        return stats.expon(scale=law.mean)
    if name in ("gamma", "erlang"):
        return stats.gamma(law.shape, scale=law.scale)
    if name == "lognormal":
        return stats.lognorm(law.sigma, scale=np.exp(law.mu))
    if name == "weibull":
        return stats.weibull_min(law.shape, scale=law.scale)
    if name == "uniform":
        return stats.uniform(law.low, law.high - law.low)
    raise ValueError(f"no quadrature rule for the {name!r} law")


def rule(law: Any, points: int = 16) -> Rule:
    """Nodes and weights (summing to 1) that integrate smooth functions of ``law``.

    Parameters
    ----------
    law : distribution
        A duration law with ``name`` and its parameters (see :mod:`sim.distributions`).
    points : int
        Gauss-Legendre points per piece of the probability scale.

    Returns
    -------
    nodes, weights : numpy.ndarray
        ``sum(weights * g(nodes))`` approximates E[g(X)].
    """
    name = law.name
    if name == "deterministic":
        return np.array([float(law.value)]), np.array([1.0])
    if name == "empirical":
        w = np.asarray(law.weights, dtype=np.float64)
        return np.asarray(law.values, dtype=np.float64), w / w.sum()
    frozen = _frozen(law)
    x, w = np.polynomial.legendre.leggauss(points)
    lo, hi = _EDGES[:-1], _EDGES[1:]
    u = (lo[:, None] + (hi - lo)[:, None] * (x[None, :] + 1.0) / 2.0).ravel()
    weights = ((hi - lo)[:, None] * w[None, :] / 2.0).ravel()
    nodes = np.asarray(frozen.ppf(u), dtype=np.float64)
    return nodes, weights / weights.sum()


def sum_rule(*rules: Rule) -> Rule:
    """The rule of a sum of independent laws (the product rule, atoms merged)."""
    nodes, weights = np.array([0.0]), np.array([1.0])
    for n, w in rules:
        nodes = (nodes[:, None] + n[None, :]).ravel()
        weights = (weights[:, None] * w[None, :]).ravel()
    return nodes, weights
