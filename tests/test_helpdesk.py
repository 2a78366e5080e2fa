"""The helpdesk before dispatch (``[helpdesk]``, issue 15): agents take the requests FIFO,
a share is resolved remotely, the rest go on to dispatch.

The scenario keys and the system; the model (phases, remote fixes restore the machine,
jobs skip the helpdesk, common random numbers across a sweep of agents); the tally
(Little's law per stage, machines down); the analytic layer's labels and the reply tail.
The validation cases ``scenarios/validation/helpdesk_erlang_c.toml`` and
``helpdesk_thinning.toml`` check the exact values against simulation with power; the bad
inputs are files of ``tests/bad_inputs/helpdesk_*.toml`` (and one CLI run here).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.estimate.helpdesk import mmc_reply_within
from sim.cli import main
from sim.config import validate_scenario
from sim.distributions import Exponential
from sim.experiment.blocks import auto_blocks
from sim.experiment.tables import kpi_names
from sim.model import simulate
from sim.monitors import Tally, monitors_for
from sim.system import ServiceSystem

BASE: dict[str, Any] = {
    "meta": {"name": "helpdesk"},
    "run": {"horizon_h": 4000.0, "warmup_h": 100.0, "replications": 1, "seed": 5},
    "fleet": {"calls_per_h": 1.0},
    "territories": {"count": 1, "technicians": 2, "pooled": 1},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "helpdesk": {
        "agents": 2,
        "handling_h": {"dist": "exponential", "mean": 0.8},
        "reply_target_h": 1.0,
        "remote_share": 0.3,
    },
}
FLEET = {"fleet": {"machines": 40, "time_to_failure_h": {"dist": "exponential", "mean": 40.0}}}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<helpdesk>"))


class Trace(Tally):
    """Every request and every call reaching dispatch, in order."""

    __slots__ = ("dispatched", "fixed", "passed", "requests", "restored")
    name = "trace"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[int, int]] = []  # (call number, machine)
        self.fixed: list[int] = []
        self.passed: list[int] = []
        self.dispatched: list[tuple[int, float, float]] = []  # (number, failed_at, logged_at)
        self.restored: list[int] = []

    def handles(self) -> dict[str, Any]:
        return {
            "requested": lambda call, now: self.requests.append((call.number, call.machine)),
            "fixed_remotely": lambda call, now: self.fixed.append(call.number),
            "passed_on": lambda call, now: self.passed.append(call.number),
            "logged": lambda call, now: self.dispatched.append((call.number, call.failed_at, call.logged_at)),
            "restored": lambda call, now: self.restored.append(call.number),
        }


def run(system: ServiceSystem, replication: int = 0) -> tuple[Trace, dict[str, dict[str, float]]]:
    trace = Trace()
    monitors = monitors_for(system, system.technicians, range(system.territories.count), extra=(trace,))
    end = simulate(system, replication, monitors)
    return trace, monitors.kpis(end)


# ---------------------------------------------------------------------------
# Scenario keys and the system


def test_the_system_holds_the_built_helpdesk():
    desk = system_of().helpdesk
    assert desk is not None
    assert desk.agents == 2 and desk.remote_share == 0.3 and desk.reply_target_h == 1.0
    assert isinstance(desk.handling, Exponential) and desk.handling.mean == pytest.approx(0.8)
    assert desk.remote is None
    assert system_of(drop=("helpdesk",)).helpdesk is None


def test_a_scenario_without_a_helpdesk_dumps_and_hashes_as_before():
    plain = validate_scenario(variant(BASE, drop=("helpdesk",)), "<helpdesk>")
    assert "helpdesk" not in plain.model_dump()
    assert validate_scenario(BASE, "<helpdesk>").config_hash() != plain.config_hash()


def test_agents_are_sweepable():
    sc = validate_scenario(variant(BASE, {"sweep": {"helpdesk.agents": [1, 2, 3]}}), "<helpdesk>")
    from sim.config import expand_sweep

    points = expand_sweep(sc, "<helpdesk>")
    assert [p.scenario.helpdesk.agents for p in points] == [1, 2, 3]  # type: ignore[union-attr]


def test_bad_helpdesk_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys):
    raw = variant(BASE, {"helpdesk.remote_share": 1.2})
    from sim.toml_writer import dumps

    path = tmp_path / "bad.toml"
    path.write_text(dumps(raw))
    out = tmp_path / "results"
    rc = main(["run", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and str(path) in err and "helpdesk.remote_share" in err, err
    assert not out.exists()


def test_the_helpdesk_kpis_are_columns_only_with_a_helpdesk():
    names = kpi_names(system_of())
    wanted = {"reply_h", "reply_met", "helpdesk_wait_h", "helpdesk_utilization", "remote_share"}
    assert wanted | {"helpdesk_queue_len"} <= set(names)
    assert "reply_met" not in kpi_names(system_of(drop=("helpdesk.reply_target_h",)))
    assert not any(
        n.startswith(("reply_", "helpdesk_", "remote_")) for n in kpi_names(system_of(drop=("helpdesk",)))
    )


def test_one_helpdesk_for_all_teams_keeps_a_replication_in_one_block():
    big = {"territories.count": 400, "territories.technicians": 1}
    assert auto_blocks(system_of(big, drop=("helpdesk",))) > 1
    assert auto_blocks(system_of(big)) == 1


# ---------------------------------------------------------------------------
# The model


def test_remote_fixes_never_reach_dispatch_and_the_rest_wait_from_dispatch():
    trace, rows = run(system_of())
    requested = {n for n, _ in trace.requests}
    fixed, passed = set(trace.fixed), set(trace.passed)
    assert fixed.isdisjoint(passed) and fixed | passed <= requested
    reached = {n for n, _, _ in trace.dispatched}
    assert reached == passed  # every visit call reaches dispatch once, no remote fix does
    # on reaching dispatch the call's logged_at is that instant, after its customer call
    assert all(logged >= failed for _, failed, logged in trace.dispatched)
    assert sum(logged > failed for _, failed, logged in trace.dispatched) == len(trace.dispatched)
    assert len(fixed) / (len(fixed) + len(passed)) == pytest.approx(0.3, abs=0.03)
    # response and restoration count from the customer's call: they include the reply
    a = rows["all"]
    assert a["response_h"] > a["wait_h"] + 0.5 * a["reply_h"]


def test_every_request_is_fixed_remotely_with_a_share_of_one_and_the_fleet_goes_on():
    system = system_of({**FLEET, "helpdesk.remote_share": 1.0})
    trace, rows = run(system)
    assert not trace.dispatched and len(trace.fixed) == len(trace.requests) > 500
    # machines come back after a remote fix: calls keep coming at the fleet's rate
    machines = {m for _, m in trace.requests}
    assert len(machines) == 40
    assert rows["all"]["remote_share"] == 1.0


def test_remote_decisions_and_handling_are_common_across_a_sweep_of_agents():
    """The k-th request of each source gets the same draws whatever the staffing: Poisson
    calls (arrival order fixed) by call number; a finite fleet by (machine, k)."""
    base = {"helpdesk.remote_h": {"dist": "exponential", "mean": 0.5}}
    poisson = [set(run(system_of({**base, "helpdesk.agents": c}))[0].fixed) for c in (1, 2, 4)]
    assert poisson[0] == poisson[1] == poisson[2] and len(poisson[0]) > 100

    def per_machine(agents: int) -> dict[tuple[int, int], bool]:
        trace, _ = run(system_of({**FLEET, **base, "helpdesk.agents": agents}))
        fixed, seen, out = set(trace.fixed), {}, {}
        for number, machine in trace.requests:
            k = seen[machine] = seen.get(machine, -1) + 1
            out[(machine, k)] = number in fixed
        return out

    one, three = per_machine(1), per_machine(3)
    common = one.keys() & three.keys()
    assert len(common) > 1000
    assert all(one[k] == three[k] for k in common)
    # and the staffing does change when the calls come (so the test has teeth)
    assert len(one) != len(three)


def test_jobs_of_job_types_go_straight_to_dispatch():
    jobs = {
        "work": {
            "types": [
                {"name": "install", "jobs_per_day": 2.0, "duration_h": {"dist": "exponential", "mean": 1.0}}
            ]
        }
    }
    trace, rows = run(system_of(jobs))
    requested = {n for n, _ in trace.requests}
    reached = {n for n, _, _ in trace.dispatched}
    assert reached - set(trace.passed)  # the jobs
    assert not (reached - set(trace.passed)) & requested
    assert rows["all"]["helpdesk_requests_per_h"] == pytest.approx(1.0, rel=0.06)  # breakdowns only
    assert math.isnan(rows["install"].get("reply_h", math.nan))


# ---------------------------------------------------------------------------
# The tally: Little's law per stage, machines down


def test_littles_law_holds_per_stage():
    system = system_of(
        {"run.horizon_h": 20000.0, "helpdesk.remote_h": {"dist": "gamma", "mean": 0.4, "cv": 0.5}}
    )
    _, rows = run(system)
    a = rows["all"]
    # helpdesk: requests waiting = request rate x wait for an agent
    assert a["helpdesk_queue_len"] == pytest.approx(
        a["helpdesk_requests_per_h"] * a["helpdesk_wait_h"], rel=0.01
    )
    # the visit queue: calls waiting = rate reaching dispatch x wait from dispatch
    assert a["queue_len"] == pytest.approx(a["calls_logged_per_h"] * a["wait_h"], rel=0.01)
    # the rate reaching dispatch is the request rate thinned by the remote share
    assert a["calls_logged_per_h"] == pytest.approx(
        a["helpdesk_requests_per_h"] * (1 - a["remote_share"]), rel=0.01
    )


def test_machines_down_counts_the_requests_at_the_helpdesk():
    """Little's law on the machines down (finite fleet): the request rate x the mean time
    down, a visit call's from its breakdown to its restoration (``restore_h``), a remote
    fix's its time at the helpdesk (wait + 0.5 h handling + 0.5 h remote)."""
    fixed = {"helpdesk.handling_h": {"dist": "deterministic", "value": 0.5}}
    remote = {"helpdesk.remote_h": {"dist": "deterministic", "value": 0.5}}
    system = system_of({**FLEET, **fixed, **remote, "run.horizon_h": 20000.0, "helpdesk.agents": 1})
    _, rows = run(system)
    a = rows["all"]
    s = a["remote_share"]
    down = (1 - s) * a["restore_h"] + s * (a["helpdesk_wait_h"] + 1.0)
    assert a["machines_down"] == pytest.approx(a["helpdesk_requests_per_h"] * down, rel=0.02)
    at_desk = a["helpdesk_requests_per_h"] * (a["helpdesk_wait_h"] + 0.5 + 0.5 * s)
    assert at_desk > 0.2 * a["machines_down"]  # the helpdesk's share is far above the tolerance


