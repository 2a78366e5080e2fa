"""Speed-anchor adapter: the project's own engine on the anchors' M/M/1 and M/M/3.

Follows the protocol of ``shared/anchors/common.py`` (see its README), so that

    <venv>/bin/python <anchors>/run_all.py --impls simpy ciw project \
        --adapter <repo>/bench/bench_project.py --out <repo>/bench/results

times ``sim.model`` on exactly the workload the peer engines run.

Mapping of the workload onto a scenario (the time unit is "day" throughout;
the field names say ``_h`` but units never enter the model):

* infinite source: ``fleet.calls_per_h = lambda``;
* ``repair.time_h = exponential(mean = 1/mu)``, no travel (the default
  deterministic 0), one service class, FIFO dispatch;
* one territory with ``territories.technicians = c``;
* ``run.seed = --seed``, replication 0, no warm-up *time* (the warm-up is the
  first ``--warmup`` customers, as for every anchor).

The model numbers calls 0, 1, 2, ... in arrival order.  The adapter's recorder
keeps ``now - call.logged_at`` at ``dispatched`` for calls ``W .. W+N-1``,
stored by call number (so the list is in arrival order whatever the dispatch
order), and ends the run as soon as all ``W + N`` first calls have been
dispatched.  Under FIFO with one team, dispatch order *is* arrival order; the
recorder counts how often that fails (``out_of_order`` in the JSON line, always
0 here).

``--recorder kpi`` (not used by ``run_all.py``) also feeds the project's full
``KPIRecorder`` (time-weighted levels, thresholds), to show the cost of the
production recorder on top of the engine; its Wq is cross-checked.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _anchors_dir() -> Path | None:
    """Where ``common.py`` lives: $ANCHORS_DIR, else ../shared/anchors beside the repo."""
    candidates = []
    if os.environ.get("ANCHORS_DIR"):
        candidates.append(Path(os.environ["ANCHORS_DIR"]))
    candidates += [REPO.parent / "shared" / "anchors", Path("/work/shared/anchors")]
    for c in candidates:
        if (c / "common.py").is_file():
            return c.resolve()
    return None  # rely on PYTHONPATH (run_all.py puts its own folder there)


_anchors = _anchors_dir()
if _anchors is not None and str(_anchors) not in sys.path:
    sys.path.insert(0, str(_anchors))
# time this checkout of the project, even if another copy is installed
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import simpy  # noqa: E402
from common import MODELS, Timer, parse_args, report  # noqa: E402

from sim.config import validate_scenario  # noqa: E402
from sim.model import build  # noqa: E402
from sim.recorder import KPIRecorder  # noqa: E402


class WaitRecorder:
    """Implements ``sim.recorder.Recorder``; keeps the waits of calls W .. W+N-1."""

    __slots__ = ("done", "end", "expected", "first", "out_of_order", "remaining", "waits")

    def __init__(self, warmup: int, customers: int, done: simpy.Event) -> None:
        self.first = warmup
        self.end = warmup + customers
        self.waits = [0.0] * customers
        self.remaining = warmup + customers  # calls numbered < end not yet dispatched
        self.done = done
        self.expected = 0  # next call number if dispatch order == arrival order
        self.out_of_order = 0

    def logged(self, call, now: float) -> None:
        pass

    def dispatched(self, call, now: float) -> None:
        n = call.number
        if n != self.expected:
            self.out_of_order += 1
        self.expected = n + 1
        if n < self.end:
            if n >= self.first:
                self.waits[n - self.first] = now - call.logged_at
            self.remaining -= 1
            if not self.remaining:
                self.done.succeed()

    def on_site(self, call, now: float) -> None:
        pass

    def restored(self, call, now: float) -> None:
        pass

    def released(self, call, now: float) -> None:
        pass

    def reset(self, now: float) -> None:
        pass


class KPIWaitRecorder(WaitRecorder):
    """The same, plus the project's full KPIRecorder (for ``--recorder kpi``)."""

    __slots__ = ("kpi",)

    def __init__(self, warmup: int, customers: int, done: simpy.Event, c: int) -> None:
        super().__init__(warmup, customers, done)
        self.kpi = KPIRecorder(["standard"], [None], [2.0, 8.0], c, 1.0)

    def logged(self, call, now: float) -> None:
        self.kpi.logged(call, now)

    def dispatched(self, call, now: float) -> None:
        self.kpi.dispatched(call, now)
        WaitRecorder.dispatched(self, call, now)

    def on_site(self, call, now: float) -> None:
        self.kpi.on_site(call, now)

    def restored(self, call, now: float) -> None:
        self.kpi.restored(call, now)

    def released(self, call, now: float) -> None:
        self.kpi.released(call, now)


def scenario_for(model: str, seed: int):
    lam, mu, c = MODELS[model]
    return validate_scenario(
        {
            "meta": {"name": f"anchor-{model}"},
            "run": {"seed": seed, "warmup_h": 0.0, "replications": 1},
            "fleet": {"calls_per_h": lam},
            "territories": {"count": 1, "technicians": c, "pooled": 1},
            "repair": {"time_h": {"dist": "exponential", "mean": 1.0 / mu}},
            "dispatch": {"policy": "fifo"},
        },
        source=f"bench_project {model}",
    )


def run(model: str, warmup: int, customers: int, seed: int, recorder_kind: str = "minimal"):
    """Build and run the model; return (waits of calls W..W+N-1, recorder)."""
    scenario = scenario_for(model, seed)
    env = simpy.Environment()
    done = env.event()
    if recorder_kind == "kpi":
        rec = KPIWaitRecorder(warmup, customers, done, MODELS[model][2])
    else:
        rec = WaitRecorder(warmup, customers, done)
    build(env, scenario, replication=0, recorder=rec)
    env.run(until=done)
    if rec.remaining:  # pragma: no cover - run() only returns once done fired
        raise SystemExit(f"project: {rec.remaining} calls never dispatched")
    return rec.waits, rec


def main() -> None:
    def extra(p):
        p.add_argument(
            "--recorder",
            choices=("minimal", "kpi"),
            default="minimal",
            help="minimal: waits only (default); kpi: also the full KPIRecorder",
        )

    args = parse_args(__doc__, extra)
    import importlib.metadata as md

    with Timer() as t:
        waits, rec = run(args.model, args.warmup, args.customers, args.seed, args.recorder)
    info = {
        "version": f"sim (simpy {md.version('simpy')})",
        "recorder": args.recorder,
        "out_of_order": rec.out_of_order,
    }
    if args.recorder == "kpi":
        tally = rec.kpi.tally[0]  # Wq over every dispatched call, warm-up included
        info["kpi_wq_all_calls"] = tally.wait_sum / tally.waits
    name = "project" if args.recorder == "minimal" else "project-kpi"
    report(name, args, t.seconds, waits, info)


if __name__ == "__main__":
    main()
