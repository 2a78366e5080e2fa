"""Larson's hypercube queueing model: exact steady state for a few units.

The anchor for ``preference`` dispatch (validation case
``scenarios/validation/hypercube_preference.toml``): the region is split into *atoms* (areas), each
with its own Poisson call rate and an ordered preference list of units; a
call goes to the first idle unit on its atom's list. The state is the
busy/idle vector of the N units, a vertex of the N-dimensional unit
hypercube, hence the name (Larson 1974; Larson & Odoni, *Urban Operations
Research*, ch. 5).

Assumptions (the simulator must match them for the comparison to hold)
-----------------------------------------------------------------------
* Calls from atom j arrive as a Poisson process of rate lambda_j,
  independently of each other.
* A call is served by the first *idle* unit on its atom's preference list;
  every list names every unit exactly once, so a call is turned away (loss
  variant) or queued (infinite-line variant) only when all N units are busy.
* Service times (travel + on-scene work + any return, as one block) are
  exponential with the same rate mu for every unit and every atom,
  independent of everything else.
* Infinite-line variant: while all units are busy, calls join a single FIFO
  queue; a unit that becomes free takes the head of the queue. Loss variant:
  such calls are lost.
* Units are at their home location whenever idle (needed only for the
  optional mean travel time).

Under these assumptions the total number of busy units is an M/M/N
(infinite line) or M/M/N/N (loss) birth-death process *whatever the
preferences*, so P(all busy) is Erlang C, resp. Erlang B; the preferences
only decide *which* units are busy.

Like :mod:`sim.analytic.queues`, this module depends only on ``math`` and
``numpy`` so that it checks the simulator independently.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from .queues import UnstableQueueError, _class_rates, _rate

__all__ = [
    "HYPERCUBE_MAX_UNITS",
    "HypercubeResult",
    "hypercube",
]

#: Largest number of units the dense exact solver accepts (2^10 = 1024 states).
HYPERCUBE_MAX_UNITS = 10

QueueKind = Literal["infinite", "loss"]


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class HypercubeResult:
    """Steady state of Larson's hypercube model.

    Attributes
    ----------
    queue : {"infinite", "loss"}
        Which variant was solved.
    n_units : int
        Number of units N.
    arrival_rates : tuple of float
        Call rate lambda_j of each atom.
    service_rate : float
        Common exponential service rate mu.
    offered_load : float
        a = sum(lambda_j) / mu, in Erlangs.
    preference : tuple of tuple of int
        The (validated) preference list of each atom.
    state_probabilities : tuple of float
        Time-stationary probability of each of the 2^N busy/idle states,
        indexed by bit mask: entry ``b`` is the state in which unit ``i`` is
        busy iff bit ``i`` of ``b`` is set. For the infinite line the last
        entry (all busy) aggregates the whole queue tail (all busy with
        0, 1, 2, ... calls waiting). Use :meth:`probability` to look a state
        up by its set of busy units.
    workloads : tuple of float
        Per unit, the fraction of time it is busy (rho_i). They sum to the
        mean number of busy units: ``offered_load`` for the infinite line,
        ``offered_load * (1 - p_all_busy)`` for the loss variant.
    p_all_busy : float
        Probability that all units are busy, which by PASTA is the
        probability that a call has to wait (infinite line: Erlang C) or is
        lost (loss: Erlang B).
    dispatch_fractions : tuple of tuple of float
        ``dispatch_fractions[j][i]``: the fraction of atom j's calls served
        by unit i. Each row sums to 1 (infinite line) or to
        ``1 - p_all_busy`` (loss: the rest are lost). Queued calls are
        served by whichever unit frees first, each unit with probability 1/N.
    lq : float
        Mean number of calls waiting (0 for the loss variant).
    wq : float
        Mean wait in queue over all calls (0 for the loss variant).
    mean_travel : float or None
        With ``travel_times``: mean travel time over all *served* calls.
    mean_travel_by_atom : tuple of float or None
        With ``travel_times``: the same per atom (NaN for an atom without
        calls).
    """

    queue: str
    n_units: int
    arrival_rates: tuple[float, ...]
    service_rate: float
    offered_load: float
    preference: tuple[tuple[int, ...], ...] = field(repr=False)
    state_probabilities: tuple[float, ...] = field(repr=False)
    workloads: tuple[float, ...]
    p_all_busy: float
    dispatch_fractions: tuple[tuple[float, ...], ...] = field(repr=False)
    lq: float
    wq: float
    mean_travel: float | None = None
    mean_travel_by_atom: tuple[float, ...] | None = field(default=None, repr=False)

    def probability(self, busy: Iterable[int]) -> float:
        """Probability of the state in which exactly the units in ``busy`` are busy.

        Parameters
        ----------
        busy : iterable of int
            Indices of the busy units (the others are idle).

        Returns
        -------
        float
            The matching entry of :attr:`state_probabilities`.
        """
        mask = 0
        for unit in busy:
            i = operator.index(unit)
            if not 0 <= i < self.n_units:
                raise ValueError(f"unit index must be in 0..{self.n_units - 1}, got {unit!r}")
            mask |= 1 << i
        return self.state_probabilities[mask]


# --------------------------------------------------------------------------- validation


def _preferences(preference: Sequence[Sequence[int]], n_atoms: int) -> tuple[tuple[int, ...], ...]:
    """Validate the preference lists: one per atom, each a permutation of 0..N-1."""
    if isinstance(preference, str | bytes) or not isinstance(preference, Sequence):
        raise ValueError(f"preference must be a list of unit-index lists, got {preference!r}")
    if len(preference) != n_atoms:
        raise ValueError(f"preference must have one list per atom ({n_atoms}), got {len(preference)}")
    lists: list[tuple[int, ...]] = []
    for j, row in enumerate(preference):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence | np.ndarray):
            raise ValueError(f"preference[{j}] must be a list of unit indices, got {row!r}")
        units: list[int] = []
        for unit in row:
            if isinstance(unit, bool):
                raise ValueError(f"preference[{j}] has a non-integer unit index {unit!r}")
            try:
                units.append(operator.index(unit))
            except TypeError:
                raise ValueError(f"preference[{j}] has a non-integer unit index {unit!r}") from None
        lists.append(tuple(units))
    n = len(lists[0])
    if not 1 <= n <= HYPERCUBE_MAX_UNITS:
        raise ValueError(
            f"preference lists must name between 1 and {HYPERCUBE_MAX_UNITS} units "
            f"(exact solver over 2^N states), got {n}"
        )
    for j, listed in enumerate(lists):
        if sorted(listed) != list(range(n)):
            raise ValueError(
                f"preference[{j}] must list every unit 0..{n - 1} exactly once, got {list(listed)}"
            )
    return tuple(lists)


# --------------------------------------------------------------------------- solver


def _first_idle(lists: Sequence[tuple[int, ...]], n: int) -> npt.NDArray[np.int64]:
    """``table[j, b]``: the unit atom j's call goes to in state b (-1 if all busy)."""
    table = np.full((len(lists), 1 << n), -1, dtype=np.int64)
    for j, units in enumerate(lists):
        for b in range((1 << n) - 1):
            for i in units:
                if not b >> i & 1:
                    table[j, b] = i
                    break
    return table


