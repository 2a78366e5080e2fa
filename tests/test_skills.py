"""Skills ([skills], issue 16): config, dispatch on eligible pairs, tallies, formulas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import simpy
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.estimate.skills import erlang_c_real
from sim.analytic.queues import erlang_c, mms
from sim.config import ScenarioError, validate_scenario
from sim.model import simulate
from sim.model.build import build
from sim.model.skills import SkilledTeam
from sim.monitors import monitors_for
from sim.monitors.protocol import CallLike
from sim.monitors.tally import Tally
from sim.system import ServiceSystem

SPECIALISTS = [
    {"name": "a_only", "technicians": 2, "skills": ["a"]},
    {"name": "b_only", "technicians": 1, "skills": ["b"]},
    {"name": "both", "technicians": 1, "skills": ["a", "b"]},
]
BASE: dict[str, Any] = {
    "run": {"horizon_h": 3000.0, "warmup_h": 100.0, "replications": 1, "seed": 16},
    "fleet": {"calls_per_h": 3.0},
    "territories": {"technicians": 4},
    "travel": {"time_h": {"dist": "deterministic", "value": 0.0}},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    "skills": {"needs": {"a": 0.6, "b": 0.4}, "groups": SPECIALISTS},
}
ALL_CROSS = [{"name": "all", "technicians": 4, "skills": ["a", "b"]}]


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<test>"))


class Pairs(Tally):
    """Every dispatch (call's need, technician) and every logged call's need, in order."""

    name = "pairs"

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[int, int]] = []
        self.needs: list[tuple[int, int]] = []  # (territory, need) in logging order
        self.visits: list[int] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"dispatched": self.dispatched, "logged": self.logged, "restored": self.restored}

    def dispatched(self, call: CallLike, now: float) -> None:
        self.pairs.append((getattr(call, "need", -1), call.technician))

    def logged(self, call: CallLike, now: float) -> None:
        self.needs.append((call.number, getattr(call, "need", -1)))

    def restored(self, call: CallLike, now: float) -> None:
        self.visits.append(call.visits)


def run(system: ServiceSystem, replication: int = 0) -> tuple[dict[str, dict[str, float]], Pairs]:
    pairs = Pairs()
    monitors = monitors_for(system, system.technicians, range(system.teams), extra=[pairs])
    end = simulate(system, replication, monitors)
    return monitors.kpis(end), pairs


# -- config -------------------------------------------------------------------------


def test_without_skills_the_system_has_none_and_the_dump_is_unchanged():
    plain = validate_scenario(variant(BASE, drop=("skills",)))
    assert ServiceSystem.from_scenario(plain).skills is None
    assert "skills" not in plain.model_dump()


def test_groups_resolve_in_order_with_their_skills():
    sk = system_of().skills
    assert sk is not None
    assert sk.names == ("a", "b") and sk.shares == (0.6, 0.4)
    assert sk.group_of == (0, 0, 1, 2)
    assert sk.eligible == ((0, 2), (1, 2))


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"dispatch.policy": "preference"}, "dispatch.policy"),
        ({"calendar.shifts": [{"start": "08:00", "end": "16:00"}]}, "calendar.shifts"),
        ({"work.internal": {"task_h": {"dist": "exponential", "mean": 1.0}}}, "work"),
    ],
)
def test_features_not_built_with_skills_are_refused(changes, key):
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")):
        validate_scenario(variant(BASE, changes), "<test>")


# -- dispatch on eligible pairs ---------------------------------------------------------


def test_every_dispatch_pairs_a_call_with_a_technician_who_has_its_skill():
    system = system_of()
    _, pairs = run(system)
    skills_of = [system.skills.groups[g].skills for g in system.skills.group_of]  # type: ignore[union-attr]
    assert len(pairs.pairs) > 5000
    assert all(need in skills_of[tech] for need, tech in pairs.pairs)
    # the cross-trained technician (3) takes both skills' calls
    assert {need for need, tech in pairs.pairs if tech == 3} == {0, 1}


def test_no_call_waits_while_a_technician_who_could_take_it_is_free():
    """After every event: every waiting call's skill is missing from every free technician."""
    system = system_of({"run.horizon_h": 500.0})
    env = simpy.Environment()
    monitors = monitors_for(system, system.technicians, range(system.teams))
    model = build(env, system, 0, monitors)
    team = model.teams[0]
    assert isinstance(team, SkilledTeam)
    line = team.skilled_line
    skills_of = line._skills_of
    waited = 0
    while env.peek() < 500.0:
        env.step()
        waiting = {k for k, heap in enumerate(line._heaps) if heap}
        waited += bool(waiting)
        assert not any(waiting & set(skills_of[t]) for t in team.free)
    assert waited > 100  # calls did wait (the check was not vacuous)


def test_full_cross_training_gives_the_team_without_skills_bit_for_bit():
    """Everyone with every skill, factor 1, first-time fix 1: FIFO on one line, the
    longest idle technician: the very run of the team without skills (the need draws
    come from a stream of their own)."""
    with_skills, _ = run(system_of({"skills.groups": ALL_CROSS}))
    without, _ = run(system_of(drop=("skills",)))
    for kpi in ("wait_h", "p_wait", "restore_h", "queue_len", "utilization", "machines_down"):
        assert with_skills["all"][kpi] == without["all"][kpi], kpi


def test_needs_do_not_depend_on_staffing():
    """Common random numbers across cross-training levels: the k-th call needs the same
    skill whatever the groups."""
    _, flexible = run(system_of())
    _, pooled = run(system_of({"skills.groups": ALL_CROSS}))
    _, split = run(
        system_of(
            {
                "skills.groups": [
                    {"name": "a", "technicians": 3, "skills": ["a"]},
                    {"name": "b", "technicians": 1, "skills": ["b"]},
                ]
            }
        )
    )
    n = min(len(flexible.needs), len(pooled.needs), len(split.needs))
    assert n > 5000
    assert flexible.needs[:n] == pooled.needs[:n] == split.needs[:n]
    share_a = sum(1 for _, need in pooled.needs if need == 0) / len(pooled.needs)
    assert share_a == pytest.approx(0.6, abs=0.02)


def test_first_time_fix_sends_the_call_back_for_another_visit():
    """First-time fix 0.5 for everyone: visits per restored call are geometric, mean 2."""
    groups = [{"name": "all", "technicians": 4, "skills": ["a", "b"], "first_time_fix": 0.5}]
    _, pairs = run(system_of({"skills.groups": groups, "fleet.calls_per_h": 1.0}))
    mean = sum(pairs.visits) / len(pairs.visits)
    assert mean == pytest.approx(2.0, rel=0.05)


def test_repair_factor_lengthens_the_group_s_visits():
    """The b specialist takes 1.5 x: with separate pools its utilization is 1.5 x its load."""
    groups = [
        {"name": "a", "technicians": 3, "skills": ["a"]},
        {"name": "b", "technicians": 1, "skills": ["b"], "repair_factor": 1.5},
    ]
    kpis, _ = run(system_of({"skills.groups": groups, "fleet.calls_per_h": 1.0, "run.horizon_h": 20000.0}))
    assert kpis["all"]["utilization_group1"] == pytest.approx(0.4 * 1.5, rel=0.04)
    assert kpis["all"]["utilization_group0"] == pytest.approx(0.6 / 3, rel=0.04)


def test_the_contractor_takes_calls_no_eligible_technician_is_free_for():
    """all_busy with skills: a call goes to the contractor when no technician with its
    skill is free, though others may be; a skill nobody has is served by it alone."""
    changes = {
        "skills.needs": {"a": 0.6, "b": 0.3, "c": 0.1},
        "skills.groups": [
            {"name": "a", "technicians": 3, "skills": ["a"]},
            {"name": "b", "technicians": 1, "skills": ["b"]},
        ],
        "contractor": {"when": "all_busy", "response_h": {"dist": "exponential", "mean": 2.0}},
    }
    kpis, pairs = run(system_of(changes))
    assert all(need != 2 for need, _ in pairs.pairs)  # nobody has skill c
    share = kpis["all"]["contractor_share"]
    assert 0.1 < share < 0.6
    # the wait of skill c is 0 (the contractor takes it at once)
    assert kpis["all"]["wait_h_skill2"] == 0.0
    with pytest.raises(ScenarioError, match=r"skills\.needs\.c"):
        validate_scenario(
            variant(BASE, {**changes, "contractor.when": "wait_over", "contractor.threshold_h": 1.0})
        )


# -- formulas ---------------------------------------------------------------------------


def test_erlang_c_at_real_servers_matches_the_integer_formula():
    for s, a in [(1, 0.5), (2, 1.5), (4, 3.0), (7, 5.5)]:
        assert erlang_c_real(float(s), a) == pytest.approx(erlang_c(s, a), rel=1e-8)
    # monotone between integers
    assert erlang_c(3, 2.0) > erlang_c_real(3.5, 2.0) > erlang_c(4, 2.0)


def test_the_extremes_are_exact_and_partial_flexibility_approximate():
    pooled = estimate(system_of({"skills.groups": ALL_CROSS}))
    r = mms(3.0, 1.0, 4)
    assert pooled.get("wait_h").value == pytest.approx(r.wq)  # type: ignore[union-attr]
    assert pooled.get("wait_h_skill1").exact  # type: ignore[union-attr]
    split = estimate(
        system_of(
            {
                "skills.groups": [
                    {"name": "a", "technicians": 3, "skills": ["a"]},
                    {"name": "b", "technicians": 1, "skills": ["b"], "repair_factor": 0.5},
                ]
            }
        )
    )
    assert split.get("wait_h_skill0").value == pytest.approx(mms(1.8, 1.0, 3).wq)  # type: ignore[union-attr]
    assert split.get("wait_h_skill1").value == pytest.approx(mms(1.2, 2.0, 1).wq)  # type: ignore[union-attr]
    assert split.get("wait_h").exact  # type: ignore[union-attr]
    partial = estimate(system_of())
    w = partial.get("wait_h")
    assert w is not None and not w.exact and "partial flexibility" in w.model
    # between full pooling and no help from the cross-trained technician
    assert r.wq < w.value
    assert partial.get("utilization").exact  # type: ignore[union-attr]  # work is conserved
    assert partial.get("utilization_group0") is None


def test_no_formula_with_travel_or_a_finite_fleet():
    travel = estimate(system_of({"travel.time_h": {"dist": "exponential", "mean": 0.5}}))
    assert travel.get("wait_h") is None and any("trips" in n for n in travel.notes)
    fleet = estimate(
        system_of(
            {"fleet.machines": 30, "fleet.time_to_failure_h": {"dist": "exponential", "mean": 20.0}},
            drop=("fleet.calls_per_h",),
        )
    )
    assert fleet.get("wait_h") is None


def test_the_simulated_flexible_team_waits_between_the_two_extremes():
    """Power of the comparison the flexibility curve makes: one cross-trained technician
    out of four (instead of a second b specialist) brings the wait well below separate
    pools and above full pooling."""
    system = system_of({"run.horizon_h": 20000.0})
    flexible, _ = run(system)
    separate = mms(1.8, 1.0, 2).wq * 0.6 + mms(1.2, 1.0, 2).wq * 0.4  # 2 + 2 specialists
    pooled = mms(3.0, 1.0, 4).wq
    assert pooled * 1.1 < flexible["all"]["wait_h"] < separate * 0.5


# -- the scenario and its report section ----------------------------------------------------


def test_the_scenario_s_report_draws_the_flexibility_curve_and_the_frontier(tmp_path):
    """scenarios/skills_and_contractors.toml (shortened): the section has the flexibility
    curve (0 % and 100 % anchor it) and the contractor frontier; a run without skills has
    no such section."""
    from sim.cli import main

    argv = ["run", "scenarios/skills_and_contractors.toml", "--set", "run.horizon_h=1000"]
    argv += ["--set", "run.warmup_h=100", "--set", 'sweep={"contractor.threshold_h" = [2.0, 8.0]}']
    assert main([*argv, "--replications", "2", "--backend", "serial", "--out", str(tmp_path), "--quiet"]) == 0
    (run,) = tmp_path.iterdir()
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "skills-flexibility" in html and "skills-frontier" in html
    assert "efficient frontier" in html
    # the per-skill table: 8 design points, a wait per skill and the contractor's cost
    table = html[html.index("Waits per skill and costs") :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 8
    assert "wait, standard (h)" in table and "wait, complex (h)" in table
    assert "contractor cost / day" in table and "<td class=num>-</td>" not in table
    out = tmp_path / "plain"
    argv = ["run", "scenarios/validation/mm1.toml", "--set", "run.horizon_h=500", "--replications", "2"]
    assert main([*argv, "--backend", "serial", "--out", str(out), "--quiet"]) == 0
    (plain,) = out.iterdir()
    assert "skills-flexibility" not in (plain / "report.html").read_text(encoding="utf-8")


def test_cross_trained_share_counts_the_groups_with_every_skill():
    from sim.report.skills import cross_trained_share

    assert cross_trained_share(system_of()) == 0.25
    assert cross_trained_share(system_of({"skills.groups": ALL_CROSS})) == 1.0


# -- escalation ---------------------------------------------------------------------------

ESCALATION: dict[str, Any] = {
    "skills.needs": {"standard": 1.0, "complex": 0.0},
    "skills.escalation": {"to": "complex"},
    "skills.groups": [
        {"name": "generalists", "technicians": 3, "skills": ["standard"], "escalation": 0.3},
        {"name": "specialists", "technicians": 1, "skills": ["complex"], "repair_factor": 1.5},
    ],
    "fleet.calls_per_h": 1.5,
    "run.horizon_h": 30000.0,
}


def test_escalated_calls_go_to_the_specialists_and_form_a_jackson_network():
    """Every call's first visit is a generalist's; 30 % end in escalation and need the
    specialist (a new exponential repair x 1.5).  The generalists are an M/M/3 whose
    departures are Poisson (Burke), thinned independently: the specialist is an M/M/1 at
    0.3 x 1.5 calls/h with mean 1.5 h, so the time escalation adds is its W = Wq + 1.5 h."""
    system = system_of(ESCALATION)
    kpis, pairs = run(system)
    row = kpis["all"]
    n = row["n_calls"]
    assert row["escalation_share"] == pytest.approx(0.3, abs=3 * (0.3 * 0.7 / n) ** 0.5)
    assert row["failed_visits_per_call"] == pytest.approx(row["escalation_share"], abs=1e-3)
    # second visits (need 1) only by the specialist (technician 3), first visits never
    assert {tech for need, tech in pairs.pairs if need == 1} == {3}
    assert 3 not in {tech for need, tech in pairs.pairs if need == 0}
    specialist = mms(0.45, 1 / 1.5, 1)
    assert row["escalation_added_h"] == pytest.approx(specialist.w, rel=0.08)
    assert row["utilization_group1"] == pytest.approx(specialist.utilization, rel=0.04)
    assert row["utilization_group0"] == pytest.approx(1.5 / 3, rel=0.03)
    est = estimate(system)
    assert est.get("escalation_added_h").value == pytest.approx(specialist.w)  # type: ignore[union-attr]
    assert est.get("escalation_added_h").exact  # type: ignore[union-attr]


def test_escalation_needs_its_section_and_a_skill_someone_has():
    groups = [{"name": "all", "technicians": 4, "skills": ["a", "b"], "escalation": 0.2}]
    with pytest.raises(ScenarioError, match=r"skills\.groups\[0\]\.escalation"):
        validate_scenario(variant(BASE, {"skills.groups": groups}))
    with pytest.raises(ScenarioError, match=r"skills\.escalation\.to"):
        validate_scenario(variant(BASE, {"skills.groups": groups, "skills.escalation": {"to": "c"}}))


def test_without_escalation_no_escalation_kpis():
    kpis, _ = run(system_of({"run.horizon_h": 500.0}))
    assert "escalation_share" not in kpis["all"] and "failed_visits_per_call" in kpis["all"]


# -- escalation by fault type (the skill the call needs) ----------------------------------

BY_FAULT: dict[str, Any] = {
    "skills.needs": {"standard": 0.5, "complex": 0.3, "expert": 0.2},
    "skills.escalation": {"to": "expert"},
    "skills.groups": [
        {
            "name": "generalists",
            "technicians": 3,
            "skills": ["standard", "complex"],
            "escalation": {"standard": 0.0, "complex": 1.0},
        },
        {"name": "specialists", "technicians": 1, "skills": ["expert"]},
    ],
    "fleet.calls_per_h": 1.5,
    "run.horizon_h": 8000.0,
}


class Escalated(Tally):
    """The need of every call whose visit ended with the machine down, at that moment."""

    name = "escalated"

    def __init__(self) -> None:
        super().__init__()
        self.needs: list[int] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"left_site": lambda call, now: self.needs.append(call.need)}  # type: ignore[attr-defined]


def test_escalation_by_fault_type_escalates_only_the_faults_given():
    """A table by fault type: every complex call's first visit is escalated, no standard
    one, so the escalated share is the complex calls' share and the estimate's inflow is
    lambda x 0.3 (a Jackson network, exact)."""
    system = system_of(BY_FAULT)
    seen = Escalated()
    monitors = monitors_for(system, system.technicians, range(system.teams), extra=[seen])
    kpis = monitors.kpis(simulate(system, 0, monitors))["all"]
    assert set(seen.needs) == {1} and len(seen.needs) > 1000
    n = kpis["n_calls"]
    assert kpis["escalation_share"] == pytest.approx(0.3, abs=3 * (0.3 * 0.7 / n) ** 0.5)
    est = estimate(system)
    assert est.get("escalation_share").value == pytest.approx(0.3)  # type: ignore[union-attr]
    specialist = mms(1.5 * (0.2 + 0.3), 1.0, 1)
    assert est.get("escalation_added_h").value == pytest.approx(specialist.w)  # type: ignore[union-attr]
    assert est.get("escalation_added_h").exact  # type: ignore[union-attr]


def test_a_table_with_one_probability_for_every_fault_is_the_group_s_probability_bit_for_bit():
    """``escalation = 0.3`` and ``escalation = {standard = 0.3, complex = 0.3}`` draw the
    same uniforms for the same visits: the runs are the same."""
    groups = [dict(g) for g in BY_FAULT["skills.groups"]]
    scalar = {**BY_FAULT, "skills.groups": [{**groups[0], "escalation": 0.3}, groups[1]]}
    table = {
        **BY_FAULT,
        "skills.groups": [{**groups[0], "escalation": {"standard": 0.3, "complex": 0.3}}, groups[1]],
    }
    a, _ = run(system_of({**scalar, "run.horizon_h": 2000.0}))
    b, _ = run(system_of({**table, "run.horizon_h": 2000.0}))
    assert a["all"]["escalation_share"] > 0.1
    assert repr(a) == repr(b)  # (nan-safe: the KPIs no call of the run measures are nan)


def test_escalation_tables_are_checked_per_fault_type():
    base = {**BY_FAULT}
    groups = BY_FAULT["skills.groups"]
    for table, key in [
        ({"complex": 1.2}, r"skills\.groups\[0\]\.escalation\.complex: a probability must be in \[0, 1\]"),
        ({"expert": 0.2}, r"skills\.groups\[0\]\.escalation\.expert: group 'generalists' lacks"),
        ({"nope": 0.2}, r"skills\.groups\[0\]\.escalation\.nope: no skill"),
    ]:
        changes = {**base, "skills.groups": [{**groups[0], "escalation": table}, groups[1]]}
        with pytest.raises(ScenarioError, match=key):
            validate_scenario(variant(BASE, changes))
    cross = [
        {**groups[0], "skills": ["standard", "complex", "expert"], "escalation": {"expert": 0.2}},
        groups[1],
    ]
    with pytest.raises(ScenarioError, match=r"escalation\.expert: calls needing 'expert'"):
        validate_scenario(variant(BASE, {**base, "skills.groups": cross}))


# -- the remote-expert tier ([skills.escalation.remote]) -----------------------------------

REMOTE: dict[str, Any] = {
    **ESCALATION,
    "skills.escalation": {
        "to": "complex",
        "remote": {"experts": 1, "handling_h": {"dist": "exponential", "mean": 0.5}, "fix": 0.5},
    },
    "run.horizon_h": 8000.0,
}


class ExpertLog(Tally):
    """Every call the experts take and let go, and every remote fix, in order."""

    name = "expert_log"

    def __init__(self) -> None:
        super().__init__()
        self.taken: list[int] = []
        self.released: list[int] = []
        self.fixed: list[int] = []
        self.restored: list[int] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "expert_taken": lambda call, now: self.taken.append(call.number),
            "expert_released": lambda call, now: self.released.append(call.number),
            "expert_restored": lambda call, now: self.fixed.append(call.number),
            "restored": lambda call, now: self.restored.append(call.number),
        }


