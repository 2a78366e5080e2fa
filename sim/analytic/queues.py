"""Closed-form steady-state results for the queueing models the simulator must reproduce.

Every model here is a textbook anchor (validation cases in
``scenarios/validation/``): the simulator, run under the matching assumptions, must land inside
its confidence interval around these numbers.

All rates are per unit of time (whatever unit the caller uses consistently);
``mean_service`` is E[S] and ``var_service`` is Var[S] of one service time.

Functions validate their inputs and raise :class:`ValueError` naming the bad
argument, or :class:`UnstableQueueError` (a ``ValueError`` subclass) when the
utilisation is >= 1 and no steady state exists: they never return negative or
infinite waits.

This module deliberately depends on nothing but ``math``, ``numpy`` and
``scipy`` so that it can be used to check the simulator independently of it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from scipy.special import gammaincc, gammaln, logsumexp

__all__ = [
    "FiniteSourceResult",
    "PriorityResult",
    "QueueResult",
    "UnstableQueueError",
    "allen_cunneen",
    "erlang_b",
    "erlang_c",
    "finite_source",
    "finite_source_wait_tail",
    "mg1",
    "mg1_priority_nonpreemptive",
    "mm1",
    "mms",
    "mms_wait_tail",
    "priority_nonpreemptive",
    "priority_preemptive",
]


# --------------------------------------------------------------------------- errors


class UnstableQueueError(ValueError):
    """Raised when utilisation >= 1: no steady state exists.

    Parameters
    ----------
    rho : float
        The offending per-server utilisation.
    context : str, optional
        Model or argument description prefixed to the message.

    Attributes
    ----------
    rho : float
        The offending per-server utilisation.
    context : str
        The prefix given at construction (may be empty).
    """

    def __init__(self, rho: float, context: str = "") -> None:
        self.rho = float(rho)
        self.context = context
        message = f"no steady state: utilisation rho = {self.rho:.4f} >= 1 (the queue grows without bound)"
        super().__init__(f"{context}: {message}" if context else message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Default exception pickling replays ``self.args`` (the message) as ``rho``;
        # rebuild from the real fields so it survives multiprocessing round trips.
        return (type(self), (self.rho, self.context))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class QueueResult:
    """Steady-state measures of one queueing model.

    Attributes
    ----------
    model : str
        Kendall-style label, e.g. ``"M/M/1"``, ``"M/M/3"``, ``"M/G/1"``,
        ``"M/G/3 (Allen-Cunneen)"``, ``"M/M/2//150"``.
    arrival_rate : float
        Effective arrival rate lambda_eff (equal to the offered rate for
        infinite-source models).
    servers : int
        Number of parallel servers s.
    utilization : float
        Per-server busy fraction, ``arrival_rate * E[S] / servers``.
    p_wait : float
        Probability that an arriving customer has to wait (Erlang C for
        M/M/s; for a finite source, as seen by an arriving breakdown).
    wq : float
        Mean wait in queue.
    w : float
        Mean time in system, ``wq + E[S]``.
    lq : float
        Mean number waiting.
    l : float
        Mean number in system.
    """

    model: str
    arrival_rate: float
    servers: int
    utilization: float
    p_wait: float
    wq: float
    w: float
    lq: float
    l: float  # noqa: E741  (the standard queueing symbol L)


@dataclass(frozen=True)
class FiniteSourceResult(QueueResult):
    """Steady state of the M/M/s//N machine-repair model.

    Adds the state distributions to :class:`QueueResult`.

    Attributes
    ----------
    probabilities : tuple of float
        Time-stationary p_0..p_N of the number of machines down.
    arrival_probabilities : tuple of float
        Distribution of the number down seen by an arriving breakdown,
        proportional to ``(N - n) p_n`` (so the last entry is 0).
    """

    # Excluded from repr: N + 1 numbers would swamp any log line.
    probabilities: tuple[float, ...] = field(repr=False)
    arrival_probabilities: tuple[float, ...] = field(repr=False)


@dataclass(frozen=True)
class PriorityResult:
    """Steady state of a multi-class priority queue (class 0 = highest priority).

    Attributes
    ----------
    model : str
        Model label, e.g. ``"M/M/2 nonpreemptive priority"``.
    arrival_rates : tuple of float
        Arrival rate of each class.
    servers : int
        Number of parallel servers s.
    utilization : float
        Total per-server busy fraction.
    p_wait : tuple of float
        Per class, probability that an arrival cannot start service at once.
    wq : tuple of float
        Per class, mean wait in queue (for preemptive-resume: all time in
        system not spent in service, interruptions included).
    w : tuple of float
        Per class, mean time in system.
    lq : tuple of float
        Per class, mean number waiting (Little: ``arrival_rates[k] * wq[k]``).
    l : tuple of float
        Per class, mean number in system.
    wq_overall : float
        Arrival-rate-weighted mean of ``wq``.
    w_overall : float
        Arrival-rate-weighted mean of ``w``.
    """

    model: str
    arrival_rates: tuple[float, ...]
    servers: int
    utilization: float
    p_wait: tuple[float, ...]
    wq: tuple[float, ...]
    w: tuple[float, ...]
    lq: tuple[float, ...]
    l: tuple[float, ...]  # noqa: E741
    wq_overall: float
    w_overall: float


# --------------------------------------------------------------------------- validation


def _rate(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0), else raise ValueError naming it."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return x


def _count(name: str, value: int, *, minimum: int = 1) -> int:
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


def _class_rates(name: str, values: Sequence[float]) -> tuple[float, ...]:
    """Validate per-class arrival rates: each finite >= 0, at least one class, total > 0."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of rates, got {values!r}")
    rates = tuple(_rate(f"{name}[{k}]", v, allow_zero=True) for k, v in enumerate(values))
    if not rates:
        raise ValueError(f"{name} must contain at least one class")
    if sum(rates) <= 0:
        raise ValueError(f"{name} must have a positive total, got {values!r}")
    return rates


