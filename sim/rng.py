"""Named random streams.

Every random draw in a run comes from a stream addressed by
``SeedSequence(seed, spawn_key=(replication, stream_id, *entity))``.  The
address does not depend on staffing, dispatch or the order in which events
happen, so replication ``r`` of every design point sees the same failures and
the same call needs (common random numbers), and any single replication can
be re-run alone with identical output.

Stream names are append-only: adding a stream never renumbers existing ones.
"""

from __future__ import annotations

import numpy as np

#: Stream names; the index is part of the address, so only ever append.
STREAMS: tuple[str, ...] = (
    "failure",  # per machine: times to failure (and its initial residual life)
    "arrival",  # per territory: Poisson call arrivals (infinite-source mode)
    "repair",  # per machine, or per territory in infinite-source mode: on-site times
    "travel",  # idem: travel times
    "service_class",  # idem: class of each call
    "location",  # per machine (or per territory in infinite-source mode): where it stands
    "parts",  # idem: which part types a call needs (one uniform per type and call)
    "part_quantity",  # idem, and part type: units needed
    "fix",  # idem: whether a visit fixes the machine (causes other than parts)
    "lead_time",  # per stock point and part type: replenishment lead times
    "emergency",  # per technician: emergency shipment times
    "failed_visit",  # time on site of a visit that finds a part missing
    "travel_from_base",  # like travel: the trip time of a technician who was idle
    "design_seed",  # per design point: its own root seed where designs must be independent (selection)
)

_STREAM_ID = {name: i for i, name in enumerate(STREAMS)}


def stream_key(replication: int, name: str, *entity: int) -> tuple[int, ...]:
    """Spawn key of the named stream of one replication (and entity)."""
    try:
        stream_id = _STREAM_ID[name]
    except KeyError:
        raise ValueError(f"unknown random stream {name!r}; known: {', '.join(STREAMS)}") from None
    return (replication, stream_id, *entity)


def stream(seed: int, replication: int, name: str, *entity: int) -> np.random.Generator:
    """The generator of one named stream.

    Parameters
    ----------
    seed : int
        Root seed of the run (``run.seed``).
    replication : int
        Replication number, from 0.
    name : str
        One of :data:`STREAMS`.
    *entity : int
        Further address, e.g. the territory and machine number.
    """
    ss = np.random.SeedSequence(seed, spawn_key=stream_key(replication, name, *entity))
    return np.random.Generator(np.random.PCG64(ss))


def design_seed(seed: int, index: int) -> int:
    """Root seed of design point ``index`` for a procedure that needs independent designs.

    Drawn from the named stream ``design_seed`` (replication 0 of the run's seed) rather
    than by seed arithmetic, which could hand one design another run's seed.
    """
    return int(stream(seed, 0, "design_seed", index).integers(2**63))
