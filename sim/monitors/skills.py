"""Skills (``[skills]``): the wait of the calls needing each skill, each skill group's
utilization.

Built only for a system with skills.  ``wait_h_skill<i>``: call logged -> its first
dispatch (to a technician or to the contractor), over the calls of the window needing
skill i (the call's ``need``, which a team with skills sets when the call is logged).
``utilization_group<g>``: the busy technician-hours of group g (dispatched -> released,
trips included, as ``utilization``) / the group's technician-hours.
``failed_visits_per_call``: visits that left the machine down (first-time fix failures and
escalations) per call of the window.  With escalation (``[skills.escalation]``):
``escalation_share`` (calls whose first visit was escalated / calls) and
``escalation_added_h`` (escalation -> restoration, over the escalated calls: the time the
escalation added after the first visit) and ``unfixed_visits_per_call`` (the visits
that left the machine down for the other cause, a first-time fix failure: with
``escalation_share`` the failed visits per call by cause).  Visits per call = 1 +
failed_visits_per_call for the calls the team restores.  With the remote-expert tier
(``[skills.escalation.remote]``): ``expert_wait_h`` (escalation -> an expert takes it),
``remote_fix_share`` (escalated calls fixed remotely / escalated calls the experts let
go) and ``expert_utilization`` (busy expert-hours / expert-hours); a remote fix is a
restoration, told to every tally that hears the technicians' ones except the
technicians' levels (nobody was on site).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.kpis import group_utilization_kpi, skill_wait_kpi

from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class SkillSnapshot:
    waits: tuple[float, ...]  # per skill: sum of waits
    calls: tuple[int, ...]  # per skill: calls whose wait is known
    busy_area: tuple[float, ...]  # per group: busy technician-hours since the start
    busy: tuple[int, ...]  # per group: members busy at the snapshot
    failed: int  # visits that left the machine down
    escalated: int
    added_sum: float  # escalation -> restoration
    added: int
    expert_wait_sum: float  # escalation -> an expert takes it
    expert_taken: int
    expert_released: int
    remote_fixes: int
    expert_area: float  # busy expert-hours since the start
    experts_busy: int


class SkillTally(Tally):
    """Waits per skill and busy technicians per group.

    Parameters
    ----------
    skills
        Number of skills.
    group_of
        The group of each technician, by global number (the teams' groups repeat).
    members
        Technicians of each group in the task's teams (the denominators).
    escalation
        First visits can be escalated: report the escalation KPIs.
    experts
        The remote experts of the task's teams (0: no remote-expert tier).
    """

    __slots__ = (
        "added",
        "added_sum",
        "area",
        "busy",
        "calls",
        "escalated",
        "escalation",
        "expert_area",
        "expert_frozen",
        "expert_released",
        "expert_since",
        "expert_taken",
        "expert_wait_sum",
        "experts",
        "experts_busy",
        "failed",
        "frozen",
        "group_of",
        "members",
        "remote_fixes",
        "restored_to",
        "since",
        "waits",
    )
    name = "skills"

    def __init__(
        self,
        skills: int,
        group_of: Callable[[int], int],
        members: Sequence[int],
        escalation: bool = False,
        experts: int = 0,
    ) -> None:
        super().__init__()
        self.escalation = escalation
        self.experts = experts
        self.expert_wait_sum = self.expert_area = self.expert_since = 0.0
        self.expert_taken = self.expert_released = self.remote_fixes = self.experts_busy = 0
        self.expert_frozen: float | None = None
        #: the other tallies' restoration handlers, told of a remote fix (set by the builder)
        self.restored_to: list[Callable[[CallLike, float], None]] = []
        self.failed = self.escalated = self.added = 0
        self.added_sum = 0.0
        self.group_of = group_of
        self.members = list(members)
        self.busy = [0] * len(members)
        self.since = 0.0
        self.frozen: tuple[list[float], float] | None = None
        self.waits = [0.0] * skills
        self.calls = [0] * skills
        self.area = [0.0] * len(members)

    def handles(self) -> dict[str, Callable[..., None]]:
        out: dict[str, Callable[..., None]] = {
            "dispatched": self.dispatched,
            "contracted": self.contracted,
            "released": self.released,
            "left_site": self.left_site,
        }
        if self.escalation:
            out["restored"] = self.restored
        if self.experts:
            out["expert_taken"] = self.taken_by_expert
            out["expert_released"] = self.released_by_expert
            out["expert_restored"] = self.fixed_by_expert
        return out

    def _expert_change(self, delta: int, now: float) -> None:
        self.expert_area += self.experts_busy * (now - self.expert_since)
        self.expert_since = now
        self.experts_busy += delta

    def taken_by_expert(self, call: CallLike, now: float) -> None:
        self._expert_change(1, now)
        if self.warm_end <= call.logged_at < self.end:
            self.expert_wait_sum += now - call.escalated_at  # type: ignore[attr-defined]
            self.expert_taken += 1

    def released_by_expert(self, call: CallLike, now: float) -> None:
        self._expert_change(-1, now)
        if self.warm_end <= call.logged_at < self.end:
            self.expert_released += 1

    def fixed_by_expert(self, call: CallLike, now: float) -> None:
        """The expert fixed the machine remotely: a restoration without a visit."""
        if self.warm_end <= call.logged_at < self.end:
            self.remote_fixes += 1
        for handler in self.restored_to:
            handler(call, now)
        self.restored(call, now)

    def left_site(self, call: CallLike, now: float) -> None:
        """A visit ended with the machine still down (an escalation, or not fixed)."""
        if self.warm_end <= call.logged_at < self.end:
            self.failed += 1
            if call.escalated_at == now:  # type: ignore[attr-defined]
                self.escalated += 1

    def restored(self, call: CallLike, now: float) -> None:
        at: float = call.escalated_at  # type: ignore[attr-defined]
        if at == at and self.warm_end <= call.logged_at < self.end:  # (nan: not escalated)
            self.added_sum += now - at
            self.added += 1

    def _change(self, group: int, delta: int, now: float) -> None:
        busy, area, since = self.busy, self.area, self.since
        for g, b in enumerate(busy):
            area[g] += b * (now - since)
        self.since = now
        busy[group] += delta

    def _first_dispatch(self, call: CallLike, now: float) -> None:
        if self.warm_end <= call.logged_at < self.end:
            need: int = call.need  # type: ignore[attr-defined]
            self.waits[need] += now - call.logged_at
            self.calls[need] += 1

    def dispatched(self, call: CallLike, now: float) -> None:
        if call.visits == 0:
            self._first_dispatch(call, now)
        self._change(self.group_of(call.technician), 1, now)

    def contracted(self, call: CallLike, now: float) -> None:
        if call.visits == 0:
            self._first_dispatch(call, now)

    def released(self, call: CallLike, now: float) -> None:
        self._change(self.group_of(call.technician), -1, now)

    def clear(self, now: float) -> None:
        self._change(0, 0, now)
        self._expert_change(0, now)
        self.expert_area = self.expert_wait_sum = 0.0
        self.expert_taken = self.expert_released = self.remote_fixes = 0
        self.expert_frozen = None
        self.area = [0.0] * len(self.members)
        self.waits = [0.0] * len(self.waits)
        self.calls = [0] * len(self.calls)
        self.frozen = None
        self.failed = self.escalated = self.added = 0
        self.added_sum = 0.0

    def close(self, now: float) -> None:
        super().close(now)
        self._change(0, 0, now)
        self.frozen = (list(self.area), now)
        self._expert_change(0, now)
        self.expert_frozen = self.expert_area

    def _expert_area(self, now: float) -> float:
        if self.expert_frozen is not None:
            return self.expert_frozen
        return self.expert_area + self.experts_busy * (now - self.expert_since)

    def _area(self, now: float) -> list[float]:
        if self.frozen is not None:
            return self.frozen[0]
        return [a + b * (now - self.since) for a, b in zip(self.area, self.busy, strict=True)]

    def snapshot(self, now: float) -> SkillSnapshot:
        return SkillSnapshot(
            tuple(self.waits),
            tuple(self.calls),
            tuple(self._area(now)),
            tuple(self.busy),
            self.failed,
            self.escalated,
            self.added_sum,
            self.added,
            self.expert_wait_sum,
            self.expert_taken,
            self.expert_released,
            self.remote_fixes,
            self._expert_area(now),
            self.experts_busy,
        )

    def absorb(self, snapshot: SkillSnapshot, now: float) -> None:
        self.waits = [a + b for a, b in zip(self.waits, snapshot.waits, strict=True)]
        self.calls = [a + b for a, b in zip(self.calls, snapshot.calls, strict=True)]
        area = self._area(now)
        self.area = [a + b for a, b in zip(area, snapshot.busy_area, strict=True)]
        self.busy = [a + b for a, b in zip(self.busy, snapshot.busy, strict=True)]
        self.since = now
        self.failed += snapshot.failed
        self.escalated += snapshot.escalated
        self.added_sum += snapshot.added_sum
        self.added += snapshot.added
        if self.frozen is not None:
            self.frozen = (list(self.area), self.frozen[1])
        self.expert_wait_sum += snapshot.expert_wait_sum
        self.expert_taken += snapshot.expert_taken
        self.expert_released += snapshot.expert_released
        self.remote_fixes += snapshot.remote_fixes
        self.expert_area = self._expert_area(now) + snapshot.expert_area
        self.experts_busy += snapshot.experts_busy
        self.expert_since = now
        if self.expert_frozen is not None:
            self.expert_frozen = self.expert_area

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        row = rows["all"]
        n = sum(self.calls)
        row["failed_visits_per_call"] = self.failed / n if n else NAN
        if self.escalation:
            row["escalation_share"] = self.escalated / n if n else NAN
            row["unfixed_visits_per_call"] = (self.failed - self.escalated) / n if n else NAN
            row["escalation_added_h"] = self.added_sum / self.added if self.added else NAN
        for k, (total, n) in enumerate(zip(self.waits, self.calls, strict=True)):
            row[skill_wait_kpi(k)] = total / n if n else NAN
        end = self.frozen[1] if self.frozen is not None else now
        span = end - self.start
        for g, (area, members) in enumerate(zip(self._area(now), self.members, strict=True)):
            row[group_utilization_kpi(g)] = area / (members * span) if span > 0 and members else NAN
        if self.experts:
            taken, released = self.expert_taken, self.expert_released
            row["expert_wait_h"] = self.expert_wait_sum / taken if taken else NAN
            row["remote_fix_share"] = self.remote_fixes / released if released else NAN
            row["expert_utilization"] = self._expert_area(now) / (self.experts * span) if span > 0 else NAN
