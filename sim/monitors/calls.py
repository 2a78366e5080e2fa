"""Calls per service class: waits, responses, restorations; calls waiting and machines down.

A call is tallied when it is logged inside the window, and then followed until it is
served: at the end of the horizon the window closes (the number waiting is frozen,
new calls are not tallied), and the model runs on until every call of the window has
been restored (:meth:`CallTally.pending`).  So every call logged in the window counts
once, with its whole wait, response and restore time: no end-of-run truncation of the
long waits.  ``calls_per_day`` counts the restorations inside the window (throughput).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.kpis import threshold_kpi

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally


class ClassSums:
    """Running sums for the calls of one service class."""

    __slots__ = (
        "completed",
        "exceeded",
        "first_time",
        "logged",
        "part_wait",
        "response_sum",
        "responses",
        "restore_sum",
        "restores",
        "sla_met",
        "visits",
        "wait_sum",
        "waited",
        "waits",
    )

    def __init__(self, n_thresholds: int) -> None:
        self.logged = 0
        self.completed = 0  # calls restored inside the window, whenever logged (throughput)
        self.waits = 0
        self.wait_sum = 0.0
        self.waited = 0
        # exceeded[k]: waits longer than exactly k of the thresholds (P(wait > x) sums them)
        self.exceeded = [0] * (n_thresholds + 1)
        self.responses = 0
        self.response_sum = 0.0
        self.sla_met = 0
        self.restores = 0
        self.restore_sum = 0.0
        self.first_time = 0
        self.visits = 0
        self.part_wait = 0.0


@dataclass(frozen=True, slots=True)
class ClassSnapshot:
    """The sums of one class, as a block hands them on."""

    logged: int
    completed: int
    waits: int
    wait_sum: float
    waited: int
    wait_gt: tuple[int, ...]  # per threshold, in the scenario's order
    responses: int
    response_sum: float
    sla_met: int
    restores: int
    restore_sum: float
    first_time: int
    visits: int
    part_wait: float
    waiting: LevelSums  # calls of the class waiting for a first visit


@dataclass(frozen=True, slots=True)
class CallsSnapshot:
    classes: tuple[ClassSnapshot, ...]
    queued_at_start: int
    down: LevelSums  # calls open (logged, not yet restored): the machines down


class CallTally(Tally):
    """Calls per class: counts and sums of waits, responses and restorations, and two
    time-weighted levels of the calls: waiting for a first visit (per class), and open
    from logged to restored (the machines down).

    Parameters
    ----------
    class_names, sla_h
        Names and response targets (``None``: no target) of the service classes.
    thresholds_h
        Waits for which ``P(wait > x)`` is reported.
    hours_per_day
        Length of a working day (for ``calls_per_day``).
    revisits
        Calls may need several visits (parts): first-time fix, visits and part waits
        are summed and reported.  Without revisits every call takes one visit.
    responses
        Tally the arrival on site.  Without travel and without a response target, the
        model starts the repair at the instant of the dispatch, so the response is the
        wait and is taken from the wait sums instead.
    """

    __slots__ = (
        "class_names",
        "down",
        "has_sla",
        "hours_per_day",
        "queued_at_start",
        "revisits",
        "sorted_thresholds",
        "tally",
        "thresholds",
        "track_responses",
        "waiting",
        "window_calls",
    )
    name = "calls"

    def __init__(
        self,
        class_names: Sequence[str],
        sla_h: Sequence[float | None],
        thresholds_h: Sequence[float],
        hours_per_day: float,
        revisits: bool = True,
        responses: bool = True,
    ) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.has_sla = [s is not None for s in sla_h]
        self.thresholds = list(thresholds_h)
        self.sorted_thresholds = sorted(self.thresholds)
        self.hours_per_day = hours_per_day
        self.revisits = revisits
        self.track_responses = responses or any(self.has_sla)
        self.waiting = [Level() for _ in self.class_names]
        self.down = Level()
        self.tally = [ClassSums(len(self.thresholds)) for _ in self.class_names]
        self.queued_at_start = 0  # calls waiting when the measurement began
        self.window_calls = [0] * len(self.class_names)  # open from earlier batches

    def handles(self) -> dict[str, Callable[..., None]]:
        out: dict[str, Callable[..., None]] = {
            "logged": self.logged,
            "dispatched": self.dispatched,
            "restored": self.restored,
        }
        if self.track_responses:
            out["on_site"] = self.on_site
        return out

    # -- reports ------------------------------------------------------------

    # (Level.change inline: these run for every call, and a call per change costs more
    # than the change)

    def logged(self, call: CallLike, now: float) -> None:
        lv = self.waiting[call.service_class]
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value += 1
        lv = self.down
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value += 1
        if self.warm_end <= call.logged_at < self.end:
            self.tally[call.service_class].logged += 1

    def dispatched(self, call: CallLike, now: float) -> None:
        if call.visits:
            return  # a revisit: its call waits apart (sim.monitors.parts)
        cls = call.service_class
        lv = self.waiting[cls]
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value -= 1
        logged_at = call.logged_at
        if self.warm_end <= logged_at < self.end:
            t = self.tally[cls]
            wait = now - logged_at
            t.waits += 1
            t.wait_sum += wait
            if wait > 0.0:
                t.waited += 1
                t.exceeded[bisect_left(self.sorted_thresholds, wait)] += 1

    def on_site(self, call: CallLike, now: float) -> None:
        if call.visits == 0 and self.warm_end <= call.logged_at < self.end:
            t = self.tally[call.service_class]
            t.responses += 1
            # from the customer's call: with a helpdesk, before the call reached dispatch
            # (logged_at); without one the same instant
            t.response_sum += now - call.failed_at
            if now <= call.due_at:
                t.sla_met += 1

    def restored(self, call: CallLike, now: float) -> None:
        lv = self.down
        lv.area += lv.value * (now - lv.since)
        lv.since = now
        lv.value -= 1
        end = self.end
        t = self.tally[call.service_class]
        if self.start <= now < end:
            t.completed += 1
        if self.warm_end <= call.logged_at < end:
            t.restores += 1
            t.restore_sum += now - call.failed_at
            if self.revisits:
                t.visits += call.visits
                t.first_time += call.visits == 1
                t.part_wait += call.part_wait

    # -- the window -----------------------------------------------------------

    def reset(self, now: float) -> None:
        super().reset(now)
        self.window_calls = [0] * len(self.class_names)

    def new_batch(self, now: float) -> None:
        # calls of the window still open stay open across the batch boundary
        self.window_calls = [
            n + t.logged - t.restores for n, t in zip(self.window_calls, self.tally, strict=True)
        ]
        super().new_batch(now)

    def clear(self, now: float) -> None:
        self.queued_at_start = sum(level.value for level in self.waiting)
        for level in (*self.waiting, self.down):
            level.reset(now)
        self.tally = [ClassSums(len(self.thresholds)) for _ in self.class_names]

    def close(self, now: float) -> None:
        super().close(now)
        for level in (*self.waiting, self.down):
            level.freeze(now)

    def pending(self) -> bool:
        """Whether a call logged in the window is still to be restored."""
        return sum(self.window_calls) + sum(t.logged - t.restores for t in self.tally) > 0

    # -- sums, snapshots, KPIs -------------------------------------------------

    def _class_snapshot(self, t: ClassSums, waiting: Level, now: float) -> ClassSnapshot:
        # how many waits exceed each threshold, from how many thresholds each wait exceeded
        rank = {x: i for i, x in enumerate(self.sorted_thresholds)}
        gt = tuple(sum(t.exceeded[rank[x] + 1 :]) for x in self.thresholds)
        responses, response_sum, sla_met = t.responses, t.response_sum, t.sla_met
        if not self.track_responses:  # on site at the dispatch, no target: met whenever due
            responses, response_sum, sla_met = t.waits, t.wait_sum, t.waits
        visits, first_time = (t.visits, t.first_time) if self.revisits else (t.restores, t.restores)
        return ClassSnapshot(
            t.logged,
            t.completed,
            t.waits,
            t.wait_sum,
            t.waited,
            gt,
            responses,
            response_sum,
            sla_met,
            t.restores,
            t.restore_sum,
            first_time,
            visits,
            t.part_wait,
            waiting.snapshot(now),
        )

    def snapshot(self, now: float) -> CallsSnapshot:
        classes = tuple(
            self._class_snapshot(t, lv, now) for t, lv in zip(self.tally, self.waiting, strict=True)
        )
        return CallsSnapshot(classes, self.queued_at_start, self.down.snapshot(now))

    def absorb(self, snapshot: CallsSnapshot, now: float) -> None:
        merged = [self._class_snapshot(t, lv, now) for t, lv in zip(self.tally, self.waiting, strict=True)]
        self.tally = []
        for mine, theirs, level in zip(merged, snapshot.classes, self.waiting, strict=True):
            t = ClassSums(len(self.thresholds))
            t.logged = mine.logged + theirs.logged
            t.completed = mine.completed + theirs.completed
            t.waits = mine.waits + theirs.waits
            t.wait_sum = mine.wait_sum + theirs.wait_sum
            t.waited = mine.waited + theirs.waited
            t.responses = mine.responses + theirs.responses
            t.response_sum = mine.response_sum + theirs.response_sum
            t.sla_met = mine.sla_met + theirs.sla_met
            t.restores = mine.restores + theirs.restores
            t.restore_sum = mine.restore_sum + theirs.restore_sum
            t.first_time = mine.first_time + theirs.first_time
            t.visits = mine.visits + theirs.visits
            t.part_wait = mine.part_wait + theirs.part_wait
            self._set_wait_gt(t, [a + b for a, b in zip(mine.wait_gt, theirs.wait_gt, strict=True)])
            self.tally.append(t)
            level.absorb(theirs.waiting, self.start, now)
        self.queued_at_start += snapshot.queued_at_start
        self.down.absorb(snapshot.down, self.start, now)

    def _set_wait_gt(self, t: ClassSums, wait_gt: Sequence[int]) -> None:
        """Rebuild the histogram ``exceeded`` from counts per threshold."""
        by_rank = sorted(zip(self.thresholds, wait_gt, strict=True))
        counts = [n for _, n in by_rank]
        t.exceeded = [0] + [
            counts[k] - (counts[k + 1] if k + 1 < len(counts) else 0) for k in range(len(counts))
        ]

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        span = now - self.start
        days = span / self.hours_per_day
        snaps = [self._class_snapshot(t, lv, now) for t, lv in zip(self.tally, self.waiting, strict=True)]
        for name, s, waiting, has_sla in zip(
            self.class_names, snaps, self.waiting, self.has_sla, strict=True
        ):
            rows[name].update(self._call_kpis([s], [waiting], [has_sla], now, days))
        everything = rows["all"]
        everything.update(self._call_kpis(snaps, self.waiting, self.has_sla, now, days))
        everything["machines_down"] = self.down.mean(now)
        # a stable queue ends about where it began; an unstable one grows linearly
        everything["queue_growth_per_h"] = (
            (sum(lv.closed(now)[1] for lv in self.waiting) - self.queued_at_start) / span if span > 0 else NAN
        )

    def _call_kpis(
        self,
        tallies: Sequence[ClassSnapshot],
        waiting: Sequence[Level],
        has_sla: Sequence[bool],
        now: float,
        days: float,
    ) -> dict[str, float]:
        waits = sum(t.waits for t in tallies)
        responses = sum(t.responses for t in tallies)
        restores = sum(t.restores for t in tallies)
        sla_n = sum(t.responses for t, h in zip(tallies, has_sla, strict=True) if h)
        sla_met = sum(t.sla_met for t, h in zip(tallies, has_sla, strict=True) if h)
        row = {
            "wait_h": sum(t.wait_sum for t in tallies) / waits if waits else NAN,
            "response_h": sum(t.response_sum for t in tallies) / responses if responses else NAN,
            "restore_h": sum(t.restore_sum for t in tallies) / restores if restores else NAN,
        }
        row["p_wait"] = sum(t.waited for t in tallies) / waits if waits else NAN
        for i, x in enumerate(self.thresholds):
            row[threshold_kpi(x)] = sum(t.wait_gt[i] for t in tallies) / waits if waits else NAN
        row["sla_met"] = sla_met / sla_n if sla_n else NAN
        row["queue_len"] = sum(level.mean(now) for level in waiting)
        # throughput: restorations inside the window (the run-on serves the window's calls,
        # which would overstate what an overloaded team completes in the horizon)
        completed = sum(t.completed for t in tallies)
        row["calls_per_day"] = completed / days if days > 0 else NAN
        row["calls_logged_per_h"] = sum(t.logged for t in tallies) / (days * self.hours_per_day)
        row["n_calls"] = float(waits)
        if self.revisits:
            row["first_time_fix"] = sum(t.first_time for t in tallies) / restores if restores else NAN
            row["visits_per_call"] = sum(t.visits for t in tallies) / restores if restores else NAN
            row["part_wait_h"] = sum(t.part_wait for t in tallies) / restores if restores else NAN
        return row

    def first_dispatches(self) -> int:
        """Calls of the window dispatched for their first visit (the first trips)."""
        return sum(t.waits for t in self.tally)
