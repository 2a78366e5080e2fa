"""Shared helpers: write scenario files, build scenarios from TOML text, run one replication.

Tests import the ``sim`` package from the repository root, so this file puts
that root on ``sys.path`` whatever directory pytest is started from.
"""

from __future__ import annotations

import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.config import Scenario, validate_scenario  # noqa: E402
from sim.model import simulate  # noqa: E402
from sim.recorder import KPIRecorder  # noqa: E402


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write TOML text (dedented) to a file under ``tmp_path`` and return its path."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def _scenario_from(text: str, source: str = "<test>") -> Scenario:
    return validate_scenario(tomllib.loads(textwrap.dedent(text)), source)


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    """Build a validated :class:`Scenario` from TOML text."""
    return _scenario_from


class CallLog(KPIRecorder):
    """A KPI recorder that also snapshots every call restored since the last reset.

    Behaviour tests read per-call timestamps from ``log``.  The snapshot copies
    the model's own ``Call`` slots (plus ``restored_at``), so it does not depend on
    the recorder's ``keep_calls`` record type, which has tests of its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[SimpleNamespace] = []

    def restored(self, call: Any, now: float) -> None:
        super().restored(call, now)
        if call.failed_at >= self.start:
            fields = {name: getattr(call, name) for name in type(call).__slots__}
            self.log.append(SimpleNamespace(**fields, restored_at=now))

    def reset(self, now: float) -> None:
        super().reset(now)
        self.log = []


def recorder_for(
    scenario: Scenario, keep_calls: bool = False, cls: type[KPIRecorder] = KPIRecorder
) -> KPIRecorder:
    """A KPI recorder set up the way the runner sets it up for ``scenario``."""
    classes = scenario.fleet.classes
    terr = scenario.territories
    return cls(
        [c.name for c in classes],
        [c.sla_h for c in classes],
        scenario.report.wait_thresholds_h,
        technicians=terr.technicians * terr.count,
        hours_per_day=scenario.calendar.day_length_h,
        keep_calls=keep_calls,
        technicians_per_territory=terr.technicians,
        pooled=terr.pooled,
    )


def _run_one(
    scenario: Scenario, replication: int = 0, keep_calls: bool = False, log: bool = False
) -> tuple[KPIRecorder, dict[str, dict[str, float]]]:
    recorder = recorder_for(scenario, keep_calls, CallLog if log else KPIRecorder)
    end = simulate(scenario, replication, recorder)
    return recorder, recorder.kpis(end)


@pytest.fixture
def run_one() -> Callable[..., tuple[KPIRecorder, dict[str, dict[str, float]]]]:
    """Simulate one replication; return ``(recorder, kpis)``.

    ``keep_calls=True`` asks the recorder for its own call log (``recorder.calls``);
    ``log=True`` uses :class:`CallLog` (``recorder.log``).
    """
    return _run_one
