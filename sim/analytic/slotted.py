"""Booking into a fixed capacity per slot: the discrete-time queue of appointment requests.

Requests arrive as a Poisson process of rate ``lam`` per hour; slots (appointment windows)
start every ``period`` hours and each takes ``capacity`` bookings.  A request may book
only slots that start at least the lead time after it, so the requests of one
*eligibility period* (between two consecutive cut-offs, a slot's start minus the lead
time) all become eligible for the same first slot; each takes the first slot from there
with a place left.  Let ``X_n`` be the bookings held for slots ``n, n+1, ...`` at the
cut-off of slot ``n``.  Slot ``n`` takes ``min(X_n, c)`` of them, and the period's
arrivals ``A_{n+1} ~ Poisson(lam * period)`` join the rest::

    X_{n+1} = max(X_n - c, 0) + A_{n+1}

the discrete-time queue with fixed capacity of the slotted-service literature (Bailey's
bulk-service queue, N. T. J. Bailey, "On queueing processes with bulk service", J. R.
Stat. Soc. B 16, 1954; the same chain as M/D^c/1 observed at service epochs).  It has a
stationary law iff ``lam * period < c``; :func:`backlog_distribution` solves it
numerically on a truncated state space, growing the truncation until the mass it leaves
out is below ``1e-12``.

A request that arrives a fraction ``u`` of the way into its eligibility period finds
``Q = max(X - c, 0)`` bookings ahead of it from earlier periods (``X`` stationary, by
PASTA independent of what follows) and ``K_u ~ Poisson(lam * period * u)`` earlier
requests of its own period, so it takes the ``D``-th slot from its first eligible one,
``D = ceil((Q + K_u + 1) / c)``.  Its lead time is ``L + period * (1 - u) + period * (D - 1)``
hours (``L`` the minimum lead time), ``u`` uniform on (0, 1) (Poisson arrivals).  The
integrals over ``u`` are done by Gauss-Legendre quadrature (smooth integrands).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: mass the truncated state space may leave out
TAIL = 1e-12


@dataclass(frozen=True)
class SlottedBooking:
    """The stationary booking queue and what a request sees.

    Attributes
    ----------
    lam : float
        Requests per hour.
    period : float
        Hours between the starts of consecutive slots.
    capacity : int
        Bookings per slot.
    q : numpy.ndarray
        ``q[k] = P(Q = k)``: bookings ahead of a request from earlier periods.
    """

    lam: float
    period: float
    capacity: int
    q: np.ndarray

    def extra_slots(self, u: float) -> np.ndarray:
        """``p[k] = P(D - 1 = k)`` for a request a fraction ``u`` into its period."""
        mean = self.lam * self.period * u
        m = int(mean + 12.0 * math.sqrt(mean + 1.0) + 12)
        s = np.convolve(self.q, stats.poisson.pmf(np.arange(m), mean))  # Q + K_u
        return np.bincount(np.arange(len(s)) // self.capacity, weights=s)

    def mean_extra_slots(self, nodes: int = 48) -> float:
        """E[D - 1]: slots passed over because they were full, averaged over ``u``."""
        return integrate(lambda u: float(np.arange(len(p := self.extra_slots(u))) @ p), 0.0, 1.0, nodes)

    def p_extra_at_most(
        self, k: Callable[[float], int], a: float = 0.0, b: float = 1.0, nodes: int = 48
    ) -> float:
        """The integral over ``u`` in [a, b] of P(D - 1 <= k(u)) (``k`` constant on it)."""
        return integrate(
            lambda u: float(self.extra_slots(u)[: k(u) + 1].sum()) if k(u) >= 0 else 0.0, a, b, nodes
        )

    def mean_lead_h(self, lead_h: float) -> float:
        """E[lead time], hours from the request to its slot's start."""
        return lead_h + self.period * (0.5 + self.mean_extra_slots())


def backlog_distribution(lam: float, period: float, capacity: int) -> np.ndarray:
    """Stationary law of ``X_{n+1} = max(X_n - c, 0) + A``, ``A ~ Poisson(lam period)``.

    Raises
    ------
    ValueError
        If ``lam * period >= capacity`` (no steady state) or the capacity is below 1.

    With ``c = 1`` it is the M/D/1 queue seen at departures: P(X = 0) = 1 - rho and
    E[X] = rho + rho^2 / (2 (1 - rho)) (Pollaczek-Khinchine):

    >>> x = backlog_distribution(0.5, 1.0, 1)
    >>> round(float(x[0]), 9), round(float(np.arange(len(x)) @ x), 9)
    (0.5, 0.75)
    """
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    a = lam * period
    if a >= capacity:
        raise ValueError(f"{a:g} requests per slot on average against a capacity of {capacity}")
    n = max(64, int(4 * (capacity + a + 10 * math.sqrt(a + 1))))
    while True:
        pi = _solve(a, capacity, n)
        if pi[-max(1, n // 8) :].sum() < TAIL or n > 200_000:
            return pi
        n *= 2


def _solve(a: float, c: int, n: int) -> np.ndarray:
    """The chain on 0..n-1 (arrivals beyond the last state are put in it), by a direct
    solve of pi (I - P) = 0 with sum(pi) = 1."""
    pmf = stats.poisson.pmf(np.arange(n), a)
    cdf = np.cumsum(pmf)
    p = np.zeros((n, n))
    for b in range(n):
        q = max(b - c, 0)
        p[b, q:] = pmf[: n - q]
        p[b, -1] += 1.0 - cdf[n - q - 1]  # the truncated tail
    m = (np.eye(n) - p).T
    m[-1, :] = 1.0
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    pi = np.linalg.solve(m, rhs)
    return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()


def _carry(x: np.ndarray, c: int) -> np.ndarray:
    """The law of ``max(X - c, 0)`` from that of ``X``."""
    q = np.zeros_like(x)
    q[0] = x[: c + 1].sum()
    q[1 : len(x) - c] = x[c + 1 :]
    return q


def slotted_booking(lam: float, period: float, capacity: int) -> SlottedBooking:
    """The stationary booking queue of Poisson requests into slots of ``capacity``."""
    x = backlog_distribution(lam, period, capacity)
    return SlottedBooking(lam, period, capacity, _carry(x, capacity))


def integrate(f: Callable[[float], float], a: float, b: float, nodes: int = 64) -> float:
    """Gauss-Legendre quadrature of a smooth ``f`` on [a, b]."""
    if b <= a:
        return 0.0
    x, w = np.polynomial.legendre.leggauss(nodes)
    mid, half = (a + b) / 2.0, (b - a) / 2.0
    return half * float(sum(wi * f(mid + half * xi) for xi, wi in zip(x, w, strict=True)))
