"""Named probability distributions of durations.

Each distribution knows its mean, variance and coefficient of variation (for
the analytic layer), draws vectorised samples from a generator that is
passed in, and can draw the *equilibrium residual life* (density
``R(t) / mean``) used to start a machine part-way through its life.

A validated table of :mod:`sim.config` (whose models have checked the parameters)
builds its distribution with its ``build()``; :func:`from_spec` also takes a raw table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Distribution:
    """A non-negative duration distribution."""

    name: str = "?"

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def cv(self) -> float:
        """Coefficient of variation: standard deviation / mean."""
        return math.sqrt(self.variance) / self.mean if self.mean > 0 else 0.0

    @property
    def second_moment(self) -> float:
        """E[X^2]."""
        return self.variance + self.mean**2

    @property
    def is_exponential(self) -> bool:
        return False

    @property
    def is_zero(self) -> bool:
        """True when every draw is exactly 0 (e.g. no travel)."""
        return False

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values."""
        raise NotImplementedError

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw from the length-biased density ``x f(x) / mean``."""
        raise NotImplementedError

    def sample_residual(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw from the equilibrium residual-life density ``R(t) / mean``.

        A renewal process observed at a random time is part-way through an
        interval of length-biased length, at a uniform point of it.
        """
        return rng.random(size) * self.sample_length_biased(rng, size)

    def describe(self) -> str:
        return f"{self.name}(mean={self.mean:g}, cv={self.cv:.3g})"


@dataclass(frozen=True)
class Exponential(Distribution):
    mean_: float
    name: str = field(default="exponential", init=False)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    @property
    def is_exponential(self) -> bool:
        return True

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(2.0, self.mean_, size)

    def sample_residual(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # memoryless: the residual life is the life itself
        return rng.exponential(self.mean_, size)


@dataclass(frozen=True)
class Deterministic(Distribution):
    value: float
    name: str = field(default="deterministic", init=False)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def is_zero(self) -> bool:
        return self.value == 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma with the given mean and coefficient of variation (shape 1/cv^2)."""

    mean_: float
    cv_: float
    name: str = field(default="gamma", init=False)

    @property
    def shape(self) -> float:
        return 1.0 / self.cv_**2

    @property
    def scale(self) -> float:
        return self.mean_ / self.shape

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv_ * self.mean_) ** 2

    @property
    def is_exponential(self) -> bool:
        return self.cv_ == 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape + 1.0, self.scale, size)


class Erlang(Gamma):
    """Erlang-k: the sum of k exponential phases with the given overall mean."""

    def __init__(self, mean: float, k: int) -> None:
        object.__setattr__(self, "mean_", mean)
        object.__setattr__(self, "cv_", 1.0 / math.sqrt(k))
        object.__setattr__(self, "name", "erlang")
        object.__setattr__(self, "k", k)


@dataclass(frozen=True)
class Lognormal(Distribution):
    mean_: float
    cv_: float
    name: str = field(default="lognormal", init=False)

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv_**2))

    @property
    def mu(self) -> float:
        return math.log(self.mean_) - 0.5 * self.sigma**2

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv_ * self.mean_) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # x f(x) for a lognormal is lognormal with mu shifted by sigma^2
        return rng.lognormal(self.mu + self.sigma**2, self.sigma, size)


@dataclass(frozen=True)
class Weibull(Distribution):
    """Weibull with the given mean and shape: scale = mean / Gamma(1 + 1/shape)."""

    mean_: float
    shape: float
    name: str = field(default="weibull", init=False)

    @property
    def scale(self) -> float:
        return self.mean_ / math.gamma(1.0 + 1.0 / self.shape)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        g1 = math.gamma(1.0 + 1.0 / self.shape)
        g2 = math.gamma(1.0 + 2.0 / self.shape)
        return self.scale**2 * (g2 - g1**2)

    @property
    def is_exponential(self) -> bool:
        return self.shape == 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # with y = (x/scale)^shape, x f(x) dx is proportional to y^(1/shape) e^-y dy
        y = rng.gamma(1.0 + 1.0 / self.shape, 1.0, size)
        return self.scale * y ** (1.0 / self.shape)


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float
    name: str = field(default="uniform", init=False)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    @property
    def is_zero(self) -> bool:
        return self.high == 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # density x / (mean (high - low)); invert its cdf (x^2 - low^2) / (high^2 - low^2)
        u = rng.random(size)
        return np.sqrt(self.low**2 + u * (self.high**2 - self.low**2))


@dataclass(frozen=True)
class Empirical(Distribution):
    """A discrete distribution over observed values with optional weights."""

    values: tuple[float, ...]
    weights: tuple[float, ...]
    name: str = field(default="empirical", init=False)

    @property
    def _p(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self._p, self.values))

    @property
    def variance(self) -> float:
        v = np.asarray(self.values)
        return float(np.dot(self._p, (v - self.mean) ** 2))

    @property
    def is_zero(self) -> bool:
        return all(v == 0.0 for v in self.values)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self._p)

    def sample_length_biased(self, rng: np.random.Generator, size: int) -> np.ndarray:
        v = np.asarray(self.values, dtype=float)
        p = self._p * v
        return rng.choice(v, size=size, p=p / p.sum())


def from_spec(spec: Mapping[str, Any] | Any) -> Distribution:
    """Build a distribution from its scenario table (a dict, or a validated spec of
    :mod:`sim.config`, which builds itself with its ``build()``).

    >>> from_spec({"dist": "gamma", "mean": 2.0, "cv": 0.5}).variance
    1.0
    """
    if not isinstance(spec, Mapping):
        built: Distribution = spec.build()
        return built
    d = spec
    kind = d["dist"]
    if kind == "exponential":
        return Exponential(float(d["mean"]))
    if kind == "deterministic":
        return Deterministic(float(d["value"]))
    if kind == "gamma":
        return Gamma(float(d["mean"]), float(d["cv"]))
    if kind == "erlang":
        return Erlang(float(d["mean"]), int(d["k"]))
    if kind == "lognormal":
        return Lognormal(float(d["mean"]), float(d["cv"]))
    if kind == "weibull":
        return Weibull(float(d["mean"]), float(d["shape"]))
    if kind == "uniform":
        return Uniform(float(d["low"]), float(d["high"]))
    if kind == "empirical":
        values: Sequence[float] = d["values"]
        weights = d.get("weights") or [1.0] * len(values)
        return Empirical(tuple(map(float, values)), tuple(map(float, weights)))
    raise ValueError(f"unknown distribution {kind!r}")
