"""Internal work taken when idle (``[work.internal]``, issue 14): the technician's day.

A technician who has no call to take starts an internal task (inspections, parts
handling, training); at its end takes the call that waits, or starts another task.  A
task in progress is always finished first, so a call logged during a task waits for it
(the queue with multiple vacations).  The stories below drive one technician by hand;
then the same seed with internal work on and off gives the same calls (common random
numbers), and the analytic layer says where its formula is exact.
"""

from __future__ import annotations

import pytest
import simpy
from block_merge import whole_and_merged
from scenario_data import toml_data, variant

from sim.analytic import estimate
from sim.calendar import WeeklyCalendar
from sim.config import validate_scenario
from sim.model import make_policy, simulate
from sim.model.calls import Call
from sim.model.shifts import ShiftCalendar
from sim.model.team import Team
from sim.model.technician import crew
from sim.model.variates import Constant
from sim.monitors import CallRecord, MonitorSpec, monitors_for
from sim.system import ServiceSystem

DAY = 24.0
MON, TUE = 0.0, DAY


class Story:
    """One technician whose internal tasks take ``task_h`` each; calls logged by hand."""

    def __init__(self, task_h: float, shifts: WeeklyCalendar | None = None) -> None:
        self.env = simpy.Environment()
        self.recorder = MonitorSpec(
            ["standard"], [None], [1.0], 1, 8.0, keep_calls=True, internal=True
        ).build()
        self.team = Team(
            self.env, crew([0]), make_policy("fifo", [1]), self.recorder, tasks={0: Constant(task_h)}
        )
        if shifts is not None:
            ShiftCalendar(self.env, shifts, self.team)
        self.logged = 0

    def call(self, at: float, repair: float) -> int:
        number = self.logged
        self.logged += 1

        def customer(env: simpy.Environment):
            yield env.timeout(at - env.now)
            self.team.log_call(Call(number, -1, 0, 0, 0, 0.0, repair, env.now))

        self.env.process(customer(self.env))
        return number

    def run(self, until: float) -> dict[int, CallRecord]:
        self.env.run(until=until)
        return {c.number: c for c in self.recorder.calls}


def test_a_call_logged_during_a_task_waits_until_the_task_ends():
    """Tasks of 1.5 h from time 0: a call logged at 1.0 waits for the task to end at 1.5,
    is repaired 1.5-3.5; the technician then starts a task (3.5-5.0), so a call logged at
    4.0 waits until 5.0.  Internal time is 3 h of the first 6, not part of utilisation."""
    story = Story(task_h=1.5)
    first = story.call(at=1.0, repair=2.0)
    second = story.call(at=4.0, repair=2.0)
    calls = story.run(until=6.0)
    assert (calls[first].dispatched_at, calls[first].restored_at) == (1.5, 3.5)
    assert story.team.free == type(story.team.free)()  # on duty nobody is ever free
    k = story.recorder.kpis(6.0)["all"]
    assert second not in calls  # in repair 5.0-7.0
    assert k["internal_share"] == pytest.approx(3.0 / 6.0)
    assert k["utilization"] == pytest.approx(3.0 / 6.0)  # repairs 1.5-3.5 and 5.0-6.0
    assert k["internal_h_per_day"] == pytest.approx(3.0 / 6.0 * 8.0)
    story.env.run(until=8.0)
    assert {c.number: c.dispatched_at for c in story.recorder.calls}[second] == 5.0


def test_calls_that_wait_are_taken_one_after_another_before_the_next_task():
    """Three calls logged during the first task (0-2) are served back to back from 2.0;
    only when none waits (at 5.0) does the next task start (5.0-7.0)."""
    story = Story(task_h=2.0)
    numbers = [story.call(at=t, repair=1.0) for t in (0.5, 1.0, 1.5)]
    late = story.call(at=5.5, repair=1.0)  # logged during the task 5.0-7.0
    calls = story.run(until=10.0)
    assert [calls[n].dispatched_at for n in numbers] == [2.0, 3.0, 4.0]
    assert calls[late].dispatched_at == 7.0


