"""Contract status and service lives (``[fleet.lifecycle]``, issue 14).

The scenario keys and their one-line refusals; what the system makes of them; the model
(the stationary start, replacements at the end of life, a breakdown's class from its
machine's status, common random numbers); the tally and its block merge; the renewal
formulas against independent computations; the analytic labels.  The validation case
``scenarios/validation/lifecycle_warranty.toml`` checks the exact values with power.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from block_merge import whole_and_merged
from scenario_data import variant
from scipy import integrate, stats

from sim.analytic import estimate
from sim.analytic.renewal import expected_min, stationary_age_cdf, status_shares
from sim.cli import main
from sim.config import ScenarioError, validate_scenario
from sim.distributions import (
    Deterministic,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
    Weibull,
)
from sim.experiment.tables import kpi_names
from sim.model import simulate
from sim.monitors import Tally, monitors_for
from sim.system import ServiceSystem

LIFE = {"dist": "weibull", "mean": 500.0, "shape": 2.0}

BASE: dict[str, Any] = {
    "meta": {"name": "lifecycle"},
    "run": {"horizon_h": 4000.0, "warmup_h": 100.0, "replications": 1, "seed": 23},
    "fleet": {
        "machines": 40,
        "time_to_failure_h": {"dist": "exponential", "mean": 50.0},
        "classes": [
            {"name": "warranty", "priority": 2, "sla_h": 8.0},
            {"name": "contract", "priority": 1, "sla_h": 4.0},
            {"name": "paid", "priority": 3},
        ],
        "lifecycle": {
            "life_h": LIFE,
            "warranty_h": 150.0,
            "contract_share": 0.6,
            "warranty_class": "warranty",
            "contract_class": "contract",
            "paid_class": "paid",
        },
    },
    "territories": {"count": 2, "technicians": 1, "pooled": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 0.5}},
}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<lifecycle>"))


# ---------------------------------------------------------------------------
# Scenario keys and the system


def test_the_system_holds_the_lifecycle_and_the_classes_breakdown_shares():
    system = system_of()
    life = system.lifecycle
    assert life is not None
    assert isinstance(life.life, Weibull) and life.life.mean == pytest.approx(500.0)
    assert (life.warranty, life.contract, life.paid) == (0, 1, 2)
    p = stationary_age_cdf(life.life, 150.0)
    assert life.in_warranty == pytest.approx(p)
    assert [c.share for c in system.classes] == pytest.approx([p, (1 - p) * 0.6, (1 - p) * 0.4])
    assert system_of(drop=("fleet.lifecycle",), changes=_shares()).lifecycle is None


def _shares() -> dict[str, Any]:
    return {"fleet.classes.0.share": 0.2, "fleet.classes.1.share": 0.5, "fleet.classes.2.share": 0.3}


def test_a_fleet_without_lifecycle_dumps_as_before():
    """No [fleet.lifecycle]: the dump (the config hash, the run folder) has no trace of it."""
    sc = validate_scenario(variant(BASE, _shares(), drop=("fleet.lifecycle",)), "<lifecycle>")
    assert "lifecycle" not in sc.model_dump()["fleet"]
    assert validate_scenario(BASE, "<lifecycle>").model_dump()["fleet"]["lifecycle"]["warranty_h"] == 150.0


@pytest.mark.parametrize(
    ("changes", "drop", "key", "reason"),
    [
        ({"fleet.lifecycle.contract_share": 1.5}, (), "fleet.lifecycle.contract_share", "less than or equal"),
        ({"fleet.lifecycle.contract_share": -0.1}, (), "fleet.lifecycle.contract_share", "greater than"),
        ({"fleet.lifecycle.warranty_h": 0.0}, (), "fleet.lifecycle.warranty_h", "greater than 0"),
        ({"fleet.lifecycle.warranty_h": 600.0}, (), "fleet.lifecycle.warranty_h", "shorter than the mean"),
        ({"fleet.lifecycle.paid_class": "standard"}, (), "fleet.lifecycle.paid_class", "no service class"),
        ({"fleet.lifecycle.paid_class": "contract"}, (), "fleet.lifecycle", "three different classes"),
        ({"fleet.lifecycle.life_h": {"dist": "deterministic", "value": 0.0}}, (), "fleet.lifecycle", "mean"),
        ({"fleet.lifecycle.installation": "install"}, (), "fleet.lifecycle.installation", "valid dictionary"),
        ({"fleet.lifecycle.age_span_h": 100.0}, (), "fleet.lifecycle.age_span_h", "unknown key"),
        ({"fleet.classes.0.share": 0.3}, (), "fleet.classes[0].share", "not used with fleet.lifecycle"),
        ({}, ("fleet.lifecycle",), "fleet.classes[0].share", "is required"),
        (
            {"fleet.time_to_failure_h": {"dist": "weibull", "mean": 50.0, "shape": 2.0}},
            (),
            "fleet.lifecycle",
            "non-exponential",
        ),
        (
            {"repair.repeat": {"p": 0.1, "after_h": {"dist": "exponential", "mean": 1.0}}},
            (),
            "fleet.lifecycle",
            "repair.repeat",
        ),
    ],
)
def test_bad_lifecycle_keys_are_refused_naming_the_key(changes, drop, key, reason):
    with pytest.raises(ScenarioError) as err:
        validate_scenario(variant(BASE, changes, drop), "<lifecycle>")
    assert f": {key}" in str(err.value), err.value
    assert reason in str(err.value), err.value
    assert "\n" not in str(err.value)


def test_a_lifecycle_with_poisson_calls_is_refused():
    raw = variant(BASE, {"fleet": {"calls_per_h": 0.5, "classes": BASE["fleet"]["classes"]}})
    raw["fleet"]["lifecycle"] = BASE["fleet"]["lifecycle"]
    with pytest.raises(ScenarioError, match="Poisson calls have no machines") as err:
        validate_scenario(raw, "<lifecycle>")
    assert err.value.key == "fleet.lifecycle"


def test_the_command_line_refuses_a_bad_lifecycle_in_one_line_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[fleet]\nmachines = 5\ntime_to_failure_h = { dist = "exponential", mean = 50.0 }\n'
        '[[fleet.classes]]\nname = "w"\n[[fleet.classes]]\nname = "c"\n[[fleet.classes]]\nname = "p"\n'
        '[fleet.lifecycle]\nlife_h = { dist = "exponential", mean = 500.0 }\nwarranty_h = 100.0\n'
        'contract_share = 0.5\nwarranty_class = "w"\ncontract_class = "c"\npaid_class = "x"\n'
    )
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "bad.toml" in err and "fleet.lifecycle.paid_class" in err and "no service class 'x'" in err
    assert not out.exists() or not any(out.iterdir())


def test_the_lifecycle_kpis_are_columns_only_with_a_lifecycle():
    names = kpi_names(system_of())
    assert {"installations_per_day", "warranty_machine_share", "call_share"} <= set(names)
    plain = kpi_names(system_of(_shares(), drop=("fleet.lifecycle",)))
    assert not {"installations_per_day", "warranty_machine_share", "call_share"} & set(plain)


# ---------------------------------------------------------------------------
# The model


class LifeTrace(Tally):
    """Every installation (machine, at, replaced, now) and every call (machine, class, now)."""

    __slots__ = ("calls", "installs")
    name = "life_trace"

    def __init__(self) -> None:
        super().__init__()
        self.installs: dict[int, list[tuple[float, bool, float]]] = defaultdict(list)
        self.calls: list[tuple[int, int, float]] = []

    def handles(self) -> dict[str, Any]:
        return {"installed": self.installed, "logged": self.logged}

    def installed(self, machine: int, at: float, replaced: bool, now: float) -> None:
        self.installs[machine].append((at, replaced, now))

    def logged(self, call: Any, now: float) -> None:
        self.calls.append((call.machine, call.service_class, now))


def trace(system: ServiceSystem, replication: int = 0) -> tuple[LifeTrace, dict[str, dict[str, float]]]:
    tally = LifeTrace()
    monitors = monitors_for(system, system.technicians, range(system.territories.count), extra=(tally,))
    end = simulate(system, replication, monitors)
    return tally, monitors.kpis(end)


def test_each_machine_starts_at_an_age_and_is_replaced_at_the_end_of_each_life():
    """Deterministic lives of 500 h: each machine is installed once before 0 (its start
    age), then replaced every 500 h exactly, the first time 500 h after its installation."""
    tally, _ = trace(system_of({"fleet.lifecycle.life_h": {"dist": "deterministic", "value": 500.0}}))
    assert sorted(tally.installs) == list(range(80))  # two territories of 40 machines
    for events in tally.installs.values():
        (at0, replaced0, now0), *rest = events
        assert not replaced0 and now0 == 0.0 and -500.0 < at0 <= 0.0
        assert rest and all(replaced and at == now for at, replaced, now in rest)
        times = [at0] + [at for at, _, _ in rest]
        assert np.diff(times) == pytest.approx(500.0)


def test_the_start_ages_are_the_stationary_ages():
    """Start ages under deterministic lives are uniform on [0, L); under Weibull lives they
    follow the stationary age law P(A < a) = E[min(L, a)] / E[L] (Kolmogorov-Smirnov,
    1,200 machines, fixed seed)."""
    big = {"fleet.machines": 600, "run.horizon_h": 1.0, "run.warmup_h": 0.0}
    for life, cdf in (
        ({"dist": "deterministic", "value": 500.0}, lambda a: np.clip(a / 500.0, 0.0, 1.0)),
        (LIFE, np.vectorize(lambda a: stationary_age_cdf(Weibull(500.0, 2.0), float(a)))),
    ):
        tally, _ = trace(system_of({**big, "fleet.lifecycle.life_h": life}))
        ages = np.array([-events[0][0] for events in tally.installs.values()])
        assert len(ages) == 1200
        assert stats.kstest(ages, cdf).pvalue > 0.01


def test_a_breakdown_takes_its_machines_status_when_it_breaks():
    """Warranty while younger than warranty_h; afterwards one status for the rest of that
    machine's life (contract or paid), drawn again at its next installation."""
    system = system_of({"run.horizon_h": 3000.0})
    tally, _ = trace(system)
    after: dict[tuple[int, int], set[int]] = defaultdict(set)
    warranty_calls = 0
    for machine, cls, now in tally.calls:
        events = tally.installs[machine]
        k = max(i for i, (at, _, t) in enumerate(events) if t <= now)
        age = now - events[k][0]
        if age < 150.0:
            assert cls == 0
            warranty_calls += 1
        else:
            assert cls in (1, 2)
            after[(machine, k)].add(cls)
    assert warranty_calls > 100
    assert all(len(classes) == 1 for classes in after.values())
    contract = sum(classes == {1} for classes in after.values()) / len(after)
    assert contract == pytest.approx(0.6, abs=0.1)


