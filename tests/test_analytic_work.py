"""The analytic estimates of issue 14 (internal work, repeat repairs, preventive
maintenance, mixed job types) against independent computations.

Each formula meets something it was not derived from: a numerical integral, a Markov chain
built another way, a known special case, or a short seeded Monte Carlo in numpy whose 99 %
confidence interval must hold the exact value and be a few percent wide (so that the
check has power: the usual wrong variants of each formula fall outside it).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from sim.analytic import allen_cunneen, finite_source, mg1, mg1_priority_nonpreemptive, mms
from sim.analytic.age_replacement import age_replacement, optimal_age_replacement
from sim.analytic.ctmc import StateSpaceTooLarge
from sim.analytic.mixed import mg1_priority_mixed, mixed_mgs, service_mixture
from sim.analytic.queues import UnstableQueueError
from sim.analytic.repeats import (
    repeat_fleet,
    repeat_fleet_effective,
    repeat_fleet_states,
    repeat_renewal,
    repeat_window,
)
from sim.analytic.vacations import mg1_multiple_vacations, mmc_multiple_vacations
from sim.stats import t_interval

Draw = Callable[[np.random.Generator, int], np.ndarray]
Z99 = float(stats.norm.ppf(0.995))


def _gamma(mean: float, scv: float) -> Draw:
    return lambda rng, n: rng.gamma(1.0 / scv, mean * scv, n)


def _batch_ci(values: np.ndarray, batches: int = 20):
    """99 % t interval from batch means (waits in a queue are correlated one to the next)."""
    usable = len(values) // batches * batches
    return t_interval(values[:usable].reshape(batches, -1).mean(axis=1), 0.99)


def _ratio_ci(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """sum(num) / sum(den) over i.i.d. cycles and its 99 % half-width (delta method)."""
    ratio = num.sum() / den.sum()
    resid = num - ratio * den
    return ratio, Z99 * resid.std(ddof=1) / (math.sqrt(len(num)) * den.mean())


# --------------------------------------------------------------------------- internal work


def _vacation_queue(
    rng: np.random.Generator, lam: float, service: Draw, vacation: Draw, servers: int, calls: int
) -> tuple[np.ndarray, float, int, float]:
    """FIFO queue whose technicians take internal tasks back to back whenever no call waits.

    Calls in arrival order each go to the technician who can start them first: one
    serving starts at the end of his service; one on tasks at the end of the first task
    that ends after the call arrived (his tasks run back to back from his last service
    end). Returns the waits, the time on tasks, the tasks and the horizon.
    """
    arrivals = np.cumsum(rng.exponential(1.0 / lam, calls))
    work = service(rng, calls).tolist()
    tasks = vacation(rng, 4 * calls + 1000).tolist()
    used = 0
    ready = [0.0] * servers  # end of the last task generated (or of the last service)
    on_tasks = 0.0
    waits = np.empty(calls)
    for i, a in enumerate(arrivals.tolist()):
        for j in range(servers):
            while ready[j] < a:  # on tasks when the call arrives: to the end of the current one
                ready[j] += tasks[used]
                on_tasks += tasks[used]
                used += 1
        start = min(ready)
        j = ready.index(start)
        waits[i] = start - a
        ready[j] = start + work[i]
    return waits, on_tasks, used, float(arrivals[-1])


def test_no_internal_work_is_pollaczek_khinchine():
    r = mg1_multiple_vacations(0.6, 1.0, 0.5, 0.0, 0.0)
    ref = mg1(0.6, 1.0, 0.5)
    for field in ("wq", "w", "lq", "l", "p_wait", "utilization"):
        assert getattr(r, field) == pytest.approx(getattr(ref, field), rel=1e-15), field
    assert r.internal_share == 0.0 and r.wq_vacation == 0.0
    # short tasks add half their length: continuous in V -> 0
    tiny = mg1_multiple_vacations(0.6, 1.0, 0.5, 1e-9, 0.0)
    assert tiny.wq == pytest.approx(ref.wq + 0.5e-9, rel=1e-12)
    with pytest.raises(ValueError, match="var_vacation"):
        mg1_multiple_vacations(0.6, 1.0, 0.5, 0.0, 1.0)
    with pytest.raises(UnstableQueueError):
        mg1_multiple_vacations(1.0, 1.0, 0.5, 1.0, 0.0)


def test_one_technician_decomposition_by_simulation():
    """Gamma repairs (SCV 0.5) and gamma tasks (SCV 2): the task term is
    E[V^2] / (2 E[V]) = 1.5 E[V], three times the naive E[V] / 2."""
    lam, es, scv_s, ev, scv_v = 0.6, 1.0, 0.5, 0.8, 2.0
    r = mg1_multiple_vacations(lam, es, scv_s * es**2, ev, scv_v * ev**2)
    assert r.exact and r.wq_vacation == pytest.approx(1.5 * ev)
    rng = np.random.default_rng(20261202)
    waits, on_tasks, tasks, horizon = _vacation_queue(
        rng, lam, _gamma(es, scv_s), _gamma(ev, scv_v), 1, 200_000
    )
    ci = _batch_ci(waits[5000:])
    assert ci.contains(r.wq), (ci, r.wq)
    assert ci.half_width < 0.04 * r.wq
    naive = r.wq - r.wq_vacation + ev / 2
    assert not ci.contains(naive)
    assert on_tasks / horizon == pytest.approx(r.internal_share, rel=0.02)
    assert tasks / horizon == pytest.approx(r.internal_rate, rel=0.02)


def test_chain_with_one_technician_is_fuhrmann_cooper():
    lam, mu, theta = 3.0, 4.0, 2.5
    chain = mmc_multiple_vacations(lam, mu, 1, theta)
    closed = mg1_multiple_vacations(lam, 1 / mu, 1 / mu**2, 1 / theta, 1 / theta**2)
    for field in ("wq", "w", "lq", "l", "utilization", "internal_share", "internal_rate", "wq_vacation"):
        assert getattr(chain, field) == pytest.approx(getattr(closed, field), rel=1e-9), field


@pytest.mark.parametrize("servers", [2, 3])
def test_chain_keeps_the_books(servers):
    """Busy share is rho (a balance the chain is not told), and very short tasks give M/M/s."""
    lam, mu = 0.7 * servers, 1.0
    r = mmc_multiple_vacations(lam, mu, servers, 1.3)
    assert r.utilization == pytest.approx(lam / (servers * mu), rel=1e-9)
    assert r.l == pytest.approx(lam * r.w, rel=1e-9)  # Little
    fast = mmc_multiple_vacations(lam, mu, servers, 1e5)
    assert fast.wq == pytest.approx(mms(lam, mu, servers).wq, rel=1e-3)
    assert r.wq > fast.wq + 0.3 / 1.3  # at least a good part of a task is waited for


def test_two_technicians_chain_by_simulation():
    lam, mu, theta = 1.2, 1.0, 1.0
    r = mmc_multiple_vacations(lam, mu, 2, theta)
    rng = np.random.default_rng(7)
    expo = lambda mean: lambda g, n: g.exponential(mean, n)  # noqa: E731
    waits, on_tasks, _, horizon = _vacation_queue(rng, lam, expo(1 / mu), expo(1 / theta), 2, 200_000)
    ci = _batch_ci(waits[5000:])
    assert ci.contains(r.wq), (ci, r.wq)
    assert ci.half_width < 0.03 * r.wq
    # an M/G/1-style guess (the M/M/2 wait plus a whole residual task) is excluded
    assert not ci.contains(mms(lam, mu, 2).wq + 1 / theta)
    assert on_tasks / (2 * horizon) == pytest.approx(r.internal_share, rel=0.02)


# --------------------------------------------------------------------------- repeat repairs


def _brute_force_fleet(n: int, lam: float, mu: float, s: int, p: float, theta: float) -> dict[str, float]:
    """Every machine's own state (0 fresh, 1 pending, 2 down), repairs shared by the first
    s machines down in index order (which down machines are served does not change the
    numbers down, repairs being exponential): a dense chain on 3^N states."""
    states = list(itertools.product(range(3), repeat=n))
    where = {x: i for i, x in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for x, i in where.items():
        down = [m for m in range(n) if x[m] == 2]
        for m in range(n):
            if x[m] < 2:
                y = list(x)
                y[m] = 2
                q[i, where[tuple(y)]] += lam if x[m] == 0 else theta
        for m in down[:s]:
            for after, prob in ((1, p), (0, 1 - p)):
                y = list(x)
                y[m] = after
                q[i, where[tuple(y)]] += mu * prob
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T, np.ones(len(states))])
    pi = np.linalg.lstsq(a, np.r_[np.zeros(len(states)), 1.0], rcond=None)[0]
    arr = np.array(states)
    d = (arr == 2).sum(axis=1)
    fresh, pending = lam * (arr == 0).sum(axis=1), theta * (arr == 1).sum(axis=1)
    calls = pi @ (fresh + pending)
    return {
        "l": float(pi @ d),
        "lq": float(pi @ np.maximum(d - s, 0)),
        "arrival_rate": float(calls),
        "repeat_share": float(pi @ pending / calls),
        "p_wait_first": float((pi * fresh) @ (d >= s) / (pi @ fresh)),
        "p_wait_repeat": float((pi * pending) @ (d >= s) / (pi @ pending)),
    }


@pytest.mark.parametrize(("n", "s"), [(4, 1), (4, 2), (5, 3)])
def test_repeat_chain_against_brute_force(n, s):
    lam, mu, p, theta = 0.15, 0.9, 0.35, 1.7
    r = repeat_fleet(n, lam, mu, s, p, theta)
    ref = _brute_force_fleet(n, lam, mu, s, p, theta)
    for field, value in ref.items():
        assert getattr(r, field) == pytest.approx(value, rel=1e-9), field
    assert r.states == repeat_fleet_states(n)


@pytest.mark.parametrize(("n", "s"), [(1, 1), (12, 2), (150, 1), (30, 4)])
def test_repeat_chain_without_repeats_is_mmsn(n, s):
    lam, mu = 1 / 50, 4.0 if s == 1 else 0.5
    r = repeat_fleet(n, lam, mu, s, 0.0, 0.3)
    ref = finite_source(n, lam, mu, s)
    for field in ("l", "lq", "wq", "w", "arrival_rate", "utilization", "p_wait"):
        assert getattr(r, field) == pytest.approx(getattr(ref, field), rel=1e-9), field
    assert r.repeat_share == 0.0 and math.isnan(r.wq_repeat)


def test_every_repair_leaving_the_cause_is_the_fleet_on_repeat_delays():
    """p = 1: fresh lives never return (a chain with transient states), M/M/s//N at rate theta."""
    for n, s in ((1, 1), (12, 2)):
        r = repeat_fleet(n, 0.1, 0.8, s, 1.0, 1 / 3)
        ref = finite_source(n, 1 / 3, 0.8, s)
        assert r.wq == pytest.approx(ref.wq, rel=1e-9, abs=1e-15) and r.l == pytest.approx(ref.l, rel=1e-9)
        assert r.repeat_share == pytest.approx(1.0) and math.isnan(r.wq_first)