def _with_log(system: ServiceSystem) -> tuple[dict[str, float], ExpertLog, Pairs]:
    log, pairs = ExpertLog(), Pairs()
    monitors = monitors_for(system, system.technicians, range(system.teams), extra=[log, pairs])
    return monitors.kpis(simulate(system, 0, monitors))["all"], log, pairs


def test_an_escalated_call_goes_to_the_expert_first_and_only_unfixed_ones_to_the_specialist():
    """Every escalated call is taken and let go by the expert; half are fixed remotely
    (restored without a visit, heard by every tally that hears restorations), the others
    are the specialist's only visits."""
    kpis, log, pairs = _with_log(system_of(REMOTE))
    assert log.taken[: len(log.released)] == log.released[: len(log.taken)]  # (one expert: FIFO)
    assert set(log.fixed) <= set(log.released) and set(log.fixed) <= set(log.restored)
    specialist_visits = [tech for need, tech in pairs.pairs if need == 1]
    assert set(specialist_visits) == {3}
    escalated = len(log.released)
    assert len(specialist_visits) == pytest.approx(escalated - len(log.fixed), abs=3)  # (the run's end)
    n = len(log.released)
    assert kpis["remote_fix_share"] == pytest.approx(0.5, abs=3 * (0.25 / n) ** 0.5)
    rate = 1.5 * 0.3
    assert kpis["expert_utilization"] == pytest.approx(rate * 0.5, rel=0.06)
    expert = mms(rate, 1 / 0.5, 1)
    specialist = mms(rate * 0.5, 1 / 1.5, 1)
    added = expert.wq + 0.5 + 0.5 * specialist.w
    assert kpis["escalation_added_h"] == pytest.approx(added, rel=0.08)
    assert kpis["calls_per_day"] > 0 and kpis["n_calls"] > 0
    est = estimate(system_of(REMOTE))
    for kpi, value in [
        ("expert_wait_h", expert.wq),
        ("remote_fix_share", 0.5),
        ("expert_utilization", rate * 0.5),
        ("escalation_added_h", added),
    ]:
        e = est.get(kpi)
        assert e is not None and e.exact and e.value == pytest.approx(value), kpi


