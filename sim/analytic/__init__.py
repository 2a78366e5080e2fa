"""Closed-form results the simulator is validated against (no SimPy here)."""

from .queues import (
    FiniteSourceResult,
    PriorityResult,
    QueueResult,
    UnstableQueueError,
    allen_cunneen,
    erlang_b,
    erlang_c,
    finite_source,
    finite_source_wait_tail,
    mg1,
    mg1_priority_nonpreemptive,
    mm1,
    mms,
    mms_wait_tail,
    priority_nonpreemptive,
    priority_preemptive,
)

__all__ = [
    "FiniteSourceResult",
    "PriorityResult",
    "QueueResult",
    "UnstableQueueError",
    "allen_cunneen",
    "erlang_b",
    "erlang_c",
    "finite_source",
    "finite_source_wait_tail",
    "mg1",
    "mg1_priority_nonpreemptive",
    "mm1",
    "mms",
    "mms_wait_tail",
    "priority_nonpreemptive",
    "priority_preemptive",
]

from .estimate import Estimate, Estimates, estimate, relative_error  # noqa: E402

__all__ += ["Estimate", "Estimates", "estimate", "relative_error"]
