"""Run the shipped scenarios and validation cases at two commits and compare the tables.

    python bench/compare_commits.py BEFORE AFTER [--set KEY=VALUE]... [--only GLOB]...
        [--replications N] [--keep DIR]

Each commit is checked out in a temporary ``git worktree``; every scenario file present
at both commits (``scenarios/**/*.toml``, the validation cases included) is run with
``run_sim.py run FILE --backend serial`` and the same seed, with the ``--set`` overrides
(short horizons, e.g. ``--set run.horizon_h=2000``) applied at both.  Then
``replications.parquet`` and ``summary.csv`` are compared bit for bit: the script lists
every file whose tables differ, with the columns that differ, how many rows and the
largest absolute difference.  Exit status 0 when everything is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def _git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _scenarios(tree: Path) -> set[str]:
    return {str(p.relative_to(tree)) for p in (tree / "scenarios").rglob("*.toml")}


def _run(tree: Path, scenario: str, out: Path, overrides: list[str], replications: int | None) -> Path | None:
    cmd = [sys.executable, "run_sim.py", "run", scenario, "--backend", "serial", "--quiet", "--out", str(out)]
    for o in overrides:
        cmd += ["--set", o]
    if replications is not None:
        cmd += ["--replications", str(replications)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    folders = [p for p in out.iterdir() if p.is_dir()] if out.exists() else []
    if res.returncode not in (0, 1) or len(folders) != 1:
        print(f"  {tree.name}: {scenario}: exit {res.returncode}: {res.stderr.strip()[-300:]}")
        return None
    return folders[0]


def _diff(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """What differs between two tables, one line per column (empty: bit-identical)."""
    out = []
    if list(a.columns) != list(b.columns):
        only_a = [c for c in a.columns if c not in b.columns]
        only_b = [c for c in b.columns if c not in a.columns]
        out.append(f"columns differ: only before {only_a}, only after {only_b}")
    if len(a) != len(b):
        out.append(f"rows: {len(a)} before, {len(b)} after")
        return out
    for col in (c for c in a.columns if c in b.columns):
        x, y = a[col], b[col]
        if x.dtype.kind in "fc" and y.dtype.kind in "fc":
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            same = (xv == yv) | (np.isnan(xv) & np.isnan(yv))
            if not same.all():
                worst = np.nanmax(np.abs(xv[~same] - yv[~same])) if (~same).any() else float("nan")
                out.append(f"{col}: {int((~same).sum())} rows differ, largest |diff| {worst:.3g}")
        elif not x.astype(str).equals(y.astype(str)):
            out.append(f"{col}: {int((x.astype(str) != y.astype(str)).sum())} rows differ")
    return out


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        "replications.parquet": pd.read_parquet(folder / "replications.parquet"),
        "summary.csv": pd.read_csv(folder / "summary.csv"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="e.g. 'scenarios/validation/*.toml'",
    )
    p.add_argument("--replications", type=int, default=None)
    p.add_argument("--keep", default=None, help="keep the run folders here")
    args = p.parse_args(argv)

    work = Path(args.keep or tempfile.mkdtemp(prefix="compare_commits_"))
    trees = {}
    try:
        for label, ref in (("before", args.before), ("after", args.after)):
            tree = work / label
            _git("worktree", "add", "--detach", str(tree), ref)
            trees[label] = tree
        common = sorted(_scenarios(trees["before"]) & _scenarios(trees["after"]))
        if args.only:
            common = [s for s in common if any(fnmatch.fnmatch(s, g) for g in args.only)]
        print(f"{args.before} vs {args.after}: {len(common)} scenario files, --set {args.overrides}")
        differing = 0
        for sc in common:
            name = sc.replace("/", "_").removesuffix(".toml")
            folders = {
                label: _run(tree, sc, work / "out" / label / name, args.overrides, args.replications)
                for label, tree in trees.items()
            }
            if None in folders.values():
                differing += 1
                continue
            a, b = _tables(folders["before"]), _tables(folders["after"])  # type: ignore[arg-type]
            lines = [f"{t}: {d}" for t in a for d in _diff(a[t], b[t])]
            differing += bool(lines)
            print(f"{'DIFFERS' if lines else 'same   '} {sc}")
            for line in lines:
                print(f"          {line}")
        print(f"{differing} of {len(common)} scenario files differ (or failed to run)")
        return 1 if differing else 0
    finally:
        for tree in trees.values():
            _git("worktree", "remove", "--force", str(tree))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
