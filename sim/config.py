"""Scenario files: pydantic models, TOML loading, ``--set`` overrides, sweeps.

A scenario is a TOML file whose sections are validated by the frozen
pydantic models below; unknown keys are rejected.  Every problem a user can
cause is raised as :class:`ScenarioError`, whose message names the file, the
dotted key and the reason on one line.
"""

from __future__ import annotations

import copy
import hashlib
import io
import itertools
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.kpis import threshold_kpi

# ---------------------------------------------------------------------------
# Errors


class ScenarioError(ValueError):
    """A problem with a scenario that the user can fix.

    ``str(err)`` is one line: ``FILE: KEY: REASON``.
    """

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source, self.key, self.reason = source, key, reason
        where = f"{source}: {key}" if key else source
        super().__init__(_one_line(f"{where}: {reason}"))


def _one_line(text: str) -> str:
    """User text (keys, names) may hold line breaks or terminal escapes; the message must
    stay one plain line, so unprintable characters are shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _KeyedError(ValueError):
    """A cross-field error that knows which key it is about."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(reason)


# ---------------------------------------------------------------------------
# Field types

_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)
PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# money: bounded so that a cost per day (rates x hours x technicians) stays a finite float
Money = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

MAX_MACHINES_TOTAL = 50_000_000  # beyond this a run cannot fit in memory on one machine
MAX_REPLICATIONS = 100_000
MAX_TECHNICIANS_TOTAL = 1_000_000
MAX_UNITS_PER_CALL = 10_000  # mean units of one part a call needs


class _Section(BaseModel):
    model_config = _STRICT


def _printable(name: str) -> str:
    """Names end up in table cells, folder names and terminal lines: a control character
    (line break, carriage return, ESC...) would split a CSV row or drive the terminal."""
    bad = next((c for c in name if not c.isprintable()), None)
    if bad is not None:
        raise ValueError(f"contains the control character {bad!r}; use printable characters only")
    return name


#: the ``class`` value of the overall rows in every table: no service class may take it
RESERVED_CLASS_NAMES = ("all",)


def _not_reserved(name: str) -> str:
    if name.strip().lower() in RESERVED_CLASS_NAMES:
        raise ValueError(f"{name!r} is reserved (the tables' overall rows); choose another class name")
    return name


def _name(max_length: int) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(_printable)]


# ---------------------------------------------------------------------------
# Distributions (inline tables: { dist = "gamma", mean = 2.0, cv = 0.5 })


class _DistSection(_Section):
    """A distribution's table: its parameters are checked to give finite, representable
    moments here, at load time, rather than an overflow or a division by zero in a worker."""

    @model_validator(mode="after")
    def _representable(self) -> _DistSection:
        problem = distribution_problem(self)
        if problem:
            raise ValueError(problem)
        return self


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


class DeterministicSpec(_DistSection):
    dist: Literal["deterministic"]
    value: NonNegFloat


class GammaSpec(_DistSection):
    dist: Literal["gamma"]
    mean: PosFloat
    cv: PosFloat


class ErlangSpec(_DistSection):
    dist: Literal["erlang"]
    mean: PosFloat
    k: Annotated[int, Field(ge=1, le=10_000)]


class LognormalSpec(_DistSection):
    dist: Literal["lognormal"]
    mean: PosFloat
    cv: PosFloat


class WeibullSpec(_DistSection):
    dist: Literal["weibull"]
    mean: PosFloat
    shape: Annotated[float, Field(gt=0.05, le=100, allow_inf_nan=False)]


class UniformSpec(_DistSection):
    dist: Literal["uniform"]
    low: NonNegFloat
    high: PosFloat

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


# ---------------------------------------------------------------------------
# Sections


class Meta(_Section):
    name: _name(120) = "scenario"  # type: ignore[valid-type]
    description: Annotated[str, Field(max_length=5000)] = ""


class Run(_Section):
    """Length and replication of the runs."""

    horizon_h: PosFloat = 40_000.0
    # "auto": MSER-5 on a pilot of each design point (capped at half the run)
    warmup_h: NonNegFloat | Literal["auto"] = 2_000.0

    @field_validator("warmup_h", mode="before")
    @classmethod
    def _hours_or_auto(cls, value: Any) -> Any:
        ok = value == "auto" or (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        )
        if not ok:
            raise ValueError(f'must be a number of hours >= 0, or "auto" (got {value!r})')
        return value

    # > 0 with one replication: batch means over this many batches of the horizon
    batches: Annotated[int, Field(ge=0, le=1000)] = 0
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 10
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 20261129


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class Shift(_Section):
    """Weekly working hours, e.g. Monday-Friday 08:00-17:00 (the clock starts Monday 00:00)."""

    days: Annotated[list[Weekday], Field(min_length=1)]
    start: Annotated[str, Field(pattern=_CLOCK)]
    end: Annotated[str, Field(pattern=_CLOCK)]


class Calendar(_Section):
    """Working hours.  Without ``shifts`` the clock is continuous: every hour is working
    time, as the textbook formulas assume."""

    hours_per_day: Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)] = 8.0
    shifts: list[Shift] = Field(default_factory=list)  # technicians' working hours
    wip: Literal["overtime", "resume"] = "overtime"  # a job running at shift end
    customer_hours: list[Shift] | None = None  # default: the shifts
    breakdowns: Literal["always", "customer_hours"] = "always"
    sla_clock: Literal["wall", "business"] = "wall"  # business: SLA counts customer hours only

    @model_validator(mode="after")
    def _working_hours(self) -> Calendar:
        from sim.calendar import WeeklyCalendar

        for key, shifts in (
            ("calendar.shifts", self.shifts),
            ("calendar.customer_hours", self.customer_hours or []),
        ):
            try:
                if shifts:
                    WeeklyCalendar.from_shifts((s.days, s.start, s.end) for s in shifts)
            except ValueError as exc:
                raise _KeyedError(key, str(exc)) from None
        needs_hours = self.breakdowns == "customer_hours" or self.sla_clock == "business"
        if needs_hours and not (self.customer_hours or self.shifts):
            raise _KeyedError(
                "calendar.customer_hours",
                "customer hours are needed for breakdowns = 'customer_hours' or sla_clock = 'business'",
            )
        if self.customer_hours is not None and not self.customer_hours:
            raise _KeyedError("calendar.customer_hours", "no working hours given")
        return self

    def technician_calendar(self) -> Any:
        """The shifts as a :class:`sim.calendar.WeeklyCalendar`, or ``None`` if continuous."""
        from sim.calendar import WeeklyCalendar

        if not self.shifts:
            return None
        return WeeklyCalendar.from_shifts((s.days, s.start, s.end) for s in self.shifts)

    def customer_calendar(self) -> Any:
        from sim.calendar import WeeklyCalendar

        shifts = self.customer_hours or self.shifts
        if not shifts:
            return None
        return WeeklyCalendar.from_shifts((s.days, s.start, s.end) for s in shifts)

    @property
    def day_length_h(self) -> float:
        """Clock hours per working day, for ``calls_per_day``: ``hours_per_day`` on the
        continuous clock; with shifts, a week over its number of working days."""
        if not self.shifts:
            return self.hours_per_day
        days = {d for s in self.shifts for d in s.days}
        return 168.0 / len(days)