@pytest.mark.parametrize(("p", "mean_repeat"), [(0.3, 0.5), (0.6, 20.0), (0.95, 3.0)])
def test_effective_rate_model_is_exact_with_exponential_repairs(p, mean_repeat):
    """Insensitivity: the one-rate M/M/s//N reproduces the chain although the up time is
    hyperexponential, and first and repeat calls wait alike under FIFO."""
    n, lam, mu, s = 12, 0.1, 0.8, 2
    chain = repeat_fleet(n, lam, mu, s, p, 1 / mean_repeat)
    eff = repeat_fleet_effective(n, lam, mu, s, p, mean_repeat)
    for field in ("l", "lq", "wq", "w", "arrival_rate", "utilization", "p_wait"):
        assert getattr(chain, field) == pytest.approx(getattr(eff, field), rel=1e-9), field
    assert np.allclose(chain.probabilities, eff.probabilities, atol=1e-12)
    assert chain.repeat_share == pytest.approx(p, rel=1e-9)
    if p < 1:
        assert chain.wq_first == pytest.approx(chain.wq_repeat, rel=1e-9)
        assert chain.p_wait_first == pytest.approx(chain.p_wait_repeat, rel=1e-9)
    # and the repeats matter: the fleet without them differs
    assert abs(finite_source(n, lam, mu, s).wq - chain.wq) > 0.02 * chain.wq


