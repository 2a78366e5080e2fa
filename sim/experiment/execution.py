"""Running tasks on a backend (serial, process pool, Dask) with a progress bar; the
results come back in task order whatever order they finished in."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from sim.experiment import backends
from sim.experiment.plan import task_work
from sim.experiment.replication import run_chunk
from sim.experiment.tasks import Task, TaskResult, failed_result, task_key

BACKENDS = ("serial", "process", "dask")

#: how the backends see a task
JOB = backends.Job(
    chunk_fn=run_chunk,
    key=task_key,
    group=lambda t: t.point.index,
    wall_s=lambda r: r.wall_s,
    fail=failed_result,
)


def default_workers() -> int:
    """One worker process per core."""
    return max(1, os.cpu_count() or 1)


def run_tasks(
    tasks: Sequence[Task],
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
    dask_address: str | None = None,
) -> list[TaskResult]:
    """Run tasks on a backend and return their results in task order.

    Parameters
    ----------
    backend : {"serial", "process", "dask"}
        ``dask`` starts a local cluster, or uses ``dask_address``'s scheduler.
    workers : int, optional
        Worker processes (default: one per core).
    progress : bool, optional
        Show a progress bar; ``None`` shows it only on a terminal.
    on_result : callable, optional
        Called in the main process as each task finishes (e.g. to save it).
    """
    from tqdm import tqdm

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    disable = (not sys.stderr.isatty()) if progress is None else not progress
    results: dict[tuple[int, int, int], TaskResult] = {}
    # the bar counts expected work (calls simulated), not tasks: a sweep's tasks differ in
    # size by orders of magnitude, and a count of tasks would make the estimate meaningless
    work = {task_key(t): task_work(t) for t in tasks}
    bar = tqdm(
        total=sum(work.values()),
        disable=disable,
        desc=f"simulating 0/{len(tasks)} tasks",
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
    )
    failures = 0

    def done(res: TaskResult) -> None:
        nonlocal failures
        results[res.key] = res
        failures += res.error is not None
        if on_result is not None:
            on_result(res)
        failed = f", {failures} failed" if failures else ""
        bar.set_description_str(f"simulating {len(results)}/{len(tasks)} tasks{failed}", refresh=False)
        bar.update(work.get(res.key, 0.0))

    workers = workers or default_workers()
    try:
        if backend == "dask":
            backends.run_dask(JOB, tasks, workers, dask_address, done)
        elif backend == "serial" or workers == 1 or len(tasks) <= 1:
            backends.run_serial(JOB, tasks, done)
        else:
            # the largest first, so that no big task starts last and runs alone
            backends.run_processes(JOB, sorted(tasks, key=lambda t: -work[task_key(t)]), workers, done)
    finally:
        bar.close()
    return [results[task_key(t)] for t in tasks]
