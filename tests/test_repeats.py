"""Repeat repairs (``[repair.repeat]``, issue 14): a repair that leaves the cause, and the
machine fails again after a short time with the same fault, a repeat call.

The scenario keys and what the system makes of them; the model (both finite fleets: one
renewal process per machine, and the thinned Poisson stream with its 'repeat pending'
state) and its common random numbers; the tally; the analytic layer's labels.  The
validation case ``scenarios/validation/repeat_insensitive.toml`` checks the exact values
against simulation with power.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest
from scenario_data import variant

from sim.analytic import estimate
from sim.analytic.repeats import repeat_fleet, repeat_fleet_effective, repeat_window
from sim.config import ScenarioError, validate_scenario
from sim.distributions import Deterministic, Gamma
from sim.experiment.tables import kpi_names
from sim.model import simulate
from sim.monitors import Tally, monitors_for
from sim.monitors.repeats import RepeatTally
from sim.system import ServiceSystem

EXPONENTIAL_LIFE = {"dist": "exponential", "mean": 20.0}
WEIBULL_LIFE = {"dist": "weibull", "mean": 20.0, "shape": 2.0}

BASE: dict[str, Any] = {
    "meta": {"name": "repeats"},
    "run": {"horizon_h": 3000.0, "warmup_h": 100.0, "replications": 1, "seed": 17},
    "fleet": {"machines": 12, "time_to_failure_h": EXPONENTIAL_LIFE},
    "territories": {"count": 1, "technicians": 1, "pooled": 1},
    "travel": {"time_h": {"dist": "exponential", "mean": 0.2}},
    "repair": {
        "time_h": {"dist": "exponential", "mean": 1.0},
        "repeat": {"p": 0.25, "after_h": {"dist": "gamma", "mean": 5.0, "cv": 0.5}},
    },
}


def system_of(changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> ServiceSystem:
    return ServiceSystem.from_scenario(validate_scenario(variant(BASE, changes, drop), "<repeats>"))


# ---------------------------------------------------------------------------
# Scenario keys and the system


def test_the_system_holds_the_built_repeat_delay_and_the_window():
    rep = system_of().repeats
    assert rep is not None
    assert rep.p == 0.25
    assert isinstance(rep.after, Gamma) and rep.after.mean == pytest.approx(5.0)
    assert rep.window_h == 720.0  # 30 days by default
    assert system_of({"repair.repeat.window_h": 48.0}).repeats.window_h == 48.0  # type: ignore[union-attr]
    assert system_of(drop=("repair.repeat",)).repeats is None


def test_a_scenario_without_repeats_hashes_and_dumps_as_before():
    """No [repair.repeat]: the dump (and so the config hash, the run folder, --resume) has
    no trace of the new key."""
    sc = validate_scenario(variant(BASE, drop=("repair.repeat",)), "<repeats>")
    assert "repeat" not in sc.model_dump()["repair"]
    with_repeats = validate_scenario(BASE, "<repeats>")
    assert with_repeats.model_dump()["repair"]["repeat"]["p"] == 0.25
    assert with_repeats.config_hash() != sc.config_hash()


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"repair.repeat.p": 1.5}, "repair.repeat.p"),
        ({"repair.repeat.p": -0.1}, "repair.repeat.p"),
        ({"repair.repeat.after_h": {"dist": "deterministic", "value": 0.0}}, "repair.repeat.after_h"),
        ({"repair.repeat.window_h": 0.0}, "repair.repeat.window_h"),
        ({"repair.repeat.within_h": 3.0}, "repair.repeat"),
    ],
)
def test_bad_repeat_keys_are_refused_naming_the_key(changes, key):
    with pytest.raises(ScenarioError) as err:
        validate_scenario(variant(BASE, changes), "<repeats>")
    assert err.value.key.startswith(key), err.value


def test_repeats_with_poisson_calls_are_refused():
    raw = variant(BASE, {"fleet": {"calls_per_h": 0.5}})
    with pytest.raises(ScenarioError, match="no machine to fail again") as err:
        validate_scenario(raw, "<repeats>")
    assert err.value.key == "repair.repeat"


def test_the_repeat_kpis_are_columns_only_with_repeats():
    with_costs = {"costs": {"technician_per_year": 40000.0}}
    names = kpi_names(system_of(with_costs))
    assert {"repeat_share", "repeat_within_window", "cost_repeat_per_day"} <= set(names)
    plain = kpi_names(system_of(with_costs, drop=("repair.repeat",)))
    assert not any(n.startswith(("repeat_", "cost_repeat")) for n in plain)


# ---------------------------------------------------------------------------
# The model


class CallTrace(Tally):
    """Every call of every machine in order: (repeat?, working time since the machine's
    last restoration, the call's drawn repair and travel times)."""

    __slots__ = ("back_at", "calls")
    name = "call_trace"

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[int, list[tuple[bool, float, float, float]]] = defaultdict(list)
        self.back_at: dict[int, float] = {}

    def handles(self) -> dict[str, Any]:
        return {"logged": self.logged, "restored": self.restored}

    def logged(self, call: Any, now: float) -> None:
        up = now - self.back_at[call.machine] if call.machine in self.back_at else math.nan
        self.calls[call.machine].append((call.repeat, up, call.repair_h, call.travel_h))

    def restored(self, call: Any, now: float) -> None:
        self.back_at[call.machine] = now


def trace(system: ServiceSystem, replication: int = 0) -> tuple[CallTrace, dict[str, dict[str, float]]]:
    tally = CallTrace()
    monitors = monitors_for(system, system.technicians, range(system.territories.count), extra=(tally,))
    end = simulate(system, replication, monitors)
    return tally, monitors.kpis(end)


@pytest.mark.parametrize("life", [EXPONENTIAL_LIFE, WEIBULL_LIFE], ids=["thinned", "per_machine"])
def test_a_repeat_call_comes_its_repeat_delay_after_the_repair_that_left_the_cause(life):
    """Every repeat call follows its machine's last restoration by a draw of R (gamma, mean
    5 h: no two equal, never a fresh life's length by chance), and about p of the calls
    are repeats."""
    tally, kpis = trace(system_of({"fleet.time_to_failure_h": life}))
    repeats = [up for calls in tally.calls.values() for rep, up, _, _ in calls if rep]
    calls = sum(len(c) for c in tally.calls.values())
    assert len(repeats) > 150
    assert all(u > 0 for u in repeats)
    # the delays have R's mean: 5 h, cv 0.5 (a fresh life is 20 h on average)
    mean = sum(repeats) / len(repeats)
    assert mean == pytest.approx(5.0, rel=0.1)
    assert len(repeats) / calls == pytest.approx(0.25, abs=0.03)
    assert kpis["all"]["repeat_share"] == pytest.approx(0.25, abs=0.03)


def test_a_repeat_pending_machine_ignores_breakdown_candidates():
    """Thinned fleet with a deterministic R: each repeat comes exactly R after the repair,
    so no candidate broke the machine while its repeat was pending."""
    after = 30.0  # longer than a fresh life on average: candidates surely hit it meanwhile
    system = system_of({"repair.repeat.after_h": {"dist": "deterministic", "value": after}})
    tally, _ = trace(system)
    ups = [up for calls in tally.calls.values() for rep, up, _, _ in calls if rep]
    assert len(ups) > 50
    assert max(abs(u - after) for u in ups) < 1e-9


def _prefix_pairs(a: CallTrace, b: CallTrace) -> list[tuple[Any, Any]]:
    """Per machine, the calls both runs have (the shorter sequence against the start of
    the longer), after the first call of each (which no restoration precedes)."""
    pairs = []
    for machine in set(a.calls) & set(b.calls):
        x, y = a.calls[machine], b.calls[machine]
        pairs += list(zip(x[1:], y[1:], strict=False))
    return pairs


@pytest.mark.parametrize("life", [EXPONENTIAL_LIFE, WEIBULL_LIFE], ids=["thinned", "per_machine"])
def test_repeats_are_common_random_numbers_across_staffing_and_dispatch(life):
    """The same seed with 1 or 3 technicians (and another dispatch rule): the k-th repair of
    a machine leaves the cause in both or in neither, with the same R, and the k-th call
    of a machine that is a repeat needs the same repair and travel in both."""
    classes = [
        {"name": "contract", "share": 0.4, "priority": 1},
        {"name": "paid", "share": 0.6, "priority": 2},
    ]
    one = system_of({"fleet.time_to_failure_h": life, "fleet.classes": classes})
    three = system_of(
        {
            "fleet.time_to_failure_h": life,
            "fleet.classes": classes,
            "territories.technicians": 3,
            "dispatch.policy": "priority",
        }
    )
    a, ka = trace(one)
    b, kb = trace(three)
    assert ka["all"]["wait_h"] > 2 * kb["all"]["wait_h"]  # the designs differ
    pairs = _prefix_pairs(a, b)
    repeats = [(x, y) for x, y in pairs if x[0] or y[0]]
    assert len(repeats) > 150
    for x, y in repeats:
        assert x[0] == y[0]  # a repeat in both designs
        assert x[1] == pytest.approx(y[1], rel=1e-9, abs=1e-9)  # the same R
        assert (x[2], x[3]) == (y[2], y[3])  # the same needs
    if life is WEIBULL_LIFE:  # one renewal process per machine: fresh lives line up too
        fresh = [(x, y) for x, y in pairs if not x[0]]
        assert len(fresh) > 300
        assert all(x[1] == pytest.approx(y[1], rel=1e-9) and x[2:] == y[2:] for x, y in fresh)


@pytest.mark.parametrize("life", [EXPONENTIAL_LIFE, WEIBULL_LIFE], ids=["thinned", "per_machine"])
def test_repeats_that_never_happen_change_nothing_else(life):
    """p = 0: the repeat streams are drawn but never used; every other KPI is bit for bit
    the run without [repair.repeat] (the repeat draws shift no other stream)."""
    never = trace(system_of({"fleet.time_to_failure_h": life, "repair.repeat.p": 0.0}))[1]
    none = trace(system_of({"fleet.time_to_failure_h": life}, drop=("repair.repeat",)))[1]
    assert never["all"].pop("repeat_share") == 0.0
    assert never["all"].pop("repeat_within_window") == 0.0
    assert list(never) == list(none)
    for row in none:
        assert list(never[row]) == list(none[row])
        for k, x in none[row].items():
            y = never[row][k]
            assert x == y or (math.isnan(x) and math.isnan(y)), (row, k, x, y)


def test_repeats_raise_the_call_rate_and_the_downtime():
    with_repeats = trace(system_of({"repair.repeat.p": 0.5}))[1]["all"]
    without = trace(system_of(drop=("repair.repeat",)))[1]["all"]
    assert with_repeats["calls_per_day"] > 1.2 * without["calls_per_day"]
    assert with_repeats["machines_down"] > without["machines_down"]


# ---------------------------------------------------------------------------
# The tally


class _Call:
    def __init__(self, machine: int, repeat: bool = False) -> None:
        self.machine, self.repeat = machine, repeat


def test_the_tally_counts_repeats_within_the_window_of_their_restoration():
    t = RepeatTally(window_h=10.0)
    t.restored(_Call(1), 5.0)  # during the warm-up: not counted, but remembered
    t.reset(8.0)
    t.logged(_Call(1, repeat=True), 12.0)  # 7 h after its restoration: within
    t.restored(_Call(1), 14.0)
    t.logged(_Call(1, repeat=True), 30.0)  # 16 h after: a repeat, not within the window
    t.restored(_Call(1), 31.0)
    t.logged(_Call(2), 32.0)  # a first call
    t.restored(_Call(2), 33.0)
    t.close(40.0)
    t.logged(_Call(1, repeat=True), 41.0)  # after the horizon: not tallied
    rows: dict[str, dict[str, float]] = {"all": {}}
    t.kpis(40.0, rows)
    assert rows["all"]["repeat_share"] == pytest.approx(2 / 3)
    assert rows["all"]["repeat_within_window"] == pytest.approx(1 / 3)  # 1 of 3 restorations


def test_the_repeat_tally_is_built_only_for_repeats():
    def names(system: ServiceSystem) -> set[str]:
        return set(monitors_for(system, system.technicians, range(1)).by_name)

    assert "repeats" in names(system_of())
    assert "repeats" not in names(system_of(drop=("repair.repeat",)))


# ---------------------------------------------------------------------------
# The analytic layer


EXACT = {
    "repair.time_h": {"dist": "exponential", "mean": 1.0},
    "travel.time_h": {"dist": "deterministic", "value": 0.0},
}


def test_exponential_repairs_give_the_effective_life_model_labelled_exact():
    """M/M/s//N at the effective life, exact whatever the laws of L and R; the same numbers
    as repeat_fleet_effective and as the exact Markov chain (exponential R)."""
    for life in (EXPONENTIAL_LIFE, WEIBULL_LIFE):
        after = {"dist": "exponential", "mean": 5.0}
        system = system_of(
            {
                **EXACT,
                "fleet.time_to_failure_h": life,
                "repair.repeat.after_h": after,
                "territories.technicians": 2,
            }
        )
        est = estimate(system)
        wait = est.get("wait_h")
        assert wait is not None and wait.exact
        assert wait.model == "M/M/2//12, repeats (effective life)"
        effective = repeat_fleet_effective(12, 1 / 20.0, 1.0, 2, 0.25, 5.0)
        chain = repeat_fleet(12, 1 / 20.0, 1.0, 2, 0.25, 1 / 5.0)
        assert wait.value == pytest.approx(effective.wq, rel=1e-12)
        assert wait.value == pytest.approx(chain.wq, rel=1e-9)
        down = est.get("machines_down")
        assert down is not None and down.exact and down.value == pytest.approx(chain.l, rel=1e-9)
        share = est.get("repeat_share")
        assert share is not None and share.exact and share.value == 0.25
        within = est.get("repeat_within_window")
        assert within is not None and within.exact
        assert within.value == pytest.approx(repeat_window(0.25, 20.0, 5.0, 720.0).repeat_within)


def test_the_repeat_window_is_given_for_exponential_and_deterministic_delays_only():
    det = estimate(system_of({"repair.repeat.after_h": {"dist": "deterministic", "value": 5.0}}))
    assert det.get("repeat_within_window").value == 0.25  # type: ignore[union-attr]
    short = system_of(
        {"repair.repeat.after_h": {"dist": "deterministic", "value": 5.0}, "repair.repeat.window_h": 4.0}
    )
    assert isinstance(short.repeats.after, Deterministic)  # type: ignore[union-attr]
    assert estimate(short).get("repeat_within_window").value == 0.0  # type: ignore[union-attr]
    assert estimate(system_of()).get("repeat_within_window") is None  # gamma R: no CDF here


def test_non_exponential_repairs_and_customer_hours_are_approximations():
    gamma_repair = estimate(system_of({"repair.time_h": {"dist": "gamma", "mean": 1.0, "cv": 0.5}}))
    wait = gamma_repair.get("wait_h")
    assert wait is not None and not wait.exact and "repeats (effective life)" in wait.model
    assert gamma_repair.get("repeat_share").exact  # type: ignore[union-attr]
    hours = {
        "calendar.customer_hours": [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}
        ],
        "calendar.breakdowns": "customer_hours",
        "repair.repeat.after_h": {"dist": "exponential", "mean": 5.0},
    }
    within = estimate(system_of({**EXACT, **hours})).get("repeat_within_window")
    assert within is not None and not within.exact


