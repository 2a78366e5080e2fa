"""A task (one replication of one design point, or one block of it), its result, and the
JSON record of a result that a run folder's task files hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from typing import Any

from sim.config import DesignPoint
from sim.monitors import CallRecord, MonitorsSnapshot, snapshot_from_record, snapshot_record
from sim.results import TASK_SCHEMA

#: evenly spaced samples of the levels per replication (for time-series charts)
SERIES_SAMPLES = 200


@dataclass(frozen=True)
class Task:
    """One replication of one design point."""

    point: DesignPoint
    replication: int
    keep_calls: bool = False
    samples: int = SERIES_SAMPLES
    block: int = 0  # a large fleet's replication runs as `blocks` tasks of whole teams
    blocks: int = 1


@dataclass
class TaskResult:
    """The rows of one task (one per class plus ``all``), or its error."""

    design_point: int
    replication: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    calls: list[CallRecord] | None = None
    series: list[tuple[float, int, int, int]] | None = None
    wall_s: float = 0.0
    error: str | None = None
    block: int = 0
    state: MonitorsSnapshot | None = None  # a block's running sums, merged into the rows later
    decisions: list[tuple[float, str, int, int, int]] | None = None  # dispatch.record_decisions

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.design_point, self.replication, self.block)


def task_key(task: Task) -> tuple[int, int, int]:
    """A task's name, equal to its result's :attr:`TaskResult.key`."""
    return (task.point.index, task.replication, task.block)


def failed_result(task: Task, reason: str) -> TaskResult:
    """The result of a task that could not be run."""
    return TaskResult(task.point.index, task.replication, block=task.block, error=reason)


def task_file(points: Sequence[DesignPoint], res: TaskResult) -> str:
    """The name of a task's file in a run folder (a shard names its files alike, so that a
    merged folder resumes like any run)."""
    return f"{points[res.design_point].id}-r{res.replication:05d}-b{res.block:03d}"


def result_record(res: TaskResult) -> dict[str, Any]:
    """A task result as JSON-ready data (for the run folder's task files)."""
    return {
        "schema": TASK_SCHEMA,
        "design_point": res.design_point,
        "replication": res.replication,
        "rows": res.rows,
        "calls": [list(astuple(c)) for c in res.calls] if res.calls is not None else None,
        "series": res.series,
        "wall_s": res.wall_s,
        "error": res.error,
        "block": res.block,
        "state": snapshot_record(res.state) if res.state is not None else None,
        "decisions": res.decisions,
    }


def result_from_record(rec: dict[str, Any]) -> TaskResult:
    """The task result a :func:`result_record` was made from."""
    calls = [CallRecord(*c) for c in rec["calls"]] if rec.get("calls") is not None else None
    series = [tuple(x) for x in rec["series"]] if rec.get("series") else None
    return TaskResult(
        rec["design_point"],
        rec["replication"],
        rec["rows"],
        calls,
        series,
        rec["wall_s"],
        rec.get("error"),
        rec.get("block", 0),
        snapshot_from_record(rec["state"]) if rec.get("state") is not None else None,
        [tuple(d) for d in rec["decisions"]] if rec.get("decisions") else None,
    )
