"""Exact steady states by solving a continuous-time Markov chain numerically.

Where every time is exponential and the state space is small, the steady
state needs no closed form: enumerate the states, build the generator Q
(sparse), and solve pi Q = 0 with sum(pi) = 1 (scipy.sparse, a direct LU
solve).  The answer is exact up to rounding, so it is labelled
:data:`MODEL` and may be checked against every closed form it overlaps.

Built here: the finite fleet (machine-interference) model with s technicians
and nonpreemptive priority levels, whose FIFO special case (one level) is
M/M/s//N.  N machines each fail at rate lambda while working; a breakdown
belongs to priority level k with probability ``shares[k]`` (independently of
everything else); a free technician takes the oldest call of the highest
level waiting; repairs are exponential with rate mu whatever the level.  As
service is exponential and common to all levels, the state needs only the
number waiting at each level (and how many technicians are busy when no
call waits).

Chains with more than :data:`MAX_STATES` states are refused with
:class:`StateSpaceTooLarge` (saying how many states they would have).
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import MatrixRankWarning, spsolve

from .queues import _count, _rate

#: the label of every result of this module
MODEL = "Markov chain (numerical, exact)"
#: the largest chain solved (a sparse direct solve stays within seconds and memory)
MAX_STATES = 100_000


class StateSpaceTooLarge(ValueError):
    """The chain would have more than :data:`MAX_STATES` states."""

    def __init__(self, states: int) -> None:
        self.states = states
        super().__init__(f"the Markov chain would have {states:,} states (more than {MAX_STATES:,})")


@dataclass(frozen=True)
class FinitePriorityResult:
    """Steady state of the finite-fleet priority chain.

    Attributes
    ----------
    model : str
        :data:`MODEL`.
    states : int
        Size of the chain.
    arrival_rate : float
        lambda_eff = lambda E[N - n], breakdowns per unit time.
    utilization : float
        Busy technicians over s.
    p_wait : float
        Probability that a breakdown finds every technician busy (any level).
    l, lq : float
        Mean number down, and waiting.
    wq, w : float
        Mean wait and time down over all breakdowns (Little's law).
    level_lq, level_wq : tuple of float
        Per priority level (index 0 first served): mean number waiting and mean wait.
    probabilities : tuple of float
        Time-average p_0..p_N of the number down.
    """

    model: str
    states: int
    arrival_rate: float
    utilization: float
    p_wait: float
    l: float  # noqa: E741
    lq: float
    wq: float
    w: float
    level_lq: tuple[float, ...]
    level_wq: tuple[float, ...]
    probabilities: tuple[float, ...]


def finite_priority_states(machines: int, servers: int, levels: int) -> int:
    """States of the largest chain :func:`finite_priority` solves (one per level pair)."""
    return _size(machines, servers, min(levels, 2))


def _size(machines: int, servers: int, levels: int) -> int:
    waiting = max(machines - servers, -1)
    busy_idle = min(servers, machines)  # states with a free technician: 0..s-1 down
    if waiting < 0:
        return machines + 1
    return busy_idle + math.comb(waiting + levels, levels)


def _vectors(length: int, most: int) -> Iterator[tuple[int, ...]]:
    """Every vector of ``length`` non-negative integers summing to at most ``most``."""
    if length == 0:
        yield ()
        return
    for first in range(most + 1):
        for rest in _vectors(length - 1, most - first):
            yield (first, *rest)


def stationary(generator: sp.spmatrix) -> npt.NDArray[np.float64]:
    """pi with pi Q = 0 and sum(pi) = 1, for an irreducible generator Q (rows sum to 0).

    One balance equation is redundant: fix pi_0 = 1, solve the others (a sparse LU of Q^T
    without state 0, which keeps the lattice's sparsity), then normalise.  If state 0 is
    transient (pi_0 = 0, so it cannot be pinned) that system is singular: the balance
    equations are then solved with one of them replaced by sum(pi) = 1, which holds for
    any generator with a single closed class.
    """
    qt = sp.csc_matrix(generator).T.tocsc()
    size = qt.shape[0]
    if size == 1:
        return np.array([1.0])
    rest = qt[1:, 1:]
    rhs = -np.asarray(qt[1:, 0].todense()).ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MatrixRankWarning)
        try:
            x = np.asarray(spsolve(rest.tocsc(), rhs), dtype=np.float64)
            pi = np.concatenate(([1.0], x))
        except MatrixRankWarning:
            pi = np.full(size, np.nan)
    if not np.isfinite(pi).all():
        pi = _normalised_solve(qt)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def _normalised_solve(qt: sp.csc_matrix) -> npt.NDArray[np.float64]:
    """pi from Q^T pi = 0 with the first equation replaced by sum(pi) = 1."""
    a = sp.lil_matrix(qt)
    a[0, :] = np.ones(qt.shape[0])
    rhs = np.zeros(qt.shape[0])
    rhs[0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", MatrixRankWarning)
        try:
            pi = np.asarray(spsolve(a.tocsc(), rhs), dtype=np.float64)
        except MatrixRankWarning:
            pi = np.full(qt.shape[0], np.nan)
    if not np.isfinite(pi).all():
        raise ArithmeticError(
            "the Markov chain's balance equations are singular (more than one closed class?)"
        )
    return pi


def finite_priority(
    machines: int,
    failure_rate: float,
    service_rate: float,
    servers: int,
    shares: Sequence[float],
) -> FinitePriorityResult:
    """Exact steady state of N machines, s technicians, nonpreemptive priority levels.

    Parameters
    ----------
    machines : int
        Fleet size N >= 1.
    failure_rate : float
        Breakdown rate lambda > 0 of a working machine.
    service_rate : float
        Repair rate mu > 0 of one technician (all levels alike).
    servers : int
        Technicians s >= 1.
    shares : sequence of float
        Share of breakdowns of each priority level, highest first (> 0, summing to 1).
        One level is FIFO: the M/M/s//N model.

    Returns
    -------
    FinitePriorityResult

    Raises
    ------
    StateSpaceTooLarge
        If a chain would have more than :data:`MAX_STATES` states.

    Notes
    -----
    With a repair law common to all levels, the levels 1..k together form the high level
    of a two-level system (which of them is served first changes nothing for their total),
    so the number waiting at levels <= k, H_k, comes from a chain on (H_k, calls waiting
    below): K levels need K - 1 two-level chains of C(N - s + 2, 2) + s states each, and
    ``level_lq[k] = E[H_k] - E[H_{k-1}]``.

    Examples
    --------
    >>> r = finite_priority(150, 1 / 400, 0.5, 1, [1.0])  # FIFO: M/M/1//150
    >>> round(r.wq, 4)
    5.1562
    """
    n_machines = _count("machines", machines)
    lam = _rate("failure_rate", failure_rate)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)
    level_shares = tuple(_rate(f"shares[{k}]", x) for k, x in enumerate(shares))
    if not level_shares or not math.isclose(sum(level_shares), 1.0, rel_tol=1e-9):
        raise ValueError(f"shares must be positive and sum to 1, got {list(shares)!r}")
    size = finite_priority_states(n_machines, s, len(level_shares))
    if size > MAX_STATES:
        raise StateSpaceTooLarge(size)
    return _finite_priority(n_machines, lam, mu, s, level_shares)


@functools.lru_cache(maxsize=64)  # (the analytic layer asks for the same scenario often)
def _finite_priority(
    machines: int, lam: float, mu: float, servers: int, shares: tuple[float, ...]
) -> FinitePriorityResult:
    if len(shares) == 1:
        return _chain(machines, lam, mu, servers, [1.0])
    cumulative = list(itertools.accumulate(shares))[:-1]
    pairs = [_chain(machines, lam, mu, servers, [c, 1.0 - c]) for c in cumulative]
    high = [r.level_lq[0] for r in pairs] + [pairs[-1].lq]  # E[H_1], ..., E[H_K]
    level_lq = tuple(h - (high[k - 1] if k else 0.0) for k, h in enumerate(high))
    first = pairs[0]
    lam_eff = first.arrival_rate
    return FinitePriorityResult(
        model=MODEL,
        states=max(r.states for r in pairs),
        arrival_rate=lam_eff,
        utilization=first.utilization,
        p_wait=first.p_wait,
        l=first.l,
        lq=first.lq,
        wq=first.wq,
        w=first.w,
        level_lq=level_lq,
        level_wq=tuple(lq / (lam_eff * x) for lq, x in zip(level_lq, shares, strict=True)),
        probabilities=first.probabilities,
    )


def _chain(
    machines: int,
    failure_rate: float,
    service_rate: float,
    servers: int,
    shares: Sequence[float],
) -> FinitePriorityResult:
    """The chain with the given levels (one: M/M/s//N; two: a priority pair).

    Validated arguments; ``shares`` sum to 1.
    """
    n_machines, lam, mu, s = machines, failure_rate, service_rate, servers
    level_shares = list(shares)
    levels = len(level_shares)
    size = _size(n_machines, s, levels)

    # states: ("idle", n) for n < s machines down (all in repair); then every queue vector
    # q with sum(q) <= N - s while all s technicians are busy
    index: dict[tuple[int, ...], int] = {}
    down: list[int] = []
    queues: list[tuple[int, ...]] = []
    for n in range(min(s, n_machines + 1)):
        index[(-1, n)] = len(down)
        down.append(n)
        queues.append((0,) * levels)
    waiting = n_machines - s
    if waiting >= 0:
        for q in _vectors(levels, waiting):
            index[q] = len(down)
            down.append(s + sum(q))
            queues.append(q)
    rows: list[int] = []
    cols: list[int] = []
    rates: list[float] = []

    def move(a: int, b: int, rate: float) -> None:
        rows.append(a)
        cols.append(b)
        rates.append(rate)

    zero = (0,) * levels
    for key, i in index.items():
        n = down[i]
        failing = lam * (n_machines - n)
        if key[0] == -1:  # a technician is free: every breakdown goes straight to repair
            if failing > 0:
                move(i, index[(-1, n + 1)] if n + 1 < s else index[zero], failing)
            if n > 0:
                move(i, index[(-1, n - 1)], n * mu)
            continue
        q = key
        if failing > 0:
            for k, share in enumerate(level_shares):
                move(i, index[(*q[:k], q[k] + 1, *q[k + 1 :])], failing * share)
        first = next((k for k, x in enumerate(q) if x), None)
        if first is None:  # nothing waits: a repair ends and a technician is free
            move(i, index[(-1, s - 1)], s * mu)
        else:  # the freed technician takes the first call of the highest level waiting
            move(i, index[(*q[:first], q[first] - 1, *q[first + 1 :])], s * mu)
    off = sp.csr_matrix((rates, (rows, cols)), shape=(size, size))
    generator = off - sp.diags(np.asarray(off.sum(axis=1)).ravel())
    pi = stationary(generator)

    n_down = np.asarray(down, dtype=np.float64)
    q_arr = np.asarray(queues, dtype=np.float64)
    working = n_machines - n_down
    lam_eff = float(lam * (pi @ working))
    all_busy = n_down >= s
    p_wait = float((pi * working)[all_busy].sum() / (pi @ working))
    level_lq = tuple(float(x) for x in pi @ q_arr)
    level_wq = tuple(lq / (lam_eff * share) for lq, share in zip(level_lq, level_shares, strict=True))
    l_sys = float(pi @ n_down)
    lq = float(sum(level_lq))
    p = np.bincount(np.asarray(down), weights=pi, minlength=n_machines + 1)
    return FinitePriorityResult(
        model=MODEL,
        states=size,
        arrival_rate=lam_eff,
        utilization=float(pi @ np.minimum(n_down, s)) / s,
        p_wait=p_wait,
        l=l_sys,
        lq=lq,
        wq=lq / lam_eff,
        w=l_sys / lam_eff,
        level_lq=level_lq,
        level_wq=level_wq,
        probabilities=tuple(p.tolist()),
    )


def finite_erlang_repairs(
    machines: int, failure_rate: float, mean_repair: float, phases: int
) -> FinitePriorityResult:
    """N machines, one technician, Erlang-k repairs (k exponential phases), FIFO.

    The chain on (machines down, phase of the repair under way) has 1 + N k states. It
    overlaps Takacs' M/G/1//N (:mod:`sim.analytic.takacs`), which it checks independently.

    Parameters
    ----------
    machines : int
        Fleet size N >= 1.
    failure_rate : float
        Breakdown rate lambda > 0 of a working machine.
    mean_repair : float
        Mean repair time (each phase has mean ``mean_repair / phases``).
    phases : int
        k >= 1 (1 is M/M/1//N).

    Returns
    -------
    FinitePriorityResult
        With one level.
    """
    n_machines = _count("machines", machines)
    lam = _rate("failure_rate", failure_rate)
    es = _rate("mean_repair", mean_repair)
    k = _count("phases", phases)
    size = 1 + n_machines * k
    if size > MAX_STATES:
        raise StateSpaceTooLarge(size)
    rate = k / es

    def state(n: int, phase: int) -> int:  # phase 0..k-1 of the repair under way
        return 0 if n == 0 else 1 + (n - 1) * k + phase

    rows, cols, rates = [], [], []
    for n in range(n_machines + 1):
        for phase in range(k if n else 1):
            i = state(n, phase)
            if n < n_machines:  # a breakdown (a repair starts in phase 0 if none was under way)
                rows.append(i)
                cols.append(state(n + 1, phase if n else 0))
                rates.append(lam * (n_machines - n))
            if n:
                rows.append(i)
                # the phase ends: the next phase, or the repair ends (the next starts at 0)
                cols.append(state(n, phase + 1) if phase + 1 < k else state(n - 1, 0))
                rates.append(rate)
    off = sp.csr_matrix((rates, (rows, cols)), shape=(size, size))
    pi = stationary(off - sp.diags(np.asarray(off.sum(axis=1)).ravel()))
    down = np.array([0] + [n for n in range(1, n_machines + 1) for _ in range(k)])
    working = n_machines - down
    lam_eff = float(lam * (pi @ working))
    l_sys = float(pi @ down)
    lq = float(pi @ np.maximum(down - 1, 0))
    p = np.bincount(down, weights=pi, minlength=n_machines + 1)
    return FinitePriorityResult(
        model=MODEL,
        states=size,
        arrival_rate=lam_eff,
        utilization=1.0 - float(p[0]),
        p_wait=float((pi * working)[down >= 1].sum() / (pi @ working)),
        l=l_sys,
        lq=lq,
        wq=lq / lam_eff,
        w=l_sys / lam_eff,
        level_lq=(lq,),
        level_wq=(lq / lam_eff,),
        probabilities=tuple(p.tolist()),
    )


__all__ = [
    "MAX_STATES",
    "MODEL",
    "FinitePriorityResult",
    "StateSpaceTooLarge",
    "finite_erlang_repairs",
    "finite_priority",
    "finite_priority_states",
    "stationary",
]
