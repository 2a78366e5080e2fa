"""The interval code on samples whose mean is known: coverage, measured over seeded draws.

Each check draws ``M`` seeded samples, builds an interval from each and counts how
often it holds the true mean.  The coverage estimate has the binomial standard error
``sqrt(c (1 - c) / M)``; a check allows the stated tolerance plus 3 of these, and
``M = 3000`` makes that allowance about 1.2 points at 95 %, so a wrong interval fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from sim.kpis import CATALOGUE, value_range
from sim.stats import (
    CV_MAX,
    CV_TARGET,
    ConfidenceInterval,
    congestion_kpi,
    interval_warnings,
    mean_interval,
    sample_skewness,
    skew_t_interval,
    stein_interval,
    stein_plan,
    summarize,
    t_interval,
)

M = 3000


def coverage(
    draw: Callable[[np.random.Generator, tuple[int, int]], np.ndarray],
    mean: float,
    n: int,
    confidence: float,
    interval: Callable[[np.ndarray, float], ConfidenceInterval],
    seed: int,
) -> tuple[float, float]:
    """Share of ``M`` intervals from samples of ``n`` that hold ``mean``, and its SE."""
    samples = draw(np.random.default_rng(seed), (M, n))
    hits = 0
    for x in samples:
        ci = interval(x, confidence)
        hits += ci.low <= mean <= ci.high
    c = hits / M
    return c, math.sqrt(c * (1 - c) / M)


def exponential(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.exponential(1.0, shape)  # skewness 2


def gamma4(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.gamma(4.0, 1.0, shape)  # skewness 1, like replication means of short runs


def normal(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.normal(0.0, 1.0, shape)


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_both_intervals_cover_normal_samples(confidence: float) -> None:
    for interval in (t_interval, skew_t_interval):
        c, se = coverage(normal, 0.0, 10, confidence, interval, seed=1)
        assert abs(c - confidence) <= 3 * se + 0.005, (interval.__name__, c)


def test_skew_t_covers_moderately_skewed_samples() -> None:
    # skewness 1 at n = 10: the t interval falls short, the corrected one is within 1.5 points
    c_t, se_t = coverage(gamma4, 4.0, 10, 0.95, t_interval, seed=2)
    c_s, se_s = coverage(gamma4, 4.0, 10, 0.95, skew_t_interval, seed=2)
    assert abs(c_s - 0.95) <= 0.015 + 3 * se_s, c_s
    assert c_t < 0.95 - 2 * se_t, c_t  # the plain t interval under-covers (power)
    assert c_s > c_t + 0.005


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_skew_t_repairs_most_of_the_shortfall_on_exponential_samples(confidence: float) -> None:
    # skewness 2: t at n = 10 covers about 89.5 % (95 %) and 95.6 % (99 %)
    c_t, _ = coverage(exponential, 1.0, 10, confidence, t_interval, seed=3)
    c_s, se_s = coverage(exponential, 1.0, 10, confidence, skew_t_interval, seed=3)
    assert c_t < confidence - 0.025  # known: the t interval is far too short here
    assert c_s > c_t + 0.5 * (confidence - c_t)  # the correction closes most of the gap
    assert c_s > confidence - 0.025 - 3 * se_s


def test_skew_t_moves_right_for_right_skewed_data() -> None:
    x = np.array([1.0, 1.1, 1.2, 1.3, 5.0])
    t, s = t_interval(x), skew_t_interval(x)
    assert sample_skewness(x) > 1
    assert s.method == "skew_t" and t.method == "t"
    assert s.low > t.low and s.high > t.high  # the long tail is on the right
    assert s.high - s.mean > s.mean - s.low
    assert s.half_width == pytest.approx((s.high - s.low) / 2)
    # mirrored data: the mirrored interval
    m = skew_t_interval(-x)
    assert (m.low, m.high) == pytest.approx((-s.high, -s.low))


def test_skew_t_is_t_for_symmetric_or_tiny_samples() -> None:
    sym = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert sample_skewness(sym) == pytest.approx(0.0)
    a, b = t_interval(sym), skew_t_interval(sym)
    assert (b.low, b.high) == pytest.approx((a.low, a.high))
    two = skew_t_interval([1.0, 3.0])  # no skewness from 2 values: the t interval
    assert two.method == "t" and two.half_width == pytest.approx(t_interval([1.0, 3.0]).half_width)
    const = skew_t_interval([2.0, 2.0, 2.0])
    assert const.low == const.high == 2.0


def test_sample_skewness_is_the_unbiased_moment_ratio() -> None:
    x = np.array([0.0, 1.0, 5.0, 2.0])
    n, dev = len(x), x - x.mean()
    k3 = n * np.sum(dev**3) / ((n - 1) * (n - 2))
    assert sample_skewness(x) == pytest.approx(k3 / np.std(x, ddof=1) ** 3)
    assert math.isnan(sample_skewness([1.0, 2.0]))


def test_summary_names_its_interval() -> None:
    import pandas as pd

    rng = np.random.default_rng(5)
    reps = pd.DataFrame(
        {"design_point": "dp000", "class": "all", "replication": range(10), "wait_h": rng.exponential(1, 10)}
    )
    summ = summarize(reps, ["wait_h"])
    assert list(summ["interval"]) == ["skew_t"]
    ci = mean_interval(reps["wait_h"].to_numpy())
    assert (summ["ci_low"].iloc[0], summ["ci_high"].iloc[0]) == pytest.approx((ci.low, ci.high))
    assert list(summarize(reps, ["wait_h"], method="t")["interval"]) == ["t"]
    batches = reps.assign(batch=range(10))
    assert list(summarize(batches, ["wait_h"])["interval"]) == ["t"]  # batch means keep t
    with pytest.raises(ValueError):
        mean_interval([1.0, 2.0, 3.0], method="bootstrap")


def test_warnings_name_the_problem_and_the_remedy() -> None:
    import pandas as pd

    rng = np.random.default_rng(6)
    # CV 0.05: below the CV rule's threshold (test_a_congestion_kpi_with_a_large_cv_is_flagged)
    few = pd.DataFrame({"design_point": "dp000", "class": "all", "wait_h": rng.normal(3, 0.15, 5)})
    ok = pd.DataFrame({"design_point": "dp001", "class": "all", "wait_h": rng.normal(3, 0.15, 20)})
    skewed = pd.DataFrame(
        {"design_point": "dp002", "class": "all", "wait_h": [1.0] * 19 + [30.0]}  # one huge value
    )
    warnings = interval_warnings(summarize(pd.concat([few, ok, skewed]), ["wait_h"]))
    assert len(warnings) == 2
    assert "dp000" in warnings[0] and "5 replications" in warnings[0] and "--replications" in warnings[0]
    assert "dp002" in warnings[1] and "wait_h" in warnings[1] and "horizon" in warnings[1]
    assert interval_warnings(summarize(ok, ["wait_h"])) == []
    batches = summarize(ok.assign(batch=range(20)), ["wait_h"]).assign(batches_independent=[False])
    (line,) = interval_warnings(batches)
    assert "correlated" in line and "longer" in line
    # batch means of a rare wait: most batches saw none, a few a burst (the benchmark's M/M/3
    # p_wait_gt_8h over 20 batches of 1,000 h covered 73 % unwarned before this check)
    burst = pd.DataFrame(
        {
            "design_point": "dp003",
            "class": "all",
            "batch": range(20),
            "p_wait_gt_8h": [0.0] * 16 + [0.001, 0.002, 0.01, 0.02],
        }
    )
    rare = summarize(burst, ["p_wait_gt_8h"]).assign(batches_independent=[True])
    (line,) = interval_warnings(rare)
    assert "dp003" in line and "skewed" in line and "p_wait_gt_8h" in line
    assert (
        interval_warnings(
            summarize(ok.assign(batch=range(20)), ["wait_h"]).assign(batches_independent=[True])
        )
        == []
    )


def test_a_wait_threshold_no_call_reached_is_flagged() -> None:
    import pandas as pd

    reps = pd.DataFrame(
        {"design_point": "dp000", "class": "all", "wait_h": np.linspace(1.9, 2.1, 10), "p_wait_gt_8h": 0.0}
    )
    (line,) = interval_warnings(summarize(reps, ["wait_h", "p_wait_gt_8h"]))
    assert "p_wait_gt_8h" in line and "too rare" in line and "horizon" in line


def test_a_share_interval_stays_within_0_and_1() -> None:
    import pandas as pd

    share = np.array([0.99, 1.0, 0.80])  # three replications near 100 %: t and skew_t pass 1
    wait = np.array([0.01, 0.02, 0.6])  # near 0: the t interval's lower end is negative
    assert mean_interval(share).high > 1.0 and t_interval(wait).low < 0.0  # the cut has work to do
    reps = pd.DataFrame({"design_point": "dp000", "class": "all", "sla_met": share, "wait_h": wait})
    for method in ("t", "skew_t"):
        summ = summarize(reps, ["sla_met", "wait_h"], method=method).set_index("kpi")
        raw_share, raw_wait = mean_interval(share, method=method), mean_interval(wait, method=method)
        assert summ.at["sla_met", "ci_high"] == 1.0
        assert summ.at["sla_met", "ci_low"] == pytest.approx(raw_share.low)
        assert summ.at["wait_h", "ci_low"] == (0.0 if raw_wait.low < 0 else pytest.approx(raw_wait.low))
        assert summ.at["sla_met", "half_width"] == pytest.approx((1.0 - raw_share.low) / 2)
        assert summ.at["sla_met", "interval"] == method
    # ranges={} turns the cut off; the engine's own ranges are the catalogue's
    off = summarize(reps, ["sla_met"], ranges={})
    assert off["ci_high"].iloc[0] > 1.0


def test_kpis_that_can_pass_1_or_0_are_not_cut_there() -> None:
    import pandas as pd

    # busy / on-duty hours passes 1 with overtime; the queue's growth can be negative
    reps = pd.DataFrame(
        {
            "design_point": "dp000",
            "class": "all",
            "utilization": [0.95, 1.0, 1.4],
            "queue_growth_per_h": [-0.2, 0.0, 0.05],
        }
    )
    summ = summarize(reps, ["utilization", "queue_growth_per_h"]).set_index("kpi")
    assert summ.at["utilization", "ci_high"] > 1.0
    assert summ.at["queue_growth_per_h", "ci_low"] < 0.0
    assert value_range("sla_met") == value_range("p_wait_gt_2h") == value_range("fill_rate_van") == (0, 1)
    assert value_range("first_time_fix") == (0.0, 1.0)
    assert value_range("wait_h") == (0.0, math.inf)
    assert value_range("no_such_kpi") == (-math.inf, math.inf)


def test_clipping_never_changes_whether_the_true_value_is_covered() -> None:
    # small samples of a rare share (true p = 0.03): many t intervals pass 0
    rng = np.random.default_rng(7)
    p = 0.03
    passed = 0
    for x in rng.binomial(50, p, (2000, 4)) / 50:
        for method in ("t", "skew_t"):
            ci = mean_interval(x, 0.95, method)
            cut = ci.clipped(0.0, 1.0)
            passed += ci.low < 0.0
            assert cut.contains(p) == ci.contains(p)
            assert 0.0 <= cut.low <= cut.high <= 1.0 or math.isnan(cut.low)
    assert passed > 500  # the cut was exercised
    one = t_interval([0.5]).clipped(0.0, 1.0)  # no interval from one value: still none
    assert math.isnan(one.low) and math.isnan(one.high)


def _stein_coverage(
    draw: Callable[[np.random.Generator, int], np.ndarray],
    mean: float,
    seed: int,
    runs: int = M,
    **target: float,
) -> tuple[float, float, list[int], list[float]]:
    """Coverage of Stein's final interval over ``runs`` two-stage runs (first stage 10)."""
    rng = np.random.default_rng(seed)
    hits, sizes, widths = 0, [], []
    for _ in range(runs):
        first = draw(rng, 10)
        plan = stein_plan(first, confidence=0.95, max_total=10_000, **target)
        ci = stein_interval(plan, np.concatenate([first, draw(rng, plan.total - 10)]))
        hits += ci.low <= mean <= ci.high
        sizes.append(plan.total)
        widths.append(ci.half_width / plan.target)
    c = hits / runs
    return c, math.sqrt(c * (1 - c) / runs), sizes, widths