def _times(t: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Validate tail thresholds: t >= 0, not NaN (t = inf is allowed and gives 0)."""
    arr = np.asarray(t, dtype=np.float64)
    if np.isnan(arr).any() or (arr < 0).any():
        raise ValueError(f"t must be >= 0 (and not NaN), got {t!r}")
    return arr


def _check_stable(rho: float, context: str) -> None:
    if rho >= 1.0:
        raise UnstableQueueError(rho, context)


# --------------------------------------------------------------------------- Erlang


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability of an M/M/s/s loss system.

    Parameters
    ----------
    servers : int
        Number of servers s >= 0 (``s = 0`` gives 1: everything is blocked,
        which is what the spare-parts emergency-shipment formula needs for
        zero stock).
    offered_load : float
        Offered load a = lambda / mu >= 0, in Erlangs.

    Returns
    -------
    float
        B(s, a).

    Notes
    -----
    Uses the recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1: every term
    lies in [0, 1], so it neither overflows (as a^s / s! would) nor loses
    precision, for any s.

    Examples
    --------
    >>> round(erlang_b(10, 5.0), 6)
    0.018385
    """
    s = _count("servers", servers, minimum=0)
    a = _rate("offered_load", offered_load, allow_zero=True)
    b = 1.0
    for k in range(1, s + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C probability that an arrival waits in an M/M/s queue.

    Parameters
    ----------
    servers : int
        Number of servers s >= 1.
    offered_load : float
        Offered load a = lambda / mu >= 0, in Erlangs.

    Returns
    -------
    float
        C(s, a).

    Raises
    ------
    UnstableQueueError
        If a / s >= 1.

    Notes
    -----
    Computed from Erlang B, C = s B / (s - a (1 - B)), which inherits the
    stability of the B recursion.

    Examples
    --------
    >>> round(erlang_c(3, 2.25), 5)
    0.56776
    """
    s = _count("servers", servers)
    a = _rate("offered_load", offered_load, allow_zero=True)
    _check_stable(a / s, f"Erlang C with servers={s}, offered_load={a:g}")
    b = erlang_b(s, a)
    return s * b / (s - a * (1.0 - b))


# --------------------------------------------------------------------------- M/M/s


def mms(arrival_rate: float, service_rate: float, servers: int) -> QueueResult:
    """Steady state of the M/M/s queue (Erlang C).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda > 0.
    service_rate : float
        Exponential service rate mu > 0 of one server.
    servers : int
        Number of servers s >= 1.

    Returns
    -------
    QueueResult
        With ``p_wait = C(s, a)``, ``wq = C / (s mu - lambda)``.

    Raises
    ------
    UnstableQueueError
        If rho = lambda / (s mu) >= 1.

    Examples
    --------
    >>> r = mms(9.0, 4.0, 3)
    >>> round(r.wq, 5)
    0.18925
    """
    lam = _rate("arrival_rate", arrival_rate)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)
    a = lam / mu
    model = f"M/M/{s}"
    _check_stable(a / s, model)
    c = erlang_c(s, a)
    wq = c / (s * mu - lam)
    w = wq + 1.0 / mu
    return QueueResult(
        model=model,
        arrival_rate=lam,
        servers=s,
        utilization=a / s,
        p_wait=c,
        wq=wq,
        w=w,
        lq=lam * wq,
        l=lam * w,
    )


def mm1(arrival_rate: float, service_rate: float) -> QueueResult:
    """Steady state of the M/M/1 queue.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda > 0.
    service_rate : float
        Exponential service rate mu > 0.

    Returns
    -------
    QueueResult
        ``wq = lambda / (mu (mu - lambda))``, ``w = 1 / (mu - lambda)``,
        ``p_wait = rho``.

    Raises
    ------
    UnstableQueueError
        If rho = lambda / mu >= 1.

    Examples
    --------
    >>> mm1(3.0, 4.0).wq
    0.75
    """
    return mms(arrival_rate, service_rate, 1)


@overload
def mms_wait_tail(arrival_rate: float, service_rate: float, servers: int, t: float) -> float: ...
@overload
def mms_wait_tail(
    arrival_rate: float, service_rate: float, servers: int, t: npt.NDArray[Any] | Sequence[float]
) -> npt.NDArray[np.float64]: ...
def mms_wait_tail(
    arrival_rate: float, service_rate: float, servers: int, t: npt.ArrayLike
) -> float | npt.NDArray[np.float64]:
    """Tail of the FIFO waiting time in an M/M/s queue, P(Wq > t).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda > 0.
    service_rate : float
        Exponential service rate mu > 0 of one server.
    servers : int
        Number of servers s >= 1.
    t : float or array_like
        Threshold(s) >= 0.

    Returns
    -------
    float or numpy.ndarray
        ``C(s, a) * exp(-(s mu - lambda) t)``; a float for scalar ``t``,
        otherwise an array of the shape of ``t``.

    Raises
    ------
    UnstableQueueError
        If rho >= 1.

    Examples
    --------
    >>> round(mms_wait_tail(3.0, 4.0, 1, 1.0), 4)
    0.2759
    """
    times = _times(t)
    r = mms(arrival_rate, service_rate, servers)
    mu = _rate("service_rate", service_rate)
    tail = r.p_wait * np.exp(-(r.servers * mu - r.arrival_rate) * times)
    return float(tail) if tail.ndim == 0 else tail


# --------------------------------------------------------------------------- M/G/1, M/G/s


def mg1(arrival_rate: float, mean_service: float, var_service: float) -> QueueResult:
    """Steady state of the M/G/1 queue (Pollaczek-Khinchine).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda > 0.
    mean_service : float
        Mean service time E[S] > 0.
    var_service : float
        Service-time variance Var[S] >= 0 (0 gives M/D/1).

    Returns
    -------
    QueueResult
        ``wq = lambda (Var[S] + E[S]^2) / (2 (1 - rho))``, ``p_wait = rho``
        (the server is busy with probability rho and arrivals see time
        averages). Labelled ``"M/D/1"`` if the variance is 0, ``"M/M/1"`` if
        it equals E[S]^2, else ``"M/G/1"``.

    Raises
    ------
    UnstableQueueError
        If rho = lambda E[S] >= 1.

    Examples
    --------
    >>> mg1(3.0, 0.25, 0.0).wq  # M/D/1: half the M/M/1 wait
    0.375
    """
    lam = _rate("arrival_rate", arrival_rate)
    es = _rate("mean_service", mean_service)
    var = _rate("var_service", var_service, allow_zero=True)
    if var == 0:
        model = "M/D/1"
    elif math.isclose(var, es * es, rel_tol=1e-12):
        model = "M/M/1"
    else:
        model = "M/G/1"
    rho = lam * es
    _check_stable(rho, model)
    wq = lam * (var + es * es) / (2.0 * (1.0 - rho))
    w = wq + es
    return QueueResult(
        model=model,
        arrival_rate=lam,
        servers=1,
        utilization=rho,
        p_wait=rho,
        wq=wq,
        w=w,
        lq=lam * wq,
        l=lam * w,
    )


def allen_cunneen(arrival_rate: float, mean_service: float, var_service: float, servers: int) -> QueueResult:
    """Allen-Cunneen approximation for the M/G/s queue.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate lambda > 0.
    mean_service : float
        Mean service time E[S] > 0.
    var_service : float
        Service-time variance Var[S] >= 0.
    servers : int
        Number of servers s >= 1.

    Returns
    -------
    QueueResult
        ``wq = Wq(M/M/s) * (1 + cv^2) / 2`` with ``cv^2 = Var[S] / E[S]^2``;
        ``p_wait`` is the Erlang C value of the M/M/s with the same mean.
        Labelled ``"M/G/{s} (Allen-Cunneen)"`` because it is an approximation
        (exact only for s = 1, where it equals Pollaczek-Khinchine, and for
        exponential service).

    Raises
    ------
    UnstableQueueError
        If rho = lambda E[S] / s >= 1.

    Examples
    --------
    >>> r = allen_cunneen(9.0, 0.25, 0.0, 3)
    >>> r.model, round(r.wq, 6)
    ('M/G/3 (Allen-Cunneen)', 0.094626)
    """
    lam = _rate("arrival_rate", arrival_rate)
    es = _rate("mean_service", mean_service)
    var = _rate("var_service", var_service, allow_zero=True)
    s = _count("servers", servers)
    model = f"M/G/{s} (Allen-Cunneen)"
    _check_stable(lam * es / s, model)
    base = mms(lam, 1.0 / es, s)
    wq = base.wq * (1.0 + var / (es * es)) / 2.0
    w = wq + es
    return QueueResult(
        model=model,
        arrival_rate=lam,
        servers=s,
        utilization=base.utilization,
        p_wait=base.p_wait,
        wq=wq,
        w=w,
        lq=lam * wq,
        l=lam * w,
    )


# --------------------------------------------------------------------------- finite source


def finite_source(
    machines: int, failure_rate: float, service_rate: float, servers: int
) -> FiniteSourceResult:
    """Steady state of the M/M/s//N machine-repair (finite-source) model.

    Parameters
    ----------
    machines : int
        Fleet size N >= 1.
    failure_rate : float
        Breakdown rate lambda > 0 of one machine while it works.
    service_rate : float
        Repair rate mu > 0 of one repairer.
    servers : int
        Number of repairers s >= 1.

    Returns
    -------
    FiniteSourceResult
        ``arrival_rate`` is lambda_eff = lambda (N - L); ``wq = Lq /
        lambda_eff``; ``p_wait`` is the probability that an arriving
        breakdown finds all s repairers busy (weights (N - n) p_n, not the
        time average); ``utilization = lambda_eff / (s mu)``.

    Notes
    -----
    The population is finite, so a steady state always exists. The
    unnormalised probabilities are formed in log space,

        log p_n = log N!/(N-n)! - log min(n, s)! - (n - s)^+ log s + n log(lambda/mu),

    and normalised with log-sum-exp, so N = 15000, s = 100 neither
    overflows nor underflows to a wrong answer.

    Examples
    --------
    >>> r = finite_source(150, 1 / 50, 4.0, 1)
    >>> round(r.l, 3), round(r.wq, 4), round(r.arrival_rate, 3)
    (2.636, 0.6445, 2.947)
    """
    n_machines = _count("machines", machines)
    lam = _rate("failure_rate", failure_rate)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)

    n = np.arange(n_machines + 1, dtype=np.float64)
    busy = np.minimum(n, s)  # repairers at work in state n
    log_p = (
        gammaln(n_machines + 1.0)
        - gammaln(n_machines - n + 1.0)
        - gammaln(busy + 1.0)
        - (n - busy) * math.log(s)
        + n * math.log(lam / mu)
    )
    p = np.exp(log_p - logsumexp(log_p))
    p /= p.sum()  # remove the last rounding so the tuple sums to 1 to machine precision

    l_sys = float(n @ p)
    lq = float((n - busy) @ p)
    lam_eff = lam * (n_machines - l_sys)
    # An arriving breakdown comes from one of the N - n working machines.
    arrival = (n_machines - n) * p
    arrival /= arrival.sum()
    p_wait = float(arrival[s:].sum())
    return FiniteSourceResult(
        model=f"M/M/{s}//{n_machines}",
        arrival_rate=lam_eff,
        servers=s,
        utilization=lam_eff / (s * mu),
        p_wait=p_wait,
        wq=lq / lam_eff,
        w=l_sys / lam_eff,
        lq=lq,
        l=l_sys,
        probabilities=tuple(p.tolist()),
        arrival_probabilities=tuple(arrival.tolist()),
    )


@overload
def finite_source_wait_tail(result: FiniteSourceResult, service_rate: float, t: float) -> float: ...
@overload
def finite_source_wait_tail(
    result: FiniteSourceResult, service_rate: float, t: npt.NDArray[Any] | Sequence[float]
) -> npt.NDArray[np.float64]: ...
def finite_source_wait_tail(
    result: FiniteSourceResult, service_rate: float, t: npt.ArrayLike
) -> float | npt.NDArray[np.float64]:
    """Exact FIFO waiting-time tail P(Wq > t) of the M/M/s//N model.

    Parameters
    ----------
    result : FiniteSourceResult
        Output of :func:`finite_source`.
    service_rate : float
        The repair rate mu used to build ``result``.
    t : float or array_like
        Threshold(s) >= 0.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar ``t``, otherwise an array of the shape of ``t``.

    Raises
    ------
    ValueError
        If ``service_rate`` does not match ``result`` (its E[S] = w - wq).

    Notes
    -----
    A breakdown that finds n >= s machines down waits for n - s + 1 repair
    completions at rate s mu, an Erlang(n - s + 1, s mu) time, whose survival
    function is the regularised upper incomplete gamma Q(n - s + 1, s mu t).
    The tail is the mixture of these over ``result.arrival_probabilities``.
    """
    if not isinstance(result, FiniteSourceResult):
        raise ValueError(f"result must be a FiniteSourceResult, got {type(result).__name__}")
    mu = _rate("service_rate", service_rate)
    # w - wq is E[S] = 1/mu; a mismatch would silently give a wrong tail.
    if not math.isclose(result.w - result.wq, 1.0 / mu, rel_tol=1e-6, abs_tol=1e-12 * result.w):
        raise ValueError(
            f"service_rate={service_rate!r} does not match result (E[S] = {result.w - result.wq!r})"
        )
    times = _times(t)
    s = result.servers
    arrival = np.asarray(result.arrival_probabilities[s:], dtype=np.float64)
    stages = np.arange(1, arrival.size + 1, dtype=np.float64)  # n - s + 1 for n = s..N
    keep = arrival > 0  # skip states an arrival never sees (n = N, underflowed tails)
    arrival, stages = arrival[keep], stages[keep]
    x = s * mu * times.ravel()
    # One t at a time bounds memory at O(N) even for long t grids and N = 15000.
    tail = np.array([float(gammaincc(stages, xi) @ arrival) for xi in x], dtype=np.float64)
    tail = tail.reshape(times.shape)
    return float(tail) if tail.ndim == 0 else tail


# --------------------------------------------------------------------------- priorities


def _priority_result(
    model: str,
    rates: tuple[float, ...],
    servers: int,
    utilization: float,
    p_wait: Sequence[float],
    wq: Sequence[float],
    mean_service: float,
) -> PriorityResult:
    """Assemble a PriorityResult from per-class waits (Little's law for the counts)."""
    w = tuple(x + mean_service for x in wq)
    total = sum(rates)
    return PriorityResult(
        model=model,
        arrival_rates=rates,
        servers=servers,
        utilization=utilization,
        p_wait=tuple(p_wait),
        wq=tuple(wq),
        w=w,
        lq=tuple(r * x for r, x in zip(rates, wq, strict=True)),
        l=tuple(r * x for r, x in zip(rates, w, strict=True)),
        wq_overall=sum(r * x for r, x in zip(rates, wq, strict=True)) / total,
        w_overall=sum(r * x for r, x in zip(rates, w, strict=True)) / total,
    )


def _nonpreemptive_waits(w0: float, loads: Sequence[float]) -> list[float]:
    """Cobham's Wq_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)) for per-class loads."""
    waits = []
    sigma_prev = 0.0
    for load in loads:
        sigma = sigma_prev + load
        waits.append(w0 / ((1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return waits


def priority_nonpreemptive(
    arrival_rates: Sequence[float], service_rate: float, servers: int
) -> PriorityResult:
    """Nonpreemptive priority M/M/s with a common service rate.

    Parameters
    ----------
    arrival_rates : sequence of float
        Poisson rate of each class, index 0 = highest priority; each >= 0,
        total > 0.
    service_rate : float
        Exponential service rate mu > 0 of one server, for all classes.
    servers : int
        Number of servers s >= 1.

    Returns
    -------
    PriorityResult
        ``wq[k] = W0 / ((1 - sigma_{k-1}) (1 - sigma_k))`` with ``W0 = C(s, a)
        / (s mu)`` and ``sigma_k = sum_{i<=k} lambda_i / (s mu)``. Every class
        waits with probability C(s, a). The rate-weighted ``wq_overall``
        equals the FIFO M/M/s wait (conservation).

    Raises
    ------
    UnstableQueueError
        If the total load sum(lambda) / (s mu) >= 1.

    Examples
    --------
    >>> priority_nonpreemptive([1.0, 2.0], 4.0, 1).wq
    (0.25, 1.0)
    """
    rates = _class_rates("arrival_rates", arrival_rates)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)
    model = f"M/M/{s} nonpreemptive priority"
    capacity = s * mu
    rho = sum(rates) / capacity
    _check_stable(rho, model)
    c = erlang_c(s, sum(rates) / mu)
    waits = _nonpreemptive_waits(c / capacity, [r / capacity for r in rates])
    return _priority_result(model, rates, s, rho, [c] * len(rates), waits, 1.0 / mu)


def mg1_priority_nonpreemptive(
    arrival_rates: Sequence[float], mean_service: float, second_moment_service: float
) -> PriorityResult:
    """Nonpreemptive priority M/G/1 with a service distribution common to all classes (Cobham).

    Parameters
    ----------
    arrival_rates : sequence of float
        Poisson rate of each class, index 0 = highest priority; each >= 0,
        total > 0.
    mean_service : float
        Mean service time E[S] > 0.
    second_moment_service : float
        E[S^2] = Var[S] + E[S]^2, at least E[S]^2.

    Returns
    -------
    PriorityResult
        ``wq[k] = W0 / ((1 - sigma_{k-1}) (1 - sigma_k))`` with mean residual
        work ``W0 = sum(lambda) E[S^2] / 2`` and ``sigma_k = sum_{i<=k}
        lambda_i E[S]``. Every class waits with probability rho.

    Raises
    ------
    UnstableQueueError
        If rho = sum(lambda) E[S] >= 1.

    Examples
    --------
    >>> mg1_priority_nonpreemptive([1.0, 2.0], 0.25, 0.125).wq  # exponential service
    (0.25, 1.0)
    """
    rates = _class_rates("arrival_rates", arrival_rates)
    es = _rate("mean_service", mean_service)
    es2 = _rate("second_moment_service", second_moment_service)
    # E[S^2] < E[S]^2 would mean a negative variance (tolerate rounding).
    if es2 < es * es * (1.0 - 1e-12):
        raise ValueError(
            f"second_moment_service must be >= mean_service**2 = {es * es!r}, got {second_moment_service!r}"
        )
    model = "M/G/1 nonpreemptive priority"
    rho = sum(rates) * es
    _check_stable(rho, model)
    waits = _nonpreemptive_waits(sum(rates) * es2 / 2.0, [r * es for r in rates])
    return _priority_result(model, rates, 1, rho, [rho] * len(rates), waits, es)


def _mms_number_in_system(arrival_rate: float, mu: float, s: int) -> float:
    """Mean number in an M/M/s system, L(Lambda) = Lambda W(Lambda); 0 for an idle system."""
    if arrival_rate == 0:
        return 0.0
    return mms(arrival_rate, mu, s).l


def _mms_number_in_system_slope(arrival_rate: float, mu: float, s: int) -> float:
    """dL/dLambda for M/M/s: the time in system of a class with vanishing rate.

    Needed for a preemptive class with zero arrival rate, where the
    difference formula would be 0/0. Uses dB/da = B (s/a - 1 + B) for Erlang B.
    """
    a = arrival_rate / mu
    if a == 0:
        return 1.0 / mu  # nobody above it: served at once
    b = erlang_b(s, a)
    db = b * (s / a - 1.0 + b)
    d = s - a * (1.0 - b)
    c = s * b / d
    dc = s * (db * d - b * (a * db - (1.0 - b))) / (d * d)
    dlq = dc * a / (s - a) + c * s / (s - a) ** 2  # Lq = C a / (s - a)
    return (1.0 + dlq) / mu


def priority_preemptive(arrival_rates: Sequence[float], service_rate: float, servers: int) -> PriorityResult:
    """Preemptive-resume priority M/M/s with a common service rate.

    Parameters
    ----------
    arrival_rates : sequence of float
        Poisson rate of each class, index 0 = highest priority; each >= 0,
        total > 0.
    service_rate : float
        Exponential service rate mu > 0 of one server, for all classes.
    servers : int
        Number of servers s >= 1.

    Returns
    -------
    PriorityResult
        Classes 0..k together see an M/M/s with rate Lambda_k = sum_{i<=k}
        lambda_i (lower classes are invisible to them), so with L(Lambda) the
        M/M/s mean number in system, ``lambda_k W_k = L(Lambda_k) -
        L(Lambda_{k-1})``. ``wq[k] = W_k - 1/mu`` counts all time not in
        service, preemptions included; ``p_wait[k] = C(s, Lambda_k / mu)`` is
        the probability of not starting at once. With a common exponential
        service the rate-weighted ``w_overall`` equals the FIFO M/M/s W.

    Raises
    ------
    UnstableQueueError
        If the total load sum(lambda) / (s mu) >= 1 (the lowest class would
        never clear).

    Examples
    --------
    >>> [round(x, 6) for x in priority_preemptive([1.0, 2.0], 4.0, 1).w]
    [0.333333, 1.333333]
    """
    rates = _class_rates("arrival_rates", arrival_rates)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)
    model = f"M/M/{s} preemptive-resume priority"
    rho = sum(rates) / (s * mu)
    _check_stable(rho, model)

    waits: list[float] = []
    p_wait: list[float] = []
    cum_prev = 0.0
    l_prev = 0.0
    for rate in rates:
        cum = cum_prev + rate
        l_cum = _mms_number_in_system(cum, mu, s)
        w_k = (l_cum - l_prev) / rate if rate > 0 else _mms_number_in_system_slope(cum_prev, mu, s)
        # Rounding in the difference can leave W_k a hair under 1/mu; it never is.
        waits.append(max(w_k - 1.0 / mu, 0.0))
        p_wait.append(erlang_c(s, cum / mu))
        cum_prev, l_prev = cum, l_cum
    return _priority_result(model, rates, s, rho, p_wait, waits, 1.0 / mu)
