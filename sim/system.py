"""The resolved service system: what a scenario describes, in the planner's terms.

A :class:`~sim.config.Scenario` holds the user's words (keys, defaults, inline tables
of distributions).  :meth:`ServiceSystem.from_scenario` resolves it once into frozen,
typed objects that every layer reads: how many teams there are and what one team is
(technicians, territories, who serves whom first), where calls come from (a finite
fleet with a life distribution, or Poisson calls), travel, repair, the service classes,
dispatch, the working calendar, spare parts, costs, the report's thresholds, the
targets the results are judged against, and the work besides breakdown repairs
(repeat repairs, internal work, job types, planned maintenance and key-customer visits),
the machines' contract status and service lives, the helpdesk and the contractor.  Every
duration is a built :class:`sim.distributions.Distribution`, so no reader interprets a
distribution table or keeps a second table of means.

All teams of a scenario are alike, so the system holds one :class:`Team` and the
number of teams (a scenario may have a million territories).

Examples
--------
>>> from sim.config import validate_scenario
>>> life = {"dist": "exponential", "mean": 400.0}
>>> system = ServiceSystem.from_scenario(
...     validate_scenario({"fleet": {"machines": 150, "time_to_failure_h": life}})
... )
>>> system.source.life.mean, system.team.technicians, system.teams
(400.0, 1, 1)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.calendar import WeeklyCalendar, parse_clock
from sim.config import DISPATCH_POLICIES, DistSpec, Scenario, team_grid
from sim.config import Promise as Promise  # (re-exported: the model and tallies judge by it)
from sim.config import Target as Target  # (re-exported: the system's targets hold them)
from sim.config.work import CATEGORIES, categories_of, row_names
from sim.distributions import Deterministic, Distribution
from sim.kpis import threshold_kpi

Policy = Literal["fifo", "priority", "nearest", "earliest_due", "preference"]
ShortageRule = Literal["wait", "revisit", "emergency"]


def _build_optional(spec: DistSpec | None) -> Distribution | None:
    return None if spec is None else spec.build()


# ---------------------------------------------------------------------------
# Run and calendar


@dataclass(frozen=True)
class Run:
    """Length and replication of the runs (hours of the simulation clock).

    ``warmup_h`` is ``"auto"`` until the experiment has chosen it (MSER-5 on a pilot).
    """

    horizon_h: float
    warmup_h: float | Literal["auto"]
    replications: int
    batches: int
    seed: int


@dataclass(frozen=True)
class Calendar:
    """Working hours.

    Attributes
    ----------
    hours_per_day : float
        A working day on the continuous clock.
    day_length_h : float
        Clock hours per working day for ``calls_per_day`` (with shifts: a week over its
        working days).
    shifts : WeeklyCalendar or None
        The technicians' working hours; ``None``: the continuous clock.
    customer_hours : WeeklyCalendar or None
        The customers' hours (default: the shifts).
    wip : {"overtime", "resume"}
        What happens to a job running at the end of a shift.
    breakdowns : {"always", "customer_hours"}
        Whether machines age (and calls arrive) all the time or in customer hours only.
    sla_clock : {"wall", "business"}
        Whether SLA deadlines count every hour or customer hours only.
    """

    hours_per_day: float
    day_length_h: float
    shifts: WeeklyCalendar | None
    customer_hours: WeeklyCalendar | None
    wip: Literal["overtime", "resume"]
    breakdowns: Literal["always", "customer_hours"]
    sla_clock: Literal["wall", "business"]

    @property
    def uptime_clock(self) -> WeeklyCalendar | None:
        """The hours in which machines age and calls arrive; ``None``: all the time."""
        return self.customer_hours if self.breakdowns == "customer_hours" else None

    @property
    def sla_calendar(self) -> WeeklyCalendar | None:
        """The hours an SLA counts; ``None``: every hour (the wall clock)."""
        return self.customer_hours if self.sla_clock == "business" else None

    @property
    def clock_share(self) -> float:
        """Share of clock time in which machines fail (or Poisson calls arrive)."""
        if self.breakdowns != "customer_hours":
            return 1.0
        assert self.customer_hours is not None  # (the scenario's check)
        return float(self.customer_hours.hours_per_week) / (7 * 24.0)


# ---------------------------------------------------------------------------
# Territories and teams


@dataclass(frozen=True)
class Territories:
    """The territories: a team pools ``pooled`` of them, all teams alike.

    Attributes
    ----------
    count : int
        Territories in all.
    pooled : int
        Territories per team.
    technicians : int
        Technicians based in each territory.
    weights : tuple of float or None
        The scenario's relative sizes of a team's territories (``None``: equal).
    multipliers : tuple of float
        Each territory's load relative to an equal split (mean 1), per territory of a team.
    call_shares : tuple of float
        Each territory's share of its team's calls (sum 1).
    width_km, height_km : float or None
        The size of a territory (geometry).
    grid : tuple of int
        (columns, rows) of a team's territories.
    locations_csv : str or None
        The machines' given places (an absolute path), else uniform in each territory.
    """

    count: int
    pooled: int
    technicians: int
    weights: tuple[float, ...] | None
    multipliers: tuple[float, ...]
    call_shares: tuple[float, ...]
    width_km: float | None
    height_km: float | None
    grid: tuple[int, int]
    locations_csv: str | None

    @property
    def teams(self) -> int:
        return self.count // self.pooled

    @property
    def unequal(self) -> bool:
        """True when a team's territories carry different loads."""
        return len(set(self.call_shares)) > 1


@dataclass(frozen=True)
class Team:
    """One team (every team of the system is alike); technicians are numbered in the
    team from 0, territory by territory.

    Attributes
    ----------
    technicians : int
        Technicians in the team.
    territories : int
        Territories the team serves.
    home : tuple of int
        Each technician's home territory (team-local number).
    preference : tuple of tuple of int
        For each territory of the team, the team's technicians in the order a new call
        tries them (its own first, then by distance between territory centres, unless
        the scenario lists them).
    """

    technicians: int
    territories: int
    home: tuple[int, ...]
    preference: tuple[tuple[int, ...], ...]


# ---------------------------------------------------------------------------
# Where calls come from


