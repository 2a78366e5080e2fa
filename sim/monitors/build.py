"""The monitor set of a task: only the tallies that the system's scenario asks for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.distributions import Deterministic

from .appointments import AppointmentTally
from .calls import CallTally
from .categories import CategoryTally
from .complaints import ComplaintTally
from .composite import Monitors
from .contractors import ContractorTally
from .helpdesk import HelpdeskTally
from .internal import InternalTally
from .levels import LevelTally
from .lifecycle import LifecycleTally
from .logs import CallLog, DecisionLog, LevelSeries
from .milestones import BusinessClock, MilestoneTally, RestorePromises
from .overtime import OvertimeTally
from .parts import PartsTally
from .planned import PlannedTally, VisitTally
from .protocol import Monitor
from .repeats import RepeatTally
from .satisfaction import SatisfactionTally
from .skills import SkillTally
from .spread import MIN_TERRITORIES, TerritorySpread
from .trips import TripTally
from .work import HoursTally, WorkCallTally
from .workloads import WorkloadTally

if TYPE_CHECKING:
    from sim.system import ServiceSystem

#: workloads of single technicians are reported for teams of this many technicians
WORKLOAD_TEAMS = range(2, 11)


@dataclass(frozen=True)
class MonitorSpec:
    """What a task measures.  The defaults measure everything (as a hand-built model in a
    test wants); :func:`monitors_for` turns off what the scenario cannot produce.

    Parameters
    ----------
    class_names, sla_h
        Names and response targets (``None``: no target) of the service classes.
    thresholds_h
        Waits for which ``P(wait > x)`` is reported.
    technicians
        Technicians of the task (for utilisation and overtime).
    hours_per_day
        Length of a working day (for the per-day KPIs).
    keep_calls
        Keep a record of every finished call.
    technicians_per_territory, pooled
        How technicians are numbered, for trips outside the home territory and for the
        workloads of the first team.
    parts
        The scenario has spare parts (and so revisits): report the parts KPIs.
    territories, territory_offset
        Territories whose mean waits are compared (0: none), numbered from the offset.
    travel
        Trips may take time (otherwise the on-site level and the response are those of
        the dispatch).
    shifts
        Technicians work shifts (overtime, technicians on and off duty).
    breakdown_rows
        With job types: the number of service classes, the rows before the job types'
        (their jobs put no machine down; technician hours are tallied by row); ``None``:
        no job types.
    repeat_window_h
        Repairs may leave the cause (``[repair.repeat]``): count repeat calls, and those
        within this many hours of their machine's restoration (``None``: no repeats).
    internal
        Technicians take internal work when idle (``[work.internal]``): report its hours.
    restore
        The rows' restored milestones (``restore_sla_h`` on a class): report
        ``restore_met``; ``None``: no class has one.
    helpdesk_agents, reply_target_h
        Agents of the helpdesk before dispatch (``[helpdesk]``; 0: none) and the reply
        target of each class (``None``: none).
    reply_business, add_business_hours
        Per class: the reply milestone counts customer hours only (``reply_clock =
        "business"``; ``None``: every class on the wall clock), and the customer-hours
        clock that counts them.
    planned
        A maintenance plan (``[work.maintenance]``): the planned visits' row, the task's
        machines and their mean life; ``None``: no plan.
    visits
        Visits to key customers (``[work.visits]``): their row; ``None``: none.
    warranty_h
        Machines have a contract status and a service life (``[fleet.lifecycle]``) with
        this warranty: count installations, warranty hours and calls per class (``None``:
        no lifecycle).
    contractor
        A contractor takes some calls (``[contractor]``): report its work, and tally the
        responses (a contracted call's response is not its wait).
    complaints
        Broken promises raise complaints (``[complaints]``): the number of service
        classes (the rows that can complain), the supervisors and the deadline; ``None``:
        no complaints.
    scored
        Calls get a satisfaction score (``[satisfaction]``): the number of service
        classes (the rows scored); ``None``: no score.
    appointments
        Booked rows (``[appointments]``): their indices, the number of breakdown rows
        (machines down while booked) and the end of the next working day after an
        instant; ``None``: no appointments.
    skills
        Skill groups (``[skills]``): the number of skills, each team-local technician's
        group, whether first visits can be escalated and the remote experts per team (0:
        no remote-expert tier); ``None``: no skills.
    categories
        The service report's category (0 to 3: A to D) of each row (``[work.categories]``):
        report the technician hours by category; ``None``: none.
    """

    class_names: Sequence[str]
    sla_h: Sequence[float | None]
    thresholds_h: Sequence[float]
    technicians: int
    hours_per_day: float
    keep_calls: bool = False
    technicians_per_territory: int = 1
    pooled: int = 1
    parts: bool = False
    territories: int = 0
    territory_offset: int = 0
    travel: bool = True
    shifts: bool = True
    decisions: bool = True
    series: bool = True
    repeat_window_h: float | None = None
    internal: bool = False
    breakdown_rows: int | None = None
    restore: RestorePromises | None = None
    helpdesk_agents: int = 0
    reply_target_h: Sequence[float | None] | None = None
    reply_business: Sequence[bool] | None = None
    add_business_hours: BusinessClock | None = None
    planned: tuple[int, int, float] | None = None
    visits: int | None = None
    warranty_h: float | None = None
    contractor: bool = False
    complaints: tuple[int, int, float] | None = None
    scored: int | None = None
    appointments: tuple[Sequence[int], int, Callable[[float], float]] | None = None
    skills: tuple[int, tuple[int, ...], bool, int] | None = None
    categories: Sequence[int] | None = None

    def build(self, extra: Sequence[Monitor[Any]] = ()) -> Monitors:
        """The monitor set, plus ``extra`` tallies (e.g. a test's own)."""
        instant = not self.travel and not self.parts
        # with a helpdesk the response (from the customer's call) is not the wait, nor with a
        # contractor (a contracted call's response is its arrival)
        responses = self.travel or bool(self.helpdesk_agents) or self.contractor
        call_args = (self.class_names, self.sla_h, self.thresholds_h, self.hours_per_day)
        # planned visits, like job types' jobs, put no machine down
        planned_rows = [
            r for r in (None if self.planned is None else self.planned[0], self.visits) if r is not None
        ]
        # the rows of breakdowns (which put a machine down) come first: the classes', before
        # the job types' (the installation job of [fleet.lifecycle] too) and the planned visits'
        machine_rows = (
            self.breakdown_rows
            if not planned_rows
            else min(planned_rows)
            if self.breakdown_rows is None
            else min(self.breakdown_rows, *planned_rows)
        )
        calls = (
            CallTally(*call_args, revisits=self.parts, responses=responses)
            if machine_rows is None
            else WorkCallTally(machine_rows, *call_args, revisits=self.parts, responses=responses)
        )
        team_size = self.technicians_per_territory * self.pooled
        # (the levels add the workloads at each release: one report, not two)
        workloads = WorkloadTally(team_size, by_levels=True) if team_size in WORKLOAD_TEAMS else None
        levels = LevelTally(self.technicians, instant_trips=instant, workloads=workloads)
        tallies: list[Monitor[Any]] = [
            calls,
            levels,
            TripTally(self.technicians_per_territory, self.pooled, timed=self.travel, calls=calls),
            OvertimeTally(self.technicians, shifts=self.shifts),
        ]
        if workloads is not None:
            tallies.append(workloads)
        if self.parts:
            tallies.append(PartsTally(self.hours_per_day))
        if self.breakdown_rows is not None:
            tallies.append(HoursTally(self.class_names, self.technicians))
        if self.categories is not None:
            tallies.append(CategoryTally(self.categories, self.technicians))
        if self.repeat_window_h is not None:
            tallies.append(RepeatTally(self.repeat_window_h))
        if self.internal:
            tallies.append(InternalTally(self.technicians, self.hours_per_day))
        if self.restore is not None:
            tallies.append(MilestoneTally(self.class_names, self.restore))
        if self.helpdesk_agents:  # (after the call tally: it adds to machines_down)
            rows = self.class_names[: self.breakdown_rows]  # jobs skip the helpdesk
            targets = self.reply_target_h or [None] * len(rows)
            tallies.append(
                HelpdeskTally(
                    rows, self.helpdesk_agents, targets, self.reply_business, self.add_business_hours
                )
            )
        if self.appointments is not None:  # (after the call tally: it adds to machines_down)
            booked, machine_rows, next_day_end = self.appointments
            tallies.append(
                AppointmentTally(self.class_names, booked, machine_rows, self.hours_per_day, next_day_end)
            )
        if self.planned is not None:
            tallies.append(PlannedTally(*self.planned, self.hours_per_day, breakdowns=machine_rows))
        if self.visits is not None:
            tallies.append(VisitTally(self.visits, self.hours_per_day))
        if self.warranty_h is not None:
            classes = len(self.class_names) if self.breakdown_rows is None else self.breakdown_rows
            tallies.append(LifecycleTally(classes, self.warranty_h, self.hours_per_day))
        skill_tally: SkillTally | None = None
        if self.skills is not None:
            count, local, escalation, experts = self.skills
            teams = self.technicians // len(local)
            members = [teams * local.count(g) for g in range(max(local) + 1)]
            skill_tally = SkillTally(
                count, lambda t: local[t % len(local)], members, escalation, teams * experts
            )
            tallies.append(skill_tally)
        if self.territories:
            tallies.append(TerritorySpread(self.territories, self.territory_offset))
        if self.keep_calls:
            tallies.append(CallLog())
        if self.decisions:
            tallies.append(DecisionLog())
        if self.series:
            tallies.append(LevelSeries(calls.waiting, calls.down, levels.busy))
        if self.contractor:
            # a contractor's restoration is told to every tally that hears the technicians'
            # ones (repeats, milestones, the call log...), except the calls (the contractor
            # tally tells them) and the technicians' levels (no technician was on site)
            also = [
                h["restored"]
                for t in [*tallies, *extra]
                if t is not calls and not isinstance(t, LevelTally) and "restored" in (h := t.handles())
            ]
            tallies.append(ContractorTally(self.class_names, self.hours_per_day, calls, also))
        if skill_tally is not None and skill_tally.experts:
            # a remote expert's fix is told to every tally that hears the technicians'
            # restorations (the calls' tally among them) but their levels (nobody on site)
            skill_tally.restored_to = [
                h["restored"]
                for t in [*tallies, *extra]
                if t is not skill_tally and not isinstance(t, LevelTally) and "restored" in (h := t.handles())
            ]
        if self.complaints is not None:  # (breakdown calls only: the classes' rows)
            classes, supervisors, deadline_h = self.complaints
            rows = self.class_names[:classes]
            tallies.append(ComplaintTally(rows, supervisors, deadline_h, helpdesk=bool(self.helpdesk_agents)))
        if self.scored is not None:
            tallies.append(SatisfactionTally(self.class_names[: self.scored]))
        return Monitors([*tallies, *extra], self.class_names)


def trips_take_time(system: ServiceSystem) -> bool:
    """Whether a trip can take time: geometry, a trip from base, or a travel time other
    than a fixed 0 h."""
    tr = system.travel
    if tr.mode != "time" or tr.from_base is not None:
        return True
    return not (isinstance(tr.time, Deterministic) and tr.time.value == 0.0)


def monitors_for(
    system: ServiceSystem,
    technicians: int,
    territories: range,
    keep_calls: bool = False,
    extra: Sequence[Monitor[Any]] = (),
) -> Monitors:
    """The monitor set of a task of ``system`` whose teams hold ``technicians`` and
    ``territories`` (the whole fleet, or a block of it), plus ``extra`` tallies."""
    terr = system.territories
    business_replies = any(c.reply_business for c in system.classes)
    return MonitorSpec(
        system.row_names,
        [
            *(c.sla_h for c in system.classes),
            *(t.target_h for t in system.work_types),
            *(() if system.maintenance is None else (system.maintenance.window_h,)),
            *(() if system.visits is None else (system.visits.window_h,)),
        ],
        system.report.wait_thresholds_h,
        technicians,
        system.calendar.day_length_h,
        keep_calls=keep_calls,
        technicians_per_territory=terr.technicians,
        pooled=terr.pooled,
        parts=system.parts is not None,
        territories=len(territories) if terr.count >= MIN_TERRITORIES else 0,
        territory_offset=territories.start,
        travel=trips_take_time(system),
        shifts=system.calendar.shifts is not None,
        decisions=system.dispatch.record_decisions,
        repeat_window_h=None if system.repeats is None else system.repeats.window_h,
        internal=system.internal is not None or system.internal_blocks is not None,
        breakdown_rows=len(system.classes) if system.work_types else None,
        restore=restore_promises(system),
        helpdesk_agents=0 if system.helpdesk is None else system.helpdesk.agents,
        reply_target_h=reply_targets(system),
        reply_business=[c.reply_business for c in system.classes] if business_replies else None,
        add_business_hours=system.calendar.customer_hours.add_business_hours
        if business_replies and system.calendar.customer_hours is not None
        else None,
        planned=_planned(system, territories),
        visits=None if system.visits is None else system.row_names.index(system.visits.row),
        warranty_h=None if system.lifecycle is None else system.lifecycle.warranty_h,
        contractor=system.contractor is not None,
        complaints=None
        if system.complaints is None
        else (len(system.classes), system.complaints.supervisors, system.complaints.deadline_h),
        scored=None if system.satisfaction is None else len(system.classes),
        appointments=None
        if system.appointments is None
        else (sorted(system.appointments.rows), len(system.classes), system.appointments.next_day_end),
        skills=None
        if system.skills is None
        else (
            len(system.skills.names),
            system.skills.group_of,
            system.skills.escalate_to is not None,
            0 if system.skills.remote is None else system.skills.remote.experts,
        ),
        categories=system.categories,
    ).build(extra)


def reply_targets(system: ServiceSystem) -> list[float | None] | None:
    """Each class's reply milestone: its ``reply_sla_h``, else the helpdesk's
    ``reply_target_h`` (``None``: no helpdesk)."""
    desk = system.helpdesk
    if desk is None:
        return None
    return [c.reply_sla_h if c.reply_sla_h is not None else desk.reply_target_h for c in system.classes]


def restore_promises(system: ServiceSystem) -> RestorePromises | None:
    """The restored milestone of every row of ``system``'s tables (``None``: no class has
    one; job types have none)."""
    classes = system.classes
    if all(c.restore_sla_h is None for c in classes):
        return None
    jobs = len(system.row_names) - len(classes)  # job types' and planned visits' rows: none
    business = [c.restore_business for c in classes]
    hours = system.calendar.customer_hours
    return RestorePromises(
        [*(c.restore_sla_h for c in classes), *([None] * jobs)],
        [*business, *([False] * jobs)],
        [*(c.part_wait_stops_clock for c in classes), *([False] * jobs)],
        hours.add_business_hours if hours is not None and any(business) else None,
    )


def _planned(system: ServiceSystem, territories: range) -> tuple[int, int, float] | None:
    """The planned visits' row, the machines of the task's territories and their mean life."""
    src = system.source
    if system.maintenance is None or not src.finite:
        return None
    pooled = system.territories.pooled
    machines = sum(src.per_territory[t % pooled] for t in territories)
    return system.row_names.index(system.maintenance.row), int(machines), src.life.mean