def test_the_cost_of_repeat_calls_is_the_repeat_share_of_the_cost_per_day():
    system = system_of({**EXACT, "costs": {"technician_per_year": 40000.0, "travel_per_h": 10.0}})
    est = estimate(system)
    per_day, repeat = est.get("cost_per_day"), est.get("cost_repeat_per_day")
    assert per_day is not None and repeat is not None and repeat.exact
    assert repeat.value == pytest.approx(0.25 * per_day.value)
    _, kpis = trace(system)
    from sim.costs import cost_kpis

    cost = cost_kpis(system, kpis["all"], kpis)
    assert cost["cost_repeat_per_day"] == pytest.approx(kpis["all"]["repeat_share"] * cost["cost_per_day"])


def test_blocks_of_teams_with_repeats_merge_into_the_whole_fleet():
    """A large fleet runs in blocks of teams: the repeat sums of two blocks, through their
    JSON records, add up to those of the whole fleet."""
    from block_merge import whole_and_merged

    system = system_of({"territories.count": 2})
    total, merged, end = whole_and_merged(system, system.technicians)
    a, b = total.kpis(end)["all"], merged.kpis(end)["all"]
    assert a["repeat_share"] > 0.1
    for kpi in ("repeat_share", "repeat_within_window", "calls_per_day"):
        assert b[kpi] == pytest.approx(a[kpi], rel=1e-12), kpi


def test_the_call_records_say_which_calls_are_repeats():
    """``--records``: every call's row carries ``repeat``; the repeats are about p of them."""
    system = system_of()
    monitors = monitors_for(system, system.technicians, range(1), keep_calls=True)
    simulate(system, 0, monitors)
    flags = [c.repeat for c in monitors.calls]
    assert len(flags) > 500
    assert sum(flags) / len(flags) == pytest.approx(0.25, abs=0.04)
