"""``run --shard K/N`` and ``merge``: the parts of a study, run apart (as batch array jobs)
and merged, give the folder a single run gives: identical ``replications.parquet``,
``summary.csv`` and ``timeseries.parquet``, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main

SCENARIO = """\
[meta]
name = "shards"
[run]
horizon_h = 400.0
warmup_h = 40.0
replications = 4
seed = 9
[fleet]
calls_per_h = 0.4
[repair]
time_h = { dist = "exponential", mean = 2.0 }
[sweep]
"territories.technicians" = [1, 2]
"""
TABLES = ("replications.parquet", "summary.csv", "timeseries.parquet")


def scenario(tmp_path: Path) -> Path:
    f = tmp_path / "shards.toml"
    f.write_text(SCENARIO)
    return f


def one(folder: Path) -> Path:
    (run,) = [p for p in folder.iterdir() if p.is_dir()]
    return run


def shards(tmp_path: Path, capsys: Any, n: int = 3) -> list[Path]:
    """The study's N shards, each in its own --out folder (as separate jobs would write them)."""
    scen = scenario(tmp_path)
    dirs = []
    for k in range(1, n + 1):
        out = tmp_path / f"job{k}"
        assert main(["run", str(scen), "--shard", f"{k}/{n}", "--out", str(out), "--quiet"]) == 0
        dirs.append(one(out))
    capsys.readouterr()
    return dirs


def manifest(path: Path) -> dict[str, Any]:
    return json.loads((path / "manifest.json").read_text())


def test_merged_shards_equal_a_single_run(tmp_path: Path, capsys: Any) -> None:
    scen = scenario(tmp_path)
    assert main(["run", str(scen), "--out", str(tmp_path / "single"), "--quiet"]) == 0
    single = one(tmp_path / "single")
    dirs = shards(tmp_path, capsys)
    # every task in exactly one shard, and no tables in a shard's folder
    counts = [len(list((d / "tasks").glob("*.json"))) for d in dirs]
    assert sum(counts) == 2 * 4 and min(counts) >= 2
    assert not any((d / "summary.csv").exists() for d in dirs)
    assert [manifest(d)["shard"]["index"] for d in dirs] == [1, 2, 3]

    # shard 2 was killed before it finished: resume it (only its own tasks run)
    man = manifest(dirs[1])
    (dirs[1] / "manifest.json").write_text(json.dumps({**man, "status": "running"}))
    sorted((dirs[1] / "tasks").glob("*.json"))[0].unlink()
    assert main(["run", "--resume", str(dirs[1]), "--quiet"]) == 0
    assert len(list((dirs[1] / "tasks").glob("*.json"))) == counts[1]

    merged = tmp_path / "merged"
    assert main(["merge", str(merged), *map(str, reversed(dirs)), "--quiet"]) == 0
    for name in TABLES:
        assert (merged / name).read_bytes() == (single / name).read_bytes(), name
    assert (merged / "report.html").is_file()
    a, b = manifest(single), manifest(merged)
    assert b["status"] == "complete" and "shard" not in b
    assert [(t["design_point"], t["replication"], t["status"]) for t in a["tasks"]] == [
        (t["design_point"], t["replication"], t["status"]) for t in b["tasks"]
    ]
    assert not (merged / "tasks").exists()
    assert all(d.exists() for d in dirs)  # the shards are left as they were


def test_merge_refuses_a_missing_shard_in_one_line(tmp_path: Path, capsys: Any) -> None:
    dirs = shards(tmp_path, capsys)
    merged = tmp_path / "merged"
    assert main(["merge", str(merged), str(dirs[0]), str(dirs[2])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shard(s) 2/3 missing" in err[0], err
    assert not merged.exists()
    assert main(["merge", str(merged), str(dirs[0]), str(dirs[0]), str(dirs[1])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "given twice" in err[0], err


def test_merge_refuses_an_unfinished_shard_and_another_study(tmp_path: Path, capsys: Any) -> None:
    dirs = shards(tmp_path, capsys, n=2)
    man = manifest(dirs[1])
    (dirs[1] / "manifest.json").write_text(json.dumps({**man, "status": "running"}))
    merged = tmp_path / "merged"
    assert main(["merge", str(merged), *map(str, dirs)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did not finish" in err[0] and "--resume" in err[0], err
    (dirs[1] / "manifest.json").write_text(json.dumps({**man, "seed": 10}))
    assert main(["merge", str(merged), *map(str, dirs)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another study" in err[0], err
    assert main(["merge", str(merged), str(dirs[0]), str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a shard folder" in err[0], err
    assert not merged.exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--shard", "0/3"], "part 0 of 3 does not exist"),
        (["--shard", "4/3"], "part 4 of 3 does not exist"),
        (["--shard", "1/0"], "number of shards"),
        (["--shard", "a/b"], "is not K/N"),
        (["--shard", "1/2", "--precision", "0.1"], "not with --precision"),
        (["--shard", "1/2", "--baseline", "dp000"], "not with --baseline"),
    ],
)
def test_bad_shard_is_one_line(tmp_path: Path, capsys: Any, args: list[str], needle: str) -> None:
    out = tmp_path / "out"
    assert main(["run", str(scenario(tmp_path)), "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --shard") and needle in err[0], err
    assert not out.exists()