def hypercube(
    atoms_rates: Sequence[float],
    preference: Sequence[Sequence[int]],
    service_rate: float,
    queue: QueueKind = "infinite",
    *,
    travel_times: npt.ArrayLike | None = None,
) -> HypercubeResult:
    """Exact steady state of Larson's hypercube model (N <= 10 units).

    Parameters
    ----------
    atoms_rates : sequence of float
        Poisson call rate lambda_j >= 0 of each atom (area); total > 0.
    preference : sequence of sequence of int
        For each atom, the ordered unit indices to try; each list must be a
        permutation of ``0..N-1`` (this defines N, 1 <= N <= 10).
    service_rate : float
        Common exponential service rate mu > 0 (1 / mean service time,
        travel included), for every unit and atom.
    queue : {"infinite", "loss"}, default "infinite"
        ``"infinite"``: calls that find all units busy wait in a FIFO queue;
        ``"loss"``: they are lost.
    travel_times : array_like, optional
        Shape ``(n_atoms, N)``: ``travel_times[j][i]`` is the travel time from
        unit i's home to atom j (each >= 0). Enables ``mean_travel``.

    Returns
    -------
    HypercubeResult

    Raises
    ------
    ValueError
        On a bad rate, an unknown ``queue``, a preference list that is not a
        permutation of all units (e.g. names a missing unit), more than
        :data:`HYPERCUBE_MAX_UNITS` units, or a badly shaped ``travel_times``.
    UnstableQueueError
        Infinite line with a / N >= 1.

    Notes
    -----
    States are the 2^N busy/idle vectors b. Transitions: in a state with an
    idle unit, atom j's calls (rate lambda_j) make the first idle unit of
    its list busy; each busy unit frees at rate mu.

    For the infinite line the all-busy vertex stands for the whole tail
    {all busy, k waiting}, k >= 0, whose probabilities are geometric,
    P(full, k) = P(full, 0) rho^k with rho = a / N; only P(full, 0) = (1 - rho)
    P(full) feeds the lower vertices, so the aggregated vertex leaves to
    b - e_i at rate mu (1 - rho). This chain of 2^N states is solved exactly
    (dense linear solve of pi Q = 0, sum pi = 1), and
    lq = P(full) rho / (1 - rho), wq = lq / lambda (the M/M/N values).

    Dispatch fractions, by PASTA: f_ji = sum of pi(b) over states whose first
    idle unit on atom j's list is i, plus P(full) / N for queued calls
    (infinite line).

    Examples
    --------
    >>> r = hypercube([1.0, 1.0], [[0, 1], [1, 0]], 2.0)
    >>> [round(w, 6) for w in r.workloads]
    [0.5, 0.5]
    >>> round(r.p_all_busy, 6)  # Erlang C(2, 1)
    0.333333
    """
    lam = np.asarray(_class_rates("atoms_rates", atoms_rates), dtype=np.float64)
    lists = _preferences(preference, len(lam))
    mu = _rate("service_rate", service_rate)
    if queue not in ("infinite", "loss"):
        raise ValueError(f"queue must be 'infinite' or 'loss', got {queue!r}")
    n = len(lists[0])
    n_states = 1 << n
    full = n_states - 1
    total = float(lam.sum())
    a = total / mu
    rho = a / n
    if queue == "infinite" and rho >= 1.0:
        raise UnstableQueueError(rho, f"hypercube with {n} units, offered_load={a:g}")

    travel = None
    if travel_times is not None:
        travel = np.asarray(travel_times, dtype=np.float64)
        if travel.shape != (len(lam), n):
            raise ValueError(
                f"travel_times must have shape (n_atoms, n_units) = ({len(lam)}, {n}), got {travel.shape}"
            )
        if not np.isfinite(travel).all() or (travel < 0).any():
            raise ValueError("travel_times must be finite and >= 0")

    # Generator Q (row = from, column = to).
    target = _first_idle(lists, n)
    q = np.zeros((n_states, n_states))
    exit_rate = mu * (1.0 - rho) if queue == "infinite" else mu
    for b in range(n_states):
        if b != full:
            for j in range(len(lam)):
                if lam[j] > 0.0:
                    q[b, b | 1 << target[j, b]] += lam[j]
        down = exit_rate if b == full else mu
        for i in range(n):
            if b >> i & 1:
                q[b, b & ~(1 << i)] += down
    q[np.diag_indices(n_states)] = -q.sum(axis=1)

    # pi Q = 0 with sum(pi) = 1: replace one (redundant) balance equation.
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(n_states)
    rhs[-1] = 1.0
    pi = np.linalg.solve(lhs, rhs)
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()

    masks = np.arange(n_states)
    busy = (masks[:, None] >> np.arange(n)) & 1  # (states, units)
    workloads = pi @ busy
    p_full = float(pi[full])

    dispatch = np.zeros((len(lam), n))
    for j in range(len(lam)):
        np.add.at(dispatch[j], target[j, :full], pi[:full])
    if queue == "infinite":
        dispatch += p_full / n
        lq = p_full * rho / (1.0 - rho)
        wq = lq / total
    else:
        lq = wq = 0.0

    mean_travel: float | None = None
    by_atom: tuple[float, ...] | None = None
    if travel is not None:
        served = dispatch.sum(axis=1)
        per_atom = (dispatch * travel).sum(axis=1)
        by_atom = tuple(float(per_atom[j] / served[j]) if lam[j] > 0.0 else math.nan for j in range(len(lam)))
        mean_travel = float((lam * per_atom).sum() / (lam * served).sum())

    return HypercubeResult(
        queue=queue,
        n_units=n,
        arrival_rates=tuple(float(x) for x in lam),
        service_rate=mu,
        offered_load=a,
        preference=lists,
        state_probabilities=tuple(float(x) for x in pi),
        workloads=tuple(float(x) for x in workloads),
        p_all_busy=p_full,
        dispatch_fractions=tuple(tuple(float(x) for x in row) for row in dispatch),
        lq=float(lq),
        wq=float(wq),
        mean_travel=mean_travel,
        mean_travel_by_atom=by_atom,
    )
