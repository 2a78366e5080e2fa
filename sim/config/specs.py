"""Distribution specs: the inline tables ``{ dist = "gamma", mean = 2.0, cv = 0.5 }``.

Each kind is a pydantic model; its parameters are checked at load time to give finite,
representable moments (:func:`distribution_problem`), and ``build()`` gives the
:class:`sim.distributions.Distribution` it describes (what :class:`sim.system.ServiceSystem`
holds, so that no other layer reads the table).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.config.fields import NonNegFloat, PosFloat, Section

if TYPE_CHECKING:  # (config sits below distributions at run time: built lazily)
    from sim.distributions import Distribution


class _DistSection(Section):
    """A distribution's table: its parameters are checked to give finite, representable
    moments here, at load time, rather than an overflow or a division by zero in a worker."""

    @model_validator(mode="after")
    def _representable(self) -> _DistSection:
        problem = distribution_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    def build(self) -> Distribution:
        """The distribution this table describes."""
        raise NotImplementedError


def distribution_problem(spec: Any) -> str | None:
    """Why a distribution's numbers break the arithmetic (``None`` if they do not).

    Every parameter, the mean, the variance, the second moment and the parameters the
    sampler derives (rate, shape, scale, log-mean...) must be finite, and not subnormal
    (below 2.2e-308, where precision is lost and 1/x overflows).
    """
    import warnings

    from sim.distributions import Empirical, Gamma, Lognormal, Weibull, from_spec

    tiny = 2.2250738585072014e-308  # sys.float_info.min: the smallest normal float
    weights = getattr(spec, "weights", None)
    if weights is not None and len(weights) != len(spec.values):
        return None  # the table's own check says what is wrong
    try:
        with warnings.catch_warnings():  # numpy's overflow warnings: the message says it
            warnings.simplefilter("ignore")
            checks = _moments(spec, from_spec(spec), (Empirical, Gamma, Lognormal, Weibull))
    except (OverflowError, ZeroDivisionError, ValueError):
        return (
            "its parameters are too extreme to compute with (mean, variance or the sampler's "
            "parameters overflow); use less extreme values"
        )
    for name, value in checks:
        if not math.isfinite(value):
            return f"its {name} is not a finite number (the parameters are too extreme)"
        if value != 0 and abs(value) < tiny:
            return f"its {name} ({value:g}) is too small to compute with (subnormal)"
    return None


def _moments(spec: Any, d: Any, kinds: tuple[Any, ...]) -> list[tuple[str, float]]:
    empirical, gamma, lognormal, weibull = kinds
    checks = [("mean", d.mean), ("variance", d.variance), ("second moment", d.second_moment)]
    if d.mean > 0:
        checks.append(("1 / mean", 1.0 / d.mean))
    if isinstance(d, gamma):
        checks += [("shape 1/cv^2", d.shape), ("scale", d.scale)]
    elif isinstance(d, lognormal):
        checks += [("sigma", d.sigma), ("mu", d.mu)]
    elif isinstance(d, weibull):
        checks.append(("scale", d.scale))
    elif isinstance(d, empirical):
        checks.append(("sum of weights", math.fsum(spec.weights or [1.0] * len(spec.values))))
    for name, value in spec.model_dump(exclude={"dist"}).items():
        checks += [(name, v) for v in (value if isinstance(value, list) else [value]) if isinstance(v, float)]
    return checks


class ExponentialSpec(_DistSection):
    dist: Literal["exponential"]
    mean: PosFloat

    def build(self) -> Distribution:
        from sim.distributions import Exponential

        return Exponential(float(self.mean))


class DeterministicSpec(_DistSection):
    dist: Literal["deterministic"]
    value: NonNegFloat

    def build(self) -> Distribution:
        from sim.distributions import Deterministic

        return Deterministic(float(self.value))


class GammaSpec(_DistSection):
    dist: Literal["gamma"]
    mean: PosFloat
    cv: PosFloat

    def build(self) -> Distribution:
        from sim.distributions import Gamma

        return Gamma(float(self.mean), float(self.cv))


class ErlangSpec(_DistSection):
    dist: Literal["erlang"]
    mean: PosFloat
    k: Annotated[int, Field(ge=1, le=10_000)]

    def build(self) -> Distribution:
        from sim.distributions import Erlang

        return Erlang(float(self.mean), int(self.k))


class LognormalSpec(_DistSection):
    dist: Literal["lognormal"]
    mean: PosFloat
    cv: PosFloat

    def build(self) -> Distribution:
        from sim.distributions import Lognormal

        return Lognormal(float(self.mean), float(self.cv))


class WeibullSpec(_DistSection):
    dist: Literal["weibull"]
    mean: PosFloat
    shape: Annotated[float, Field(gt=0.05, le=100, allow_inf_nan=False)]

    def build(self) -> Distribution:
        from sim.distributions import Weibull

        return Weibull(float(self.mean), float(self.shape))


class UniformSpec(_DistSection):
    dist: Literal["uniform"]
    low: NonNegFloat
    high: PosFloat

    def build(self) -> Distribution:
        from sim.distributions import Uniform

        return Uniform(float(self.low), float(self.high))

    @model_validator(mode="after")
    def _ordered(self) -> UniformSpec:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be smaller than high ({self.high:g})")
        return self


class EmpiricalSpec(_DistSection):
    dist: Literal["empirical"]
    values: Annotated[list[NonNegFloat], Field(min_length=1)]
    weights: list[PosFloat] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> EmpiricalSpec:
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(f"weights has {len(self.weights)} entries but values has {len(self.values)}")
        return self

    def build(self) -> Distribution:
        from sim.distributions import Empirical

        weights = self.weights or [1.0] * len(self.values)
        return Empirical(tuple(map(float, self.values)), tuple(map(float, weights)))


DistSpec = Annotated[
    ExponentialSpec
    | DeterministicSpec
    | GammaSpec
    | ErlangSpec
    | LognormalSpec
    | WeibullSpec
    | UniformSpec
    | EmpiricalSpec,
    Field(discriminator="dist"),
]
DIST_KINDS = (
    "exponential",
    "deterministic",
    "gamma",
    "erlang",
    "lognormal",
    "weibull",
    "uniform",
    "empirical",
)


def spec_mean(spec: Any) -> float:
    """Mean of a distribution spec (without building the distribution)."""
    if isinstance(spec, DeterministicSpec):
        return spec.value
    if isinstance(spec, UniformSpec):
        return 0.5 * (spec.low + spec.high)
    if isinstance(spec, EmpiricalSpec):
        w = spec.weights or [1.0] * len(spec.values)
        return sum(v * x for v, x in zip(spec.values, w, strict=True)) / sum(w)
    return float(spec.mean)
