"""The "renew a machine's life" primitive of sim/model/fleet.py (RenewableFleet, and
ExponentialFleet's renew/suspend), on a fleet whose calls go to a stand-in team."""

from __future__ import annotations

import simpy

from sim.distributions import Deterministic, Weibull
from sim.model.calls import Call
from sim.model.fleet import CallNeeds, ExponentialFleet, Fleet, RenewableFleet
from sim.system import Layout


class _Team:
    """Collects the calls a fleet logs (what a Team's log_call receives)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def log_call(self, call: Call) -> None:
        self.calls.append(call)


def _needs(*entity: int) -> CallNeeds:
    return CallNeeds(Deterministic(0.0), Deterministic(1.0), [1.0], 5, 0, *entity)


def _fleet(cls: type[Fleet], machines: int = 3) -> tuple[simpy.Environment, Fleet, _Team]:
    env = simpy.Environment()
    team = _Team()
    fleet = cls(env, Layout([machines], 1, 0, 1), Weibull(100.0, 2.0), _needs, [team], 5, 0)  # type: ignore[list-item]
    return env, fleet, team


def test_renewable_fleet_without_renewals_is_the_fleet():
    """Keeping the pending failures changes no draw: the same calls at the same instants."""
    runs = []
    for cls in (Fleet, RenewableFleet):
        env, _, team = _fleet(cls)
        env.run(until=300.0)
        runs.append([(c.machine, c.failed_at) for c in team.calls])
    assert runs[0] == runs[1] and len(runs[0]) > 0


def test_suspend_cancels_the_pending_failure_and_renew_draws_the_next_life():
    env, fleet, team = _fleet(RenewableFleet, 1)
    assert isinstance(fleet, RenewableFleet)
    env.run(until=1e-9)
    fleet.suspend(0)
    env.run(until=5000.0)
    assert team.calls == []  # a suspended machine never fails
    # a renewal at time t: the machine fails at t + its next life (the stream's next draw)
    _, twin, _ = _fleet(Fleet, 1)
    next_life = twin.uptimes[0].next()
    fleet.renew(0)
    env.run(until=5000.0 + next_life + 1e-6)
    assert [c.failed_at for c in team.calls] == [5000.0 + next_life]


def test_renew_replaces_a_pending_failure():
    """Renewing a working machine cancels the failure it had pending."""
    env, fleet, team = _fleet(RenewableFleet, 1)
    assert isinstance(fleet, RenewableFleet)
    first = next(iter(fleet.pending.values()))
    fleet.renew(0)
    assert fleet.pending[0] is not first and first.callbacks == []
    env.run(until=10000.0)
    assert len(team.calls) == 1  # one failure: the renewed life's (the first never fires)


def test_exponential_fleet_suspend_and_renew():
    env = simpy.Environment()
    team = _Team()
    fleet = ExponentialFleet(env, Layout([1], 1, 0, 1), 10.0, _needs, [team], 5, 0)  # type: ignore[list-item]
    fleet.suspend(0)
    env.run(until=1000.0)
    assert team.calls == []  # candidates ignore a suspended machine
    fleet.renew(0)
    env.run(until=2000.0)
    assert len(team.calls) == 1 and team.calls[0].failed_at > 1000.0
