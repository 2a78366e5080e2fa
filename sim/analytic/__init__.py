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

from .estimate import Estimate, Estimates, estimate, relative_error

__all__ += ["Estimate", "Estimates", "estimate", "relative_error"]

from . import geometry, hypercube, inventory  # noqa: E402
from .geometry import mean_distance_from_point, mean_distance_two_points  # noqa: E402
from .hypercube import HypercubeResult  # noqa: E402
from .hypercube import hypercube as hypercube_model  # noqa: E402
from .inventory import base_stock, emergency_fill, first_time_fix, metric, s_S_policy, vari_metric  # noqa: E402

__all__ += [
    "HypercubeResult",
    "base_stock",
    "emergency_fill",
    "first_time_fix",
    "geometry",
    "hypercube",
    "hypercube_model",
    "inventory",
    "mean_distance_from_point",
    "mean_distance_two_points",
    "metric",
    "s_S_policy",
    "vari_metric",
]
