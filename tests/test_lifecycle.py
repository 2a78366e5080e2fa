"""A call's life as a state machine: the phases a call goes through, step by step.

One technician, one part type with no van stock (every repair finds it missing), lead
time 10 h from the supplier, travel 1 h, repair 2 h; the phase is read at chosen instants.
"""

from __future__ import annotations

import tomllib

import pytest
import simpy

from sim.config import validate_scenario
from sim.model import make_policy
from sim.model.build import _parts_rules
from sim.model.calls import Call, Phase
from sim.model.geography import Geometry
from sim.model.team import Team
from sim.model.technician import crew
from sim.monitors import MonitorSpec
from sim.system import ServiceSystem

PARTS = """
[fleet]
calls_per_h = 1.0

[parts]
shortage = "{rule}"
use_depot = false
supplier_lead_time_h = {{ dist = "deterministic", value = 10.0 }}
emergency_h = {{ dist = "deterministic", value = 3.0 }}
failed_visit_h = {{ dist = "deterministic", value = 0.5 }}

[[parts.types]]
name = "fuser"
p_need = 1.0
van = {{ S = 0 }}
"""


def phases_of_one_call(rule: str, at: list[float]) -> tuple[list[Phase], Team, Call]:
    env = simpy.Environment()
    recorder = MonitorSpec(["standard"], [None], [1.0], 1, 8.0, parts=True).build()
    scenario = validate_scenario(tomllib.loads(PARTS.format(rule=rule)), "<lifecycle>")
    rules = _parts_rules(env, ServiceSystem.from_scenario(scenario), 0, recorder, 1, range(1))
    assert rules is not None
    team = Team(env, crew([0], vans=rules.system.vans), make_policy("fifo", [1]), recorder, parts=rules)
    call = Call(0, -1, 0, 0, 0, 1.0, 2.0, 0.0)
    call.parts = (0,)
    seen: list[Phase] = []

    def watch(env: simpy.Environment):
        team.log_call(call)
        for t in at:
            yield env.timeout(t - env.now)
            seen.append(call.phase)

    env.process(watch(env))
    env.run(until=at[-1] + 1.0)
    return seen, team, call


def test_revisit_travelling_leaving_away_then_back_in_line():
    """Revisit: on site at 1 without the part, leaves at 1.5 (LEAVING), away until the
    unit ordered at 1 comes (11), dispatched again at once: travels 11-12, repairs 12-14."""
    seen, team, call = phases_of_one_call("revisit", [0.5, 1.2, 5.0, 11.5, 13.0, 14.5])
    P = Phase
    assert seen == [P.TRAVELLING, P.LEAVING, P.AWAY, P.TRAVELLING, P.REPAIRING, P.DONE]
    assert call.visits == 2 and call.part_wait == pytest.approx(10.0)
    assert team.crew[0].call is None and list(team.free) == [0]


def test_wait_on_site_awaiting_part_then_repairing():
    """Wait: on site at 1, waits for the unit until 11, repairs 11-13."""
    seen, _, call = phases_of_one_call("wait", [0.5, 5.0, 12.0, 13.5])
    P = Phase
    assert seen == [P.TRAVELLING, P.AWAITING_PART, P.REPAIRING, P.DONE]
    assert call.visits == 1 and call.part_wait == pytest.approx(10.0)


def test_emergency_shipment_ends_the_wait_on_site():
    """Emergency: on site at 1, the unit is shipped in 3 h (4), repairs 4-6; the
    technician works on the call throughout."""
    seen, _, call = phases_of_one_call("emergency", [0.5, 2.0, 5.0, 6.5])
    P = Phase
    assert seen == [P.TRAVELLING, P.AWAITING_PART, P.REPAIRING, P.DONE]
    assert call.part_wait == pytest.approx(3.0)


def test_returning_to_base_after_the_repair():
    """10 x 10 km, base (5, 5), 10 km/h: a call at (8, 9) is 0.5 h away, repaired 0.5-1.5,
    then the technician drives 0.5 h back (RETURNING) and is released at 2.0 (DONE)."""
    env = simpy.Environment()
    recorder = MonitorSpec(["standard"], [None], [1.0], 1, 8.0).build()
    geometry = Geometry(10.0, 10.0, 1, False, 1.0, 10.0)
    members = crew([0], geometry=geometry)
    team = Team(env, members, make_policy("fifo", [1]), recorder, geometry=geometry, return_to_base=True)
    call = Call(0, -1, 0, 0, 0, 0.0, 1.0, 0.0, x=8.0, y=9.0)
    seen: list[tuple[Phase, object]] = []

    def watch(env: simpy.Environment):
        team.log_call(call)
        for t in (0.25, 1.0, 1.75, 2.5):
            yield env.timeout(t - env.now)
            seen.append((call.phase, members[0].call))

    env.process(watch(env))
    env.run(until=3.0)
    P = Phase
    assert seen == [(P.TRAVELLING, call), (P.REPAIRING, call), (P.RETURNING, call), (P.DONE, None)]
    assert members[0].position == members[0].base == (5.0, 5.0)