def test_the_lifecycle_leaves_breakdowns_and_fifo_waits_unchanged():
    """Under FIFO the lifecycle only relabels calls: the overall KPIs are bit-identical to
    the same fleet with fixed class shares (same breakdown candidates, same needs)."""
    fifo = {"dispatch.policy": "fifo"}
    _, with_life = trace(system_of(fifo))
    _, fixed = trace(system_of({**fifo, **_shares()}, drop=("fleet.lifecycle",)))
    for kpi in ("wait_h", "machines_down", "calls_per_day", "utilization", "n_calls"):
        assert with_life["all"][kpi] == fixed["all"][kpi], kpi


def test_staffing_leaves_every_installation_and_status_unchanged():
    """Common random numbers: a third technician changes no installation time and no
    machine's status (the statuses are drawn per machine and installation)."""
    one, k1 = trace(system_of())
    two, k2 = trace(system_of({"territories.technicians": 2}))
    assert one.installs == two.installs
    assert k1["all"]["installations_per_day"] == k2["all"]["installations_per_day"]
    assert k1["all"]["warranty_machine_share"] == k2["all"]["warranty_machine_share"]


def test_the_tally_counts_installations_warranty_hours_and_class_shares():
    """The KPIs from the trace, recomputed independently: replacements in the window per
    8-h day, machine-hours in warranty over machines x window, calls per class."""
    system = system_of()
    tally, rows = trace(system)
    start, end = 100.0, 4100.0
    replaced = sum(1 for ev in tally.installs.values() for _, r, now in ev if r and start <= now < end)
    assert rows["all"]["installations_per_day"] == pytest.approx(replaced / (end - start) * 8.0)
    hours = 0.0
    for events in tally.installs.values():
        ats = [at for at, _, _ in events] + [math.inf]
        for a, nxt in itertools.pairwise(ats):
            hours += max(0.0, min(a + 150.0, nxt, end) - max(a, start))
    assert rows["all"]["warranty_machine_share"] == pytest.approx(hours / (80 * (end - start)))
    calls = [cls for _, cls, now in tally.calls if start <= now < end]
    for k, name in enumerate(("warranty", "contract", "paid")):
        assert rows[name]["call_share"] == pytest.approx(calls.count(k) / len(calls))


