"""``[helpdesk]``: the stage before dispatch where agents take the customers' requests
(issue 15's helpdesk; its appointments, milestones and complaints are not built).

Without the section there is no helpdesk: a breakdown call joins its team's dispatch line
the moment it is logged, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import PosFloat, Probability, Section
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: more agents than this is a mistake, not a helpdesk
MAX_AGENTS = 100_000

#: keys the issue describes that the model does not run yet
_NOT_BUILT = "a shift calendar for helpdesk agents is not built yet (agents work around the clock); remove it"


class Helpdesk(Section):
    """A helpdesk of ``agents`` agents that takes every breakdown call before dispatch.

    A request (a breakdown call) queues FIFO for a free agent; the agent handles it for a
    time drawn from ``handling_h``.  Then, with probability ``remote_share`` (drawn per
    request), it is resolved remotely: the agent keeps it for a further ``remote_h``
    (remote diagnosis; 0 h if omitted), and at its end the machine works again, without
    a visit.  Otherwise the call joins its team's dispatch line at the end of handling.
    Agents work around the clock (a shift calendar for them is not built).  Job types'
    jobs (``[[work.types]]``) are work orders, not customer reports: they go straight to
    dispatch.

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
    """

    agents: Annotated[int, Field(ge=1, le=MAX_AGENTS)]  # sweepable as helpdesk.agents
    handling_h: DistSpec  # an agent's time with one request (to the reply)
    reply_target_h: PosFloat | None = None  # reply within this many hours (reply_met)
    remote_share: Probability = 0.0  # share of requests resolved remotely, never visited
    remote_h: DistSpec | None = None  # the agent's further time on a remote resolution
    shifts: Any = None  # not built: refused

    @field_validator("shifts", mode="before")
    @classmethod
    def _no_shifts(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(_NOT_BUILT)
        return value

    @model_validator(mode="after")
    def _positive(self) -> Helpdesk:
        if spec_mean(self.handling_h) <= 0:
            # requests handled in no time would make the reply a no-op and agents never busy
            raise KeyedError("helpdesk.handling_h", "must have a positive mean")
        if self.remote_h is not None and spec_mean(self.remote_h) <= 0:
            raise KeyedError("helpdesk.remote_h", "must have a positive mean (omit it for no remote time)")
        return self


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
