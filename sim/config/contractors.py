"""``[contractor]``: an outside firm that takes calls the team cannot take in time (issue 16).

Built: one contractor per scenario, used by every team alike, with an overflow rule
(``when``), the rows it takes (``classes``: service classes and job types), job types it
always takes (``always``), a capacity per team, its response and repair times, its
first-time fix and its price per job.  Not built (issue 16's other parts): skills and
escalation to specialists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import Money, PosFloat, Probability, Section
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario


class Contractor(Section):
    """A contractor for overflow.  Example::

        [contractor]
        when = "wait_over"          # or "all_busy"
        threshold_h = 4.0           # with "wait_over"
        classes = ["standard"]      # rows it may take (default: every class and job type)
        always = ["installation"]   # job types always sent to it
        capacity = 2                # concurrent jobs per team (omit: unlimited)
        response_h = { dist = "gamma", mean = 3.0, cv = 0.5 }
        repair_h = { dist = "exponential", mean = 2.5 }   # omit: the call's own repair time
        first_time_fix = 0.9
        price = 180.0               # money per job (per visit, a failed one included)

    The overflow rule, for a call of a row it may take (``classes``) on its first visit:

    * ``when = "all_busy"``: the call goes to the contractor when it is logged and no
      technician of its team is free (it would have to wait; off shift no one is free);
    * ``when = "wait_over"``: a call still waiting ``threshold_h`` hours after it was
      logged (wall clock) leaves the team's line for the contractor.  Each call that
      joins the line starts a timer; its dispatch makes the timer void.

    Job types listed in ``always`` go to the contractor when they are logged, whatever
    the team's state (they must be ``[[work.types]]`` names).

    ``capacity``: the contractor's jobs at once, per team (the teams are independent); a
    call that finds it full stays in the team's line (``all_busy``: joins it;
    ``wait_over``: stays where it is, and is not offered again; ``always``: joins it).
    ``response_h``: from the hand-over to the contractor on site.  ``repair_h``: its time
    on site (omitted: the call's own repair time, the draw a technician would have
    taken).  A visit that does not fix the machine (probability ``1 - first_time_fix``)
    sends the call back to the team's line as a revisit when the contractor leaves; a
    call goes to the contractor at most once.  The machine is down until it is restored.
    ``price``: money per contractor visit, added to ``cost_per_day`` with ``[costs]``.
    The contractor works around the clock (no shift calendar) and uses no van stock.

    In the tables the contracted calls are part of the call KPIs: ``wait_h`` is the time
    until a technician or the contractor takes the call, ``response_h`` and ``sla_met``
    count the contractor's arrival, ``restore_h`` and ``machines_down`` its repair.  The
    technicians' KPIs (``utilization``, trips, the territories' spread) hold the team's
    work only; in ``calls.parquet`` a call the contractor restored has technician -1.
    """

    when: Literal["all_busy", "wait_over"]
    threshold_h: PosFloat | None = None  # with when = "wait_over": hours in the line
    classes: list[str] | None = None  # rows it may take: class and job-type names (default all)
    always: list[str] = Field(default_factory=list)  # job types always sent to it
    capacity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None  # per team; none = unlimited
    response_h: DistSpec  # hand-over -> contractor on site
    repair_h: DistSpec | None = None  # on-site time; default: the call's own repair time
    first_time_fix: Probability = 1.0  # chance a contractor visit restores the machine
    price: Money = 0.0  # money per contractor visit

    @model_validator(mode="after")
    def _rule(self) -> Contractor:
        if self.when == "wait_over" and self.threshold_h is None:
            raise KeyedError("contractor.threshold_h", "when = 'wait_over' needs threshold_h (hours)")
        if self.when != "wait_over" and self.threshold_h is not None:
            raise KeyedError("contractor.threshold_h", "only with when = 'wait_over'")
        if self.repair_h is not None and spec_mean(self.repair_h) <= 0:
            raise KeyedError("contractor.repair_h", "must have a positive mean")
        return self


def check_contractor(sc: Scenario) -> None:
    """The checks of ``[contractor]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Naming the key: a class or job type that does not exist, an ``always`` entry that
        is not a job type, parts reserved at logging (the contractor brings its own).
    """
    c = sc.contractor
    if c is None:
        return
    classes = [x.name for x in sc.fleet.classes]
    types = [t.name for t in sc.work.types] if sc.work is not None else []
    rows = classes + types
    for i, name in enumerate(c.classes or []):
        if name not in rows:
            raise KeyedError(
                f"contractor.classes[{i}]",
                f"no service class or job type {name!r} (rows: {', '.join(rows)})",
            )
    for i, name in enumerate(c.always):
        if name not in types:
            known = ", ".join(types) if types else "none: the scenario has no [[work.types]]"
            raise KeyedError(f"contractor.always[{i}]", f"no job type {name!r} (job types: {known})")
    if sc.parts is not None and sc.parts.reservation:
        raise KeyedError(
            "contractor", "not with parts.reservation (the units would be taken from a van for it)"
        )