def test_stein_rule_covers_normal_data_whatever_the_second_stage() -> None:
    # exact for normal data with an absolute target: t with n0 - 1 degrees of freedom
    c, se, sizes, widths = _stein_coverage(lambda g, k: g.normal(5.0, 1.0, k), 5.0, 11, abs_precision=0.3)
    assert abs(c - 0.95) <= 3 * se + 0.005, c
    assert max(widths) <= 1.0 + 1e-12  # the target half-width is reached every time
    assert 40 < np.mean(sizes) < 80 and len(set(sizes)) > 10  # N varies from run to run
    # a relative target (Law's gamma / (1 + gamma)) set from the first stage's mean
    c, se, _, widths = _stein_coverage(lambda g, k: g.normal(5.0, 1.0, k), 5.0, 12, rel_precision=0.05)
    assert abs(c - 0.95) <= 3 * se + 0.005, c
    assert max(widths) <= 1.0 + 1e-12


def test_stein_plan_edges() -> None:
    x = 10 + np.sqrt(0.9) * np.array([-1.0, 1.0] * 5)  # mean 10, sd 1
    plan = stein_plan(x, rel_precision=0.05)
    assert plan.total == math.ceil((plan.quantile / (0.05 / 1.05 * 10)) ** 2) == 23 and plan.met
    capped = stein_plan(x, rel_precision=0.05, max_total=15)
    assert capped.total == 15 and not capped.met  # the cap cut N: the target is not reached
    assert stein_interval(capped, np.full(15, 10.0)).half_width > capped.target
    assert stein_plan(x, abs_precision=5.0).total == 10  # the first stage is enough
    assert stein_plan(np.full(10, 3.0), rel_precision=0.01).total == 10  # no spread
    zero = stein_plan(np.sqrt(0.9) * np.array([-1.0, 1.0] * 5), rel_precision=0.05, max_total=40)
    assert zero.total == 40 and not zero.met  # a relative target around a zero mean: the most allowed
    one = stein_plan([1.0], rel_precision=0.05, max_total=30)
    assert one.total == 30 and not one.met


