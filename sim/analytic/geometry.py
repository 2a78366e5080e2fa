"""Closed-form travel distances in a rectangular territory (Larson & Odoni).

The geometric anchors (validation cases ``scenarios/validation/trips_*.toml``):
mean trip lengths when machine locations are uniform in a
rectangle, from a fixed base or between two random points, and the
nearest-of-N-idle-units approximation.

Conventions
-----------
A territory is the rectangle ``[0, width] x [0, height]`` (any length unit,
km in the simulator); a base or technician position ``(x0, y0)`` is given in
the same frame and may lie inside or outside the rectangle.

``metric`` is ``"euclidean"`` (straight line) or ``"rectilinear"``
(Manhattan, |dx| + |dy|). ``circuity`` multiplies every distance (road
network detour factor; 1 = as the crow flies); it must be > 0 and is
typically about 1.2-1.4 for Euclidean distances on a road network.

Functions validate their inputs and raise :class:`ValueError` naming the bad
argument (e.g. a region of zero size or a negative speed).

Like :mod:`sim.analytic.queues`, this module depends only on ``math`` (no
SimPy, no simulator code), so it checks the simulator independently.
"""

from __future__ import annotations

import math
from typing import Literal

from .queues import _count, _rate

__all__ = [
    "METRICS",
    "mean_distance_from_point",
    "mean_distance_two_points",
    "nearest_of_n_idle",
    "trip_time",
]

Metric = Literal["euclidean", "rectilinear"]

#: Accepted values of the ``metric`` argument.
METRICS: tuple[str, ...] = ("euclidean", "rectilinear")


# --------------------------------------------------------------------------- validation


def _metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(map(repr, METRICS))}, got {metric!r}")
    return metric


