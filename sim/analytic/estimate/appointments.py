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
customer-hours clock, no helpdesk in front, which would delay and reorder them), no
urgent rows, no preferred day, and no appointment ever missed (a miss books the call
again and takes capacity twice): a fixed trip and repair time (no parts, no failed
visit, no internal work), with the window's bookings done, ``ceil(c / s)`` rounds of
``trip + repair`` on ``s`` technicians, before its working interval ends.  Where only
those service assumptions fail (urgent work, random job times, a helpdesk...) the value
is labelled approximate (the booking queue ignores rebookings and the helpdesk's delay);
with unequal windows, several booked job lengths, a finite fleet or a preferred day no
value is given, only a note.  The queueing formulas of the other modules do not apply
with appointments (booked calls wait for their window, not for a technician): no value.
"""

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
            ("calls arrive in customer hours only", system.calendar.uptime_clock is not None),
        )
        if bad
    ]
    if why_none:
        return Estimates(notes=[*notes, "no booking formula: " + "; ".join(why_none)])
    period = gaps.pop()
    need = job_h.pop()
    capacity = int(a.offered_h / need + 1e-9)
    classes, types = system.classes, system.work_types
    total_share = sum(c.share for c in classes)
    breakdowns = system.source.calls_per_team_h  # type: ignore[union-attr]
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
            ("a helpdesk delays and reorders the requests", system.helpdesk is not None),
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
    exact = not approximations
    note = (
        "" if exact else "approximate: " + "; ".join(approximations) + " (missed appointments are rebooked)"
    )
    out = [
        Estimate("appt_lead_days", "all", booking.mean_lead_h(a.lead_h) / 24.0, MODEL, exact, note),
    ]
    for d in APPT_LEAD_DAYS:
        share = _lead_within(booking, 24.0 * d, a.lead_h)
        out.append(Estimate(f"appt_lead_le_{d}d", "all", share, MODEL, exact, note))
    if period == 24.0 and len(starts) == 7:
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
    return Estimates(primary=[*out, *per_row], notes=notes)


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
