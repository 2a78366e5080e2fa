"""Shared helpers: write scenario files, build scenarios from TOML text, run one replication.

Tests import the ``sim`` package from the repository root, so this file puts
that root on ``sys.path`` whatever directory pytest is started from.
"""

from __future__ import annotations

import sys
import textwrap
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim import toml_writer  # noqa: E402
from sim.config import Scenario, validate_scenario  # noqa: E402
from sim.model import simulate  # noqa: E402
from sim.monitors import Monitors, monitors_for  # noqa: E402
from sim.system import ServiceSystem  # noqa: E402


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario (a dict, or TOML text, dedented) to a file under ``tmp_path``."""

    def write(scenario: str | Mapping[str, Any], name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        text = scenario if isinstance(scenario, str) else toml_writer.dumps(scenario)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def _scenario_from(scenario: str | Mapping[str, Any], source: str = "<test>") -> Scenario:
    raw = tomllib.loads(textwrap.dedent(scenario)) if isinstance(scenario, str) else scenario
    return validate_scenario(raw, source)


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    """Build a validated :class:`Scenario` from a dict (or TOML text)."""
    return _scenario_from


def recorder_for(scenario: Scenario, keep_calls: bool = False) -> Monitors:
    """The monitor set the runner builds for ``scenario`` (the whole fleet)."""
    system = ServiceSystem.from_scenario(scenario)
    return monitors_for(system, system.technicians, range(system.territories.count), keep_calls)


def _run_one(
    scenario: Scenario, replication: int = 0, keep_calls: bool = False
) -> tuple[Monitors, dict[str, dict[str, float]]]:
    recorder = recorder_for(scenario, keep_calls)
    end = simulate(ServiceSystem.from_scenario(scenario), replication, recorder)
    return recorder, recorder.kpis(end)


@pytest.fixture
def run_one() -> Callable[..., tuple[Monitors, dict[str, dict[str, float]]]]:
    """Simulate one replication; return ``(recorder, kpis)``.

    ``keep_calls=True`` makes the recorder keep every finished call (``recorder.calls``).
    """
    return _run_one