def test_every_escalated_call_is_restored_by_the_expert_with_fix_one():
    """fix = 1: no escalated call reaches the specialist, and the machines-down level
    comes back to the calls still open (the remote fixes reach the call tally)."""
    remote = {**REMOTE["skills.escalation"]["remote"], "fix": 1.0}
    system = system_of({**REMOTE, "skills.escalation": {"to": "complex", "remote": remote}})
    kpis, log, pairs = _with_log(system)
    assert not [tech for need, tech in pairs.pairs if need == 1]
    assert log.fixed == log.released and kpis["remote_fix_share"] == 1.0
    expert = mms(0.45, 1 / 0.5, 1)
    assert kpis["escalation_added_h"] == pytest.approx(expert.w, rel=0.08)


def test_a_non_exponential_expert_is_exact_alone_and_makes_the_specialists_approximate():
    remote = {"experts": 1, "handling_h": {"dist": "gamma", "mean": 0.5, "cv": 0.5}, "fix": 0.5}
    est = estimate(system_of({**REMOTE, "skills.escalation": {"to": "complex", "remote": remote}}))
    assert est.get("expert_wait_h").exact  # type: ignore[union-attr]  (M/G/1: P-K)
    assert not est.get("escalation_added_h").exact  # type: ignore[union-attr]
    assert est.get("wait_h_skill0").exact  # type: ignore[union-attr]
    two = {**remote, "experts": 2}
    est = estimate(system_of({**REMOTE, "skills.escalation": {"to": "complex", "remote": two}}))
    assert not est.get("expert_wait_h").exact  # type: ignore[union-attr]  (Allen-Cunneen)


