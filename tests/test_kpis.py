"""The KPI catalogue: the engine emits exactly its KPIs, and the docs are generated from it.

Three short feature-rich scenarios (built as data) together turn on every
condition under which a KPI is reported: shifts, costs, two part types with
revisits, pooled geometry and small teams (workloads), repeat repairs; the first-time-fix
revisits, pooled geometry and small teams (workloads), internal work; the first-time-fix
identity (one part type, revisits); and 20 territories (the spread across
territories).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pandas as pd
import pytest

from sim import kpi_doc, kpis
from sim.config import expand_sweep, validate_scenario
from sim.experiment.experiment import run_experiment
from sim.experiment.tables import kpi_names
from sim.system import ServiceSystem

BASE: dict[str, Any] = {
    "meta": {"name": "kpi-catalogue"},
    "run": {"horizon_h": 600.0, "warmup_h": 50.0, "replications": 1, "seed": 11},
    "fleet": {
        "machines": 40,
        "time_to_failure_h": {"dist": "exponential", "mean": 120.0},
        "classes": [
            {"name": "contract", "share": 0.3, "priority": 1, "sla_h": 4.0, "penalty": 100.0},
            {"name": "paid", "share": 0.7, "priority": 2},
        ],
    },
    "territories": {"count": 2, "technicians": 1, "pooled": 2},
    "travel": {"time_h": {"dist": "exponential", "mean": 0.3}},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "dispatch": {"policy": "priority"},
    "report": {"wait_thresholds_h": [0.5, 2.0]},
}


def _everything() -> dict[str, Any]:
    """Shifts, costs, geometry, two part types with revisits, a team of two, repeat repairs,
    internal work."""
    d = copy.deepcopy(BASE)
    d["calendar"] = {
        "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}],
        "wip": "overtime",
    }
    d["territories"].update(width_km=10.0, height_km=10.0)
    d["travel"] = {"mode": "geometry", "speed_kmh": 40.0}
    d["costs"] = {
        "technician_per_year": 50000.0,
        "travel_per_h": 20.0,
        "sla_penalty": 30.0,
        "downtime_per_machine_h": 5.0,
    }
    d["parts"] = {
        "shortage": "revisit",
        "p_other_failure": 0.05,
        "supplier_lead_time_h": {"dist": "exponential", "mean": 48.0},
        "depot_to_van_h": {"dist": "deterministic", "value": 8.0},
        "types": [
            {"name": "fuser", "p_need": 0.3, "unit_cost": 100.0, "van": {"S": 1}, "depot": {"S": 2}},
            {"name": "roller", "p_need": 0.2, "unit_cost": 20.0, "van": {"S": 1}, "depot": {"S": 2}},
        ],
    }
    d["repair"]["repeat"] = {"p": 0.2, "after_h": {"dist": "exponential", "mean": 24.0}}
    d["work"] = {"internal": {"mode": "when_idle", "task_h": {"dist": "gamma", "mean": 1.0, "cv": 0.5}}}
    return d


def _ftf_identity() -> dict[str, Any]:
    """One part type, one unit per call, revisits: the identity gap is reported."""
    d = copy.deepcopy(BASE)
    d["parts"] = {
        "shortage": "revisit",
        "supplier_lead_time_h": {"dist": "exponential", "mean": 48.0},
        "types": [{"name": "fuser", "p_need": 0.3, "van": {"S": 1}, "depot": {"S": 2}}],
    }
    return d


def _many_territories() -> dict[str, Any]:
    """20 Poisson territories: the spread of the mean wait across territories; a job type
    and a contractor (always for the job type, after a wait otherwise)."""
    d = copy.deepcopy(BASE)
    d["run"]["horizon_h"] = 300.0
    d["fleet"] = {"calls_per_h": 0.3}
    d["territories"] = {"count": 20, "technicians": 1, "pooled": 1}
    d["work"] = {
        "types": [
            {
                "name": "installation",
                "jobs_per_day": 0.4,
                "duration_h": {"dist": "gamma", "mean": 2.0, "cv": 0.5},
                "priority": 2,
                "target_h": 24.0,
                "revenue": 200.0,
                "cost": 30.0,
            }
        ]
    }
    d["contractor"] = {
        "when": "wait_over",
        "threshold_h": 2.0,
        "always": ["installation"],
        "capacity": 1,
        "response_h": {"dist": "exponential", "mean": 3.0},
        "first_time_fix": 0.8,
        "price": 100.0,
    }
    return d


def _helpdesk() -> dict[str, Any]:
    """A helpdesk before dispatch with a reply target and remote resolution; late replies
    (and any call) raise complaints; every call gets a satisfaction score."""
    d = copy.deepcopy(BASE)
    d["helpdesk"] = {
        "agents": 1,
        "handling_h": {"dist": "exponential", "mean": 0.3},
        "reply_target_h": 1.0,
        "remote_share": 0.3,
        "remote_h": {"dist": "exponential", "mean": 0.2},
    }
    d["complaints"] = {
        "supervisors": 1,
        "handling_h": {"dist": "exponential", "mean": 1.0},
        "deadline_h": 4.0,
        "probability": {"late_reply": 0.5, "any_call": 0.1},
    }
    d["satisfaction"] = {"per_response_h": 0.1, "broken": {"late_reply": 1.0}}
    return d


def _appointments() -> dict[str, Any]:
    """Booked paid calls in two-hour windows behind a helpdesk, urgent contract calls."""
    d = _helpdesk()
    d["run"]["horizon_h"] = 1200.0
    d["calendar"] = {
        "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00"}]
    }
    d["appointments"] = {"booked": ["paid"], "window_h": 2.0, "lead_h": 4.0, "job_h": 1.0, "held_back": 0.25}
    return d


def _lifecycle() -> dict[str, Any]:
    """Contract status and service lives: installations, warranty share, call shares; the
    technician hours by category."""
    d = copy.deepcopy(BASE)
    d["fleet"]["classes"] = [
        {"name": "warranty", "priority": 2},
        {"name": "contract", "priority": 1, "sla_h": 4.0, "restore_sla_h": 8.0},
        {"name": "paid", "priority": 2},
    ]
    d["fleet"]["lifecycle"] = {
        "life_h": {"dist": "gamma", "mean": 400.0, "cv": 0.5},
        "warranty_h": 100.0,
        "contract_share": 0.5,
        "warranty_class": "warranty",
        "contract_class": "contract",
        "paid_class": "paid",
    }
    d["work"] = {"categories": {}}  # the statuses' categories: the hours A to D
    return d


def _maintenance() -> dict[str, Any]:
    """A finite fleet with preventive maintenance and key-customer visits, both priced."""
    d = copy.deepcopy(BASE)
    d["run"]["horizon_h"] = 600.0
    d["fleet"] = {"machines": 10, "time_to_failure_h": {"dist": "weibull", "mean": 60.0, "shape": 2.0}}
    d["dispatch"] = {"policy": "fifo"}
    d["work"] = {
        "maintenance": {
            "every_h": 40.0,
            "window_h": 8.0,
            "duration_h": {"dist": "exponential", "mean": 1.0},
            "cost": 10.0,
            "breakdown_cost": 50.0,
        },
        "visits": {
            "customers": 3,
            "every_days": 4.0,
            "window_h": 8.0,
            "duration_h": {"dist": "exponential", "mean": 1.0},
            "revenue": 20.0,
        },
    }
    return d


def _skills() -> dict[str, Any]:
    """Two skills, specialists and a cross-trained technician (waits per skill, groups' use),
    escalation through a remote expert."""
    d = copy.deepcopy(BASE)
    d["fleet"] = {"calls_per_h": 0.8}
    d["territories"] = {"count": 1, "technicians": 3, "pooled": 1}
    d["dispatch"] = {"policy": "fifo"}
    d["skills"] = {
        "needs": {"standard": 0.7, "complex": 0.3},
        "escalation": {
            "to": "complex",
            "remote": {"experts": 1, "handling_h": {"dist": "exponential", "mean": 0.5}, "fix": 0.3},
        },
        "groups": [
            {"name": "standard", "technicians": 2, "skills": ["standard"], "escalation": 0.2},
            {"name": "cross", "technicians": 1, "skills": ["standard", "complex"], "repair_factor": 1.2},
        ],
    }
    return d


SCENARIOS = {
    "everything": _everything,
    "ftf_identity": _ftf_identity,
    "territories": _many_territories,
    "helpdesk": _helpdesk,
    "maintenance": _maintenance,
    "lifecycle": _lifecycle,
    "appointments": _appointments,
    "skills": _skills,
}
KEYS = {"design_point", "replication", "class"}
#: emitted as 0 by a scenario without shifts or without a downtime cost, never summarised then
ZERO_WHEN_OFF = {"overtime_h_per_week", "cost_downtime_per_day"}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[Any, pd.DataFrame]]:
    out = {}
    for name, make in SCENARIOS.items():
        sc = validate_scenario(make(), f"<{name}>")
        exp = run_experiment(sc, expand_sweep(sc), backend="serial", progress=False)
        assert not exp.failures, exp.failures
        out[name] = (sc, exp.replications)
    return out


def _kpi_columns(reps: pd.DataFrame) -> list[str]:
    return [c for c in reps.columns if c not in KEYS]


def test_every_emitted_kpi_is_in_the_catalogue(runs):
    for name, (_, reps) in runs.items():
        unknown = [c for c in _kpi_columns(reps) if not kpis.known(c)]
        assert not unknown, f"{name}: KPIs missing from sim/kpis.py: {unknown}"


def test_every_catalogue_entry_is_emitted_by_some_scenario(runs):
    emitted = {c for _, reps in runs.values() for c in _kpi_columns(reps)}
    never = [k.name for k in kpis.CATALOGUE if not any(k.matches(c) for c in emitted)]
    assert not never, f"catalogue entries no scenario emits: {never}"


def test_per_class_flags_match_the_rows(runs):
    """Per-class KPIs have values in the class rows; the others only in the overall row."""
    for name, (_, reps) in runs.items():
        classes = reps[reps["class"] != "all"]
        overall = reps[reps["class"] == "all"]
        assert len(classes) > 0
        for col in _kpi_columns(reps):
            if overall[col].isna().all():
                continue  # not measured at all (e.g. sla_met without an SLA)
            filled = classes[col].notna().any()
            assert filled == kpis.lookup(col).per_class, f"{name}: {col} in the class rows: {filled}"


def test_tables_show_the_summary_kpis_the_scenario_turns_on(runs):
    """summary.csv's KPIs are the catalogue's summarised ones the scenario emits, in order;
    the replications-only KPIs are emitted but never summarised."""
    for name, (sc, reps) in runs.items():
        names = kpi_names(ServiceSystem.from_scenario(sc))
        columns = _kpi_columns(reps)
        assert set(names) <= set(columns), name
        assert all(kpis.lookup(n).summary for n in names)
        left_out = [c for c in columns if c not in names]
        for col in left_out:
            # only replications-only KPIs, and columns that are 0 when their feature is off
            if kpis.lookup(col).summary:
                assert col in ZERO_WHEN_OFF, (name, col)
                assert (reps.loc[reps["class"] == "all", col] == 0.0).all(), (name, col)
        order = [kpis.CATALOGUE.index(kpis.lookup(n)) for n in names]
        assert order == sorted(order), name

    def names_of(run: str) -> list[str]:
        return kpi_names(ServiceSystem.from_scenario(runs[run][0]))

    everything = names_of("everything")
    assert {"workload_tech0", "workload_tech1", "cost_downtime_per_day"} <= set(everything)
    assert "ftf_identity_gap" in names_of("ftf_identity")
    assert "ftf_identity_gap" not in everything  # two part types
    assert "wait_h_worst5pct" in names_of("territories")
    assert {"hours_share", "margin_per_day"} <= set(names_of("territories"))
    assert "hours_share" not in everything  # no job types


def test_the_kpis_are_measured_not_left_empty(runs):
    """A net under the checks above: the conditional KPIs really took values."""
    reps = runs["everything"][1]
    row = reps[reps["class"] == "all"].iloc[0]
    for col in (
        "overtime_h_per_week",
        "first_time_fix",
        "fill_rate_depot",
        "trip_km",
        "cost_per_day",
        "cost_downtime_per_day",
    ):
        assert not math.isnan(row[col]) and row[col] > 0, col


def test_names_are_unique_and_patterns_match_only_their_instances():
    names = [k.name for k in kpis.CATALOGUE]
    assert len(names) == len(set(names))
    assert kpis.lookup("p_wait_gt_2h") is kpis.P_WAIT_GT
    assert kpis.lookup("p_wait_gt_0.5h") is kpis.P_WAIT_GT
    assert kpis.lookup("workload_tech7") is kpis.WORKLOAD_TECH
    for bad in ("p_wait_gt_h", "p_wait_gt_2", "workload_tech", "workload_techx", "wait"):
        assert not kpis.known(bad), bad
    with pytest.raises(KeyError):
        kpis.lookup("no_such_kpi")
    assert kpis.threshold_kpi(8.0) == "p_wait_gt_8h"
    assert kpis.title("p_wait_gt_8h") == "P(wait > 8 h)"
    assert kpis.title("workload_tech3") == "workload of technician 3"
    assert kpis.title("trip_km") == "mean trip length (km)"
    assert kpis.title("sla_met") == "SLA met"  # shares carry no unit
    with pytest.raises(ValueError):
        kpis.CATALOGUE[0].name_for(1.0)


def test_every_group_aggregation_and_condition_is_described():
    for k in kpis.CATALOGUE:
        assert k.group in kpis.GROUPS and k.aggregation in kpis.AGGREGATIONS and k.when in kpis.CONDITIONS
        assert k.title and k.meaning, k.name


def test_docs_kpi_reference_matches_the_catalogue():
    """docs/kpis.md is regenerated with `python -m sim.kpi_doc`."""
    assert kpi_doc.DOC.read_text(encoding="utf-8") == kpi_doc.markdown(), (
        "docs/kpis.md is out of date: run python -m sim.kpi_doc"
    )


def test_readme_kpi_table_matches_the_catalogue():
    text = kpi_doc.README.read_text(encoding="utf-8")
    assert kpi_doc.readme_with_table(text) == text, (
        "README.md's KPI table is out of date: run python -m sim.kpi_doc"
    )
    assert "(docs/kpis.md)" in text
