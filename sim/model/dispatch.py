"""Dispatch: two independent choices, as in Ciw.

* The **queue discipline** orders the calls that wait: which one a newly free
  technician takes (:class:`Fifo`, :class:`NonpreemptivePriority`,
  :class:`EarliestDue`, :class:`NearestCall`).
* The **technician choice** says which free technician a new call gets
  (:class:`LongestIdle`, :class:`NearestTechnician`, :class:`PreferenceList`).

:class:`Dispatcher` puts one of each together into the team's dispatch line.  The
team adds every call that finds no suitable free technician, asks ``next_call``
whenever a technician becomes free, and ``pick_technician`` when a call arrives
while technicians are free.  The scenario's ``dispatch.policy`` names the usual
pairs (:data:`POLICIES`); ``dispatch.discipline`` and ``dispatch.technician``
choose any other.

The team's ``free`` deque holds the free technicians in the order they became
free (the longest idle first); a choice removes the one it picks and leaves the
others in that order.
"""

from __future__ import annotations

import functools
import heapq
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from sim.system import POLICY_PAIRS

from .calls import Call

#: distance from a technician to a call (km), supplied by the team
Distance = Callable[[int, Call], float]

#: the named pairs of ``dispatch.policy``: (queue discipline, technician choice)
POLICIES = POLICY_PAIRS


class DispatchPolicy(Protocol):
    """The waiting line of one team and its rules (what the team calls)."""

    name: str

    def add(self, call: Call) -> None:
        """A call that found no free technician joins the line."""

    def add_front(self, call: Call) -> None:
        """A call coming back for another visit, to be served before the others."""

    def next_call(self, technician: int) -> Call | None:
        """The call a newly free technician takes, or ``None`` if none waits."""

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        """Remove and return the free technician who takes a new call."""

    def remove(self, call: Call) -> None:
        """Take a waiting call out of the line (it went to a contractor)."""

    def __len__(self) -> int: ...


class Discipline(Protocol):
    """A queue discipline: the order in which waiting calls are taken."""

    name: str

    def add(self, call: Call) -> None: ...

    def add_front(self, call: Call) -> None: ...

    def next_call(self, technician: int) -> Call | None: ...

    def remove(self, call: Call) -> None: ...

    def __len__(self) -> int: ...


class TechnicianChoice(Protocol):
    """A technician choice: which free technician a new call gets."""

    name: str

    def pick_technician(self, call: Call, free: deque[int]) -> int: ...


# ---------------------------------------------------------------------------
# queue disciplines


class Fifo:
    """First come, first served; a revisit goes to the front of the line."""

    name = "fifo"

    def __init__(self) -> None:
        self._line: deque[Call] = deque()
        # the deque's own append (C): a call that waits costs no Python frame to add
        self.add: Callable[[Call], None] = self._line.append

    def add_front(self, call: Call) -> None:
        self._line.appendleft(call)

    def next_call(self, technician: int) -> Call | None:
        return self._line.popleft() if self._line else None

    def remove(self, call: Call) -> None:
        self._line.remove(call)

    def __len__(self) -> int:
        return len(self._line)


class NonpreemptivePriority:
    """Highest priority class first (1 before 2), FIFO within a class.

    A repair in progress is never interrupted.  A revisit goes to the front of its
    class's line or, with ``revisit_priority``, to the back of that level's line.
    """

    name = "priority"

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

    def remove(self, call: Call) -> None:
        # (a first visit's call waits in its class's line: only those go to a contractor)
        self._by_class[call.service_class].remove(call)
        self._n -= 1

    def __len__(self) -> int:
        return self._n


class EarliestDue:
    """The waiting call whose SLA deadline comes first (no SLA: after all with one);
    equal deadlines go by call number."""

    name = "earliest_due"

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Call]] = []

    def add(self, call: Call) -> None:
        heapq.heappush(self._heap, (call.due_at, call.number, call))

    def add_front(self, call: Call) -> None:
        self.add(call)  # its deadline already ranks it

    def next_call(self, technician: int) -> Call | None:
        return heapq.heappop(self._heap)[2] if self._heap else None

    def remove(self, call: Call) -> None:
        self._heap.remove((call.due_at, call.number, call))
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)


class NearestCall:
    """A free technician takes the nearest waiting call; ties go to the call that
    joined the line first (a revisit joins at the back: distance ranks it anyway)."""

    name = "nearest"

    def __init__(self, distance: Distance) -> None:
        self._calls: list[Call] = []
        self._distance = distance

    def add(self, call: Call) -> None:
        self._calls.append(call)

    def add_front(self, call: Call) -> None:
        self._calls.append(call)

    def next_call(self, technician: int) -> Call | None:
        if not self._calls:
            return None
        d = self._distance
        best = min(range(len(self._calls)), key=lambda i: d(technician, self._calls[i]))
        return self._calls.pop(best)

    def remove(self, call: Call) -> None:
        self._calls.remove(call)

    def __len__(self) -> int:
        return len(self._calls)


# ---------------------------------------------------------------------------
# technician choices


class LongestIdle:
    """The technician free the longest."""

    name = "longest_idle"

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        return free.popleft()


