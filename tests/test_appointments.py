"""Appointments and arrival windows ([appointments], issue 15): config, booking, the
promises kept or broken, the tally another tally can read, and the booking formula."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.slotted import backlog_distribution, slotted_booking
from sim.config import ScenarioError, validate_scenario
from sim.model import simulate
from sim.monitors import monitors_for
from sim.monitors.protocol import AppointmentLike, CallLike, Outcome
from sim.monitors.tally import Tally
from sim.system import ServiceSystem

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

#: the validation case's first variant, shorter: every call booked, one window a day, c = 4
EXACT: dict[str, Any] = {
    "run": {"horizon_h": 6000.0, "warmup_h": 500.0, "replications": 1, "seed": 15},
    "calendar": {"shifts": [{"days": EVERY_DAY, "start": "08:00", "end": "16:00"}]},
    "fleet": {"calls_per_h": 3.4 / 24},
    "territories": {"count": 2, "technicians": 1},
    "travel": {"time_h": {"dist": "deterministic", "value": 0.5}},
    "repair": {"time_h": {"dist": "deterministic", "value": 1.5}},
    "appointments": {"booked": ["standard"], "window_h": 8.0, "lead_h": 8.0},
}

#: urgent contract calls first (priority 1), booked paid calls in two-hour windows
MIXED: dict[str, Any] = {
    "run": {"horizon_h": 6000.0, "warmup_h": 500.0, "replications": 1, "seed": 15},
    "calendar": {"shifts": [{"days": EVERY_DAY[:5], "start": "08:00", "end": "16:00"}]},
    "fleet": {
        "calls_per_h": 0.05,
        "classes": [
            {"name": "contract", "share": 0.4, "priority": 1},
            {"name": "paid", "share": 0.6, "priority": 2},
        ],
    },
    "dispatch": {"policy": "priority"},
    "territories": {"count": 2, "technicians": 1},
    "travel": {"time_h": {"dist": "exponential", "mean": 0.5}},
    "repair": {"time_h": {"dist": "exponential", "mean": 1.5}},
    "appointments": {"booked": ["paid"], "window_h": 2.0, "lead_h": 8.0, "job_h": 1.5},
}


def system_of(base: dict[str, Any], changes: dict[str, Any] | None = None) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(base, changes), "<test>"))


class Promises(Tally):
    """What a complaints tally would read: every appointment's outcome, per call."""

    name = "promises"

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[CallLike, list[Outcome]] = {}  # (the calls kept: ids would be reused)
        self.windows: list[tuple[float, float, float]] = []  # (start, end, arrival)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"appointment_outcome": self.outcome}

    def outcome(self, call: CallLike, appointment: AppointmentLike, now: float) -> None:
        self.outcomes.setdefault(call, []).append(appointment.outcome)
        if appointment.outcome is not Outcome.MISSED:
            self.windows.append((appointment.start, appointment.end, appointment.arrived_at))


def run(system: ServiceSystem, replication: int = 0) -> tuple[dict[str, dict[str, float]], Promises]:
    promises = Promises()
    monitors = monitors_for(system, system.technicians, range(system.teams), extra=[promises])
    end = simulate(system, replication, monitors)
    return monitors.kpis(end), promises


# -- config ---------------------------------------------------------------------------


def test_without_the_section_nothing_is_booked_and_the_hash_is_unchanged():
    plain = validate_scenario(variant(MIXED, drop=("appointments",)))
    assert ServiceSystem.from_scenario(plain).appointments is None
    assert "appointments" not in plain.model_dump()


