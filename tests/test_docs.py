"""The docs say what the code does: the README's optimize example runs on the shipped file,
and the tutorial's formula values are those the Dupit study computes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sim.analytic import estimate
from sim.cli import main
from sim.studies.dupit import load_study
from sim.system import ServiceSystem

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TUTORIAL = (ROOT / "docs" / "tutorial_dupit.md").read_text(encoding="utf-8")


def _readme_command(word: str) -> list[str]:
    """The README's ```bash example that runs ``run_sim.py WORD``, as argv."""
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            args = shlex.split(line)
            if args[:3] == ["python", "run_sim.py", word]:
                return args[2:]
    raise AssertionError(f"no README example of run_sim.py {word}")


def test_the_readme_optimize_example_runs(tmp_path, capsys) -> None:
    args = _readme_command("optimize")
    assert Path(ROOT / args[1]).is_file()  # a shipped scenario ...
    assert "[costs]" in (ROOT / args[1]).read_text()  # ... that has costs
    # shorter runs than the file's (the example itself is unchanged)
    short = ["--set", "run.horizon_h=3000", "--set", "run.replications=3", "--backend", "serial"]
    rc = main([*args, *short, "--quiet", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "cheapest design meeting wait_h <= 4: territories.technicians=" in out


@pytest.fixture(scope="module")
def study_formulas() -> set[tuple[str, str, bool]]:
    """(value to 4 decimals, model, exact) of every design point's wait_h formula."""
    _, points = load_study()
    out = {("6.0000", "M/M/1", False)}  # the textbook row the study prints beside them
    for p in points:
        e = estimate(ServiceSystem.from_scenario(p.scenario)).get("wait_h", "all")
        assert e is not None
        out.add((f"{e.value:.4f}", e.model, bool(e.exact)))
    return out


def _matches(quoted: str, model: str, exact: bool, formulas: set[tuple[str, str, bool]]) -> bool:
    digits = len(quoted.split(".")[1])
    return any(
        round(float(v), digits) == float(quoted) and m.startswith(model) and x == exact
        for v, m, x in formulas
    )


def test_the_tutorial_quotes_the_study_formulas(study_formulas) -> None:
    quoted = re.findall(r"(\d+\.\d+) \((M/[^,()]+), (exact|approx)\.?\)", TUTORIAL)
    assert len(quoted) >= 10
    wrong = [q for q in quoted if not _matches(q[0], q[1], q[2] == "exact", study_formulas)]
    assert not wrong, f"tutorial values the study does not compute: {wrong}"
    # the new-equipment table quotes its formulas without the model name
    equipment = re.findall(r"\| (\d+\.\d+) \(exact\) \|", TUTORIAL)
    assert len(equipment) == 8
    values = {v for v, _, x in study_formulas if x}
    assert all(any(round(float(v), 3) == float(q) for v in values) for q in equipment), equipment
