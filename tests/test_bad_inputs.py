"""The bad-input corpus: every malformed scenario is refused with one line and exit status 2.

``tests/bad_inputs/`` holds small broken scenario files, each named for what is wrong.  The
first line of a text file says which key the error message must name::

    # expect: territories.technicians     (or "-" for file-level errors: syntax, binary...)

An optional second line ``# reason: WORDS`` gives words the message must hold too.  Files
whose first line cannot be read (binary, non-UTF-8, a directory) are listed in
``UNREADABLE`` below instead.

``tests/bad_cli/cases.toml`` is the command-line corpus beside it: options and sizes
(``--workers``, ``--precision``, ``--delta``, ``--over``, the work and grid limits),
special files made at test time (a FIFO, ``/dev/zero``, a symlink loop) and ``--out ''``.
Damaged run folders (``report`` and ``--resume``) are in ``tests/test_faults.py``.

For every file, ``run FILE --out TMP/results`` must exit with status 2, print nothing on
stdout and exactly one line on stderr (``error: FILE: KEY: REASON``) that names the file and
the expected key, without a traceback, and must create no results folder.  Every file is
checked in-process (fast); a handful also through a real ``python run_sim.py`` subprocess.
A hypothesis test mutates a valid scenario at random, and a few bad ``--set`` overrides are
checked too.

Inputs the code currently handles badly are in ``DEFECTS``: their cases are strict xfails,
so the suite stays green and the defect stays visible (an xfail that starts passing fails
the suite: remove its entry then).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.experiment.experiment
from sim.cli import main
from sim.config import DIST_KINDS, Scenario, ScenarioError, expand_sweep, load_scenario

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "bad_inputs"
MM1 = "scenarios/validation/mm1.toml"

# ---------------------------------------------------------------------------
# The corpus

# files without a readable "# expect:" first line -> the key their message must name
UNREADABLE = {
    "a_directory.toml": "-",  # a folder named like a scenario file
    "binary_garbage.toml": "-",  # random bytes
    "gzip_compressed.toml": "-",  # a gzipped scenario
    "latin1_encoded.toml": "-",  # Latin-1 text (not UTF-8)
    "utf16_encoded.toml": "-",  # UTF-16 text with a byte-order mark
    "bom_utf8.toml": "-",  # UTF-8 with a byte-order mark (Windows Notepad's habit)
}

# name -> reason, for corpus cases the code handles badly (strict xfails).  Empty: every
# defect this corpus found (list-item overrides crashing, unreadable TOML raising
# RecursionError/ValueError, raw control characters in messages, keys named like a
# distribution dropped from messages, 10^10 technicians accepted) is fixed in sim/config/.
DEFECTS: dict[str, str] = {}

# checked through a real subprocess as well (the rest in-process only, to stay fast)
SUBPROCESS = (
    "syntax_unclosed_table.toml",
    "binary_garbage.toml",
    "latin1_encoded.toml",
    "a_directory.toml",
    "unknown_key_repair_tme.toml",
    "contractor_negative_price.toml",
    "skills_need_no_technician_has.toml",
    "nan_horizon.toml",
    "empty_sweep_list.toml",
    "sweep_through_list_item.toml",  # once a TypeError traceback (set_dotted)
)

# C0 (but tab), DEL, C1 and the Unicode line/paragraph separators: they break the line or
# drive the terminal (ANSI escapes), so user text must reach the message escaped
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_EXPECT = re.compile(r"^# expect: (\S+)\s*$")


_REASON = re.compile(r"^# reason: (.+?)\s*$")


def _expected_key(path: Path) -> str:
    if path.name in UNREADABLE:
        return UNREADABLE[path.name]
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = _EXPECT.match(first)
    if not m:
        raise ValueError(f"{path}: the first line must be '# expect: KEY' (or '# expect: -')")
    return m.group(1)


def _expected_reason(path: Path) -> str:
    """An optional second line ``# reason: TEXT``: words the message must hold."""
    if path.name in UNREADABLE:
        return ""
    lines = path.read_text(encoding="utf-8").splitlines()
    m = _REASON.match(lines[1]) if len(lines) > 1 else None
    return m.group(1) if m else ""


CASES = {p.name: _expected_key(p) for p in sorted(CORPUS.iterdir())}
REASONS = {p.name: _expected_reason(p) for p in sorted(CORPUS.iterdir())}


def _params(names: Any) -> list[Any]:
    marks = {n: pytest.mark.xfail(strict=True, reason=DEFECTS[n]) for n in DEFECTS}
    return [pytest.param(n, marks=marks.get(n, ()), id=n.removesuffix(".toml")) for n in names]