def test_the_system_cuts_windows_from_the_shifts():
    a = system_of(MIXED).appointments
    assert a is not None
    assert a.rows == frozenset({1})
    assert len(a.windows) == 5 * 4  # four two-hour windows in each 8-h shift
    assert a.windows[0] == (8.0, 10.0, 16.0) and a.windows[3] == (14.0, 16.0, 16.0)
    assert a.capacity_h == 2.0 and a.offered_h == 2.0 and a.job_h == (0.0, 1.5)
    assert a.release_h == (0.5, 0.5)  # the mean trip
    assert a.window(20) == (176.0, 178.0, 184.0)  # next Monday
    assert a.first_window(10.0) == 1 and a.first_window(10.5) == 2 and a.first_window(17.0) == 4
    # a Friday call's next working day is Monday
    assert a.next_day_end(4 * 24 + 12.0) == 8 * 24.0


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"appointments.window_h": 9.0}, "appointments.window_h"),
        ({"appointments.held_back": 1.0}, "appointments.held_back"),
        ({"appointments.held_back": -0.1}, "appointments.held_back"),
        ({"calendar.shifts": []}, "appointments.booked"),
        ({"appointments.booked": ["nobody"]}, "appointments.booked[0]"),
        ({"appointments.job_h": 2.5}, "appointments.job_h"),
        ({"travel.mode": "geometry", "territories.width_km": 5.0, "territories.height_km": 5.0}, "travel"),
    ],
)
def test_bad_appointments_are_refused_naming_the_key(changes, key):
    data = variant(MIXED, changes)
    if "travel.mode" in changes:
        data["travel"] = {"mode": "geometry"}
    with pytest.raises(ScenarioError, match=key.replace("[", r"\[").replace("]", r"\]")):
        validate_scenario(data, "<test>")


# -- the model: promises kept and broken -------------------------------------------------


def test_the_exact_case_keeps_every_promise_inside_its_window():
    kpis, promises = run(system_of(EXACT))
    row = kpis["all"]
    assert row["appt_kept"] == 1.0 and row["appt_late"] == 0.0 and row["appt_missed"] == 0.0
    assert row["appt_idle_h_per_day"] == 0.0  # fixed trips: the first arrives as the window opens
    assert promises.windows and all(a <= t <= b for a, b, t in promises.windows)
    assert all(o == [Outcome.KEPT] for o in promises.outcomes.values())
    # the booked call's wait counts from its release, its response from the customer's call
    assert row["response_h"] > 24.0 > row["wait_h"]


def test_urgent_work_breaks_promises_and_the_shares_add_up():
    kpis, promises = run(system_of(MIXED))
    paid = kpis["paid"]
    assert paid["appt_missed"] > 0.0 and paid["appt_late"] > 0.0 and paid["appt_kept"] > 0.5
    assert math.isclose(paid["appt_kept"] + paid["appt_late"] + paid["appt_missed"], 1.0)
    assert math.isclose(paid["appt_in_window"], paid["appt_kept"] / (paid["appt_kept"] + paid["appt_late"]))
    assert paid["appt_idle_h_per_day"] > 0.0  # random trips: some arrive early and wait
    assert "appt_kept" not in kpis["contract"]  # urgent calls have no appointment
    # a missed appointment is rebooked: the next outcome of the same call follows it
    rebooked = [o for o in promises.outcomes.values() if o[0] is Outcome.MISSED]
    assert rebooked and all(o[-1] is not Outcome.MISSED for o in rebooked)
    # every arrival the tally saw is on the right side of its window's end
    late = sum(t > b for _, b, t in promises.windows)
    assert late > 0


def test_the_other_tally_sees_what_the_kpis_count():
    system = system_of(MIXED, {"run.warmup_h": 0.0})
    kpis, promises = run(system)
    counts = Counter(o for outcomes in promises.outcomes.values() for o in outcomes)
    given = sum(counts.values())
    # (the KPIs count the calls of the window; the tally hears the run-on too)
    assert kpis["all"]["appt_missed"] == pytest.approx(counts[Outcome.MISSED] / given, abs=0.01)