# ---------------------------------------------------------------------------
# The analytic layer


def test_reply_tail_matches_a_seeded_monte_carlo():
    lam, mu, c, t = 2.0, 1 / 1.2, 3, 2.0
    from sim.analytic.queues import mms

    q = mms(lam, mu, c)
    gen = np.random.default_rng(3)
    n = 400_000
    waits = np.where(gen.random(n) < q.p_wait, gen.exponential(1 / (c * mu - lam), n), 0.0)
    sim = float(np.mean(waits + gen.exponential(1 / mu, n) <= t))
    assert mmc_reply_within(lam, mu, c, t) == pytest.approx(sim, abs=0.003)
    # the equal-rates branch (theta = mu) is the limit of the other
    assert mmc_reply_within(1.0, 1.0, 2, 1.5) == pytest.approx(
        mmc_reply_within(1.0, 1.0 + 1e-7, 2, 1.5), abs=1e-6
    )


def test_labels_exact_only_for_poisson_calls_and_an_mmc_helpdesk():
    est = estimate(system_of())
    for kpi in ("helpdesk_wait_h", "reply_h", "reply_met", "wait_h", "response_h", "machines_down"):
        e = est.get(kpi)
        assert e is not None and e.exact, (kpi, e)
    assert est.get("sla_met") is None
    remote = {"helpdesk.remote_h": {"dist": "exponential", "mean": 0.5}}
    several = estimate(system_of(remote))
    assert not several.get("helpdesk_wait_h").exact  # type: ignore[union-attr]
    assert "Allen-Cunneen" in several.get("helpdesk_wait_h").model  # type: ignore[union-attr]
    assert not several.get("wait_h").exact  # type: ignore[union-attr]  # departures not Poisson
    assert several.get("helpdesk_utilization").exact  # type: ignore[union-attr]
    assert several.get("utilization").exact  # type: ignore[union-attr]  # rate x mean service
    one = estimate(system_of({**remote, "helpdesk.agents": 1, "helpdesk.handling_h.mean": 0.3}))
    assert one.get("helpdesk_wait_h").exact  # type: ignore[union-attr]  # P-K
    finite = estimate(system_of(FLEET))
    assert not finite.primary and finite.notes


def test_the_tally_snapshot_survives_a_task_file_and_merges_as_the_whole():
    """Two runs' sums absorbed into one tally give the summed counts; the snapshot goes
    through the task-file record and back unchanged."""
    from sim.monitors.snapshots import snapshot_from_record, snapshot_record

    system = system_of()
    monitors = monitors_for(system, system.technicians, range(1))
    end = simulate(system, 0, monitors)
    snap = monitors.snapshot(end)
    back = snapshot_from_record(snapshot_record(snap))
    assert back.tallies["helpdesk"] == snap.tallies["helpdesk"]
    twice = monitors_for(system, system.technicians, range(1))
    twice.absorb(back, end)
    twice.absorb(back, end)
    one, two = monitors.kpis(end)["all"], twice.kpis(end)["all"]
    assert two["reply_h"] == pytest.approx(one["reply_h"])
    assert two["helpdesk_requests_per_h"] == pytest.approx(2 * one["helpdesk_requests_per_h"])
