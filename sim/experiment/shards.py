"""``--shard K/N``: one part of a study in a folder of its own, and the merge of the parts.

For batch array jobs on a cluster without Dask: job K of N runs every N-th task
(task i belongs to shard ``i mod N + 1``, in the order design points, then
replications), saving each finished task as an ordinary run does.  A shard's
folder holds its manifest (``"shard": {"index": K, "count": N}``) and its task
files, no tables.  ``merge`` checks that the shards are the N parts of one study,
gathers their task files into a new run folder and completes it exactly as
``--resume`` completes a run: the tables equal those of the study run in one go.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import DesignPoint, Scenario
from sim.errors import ResultsError
from sim.experiment.execution import run_tasks
from sim.experiment.manifest import manifest_head, points_from_manifest
from sim.experiment.plan import make_tasks
from sim.experiment.tasks import Task, TaskResult, result_from_record, result_record, task_file
from sim.experiment.warmup import resolve_warmups
from sim.results import MANIFEST, TASKS, RunFolder, run_id

#: the status of a shard whose every task has been run
SHARD_DONE = "shard-complete"
_SHARD = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]+)\s*$")
MAX_SHARDS = 100_000


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` as ``(K, N)`` with 1 <= K <= N; ``ValueError`` (one line) otherwise."""
    m = _SHARD.match(text) if text.isascii() else None
    if not m:
        raise ValueError(f"--shard: {text!r} is not K/N (e.g. --shard 3/10 runs part 3 of 10)")
    k, n = int(m[1]), int(m[2])
    if not 1 <= n <= MAX_SHARDS:
        raise ValueError(f"--shard: the number of shards must be 1 to {MAX_SHARDS} (got {n})")
    if not 1 <= k <= n:
        raise ValueError(f"--shard: part {k} of {n} does not exist (K runs from 1 to {n})")
    return k, n


def shard_tasks(tasks: Sequence[Task], index: int, count: int) -> list[Task]:
    """The tasks of shard ``index`` (1-based) of ``count``: every ``count``-th one."""
    return [t for i, t in enumerate(tasks) if i % count == index - 1]


@dataclass(frozen=True)
class ShardRun:
    """What a shard run did."""

    path: Path
    index: int
    count: int
    tasks: int
    failed: list[TaskResult]


def run_shard(
    scenario: Scenario,
    points: Sequence[DesignPoint],
    out: Path,
    argv: Sequence[str],
    source: str,
    shard: tuple[int, int],
    backend: str = "process",
    workers: int | None = None,
    keep_calls: bool = False,
    progress: bool | None = None,
    resume: Path | None = None,
    dask_address: str | None = None,
) -> ShardRun:
    """Run shard ``(K, N)`` of a study into its own folder under ``out`` (or complete the
    shard folder ``resume``).  Each finished task is saved as it completes."""
    index, count = shard
    if resume is not None:
        folder, head = RunFolder.open_for_resume(resume)
        keep_calls = bool(head.get("records", keep_calls))
        have = {
            (r.design_point, r.replication, r.block): r
            for r in map(result_from_record, folder.load_tasks())
            if r.error is None
        }
    else:
        head = manifest_head(scenario, points, argv, source, keep_calls)
        head["shard"] = {"index": index, "count": count}
        rid = f"{run_id(scenario.meta.name, scenario.config_hash())}_shard{index}of{count}"
        folder = RunFolder.create(out, rid, head)
        have = {}
    # an automatic warm-up is chosen by a pilot that every shard runs alike (same streams)
    resolved, _ = resolve_warmups(points, backend, workers, progress, dask_address)
    mine = shard_tasks(make_tasks(resolved, keep_calls), index, count)
    todo = [t for t in mine if (t.point.index, t.replication, t.block) not in have]

    def save(res: TaskResult) -> None:
        folder.save_task(task_file(points, res), result_record(res))

    results = run_tasks(todo, backend, workers, progress, save, dask_address)
    failed = [r for r in results if r.error is not None]
    head["shard"] = {"index": index, "count": count, "tasks": len(mine), "failed": len(failed)}
    folder.write_manifest({**head, "status": SHARD_DONE})
    return ShardRun(folder.path, index, count, len(mine), failed)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        man = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: not a shard folder (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path / MANIFEST}: unreadable manifest ({exc})") from None
    if not isinstance(man, dict) or not isinstance(man.get("shard"), dict):
        raise ResultsError(f"{path}: not a shard folder (its manifest has no 'shard'; made with --shard K/N)")
    return man


def _study(man: dict[str, Any]) -> Any:
    """What two shards of one study share."""
    return (
        man.get("config_hash"),
        [(d.get("id"), d.get("config_hash")) for d in man.get("design_points", [])],
        man.get("seed"),
        man.get("records"),
        man["shard"].get("count"),
    )


def check_shards(dirs: Sequence[Path]) -> list[dict[str, Any]]:
    """The shards' manifests, if the folders are the N finished parts of one study."""
    mans = [_read_manifest(d) for d in dirs]
    first = mans[0]
    count = first["shard"].get("count")
    for d, man in zip(dirs, mans, strict=True):
        if _study(man) != _study(first):
            raise ResultsError(f"{d}: a shard of another study than {dirs[0]} (different settings or N)")
        if man.get("status") != SHARD_DONE:
            raise ResultsError(
                f"{d}: shard {man['shard'].get('index')}/{count} did not finish; complete it with "
                f"python run_sim.py run --resume {d}"
            )
    seen: dict[int, Path] = {}
    for d, man in zip(dirs, mans, strict=True):
        k = man["shard"].get("index")
        if k in seen:
            raise ResultsError(f"{d}: shard {k}/{count} is given twice (also {seen[k]})")
        seen[k] = d
    missing = [k for k in range(1, int(count) + 1) if k not in seen]
    if missing:
        listed = ", ".join(f"{k}/{count}" for k in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ResultsError(f"merge: shard(s) {listed} missing; give all {count} shard folders")
    return mans


def prepare_merge(out: Path, dirs: Sequence[Path]) -> tuple[Scenario, list[DesignPoint], Path, str]:
    """A new run folder ``out`` holding every shard's task files, ready to be completed
    with :func:`sim.experiment.experiment.execute` ``(resume=out)``; nothing is written if a check fails."""
    mans = check_shards(dirs)
    if out.exists():
        raise ResultsError(f"{out}: already exists; not overwriting a run")
    head = {k: v for k, v in mans[0].items() if k not in ("shard", "status")}
    head["merged_from"] = [str(d) for d in dirs]
    source = str(head.get("scenario_file", ""))
    scenario, points = points_from_manifest(head, f"{dirs[0]}/{MANIFEST}")
    folder = RunFolder.create(out.parent, out.name, head)
    for d in dirs:
        for f in sorted((d / TASKS).glob("*.json")):
            shutil.copyfile(f, folder.tasks_dir / f.name)
    return scenario, points, folder.path, source