def test_blocks_of_teams_merge_the_lifecycle_sums():
    whole, merged, end = whole_and_merged(system_of(), 2)
    a, b = whole.kpis(end), merged.kpis(end)
    for kpi in ("installations_per_day", "warranty_machine_share"):
        assert b["all"][kpi] == pytest.approx(a["all"][kpi], rel=1e-12), kpi
    for name in ("warranty", "contract", "paid"):
        assert b[name]["call_share"] == pytest.approx(a[name]["call_share"], rel=1e-12)


# ---------------------------------------------------------------------------
# The renewal formulas and the analytic labels


def _scipy_law(life: Any) -> Any:
    """The same law as a scipy.stats distribution (its own survival function)."""
    if isinstance(life, Exponential):
        return stats.expon(scale=life.mean)
    if isinstance(life, Gamma):
        return stats.gamma(life.shape, scale=life.scale)
    if isinstance(life, Weibull):
        return stats.weibull_min(life.shape, scale=life.scale)
    if isinstance(life, Lognormal):
        return stats.lognorm(life.sigma, scale=math.exp(life.mu))
    assert isinstance(life, Uniform)
    return stats.uniform(life.low, life.high - life.low)


@pytest.mark.parametrize(
    "life",
    [
        Exponential(300.0),
        Gamma(300.0, 0.5),
        Erlang(300.0, 3),
        Weibull(300.0, 2.5),
        Lognormal(300.0, 0.8),
        Uniform(100.0, 500.0),
    ],
    ids=lambda d: d.name,
)
@pytest.mark.parametrize("w", [50.0, 250.0, 700.0])
def test_expected_min_is_the_integral_of_the_survival_function(life, w):
    """E[min(L, w)] (closed forms) against int_0^w P(L > a) da by quadrature of scipy's
    survival function."""
    law = _scipy_law(life)
    assert law.mean() == pytest.approx(life.mean)
    value, _ = integrate.quad(law.sf, 0.0, w, limit=200)
    assert expected_min(life, w) == pytest.approx(value, rel=1e-8)