def test_corpus_is_complete():
    """At least 45 cases; every mapping and defect entry names a file that exists."""
    assert len(CASES) >= 45
    assert set(UNREADABLE) <= set(CASES)
    assert set(DEFECTS) <= set(CASES)
    assert set(SUBPROCESS) <= set(CASES)
    assert (CORPUS / "a_directory.toml").is_dir()
    for name in ("binary_garbage.toml", "latin1_encoded.toml"):
        with pytest.raises(UnicodeDecodeError):
            (CORPUS / name).read_bytes().decode("utf-8")


# ---------------------------------------------------------------------------
# What a refused input must look like


def assert_refused(rc: Any, stdout: str, stderr: str, file: str, key: str, out: Path) -> None:
    """Exit 2; stdout empty; stderr exactly one line ``error: FILE: KEY: REASON`` naming the
    file and ``key`` ("-": no key, a file-level error); no traceback; nothing written."""
    assert "Traceback" not in stderr, stderr
    assert rc == 2, (rc, stderr)
    assert stdout == "", stdout
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"not exactly one line: {stderr!r}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert not _UNPRINTABLE.search(line), f"raw control character in the message: {line!r}"
    assert file in line, f"the message does not name the file {file}: {line}"
    rest = line.split(file, 1)[1]
    assert re.match(r"^(\s\([^)]*\))?: \S", rest), f"no ': KEY: REASON' after the file: {line}"
    if key != "-":
        assert key in rest, f"the message does not name the key {key!r}: {line}"
    assert not out.exists(), f"{out} was created"


@pytest.fixture
def no_run(monkeypatch):
    """Make an accepted input fail fast instead of starting a (possibly huge) simulation."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the input was accepted and the run started")

    monkeypatch.setattr(sim.experiment.experiment, "execute", refuse)


@pytest.mark.parametrize("name", _params(CASES))
def test_bad_input_in_process(name, tmp_path, capsys, no_run):
    """``sim.cli.main(["run", FILE, "--out", TMP])`` refuses the file with one clean line."""
    file = CORPUS / name
    out = tmp_path / "results"
    rc = main(["run", str(file), "--out", str(out)])
    captured = capsys.readouterr()
    assert_refused(rc, captured.out, captured.err, str(file), CASES[name], out)
    assert REASONS[name] in captured.err, captured.err


@dataclass
class Launched:
    """A ``python run_sim.py run FILE --out OUT`` started in the background."""

    out: Path
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def wait(self) -> tuple[int, str, str]:
        rc = self.proc.wait(timeout=120)
        return rc, self.stdout.read_text(), self.stderr.read_text()


@pytest.fixture(scope="module", autouse=True)
def subprocess_outcomes(tmp_path_factory) -> Iterator[dict[str, Launched]]:
    """Start the subprocess cases when the module starts, so that their interpreter start-up
    (about a second of CPU each) overlaps the in-process tests; each test waits for its own."""
    base = tmp_path_factory.mktemp("bad_inputs_cli")
    launched: dict[str, Launched] = {}
    for name in SUBPROCESS:
        folder = base / name
        folder.mkdir()
        rel = (CORPUS / name).relative_to(ROOT).as_posix()
        with open(folder / "stdout", "wb") as out, open(folder / "stderr", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "run_sim.py", "run", rel, "--out", str(folder / "results")],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        launched[name] = Launched(folder / "results", proc, folder / "stdout", folder / "stderr")
    yield launched
    for item in launched.values():  # a test that was deselected or timed out
        if item.proc.poll() is None:
            item.proc.kill()
            item.proc.wait()


@pytest.mark.parametrize("name", _params(SUBPROCESS))
def test_bad_input_subprocess(name, subprocess_outcomes):
    """``python run_sim.py run FILE --out TMP/results`` from the repository root."""
    launched = subprocess_outcomes[name]
    rc, stdout, stderr = launched.wait()
    rel = (CORPUS / name).relative_to(ROOT).as_posix()
    assert_refused(rc, stdout, stderr, rel, CASES[name], launched.out)


# ---------------------------------------------------------------------------
# The command-line corpus (tests/bad_cli/cases.toml): options, sizes, special files

CLI_CORPUS = ROOT / "tests" / "bad_cli"
with open(CLI_CORPUS / "cases.toml", "rb") as _fh:
    CLI_CASES = {c["name"]: c for c in tomllib.load(_fh)["case"]}
WRITES = ("run", "optimize", "select", "dupit")


@pytest.fixture
def special_files(tmp_path) -> dict[str, str]:
    """A FIFO (reading it would block), /dev/zero (endless) and a symlink loop."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    cases = tmp_path / "cases"  # validation cases: a good one, then a broken one
    cases.mkdir()
    (cases / "a_good.toml").write_text((ROOT / MM1).read_text())
    (cases / "b_broken.toml").write_text((ROOT / MM1).read_text() + "\n[repairs]\ntime_h = 1\n")
    return {
        "cases": str(cases),
        "broken_case": str(cases / "b_broken.toml"),
        "tiny": str(CLI_CORPUS / "tiny.toml"),
        "finite": str(CLI_CORPUS / "finite.toml"),
        "fifo": str(fifo),
        "dev_zero": "/dev/zero",
        "loop": str(loop),
        "many": ",".join(str(i) for i in range(1, 102)),
    }


