"""``[complaints]``: broken promises raise complaints, handled by supervisors (issue 15).

The promises a customer can see broken are the members of :class:`Promise`, each with the
key of its complaint probability in ``[complaints.probability]``.  A new kind of promise
(late arrival, missed appointment) is a new member, a new key here and the instant the
model judges it (``sim/model/complaints.py``); the tally, the KPIs and the analytic layer
take the list as it is.

Built: complaints and their handling by supervisors, with their shift calendar (the
satisfaction score, which judges the same promises, is ``[satisfaction]``,
``sim/config/satisfaction.py``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import PosFloat, Probability, Section, Shift
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: more supervisors than this is a mistake, not a complaints desk
MAX_SUPERVISORS = 100_000


class Promise(IntEnum):
    """A promise whose breach may raise a complaint (the index of its probability).

    Append only: the index keys the random stream of the complaint draws.
    """

    REPLY = 0  # the helpdesk's reply later than the reply milestone
    ON_SITE = 1  # the technician on site later than the class's sla_h
    RESTORE = 2  # the machine working again later than the class's restore_sla_h
    REPEAT = 3  # a repeat failure: the repair before it left the cause
    ANY_CALL = 4  # every customer's call, whatever the promises (the complaint base rate)
    LATE_ARRIVAL = 5  # a booked call's technician after the window's end ([appointments])
    MISSED_APPOINTMENT = 6  # a booked call not reached on its window's day, rebooked


#: the key of each promise's complaint probability in ``[complaints.probability]``
PROMISE_KEYS: dict[Promise, str] = {
    Promise.REPLY: "late_reply",
    Promise.ON_SITE: "late_on_site",
    Promise.RESTORE: "late_restore",
    Promise.REPEAT: "repeat_failure",
    Promise.ANY_CALL: "any_call",
    Promise.LATE_ARRIVAL: "late_arrival",
    Promise.MISSED_APPOINTMENT: "missed_appointment",
}


class ComplaintProbabilities(Section):
    """The chance that a broken promise raises a complaint, per kind of promise (0: never).

    Each broken promise of a call is judged once, with its own uniform draw: a call can
    raise several complaints (a late reply and a late arrival on site).
    """

    late_reply: Probability = 0.0  # the reply after the reply milestone (a [helpdesk])
    late_on_site: Probability = 0.0  # on site (first visit) after the class's sla_h
    late_restore: Probability = 0.0  # machine working again after the class's restore_sla_h
    repeat_failure: Probability = 0.0  # a repeat call ([repair.repeat])
    any_call: Probability = 0.0  # every customer's call, at the call (a base rate)
    late_arrival: Probability = 0.0  # a booked call's technician after its window ([appointments])
    missed_appointment: Probability = 0.0  # a booked call's appointment missed (rebooked)

    def of(self, promise: Promise) -> float:
        """The probability of one kind of promise."""
        value: float = getattr(self, PROMISE_KEYS[promise])
        return value


class Complaints(Section):
    """Complaints raised by broken promises and their handling.  Example::

        [complaints]
        supervisors = 1
        handling_h = { dist = "exponential", mean = 1.5 }
        deadline_h = 8.0            # a complaint resolved within 8 h of being raised

        [complaints.probability]
        late_on_site = 0.3          # a call whose technician came after sla_h
        late_restore = 0.5          # a machine working again after restore_sla_h
        any_call = 0.02             # every call (the complaints no promise explains)

    A breach is judged at the instant it shows: the reply (``late_reply``, on the class's
    reply clock), the first
    technician (or contractor) on site (``late_on_site``), the machine working again
    (``late_restore``, on the class's restore clock), the call of a repeat failure
    (``repeat_failure``), a booked call's technician arriving after its window
    (``late_arrival``) or its appointment missed and rebooked (``missed_appointment``,
    judged at its first miss); ``any_call`` is drawn for every customer's call at the call.
    Each kind is judged at most once per call.
    A complaint is raised at once with the kind's probability (an independent uniform
    per call and kind, stream ``complaint_draw``).  Complaints of all teams queue FIFO
    for ``supervisors`` supervisors; one handles a complaint for a time drawn from
    ``handling_h`` (stream ``complaint_handling``); it is resolved at the end of
    handling, in time if within ``deadline_h`` hours of being raised (wall clock).
    Supervisors work around the clock, or with ``shifts`` (weekly hours, as
    ``calendar.shifts``) only in their shifts: a complaint raised while they are off waits
    for the next shift; one held at a shift's end is finished.  Job types' jobs and
    planned visits raise no complaints.
    """

    supervisors: Annotated[int, Field(ge=1, le=MAX_SUPERVISORS)]  # sweepable
    handling_h: DistSpec  # a supervisor's time with one complaint
    deadline_h: PosFloat  # raised -> resolved within this many hours (complaint_met)
    probability: ComplaintProbabilities
    shifts: list[Shift] | None = None  # the supervisors' weekly hours (default: always)

    @model_validator(mode="after")
    def _positive(self) -> Complaints:
        if spec_mean(self.handling_h) <= 0:
            raise KeyedError("complaints.handling_h", "must have a positive mean")
        if all(self.probability.of(p) == 0.0 for p in Promise):
            raise KeyedError("complaints.probability", "give a positive probability for at least one promise")
        if self.shifts is not None:
            if not self.shifts:
                raise KeyedError("complaints.shifts", "no working hours given (omit the key for always)")
            try:
                self.calendar()
            except ValueError as exc:
                raise KeyedError("complaints.shifts", str(exc)) from None
        return self

    def calendar(self) -> Any:
        """The supervisors' shifts as a :class:`sim.calendar.WeeklyCalendar`, or ``None``."""
        from sim.calendar import WeeklyCalendar  # (a leaf; imported where it is needed)

        if self.shifts is None:
            return None
        return WeeklyCalendar.from_shifts((s.days, s.start, s.end) for s in self.shifts)