def _repeat_fleet_simulation(
    rng: np.random.Generator, n: int, lam: float, mu: float, s: int, p: float, repeat_after: float, calls: int
) -> tuple[np.ndarray, np.ndarray]:
    """Event simulation: exponential lives and repairs, deterministic repeat delay, FIFO."""
    lives = iter(rng.exponential(1 / lam, 2 * calls + n).tolist())
    repairs = iter(rng.exponential(1 / mu, 2 * calls).tolist())
    leaves = iter((rng.random(2 * calls) < p).tolist())
    events: list[tuple[float, int, int]] = [(next(lives), 0, m) for m in range(n)]
    heapq.heapify(events)  # (time, kind 0 failure / 1 repair end, machine)
    queue: deque[tuple[float, int, bool]] = deque()  # (arrival, machine, is repeat)
    repeat_next = [False] * n
    free = s
    waits, kinds = np.empty(calls), np.empty(calls, dtype=bool)
    k = 0
    while k < calls:
        t, kind, m = heapq.heappop(events)
        if kind == 0:
            queue.append((t, m, repeat_next[m]))
        else:
            free += 1
            repeat_next[m] = next(leaves)
            heapq.heappush(events, (t + (repeat_after if repeat_next[m] else next(lives)), 0, m))
        while free and queue and k < calls:
            arrived, machine, rep = queue.popleft()
            waits[k], kinds[k] = t - arrived, rep
            k += 1
            free -= 1
            heapq.heappush(events, (t + next(repairs), 1, machine))
    return waits, kinds


