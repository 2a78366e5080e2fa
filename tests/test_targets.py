"""A scenario's own ``[targets]``: parsing, verdicts, the recommendation, the manifest and the
defaults of ``optimize`` and ``select``; a scenario without targets shows none."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.config import Target, parse_target, validate_scenario
from sim.system import ServiceSystem
from sim.targets import judge, recommend

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wait_h <= 2", Target("wait_h", "all", "<=", 2.0)),
        ("wait_h<=2", Target("wait_h", "all", "<=", 2.0)),
        ("sla_met[contract] >= 0.95", Target("sla_met", "contract", ">=", 0.95)),
        ("  cost_per_day <= 1.5e3 ", Target("cost_per_day", "all", "<=", 1500.0)),
        ("queue_growth_per_h >= -.5", Target("queue_growth_per_h", "all", ">=", -0.5)),
    ],
)
def test_parse_target(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["wait_h = 2", "wait_h < 2", "<= 2", "wait_h <= two", "wait_h <= 2 h", ""])
def test_unreadable_targets_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected e\.g\."):
        parse_target(text)


def test_verdicts_need_the_whole_interval() -> None:
    le, ge = Target("wait_h", "all", "<=", 2.0), Target("sla_met", "all", ">=", 0.9)
    assert le.verdict(1.0, 1.9) == "yes" and le.verdict(2.1, 3.0) == "no"
    assert le.verdict(1.5, 2.5) == "not distinguishable"
    assert ge.verdict(0.91, 0.99) == "yes" and ge.verdict(0.5, 0.89) == "no"
    assert ge.verdict(0.85, 0.95) == "not distinguishable"
    assert le.verdict(math.nan, math.nan) == "?"


def _summary(rows: list[tuple[str, str, str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["design_point", "class", "kpi", "mean", "ci_low", "ci_high"])


def test_recommend_picks_the_best_design_that_meets_every_target() -> None:
    summary = _summary(
        [
            # dp000 misses the wait target; dp001 meets both, costs 300; dp002 meets both,
            # costs 200 (the recommendation); dp003 is not distinguishable on the SLA
            ("dp000", "all", "wait_h", 3.0, 2.5, 3.5),
            ("dp000", "gold", "sla_met", 0.99, 0.98, 1.0),
            ("dp000", "all", "cost_per_day", 100.0, 90.0, 110.0),
            ("dp001", "all", "wait_h", 1.0, 0.8, 1.2),
            ("dp001", "gold", "sla_met", 0.97, 0.96, 0.98),
            ("dp001", "all", "cost_per_day", 300.0, 290.0, 310.0),
            ("dp002", "all", "wait_h", 1.5, 1.4, 1.9),
            ("dp002", "gold", "sla_met", 0.96, 0.955, 0.97),
            ("dp002", "all", "cost_per_day", 200.0, 190.0, 210.0),
            ("dp003", "all", "wait_h", 1.5, 1.4, 1.9),
            ("dp003", "gold", "sla_met", 0.95, 0.94, 0.96),
            ("dp003", "all", "cost_per_day", 150.0, 140.0, 160.0),
        ]
    )

    def resolved(**targets: Any) -> Any:
        """The system's targets of a scenario with these ``[targets]``."""
        raw = {"fleet": {"calls_per_h": 0.3, "classes": [{"name": "gold", "share": 1.0}]}, "targets": targets}
        out = ServiceSystem.from_scenario(validate_scenario(raw, "<targets>")).targets
        assert out is not None
        return out

    targets = resolved(require=["wait_h <= 2", "sla_met[gold] >= 0.95"], minimize="cost_per_day")
    assert targets.constraints == (Target("wait_h", "all", "<=", 2.0), Target("sla_met", "gold", ">=", 0.95))
    assert targets.objective == ("cost_per_day", True)
    rec = recommend(summary, targets)
    assert rec.meets == ("dp001", "dp002")
    assert rec.undecided == ("dp003",)
    assert rec.best == "dp002" and rec.best_objective == (200.0, 190.0, 210.0)
    verdicts = {(j.design_point, j.target.kpi): j.verdict for j in judge(summary, targets.constraints)}
    assert verdicts[("dp000", "wait_h")] == "no" and verdicts[("dp003", "sla_met")] == "not distinguishable"
    maximize = recommend(summary, resolved(require=["wait_h <= 2"], maximize="cost_per_day"))
    assert maximize.best == "dp001"  # the dearest of dp001..dp003, all meeting wait_h <= 2
    none = recommend(summary, resolved(require=["wait_h <= 0.5"], minimize="cost_per_day"))
    assert none.meets == () and none.best is None


