"""The recorder of a run: a set of tallies, each report handed to those that need it.

:class:`Monitors` binds every report of the model, once, at construction, to the bound
methods of the tallies that handle it: a report no tally needs is a no-op, one that a
single tally needs is that tally's method itself, and one that several need is a small
closure calling each in turn.  No report loops over tallies that do not care, which is
what keeps the production recorder close to the cost of an empty one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.kpis import P_WAIT_GT, WORKLOAD_TECH

from .logs import CallRecord, Decision, Sample
from .protocol import EVENTS, AppointmentLike, CallLike, Monitor

#: the order of the KPI columns in a row (the order earlier versions wrote, which the
#: tables keep); ``None`` marks where the pattern KPIs go
_ORDER: tuple[str, ...] = (
    "wait_h",
    "response_h",
    "restore_h",
    "p_wait",
    P_WAIT_GT.name,
    "sla_met",
    "queue_len",
    "calls_per_day",
    "calls_logged_per_h",
    "n_calls",
    "first_time_fix",
    "visits_per_call",
    "part_wait_h",
    "utilization",
    "utilization_onsite",
    "travel_share",
    "internal_share",
    "internal_h_per_day",
    "machines_down",
    "trip_km",
    "trip_h",
    "off_territory_share",
    "overtime_h_per_week",
    "queue_growth_per_h",
    WORKLOAD_TECH.name,
    "fill_rate_van",
    "van_on_hand",
    "van_backorders",
    "van_demand_per_h",
    "van_delay_per_demand_h",
    "fill_rate_depot",
    "depot_on_hand",
    "depot_backorders",
    "depot_demand_per_h",
    "depot_delay_per_demand_h",
    "revisit_queue_len",
    "emergency_per_day",
    "parts_cost_per_day",
    "wait_h_territory_p95",
    "wait_h_worst5pct",
)
_RANK = {name: i for i, name in enumerate(_ORDER)}


def _rank(name: str) -> int:
    if name in _RANK:
        return _RANK[name]
    for pattern in (P_WAIT_GT, WORKLOAD_TECH):
        if pattern.matches(name):
            return _RANK[pattern.name]
    return len(_ORDER)  # an injected tally's own KPIs come last


def _ignore(*args: Any) -> None:
    pass


def _ignore_call(call: CallLike, now: float) -> None:
    pass


#: the reports with the arguments (call, now): the hot ones, fanned out without *args
_CALL_EVENTS = frozenset(
    {"logged", "dispatched", "on_site", "restored", "released", "left_site", "requeued"}
    | {"contracted", "contractor_on_site", "contractor_failed", "contractor_restored"}
    | {"expert_taken", "expert_released", "expert_restored"}
)


def _fan(event: str, handlers: Sequence[Callable[..., None]]) -> Callable[..., None]:
    """One callable for a report: nothing, the one handler, or each handler in turn."""
    if not handlers:
        return _ignore_call if event in _CALL_EVENTS else _ignore
    if len(handlers) == 1:
        return handlers[0]
    if event in _CALL_EVENTS and len(handlers) == 2:
        a, b = handlers

        def both(call: CallLike, now: float) -> None:
            a(call, now)
            b(call, now)

        return both
    if event in _CALL_EVENTS and len(handlers) == 3:
        a, b, c = handlers

        def three(call: CallLike, now: float) -> None:
            a(call, now)
            b(call, now)
            c(call, now)

        return three
    chain = tuple(handlers)

    def each(*args: Any) -> None:
        for h in chain:
            h(*args)

    return each


@dataclass(frozen=True)
class MonitorsSnapshot:
    """A block's sums: when its measurement began and each tally's typed snapshot."""

    start: float
    tallies: dict[str, Any]  # tally name -> its snapshot (a frozen dataclass)


class Monitors:
    """A set of tallies behind the :class:`~sim.monitors.protocol.Recorder` interface.

    Parameters
    ----------
    tallies
        The tallies (each a :class:`~sim.monitors.protocol.Monitor`), with unique names;
        the KPI rows are filled in this order.
    class_names
        The service classes: the KPIs have a row per class and one for ``"all"``.
    """

    logged: Callable[[CallLike, float], None]
    dispatched: Callable[[CallLike, float], None]
    on_site: Callable[[CallLike, float], None]
    restored: Callable[[CallLike, float], None]
    released: Callable[[CallLike, float], None]
    decision: Callable[[str, CallLike, int, int, float], None]
    duty: Callable[[int, float], None]
    paused: Callable[[CallLike, float, bool], None]
    resumed: Callable[[CallLike, float, bool], None]
    overtime: Callable[[float, float], None]
    internal: Callable[[int, float], None]
    left_site: Callable[[CallLike, float], None]
    requeued: Callable[[CallLike, float], None]
    part_used: Callable[[float, float], None]
    emergency: Callable[[float], None]
    stock: Callable[[str, int, int, float], None]
    part_demand: Callable[[str, bool, float], None]
    backorder_filled: Callable[[str, float, float], None]
    sample: Callable[[float], None]
    requested: Callable[[CallLike, float], None]
    answered: Callable[[CallLike, float], None]
    replied: Callable[[CallLike, float], None]
    passed_on: Callable[[CallLike, float], None]
    fixed_remotely: Callable[[CallLike, float], None]
    installed: Callable[[int, float, bool, float], None]
    contracted: Callable[[CallLike, float], None]
    contractor_on_site: Callable[[CallLike, float], None]
    contractor_failed: Callable[[CallLike, float], None]
    contractor_restored: Callable[[CallLike, float], None]
    expert_taken: Callable[[CallLike, float], None]
    expert_released: Callable[[CallLike, float], None]
    expert_restored: Callable[[CallLike, float], None]
    complaint_raised: Callable[[CallLike, int, float], None]
    complaint_taken: Callable[[CallLike, int, float, float], None]
    complaint_resolved: Callable[[CallLike, int, float, float], None]
    satisfied: Callable[[CallLike, float, float], None]
    booked: Callable[[CallLike, AppointmentLike, float], None]
    appointment_outcome: Callable[[CallLike, AppointmentLike, float], None]

    def __init__(self, tallies: Sequence[Monitor[Any]], class_names: Sequence[str]) -> None:
        names = [t.name for t in tallies]
        if len(set(names)) != len(names):
            raise ValueError(f"monitor names must be unique: {names}")
        self.tallies = list(tallies)
        self.by_name = dict(zip(names, self.tallies, strict=True))
        self.class_names = list(class_names)
        self.start = 0.0
        handles = [t.handles() for t in self.tallies]
        for event in EVENTS:
            setattr(self, event, _fan(event, [h[event] for h in handles if event in h]))

    def __getitem__(self, name: str) -> Monitor[Any]:
        return self.by_name[name]

    # -- the window ---------------------------------------------------------

    def reset(self, now: float) -> None:
        """Forget everything before ``now`` (the end of the warm-up)."""
        self.start = now
        for t in self.tallies:
            t.reset(now)

    def new_batch(self, now: float) -> None:
        """Start a new batch at ``now``: sums restart, but calls logged since the warm-up
        keep counting in whichever batch they finish (and stay in the call log)."""
        self.start = now
        for t in self.tallies:
            t.new_batch(now)

    def close(self, now: float) -> None:
        """End the measured window at ``now`` (the end of the horizon).

        Time-average levels stop here; calls logged from now on are not tallied.  The
        model then runs on while :meth:`pending` is true, so that the calls of the
        window are followed until they are served.
        """
        for t in self.tallies:
            t.close(now)

    def pending(self) -> bool:
        """Whether a call (or part backorder) of the closed window is still unserved."""
        return any(t.pending() for t in self.tallies)

    # -- KPIs and block merges ------------------------------------------------

    def kpis(self, now: float) -> dict[str, dict[str, float]]:
        """KPIs per class and overall (key ``"all"``), measured from the reset to ``now``.

        Per-class rows hold the call KPIs; technician KPIs are overall only.  Every
        name is an entry of the KPI catalogue (:mod:`sim.kpis`; a test checks it).
        """
        rows: dict[str, dict[str, float]] = {name: {} for name in [*self.class_names, "all"]}
        for t in self.tallies:
            t.kpis(now, rows)
        return {name: dict(sorted(row.items(), key=lambda kv: _rank(kv[0]))) for name, row in rows.items()}

    def snapshot(self, now: float) -> MonitorsSnapshot:
        """Every running sum, closed at ``now``, for :meth:`absorb`."""
        sums = {t.name: t.snapshot(now) for t in self.tallies}
        return MonitorsSnapshot(self.start, {k: v for k, v in sums.items() if v is not None})

    def absorb(self, snapshot: MonitorsSnapshot, now: float) -> None:
        """Add another block's sums (same scenario, same instants) into these tallies."""
        self.start = snapshot.start
        for t in self.tallies:
            t.start = snapshot.start
            if t.name in snapshot.tallies:
                t.absorb(snapshot.tallies[t.name], now)

    # -- the logs, if kept ---------------------------------------------------------

    @property
    def calls(self) -> list[CallRecord]:
        """Every finished call of the window (empty unless ``keep_calls``)."""
        log = self.by_name.get("call_log")
        return log.calls if log is not None else []  # type: ignore[attr-defined]

    @property
    def decisions(self) -> list[Decision]:
        log = self.by_name.get("decisions")
        return log.decisions if log is not None else []  # type: ignore[attr-defined]

    @property
    def series(self) -> list[Sample]:
        log = self.by_name.get("series")
        return log.series if log is not None else []  # type: ignore[attr-defined]