def test_a_skewed_precision_interval_is_flagged() -> None:
    import pandas as pd

    rng = np.random.default_rng(8)
    # sample skewness 0.86: above 0.5, below the "strongly skewed" 1.34; shifted to a CV of
    # about 0.1 / 20, below the CV rule's threshold
    skewed = 20.0 + rng.gamma(4.0, 1.0, 30)
    symmetric = np.linspace(20.0, 21.0, 30)
    reps = pd.DataFrame(
        {"design_point": ["dp000"] * 30 + ["dp001"] * 30, "class": "all", "wait_h": np.r_[skewed, symmetric]}
    )
    summ = summarize(reps, ["wait_h"]).assign(interval="stein")
    assert 0.5 < summ["skewness"].iloc[0] < 3 * math.sqrt(6 / 30)
    (line,) = interval_warnings(summ)
    assert line.startswith("dp000:") and "--precision" in line and "horizon" in line
    assert interval_warnings(summ.assign(interval="skew_t")) == []  # only the rule's interval


def test_the_cv_rule_covers_the_congestion_kpis_of_the_catalogue() -> None:
    chosen = {k.name for k in CATALOGUE if congestion_kpi(k.name)}
    assert {"wait_h", "response_h", "restore_h", "queue_len", "machines_down", "part_wait_h"} <= chosen
    assert {"van_backorders", "van_delay_per_demand_h", "revisit_queue_len"} <= chosen
    # shares, rates, utilisation and costs are nearly symmetric on the benchmark: not in the rule
    assert not chosen & {"utilization", "p_wait", "sla_met", "calls_per_day", "fill_rate_van", "cost_per_day"}
    assert not any(k.is_share or k.aggregation == "rate" for k in CATALOGUE if k.name in chosen)
    assert congestion_kpi("p_wait_gt_2h") is False and congestion_kpi("not_a_kpi") is False


