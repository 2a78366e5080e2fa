"""``[work]``: what technicians do besides breakdown repairs (issue 14).

Built so far: ``[work.internal]``, internal work (the regulations' category D:
inspections, parts handling, tool upkeep, training) taken whenever a technician is
idle; and ``[[work.types]]``, job types (installations, commissioning, customer
visits...) that arrive as Poisson streams beside the breakdown repairs.  Breakdown
repairs stay the default work: they come from ``[fleet]`` and are not listed here.  The
later kinds of work (planned maintenance, key-customer visits) are further keys of
:class:`Work`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import Money, PosFloat, Section, name_type, not_reserved
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: internal-work modes that the issue describes but the model does not run yet
_NOT_BUILT = {"scheduled": "internal work as blocks in the calendar is not built yet; use 'when_idle'"}


class InternalWork(Section):
    """Internal work (category D) taken whenever a technician is idle (``mode =
    "when_idle"``, multiple vacations): a technician who becomes free with no call
    waiting starts an internal task of length ``task_h``; when it ends, the technician
    takes the call that waits, if any, or starts another task.  A task in progress is
    always finished first, so an arriving call waits (no technician is ever idle).
    Internal time is not part of ``utilization`` (travel + on site); it is paid time,
    reported as ``internal_share`` and ``internal_h_per_day``.  With shifts, a task running
    at a shift end is finished (its time past the end counts as internal, not as
    overtime), and no task starts off duty.  Example::

        [work.internal]
        mode = "when_idle"
        task_h = { dist = "gamma", mean = 1.0, cv = 0.5 }

    ``mode = "scheduled"`` (internal work as blocks in the calendar) is not built yet and
    is refused.
    """

    mode: Literal["when_idle"]
    task_h: DistSpec  # the length of one internal task

    @field_validator("mode", mode="before")
    @classmethod
    def _built(cls, value: Any) -> Any:
        if isinstance(value, str) and value in _NOT_BUILT:
            raise ValueError(f"{_NOT_BUILT[value]} (got {value!r})")
        if value != "when_idle":
            raise ValueError(f"must be 'when_idle' (got {value!r})")
        return value

    @model_validator(mode="after")
    def _positive(self) -> InternalWork:
        if spec_mean(self.task_h) <= 0:
            # tasks of no length would repeat forever at one instant
            raise KeyedError("work.internal.task_h", "must have a positive mean")
        return self


#: more job types than this is a mistake, not a service organisation
MAX_WORK_TYPES = 50


class WorkType(Section):
    """A job type besides breakdown repairs, e.g. installations.  Example::

        [[work.types]]
        name = "installation"
        jobs_per_day = 0.2          # per territory, Poisson
        duration_h = { dist = "gamma", mean = 3.0, cv = 0.3 }
        priority = 2                # under dispatch.discipline = "priority"
        target_h = 48.0             # on site within 48 h
        revenue = 400.0             # money per job
        cost = 50.0
        travel = true               # trips as the scenario's [travel]

    Jobs of a type arrive as a Poisson stream of ``jobs_per_day`` per territory and
    working day (``calendar.hours_per_day`` hours on the continuous clock; with shifts,
    the week over its working days, as ``calls_per_day`` counts), on the clock that
    breakdowns use (``calendar.breakdowns``); unequal territories
    (``territories.weights``) share a team's jobs out as they share its calls.  A job
    joins its team's dispatch line like a breakdown call; its on-site time is drawn from
    ``duration_h`` instead of the repair time; it needs no spare parts, every visit
    finishes it (no revisit, no repeat) and it puts no machine down.  With ``travel =
    false`` the technician is on site at the dispatch (no trip, whatever ``[travel]``
    says).

    ``priority`` is on the scale of the service classes' priorities: under the priority
    discipline every waiting job of priority 1 (breakdown of a class with priority 1, or
    a job of a type with priority 1) is taken before any of priority 2, FIFO among jobs
    of the same priority whatever their kind.  ``target_h`` is a response target (call
    logged -> technician on site) on the clock of ``calendar.sla_clock``, like a class's
    ``sla_h``: its row's ``sla_met`` is the type's on-time share, and the earliest-due
    discipline orders by it.  A type's KPIs are rows of the tables whose ``class`` is the
    type's name (see the KPI reference).
    """

    name: Annotated[name_type(60), AfterValidator(not_reserved)]  # type: ignore[valid-type]
    jobs_per_day: PosFloat  # the arrival rule: Poisson jobs per territory and working day
    duration_h: DistSpec  # on-site time of one job
    priority: Annotated[int, Field(ge=1, le=1000)] | None = None  # 1 first; default 1
    target_h: PosFloat | None = None  # response target (logged -> on site), hours
    revenue: Money = 0.0  # money per job done
    cost: Money = 0.0  # direct cost per job done (material, fees), beyond the team's cost
    travel: bool = True  # uses the scenario's [travel]; false: on site at the dispatch


class Work(Section):
    """The technicians' work besides breakdown repairs."""

    internal: InternalWork | None = None  # internal work (category D)
    types: Annotated[list[WorkType], Field(max_length=MAX_WORK_TYPES)] = Field(default_factory=list)


def check_work(sc: Scenario) -> None:
    """The checks of ``[work]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Naming the key: a duration without a positive mean, duplicate names or a
        class's name, a missing priority under the priority discipline, geometry travel
        (not built for job types yet).
    """
    work = sc.work
    if work is None:
        return
    classes = {c.name for c in sc.fleet.classes}
    seen: set[str] = set()
    discipline = sc.dispatch.pair[0]
    for i, t in enumerate(work.types):
        key = f"work.types[{i}]"
        if spec_mean(t.duration_h) <= 0:
            raise KeyedError(f"{key}.duration_h", "must have a positive mean")
        if t.name in seen:
            raise KeyedError(f"{key}.name", f"job type names must be unique, {t.name!r} is listed twice")
        if t.name in classes:
            raise KeyedError(
                f"{key}.name",
                f"{t.name!r} is the name of a service class (fleet.classes); a job type's rows "
                "in the tables are named after it, so choose another name",
            )
        seen.add(t.name)
        if discipline == "priority" and t.priority is None:
            raise KeyedError(
                f"{key}.priority",
                f"job type {t.name!r} needs a priority under {sc.dispatch.said('discipline')}",
            )
    if work.types and sc.travel.mode == "geometry":
        raise KeyedError(
            "work.types", "job types with travel.mode = 'geometry' are not built yet (jobs have no place)"
        )
