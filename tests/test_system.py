"""The resolved service system (sim.system): what a planner would say the scenario is.

Stories: a scenario file resolves into the teams, sources, travel, classes and parts a
planner describes; every distribution the system holds is built, with the scenario's
mean (no second table of means); the system is frozen all the way down.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from sim.calendar import WeeklyCalendar
from sim.config import DIST_KINDS, expand_sweep, load_scenario, spec_mean, validate_scenario
from sim.distributions import Distribution
from sim.system import (
    FiniteFleet,
    GeometryTravel,
    PoissonCalls,
    ServiceSystem,
    TimeTravel,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").rglob("*.toml"))


def _points(path: Path) -> list[Any]:
    return [p.scenario for p in expand_sweep(load_scenario(path), str(path))]


def _dupit_teams() -> Any:
    """Dupit's proposal 3 in its geography view: teams of three territories."""
    return validate_scenario(
        {
            "meta": {"name": "teams-of-three"},
            "fleet": {
                "machines": 150,
                "time_to_failure_h": {"dist": "weibull", "mean": 400.0, "shape": 1.5},
                "classes": [
                    {"name": "contract", "share": 0.4, "priority": 1, "sla_h": 4.0, "penalty": 50.0},
                    {"name": "pay-per-call", "share": 0.6, "priority": 2, "sla_h": 8.0},
                ],
            },
            "territories": {"count": 6, "technicians": 2, "pooled": 3, "width_km": 15.0, "height_km": 10.0},
            "travel": {"mode": "geometry", "speed_kmh": 40.0, "circuity": 1.3, "metric": "rectilinear"},
            "repair": {"time_h": {"dist": "gamma", "mean": 1.75, "cv": 0.5}},
            "dispatch": {"policy": "priority"},
            "costs": {"technician_per_h": 30.0, "sla_penalty": 20.0},
            "report": {"wait_thresholds_h": [2.0, 24.0]},
        }
    )


# ---------------------------------------------------------------------------
# Story: a scenario resolves into the system a planner would describe


def test_teams_technicians_and_territories_are_the_planners_counts():
    system = ServiceSystem.from_scenario(_dupit_teams())
    # 6 territories pooled by 3: two teams of 3 territories x 2 technicians
    assert system.teams == 2
    assert system.team.territories == 3
    assert system.team.technicians == 6
    assert system.technicians == 12
    # technicians are numbered territory by territory: two at home in each territory
    assert system.team.home == (0, 0, 1, 1, 2, 2)
    # a call tries its own territory's technicians first, then the neighbours'
    assert [order[:2] for order in system.team.preference] == [(0, 1), (2, 3), (4, 5)]
    assert all(sorted(order) == list(range(6)) for order in system.team.preference)
    assert system.territories.grid == (3, 1)


def test_a_finite_fleet_keeps_its_life_law_and_machine_counts():
    system = ServiceSystem.from_scenario(_dupit_teams())
    source = system.source
    assert isinstance(source, FiniteFleet) and source.finite
    assert source.per_territory == (150, 150, 150)
    assert source.machines_per_team == 450
    assert source.life.name == "weibull" and source.life.mean == 400.0
    assert not source.life.is_exponential


def test_classes_carry_priority_promise_and_resolved_penalty():
    system = ServiceSystem.from_scenario(_dupit_teams())
    contract, paid = system.classes
    assert (contract.name, contract.share, contract.priority, contract.sla_h) == ("contract", 0.4, 1, 4.0)
    assert contract.sla_penalty == 50.0  # its own penalty
    assert paid.sla_penalty == 20.0  # the costs' default penalty
    assert system.dispatch.policy == "priority"
    assert system.report.wait_kpi_names == ("p_wait_gt_2h", "p_wait_gt_24h")
    assert system.costs is not None and system.costs.technician_per_h == 30.0


def test_geometry_travel_draws_no_time_of_its_own():
    system = ServiceSystem.from_scenario(_dupit_teams())
    travel = system.travel
    assert isinstance(travel, GeometryTravel) and system.geometry
    assert (travel.metric, travel.circuity, travel.speed_kmh) == ("rectilinear", 1.3, 40.0)
    assert travel.rectilinear and travel.noise is None
    assert travel.per_call.is_zero  # the trip is distance / speed, nothing is added
    assert (system.territories.width_km, system.territories.height_km) == (15.0, 10.0)


