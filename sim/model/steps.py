"""A step of the service that ends after a delay, scheduled as a bare SimPy event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import simpy
from simpy.events import EventPriority

T = TypeVar("T")

#: :meth:`simpy.Environment.schedule`, typed for steps
Schedule = Callable[["Step[Any]", EventPriority, float], None]


class Step(Generic[T]):
    """A step that ends after a delay (a trip, a repair, the time to the next call):
    an event that :meth:`simpy.Environment.step` processes as it does a timeout.

    The model schedules one per trip, repair, arrival and failure, hundreds of
    thousands per run.  A :class:`simpy.Timeout` is a full event (it checks its
    delay and sets five attributes); a step holds only what the environment reads
    when it processes an event (``callbacks`` and ``_ok``) and the value its
    callback needs, which makes every step measurably cheaper.  It is scheduled
    with the public :meth:`simpy.Environment.schedule` at the priority of a
    timeout, so it takes its place in SimPy's event order exactly as a timeout
    would (same time, same priority, the next event number): the same seed gives
    the same run.  Delays are drawn from validated distributions and are never
    negative (the one check a timeout makes).

    Parameters
    ----------
    value
        What the step is about (a call, a machine, a territory), for the callback.
    then
        Called with the step when its time is up.
    """

    __slots__ = ("callbacks", "value")
    _ok = True  # read by Environment.step: a step never fails

    def __init__(self, value: T, then: Callable[[Step[T]], None]) -> None:
        self.value = value
        # (a step scheduled again, as a source's next arrival, gets a prebuilt tuple)
        self.callbacks: Sequence[Callable[[Step[T]], None]] = [then]


def scheduler(env: simpy.Environment) -> Schedule:
    """``env.schedule``, for steps (SimPy types it for its own events only)."""
    return env.schedule  # type: ignore[return-value]