def _coordinate(name: str, value: float) -> float:
    """Return ``value`` as a finite float (any sign), else raise ValueError naming it."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return x


# --------------------------------------------------------------------------- primitives


def _corner_integral(a: float, b: float) -> float:
    """Integral of sqrt(x^2 + y^2) over [0, a] x [0, b], for a, b >= 0.

    Closed form (1/6)[2 a b d + a^3 asinh(b/a) + b^3 asinh(a/b)], d = sqrt(a^2 + b^2);
    divided by a b it is the mean Euclidean distance from a corner of an a x b
    rectangle to a uniform point in it (0.7652 for a unit square).
    """
    if a == 0.0 or b == 0.0:
        return 0.0
    d = math.hypot(a, b)
    return (2.0 * a * b * d + a**3 * math.asinh(b / a) + b**3 * math.asinh(a / b)) / 6.0


def _signed_corner_integral(u: float, v: float) -> float:
    """Oriented integral of sqrt(x^2 + y^2) over [0, u] x [0, v] (u, v of any sign)."""
    return math.copysign(1.0, u) * math.copysign(1.0, v) * _corner_integral(abs(u), abs(v))


def _abs_integral(u: float) -> float:
    """Antiderivative u|u|/2 of |u|."""
    return u * abs(u) / 2.0


# --------------------------------------------------------------------------- mean distances


def mean_distance_two_points(
    width: float,
    height: float,
    metric: Metric = "euclidean",
    *,
    circuity: float = 1.0,
) -> float:
    """Mean distance between two independent uniform points in a rectangle.

    This is the mean trip of a technician who travels from the last job's
    location to the next one, both uniform in the territory.

    Parameters
    ----------
    width, height : float
        Sides X > 0 and Y > 0 of the rectangle.
    metric : {"euclidean", "rectilinear"}, default "euclidean"
        Distance metric.
    circuity : float, default 1.0
        Factor > 0 multiplying the distance.

    Returns
    -------
    float
        ``circuity * E[D]``.

    Raises
    ------
    ValueError
        If a side is not a finite number > 0, ``circuity`` is not > 0, or
        ``metric`` is unknown.

    Notes
    -----
    Rectilinear: E|X1 - X2| = X / 3 per axis, so E[D] = (X + Y) / 3
    (2/3 for a unit square).

    Euclidean: Ghosh's (1951) closed form for an a x b rectangle, with
    d = sqrt(a^2 + b^2),

        E[D] = (1/15) [a^3/b^2 + b^3/a^2 + d (3 - a^2/b^2 - b^2/a^2)]
             + (1/6) [(b^2/a) asinh(a/b) + (a^2/b) asinh(b/a)],

    evaluated in the algebraically equal, cancellation-free form
    (1/15) [3d - a^2/(a + d) - b^2/(b + d)] + (1/6) [...], so it stays accurate
    for very elongated rectangles (it tends to a/3 as b -> 0). For a unit
    square it gives (2 + sqrt(2) + 5 ln(1 + sqrt(2))) / 15 = 0.521405.

    Examples
    --------
    >>> round(mean_distance_two_points(1.0, 1.0), 6)
    0.521405
    >>> mean_distance_two_points(3.0, 6.0, "rectilinear")
    3.0
    """
    a = _rate("width", width)
    b = _rate("height", height)
    m = _metric(metric)
    c = _rate("circuity", circuity)
    if m == "rectilinear":
        return c * (a + b) / 3.0
    d = math.hypot(a, b)
    algebraic = (3.0 * d - a * a / (a + d) - b * b / (b + d)) / 15.0
    logarithmic = (b * b / a * math.asinh(a / b) + a * a / b * math.asinh(b / a)) / 6.0
    return c * (algebraic + logarithmic)


def mean_distance_from_point(
    width: float,
    height: float,
    x0: float | None = None,
    y0: float | None = None,
    metric: Metric = "euclidean",
    *,
    circuity: float = 1.0,
) -> float:
    """Mean distance from a fixed point to a uniform point in a rectangle.

    This is the mean one-way trip of a technician who starts every job from
    a base at ``(x0, y0)`` (return-to-base travel).

    Parameters
    ----------
    width, height : float
        Sides X > 0 and Y > 0 of the rectangle ``[0, X] x [0, Y]``.
    x0, y0 : float, optional
        The fixed point, in the rectangle's frame; may lie outside the
        rectangle. Each defaults to the centre coordinate (X/2, resp. Y/2).
    metric : {"euclidean", "rectilinear"}, default "euclidean"
        Distance metric.
    circuity : float, default 1.0
        Factor > 0 multiplying the distance.

    Returns
    -------
    float
        ``circuity * E[D]``.

    Raises
    ------
    ValueError
        If a side is not a finite number > 0, a coordinate is not finite,
        ``circuity`` is not > 0, or ``metric`` is unknown.

    Notes
    -----
    Rectilinear: per axis E|X - x0| = [G(X - x0) - G(-x0)] / X with
    G(u) = u|u|/2, i.e. ((x0)^2 + (X - x0)^2) / (2X) for x0 inside; X/4 at the
    centre, so a/2 from the centre of an a x a square.

    Euclidean: exact, by corner decomposition. The integral of
    sqrt(x^2 + y^2) over [0, a] x [0, b] is
    I(a, b) = (1/6) [2ab d + a^3 asinh(b/a) + b^3 asinh(a/b)], d = sqrt(a^2 + b^2)
    (divided by ab: the mean distance from a corner, 0.7652 a for a square).
    Splitting the rectangle at (x0, y0) into four corner rectangles, and
    using the signed extension F(u, v) = sgn(u) sgn(v) I(|u|, |v|) so that a
    point outside the rectangle is handled by the same inclusion-exclusion,

        E[D] = [F(X - x0, Y - y0) - F(-x0, Y - y0) - F(X - x0, -y0) + F(-x0, -y0)] / (XY).

    From the centre of an a x a square this is 4 I(a/2, a/2) / a^2
    = a (sqrt(2) + ln(1 + sqrt(2))) / 6 = 0.382598 a.

    Examples
    --------
    >>> round(mean_distance_from_point(1.0, 1.0), 6)
    0.382598
    >>> mean_distance_from_point(4.0, 4.0, metric="rectilinear")
    2.0
    """
    w = _rate("width", width)
    h = _rate("height", height)
    px = w / 2.0 if x0 is None else _coordinate("x0", x0)
    py = h / 2.0 if y0 is None else _coordinate("y0", y0)
    m = _metric(metric)
    c = _rate("circuity", circuity)
    if m == "rectilinear":
        ex = (_abs_integral(w - px) - _abs_integral(-px)) / w
        ey = (_abs_integral(h - py) - _abs_integral(-py)) / h
        return c * (ex + ey)
    f = _signed_corner_integral
    total = f(w - px, h - py) - f(-px, h - py) - f(w - px, -py) + f(-px, -py)
    return c * total / (w * h)


# --------------------------------------------------------------------------- time, nearest unit


def trip_time(distance: float, speed: float) -> float:
    """Travel time of a trip, ``distance / speed``.

    Parameters
    ----------
    distance : float
        Trip length >= 0 (already multiplied by any circuity factor).
    speed : float
        Travel speed > 0, in distance units per time unit (e.g. km/h).

    Returns
    -------
    float
        Travel time, in the time unit of ``speed``.

    Raises
    ------
    ValueError
        If ``distance`` < 0 or ``speed`` <= 0 (or either is not finite).

    Examples
    --------
    >>> trip_time(30.0, 60.0)
    0.5
    """
    return _rate("distance", distance, allow_zero=True) / _rate("speed", speed)


def nearest_of_n_idle(
    area: float,
    n: int,
    metric: Metric = "euclidean",
    *,
    circuity: float = 1.0,
) -> float:
    """Approximate mean distance to the nearest of ``n`` idle units (no edge effects).

    Parameters
    ----------
    area : float
        Area A > 0 of the region the idle units are spread over.
    n : int
        Number of idle units >= 1.
    metric : {"euclidean", "rectilinear"}, default "euclidean"
        Distance metric.
    circuity : float, default 1.0
        Factor > 0 multiplying the distance.

    Returns
    -------
    float
        ``circuity * k * sqrt(A / n)`` with k = 1/2 (Euclidean) or
        sqrt(pi/8) = 0.6267 (rectilinear).

    Raises
    ------
    ValueError
        If ``area`` is not > 0, ``n`` is not an integer >= 1, ``circuity`` is
        not > 0, or ``metric`` is unknown.

    Notes
    -----
    **Approximate.** Larson & Odoni's nearest-neighbour result for units
    forming a spatial Poisson process of density gamma = n / A in an unbounded
    plane: P(D > r) = exp(-gamma * area_of_ball(r)), with the ball a disc
    (pi r^2) or a diamond (2 r^2), so E[D] = 0.5 / sqrt(gamma) or
    sqrt(pi/8) / sqrt(gamma). A bounded territory has edges, where a call
    finds fewer units nearby, so the true mean is *larger* (markedly for
    small n); ``n`` uniform units instead of a Poisson number also adds an
    O(1/n) relative error.

    Examples
    --------
    >>> nearest_of_n_idle(100.0, 4)
    2.5
    """
    a = _rate("area", area)
    k = _count("n", n)
    m = _metric(metric)
    c = _rate("circuity", circuity)
    factor = 0.5 if m == "euclidean" else math.sqrt(math.pi / 8.0)
    return c * factor * math.sqrt(a / k)