def test_cli_corpus_is_complete():
    assert len(CLI_CASES) >= 15
    for case in CLI_CASES.values():
        assert set(case) <= {"name", "args", "expect", "names_file", "file", "reason", "no_out"}, case


@pytest.mark.parametrize("name", CLI_CASES)
def test_bad_command_line(name, tmp_path, capsys, special_files, no_run):
    """Each command is refused: exit 2, one line naming the key (and the file), nothing
    written, and quickly (a FIFO must not block, /dev/zero must not fill the memory)."""
    case = CLI_CASES[name]
    args = [a.format(**special_files) for a in case["args"]]
    out = tmp_path / "results"
    if args[0] in WRITES and not case.get("no_out"):
        args += ["--out", str(out)]
    t0 = time.perf_counter()
    rc = main(args)
    elapsed = time.perf_counter() - t0
    captured = capsys.readouterr()
    if case.get("names_file", True):
        file = case.get("file", "{tiny}").format(**special_files)
        assert_refused(rc, captured.out, captured.err, file, case["expect"], out)
    else:
        assert rc == 2, (rc, captured.err)
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {case['expect']}"), captured.err
        assert captured.out == ""
        assert not out.exists()
    assert case.get("reason", "") in captured.err, captured.err
    assert elapsed < 30, f"took {elapsed:.0f} s"


# ---------------------------------------------------------------------------
# --set overrides


@pytest.mark.parametrize(
    ("override", "key", "names_file"),
    [
        ("territories.technicians=-1", "territories.technicians", True),
        ("run.horizon_h=abc", "run.horizon_h", True),
        ("run.horizon_h=nan", "run.horizon_h", True),
        ("fleet.calls_per_h.x=1", "fleet.calls_per_h.x", True),
        ("validation.kpis.9=x", "validation.kpis.9", True),
        ("nokey", "nokey", True),  # no '='
        ("report.wait_thresholds_h.0.x=1", "report.wait_thresholds_h.0.x", True),  # via a list item
        pytest.param("run.seed=" + "9" * 4301, "run.seed", True, id="run.seed=<4301 digits>"),
        pytest.param(
            "meta.description=" + "[" * 1000, "meta.description", True, id="meta.description=<1000 x [>"
        ),
    ],
)
def test_bad_set_override(override, key, names_file, tmp_path, capsys, monkeypatch, no_run):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "results"
    rc = main(["run", MM1, "--set", override, "--out", str(out)])
    captured = capsys.readouterr()
    assert_refused(rc, captured.out, captured.err, MM1 if names_file else "--set", key, out)


# ---------------------------------------------------------------------------
# Hypothesis: random mutations of a valid scenario are loaded or refused cleanly

with open(ROOT / MM1, "rb") as _fh:
    BASE = tomllib.load(_fh)

# valid fragments grafted onto mm1 before mutating, so that the cross-field checks are reached
GRAFTS: dict[str, Any] = {
    "territories": {"count": 2, "technicians": 1, "pooled": 2, "width_km": 10.0, "height_km": 10.0},
    "travel": {"mode": "geometry", "speed_kmh": 40.0, "noise_h": {"dist": "gamma", "mean": 0.1, "cv": 0.5}},
    "dispatch": {"policy": "preference", "preference": [[0, 1], [1, 0]]},
    "calendar": {
        "shifts": [{"days": ["mon", "tue"], "start": "08:00", "end": "17:00"}],
        "sla_clock": "business",
    },
    "costs": {"technician_per_h": 30.0, "sla_penalty": 5.0},
    "report": {"wait_thresholds_h": [1.0, 4.0]},
    "parts": {
        "shortage": "revisit",
        "types": [
            {"name": "drum", "p_need": 0.3, "van": {"S": 2}, "depot": {"policy": "sS", "s": 1, "S": 5}},
            {"name": "fuser", "p_need": 0.1, "quantity": {"dist": "empirical", "values": [1.0, 2.0]}},
        ],
    },
    "sweep": {"territories.technicians": [1, 2], "repair.time_h.mean": [1.0, 2.0]},
    "variants": [{"name": "slow", "set": {"repair.time_h": {"dist": "erlang", "mean": 3.0, "k": 2}}}],
}
FINITE_FLEET = {
    "machines": 20,
    "time_to_failure_h": {"dist": "weibull", "mean": 40.0, "shape": 1.5},
    "classes": [
        {"name": "a", "share": 0.5, "priority": 1, "sla_h": 4.0},
        {"name": "b", "share": 0.5, "priority": 2},
    ],
}

