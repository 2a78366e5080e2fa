"""A service call: one breakdown waiting for, and receiving, a repair."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from sim.model.variates import Variates

NAN = float("nan")
INF = float("inf")


class Phase(IntEnum):
    """Where a call is in its life; :class:`sim.model.team.Team` moves it on.

    ::

        WAITING -> TRAVELLING -> REPAIRING -> RETURNING -> DONE
                                 (or DONE at once without a drive back to base)
        REPAIRING -> WAITING                      the visit did not fix the machine
        on site, a part missing (the shortage rule decides):
            AWAITING_PART -> REPAIRING            the technician waits on site
            LEAVING -> AWAY -> WAITING            leaves; back in line once the parts came
            LEAVING -> WAITING                    the parts came before the technician left
        WAITING -> CONTRACTED -> DONE             a contractor took it ([contractor])
        CONTRACTED -> WAITING                     the contractor's visit did not fix it
        REPAIRING -> WITH_EXPERT -> DONE          escalated to a remote expert, fixed remotely
        WITH_EXPERT -> WAITING                    not fixed: back in line for a specialist
    """

    WAITING = 0  # logged (or back for another visit): in the dispatch line
    TRAVELLING = 1  # a technician drives to the machine
    REPAIRING = 2  # on site, the repair running
    AWAITING_PART = 3  # on site, the technician waits for a missing part
    LEAVING = 4  # on site without the part, the technician about to leave
    AWAY = 5  # the technician has left; the call waits for its parts
    RETURNING = 6  # the machine works; the technician drives back to base
    DONE = 7  # the machine works and the technician is released
    CONTRACTED = 8  # handed to a contractor: its trip and repair (no technician of ours)
    WITH_EXPERT = 9  # escalated, with the remote-expert tier ([skills.escalation.remote])


# module constants: an enum member read through its class costs a lookup per use
WAITING, TRAVELLING, REPAIRING, AWAITING_PART, LEAVING, AWAY, RETURNING, DONE, CONTRACTED, WITH_EXPERT = Phase


class Source(Protocol):
    """Where a call came from: told when the call's machine works again."""

    def machine_restored(self, call: Call) -> None: ...


class Call:
    """A breakdown reported by a customer.

    The call's needs (class, repair time, travel time or travel noise, where the
    machine is) are drawn when it is logged, from streams keyed by the machine
    (or by the arrival order in infinite-source mode), so they do not depend on
    staffing or dispatch.  Timestamps are simulation hours; ``nan`` until the
    step happens.

    A call is also the bare SimPy event of the step of its service that runs (a trip,
    a repair, a drive back: :meth:`sim.model.team.Team._after`): ``callbacks`` and
    ``_ok`` are what :meth:`simpy.Environment.step` reads, as for a
    :class:`~sim.model.steps.Step`.  A call waits for one step at a time, so one object
    serves them all and no event is made per step.
    """

    _ok = True  # read by Environment.step: a step never fails

    __slots__ = (
        "base_travel_h",
        "callbacks",
        "dispatched_at",
        "due_at",
        "escalated_at",  # set by a team with skills only: when the first visit was escalated
        "failed_at",
        "fix",
        "job_started_at",
        "local_territory",
        "logged_at",
        "machine",
        "missing",
        "need",  # the skill the call needs: set by a team with skills only (sim/model/skills.py)
        "noise_h",
        "number",
        "on_site_at",
        "part_wait",
        "parts",
        "parts_ready",
        "parts_since",
        "phase",
        "repair_h",
        "service_class",
        "source",
        "technician",
        "territory",
        "travel_h",
        "trip_km",
        "visits",
        "x",
        "y",
    )

    def __init__(
        self,
        number: int,
        machine: int,
        territory: int,
        local_territory: int,
        service_class: int,
        travel_h: float,
        repair_h: float,
        now: float,
        x: float = NAN,
        y: float = NAN,
        source: Source | None = None,
    ) -> None:
        self.number = number
        self.source = source  # told when the machine works again (None: nothing follows)
        self.machine = machine  # -1 in infinite-source mode
        self.territory = territory
        self.local_territory = local_territory  # index of the territory within its team
        self.service_class = service_class
        self.travel_h = travel_h  # the current trip's duration (geometry: known at dispatch)
        self.noise_h = travel_h  # geometry mode: the drawn time added to every trip's drive
        # time mode with travel.from_base_h: the trip if the technician was idle (then
        # travel_h is set at dispatch, noise_h keeping the between-jobs draw)
        self.base_travel_h = NAN
        self.repair_h = repair_h
        self.x = x  # km, team-local coordinates (geometry mode)
        self.y = y
        self.trip_km = NAN
        self.failed_at = now
        self.logged_at = now
        self.due_at = INF  # response deadline (SLA), set when the call is logged
        self.dispatched_at = NAN  # the first dispatch (the wait ends)
        self.job_started_at = NAN  # the current visit's dispatch
        self.on_site_at = NAN
        self.technician = -1
        self.parts: tuple[int, ...] = ()  # part type of every unit the repair needs
        self.parts_ready = False  # the units are in hand (a revisit after a shortage)
        self.visits = 0  # visits finished so far
        self.part_wait = 0.0  # hours the call waited for missing parts
        self.fix: Variates | None = None  # draws deciding whether a visit fixes the machine (other causes)
        self.missing = 0  # units still awaited after a shortage
        self.parts_since = NAN  # when the shortage was found
        self.phase = WAITING
        self.callbacks: tuple[Callable[[Call], None], ...] | None = None  # a step scheduled

    #: the index of the skill the call needs (a slot set only by a team with skills,
    #: :mod:`sim.model.skills`, when the call is logged)
    need: int
    #: when the call's first visit ended in escalation (``nan``: it did not; a slot set only
    #: by a team with skills)
    escalated_at: float

    #: a repeat call (:class:`RepeatCall`): the repair before it left the cause.  A class
    #: attribute, so that calls of a fleet without repeats set no field for it
    repeat = False
    #: the call's job type: 0 a breakdown repair; ``j + 1`` a job of the scenario's j-th
    #: ``[[work.types]]`` entry (:class:`Job`).  A class attribute, so that breakdown calls
    #: set no field for it
    job_type = 0


class RepeatCall(Call):
    """A repeat call: the machine failed again with the fault a repair left.

    The call of a repeat failure is drawn as a :class:`Call` and then given this class
    (``call.__class__ = RepeatCall``: the same slots, only ``repeat`` differs).
    """

    __slots__ = ()
    repeat = True


class Job(Call):
    """A job of a type besides breakdown repairs (``[[work.types]]``).

    Its ``service_class`` is the type's row (after the service classes), ``repair_h`` the
    type's on-site time; it needs no parts, has no machine (``machine = -1``) and no
    source to tell when it is done, so it is never revisited or repeated.
    """

    __slots__ = ("job_type",)

    def __init__(
        self,
        number: int,
        territory: int,
        local_territory: int,
        row: int,
        job_type: int,
        travel_h: float,
        duration_h: float,
        now: float,
    ) -> None:
        super().__init__(number, -1, territory, local_territory, row, travel_h, duration_h, now)
        self.job_type = job_type  # 1 + the index of its entry in [[work.types]]