def test_held_back_capacity_lengthens_the_lead_time():
    busier = {"fleet.calls_per_h": 0.08, "appointments.job_h": 1.0}  # two bookings a window
    base = run(system_of(MIXED, busier))[0]["paid"]
    held = run(system_of(MIXED, {**busier, "appointments.held_back": 0.5}))[0]["paid"]  # one
    assert held["appt_lead_days"] > base["appt_lead_days"]
    assert held["appt_next_day"] < base["appt_next_day"]


def test_releasing_the_held_back_share_to_late_bookings_shortens_the_lead():
    busier = {"fleet.calls_per_h": 0.08, "appointments.job_h": 1.0, "appointments.held_back": 0.5}
    held = run(system_of(MIXED, busier))[0]["paid"]
    released = run(system_of(MIXED, {**busier, "appointments.release_held_h": 30.0}))[0]["paid"]
    assert released["appt_lead_days"] < held["appt_lead_days"]
    assert released["appt_next_day"] > held["appt_next_day"]
    released_exact = system_of(EXACT, {"appointments.held_back": 0.2, "appointments.release_held_h": 20.0})
    assert estimate(released_exact).get("appt_lead_days") is None  # capacity not fixed: no formula
    with pytest.raises(ScenarioError, match=r"appointments\.release_held_h"):
        validate_scenario(variant(MIXED, {"appointments.release_held_h": 10.0}), "<test>")


def test_a_preferred_day_pushes_the_appointment():
    kpis = run(system_of(MIXED, {"appointments.preferred_days": {"dist": "deterministic", "value": 3.0}}))[0]
    plain = run(system_of(MIXED))[0]
    assert kpis["paid"]["appt_lead_days"] > 2.0  # never before the third day after the call
    assert kpis["paid"]["appt_next_day"] < 0.5 * plain["paid"]["appt_next_day"]  # (Fridays: Monday)


class Bookings(Tally):
    """Every appointment given: (call number, appointment number, window start, preferred time)."""

    name = "bookings"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int, float, int]] = []

    def handles(self) -> dict[str, Callable[..., None]]:
        return {"booked": self.booked}

    def booked(self, call: CallLike, appointment: AppointmentLike, now: float) -> None:
        preferred = appointment.preferred  # type: ignore[attr-defined]  # (the model's Appointment)
        self.seen.append((call.number, appointment.number, appointment.start, preferred))


def bookings(system: ServiceSystem) -> tuple[dict[str, dict[str, float]], Bookings]:
    seen = Bookings()
    monitors = monitors_for(system, system.technicians, range(system.teams), extra=[seen])
    end = simulate(system, 0, monitors)
    return monitors.kpis(end), seen


MORNINGS = {"share": 0.5, "start": "08:00", "end": "12:00"}
LATE_AFTERNOONS = {"share": 0.25, "start": "14:00", "end": "16:00"}


def test_a_preferred_time_of_day_books_only_windows_inside_it_every_time():
    """Two-hour windows 08-10, 10-12, 12-14, 14-16 on weekdays; half the customers want
    the morning, a quarter the late afternoon, the rest take any window.  Each call's
    time is drawn once with those shares and kept through its rebookings; every
    appointment of a call with a time lies inside it."""
    times = {"appointments.preferred_times": [MORNINGS, LATE_AFTERNOONS], "run.horizon_h": 15000.0}
    system = system_of(MIXED, times)
    assert system.appointments is not None
    assert system.appointments.preferred_shares == (0.5, 0.75)
    assert system.appointments.preferred_windows[1] == frozenset(range(3, 20, 4))  # each day's last
    kpis, tally = bookings(system)
    seen = tally.seen
    allowed = {0: {8.0, 10.0}, 1: {14.0}}
    assert all(start % 24.0 in allowed[p] for _, _, start, p in seen if p >= 0)
    first = {n: p for n, k, _, p in seen if k == 1}
    assert len(first) > 800
    share = Counter(first.values())
    for p, expected in ((0, 0.5), (1, 0.25), (-1, 0.25)):  # (binomial sd <= 0.017)
        assert share[p] / len(first) == pytest.approx(expected, abs=0.05), p
    rebooked = [(n, p) for n, k, _, p in seen if k > 1]
    assert rebooked and all(first[n] == p for n, p in rebooked if n in first)
    # the calls without a time still use the afternoon windows the others leave
    assert any(start % 24.0 == 12.0 for _, _, start, p in seen if p < 0)
    plain = run(system_of(MIXED, {"run.horizon_h": 15000.0}))[0]
    assert kpis["paid"]["appt_lead_days"] > plain["paid"]["appt_lead_days"]