# any character TOML can encode (not surrogates): line breaks, ESC, U+2028 included
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_KEY = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz_.0123456789", min_size=1, max_size=10),
    st.sampled_from(["dist", "mean", "cv", "name", "share", "S", "s", "set", *DIST_KINDS]),
    _TEXT,
)
_SCALAR = st.one_of(
    _TEXT,
    st.sampled_from(["", "fifo", "priority", "auto", "08:00", "25:00", "exponential", "gamma"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1, 2**63, 2**64, 10**12, 0.0, -0.0, -1.0, 1e-300, 1e300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.booleans(),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(_KEY, inner, max_size=3),
        st.fixed_dictionaries(
            {"dist": st.sampled_from([*DIST_KINDS, "poisson", ""])},
            optional={
                "mean": inner,
                "cv": inner,
                "value": inner,
                "k": inner,
                "low": inner,
                "high": inner,
                "values": inner,
            },
        ),
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in the scenario (dict keys and list indices), depth first."""
    out: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


def _parent(root: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = root
    for part in path[:-1]:
        node = node[part]
    return node


def _toml_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_str(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(doc: dict[str, Any]) -> str:
    """A document of ``key = value`` lines, every table inline (enough for these shapes)."""
    return "".join(f"{_toml_str(k)} = {_toml_value(v)}\n" for k, v in doc.items())


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    doc = tomllib.loads(to_toml(BASE))  # a fresh deep copy
    if draw(st.booleans()):
        doc["fleet"] = tomllib.loads(to_toml({"f": FINITE_FLEET}))["f"]
    for section in draw(st.lists(st.sampled_from(sorted(GRAFTS)), max_size=4, unique=True)):
        doc[section] = tomllib.loads(to_toml({"g": GRAFTS[section]}))["g"]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "replace", "replace", "add", "sweep"]))
        paths = _paths(doc)
        if op == "delete" and paths:
            path = draw(st.sampled_from(paths))
            del _parent(doc, path)[path[-1]]
        elif op == "replace" and paths:
            path = draw(st.sampled_from(paths))
            _parent(doc, path)[path[-1]] = draw(_VALUE)
        elif op == "add":
            tables = [()] + [p for p in paths if isinstance(_parent(doc, p)[p[-1]], dict)]
            where = draw(st.sampled_from(tables))
            node = _parent(doc, (*where, None)) if where else doc
            node[draw(_KEY)] = draw(_VALUE)
        elif op == "sweep":  # sweep or vary a key that exists (dotted, list indices as numbers)
            keys = [".".join(map(str, p)) for p in paths if p[0] not in ("sweep", "variants")]
            if keys:
                key = draw(st.sampled_from(keys))
                if draw(st.booleans()):
                    doc.setdefault("sweep", {})
                    if isinstance(doc["sweep"], dict):
                        doc["sweep"][key] = draw(st.lists(_VALUE, max_size=3))
                else:
                    doc["variants"] = [{"name": draw(_TEXT), "set": {key: draw(_VALUE)}}]
    return doc


@settings(
    deadline=None,
    max_examples=150,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=mutated_scenarios())
def test_mutated_scenario_loads_or_fails_cleanly(doc, tmp_path_factory):
    """A mutated mm1 either loads (and expands its sweep), or raises ScenarioError with one
    line naming the file; never any other exception.  Loaded scenarios are not run."""
    text = to_toml(doc)
    assert repr(tomllib.loads(text)) == repr(doc), "the test's TOML writer is wrong"
    path = tmp_path_factory.getbasetemp() / "mutated.toml"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = load_scenario(path)
        expand_sweep(scenario, str(path))  # the design points are validated too
    except ScenarioError as exc:
        msg = str(exc)
        assert len(msg.splitlines()) == 1 and not _UNPRINTABLE.search(msg), repr(msg)
        assert msg.startswith(str(path)), msg
    else:
        assert isinstance(scenario, Scenario)  # valid: not run
