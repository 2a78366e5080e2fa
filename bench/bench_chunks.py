"""Scheduler overhead of many tiny tasks: serial vs the process pool vs Dask.

A synthetic sweep of ``--points`` design points x ``--reps`` replications, each
replication a few simulated hours (about a millisecond of work), so that the
time is almost all scheduling: submitting, pickling, returning and collecting
the tasks.  Prints one JSON line per backend with the wall time, tasks per
second and the CPU time of this (the parent) process per task: for the process
pool and for Dask's local cluster (whose scheduler runs in this process) the work
runs in the workers, so that is the scheduling overhead itself, and it does not
depend on how busy the machine is, unlike the wall time.

    PYTHONPATH=. python bench/bench_chunks.py --points 100 --reps 100 --workers 2
"""

from __future__ import annotations

import argparse
import json
import time

from sim.config import expand_sweep, validate_scenario
from sim.experiment.execution import run_tasks
from sim.experiment.plan import make_tasks
from sim.experiment.tasks import Task


def tiny_sweep(points: int, reps: int) -> list[Task]:
    """``points`` x ``reps`` tasks of a few simulated hours each."""
    scenario = validate_scenario(
        {
            "meta": {"name": "tiny"},
            "run": {"horizon_h": 20.0, "warmup_h": 0.0, "replications": reps, "seed": 1},
            "fleet": {"calls_per_h": 0.5},
            "repair": {"time_h": {"dist": "exponential", "mean": 1.0}},
            "sweep": {"run.seed": list(range(1, points + 1))},
        }
    )
    return make_tasks(expand_sweep(scenario))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--backends", default="serial,process,dask")
    args = ap.parse_args()
    tasks = tiny_sweep(args.points, args.reps)
    for backend in args.backends.split(","):
        t0, c0 = time.perf_counter(), time.process_time()
        results = run_tasks(tasks, backend, args.workers, progress=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert len(results) == len(tasks) and not any(r.error for r in results)
        line = {
            "backend": backend,
            "tasks": len(tasks),
            "workers": 1 if backend == "serial" else args.workers,
            "wall_s": round(wall, 2),
            "tasks_per_s": round(len(tasks) / wall),
            "parent_cpu_ms_per_task": round(1000 * cpu / len(tasks), 3),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
