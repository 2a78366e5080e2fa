"""Dispatch policies: which waiting call a free technician takes next, and which
free technician a new call gets.

A policy is the team's waiting line plus its rules.  The team adds every
call that finds no suitable free technician, asks ``next_call`` whenever a
technician becomes free, and ``pick_technician`` when a call arrives while
technicians are free.  New policies implement the same four methods.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from .calls import Call

#: distance from a technician to a call (km), supplied by the team
Distance = Callable[[int, Call], float]


class DispatchPolicy(Protocol):
    """The waiting line of one team and its rules."""

    name: str

    def add(self, call: Call) -> None:
        """A call that found no free technician joins the line."""

    def add_front(self, call: Call) -> None:
        """A call coming back for another visit, to be served before the others."""

    def next_call(self, technician: int) -> Call | None:
        """The call a newly free technician takes, or ``None`` if none waits."""

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        """Remove and return the free technician who takes a new call."""

    def __len__(self) -> int: ...


class Fifo:
    """First come, first served; a new call goes to the technician free the longest."""

    name = "fifo"
    __slots__ = ("_line",)

    def __init__(self) -> None:
        self._line: deque[Call] = deque()

    def add(self, call: Call) -> None:
        self._line.append(call)

    def add_front(self, call: Call) -> None:
        self._line.appendleft(call)

    def next_call(self, technician: int) -> Call | None:
        return self._line.popleft() if self._line else None

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        return free.popleft()

    def __len__(self) -> int:
        return len(self._line)


class NonpreemptivePriority(Fifo):
    """Highest priority class first (1 before 2), FIFO within a class.

    A repair in progress is never interrupted.
    """

    name = "priority"
    __slots__ = ("_by_class", "_lines", "_n", "_revisits")

    def __init__(self, class_priorities: Sequence[int], revisit_priority: int | None = None) -> None:
        levels = sorted(set(class_priorities) | (set() if revisit_priority is None else {revisit_priority}))
        self._lines: list[deque[Call]] = [deque() for _ in levels]
        self._by_class = [self._lines[levels.index(p)] for p in class_priorities]
        # revisits wait at their own priority level (FIFO), if the scenario gives one
        self._revisits = None if revisit_priority is None else self._lines[levels.index(revisit_priority)]
        self._n = 0

    def add(self, call: Call) -> None:
        self._by_class[call.service_class].append(call)
        self._n += 1

    def add_front(self, call: Call) -> None:
        if self._revisits is not None:
            self._revisits.append(call)
        else:
            self._by_class[call.service_class].appendleft(call)
        self._n += 1

    def next_call(self, technician: int) -> Call | None:
        if not self._n:
            return None
        for line in self._lines:
            if line:
                self._n -= 1
                return line.popleft()
        raise AssertionError("priority line count out of step")  # pragma: no cover

    def __len__(self) -> int:
        return self._n


class EarliestDue(Fifo):
    """The waiting call whose SLA deadline comes first (no SLA: after all with one)."""

    name = "earliest_due"
    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Call]] = []

    def add(self, call: Call) -> None:
        heapq.heappush(self._heap, (call.due_at, call.number, call))

    def add_front(self, call: Call) -> None:
        self.add(call)  # its deadline already ranks it

    def next_call(self, technician: int) -> Call | None:
        return heapq.heappop(self._heap)[2] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


class Nearest(Fifo):
    """A free technician takes the nearest waiting call; a new call gets the nearest
    free technician.  Ties go to the older call / the technician free the longest."""

    name = "nearest"
    __slots__ = ("_calls", "_distance")

    def __init__(self, distance: Distance) -> None:
        self._calls: list[Call] = []
        self._distance = distance

    def add(self, call: Call) -> None:
        self._calls.append(call)

    def add_front(self, call: Call) -> None:
        self._calls.append(call)  # the nearest call goes first anyway

    def next_call(self, technician: int) -> Call | None:
        if not self._calls:
            return None
        d = self._distance
        best = min(range(len(self._calls)), key=lambda i: d(technician, self._calls[i]))
        return self._calls.pop(best)

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        d = self._distance
        best = min(free, key=lambda t: d(t, call))
        free.remove(best)
        return best

    def __len__(self) -> int:
        return len(self._calls)


class Preference(Fifo):
    """Larson's hypercube dispatch: a call goes to the first free technician on its
    territory's preference list; when all are busy it waits in one FIFO line."""

    name = "preference"
    __slots__ = ("_lists",)

    def __init__(self, lists: Sequence[Sequence[int]]) -> None:
        super().__init__()
        self._lists = [list(order) for order in lists]

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        for tech in self._lists[call.local_territory]:
            if tech in free:
                free.remove(tech)
                return tech
        raise AssertionError("no free technician on the list")  # pragma: no cover


def make_policy(
    name: str,
    class_priorities: Sequence[int],
    distance: Distance | None = None,
    preference: Sequence[Sequence[int]] | None = None,
    revisit_priority: int | None = None,
) -> DispatchPolicy:
    """Build the policy named in ``dispatch.policy``."""
    if name == "fifo":
        return Fifo()
    if name == "priority":
        return NonpreemptivePriority(class_priorities, revisit_priority)
    if name == "earliest_due":
        return EarliestDue()
    if name == "nearest":
        if distance is None:
            raise ValueError("'nearest' dispatch needs geometry")
        return Nearest(distance)
    if name == "preference":
        if preference is None:
            raise ValueError("'preference' dispatch needs preference lists")
        return Preference(preference)
    raise ValueError(f"unknown dispatch policy {name!r}")
