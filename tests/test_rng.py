"""Named random streams and the common-random-numbers property they give the model.

ARCHITECTURE rule 1: every draw comes from ``SeedSequence(seed,
spawn_key=(replication, stream_id[, entity]))``; what a call will need is
drawn from streams keyed by its source, so changing staffing or policy does
not shift any other draw.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from scenario_data import toml_data, variant

from sim.rng import NAMED_STREAMS, STREAMS, stream, stream_key

# ---------------------------------------------------------------------------
# Streams


def test_same_address_gives_the_same_numbers():
    """A stream is a pure function of (seed, replication, name, entity)."""
    a = stream(7, 0, "repair", 3).random(20)
    b = stream(7, 0, "repair", 3).random(20)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "other",
    [
        (8, 0, "repair", 3),  # another root seed
        (7, 1, "repair", 3),  # another replication
        (7, 0, "travel", 3),  # another stream
        (7, 0, "repair", 4),  # another entity
        (7, 0, "repair", 3, 0),  # a longer address
        (7, 0, "repair"),  # no entity
    ],
)
def test_any_other_address_gives_other_numbers(other):
    """Changing any part of the address gives an unrelated stream."""
    a = stream(7, 0, "repair", 3).random(20)
    b = stream(*other).random(20)
    assert not np.any(a == b)


def test_stream_key_is_replication_then_stream_number_then_entity():
    """The spawn key is (replication, stream id, *entity)."""
    assert stream_key(4, "failure", 2, 9) == (4, 0, 2, 9)
    assert stream_key(0, "travel") == (0, STREAMS.index("travel"))


def test_stream_numbers_are_append_only():
    """Existing streams keep their numbers (old results stay reproducible)."""
    assert STREAMS[:18] == (
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
    )
    assert len(set(STREAMS)) == len(STREAMS)


#: every named stream's spawn key for replication 3 and entity (7, 5) (or none), written
#: out by hand: the addresses the releases before the names used, so results stay the same
PINNED_KEYS = {
    "failure": ((7,), (3, 0, 7)),
    "breakdown_gap": ((7,), (3, 0, 7)),
    "breakdown_machine": ((7,), (3, 0, 7, 1)),
    "arrival": ((7,), (3, 1, 7)),
    "repair": ((7,), (3, 2, 7)),
    "travel": ((7,), (3, 3, 7)),
    "service_class": ((7,), (3, 4, 7)),
    "machine_location": ((7,), (3, 5, 7)),
    "call_location": ((7,), (3, 5, 7)),
    "parts": ((7,), (3, 6, 7)),
    "part_quantity": ((7, 5), (3, 7, 7, 5)),
    "fix": ((7,), (3, 8, 7)),
    "supplier_to_depot": ((7, 5), (3, 9, 0, 7, 5)),
    "depot_to_van": ((7, 5), (3, 9, 1, 7, 5)),
    "supplier_to_van": ((7, 5), (3, 9, 2, 7, 5)),
    "emergency": ((7,), (3, 10, 7)),
    "failed_visit": ((), (3, 11)),
    "travel_from_base": ((7,), (3, 12, 7)),
    "design_seed": ((7,), (3, 13, 7)),
    "repeat": ((7,), (3, 14, 7)),
    "repeat_after": ((7,), (3, 15, 7)),
    "internal_task": ((7,), (3, 16, 7)),
    "job_arrival": ((7, 5), (3, 17, 0, 7, 5)),
    "job_duration": ((7, 5), (3, 17, 1, 7, 5)),
    "job_travel": ((7, 5), (3, 17, 2, 7, 5)),
    "job_travel_from_base": ((7, 5), (3, 17, 3, 7, 5)),
    "helpdesk_handling": ((7,), (3, 18, 0, 7)),
    "helpdesk_remote": ((7,), (3, 18, 1, 7)),
    "helpdesk_remote_h": ((7,), (3, 18, 2, 7)),
    "pm_start": ((42,), (3, 19, 0, 42)),
    "pm_duration": ((42,), (3, 19, 1, 42)),
    "pm_travel": ((42,), (3, 19, 2, 42)),
    "pm_travel_from_base": ((42,), (3, 19, 3, 42)),
    "visit_start": ((7, 5), (3, 20, 0, 7, 5)),
    "visit_duration": ((7, 5), (3, 20, 1, 7, 5)),
    "visit_travel": ((7, 5), (3, 20, 2, 7, 5)),
    "visit_travel_from_base": ((7, 5), (3, 20, 3, 7, 5)),
    "service_life": ((7,), (3, 21, 7)),
    "contract_status": ((7,), (3, 22, 7)),
    "installation_duration": ((7,), (3, 23, 0, 7)),
    "installation_travel": ((7,), (3, 23, 1, 7)),
    "installation_travel_from_base": ((7,), (3, 23, 2, 7)),
    "contractor_response": ((4,), (3, 24, 0, 4)),
    "contractor_repair": ((4,), (3, 24, 1, 4)),
    "contractor_fix": ((4,), (3, 24, 2, 4)),
    "complaint_draw": ((7, 4), (3, 25, 0, 7, 4)),
    "complaint_handling": ((7, 4), (3, 25, 1, 7, 4)),
    "appointment_preferred_day": ((7,), (3, 26, 7)),
    "appointment_preferred_time": ((7,), (3, 26, 7, 1)),
    "skill_need": ((7,), (3, 27, 0, 7)),
    "skill_fix": ((7,), (3, 27, 1, 7)),
    "skill_escalation": ((7,), (3, 27, 2, 7)),
    "skill_escalated_repair": ((7,), (3, 27, 3, 7)),
    "skill_expert_handling": ((7,), (3, 27, 4, 7)),
    "skill_expert_fix": ((7,), (3, 27, 5, 7)),
}


@pytest.mark.parametrize("name", sorted(PINNED_KEYS))
def test_every_named_stream_keeps_its_spawn_key(name):
    """Each use of randomness maps to a fixed spawn key (a renamed or re-addressed stream
    would change every result drawn from it)."""
    entity, key = PINNED_KEYS[name]
    assert stream_key(3, name, *entity) == key


def test_every_named_stream_is_pinned():
    """A new named stream must get its key pinned above; names are unique."""
    names = [s.name for s in NAMED_STREAMS]
    assert len(set(names)) == len(names)
    assert set(names) == set(PINNED_KEYS)


def test_the_numbered_parents_are_not_names_the_model_can_ask_for():
    """'lead_time' and 'location' only number streams: each use has its own name."""
    for parent in ("lead_time", "location"):
        with pytest.raises(ValueError, match="unknown random stream"):
            stream_key(0, parent, 1)


def test_streams_sharing_a_number_are_told_apart_by_their_address():
    """The three lead-time uses draw different numbers for the same depot/technician and type."""
    draws = [
        stream(5, 0, n, 2, 1).random(8) for n in ("supplier_to_depot", "depot_to_van", "supplier_to_van")
    ]
    assert not np.any(draws[0] == draws[1]) and not np.any(draws[1] == draws[2])


def test_stream_is_the_documented_seed_sequence():
    """stream() is SeedSequence(seed, spawn_key=key) through PCG64, nothing else."""
    ss = np.random.SeedSequence(11, spawn_key=(2, STREAMS.index("arrival"), 5))
    expected = np.random.Generator(np.random.PCG64(ss)).random(10)
    np.testing.assert_array_equal(stream(11, 2, "arrival", 5).random(10), expected)


def test_unknown_stream_name_raises():
    """A misspelt stream name is an error listing the known names."""
    with pytest.raises(ValueError, match=r"unknown random stream 'repairs'.*failure"):
        stream(1, 0, "repairs")


def test_streams_ignore_numpy_global_state():
    """No global state: seeding numpy's legacy generator changes nothing."""
    np.random.seed(1)
    a = stream(3, 0, "failure", 0).random(5)
    np.random.seed(2)
    b = stream(3, 0, "failure", 0).random(5)
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# Common random numbers at model level
#
# Every finished call is logged by the recorder (keep_calls=True), and the
# runs are matched by call number, by machine, or by breakdown instant.