class ServiceClass(_Section):
    name: Annotated[_name(60), AfterValidator(_not_reserved)]  # type: ignore[valid-type]
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    priority: Annotated[int, Field(ge=1, le=1000)] | None = None
    sla_h: PosFloat | None = None
    penalty: Money | None = None  # money per call that breaks the SLA (else costs.sla_penalty)


def _default_classes() -> list[ServiceClass]:
    return [ServiceClass(name="standard", share=1.0, priority=1)]


class Fleet(_Section):
    machines: Annotated[int, Field(ge=1, le=MAX_MACHINES_TOTAL)] | None = None
    time_to_failure_h: DistSpec | None = None
    calls_per_h: PosFloat | None = None
    classes: Annotated[list[ServiceClass], Field(min_length=1)] = Field(default_factory=_default_classes)

    @model_validator(mode="after")
    def _one_source(self) -> Fleet:
        finite = self.machines is not None or self.time_to_failure_h is not None
        if finite and self.calls_per_h is not None:
            raise ValueError(
                "give either machines + time_to_failure_h (finite fleet) or calls_per_h "
                "(Poisson calls), not both"
            )
        if not finite and self.calls_per_h is None:
            raise ValueError("give machines + time_to_failure_h, or calls_per_h")
        if finite and (self.machines is None or self.time_to_failure_h is None):
            missing = "machines" if self.machines is None else "time_to_failure_h"
            raise ValueError(f"a finite fleet needs {missing} too")
        if self.time_to_failure_h is not None and spec_mean(self.time_to_failure_h) <= 0:
            raise ValueError("time_to_failure_h must have a positive mean")
        names = [c.name for c in self.classes]
        if len(set(names)) != len(names):
            raise _KeyedError("fleet.classes", f"class names must be unique, got {names}")
        total = math.fsum(c.share for c in self.classes)
        if abs(total - 1.0) > 1e-9:
            raise _KeyedError("fleet.classes", f"class shares must sum to 1, they sum to {total:g}")
        return self

    @property
    def finite(self) -> bool:
        return self.machines is not None


