"""Fleet scale: wall time and peak memory of scenarios/dupit_fleet.toml.

Runs ``python run_sim.py run scenarios/dupit_fleet.toml`` as a subprocess under GNU time
for a growing number of territories (one year each) and for growing horizons (1,000
territories), and prints a table; ``--json`` writes bench/results/fleet.json.

    python bench/bench_fleet.py                 # the cost-growth table (several minutes)
    python bench/bench_fleet.py --full-only     # only the 10,000-territory year

Peak memory is the largest resident set of a single process (the main process or one
worker), as GNU time's %M reports it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "dupit_fleet.toml"


def run(territories: int, horizon_h: float, workers: int | None) -> dict[str, float]:
    out = tempfile.mkdtemp(prefix="fleet-")
    cmd = [
        "/usr/bin/time",
        "-f",
        "TIME %e %M",
        sys.executable,
        str(ROOT / "run_sim.py"),
        "run",
        str(SCENARIO),
        "--set",
        f"territories.count={territories}",
        "--set",
        f"run.horizon_h={horizon_h}",
        "--out",
        out,
        "--quiet",
    ]
    if workers:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    m = re.search(r"TIME ([\d.]+) (\d+)", proc.stderr)
    calls = re.search(r"^calls_per_day\s+(\S+)", proc.stdout, re.M)
    per_day = float(calls.group(1)) if calls else float("nan")
    return {
        "territories": territories,
        "machines": territories * 150,
        "horizon_h": horizon_h,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(int(m.group(2)) / 1024, 1) if m else float("nan"),
        "calls": round(per_day * horizon_h / 8.0),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full-only", action="store_true")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = []
    if args.full_only:
        rows.append(run(10_000, 2000.0, args.workers))
    else:
        for n in (10, 100, 1_000, 10_000):
            rows.append(run(n, 2000.0, args.workers))
        for h in (500.0, 1000.0, 4000.0):
            rows.append(run(1_000, h, args.workers))
    print(
        f"{'territories':>11} {'machines':>10} {'horizon_h':>9} {'calls':>10} {'wall_s':>7} "
        f"{'calls/s':>9} {'peak MB':>8}   (cores: {os.cpu_count()})"
    )
    for r in rows:
        rate = r["calls"] / r["wall_s"] if r["wall_s"] else float("nan")
        print(
            f"{r['territories']:>11,} {r['machines']:>10,} {r['horizon_h']:>9,.0f} "
            f"{r['calls']:>10,} {r['wall_s']:>7.1f} {rate:>9,.0f} {r['peak_rss_mb']:>8.0f}"
        )
    if args.json:
        path = ROOT / "bench" / "results" / "fleet.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(rows, indent=1))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