def test_preferred_times_draw_their_own_stream_and_have_no_booking_formula():
    """A time of day that every window satisfies moves no booking, and its draws come from
    their own stream: the run is the one without preferences, bit for bit.  The booking
    formula steps aside with a note."""
    exact = system_of(
        EXACT, {"appointments.preferred_times": [{"share": 1.0, "start": "08:00", "end": "16:00"}]}
    )
    est = estimate(exact)
    assert est.get("appt_lead_days") is None
    assert any("preferred times of day" in n for n in est.notes)
    # a preference every window satisfies changes no booking: the run is the same, bit for bit
    a, b = run(exact)[0], run(system_of(EXACT))[0]
    assert a.keys() == b.keys()
    for row in a:
        assert a[row].keys() == b[row].keys()
        assert all(
            a[row][k] == b[row][k] or (math.isnan(a[row][k]) and math.isnan(b[row][k])) for k in a[row]
        )


@pytest.mark.parametrize(
    ("times", "key"),
    [
        (
            [{**MORNINGS, "share": 0.7}, {**LATE_AFTERNOONS, "share": 0.4}],
            "appointments.preferred_times[1].share",
        ),
        ([{"share": 0.5, "start": "12:00", "end": "10:00"}], "appointments.preferred_times[0].end"),
        ([{"share": 0.5, "start": "09:00", "end": "11:00"}, MORNINGS], "appointments.preferred_times[0]"),
    ],
)
def test_bad_preferred_times_are_refused_naming_the_key(times, key):
    with pytest.raises(ScenarioError) as err:
        validate_scenario(variant(MIXED, {"appointments.preferred_times": times}), "<test>")
    assert err.value.key == key


def test_behind_a_helpdesk_the_call_is_booked_at_the_reply():
    system = system_of(
        MIXED,
        {"helpdesk": {"agents": 1, "handling_h": {"dist": "deterministic", "value": 0.5}}},
    )
    kpis, promises = run(system)
    paid = kpis["paid"]
    assert paid["reply_h"] >= 0.5 and promises.outcomes
    assert paid["appt_lead_days"] * 24.0 >= 8.0 + 0.5  # lead time after the reply


# -- the booking formula ---------------------------------------------------------------


