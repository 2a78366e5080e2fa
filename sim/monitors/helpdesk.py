"""The helpdesk before dispatch (``[helpdesk]``): requests, replies, remote resolutions.

Built only for scenarios with a helpdesk.  A request is tallied when the customer's call
(``failed_at``) falls inside the window and followed until the helpdesk lets it go (on to
dispatch or resolved remotely), as the call tally follows calls.  Time-weighted levels:
requests waiting for an agent (per class), agents busy, and requests at the helpdesk
(waiting or with an agent), which are machines down too: ``machines_down`` counts them
besides the calls open at dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .level import NAN, Level, LevelSums
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class HelpdeskClassSnapshot:
    requests: int
    answered: int
    wait_sum: float
    replies: int
    reply_sum: float
    reply_met: int
    remote: int
    passed: int
    queue: LevelSums


@dataclass(frozen=True, slots=True)
class HelpdeskSnapshot:
    classes: tuple[HelpdeskClassSnapshot, ...]
    busy: LevelSums
    present: LevelSums


class _Sums:
    __slots__ = ("answered", "passed", "remote", "replies", "reply_met", "reply_sum", "requests", "wait_sum")

    def __init__(self) -> None:
        self.requests = 0
        self.answered = 0
        self.wait_sum = 0.0
        self.replies = 0
        self.reply_sum = 0.0
        self.reply_met = 0
        self.remote = 0
        self.passed = 0


class HelpdeskTally(Tally):
    """Requests per class: waits for an agent, replies, remote resolutions; and the levels
    of requests waiting, agents busy and requests present.

    Parameters
    ----------
    class_names
        The rows of the per-class KPIs (service classes; job types' rows stay empty: their
        jobs skip the helpdesk).
    agents
        Agents of the helpdesk (for ``helpdesk_utilization``).
    reply_targets
        The reply target of every row (``reply_met``: a class's ``reply_sla_h``, else the
        helpdesk's ``reply_target_h``); ``None`` for a row without one (no ``reply_met``
        for it).
    reply_business
        Per row: the reply clock counts customer hours only (``reply_clock =
        "business"``); ``None``: every row on the wall clock.
    add_business_hours
        ``add_business_hours(start, hours)``, the instant so many customer hours after
        ``start`` (needed if a row counts business hours).
    """

    __slots__ = (
        "add_business_hours",
        "agents",
        "busy",
        "class_names",
        "open",
        "present",
        "queue",
        "reply_business",
        "reply_targets",
        "sums",
    )
    name = "helpdesk"

    def __init__(
        self,
        class_names: Sequence[str],
        agents: int,
        reply_targets: Sequence[float | None],
        reply_business: Sequence[bool] | None = None,
        add_business_hours: Callable[[float, float], float] | None = None,
    ) -> None:
        super().__init__()
        self.class_names = list(class_names)
        self.agents = agents
        self.reply_targets = list(reply_targets)
        self.reply_business = list(reply_business or [False] * len(self.class_names))
        if any(self.reply_business) and add_business_hours is None:
            raise ValueError("a business-hours reply promise needs the customer-hours clock")
        self.add_business_hours = add_business_hours
        self.queue = [Level() for _ in self.class_names]
        self.busy = Level()
        self.present = Level()
        self.sums = [_Sums() for _ in self.class_names]
        self.open = 0  # requests of the window still at the helpdesk (across batches)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "requested": self.requested,
            "answered": self.answered,
            "replied": self.replied,
            "passed_on": self.passed_on,
            "fixed_remotely": self.fixed_remotely,
        }

    # -- reports ------------------------------------------------------------------

    def requested(self, call: CallLike, now: float) -> None:
        self.queue[call.service_class].change(1, now)
        self.present.change(1, now)
        if self.warm_end <= call.failed_at < self.end:
            self.sums[call.service_class].requests += 1
            self.open += 1

    def answered(self, call: CallLike, now: float) -> None:
        self.queue[call.service_class].change(-1, now)
        self.busy.change(1, now)
        if self.warm_end <= call.failed_at < self.end:
            t = self.sums[call.service_class]
            t.answered += 1
            t.wait_sum += now - call.failed_at

    def replied(self, call: CallLike, now: float) -> None:
        if self.warm_end <= call.failed_at < self.end:
            t = self.sums[call.service_class]
            reply = now - call.failed_at
            t.replies += 1
            t.reply_sum += reply
            row = call.service_class
            target = self.reply_targets[row]
            if target is None:
                return
            if self.reply_business[row]:
                assert self.add_business_hours is not None
                t.reply_met += now <= self.add_business_hours(call.failed_at, target)
            elif reply <= target:
                t.reply_met += 1

    def _gone(self, call: CallLike, now: float) -> bool:
        """The helpdesk lets a request go; whether it is one of the window."""
        self.busy.change(-1, now)
        self.present.change(-1, now)
        if self.warm_end <= call.failed_at < self.end:
            self.open -= 1
            return True
        return False

    def passed_on(self, call: CallLike, now: float) -> None:
        if self._gone(call, now):
            self.sums[call.service_class].passed += 1

    def fixed_remotely(self, call: CallLike, now: float) -> None:
        if self._gone(call, now):
            self.sums[call.service_class].remote += 1

    # -- the window -----------------------------------------------------------------

    def reset(self, now: float) -> None:
        super().reset(now)
        self.open = 0  # requests before the warm-up's end are not followed

    def clear(self, now: float) -> None:
        for level in (*self.queue, self.busy, self.present):
            level.reset(now)
        self.sums = [_Sums() for _ in self.class_names]

    def close(self, now: float) -> None:
        super().close(now)
        for level in (*self.queue, self.busy, self.present):
            level.freeze(now)

    def pending(self) -> bool:
        """Whether a request of the window is still at the helpdesk."""
        return self.open > 0

    # -- snapshots and KPIs -----------------------------------------------------------

    def snapshot(self, now: float) -> HelpdeskSnapshot:
        return HelpdeskSnapshot(
            tuple(
                HelpdeskClassSnapshot(
                    t.requests,
                    t.answered,
                    t.wait_sum,
                    t.replies,
                    t.reply_sum,
                    t.reply_met,
                    t.remote,
                    t.passed,
                    q.snapshot(now),
                )
                for t, q in zip(self.sums, self.queue, strict=True)
            ),
            self.busy.snapshot(now),
            self.present.snapshot(now),
        )

    def absorb(self, snapshot: HelpdeskSnapshot, now: float) -> None:
        for t, q, theirs in zip(self.sums, self.queue, snapshot.classes, strict=True):
            t.requests += theirs.requests
            t.answered += theirs.answered
            t.wait_sum += theirs.wait_sum
            t.replies += theirs.replies
            t.reply_sum += theirs.reply_sum
            t.reply_met += theirs.reply_met
            t.remote += theirs.remote
            t.passed += theirs.passed
            q.absorb(theirs.queue, self.start, now)
        self.busy.absorb(snapshot.busy, self.start, now)
        self.present.absorb(snapshot.present, self.start, now)

    def _row(
        self, sums: Sequence[_Sums], queues: Sequence[Level], now: float, targets: Sequence[float | None]
    ) -> dict[str, float]:
        answered = sum(t.answered for t in sums)
        replies = sum(t.replies for t in sums)
        done = sum(t.remote + t.passed for t in sums)
        span = now - self.start
        row = {
            "reply_h": sum(t.reply_sum for t in sums) / replies if replies else NAN,
            "helpdesk_wait_h": sum(t.wait_sum for t in sums) / answered if answered else NAN,
            "remote_share": sum(t.remote for t in sums) / done if done else NAN,
            "helpdesk_queue_len": sum(q.mean(now) for q in queues),
            "helpdesk_requests_per_h": sum(t.requests for t in sums) / span if span > 0 else NAN,
        }
        promised = [t for t, target in zip(sums, targets, strict=True) if target is not None]
        if promised:  # over the rows with a reply target
            replied = sum(t.replies for t in promised)
            row["reply_met"] = sum(t.reply_met for t in promised) / replied if replied else NAN
        return row

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        for name, t, q, target in zip(
            self.class_names, self.sums, self.queue, self.reply_targets, strict=True
        ):
            rows[name].update(self._row([t], [q], now, [target]))
        everything = rows["all"]
        everything.update(self._row(self.sums, self.queue, now, self.reply_targets))
        everything["helpdesk_utilization"] = self.busy.mean(now) / self.agents
        # requests at the helpdesk are machines down too (the call tally's level counts
        # the calls from dispatch on; a remote fix never reaches it)
        everything["machines_down"] = everything.get("machines_down", 0.0) + self.present.mean(now)