POISSON_CALLS = toml_data("""
[run]
horizon_h = 3000.0
warmup_h = 0.0
seed = 31

[fleet]
calls_per_h = 0.3
classes = [
  { name = "a", share = 0.3 },
  { name = "b", share = 0.7 },
]

[territories]
technicians = 1

[travel]
time_h = { dist = "uniform", low = 0.1, high = 0.5 }

[repair]
time_h = { dist = "exponential", mean = 2.0 }
""")

FINITE_FLEET = toml_data("""
[run]
horizon_h = 3000.0
warmup_h = 0.0
seed = 37

[fleet]
machines = 20
time_to_failure_h = { dist = "weibull", mean = 40.0, shape = 1.5 }

[territories]
technicians = 1

[repair]
time_h = { dist = "gamma", mean = 2.0, cv = 0.8 }
""")


def staffed(base: dict[str, Any], technicians: int) -> dict[str, Any]:
    """The scenario ``base`` with ``technicians`` per territory."""
    return variant(base, {"territories.technicians": technicians})


def test_poisson_calls_are_the_same_whatever_the_staffing(make_scenario, run_one):
    """With Poisson calls, 1 or 2 technicians see the same calls: each call number is
    logged at the same time and needs the same class, trip and repair."""
    one, _ = run_one(make_scenario(staffed(POISSON_CALLS, 1)), keep_calls=True)
    two, _ = run_one(make_scenario(staffed(POISSON_CALLS, 2)), keep_calls=True)
    calls1 = {c.number: c for c in one.calls}
    calls2 = {c.number: c for c in two.calls}
    common = calls1.keys() & calls2.keys()
    assert len(common) > 800  # about 900 calls in 3000 h
    assert len(common) >= 0.97 * len(calls2)
    for n in common:
        a, b = calls1[n], calls2[n]
        assert (a.logged_at, a.repair_h, a.travel_h, a.service_class) == (
            b.logged_at,
            b.repair_h,
            b.travel_h,
            b.service_class,
        ), n
    # ... while the staffing did change what happened to them
    assert any(calls1[n].dispatched_at != calls2[n].dispatched_at for n in common)


