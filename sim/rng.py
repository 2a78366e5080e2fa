"""Named random streams.

Every random draw in a run comes from a stream addressed by
``SeedSequence(seed, spawn_key=(replication, stream_id, *prefix, *entity, *suffix))``.
The address does not depend on staffing, dispatch or the order in which events
happen, so replication ``r`` of every design point sees the same failures and
the same call needs (common random numbers), and any single replication can
be re-run alone with identical output.

Each use of randomness has its own name (:data:`NAMED_STREAMS`): the model asks for
``"depot_to_van"``, never for ``"lead_time"`` with a number in front.  Several uses
share one stream number and are told apart by a fixed ``prefix`` or ``suffix``
(kept from the releases where they were spelled with numbers, so that results stay
reproducible); the test suite pins every name's spawn key.

Stream numbers are append-only: adding a stream never renumbers existing ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Stream numbers; the index is part of the address, so only ever append.
STREAMS: tuple[str, ...] = (
    "failure",
    "arrival",
    "repair",
    "travel",
    "service_class",
    "location",
    "parts",
    "part_quantity",
    "fix",
    "lead_time",
    "emergency",
    "failed_visit",
    "travel_from_base",
    "design_seed",
    "repeat",
    "repeat_after",
    "internal_task",
    "job",
    "helpdesk",
    "maintenance",
    "visit",
    "service_life",
    "contract_status",
    "installation",
    "contractor",
    "complaint",
    "appointment",
    "skill",
)


@dataclass(frozen=True)
class NamedStream:
    """One use of randomness and where its draws come from.

    Attributes
    ----------
    name : str
        What the model asks for.
    number : str
        The entry of :data:`STREAMS` whose index goes in the spawn key.
    entity : str
        What the entity numbers are (documentation).
    prefix, suffix : tuple of int
        Fixed parts of the address before and after the entity numbers.
    """

    name: str
    number: str
    entity: str
    prefix: tuple[int, ...] = ()
    suffix: tuple[int, ...] = ()


#: "source": the machine (Weibull fleet), or the territory (exponential fleet, Poisson calls);
#: the repeat calls of an exponential fleet draw their needs by machine, as (machine, 1)
NAMED_STREAMS: tuple[NamedStream, ...] = (
    NamedStream("failure", "failure", "machine: residual life at 0, then times to failure"),
    NamedStream("breakdown_gap", "failure", "territory: gaps between breakdown candidates"),
    NamedStream("breakdown_machine", "failure", "territory: which machine a candidate hits", suffix=(1,)),
    NamedStream("arrival", "arrival", "territory: gaps between Poisson calls"),
    NamedStream("repair", "repair", "source: on-site times"),
    NamedStream("travel", "travel", "source: travel times (geometry: noise added to the drive)"),
    NamedStream("travel_from_base", "travel_from_base", "source: trip time of a technician who was idle"),
    NamedStream("service_class", "service_class", "source: class of each call"),
    NamedStream("machine_location", "location", "territory: where its machines stand, (x, y) pairs"),
    NamedStream("call_location", "location", "territory: where each Poisson call is, x then y"),
    NamedStream("parts", "parts", "source: which part types a call needs (a uniform per type)"),
    NamedStream("part_quantity", "part_quantity", "source, part type: units needed"),
    NamedStream("fix", "fix", "source: whether a visit fixes the machine (other causes)"),
    NamedStream("supplier_to_depot", "lead_time", "depot, part type: supplier lead times", prefix=(0,)),
    NamedStream("depot_to_van", "lead_time", "depot, part type: depot-to-van transit times", prefix=(1,)),
    NamedStream("supplier_to_van", "lead_time", "technician, part type: lead times", prefix=(2,)),
    NamedStream("emergency", "emergency", "technician: emergency shipment times"),
    NamedStream("failed_visit", "failed_visit", "(none): time on site of a visit missing a part"),
    NamedStream("design_seed", "design_seed", "design point: its own root seed (independent designs)"),
    NamedStream("repeat", "repeat", "machine: whether each repair leaves the cause (a uniform per repair)"),
    NamedStream("repeat_after", "repeat_after", "machine: working time from a repair to its repeat failure"),
    NamedStream("internal_task", "internal_task", "technician: lengths of internal tasks, one after another"),
    NamedStream("job_arrival", "job", "job type, territory: gaps between the type's jobs", prefix=(0,)),
    NamedStream("job_duration", "job", "job type, territory: on-site times of the jobs", prefix=(1,)),
    NamedStream("job_travel", "job", "job type, territory: trip times of the jobs", prefix=(2,)),
    NamedStream("job_travel_from_base", "job", "job type, territory: trips of idle technicians", prefix=(3,)),
    NamedStream("helpdesk_handling", "helpdesk", "source: an agent's handling time per request", prefix=(0,)),
    NamedStream("helpdesk_remote", "helpdesk", "source: whether a request is resolved remotely", prefix=(1,)),
    NamedStream("helpdesk_remote_h", "helpdesk", "source: remote time of a remote resolution", prefix=(2,)),
    NamedStream("pm_start", "maintenance", "machine: where in its interval its plan starts", prefix=(0,)),
    NamedStream("pm_duration", "maintenance", "machine: on-site times of its planned visits", prefix=(1,)),
    NamedStream("pm_travel", "maintenance", "machine: trip times of its planned visits", prefix=(2,)),
    NamedStream("pm_travel_from_base", "maintenance", "machine: its visits' trips from base", prefix=(3,)),
    NamedStream("visit_start", "visit", "territory, customer: its first due time", prefix=(0,)),
    NamedStream("visit_duration", "visit", "territory, customer: on-site times of its visits", prefix=(1,)),
    NamedStream("visit_travel", "visit", "territory, customer: trip times of its visits", prefix=(2,)),
    NamedStream("visit_travel_from_base", "visit", "territory, customer: trips from base", prefix=(3,)),
    NamedStream(
        "service_life",
        "service_life",
        "machine: stationary length-biased life and uniform at 0, then service lives",
    ),
    NamedStream(
        "contract_status",
        "contract_status",
        "machine: under contract after the warranty (a uniform per installation)",
    ),
    NamedStream(
        "installation_duration", "installation", "territory: on-site times of installation jobs", prefix=(0,)
    ),
    NamedStream(
        "installation_travel", "installation", "territory: trip times of installation jobs", prefix=(1,)
    ),
    NamedStream(
        "installation_travel_from_base",
        "installation",
        "territory: installation trips of idle technicians",
        prefix=(2,),
    ),
    NamedStream("contractor_response", "contractor", "team: hand-over -> contractor on site", prefix=(0,)),
    NamedStream("contractor_repair", "contractor", "team: the contractor's times on site", prefix=(1,)),
    NamedStream("contractor_fix", "contractor", "team: does a contractor visit fix (a uniform)", prefix=(2,)),
    NamedStream(
        "complaint_draw",
        "complaint",
        "source, promise: does its breach raise a complaint (per call)",
        prefix=(0,),
    ),
    NamedStream(
        "complaint_handling",
        "complaint",
        "source, promise: a supervisor's time with the complaint",
        prefix=(1,),
    ),
    NamedStream(
        "appointment_preferred_day",
        "appointment",
        "territory: the customer's preferred day offset per booking",
    ),
    NamedStream(
        "appointment_preferred_time",
        "appointment",
        "territory: which preferred time of day a booked call has (a uniform per call)",
        suffix=(1,),
    ),
    NamedStream("skill_need", "skill", "source: the skill each call needs (a uniform per call)", prefix=(0,)),
    NamedStream(
        "skill_fix", "skill", "source: does a technician's visit fix (a uniform per visit)", prefix=(1,)
    ),
    NamedStream(
        "skill_escalation", "skill", "source: is a first visit escalated (a uniform each)", prefix=(2,)
    ),
    NamedStream("skill_escalated_repair", "skill", "source: repair times of escalated calls", prefix=(3,)),
    NamedStream(
        "skill_expert_handling", "skill", "source: a remote expert's time per escalated call", prefix=(4,)
    ),
    NamedStream(
        "skill_expert_fix",
        "skill",
        "source: is an escalated call fixed remotely (a uniform each)",
        prefix=(5,),
    ),
)

_BY_NAME = {s.name: (STREAMS.index(s.number), s.prefix, s.suffix) for s in NAMED_STREAMS}


def stream_key(replication: int, name: str, *entity: int) -> tuple[int, ...]:
    """Spawn key of the named stream of one replication (and entity)."""
    try:
        number, prefix, suffix = _BY_NAME[name]
    except KeyError:
        known = ", ".join(s.name for s in NAMED_STREAMS)
        raise ValueError(f"unknown random stream {name!r}; known: {known}") from None
    return (replication, number, *prefix, *entity, *suffix)


def stream(seed: int, replication: int, name: str, *entity: int) -> np.random.Generator:
    """The generator of one named stream.

    Parameters
    ----------
    seed : int
        Root seed of the run (``run.seed``).
    replication : int
        Replication number, from 0.
    name : str
        One of :data:`NAMED_STREAMS`.
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