def test_expected_min_of_discrete_lives():
    assert expected_min(Deterministic(300.0), 100.0) == 100.0
    assert expected_min(Empirical((100.0, 400.0), (1.0, 3.0)), 200.0) == pytest.approx(
        0.25 * 100 + 0.75 * 200
    )
    assert stationary_age_cdf(Empirical((100.0, 400.0), (1.0, 3.0)), 200.0) == pytest.approx(175.0 / 325.0)
    assert sum(status_shares(0.3, 0.25)) == pytest.approx(1.0)


def test_the_estimate_gives_the_exact_renewal_values_under_fifo():
    system = system_of({"dispatch.policy": "fifo"})
    est = estimate(system)
    inst = est.get("installations_per_day")
    assert inst is not None and inst.exact and inst.value == pytest.approx(80 / 500.0 * 8.0)
    share = est.get("warranty_machine_share")
    assert share is not None and share.exact and share.value == pytest.approx(system.lifecycle.in_warranty)
    for c in system.classes:
        e = est.get("call_share", c.name)
        assert e is not None and e.exact and e.value == pytest.approx(c.share)
    wait = est.get("wait_h")
    assert wait is not None and wait.exact


def test_under_priority_the_class_shares_and_the_queue_are_approximations():
    est = estimate(system_of({"dispatch.policy": "priority"}))
    assert est.get("installations_per_day").exact  # type: ignore[union-attr]
    assert est.get("warranty_machine_share").exact  # type: ignore[union-attr]
    assert not est.get("call_share", "warranty").exact  # type: ignore[union-attr]
    assert not any(e.exact for e in est.primary if e.kpi in ("wait_h", "machines_down", "queue_len"))


