"""Repeat repairs: a repair that does not remove the cause, and the machine fails again soon.

Model: after every repair (of a first failure or of a repeat), independently with
probability p the cause is not removed and the machine's next up time is R (mean r, a
*repeat* failure of the same fault follows); otherwise it is a fresh life L (mean
1 / lambda). Up times are therefore i.i.d. across cycles: L with probability 1 - p, R with
probability p.

Per machine (renewal-reward, exact for any laws of L, R and the downtime):

* share of calls that are repeats: p (each call's preceding repair failed independently);
* mean up time E[U] = (1 - p) / lambda + p r, so the effective failure rate while
  working is lambda_e = 1 / E[U];
* mean time between calls E[U] + E[D], with E[D] the long-run mean time down per call.

A finite fleet (N machines, s technicians, exponential repairs of rate mu, FIFO):

* :func:`repeat_fleet_effective`, the M/M/s//N model with the one rate lambda_e. It is
  **exact** for the number down and everything derived from it (L, Lq, W, Wq, the
  breakdown rate, the chance a breakdown waits), whatever the laws of L and R, when
  repairs are exponential: the working machines form an infinite-server station of a
  closed product-form network, whose steady state depends on the up-time law only
  through its mean (F. Baskett, K. M. Chandy, R. R. Muntz, F. G. Palacios, JACM 22, 1975;
  for this model D. Bunday and R. Scraton, EJOR 4, 1980). Given d machines down, the
  N - d working ones are independently fresh or pending in proportion to the mean time
  spent in each, so first and repeat calls both arrive at rates proportional to N - d:
  under FIFO they see the same states and wait the same on average. With
  non-exponential repairs the model is an approximation.
* :func:`repeat_fleet`, the Markov chain on (machines down, working machines with a
  repeat pending), exact for exponential L, R and repairs, with the waits of first and
  repeat calls computed separately from the states each type meets. It is the
  independent check of the statement above (which it reproduces to rounding) and the
  base for rules that treat repeats differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from .ctmc import MAX_STATES, StateSpaceTooLarge, stationary
from .queues import FiniteSourceResult, _count, _rate, finite_source

__all__ = [
    "RepeatFleetResult",
    "RepeatRenewal",
    "RepeatWindow",
    "repeat_fleet",
    "repeat_fleet_effective",
    "repeat_fleet_states",
    "repeat_renewal",
    "repeat_window",
]

#: label of :func:`repeat_fleet`
CHAIN_MODEL = "M/M/{s}//{n} with repeat repairs (Markov chain)"


def _probability(name: str, value: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}") from None
    if isinstance(value, bool) or not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return x


@dataclass(frozen=True)
class RepeatRenewal:
    """Long-run call pattern of one machine with repeat repairs (renewal-reward).

    Attributes
    ----------
    model : str
        ``"renewal-reward"``.
    exact : bool
        True: exact for any laws of life, repeat delay and downtime with the given means.
    repeat_share : float
        Share of calls that are repeats, p.
    mean_up : float
        E[U] = (1 - p) E[L] + p E[R].
    effective_failure_rate : float
        1 / E[U], calls per unit of working time.
    mean_time_between_calls : float
        E[U] + E[D].
    call_rate : float
        Calls per unit of calendar time, 1 / (E[U] + E[D]).
    repeat_rate : float
        Repeat calls per unit of calendar time, p times ``call_rate``.
    availability : float
        Share of time working, E[U] / (E[U] + E[D]).
    """

    model: str
    exact: bool
    repeat_share: float
    mean_up: float
    effective_failure_rate: float
    mean_time_between_calls: float
    call_rate: float
    repeat_rate: float
    availability: float


def repeat_renewal(
    repeat_probability: float, mean_life: float, mean_repeat: float, mean_down: float = 0.0
) -> RepeatRenewal:
    """One machine's call rate, repeat share and availability with repeat repairs (exact).

    Parameters
    ----------
    repeat_probability : float
        p in [0, 1]: chance that a repair leaves the cause (each repair independently).
    mean_life : float
        E[L] > 0, mean up time after a repair that removed the cause.
    mean_repeat : float
        E[R] > 0, mean up time before the repeat failure.
    mean_down : float, optional
        E[D] >= 0, the long-run mean time down per call (wait, travel, repair); 0 counts
        working time only.

    Returns
    -------
    RepeatRenewal

    Notes
    -----
    Up times are i.i.d. (a Bernoulli(p) choice between L and R at each repair), so by the
    renewal-reward theorem the long-run averages need only the means; a queue makes
    downtimes dependent, but the ratio of long-run totals still gives 1 / (E[U] + E[D])
    with E[D] the long-run mean downtime.

    Examples
    --------
    Lives of 50 days, 10 % of repairs followed by a repeat after 3 days on average:

    >>> r = repeat_renewal(0.1, 50.0, 3.0)
    >>> round(r.mean_up, 6), round(r.effective_failure_rate, 6)
    (45.3, 0.022075)
    """
    p = _probability("repeat_probability", repeat_probability)
    life = _rate("mean_life", mean_life)
    rep = _rate("mean_repeat", mean_repeat)
    down = _rate("mean_down", mean_down, allow_zero=True)
    up = (1.0 - p) * life + p * rep
    cycle = up + down
    return RepeatRenewal(
        model="renewal-reward",
        exact=True,
        repeat_share=p,
        mean_up=up,
        effective_failure_rate=1.0 / up,
        mean_time_between_calls=cycle,
        call_rate=1.0 / cycle,
        repeat_rate=p / cycle,
        availability=up / cycle,
    )


@dataclass(frozen=True)
class RepeatWindow:
    """How many repairs are followed by another call within a window.

    Attributes
    ----------
    model : str
        ``"exponential lives and repeat delays"``.
    exact : bool
        True under the stated laws.
    window : float
        The window w, measured from the end of a repair.
    repeat_within : float
        Share of repairs followed by a repeat call within w: p P(R <= w).
    any_within : float
        Share of repairs followed by any call within w: p P(R <= w) + (1 - p) P(L <= w).
    """

    model: str
    exact: bool
    window: float
    repeat_within: float
    any_within: float


def repeat_window(
    repeat_probability: float, mean_life: float, mean_repeat: float, window: float
) -> RepeatWindow:
    """Share of repairs followed by a (repeat) call within a window, exponential L and R (exact).

    Parameters
    ----------
    repeat_probability : float
        p in [0, 1].
    mean_life : float
        E[L] > 0 (exponential).
    mean_repeat : float
        E[R] > 0 (exponential).
    window : float
        w >= 0, counted from the end of the repair (the machine's return to work).

    Returns
    -------
    RepeatWindow

    Examples
    --------
    >>> r = repeat_window(0.1, 50.0, 3.0, 30.0)
    >>> round(r.repeat_within, 6), round(r.any_within, 6)
    (0.099995, 0.506065)
    """
    p = _probability("repeat_probability", repeat_probability)
    life = _rate("mean_life", mean_life)
    rep = _rate("mean_repeat", mean_repeat)
    w = _rate("window", window, allow_zero=True)
    repeat = p * -math.expm1(-w / rep)
    return RepeatWindow(
        model="exponential lives and repeat delays",
        exact=True,
        window=w,
        repeat_within=repeat,
        any_within=repeat + (1.0 - p) * -math.expm1(-w / life),
    )


def repeat_fleet_effective(
    machines: int,
    failure_rate: float,
    service_rate: float,
    servers: int,
    repeat_probability: float,
    mean_repeat: float,
) -> FiniteSourceResult:
    """The finite fleet with repeat repairs as one M/M/s//N with the effective failure rate.

    Parameters
    ----------
    machines : int
        Fleet size N >= 1.
    failure_rate : float
        lambda > 0, the failure rate of a machine on a fresh life (mean life 1 / lambda).
    service_rate : float
        Exponential repair rate mu > 0 of one technician.
    servers : int
        Technicians s >= 1.
    repeat_probability : float
        p in [0, 1].
    mean_repeat : float
        E[R] > 0.

    Returns
    -------
    FiniteSourceResult
        :func:`sim.analytic.queues.finite_source` with lambda_e = 1 / ((1 - p) / lambda + p E[R]).

    Notes
    -----
    Exact for all its fields, whatever the laws of the life and the repeat delay, when
    repairs are exponential (insensitivity: module docstring); under FIFO first and
    repeat calls have the same mean wait, this ``wq``. With non-exponential repairs it
    is an approximation.

    Examples
    --------
    >>> r = repeat_fleet_effective(150, 1 / 50, 4.0, 1, 0.0, 3.0)  # no repeats: VALIDATION.md's case
    >>> round(r.wq, 4)
    0.6445
    """
    lam = _rate("failure_rate", failure_rate)
    renewal = repeat_renewal(repeat_probability, 1.0 / lam, mean_repeat)
    return finite_source(machines, renewal.effective_failure_rate, service_rate, servers)


@dataclass(frozen=True)
class RepeatFleetResult:
    """Steady state of a finite fleet with repeat repairs (exponential everything, FIFO).

    Attributes
    ----------
    model : str
        ``"M/M/s//N with repeat repairs (Markov chain)"``.
    exact : bool
        True for exponential lives, repeat delays and repairs, FIFO.
    states : int
        Size of the chain.
    arrival_rate : float
        All calls per unit time.
    repeat_share : float
        Repeat calls over all calls (p in steady state: a check on the chain).
    utilization : float
        Busy technicians over s.
    p_wait : float
        Probability that a call finds every technician busy.
    l, lq : float
        Mean number of machines down, and waiting.
    wq, w : float
        Mean wait and time down over all calls.
    wq_first, wq_repeat : float
        Mean wait of first and of repeat calls.
    p_wait_first, p_wait_repeat : float
        Probability that a first (repeat) call waits.
    probabilities : tuple of float
        Time-average p_0..p_N of the number down.
    """

    model: str
    exact: bool
    states: int
    arrival_rate: float
    repeat_share: float
    utilization: float
    p_wait: float
    l: float  # noqa: E741
    lq: float
    wq: float
    w: float
    wq_first: float
    wq_repeat: float
    p_wait_first: float
    p_wait_repeat: float
    probabilities: tuple[float, ...]


def repeat_fleet_states(machines: int) -> int:
    """States of the chain of :func:`repeat_fleet`: (N + 1)(N + 2) / 2."""
    n = _count("machines", machines)
    return (n + 1) * (n + 2) // 2


def repeat_fleet(
    machines: int,
    failure_rate: float,
    service_rate: float,
    servers: int,
    repeat_probability: float,
    repeat_rate: float,
) -> RepeatFleetResult:
    """Exact steady state of N machines with repeat repairs, s technicians, exponential times.

    Parameters
    ----------
    machines : int
        Fleet size N >= 1.
    failure_rate : float
        lambda > 0: a machine on a fresh life fails at this rate.
    service_rate : float
        Repair rate mu > 0 of one technician.
    servers : int
        Technicians s >= 1.
    repeat_probability : float
        p in [0, 1]: chance that a repair leaves the cause.
    repeat_rate : float
        theta > 0: a machine with the cause left fails again at this rate (mean 1 / theta).

    Returns
    -------
    RepeatFleetResult
        Labelled exact (exponential lives, repeat delays and repairs; FIFO for the
        per-type waits).

    Raises
    ------
    StateSpaceTooLarge
        If (N + 1)(N + 2) / 2 > :data:`sim.analytic.ctmc.MAX_STATES`.

    Notes
    -----
    State (d machines down, k working machines with a repeat pending), d + k <= N. A fresh
    machine fails at rate lambda (N - d - k): d + 1; a pending one at rate theta k:
    (d + 1, k - 1); a repair ends at rate mu min(d, s) and leaves the machine pending with
    probability p: (d - 1, k + 1), otherwise (d - 1, k). A call arriving with d down waits
    for (d - s + 1)^+ repair completions at rate s mu (FIFO), so the wait of each type is
    the mean of (d - s + 1)^+ / (s mu) over the states weighted by that type's rate.
    The two come out equal, and everything else equal to :func:`repeat_fleet_effective`
    (module docstring).

    Examples
    --------
    >>> r = repeat_fleet(150, 1 / 50, 4.0, 1, 0.0, 1 / 3)  # p = 0: M/M/1//150
    >>> round(r.wq, 4), round(r.arrival_rate, 3)
    (0.6445, 2.947)
    """
    n = _count("machines", machines)
    lam = _rate("failure_rate", failure_rate)
    mu = _rate("service_rate", service_rate)
    s = _count("servers", servers)
    p = _probability("repeat_probability", repeat_probability)
    theta = _rate("repeat_rate", repeat_rate)
    size = repeat_fleet_states(n)
    if size > MAX_STATES:
        raise StateSpaceTooLarge(size)

    d_list = [d for d in range(n + 1) for _ in range(n - d + 1)]
    k_list = [k for d in range(n + 1) for k in range(n - d + 1)]
    d_arr = np.asarray(d_list, dtype=np.int64)
    k_arr = np.asarray(k_list, dtype=np.int64)
    # index of (d, k): the states of d' < d come first, n - d' + 1 of them each
    start = np.concatenate(([0], np.cumsum(np.arange(n + 1, 0, -1))))

    def at(d: npt.NDArray[np.int64], k: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        # out-of-range (d, k) only occur where the move's mask is False; clip keeps them indexable
        return np.asarray(start[np.clip(d, 0, n)] + k, dtype=np.int64)

    fresh = lam * (n - d_arr - k_arr)
    pending = theta * k_arr
    repair = mu * np.minimum(d_arr, s)
    moves = (
        (at(d_arr + 1, k_arr), fresh),  # a fresh machine fails
        (at(d_arr + 1, k_arr - 1), pending),  # a repeat failure
        (at(d_arr - 1, k_arr + 1), repair * p),  # a repair leaves the cause
        (at(d_arr - 1, k_arr), repair * (1.0 - p)),  # a repair removes it
    )
    here = np.arange(size)
    rows = np.concatenate([here[rate > 0] for _, rate in moves])
    cols = np.concatenate([target[rate > 0] for target, rate in moves])
    vals = np.concatenate([rate[rate > 0] for _, rate in moves])
    off = sp.csr_matrix((vals, (rows, cols)), shape=(size, size))
    generator = (off - sp.diags(np.asarray(off.sum(axis=1)).ravel())).tocsr()
    # with p = 1 no machine is ever fresh again: only the states without fresh machines
    # recur (the others would make the balance equations singular); with p < 1 the chain
    # is irreducible on the states it reaches and transient states get probability 0
    recurrent = (n - d_arr - k_arr == 0) if p == 1.0 else np.ones(size, dtype=bool)
    pi = np.zeros(size)
    pi[recurrent] = stationary(generator[recurrent][:, recurrent])

    first_rate = float(pi @ fresh)
    repeat_rate_total = float(pi @ pending)
    calls = first_rate + repeat_rate_total
    stages = np.maximum(d_arr - s + 1, 0).astype(np.float64)  # repair completions to wait for
    waits = stages / (s * mu)
    blocked = (d_arr >= s).astype(np.float64)

    def per_call(weights: npt.NDArray[np.floating[Any]], values: npt.NDArray[np.float64]) -> float:
        total = float(pi @ weights)
        return float((pi * weights) @ values) / total if total > 0 else float("nan")

    l_sys = float(pi @ d_arr)
    lq = float(pi @ np.maximum(d_arr - s, 0))
    return RepeatFleetResult(
        model=CHAIN_MODEL.format(s=s, n=n),
        exact=True,
        states=size,
        arrival_rate=calls,
        repeat_share=repeat_rate_total / calls,
        utilization=float(pi @ np.minimum(d_arr, s)) / s,
        p_wait=per_call(fresh + pending, blocked),
        l=l_sys,
        lq=lq,
        wq=lq / calls,
        w=l_sys / calls,
        wq_first=per_call(fresh, waits),
        wq_repeat=per_call(pending, waits),
        p_wait_first=per_call(fresh, blocked),
        p_wait_repeat=per_call(pending, blocked),
        probabilities=tuple(np.bincount(d_arr, weights=pi, minlength=n + 1).tolist()),
    )
