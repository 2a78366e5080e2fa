"""Appointments (``[appointments]``): the lead time of booking into a fixed daily capacity.

Each team books its booked calls into its windows, each offering ``capacity_h x (1 -
held_back)`` technician-hours, a booking taking ``job_h`` of them: ``c = floor(offered /
job_h)`` bookings per window when every booked row takes the same ``job_h``.  With Poisson
requests (rate ``lam`` per team) and windows equally spaced ``P`` hours apart, the
bookings form the slotted queue of :mod:`sim.analytic.slotted`,
``X_{n+1} = max(X_n - c, 0) + Poisson(lam P)``, solved numerically: it gives
``appt_lead_days`` (E[lead] = L + P/2 + P E[D - 1], over 24), the lead-time distribution
``appt_lead_le_<d>d`` and, with one window a day on every day of the week,
``appt_next_day``.

The formula is *exact* where the model is that queue: Poisson calls around the clock (no
customer-hours clock), no urgent rows, no preferred day, and no appointment ever missed
(a miss books the call again and takes capacity twice): a fixed trip and repair time (no
parts, no failed visit, no internal work), with the window's bookings done, ``ceil(c /
s)`` rounds of ``trip + repair`` on ``s`` technicians, before its working interval ends.
Where only those service assumptions fail (urgent work, random job times, a helpdesk...)
the value is labelled approximate (the booking queue ignores rebookings and the
helpdesk's delay); with unequal windows, several booked job lengths, a finite fleet, a
preferred day or preferred times of day no value is given, only a note. A helpdesk's own
KPIs keep their formulas (it stands before dispatch, where the appointments change
nothing). Behind an M/M/c helpdesk (exponential handling, no remote time held by the
agent) the calls that go on to dispatch leave it as a Poisson stream (Burke's theorem;
the remote fixes, classes and territories thin it independently), so the bookings are
the same queue at the reply instants and, by linearity, E[lead] = E[reply_h] + the
queue's mean lead: exact. The lead-time distribution and the next-day share would need
the reply time's law jointly with the bookings; there they are approximated by shifting
the bookings' distribution by the mean reply time (no next-day share is given). The
queueing formulas of the other modules do not apply with appointments (booked calls wait
for their window, not for a technician): no value."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.kpis import APPT_LEAD_DAYS

if TYPE_CHECKING:
    from sim.system import ServiceSystem

MODEL = "slotted booking queue X' = max(X - c, 0) + Poisson (numerical)"


def appointments_estimate(system: ServiceSystem) -> Estimates:
    """The appointment KPIs of the booking queue, labelled exact or approximate."""
    from sim.analytic.slotted import slotted_booking  # (numerical; only with appointments)
    from sim.distributions import Deterministic

    a = system.appointments
    assert a is not None
    notes = ["with [appointments] the queueing formulas are not given (booked calls wait for their window)"]
    starts = [w[0] for w in a.windows]
    gaps = {round(b - x, 9) for x, b in zip(starts, [*starts[1:], starts[0] + 168.0], strict=True)}
    job_h = {a.job_h[r] for r in a.rows}
    why_none = [
        reason
        for reason, bad in (
            ("the windows are not equally spaced", len(gaps) != 1),
            ("the booked rows take different job_h", len(job_h) != 1),
            ("a finite fleet's calls are not Poisson", system.source.finite),
            ("a preferred day", a.preferred_days is not None),
            ("preferred times of day", bool(a.preferred_shares)),
            ("the share held back is released to late bookings", a.release_held_h is not None),
            ("calls arrive in customer hours only", system.calendar.uptime_clock is not None),
        )
        if bad
    ]
    if why_none:
        return with_helpdesk(Estimates(notes=[*notes, "no booking formula: " + "; ".join(why_none)]), system)
    period = gaps.pop()
    need = job_h.pop()
    capacity = int(a.offered_h / need + 1e-9)
    classes, types = system.classes, system.work_types
    total_share = sum(c.share for c in classes)
    breakdowns = system.source.calls_per_team_h  # type: ignore[union-attr]
    desk = system.helpdesk
    if desk is not None:  # (remote fixes never reach dispatch)
        breakdowns *= 1.0 - desk.remote_share
    lam = sum(breakdowns * c.share / total_share for i, c in enumerate(classes) if i in a.rows)
    pooled = system.territories.pooled
    lam += sum(t.jobs_per_h * pooled for j, t in enumerate(types) if len(classes) + j in a.rows)
    try:
        booking = slotted_booking(lam, period, capacity)
    except ValueError as exc:
        return Estimates(unstable=f"no steady state of the bookings: {exc}", notes=notes)
    rows = len(classes) + len(types)
    team = system.team.technicians
    trip, repair = system.travel.per_call, system.repair.time
    fixed = (
        isinstance(trip, Deterministic)
        and isinstance(repair, Deterministic)
        and all(isinstance(t.duration, Deterministic) for t in types)
        and system.travel.from_base is None  # type: ignore[union-attr]
    )
    j = max(
        a.release_h[r] + (repair.mean if r < len(classes) else types[r - len(classes)].duration.mean)
        for r in a.rows
    )
    rest = min(w[2] - w[0] for w in a.windows)  # from a window's start to its interval's end
    approximations = [
        reason
        for reason, bad in (
            ("urgent rows compete with the bookings", len(a.rows) < rows),
            ("random trip or job times", not fixed),
            (
                "parts, failed visits or internal work",
                system.parts is not None or system.internal is not None,
            ),
            ("repeat calls or a fleet lifecycle", system.repeats is not None or system.lifecycle is not None),
            (
                "a window's bookings may not be done on its day",
                fixed and math.ceil(capacity / team) * j > rest + 1e-9,
            ),
        )
        if bad
    ]
    # a helpdesk in front: the booking starts at the reply, reply_h after the call
    reply_h, poisson_replies = _helpdesk_sojourn(system)
    if not poisson_replies:
        approximations.append("the helpdesk's replies are not a Poisson stream")
    exact = not approximations
    note = (
        "" if exact else "approximate: " + "; ".join(approximations) + " (missed appointments are rebooked)"
    )
    model = MODEL if desk is None else MODEL + " after the helpdesk's mean reply time"
    out = [
        Estimate(
            "appt_lead_days", "all", (reply_h + booking.mean_lead_h(a.lead_h)) / 24.0, model, exact, note
        ),
    ]
    # the distribution needs the reply time's law jointly with the bookings: with a helpdesk
    # it is approximated by shifting the bookings' distribution by the mean reply time
    shifted = exact and desk is None
    why = note or "approximate: the helpdesk's reply time taken at its mean"
    for d in APPT_LEAD_DAYS:
        share = _lead_within(booking, 24.0 * d - reply_h, a.lead_h)
        out.append(Estimate(f"appt_lead_le_{d}d", "all", share, model, shifted, "" if shifted else why))
    if period == 24.0 and len(starts) == 7 and desk is None:
        out.append(
            Estimate("appt_next_day", "all", _next_day(booking, starts[0], a.lead_h), MODEL, exact, note)
        )
    # every booked row's requests see the same queue (PASTA): the same values per row
    per_row = [
        Estimate(e.kpi, name, e.value, e.model, e.exact, e.note)
        for i, name in enumerate(system.row_names)
        if i in a.rows
        for e in out
    ]
    return with_helpdesk(Estimates(primary=[*out, *per_row], notes=notes), system)


def _helpdesk_sojourn(system: ServiceSystem) -> tuple[float, bool]:
    """The mean time from the customer's call to the helpdesk's reply (0 without one), and
    whether the calls reach dispatch as a Poisson stream: an M/M/c helpdesk (exponential
    handling, no remote time held by the agent) lets them go as a Poisson stream (Burke's
    theorem), thinned independently by the remote fixes, the classes and the territories."""
    desk = system.helpdesk
    if desk is None:
        return 0.0, True
    from dataclasses import replace

    from sim.analytic.estimate.helpdesk import helpdesk_estimate

    reply = helpdesk_estimate(replace(system, appointments=None)).get("reply_h")
    if reply is None:
        return math.nan, False
    poisson = desk.handling.is_exponential and (desk.remote is None or desk.remote_share == 0.0)
    return reply.value, poisson and reply.exact


def with_helpdesk(out: Estimates, system: ServiceSystem) -> Estimates:
    """The helpdesk's own KPIs (Erlang C, P-K...) beside the bookings: the helpdesk stands
    before dispatch, so the appointments change nothing there (its labels unchanged)."""
    if system.helpdesk is None:
        return out
    from dataclasses import replace

    from sim.analytic.estimate.helpdesk import helpdesk_estimate
    from sim.kpis import lookup

    desk = helpdesk_estimate(replace(system, appointments=None))
    ours = [e for e in desk.primary if lookup(e.kpi).group == "helpdesk"]
    return Estimates(primary=[*out.primary, *ours], unstable=out.unstable, notes=[*out.notes, *desk.notes])


def _next_day(booking: object, start_h: float, lead_h: float) -> float:
    """P(the window starts by the end of the next day), one window a day at ``start_h``
    (hours after midnight) on every day: a request a fraction ``u`` into its period is on
    the day of the cut-off or the next, so it may pass over ``k(u)`` full windows."""
    from sim.analytic.slotted import SlottedBooking

    assert isinstance(booking, SlottedBooking)
    r = (start_h - lead_h) % 24.0  # the cut-off's time of day (a period starts there)
    first_day = math.floor((r + 24.0 + lead_h) / 24.0)  # the first eligible window's day
    split = (24.0 - r) / 24.0  # where the request's day turns
    before = booking.p_extra_at_most(lambda u: 0 + 1 - first_day, 0.0, split)
    after = booking.p_extra_at_most(lambda u: 1 + 1 - first_day, split, 1.0)
    return before + after


def _lead_within(booking: object, hours: float, lead_h: float) -> float:
    """P(lead <= hours): a request a fraction ``u`` into its period has
    ``lead = L + P (1 - u) + P (D - 1)``, so it may pass over ``floor((hours - L) / P - 1 + u)``
    full slots; that count steps up once in ``u``, where the integral is split."""
    from sim.analytic.slotted import SlottedBooking

    assert isinstance(booking, SlottedBooking)
    period = booking.period
    y0 = (hours - lead_h) / period - 1.0  # the count's argument at u = 0
    if y0 + 1.0 < 0.0:
        return 0.0
    split = min(1.0, max(0.0, math.ceil(y0) - y0)) if y0 != math.floor(y0) else 0.0
    low, high = math.floor(y0), math.floor(y0) + 1
    return booking.p_extra_at_most(lambda u: low, 0.0, split) + booking.p_extra_at_most(
        lambda u: high, split, 1.0
    )
