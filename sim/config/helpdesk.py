"""``[helpdesk]``: the stage before dispatch where agents take the customers' requests
(issue 15's helpdesk), with the agents' shift calendar (``helpdesk.shifts``).

Without the section there is no helpdesk: a breakdown call joins its team's dispatch line
the moment it is logged, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import PosFloat, Probability, Section, Shift
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: more agents than this is a mistake, not a helpdesk
MAX_AGENTS = 100_000


class Helpdesk(Section):
    """A helpdesk of ``agents`` agents that takes every breakdown call before dispatch.

    A request (a breakdown call) queues FIFO for a free agent; the agent handles it for a
    time drawn from ``handling_h``.  Then, with probability ``remote_share`` (drawn per
    request), it is resolved remotely: the agent keeps it for a further ``remote_h``
    (remote diagnosis; 0 h if omitted), and at its end the machine works again, without
    a visit.  Otherwise the call joins its team's dispatch line at the end of handling.
    Job types' jobs (``[[work.types]]``) are work orders, not customer reports: they go
    straight to dispatch.

    Agents work around the clock, or with ``shifts`` (weekly hours, as
    ``calendar.shifts``, on the same clock: Monday 00:00 is hour 0) only during their
    shifts: a request made while the helpdesk is closed waits (overnight, over the
    weekend) for the next shift; a request an agent holds at the end of a shift is
    finished (its handling and remote time) before the agent leaves.  Every agent works
    the same shifts.

    Clocks: the *reply* is the end of handling (the customer has an answer: a remote fix
    under way, or a technician coming); ``reply_h`` runs from the customer's call to it,
    ``helpdesk_wait_h`` from the call to an agent taking it.  With a helpdesk, ``wait_h``
    counts from the call reaching dispatch; ``response_h``, ``restore_h`` and the SLA
    (``sla_h``) still count from the customer's call.  Example::

        [helpdesk]
        agents = 2
        handling_h = { dist = "exponential", mean = 0.25 }
        reply_target_h = 0.5
        remote_share = 0.3
        remote_h = { dist = "exponential", mean = 0.5 }
        shifts = [{ days = ["mon", "tue", "wed", "thu", "fri"], start = "08:00", end = "18:00" }]
    """

    agents: Annotated[int, Field(ge=1, le=MAX_AGENTS)]  # sweepable as helpdesk.agents
    handling_h: DistSpec  # an agent's time with one request (to the reply)
    reply_target_h: PosFloat | None = None  # reply within this many hours (reply_met)
    remote_share: Probability = 0.0  # share of requests resolved remotely, never visited
    remote_h: DistSpec | None = None  # the agent's further time on a remote resolution
    shifts: list[Shift] | None = None  # the agents' weekly hours (default: always open)

    @model_validator(mode="after")
    def _positive(self) -> Helpdesk:
        if spec_mean(self.handling_h) <= 0:
            # requests handled in no time would make the reply a no-op and agents never busy
            raise KeyedError("helpdesk.handling_h", "must have a positive mean")
        if self.remote_h is not None and spec_mean(self.remote_h) <= 0:
            raise KeyedError("helpdesk.remote_h", "must have a positive mean (omit it for no remote time)")
        if self.shifts is not None:
            from sim.calendar import WeeklyCalendar  # (a leaf; imported where it is needed)

            if not self.shifts:
                raise KeyedError("helpdesk.shifts", "no working hours given (omit the key for always open)")
            try:
                WeeklyCalendar.from_shifts((s.days, s.start, s.end) for s in self.shifts)
            except ValueError as exc:
                raise KeyedError("helpdesk.shifts", str(exc)) from None
        return self

    def calendar(self) -> Any:
        """The agents' shifts as a :class:`sim.calendar.WeeklyCalendar`, or ``None``."""
        from sim.calendar import WeeklyCalendar

        if self.shifts is None:
            return None
        return WeeklyCalendar.from_shifts((s.days, s.start, s.end) for s in self.shifts)


def check_helpdesk(sc: Scenario) -> None:
    """The checks of ``[helpdesk]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Repeat repairs with a helpdesk (not built: a remote resolution would have to
        decide whether it left the cause).
    """
    if sc.helpdesk is None:
        return
    if sc.repair.repeat is not None:
        raise KeyedError(
            "helpdesk",
            "a helpdesk with repeat repairs ([repair.repeat]) is not built yet; remove one of them",
        )