def test_unequal_territories_split_machines_and_calls_by_weight(make_scenario):
    finite = ServiceSystem.from_scenario(
        make_scenario(
            """
            [fleet]
            machines = 10
            time_to_failure_h = { dist = "exponential", mean = 40.0 }
            [territories]
            count = 2
            pooled = 2
            weights = [6.0, 14.0]
            """
        )
    )
    assert isinstance(finite.source, FiniteFleet)
    assert finite.source.per_territory == (6, 14)
    assert finite.territories.call_shares == (0.3, 0.7)
    assert finite.territories.unequal
    poisson = ServiceSystem.from_scenario(
        make_scenario(
            """
            [fleet]
            calls_per_h = 0.5
            [territories]
            count = 4
            pooled = 2
            weights = [1.0, 3.0]
            """
        )
    )
    source = poisson.source
    assert isinstance(source, PoissonCalls) and not source.finite
    assert source.per_territory == (0.25, 0.75)  # the team's 1 call/h in the weights' shares
    assert math.isclose(source.calls_per_team_h, sum(source.per_territory))
    assert poisson.teams == 2


def test_parts_and_other_first_time_fix_causes(make_scenario):
    system = ServiceSystem.from_scenario(
        make_scenario(
            """
            [fleet]
            calls_per_h = 0.2
            [parts]
            shortage = "revisit"
            p_other_failure = 0.1
            supplier_lead_time_h = { dist = "gamma", mean = 48.0, cv = 0.5 }
            [[parts.types]]
            name = "drum"
            p_need = 0.3
            quantity = { dist = "uniform", low = 1, high = 3 }
            van = { S = 2 }
            depot = { policy = "sS", s = 1, S = 5 }
            [[parts.types]]
            name = "fuser"
            p_need = 0.05
            """
        )
    )
    parts = system.parts
    assert parts is not None and parts.shortage == "revisit"
    drum, fuser = parts.types
    assert drum.van is not None and (drum.van.policy, drum.van.S, drum.van.s) == ("base_stock", 2, None)
    assert drum.depot is not None and (drum.depot.policy, drum.depot.s, drum.depot.S) == ("sS", 1, 5)
    assert drum.quantity is not None and drum.quantity.mean == 2.0
    assert fuser.quantity is None and fuser.van is None
    assert parts.batches
    assert parts.supplier_lead_time.name == "gamma" and parts.supplier_lead_time.mean == 48.0
    # the other cause of a failed visit belongs to the repair
    assert system.repair.p_other_failure == 0.1
    assert (
        ServiceSystem.from_scenario(make_scenario("[fleet]\ncalls_per_h = 0.2")).repair.p_other_failure == 0
    )


def test_shift_calendar_gives_the_clocks(make_scenario):
    system = ServiceSystem.from_scenario(
        make_scenario(
            """
            [fleet]
            calls_per_h = 0.2
            [calendar]
            shifts = [{ days = ["mon", "tue", "wed", "thu", "fri"], start = "08:00", end = "16:00" }]
            breakdowns = "customer_hours"
            sla_clock = "business"
            """
        )
    )
    cal = system.calendar
    assert isinstance(cal.shifts, WeeklyCalendar) and cal.shifts.hours_per_week == 40.0
    assert cal.customer_hours == cal.shifts  # customer hours default to the shifts
    assert cal.uptime_clock is cal.customer_hours and cal.sla_calendar is cal.customer_hours
    assert cal.clock_share == 40.0 / 168.0
    assert cal.day_length_h == 168.0 / 5
    continuous = ServiceSystem.from_scenario(make_scenario("[fleet]\ncalls_per_h = 0.2")).calendar
    assert continuous.shifts is None and continuous.uptime_clock is None and continuous.clock_share == 1.0


