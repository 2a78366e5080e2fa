"""Preventive maintenance as age replacement with Weibull lives (renewal-reward).

A machine is renewed (as good as new) by a planned visit when its working age reaches T,
or by a repair when it breaks down first; either renewal restarts the age. Each cycle
ends with a breakdown with probability F(T) and with a planned visit otherwise, and the
working time in a cycle is min(L, T), of mean integral_0^T R(t) dt. By the renewal-reward
theorem the long-run cost per unit time is

    C(T) = (c_p R(T) + c_f F(T)) / (integral_0^T R(t) dt + d_p R(T) + d_f F(T)),

with d_p, d_f the mean downtimes of a planned visit and of a breakdown (0: instantaneous
renewals; cost and rates are then per unit of working time), and breakdowns occur at
F(T) / (same denominator) per machine. For a Weibull life of shape beta and scale eta,
integral_0^T R = E[L] P(1/beta, (T/eta)^beta) with P the regularised lower incomplete
gamma function. References: R. E. Barlow and F. Proschan, *Mathematical Theory of
Reliability* (Wiley, 1965), ch. 4; A. K. S. Jardine and A. H. C. Tsang, *Maintenance,
Replacement, and Reliability*, 2nd ed. (CRC, 2013), ch. 3.

Exact (renewal-reward) when lives are i.i.d., every repair and planned visit renews the
machine, the planned visit happens at age T exactly (no waiting for a technician while
the machine keeps ageing) and the machine does not age while down. A plan on a calendar
that ignores breakdowns (every T days whatever happened) is block replacement, not this.

The optimal T* minimises C(T) numerically (the sign of C'(T) on a grid of T, refined by
Brent's method). With shape <= 1 the hazard does not increase, a planned renewal does
not lower the breakdown rate, and there is no finite optimum without downtimes; the result
then says so (``optimal`` is False, ``interval`` infinite).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammainc

from .queues import _rate

__all__ = ["AgeReplacementResult", "OptimalAgeReplacement", "age_replacement", "optimal_age_replacement"]

MODEL = "age replacement, Weibull lives (renewal-reward)"

#: the T / eta grid on which the sign of C'(T) is scanned for minima
_GRID = np.geomspace(1e-6, 1e3, 901)


@dataclass(frozen=True)
class AgeReplacementResult:
    """Long-run behaviour of one machine under age replacement at working age T.

    Attributes
    ----------
    model : str
        :data:`MODEL`.
    exact : bool
        True under the module's assumptions.
    interval : float
        T (``math.inf``: no planned maintenance).
    cost_rate : float
        C(T), cost per unit time.
    breakdown_rate : float
        Breakdowns per unit time, F(T) / mean cycle.
    planned_rate : float
        Planned visits per unit time, R(T) / mean cycle.
    breakdown_probability : float
        F(T): share of cycles that end with a breakdown.
    mean_cycle : float
        integral_0^T R + d_p R(T) + d_f F(T).
    availability : float
        Share of time working, integral_0^T R / mean cycle.
    cost_rate_no_pm : float
        C(infinity) = c_f / (E[L] + d_f).
    breakdowns_avoided : float
        1 - breakdown_rate / breakdown rate without planned maintenance (negative when
        the plan causes breakdowns, as with shape < 1).
    """

    model: str
    exact: bool
    interval: float
    cost_rate: float
    breakdown_rate: float
    planned_rate: float
    breakdown_probability: float
    mean_cycle: float
    availability: float
    cost_rate_no_pm: float
    breakdowns_avoided: float


@dataclass(frozen=True)
class OptimalAgeReplacement:
    """The cost-minimising age-replacement interval.

    Attributes
    ----------
    model : str
        :data:`MODEL`.
    exact : bool
        True: the cost function is exact, its minimum found to a relative 1e-10 in T.
    optimal : bool
        False when no finite interval beats doing no planned maintenance.
    interval : float
        T* (``math.inf`` when ``optimal`` is False).
    at_optimum : AgeReplacementResult
        The plan at T* (no planned maintenance when ``optimal`` is False).
    saving : float
        1 - C(T*) / C(infinity).
    reason : str
        Why there is no finite optimum (empty when there is one).
    """

    model: str
    exact: bool
    optimal: bool
    interval: float
    at_optimum: AgeReplacementResult
    saving: float
    reason: str


@dataclass(frozen=True)
class _Plan:
    shape: float
    mean_life: float
    cost_planned: float
    cost_failure: float
    planned_downtime: float
    failure_downtime: float

    @property
    def scale(self) -> float:
        return self.mean_life / math.gamma(1.0 + 1.0 / self.shape)

    def parts(self, t: float) -> tuple[float, float, float]:
        """(F(T), R(T), integral_0^T R) at working age t (t may be infinite)."""
        if math.isinf(t):
            return 1.0, 0.0, self.mean_life
        z = (t / self.scale) ** self.shape
        return -math.expm1(-z), math.exp(-z), self.mean_life * float(gammainc(1.0 / self.shape, z))

    def cycle(self, t: float) -> tuple[float, float, float, float]:
        """(F, R, working time, mean cycle length)."""
        f, r, up = self.parts(t)
        return f, r, up, up + self.planned_downtime * r + self.failure_downtime * f

    def cost_rate(self, t: float) -> float:
        f, r, _, length = self.cycle(t)
        return (self.cost_planned * r + self.cost_failure * f) / length

    def slope_sign(self, t: float) -> float:
        """A function of the sign of C'(T): (c_f - c_p) h(T) D(T) - N(T) (1 + (d_f - d_p) h(T)).

        With N and D the cost and length of a cycle, h the hazard: C' = R (this) / D^2.
        """
        f, r, _, length = self.cycle(t)
        hazard = self.shape / self.scale * (t / self.scale) ** (self.shape - 1.0)
        cost = self.cost_planned * r + self.cost_failure * f
        extra = self.failure_downtime - self.planned_downtime
        return (self.cost_failure - self.cost_planned) * hazard * length - cost * (1.0 + extra * hazard)

    def result(self, t: float) -> AgeReplacementResult:
        f, r, up, length = self.cycle(t)
        no_pm = 1.0 / (self.mean_life + self.failure_downtime)
        return AgeReplacementResult(
            model=MODEL,
            exact=True,
            interval=t,
            cost_rate=(self.cost_planned * r + self.cost_failure * f) / length,
            breakdown_rate=f / length,
            planned_rate=r / length,
            breakdown_probability=f,
            mean_cycle=length,
            availability=up / length,
            cost_rate_no_pm=self.cost_failure * no_pm,
            breakdowns_avoided=1.0 - (f / length) / no_pm,
        )


def _plan(
    shape: float,
    mean_life: float,
    cost_planned: float,
    cost_failure: float,
    planned_downtime: float,
    failure_downtime: float,
) -> _Plan:
    return _Plan(
        shape=_rate("shape", shape),
        mean_life=_rate("mean_life", mean_life),
        cost_planned=_rate("cost_planned", cost_planned),
        cost_failure=_rate("cost_failure", cost_failure),
        planned_downtime=_rate("planned_downtime", planned_downtime, allow_zero=True),
        failure_downtime=_rate("failure_downtime", failure_downtime, allow_zero=True),
    )


def age_replacement(
    shape: float,
    mean_life: float,
    interval: float,
    cost_planned: float,
    cost_failure: float,
    planned_downtime: float = 0.0,
    failure_downtime: float = 0.0,
) -> AgeReplacementResult:
    """Cost rate, breakdown rate and planned-visit rate of age replacement at T (exact).

    Parameters
    ----------
    shape : float
        Weibull shape beta > 0.
    mean_life : float
        Mean life E[L] > 0 (the scale is E[L] / Gamma(1 + 1/beta), as in the scenario files).
    interval : float
        Working age T > 0 at which a planned visit renews the machine; ``math.inf`` for
        no planned maintenance.
    cost_planned : float
        c_p > 0 per planned visit (include the cost of its downtime if it matters).
    cost_failure : float
        c_f > 0 per breakdown.
    planned_downtime : float, optional
        Mean downtime d_p >= 0 of a planned visit (0: instantaneous).
    failure_downtime : float, optional
        Mean downtime d_f >= 0 of a breakdown.

    Returns
    -------
    AgeReplacementResult

    Examples
    --------
    Exponential lives (shape 1): planned visits avoid no breakdowns, they only add cost.

    >>> r = age_replacement(1.0, 100.0, 50.0, 1.0, 5.0)
    >>> round(r.breakdown_rate, 6), round(r.breakdowns_avoided, 6), round(r.cost_rate, 6)
    (0.01, 0.0, 0.065415)
    """
    plan = _plan(shape, mean_life, cost_planned, cost_failure, planned_downtime, failure_downtime)
    t = float(interval)
    if not (t > 0):  # (also refuses NaN)
        raise ValueError(f"interval must be > 0 (math.inf for no planned maintenance), got {interval!r}")
    return plan.result(t)


def optimal_age_replacement(
    shape: float,
    mean_life: float,
    cost_planned: float,
    cost_failure: float,
    planned_downtime: float = 0.0,
    failure_downtime: float = 0.0,
) -> OptimalAgeReplacement:
    """The age-replacement interval T* that minimises the long-run cost rate.

    Parameters
    ----------
    shape, mean_life, cost_planned, cost_failure, planned_downtime, failure_downtime
        As in :func:`age_replacement`.

    Returns
    -------
    OptimalAgeReplacement
        ``optimal`` False (with the reason) when no finite T beats no planned maintenance:
        always for shape <= 1 without downtimes, and when a breakdown costs no more than a
        planned visit.

    Notes
    -----
    C'(T) has the sign of (c_f - c_p) h(T) D(T) - N(T) (1 + (d_f - d_p) h(T)) (h the
    hazard, N and D the cycle's mean cost and length); every change of that sign from
    - to + on a grid of T / eta in [1e-6, 1e3] is a local minimum, refined with Brent's
    method in log T. Without downtimes and with shape > 1 the minimum is unique and
    solves h(T) integral_0^T R - F(T) = c_p / (c_f - c_p) (Barlow and Proschan).

    Examples
    --------
    >>> r = optimal_age_replacement(2.0, 100.0, 1.0, 10.0)
    >>> round(r.interval, 2), round(r.saving, 4)
    (37.96, 0.4633)
    >>> optimal_age_replacement(1.0, 100.0, 1.0, 10.0).optimal
    False
    """
    plan = _plan(shape, mean_life, cost_planned, cost_failure, planned_downtime, failure_downtime)
    no_pm = plan.result(math.inf)
    grid = plan.scale * _GRID
    signs = np.array([plan.slope_sign(float(t)) for t in grid])
    best: float | None = None
    for i in np.flatnonzero((signs[:-1] < 0) & (signs[1:] >= 0)):
        x = brentq(
            lambda u: plan.slope_sign(math.exp(u)),
            math.log(grid[i]),
            math.log(grid[i + 1]),
            xtol=1e-12,
            rtol=1e-12,
        )
        t = math.exp(x)
        if best is None or plan.cost_rate(t) < plan.cost_rate(best):
            best = t
    if best is not None and plan.cost_rate(best) < no_pm.cost_rate * (1.0 - 1e-12):
        at = plan.result(best)
        return OptimalAgeReplacement(
            model=MODEL,
            exact=True,
            optimal=True,
            interval=best,
            at_optimum=at,
            saving=1.0 - at.cost_rate / no_pm.cost_rate,
            reason="",
        )
    if plan.shape <= 1.0:
        reason = "shape <= 1: the hazard does not increase with age, so no finite interval pays"
    elif plan.cost_failure <= plan.cost_planned:
        reason = "a breakdown costs no more than a planned visit, so no finite interval pays"
    else:
        reason = "no finite interval has a lower cost rate than no planned maintenance"
    return OptimalAgeReplacement(
        model=MODEL,
        exact=True,
        optimal=False,
        interval=math.inf,
        at_optimum=no_pm,
        saving=0.0,
        reason=reason,
    )
