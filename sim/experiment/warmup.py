"""``run.warmup_h = "auto"``: the warm-up chosen by MSER-5 on a pilot run."""

from __future__ import annotations

from collections.abc import Sequence

from sim.config import DesignPoint, with_overrides
from sim.experiment.execution import run_tasks
from sim.experiment.tasks import Task
from sim.stats import mser_time

#: replications of the pilot run that chooses an automatic warm-up
PILOT_REPLICATIONS = 5


def resolve_warmups(
    points: Sequence[DesignPoint],
    backend: str = "process",
    workers: int | None = None,
    progress: bool | None = None,
    dask_address: str | None = None,
) -> tuple[list[DesignPoint], dict[str, float]]:
    """Replace ``run.warmup_h = "auto"`` by MSER-5's truncation point.

    A pilot of each such design point (up to 5 replications, no warm-up, the
    same streams as the real run) samples the number of machines down over
    time; MSER-5 on the average across replications gives the warm-up,
    capped at half the pilot's length.
    """
    auto = [p for p in points if p.scenario.run.warmup_h == "auto"]
    if not auto:
        return list(points), {}
    pilots = []
    for p in auto:
        pilot = with_overrides(p.scenario, {"run.warmup_h": 0.0, "run.batches": 0}, f"warm-up pilot ({p.id})")
        pilots.append(DesignPoint(p.index, p.params, pilot))
    tasks = [
        Task(pp, r) for pp in pilots for r in range(min(PILOT_REPLICATIONS, pp.scenario.run.replications))
    ]
    results = run_tasks(tasks, backend, workers, progress, None, dask_address)
    chosen: dict[str, float] = {}
    for pp in pilots:
        series = [r.series for r in results if r.design_point == pp.index and r.series]
        error = next((r.error for r in results if r.design_point == pp.index and r.error), None)
        if not series or error:
            raise RuntimeError(f"{pp.id}: the warm-up pilot failed: {error}")
        times = [t for t, *_ in series[0]]
        values = [[down for _, _, down, _ in s] for s in series]
        chosen[pp.id] = mser_time(times, values, batch=5, cap_fraction=0.5)
    out = []
    for p in points:
        if p.id in chosen:
            sc = with_overrides(p.scenario, {"run.warmup_h": chosen[p.id]}, f"warm-up ({p.id})")
            p = DesignPoint(p.index, p.params, sc)
        out.append(p)
    return out, chosen
