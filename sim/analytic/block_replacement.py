"""Preventive maintenance on a fixed calendar (block replacement) with Weibull lives.

A machine is renewed by a planned visit once every period, whatever happened, and by a
repair at each breakdown in between.  Counted in working (ageing) time, the breakdowns
between two visits are a renewal process of the lives, so their mean number in tau
working hours is the renewal function M(tau), the solution of

    M(t) = F(t) + integral_0^t M(t - x) dF(x)

(R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley 1965, ch. 4).
:func:`renewal_function` solves it on a grid (trapezoidal rule, error O(h^2); exact t / mean
for exponential lives).  :func:`calendar_plan` is the plan on a period of T clock hours:
tau = T - d_p - B d_f working hours per period (a visit's and B breakdowns' mean
downtimes), B = M(tau) solved as a fixed point, and the period's visit skipped when the
machine is down as its window opens (with the probability of a breakdown in the last
d_f working hours before it, so that the gap to the next visit is then two or more
periods).  Those are approximations
(fixed downtimes, the visit at a fixed phase, no waiting for a technician): the function
says *approximate*, and the estimate labels it so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["CalendarPlan", "calendar_plan", "renewal_function"]

MODEL = "block replacement (renewal function)"

#: grid points of the renewal equation
_GRID = 2000
#: the longest gap between two visits counted, in periods (skips beyond are in the last)
_SKIPS = 3


def _weibull_cdf(shape: float, mean_life: float, t: np.ndarray) -> np.ndarray:
    scale = mean_life / math.gamma(1.0 + 1.0 / shape)
    return -np.expm1(-((t / scale) ** shape))


def renewal_function(shape: float, mean_life: float, t: float, points: int = _GRID) -> float:
    """M(t), the mean number of renewals in (0, t] of Weibull lives (trapezoidal rule).

    Examples
    --------
    Exponential lives: M(t) = t / mean.

    >>> round(renewal_function(1.0, 100.0, 250.0), 6)
    2.5
    """
    if not (t > 0):
        return 0.0
    return float(_renewal_grid(shape, mean_life, t, points)[1][-1])


def _renewal_grid(
    shape: float, mean_life: float, t: float, points: int = _GRID
) -> tuple[np.ndarray, np.ndarray]:
    """(grid on [0, t], M on it): M_k = F_k + sum_j dF_j (M_{k-j} + M_{k-j+1}) / 2, the
    j = 1 term holding M_k itself."""
    grid = np.linspace(0.0, t, points + 1)
    f = _weibull_cdf(shape, mean_life, grid)
    df = np.diff(f)  # dF over each step
    m = np.zeros(points + 1)
    for k in range(1, points + 1):
        # (M_{k-j} + M_{k-j+1}) for j = 1..k, with M_k (unknown, j = 1) left out
        pairs = m[k - 1 :: -1][:k] + np.concatenate(([0.0], m[k - 1 : 0 : -1][: k - 1]))
        m[k] = (f[k] + float(df[:k] @ pairs) / 2.0) / (1.0 - df[0] / 2.0)
    return grid, m


@dataclass(frozen=True)
class CalendarPlan:
    """One machine under a calendar plan (per clock hour).

    Attributes
    ----------
    breakdown_rate, planned_rate : float
        Breakdowns and planned visits per clock hour.
    working_h : float
        Working (ageing) hours per period, tau.
    down_share : float
        Share of time the machine is broken down (B d_f / T).
    """

    model: str
    exact: bool
    breakdown_rate: float
    planned_rate: float
    working_h: float
    down_share: float


def calendar_plan(
    shape: float, mean_life: float, period_h: float, planned_downtime: float, failure_downtime: float
) -> CalendarPlan:
    """Breakdowns and visits of a machine visited every ``period_h`` clock hours (approximate).

    Between two visits k periods apart (k - 1 skipped) the machine works tau_k = k T - d_p
    - B_k d_f hours and breaks down B_k = M(tau_k) times; a period is skipped with the
    probability q that the machine is down as its window opens, taken as the mean number
    of breakdowns in the last d_f working hours before it, M(tau_1) - M(tau_1 - d_f), so
    that k is geometric (truncated at :data:`_SKIPS`): visits per hour
    (1 - q) / T, breakdowns per hour sum_k q^(k-1) (1 - q) B_k / (T / (1 - q)).

    Examples
    --------
    Exponential lives, no downtimes: breakdowns at 1 / mean, one visit a period.

    >>> p = calendar_plan(1.0, 100.0, 50.0, 0.0, 0.0)
    >>> round(p.breakdown_rate, 6), round(p.planned_rate, 6)
    (0.01, 0.02)
    """
    t, d_p, d_f = float(period_h), float(planned_downtime), float(failure_downtime)
    if not (t > 0 and mean_life > 0 and shape > 0 and d_p >= 0 and d_f >= 0):
        raise ValueError("calendar_plan needs a positive period, life and shape, downtimes >= 0")
    grid, m = _renewal_grid(shape, mean_life, _SKIPS * t)  # (tau_k <= K T: one grid)

    def breakdowns(k: int) -> float:
        b = 0.0
        for _ in range(200):  # B = M(k T - d_p - B d_f): a contraction for B d_f < k T
            new = float(np.interp(max(k * t - d_p - b * d_f, 0.0), grid, m))
            if abs(new - b) < 1e-12 * max(1.0, new):
                return new
            b = new
        return b

    per_k = [breakdowns(k) for k in range(1, _SKIPS + 1)]
    tau = max(t - d_p - per_k[0] * d_f, 0.0)
    # down as the window opens: a breakdown in the last d_f working hours before it (the
    # oldest hours of the period, where an increasing hazard puts more breakdowns)
    q = min(float(np.interp(tau, grid, m) - np.interp(max(tau - d_f, 0.0), grid, m)), 0.99)
    weights = [q ** (k - 1) * (1.0 - q) for k in range(1, _SKIPS + 1)]
    weights[-1] += q**_SKIPS  # (the tail in the last term)
    rate = sum(w * b for w, b in zip(weights, per_k, strict=True)) * (1.0 - q) / t
    return CalendarPlan(MODEL, False, rate, (1.0 - q) / t, tau, min(rate * d_f, 1.0))
