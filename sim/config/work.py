"""``[work]``: what technicians do besides breakdown repairs (issue 14).

Built so far: ``[work.internal]``, internal work (the regulations' category D:
inspections, parts handling, tool upkeep, training) taken whenever a technician is
idle.  The later kinds of work (job types, planned maintenance, key-customer visits)
are further keys of :class:`Work`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import Section
from sim.config.specs import DistSpec, spec_mean

#: internal-work modes that the issue describes but the model does not run yet
_NOT_BUILT = {"scheduled": "internal work as blocks in the calendar is not built yet; use 'when_idle'"}


class InternalWork(Section):
    """Internal work (category D) taken whenever a technician is idle (``mode =
    "when_idle"``, multiple vacations): a technician who becomes free with no call
    waiting starts an internal task of length ``task_h``; when it ends, the technician
    takes the call that waits, if any, or starts another task.  A task in progress is
    always finished first, so an arriving call waits (no technician is ever idle).
    Internal time is not part of ``utilization`` (travel + on site); it is paid time,
    reported as ``internal_share`` and ``internal_h_per_day``.  With shifts, a task running
    at a shift end is finished (its time past the end counts as internal, not as
    overtime), and no task starts off duty.  Example::

        [work.internal]
        mode = "when_idle"
        task_h = { dist = "gamma", mean = 1.0, cv = 0.5 }

    ``mode = "scheduled"`` (internal work as blocks in the calendar) is not built yet and
    is refused.
    """

    mode: Literal["when_idle"]
    task_h: DistSpec  # the length of one internal task

    @field_validator("mode", mode="before")
    @classmethod
    def _built(cls, value: Any) -> Any:
        if isinstance(value, str) and value in _NOT_BUILT:
            raise ValueError(f"{_NOT_BUILT[value]} (got {value!r})")
        if value != "when_idle":
            raise ValueError(f"must be 'when_idle' (got {value!r})")
        return value

    @model_validator(mode="after")
    def _positive(self) -> InternalWork:
        if spec_mean(self.task_h) <= 0:
            # tasks of no length would repeat forever at one instant
            raise KeyedError("work.internal.task_h", "must have a positive mean")
        return self


class Work(Section):
    """The technicians' work besides breakdown repairs."""

    internal: InternalWork | None = None  # internal work (category D)
