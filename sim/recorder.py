"""What the model reports, and the KPIs made from it.

The model calls a recorder explicitly at each step of a call's life
(``logged``, ``dispatched``, ``on_site``, ``restored``); nothing patches
SimPy.  :class:`KPIRecorder` keeps running sums only, so its memory does not
grow with the number of calls, unless ``keep_calls`` asks for the per-call
log.  Levels (calls waiting, machines down, technicians busy) are
time-weighted; :meth:`KPIRecorder.reset` at the end of the warm-up clears
every sum.

The measured window is ``[end of warm-up, end of horizon)``.  A call is tallied
when it is logged inside the window, and then followed until it is served: at
the end of the horizon :meth:`KPIRecorder.close` freezes every time-average level
and stops admitting new calls, and the model runs on (arrivals and dispatch go on
as before) until every call of the window has been restored
(:meth:`KPIRecorder.pending`).  So every call logged in the window counts once,
with its whole wait, response and restore time, whichever calls came before or
after it: the tallied calls are a stationary sample, with no end-of-run
truncation of the long waits.  Calls logged during the warm-up are never
tallied, nor calls logged after the horizon.  Counts of events (part demands,
emergencies, overtime, dispatch decisions) are those inside the window; a part
backorder is charged to the window of its demand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sim.kpis import threshold_kpi, workload_kpi

NAN = float("nan")


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
    def left_site(self, call: CallLike, now: float) -> None: ...
    def requeued(self, call: CallLike, now: float) -> None: ...
    def part_used(self, unit_cost: float, now: float) -> None: ...
    def emergency(self, now: float) -> None: ...
    def stock(self, kind: str, on_hand: int, backorders: int, now: float) -> None: ...
    def part_demand(self, kind: str, filled: bool, now: float) -> None: ...
    def backorder_filled(self, kind: str, delay: float, now: float) -> None: ...
    def reset(self, now: float) -> None: ...
    def close(self, now: float) -> None: ...
    def pending(self) -> bool: ...
    def sample(self, now: float) -> None: ...


class CallLike(Protocol):
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


class Level:
    """A time-weighted level: its integral over time since the last reset.

    :meth:`freeze` ends the measurement (at the end of the horizon): the level goes
    on changing while the model runs on, but its time average and final value stay
    those at the freeze.
    """

    __slots__ = ("area", "frozen", "since", "start", "value")

    def __init__(self) -> None:
        self.value = 0
        self.area = 0.0
        self.since = 0.0
        self.start = 0.0
        self.frozen: tuple[float, int, float] | None = None  # (area, value, time) at the freeze

    def change(self, delta: int, now: float) -> None:
        self.area += self.value * (now - self.since)
        self.since = now
        self.value += delta

    def reset(self, now: float) -> None:
        """Start a new measurement at ``now``, keeping the current level."""
        self.area = 0.0
        self.since = self.start = now
        self.frozen = None

    def freeze(self, now: float) -> None:
        """End the measurement at ``now``."""
        self.change(0, now)
        self.frozen = (self.area, self.value, now)

    def closed(self, now: float) -> tuple[float, int]:
        """Integral since the reset and current value, at ``now`` or at the freeze."""
        if self.frozen is not None:
            return self.frozen[0], self.frozen[1]
        return self.area + self.value * (now - self.since), self.value

    def mean(self, now: float) -> float:
        """Time average from the last reset to ``now`` (or to the freeze)."""
        if self.frozen is not None:
            now = self.frozen[2]
        span = now - self.start
        return self.closed(now)[0] / span if span > 0 else NAN


class _ClassTally:
    """Running sums for the calls of one service class."""

    __slots__ = (
        "completed",
        "first_time",
        "logged",
        "part_wait",
        "response_sum",
        "responses",
        "restore_sum",
        "restores",
        "sla_met",
        "visits",
        "wait_gt",
        "wait_sum",
        "waited",
        "waits",
    )

    def __init__(self, n_thresholds: int) -> None:
        self.logged = 0
        self.completed = 0  # calls restored inside the window, whenever logged (throughput)
        self.waits = 0
        self.wait_sum = 0.0
        self.wait_gt = [0] * n_thresholds
        self.waited = 0
        self.responses = 0
        self.response_sum = 0.0
        self.sla_met = 0
        self.restores = 0
        self.restore_sum = 0.0
        self.first_time = 0
        self.visits = 0
        self.part_wait = 0.0


@dataclass(frozen=True)
class CallRecord:
    """One finished call, as kept by ``keep_calls``."""

    number: int
    machine: int
    territory: int
    local_territory: int
    service_class: int
    technician: int
    failed_at: float
    logged_at: float
    dispatched_at: float
    on_site_at: float
    restored_at: float
    travel_h: float
    repair_h: float
    trip_km: float
    visits: int
    part_wait_h: float


class KPIRecorder:
    """Running KPI sums for one replication.

    Parameters
    ----------
    class_names, sla_h
        Names and response targets (``None``: no target) of the service classes.
    thresholds_h
        Waits for which ``P(wait > x)`` is reported.
    technicians
        Number of technicians (for utilisation).
    hours_per_day
        Length of a working day (for ``calls_per_day``).
    keep_calls
        Keep a :class:`CallRecord` of every finished call.
    """

    def __init__(
        self,
        class_names: Sequence[str],
        sla_h: Sequence[float | None],
        thresholds_h: Sequence[float],
        technicians: int,
        hours_per_day: float,
        keep_calls: bool = False,
        technicians_per_territory: int = 1,
        pooled: int = 1,
        parts: bool = False,
        territories: int = 0,
        territory_offset: int = 0,
    ) -> None:
        self.class_names = list(class_names)
        self.has_sla = [s is not None for s in sla_h]
        self.thresholds = list(thresholds_h)
        self.technicians = technicians
        self.hours_per_day = hours_per_day
        self.keep_calls = keep_calls
        self.calls: list[CallRecord] = []
        self.start = 0.0  # measurement start (end of warm-up or of the last batch)
        self.warm_end = 0.0  # calls logged before this are never tallied ...
        self.end = math.inf  # ... nor calls logged from this on (the end of the horizon)
        self._open = 0  # calls logged in the window and not yet restored
        self._open_backorders = 0  # part backorders of the window not yet filled
        self.waiting = [Level() for _ in self.class_names]
        self.down = Level()
        self.busy = Level()
        self.busy_on_site = Level()
        self.revisits_waiting = Level()  # calls waiting for a second (third...) visit
        # technicians on duty; without a shift calendar all of them, all the time
        self.on_duty = Level()
        self.on_duty.value = technicians
        self._overtime = 0.0
        self.tally = [_ClassTally(len(self.thresholds)) for _ in self.class_names]
        self._trips = [0, 0.0, 0.0, 0]  # outbound trips: count, km, hours, outside home territory
        self.parts = parts  # the scenario has spare parts: report the parts KPIs
        self._stock = {k: (Level(), Level()) for k in ("van", "depot")}  # on hand, backorders
        self._demands = {k: [0, 0] for k in ("van", "depot")}  # demands, filled at once
        self._delays = dict.fromkeys(("van", "depot"), 0.0)  # backorder delay, summed
        self._parts_cost = 0.0
        self._emergencies = 0
        # technicians are numbered team by team, territory by territory within a team
        self.per_territory = technicians_per_territory
        self.pooled = pooled
        # busy time of each technician of a small first team (for hypercube workloads)
        size = technicians_per_territory * pooled
        self.team_size = size if 1 < size <= 10 else 0
        self._tech_busy = [0.0] * self.team_size
        self.decisions: list[tuple[float, str, int, int, int]] = []
        #: (time, calls waiting, machines down, technicians busy) at regular instants
        self.series: list[tuple[float, int, int, int]] = []
        # per territory (if asked): calls tallied and their waits, for the spread across
        # territories; territory numbers start at the offset (a block of a large fleet)
        self.territory_offset = territory_offset
        self._terr_calls = [0] * territories
        self._terr_wait = [0.0] * territories
        self._queued_at_start = 0  # calls waiting when the measurement began

    # -- reports from the model -------------------------------------------

    def logged(self, call: CallLike, now: float) -> None:
        self.waiting[call.service_class].change(1, now)
        self.down.change(1, now)
        if self.warm_end <= call.logged_at < self.end:
            self.tally[call.service_class].logged += 1
            self._open += 1

    def dispatched(self, call: CallLike, now: float) -> None:
        if call.visits:
            self.revisits_waiting.change(-1, now)
        else:
            self.waiting[call.service_class].change(-1, now)
        self.busy.change(1, now)
        if self.warm_end <= call.logged_at < self.end and call.visits == 0:
            trips = self._trips
            trips[0] += 1
            trips[1] += call.trip_km
            trips[2] += call.travel_h
            if self.pooled > 1 and self.home_territory(call.technician) != call.territory:
                trips[3] += 1
            t = self.tally[call.service_class]
            wait = now - call.logged_at
            t.waits += 1
            t.wait_sum += wait
            if self._terr_calls:
                i = call.territory - self.territory_offset
                self._terr_calls[i] += 1
                self._terr_wait[i] += wait
            if wait > 0.0:
                t.waited += 1
            gt = t.wait_gt
            for i, x in enumerate(self.thresholds):
                if wait > x:
                    gt[i] += 1

    def on_site(self, call: CallLike, now: float) -> None:
        self.busy_on_site.change(1, now)
        if self.warm_end <= call.logged_at < self.end and call.visits == 0:
            t = self.tally[call.service_class]
            response = now - call.logged_at
            t.responses += 1
            t.response_sum += response
            if now <= call.due_at:
                t.sla_met += 1

    def restored(self, call: CallLike, now: float) -> None:
        self.busy_on_site.change(-1, now)
        self.down.change(-1, now)
        if self.start <= now < self.end:
            self.tally[call.service_class].completed += 1
        if self.warm_end <= call.logged_at < self.end:
            self._open -= 1
            t = self.tally[call.service_class]
            t.restores += 1
            t.restore_sum += now - call.failed_at
            t.visits += call.visits
            t.first_time += call.visits == 1
            t.part_wait += call.part_wait
            if self.keep_calls:
                self.calls.append(
                    CallRecord(
                        call.number,
                        call.machine,
                        call.territory,
                        call.local_territory,
                        call.service_class,
                        call.technician,
                        call.failed_at,
                        call.logged_at,
                        call.dispatched_at,
                        call.on_site_at,
                        now,
                        call.travel_h,
                        call.repair_h,
                        call.trip_km,
                        call.visits,
                        call.part_wait,
                    )
                )

    def home_territory(self, technician: int) -> int:
        team, index = divmod(technician, self.per_territory * self.pooled)
        return team * self.pooled + index // self.per_territory

    def released(self, call: CallLike, now: float) -> None:
        """The technician is done with the call (repair, and drive back if any)."""
        self.busy.change(-1, now)
        if call.technician < self.team_size:
            busy = min(now, self.end) - max(call.job_started_at, self.start)
            if busy > 0.0:
                self._tech_busy[call.technician] += busy

    def decision(self, rule: str, call: CallLike, candidates: int, technician: int, now: float) -> None:
        """A dispatch decision: which rule chose which technician among how many candidates."""
        if self.start <= now < self.end:
            self.decisions.append((now, rule, call.number, candidates, technician))

    def sample(self, now: float) -> None:
        """Note the current levels (for time-series plots; a fixed number per run)."""
        waiting = sum(level.value for level in self.waiting)
        self.series.append((now, waiting, self.down.value, self.busy.value))

    # -- revisits and parts --------------------------------------------------

    def left_site(self, call: CallLike, now: float) -> None:
        """A visit ended without fixing the machine (a part was missing, or another cause)."""
        self.busy_on_site.change(-1, now)

    def requeued(self, call: CallLike, now: float) -> None:
        """The call waits again for a technician (a revisit): counted apart from first
        waits, so that queue_len = arrival rate x wait_h (Little) still holds."""
        self.revisits_waiting.change(1, now)

    def part_used(self, unit_cost: float, now: float) -> None:
        if self.start <= now < self.end:
            self._parts_cost += unit_cost

    def emergency(self, now: float) -> None:
        if self.start <= now < self.end:
            self._emergencies += 1

    def stock(self, kind: str, on_hand: int, backorders: int, now: float) -> None:
        """Stock on the shelf or backorders changed at a van or a depot."""
        levels = self._stock[kind]
        if on_hand:
            levels[0].change(on_hand, now)
        if backorders:
            levels[1].change(backorders, now)
            if backorders > 0 and self.warm_end <= now < self.end:
                self._open_backorders += backorders

    def part_demand(self, kind: str, filled: bool, now: float) -> None:
        if self.start <= now < self.end:
            counts = self._demands[kind]
            counts[0] += 1
            counts[1] += filled

    def backorder_filled(self, kind: str, delay: float, now: float) -> None:
        """A backorder is filled after ``delay`` hours: charged to the window of its demand
        (like a call, followed past the horizon until it is filled)."""
        if self.warm_end <= now - delay < self.end:
            self._delays[kind] += delay
            self._open_backorders = max(0, self._open_backorders - 1)

    def duty(self, delta: int, now: float) -> None:
        """Technicians come on (delta > 0) or go off (delta < 0) shift."""
        self.on_duty.change(delta, now)

    def paused(self, call: CallLike, now: float, on_site: bool) -> None:
        """A job stopped at a shift end, to resume at the next shift."""
        self.busy.change(-1, now)
        if on_site:
            self.busy_on_site.change(-1, now)

    def resumed(self, call: CallLike, now: float, on_site: bool) -> None:
        self.busy.change(1, now)
        if on_site:
            self.busy_on_site.change(1, now)

    def overtime(self, hours: float, now: float) -> None:
        """A job finished after its shift ended, taking ``hours`` beyond it."""
        if self.start <= now < self.end:
            self._overtime += hours

    def new_batch(self, now: float) -> None:
        """Start a new batch at ``now``: sums restart, but calls logged since the warm-up
        keep counting in whichever batch they finish (and stay in the call log)."""
        kept = self.warm_end, self.calls, self._open, self._open_backorders
        self.reset(now)
        self.warm_end, self.calls, self._open, self._open_backorders = kept

    def close(self, now: float) -> None:
        """End the measured window at ``now`` (the end of the horizon).

        Time-average levels stop here; calls logged from now on are not tallied. The
        model then runs on while :meth:`pending` is true, so that the calls of the
        window are followed until they are served.
        """
        self.end = now
        for level in self._levels().values():
            level.freeze(now)

    def pending(self) -> bool:
        """Whether a call (or part backorder) of the closed window is still unserved."""
        return self._open > 0 or self._open_backorders > 0

    def reset(self, now: float) -> None:
        """Forget everything before ``now`` (the end of the warm-up)."""
        self.start = now
        self.warm_end = now
        self.end = math.inf
        self._open = 0
        self._open_backorders = 0
        self.calls = []
        self._queued_at_start = sum(level.value for level in self.waiting)
        self._overtime = 0.0
        for level in (
            *self.waiting,
            self.down,
            self.busy,
            self.busy_on_site,
            self.on_duty,
            self.revisits_waiting,
        ):
            level.reset(now)
        self.tally = [_ClassTally(len(self.thresholds)) for _ in self.class_names]
        self._trips = [0, 0.0, 0.0, 0]
        self._tech_busy = [0.0] * self.team_size
        self.decisions.clear()
        for on_hand, backorders in self._stock.values():
            on_hand.reset(now)
            backorders.reset(now)
        self._demands = {k: [0, 0] for k in ("van", "depot")}
        self._delays = dict.fromkeys(("van", "depot"), 0.0)
        self._parts_cost = 0.0
        self._emergencies = 0
        self._terr_calls = [0] * len(self._terr_calls)
        self._terr_wait = [0.0] * len(self._terr_wait)

    # -- KPIs -------------------------------------------------------------

    def kpis(self, now: float) -> dict[str, dict[str, float]]:
        """KPIs per class and overall (key ``"all"``), measured from the reset to ``now``.

        Per-class rows hold the call KPIs; technician KPIs are overall only.  Every
        name is an entry of the KPI catalogue (:mod:`sim.kpis`; a test checks it).
        """
        span = now - self.start
        days = span / self.hours_per_day
        out: dict[str, dict[str, float]] = {}
        for name, t, waiting, has_sla in zip(
            self.class_names, self.tally, self.waiting, self.has_sla, strict=True
        ):
            out[name] = self._call_kpis([t], [waiting], [has_sla], now, days)
        all_row = self._call_kpis(self.tally, self.waiting, self.has_sla, now, days)
        # available technician-hours: all of them on the continuous clock, shifts otherwise
        available = self.on_duty.mean(now)
        busy = self.busy.mean(now) / available if available > 0 else NAN
        on_site = self.busy_on_site.mean(now) / available if available > 0 else NAN
        trips, km, hours, away = self._trips
        all_row.update(
            utilization=busy,
            utilization_onsite=on_site,
            travel_share=busy - on_site,
            machines_down=self.down.mean(now),
            trip_km=km / trips if trips else NAN,
            trip_h=hours / trips if trips else NAN,
            off_territory_share=away / trips if trips else NAN,
            overtime_h_per_week=self._overtime / self.technicians / (span / 168.0) if span > 0 else NAN,
            # a stable queue ends about where it began; an unstable one grows linearly
            queue_growth_per_h=(sum(lv.closed(now)[1] for lv in self.waiting) - self._queued_at_start) / span
            if span > 0
            else NAN,
        )
        for i, busy_time in enumerate(self._tech_busy):
            all_row[workload_kpi(i)] = busy_time / span if span > 0 else NAN
        if self.parts:
            all_row.update(self._parts_kpis(now, span, days))
        if len(self._terr_calls) >= 20:
            all_row.update(self._spread())
        out["all"] = all_row
        return out

    def _spread(self) -> dict[str, float]:
        """How the mean wait varies across territories: the 95th percentile, and the mean
        of the worst 5 % of territories."""
        means = sorted(w / n for w, n in zip(self._terr_wait, self._terr_calls, strict=True) if n)
        if not means:
            return {}
        k = max(1, math.ceil(0.05 * len(means)))
        p95 = means[min(len(means) - 1, math.ceil(0.95 * len(means)) - 1)]
        return {"wait_h_territory_p95": p95, "wait_h_worst5pct": sum(means[-k:]) / k}

    # -- merging the blocks of a large fleet ----------------------------------

    def _levels(self) -> dict[str, Level]:
        named = {f"waiting{i}": lv for i, lv in enumerate(self.waiting)}
        named.update(
            down=self.down,
            busy=self.busy,
            busy_on_site=self.busy_on_site,
            on_duty=self.on_duty,
            revisits_waiting=self.revisits_waiting,
        )
        for kind, (on_hand, backorders) in self._stock.items():
            named[f"{kind}_on_hand"] = on_hand
            named[f"{kind}_backorders"] = backorders
        return named

    def state(self, now: float) -> dict[str, Any]:
        """Every running sum, closed at ``now``: plain numbers that :meth:`absorb` adds up."""
        levels = {}
        for name, lv in self._levels().items():
            levels[name] = list(lv.closed(now))  # the area up to now (or to the freeze)
        return {
            "start": self.start,
            "technicians": self.technicians,
            "levels": levels,
            "tally": [[getattr(t, f) for f in _ClassTally.__slots__] for t in self.tally],
            "trips": list(self._trips),
            "tech_busy": list(self._tech_busy),
            "demands": {k: list(v) for k, v in self._demands.items()},
            "delays": dict(self._delays),
            "money": [self._parts_cost, self._emergencies, self._overtime],
            "queued_at_start": self._queued_at_start,
            "territory": [self.territory_offset, list(self._terr_calls), list(self._terr_wait)],
        }

    def absorb(self, state: dict[str, Any], now: float) -> None:
        """Add another block's sums (same scenario, same instants) into this recorder."""
        self.start = state["start"]
        self.technicians += state["technicians"]
        for name, lv in self._levels().items():
            area, value = state["levels"][name]
            lv.area += area
            lv.value += value
            lv.since, lv.start = now, state["start"]
        for t, values in zip(self.tally, state["tally"], strict=True):
            for f, v in zip(_ClassTally.__slots__, values, strict=True):
                if f == "wait_gt":
                    t.wait_gt = [a + b for a, b in zip(t.wait_gt, v, strict=True)]
                else:
                    setattr(t, f, getattr(t, f) + v)
        self._trips = [a + b for a, b in zip(self._trips, state["trips"], strict=True)]
        self._tech_busy = [a + b for a, b in zip(self._tech_busy, state["tech_busy"], strict=True)]
        for k, (d, f) in state["demands"].items():
            self._demands[k][0] += d
            self._demands[k][1] += f
        for k, v in state["delays"].items():
            self._delays[k] += v
        self._queued_at_start += state["queued_at_start"]
        cost, emergencies, overtime = state["money"]
        self._parts_cost += cost
        self._emergencies += emergencies
        self._overtime += overtime
        offset, calls, waits = state["territory"]
        for i, (n, w) in enumerate(zip(calls, waits, strict=True)):
            self._terr_calls[offset + i] += n
            self._terr_wait[offset + i] += w

    def _parts_kpis(self, now: float, span: float, days: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for kind in ("van", "depot"):
            demands, filled = self._demands[kind]
            on_hand, backorders = self._stock[kind]
            out[f"fill_rate_{kind}"] = filled / demands if demands else NAN
            out[f"{kind}_on_hand"] = on_hand.mean(now)
            out[f"{kind}_backorders"] = backorders.mean(now)
            out[f"{kind}_demand_per_h"] = demands / span if span > 0 else NAN
            out[f"{kind}_delay_per_demand_h"] = self._delays[kind] / demands if demands else NAN
        out["revisit_queue_len"] = self.revisits_waiting.mean(now)
        out["emergency_per_day"] = self._emergencies / days if days > 0 else NAN
        out["parts_cost_per_day"] = self._parts_cost / days if days > 0 else NAN
        return out

    def _call_kpis(
        self,
        tallies: Sequence[_ClassTally],
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
        if self.parts:
            row["first_time_fix"] = sum(t.first_time for t in tallies) / restores if restores else NAN
            row["visits_per_call"] = sum(t.visits for t in tallies) / restores if restores else NAN
            row["part_wait_h"] = sum(t.part_wait for t in tallies) / restores if restores else NAN
        return row
