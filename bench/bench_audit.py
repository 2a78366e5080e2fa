"""The label audit at scale: N random scenarios, every KPI labelled exact checked.

Runs :func:`sim.audit.run_audit` serially (one core) and prints the figures: scenarios
checked (and drawn), exact KPIs checked, loose intervals, alarms, confirmed failures,
CPU seconds; ``--json`` writes them to bench/results/audit.json. The same audit from
the command line is ``python run_sim.py validate --audit N --seed S --backend serial``.

    python bench/bench_audit.py --n 200 --seed 2026     # about 10-15 min of one core
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sim.audit import run_audit

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200, help="scenarios with an exact label to check")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", default=None, help="folder for the cases (default: a temporary one)")
    p.add_argument("--json", action="store_true", help="write bench/results/audit.json")
    args = p.parse_args(argv)
    folder = Path(args.out or tempfile.mkdtemp(prefix="audit-"))
    t0, c0 = time.perf_counter(), time.process_time()

    def progress(item, n):  # type: ignore[no-untyped-def]
        print(
            f"{item.index:4d} {len(item.checks):3d} KPIs {len(item.alarms)} alarms "
            f"{len(item.confirmed)} confirmed  {item.description}",
            file=sys.stderr,
            flush=True,
        )

    res = run_audit(args.n, args.seed, folder, on_scenario=progress)
    by_kpi: Counter[str] = Counter(
        c.kpi if not c.kpi.startswith("p_wait_gt_") else "p_wait_gt_x"
        for s in res.scenarios
        for c in s.checks
    )
    figures = {
        "seed": args.seed,
        "scenarios_checked": len(res.scenarios),
        "scenarios_drawn": res.drawn,
        "exact_kpis_checked": res.checked,
        "loose_intervals": res.loose,
        "alarms": res.alarms,
        "scenarios_rerun": sum(s.rerun_path is not None for s in res.scenarios),
        "confirmed_failures": res.confirmed,
        "errors": len(res.errors),
        "cpu_s": round(time.process_time() - c0, 1),
        "wall_s": round(time.perf_counter() - t0, 1),
        "checks_by_kpi": dict(by_kpi.most_common()),
        "confirmed": [
            {
                "case": s.path.name,
                "class": c.service_class,
                "kpi": c.kpi,
                "model": c.model,
                "exact": c.exact,
                "ci": [c.ci_low, c.ci_high],
            }
            for s in res.scenarios
            for c in s.confirmed
        ],
        "cases": str(folder),
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        (ROOT / "bench" / "results" / "audit.json").write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
