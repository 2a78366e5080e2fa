"""The sections of a scenario file and :class:`Scenario`, the frozen whole.

Unknown keys are rejected; cross-field problems name their key (:class:`KeyedError`).
The documentation of every key is generated from these models (``python -m sim.scenario_doc``).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from sim.config.appointments import Appointments, check_appointments
from sim.config.complaints import Complaints, check_complaints
from sim.config.contractors import Contractor, check_contractor
from sim.config.errors import KeyedError
from sim.config.fields import (
    MAX_MACHINES_TOTAL,
    MAX_REPLICATIONS,
    MAX_TECHNICIANS_TOTAL,
    Money,
    NonNegFloat,
    PosFloat,
    Section,
    Shift,
    name_type,
    not_reserved,
)
from sim.config.helpdesk import Helpdesk, check_helpdesk
from sim.config.lifecycle import FleetLifecycle, check_lifecycle
from sim.config.milestones import check_milestones
from sim.config.parts import Parts
from sim.config.repeats import RepeatRepairs
from sim.config.satisfaction import Satisfaction, check_satisfaction
from sim.config.skills import Skills, check_skills
from sim.config.specs import DeterministicSpec, DistSpec, ExponentialSpec, spec_mean
from sim.config.targets import Targets
from sim.config.work import Work, check_work
from sim.kpis import threshold_kpi


class Meta(Section):
    name: name_type(120) = "scenario"  # type: ignore[valid-type]
    description: Annotated[str, Field(max_length=5000)] = ""


class Run(Section):
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


class Calendar(Section):
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
                raise KeyedError(key, str(exc)) from None
        needs_hours = self.breakdowns == "customer_hours" or self.sla_clock == "business"
        if needs_hours and not (self.customer_hours or self.shifts):
            raise KeyedError(
                "calendar.customer_hours",
                "customer hours are needed for breakdowns = 'customer_hours' or sla_clock = 'business'",
            )
        if self.customer_hours is not None and not self.customer_hours:
            raise KeyedError("calendar.customer_hours", "no working hours given")
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


class ServiceClass(Section):
    """A class of calls (e.g. contract, warranty) and its promises.  ``share`` is the share
    of breakdowns in the class; ``priority`` orders the classes under the priority
    discipline (1 first); ``sla_h`` is the response promise (breakdown -> technician on
    site, on the clock of ``calendar.sla_clock``; its KPI is ``sla_met``) and ``penalty``
    the money per call that breaks it.  ``restore_sla_h`` is the restored milestone
    (breakdown -> machine working again, after every visit; KPI ``restore_met``), counted
    on ``restore_clock`` (``"wall"`` or ``"business"``: customer hours only; default
    ``calendar.sla_clock``); with ``part_wait_stops_clock = true`` the hours the call waits
    for spare parts are not counted (the customer agreed to wait for them; wall clock
    only).  ``reply_sla_h`` is the reply milestone of a scenario with a ``[helpdesk]``
    (breakdown -> the helpdesk's reply; KPI ``reply_met``; default the helpdesk's
    ``reply_target_h``), counted on ``reply_clock`` (``"wall"``, the default, or
    ``"business"``: customer hours only, so a call of Friday evening answered on Monday
    morning has used none of them).  ``revenue`` and ``cost`` per call restored give the
    class's row ``revenue_per_day``, ``job_cost_per_day`` and ``margin_per_day``, as a job
    type's (e.g. a paid repair's invoice and its material).  Example::

        [[fleet.classes]]
        name = "contract"
        share = 0.4
        priority = 1
        sla_h = 4.0
        restore_sla_h = 24.0
        part_wait_stops_clock = true
    """

    name: Annotated[name_type(60), AfterValidator(not_reserved)]  # type: ignore[valid-type]
    # required, except with fleet.lifecycle (where a machine's status gives the class)
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    priority: Annotated[int, Field(ge=1, le=1000)] | None = None
    sla_h: PosFloat | None = None
    penalty: Money | None = None  # money per call that breaks the SLA (else costs.sla_penalty)
    # the restored milestone (see sim/config/milestones.py)
    restore_sla_h: PosFloat | None = None  # breakdown -> machine working again, hours
    restore_clock: Literal["wall", "business"] | None = None  # default: calendar.sla_clock
    part_wait_stops_clock: bool = False  # the restore clock stops while the call awaits parts
    reply_sla_h: PosFloat | None = None  # the reply milestone ([helpdesk]); default its reply_target_h
    reply_clock: Literal["wall", "business"] | None = None  # the reply milestone's clock; default wall
    revenue: Money = 0.0  # money per call of the class restored (a paid repair's invoice)
    cost: Money = 0.0  # direct cost per call restored (material, fees), beyond the team's cost

    @model_serializer(mode="wrap")
    def _without_unset_reply_clock(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a class without reply_clock (or money) dumps (and hashes, and resumes) as before
        out: dict[str, Any] = handler(self)
        if out.get("reply_clock", "") is None:
            del out["reply_clock"]
        for key in ("revenue", "cost"):
            if out.get(key, "") == 0.0:
                del out[key]
        return out


def _default_classes() -> list[ServiceClass]:
    return [ServiceClass(name="standard", share=1.0, priority=1)]


class Fleet(Section):
    machines: Annotated[int, Field(ge=1, le=MAX_MACHINES_TOTAL)] | None = None
    time_to_failure_h: DistSpec | None = None
    calls_per_h: PosFloat | None = None
    classes: Annotated[list[ServiceClass], Field(min_length=1)] = Field(default_factory=_default_classes)
    lifecycle: FleetLifecycle | None = None  # contract status and service life (sim/config/lifecycle.py)

    @model_serializer(mode="wrap")
    def _without_unset_lifecycle(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a fleet without [fleet.lifecycle] dumps (and hashes, and resumes) as before it existed
        out: dict[str, Any] = handler(self)
        if out.get("lifecycle", "") is None:
            del out["lifecycle"]
        return out

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
            raise KeyedError("fleet.classes", f"class names must be unique, got {names}")
        for i, c in enumerate(self.classes):
            if (c.share is None) == (self.lifecycle is None):
                raise KeyedError(
                    f"fleet.classes[{i}].share",
                    "is required"
                    if self.lifecycle is None
                    else "is not used with fleet.lifecycle (a breakdown's class is its machine's "
                    "status): remove it",
                )
        if self.lifecycle is not None:
            return self
        total = math.fsum(c.share or 0.0 for c in self.classes)
        if abs(total - 1.0) > 1e-9:
            raise KeyedError("fleet.classes", f"class shares must sum to 1, they sum to {total:g}")
        return self

    @property
    def finite(self) -> bool:
        return self.machines is not None


class Territories(Section):
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
            raise KeyedError(
                "territories.pooled",
                f"pooled ({self.pooled}) must divide count ({self.count}): every team pools "
                "the same number of territories",
            )
        if self.weights is not None and len(self.weights) != self.pooled:
            raise KeyedError(
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


class Travel(Section):
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
            raise KeyedError("travel.from_base_h", "only with travel.mode = 'time' (use idle_at_base)")
        if self.idle_at_base and (self.mode != "geometry" or self.return_to_base):
            raise KeyedError(
                "travel.idle_at_base", "only with travel.mode = 'geometry' and return_to_base = false"
            )
        return self


class Repair(Section):
    time_h: DistSpec = ExponentialSpec(dist="exponential", mean=2.0)
    repeat: RepeatRepairs | None = None  # repairs that leave the cause (sim/config/repeats.py)

    @model_validator(mode="after")
    def _positive(self) -> Repair:
        if spec_mean(self.time_h) <= 0:
            raise ValueError("time_h must have a positive mean")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_repeat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a scenario without [repair.repeat] dumps (and hashes, and resumes) as before it existed
        out: dict[str, Any] = handler(self)
        if out.get("repeat", "") is None:
            del out["repeat"]
        return out


#: ``dispatch.policy`` names these pairs (queue discipline, technician choice)
DISPATCH_POLICIES: dict[str, tuple[str, str]] = {
    "fifo": ("fifo", "longest_idle"),
    "priority": ("priority", "longest_idle"),
    "earliest_due": ("earliest_due", "longest_idle"),
    "nearest": ("nearest", "nearest"),
    "preference": ("fifo", "preference"),
}
_HALVES = ("discipline", "technician")


class Dispatch(Section):
    """Dispatch is two choices: the queue discipline (which waiting call a newly free
    technician takes: ``fifo``, ``priority`` by class, ``earliest_due`` SLA deadline,
    ``nearest`` call) and the technician choice (which free technician a new call gets:
    ``longest_idle``, ``nearest`` technician, ``preference`` list).

    ``policy`` names the usual pairs: ``fifo`` = (fifo, longest_idle), ``priority`` =
    (priority, longest_idle), ``earliest_due`` = (earliest_due, longest_idle), ``nearest`` =
    (nearest, nearest), ``preference`` = (fifo, preference).  ``discipline`` and
    ``technician`` choose any other pair (a half not given is fifo / longest_idle); under a
    policy other than ``fifo`` they must agree with it.  The nearest discipline and choice
    need distances (``travel.mode = 'geometry'``).

    ``preference``: for each territory of a team, the team's technicians in the order they
    are tried (Larson's hypercube); by default a territory's own technicians first, then
    the others by distance between territory centres.
    """

    policy: Literal["fifo", "priority", "nearest", "earliest_due", "preference"] = "fifo"
    discipline: Literal["fifo", "priority", "earliest_due", "nearest"] | None = None
    technician: Literal["longest_idle", "nearest", "preference"] | None = None
    preference: list[list[Annotated[int, Field(ge=0)]]] | None = None
    record_decisions: bool = False  # keep (rule, candidates, choice) of every dispatch

    @model_validator(mode="after")
    def _agrees_with_policy(self) -> Dispatch:
        if self.policy != "fifo":  # (fifo is the default: halves given replace it)
            named = DISPATCH_POLICIES[self.policy]
            for half, key in enumerate(_HALVES):
                value = getattr(self, key)
                if value is not None and value != named[half]:
                    raise KeyedError(
                        f"dispatch.{key}",
                        f"{value!r} contradicts dispatch.policy = {self.policy!r} "
                        f"({named[0]}, {named[1]}); give dispatch.discipline and "
                        "dispatch.technician without the policy",
                    )
        return self

    @model_serializer(mode="wrap")
    def _without_unset_halves(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # halves not given are not written, so a scenario without them dumps (and hashes,
        # and resumes) exactly as before they existed
        out: dict[str, Any] = handler(self)
        for key in _HALVES:
            if out.get(key, "") is None:
                del out[key]
        return out

    @property
    def pair(self) -> tuple[str, str]:
        """(queue discipline, technician choice)."""
        named = DISPATCH_POLICIES[self.policy]
        return (self.discipline or named[0], self.technician or named[1])

    def key_of(self, half: str) -> str:
        """The scenario key that chose the ``"discipline"`` or ``"technician"`` (for messages)."""
        return f"dispatch.{half}" if getattr(self, half) is not None else "dispatch.policy"

    def said(self, half: str) -> str:
        """How the scenario chose that half, e.g. ``dispatch.policy = 'nearest'``."""
        key = self.key_of(half)
        return f"{key} = {getattr(self, key.split('.')[1])!r}"


class Report(Section):
    wait_thresholds_h: list[PosFloat] = Field(default_factory=lambda: [2.0, 8.0])

    @model_validator(mode="after")
    def _distinct(self) -> Report:
        # each threshold is a KPI column named by its value: two with one name would clash
        seen: dict[str, float] = {}
        for i, t in enumerate(self.wait_thresholds_h):
            name = threshold_kpi(t)
            if name in seen:
                raise KeyedError(
                    f"report.wait_thresholds_h[{i}]",
                    f"{t!r} gives the KPI name {name} of {seen[name]!r} already listed; "
                    "list each threshold once (and distinguishable to 6 significant digits)",
                )
            seen[name] = t
        return self


class Costs(Section):
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


class Validation(Section):
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


class Variant(Section):
    """A named set of overrides (e.g. one option under study), combined with the sweep grid."""

    name: name_type(80)  # type: ignore[valid-type]
    description: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class Scenario(Section):
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
    work: Work | None = None  # work besides breakdown repairs (sim/config/work.py)
    helpdesk: Helpdesk | None = None  # the stage before dispatch (sim/config/helpdesk.py)
    contractor: Contractor | None = None  # overflow to an outside firm (sim/config/contractors.py)
    complaints: Complaints | None = None  # broken promises -> complaints (sim/config/complaints.py)
    satisfaction: Satisfaction | None = None  # a score per call, a model (sim/config/satisfaction.py)
    appointments: Appointments | None = None  # booked work in arrival windows (sim/config/appointments.py)
    skills: Skills | None = None  # skill groups and the calls' needs (sim/config/skills.py)
    targets: Targets | None = None
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    variants: list[Variant] = Field(default_factory=list)
    validation: Validation | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        terr, travel, dispatch = self.territories, self.travel, self.dispatch
        discipline, technician = dispatch.pair
        if travel.mode == "geometry" and (terr.width_km is None or terr.height_km is None):
            missing = "width_km" if terr.width_km is None else "height_km"
            raise KeyedError(
                f"territories.{missing}",
                "travel.mode = 'geometry' needs the territory size (width_km and height_km)",
            )
        if terr.locations_csv is not None and (travel.mode != "geometry" or self.fleet.machines is None):
            raise KeyedError(
                "territories.locations_csv",
                "needs travel.mode = 'geometry' and a finite fleet (fleet.machines)",
            )
        if terr.weights is not None and self.fleet.machines is not None:
            counts = [self.fleet.machines * m for m in terr.multipliers]
            if any(abs(c - round(c)) > 1e-6 or round(c) < 1 for c in counts):
                raise KeyedError(
                    "territories.weights",
                    f"fleet.machines x pooled x weight / sum of weights must be whole numbers >= 1 "
                    f"(got {', '.join(f'{c:g}' for c in counts)}); e.g. give the machine counts as "
                    "weights and their mean as fleet.machines",
                )
            if terr.locations_csv is not None:
                raise KeyedError("territories.weights", "not with locations_csv (equal territories only)")
        if travel.mode == "geometry" and travel.time_h != Travel.model_fields["time_h"].default:
            raise KeyedError(
                "travel.time_h",
                "is not used in travel.mode = 'geometry' (trips take distance / speed_kmh); remove "
                "it, or give the extra time per trip as travel.noise_h",
            )
        if travel.mode != "geometry":
            for half, name in (("discipline", discipline), ("technician", technician)):
                if name == "nearest":
                    raise KeyedError(
                        dispatch.key_of(half), "'nearest' needs travel.mode = 'geometry' (distances)"
                    )
        pref = dispatch.preference
        if pref is not None:
            if technician != "preference":
                raise KeyedError(
                    "dispatch.preference",
                    "only with dispatch.policy = 'preference' (or dispatch.technician = 'preference')",
                )
            team = terr.technicians * terr.pooled
            if len(pref) != terr.pooled:
                raise KeyedError(
                    "dispatch.preference",
                    f"needs one list per territory of a team ({terr.pooled}), got {len(pref)}",
                )
            for i, order in enumerate(pref):
                bad = [t for t in order if t >= team]
                if bad:
                    raise KeyedError(
                        f"dispatch.preference[{i}]",
                        f"technician {bad[0]} does not exist (a team has technicians 0..{team - 1})",
                    )
                if sorted(order) != list(range(team)):
                    raise KeyedError(
                        f"dispatch.preference[{i}]",
                        f"must list each of the team's {team} technicians once, got {order}",
                    )
        if self.repair.repeat is not None and self.fleet.machines is None:
            raise KeyedError(
                "repair.repeat",
                "needs a finite fleet (fleet.machines + time_to_failure_h): Poisson calls "
                "(fleet.calls_per_h) have no machine to fail again",
            )
        if self.run.batches and self.run.batches < 10:
            raise KeyedError("run.batches", "use at least 10 batches (or 0 for none)")
        if self.run.batches and self.run.replications != 1:
            raise KeyedError(
                "run.batches",
                "batch means are for a single long run: set run.replications = 1 (or batches = 0)",
            )
        if (
            self.parts is not None
            and self.parts.revisit_priority is not None
            and (discipline != "priority" or not self.parts.revisit_first)
        ):
            raise KeyedError(
                "parts.revisit_priority",
                "only with dispatch.policy = 'priority' or dispatch.discipline = 'priority' "
                "(and revisit_first = true)",
            )
        if self.parts is not None and self.parts.reservation and terr.technicians * terr.pooled > 1:
            raise KeyedError(
                "parts.reservation",
                "needs one technician per team (whose van is known when the call is logged)",
            )
        targets = [t.target_h for t in (self.work.types if self.work is not None else [])]
        if discipline == "earliest_due" and all(
            s is None for s in [*(c.sla_h for c in self.fleet.classes), *targets]
        ):
            raise KeyedError(
                "fleet.classes", f"{dispatch.said('discipline')} needs an sla_h on at least one class"
            )
        if discipline == "priority":
            for i, c in enumerate(self.fleet.classes):
                if c.priority is None:
                    raise KeyedError(
                        f"fleet.classes[{i}].priority",
                        f"class {c.name!r} needs a priority under {dispatch.said('discipline')}",
                    )
        if self.targets is not None:
            names = [c.name for c in self.fleet.classes]
            names += [t.name for t in (self.work.types if self.work is not None else [])]
            for i, t in enumerate(self.targets.constraints):
                if t.service_class != "all" and t.service_class not in names:
                    raise KeyedError(
                        f"targets.require[{i}]",
                        f"no service class {t.service_class!r} (classes: {', '.join(names)})",
                    )
        check_work(self)
        check_milestones(self)
        check_helpdesk(self)
        check_lifecycle(self)
        check_contractor(self)
        check_complaints(self)
        check_satisfaction(self)
        check_appointments(self)
        check_skills(self)
        technicians = self.territories.technicians * self.territories.count
        if technicians > MAX_TECHNICIANS_TOTAL:
            raise KeyedError(
                "territories.technicians",
                f"{technicians:,} technicians in all exceeds the limit of {MAX_TECHNICIANS_TOTAL:,}",
            )
        if self.fleet.machines is not None:
            total = self.fleet.machines * self.territories.count
            if total > MAX_MACHINES_TOTAL:
                raise KeyedError(
                    "fleet.machines",
                    f"{total:,} machines in all exceeds the limit of {MAX_MACHINES_TOTAL:,}",
                )
        return self

    @model_serializer(mode="wrap")
    def _without_unset_work(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a scenario without [work] dumps (and hashes, and resumes) as before it existed
        out: dict[str, Any] = handler(self)
        if out.get("work", "") is None:
            del out["work"]
        if out.get("helpdesk", "") is None:  # so does one without [helpdesk]
            del out["helpdesk"]
        if out.get("contractor", "") is None:  # (likewise [contractor])
            del out["contractor"]
        if out.get("complaints", "") is None:  # (and [complaints], [satisfaction])
            del out["complaints"]
        if out.get("satisfaction", "") is None:
            del out["satisfaction"]
        if out.get("appointments", "") is None:  # (and [appointments])
            del out["appointments"]
        if out.get("skills", "") is None:  # (and [skills])
            del out["skills"]
        return out

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
