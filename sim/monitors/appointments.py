"""Appointments (``[appointments]``): lead times, windows kept, late and missed, idle gaps.

Built only for a system with booked rows.  A booked call is tallied when its customer's
call (``failed_at``) falls inside the window, like the other call KPIs, and followed until
its technician arrives (through every rebooking), so the shares need no look-ahead.

KPIs, per row and overall:

* ``appt_lead_days``: customer's call -> start of the first appointment's window, in days
  of 24 h; ``appt_next_day``: share of those first appointments whose window starts no
  later than the end of the next working day after the day of the call;
* per appointment given (first ones and rebookings): ``appt_kept`` (the technician
  arrived by the window's end: inside it, or early and waited), ``appt_late`` (after its
  end), ``appt_missed`` (not dispatched on its working day, rebooked); they add up to 1;
  ``appt_in_window``: the kept share of the arrivals (late ones the rest);
* ``appt_lead_le_<d>d`` for d in 1, 2, 3, 5, 10 (:data:`sim.kpis.APPT_LEAD_DAYS`): the
  lead-time distribution, the share of first appointments within d days;
* ``appt_idle_h_per_day``: hours technicians waited at the door for a window to open,
  per working day (arrivals inside the measured time).

Booked calls not yet released to dispatch are machines down too (breakdown rows only):
``machines_down`` counts them besides the calls at dispatch and at the helpdesk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.kpis import APPT_LEAD_DAYS

from .level import NAN, Level, LevelSums
from .protocol import AppointmentLike, CallLike, Outcome
from .tally import Tally


@dataclass(frozen=True, slots=True)
class AppointmentRowSnapshot:
    booked: int
    lead_sum_days: float
    next_day: int
    lead_within: tuple[int, ...]  # per APPT_LEAD_DAYS: first appointments within so many days
    kept: int
    late: int
    missed: int
    idle_h: float


@dataclass(frozen=True, slots=True)
class AppointmentSnapshot:
    rows: tuple[AppointmentRowSnapshot, ...]
    unreleased: LevelSums


class _Sums:
    __slots__ = ("booked", "idle_h", "kept", "late", "lead_sum_days", "lead_within", "missed", "next_day")

    def __init__(self) -> None:
        self.booked = 0
        self.lead_sum_days = 0.0
        self.next_day = 0
        self.lead_within = [0] * len(APPT_LEAD_DAYS)
        self.kept = 0
        self.late = 0
        self.missed = 0
        self.idle_h = 0.0


class AppointmentTally(Tally):
    """Booked calls per row: lead times and the outcome of every appointment.

    Parameters
    ----------
    rows
        Names of the rows (service classes, then job types).
    booked
        The booked rows' indices.
    machine_rows
        Rows ``< machine_rows`` are breakdowns (a machine down while it waits for release).
    hours_per_day
        Length of a working day (for ``appt_idle_h_per_day``).
    next_day_end
        The end of the next working day after the calendar day of an instant.
    """

    __slots__ = (
        "booked_rows",
        "followed",
        "hours_per_day",
        "machine_rows",
        "next_day_end",
        "rows",
        "sums",
        "unreleased",
        "waiting",
    )
    name = "appointments"

    def __init__(
        self,
        rows: Sequence[str],
        booked: Sequence[int],
        machine_rows: int,
        hours_per_day: float,
        next_day_end: Callable[[float], float],
    ) -> None:
        super().__init__()
        self.rows = list(rows)
        self.booked_rows = sorted(booked)
        self.machine_rows = machine_rows
        self.hours_per_day = hours_per_day
        self.next_day_end = next_day_end
        self.unreleased = Level()  # booked breakdowns not yet at dispatch: machines down
        self.waiting: set[CallLike] = set()  # booked, not yet released (first appointment)
        self.followed: set[CallLike] = set()  # calls of the window with an appointment open
        self.sums = [_Sums() for _ in self.rows]

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"booked": self.booked, "appointment_outcome": self.outcome, "logged": self.logged}

    def booked(self, call: CallLike, appointment: AppointmentLike, now: float) -> None:
        row = call.service_class
        if appointment.number == 1:
            self.waiting.add(call)
            if row < self.machine_rows:
                self.unreleased.change(1, now)
        if not self.warm_end <= call.failed_at < self.end:
            return
        self.followed.add(call)
        if appointment.number == 1:
            t = self.sums[row]
            t.booked += 1
            days = (appointment.start - call.failed_at) / 24.0
            t.lead_sum_days += days
            t.next_day += appointment.start < self.next_day_end(call.failed_at)
            for k, d in enumerate(APPT_LEAD_DAYS):
                t.lead_within[k] += days <= d

    def logged(self, call: CallLike, now: float) -> None:
        """A booked call released to dispatch is logged there (the others are not ours)."""
        if call in self.waiting:
            self.waiting.discard(call)
            if call.service_class < self.machine_rows:
                self.unreleased.change(-1, now)

    def outcome(self, call: CallLike, appointment: AppointmentLike, now: float) -> None:
        outcome = appointment.outcome
        if (
            outcome is Outcome.KEPT
            and appointment.arrived_at < appointment.start
            and self.start <= now < self.end
        ):
            self.sums[call.service_class].idle_h += appointment.start - appointment.arrived_at
        if call not in self.followed:
            return
        t = self.sums[call.service_class]
        if outcome is Outcome.KEPT:
            t.kept += 1
        elif outcome is Outcome.LATE:
            t.late += 1
        else:
            t.missed += 1
            return  # rebooked: still followed
        self.followed.discard(call)

    # -- the window -------------------------------------------------------------

    def reset(self, now: float) -> None:
        super().reset(now)
        self.followed = set()  # calls before the warm-up's end are not followed

    def clear(self, now: float) -> None:
        self.unreleased.reset(now)
        self.sums = [_Sums() for _ in self.rows]

    def close(self, now: float) -> None:
        super().close(now)
        self.unreleased.freeze(now)

    def pending(self) -> bool:
        """Whether a booked call of the window still waits for its technician."""
        return bool(self.followed)

    # -- snapshots and KPIs -------------------------------------------------------

    def snapshot(self, now: float) -> AppointmentSnapshot:
        return AppointmentSnapshot(
            tuple(
                AppointmentRowSnapshot(
                    t.booked,
                    t.lead_sum_days,
                    t.next_day,
                    tuple(t.lead_within),
                    t.kept,
                    t.late,
                    t.missed,
                    t.idle_h,
                )
                for t in self.sums
            ),
            self.unreleased.snapshot(now),
        )

    def absorb(self, snapshot: AppointmentSnapshot, now: float) -> None:
        for t, theirs in zip(self.sums, snapshot.rows, strict=True):
            t.booked += theirs.booked
            t.lead_sum_days += theirs.lead_sum_days
            t.next_day += theirs.next_day
            t.lead_within = [a + b for a, b in zip(t.lead_within, theirs.lead_within, strict=True)]
            t.kept += theirs.kept
            t.late += theirs.late
            t.missed += theirs.missed
            t.idle_h += theirs.idle_h
        self.unreleased.absorb(snapshot.unreleased, self.start, now)

    def _row(self, sums: Sequence[_Sums], days: float) -> dict[str, float]:
        booked = sum(t.booked for t in sums)
        kept, late, missed = (sum(getattr(t, k) for t in sums) for k in ("kept", "late", "missed"))
        given = kept + late + missed
        return {
            "appt_lead_days": sum(t.lead_sum_days for t in sums) / booked if booked else NAN,
            "appt_next_day": sum(t.next_day for t in sums) / booked if booked else NAN,
            **{
                f"appt_lead_le_{d}d": sum(t.lead_within[k] for t in sums) / booked if booked else NAN
                for k, d in enumerate(APPT_LEAD_DAYS)
            },
            "appt_kept": kept / given if given else NAN,
            "appt_in_window": kept / (kept + late) if kept + late else NAN,
            "appt_late": late / given if given else NAN,
            "appt_missed": missed / given if given else NAN,
            "appt_idle_h_per_day": sum(t.idle_h for t in sums) / days if days > 0 else NAN,
        }

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        days = (now - self.start) / self.hours_per_day
        for i in self.booked_rows:
            rows[self.rows[i]].update(self._row([self.sums[i]], days))
        everything = rows["all"]
        everything.update(self._row([self.sums[i] for i in self.booked_rows], days))
        everything["machines_down"] = everything.get("machines_down", 0.0) + self.unreleased.mean(now)