def _repairs_by_machine(calls) -> dict[int, list[float]]:
    by_machine: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for c in calls:
        by_machine[c.machine].append((c.failed_at, c.repair_h))
    return {m: [r for _, r in sorted(v)] for m, v in by_machine.items()}


def test_finite_fleet_machines_draw_the_same_repairs_whatever_the_staffing(make_scenario, run_one):
    """With a finite fleet, staffing moves the breakdowns in time but each machine's
    k-th repair still takes the same time (compare the calls both runs completed)."""
    one, _ = run_one(make_scenario(staffed(FINITE_FLEET, 1)), keep_calls=True)
    two, _ = run_one(make_scenario(staffed(FINITE_FLEET, 2)), keep_calls=True)
    rep1, rep2 = _repairs_by_machine(one.calls), _repairs_by_machine(two.calls)
    assert rep1.keys() == rep2.keys() == set(range(20))
    compared = 0
    for m in rep1:
        k = min(len(rep1[m]), len(rep2[m]))
        assert rep1[m][:k] == rep2[m][:k], m
        compared += k
    assert compared > 1000  # about 70 calls per machine in 3000 h
    # ... and the staffing really did change the breakdown times
    failed1 = sorted(c.failed_at for c in one.calls)
    failed2 = sorted(c.failed_at for c in two.calls)
    assert failed1 != failed2


def test_finite_fleet_first_breakdowns_do_not_depend_on_staffing(make_scenario, run_one):
    """Each machine's first breakdown (its residual life at time 0) is drawn from its own
    stream, so it happens at the same moment with 1 or 2 technicians."""
    one, _ = run_one(make_scenario(staffed(FINITE_FLEET, 1)), keep_calls=True)
    two, _ = run_one(make_scenario(staffed(FINITE_FLEET, 2)), keep_calls=True)

    def first(calls):
        out: dict[int, float] = {}
        for c in calls:
            out[c.machine] = min(out.get(c.machine, np.inf), c.failed_at)
        return out

    assert first(one.calls) == first(two.calls)


EXPONENTIAL_FLEET = variant(FINITE_FLEET, {"fleet.time_to_failure_h": {"dist": "exponential", "mean": 40.0}})


def test_exponential_fleet_breakdowns_keep_their_needs_whatever_the_staffing(make_scenario, run_one):
    """An exponential fleet is a thinned Poisson stream of breakdown candidates per
    territory (sim/model/fleet.py ExponentialFleet): a breakdown that happens in both
    runs happens at the same instant, to the same machine, with the same needs."""
    one, _ = run_one(make_scenario(staffed(EXPONENTIAL_FLEET, 1)), keep_calls=True)
    two, _ = run_one(make_scenario(staffed(EXPONENTIAL_FLEET, 2)), keep_calls=True)
    at1 = {(c.territory, c.failed_at): c for c in one.calls}
    at2 = {(c.territory, c.failed_at): c for c in two.calls}
    common = at1.keys() & at2.keys()
    assert len(common) > 0.8 * min(len(at1), len(at2)) > 800
    for key in common:
        a, b = at1[key], at2[key]
        assert (a.machine, a.repair_h, a.service_class) == (b.machine, b.repair_h, b.service_class)
    assert at1.keys() != at2.keys()  # staffing did change which candidates became calls


def test_replications_use_different_random_numbers(make_scenario, run_one):
    """Replication 1 is not a copy of replication 0."""
    sc = make_scenario(staffed(POISSON_CALLS, 1))
    r0, _ = run_one(sc, 0, keep_calls=True)
    r1, _ = run_one(sc, 1, keep_calls=True)
    assert [c.logged_at for c in r0.calls[:50]] != [c.logged_at for c in r1.calls[:50]]