def test_a_congestion_kpi_with_a_large_cv_is_flagged() -> None:
    """Seeded gamma replication means, 10 per design point: the rule warns at twice
    CV_MAX, almost never at a fifth of it, and never for utilisation."""
    import pandas as pd

    rng = np.random.default_rng(17)
    points, n = 200, 10

    def reps(cv: float) -> pd.DataFrame:
        shape = 1.0 / cv**2  # gamma: CV 1/sqrt(shape), skewness 2 CV
        x = rng.gamma(shape, 3.0 / shape, (points, n)).ravel()
        dp = np.repeat([f"dp{i:03d}" for i in range(points)], n)
        return pd.DataFrame({"design_point": dp, "class": "all", "wait_h": x, "utilization": x / 10})

    def flagged(summ: pd.DataFrame) -> set[str]:
        return {line.split(":")[0] for line in interval_warnings(summ) if "CV up to" in line}

    wide = summarize(reps(2 * CV_MAX), ["wait_h", "utilization"])
    assert len(flagged(wide)) >= 0.95 * points
    narrow = summarize(reps(CV_MAX / 5), ["wait_h", "utilization"])
    assert len(flagged(narrow)) <= 0.01 * points
    assert flagged(wide[wide["kpi"] == "utilization"]) == set()
    # the suggestion: a horizon (CV / CV_TARGET)**2 times longer, rounded up to a half
    waits = wide[wide["kpi"] == "wait_h"]
    one = waits[waits["sd"] / waits["mean"] > CV_MAX].iloc[:1]
    cv = float(one["sd"].iloc[0] / one["mean"].iloc[0])
    (line,) = interval_warnings(one)
    assert f"{math.ceil((cv / CV_TARGET) ** 2 * 2) / 2:g}-fold" in line and "horizon_h" in line
    assert "skew_t intervals" in line and f"CV up to {cv:.2f}" in line
