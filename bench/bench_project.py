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

``--recorder kpi`` (run by ``run_all.py`` as ``project-kpi`` with ``--adapter
"bench_project.py@project-kpi@--recorder kpi"``) runs the production recorder
instead: the monitor set ``run`` builds for this scenario (``sim.monitors.monitors_for``:
time-weighted levels, thresholds ...), with the adapter's wait list injected as one
more tally; its Wq (``wait_h`` over every call) is cross-checked.
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
from sim.monitors import Tally, monitors_for  # noqa: E402
from sim.system import ServiceSystem  # noqa: E402


class WaitRecorder:
    """Implements ``sim.monitors.Recorder``; keeps the waits of calls W .. W+N-1."""

    __slots__ = ("done", "end", "expected", "first", "kpis", "out_of_order", "remaining", "waits")

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


class WaitTally(Tally):
    """The adapter's wait list as one more tally of the production monitor set."""

    __slots__ = ("waits",)
    name = "anchor_waits"

    def __init__(self, waits: WaitRecorder) -> None:
        super().__init__()
        self.waits = waits

    def handles(self):
        return {"dispatched": self.waits.dispatched}


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
    system = ServiceSystem.from_scenario(scenario_for(model, seed))
    env = simpy.Environment()
    done = env.event()
    rec = WaitRecorder(warmup, customers, done)
    recorder = rec
    if recorder_kind == "kpi":
        c = MODELS[model][2]
        recorder = monitors_for(system, c, range(1), extra=[WaitTally(rec)])
    build(env, system, replication=0, recorder=recorder)
    env.run(until=done)
    if rec.remaining:  # pragma: no cover - run() only returns once done fired
        raise SystemExit(f"project: {rec.remaining} calls never dispatched")
    if recorder_kind == "kpi":
        rec.kpis = recorder.kpis(env.now)["all"]
    return rec.waits, rec


def main() -> None:
    def extra(p):
        p.add_argument(
            "--recorder",
            choices=("minimal", "kpi"),
            default="minimal",
            help="minimal: waits only (default); kpi: the monitors run builds, plus the waits",
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
        info["kpi_wq_all_calls"] = rec.kpis["wait_h"]  # every dispatched call, warm-up included
    name = "project" if args.recorder == "minimal" else "project-kpi"
    report(name, args, t.seconds, waits, info)


if __name__ == "__main__":
    main()