def test_a_target_class_must_exist() -> None:
    raw = {"fleet": {"calls_per_h": 0.3}, "targets": {"require": ["sla_met[gold] >= 0.9"]}}
    with pytest.raises(ValueError, match=r"targets.require\[0\]: no service class 'gold'"):
        validate_scenario(raw, "x.toml")


TOML = """\
[meta]
name = "targets-mm1"
[run]
horizon_h = 3000.0
warmup_h = 200.0
replications = 3
seed = 7
[fleet]
calls_per_h = 0.375
[repair]
time_h = { dist = "exponential", mean = 2.0 }
"""


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str) -> tuple[str, dict]:
    scen = tmp_path / "s.toml"
    scen.write_text(toml)
    out = tmp_path / "out"
    rc = main(["run", str(scen), "--backend", "serial", "--out", str(out), "--quiet"])
    text = capsys.readouterr().out
    assert rc == 0, text
    (run,) = [p for p in out.iterdir() if p.is_dir()]  # (beside the shared plotly.min.js)
    return text, json.loads((run / "manifest.json").read_text())


def test_a_scenario_without_targets_shows_none(tmp_path, capsys) -> None:
    text, manifest = _run(tmp_path, capsys, TOML)
    text = text.split("\nwrote ")[0]  # (the folder's name is the test's)
    assert "target" not in text and "Recommendation" not in text and "meets" not in text
    assert "targets" not in manifest


def test_targets_drive_the_terminal_and_the_manifest(tmp_path, capsys) -> None:
    # M/M/1 at rho = 0.75: Wq = 6 h, far above 2 h and far below 20 h at any precision
    text, manifest = _run(
        tmp_path, capsys, TOML + '[targets]\nrequire = ["wait_h <= 20", "utilization >= 0.99"]\n'
    )
    wait = next(line for line in text.splitlines() if line.startswith("wait_h "))
    util = next(line for line in text.splitlines() if line.startswith("utilization "))
    assert wait.endswith("<= 20: yes") and util.endswith(">= 99%: no")
    assert "No design meets every target" in text
    assert manifest["targets"] == {
        "require": [
            {"kpi": "wait_h", "class": "all", "op": "<=", "bound": 20.0, "text": "wait_h <= 20"},
            {"kpi": "utilization", "class": "all", "op": ">=", "bound": 0.99, "text": "utilization >= 0.99"},
        ],
        "objective": None,
    }


OPT = """\
[meta]
name = "targets-optimize"
[run]
horizon_h = 4000.0
warmup_h = 400.0
replications = 4
seed = 20261129
[fleet]
machines = 150
time_to_failure_h = { dist = "exponential", mean = 400.0 }
[territories]
count = 2
[repair]
time_h = { dist = "exponential", mean = 2.0 }
[costs]
technician_per_year = 54000.0
[targets]
require = ["wait_h <= 4"]
minimize = "cost_per_day"
"""


def test_optimize_takes_its_goal_from_the_targets(tmp_path, capsys) -> None:
    scen = tmp_path / "o.toml"
    scen.write_text(OPT)
    rc = main(
        [
            *("optimize", str(scen), "--over", "territories.pooled=1,2", "--over"),
            *("territories.technicians=1..2", "--backend", "serial", "--quiet"),
            *("--out", str(tmp_path / "out")),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    # today's staff: alone M/M/1//150 waits 5.16 h (exact); two territories pooled into a
    # team of two reps, M/M/2//300, 2.32 h: the only design at today's cost within 4 h
    best = next(line for line in out.splitlines() if line.startswith("cheapest design meeting"))
    assert "wait_h <= 4" in best and "territories.pooled=2, territories.technicians=1" in best


#: generic modules know no study (the report included)
GENERIC = [p for p in SIM.rglob("*.py") if "studies" not in p.parts]


#: the study's words, and a 2-h standard in any spelling ("2-h repairs" is fine: a duration)
STUDY_WORDS = re.compile(r"dupit|proposal|standard_h|2[ -]h (standard|target)|standard of 2\b")


@pytest.mark.parametrize("path", GENERIC, ids=lambda p: str(p.relative_to(ROOT)))
def test_generic_modules_know_no_study(path: Path) -> None:
    m = STUDY_WORDS.search(path.read_text(encoding="utf-8").lower())
    assert m is None, f"{path.relative_to(ROOT)} mentions {m.group(0)!r}"


def test_the_study_words_are_found() -> None:
    """Control: the pattern finds the study where it lives."""
    assert STUDY_WORDS.search((SIM / "studies" / "dupit.py").read_text(encoding="utf-8").lower())
    assert STUDY_WORDS.search("judged against a 2-h standard")