def test_a_task_running_at_the_shift_end_is_finished_and_none_starts_off_duty():
    """Mon-Fri 09:00-17:00, tasks of 1.5 h: none before 09:00 (off duty at time 0); tasks
    09:00-10:30 ... 15:00-16:30, and the one started at 16:30 is finished at 18:00.  No task
    starts after that: a call logged at 17:30 waits for Tuesday 09:00."""
    shifts = WeeklyCalendar.from_shifts([(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00")])
    story = Story(task_h=1.5, shifts=shifts)
    story.env.run(until=MON + 8.0)
    internal = story.recorder["internal"]
    assert internal.working.value == 0  # type: ignore[attr-defined]
    night = story.call(at=MON + 17.5, repair=1.0)
    story.run(until=MON + 20.0)
    area, working = internal.working.closed(MON + 20.0)  # type: ignore[attr-defined]
    assert (area, working) == (pytest.approx(18.0 - 9.0), 0)  # Monday: 09:00 to the last task's end
    assert list(story.team.free) == [0]  # off duty: free, no task
    calls = story.run(until=TUE + 12.0)
    assert calls[night].dispatched_at == TUE + 9.0
    assert list(story.team.free) == []  # Tuesday: back to tasks after the call


def test_a_team_without_internal_work_frees_its_technicians_as_before():
    """No tasks: the technician released with no call waiting is simply free (the hot
    path is the deque's own append, chosen at construction)."""
    env = simpy.Environment()
    recorder = MonitorSpec(["standard"], [None], [1.0], 1, 8.0).build()
    team = Team(env, crew([0]), make_policy("fifo", [1]), recorder)
    assert team._idle == team.free.append
    team.log_call(Call(0, -1, 0, 0, 0, 0.0, 1.0, 0.0))
    env.run(until=2.0)
    assert list(team.free) == [0]


# ---------------------------------------------------------------------------
# Runs from a scenario

BASE = toml_data("""
[meta]
name = "internal-work"

[run]
horizon_h = 3000.0
warmup_h = 100.0
replications = 1
seed = 23

[fleet]
calls_per_h = 0.5

[territories]
technicians = 2

[travel]
time_h = { dist = "exponential", mean = 0.5 }

[repair]
time_h = { dist = "gamma", mean = 1.5, cv = 0.7 }

[work.internal]
mode = "when_idle"
task_h = { dist = "gamma", mean = 1.0, cv = 0.5 }
""")


def _calls(raw: dict, keep: bool = True) -> tuple[list[CallRecord], dict[str, float]]:
    system = ServiceSystem.from_scenario(validate_scenario(raw, "<internal>"))
    terr = system.territories
    monitors = monitors_for(system, system.technicians, range(terr.count), keep_calls=keep)
    end = simulate(system, 0, monitors)
    return sorted(monitors.calls, key=lambda c: c.number), monitors.kpis(end)["all"]


def test_internal_work_on_or_off_leaves_every_call_the_same():
    """Common random numbers: the same seed with and without internal work logs the same
    calls with the same needs (travel, repair); only their waits differ, and they grow."""
    with_tasks, on = _calls(BASE)
    without, off = _calls(variant(BASE, drop=["work"]))
    needs_on = {c.number: (c.logged_at, c.travel_h, c.repair_h, c.service_class) for c in with_tasks}
    needs_off = {c.number: (c.logged_at, c.travel_h, c.repair_h, c.service_class) for c in without}
    common = needs_on.keys() & needs_off.keys()
    assert len(common) > 0.99 * max(len(needs_on), len(needs_off))
    assert all(needs_on[n] == needs_off[n] for n in common)
    assert on["wait_h"] > off["wait_h"]
    assert on["p_wait"] == 1.0 and off["p_wait"] < 1.0
    assert "internal_share" in on and "internal_share" not in off
    # the time off calls is internal: utilisation + internal share = 1 (no shifts)
    assert on["utilization"] + on["internal_share"] == pytest.approx(1.0, abs=1e-9)


def test_a_technicians_tasks_do_not_depend_on_the_team_size():
    """Each technician draws tasks from a stream of their own: a third technician leaves
    the calls' needs unchanged."""
    two, _ = _calls(BASE)
    three, _ = _calls(variant(BASE, {"territories.technicians": 3}))
    a = {c.number: (c.travel_h, c.repair_h) for c in two}
    b = {c.number: (c.travel_h, c.repair_h) for c in three}
    assert all(a[n] == b[n] for n in a.keys() & b.keys())


def test_the_internal_tally_survives_a_task_file_and_merges_blocks():
    """Two teams run as two blocks and merged through JSON records give the whole fleet's
    internal share (the sums added in another order: equal to rounding)."""
    raw = variant(BASE, {"territories.count": 2, "territories.technicians": 1})
    system = ServiceSystem.from_scenario(validate_scenario(raw, "<internal>"))
    total, merged, end = whole_and_merged(system, 2)
    for kpi in ("internal_share", "internal_h_per_day", "utilization"):
        assert merged.kpis(end)["all"][kpi] == pytest.approx(total.kpis(end)["all"][kpi], rel=1e-9)


# ---------------------------------------------------------------------------
# What the formulas say


def _estimates(changes: dict) -> dict[str, object]:
    sc = validate_scenario(variant(BASE, changes), "<internal>")
    return {e.kpi: e for e in estimate(ServiceSystem.from_scenario(sc)).primary if e.service_class == "all"}


def test_one_technician_with_poisson_calls_has_the_exact_vacation_formula():
    """M/G/1 with multiple vacations: Wq = lambda E[S^2] / (2 (1 - rho)) + E[V^2] / (2 E[V])."""
    est = _estimates({"territories.technicians": 1, "travel.time_h": {"dist": "deterministic", "value": 0.0}})
    lam, es, es2 = 0.5, 1.5, 1.5**2 * (1 + 0.7**2)
    ev, ev2 = 1.0, 1.0 + 0.5**2
    wq = lam * es2 / (2 * (1 - lam * es)) + ev2 / (2 * ev)
    wait = est["wait_h"]
    assert (
        wait.value == pytest.approx(wq) and wait.exact and wait.model.startswith("M/G/1 multiple vacations")
    )
    assert est["queue_len"].value == pytest.approx(lam * wq) and est["queue_len"].exact
    assert est["p_wait"].value == 1.0 and est["internal_share"].value == pytest.approx(1 - lam * es)


def test_two_technicians_with_exponential_times_have_the_exact_chain():
    """Exponential service and tasks: the Markov chain of (calls present, technicians
    serving) gives the wait, above Erlang C's by the time calls wait for tasks to end."""
    exp = {"dist": "exponential", "mean": 1.5}
    plain = {"travel.time_h": {"dist": "deterministic", "value": 0.0}, "repair.time_h": exp}
    est = _estimates({**plain, "work.internal.task_h": {"dist": "exponential", "mean": 1.0}})
    erlang_c = _estimates_without_work(plain)
    wait = est["wait_h"]
    assert wait.exact and wait.model == "M/M/2 multiple vacations (Markov chain)"
    assert wait.value > erlang_c["wait_h"].value
    assert est["queue_len"].value == pytest.approx(0.5 * wait.value)  # Little, lambda = 0.5


def _estimates_without_work(changes: dict) -> dict[str, object]:
    sc = validate_scenario(variant(BASE, changes, drop=["work"]), "<internal>")
    return {e.kpi: e for e in estimate(ServiceSystem.from_scenario(sc)).primary if e.service_class == "all"}


def test_several_technicians_or_a_finite_fleet_get_no_wait_formula():
    """Two technicians with gamma repairs (asynchronous vacations), or a fleet whose call
    rate falls as the waits grow: no exact value and no cited approximation, so no
    analytic wait."""
    two = _estimates({})
    assert "wait_h" not in two and "queue_len" not in two
    util, share = two["utilization"], two["internal_share"]  # lambda E[S] / c still holds
    assert share.value == pytest.approx(1.0 - util.value) and share.exact == util.exact
    fleet = _estimates(
        {
            "territories.technicians": 1,
            "fleet": {"machines": 20, "time_to_failure_h": {"dist": "exponential", "mean": 60.0}},
        }
    )
    assert "wait_h" not in fleet and "utilization" not in fleet


def test_priority_classes_wait_by_cobhams_argument_with_the_residual_task():
    """One technician, contract calls first: each class's wait is R / ((1 - sigma_{k-1})
    (1 - sigma_k)) with R the residual of a repair or a task in progress; the classes'
    waits average to the FIFO vacation wait (conservation)."""
    classes = [
        {"name": "contract", "share": 0.4, "priority": 1},
        {"name": "paid", "share": 0.6, "priority": 2},
    ]
    raw = variant(
        BASE,
        {
            "territories.technicians": 1,
            "travel.time_h": {"dist": "deterministic", "value": 0.0},
            "fleet.classes": classes,
            "dispatch.policy": "priority",
        },
    )
    system = ServiceSystem.from_scenario(validate_scenario(raw, "<internal>"))
    waits = {e.service_class: e for e in estimate(system).primary if e.kpi == "wait_h"}
    lam, es, es2, ev2 = 0.5, 1.5, 1.5**2 * (1 + 0.7**2), 1.0 + 0.5**2
    rho, sigma1 = lam * es, 0.4 * lam * es
    residual = lam * es2 / 2 + (1 - rho) * ev2 / 2
    assert waits["contract"].value == pytest.approx(residual / (1 - sigma1))
    assert waits["paid"].value == pytest.approx(residual / ((1 - sigma1) * (1 - rho)))
    assert all(w.exact for w in waits.values())
    overall = 0.4 * waits["contract"].value + 0.6 * waits["paid"].value
    assert waits["all"].value == pytest.approx(overall)
