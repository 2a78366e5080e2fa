"""Dispatch policies: which waiting call a free technician takes next.

A policy is a queue with a rule.  The team adds every call that finds no
free technician and asks the policy for the next call whenever a technician
becomes free.  New policies implement the same three methods.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Protocol

from .calls import Call


class DispatchPolicy(Protocol):
    """The waiting line of one team."""

    def add(self, call: Call) -> None:
        """A call that found every technician busy joins the line."""

    def next_call(self, technician: int) -> Call | None:
        """The call a newly free technician takes, or ``None`` if none waits."""

    def __len__(self) -> int: ...


class Fifo:
    """First come, first served."""

    __slots__ = ("_line",)

    def __init__(self) -> None:
        self._line: deque[Call] = deque()

    def add(self, call: Call) -> None:
        self._line.append(call)

    def next_call(self, technician: int) -> Call | None:
        return self._line.popleft() if self._line else None

    def __len__(self) -> int:
        return len(self._line)


class NonpreemptivePriority:
    """Highest priority class first (1 before 2), FIFO within a class.

    A repair in progress is never interrupted.
    """

    __slots__ = ("_lines", "_by_class", "_n")

    def __init__(self, class_priorities: Sequence[int]) -> None:
        levels = sorted(set(class_priorities))
        self._lines: list[deque[Call]] = [deque() for _ in levels]
        self._by_class = [self._lines[levels.index(p)] for p in class_priorities]
        self._n = 0

    def add(self, call: Call) -> None:
        self._by_class[call.service_class].append(call)
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


def make_policy(name: str, class_priorities: Sequence[int]) -> DispatchPolicy:
    """Build the policy named in ``dispatch.policy``."""
    if name == "fifo":
        return Fifo()
    if name == "priority":
        return NonpreemptivePriority(class_priorities)
    raise ValueError(f"unknown dispatch policy {name!r}")