def test_effective_rate_model_with_deterministic_repeat_delay_by_simulation():
    """The insensitivity claim beyond the chain: a repeat exactly 2 time units after the repair."""
    n, lam, mu, s, p, after = 6, 0.1, 1.0, 1, 0.3, 2.0
    eff = repeat_fleet_effective(n, lam, mu, s, p, after)
    rng = np.random.default_rng(14)
    waits, repeat = _repeat_fleet_simulation(rng, n, lam, mu, s, p, after, 120_000)
    waits, repeat = waits[2000:], repeat[2000:]
    ci = _batch_ci(waits)
    assert ci.contains(eff.wq), (ci, eff.wq)
    assert ci.half_width < 0.04 * eff.wq
    assert not ci.contains(finite_source(n, lam, mu, s).wq)  # ignoring repeats is caught
    share = repeat.mean()
    assert abs(share - p) < Z99 * math.sqrt(p * (1 - p) / len(repeat))
    rep_ci = t_interval(waits[repeat], 0.99)  # (a loose check: these waits are correlated)
    assert abs(rep_ci.mean - eff.wq) < 0.08 * eff.wq


def test_renewal_reward_of_one_machine_by_sampling():
    p, life, rep, down, window = 0.2, 40.0, 2.5, 1.5, 5.0
    r = repeat_renewal(p, life, rep, down)
    w = repeat_window(p, life, rep, window)
    rng = np.random.default_rng(3)
    n = 400_000
    is_repeat = rng.random(n) < p
    up = np.where(is_repeat, rng.exponential(rep, n), rng.exponential(life, n))
    cycle = up + rng.exponential(down, n)
    ci = t_interval(cycle, 0.99)
    assert ci.contains(r.mean_time_between_calls) and ci.half_width < 0.01 * ci.mean
    ratio, hw = _ratio_ci(up, cycle)
    assert abs(ratio - r.availability) < hw
    for value, sample in ((w.repeat_within, is_repeat & (up <= window)), (w.any_within, up <= window)):
        assert abs(sample.mean() - value) < Z99 * math.sqrt(value * (1 - value) / n)
    assert r.repeat_rate == pytest.approx(p * r.call_rate)
    assert repeat_renewal(0.0, life, rep).effective_failure_rate == pytest.approx(1 / life)


def test_repeat_inputs_are_checked():
    with pytest.raises(ValueError, match="repeat_probability"):
        repeat_renewal(1.2, 40.0, 2.0)
    with pytest.raises(ValueError, match="repeat_probability"):
        repeat_fleet(5, 0.1, 1.0, 1, -0.1, 1.0)
    with pytest.raises(StateSpaceTooLarge):
        repeat_fleet(500, 0.1, 1.0, 1, 0.1, 1.0)


# --------------------------------------------------------------------------- preventive maintenance


def _weibull(shape: float, mean: float):
    return stats.weibull_min(shape, scale=mean / math.gamma(1 + 1 / shape))


