"""Logs kept on request: every finished call, every dispatch decision, the levels over
time.  They hold records rather than sums, so blocks hand them on as they are (no
snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .level import Level
from .protocol import CallLike
from .tally import Tally


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
    repeat: bool = False  # a repeat call ([repair.repeat]); last, so older task files still load


class CallLog(Tally):
    """A :class:`CallRecord` of every call of the window, when it is restored (a new
    batch keeps the log: calls logged since the warm-up stay in it)."""

    __slots__ = ("calls",)
    name = "call_log"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[CallRecord] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"restored": self.restored}

    def restored(self, call: CallLike, now: float) -> None:
        if self.warm_end <= call.logged_at < self.end:
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
                    call.repeat,
                )
            )

    def reset(self, now: float) -> None:
        super().reset(now)
        self.calls = []


#: one dispatch decision: (time, rule, call number, candidates, technician)
Decision = tuple[float, str, int, int, int]


class DecisionLog(Tally):
    """Every dispatch decision inside the window: which rule chose which technician
    among how many candidates (``dispatch.record_decisions``)."""

    __slots__ = ("decisions",)
    name = "decisions"

    def __init__(self) -> None:
        super().__init__()
        self.decisions: list[Decision] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"decision": self.decision}

    def decision(self, rule: str, call: CallLike, candidates: int, technician: int, now: float) -> None:
        if self.start <= now < self.end:
            self.decisions.append((now, rule, call.number, candidates, technician))

    def clear(self, now: float) -> None:
        self.decisions.clear()


#: (time, calls waiting, machines down, technicians busy)
Sample = tuple[float, int, int, int]


class LevelSeries(Tally):
    """The levels at regular instants over the whole run, warm-up included (for
    time-series charts and the warm-up pilot); the model asks for a fixed number."""

    __slots__ = ("busy", "down", "series", "waiting")
    name = "series"

    def __init__(self, waiting: Sequence[Level], down: Level, busy: Level) -> None:
        super().__init__()
        self.waiting = list(waiting)
        self.down = down
        self.busy = busy
        self.series: list[Sample] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"sample": self.sample}

    def sample(self, now: float) -> None:
        waiting = sum(level.value for level in self.waiting)
        self.series.append((now, waiting, self.down.value, self.busy.value))
