"""Skills (``[skills]``): the wait of the calls needing each skill, each skill group's
utilization.

Built only for a system with skills.  ``wait_h_skill<i>``: call logged -> its first
dispatch (to a technician or to the contractor), over the calls of the window needing
skill i (the call's ``need``, which a team with skills sets when the call is logged).
``utilization_group<g>``: the busy technician-hours of group g (dispatched -> released,
trips included, as ``utilization``) / the group's technician-hours.
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
    """

    __slots__ = ("area", "busy", "calls", "frozen", "group_of", "members", "since", "waits")
    name = "skills"

    def __init__(self, skills: int, group_of: Callable[[int], int], members: Sequence[int]) -> None:
        super().__init__()
        self.group_of = group_of
        self.members = list(members)
        self.busy = [0] * len(members)
        self.since = 0.0
        self.frozen: tuple[list[float], float] | None = None
        self.waits = [0.0] * skills
        self.calls = [0] * skills
        self.area = [0.0] * len(members)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "dispatched": self.dispatched,
            "contracted": self.contracted,
            "released": self.released,
        }

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
        self.area = [0.0] * len(self.members)
        self.waits = [0.0] * len(self.waits)
        self.calls = [0] * len(self.calls)
        self.frozen = None

    def close(self, now: float) -> None:
        super().close(now)
        self._change(0, 0, now)
        self.frozen = (list(self.area), now)

    def _area(self, now: float) -> list[float]:
        if self.frozen is not None:
            return self.frozen[0]
        return [a + b * (now - self.since) for a, b in zip(self.area, self.busy, strict=True)]

    def snapshot(self, now: float) -> SkillSnapshot:
        return SkillSnapshot(tuple(self.waits), tuple(self.calls), tuple(self._area(now)), tuple(self.busy))

    def absorb(self, snapshot: SkillSnapshot, now: float) -> None:
        self.waits = [a + b for a, b in zip(self.waits, snapshot.waits, strict=True)]
        self.calls = [a + b for a, b in zip(self.calls, snapshot.calls, strict=True)]
        area = self._area(now)
        self.area = [a + b for a, b in zip(area, snapshot.busy_area, strict=True)]
        self.busy = [a + b for a, b in zip(self.busy, snapshot.busy, strict=True)]
        self.since = now
        if self.frozen is not None:
            self.frozen = (list(self.area), self.frozen[1])

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        row = rows["all"]
        for k, (total, n) in enumerate(zip(self.waits, self.calls, strict=True)):
            row[skill_wait_kpi(k)] = total / n if n else NAN
        end = self.frozen[1] if self.frozen is not None else now
        span = end - self.start
        for g, (area, members) in enumerate(zip(self._area(now), self.members, strict=True)):
            row[group_utilization_kpi(g)] = area / (members * span) if span > 0 and members else NAN
