"""Duration distributions built from scenario tables: moments, samples, residual life.

Each distribution must know its mean and variance exactly (the analytic layer
uses them), draw samples with those moments, and draw the equilibrium
residual life R(t)/E[X], whose mean is E[X^2] / (2 E[X]).  Sample checks use
200,000 draws from a fixed-seed generator and a tolerance of 5 standard
errors, so they are tight and still do not fail by chance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter

from sim.config import DistSpec, spec_mean
from sim.distributions import Distribution, Weibull, from_spec

N = 200_000
Z = 5.0  # standard errors allowed

# spec -> (mean, variance) known in closed form
KNOWN: dict[str, tuple[dict, float, float]] = {
    "exponential": ({"dist": "exponential", "mean": 2.0}, 2.0, 4.0),
    "deterministic": ({"dist": "deterministic", "value": 2.0}, 2.0, 0.0),
    "gamma": ({"dist": "gamma", "mean": 2.0, "cv": 0.5}, 2.0, 1.0),
    "erlang": ({"dist": "erlang", "mean": 2.0, "k": 4}, 2.0, 1.0),
    "lognormal": ({"dist": "lognormal", "mean": 2.0, "cv": 0.5}, 2.0, 1.0),
    # Weibull, shape 1.5: Var/mean^2 = Gamma(1+2/b)/Gamma(1+1/b)^2 - 1 = 0.46099848620631...
    "weibull": ({"dist": "weibull", "mean": 400.0, "shape": 1.5}, 400.0, 400.0**2 * 0.4609984862063179),
    "uniform": ({"dist": "uniform", "low": 1.0, "high": 3.0}, 2.0, 1.0 / 3.0),
    # values 1, 2, 4 with weights 1, 2, 1: mean 9/4, E[X^2] = 25/4
    "empirical": (
        {"dist": "empirical", "values": [1.0, 2.0, 4.0], "weights": [1.0, 2.0, 1.0]},
        2.25,
        6.25 - 2.25**2,
    ),
}
NAMES = list(KNOWN)


def rng_for(name: str, purpose: int = 0) -> np.random.Generator:
    """A fixed-seed generator per distribution and check."""
    return np.random.default_rng([20261129, NAMES.index(name), purpose])


def sample_variance_se(x: np.ndarray) -> float:
    """Standard error of the sample variance: sqrt((m4 - s^4) / n)."""
    c = x - x.mean()
    m4 = float(np.mean(c**4))
    s2 = float(np.mean(c**2))
    return math.sqrt(max(m4 - s2**2, 0.0) / len(x))


@pytest.mark.parametrize("name", NAMES)
def test_mean_variance_and_cv_match_the_closed_form(name):
    """mean, variance, cv and E[X^2] of every distribution equal their textbook values."""
    spec, mean, var = KNOWN[name]
    d = from_spec(spec)
    assert isinstance(d, Distribution)
    assert d.name == name
    assert d.mean == pytest.approx(mean, rel=1e-12)
    assert d.variance == pytest.approx(var, rel=1e-12, abs=1e-15)
    assert d.cv == pytest.approx(math.sqrt(var) / mean, rel=1e-12, abs=1e-15)
    assert d.second_moment == pytest.approx(var + mean**2, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_sample_moments_are_within_five_standard_errors(name):
    """200k draws have the stated mean (5 SE from the theoretical variance) and variance."""
    spec, mean, var = KNOWN[name]
    x = from_spec(spec).sample(rng_for(name), N)
    assert x.shape == (N,)
    assert np.all(x >= 0.0)
    if var == 0.0:
        assert np.all(x == mean)
        return
    assert abs(x.mean() - mean) <= Z * math.sqrt(var / N)
    assert abs(x.var() - var) <= Z * sample_variance_se(x)


@pytest.mark.parametrize("name", NAMES)
def test_residual_life_mean_is_the_equilibrium_mean(name):
    """sample_residual has mean E[X^2] / (2 E[X]) (inspection paradox), within 5 SE."""
    spec, mean, var = KNOWN[name]
    d = from_spec(spec)
    r = d.sample_residual(rng_for(name, 1), N)
    expected = (var + mean**2) / (2.0 * mean)
    assert r.shape == (N,)
    assert np.all(r >= 0.0)
    assert abs(r.mean() - expected) <= Z * r.std(ddof=1) / math.sqrt(N)


def test_exponential_residual_life_is_the_same_exponential():
    """Memoryless: the residual life of an exponential has its mean and its variance."""
    r = from_spec(KNOWN["exponential"][0]).sample_residual(rng_for("exponential", 2), N)
    assert abs(r.mean() - 2.0) <= Z * 2.0 / math.sqrt(N)
    assert abs(r.var() - 4.0) <= Z * sample_variance_se(r)


def test_deterministic_residual_life_is_uniform_on_zero_to_value():
    """A machine that fails every 2 h, seen at a random time, has U(0, 2) left."""
    r = from_spec({"dist": "deterministic", "value": 2.0}).sample_residual(rng_for("deterministic", 3), N)
    assert r.min() >= 0.0 and r.max() <= 2.0
    assert abs(r.var() - 4.0 / 12.0) <= Z * sample_variance_se(r)


def test_weibull_scale_from_mean_and_shape():
    """Weibull scale = mean / Gamma(1 + 1/shape)."""
    d = from_spec({"dist": "weibull", "mean": 400.0, "shape": 1.5})
    assert isinstance(d, Weibull)
    assert d.scale == pytest.approx(400.0 / math.gamma(1.0 + 1.0 / 1.5), rel=1e-14)
    assert d.scale == pytest.approx(443.092866972989, rel=1e-12)  # Gamma(5/3) = 0.902745...
    x = d.sample(rng_for("weibull", 4), N)
    # P(X > scale) = e^-1 for every Weibull
    p = float(np.mean(x > d.scale))
    assert abs(p - math.exp(-1.0)) <= Z * math.sqrt(math.exp(-1) * (1 - math.exp(-1)) / N)


def test_weibull_with_shape_one_is_the_exponential():
    """Shape 1 makes the Weibull an exponential: scale = mean, cv = 1."""
    d = from_spec({"dist": "weibull", "mean": 5.0, "shape": 1.0})
    assert d.scale == pytest.approx(5.0)
    assert d.cv == pytest.approx(1.0)
    assert d.is_exponential


def test_erlang_is_a_gamma_with_cv_one_over_root_k():
    """Erlang-k with mean m has variance m^2 / k."""
    d = from_spec({"dist": "erlang", "mean": 3.0, "k": 9})
    assert d.variance == pytest.approx(1.0)
    assert d.cv == pytest.approx(1.0 / 3.0)


def test_empirical_without_weights_is_equally_likely():
    """An empirical table without weights gives each value the same probability."""
    d = from_spec({"dist": "empirical", "values": [1.0, 3.0]})
    assert d.mean == pytest.approx(2.0)
    assert d.variance == pytest.approx(1.0)
    x = d.sample(rng_for("empirical", 5), N)
    assert set(np.unique(x)) == {1.0, 3.0}


@pytest.mark.parametrize(
    ("spec", "exponential", "zero"),
    [
        ({"dist": "exponential", "mean": 2.0}, True, False),
        ({"dist": "gamma", "mean": 2.0, "cv": 1.0}, True, False),
        ({"dist": "gamma", "mean": 2.0, "cv": 0.5}, False, False),
        ({"dist": "deterministic", "value": 0.0}, False, True),
        ({"dist": "deterministic", "value": 0.5}, False, False),
        ({"dist": "empirical", "values": [0.0, 0.0]}, False, True),
        ({"dist": "uniform", "low": 0.0, "high": 1.0}, False, False),
    ],
)
def test_flags_the_analytic_layer_relies_on(spec, exponential, zero):
    """is_exponential / is_zero tell the analytic layer when M/M/s or 'no travel' apply."""
    d = from_spec(spec)
    assert d.is_exponential is exponential
    assert d.is_zero is zero


@pytest.mark.parametrize("name", NAMES)
def test_built_from_the_validated_scenario_model_too(name):
    """from_spec accepts the pydantic spec of a loaded scenario; config's spec_mean agrees."""
    spec = KNOWN[name][0]
    model = TypeAdapter(DistSpec).validate_python(spec)
    d = from_spec(model)
    assert d.mean == pytest.approx(from_spec(spec).mean, rel=1e-14)
    assert spec_mean(model) == pytest.approx(d.mean, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_draws_depend_only_on_the_generator_passed_in(name):
    """Same seed, same draws, whatever numpy's global state."""
    d = from_spec(KNOWN[name][0])
    np.random.seed(1)
    a = d.sample(np.random.default_rng(42), 50)
    np.random.seed(2)
    np.random.random(10)
    b = d.sample(np.random.default_rng(42), 50)
    np.testing.assert_array_equal(a, b)


def test_unknown_distribution_is_refused():
    """from_spec refuses a name it does not know."""
    with pytest.raises(ValueError, match="unknown distribution"):
        from_spec({"dist": "pareto", "mean": 1.0})
