"""Skills: dispatch on eligible pairs (``[skills]``, issue 16).

Each team's technicians belong to skill groups; each breakdown call needs one skill,
drawn when the call is logged (named stream ``skill_need``, keyed by the call's source:
the machine, or the territory of Poisson calls), so the k-th call of a source needs the
same skill whatever the staffing.

* :class:`SkilledLine` is the team's dispatch line on eligible pairs: one heap of waiting
  calls per skill, each ordered by the queue discipline's key (FIFO: arrival order, a
  revisit in front; priority: the class's level, then arrival order; earliest due: the
  deadline).  A technician who becomes free takes, among the heads of the heaps of its
  skills, the call that comes first by that key, i.e. the first eligible call in the
  discipline's order.  A call that arrives takes the eligible technician free the
  longest.
* :class:`SkilledTeam` is a :class:`~sim.model.team.Team` that draws the need, dispatches
  through that line, lengthens a visit by its technician's group's repair factor and
  decides whether the visit fixes the machine with the group's first-time fix (stream
  ``skill_fix``, keyed by the source); a failed visit sends the call back to the line.
  With escalation (``[skills.escalation]``) a first visit by a member of a group with
  ``escalation = p`` (or p by fault type: the skill the call needs) ends, with
  probability p (stream ``skill_escalation``), with the
  machine still down: the call goes back to the line needing the skill ``to``, with a new
  repair time (stream ``skill_escalated_repair``) for the specialist's visit.  With a
  remote-expert tier (``[skills.escalation.remote]``) the escalated call goes first to the
  team's :class:`ExpertDesk`, and to the line only if the expert does not fix it remotely.

So a free technician and a waiting call coexist only when the technician lacks the call's
skill: every waiting call found no eligible technician free when it joined the line, and
every technician, when freed, scans the calls it is eligible for before becoming free.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

from sim.distributions import Distribution
from sim.monitors.protocol import Recorder
from sim.system import RemoteExperts, Skills

from .calls import DONE, NAN, REPAIRING, WAITING, WITH_EXPERT, Call
from .dispatch import pair_name
from .steps import Step, scheduler
from .team import Team
from .technician import Technician
from .variates import Constant, Variates, durations

#: a waiting call's place in its skill's heap: (the discipline's key, a tie-break, the call)
Entry = tuple[float, int, Call]


def _uniforms(gen: np.random.Generator, size: int) -> np.ndarray:
    return gen.random(size)


class SkilledLine:
    """A team's dispatch line on eligible pairs (queue discipline + longest idle).

    Parameters
    ----------
    discipline : {"fifo", "priority", "earliest_due"}
    class_priorities : sequence of int
        Each class's priority level (the priority discipline).
    skills_of : dict of int to tuple of int
        Each technician's skills, by the technician's (global) number.
    skill_count : int
        Number of skills (the calls' ``need`` is an index below it).
    """

    def __init__(
        self,
        discipline: str,
        class_priorities: Sequence[int],
        skills_of: dict[int, tuple[int, ...]],
        skill_count: int,
    ) -> None:
        if discipline not in ("fifo", "priority", "earliest_due"):
            raise ValueError(f"queue discipline {discipline!r} is not built with skills")
        self._discipline = discipline
        self._priorities = list(class_priorities)
        self._skills_of = skills_of
        self._heaps: list[list[Entry]] = [[] for _ in range(skill_count)]
        self._n = 0
        self._seq = 0  # arrival order (a revisit in front: negative)
        self.pair = (discipline, "longest_idle")
        self.name = pair_name(*self.pair)

    def _entry(self, call: Call, front: bool) -> Entry:
        self._seq += 1
        seq = -self._seq if front else self._seq
        if self._discipline == "fifo":
            return (0.0, seq, call)
        if self._discipline == "priority":
            return (float(self._priorities[call.service_class]), seq, call)
        return (call.due_at, call.number, call)  # earliest due: its deadline ranks it

    def add(self, call: Call) -> None:
        heapq.heappush(self._heaps[call.need], self._entry(call, False))
        self._n += 1

    def add_front(self, call: Call) -> None:
        heapq.heappush(self._heaps[call.need], self._entry(call, True))
        self._n += 1

    def next_call(self, technician: int) -> Call | None:
        """The first waiting call, in the discipline's order, that ``technician`` can take."""
        if not self._n:
            return None
        best: list[Entry] | None = None
        for k in self._skills_of[technician]:
            heap = self._heaps[k]
            if heap and (best is None or heap[0][:2] < best[0][:2]):
                best = heap
        if best is None:
            return None
        self._n -= 1
        return heapq.heappop(best)[2]

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        """Remove and return the eligible technician free the longest; -1 if none is free."""
        need = call.need
        for t in free:
            if need in self._skills_of[t]:
                free.remove(t)
                return t
        return -1

    def remove(self, call: Call) -> None:
        """Take a waiting call out of the line (it went to a contractor)."""
        heap = self._heaps[call.need]
        for i, entry in enumerate(heap):
            if entry[2] is call:
                heap.pop(i)
                heapq.heapify(heap)
                self._n -= 1
                return
        raise ValueError("the call is not in the line")

    def __len__(self) -> int:
        return self._n


#: an escalated call at the expert desk: (the call, the expert's time, fixed remotely)
Consult = tuple[Call, float, bool]


class ExpertDesk:
    """A team's remote experts: the tier an escalated call goes to first.

    The escalated call (the technician released, the machine down) queues FIFO for a
    free expert, who works on it for its handling time; then the machine works again
    (fixed remotely: ``expert_restored``, the source told) or the call goes on to the
    specialists (``back``).  Both draws are made when the call arrives, from streams
    keyed by the call's source: ``skill_expert_handling`` and ``skill_expert_fix`` (a
    uniform per escalated call, drawn only for a fix probability strictly between 0
    and 1), in the order the source's calls are escalated.

    Parameters
    ----------
    env : simpy.Environment
    spec : sim.system.RemoteExperts
    seed, replication : int
    recorder : Recorder
        Receives ``expert_taken``, ``expert_released`` and, for a remote fix,
        ``expert_restored``.
    back : callable
        Takes a call the expert did not fix (to the specialists).
    """

    __slots__ = (
        "_fixes",
        "_handling",
        "_schedule",
        "back",
        "env",
        "free",
        "line",
        "recorder",
        "spec",
        "streams",
    )

    def __init__(
        self,
        env: simpy.Environment,
        spec: RemoteExperts,
        seed: int,
        replication: int,
        recorder: Recorder,
        back: Callable[[Call], None],
    ) -> None:
        self.env = env
        self._schedule = scheduler(env)
        self.spec = spec
        self.streams = (seed, replication)
        self.recorder = recorder
        self.back = back
        self.free = spec.experts
        self.line: deque[Consult] = deque()
        self._handling: dict[int, Variates | Constant] = {}
        self._fixes: dict[int, Variates] = {}

    def take(self, call: Call, now: float) -> None:
        """An escalated call reaches the tier: to a free expert, or it waits (FIFO)."""
        key = call.machine if call.machine >= 0 else call.territory
        handling = self._handling.get(key)
        if handling is None:
            handling = durations(self.spec.handling, *self.streams, "skill_expert_handling", key)
            self._handling[key] = handling
        p = self.spec.fix
        fixed = p >= 1.0
        if 0.0 < p < 1.0:
            draws = self._fixes.get(key)
            if draws is None:
                draws = self._fixes[key] = Variates(_uniforms, *self.streams, "skill_expert_fix", key)
            fixed = draws.next() < p
        call.phase = WITH_EXPERT
        consult = (call, handling.next(), fixed)
        if self.free:
            self.free -= 1
            self._start(consult, now)
        else:
            self.line.append(consult)

    def _start(self, consult: Consult, now: float) -> None:
        self.recorder.expert_taken(consult[0], now)
        self._schedule(Step(consult, self._done), NORMAL, consult[1])

    def _done(self, step: Step[Consult]) -> None:
        """The expert lets the call go: fixed remotely (DONE), or on to the specialists."""
        call, _, fixed = step.value
        now = self.env.now
        self.recorder.expert_released(call, now)
        if self.line:
            self._start(self.line.popleft(), now)
        else:
            self.free += 1
        if fixed:
            call.phase = DONE
            self.recorder.expert_restored(call, now)
            if call.source is not None:  # a finite fleet schedules the next failure
                call.source.machine_restored(call)
        else:
            self.back(call)


class SkilledTeam(Team):
    """A team whose technicians have skills (see the module docstring).

    Parameters
    ----------
    skills : (Skills, int, int, Distribution)
        The system's skills, the seed and the replication (the skill streams), and the
        repair time law (an escalated call's new repair time).
    env, technicians, policy, recorder, **kwargs
        As :class:`~sim.model.team.Team`; ``policy`` is a :class:`SkilledLine`.
    """

    def __init__(
        self,
        skills: tuple[Skills, int, int, Distribution],
        env: simpy.Environment,
        technicians: Sequence[Technician],
        policy: SkilledLine,
        recorder: Recorder,
        **kwargs: Any,
    ) -> None:
        super().__init__(env, technicians, policy, recorder, **kwargs)
        self.skilled_line = policy
        spec, seed, replication, repair = skills
        self._repair_law = repair
        self._streams = (seed, replication)
        shares = np.asarray(spec.shares, dtype=float)
        self._cumulative = [float(x) for x in np.cumsum(shares)[:-1]]  # the last skill takes the rest
        group_of = spec.group_of
        first = self.technicians[0]
        groups = [spec.groups[group_of[t - first]] for t in self.technicians]
        self._factor = {t: g.repair_factor for t, g in zip(self.technicians, groups, strict=True)}
        self._ftf = {t: g.first_time_fix for t, g in zip(self.technicians, groups, strict=True)}
        self._needs: dict[int, Variates] = {}
        self._fixes: dict[int, Variates] = {}
        # escalation of first visits: each technician's chance by the call's need (0 for
        # the skill escalation leads to), and that skill
        to = self._escalate_to = -1 if spec.escalate_to is None else spec.escalate_to
        needs = range(len(spec.names))
        self._escalation = {
            t: tuple(0.0 if k == to else g.escalation_of(k) for k in needs)
            for t, g in zip(self.technicians, groups, strict=True)
        }
        self._escalations: dict[int, Variates] = {}
        self._escalated_repairs: dict[int, Variates | Constant] = {}
        self.experts = (
            None
            if spec.remote is None
            else ExpertDesk(env, spec.remote, seed, replication, recorder, self._to_specialists)
        )

    @staticmethod
    def _source(call: Call) -> int:
        """The entity of the call's streams: its machine, or its territory (Poisson calls)."""
        return call.machine if call.machine >= 0 else call.territory

    def _draw_need(self, call: Call) -> int:
        key = self._source(call)
        draws = self._needs.get(key)
        if draws is None:
            draws = self._needs[key] = Variates(_uniforms, *self._streams, "skill_need", key)
        u = draws.next()
        need = 0
        for edge in self._cumulative:
            if u < edge:
                break
            need += 1
        return need

    # -- the service process on eligible pairs ----------------------------------

    def log_call(self, call: Call) -> None:
        """A call is logged: its need is drawn, an eligible free technician takes it, else
        it waits (or goes to the contractor: no eligible technician is free)."""
        now = self.env.now
        call.need = self._draw_need(call)
        call.escalated_at = NAN
        if self.deadline is not None:
            call.due_at = self.deadline(call)
        self.recorder.logged(call, now)
        free = self.free
        candidates = len(free)
        technician = self.skilled_line.pick_technician(call, free) if free and self.on_duty else -1
        if technician >= 0:
            self._send(technician, call, now, candidates)
        elif self._overflow is None:
            self.line.add(call)
        else:
            self._overflow(call)

    def requeue(self, call: Call) -> None:
        """-> WAITING: a call that needs another visit goes to an eligible free technician
        or back to the line (with the same need)."""
        now = self.env.now
        self.recorder.requeued(call, now)
        call.phase = WAITING
        free = self.free
        candidates = len(free)
        technician = self.skilled_line.pick_technician(call, free) if free and self.on_duty else -1
        if technician >= 0:
            self._send(technician, call, now, candidates)
        else:
            self.line.add(call)

    def _start_repair(self, call: Call, now: float) -> None:
        """TRAVELLING -> REPAIRING: the visit lasts the repair time x the group's factor."""
        if call.visits == 0:
            call.on_site_at = now
        self.recorder.on_site(call, now)
        call.phase = REPAIRING
        self._after(call.repair_h * self._factor[call.technician], call, self._repair_done)

    def _repair_done(self, call: Call) -> None:
        """The visit ends: with the group's first-time fix the machine works (as in a
        team without skills), otherwise the call goes back to the line."""
        escalation = self._escalation[call.technician][call.need]
        if call.visits == 0 and escalation > 0:
            key = self._source(call)
            draws = self._escalations.get(key)
            if draws is None:
                draws = self._escalations[key] = Variates(_uniforms, *self._streams, "skill_escalation", key)
            if draws.next() < escalation:
                self._escalate(call)
                return
        p = self._ftf[call.technician]
        if p < 1.0:
            key = self._source(call)
            draws = self._fixes.get(key)
            if draws is None:
                draws = self._fixes[key] = Variates(_uniforms, *self._streams, "skill_fix", key)
            if draws.next() >= p:
                now = self.env.now
                self.recorder.left_site(call, now)
                call.visits += 1
                self._job_over(call, now)
                self.requeue(call)
                return
        super()._repair_done(call)

    def _escalate(self, call: Call) -> None:
        """The first visit ends in escalation: the machine still down, the technician
        released, the call back in the line needing the specialists' skill."""
        now = self.env.now
        call.escalated_at = now
        self.recorder.left_site(call, now)
        call.visits += 1
        self._job_over(call, now)
        if self.experts is not None:
            self.experts.take(call, now)
        else:
            self._to_specialists(call)

    def _to_specialists(self, call: Call) -> None:
        """The escalated call (not fixed remotely) goes back to the line needing the
        specialists' skill, with the specialist's own repair time."""
        call.need = self._escalate_to
        key = self._source(call)
        draws = self._escalated_repairs.get(key)
        if draws is None:
            draws = durations(self._repair_law, *self._streams, "skill_escalated_repair", key)
            self._escalated_repairs[key] = draws
        call.repair_h = draws.next()  # the specialist's own repair, drawn anew
        self.requeue(call)