def test_a_sweep_gives_one_system_per_design_point():
    """Each design point resolves on its own: the swept key changes the system."""
    points = _points(ROOT / "scenarios" / "dupit" / "proposal3_teams.toml")
    systems = [ServiceSystem.from_scenario(sc) for sc in points]
    assert sorted({s.team.territories for s in systems}) == [1, 2, 3, 4]
    kinds = {type(s.travel) for s in systems}
    assert kinds == {TimeTravel, GeometryTravel}  # the two variants
    assert all(s.teams * s.team.territories == 12 for s in systems)


# ---------------------------------------------------------------------------
# Story: every distribution is built once, with the scenario's mean


def _specs(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every distribution table of a validated scenario, with its dotted key."""
    if isinstance(node, BaseModel):
        if getattr(node, "dist", None) in DIST_KINDS:
            yield path, node
            return
        for name in type(node).model_fields:
            if name in ("sweep", "variants"):
                continue
            yield from _specs(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _specs(item, f"{path}[{i}]")


def _built(system: ServiceSystem, key: str) -> Distribution | None:
    """The system's distribution for a scenario key (``None``: the key is not used, e.g.
    the trip time of a geometry scenario); a key this does not know fails the test."""
    parts = system.parts
    travel = system.travel
    if key.startswith("parts.types["):
        assert parts is not None
        index, _, attr = key[len("parts.types[") :].partition("].")
        assert attr == "quantity", key
        return parts.types[int(index)].quantity
    table: dict[str, Any] = {
        "fleet.time_to_failure_h": getattr(system.source, "life", None),
        "repair.time_h": system.repair.time,
        "travel.time_h": travel.time if isinstance(travel, TimeTravel) else None,
        "travel.from_base_h": travel.from_base if isinstance(travel, TimeTravel) else None,
        "travel.noise_h": travel.noise if isinstance(travel, GeometryTravel) else None,
        "work.internal.task_h": system.internal.task if system.internal is not None else None,
    }
    if system.repeats is not None:
        table["repair.repeat.after_h"] = system.repeats.after
    if system.lifecycle is not None:
        table["fleet.lifecycle.life_h"] = system.lifecycle.life
        if system.lifecycle.installation is not None:
            job = system.work_types[system.lifecycle.installation]
            table["fleet.lifecycle.installation.duration_h"] = job.duration
    for i, t in enumerate(system.work_types):
        table[f"work.types[{i}].duration_h"] = t.duration
    if system.maintenance is not None:
        table["work.maintenance.duration_h"] = system.maintenance.duration
    if system.visits is not None:
        table["work.visits.duration_h"] = system.visits.duration
    if system.helpdesk is not None:
        table["helpdesk.handling_h"] = system.helpdesk.handling
        table["helpdesk.remote_h"] = system.helpdesk.remote
    if system.skills is not None and system.skills.remote is not None:
        table["skills.escalation.remote.handling_h"] = system.skills.remote.handling
    if system.contractor is not None:
        table["contractor.response_h"] = system.contractor.response
        table["contractor.repair_h"] = system.contractor.repair
    if system.complaints is not None:
        table["complaints.handling_h"] = system.complaints.handling
    if parts is not None:
        table |= {
            "parts.supplier_lead_time_h": parts.supplier_lead_time,
            "parts.depot_to_van_h": parts.depot_to_van,
            "parts.emergency_h": parts.emergency,
            "parts.failed_visit_h": parts.failed_visit,
        }
    assert key in table, f"the system holds no distribution for {key}"
    return table[key]


#: the geometry scenarios' unused default trip time
UNUSED = {("geometry", "travel.time_h")}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_built_distribution_has_the_scenarios_mean(path):
    checked = 0
    for sc in _points(path):
        system = ServiceSystem.from_scenario(sc)
        for key, spec in _specs(sc):
            built = _built(system, key)
            if (sc.travel.mode, key) in UNUSED:
                assert built is None
                continue
            assert isinstance(built, Distribution), key
            assert built.name == spec.dist, key
            if spec.dist == "empirical":  # (a weighted mean summed in another order)
                assert math.isclose(built.mean, spec_mean(spec), rel_tol=1e-12), key
            else:
                assert built.mean == spec_mean(spec), key
            checked += 1
    assert checked >= len(_points(path))  # at least each point's repair


def test_optional_distributions_are_absent_when_not_given(make_scenario):
    system = ServiceSystem.from_scenario(make_scenario("[fleet]\ncalls_per_h = 0.2"))
    assert isinstance(system.travel, TimeTravel)
    assert system.travel.from_base is None
    assert system.travel.per_call is system.travel.time and system.travel.time.is_zero
    assert system.parts is None and system.costs is None


# ---------------------------------------------------------------------------
# Story: frozen all the way down


def _walk(obj: Any, path: str = "system") -> Iterator[tuple[str, Any]]:
    yield path, obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, tuple):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_system_is_frozen_and_holds_no_mutable_container(path):
    for sc in _points(path):
        system = ServiceSystem.from_scenario(sc)
        nodes = list(_walk(system))
        for where, node in nodes:
            assert not isinstance(node, list | dict | set | BaseModel), f"{where} is a {type(node).__name__}"
            if dataclasses.is_dataclass(node):
                params = getattr(type(node), "__dataclass_params__", None)
                assert params is not None and params.frozen, f"{where} is not frozen"
        hash(system)  # every part is immutable, so the whole system is hashable
        assert ServiceSystem.from_scenario(sc) == system  # resolving is deterministic


def test_assigning_to_the_system_raises():
    system = ServiceSystem.from_scenario(_dupit_teams())
    with pytest.raises(dataclasses.FrozenInstanceError):
        system.teams = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        system.team.technicians = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        system.classes[0].share = 1.0  # type: ignore[misc]


LEAD_TIMES = ("supplier_lead_time_h", "depot_to_van_h", "emergency_h", "failed_visit_h")

#: one table of every kind the scenario files accept
EVERY_KIND = {
    "exponential": {"dist": "exponential", "mean": 2.0},
    "deterministic": {"dist": "deterministic", "value": 2.0},
    "gamma": {"dist": "gamma", "mean": 2.0, "cv": 0.5},
    "erlang": {"dist": "erlang", "mean": 2.0, "k": 3},
    "lognormal": {"dist": "lognormal", "mean": 2.0, "cv": 0.7},
    "weibull": {"dist": "weibull", "mean": 2.0, "shape": 1.5},
    "uniform": {"dist": "uniform", "low": 1.0, "high": 3.5},
    "empirical": {"dist": "empirical", "values": [0.5, 1.0, 4.0], "weights": [1.0, 2.0, 0.7]},
}


def test_every_distribution_kind_is_covered():
    assert set(EVERY_KIND) == set(DIST_KINDS)


@pytest.mark.parametrize("kind", sorted(EVERY_KIND))
def test_each_kind_builds_with_its_mean_and_variance(kind):
    table = EVERY_KIND[kind]
    sc = validate_scenario(
        {
            "fleet": {"machines": 5, "time_to_failure_h": table},
            "repair": {"time_h": table},
            "travel": {"time_h": table, "from_base_h": table},
            "parts": {
                "types": [{"name": "p", "p_need": 0.5, "quantity": table}],
                **dict.fromkeys(LEAD_TIMES, table),
            },
        }
    )
    system = ServiceSystem.from_scenario(sc)
    found = list(_specs(sc))
    assert len(found) == 9  # life, repair, 2 trips, quantity, 4 lead/visit times
    for key, spec in found:
        built = _built(system, key)
        assert built is not None and built.name == kind, key
        assert math.isclose(built.mean, spec_mean(spec), rel_tol=1e-12), key
    assert system.repair.time.variance > 0 or kind == "deterministic"


@pytest.mark.parametrize("kind", sorted(EVERY_KIND))
def test_a_spec_builds_what_its_table_describes(kind):
    """``spec.build()`` (what the system holds) gives the distribution that the raw table
    gives, and draws the same numbers from the same generator."""
    import numpy as np

    from sim.distributions import from_spec

    spec = validate_scenario(
        {"fleet": {"calls_per_h": 1.0}, "repair": {"time_h": EVERY_KIND[kind]}}
    ).repair.time_h
    built, from_table = spec.build(), from_spec(dict(EVERY_KIND[kind]))
    assert type(built) is type(from_table) and built == from_table
    a = built.sample(np.random.default_rng(5), 50)
    b = from_table.sample(np.random.default_rng(5), 50)
    assert a.tobytes() == b.tobytes()