class Layout:
    """How many machines each territory of a block has, and how they are numbered.

    Machines are numbered globally territory by territory, so a block's machines are the
    contiguous numbers ``base``, ``base + 1``...; with equal territories territory ``t``
    starts at ``t * machines``.  Made by :meth:`ServiceSystem.layout` for the block of
    territories a task builds (the whole fleet, or a block of teams).

    Parameters
    ----------
    per_team_territory
        Machines in each territory of a team (:attr:`FiniteFleet.per_territory`).
    pooled
        Territories per team.
    first, territories
        The block: its first territory (global number) and how many.
    """

    __slots__ = ("base", "counts", "first", "starts")

    def __init__(self, per_team_territory: Sequence[int], pooled: int, first: int, territories: int) -> None:
        team_total = sum(per_team_territory)
        self.first = first
        self.counts = [per_team_territory[t % pooled] for t in range(first, first + territories)]
        self.base = (first // pooled) * team_total + sum(per_team_territory[: first % pooled])
        self.starts = [0]  # block-local number of each territory's first machine
        for c in self.counts[:-1]:
            self.starts.append(self.starts[-1] + c)

    @property
    def machines(self) -> int:
        return sum(self.counts)

    def territory_of(self, machine: int) -> int:
        """The block-local territory of a block-local machine number."""
        return bisect.bisect_right(self.starts, machine) - 1


@dataclass(frozen=True)
class FiniteFleet:
    """A finite fleet: each machine breaks down after a life drawn from ``life``.

    Attributes
    ----------
    machines : int
        Machines per territory on average (the scenario's ``fleet.machines``).
    per_territory : tuple of int
        Machines in each territory of a team.
    life : Distribution
        Time to failure of a working machine (hours).
    """

    machines: int
    per_territory: tuple[int, ...]
    life: Distribution
    finite: Literal[True] = field(default=True, init=False)

    @property
    def machines_per_team(self) -> int:
        return self.machines * len(self.per_territory)


@dataclass(frozen=True)
class PoissonCalls:
    """An infinite source: Poisson calls whatever the number of machines down.

    Attributes
    ----------
    calls_per_h : float
        Calls per hour per territory on average (the scenario's ``fleet.calls_per_h``).
    per_territory : tuple of float
        The call rate of each territory of a team.
    """

    calls_per_h: float
    per_territory: tuple[float, ...]
    finite: Literal[False] = field(default=False, init=False)

    @property
    def calls_per_team_h(self) -> float:
        return self.calls_per_h * len(self.per_territory)


Source = FiniteFleet | PoissonCalls


# ---------------------------------------------------------------------------
# Travel and repair


@dataclass(frozen=True)
class TimeTravel:
    """Trips of a time drawn per call.

    Attributes
    ----------
    time : Distribution
        A trip's time (hours); with ``from_base``, the trip of a technician going
        straight on from the last job.
    from_base : Distribution or None
        The trip of a technician who was idle, from base.
    return_to_base : bool
        After each job the technician drives back to base (busy).
    """

    time: Distribution
    from_base: Distribution | None
    return_to_base: bool
    mode: Literal["time"] = field(default="time", init=False)

    @property
    def per_call(self) -> Distribution:
        """The time each call draws for its trip."""
        return self.time


@dataclass(frozen=True)
class GeometryTravel:
    """Trips of distance / speed between places in the territories.

    Attributes
    ----------
    metric : {"euclidean", "rectilinear"}
    circuity : float
        Road distance / straight distance.
    speed_kmh : float
    noise : Distribution or None
        Time added to every trip (parking, finding the site).
    return_to_base : bool
        After each job the technician drives back to base (busy).
    idle_at_base : bool
        A technician left without work waits at base (the drive home is idle time).
    """

    metric: Literal["euclidean", "rectilinear"]
    circuity: float
    speed_kmh: float
    noise: Distribution | None
    return_to_base: bool
    idle_at_base: bool
    mode: Literal["geometry"] = field(default="geometry", init=False)

    @property
    def rectilinear(self) -> bool:
        return self.metric == "rectilinear"

    @property
    def per_call(self) -> Distribution:
        """The time each call draws for its trip: the noise added to distance / speed."""
        return self.noise if self.noise is not None else Deterministic(0.0)


Travel = TimeTravel | GeometryTravel


@dataclass(frozen=True)
class Repair:
    """Work on site.

    Attributes
    ----------
    time : Distribution
        The on-site repair time (hours).
    p_other_failure : float
        Per visit, the probability that a cause other than a missing part (diagnosis,
        skills) fails the visit and calls for a revisit (``parts.p_other_failure``; 0
        without parts).
    """

    time: Distribution
    p_other_failure: float


@dataclass(frozen=True)
class RepeatRepairs:
    """Repairs that leave the cause (``[repair.repeat]``): after each repair, independently
    with probability ``p``, the machine works for a time drawn from ``after`` (instead of
    a fresh life) and fails again with the same fault, a repeat call.

    Attributes
    ----------
    p : float
        Chance that a repair leaves the cause.
    after : Distribution
        Working time from the repair to the repeat failure (hours).
    window_h : float
        The window of ``repeat_within_window`` (wall-clock hours from the restoration).
    """

    p: float
    after: Distribution
    window_h: float


@dataclass(frozen=True)
class Lifecycle:
    """Each machine's contract status and service life (``[fleet.lifecycle]``).

    Attributes
    ----------
    life : Distribution
        Service life of a machine (wall-clock hours from its installation); it is
        replaced at its end.
    warranty_h : float
        Warranty after installation (wall-clock hours).
    contract_share : float
        Chance that a machine is under contract after its warranty (drawn once per
        installation).
    warranty, contract, paid : int
        The class index of each status.
    in_warranty : float
        The stationary share of machines in warranty, P(age < warranty_h)
        (:func:`sim.analytic.renewal.stationary_age_cdf`); the classes' ``share`` is
        the breakdown share that follows from it (exact for exponential lives under
        class-blind dispatch).
    installation : int or None
        The index in ``work_types`` of the replacements' installation job (the last
        type); ``None``: a replacement takes no technician time.
    """

    life: Distribution
    warranty_h: float
    contract_share: float
    warranty: int
    contract: int
    paid: int
    in_warranty: float
    installation: int | None = None


@dataclass(frozen=True)
class WorkType:
    """A job type besides breakdown repairs (``[[work.types]]``): Poisson jobs that join
    the team's dispatch line and take their own on-site time, no parts, no machine down.

    Attributes
    ----------
    name : str
        Also the ``class`` of the type's rows in the tables.
    jobs_per_day : float
        Poisson jobs per territory and working day.
    jobs_per_h : float
        The same per hour of the arrival clock (``jobs_per_day / calendar.day_length_h``).
    duration : Distribution
        On-site time of one job (hours).
    priority : int
        On the scale of the classes' priorities (1 first; 1 when the scenario gives none).
    target_h : float or None
        Response target (logged -> on site); ``None``: none.
    revenue, cost : float
        Money per job done.
    travel : bool
        Trips as the scenario's travel; ``False``: on site at the dispatch.
    arrivals : str
        ``"poisson"``; ``"replacements"``: the installation job of ``[fleet.lifecycle]``,
        one per replacement (its rates are then the fleet's mean N / E[L]).
    """

    name: str
    jobs_per_day: float
    jobs_per_h: float
    duration: Distribution
    priority: int
    target_h: float | None
    revenue: float
    cost: float
    travel: bool
    arrivals: Literal["poisson", "replacements"] = "poisson"


# ---------------------------------------------------------------------------
# Classes and dispatch


@dataclass(frozen=True)
class ServiceClass:
    """A class of calls (e.g. contract, warranty).

    Attributes
    ----------
    name : str
    share : float
        Share of the calls in this class.
    priority : int
        1 is served first under the priority policy (1 when the scenario gives none).
    sla_h : float or None
        The response promise in hours.
    sla_penalty : float
        Money per call that breaks the SLA: the class's own, else ``costs.sla_penalty``
        (0 without costs).
    restore_sla_h : float or None
        The restored milestone: the machine works again within this many hours of the
        breakdown (``None``: no such promise).
    restore_business : bool
        The restore clock counts customer hours only (else every hour).
    part_wait_stops_clock : bool
        Hours waiting for spare parts do not count on the restore clock.
    reply_sla_h : float or None
        The reply milestone (``[helpdesk]``): the customer's call answered within this
        many hours; ``None``: the helpdesk's ``reply_target_h``.
    reply_business : bool
        The reply clock counts customer hours only (else every hour).
    revenue, cost : float
        Money per call restored: its invoice, and its direct cost.
    """

    name: str
    share: float
    priority: int
    sla_h: float | None
    sla_penalty: float
    restore_sla_h: float | None = None
    restore_business: bool = False
    part_wait_stops_clock: bool = False
    reply_sla_h: float | None = None
    reply_business: bool = False
    revenue: float = 0.0
    cost: float = 0.0


#: the pairs (queue discipline, technician choice) that ``dispatch.policy`` names
POLICY_PAIRS: dict[str, tuple[str, str]] = DISPATCH_POLICIES


@dataclass(frozen=True)
class Dispatch:
    """Which waiting call a free technician takes, and which free technician a new call
    gets (the team's preference lists)."""

    policy: Policy
    record_decisions: bool
    discipline: str = "fifo"  # the queue discipline and technician choice of the policy,
    technician: str = "longest_idle"  # or those given in their place

    @property
    def pair(self) -> tuple[str, str]:
        """(queue discipline, technician choice)."""
        return (self.discipline, self.technician)

    @property
    def uses_distances(self) -> bool:
        return "nearest" in self.pair


# ---------------------------------------------------------------------------
# Parts


@dataclass(frozen=True)
class StockPolicy:
    """Replenishment of one part type at one location: base stock (S-1, S), or (s, S)."""

    policy: Literal["base_stock", "sS"]
    S: int
    s: int | None


@dataclass(frozen=True)
class PartType:
    """One part type.

    Attributes
    ----------
    name : str
    p_need : float
        Probability that a call needs it (independent per type).
    quantity : Distribution or None
        Units when needed (rounded up, at least 1); ``None``: one.
    unit_cost : float
    van, depot : StockPolicy or None
        Stock kept in each van and at the depot (``None``: none).
    """

    name: str
    p_need: float
    quantity: Distribution | None
    unit_cost: float
    van: StockPolicy | None
    depot: StockPolicy | None


@dataclass(frozen=True)
class Parts:
    """Spare parts: what calls need, where stock is kept, what a shortage does.

    Attributes
    ----------
    types : tuple of PartType
    shortage : {"wait", "revisit", "emergency"}
        The technician waits on site, leaves and comes back, or has the part rushed.
    supplier_lead_time, depot_to_van, emergency, failed_visit : Distribution
        Supplier's lead time, depot-to-van transit, an emergency shipment, the time on
        site of a visit that fails for a missing part (hours).
    use_depot : bool
        False: vans are replenished straight from the supplier.
    shared_depot : bool
        One depot for all teams instead of one per team.
    emergency_cost : float
    revisit_first : bool
        A revisit goes to the front of the line.
    revisit_priority : int or None
        Under the priority policy, the priority revisits wait at.
    reservation : bool
        Units are reserved from the van when the call is logged.
    holding_cost_per_unit_year : float
    """

    types: tuple[PartType, ...]
    shortage: ShortageRule
    supplier_lead_time: Distribution
    depot_to_van: Distribution
    use_depot: bool
    shared_depot: bool
    emergency: Distribution
    emergency_cost: float
    failed_visit: Distribution
    revisit_first: bool
    revisit_priority: int | None
    reservation: bool
    holding_cost_per_unit_year: float

    @property
    def batches(self) -> bool:
        """True when a call may need several units of a type."""
        return any(t.quantity is not None for t in self.types)


# ---------------------------------------------------------------------------
# Work besides breakdown repairs


@dataclass(frozen=True)
class Maintenance:
    """Preventive maintenance per machine on its hours of operation (``[work.maintenance]``,
    age-based renewal; the rules are in :class:`sim.config.work.Maintenance`).

    Attributes
    ----------
    every_h : float
        Hours of operation from a renewal (planned visit or repair) to the next due time;
        a calendar plan (``calendar``): hours of the clock between two openings of a
        machine's window (``every_days`` working days).
    window_h : float
        The technician should be on site within this many hours of the due time; a
        calendar plan: of the window's opening (the window is ``2 x tolerance_days``).
    urgent_within_h : float
        In the window's last hours the planned job goes before the breakdowns.
    duration : Distribution
        On-site time of one planned visit (hours).
    travel : bool
        Trips as the scenario's travel; ``False``: on site at the dispatch.
    revenue, cost : float
        Money per planned visit done: the fee, and its direct cost.
    breakdown_cost : float
        Direct cost of one breakdown of a maintained machine (the age-replacement c_f).
    calendar : bool
        A plan in calendar days (``every_days``): a fixed calendar per machine, the job
        released when its window opens, ``tolerance_days`` before the due time.
    every_days : float or None
        The calendar plan's interval in working days.
    row : str
        The ``class`` of the planned visits' rows in the tables.
    """

    every_h: float
    window_h: float
    urgent_within_h: float
    duration: Distribution
    travel: bool
    revenue: float = 0.0
    cost: float = 0.0
    breakdown_cost: float = 0.0
    calendar: bool = False
    every_days: float | None = None
    row: str = "maintenance"

    @property
    def priced(self) -> bool:
        """Whether the plan has a cost rate (``pm_cost_per_day``)."""
        return bool(self.cost or self.breakdown_cost)

    @property
    def urgent_after_h(self) -> float:
        """Hours after the due time at which a waiting planned job becomes urgent."""
        return self.window_h - self.urgent_within_h


@dataclass(frozen=True)
class Visits:
    """Periodic visits to key customers (``[work.visits]``; the rules are in
    :class:`sim.config.work.Visits`).

    Attributes
    ----------
    customers : int
        Key customers per territory.
    every_h : float
        Hours of the clock between two visits of a customer (``every_days`` working days).
    every_days : float
        The same in working days.
    window_h, urgent_within_h : float
        The tolerance window after the due time, and its last hours in which the visit
        goes before the breakdowns.
    duration : Distribution
        On-site time of one visit (hours).
    travel : bool
        Trips as the scenario's travel; ``False``: on site at the dispatch.
    revenue, cost : float
        Money per visit made: the fee, and its direct cost.
    row : str
        The ``class`` of the visits' rows in the tables.
    """

    customers: int
    every_h: float
    every_days: float
    window_h: float
    urgent_within_h: float
    duration: Distribution
    travel: bool
    revenue: float = 0.0
    cost: float = 0.0
    row: str = "visits"

    @property
    def urgent_after_h(self) -> float:
        """Hours after the due time at which a waiting visit becomes urgent."""
        return self.window_h - self.urgent_within_h


@dataclass(frozen=True)
class InternalWork:
    """Internal work (category D) taken whenever a technician is idle (multiple
    vacations): a technician with no call waiting does one task after another, and takes
    a waiting call only when the task in hand is finished.

    Attributes
    ----------
    task : Distribution
        The length of one task (hours).
    """

    task: Distribution
    mode: Literal["when_idle"] = "when_idle"


@dataclass(frozen=True)
class InternalBlocks:
    """Internal work (category D) in scheduled blocks (``[work.internal]`` with ``mode =
    "scheduled"``; the rules are in :class:`sim.config.work.InternalWork`).

    Attributes
    ----------
    block_h : float
        Hours of one block.
    every_h : float
        Hours of the clock between two blocks of one technician (``block_h / share``).
    share : float
        Share of each technician's time in blocks.
    """

    block_h: float
    every_h: float
    share: float


@dataclass(frozen=True)
class Helpdesk:
    """The helpdesk before dispatch (``[helpdesk]``): agents take every breakdown call
    FIFO; after handling, a share is resolved remotely (the agent keeps it for the remote
    time), the rest go on to dispatch.

    Attributes
    ----------
    agents : int
    handling : Distribution
        An agent's time with one request, to the reply (hours).
    reply_target_h : float or None
        The reply target (``reply_met``); ``None``: no target.
    remote_share : float
        Probability that a request is resolved remotely (never visited).
    remote : Distribution or None
        The agent's further time on a remote resolution; ``None``: none.
    shifts : WeeklyCalendar or None
        The agents' working hours; ``None``: always open.
    """

    agents: int
    handling: Distribution
    reply_target_h: float | None
    remote_share: float
    remote: Distribution | None
    shifts: WeeklyCalendar | None = None


@dataclass(frozen=True)
class Contractor:
    """A contractor for overflow (``[contractor]``): an outside resource, no technician of
    the teams; each team has its own share of it (``capacity`` jobs at once per team).

    Attributes
    ----------
    when : {"all_busy", "wait_over"}
        The overflow rule: no technician free at the call's arrival, or the call still
        waiting ``threshold_h`` hours after it was logged.
    threshold_h : float or None
        With ``wait_over``.
    rows : frozenset of int
        The rows (service classes, then job types) the rule applies to.
    always : frozenset of int
        Rows (job types) sent to the contractor whenever they are logged.
    capacity : int or None
        Jobs at once per team; ``None``: unlimited.
    response : Distribution
        Hand-over -> contractor on site (hours).
    repair : Distribution or None
        Time on site; ``None``: the call's own repair time.
    first_time_fix : float
        Chance that a contractor visit restores the machine.
    price : float
        Money per contractor visit.
    """

    when: Literal["all_busy", "wait_over"]
    threshold_h: float | None
    rows: frozenset[int]
    always: frozenset[int]
    capacity: int | None
    response: Distribution
    repair: Distribution | None
    first_time_fix: float
    price: float


@dataclass(frozen=True)
class Complaints:
    """Broken promises raise complaints, handled by supervisors (``[complaints]``).

    Attributes
    ----------
    supervisors : int
    handling : Distribution
        A supervisor's time with one complaint (hours).
    deadline_h : float
        Raised -> resolved within this many hours (``complaint_met``).
    probability : tuple of float
        Per :class:`Promise` (its index): the chance that a breach raises a complaint.
    shifts : WeeklyCalendar or None
        The supervisors' working hours; ``None``: always.
    """

    supervisors: int
    handling: Distribution
    deadline_h: float
    probability: tuple[float, ...]
    shifts: WeeklyCalendar | None = None

    @property
    def promises(self) -> tuple[Promise, ...]:
        """The promises whose breach can raise a complaint (probability above 0)."""
        return tuple(p for p in Promise if self.probability[p] > 0.0)


@dataclass(frozen=True)
class Appointments:
    """Booked work given arrival windows (``[appointments]``).

    Attributes
    ----------
    rows : frozenset of int
        The booked rows (service classes, then job types); the others are urgent.
    window_h, lead_h, held_back : float
        Window width, minimum lead time from the booking to the window's start, share of
        a window's capacity held back for urgent work.
    capacity_h : float
        Technician-hours per window and team (before the share held back).
    job_h : tuple of float
        Per row: the hours one booking takes from a window's capacity.
    release_h : tuple of float
        Per row: how long before the window opens the call is released to dispatch (the
        row's mean trip, so that the technician arrives about when it opens).
    windows : tuple of (float, float, float)
        The week's windows as (start, end, end of their working day), hours from Monday
        00:00, in order; week ``k`` repeats them ``168 k`` hours later.  A window's working
        day ends with its working interval, or at the midnight after its start if that
        comes first (but never before the window's end).
    day_starts : tuple of float
        The starts of the week's working intervals (for "the next working day").
    preferred_days : Distribution or None
        The customer's preferred day offset (days after the request, rounded down).
    release_held_h : float or None
        The share held back opens to bookings made at most this many hours before the
        window starts; ``None``: never.
    preferred_shares : tuple of float
        Per preferred time of day (``preferred_times``): the cumulative share of booked
        calls drawn into it (a uniform below the k-th entry and above the one before
        picks time k; above the last: no preference).  Empty: none.
    preferred_windows : tuple of frozenset of int
        Per preferred time of day: the indices (in :attr:`windows`) of the week's
        windows that lie inside it.
    """

    rows: frozenset[int]
    window_h: float
    lead_h: float
    held_back: float
    capacity_h: float
    job_h: tuple[float, ...]
    release_h: tuple[float, ...]
    windows: tuple[tuple[float, float, float], ...]
    day_starts: tuple[float, ...]
    preferred_days: Distribution | None
    release_held_h: float | None = None
    preferred_shares: tuple[float, ...] = ()
    preferred_windows: tuple[frozenset[int], ...] = ()

    @property
    def offered_h(self) -> float:
        """Technician-hours of a window open to bookings."""
        return self.capacity_h * (1.0 - self.held_back)

    def window(self, i: int) -> tuple[float, float, float]:
        """Window ``i`` (counted from the first of week 0): (start, end, interval end)."""
        week, k = divmod(i, len(self.windows))
        a, b, c = self.windows[k]
        shift = 168.0 * week
        return a + shift, b + shift, c + shift

    def first_window(self, t: float) -> int:
        """The index of the first window that starts at or after ``t``."""
        n = len(self.windows)
        week = math.floor(t / 168.0)
        r = t - 168.0 * week
        k = bisect.bisect_left([w[0] for w in self.windows], r - 1e-9)
        return week * n + k

    def next_day_end(self, t: float) -> float:
        """The end (midnight) of the next working day after the calendar day of ``t``."""
        after = (math.floor(t / 24.0) + 1) * 24.0
        week = math.floor(after / 168.0)
        for w in (week, week + 1):
            for a in self.day_starts:
                start = a + 168.0 * w
                if start >= after:
                    return (math.floor(start / 24.0) + 1) * 24.0
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Satisfaction:
    """The satisfaction score per call (``[satisfaction]``): a model, not data.

    ``score = max(worst, best - sum of broken[p] for each promise p broken -
    not_fixed_first_time x [visits > 1] - per_response_h x response_h - per_restore_h x
    restore_h)``.

    Attributes
    ----------
    best, worst : float
    not_fixed_first_time, per_response_h, per_restore_h : float
    broken : tuple of float
        Per :class:`Promise` (its index): the points off when it is broken.
    """

    best: float
    worst: float
    not_fixed_first_time: float
    per_response_h: float
    per_restore_h: float
    broken: tuple[float, ...]


@dataclass(frozen=True)
class SkillGroup:
    """One skill group of every team (``[[skills.groups]]``).

    Attributes
    ----------
    name : str
    technicians : int
        Members per team (the team's technicians are numbered group by group).
    skills : frozenset of int
        The skills (indices into :attr:`Skills.names`) its members have.
    repair_factor : float
        A member's visit lasts the call's repair time x this.
    first_time_fix : float
        Chance that a member's visit fixes the machine.
    escalation : float
        Chance that a member's first visit ends in escalation (to :attr:`Skills.escalate_to`).
    escalation_by_need : tuple of float or None
        The chance by fault type (the skill the call needs, by index), from a table
        ``escalation = {skill = p}``; ``None``: ``escalation`` for every need.
    """

    name: str
    technicians: int
    skills: frozenset[int]
    repair_factor: float
    first_time_fix: float
    escalation: float = 0.0
    escalation_by_need: tuple[float, ...] | None = None

    def escalation_of(self, need: int) -> float:
        """Chance that a member's first visit to a call needing skill ``need`` ends in
        escalation (a call needing the specialists' skill is never escalated: the model
        checks that)."""
        by_need = self.escalation_by_need
        return self.escalation if by_need is None else by_need[need]

    @property
    def escalates(self) -> bool:
        """Whether any first visit of a member can end in escalation."""
        return any(self.escalation_of(k) > 0 for k in self.skills)


@dataclass(frozen=True)
class RemoteExperts:
    """The remote-expert tier of escalated calls (``[skills.escalation.remote]``).

    Attributes
    ----------
    experts : int
        Experts per team.
    handling : Distribution
        An expert's time per escalated call.
    fix : float
        Chance that the expert fixes the machine remotely.
    """

    experts: int
    handling: Distribution
    fix: float


@dataclass(frozen=True)
class Skills:
    """Skill groups and the skills calls need (``[skills]``).

    Attributes
    ----------
    names : tuple of str
        The skills, in the order of ``skills.needs``.
    shares : tuple of float
        Share of breakdown calls needing each skill.
    groups : tuple of SkillGroup
    escalate_to : int or None
        The skill an escalated call needs (``[skills.escalation]``); ``None``: no escalation.
    remote : RemoteExperts or None
        The remote-expert tier an escalated call goes to first; ``None``: straight to the
        specialists.
    """

    names: tuple[str, ...]
    shares: tuple[float, ...]
    groups: tuple[SkillGroup, ...]
    escalate_to: int | None = None
    remote: RemoteExperts | None = None

    @property
    def group_of(self) -> tuple[int, ...]:
        """Each team-local technician's group (technicians numbered group by group)."""
        return tuple(g for g, group in enumerate(self.groups) for _ in range(group.technicians))

    @property
    def eligible(self) -> tuple[tuple[int, ...], ...]:
        """For each skill, the groups that have it."""
        return tuple(
            tuple(g for g, group in enumerate(self.groups) if k in group.skills)
            for k in range(len(self.names))
        )


# ---------------------------------------------------------------------------
# Money and report


@dataclass(frozen=True)
class Costs:
    """Money rates in one currency (``currency`` is a label only)."""

    currency: str
    technician_per_h: float
    technician_per_year: float
    added_technician_per_year: float
    working_days_per_year: float
    travel_per_h: float
    sla_penalty: float
    downtime_per_machine_h: float


@dataclass(frozen=True)
class ReportSettings:
    """What the scenario asks the tables to report beyond the fixed KPIs."""

    wait_thresholds_h: tuple[float, ...]

    @property
    def wait_kpi_names(self) -> tuple[str, ...]:
        """``p_wait_gt_<x>h`` for every threshold."""
        return tuple(threshold_kpi(t) for t in self.wait_thresholds_h)


@dataclass(frozen=True)
class Targets:
    """The service organisation's targets: bounds on KPIs and the objective that ranks
    the designs meeting them (the scenario's ``[targets]``, parsed).

    Attributes
    ----------
    constraints : tuple of sim.config.Target
        ``wait_h <= 2``, ``sla_met[contract] >= 0.95`` ...
    objective : (str, bool) or None
        ``(kpi, minimize)``; ``None``: every design meeting the bounds is listed.
    """

    constraints: tuple[Target, ...]
    objective: tuple[str, bool] | None


# ---------------------------------------------------------------------------
# The system


@dataclass(frozen=True)
class ServiceSystem:
    """The resolved service system of one scenario (one design point).

    Attributes
    ----------
    name : str
        The scenario's name.
    run : Run
    calendar : Calendar
    territories : Territories
    teams : int
        Number of teams, all alike.
    team : Team
        What one team is.
    source : FiniteFleet or PoissonCalls
        Where each territory's calls come from.
    travel : TimeTravel or GeometryTravel
    repair : Repair
    classes : tuple of ServiceClass
    dispatch : Dispatch
    parts : Parts or None
    costs : Costs or None
    report : ReportSettings
    targets : Targets or None
        ``None``: the scenario has no ``[targets]``.
    repeats : RepeatRepairs or None
        Repeat repairs of a finite fleet; ``None``: every repair removes the cause.
    internal : InternalWork or None
        Internal work taken when idle (``[work.internal]``); ``None``: none.
    internal_blocks : InternalBlocks or None
        Internal work in scheduled blocks (``[work.internal]``, ``mode = "scheduled"``).
    work_types : tuple of WorkType
        Job types besides breakdown repairs (empty: breakdown repairs only).  In the
        model and the tallies a job of type ``j`` is in class ``len(classes) + j``
        (:attr:`row_names`).
    helpdesk : Helpdesk or None
        The stage before dispatch (``[helpdesk]``); ``None``: calls go straight to dispatch.
    maintenance : Maintenance or None
        Preventive maintenance of a finite fleet (``[work.maintenance]``); its visits are
        the row after the job types (:attr:`row_names`); ``None``: none.
    visits : Visits or None
        Periodic visits to key customers (``[work.visits]``), the last row; ``None``: none.
    contractor : Contractor or None
        Overflow to a contractor (``[contractor]``); ``None``: none.
    complaints : Complaints or None
        Complaints raised by broken promises (``[complaints]``); ``None``: none.
    satisfaction : Satisfaction or None
        The score per call (``[satisfaction]``); ``None``: none.
    skills : Skills or None
        Skill groups and the calls' skill needs (``[skills]``); ``None``: everyone does
        every job.
    categories : tuple of int or None
        The service report's category of each row (:attr:`row_names`), 0 to 3 for A to D
        (``[work.categories]``; internal tasks are D); ``None``: no hours by category.
    """

    name: str
    run: Run
    calendar: Calendar
    territories: Territories
    teams: int
    team: Team
    source: Source
    travel: Travel
    repair: Repair
    classes: tuple[ServiceClass, ...]
    dispatch: Dispatch
    parts: Parts | None
    costs: Costs | None
    report: ReportSettings
    targets: Targets | None
    repeats: RepeatRepairs | None = None
    internal: InternalWork | None = None
    internal_blocks: InternalBlocks | None = None
    work_types: tuple[WorkType, ...] = ()
    helpdesk: Helpdesk | None = None
    maintenance: Maintenance | None = None
    visits: Visits | None = None
    lifecycle: Lifecycle | None = None
    contractor: Contractor | None = None
    complaints: Complaints | None = None
    satisfaction: Satisfaction | None = None
    appointments: Appointments | None = None
    skills: Skills | None = None
    categories: tuple[int, ...] | None = None

    @property
    def row_names(self) -> tuple[str, ...]:
        """The classes' names, then the job types', then the rows of the planned
        maintenance visits and of the key-customer visits: the per-class rows of the tables."""
        planned = [] if self.maintenance is None else [self.maintenance.row]
        planned += [] if self.visits is None else [self.visits.row]
        return (*(c.name for c in self.classes), *(t.name for t in self.work_types), *planned)

    @property
    def priced_plans(self) -> tuple[Maintenance | Visits, ...]:
        """The planned work (maintenance, key-customer visits) with a revenue or a cost per
        visit: its rows carry ``revenue_per_day``, ``job_cost_per_day``, ``margin_per_day``."""
        plans: list[Maintenance | Visits] = [p for p in (self.maintenance, self.visits) if p is not None]
        return tuple(p for p in plans if p.revenue or p.cost)

    @property
    def priced_classes(self) -> tuple[ServiceClass, ...]:
        """The service classes with a revenue or a cost per call: their rows carry money."""
        return tuple(c for c in self.classes if c.revenue or c.cost)

    @property
    def technicians(self) -> int:
        """Technicians in all teams."""
        return self.team.technicians * self.teams

    @property
    def geometry(self) -> bool:
        return isinstance(self.travel, GeometryTravel)

    def layout(self, territories: range) -> Layout:
        """The machines of the territories ``territories`` (global numbers: the whole
        fleet, or a block of whole teams) and their global numbers; a finite fleet only."""
        if not isinstance(self.source, FiniteFleet):
            raise ValueError("only a finite fleet has a layout of machines")
        return Layout(self.source.per_territory, self.territories.pooled, territories.start, len(territories))

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ServiceSystem:
        """Resolve a validated scenario (one design point: its sweep is not expanded).

        Parameters
        ----------
        scenario : sim.config.Scenario

        Returns
        -------
        ServiceSystem
        """
        costs = _costs(scenario)
        territories = _territories(scenario)
        lifecycle = _lifecycle(scenario)
        return cls(
            name=scenario.meta.name,
            run=_run(scenario),
            calendar=_calendar(scenario),
            territories=territories,
            teams=territories.teams,
            team=_team(scenario),
            source=_source(scenario),
            travel=_travel(scenario),
            repair=Repair(
                scenario.repair.time_h.build(),
                scenario.parts.p_other_failure if scenario.parts is not None else 0.0,
            ),
            classes=tuple(
                ServiceClass(
                    c.name,
                    c.share if c.share is not None else _status_share(lifecycle, i),
                    c.priority if c.priority is not None else 1,
                    c.sla_h,
                    c.penalty if c.penalty is not None else costs.sla_penalty if costs is not None else 0.0,
                    c.restore_sla_h,
                    (c.restore_clock or scenario.calendar.sla_clock) == "business",
                    c.part_wait_stops_clock,
                    c.reply_sla_h,
                    c.reply_clock == "business",
                    c.revenue,
                    c.cost,
                )
                for i, c in enumerate(scenario.fleet.classes)
            ),
            dispatch=Dispatch(
                scenario.dispatch.policy, scenario.dispatch.record_decisions, *scenario.dispatch.pair
            ),
            parts=_parts(scenario),
            costs=costs,
            report=ReportSettings(tuple(scenario.report.wait_thresholds_h)),
            targets=None
            if scenario.targets is None
            else Targets(tuple(scenario.targets.constraints), scenario.targets.objective),
            repeats=_repeats(scenario),
            internal=_internal(scenario),
            internal_blocks=_internal_blocks(scenario),
            work_types=_work_types(scenario),
            helpdesk=_helpdesk(scenario),
            maintenance=_maintenance(scenario),
            visits=_visits(scenario),
            lifecycle=lifecycle,
            contractor=_contractor(scenario),
            complaints=_complaints(scenario),
            satisfaction=_satisfaction(scenario),
            appointments=_appointments(scenario),
            skills=_skills(scenario),
            categories=_categories(scenario),
        )


def _run(sc: Scenario) -> Run:
    r = sc.run
    return Run(r.horizon_h, r.warmup_h, r.replications, r.batches, r.seed)


def _calendar(sc: Scenario) -> Calendar:
    cal = sc.calendar
    shifts: WeeklyCalendar | None = cal.technician_calendar()
    customer: WeeklyCalendar | None = cal.customer_calendar()
    return Calendar(
        cal.hours_per_day, cal.day_length_h, shifts, customer, cal.wip, cal.breakdowns, cal.sla_clock
    )


def _territories(sc: Scenario) -> Territories:
    t = sc.territories
    weights = None if t.weights is None else tuple(t.weights)
    # the shares as the formulas use them (w / sum), the multipliers as the model does
    # (w x pooled / sum): the same arithmetic as before, so the numbers stay bit-identical
    raw = list(weights) if weights is not None else [1.0] * t.pooled
    total = math.fsum(raw)
    return Territories(
        t.count,
        t.pooled,
        t.technicians,
        weights,
        tuple(t.multipliers),
        tuple(w / total for w in raw),
        t.width_km,
        t.height_km,
        team_grid(t.pooled),
        t.locations_csv,
    )


def _team(sc: Scenario) -> Team:
    t = sc.territories
    size = t.technicians * t.pooled
    return Team(
        size,
        t.pooled,
        tuple(i // t.technicians for i in range(size)),
        _lists(sc.preference_lists),
    )


def _lists(lists: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(order) for order in lists)


def _source(sc: Scenario) -> Source:
    fleet, t = sc.fleet, sc.territories
    if fleet.machines is not None:
        assert fleet.time_to_failure_h is not None  # (the scenario's check)
        return FiniteFleet(
            fleet.machines, tuple(t.machines_of(fleet.machines)), fleet.time_to_failure_h.build()
        )
    assert fleet.calls_per_h is not None
    return PoissonCalls(fleet.calls_per_h, tuple(fleet.calls_per_h * m for m in t.multipliers))


def _repeats(sc: Scenario) -> RepeatRepairs | None:
    r = sc.repair.repeat
    return None if r is None else RepeatRepairs(r.p, r.after_h.build(), r.window_h)


def _helpdesk(sc: Scenario) -> Helpdesk | None:
    h = sc.helpdesk
    if h is None:
        return None
    remote = None if h.remote_h is None else h.remote_h.build()
    return Helpdesk(h.agents, h.handling_h.build(), h.reply_target_h, h.remote_share, remote, h.calendar())


def _lifecycle(sc: Scenario) -> Lifecycle | None:
    life = sc.fleet.lifecycle
    if life is None:
        return None
    from sim.analytic.renewal import stationary_age_cdf  # (a pure function of the life)

    names = [c.name for c in sc.fleet.classes]
    dist = life.life_h.build()
    return Lifecycle(
        dist,
        life.warranty_h,
        life.contract_share,
        names.index(life.warranty_class),
        names.index(life.contract_class),
        names.index(life.paid_class),
        stationary_age_cdf(dist, life.warranty_h),
        None if life.installation is None else len(sc.work.types if sc.work is not None else []),
    )


def _status_share(life: Lifecycle | None, index: int) -> float:
    """A class's share of the breakdowns when a machine's status gives its class."""
    assert life is not None  # (the scenario's check: a class without share needs a lifecycle)
    from sim.analytic.renewal import status_shares

    shares = status_shares(life.in_warranty, life.contract_share)
    return shares[(life.warranty, life.contract, life.paid).index(index)]


def _work_types(sc: Scenario) -> tuple[WorkType, ...]:
    day = sc.calendar.day_length_h
    out = []
    for t in sc.work.types if sc.work is not None else []:
        out.append(
            WorkType(
                t.name,
                t.jobs_per_day,
                t.jobs_per_day / day,
                t.duration_h.build(),
                t.priority if t.priority is not None else 1,
                t.target_h,
                t.revenue,
                t.cost,
                t.travel,
            )
        )
    life = sc.fleet.lifecycle
    if life is not None and life.installation is not None:
        # one job per replacement: N / E[L] per territory on average (the renewal rate)
        job, machines = life.installation, sc.fleet.machines
        assert machines is not None  # (the scenario's check: a lifecycle needs a fleet)
        per_h = machines / life.life_h.build().mean
        priority = job.priority if job.priority is not None else 1
        duration = job.duration_h.build()
        out.append(
            WorkType(
                job.name,
                per_h * day,
                per_h,
                duration,
                priority,
                job.target_h,
                job.revenue,
                job.cost,
                job.travel,
                "replacements",
            )
        )
    return tuple(out)


def _contractor(sc: Scenario) -> Contractor | None:
    c = sc.contractor
    if c is None:
        return None
    rows = [x.name for x in sc.fleet.classes] + ([t.name for t in sc.work.types] if sc.work else [])
    return Contractor(
        c.when,
        c.threshold_h,
        frozenset(range(len(rows)) if c.classes is None else (rows.index(n) for n in c.classes)),
        frozenset(rows.index(n) for n in c.always),
        c.capacity,
        c.response_h.build(),
        _build_optional(c.repair_h),
        c.first_time_fix,
        c.price,
    )


def _complaints(sc: Scenario) -> Complaints | None:
    c = sc.complaints
    if c is None:
        return None
    return Complaints(
        c.supervisors,
        c.handling_h.build(),
        c.deadline_h,
        tuple(c.probability.of(p) for p in Promise),
        c.calendar(),
    )


def _appointments(sc: Scenario) -> Appointments | None:
    a = sc.appointments
    if a is None:
        return None
    from sim.config.appointments import booking_hours  # (the default planning figure)

    types = sc.work.types if sc.work is not None else []
    rows = [x.name for x in sc.fleet.classes] + [t.name for t in types]
    trip = sc.travel.time_h.build().mean
    travels = [True] * len(sc.fleet.classes) + [t.travel for t in types]
    cal = sc.calendar.technician_calendar()
    assert cal is not None  # (the scenario's check: booked rows need working hours)
    windows = []
    for start, end in cal.intervals:
        n = int((end - start) / a.window_h + 1e-9)
        for k in range(n):
            a_, b_ = start + k * a.window_h, start + (k + 1) * a.window_h
            # the window's working day ends with its interval, or at midnight if that is later
            # than the window's end (a calendar around the clock is one long interval)
            windows.append((a_, b_, max(b_, min(end, (math.floor(a_ / 24.0) + 1) * 24.0))))
    team = sc.territories.technicians * sc.territories.pooled
    return Appointments(
        frozenset(rows.index(n) for n in a.booked),
        a.window_h,
        a.lead_h,
        a.held_back,
        a.capacity_h if a.capacity_h is not None else team * a.window_h,
        tuple(
            (a.job_h if a.job_h is not None else booking_hours(sc, n)) if n in a.booked else 0.0 for n in rows
        ),
        tuple(trip if t else 0.0 for t in travels),
        tuple(windows),
        tuple(s for s, _ in cal.intervals),
        _build_optional(a.preferred_days),
        a.release_held_h,
        *_preferred_times(a, windows),
    )


def _preferred_times(
    a: Any, windows: list[tuple[float, float, float]]
) -> tuple[tuple[float, ...], tuple[frozenset[int], ...]]:
    """The cumulative shares of ``appointments.preferred_times`` and, per time, the week's
    windows inside it."""
    from sim.config.appointments import fits_time_of_day

    times = a.preferred_times or []
    shares = tuple(itertools.accumulate(p.share for p in times))
    inside = tuple(
        frozenset(
            k
            for k, (s, e, _) in enumerate(windows)
            if fits_time_of_day(s, e, parse_clock(p.start), parse_clock(p.end))
        )
        for p in times
    )
    return shares, inside


def _satisfaction(sc: Scenario) -> Satisfaction | None:
    s = sc.satisfaction
    if s is None:
        return None
    return Satisfaction(
        s.best,
        s.worst,
        s.not_fixed_first_time,
        s.per_response_h,
        s.per_restore_h,
        tuple(s.broken.of(p) for p in Promise),
    )


def _skills(sc: Scenario) -> Skills | None:
    sk = sc.skills
    if sk is None:
        return None
    names = tuple(sk.needs)
    return Skills(
        names,
        tuple(sk.needs.values()),
        tuple(
            SkillGroup(
                g.name,
                g.technicians,
                frozenset(names.index(s) for s in g.skills),
                g.repair_factor,
                g.first_time_fix,
                0.0 if isinstance(g.escalation, dict) else g.escalation,
                tuple(g.escalation.get(s, 0.0) for s in names) if isinstance(g.escalation, dict) else None,
            )
            for g in sk.groups
        ),
        None if sk.escalation is None else names.index(sk.escalation.to),
        _remote_experts(sk.escalation.remote if sk.escalation is not None else None),
    )


def _remote_experts(r: Any) -> RemoteExperts | None:
    return None if r is None else RemoteExperts(r.experts, r.handling_h.build(), r.fix)


def _travel(sc: Scenario) -> Travel:
    tr = sc.travel
    if tr.mode == "geometry":
        return GeometryTravel(
            tr.metric,
            tr.circuity,
            tr.speed_kmh,
            _build_optional(tr.noise_h),
            tr.return_to_base,
            tr.idle_at_base,
        )
    return TimeTravel(tr.time_h.build(), _build_optional(tr.from_base_h), tr.return_to_base)


def _stock(policy: Any) -> StockPolicy | None:
    return None if policy is None else StockPolicy(policy.policy, policy.S, policy.s)


def _parts(sc: Scenario) -> Parts | None:
    p = sc.parts
    if p is None:
        return None
    return Parts(
        tuple(
            PartType(
                t.name, t.p_need, _build_optional(t.quantity), t.unit_cost, _stock(t.van), _stock(t.depot)
            )
            for t in p.types
        ),
        p.shortage,
        p.supplier_lead_time_h.build(),
        p.depot_to_van_h.build(),
        p.use_depot,
        p.shared_depot,
        p.emergency_h.build(),
        p.emergency_cost,
        p.failed_visit_h.build(),
        p.revisit_first,
        p.revisit_priority,
        p.reservation,
        p.holding_cost_per_unit_year,
    )


def _categories(sc: Scenario) -> tuple[int, ...] | None:
    """Each row's category index (A = 0 ... D = 3), in the order of ``row_names``."""
    if sc.work is None or sc.work.categories is None:
        return None
    of = categories_of(sc)
    return tuple(CATEGORIES.index(of[row]) for row in row_names(sc))


def _internal(sc: Scenario) -> InternalWork | None:
    internal = sc.work.internal if sc.work is not None else None
    if internal is None or internal.mode != "when_idle":
        return None
    assert internal.task_h is not None  # (the section's check)
    return InternalWork(internal.task_h.build())


def _internal_blocks(sc: Scenario) -> InternalBlocks | None:
    internal = sc.work.internal if sc.work is not None else None
    if internal is None or internal.mode != "scheduled":
        return None
    assert internal.block_h is not None and internal.share is not None  # (the section's check)
    return InternalBlocks(internal.block_h, internal.every_h, internal.share)


def _costs(sc: Scenario) -> Costs | None:
    c = sc.costs
    if c is None:
        return None
    return Costs(
        c.currency,
        c.technician_per_h,
        c.technician_per_year,
        c.added_technician_per_year,
        c.working_days_per_year,
        c.travel_per_h,
        c.sla_penalty,
        c.downtime_per_machine_h,
    )


def _maintenance(sc: Scenario) -> Maintenance | None:
    m = sc.work.maintenance if sc.work is not None else None
    if m is None:
        return None
    day = sc.calendar.day_length_h
    every_h = m.every_h if m.every_days is None else m.every_days * day
    assert every_h is not None  # (the section's check)
    return Maintenance(
        every_h,
        m.window_length_h(day),
        m.urgent_within_h,
        m.duration_h.build(),
        m.travel,
        m.revenue,
        m.cost,
        m.breakdown_cost,
        calendar=m.every_days is not None,
        every_days=m.every_days,
    )


def _visits(sc: Scenario) -> Visits | None:
    v = sc.work.visits if sc.work is not None else None
    if v is None:
        return None
    every_h = v.every_days * sc.calendar.day_length_h
    return Visits(
        v.customers,
        every_h,
        v.every_days,
        v.window_h,
        v.urgent_within_h,
        v.duration_h.build(),
        v.travel,
        v.revenue,
        v.cost,
    )
