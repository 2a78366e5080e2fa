"""The interval check: an independent pilot decides whether ``run`` warns that a run is short.

The story: a run's intervals over 10 replications fall short of their level when the
replication means of waits and queues are skewed, which their CV shows.  A CV taken from
the interval's own replications selects the short intervals for silence, so the check
estimates it from a pilot on streams no replication uses, in batches within each run.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim.config import expand_sweep, validate_scenario
from sim.experiment.interval_check import (
    PILOT_BATCHES,
    PILOT_REPLICATION,
    PILOT_REPLICATIONS,
    check_intervals,
    pilot_tasks,
)
from sim.stats import CV_MAX, SHARE_CV_MAX, interval_warnings, rare_side_cv, summarize


def mm1(rho: float = 0.5, horizon: float = 4000.0, replications: int = 10, seed: int = 7) -> dict:
    return {
        "meta": {"name": "pilot-mm1"},
        "run": {"horizon_h": horizon, "warmup_h": 200.0, "replications": replications, "seed": seed},
        "fleet": {"calls_per_h": rho},
        "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
    }


def points(raw: dict) -> list:
    return expand_sweep(validate_scenario(raw, "<test>"), "<test>")


def test_the_pilot_runs_in_batches_on_streams_no_replication_uses() -> None:
    tasks = pilot_tasks(points(mm1()))
    assert [t.replication for t in tasks] == [PILOT_REPLICATION + i for i in range(PILOT_REPLICATIONS)]
    assert all(t.point.scenario.run.batches == PILOT_BATCHES for t in tasks)
    assert all(t.point.scenario.run.replications == 1 for t in tasks)
    # far beyond any replication count a scenario may ask for
    assert PILOT_REPLICATION > 10**6
    # nothing to judge: too few replications, or batch means of one long run
    assert pilot_tasks(points(mm1(replications=2))) == []
    one_run = {**mm1(replications=1), "run": {**mm1()["run"], "replications": 1, "batches": 20}}
    assert pilot_tasks(points(one_run)) == []


def test_the_pilot_cv_matches_the_asymptotic_variance_of_the_mm1_queue() -> None:
    """Whitt (1989): the time-average number in an M/M/1 system over T hours has variance
    about 2 rho (1 + rho) / (mu (1 - rho)**4 T).  Five independent pilots (90 degrees of
    freedom) must estimate the CV of a replication mean of machines_down within 20 %
    (its relative standard error is about 7 %); a variance of the batch means not
    divided by their number would be off by sqrt(10)."""
    rho, horizon = 0.5, 4000.0
    exact_cv = math.sqrt(2 * rho * (1 + rho) / (1 - rho) ** 4 / horizon) / (rho / (1 - rho))
    cvs, tails = [], []
    for seed in range(5):
        tab = check_intervals(points(mm1(rho, horizon, seed=100 + seed)), backend="serial", progress=False)
        row = tab[(tab["class"] == "all") & (tab["kpi"] == "machines_down")]
        cvs.append(float(row["pilot_cv"].iloc[0]))
        tails.append(
            float(tab[(tab["class"] == "all") & (tab["kpi"] == "p_wait_gt_2h")]["pilot_mean"].iloc[0])
        )
    estimate = math.sqrt(sum(c * c for c in cvs) / len(cvs))
    assert estimate == pytest.approx(exact_cv, rel=0.20)
    assert exact_cv == pytest.approx(0.0775, abs=1e-4)  # (the formula, at these values)
    # the pilot judges the tail shares too (a catalogue pattern): P(W > 2) = rho exp(-(1 - rho) 2)
    # over 40,000 h (about 20,000 calls; standard error about 0.005)
    assert sum(tails) / len(tails) == pytest.approx(rho * math.exp(-(1 - rho) * 2.0), abs=0.015)


def test_the_check_is_reproducible() -> None:
    a = check_intervals(points(mm1(horizon=1000.0)), backend="serial", progress=False)
    b = check_intervals(points(mm1(horizon=1000.0)), backend="serial", progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert set(a.columns) >= {"design_point", "class", "kpi", "pilot_cv"}


def _summary(cv: float, n: int = 10) -> pd.DataFrame:
    """A summary of replication means of wait_h and queue_len with the given CV."""
    rows = [
        {
            "design_point": "dp000",
            "replication": r,
            "class": "all",
            "wait_h": 2.0 + cv * 2.0 * z,
            "queue_len": 1.0,
        }
        for r, z in enumerate([-1.5, -1.0, -0.6, -0.3, 0.0, 0.0, 0.3, 0.6, 1.0, 1.5][:n])
    ]
    return summarize(pd.DataFrame(rows), ["wait_h", "queue_len"])


def _pilot(cv: float, kpi: str = "queue_len") -> pd.DataFrame:
    return pd.DataFrame([{"design_point": "dp000", "class": "all", "kpi": kpi, "pilot_cv": cv}])


def test_with_a_pilot_the_warning_follows_the_pilot_not_the_replications() -> None:
    spread = _summary(3 * CV_MAX)  # replications that vary a lot
    calm = _summary(CV_MAX / 10)  # replications that vary little
    # the pilot says the run is short: warned however little the replications varied
    (line,) = interval_warnings(calm, _pilot(2 * CV_MAX))
    assert line.startswith("dp000:") and "independent pilot" in line and "queue_len" in line
    assert "wait_h" in line  # every congestion KPI of the point, not only the pilot's worst
    assert "6-fold" in line  # (0.24 / 0.10)**2 = 5.76, rounded up to a half: the CV rule's factor
    # the pilot says the run is long enough: no CV warning, however much they varied
    assert not [x for x in interval_warnings(spread, _pilot(CV_MAX / 2)) if "CV" in x]
    # without a pilot (or for a point the pilot left out) the replications' own CV decides
    assert any("CV up to" in x for x in interval_warnings(spread))
    other = _pilot(CV_MAX / 2).assign(design_point="dp001")
    assert any("CV up to" in x for x in interval_warnings(spread, other))


def test_a_pilot_cv_of_a_kpi_that_is_not_a_congestion_kpi_warns_nothing() -> None:
    assert interval_warnings(_summary(CV_MAX / 10), _pilot(5 * CV_MAX, kpi="utilization")) == []


def _share_summary(mean: float, kpi: str) -> pd.DataFrame:
    """Ten replication means of a share around ``mean`` (spread 1 %), with wait_h beside it."""
    z = [-1.5, -1.0, -0.6, -0.3, 0.0, 0.0, 0.3, 0.6, 1.0, 1.5]
    rows = [
        {"design_point": "dp000", "replication": r, "class": "all", kpi: mean * (1 + 0.01 * x), "wait_h": 2.0}
        for r, x in enumerate(z)
    ]
    return summarize(pd.DataFrame(rows), [kpi, "wait_h"])


def _share_pilot(kpi: str, mean: float, cv: float) -> pd.DataFrame:
    rows = [(kpi, mean, cv), ("wait_h", 2.0, CV_MAX / 2)]
    return pd.DataFrame(
        [
            {"design_point": "dp000", "class": "all", "kpi": k, "pilot_mean": m, "pilot_cv": c}
            for k, m, c in rows
        ]
    )


def test_a_share_of_calls_is_judged_by_its_rarer_outcome() -> None:
    """A tail share of 0.9 % (the M/M/1 at rho = 0.5 over 4,000 h: about 18 calls a run wait
    over 8 h, in bursts) is warned about however little the replications varied; a met share
    of 95 % whose 5 % misses vary little is not, one whose misses vary a lot is; utilisation,
    a share of time, never is."""
    (line,) = interval_warnings(
        _share_summary(0.009, "p_wait_gt_8h"), _share_pilot("p_wait_gt_8h", 0.009, 0.5)
    )
    assert line.startswith("dp000:") and "p_wait_gt_8h" in line and "rarer outcome" in line
    assert "wait_h" not in line  # the waits' own pilot CV is small: only the share is warned
    assert "4-fold" in line  # (0.5 / 0.25)**2
    # sla_met 0.95 with a CV of 0.01: its misses have CV 0.19 (< SHARE_CV_MAX): no warning
    assert rare_side_cv(0.01, 0.95) == pytest.approx(0.19)
    assert interval_warnings(_share_summary(0.95, "sla_met"), _share_pilot("sla_met", 0.95, 0.01)) == []
    # a CV of 0.03 at 0.95: the misses' CV is 0.57
    (line,) = interval_warnings(_share_summary(0.95, "sla_met"), _share_pilot("sla_met", 0.95, 0.03))
    assert "sla_met" in line and SHARE_CV_MAX < 0.57
    assert interval_warnings(_share_summary(0.9, "utilization"), _share_pilot("utilization", 0.9, 0.5)) == []
    # a run short for its waits is short for the shares that follow them: one line names both
    short = _share_pilot("p_wait_gt_2h", 0.45, 0.05).assign(pilot_cv=[0.05, 2 * CV_MAX])
    (line,) = interval_warnings(_share_summary(0.45, "p_wait_gt_2h"), short)
    assert "short for its waits" in line and "p_wait_gt_2h" in line and "wait_h" in line
    # a summary of the share alone is warned by the pilot's waits just the same
    alone = _share_summary(0.45, "p_wait_gt_2h")
    (line,) = interval_warnings(alone[alone["kpi"] == "p_wait_gt_2h"], short)
    assert "short for its waits" in line and "p_wait_gt_2h" in line
    # a share no replication saw is left to the rule on equal replications
    assert math.isnan(rare_side_cv(0.5, 0.0)) and math.isnan(rare_side_cv(0.5, 1.0))


def _run(tmp_path: Path, *extra: str) -> Path:
    from sim.cli import main

    scenario = tmp_path / "mm1.toml"
    scenario.write_text(
        '[meta]\nname = "pilot-cli"\n'
        "[run]\nhorizon_h = 3000.0\nwarmup_h = 300.0\nreplications = 10\nseed = 3\n"
        '[fleet]\ncalls_per_h = 0.75\n[repair]\ntime_h = { dist = "exponential", mean = 1.0 }\n'
    )
    out = tmp_path / f"out{len(extra)}"
    assert main(["run", str(scenario), "--backend", "serial", "--quiet", "--out", str(out), *extra]) == 0
    (folder,) = out.iterdir()
    return folder


def test_run_warns_from_the_pilot_and_keeps_its_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The M/M/1 at rho = 0.75 over 3,000 h (the coverage benchmark's short case, CV about
    0.19) is warned about; the tables are those of a run without the check."""
    checked = _run(tmp_path)
    err = capsys.readouterr().err
    assert "pilot task(s) for the interval check" in err
    assert "independent pilot puts the CV" in err
    table = pd.read_csv(checked / "interval_check.csv")
    wait = table[(table["class"] == "all") & (table["kpi"] == "wait_h")]["pilot_cv"].iloc[0]
    assert 0.12 < wait < 0.3
    plain = _run(tmp_path, "--no-interval-check")
    assert "independent pilot" not in capsys.readouterr().err
    assert not (plain / "interval_check.csv").exists()
    pd.testing.assert_frame_equal(
        pd.read_parquet(checked / "replications.parquet"), pd.read_parquet(plain / "replications.parquet")
    )
