"""Internal work taken whenever a technician is idle: queues with multiple vacations.

A technician with no call waiting starts an internal task (a *vacation*) of random
length V; at its end he takes the oldest waiting call, or, if none waits, starts another
task. A task in progress is always finished first (calls never interrupt it). Calls are
Poisson with rate lambda, served FIFO, with i.i.d. service times S (travel included)
independent of the tasks.

One technician, any S and V (exact)
    Fuhrmann and Cooper's decomposition: the wait is the M/G/1 wait plus an independent
    residual task, so

        Wq = lambda E[S^2] / (2 (1 - rho)) + E[V^2] / (2 E[V]).

    S. W. Fuhrmann and R. B. Cooper, "Stochastic decompositions in the M/G/1 queue with
    generalized vacations", *Operations Research* 33(5), 1117-1129 (1985); also
    H. Takagi, *Queueing Analysis*, vol. 1 (North-Holland, 1991), sec. 2.2.

Several technicians, exponential S and V (exact, numerical)
    Each technician takes his own tasks (asynchronous multiple vacations); with
    exponential times the state (calls present, technicians serving) is a Markov chain,
    solved numerically (:func:`mmc_multiple_vacations`); the model is treated by
    matrix-geometric methods in N. Tian and Z. G. Zhang, *Vacation Queueing Models:
    Theory and Applications* (Springer, 2006). For several technicians with
    non-exponential S or V no formula is given here: no approximation for it is cited.

In both, a technician is always either serving or on a task, so the share of time on
internal work is exactly 1 - rho and tasks are completed at (1 - rho) / E[V] per
technician (renewal-reward), and every call waits (p_wait = 1): even a call that finds
all technicians on internal work waits for a task to end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .ctmc import MAX_STATES, StateSpaceTooLarge, stationary
from .queues import _check_stable, _class_rates, _count, _nonpreemptive_waits, _rate, mms

__all__ = [
    "VacationResult",
    "mg1_multiple_vacations",
    "mg1_priority_multiple_vacations",
    "mmc_multiple_vacations",
]

#: the largest probability mass the truncated chain of :func:`mmc_multiple_vacations` may leave out
TAIL_MASS = 1e-12


@dataclass(frozen=True)
class VacationResult:
    """Steady state of a queue whose technicians do internal work when idle.

    Attributes
    ----------
    model : str
        E.g. ``"M/G/1 multiple vacations (Fuhrmann-Cooper)"``.
    exact : bool
        True when the value is exact under the model's assumptions (module docstring).
    arrival_rate : float
        Call rate lambda.
    servers : int
        Technicians s.
    utilization : float
        Share of each technician's time spent on calls, rho = lambda E[S] / s.
    internal_share : float
        Share of each technician's time on internal tasks, 1 - rho (0 without tasks).
    internal_rate : float
        Internal tasks completed per unit time per technician, (1 - rho) / E[V].
    p_wait : float
        Probability that a call waits (1 with tasks; rho for one technician without).
    wq : float
        Mean wait before service starts.
    w : float
        Mean time in system, ``wq + E[S]``.
    lq : float
        Mean number waiting (Little: ``lambda wq``).
    l : float
        Mean number in system.
    wq_vacation : float
        The part of ``wq`` due to internal work: E[V^2] / (2 E[V]) for one technician,
        ``wq`` minus the M/M/s wait for several.
    """

    model: str
    exact: bool
    arrival_rate: float
    servers: int
    utilization: float
    internal_share: float
    internal_rate: float
    p_wait: float
    wq: float
    w: float
    lq: float
    l: float  # noqa: E741  (the standard queueing symbol L)
    wq_vacation: float


def mg1_multiple_vacations(
    arrival_rate: float,
    mean_service: float,
    var_service: float,
    mean_vacation: float,
    var_vacation: float,
) -> VacationResult:
    """M/G/1 with multiple vacations: one technician doing internal tasks when idle (exact).

    Parameters
    ----------
    arrival_rate : float
        Poisson call rate lambda > 0.
    mean_service : float
        E[S] > 0 of one call (travel included).
    var_service : float
        Var[S] >= 0.
    mean_vacation : float
        E[V] >= 0 of one internal task; 0 (with ``var_vacation = 0``) means no internal
        work, and the result is the Pollaczek-Khinchine M/G/1.
    var_vacation : float
        Var[V] >= 0.

    Returns
    -------
    VacationResult
        ``wq = lambda E[S^2] / (2 (1 - rho)) + E[V^2] / (2 E[V])``, labelled exact.

    Raises
    ------
    UnstableQueueError
        If rho = lambda E[S] >= 1.
    ValueError
        If an argument is out of range, or ``var_vacation > 0`` with ``mean_vacation = 0``.

    Notes
    -----
    Exact for Poisson calls, FIFO service, i.i.d. S and i.i.d. V independent of each other
    and of the arrivals (Fuhrmann and Cooper 1985). The decomposition holds for the whole
    distribution (the wait is an M/G/1 wait plus an independent residual task of density
    P(V > x) / E[V]), so the mean is exact; with deterministic tasks of length v the
    extra wait is v / 2, with exponential tasks E[V].

    Examples
    --------
    Calls at 3 a day, exponential quarter-day repairs, internal tasks of exactly 0.1 day:

    >>> r = mg1_multiple_vacations(3.0, 0.25, 0.0625, 0.1, 0.0)
    >>> round(r.wq, 4), round(r.wq_vacation, 4), r.internal_share, round(r.internal_rate, 4)
    (0.8, 0.05, 0.25, 2.5)
    """
    lam = _rate("arrival_rate", arrival_rate)
    es = _rate("mean_service", mean_service)
    var_s = _rate("var_service", var_service, allow_zero=True)
    ev = _rate("mean_vacation", mean_vacation, allow_zero=True)
    var_v = _rate("var_vacation", var_vacation, allow_zero=True)
    if ev == 0 and var_v > 0:
        raise ValueError(f"var_vacation must be 0 when mean_vacation is 0, got {var_vacation!r}")
    rho = lam * es
    model = "M/G/1 multiple vacations (Fuhrmann-Cooper)" if ev > 0 else "M/G/1"
    _check_stable(rho, model)
    wq_pk = lam * (var_s + es * es) / (2.0 * (1.0 - rho))
    residual = (var_v + ev * ev) / (2.0 * ev) if ev > 0 else 0.0
    wq = wq_pk + residual
    return VacationResult(
        model=model,
        exact=True,
        arrival_rate=lam,
        servers=1,
        utilization=rho,
        internal_share=1.0 - rho if ev > 0 else 0.0,
        internal_rate=(1.0 - rho) / ev if ev > 0 else 0.0,
        p_wait=1.0 if ev > 0 else rho,
        wq=wq,
        w=wq + es,
        lq=lam * wq,
        l=lam * (wq + es),
        wq_vacation=residual,
    )


def mg1_priority_multiple_vacations(
    arrival_rates: tuple[float, ...] | list[float],
    mean_service: float,
    var_service: float,
    mean_vacation: float,
    var_vacation: float,
) -> tuple[float, ...]:
    """Nonpreemptive priority M/G/1 with multiple vacations: each class's mean wait (exact).

    Parameters
    ----------
    arrival_rates : sequence of float
        Poisson rate of each priority class, index 0 served first; each >= 0, total > 0.
    mean_service, var_service : float
        E[S] > 0 and Var[S] >= 0 of one call, common to all classes.
    mean_vacation, var_vacation : float
        E[V] > 0 and Var[V] >= 0 of one internal task.

    Returns
    -------
    tuple of float
        ``Wq_k = R / ((1 - sigma_{k-1}) (1 - sigma_k))`` with ``sigma_k`` the load of the
        classes served before or with k, and ``R = lambda E[S^2] / 2 + (1 - rho) E[V^2] /
        (2 E[V])``, the mean residual of what a call finds in progress.

    Raises
    ------
    UnstableQueueError
        If rho = sum(lambda) E[S] >= 1.

    Notes
    -----
    Cobham's mean-value argument with the residual of the activity in progress: by PASTA
    a call finds the technician serving (probability rho, mean residual E[S^2]/(2E[S]))
    or on a task (1 - rho, mean residual E[V^2]/(2E[V])); it then waits for that residual,
    the work of the calls of its own or a higher class present, and the higher classes'
    calls that come meanwhile (a task never starts while calls wait). One class gives
    :func:`mg1_multiple_vacations`; no tasks, Cobham's formula.

    Examples
    --------
    >>> w = mg1_priority_multiple_vacations([0.1, 0.15], 2.0, 4.0, 1.0, 0.0)
    >>> [round(x, 4) for x in w]  # R = 0.25 x 8 / 2 + 0.5 x 0.5 = 1.25
    [1.5625, 3.125]
    >>> fifo = mg1_multiple_vacations(0.25, 2.0, 4.0, 1.0, 0.0).wq
    >>> round((0.1 * w[0] + 0.15 * w[1]) / 0.25, 6) == round(fifo, 6)  # conservation
    True
    """
    rates = _class_rates("arrival_rates", arrival_rates)
    es = _rate("mean_service", mean_service)
    var_s = _rate("var_service", var_service, allow_zero=True)
    ev = _rate("mean_vacation", mean_vacation)
    var_v = _rate("var_vacation", var_vacation, allow_zero=True)
    lam = sum(rates)
    rho = lam * es
    _check_stable(rho, "M/G/1 nonpreemptive priority, multiple vacations")
    residual = lam * (var_s + es * es) / 2.0 + (1.0 - rho) * (var_v + ev * ev) / (2.0 * ev)
    return tuple(_nonpreemptive_waits(residual, [r * es for r in rates]))


def _decay(lam: float, mu: float, servers: int, theta: float) -> float:
    """Largest geometric decay rate of the chain's level (calls present) distribution.

    With calls waiting a technician never returns to tasks, so at high levels the number
    serving, b, only rises; each b has its own decay rate, the smaller root of
    b mu r^2 - (lambda + b mu + (s - b) theta) r + lambda = 0 (lambda / (s mu) for b = s).
    """
    rates = [lam / (servers * mu)]
    for b in range(servers):
        total = lam + b * mu + (servers - b) * theta
        if b == 0:
            rates.append(lam / total)
        else:
            rates.append((total - math.sqrt(total * total - 4.0 * b * mu * lam)) / (2.0 * b * mu))
    return max(rates)


def mmc_multiple_vacations(
    arrival_rate: float, service_rate: float, servers: int, vacation_rate: float
) -> VacationResult:
    """M/M/s with asynchronous multiple vacations: s technicians doing internal tasks when idle.

    Parameters
    ----------
    arrival_rate : float
        Poisson call rate lambda > 0.
    service_rate : float
        Exponential service rate mu > 0 of one technician.
    servers : int
        Technicians s >= 1.
    vacation_rate : float
        theta > 0: each internal task is exponential with mean 1 / theta.

    Returns
    -------
    VacationResult
        Labelled exact (numerical): the chain is truncated where the omitted probability
        is below :data:`TAIL_MASS`.

    Raises
    ------
    UnstableQueueError
        If rho = lambda / (s mu) >= 1.
    StateSpaceTooLarge
        If the truncated chain would exceed :data:`sim.analytic.ctmc.MAX_STATES` states.

    Notes
    -----
    State (n calls present, b technicians serving), b <= min(n, s); the other s - b are on
    tasks. A call arrives: n + 1. A service ends (rate b mu): the technician takes the next
    waiting call (n - 1) or, with none waiting, starts a task (n - 1, b - 1). A task ends
    (rate (s - b) theta): with a call waiting the technician takes it (b + 1), otherwise he
    starts another task (no change). Then Lq = E[n - b] and Wq = Lq / lambda. For s = 1 this
    is :func:`mg1_multiple_vacations` with exponential S and V.

    Examples
    --------
    >>> r = mmc_multiple_vacations(3.0, 4.0, 1, 10.0)  # one technician: 0.75 + 1/10
    >>> round(r.wq, 9)
    0.85
    """
    lam = _rate("arrival_rate", arrival_rate)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)
    theta = _rate("vacation_rate", vacation_rate)
    model = f"M/M/{s} multiple vacations (Markov chain)"
    rho = lam / (s * mu)
    _check_stable(rho, model)
    decay = _decay(lam, mu, s, theta)
    # levels beyond top carry about decay^top of the mass; the check below confirms it
    top = s + math.ceil(math.log(TAIL_MASS / 10.0) / math.log(decay)) + 10
    size = sum(min(n, s) + 1 for n in range(top + 1))
    if size > MAX_STATES:
        raise StateSpaceTooLarge(size)

    index: dict[tuple[int, int], int] = {}
    for n in range(top + 1):
        for b in range(min(n, s) + 1):
            index[(n, b)] = len(index)
    rows: list[int] = []
    cols: list[int] = []
    rates: list[float] = []
    for (n, b), i in index.items():
        targets = []
        if n < top:  # (arrivals beyond the truncation are refused)
            targets.append(((n + 1, b), lam))
        waiting = n - b
        if b > 0:
            targets.append(((n - 1, b) if waiting > 0 else (n - 1, b - 1), b * mu))
        if waiting > 0 and b < s:
            targets.append(((n, b + 1), (s - b) * theta))
        for key, rate in targets:
            rows.append(i)
            cols.append(index[key])
            rates.append(rate)
    off = sp.csr_matrix((rates, (rows, cols)), shape=(size, size))
    pi = stationary(off - sp.diags(np.asarray(off.sum(axis=1)).ravel()))
    keys = np.array(list(index), dtype=np.float64)
    n_arr, b_arr = keys[:, 0], keys[:, 1]
    tail = float(pi[n_arr >= top - 10].sum())
    if tail > TAIL_MASS:
        raise ArithmeticError(f"truncation at {top} calls leaves {tail:.2e} of the probability out")
    lq = float(pi @ (n_arr - b_arr))
    wq = lq / lam
    busy = float(pi @ b_arr) / s  # = rho up to the truncation (a check, not an input)
    wq_mms = mms(lam, mu, s).wq
    return VacationResult(
        model=model,
        exact=True,
        arrival_rate=lam,
        servers=s,
        utilization=busy,
        internal_share=1.0 - busy,
        internal_rate=(1.0 - busy) * theta,
        p_wait=1.0,
        wq=wq,
        w=wq + 1.0 / mu,
        lq=lq,
        l=lq + s * busy,
        wq_vacation=wq - wq_mms,
    )