@pytest.mark.parametrize(
    ("shape", "t", "dp", "df"), [(2.0, 30.0, 0.0, 0.0), (3.5, 80.0, 1.0, 4.0), (0.7, 10.0, 0.5, 0.5)]
)
def test_cost_rate_against_numerical_integration(shape, t, dp, df):
    mean, cp, cf = 100.0, 1.0, 8.0
    law = _weibull(shape, mean)
    up = integrate.quad(law.sf, 0.0, t, epsabs=1e-13, epsrel=1e-12)[0]
    cycle = up + dp * law.sf(t) + df * law.cdf(t)
    r = age_replacement(shape, mean, t, cp, cf, dp, df)
    assert r.mean_cycle == pytest.approx(cycle, rel=1e-10)
    assert r.cost_rate == pytest.approx((cp * law.sf(t) + cf * law.cdf(t)) / cycle, rel=1e-10)
    assert r.breakdown_rate == pytest.approx(law.cdf(t) / cycle, rel=1e-10)
    assert r.availability == pytest.approx(up / cycle, rel=1e-10)
    never = age_replacement(shape, mean, math.inf, cp, cf, dp, df)
    assert never.breakdown_rate == pytest.approx(1 / (mean + df)) and never.planned_rate == 0.0
    assert never.cost_rate == pytest.approx(r.cost_rate_no_pm)


def test_cost_rate_by_simulated_cycles():
    shape, mean, t, cp, cf, dp, df = 2.5, 100.0, 45.0, 1.0, 6.0, 0.5, 3.0
    r = age_replacement(shape, mean, t, cp, cf, dp, df)
    life = _weibull(shape, mean).rvs(300_000, random_state=np.random.default_rng(11))
    broke = life < t
    length = np.minimum(life, t) + np.where(broke, df, dp)
    cost_rate, hw = _ratio_ci(np.where(broke, cf, cp), length)
    assert abs(cost_rate - r.cost_rate) < hw and hw < 0.02 * r.cost_rate
    rate, hw = _ratio_ci(broke.astype(float), length)
    assert abs(rate - r.breakdown_rate) < hw and hw < 0.03 * rate