def promises_made(sc: Scenario) -> tuple[dict[Promise, bool], dict[Promise, str]]:
    """Which promises the scenario makes, and what each needs (for the messages)."""
    classes = sc.fleet.classes
    desk = sc.helpdesk
    appts = sc.appointments
    booked = appts is not None and any(c.name in appts.booked for c in classes)
    made = {
        Promise.REPLY: desk is not None
        and (desk.reply_target_h is not None or any(c.reply_sla_h is not None for c in classes)),
        Promise.ON_SITE: any(c.sla_h is not None for c in classes),
        Promise.RESTORE: any(c.restore_sla_h is not None for c in classes),
        Promise.REPEAT: sc.repair.repeat is not None,
        Promise.ANY_CALL: True,
        Promise.LATE_ARRIVAL: booked,
        Promise.MISSED_APPOINTMENT: booked,
    }
    needs = {
        Promise.REPLY: "a reply milestone (helpdesk.reply_target_h or a class's reply_sla_h)",
        Promise.ON_SITE: "a class with sla_h",
        Promise.RESTORE: "a class with restore_sla_h",
        Promise.REPEAT: "[repair.repeat]",
        Promise.ANY_CALL: "",
        Promise.LATE_ARRIVAL: "[appointments] booking a service class",
        Promise.MISSED_APPOINTMENT: "[appointments] booking a service class",
    }
    return made, needs


def check_complaints(sc: Scenario) -> None:
    """The checks of ``[complaints]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        A probability for a promise the scenario does not make (no reply milestone, no
        ``sla_h``, no ``restore_sla_h``, no repeat repairs).
    """
    if sc.complaints is None:
        return
    made, needs = promises_made(sc)
    for p in Promise:
        if sc.complaints.probability.of(p) > 0.0 and not made[p]:
            raise KeyedError(
                f"complaints.probability.{PROMISE_KEYS[p]}",
                f"no such promise is made: it needs {needs[p]}",
            )
