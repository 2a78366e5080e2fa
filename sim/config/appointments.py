"""``[appointments]``: booked work given an arrival window (issue 15's appointments).

Without the section every call is *urgent*: it joins its team's dispatch line the moment
it is logged (with a ``[helpdesk]``: at the reply), as before.  With it, the rows listed in
``booked`` (service classes and job types) are *booked* instead: each is given an
appointment, an arrival window of ``window_h`` hours, and released to dispatch so that
the technician arrives inside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import _CLOCK, NonNegFloat, PosFloat, Section
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: the share of a window's capacity held back for urgent work lies in [0, 1)
HeldBack = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]


class PreferredTime(Section):
    """A time of day some customers prefer: ``share`` of the booked calls accept only a
    window that starts at or after ``start`` and ends by ``end`` (clock times of its
    calendar day), e.g. ``{ share = 0.4, start = "08:00", end = "12:00" }``: the mornings."""

    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    start: Annotated[str, Field(pattern=_CLOCK)]
    end: Annotated[str, Field(pattern=_CLOCK)]


class Appointments(Section):
    """Appointments and arrival windows for booked work.  Example::

        [appointments]
        booked = ["paid", "warranty"]   # rows booked (class or job-type names); the rest urgent
        window_h = 2.0                  # arrival windows of 2 h, cut from each working interval
        lead_h = 16.0                   # the window starts at least 16 h after the booking
        held_back = 0.25                # a quarter of each window's capacity kept for urgent work
        release_held_h = 20.0           # ...and opened to bookings 20 h before the window starts
        capacity_h = 2.0                # technician-hours per window and team (default: team x window_h)
        job_h = 2.0                     # hours one booking takes (default: its mean trip + on-site time)

    *Windows*: each working interval of ``calendar.shifts`` (a day's shift) is cut, from its
    start, into as many whole windows of ``window_h`` hours as fit (a remainder at the
    end of the shift has no window).  *Capacity*: each window of a team offers
    ``capacity_h x (1 - held_back)`` technician-hours to bookings; a booking takes
    ``job_h`` of them (a fixed planning figure per row: the row's mean trip plus mean
    on-site time unless given).  *Booking*: when a booked call reaches dispatch (at the
    logging, or at the helpdesk's reply) it gets the first window of its team that starts
    at least ``lead_h`` hours later, and not before the start of the customer's preferred
    day (``preferred_days``: a distribution of whole days after the request, its draw
    rounded down; omitted: no preference), and has the job's hours left.  *Time of day*:
    with ``preferred_times`` (a list of ``{share, start, end}``) each booked call is drawn
    (named stream ``appointment_preferred_time``) into one of them with its share, the
    rest into none: its windows are then only those that start at or after ``start`` and
    end by ``end`` on their calendar day, for the first booking and every rebooking (the
    customer is there only then); the shares add up to at most 1.  With
    ``release_held_h`` the share held back opens to bookings made at most that many hours
    before the window starts (urgent work did not claim it in time: a late booking may).

    *Service*: the call is released to its team's dispatch line the row's mean trip time
    before the window opens (or at once if that is past), and then takes its turn under the
    dispatch rule like any call (``wait_h`` counts from the release).  A technician who
    arrives before the window opens waits at the door until it opens (busy, not on site:
    the idle time of appointment gaps, ``appt_idle_h_per_day``); arriving after the window
    closes is a *late arrival*.  A booked call still not dispatched when the working
    interval of its window ends is a *missed appointment* (a broken promise): it leaves
    the line and is booked again under the same rule (no preference).  A revisit (parts)
    is dispatched as urgent work.

    Not built yet (refused): appointments with geometry travel, a contractor, preventive
    maintenance or key-customer visits.
    """

    booked: Annotated[list[str], Field(min_length=1)]  # rows given appointments
    window_h: PosFloat  # arrival window width (hours)
    lead_h: NonNegFloat = 0.0  # the window starts at least this long after the booking
    held_back: HeldBack = 0.0  # share of each window's capacity kept for urgent work
    capacity_h: PosFloat | None = None  # technician-hours per window and team
    job_h: PosFloat | None = None  # hours one booking takes from a window's capacity
    preferred_days: DistSpec | None = None  # the customer's preferred day offset (days)
    release_held_h: NonNegFloat | None = None  # the held-back share opens this close to a window
    preferred_times: Annotated[list[PreferredTime], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _unique(self) -> Appointments:
        seen: set[str] = set()
        for i, name in enumerate(self.booked):
            if name in seen:
                raise KeyedError(f"appointments.booked[{i}]", f"{name!r} is listed twice")
            seen.add(name)
        from sim.calendar import parse_clock

        total = 0.0
        for i, p in enumerate(self.preferred_times or []):
            if parse_clock(p.end) <= parse_clock(p.start):
                raise KeyedError(f"appointments.preferred_times[{i}].end", f"{p.end} is not after {p.start}")
            total += p.share
            if total > 1.0 + 1e-9:
                raise KeyedError(
                    f"appointments.preferred_times[{i}].share",
                    f"the shares add up to {total:g}, more than 1 (the rest have no preference)",
                )
        return self

    @model_serializer(mode="wrap")
    def _without_unset_times(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a section without preferred_times dumps (and hashes, and resumes) as before it existed
        out: dict[str, Any] = handler(self)
        if out.get("preferred_times", "") is None:
            del out["preferred_times"]
        return out


def check_appointments(sc: Scenario) -> None:
    """The checks of ``[appointments]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Naming the key: a row that does not exist, no working hours (``calendar.shifts``),
        a window wider than a working day's interval, a booking larger than what a window
        offers, and the combinations not built yet.
    """
    a = sc.appointments
    if a is None:
        return
    rows = [c.name for c in sc.fleet.classes] + ([t.name for t in sc.work.types] if sc.work else [])
    for i, name in enumerate(a.booked):
        if name not in rows:
            raise KeyedError(
                f"appointments.booked[{i}]",
                f"no service class or job type {name!r} (rows: {', '.join(rows)})",
            )
    cal = sc.calendar.technician_calendar()
    if cal is None:
        raise KeyedError(
            "appointments.booked",
            "a booked class needs working hours for its windows: give calendar.shifts",
        )
    shortest = min(b - a_ for a_, b in cal.intervals)
    if a.window_h > shortest + 1e-9:
        raise KeyedError(
            "appointments.window_h",
            f"{a.window_h:g} h is wider than the working day ({shortest:g} h in calendar.shifts)",
        )
    team = sc.territories.technicians * sc.territories.pooled
    offered = (a.capacity_h if a.capacity_h is not None else team * a.window_h) * (1.0 - a.held_back)
    for i, name in enumerate(a.booked):
        need = a.job_h if a.job_h is not None else booking_hours(sc, name)
        if need > offered + 1e-9:
            raise KeyedError(
                "appointments.job_h" if a.job_h is not None else f"appointments.booked[{i}]",
                f"a booking of {name!r} takes {need:g} h, more than the {offered:g} technician-hours "
                "a window offers to bookings (capacity_h x (1 - held_back))",
            )
    if a.release_held_h is not None and a.held_back == 0.0:
        raise KeyedError("appointments.release_held_h", "releases the share held back: give held_back > 0")
    from sim.calendar import parse_clock

    starts = window_starts(cal.intervals, a.window_h)
    for i, p in enumerate(a.preferred_times or []):
        lo, hi = parse_clock(p.start), parse_clock(p.end)
        if not any(fits_time_of_day(s, s + a.window_h, lo, hi) for s in starts):
            raise KeyedError(
                f"appointments.preferred_times[{i}]",
                f"no {a.window_h:g}-h arrival window of calendar.shifts lies between {p.start} and {p.end}",
            )
    for key, given in (
        ("travel.mode", sc.travel.mode == "geometry"),
        ("contractor", sc.contractor is not None),
        ("work.maintenance", sc.work is not None and sc.work.maintenance is not None),
        ("work.visits", sc.work is not None and sc.work.visits is not None),
    ):
        if given:
            raise KeyedError(key, "appointments with it are not built yet; remove one of them")


def window_starts(intervals: Sequence[tuple[float, float]], window_h: float) -> list[float]:
    """The starts of the week's arrival windows: each working interval cut, from its start,
    into as many whole windows of ``window_h`` as fit."""
    starts = []
    for start, end in intervals:
        n = int((end - start) / window_h + 1e-9)
        starts += [start + k * window_h for k in range(n)]
    return starts


def fits_time_of_day(start: float, end: float, lo: float, hi: float) -> bool:
    """Whether the window [start, end] (hours from Monday 00:00) starts at or after clock
    time ``lo`` and ends by ``hi`` on the calendar day it starts (hours of the day)."""
    day = math.floor(start / 24.0) * 24.0
    return start - day >= lo - 1e-9 and end - day <= hi + 1e-9


def booking_hours(sc: Scenario, row: str) -> float:
    """The hours one booking of ``row`` takes by default: its mean trip plus its mean
    on-site time (a job type's ``duration_h``, a breakdown's ``repair.time_h``)."""
    trip = spec_mean(sc.travel.time_h)
    for t in sc.work.types if sc.work is not None else []:
        if t.name == row:
            return (trip if t.travel else 0.0) + spec_mean(t.duration_h)
    return trip + spec_mean(sc.repair.time_h)
