"""The KPI catalogue: every KPI a run can report, defined once.

Each :class:`KPI` says its name (or a name pattern such as ``p_wait_gt_<x>h``), a
title and a unit for tables and charts, whether it has a row per service class,
how a replication's value is made from the running sums of all teams and blocks
(:data:`AGGREGATIONS`), its group, and when it is reported.  The recorder, the
runner's tables and the generated KPI reference (``docs/kpis.md``, written by
``python -m sim.kpi_doc``) read this module; a test checks that every KPI the
engine emits is here.

The catalogue's order is the order of the KPI columns in the tables.

>>> lookup("p_wait_gt_2h").title_for("p_wait_gt_2h")
'P(wait > 2 h)'
>>> P_WAIT_GT.name_for(0.5)
'p_wait_gt_0.5h'
>>> title("wait_h")
'mean wait (h)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Group = Literal[
    "queue",
    "service",
    "volume",
    "technicians",
    "travel",
    "fleet",
    "shifts",
    "parts",
    "repeats",
    "lifecycle",
    "work",
    "helpdesk",
    "maintenance",
    "contractor",
    "complaints",
    "appointments",
    "skills",
    "cost",
    "spread",
    "workload",
    "check",
]

#: readable names of the groups, in the order the reference lists them
GROUPS: dict[Group, str] = {
    "queue": "Waiting for a technician",
    "service": "Response and restoration",
    "volume": "Call volume",
    "technicians": "Technicians",
    "travel": "Travel",
    "fleet": "Machines",
    "shifts": "Shifts",
    "parts": "Spare parts and revisits",
    "repeats": "Repeat repairs",
    "lifecycle": "Contract status and installations",
    "work": "Work mix (job types)",
    "helpdesk": "Helpdesk before dispatch",
    "maintenance": "Planned work (maintenance, key-customer visits)",
    "contractor": "Contractor for overflow",
    "complaints": "Complaints, their handling and satisfaction",
    "appointments": "Appointments and arrival windows",
    "skills": "Skills",
    "cost": "Costs",
    "spread": "Spread across territories",
    "workload": "Workload of single technicians",
    "check": "Identity checks",
}

Aggregation = Literal[
    "calls",
    "trips",
    "demands",
    "time_average",
    "time_share",
    "rate",
    "per_technician",
    "first_team",
    "territories",
    "count",
    "derived",
]

#: how a replication's value is made from the sums of every team (and every block of a
#: large fleet's replication): the blocks' sums are added first, the ratio taken once
AGGREGATIONS: dict[Aggregation, str] = {
    "calls": "mean over the calls tallied in all teams (sum over calls / number of calls)",
    "trips": "mean over the first trips to the calls of all teams",
    "demands": "mean over the part demands at all stock points of that kind",
    "time_average": "time average of a level summed over all teams",
    "time_share": "ratio of time integrals summed over all teams (busy / available technician-hours)",
    "rate": "events in all teams per unit of measured time",
    "per_technician": "sum over all technicians / number of technicians, per unit of time",
    "first_team": "one technician of the first team (time busy / measured time)",
    "territories": "across the territories' own mean waits (each territory's calls pooled first)",
    "count": "number of calls tallied in all teams",
    "derived": "computed from the replication's other KPIs (after the sums are merged)",
}

Condition = Literal[
    "always",
    "costs",
    "downtime_cost",
    "costs_and_parts",
    "shifts",
    "parts",
    "ftf_identity",
    "territories_20",
    "team_2_to_10",
    "repeats",
    "costs_and_repeats",
    "internal_work",
    "work_types",
    "work_money",
    "pm_money",
    "restore_targets",
    "helpdesk",
    "reply_target",
    "maintenance",
    "visits",
    "lifecycle",
    "contractor",
    "complaints",
    "satisfaction",
    "appointments",
    "skills",
    "escalation",
    "remote_experts",
    "categories",
]

#: when a KPI is reported (its column exists in the tables)
CONDITIONS: dict[Condition, str] = {
    "always": "always",
    "costs": "with `[costs]`",
    "downtime_cost": "with `costs.downtime_per_machine_h`",
    "costs_and_parts": "with `[costs]` and `[parts]`",
    "shifts": "with `calendar.shifts`",
    "parts": "with `[parts]`",
    "ftf_identity": 'one part type, one unit per call, `shortage = "revisit"`, no reservation',
    "territories_20": "with 20 territories or more",
    "team_2_to_10": "teams of 2 to 10 technicians",
    "repeats": "with `[repair.repeat]`",
    "costs_and_repeats": "with `[costs]` and `[repair.repeat]`",
    "internal_work": "with `[work.internal]`",
    "work_types": "with `[[work.types]]`",
    "work_money": "with `[[work.types]]`, or `revenue` or `cost` on a class, "
    "`[work.maintenance]` or `[work.visits]`",
    "pm_money": "with `cost` or `breakdown_cost` on `[work.maintenance]`",
    "restore_targets": "with `restore_sla_h` on a class",
    "helpdesk": "with `[helpdesk]`",
    "reply_target": "with `helpdesk.reply_target_h` or a class's `reply_sla_h`",
    "maintenance": "with `[work.maintenance]`",
    "visits": "with `[work.visits]`",
    "lifecycle": "with `[fleet.lifecycle]`",
    "contractor": "with `[contractor]`",
    "complaints": "with `[complaints]`",
    "satisfaction": "with `[satisfaction]`",
    "appointments": "with `[appointments]`",
    "skills": "with `[skills]`",
    "escalation": "with `[skills.escalation]`",
    "remote_experts": "with `[skills.escalation.remote]`",
    "categories": "with `[work.categories]`",
}

#: the lead times (whole days) at which the appointments' lead-time distribution is reported
APPT_LEAD_DAYS = (1, 2, 3, 5, 10)

#: placeholders of name patterns and the regular expressions of their values
_PLACEHOLDERS = {"<x>": r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?", "<i>": r"\d+"}


@dataclass(frozen=True, slots=True)
class KPI:
    """One KPI of the catalogue.

    Parameters
    ----------
    name : str
        The column name, or a pattern with one placeholder (``<x>``: a number of
        hours, ``<i>``: an index), e.g. ``p_wait_gt_<x>h``.
    title : str
        Short readable name for tables and charts; a pattern's title holds the same
        placeholder.
    unit : str
        ``"h"``, ``"share"`` (a fraction, shown as a percentage), ``"calls"``, ...
    meaning : str
        One line: what is measured, from which event to which.
    group : Group
        Where the KPI belongs (queue, travel, parts, cost, ...).
    per_class : bool
        Reported per service class as well as overall (``class = "all"``).
    aggregation : Aggregation
        How the value is made from the running sums of all teams and blocks.
    when : Condition
        When the KPI is reported.
    summary : bool
        Summarised in ``summary.csv`` and the terminal tables; otherwise it is a
        column of ``replications.parquet`` only.
    low, high : float
        The values the KPI can take (:func:`value_range`): the summary clips its
        confidence intervals to them.  By default a ``share`` lies in [0, 1] and
        everything else is non-negative.
    """

    name: str
    title: str
    unit: str
    meaning: str
    group: Group
    per_class: bool
    aggregation: Aggregation
    when: Condition = "always"
    summary: bool = True
    low: float = 0.0
    high: float = math.inf

    @property
    def is_pattern(self) -> bool:
        return any(p in self.name for p in _PLACEHOLDERS)

    @property
    def is_share(self) -> bool:
        return self.unit == "share"

    def name_for(self, value: float) -> str:
        """The concrete name of a pattern, e.g. ``p_wait_gt_2h`` for 2.0 hours."""
        for placeholder in _PLACEHOLDERS:
            if placeholder in self.name:
                return self.name.replace(placeholder, f"{value:g}")
        raise ValueError(f"KPI {self.name!r} is not a name pattern")

    def matches(self, name: str) -> bool:
        """Whether ``name`` is this KPI (or an instance of this pattern)."""
        return name == self.name or (self.is_pattern and _regex(self.name).fullmatch(name) is not None)

    def title_for(self, name: str) -> str:
        """The title of a concrete name (a pattern's placeholder filled in)."""
        if not self.is_pattern:
            return self.title
        m = _regex(self.name).fullmatch(name)
        if m is None:
            raise ValueError(f"{name!r} is not an instance of {self.name!r}")
        placeholder = next(p for p in _PLACEHOLDERS if p in self.name)
        return self.title.replace(placeholder, m.group(1))


def _regex(pattern: str) -> re.Pattern[str]:
    out = re.escape(pattern)
    for placeholder, value in _PLACEHOLDERS.items():
        out = out.replace(re.escape(placeholder), f"({value})")
    return re.compile(out)


def _kpi(
    name: str,
    title: str,
    unit: str,
    meaning: str,
    group: Group,
    per_class: bool,
    aggregation: Aggregation,
    when: Condition = "always",
    summary: bool = True,
    low: float = 0.0,
    high: float | None = None,
) -> KPI:
    if high is None:  # a share is a fraction; any other KPI is unbounded above
        high = 1.0 if unit == "share" else math.inf
    return KPI(name, title, unit, meaning, group, per_class, aggregation, when, summary, low, high)


P_WAIT_GT = _kpi(
    "p_wait_gt_<x>h",
    "P(wait > <x> h)",
    "share",
    "share of calls with wait_h > x, for each of `report.wait_thresholds_h`",
    "queue",
    True,
    "calls",
)
WORKLOAD_TECH = _kpi(
    "workload_tech<i>",
    "workload of technician <i>",
    "share",
    "busy share (travel + on site) of technician i of the first team (Larson's hypercube)",
    "workload",
    False,
    "first_team",
    "team_2_to_10",
)
WAIT_SKILL = _kpi(
    "wait_h_skill<i>",
    "mean wait, skill <i>",
    "h",
    "wait_h of the calls needing skill i (the i-th of `skills.needs`)",
    "skills",
    False,
    "calls",
    "skills",
)
UTILIZATION_GROUP = _kpi(
    "utilization_group<i>",
    "utilization of skill group <i>",
    "share",
    "busy technician-hours of skill group i (the i-th of `[[skills.groups]]`) / its technician-hours",
    "skills",
    False,
    "time_share",
    "skills",
)

#: every KPI, in the order of the tables' columns
CATALOGUE: tuple[KPI, ...] = (
    _kpi(
        "wait_h",
        "mean wait",
        "h",
        "call logged (with `[helpdesk]`: reaching dispatch) -> technician assigned (the textbook's Wq)",
        "queue",
        True,
        "calls",
    ),
    _kpi(
        "p_wait",
        "P(wait > 0)",
        "share",
        "share of calls that waited at all (Erlang C for M/M/s)",
        "queue",
        True,
        "calls",
    ),
    P_WAIT_GT,
    _kpi(
        "response_h",
        "mean response time",
        "h",
        "customer's call -> technician on site (with `[helpdesk]`: its time included)",
        "service",
        True,
        "calls",
    ),
    _kpi(
        "restore_h",
        "mean time to restore",
        "h",
        "breakdown -> machine working again (all visits, part waits)",
        "service",
        True,
        "calls",
    ),
    _kpi(
        "sla_met",
        "SLA met",
        "share",
        "share of calls whose response met the class SLA (classes with `sla_h`)",
        "service",
        True,
        "calls",
    ),
    _kpi(
        "restore_met",
        "restored in time",
        "share",
        "share of calls whose machine worked again within the class's `restore_sla_h` of the "
        "breakdown (classes with a target; its clock and part rule as the class says)",
        "service",
        True,
        "calls",
        "restore_targets",
    ),
    _kpi(
        "queue_len",
        "calls waiting (time average)",
        "calls",
        "time-average number of calls waiting for a first visit",
        "queue",
        True,
        "time_average",
    ),
    _kpi(
        "calls_per_day",
        "completed calls per working day",
        "calls/day",
        "calls restored per working day (`calendar.hours_per_day`)",
        "volume",
        True,
        "rate",
    ),
    _kpi(
        "utilization",
        "technician utilization",
        "share",
        "technician busy time (travel + on site) / available time",
        "technicians",
        False,
        "time_share",
        high=math.inf,  # busy / on-duty hours: overtime after a shift end can pass 1
    ),
    _kpi(
        "utilization_onsite",
        "on-site utilization",
        "share",
        "on-site time / available time",
        "technicians",
        False,
        "time_share",
        high=math.inf,  # busy / on-duty hours: overtime after a shift end can pass 1
    ),
    _kpi(
        "travel_share",
        "share of time travelling",
        "share",
        "travel time / available time (utilization - utilization_onsite)",
        "travel",
        False,
        "time_share",
        high=math.inf,  # busy / on-duty hours: overtime after a shift end can pass 1
    ),
    _kpi(
        "internal_share",
        "share of time on internal work",
        "share",
        "internal-task time / available time (not part of utilization; paid time)",
        "technicians",
        False,
        "time_share",
        "internal_work",
        high=math.inf,  # internal / on-duty hours: a task finished after a shift end can pass 1
    ),
    _kpi(
        "internal_h_per_day",
        "internal work per technician",
        "h/day",
        "internal-task hours per technician per working day",
        "technicians",
        False,
        "per_technician",
        "internal_work",
    ),
    _kpi(
        "machines_down",
        "machines down (time average)",
        "machines",
        "time-average number of machines broken (calls not yet restored)",
        "fleet",
        False,
        "time_average",
    ),
    _kpi(
        "trip_km",
        "mean trip length",
        "km",
        "mean outbound trip to a call (geometry; 0 otherwise)",
        "travel",
        False,
        "trips",
    ),
    _kpi(
        "trip_h",
        "mean trip time",
        "h",
        "mean outbound trip time to a call",
        "travel",
        False,
        "trips",
    ),
    _kpi(
        "off_territory_share",
        "trips outside the home territory",
        "share",
        "share of dispatches outside the technician's home territory (pooled teams)",
        "travel",
        False,
        "trips",
    ),
    _kpi(
        "queue_growth_per_h",
        "queue growth",
        "calls/h",
        "(calls waiting at the end - at the start) / measured time: about 0 when stable",
        "queue",
        False,
        "rate",
        low=-math.inf,  # a queue can shrink
    ),
    _kpi(
        "cost_per_day",
        "cost per day",
        "money/day",
        "staff + travel + SLA penalties + parts + downtime, per working day (`[costs]`)",
        "cost",
        False,
        "derived",
        "costs",
    ),
    _kpi(
        "cost_per_call",
        "cost per call",
        "money",
        "cost_per_day / calls_per_day",
        "cost",
        False,
        "derived",
        "costs",
    ),
    _kpi(
        "cost_downtime_per_day",
        "downtime cost per day",
        "money/day",
        "machines_down x `costs.downtime_per_machine_h` x hours per working day",
        "cost",
        False,
        "derived",
        "downtime_cost",
    ),
    _kpi(
        "cost_parts_per_day",
        "parts cost per day (all)",
        "money/day",
        "parts used + emergency shipments + holding cost of the stock, per working day",
        "cost",
        False,
        "derived",
        "costs_and_parts",
    ),
    _kpi(
        "cost_repeat_per_day",
        "cost of repeat calls per day",
        "money/day",
        "repeat calls per working day x cost_per_call (= repeat_share x cost_per_day)",
        "cost",
        False,
        "derived",
        "costs_and_repeats",
    ),
    _kpi(
        "overtime_h_per_week",
        "overtime per technician",
        "h/week",
        "work beyond the shift end, per technician per week (0 without shifts)",
        "shifts",
        False,
        "per_technician",
        "shifts",
    ),
    _kpi(
        "first_time_fix",
        "first-time fix",
        "share",
        "share of restored calls fixed in one visit",
        "parts",
        True,
        "calls",
        "parts",
    ),
    _kpi(
        "visits_per_call",
        "visits per call",
        "visits",
        "mean visits per restored call",
        "parts",
        True,
        "calls",
        "parts",
    ),
    _kpi(
        "part_wait_h",
        "delay for parts per call",
        "h",
        "mean delay per restored call caused by missing parts",
        "parts",
        True,
        "calls",
        "parts",
    ),
    _kpi(
        "fill_rate_van",
        "van fill rate",
        "share",
        "share of part demands met from van stock at once",
        "parts",
        False,
        "demands",
        "parts",
    ),
    _kpi(
        "fill_rate_depot",
        "depot fill rate",
        "share",
        "share of part demands met from depot stock at once",
        "parts",
        False,
        "demands",
        "parts",
    ),
    _kpi(
        "van_on_hand",
        "parts on hand per van (time average)",
        "parts",
        "time-average units on the shelf, all vans together",
        "parts",
        False,
        "time_average",
        "parts",
    ),
    _kpi(
        "van_backorders",
        "van backorders (time average)",
        "parts",
        "time-average units backordered, all vans together",
        "parts",
        False,
        "time_average",
        "parts",
    ),
    _kpi(
        "depot_on_hand",
        "parts on hand at the depot (time average)",
        "parts",
        "time-average units on the shelf, all depots together",
        "parts",
        False,
        "time_average",
        "parts",
    ),
    _kpi(
        "depot_backorders",
        "depot backorders (time average)",
        "parts",
        "time-average units backordered, all depots together",
        "parts",
        False,
        "time_average",
        "parts",
    ),
    _kpi(
        "van_demand_per_h",
        "van part demands per hour",
        "per h",
        "part demands on the vans per hour",
        "parts",
        False,
        "rate",
        "parts",
    ),
    _kpi(
        "van_delay_per_demand_h",
        "van delay per part demand",
        "h",
        "backorder delay per demand on a van (0 for demands filled at once)",
        "parts",
        False,
        "demands",
        "parts",
    ),
    _kpi(
        "depot_demand_per_h",
        "depot part demands per hour",
        "per h",
        "part demands on the depots per hour",
        "parts",
        False,
        "rate",
        "parts",
    ),
    _kpi(
        "depot_delay_per_demand_h",
        "depot delay per part demand",
        "h",
        "backorder delay per demand on a depot (0 for demands filled at once)",
        "parts",
        False,
        "demands",
        "parts",
    ),
    _kpi(
        "emergency_per_day",
        "emergency shipments per day",
        "per day",
        'emergency shipments per working day (`shortage = "emergency"`)',
        "parts",
        False,
        "rate",
        "parts",
    ),
    _kpi(
        "parts_cost_per_day",
        "parts cost per day",
        "money/day",
        "unit cost of the parts used, per working day",
        "parts",
        False,
        "rate",
        "parts",
    ),
    _kpi(
        "revisit_queue_len",
        "calls waiting for a revisit (time average)",
        "calls",
        "time-average number of calls waiting for a second (third ...) visit",
        "parts",
        False,
        "time_average",
        "parts",
    ),
    _kpi(
        "repeat_share",
        "repeat calls",
        "share",
        "share of the calls logged that are repeats of a fault a repair left (`[repair.repeat]`)",
        "repeats",
        False,
        "calls",
        "repeats",
    ),
    _kpi(
        "repeat_within_window",
        "repeat-call rate within the window",
        "share",
        "share of restorations followed by a repeat call of the same machine within "
        "`repair.repeat.window_h` (repeat calls within the window / restorations)",
        "repeats",
        False,
        "calls",
        "repeats",
    ),
    _kpi(
        "pm_visits_per_day",
        "planned visits per day",
        "1/day",
        "planned maintenance visits finished per working day (`[work.maintenance]`)",
        "maintenance",
        False,
        "rate",
        "maintenance",
    ),
    _kpi(
        "pm_in_window",
        "planned visits in their window",
        "share",
        "share of the planned visits due in the window whose technician was on site within "
        "`work.maintenance.window_h` of the due time (a plan in calendar days: by "
        "`tolerance_days` after it)",
        "maintenance",
        False,
        "calls",
        "maintenance",
    ),
    _kpi(
        "pm_h_per_day",
        "technician hours on planned visits",
        "h/day",
        "technician-hours (travel + on site) on planned visits per working day, all technicians",
        "maintenance",
        False,
        "rate",
        "maintenance",
    ),
    _kpi(
        "breakdowns_per_day",
        "breakdowns per day",
        "1/day",
        "breakdown calls logged per working day (planned visits not counted)",
        "maintenance",
        False,
        "rate",
        "maintenance",
    ),
    _kpi(
        "breakdowns_avoided",
        "breakdowns avoided per day",
        "1/day",
        "per working day: the machines' working (ageing) hours / mean life (the breakdowns "
        "they would have had at the renewal rate without the plan) - breakdowns_per_day; "
        "a machine does not age while broken down or in a planned visit",
        "maintenance",
        False,
        "derived",
        "maintenance",
        low=-math.inf,
    ),
    _kpi(
        "pm_cost_per_day",
        "cost rate of the maintenance plan",
        "money/day",
        "`work.maintenance.cost` x pm_visits_per_day + `work.maintenance.breakdown_cost` x "
        "breakdowns_per_day: the age-replacement model's C(T) per working day (the "
        "technicians' time is in cost_per_day)",
        "maintenance",
        False,
        "derived",
        "pm_money",
    ),
    _kpi(
        "visits_per_day",
        "key-customer visits per day",
        "1/day",
        "visits to key customers finished per working day (`[work.visits]`)",
        "maintenance",
        False,
        "rate",
        "visits",
    ),
    _kpi(
        "visits_in_window",
        "key-customer visits in their window",
        "share",
        "share of the key-customer visits due in the window whose technician was on site within "
        "`work.visits.window_h` of the due time",
        "maintenance",
        False,
        "calls",
        "visits",
    ),
    _kpi(
        "installations_per_day",
        "installations per day",
        "machines/day",
        "machines replaced at the end of their service life per working day (`[fleet.lifecycle]`)",
        "lifecycle",
        False,
        "rate",
        "lifecycle",
    ),
    _kpi(
        "warranty_machine_share",
        "machines in warranty",
        "share",
        "time-average share of the machines younger than `fleet.lifecycle.warranty_h`",
        "lifecycle",
        False,
        "time_share",
        "lifecycle",
    ),
    _kpi(
        "call_share",
        "share of breakdown calls",
        "share",
        "breakdown calls logged in the class / all breakdown calls logged; with "
        "`[fleet.lifecycle]` the class is the machine's status when it broke (`all`: 1)",
        "lifecycle",
        True,
        "calls",
        "lifecycle",
    ),
    _kpi(
        "hours_share",
        "technician hours",
        "share",
        "technician hours (travel + on site) on the row's calls / available technician-hours; "
        "a job type's row: its jobs, `all`: every call (the utilisation)",
        "work",
        True,
        "time_share",
        "work_types",
    ),
    _kpi(
        "revenue_per_day",
        "revenue per day",
        "money/day",
        "a job type's `revenue` x its jobs done per working day (a class: its `revenue` x "
        "its calls restored; `maintenance`, `visits`: the plan's `revenue` x its visits "
        "done); `all`: the rows' sum",
        "work",
        True,
        "derived",
        "work_money",
    ),
    _kpi(
        "job_cost_per_day",
        "direct cost of jobs per day",
        "money/day",
        "a job type's `cost` x its jobs done per working day (a class: its `cost` x its "
        "calls restored; `maintenance`, `visits`: the plan's `cost` x its visits done); "
        "`all`: the rows' sum",
        "work",
        True,
        "derived",
        "work_money",
    ),
    _kpi(
        "margin_per_day",
        "margin per day",
        "money/day",
        "revenue_per_day - job_cost_per_day (before the team's cost, cost_per_day)",
        "work",
        True,
        "derived",
        "work_money",
        low=-math.inf,
    ),
    _kpi(
        "hours_a_share",
        "hours A (paid)",
        "share",
        "technician hours (dispatch -> release, trips included) on the rows of category A "
        "(`[work.categories]`: paid service) / paid (on-duty) technician-hours",
        "work",
        False,
        "time_share",
        "categories",
        high=math.inf,  # busy / on-duty hours: overtime after a shift end can pass 1
    ),
    _kpi(
        "hours_b_share",
        "hours B (contract)",
        "share",
        "technician hours on the rows of category B (service contract) / paid technician-hours",
        "work",
        False,
        "time_share",
        "categories",
        high=math.inf,
    ),
    _kpi(
        "hours_c_share",
        "hours C (warranty)",
        "share",
        "technician hours on the rows of category C (free under warranty) / paid technician-hours",
        "work",
        False,
        "time_share",
        "categories",
        high=math.inf,
    ),
    _kpi(
        "hours_d_share",
        "hours D (internal)",
        "share",
        "internal-task hours plus the hours on the rows of category D / paid technician-hours; "
        "A + B + C + D = utilization + internal_share",
        "work",
        False,
        "time_share",
        "categories",
        high=math.inf,
    ),
    _kpi(
        "contractor_share",
        "calls to the contractor",
        "share",
        "share of the calls logged that were handed to the contractor (`[contractor]`)",
        "contractor",
        True,
        "calls",
        "contractor",
    ),
    _kpi(
        "contractor_response_h",
        "contractor response",
        "h",
        "call logged -> contractor on site, for the calls handed to it (its wait in the "
        "team's line included)",
        "contractor",
        True,
        "calls",
        "contractor",
    ),
    _kpi(
        "contractor_jobs_per_day",
        "contractor jobs per day",
        "per day",
        "contractor visits started per working day",
        "contractor",
        True,
        "rate",
        "contractor",
    ),
    _kpi(
        "contractor_cost_per_day",
        "contractor cost per day",
        "money/day",
        "`contractor.price` x contractor jobs per working day (part of `cost_per_day` with `[costs]`)",
        "contractor",
        True,
        "derived",
        "contractor",
    ),
    # appointments and arrival windows (sim/monitors/appointments.py)
    _kpi(
        "appt_lead_days",
        "days to appointment",
        "days",
        "customer's call -> start of its first appointment's window (days of 24 h), booked rows",
        "appointments",
        True,
        "calls",
        "appointments",
    ),
    _kpi(
        "appt_next_day",
        "booked by next working day",
        "share",
        "share of first appointments whose window starts by the end of the next working day "
        "after the day of the call",
        "appointments",
        True,
        "calls",
        "appointments",
    ),
    *(
        _kpi(
            f"appt_lead_le_{d}d",
            f"booked within {d} day{'s' if d > 1 else ''}",
            "share",
            f"share of first appointments whose window starts within {d} x 24 h of the call "
            "(the lead-time distribution)",
            "appointments",
            True,
            "calls",
            "appointments",
        )
        for d in APPT_LEAD_DAYS
    ),
    _kpi(
        "appt_kept",
        "windows kept",
        "share",
        "appointments whose technician arrived by the window's end (inside it, or early and "
        "waited) / appointments given (first ones and rebookings)",
        "appointments",
        True,
        "calls",
        "appointments",
    ),
    _kpi(
        "appt_in_window",
        "arrivals inside the window",
        "share",
        "arrivals at booked calls inside their window (or early, waiting for it) / arrivals",
        "appointments",
        True,
        "calls",
        "appointments",
    ),
    _kpi(
        "appt_late",
        "late arrivals",
        "share",
        "appointments whose technician arrived after the window's end / appointments given",
        "appointments",
        True,
        "calls",
        "appointments",
    ),
    _kpi(
        "appt_missed",
        "missed appointments",
        "share",
        "appointments not reached on their working day (rebooked: a broken promise) / appointments given",
        "appointments",
        True,
        "calls",
        "appointments",
    ),
    _kpi(
        "appt_idle_h_per_day",
        "idle at the door per day",
        "h/day",
        "technician-hours spent waiting at the door for a window to open, per working day",
        "appointments",
        True,
        "rate",
        "appointments",
    ),
    _kpi(
        "ftf_identity_gap",
        "first-time-fix identity gap",
        "share",
        "(1 - FTF) - [q + (1 - q) p_other], q = share of first visits missing a part: 0 in expectation",
        "check",
        False,
        "derived",
        "ftf_identity",
        low=-1.0,  # a difference of shares
    ),
    _kpi(
        "wait_h_territory_p95",
        "mean wait, 95th percentile of territories",
        "h",
        "95th percentile of the territories' mean waits",
        "spread",
        False,
        "territories",
        "territories_20",
    ),
    _kpi(
        "wait_h_worst5pct",
        "mean wait, worst 5 % of territories",
        "h",
        "mean of the worst 5 % of the territories' mean waits",
        "spread",
        False,
        "territories",
        "territories_20",
    ),
    WORKLOAD_TECH,
    # skill groups (sim/monitors/skills.py)
    WAIT_SKILL,
    UTILIZATION_GROUP,
    _kpi(
        "failed_visits_per_call",
        "visits leaving the machine down, per call",
        "visits",
        "technicians' visits that ended without fixing the machine (first-time fix failures "
        "and escalations) / calls logged",
        "skills",
        False,
        "calls",
        "skills",
    ),
    _kpi(
        "escalation_share",
        "calls escalated",
        "share",
        "calls whose first visit ended in escalation to the specialists' skill / calls logged",
        "skills",
        False,
        "calls",
        "escalation",
    ),
    _kpi(
        "escalation_added_h",
        "time added by escalation",
        "h",
        "first visit's escalation -> restoration, over the escalated calls (the remote "
        "expert's wait and time, then the second wait and the specialist's visit)",
        "skills",
        False,
        "calls",
        "escalation",
    ),
    _kpi(
        "unfixed_visits_per_call",
        "visits not fixing (not escalated), per call",
        "visits",
        "technicians' visits that ended without fixing the machine for a first-time fix failure "
        "/ calls logged (the other cause of failed_visits_per_call beside escalation_share)",
        "skills",
        False,
        "calls",
        "escalation",
    ),
    _kpi(
        "expert_wait_h",
        "wait for a remote expert",
        "h",
        "escalation -> a remote expert takes the call, over the escalated calls "
        "(`[skills.escalation.remote]`)",
        "skills",
        False,
        "calls",
        "remote_experts",
    ),
    _kpi(
        "remote_fix_share",
        "escalated calls fixed remotely",
        "share",
        "escalated calls the remote expert fixed without another visit / escalated calls the experts let go",
        "skills",
        False,
        "calls",
        "remote_experts",
    ),
    _kpi(
        "expert_utilization",
        "remote experts' utilization",
        "share",
        "busy expert-hours (escalated calls taken -> let go) / expert-hours",
        "skills",
        False,
        "time_share",
        "remote_experts",
    ),
    # the helpdesk before dispatch (sim/monitors/helpdesk.py)
    _kpi(
        "reply_h",
        "mean reply time",
        "h",
        "customer's call -> the helpdesk's reply (an agent's handling ends)",
        "helpdesk",
        True,
        "calls",
        "helpdesk",
    ),
    _kpi(
        "reply_met",
        "reply target met",
        "share",
        "share of requests whose reply_h is within the reply milestone (the class's "
        "`reply_sla_h`, else `helpdesk.reply_target_h`, on its `reply_clock`; over the classes with one)",
        "helpdesk",
        True,
        "calls",
        "reply_target",
    ),
    _kpi(
        "helpdesk_wait_h",
        "mean wait for an agent",
        "h",
        "customer's call -> an agent takes the request (Erlang C's Wq)",
        "helpdesk",
        True,
        "calls",
        "helpdesk",
    ),
    _kpi(
        "helpdesk_utilization",
        "agent utilization",
        "share",
        "agents busy (handling + remote time) / agents",
        "helpdesk",
        False,
        "time_share",
        "helpdesk",
    ),
    _kpi(
        "remote_share",
        "share resolved remotely",
        "share",
        "requests resolved remotely (never visited) / requests the helpdesk let go",
        "helpdesk",
        True,
        "calls",
        "helpdesk",
    ),
    _kpi(
        "helpdesk_queue_len",
        "requests waiting for an agent (time average)",
        "calls",
        "time-average number of requests waiting for an agent",
        "helpdesk",
        True,
        "time_average",
        "helpdesk",
    ),
    # complaints raised by broken promises (sim/monitors/complaints.py)
    _kpi(
        "complaints_per_100_calls",
        "complaints per 100 calls",
        "complaints",
        "complaints raised / customers' calls, x 100 (each broken promise judged once per call)",
        "complaints",
        True,
        "calls",
        "complaints",
    ),
    _kpi(
        "complaint_met",
        "complaints resolved in time",
        "share",
        "share of complaints resolved within `complaints.deadline_h` of being raised",
        "complaints",
        True,
        "calls",
        "complaints",
    ),
    _kpi(
        "complaint_h",
        "mean complaint handling time",
        "h",
        "complaint raised -> resolved (wait for a supervisor + handling)",
        "complaints",
        True,
        "calls",
        "complaints",
    ),
    _kpi(
        "complaint_wait_h",
        "mean wait for a supervisor",
        "h",
        "complaint raised -> a supervisor takes it",
        "complaints",
        True,
        "calls",
        "complaints",
    ),
    _kpi(
        "supervisor_utilization",
        "supervisor utilization",
        "share",
        "supervisors busy with complaints / supervisors",
        "complaints",
        False,
        "time_share",
        "complaints",
    ),
    _kpi(
        "satisfaction",
        "mean satisfaction score",
        "points",
        "mean per call of the `[satisfaction]` score (a model, not data: best minus points "
        "for broken promises, repeat visits and waits)",
        "complaints",
        True,
        "calls",
        "satisfaction",
        low=-math.inf,  # the scale is the scenario's
    ),
    # columns of replications.parquet only
    _kpi(
        "calls_logged_per_h",
        "calls logged per hour",
        "calls/h",
        "arrival rate measured (calls logged after the warm-up), for Little's law",
        "volume",
        True,
        "rate",
        summary=False,
    ),
    _kpi(
        "helpdesk_requests_per_h",
        "requests per hour",
        "calls/h",
        "requests reaching the helpdesk per hour (after the warm-up), for Little's law",
        "helpdesk",
        True,
        "rate",
        "helpdesk",
        summary=False,
    ),
    _kpi(
        "n_calls",
        "calls tallied",
        "calls",
        "calls whose wait is known (dispatched after the warm-up)",
        "volume",
        True,
        "count",
        summary=False,
    ),
    _kpi(
        "cost_staff_per_day",
        "staff cost per day",
        "money/day",
        "wages, training and facilities of all technicians, per working day",
        "cost",
        False,
        "derived",
        "costs",
        summary=False,
    ),
    _kpi(
        "cost_travel_per_day",
        "travel cost per day",
        "money/day",
        "travel hours x `costs.travel_per_h`, per working day",
        "cost",
        False,
        "derived",
        "costs",
        summary=False,
    ),
    _kpi(
        "cost_penalty_per_day",
        "SLA penalties per day",
        "money/day",
        "breached calls x their penalty, per working day",
        "cost",
        False,
        "derived",
        "costs",
        summary=False,
    ),
)

_BY_NAME = {k.name: k for k in CATALOGUE}
_PATTERNS = tuple(k for k in CATALOGUE if k.is_pattern)


def lookup(name: str) -> KPI:
    """The catalogue's entry for a concrete KPI name.

    Raises
    ------
    KeyError
        The name is not in the catalogue.
    """
    if name in _BY_NAME:
        return _BY_NAME[name]
    for k in _PATTERNS:
        if k.matches(name):
            return k
    raise KeyError(f"unknown KPI {name!r}")


def value_range(name: str) -> tuple[float, float]:
    """The values KPI ``name`` can take, ``(low, high)``; unbounded for a name not in the catalogue.

    >>> value_range("sla_met"), value_range("wait_h"), value_range("queue_growth_per_h")
    ((0.0, 1.0), (0.0, inf), (-inf, inf))
    """
    try:
        kpi = lookup(name)
    except KeyError:
        return -math.inf, math.inf
    return kpi.low, kpi.high


def known(name: str) -> bool:
    """Whether ``name`` is a KPI of the catalogue."""
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def title(name: str, with_unit: bool = True) -> str:
    """Readable title, with the unit in parentheses unless it is a share or a count."""
    kpi = lookup(name)
    text = kpi.title_for(name)
    if not with_unit or kpi.unit in ("", "share"):
        return text
    return f"{text} ({kpi.unit})"


def threshold_kpi(hours: float) -> str:
    """KPI name for P(wait > hours), e.g. ``p_wait_gt_2h``."""
    return P_WAIT_GT.name_for(hours)


def skill_wait_kpi(skill: int) -> str:
    """KPI name of the mean wait of the calls needing a skill, e.g. ``wait_h_skill0``."""
    return WAIT_SKILL.name_for(skill)


def group_utilization_kpi(group: int) -> str:
    """KPI name of a skill group's utilization, e.g. ``utilization_group1``."""
    return UTILIZATION_GROUP.name_for(group)


def workload_kpi(technician: int) -> str:
    """KPI name of a first-team technician's busy share, e.g. ``workload_tech0``."""
    return WORKLOAD_TECH.name_for(technician)


@dataclass(frozen=True, slots=True)
class Features:
    """What a scenario turns on that decides which KPIs it reports."""

    costs: bool = False
    downtime_cost: bool = False
    parts: bool = False
    shifts: bool = False
    ftf_identity: bool = False
    territories: int = 1
    team_size: int = 1
    repeats: bool = False
    internal: bool = False
    work_types: bool = False
    restore_targets: bool = False
    helpdesk: bool = False
    reply_target: bool = False
    maintenance: bool = False
    visits: bool = False
    row_money: bool = False  # revenue or cost per call of a class or per planned visit
    pm_money: bool = False  # a maintenance plan with cost or breakdown_cost
    lifecycle: bool = False
    contractor: bool = False
    complaints: bool = False
    satisfaction: bool = False
    appointments: bool = False
    skills: int = 0  # skills of [skills] (0: none)
    skill_groups: int = 0
    escalation: bool = False
    remote_experts: bool = False
    categories: bool = False

    def holds(self, when: Condition) -> bool:
        """Whether a KPI reported ``when`` is reported for these features."""
        return {
            "always": True,
            "costs": self.costs,
            "downtime_cost": self.downtime_cost,
            "costs_and_parts": self.costs and self.parts,
            "shifts": self.shifts,
            "parts": self.parts,
            "ftf_identity": self.ftf_identity,
            "territories_20": self.territories >= 20,
            "team_2_to_10": 1 < self.team_size <= 10,
            "repeats": self.repeats,
            "costs_and_repeats": self.costs and self.repeats,
            "internal_work": self.internal,
            "work_types": self.work_types,
            "work_money": self.work_types or self.row_money,
            "pm_money": self.pm_money,
            "restore_targets": self.restore_targets,
            "helpdesk": self.helpdesk,
            "reply_target": self.reply_target,
            "maintenance": self.maintenance,
            "visits": self.visits,
            "lifecycle": self.lifecycle,
            "contractor": self.contractor,
            "complaints": self.complaints,
            "satisfaction": self.satisfaction,
            "appointments": self.appointments,
            "skills": self.skills > 0,
            "escalation": self.escalation,
            "remote_experts": self.remote_experts,
            "categories": self.categories,
        }[when]


def _expand(kpi: KPI, thresholds_h: Sequence[float], features: Features) -> Iterator[str]:
    if kpi is P_WAIT_GT:
        yield from (kpi.name_for(x) for x in thresholds_h)
    elif kpi is WORKLOAD_TECH:
        yield from (kpi.name_for(i) for i in range(features.team_size))
    elif kpi is WAIT_SKILL:
        yield from (kpi.name_for(i) for i in range(features.skills))
    elif kpi is UTILIZATION_GROUP:
        yield from (kpi.name_for(i) for i in range(features.skill_groups))
    else:
        yield kpi.name


def table_kpis(features: Features, thresholds_h: Sequence[float]) -> list[str]:
    """The KPI columns that ``summary.csv`` and the terminal tables show, in order.

    >>> table_kpis(Features(), [2.0])[:4]
    ['wait_h', 'p_wait', 'p_wait_gt_2h', 'response_h']
    """
    return [
        name
        for kpi in CATALOGUE
        if kpi.summary and features.holds(kpi.when)
        for name in _expand(kpi, thresholds_h, features)
    ]
