"""Reading scenario files: size limits, TOML, ``--set``, the machines' locations CSV."""

from __future__ import annotations

import io
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.config.errors import ScenarioError
from sim.config.overrides import check_overrides, parse_override, set_dotted, validate_scenario
from sim.config.schema import Scenario

#: a scenario file larger than this is refused (the largest real ones are a few kB)
MAX_SCENARIO_BYTES = 10_000_000


def read_limited(path: str | Path, limit: int, source: str, key: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else :class:`ScenarioError`.

    A device (``/dev/zero``), a FIFO or a socket is refused before it is opened, so
    reading never blocks and never fills the memory; a symlink loop, a missing file
    and a folder each get their own message.
    """
    import errno
    import stat

    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ScenarioError(source, key, f"{path}: no such file" if key else "no such file") from None
    except OSError as exc:
        loop = exc.errno == errno.ELOOP
        why = "a symbolic link loop (a link that leads back to itself)" if loop else "cannot read"
        why += "" if loop else f": {exc.strerror}"
        raise ScenarioError(source, key, f"{path}: {why}" if key else why) from None
    what = (
        "is a directory, not a file"
        if stat.S_ISDIR(st.st_mode)
        else None
        if stat.S_ISREG(st.st_mode)
        else "is not a regular file (a device, FIFO or socket); give a file"
    )
    if what:
        if stat.S_ISDIR(st.st_mode) and not key:
            what = "is a directory, not a scenario file"
        raise ScenarioError(source, key, f"{path} {what}" if key else what)
    if st.st_size > limit:
        raise ScenarioError(
            source, key, f"{f'{path}: ' if key else ''}{st.st_size:,} bytes is above the limit of {limit:,}"
        )
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)  # the file may have grown since stat
    except OSError as exc:
        raise ScenarioError(source, key, f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise ScenarioError(source, key, f"more than {limit:,} bytes")
    return data


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into :class:`ScenarioError`."""
    source = str(path)
    data = read_limited(path, MAX_SCENARIO_BYTES, source)
    if data.startswith(b"\xef\xbb\xbf"):
        raise ScenarioError(source, "", "starts with a byte-order mark (BOM); save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(source, "", "not a UTF-8 text file (is it binary?)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"TOML syntax error: {exc}{_syntax_hint(text, str(exc))}") from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, or an integer too long
        raise ScenarioError(source, "", f"unreadable TOML: {type(exc).__name__}") from None


def _syntax_hint(text: str, message: str) -> str:
    """What a terse TOML error means, when we can tell: an empty list item."""
    import re

    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not m:
        return ""
    lines = text.splitlines()
    row, col = int(m[1]) - 1, int(m[2]) - 1
    if row >= len(lines):
        return ""
    before, here = lines[row][:col].rstrip(), lines[row][col : col + 1]
    if here in (",", "]") and before.endswith((",", "[")) and not (here == "]" and before.endswith("[")):
        return " (an empty list item: two commas, or a comma with no value before it)"
    return ""


def load_raw(path: str | Path, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Read a scenario file and apply ``--set`` overrides (not yet validated)."""
    raw = read_toml(path)
    for text in overrides:
        key, value = parse_override(text, str(path))
        set_dotted(raw, key, value, f"{path} (--set {key})")
    terr = raw.get("territories")
    if isinstance(terr, dict) and isinstance(terr.get("locations_csv"), str):
        # relative to the scenario file, so that the file can be run from anywhere
        terr["locations_csv"] = str((Path(path).parent / terr["locations_csv"]).resolve())
    return raw


def read_locations(scenario: Scenario, source: str = "<scenario>") -> list[tuple[float, float]]:
    """The machines' locations from ``territories.locations_csv``, checked against the
    scenario: one row per machine, territories 0, 1, ... in order, inside the territory."""
    import csv

    terr = scenario.territories
    path = terr.locations_csv
    key = "territories.locations_csv"
    assert path is not None and scenario.fleet.machines is not None
    assert terr.width_km is not None and terr.height_km is not None
    # a row is a few dozen bytes: allow 200 per machine, so a wrong or endless file
    # (/dev/zero, a FIFO, a huge log) is refused before it is read
    limit = 200 * scenario.fleet.machines * terr.count + 10_000
    data = read_limited(path, limit, source, key)
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(source, key, f"{path}: not a readable CSV ({exc})") from None
    n = scenario.fleet.machines
    if len(rows) != n * terr.count:
        raise ScenarioError(
            source,
            key,
            f"{path} has {len(rows)} rows; the scenario has "
            f"{n * terr.count} machines ({terr.count} territories x {n})",
        )
    out = []
    for i, row in enumerate(rows):
        try:
            t, x, y = int(row["territory"]), float(row["x_km"]), float(row["y_km"])
        except (KeyError, TypeError, ValueError):
            raise ScenarioError(
                source, key, f"{path} row {i + 2}: needs territory, x_km, y_km numbers"
            ) from None
        if t != i // n:
            raise ScenarioError(
                source,
                key,
                f"{path} row {i + 2}: territory {t}, expected {i // n} (rows go territory by territory)",
            )
        if not (0 <= x <= terr.width_km and 0 <= y <= terr.height_km):
            raise ScenarioError(
                source,
                key,
                f"{path} row {i + 2}: ({x:g}, {y:g}) km is outside "
                f"the {terr.width_km:g} x {terr.height_km:g} km territory",
            )
        out.append((x, y))
    return out


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, override and validate a scenario file.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, key and reason.
    """
    overrides = list(overrides)
    raw = load_raw(path, overrides)
    source = str(path) + (" (with --set)" if overrides else "")
    scenario = validate_scenario(raw, source)
    check_overrides(overrides, scenario, source)
    if scenario.territories.locations_csv is not None:
        read_locations(scenario, source)  # every problem with the file is a scenario error
    return scenario
