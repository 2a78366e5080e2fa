"""``[work]``: what technicians do besides breakdown repairs (issue 14).

Built so far: ``[work.internal]``, internal work (the regulations' category D:
inspections, parts handling, tool upkeep, training) taken whenever a technician is
idle; and ``[[work.types]]``, job types (installations, commissioning, customer
visits...) that arrive as Poisson streams beside the breakdown repairs; and
``[work.maintenance]``, preventive maintenance planned per machine on its hours of
operation or in calendar days.  Breakdown repairs stay the default work: they come from ``[fleet]`` and are
not listed here.  The later kinds of work (key-customer visits) are further keys of
:class:`Work`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from sim.config.errors import KeyedError
from sim.config.fields import Money, NonNegFloat, PosFloat, Section, name_type, not_reserved
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario


def _drop_unset(out: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The dump without the keys added after a section was first shipped, where they are at
    their defaults: a scenario that does not use them dumps (and hashes, and resumes) as
    before they existed."""
    for key, default in defaults.items():
        if key in out and out[key] == default:
            del out[key]
    return out


class InternalWork(Section):
    """Internal work (category D): taken whenever a technician is idle (``mode =
    "when_idle"``, multiple vacations), or in scheduled blocks (``mode = "scheduled"``).

    **When idle**: a technician who becomes free with no call waiting starts an internal
    task of length ``task_h``; when it ends, the technician takes the call that waits, if
    any, or starts another task.  A task in progress is always finished first, so an
    arriving call waits (no technician is ever idle).  With shifts, a task running at a
    shift end is finished (its time past the end counts as internal, not as overtime), and
    no task starts off duty.  Example::

        [work.internal]
        mode = "when_idle"
        task_h = { dist = "gamma", mean = 1.0, cv = 0.5 }

    **Scheduled blocks**: each technician has a block of ``block_h`` hours of internal work
    every ``block_h / share`` hours of the clock, the technicians' blocks spread evenly
    over that period (technician i of a team of n starts at i / n of it), so that
    ``share`` of the team's time is internal.  A technician busy when a block is due
    finishes the job in hand, then does the whole block (a job in progress is finished
    first); during a block the technician takes no call; at its end the technician takes
    the call that waits (a trip from base, as after idleness).  Example::

        [work.internal]
        mode = "scheduled"
        block_h = 4.0   # a 4-h block (inspections, training)...
        share = 0.1     # ...every 40 h of the clock: a tenth of the time

    Internal time is not part of ``utilization`` (travel + on site); it is paid time,
    reported as ``internal_share`` and ``internal_h_per_day`` (category D of the hours by
    category).  Scheduled blocks are not built with shifts, appointments or skills
    (refused).
    """

    mode: Literal["when_idle", "scheduled"]
    task_h: DistSpec | None = None  # (when_idle) the length of one internal task
    block_h: PosFloat | None = None  # (scheduled) the length of one block
    share: Annotated[float, Field(gt=0.0)] | None = None  # (scheduled) share of time in blocks, < 1

    @field_validator("mode", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if value not in ("when_idle", "scheduled"):
            raise ValueError(f"must be 'when_idle' or 'scheduled' (got {value!r})")
        return value

    @model_validator(mode="after")
    def _positive(self) -> InternalWork:
        key = "work.internal"
        if self.mode == "scheduled":
            if self.task_h is not None:
                raise KeyedError(f"{key}.task_h", "is for mode = 'when_idle'; scheduled blocks have block_h")
            if self.block_h is None:
                raise KeyedError(f"{key}.block_h", "is required with mode = 'scheduled' (hours of one block)")
            if self.share is None:
                raise KeyedError(
                    f"{key}.share", "is required with mode = 'scheduled' (the share of time in blocks)"
                )
            if self.share >= 1.0:
                raise KeyedError(
                    f"{key}.share",
                    f"a share of internal time of 1 or more leaves no time for calls (got {self.share:g})",
                )
            return self
        for name in ("block_h", "share"):
            if getattr(self, name) is not None:
                raise KeyedError(f"{key}.{name}", "is for mode = 'scheduled'; when_idle tasks have task_h")
        if self.task_h is None:
            raise KeyedError(f"{key}.task_h", "is required with mode = 'when_idle' (the length of one task)")
        if spec_mean(self.task_h) <= 0:
            # tasks of no length would repeat forever at one instant
            raise KeyedError(f"{key}.task_h", "must have a positive mean")
        return self

    @model_serializer(mode="wrap")
    def _without_unset_blocks(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_unset(handler(self), {"block_h": None, "share": None, "task_h": None})

    @property
    def every_h(self) -> float:
        """(scheduled) Hours of the clock between two blocks of one technician."""
        assert self.block_h is not None and self.share is not None
        return self.block_h / self.share


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


#: the row of planned-maintenance visits in the tables (a service class may not take it)
MAINTENANCE_ROW = "maintenance"


class Maintenance(Section):
    """Preventive maintenance planned per machine on its hours of operation (age-based
    renewal), or in calendar days (below).  Example::

        [work.maintenance]
        every_h = 600.0        # a planned visit after 600 h of operation since the last renewal
        window_h = 80.0        # the technician should be on site within 80 h of the due time
        urgent_within_h = 16.0 # in the last 16 h of the window the visit goes before breakdowns
        duration_h = { dist = "deterministic", value = 1.5 }
        travel = true          # trips as the scenario's [travel]

    Each machine of a finite fleet (``fleet.machines``) comes due ``every_h`` hours of
    operation after its last renewal (a planned visit or a breakdown repair: the plan
    restarts from the repair).  At the due time a planned job joins its team's line: it
    waits behind every breakdown call whatever the dispatch discipline (the discipline
    orders the breakdowns; planned jobs are taken in order of due time when no breakdown
    waits), unless it is *urgent*: from ``window_h - urgent_within_h`` hours after the due
    time it goes before the breakdowns (urgent jobs in the order they became urgent).  If
    the machine breaks down while its planned job waits, the job is cancelled (the repair
    renews the machine).  From the dispatch of a planned visit to its end the machine is in
    the technician's hands and does not age or fail; at the end it is as good as new (a
    fresh life: for exponential lives this changes nothing in law) and its next visit
    comes due ``every_h`` later.  The visit is in the tables' row ``maintenance``: its
    ``sla_met`` is the share on site within ``window_h`` of the due time (``pm_in_window``).
    At time 0 the machines have lives as without the plan, and due times spread uniformly
    over one interval: give a warm-up of a few intervals.

    Money: ``revenue`` and ``cost`` per planned visit done give the row ``maintenance``
    its ``revenue_per_day``, ``job_cost_per_day`` and ``margin_per_day`` (as a job type's);
    with ``cost`` or ``breakdown_cost`` (the direct cost of one breakdown of a maintained
    machine: parts, damage, lost output) the plan's cost rate ``pm_cost_per_day`` = cost x
    planned visits + breakdown_cost x breakdowns per working day, the age-replacement
    model's C(T) (c_p = ``cost``, c_f = ``breakdown_cost``), whose optimal interval the
    report shows.  The technicians' own time is in ``cost_per_day``, not here.

    **A plan in calendar days** (``every_days`` instead of ``every_h``, with
    ``tolerance_days`` instead of ``window_h``)::

        [work.maintenance]
        every_days = 60.0      # each machine is due every 60 working days, on a fixed calendar
        tolerance_days = 5.0   # done inside [due - 5 days, due + 5 days]
        urgent_within_h = 16.0
        duration_h = { dist = "deterministic", value = 1.5 }

    Each machine has a fixed calendar (block replacement, not age replacement): it is due
    every ``every_days`` working days (``calendar.day_length_h`` hours of the clock each,
    as ``[work.visits]`` counts them), from a start drawn uniformly over the first
    interval, whatever happens to it; breakdowns and repairs do not move it.  The planned
    job joins the line when the window opens, ``tolerance_days`` before the due time, and
    the visit is inside its window when the technician is on site by ``tolerance_days``
    after it (``pm_in_window``, the row's ``sla_met``): the window is ``2 x
    tolerance_days`` long, at most the interval.  The line rule is the same (behind the
    breakdowns until the window's last ``urgent_within_h`` hours).  A breakdown while the
    job waits cancels it (the repair renews the machine), and so does a machine that is
    down, or still has its previous visit waiting or in hand, when its window opens: that
    period's visit is skipped.  A visit renews the machine as in an ``every_h`` plan.

    Not built yet (refused): maintenance with Poisson calls, job types, repeat repairs,
    geometry travel, a helpdesk or machines that age only in customer hours.
    """

    every_h: PosFloat | None = None  # hours of operation between renewals
    every_days: PosFloat | None = None  # working days between due times, a fixed calendar
    window_h: PosFloat | None = None  # (every_h plans) tolerance after the due time: on site within it
    tolerance_days: PosFloat | None = None  # (every_days plans) the window is due +- this
    urgent_within_h: NonNegFloat = 0.0  # the window's last hours, in which the visit goes first
    duration_h: DistSpec  # on-site time of one planned visit
    travel: bool = True  # uses the scenario's [travel]; false: on site at the dispatch
    revenue: Money = 0.0  # money per planned visit done (the contract's fee for it)
    cost: Money = 0.0  # direct cost per planned visit done (material), beyond the team's cost
    breakdown_cost: Money = 0.0  # direct cost per breakdown of a maintained machine (the plan's c_f)

    @model_validator(mode="after")
    def _plan(self) -> Maintenance:
        key = "work.maintenance"
        if self.every_days is not None:
            if self.every_h is not None:
                raise KeyedError(
                    f"{key}.every_days",
                    "give every_h (hours of operation) or every_days (a calendar), not both",
                )
            if self.window_h is not None:
                raise KeyedError(
                    f"{key}.window_h",
                    "a plan in calendar days (every_days) has tolerance_days (the window is "
                    "due +- tolerance_days), not window_h",
                )
            if self.tolerance_days is None:
                raise KeyedError(
                    f"{key}.tolerance_days",
                    "is required with every_days (the window is due +- tolerance_days)",
                )
            if 2.0 * self.tolerance_days > self.every_days:
                raise KeyedError(
                    f"{key}.tolerance_days",
                    f"the tolerance window (due +- {self.tolerance_days:g} days = "
                    f"{2.0 * self.tolerance_days:g} days) is longer than the interval every_days "
                    f"({self.every_days:g} days)",
                )
            # (urgent_within_h against the window in hours: check_work, which knows the day)
            if spec_mean(self.duration_h) <= 0:
                raise KeyedError(f"{key}.duration_h", "must have a positive mean")
            return self
        if self.every_h is None:
            raise KeyedError(
                f"{key}.every_h",
                "is required (hours of operation between planned visits; or every_days, a calendar)",
            )
        if self.tolerance_days is not None:
            raise KeyedError(
                f"{key}.tolerance_days", "is for plans in calendar days (every_days); give window_h"
            )
        if self.window_h is None:
            raise KeyedError(f"{key}.window_h", "is required (on site within window_h of the due time)")
        if self.window_h > self.every_h:
            raise KeyedError(
                f"{key}.window_h",
                f"the tolerance window ({self.window_h:g} h) is longer than the interval "
                f"every_h ({self.every_h:g} h)",
            )
        _check_visit(key, self.window_h, self.urgent_within_h, self.duration_h)
        return self

    @model_serializer(mode="wrap")
    def _without_unset_money(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        unset = {"revenue": 0.0, "cost": 0.0, "breakdown_cost": 0.0, "tolerance_days": None, "window_h": None}
        return _drop_unset(handler(self), unset)

    def window_length_h(self, day_length_h: float) -> float:
        """The window's length in hours of the clock: ``window_h``, or 2 x ``tolerance_days``."""
        if self.tolerance_days is not None:
            return 2.0 * self.tolerance_days * day_length_h
        assert self.window_h is not None  # (the section's check)
        return self.window_h


def _check_visit(key: str, window_h: float, urgent_within_h: float, duration_h: DistSpec) -> None:
    """The checks a planned visit's window and length share (maintenance, key customers)."""
    if urgent_within_h > window_h:
        raise KeyedError(
            f"{key}.urgent_within_h", f"must be at most window_h ({window_h:g} h), got {urgent_within_h:g}"
        )
    if spec_mean(duration_h) <= 0:
        raise KeyedError(f"{key}.duration_h", "must have a positive mean")


#: the row of key-customer visits in the tables
VISITS_ROW = "visits"


class Visits(Section):
    """Periodic visits to key customers (planned jobs without a renewal).  Example::

        [work.visits]
        customers = 5          # key customers per territory
        every_days = 20.0      # each is visited every 20 working days
        window_h = 40.0        # the technician should be on site within 40 h of the due time
        urgent_within_h = 8.0  # in the window's last 8 h the visit goes before breakdowns
        duration_h = { dist = "gamma", mean = 1.0, cv = 0.4 }
        travel = true

    Each key customer has a fixed calendar: a visit comes due every ``every_days`` working
    days (``calendar.hours_per_day`` hours of the clock each; with shifts, the week over
    its working days), from a start drawn uniformly over the first period; a late visit
    does not move the next due time.  A visit is a planned job like a preventive
    maintenance visit (sim/model/planned.py): it waits behind every breakdown unless its
    window is about to close (its last ``urgent_within_h`` hours), and it touches no
    machine.  The visits are the tables' row ``visits``; ``visits_per_day`` and
    ``visits_in_window``; ``revenue`` and ``cost`` per visit made give the row its
    ``revenue_per_day``, ``job_cost_per_day`` and ``margin_per_day``.  Not built yet
    (refused): visits with job types, geometry travel or a helpdesk.
    """

    customers: Annotated[int, Field(ge=1, le=100_000)]  # key customers per territory
    every_days: PosFloat  # working days between two visits of a customer
    window_h: PosFloat  # tolerance after the due time: on site within it
    urgent_within_h: NonNegFloat = 0.0
    duration_h: DistSpec  # on-site time of one visit
    travel: bool = True
    revenue: Money = 0.0  # money per visit made
    cost: Money = 0.0  # direct cost per visit made, beyond the team's cost

    @model_serializer(mode="wrap")
    def _without_unset_money(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _drop_unset(handler(self), {"revenue": 0.0, "cost": 0.0})

    @model_validator(mode="after")
    def _plan(self) -> Visits:
        _check_visit("work.visits", self.window_h, self.urgent_within_h, self.duration_h)
        return self


#: the service report's categories of technician hours (the seed regulations' A to D)
CATEGORIES = ("A", "B", "C", "D")
#: the category of each contract status of ``[fleet.lifecycle]`` (by the regulations'
#: definitions: paid service A, contract service B, free service under warranty C)
STATUS_CATEGORY = {"paid": "A", "contract": "B", "warranty": "C"}

Category = Literal["A", "B", "C", "D"]


class Work(Section):
    """The technicians' work besides breakdown repairs.

    ``categories`` (``[work.categories]``) turns on the service report's technician hours
    by category, a table from each row of the tables (a service class, a job type, the
    installation job, ``maintenance``, ``visits``) to its category::

        [work.categories]
        paid = "A"           # paid repairs
        contract = "B"       # under a service contract
        warranty = "C"       # free under warranty
        maintenance = "B"    # planned visits under the maintenance contracts
        visits = "D"         # key-customer visits: work of none of A, B, C

    A: paid service, B: contract service, C: free service under warranty, D: internal
    work (inspections, parts handling, tool upkeep, training) and whatever is none of the
    three.  Internal tasks (``[work.internal]``) are always D.  A job's hours are its
    technician's from the dispatch to the release: the trip to it (and the drive back, when
    the team has one) counts in the job's category.  With ``[fleet.lifecycle]`` the
    status classes have their status's category (paid A, contract B, warranty C; another
    is refused); every other row must be listed.  KPIs: ``hours_a_share`` ...
    ``hours_d_share``, each a share of the paid (on-duty) technician-hours; the rest of
    the paid time is idle.
    """

    internal: InternalWork | None = None  # internal work (category D)
    types: Annotated[list[WorkType], Field(max_length=MAX_WORK_TYPES)] = Field(default_factory=list)
    maintenance: Maintenance | None = None  # preventive maintenance per machine
    visits: Visits | None = None  # periodic visits to key customers
    categories: dict[str, Category] | None = None  # row -> the service report's category


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
    internal = work.internal
    if internal is not None and internal.mode == "scheduled":
        why = (
            "with a shift calendar (calendar.shifts)"
            if sc.calendar.shifts
            else "with appointments ([appointments])"
            if sc.appointments is not None
            else ""
        )
        if why:
            raise KeyedError("work.internal.mode", f"scheduled blocks {why} are not built yet")
    if work.types and sc.travel.mode == "geometry":
        raise KeyedError(
            "work.types", "job types with travel.mode = 'geometry' are not built yet (jobs have no place)"
        )
    if work.maintenance is not None:
        _check_maintenance(sc)
    if work.visits is not None:
        _check_visits(sc)
    if work.categories is not None:
        _check_categories(sc)


def row_names(sc: Scenario) -> list[str]:
    """The rows of a scenario's tables as written: classes, job types, the installation
    job, the planned visits' rows (the order of ``ServiceSystem.row_names``)."""
    rows = [c.name for c in sc.fleet.classes]
    rows += [t.name for t in sc.work.types] if sc.work is not None else []
    life = sc.fleet.lifecycle
    if life is not None and life.installation is not None:
        rows.append(life.installation.name)
    if sc.work is not None and sc.work.maintenance is not None:
        rows.append(MAINTENANCE_ROW)
    if sc.work is not None and sc.work.visits is not None:
        rows.append(VISITS_ROW)
    return rows


def categories_of(sc: Scenario) -> dict[str, str]:
    """Every row's category under ``[work.categories]`` (the status classes of
    ``[fleet.lifecycle]`` by their status); checked by :func:`_check_categories`."""
    given: dict[str, str] = dict(sc.work.categories or {}) if sc.work is not None else {}
    life = sc.fleet.lifecycle
    if life is not None:
        for status, category in STATUS_CATEGORY.items():
            given.setdefault(life.class_of(status), category)
    return given


def _check_categories(sc: Scenario) -> None:
    """``[work.categories]``: known rows, every row listed, the statuses' categories."""
    assert sc.work is not None and sc.work.categories is not None
    key = "work.categories"
    rows = row_names(sc)
    for name in sc.work.categories:
        if name not in rows:
            raise KeyedError(f"{key}.{name}", f"is not a row of the tables (rows: {', '.join(rows)})")
    life = sc.fleet.lifecycle
    if life is not None:
        for status, category in STATUS_CATEGORY.items():
            cls = life.class_of(status)
            got = sc.work.categories.get(cls, category)
            if got != category:
                raise KeyedError(
                    f"{key}.{cls}",
                    f"class {cls!r} is the {status} status of fleet.lifecycle, category {category} "
                    f"by definition (got {got!r})",
                )
    listed = categories_of(sc)
    missing = [r for r in rows if r not in listed]
    if missing:
        raise KeyedError(
            key, f"row {missing[0]!r} has no category (give each row one of {', '.join(CATEGORIES)})"
        )


def _check_visits(sc: Scenario) -> None:
    """What ``[work.visits]`` needs of the other sections (one line each)."""
    visits = sc.work.visits if sc.work is not None else None
    assert visits is not None
    if sc.work is not None and sc.work.types:
        raise KeyedError("work.visits", "with job types ([[work.types]]) is not built yet")
    if sc.travel.mode == "geometry":
        raise KeyedError("work.visits", "with travel.mode = 'geometry' is not built yet")
    if sc.helpdesk is not None:
        raise KeyedError("work.visits", "with a helpdesk ([helpdesk]) is not built yet")
    period_h = visits.every_days * sc.calendar.day_length_h
    if visits.window_h > period_h:
        raise KeyedError(
            "work.visits.window_h",
            f"the tolerance window ({visits.window_h:g} h) is longer than the interval "
            f"every_days ({visits.every_days:g} working days = {period_h:g} h)",
        )
    if any(c.name == VISITS_ROW for c in sc.fleet.classes):
        raise KeyedError(
            "fleet.classes",
            f"{VISITS_ROW!r} is the row of the key-customer visits ([work.visits]); name the class otherwise",
        )


def _check_maintenance(sc: Scenario) -> None:
    """What ``[work.maintenance]`` needs of the other sections (one line each)."""
    key = "work.maintenance"
    why = ""
    if sc.fleet.calls_per_h is not None:
        why = "needs a finite fleet (fleet.machines): Poisson calls (fleet.calls_per_h) have no machines"
    elif sc.work is not None and sc.work.types:
        why = "with job types ([[work.types]]) is not built yet"
    elif sc.repair.repeat is not None:
        why = "with repeat repairs ([repair.repeat]) is not built yet"
    elif sc.travel.mode == "geometry":
        why = "with travel.mode = 'geometry' is not built yet"
    elif sc.helpdesk is not None:
        why = "with a helpdesk ([helpdesk]) is not built yet"
    elif sc.calendar.breakdowns != "always":
        why = "with machines that age only in customer hours (calendar.breakdowns) is not built yet"
    if why:
        raise KeyedError(key, why)
    plan = sc.work.maintenance if sc.work is not None else None
    assert plan is not None
    if plan.every_days is not None:
        window = plan.window_length_h(sc.calendar.day_length_h)
        if plan.urgent_within_h > window:
            raise KeyedError(
                f"{key}.urgent_within_h",
                f"must be at most the window (2 x tolerance_days = {window:g} h), "
                f"got {plan.urgent_within_h:g}",
            )
    if any(c.name == MAINTENANCE_ROW for c in sc.fleet.classes):
        raise KeyedError(
            "fleet.classes",
            f"{MAINTENANCE_ROW!r} is the row of the planned visits ([work.maintenance]); "
            "name the class otherwise",
        )