def test_the_remote_tier_is_checked():
    remote = REMOTE["skills.escalation"]["remote"]
    for change, key in [
        ({"fix": 1.5}, r"skills\.escalation\.remote\.fix"),
        ({"experts": 0}, r"skills\.escalation\.remote\.experts"),
        ({"handling_h": {"dist": "deterministic", "value": 0.0}}, r"skills\.escalation\.remote\.handling_h"),
    ]:
        bad = {**REMOTE, "skills.escalation": {"to": "complex", "remote": {**remote, **change}}}
        with pytest.raises(ScenarioError, match=key):
            validate_scenario(variant(BASE, bad))


# -- common random numbers across the shipped scenario's cross-training levels -------------


class Logged(Tally):
    """Every logged call: (number, time, need), in logging order."""

    name = "logged_calls"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, float, int]] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"logged": lambda call, now: self.calls.append((call.number, now, call.need))}  # type: ignore[attr-defined]


def test_the_shipped_study_s_cross_training_levels_see_the_same_calls_with_the_same_needs():
    """scenarios/skills_and_contractors.toml at 0, 25, 50 and 100 % cross-training (the
    contractor at one threshold): the same calls, at the same instants, needing the same
    skills, in every replication; only who serves them differs."""
    from pathlib import Path

    from sim.config import expand_sweep, load_scenario, with_overrides

    path = Path(__file__).resolve().parents[1] / "scenarios" / "skills_and_contractors.toml"
    base = with_overrides(load_scenario(path), {"run.horizon_h": 600.0, "sweep": {}}, "<test>")
    points = expand_sweep(base)
    assert [p.params["variant"] for p in points] == ["cross-0%", "cross-25%", "cross-50%", "cross-100%"]
    for replication in (0, 1):
        seen, waits = [], []
        for point in points:
            system = ServiceSystem.from_scenario(point.scenario)
            log = Logged()
            monitors = monitors_for(system, system.technicians, range(system.teams), extra=[log])
            waits.append(monitors.kpis(simulate(system, replication, monitors))["all"]["wait_h"])
            seen.append([c for c in log.calls if c[1] < 600.0])  # (the run goes on to serve the last)
        assert len(seen[0]) > 2000
        assert all(calls == seen[0] for calls in seen[1:])
        assert len(set(waits)) == len(waits)  # (the staffing does change the service)
