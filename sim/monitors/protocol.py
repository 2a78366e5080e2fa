"""What the model reports to, and what every tally implements.

The model calls a :class:`Recorder` explicitly at each step of a call's life
(``logged``, ``dispatched``, ``on_site``, ``restored`` ...); nothing patches SimPy.
:class:`sim.monitors.Monitors` is the recorder that runs use: it hands each report
to the few tallies (:class:`Monitor`) that need it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Protocol, TypeVar

S = TypeVar("S")


class CallLike(Protocol):
    """The fields of a call that the monitors read."""

    number: int
    machine: int
    territory: int
    local_territory: int
    service_class: int
    technician: int
    travel_h: float
    repair_h: float
    trip_km: float
    failed_at: float
    logged_at: float
    due_at: float
    dispatched_at: float
    job_started_at: float
    on_site_at: float
    visits: int
    part_wait: float
    repeat: bool  # a repeat call: the repair before it left the cause


class Outcome(IntEnum):
    """What became of an appointment (``[appointments]``): the promise kept or broken."""

    OPEN = 0  # booked, the technician not there yet
    KEPT = 1  # the technician arrived inside the window (or before it, and waited)
    LATE = 2  # arrived after the window closed (a broken promise)
    MISSED = 3  # not dispatched on the window's working day: rebooked (a broken promise)


class AppointmentLike(Protocol):
    """One appointment of a booked call, as the model reports it (``booked``,
    ``appointment_outcome``): another tally (complaints, satisfaction) reads the outcome
    of every promise from it."""

    number: int  # 1 for the call's first appointment, 2 after one missed, ...
    start: float  # the arrival window, simulation hours
    end: float
    booked_at: float  # when it was given
    arrived_at: float  # the technician's arrival (nan until then, and if missed)
    outcome: Outcome


class Recorder(Protocol):
    """The interface the model reports to."""

    def logged(self, call: CallLike, now: float) -> None: ...
    def dispatched(self, call: CallLike, now: float) -> None: ...
    def on_site(self, call: CallLike, now: float) -> None: ...
    def restored(self, call: CallLike, now: float) -> None: ...
    def released(self, call: CallLike, now: float) -> None: ...
    def decision(self, rule: str, call: CallLike, candidates: int, technician: int, now: float) -> None: ...
    def duty(self, delta: int, now: float) -> None: ...
    def paused(self, call: CallLike, now: float, on_site: bool) -> None: ...
    def resumed(self, call: CallLike, now: float, on_site: bool) -> None: ...
    def overtime(self, hours: float, now: float) -> None: ...
    def internal(self, delta: int, now: float) -> None: ...
    def left_site(self, call: CallLike, now: float) -> None: ...
    def requeued(self, call: CallLike, now: float) -> None: ...
    def part_used(self, unit_cost: float, now: float) -> None: ...
    def emergency(self, now: float) -> None: ...
    def stock(self, kind: str, on_hand: int, backorders: int, now: float) -> None: ...
    def part_demand(self, kind: str, filled: bool, now: float) -> None: ...
    def backorder_filled(self, kind: str, delay: float, now: float) -> None: ...
    def requested(self, call: CallLike, now: float) -> None: ...
    def answered(self, call: CallLike, now: float) -> None: ...
    def replied(self, call: CallLike, now: float) -> None: ...
    def passed_on(self, call: CallLike, now: float) -> None: ...
    def fixed_remotely(self, call: CallLike, now: float) -> None: ...
    def installed(self, machine: int, at: float, replaced: bool, now: float) -> None: ...
    def contracted(self, call: CallLike, now: float) -> None: ...
    def contractor_on_site(self, call: CallLike, now: float) -> None: ...
    def contractor_failed(self, call: CallLike, now: float) -> None: ...
    def contractor_restored(self, call: CallLike, now: float) -> None: ...
    def expert_taken(self, call: CallLike, now: float) -> None: ...
    def expert_released(self, call: CallLike, now: float) -> None: ...
    def expert_restored(self, call: CallLike, now: float) -> None: ...
    def complaint_raised(self, call: CallLike, promise: int, now: float) -> None: ...
    def complaint_taken(self, call: CallLike, promise: int, raised_at: float, now: float) -> None: ...
    def complaint_resolved(self, call: CallLike, promise: int, raised_at: float, now: float) -> None: ...
    def satisfied(self, call: CallLike, score: float, now: float) -> None: ...
    def booked(self, call: CallLike, appointment: AppointmentLike, now: float) -> None: ...
    def appointment_outcome(self, call: CallLike, appointment: AppointmentLike, now: float) -> None: ...
    def reset(self, now: float) -> None: ...
    def close(self, now: float) -> None: ...
    def pending(self) -> bool: ...
    def sample(self, now: float) -> None: ...


#: the reports of :class:`Recorder` that a tally may handle (the others run the window)
EVENTS = (
    "logged",
    "dispatched",
    "on_site",
    "restored",
    "released",
    "decision",
    "duty",
    "paused",
    "resumed",
    "overtime",
    "internal",
    "left_site",
    "requeued",
    "part_used",
    "emergency",
    "stock",
    "part_demand",
    "backorder_filled",
    "sample",
    # the helpdesk (sim/model/helpdesk.py): a request reaches it, an agent takes it, the
    # reply (handling ends), the call goes on to dispatch, or is fixed remotely
    "requested",
    "answered",
    "replied",
    "passed_on",
    "fixed_remotely",
    "installed",
    # a contractor's visit (sim/model/contractor.py): handed over, on site, left unfixed, restored
    "contracted",
    "contractor_on_site",
    "contractor_failed",
    "contractor_restored",
    # the remote-expert tier of escalated calls (sim/model/skills.py): an expert takes the
    # call, lets it go (fixed or not), and the machine works again without a visit
    "expert_taken",
    "expert_released",
    "expert_restored",
    # a complaint (sim/model/complaints.py): raised by a broken promise (its index in
    # sim.system.Promise), taken by a supervisor, resolved
    "complaint_raised",
    "complaint_taken",
    "complaint_resolved",
    # a call's satisfaction score, when its machine works again ([satisfaction])
    "satisfied",
    # appointments (sim/model/appointments.py): one given (first or after a miss), and what
    # became of it (kept, late at the arrival; missed at the end of the window's day)
    "booked",
    "appointment_outcome",
)


class Monitor(Protocol[S]):
    """A tally: some running sums, the KPIs made from them, and a typed snapshot.

    A tally handles the reports it names (methods called like those of
    :class:`Recorder`, listed in :data:`EVENTS`); :class:`sim.monitors.Monitors` calls
    only those.  ``kpis`` adds the tally's KPIs to the rows (``"all"`` and one per
    class name), which the other tallies fill too.
    """

    #: a short name, unique in a monitor set (the key of its snapshot)
    name: str
    #: the start of the current measurement (set by a block merge)
    start: float

    def handles(self) -> dict[str, Callable[..., None]]:
        """The reports this tally needs, as bound methods, by name (see :data:`EVENTS`)."""

    def reset(self, now: float) -> None:
        """Forget everything before ``now`` (the end of the warm-up)."""

    def new_batch(self, now: float) -> None:
        """Restart the sums at ``now`` for a new batch (calls of the window keep counting)."""

    def close(self, now: float) -> None:
        """End the measured window at ``now`` (the end of the horizon)."""

    def pending(self) -> bool:
        """Whether something of the closed window is still to be followed."""

    def snapshot(self, now: float) -> S:
        """The running sums, closed at ``now``, as a frozen dataclass (for block merges)."""

    def absorb(self, snapshot: S, now: float) -> None:
        """Add another block's snapshot (same scenario, same instants) into these sums."""

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        """Add this tally's KPIs, measured from the reset to ``now``, to ``rows``."""