class Territories(_Section):
    count: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    technicians: Annotated[int, Field(ge=1, le=10_000)] = 1
    pooled: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    # geography (used when travel.mode = "geometry"): each territory is a rectangle,
    # machines uniform in it, technicians based at its centre
    width_km: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] | None = None
    height_km: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] | None = None
    # machine locations from a CSV (columns territory, x_km, y_km; km within the territory,
    # one row per machine, territories in order) instead of uniform; a relative path is
    # read from the scenario file's folder
    locations_csv: Annotated[str, Field(min_length=1)] | None = None
    # unequal territories: one relative size per territory of a team (every team alike).
    # A team's calls (or machines) are shared out in these proportions; its total stays
    # fleet.calls_per_h (or fleet.machines) x pooled. Real counts work as weights: set
    # fleet.machines to their mean.
    weights: Annotated[list[PosFloat], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _teams_divide(self) -> Territories:
        if self.count % self.pooled:
            raise _KeyedError(
                "territories.pooled",
                f"pooled ({self.pooled}) must divide count ({self.count}): every team pools "
                "the same number of territories",
            )
        if self.weights is not None and len(self.weights) != self.pooled:
            raise _KeyedError(
                "territories.weights",
                f"needs one weight per territory of a team ({self.pooled}), got {len(self.weights)}",
            )
        return self

    @property
    def teams(self) -> int:
        return self.count // self.pooled

    @property
    def multipliers(self) -> list[float]:
        """Each territory's share of its team's load relative to an equal split (mean 1)."""
        if self.weights is None:
            return [1.0] * self.pooled
        total = math.fsum(self.weights)
        return [w * self.pooled / total for w in self.weights]

    def machines_of(self, machines: int) -> list[int]:
        """Machines in each territory of a team, for ``machines`` per territory on average."""
        return [round(machines * m) for m in self.multipliers]


class Travel(_Section):
    """Travel: a time distribution (default), or geometry (distance / speed)."""

    mode: Literal["time", "geometry"] = "time"
    time_h: DistSpec = DeterministicSpec(dist="deterministic", value=0.0)
    # geometry mode
    metric: Literal["euclidean", "rectilinear"] = "euclidean"
    circuity: Annotated[float, Field(ge=1, le=5, allow_inf_nan=False)] = 1.0
    speed_kmh: Annotated[float, Field(ge=0.001, allow_inf_nan=False)] = 40.0  # (a slower one overflows trips)
    noise_h: DistSpec | None = None  # added to every trip (e.g. parking, finding the site)
    return_to_base: bool = False  # after each job the technician drives back to base (busy)
    # the trip of a technician who was idle, from base; time_h is then the trip of one who
    # goes straight on from the last job (time mode)
    from_base_h: DistSpec | None = None
    # geometry mode: a technician left without work waits at base (the drive home is idle
    # time), so a trip starts from base after idleness and from the last job otherwise
    idle_at_base: bool = False

    @model_validator(mode="after")
    def _trip_kinds(self) -> Travel:
        if self.from_base_h is not None and self.mode != "time":
            raise _KeyedError("travel.from_base_h", "only with travel.mode = 'time' (use idle_at_base)")
        if self.idle_at_base and (self.mode != "geometry" or self.return_to_base):
            raise _KeyedError(
                "travel.idle_at_base", "only with travel.mode = 'geometry' and return_to_base = false"
            )
        return self


class Repair(_Section):
    time_h: DistSpec = ExponentialSpec(dist="exponential", mean=2.0)

    @model_validator(mode="after")
    def _positive(self) -> Repair:
        if spec_mean(self.time_h) <= 0:
            raise ValueError("time_h must have a positive mean")
        return self


class Dispatch(_Section):
    """Which waiting call a free technician takes, and which free technician a new call gets.

    ``preference``: for each territory of a team, the team's technicians in the order they
    are tried (Larson's hypercube); by default a territory's own technicians first, then
    the others by distance between territory centres.
    """

    policy: Literal["fifo", "priority", "nearest", "earliest_due", "preference"] = "fifo"
    preference: list[list[Annotated[int, Field(ge=0)]]] | None = None
    record_decisions: bool = False  # keep (rule, candidates, choice) of every dispatch


class Report(_Section):
    wait_thresholds_h: list[PosFloat] = Field(default_factory=lambda: [2.0, 8.0])

    @model_validator(mode="after")
    def _distinct(self) -> Report:
        # each threshold is a KPI column named by its value: two with one name would clash
        seen: dict[str, float] = {}
        for i, t in enumerate(self.wait_thresholds_h):
            name = threshold_kpi(t)
            if name in seen:
                raise _KeyedError(
                    f"report.wait_thresholds_h[{i}]",
                    f"{t!r} gives the KPI name {name} of {seen[name]!r} already listed; "
                    "list each threshold once (and distinguishable to 6 significant digits)",
                )
            seen[name] = t
        return self


class Costs(_Section):
    """Money for ``cost_per_day`` and ``cost_per_call``, in one currency: `currency`
    (e.g. "EUR", "¥") is only a label for the terminal and the report.  With
    ``downtime_per_machine_h``, the finite-source total cost (technicians + machines down)."""

    currency: Annotated[str, Field(max_length=12, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""  # e.g. "EUR", "¥"

    technician_per_h: Money = 0.0  # wage per working hour
    technician_per_year: Money = 0.0  # or per year (both add up)
    added_technician_per_year: Money = 0.0  # training, facilities... per technician-year
    working_days_per_year: Annotated[float, Field(gt=0, le=366)] = 250.0
    travel_per_h: Money = 0.0
    sla_penalty: Money = 0.0  # per call whose response broke its SLA
    # lost production per machine-hour down (finite-source cost model: staff + downtime)
    downtime_per_machine_h: Money = 0.0


_TARGET = re.compile(
    r"^\s*(?P<kpi>[A-Za-z_][A-Za-z0-9_.]*)(?:\[(?P<cls>[^\]]+)\])?\s*(?P<op><=|>=)\s*"
    r"(?P<bound>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


@dataclass(frozen=True)
class Target:
    """A bound on one KPI of one service class: ``wait_h <= 2``, ``sla_met[contract] >= 0.95``.

    Met "with confidence" when the whole confidence interval of the simulated mean lies
    on the right side of the bound.
    """

    kpi: str
    service_class: str  # "all" for every call
    op: str  # "<=" or ">="
    bound: float

    def __str__(self) -> str:
        cls = "" if self.service_class == "all" else f"[{self.service_class}]"
        return f"{self.kpi}{cls} {self.op} {self.bound:g}"

    def holds(self, low: float, high: float) -> bool:
        """Met with confidence: the whole interval ``[low, high]`` is on the right side."""
        return high <= self.bound if self.op == "<=" else low >= self.bound

    def fails(self, low: float, high: float) -> bool:
        """Missed with confidence: the whole interval is on the wrong side."""
        return low > self.bound if self.op == "<=" else high < self.bound

    def verdict(self, low: float, high: float) -> str:
        """``yes``, ``no``, ``not distinguishable`` (the interval straddles the bound) or ``?``."""
        if math.isnan(low) or math.isnan(high):
            return "?"
        if self.holds(low, high):
            return "yes"
        return "no" if self.fails(low, high) else "not distinguishable"

    def as_dict(self) -> dict[str, Any]:
        """The manifest's form: ``{"kpi", "class", "op", "bound", "text"}``."""
        return {
            "kpi": self.kpi,
            "class": self.service_class,
            "op": self.op,
            "bound": self.bound,
            "text": str(self),
        }


def parse_target(text: str) -> Target:
    """Read ``KPI[CLASS] <= X`` or ``KPI >= X``; ``ValueError`` with the reason otherwise."""
    m = _TARGET.match(text)
    if not m:
        raise ValueError(f"cannot read {text!r} (expected e.g. 'wait_h <= 2' or 'sla_met[contract] >= 0.95')")
    bound = float(m["bound"])
    if not math.isfinite(bound):
        raise ValueError(f"{text!r}: the bound must be a finite number")
    return Target(m["kpi"], (m["cls"] or "all").strip(), m["op"], bound)


class Targets(_Section):
    """The service organisation's own targets.  They decide the "target met?" column of
    the summary, the recommendation, the report's lines and stars, and the default goal
    of ``optimize`` and ``select``.  A scenario without ``[targets]`` is judged against
    nothing.

    ```toml
    [targets]
    require = ["wait_h <= 2", "sla_met[contract] >= 0.95"]
    minimize = "cost_per_day"
    ```

    `require` lists bounds `KPI <= X` or `KPI >= X` on the mean of a KPI, for all calls
    or for one service class in brackets.  A design *meets* a bound when the whole 95 %
    confidence interval is on its side, *misses* it when the whole interval is on the
    other side, and is *not distinguishable* otherwise.  `minimize` (or `maximize`) names
    the KPI that ranks the designs meeting every bound: the best of them is recommended.
    Every KPI named must be one the scenario produces (cost KPIs need `[costs]`,
    `p_wait_gt_Xh` needs X in `report.wait_thresholds_h`).
    """

    require: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list)
    minimize: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    maximize: Annotated[str, Field(min_length=1, max_length=80)] | None = None

    @model_validator(mode="after")
    def _readable(self) -> Targets:
        for i, text in enumerate(self.require):
            try:
                parse_target(text)
            except ValueError as exc:
                raise _KeyedError(f"targets.require[{i}]", str(exc)) from None
        if self.minimize is not None and self.maximize is not None:
            raise _KeyedError("targets.maximize", "give either minimize or maximize, not both")
        return self

    @property
    def constraints(self) -> list[Target]:
        """The requirements, parsed."""
        return [parse_target(t) for t in self.require]

    @property
    def objective(self) -> tuple[str, bool] | None:
        """``(kpi, minimize)`` or ``None`` when the targets name no objective."""
        if self.minimize is not None:
            return self.minimize, True
        if self.maximize is not None:
            return self.maximize, False
        return None


class StockPolicy(_Section):
    """Replenishment of one part type at one location: base stock (S-1, S), or (s, S)."""

    policy: Literal["base_stock", "sS"] = "base_stock"
    S: Annotated[int, Field(ge=0, le=1_000_000)]
    s: Annotated[int, Field(ge=-1, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _levels(self) -> StockPolicy:
        if self.policy == "sS":
            if self.s is None:
                raise ValueError("an (s, S) policy needs s (the reorder point)")
            if self.s >= self.S:
                raise ValueError(f"s ({self.s}) must be smaller than S ({self.S})")
        elif self.s is not None:
            raise ValueError("s is only for policy = 'sS'")
        return self


class PartType(_Section):
    name: _name(60)  # type: ignore[valid-type]
    p_need: Probability  # probability that a call needs this part (independent per type)
    quantity: DistSpec | None = None  # units when needed (rounded up, at least 1); default 1
    unit_cost: Money = 0.0
    van: StockPolicy | None = None  # default: no van stock (S = 0)
    depot: StockPolicy | None = None  # default: the depot carries none (S = 0)


class Parts(_Section):
    """Spare parts: what calls need, where stock is kept, what happens on a shortage."""

    types: Annotated[list[PartType], Field(min_length=1)]
    shortage: Literal["wait", "revisit", "emergency"] = "wait"
    supplier_lead_time_h: DistSpec = ExponentialSpec(dist="exponential", mean=72.0)
    depot_to_van_h: DistSpec = DeterministicSpec(dist="deterministic", value=24.0)
    use_depot: bool = True  # False: vans are replenished straight from the supplier
    shared_depot: bool = False  # one depot for all teams instead of one per team
    emergency_h: DistSpec = DeterministicSpec(dist="deterministic", value=4.0)
    emergency_cost: Money = 0.0
    failed_visit_h: DistSpec = DeterministicSpec(dist="deterministic", value=0.5)
    revisit_first: bool = True  # a revisit goes to the front of the line
    # under dispatch.policy = "priority": the priority revisits wait at (1 = first), instead
    # of the front of their own class's line
    revisit_priority: Annotated[int, Field(ge=1, le=1000)] | None = None
    # reserve (take, or backorder) the units from the van when the call is logged, so that a
    # shortage starts being resolved before the technician arrives; needs one technician
    # per team (the van is then known)
    reservation: bool = False
    p_other_failure: Probability = 0.0  # per visit: diagnosis or skills, leading to a revisit
    holding_cost_per_unit_year: Money = 0.0

    @model_validator(mode="after")
    def _unique(self) -> Parts:
        names = [t.name for t in self.types]
        if len(set(names)) != len(names):
            raise _KeyedError("parts.types", f"part names must be unique, got {names}")
        for i, t in enumerate(self.types):
            if t.quantity is not None and spec_mean(t.quantity) <= 0:
                raise _KeyedError(f"parts.types[{i}].quantity", "must have a positive mean")
            if t.quantity is not None and spec_mean(t.quantity) > MAX_UNITS_PER_CALL:
                raise _KeyedError(
                    f"parts.types[{i}].quantity",
                    f"a mean of {spec_mean(t.quantity):g} units per call is above the limit of "
                    f"{MAX_UNITS_PER_CALL:,} (stock levels are at most 1,000,000)",
                )
        return self


class Validation(_Section):
    """Marks a scenario as a validation case for ``run_sim.py validate``."""

    kpis: list[str] = Field(default_factory=list)  # checked against exact formulas
    # checked against approximations: |mean - formula| <= tolerance x formula + half-width
    approximate_kpis: list[str] = Field(default_factory=list)
    approx_tolerance: Annotated[float, Field(gt=0, le=1)] = 0.05
    max_rel_half_width: Annotated[float, Field(gt=0, le=1)] = 0.05
    # for KPIs whose exact value is 0 (identities), the half-width must be below this
    max_abs_half_width: PosFloat = 0.01
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.99

    @model_validator(mode="after")
    def _something(self) -> Validation:
        if not self.kpis and not self.approximate_kpis:
            raise ValueError("list kpis (exact formulas) or approximate_kpis to check")
        return self


class Variant(_Section):
    """A named set of overrides (e.g. one option under study), combined with the sweep grid."""

    name: _name(80)  # type: ignore[valid-type]
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class Scenario(_Section):
    meta: Meta = Meta()
    run: Run = Run()
    calendar: Calendar = Calendar()
    fleet: Fleet
    territories: Territories = Territories()
    travel: Travel = Travel()
    repair: Repair = Repair()
    dispatch: Dispatch = Dispatch()
    report: Report = Report()
    costs: Costs | None = None
    parts: Parts | None = None
    targets: Targets | None = None
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    variants: list[Variant] = Field(default_factory=list)
    validation: Validation | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        terr, travel, policy = self.territories, self.travel, self.dispatch.policy
        if travel.mode == "geometry" and (terr.width_km is None or terr.height_km is None):
            missing = "width_km" if terr.width_km is None else "height_km"
            raise _KeyedError(
                f"territories.{missing}",
                "travel.mode = 'geometry' needs the territory size (width_km and height_km)",
            )
        if terr.locations_csv is not None and (travel.mode != "geometry" or self.fleet.machines is None):
            raise _KeyedError(
                "territories.locations_csv",
                "needs travel.mode = 'geometry' and a finite fleet (fleet.machines)",
            )
        if terr.weights is not None and self.fleet.machines is not None:
            counts = [self.fleet.machines * m for m in terr.multipliers]
            if any(abs(c - round(c)) > 1e-6 or round(c) < 1 for c in counts):
                raise _KeyedError(
                    "territories.weights",
                    f"fleet.machines x pooled x weight / sum of weights must be whole numbers >= 1 "
                    f"(got {', '.join(f'{c:g}' for c in counts)}); e.g. give the machine counts as "
                    "weights and their mean as fleet.machines",
                )
            if terr.locations_csv is not None:
                raise _KeyedError("territories.weights", "not with locations_csv (equal territories only)")
        if travel.mode == "geometry" and travel.time_h != Travel.model_fields["time_h"].default:
            raise _KeyedError(
                "travel.time_h",
                "is not used in travel.mode = 'geometry' (trips take distance / speed_kmh); remove "
                "it, or give the extra time per trip as travel.noise_h",
            )
        if policy == "nearest" and travel.mode != "geometry":
            raise _KeyedError("dispatch.policy", "'nearest' needs travel.mode = 'geometry' (distances)")
        pref = self.dispatch.preference
        if pref is not None:
            if policy != "preference":
                raise _KeyedError("dispatch.preference", "only with dispatch.policy = 'preference'")
            team = terr.technicians * terr.pooled
            if len(pref) != terr.pooled:
                raise _KeyedError(
                    "dispatch.preference",
                    f"needs one list per territory of a team ({terr.pooled}), got {len(pref)}",
                )
            for i, order in enumerate(pref):
                bad = [t for t in order if t >= team]
                if bad:
                    raise _KeyedError(
                        f"dispatch.preference[{i}]",
                        f"technician {bad[0]} does not exist (a team has technicians 0..{team - 1})",
                    )
                if sorted(order) != list(range(team)):
                    raise _KeyedError(
                        f"dispatch.preference[{i}]",
                        f"must list each of the team's {team} technicians once, got {order}",
                    )
        if self.run.batches and self.run.batches < 10:
            raise _KeyedError("run.batches", "use at least 10 batches (or 0 for none)")
        if self.run.batches and self.run.replications != 1:
            raise _KeyedError(
                "run.batches",
                "batch means are for a single long run: set run.replications = 1 (or batches = 0)",
            )
        if (
            self.parts is not None
            and self.parts.revisit_priority is not None
            and (policy != "priority" or not self.parts.revisit_first)
        ):
            raise _KeyedError(
                "parts.revisit_priority",
                "only with dispatch.policy = 'priority' (and revisit_first = true)",
            )
        if self.parts is not None and self.parts.reservation and terr.technicians * terr.pooled > 1:
            raise _KeyedError(
                "parts.reservation",
                "needs one technician per team (whose van is known when the call is logged)",
            )
        if policy == "earliest_due" and all(c.sla_h is None for c in self.fleet.classes):
            raise _KeyedError(
                "fleet.classes", "dispatch.policy = 'earliest_due' needs an sla_h on at least one class"
            )
        if self.dispatch.policy == "priority":
            for i, c in enumerate(self.fleet.classes):
                if c.priority is None:
                    raise _KeyedError(
                        f"fleet.classes[{i}].priority",
                        f"class {c.name!r} needs a priority under dispatch.policy = 'priority'",
                    )
        if self.targets is not None:
            names = [c.name for c in self.fleet.classes]
            for i, t in enumerate(self.targets.constraints):
                if t.service_class != "all" and t.service_class not in names:
                    raise _KeyedError(
                        f"targets.require[{i}]",
                        f"no service class {t.service_class!r} (classes: {', '.join(names)})",
                    )
        technicians = self.territories.technicians * self.territories.count
        if technicians > MAX_TECHNICIANS_TOTAL:
            raise _KeyedError(
                "territories.technicians",
                f"{technicians:,} technicians in all exceeds the limit of {MAX_TECHNICIANS_TOTAL:,}",
            )
        if self.fleet.machines is not None:
            total = self.fleet.machines * self.territories.count
            if total > MAX_MACHINES_TOTAL:
                raise _KeyedError(
                    "fleet.machines",
                    f"{total:,} machines in all exceeds the limit of {MAX_MACHINES_TOTAL:,}",
                )
        return self

    # -- derived quantities ------------------------------------------------

    @property
    def preference_lists(self) -> list[list[int]]:
        """Each territory's technicians in dispatch order (team-local numbers)."""
        t = self.territories
        return self.dispatch.preference or default_preference(t.pooled, t.technicians)

    @property
    def wait_kpi_names(self) -> list[str]:
        return [threshold_kpi(t) for t in self.report.wait_thresholds_h]

    def config_hash(self) -> str:
        """8 hex characters identifying the resolved scenario."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


def team_grid(pooled: int) -> tuple[int, int]:
    """(columns, rows) of a team's territories: as square as the team size allows.

    rows = the largest divisor of ``pooled`` not above its square root.
    """
    rows = max(d for d in range(1, math.isqrt(pooled) + 1) if pooled % d == 0)
    return pooled // rows, rows


def default_preference(pooled: int, technicians: int) -> list[list[int]]:
    """For each territory of a team: its own technicians, then the others by distance
    between territory centres on the team's grid (nearer first, then by number)."""
    cols, _ = team_grid(pooled)

    def gap(a: int, b: int) -> float:
        return math.hypot(a % cols - b % cols, a // cols - b // cols)

    return [
        [
            t * technicians + i
            for t in sorted(range(pooled), key=lambda t: (gap(j, t), t))
            for i in range(technicians)
        ]
        for j in range(pooled)
    ]


def check_target_kpis(scenario: Scenario, known: Sequence[str], source: str) -> None:
    """Every KPI in ``[targets]`` is one the scenario produces (``known``: its KPI names).

    Raises
    ------
    ScenarioError
        Naming ``targets.require[i]``, ``targets.minimize`` or ``targets.maximize``.
    """
    targets = scenario.targets
    if targets is None:
        return

    def hint(kpi: str) -> str:
        if kpi.startswith("cost") and scenario.costs is None:
            return "; cost KPIs need a [costs] section"
        if kpi.startswith("p_wait_gt_"):
            return "; list its threshold in report.wait_thresholds_h"
        return f"; known: {', '.join(known)}"

    for i, t in enumerate(targets.constraints):
        if t.kpi not in known:
            raise ScenarioError(source, f"targets.require[{i}]", f"unknown KPI {t.kpi!r}{hint(t.kpi)}")
    for key in ("minimize", "maximize"):
        kpi = getattr(targets, key)
        if kpi is not None and kpi not in known:
            raise ScenarioError(source, f"targets.{key}", f"unknown KPI {kpi!r}{hint(kpi)}")


# ---------------------------------------------------------------------------
# Loading


def _format_loc(loc: Sequence[Any], value: Any = None) -> str:
    parts: list[str] = []
    last = len(loc) - 1
    for i, item in enumerate(loc):
        # pydantic inserts the tag of a distribution's union member: not a key the user wrote
        # (when last, the failing value is that distribution's own table)
        tag = item in DIST_KINDS and (i < last or (isinstance(value, dict) and value.get("dist") == item))
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif tag or (
            str(item).startswith(
                ("function-", "constrained-", "literal[", "int", "float", "str", "bool", "list[", "dict[")
            )
            and i == last
            and parts
        ):
            continue  # the type pydantic tried in a union, not a key
        else:
            parts.append(str(item))
    return ".".join(parts)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    errors = exc.errors(include_url=False)
    # a misspelt key explains the "missing" error it causes: report it first
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _KeyedError):
        return ctx_error.key, ctx_error.reason
    key = _format_loc(err["loc"], err.get("input"))
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see docs/scenario_reference.md)"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown distribution {err['input'].get('dist')!r}; use one of {', '.join(DIST_KINDS)}"
    elif err["type"] == "union_tag_not_found":
        msg = "a distribution needs a 'dist' key"
    elif (
        "input" in err
        and err["type"] not in ("missing",)
        and "(got " not in msg
        and not isinstance(err["input"], dict | list)
    ):
        got = repr(err["input"])
        msg = f"{msg} (got {got if len(got) <= 80 else got[:77] + '...'})"
    more = len(errors) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return key, msg


def validate_scenario(raw: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a raw scenario dict; raise :class:`ScenarioError` on any problem."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        key, reason = _first_error(exc)
        raise ScenarioError(source, key, reason) from None
    for key, values in scenario.sweep.items():
        _check_sweep_key(raw, key, values, source)
    names = [v.name for v in scenario.variants]
    if len(set(names)) != len(names):
        raise ScenarioError(source, "variants", f"variant names must be unique, got {names}")
    for i, variant in enumerate(scenario.variants):
        _check_variant(raw, i, variant, source)
    _check_no_undoing(scenario, source)
    return scenario


# Precedence of the ways to change a key (docs/scenario_reference.md, "Overrides"): the
# file, then --set, then a variant's ``set``, then the sweep.  A later change may refine an
# earlier one (sweep ``repair.time_h.cv`` of a distribution a variant sets), but one that
# replaces it (the same key, or a table that holds it) would silently undo it: points
# labelled differently would run the same scenario.  Those are refused.


def _covers(outer: str, inner: str) -> bool:
    """Setting ``outer`` replaces ``inner``: the same key, or a table that holds it."""
    return inner == outer or inner.startswith(outer + ".")


def _check_no_undoing(scenario: Scenario, source: str) -> None:
    keys = list(scenario.sweep)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if _covers(a, b) or _covers(b, a):
                raise ScenarioError(
                    source,
                    f"sweep.{b}",
                    f"overlaps sweep.{a}: one would overwrite the other; sweep one of them",
                )
    for i, variant in enumerate(scenario.variants):
        vkeys = list(variant.set)
        for j, a in enumerate(vkeys):
            for b in vkeys[j + 1 :]:
                if _covers(a, b) or _covers(b, a):
                    raise ScenarioError(
                        source,
                        f"variants[{i}].set.{b}",
                        f"overlaps {a} in the same variant; set the value once",
                    )
        for a in vkeys:
            for b in keys:
                if _covers(b, a):
                    raise ScenarioError(
                        source,
                        f"sweep.{b}",
                        f"would undo variants[{i}] ({variant.name})'s {a}: every variant would run "
                        "the swept values; sweep a key the variants do not set (or a part of it)",
                    )


def check_overrides(overrides: Sequence[str], scenario: Scenario, source: str) -> None:
    """Refuse ``--set`` overrides that a later ``--set``, a variant or the sweep (the file's
    and ``--sweep``'s) would undo; see the precedence above."""
    keys = [parse_override(t, source)[0] for t in overrides]
    for i, a in enumerate(keys):
        if a.split(".")[0] in ("sweep", "variants"):
            continue
        for b in keys[i + 1 :]:
            if _covers(b, a):
                raise ScenarioError(source, f"--set {b}", f"undoes the earlier --set {a}; give it once")
        for v in scenario.variants:
            for b in v.set:
                if _covers(b, a):
                    raise ScenarioError(
                        source,
                        f"--set {a}",
                        f"would be undone by variant {v.name!r}, which sets {b}; change the variant",
                    )
        for b in scenario.sweep:
            if _covers(b, a):
                raise ScenarioError(
                    source, f"--set {a}", f"would be undone by the sweep of {b}; change the sweep instead"
                )


def _get_dotted(node: Any, key: str) -> Any:
    for part in key.split("."):
        if isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(key)
    return node


def _ran_with(label: Any, actual: Any) -> bool:
    """The label's values are those of the run (a table label may leave defaults out)."""
    if isinstance(label, dict):
        return isinstance(actual, dict) and all(
            k in actual and _ran_with(v, actual[k]) for k, v in label.items()
        )
    if isinstance(label, list):
        return (
            isinstance(actual, list)
            and len(label) == len(actual)
            and all(_ran_with(a, b) for a, b in zip(label, actual, strict=True))
        )
    if isinstance(label, bool) or isinstance(actual, bool):
        return label is actual
    return bool(label == actual)


#: a scenario file larger than this is refused (the largest real ones are a few kB)
MAX_SCENARIO_BYTES = 10_000_000


def read_limited(path: str | Path, limit: int, source: str, key: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else :class:`ScenarioError`.

    A device (``/dev/zero``), a FIFO or a socket is refused before it is opened, so
    reading never blocks and never fills the memory; a symlink loop, a missing file
    and a folder each get their own message.
    """
    import errno
    import stat

    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ScenarioError(source, key, f"{path}: no such file" if key else "no such file") from None
    except OSError as exc:
        loop = exc.errno == errno.ELOOP
        why = "a symbolic link loop (a link that leads back to itself)" if loop else "cannot read"
        why += "" if loop else f": {exc.strerror}"
        raise ScenarioError(source, key, f"{path}: {why}" if key else why) from None
    what = (
        "is a directory, not a file"
        if stat.S_ISDIR(st.st_mode)
        else None
        if stat.S_ISREG(st.st_mode)
        else "is not a regular file (a device, FIFO or socket); give a file"
    )
    if what:
        if stat.S_ISDIR(st.st_mode) and not key:
            what = "is a directory, not a scenario file"
        raise ScenarioError(source, key, f"{path} {what}" if key else what)
    if st.st_size > limit:
        raise ScenarioError(
            source, key, f"{f'{path}: ' if key else ''}{st.st_size:,} bytes is above the limit of {limit:,}"
        )
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)  # the file may have grown since stat
    except OSError as exc:
        raise ScenarioError(source, key, f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise ScenarioError(source, key, f"more than {limit:,} bytes")
    return data


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into :class:`ScenarioError`."""
    source = str(path)
    data = read_limited(path, MAX_SCENARIO_BYTES, source)
    if data.startswith(b"\xef\xbb\xbf"):
        raise ScenarioError(source, "", "starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(source, "", "not a UTF-8 text file (is it binary?)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"TOML syntax error: {exc}{_syntax_hint(text, str(exc))}") from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, or an integer too long
        raise ScenarioError(source, "", f"unreadable TOML: {type(exc).__name__}") from None


def _syntax_hint(text: str, message: str) -> str:
    """What a terse TOML error means, when we can tell: an empty list item."""
    import re

    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not m:
        return ""
    lines = text.splitlines()
    row, col = int(m[1]) - 1, int(m[2]) - 1
    if row >= len(lines):
        return ""
    before, here = lines[row][:col].rstrip(), lines[row][col : col + 1]
    if here in (",", "]") and before.endswith((",", "[")) and not (here == "]" and before.endswith("[")):
        return " (an empty list item: two commas, or a comma with no value before it)"
    return ""


def parse_override(text: str, source: str = "--set") -> tuple[str, Any]:
    """Parse ``dotted.key=value``; the value is read as TOML, else as a string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(source, f"--set {text}", "expected dotted.key=value")
    value = value.strip()
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word such as priority
    except (RecursionError, ValueError) as exc:
        raise ScenarioError(source, key, f"unreadable value ({type(exc).__name__})") from None
    return key, parsed


def set_dotted(raw: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set ``raw[a][b][c] = value`` for ``key = 'a.b.c'`` (list indices allowed)."""
    parts = key.split(".")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if isinstance(node, list):
            node = node[_list_index(node, part, key, source)]
        else:
            if part not in node:
                node[part] = [] if _is_index(nxt) else {}
            node = node[part]
        if not isinstance(node, dict | list):
            raise ScenarioError(source, key, f"{part!r} is a value, not a section")
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(node, last, key, source)] = value
    else:
        node[last] = value


def _is_index(part: str) -> bool:
    """A list index in a dotted key: ASCII digits only (``int`` takes other digits too,
    and ``str.isdigit`` takes superscripts that ``int`` refuses)."""
    return part.isascii() and part.isdigit()


def _list_index(node: list[Any], part: str, key: str, source: str) -> int:
    if not _is_index(part):
        raise ScenarioError(
            source, key, f"{part!r} is not a list index (use the digits 0-9: the item's number from 0)"
        )
    if int(part) >= len(node):
        raise ScenarioError(source, key, f"index {part!r} is out of range (list of {len(node)})")
    return int(part)


def _check_variant(raw: Mapping[str, Any], i: int, variant: Variant, source: str) -> None:
    trial = copy.deepcopy(dict(raw))
    for section in ("sweep", "variants"):
        trial.pop(section, None)
    for key, value in variant.set.items():
        if key.split(".")[0] in ("sweep", "variants", "meta", "validation"):
            raise ScenarioError(source, f"variants[{i}].set.{key}", "this section cannot be set")
        set_dotted(trial, key, value, source)
    try:
        Scenario.model_validate(trial)
    except ValidationError as exc:
        k, reason = _first_error(exc)
        raise ScenarioError(source, f"variants[{i}] ({variant.name})", f"{k}: {reason}") from None


def _check_sweep_key(raw: Mapping[str, Any], key: str, values: Sequence[Any], source: str) -> None:
    if key.split(".")[0] in ("sweep", "variants", "meta", "validation"):
        raise ScenarioError(source, f"sweep.{key}", "this section cannot be swept")
    for v in values:
        trial = copy.deepcopy(dict(raw))
        trial.pop("sweep", None)
        trial.pop("variants", None)
        set_dotted(trial, key, v, source)
        try:
            Scenario.model_validate(trial)
        except ValidationError as exc:
            k, reason = _first_error(exc)
            raise ScenarioError(source, f"sweep.{key}", f"value {v!r}: {k}: {reason}") from None


def load_raw(path: str | Path, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Read a scenario file and apply ``--set`` overrides (not yet validated)."""
    raw = read_toml(path)
    for text in overrides:
        key, value = parse_override(text, str(path))
        set_dotted(raw, key, value, f"{path} (--set {key})")
    terr = raw.get("territories")
    if isinstance(terr, dict) and isinstance(terr.get("locations_csv"), str):
        # relative to the scenario file, so that the file can be run from anywhere
        terr["locations_csv"] = str((Path(path).parent / terr["locations_csv"]).resolve())
    return raw


def read_locations(scenario: Scenario, source: str = "<scenario>") -> list[tuple[float, float]]:
    """The machines' locations from ``territories.locations_csv``, checked against the
    scenario: one row per machine, territories 0, 1, ... in order, inside the territory."""
    import csv

    terr = scenario.territories
    path = terr.locations_csv
    key = "territories.locations_csv"
    assert path is not None and scenario.fleet.machines is not None
    assert terr.width_km is not None and terr.height_km is not None
    # a row is a few dozen bytes: allow 200 per machine, so a wrong or endless file
    # (/dev/zero, a FIFO, a huge log) is refused before it is read
    limit = 200 * scenario.fleet.machines * terr.count + 10_000
    data = read_limited(path, limit, source, key)
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(source, key, f"{path}: not a readable CSV ({exc})") from None
    n = scenario.fleet.machines
    if len(rows) != n * terr.count:
        raise ScenarioError(
            source,
            key,
            f"{path} has {len(rows)} rows; the scenario has "
            f"{n * terr.count} machines ({terr.count} territories x {n})",
        )
    out = []
    for i, row in enumerate(rows):
        try:
            t, x, y = int(row["territory"]), float(row["x_km"]), float(row["y_km"])
        except (KeyError, TypeError, ValueError):
            raise ScenarioError(
                source, key, f"{path} row {i + 2}: needs territory, x_km, y_km numbers"
            ) from None
        if t != i // n:
            raise ScenarioError(
                source,
                key,
                f"{path} row {i + 2}: territory {t}, expected {i // n} (rows go territory by territory)",
            )
        if not (0 <= x <= terr.width_km and 0 <= y <= terr.height_km):
            raise ScenarioError(
                source,
                key,
                f"{path} row {i + 2}: ({x:g}, {y:g}) km is outside "
                f"the {terr.width_km:g} x {terr.height_km:g} km territory",
            )
        out.append((x, y))
    return out


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, override and validate a scenario file.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, key and reason.
    """
    overrides = list(overrides)
    raw = load_raw(path, overrides)
    source = str(path) + (" (with --set)" if overrides else "")
    scenario = validate_scenario(raw, source)
    check_overrides(overrides, scenario, source)
    if scenario.territories.locations_csv is not None:
        read_locations(scenario, source)  # every problem with the file is a scenario error
    return scenario


# ---------------------------------------------------------------------------
# Sweeps


@dataclass(frozen=True)
class DesignPoint:
    """One combination of swept values.

    ``id`` is stable for a given sweep: ``dp000``, ``dp001``... in the order
    of the Cartesian product (last key varies fastest).
    """

    index: int
    params: dict[str, Any]
    scenario: Scenario

    @property
    def id(self) -> str:
        return f"dp{self.index:03d}"


def expand_sweep(scenario: Scenario, source: str = "<scenario>") -> list[DesignPoint]:
    """The design points: every variant (if any) times the Cartesian ``[sweep]`` grid.

    Ids ``dp000``, ``dp001``... follow the order variants, then the grid with
    the last key varying fastest, so they are stable for a given file.  The
    parameter columns are ``variant`` (when there are variants) and the swept keys.
    """
    base = scenario.model_dump(mode="json", exclude={"sweep", "variants"})
    keys = list(scenario.sweep)
    variants: list[Variant | None] = list(scenario.variants) or [None]
    points: list[DesignPoint] = []
    for variant in variants:
        for combo in itertools.product(*(scenario.sweep[k] for k in keys)):
            i = len(points)
            raw = copy.deepcopy(base)
            params: dict[str, Any] = {}
            if variant is not None:
                params["variant"] = variant.name
                for k, v in variant.set.items():
                    set_dotted(raw, k, v, source)
            for k, v in zip(keys, combo, strict=True):
                set_dotted(raw, k, v, source)
                params[k] = v
            where = f"{source} (design point dp{i:03d})"
            sc = validate_scenario(raw, where)
            ran = sc.model_dump(mode="json")
            for k in keys:  # every point is labelled by the values it really runs with
                try:
                    actual = _get_dotted(ran, k)
                except KeyError:
                    actual = None
                if not _ran_with(params[k], actual):
                    raise ScenarioError(where, f"sweep.{k}", f"is labelled {params[k]!r} but runs {actual!r}")
            points.append(DesignPoint(i, params, sc))
    return points


def apply_cli_sweeps(
    scenario: Scenario, sweeps: Iterable[str], source: str, overrides: Sequence[str] = ()
) -> Scenario:
    """Add ``--sweep key=v1,v2,...`` to the scenario's ``[sweep]`` (values read as TOML);
    ``overrides`` (the ``--set`` texts) are checked not to be undone by the new sweep."""
    raw = scenario.model_dump(mode="json")
    for text in sweeps:
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ScenarioError(f"{source} (--sweep)", text, "expected key=v1,v2,...")
        try:
            parsed = tomllib.loads(f"v = [{values}]")["v"]
        except tomllib.TOMLDecodeError:
            parsed = [v.strip() for v in values.split(",")]
            if "" in parsed[:-1] or (not parsed[-1] and len(parsed) == 1):
                raise ScenarioError(
                    f"{source} (--sweep)", key, f"an empty list item in {values!r} (two commas?)"
                ) from None
            parsed = [v for v in parsed if v]  # (a trailing comma is allowed, as in TOML)
        except (RecursionError, ValueError) as exc:
            why = f"unreadable values ({type(exc).__name__})"
            raise ScenarioError(f"{source} (--sweep)", key, why) from None
        raw.setdefault("sweep", {})[key] = parsed
    out = validate_scenario(raw, f"{source} (--sweep)")
    check_overrides(overrides, out, f"{source} (--sweep)")
    return out