# ---------------------------------------------------------------------------
# Installation jobs

INSTALL = {
    "fleet.lifecycle.installation": {
        "name": "installation",
        "duration_h": {"dist": "gamma", "mean": 2.0, "cv": 0.5},
        "priority": 1,
        "target_h": 24.0,
        "revenue": 300.0,
        "cost": 40.0,
    }
}


def test_the_installation_job_is_the_last_job_type_with_the_renewal_rate():
    system = system_of(INSTALL)
    life = system.lifecycle
    assert life is not None and life.installation == 0
    (job,) = system.work_types
    assert (job.name, job.arrivals, job.priority, job.target_h) == ("installation", "replacements", 1, 24.0)
    assert job.jobs_per_h == pytest.approx(40 / 500.0)  # machines per territory / E[L]
    assert system.row_names == ("warranty", "contract", "paid", "installation")


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        (
            {"fleet.lifecycle.installation.name": "paid"},
            "fleet.lifecycle.installation.name",
            "already the name",
        ),
        (
            {"fleet.lifecycle.installation.priority": None, "dispatch.policy": "priority"},
            "fleet.lifecycle.installation.priority",
            "needs a priority",
        ),
        (
            {"fleet.lifecycle.installation.duration_h": {"dist": "deterministic", "value": 0.0}},
            "fleet.lifecycle.installation.duration_h",
            "positive mean",
        ),
        ({"fleet.lifecycle.installation.when": "done"}, "fleet.lifecycle.installation.when", "unknown key"),
    ],
)
def test_bad_installation_keys_are_refused_naming_the_key(changes, key, reason):
    raw = variant(BASE, INSTALL)
    raw = variant(raw, {k: v for k, v in changes.items() if v is not None})
    if None in changes.values():
        del raw["fleet"]["lifecycle"]["installation"]["priority"]
    with pytest.raises(ScenarioError) as err:
        validate_scenario(raw, "<lifecycle>")
    assert f": {key}" in str(err.value) and reason in str(err.value), err.value


def test_each_replacement_sends_one_installation_job_to_its_territorys_team():
    """Every replacement in the window logs one job of the installation row at that instant
    in the machine's territory; breakdown candidates are those of the run without jobs."""
    system = system_of(INSTALL)
    tally, rows = trace(system)
    row = len(system.classes)
    jobs = [(cls, now) for machine, cls, now in tally.calls if cls == row]
    replaced = sorted(now for ev in tally.installs.values() for _, r, now in ev if r)
    assert [now for _, now in jobs] == replaced
    assert all(m == -1 for m, cls, _ in tally.calls if cls == row)  # a job has no machine
    breakdowns = [(m, now) for m, cls, now in tally.calls if cls < row]
    plain, _ = trace(system_of())
    first = dict(reversed(breakdowns))
    first_plain = {m: now for m, cls, now in reversed(plain.calls) if cls < row}
    assert first == first_plain  # each machine's first breakdown: before any queue differs
    assert rows["installation"]["calls_per_day"] == pytest.approx(
        rows["all"]["installations_per_day"], rel=0.05
    )
    assert 0.0 <= rows["installation"]["sla_met"] <= 1.0


def test_the_estimate_gives_the_installation_rows_job_rate():
    system = system_of(INSTALL)
    e = estimate(system).get("calls_per_day", "installation")
    assert e is not None and e.exact and e.value == pytest.approx(80 / 500.0 * 8.0)
