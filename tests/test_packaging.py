"""The wheel carries what an installed package needs at run time.

Built in-process with hatchling's PEP 517 hook (about a second); `.ci/run` goes
further and runs the installed wheel from an empty folder.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from sim import resources

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    build = pytest.importorskip("hatchling.build", reason="building the wheel needs hatchling (dev extras)")
    out = tmp_path_factory.mktemp("wheel")
    cwd = os.getcwd()
    os.chdir(ROOT)  # the PEP 517 hooks run in the project folder
    try:
        name = build.build_wheel(str(out))
    finally:
        os.chdir(cwd)
    return zipfile.ZipFile(out / name)


def test_the_wheel_holds_every_shipped_scenario(wheel):
    names = set(wheel.namelist())
    shipped = sorted(
        p for p in (ROOT / "scenarios").rglob("*") if p.is_file() and p.suffix in (".toml", ".csv")
    )
    assert len(shipped) > 20  # the Dupit study, the validation cases, the examples, their data
    missing = [str(p.relative_to(ROOT)) for p in shipped if f"sim/{p.relative_to(ROOT)}" not in names]
    assert not missing, f"not in the wheel: {missing}"


def test_the_wheel_is_a_typed_runnable_package(wheel):
    names = set(wheel.namelist())
    assert {"sim/__main__.py", "sim/py.typed", "sim/resources.py", "sim/studies/dupit.py"} <= names
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "fieldservice-sim = sim.cli:main" in wheel.read(entry).decode()
    assert not [n for n in names if n.startswith(("tests/", "bench/", "results/"))]


def test_a_source_tree_reads_its_own_scenarios():
    """Without package data inside sim/ (a checkout, an editable install) the repository's
    scenarios/ are the ones used: the files a user edits."""
    assert resources.scenarios_dir() == ROOT / "scenarios"
    assert (resources.scenario_path("dupit") / "baseline.toml").is_file()
    assert resources.scenario_path("validation").is_dir()


def test_python_dash_m_sim_is_the_command_line(tmp_path):
    """`python -m sim` runs sim.cli.main, from any folder."""
    import subprocess
    import sys

    from sim import __version__

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "sim", "--version"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert __version__ in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "sim", "--out"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    # bare options go to the default study, whose --out wants a value: one line, status 2
    assert bad.returncode == 2 and "dupit" in bad.stderr and "--out" in bad.stderr
    assert not list(tmp_path.iterdir())