def _booked_leads(lam: float, period: float, c: int, lead_h: float, n: int, seed: int) -> np.ndarray:
    """Poisson requests booked into the first slot from their cut-off with a place left."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.exponential(1.0 / lam, n))
    used: dict[int, int] = {}
    leads = np.empty(n)
    for i, ti in enumerate(t):
        k = math.ceil((ti + lead_h) / period)  # the first slot starting at or after ti + L
        while used.get(k, 0) >= c:
            k += 1
        used[k] = used.get(k, 0) + 1
        leads[i] = k * period - ti
    return leads[n // 10 :]


def test_the_backlog_chain_is_the_md1_queue_for_one_place():
    x = backlog_distribution(0.7, 1.0, 1)
    rho = 0.7
    assert x[0] == pytest.approx(1 - rho, abs=1e-12)
    assert np.arange(len(x)) @ x == pytest.approx(rho + rho**2 / (2 * (1 - rho)), rel=1e-10)


@pytest.mark.parametrize(("lam", "c", "lead"), [(3.4 / 24, 4, 8.0), (6.4 / 24, 8, 20.0)])
def test_the_mean_lead_time_matches_booking_done_by_hand(lam, c, lead):
    leads = _booked_leads(lam, 24.0, c, lead, 200_000, 7)
    formula = slotted_booking(lam, 24.0, c).mean_lead_h(lead)
    # batch means over 20 batches: the backlog is correlated from day to day
    means = leads[: len(leads) // 20 * 20].reshape(20, -1).mean(axis=1)
    half = 2.86 * means.std(ddof=1) / math.sqrt(20)
    assert abs(leads.mean() - formula) < half, (leads.mean(), formula, half)
    assert half < 0.05 * formula  # tight enough to tell the backlog-blind L + 12 h apart
    assert formula > lead + 12.0 + 2.0


def test_the_labels_follow_the_assumptions():
    exact = estimate(system_of(EXACT))
    e = exact.get("appt_lead_days")
    assert e is not None and e.exact and exact.get("appt_next_day") is not None
    urgent = {"fleet.classes": [{"name": "urgent", "share": 0.2}, {"name": "standard", "share": 0.8}]}
    mixed = estimate(system_of(EXACT, urgent))
    m = mixed.get("appt_lead_days")
    assert m is not None and not m.exact and "urgent" in m.note
    assert mixed.get("wait_h") is None  # no queueing formula with appointments
    # windows around the clock, every 6 h: the lead time, but no next-day share
    clock = {
        "calendar.shifts": [{"days": EVERY_DAY, "start": "00:00", "end": "24:00"}],
        "appointments.window_h": 6.0,
        "appointments.job_h": 2.0,
    }
    assert estimate(system_of(EXACT, clock)).get("appt_lead_days") is not None
    assert estimate(system_of(EXACT, clock)).get("appt_next_day") is None
    # two windows a day (unequal gaps): no value
    assert estimate(system_of(MIXED)).get("appt_lead_days") is None
    finite = system_of(
        EXACT, {"fleet": {"machines": 30, "time_to_failure_h": {"dist": "exponential", "mean": 200.0}}}
    )
    assert estimate(finite).get("appt_lead_days") is None


# -- the scenario and its report section -------------------------------------------------


def test_the_appointment_scenario_runs_and_its_report_draws_the_trade_off(tmp_path, capsys):
    from pathlib import Path

    from sim.cli import main
    from sim.report import build_sections
    from sim.report.data import load_view
    from sim.results import read_run

    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "appointments.toml"
    argv = ["run", str(scenario), "--set", "run.horizon_h=1500", "--set", "run.warmup_h=200"]
    argv += ["--sweep", "appointments.window_h=2,8", "--sweep", "appointments.held_back=0,0.5"]
    argv += ["--replications", "2", "--backend", "serial", "--quiet", "--out", str(tmp_path)]
    assert main(argv) in (0, None)
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    view = load_view(read_run(run))
    (section,) = [s for s in build_sections(view) if s.id == "appointments"]
    ids = [c.id for c in section.charts]
    assert ids == [
        "appointments-lead",
        "appointments-appt_kept",
        "appointments-appt_lead_days",
        "appointments-utilization",
    ]
    kept = next(c.figure for c in section.charts if c.id == "appointments-appt_kept")
    assert len(kept.data) == 2 and all(
        list(t.x) == [2.0, 8.0] for t in kept.data
    )  # one line per share held back
    lead = section.charts[0].figure
    assert len(lead.data) == 4 and all(0.0 <= y <= 1.0 for t in lead.data for y in t.y)
    # the promises: complaints and satisfaction per class in the report
    (promises,) = [s for s in build_sections(view) if s.id == "complaints"]
    bars = promises.charts[0].figure.data
    assert {t.name for t in bars} >= {"contract", "paid", "warranty"}
    # every milestone per class in summary.csv: on site (contract), restored (contract), reply (all)
    summary = pd.read_csv(run / "summary.csv")
    has = set(zip(summary["class"], summary["kpi"], strict=True))
    assert {("contract", "sla_met"), ("contract", "restore_met")} <= has
    assert {(c, "reply_met") for c in ("contract", "paid", "warranty")} <= has
    assert {(c, "satisfaction") for c in ("contract", "paid", "warranty")} <= has
    assert {(c, "complaints_per_100_calls") for c in ("contract", "paid", "warranty")} <= has
    # ... and in the terminal's table by class
    out = capsys.readouterr().out
    for title in ("SLA met", "restored in time", "reply target met", "mean satisfaction score"):
        assert title in out
    # the overview puts the trade-off side by side: lead time, windows kept, utilisation
    lines = out.split("overview (means)")[1].splitlines()
    head = next(line for line in lines if line.startswith("point"))
    for col in ("utilization", "appt_lead_days", "appt_kept", "satisfaction"):
        assert col in head


def test_littles_law_holds_per_stage_with_appointments_behind_a_helpdesk():
    """The shipped appointment scenario (one point, a fifth resolved remotely): Little's law
    at the helpdesk (requests waiting = request rate x wait for an agent), at the visit
    queue, overall and per class (calls waiting = calls reaching dispatch per hour x wait,
    a missed appointment's call counted at each release), and on the machines down, which
    hold the booked calls not yet released: request rate x the mean time down, a visit
    call's restore_h, a remote fix's reply plus its 0.5 h remote time."""
    import tomllib
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scenarios" / "appointments.toml"
    changes = {
        "run.horizon_h": 8000.0,
        "run.warmup_h": 500.0,
        "helpdesk.remote_share": 0.2,
        "helpdesk.remote_h": {"dist": "deterministic", "value": 0.5},
    }
    data = variant(tomllib.loads(path.read_text()), changes, drop=("sweep",))
    rows, _ = run(ServiceSystem.from_scenario(validate_scenario(data, "<test>")))
    a = rows["all"]
    desk = a["helpdesk_requests_per_h"] * a["helpdesk_wait_h"]
    assert a["helpdesk_queue_len"] == pytest.approx(desk, rel=0.01)
    for name in ("all", "contract", "paid", "warranty"):
        r = rows[name]
        assert r["queue_len"] == pytest.approx(r["calls_logged_per_h"] * r["wait_h"], rel=0.01), name
    s = a["remote_share"]
    assert 0.15 < s < 0.25
    down = (1 - s) * a["restore_h"] + s * (a["reply_h"] + 0.5)
    assert a["machines_down"] == pytest.approx(a["helpdesk_requests_per_h"] * down, rel=0.02)
    # power: the booked calls waiting for their release are far more than the tolerance
    booked = a["helpdesk_requests_per_h"] * (1 - s) * 0.7 * 24.0 * a["appt_lead_days"]
    assert booked > 0.1 * a["machines_down"]


def test_behind_an_erlang_c_helpdesk_the_mean_lead_adds_the_reply_time():
    desk = {"agents": 2, "handling_h": {"dist": "exponential", "mean": 0.5}, "remote_share": 0.25}
    plain = estimate(system_of(EXACT, {"fleet.calls_per_h": 3.4 / 24 * 0.75}))
    out = estimate(system_of(EXACT, {"helpdesk": desk}))  # the same bookings after the remote fixes
    lead, reply = out.get("appt_lead_days"), out.get("reply_h")
    assert lead is not None and reply is not None and lead.exact and reply.exact
    base = plain.get("appt_lead_days")
    assert base is not None
    assert lead.value == pytest.approx(base.value + reply.value / 24.0, rel=1e-12)
    assert out.get("appt_next_day") is None
    share = out.get("appt_lead_le_2d")
    assert share is not None and not share.exact and "mean" in share.note
    held = estimate(
        system_of(EXACT, {"helpdesk": {**desk, "remote_h": {"dist": "exponential", "mean": 0.2}}})
    )
    held_lead = held.get("appt_lead_days")
    assert held_lead is not None and not held_lead.exact and "Poisson" in held_lead.note
