"""Travel-distance closed forms against textbook numbers, quadrature and seeded Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from sim.analytic.geometry import (
    mean_distance_from_point,
    mean_distance_two_points,
    nearest_of_n_idle,
    trip_time,
)

UNIT_SQUARE_EUCLIDEAN = (2 + math.sqrt(2) + 5 * math.log(1 + math.sqrt(2))) / 15
CENTRE_FACTOR = (math.sqrt(2) + math.log(1 + math.sqrt(2))) / 6  # 0.382598...
MC_PAIRS = 200_000


def _distance(dx: np.ndarray, dy: np.ndarray, metric: str) -> np.ndarray:
    return np.hypot(dx, dy) if metric == "euclidean" else np.abs(dx) + np.abs(dy)


def _assert_within_5_se(samples: np.ndarray, exact: float) -> None:
    mean = samples.mean()
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(mean - exact) < 5 * se, f"MC {mean:.5f} +- {se:.5f} vs exact {exact:.5f}"


# --------------------------------------------------------------------------- closed forms


def test_two_points_unit_square_textbook_values() -> None:
    assert pytest.approx(0.5214054, abs=1e-7) == UNIT_SQUARE_EUCLIDEAN
    assert mean_distance_two_points(1.0, 1.0) == pytest.approx(UNIT_SQUARE_EUCLIDEAN, rel=1e-14)
    assert mean_distance_two_points(1.0, 1.0, "rectilinear") == pytest.approx(2 / 3, rel=1e-15)


@pytest.mark.parametrize(("x", "y"), [(3.0, 1.0), (0.2, 7.5), (10.0, 10.0)])
def test_two_points_rectangle_rectilinear(x: float, y: float) -> None:
    assert mean_distance_two_points(x, y, "rectilinear") == pytest.approx((x + y) / 3, rel=1e-15)


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (2.0, 0.7), (0.3, 5.0)])
def test_two_points_euclidean_rectangle_matches_quadrature(a: float, b: float) -> None:
    # The difference of two uniforms on [0, a] has density 2 (a - u) / a^2 on |u| <= a.
    def integrand(v: float, u: float) -> float:
        return math.hypot(u, v) * 2 * (a - u) / a**2 * 2 * (b - v) / b**2

    exact, _ = integrate.dblquad(integrand, 0, a, 0, b, epsabs=1e-12, epsrel=1e-12)
    assert mean_distance_two_points(a, b) == pytest.approx(exact, rel=1e-10)


def test_two_points_scaling_symmetry_and_thin_limit() -> None:
    base = mean_distance_two_points(2.0, 0.5)
    assert mean_distance_two_points(0.5, 2.0) == pytest.approx(base, rel=1e-14)
    assert mean_distance_two_points(20.0, 5.0) == pytest.approx(10 * base, rel=1e-13)
    # Degenerate strip: the 1-D mean |X1 - X2| = a/3, without cancellation error.
    assert mean_distance_two_points(1.0, 1e-9) == pytest.approx(1 / 3, rel=1e-8)


def test_from_centre_of_square() -> None:
    for a in (1.0, 4.0, 37.5):
        assert mean_distance_from_point(a, a) == pytest.approx(CENTRE_FACTOR * a, rel=1e-14)
        centre = mean_distance_from_point(a, a, a / 2, a / 2)
        assert centre == pytest.approx(0.3826 * a, abs=1e-4 * a)
        rectilinear = mean_distance_from_point(a, a, metric="rectilinear")
        assert rectilinear == pytest.approx(a / 2, rel=1e-15)


def test_from_corner_of_unit_square() -> None:
    corner = (math.sqrt(2) + math.log(1 + math.sqrt(2))) / 3  # 0.765196
    assert mean_distance_from_point(1.0, 1.0, 0.0, 0.0) == pytest.approx(corner, rel=1e-14)
    assert mean_distance_from_point(1.0, 1.0, 1.0, 1.0) == pytest.approx(corner, rel=1e-14)
    assert mean_distance_from_point(1.0, 1.0, 0.0, 0.0, "rectilinear") == pytest.approx(1.0)


@pytest.mark.parametrize(("x0", "y0"), [(0.6, 0.2), (-0.5, 0.3), (2.5, 1.4), (1.0, 0.35)])
def test_from_point_matches_quadrature(x0: float, y0: float) -> None:
    a, b = 2.0, 0.7

    def euclid(y: float, x: float) -> float:
        return math.hypot(x - x0, y - y0) / (a * b)

    def rect(y: float, x: float) -> float:
        return (abs(x - x0) + abs(y - y0)) / (a * b)

    e, _ = integrate.dblquad(euclid, 0, a, 0, b, epsabs=1e-12, epsrel=1e-12)
    # |x - x0| has a kink at x0: integrate piecewise so quadrature stays exact.
    r = sum(
        integrate.dblquad(rect, xl, xh, yl, yh, epsabs=1e-13)[0]
        for xl, xh in _split(0, a, x0)
        for yl, yh in _split(0, b, y0)
    )
    assert mean_distance_from_point(a, b, x0, y0) == pytest.approx(e, rel=1e-9)
    assert mean_distance_from_point(a, b, x0, y0, "rectilinear") == pytest.approx(r, rel=1e-10)


def _split(lo: float, hi: float, at: float) -> list[tuple[float, float]]:
    return [(lo, at), (at, hi)] if lo < at < hi else [(lo, hi)]


def test_circuity_multiplies_distances() -> None:
    assert mean_distance_two_points(3.0, 2.0, circuity=1.3) == pytest.approx(
        1.3 * mean_distance_two_points(3.0, 2.0), rel=1e-15
    )
    assert mean_distance_from_point(3.0, 2.0, 1.0, 1.0, "rectilinear", circuity=1.25) == (
        pytest.approx(1.25 * mean_distance_from_point(3.0, 2.0, 1.0, 1.0, "rectilinear"))
    )
    assert nearest_of_n_idle(16.0, 4, circuity=1.5) == pytest.approx(1.5)


def test_trip_time() -> None:
    assert trip_time(30.0, 60.0) == 0.5
    assert trip_time(0.0, 40.0) == 0.0


# --------------------------------------------------------------------------- Monte Carlo


@pytest.mark.parametrize("metric", ["euclidean", "rectilinear"])
@pytest.mark.parametrize(("w", "h"), [(1.0, 1.0), (3.0, 1.0)])
def test_two_points_monte_carlo(metric: str, w: float, h: float) -> None:
    rng = np.random.default_rng(20240604)
    p = rng.uniform(0, 1, size=(4, MC_PAIRS))
    d = _distance(w * (p[0] - p[2]), h * (p[1] - p[3]), metric)
    _assert_within_5_se(d, mean_distance_two_points(w, h, metric))


@pytest.mark.parametrize("metric", ["euclidean", "rectilinear"])
@pytest.mark.parametrize(("x0", "y0"), [(None, None), (0.4, 1.8), (-1.0, 0.5)])
def test_from_point_monte_carlo(metric: str, x0: float | None, y0: float | None) -> None:
    w, h = 3.0, 2.0
    rng = np.random.default_rng(7)
    px = w / 2 if x0 is None else x0
    py = h / 2 if y0 is None else y0
    d = _distance(rng.uniform(0, w, MC_PAIRS) - px, rng.uniform(0, h, MC_PAIRS) - py, metric)
    _assert_within_5_se(d, mean_distance_from_point(w, h, x0, y0, metric))


def test_nearest_of_n_idle_approximation() -> None:
    assert nearest_of_n_idle(100.0, 4) == pytest.approx(2.5)
    assert nearest_of_n_idle(1.0, 1, "rectilinear") == pytest.approx(math.sqrt(math.pi / 8))
    rng = np.random.default_rng(11)
    n, calls = 100, 2000
    units = rng.uniform(0, 1, size=(n, 2))
    pts = rng.uniform(0, 1, size=(calls, 2))
    diff = np.abs(pts[:, None, :] - units[None, :, :])
    # On a torus there are no edges: the approximation holds to O(1/n).
    wrapped = np.minimum(diff, 1 - diff)
    torus = np.hypot(wrapped[..., 0], wrapped[..., 1]).min(axis=1).mean()
    assert torus == pytest.approx(nearest_of_n_idle(1.0, n), rel=0.05)
    # In a bounded square, edges make the nearest unit farther away.
    few = units[:5]
    d_few = np.hypot(*(pts[:, None, :] - few[None, :, :]).transpose(2, 0, 1)).min(axis=1).mean()
    assert d_few > nearest_of_n_idle(1.0, 5)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mean_distance_two_points(0.0, 1.0), "width"),
        (lambda: mean_distance_two_points(1.0, -2.0), "height"),
        (lambda: mean_distance_two_points(1.0, math.inf), "height"),
        (lambda: mean_distance_two_points(1.0, 1.0, "manhattan"), "metric"),
        (lambda: mean_distance_two_points(1.0, 1.0, circuity=0.0), "circuity"),
        (lambda: mean_distance_from_point(1.0, 0.0), "height"),
        (lambda: mean_distance_from_point(1.0, 1.0, math.nan, 0.0), "x0"),
        (lambda: mean_distance_from_point(1.0, 1.0, 0.0, "a"), "y0"),
        (lambda: trip_time(1.0, -60.0), "speed"),
        (lambda: trip_time(1.0, 0.0), "speed"),
        (lambda: trip_time(-1.0, 60.0), "distance"),
        (lambda: nearest_of_n_idle(0.0, 3), "area"),
        (lambda: nearest_of_n_idle(1.0, 0), "n"),
        (lambda: nearest_of_n_idle(1.0, 2.0), "n"),
    ],
)
def test_bad_input_raises_value_error(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        call()