class NearestTechnician:
    """The free technician nearest the call; ties go to the one free the longest."""

    name = "nearest"

    def __init__(self, distance: Distance) -> None:
        self._distance = distance

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        d = self._distance
        best = min(free, key=lambda t: d(t, call))
        free.remove(best)
        return best


class PreferenceList:
    """Larson's hypercube dispatch: the first free technician on the call's territory's
    preference list (team-local territory, global technician numbers)."""

    name = "preference"

    def __init__(self, lists: Sequence[Sequence[int]]) -> None:
        self._lists = [list(order) for order in lists]

    def pick_technician(self, call: Call, free: deque[int]) -> int:
        for tech in self._lists[call.local_territory]:
            if tech in free:
                free.remove(tech)
                return tech
        raise AssertionError("no free technician on the list")  # pragma: no cover


# ---------------------------------------------------------------------------
# the dispatch line


def pair_name(discipline: str, technician: str) -> str:
    """The name of a pair: its ``dispatch.policy`` name if it has one, else
    ``discipline+technician`` (e.g. ``priority+nearest``)."""
    for name, pair in POLICIES.items():
        if pair == (discipline, technician):
            return name
    return f"{discipline}+{technician}"


class Dispatcher:
    """A team's dispatch line: a queue discipline and a technician choice.

    ``Dispatcher(discipline, choice)`` is an object of a class made once per pair of
    classes, which inherits the discipline's methods and the choice's; it takes over the
    two parts' state (use the line, not the parts, afterwards).  So the team's calls
    reach the rules' own methods directly: a line holding the two parts and forwarding to
    them (or holding their bound methods) made every dispatch step measurably slower.

    Parameters
    ----------
    discipline : Discipline
        Orders the waiting calls.
    choice : TechnicianChoice
        Picks the free technician for a new call.

    Attributes
    ----------
    pair : (str, str)
        The discipline's and the choice's names.
    name : str
        The pair's name (see :func:`pair_name`), as the decisions log gives the rule.
    """

    # (annotations only: the methods come from the parts' classes)
    add: Callable[[Call], None]
    add_front: Callable[[Call], None]
    next_call: Callable[[int], Call | None]
    remove: Callable[[Call], None]
    pick_technician: Callable[[Call, deque[int]], int]
    __len__: Callable[[], int]

    def __new__(cls, discipline: Discipline, choice: TechnicianChoice) -> Dispatcher:
        return object.__new__(_line_class(type(discipline), type(choice)))

    def __init__(self, discipline: Discipline, choice: TechnicianChoice) -> None:
        for part in (discipline, choice):
            for key, value in vars(part).items():
                if getattr(self, key, value) is not value:  # pragma: no cover - a coding error
                    raise TypeError(f"{key!r} means two things in {type(self).__name__}")
                setattr(self, key, value)
        self.pair = (discipline.name, choice.name)
        self.name = pair_name(*self.pair)


@functools.cache
def _line_class(discipline: type, choice: type) -> type[Dispatcher]:
    """The class of the lines made of these two kinds of part."""
    return type(f"{discipline.__name__}With{choice.__name__}", (Dispatcher, discipline, choice), {})


def make_policy(
    rule: str | tuple[str, str],
    class_priorities: Sequence[int],
    distance: Distance | None = None,
    preference: Sequence[Sequence[int]] | None = None,
    revisit_priority: int | None = None,
) -> Dispatcher:
    """Build a team's dispatch line.

    Parameters
    ----------
    rule : str or (str, str)
        A ``dispatch.policy`` name (see :data:`POLICIES`), or a pair
        (queue discipline, technician choice).
    class_priorities : sequence of int
        Each class's priority level (the priority discipline).
    distance : callable, optional
        Technician-to-call distance (needed by the nearest discipline and choice).
    preference : sequence of sequences of int, optional
        Each territory's technicians in the order tried (the preference choice).
    revisit_priority : int, optional
        The priority level revisits wait at (the priority discipline).
    """
    if isinstance(rule, str):
        if rule not in POLICIES:
            raise ValueError(f"unknown dispatch policy {rule!r}")
        rule = POLICIES[rule]
    discipline_name, choice_name = rule
    needs = "dispatch needs geometry (distances)"
    discipline: Discipline
    if discipline_name == "fifo":
        discipline = Fifo()
    elif discipline_name == "priority":
        discipline = NonpreemptivePriority(class_priorities, revisit_priority)
    elif discipline_name == "earliest_due":
        discipline = EarliestDue()
    elif discipline_name == "nearest":
        if distance is None:
            raise ValueError(f"nearest-call {needs}")
        discipline = NearestCall(distance)
    else:
        raise ValueError(f"unknown queue discipline {discipline_name!r}")
    choice: TechnicianChoice
    if choice_name == "longest_idle":
        choice = LongestIdle()
    elif choice_name == "nearest":
        if distance is None:
            raise ValueError(f"nearest-technician {needs}")
        choice = NearestTechnician(distance)
    elif choice_name == "preference":
        if preference is None:
            raise ValueError("preference dispatch needs preference lists")
        choice = PreferenceList(preference)
    else:
        raise ValueError(f"unknown technician choice {choice_name!r}")
    return Dispatcher(discipline, choice)
