"""The exact M/G/1//N machine-interference model (Takacs): the Markov chain at departures.

N machines, each failing at rate lambda while it works (exponential lives),
one technician, i.i.d. service times S of any law, FIFO.  Just after a
repair ends, the number of machines left down is a Markov chain on
0..N-1: from n >= 1 the next service starts at once and, while it lasts,
each of the N - n working machines fails with probability 1 - e^{-lambda S}
(given S), so ``n' = n - 1 + A`` with A binomial(N - n, 1 - e^{-lambda S})
mixed over S; from n = 0 the technician waits for a breakdown and then
``n' = A`` with A binomial(N - 1, .).

The departure distribution pi is also the distribution a breakdown finds
(level crossing), and the time-average distribution follows from the rate
balance lambda (N - n) p_n = lambda_eff pi_n with p_0 = 1 - lambda_eff E[S]:
``lambda_eff = 1 / (E[S] + pi_0 / (lambda N))``.  Then L = N - lambda_eff /
lambda, W = L / lambda_eff, Wq = W - E[S], and a breakdown waits with
probability 1 - pi_0.

References: L. Takacs, *Introduction to the Theory of Queues* (Oxford, 1962),
ch. 5 (the machine-interference problem); D. Gross, J. F. Shortle,
J. M. Thompson, C. M. Harris, *Fundamentals of Queueing Theory*, 4th ed.
(Wiley, 2008), the finite-source M/G/1 by the embedded chain.

The only approximation is numerical: E[.] over S by a quadrature rule
(:mod:`sim.analytic.quadrature`), far below any simulation's precision.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

from .queues import FiniteSourceResult, _count, _rate

#: beyond this fleet the binomial coefficients of the chain leave double precision
MAX_MACHINES = 1000
_CHUNK = 2048


def _transition(
    machines: int, failure_rate: float, nodes: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The departure chain's transition matrix on 0..N-1."""
    n = machines
    j = np.arange(n + 1, dtype=np.float64)
    # mixed moments M[i, r] = E[(1 - q)^i q^r], q = e^{-lambda S} the chance that a working
    # machine survives the service, for all i, r <= N by one matrix product
    moments = np.zeros((n + 1, n + 1))
    for start in range(0, nodes.size, _CHUNK):  # (bounded memory for product rules)
        x, w = nodes[start : start + _CHUNK], weights[start : start + _CHUNK]
        fail = -np.expm1(-failure_rate * x)
        keep = np.exp(-failure_rate * x)
        moments += (fail[:, None] ** j[None, :] * w[:, None]).T @ (keep[:, None] ** j[None, :])
    # k[m, i] = C(m, i) M[i, m - i]: P(i breakdowns during a service with m machines working)
    m, i = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    inside = i <= m
    log_c = np.where(inside, gammaln(m + 1.0) - gammaln(i + 1.0) - gammaln(np.abs(m - i) + 1.0), -np.inf)
    k = np.exp(log_c) * moments[i, np.where(inside, m - i, 0)]
    p = np.zeros((n, n))
    p[0, :] = k[n - 1, :n]  # from 0: the next service starts with one down, N - 1 working
    for state in range(1, n):
        working = n - state
        p[state, state - 1 :] = k[working, : working + 1]
    # rows sum to 1 up to the quadrature and rounding: renormalise
    return p / p.sum(axis=1, keepdims=True)


def _stationary(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """pi P = pi, sum pi = 1 (one balance equation replaced by the normalisation)."""
    size = p.shape[0]
    a = p.T - np.eye(size)
    a[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = np.linalg.solve(a, rhs)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def mg1_finite_source(
    machines: int,
    failure_rate: float,
    nodes: npt.ArrayLike,
    weights: npt.ArrayLike,
) -> FiniteSourceResult:
    """Steady state of the M/G/1//N machine-interference model (exact, Takacs).

    Parameters
    ----------
    machines : int
        Fleet size N, 1 <= N <= :data:`MAX_MACHINES`.
    failure_rate : float
        Breakdown rate lambda > 0 of a working machine (exponential lives).
    nodes, weights : array_like
        The service-time law as a rule: ``sum(weights * g(nodes))`` = E[g(S)]
        (atoms of a discrete law, or a quadrature rule of a continuous one).

    Returns
    -------
    FiniteSourceResult
        ``probabilities``: time-average p_0..p_N of the number down;
        ``arrival_probabilities``: what a breakdown finds (the departure law,
        0 for n = N); ``p_wait = 1 - pi_0``; model ``"M/G/1//N (Takacs)"``.

    Examples
    --------
    Exponential service gives M/M/1//N:

    >>> from sim.analytic.queues import finite_source
    >>> r = mg1_finite_source(5, 0.1, [2.0], [1.0])  # deterministic 2-h repairs
    >>> round(float(r.utilization), 4)
    0.7504
    """
    n = _count("machines", machines)
    if n > MAX_MACHINES:
        raise ValueError(f"machines must be <= {MAX_MACHINES} for the exact M/G/1//N chain, got {n}")
    lam = _rate("failure_rate", failure_rate)
    x = np.asarray(nodes, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if x.size == 0 or x.size != w.size or (x < 0).any() or (w < 0).any() or not np.isfinite(x).all():
        raise ValueError("nodes and weights must be equally long, finite and >= 0")
    w = w / w.sum()
    es = float(w @ x)
    if es <= 0:
        raise ValueError("the service time must have a positive mean")
    pi = np.array([1.0]) if n == 1 else _stationary(_transition(n, lam, x, w))
    lam_eff = 1.0 / (es + pi[0] / (lam * n))
    states = np.arange(n, dtype=np.float64)
    p = np.zeros(n + 1)
    p[:n] = pi * lam_eff / (lam * (n - states))
    p[n] = max(0.0, 1.0 - p[:n].sum())
    p /= p.sum()
    l_sys = n - lam_eff / lam
    w_sys = l_sys / lam_eff
    wq = max(w_sys - es, 0.0)
    arrival = np.append(pi, 0.0)
    return FiniteSourceResult(
        model=f"M/G/1//{n} (Takacs)",
        arrival_rate=lam_eff,
        servers=1,
        utilization=lam_eff * es,
        p_wait=float(1.0 - pi[0]),
        wq=wq,
        w=wq + es,
        lq=lam_eff * wq,
        l=l_sys,
        probabilities=tuple(p.tolist()),
        arrival_probabilities=tuple(arrival.tolist()),
    )


__all__ = ["MAX_MACHINES", "mg1_finite_source"]