@pytest.mark.parametrize(
    ("shape", "dp", "df"), [(2.0, 0.0, 0.0), (4.0, 0.0, 0.0), (1.5, 0.0, 0.0), (3.0, 2.0, 10.0)]
)
def test_optimal_interval_against_brute_force(shape, dp, df):
    mean, cp, cf = 100.0, 1.0, 10.0
    best = optimal_age_replacement(shape, mean, cp, cf, dp, df)
    assert best.optimal and best.reason == ""
    ref = optimize.minimize_scalar(
        lambda x: age_replacement(shape, mean, math.exp(x), cp, cf, dp, df).cost_rate,
        bounds=(math.log(1.0), math.log(1000.0)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert best.at_optimum.cost_rate <= ref.fun * (1 + 1e-10)
    assert best.interval == pytest.approx(math.exp(ref.x), rel=1e-4)
    assert best.saving == pytest.approx(1 - best.at_optimum.cost_rate / best.at_optimum.cost_rate_no_pm)
    assert best.at_optimum.breakdowns_avoided > 0
    if dp == df == 0:  # Barlow and Proschan's equation h(T) integral R - F(T) = c_p / (c_f - c_p)
        law = _weibull(shape, mean)
        x = best.interval
        hazard = law.pdf(x) / law.sf(x)
        up = integrate.quad(law.sf, 0, x, epsrel=1e-12)[0]
        assert hazard * up - law.cdf(x) == pytest.approx(cp / (cf - cp), rel=1e-7)


@pytest.mark.parametrize("shape", [1.0, 0.6])
def test_no_finite_optimum_without_an_increasing_hazard(shape):
    r = optimal_age_replacement(shape, 100.0, 1.0, 10.0)
    assert not r.optimal and math.isinf(r.interval) and "shape <= 1" in r.reason
    assert r.at_optimum.cost_rate == pytest.approx(10.0 / 100.0)
    # and indeed every finite interval costs more
    for t in (1.0, 30.0, 300.0):
        assert age_replacement(shape, 100.0, t, 1.0, 10.0).cost_rate > r.at_optimum.cost_rate
    if shape < 1:  # planned renewals of a young-failing machine cause breakdowns
        assert age_replacement(shape, 100.0, 30.0, 1.0, 10.0).breakdowns_avoided < 0


def test_no_optimum_when_breakdowns_are_cheap():
    r = optimal_age_replacement(3.0, 100.0, 5.0, 5.0)
    assert not r.optimal and "costs no more" in r.reason
    with pytest.raises(ValueError, match="interval"):
        age_replacement(2.0, 100.0, 0.0, 1.0, 5.0)


# --------------------------------------------------------------------------- mixed job types


def test_one_type_is_the_plain_queue():
    for s in (1, 3):
        r = mixed_mgs([2.0], [0.4], [0.6], s)
        ref = mg1(2.0, 0.4, 0.6 * 0.16) if s == 1 else allen_cunneen(2.0, 0.4, 0.6 * 0.16, s)
        assert r.wq == pytest.approx(ref.wq, rel=1e-14) and r.p_wait == pytest.approx(ref.p_wait)
        assert r.exact is (s == 1)
    # Allen-Cunneen is exact for an exponential mixture: all types exponential, one mean
    r = mixed_mgs([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], [1.0, 1.0, 1.0], 4)
    assert r.wq == pytest.approx(mms(6.0, 2.0, 4).wq, rel=1e-12) and not r.exact


def test_mixture_moments_against_sampling():
    rates, means, scvs = [2.0, 0.5, 0.3], [0.25, 0.5, 1.2], [1.0, 0.0, 0.3]
    m = service_mixture(rates, means, scvs)
    rng = np.random.default_rng(5)
    n = 400_000
    kind = rng.choice(3, size=n, p=np.array(rates) / sum(rates))
    x = np.empty(n)
    for i, (mean, scv) in enumerate(zip(means, scvs, strict=True)):
        k = kind == i
        x[k] = mean if scv == 0 else rng.gamma(1 / scv, mean * scv, k.sum())
    assert t_interval(x, 0.99).contains(m.mean)
    assert t_interval(x * x, 0.99).contains(m.second_moment)
    assert sum(m.work_shares) == pytest.approx(1.0)
    assert m.work_shares[2] == pytest.approx(0.3 * 1.2 / (2 * 0.25 + 0.5 * 0.5 + 0.3 * 1.2))


def test_one_technician_mixture_by_simulation():
    """Lindley's recursion on the merged stream: the mixture's P-K wait, the same for each type."""
    rates, means, scvs = [1.0, 0.3], [0.3, 1.0], [1.0, 0.0]
    r = mixed_mgs(rates, means, scvs, 1)
    rng = np.random.default_rng(99)
    n = 300_000
    gaps = rng.exponential(1 / sum(rates), n)
    kind = rng.random(n) < rates[1] / sum(rates)
    work = np.where(kind, means[1], rng.exponential(means[0], n))
    waits = np.empty(n)
    w = 0.0
    for i in range(n):
        waits[i] = w
        w = max(0.0, w + work[i] - gaps[(i + 1) % n])
    ci = _batch_ci(waits[2000:])
    assert ci.contains(r.wq) and ci.half_width < 0.03 * r.wq
    # the exponential guess with the same mean (SCV 1 instead of the mixture's) is excluded
    assert not ci.contains(mg1(sum(rates), r.mixture.mean, r.mixture.mean**2).wq)
    per_type = [t_interval(waits[2000:][kind[2000:] == k], 0.99).mean for k in (False, True)]
    assert per_type == pytest.approx([r.wq, r.wq], rel=0.05)


def test_priority_between_types():
    rates, means, scvs = [1.0, 0.5, 0.4], [0.2, 0.6, 0.5], [1.0, 0.1, 2.0]
    r = mg1_priority_mixed(rates, means, scvs)
    # Kleinrock's conservation law: the work-weighted wait is the FIFO one
    fifo = mixed_mgs(rates, means, scvs, 1)
    loads = [x * y for x, y in zip(rates, means, strict=True)]
    assert sum(ld * w for ld, w in zip(loads, r.wq_by_type, strict=True)) == pytest.approx(
        sum(loads) * fifo.wq, rel=1e-12
    )
    assert list(r.wq_by_type) == sorted(r.wq_by_type)
    # a common exponential service is the existing M/G/1 priority formula
    same = mg1_priority_mixed([1.0, 2.0], [0.25, 0.25], [1.0, 1.0])
    assert same.wq_by_type == pytest.approx(mg1_priority_nonpreemptive([1.0, 2.0], 0.25, 0.125).wq)
    with pytest.raises(ValueError, match="equally long"):
        mixed_mgs([1.0], [0.2, 0.3], [1.0], 1)
