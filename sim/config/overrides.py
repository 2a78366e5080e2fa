"""Changing a scenario by dotted keys: the ``--set`` language, precedence, validation.

``parse_override`` reads ``dotted.key=value``, ``set_dotted`` applies it to a raw
scenario; :func:`validate_scenario` validates a raw scenario together with the changes
it carries (its variants and sweep), and refuses changes that would undo each other;
:func:`with_overrides` is the one way to change a validated scenario.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from sim.config.errors import ScenarioError, first_error
from sim.config.schema import Scenario, Variant


def parse_override(text: str, source: str = "--set") -> tuple[str, Any]:
    """Parse ``dotted.key=value``; the value is read as TOML, else as a string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(source, f"--set {text}", "expected dotted.key=value")
    value = value.strip()
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word such as priority
    except (RecursionError, ValueError) as exc:
        raise ScenarioError(source, key, f"unreadable value ({type(exc).__name__})") from None
    return key, parsed


def _dotted_parts(key: str) -> list[str]:
    """The parts of a dotted key; ``a.b[0].c`` (as error messages name keys) is ``a.b.0.c``."""
    return _INDEX.sub(r".\1", key).split(".")


#: a list index written as in the error messages, ``classes[0]``
_INDEX = re.compile(r"\[([0-9]+)\]")


def set_dotted(raw: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set ``raw[a][b][c] = value`` for ``key = 'a.b.c'`` (list indices allowed, as
    ``a.0.b`` or ``a[0].b``)."""
    parts = _dotted_parts(key)
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if isinstance(node, list):
            node = node[_list_index(node, part, key, source)]
        else:
            if part not in node:
                node[part] = [] if _is_index(nxt) else {}
            node = node[part]
        if not isinstance(node, dict | list):
            raise ScenarioError(source, key, f"{part!r} is a value, not a section")
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(node, last, key, source)] = value
    else:
        node[last] = value


def _is_index(part: str) -> bool:
    """A list index in a dotted key: ASCII digits only (``int`` takes other digits too,
    and ``str.isdigit`` takes superscripts that ``int`` refuses)."""
    return part.isascii() and part.isdigit()


def _list_index(node: list[Any], part: str, key: str, source: str) -> int:
    if not _is_index(part):
        raise ScenarioError(
            source, key, f"{part!r} is not a list index (use the digits 0-9: the item's number from 0)"
        )
    if int(part) >= len(node):
        raise ScenarioError(source, key, f"index {part!r} is out of range (list of {len(node)})")
    return int(part)


def get_dotted(node: Any, key: str) -> Any:
    for part in _dotted_parts(key):
        if isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(key)
    return node


def with_overrides(
    scenario: Scenario, changes: Mapping[str, Any], source: str, *, without: Iterable[str] = ()
) -> Scenario:
    """A new, validated scenario: ``scenario`` with each dotted key of ``changes`` set.

    The one way the program changes a scenario (design points of sweeps and variants,
    ``optimize`` candidates, ``select``'s seeds and replications, the warm-up pilot, the
    report's rebuilt points): the scenario's data, the keys set in order, then the same
    validation as a file's, so a change can never produce a scenario a file could not.

    Parameters
    ----------
    scenario : Scenario
        The scenario to start from (unchanged).
    changes : mapping
        Dotted keys (``"run.seed"``, ``"repair.time_h.cv"``, ``"fleet.classes.0.share"``)
        and their values, applied in order: a later key may refine an earlier one.
    source : str
        Where the changes come from, for the one-line error.
    without : iterable of str
        Top-level sections to leave out first (``("sweep", "variants")`` for the scenario
        of one design point).

    Raises
    ------
    ScenarioError
        If a key does not fit the scenario's structure or the result is not valid.
    """
    raw = scenario.model_dump(mode="json", exclude=set(without))
    for key, value in changes.items():
        set_dotted(raw, key, value, source)
    return validate_scenario(raw, source)


def validate_scenario(raw: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a raw scenario dict; raise :class:`ScenarioError` on any problem."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        key, reason = first_error(exc)
        raise ScenarioError(source, key, reason) from None
    for key, values in scenario.sweep.items():
        _check_sweep_key(raw, key, values, source)
    names = [v.name for v in scenario.variants]
    if len(set(names)) != len(names):
        raise ScenarioError(source, "variants", f"variant names must be unique, got {names}")
    for i, variant in enumerate(scenario.variants):
        _check_variant(raw, i, variant, source)
    _check_no_undoing(scenario, source)
    return scenario


# Precedence of the ways to change a key (docs/scenario_reference.md, "Overrides"): the
# file, then --set, then a variant's ``set``, then the sweep.  A later change may refine an
# earlier one (sweep ``repair.time_h.cv`` of a distribution a variant sets), but one that
# replaces it (the same key, or a table that holds it) would silently undo it: points
# labelled differently would run the same scenario.  Those are refused.


def _covers(outer: str, inner: str) -> bool:
    """Setting ``outer`` replaces ``inner``: the same key, or a table that holds it."""
    return inner == outer or inner.startswith(outer + ".")


def _overlap(keys: Sequence[str]) -> tuple[str, str] | None:
    """The first pair ``(a, b)``, ``a`` before ``b``, where one key replaces the other."""
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if _covers(a, b) or _covers(b, a):
                return a, b
    return None


def _check_no_undoing(scenario: Scenario, source: str) -> None:
    keys = list(scenario.sweep)
    if pair := _overlap(keys):
        a, b = pair
        raise ScenarioError(
            source,
            f"sweep.{b}",
            f"overlaps sweep.{a}: one would overwrite the other; sweep one of them",
        )
    for i, variant in enumerate(scenario.variants):
        vkeys = list(variant.set)
        if pair := _overlap(vkeys):
            a, b = pair
            raise ScenarioError(
                source,
                f"variants[{i}].set.{b}",
                f"overlaps {a} in the same variant; set the value once",
            )
        for a in vkeys:
            for b in keys:
                if _covers(b, a):
                    raise ScenarioError(
                        source,
                        f"sweep.{b}",
                        f"would undo variants[{i}] ({variant.name})'s {a}: every variant would run "
                        "the swept values; sweep a key the variants do not set (or a part of it)",
                    )


def check_overrides(overrides: Sequence[str], scenario: Scenario, source: str) -> None:
    """Refuse ``--set`` overrides that a later ``--set``, a variant or the sweep (the file's
    and ``--sweep``'s) would undo; see the precedence above."""
    keys = [parse_override(t, source)[0] for t in overrides]
    for i, a in enumerate(keys):
        if a.split(".")[0] in ("sweep", "variants"):
            continue
        for b in keys[i + 1 :]:
            if _covers(b, a):
                raise ScenarioError(source, f"--set {b}", f"undoes the earlier --set {a}; give it once")
        for v in scenario.variants:
            for b in v.set:
                if _covers(b, a):
                    raise ScenarioError(
                        source,
                        f"--set {a}",
                        f"would be undone by variant {v.name!r}, which sets {b}; change the variant",
                    )
        for b in scenario.sweep:
            if _covers(b, a):
                raise ScenarioError(
                    source, f"--set {a}", f"would be undone by the sweep of {b}; change the sweep instead"
                )


def _check_variant(raw: Mapping[str, Any], i: int, variant: Variant, source: str) -> None:
    trial = copy.deepcopy(dict(raw))
    for section in ("sweep", "variants"):
        trial.pop(section, None)
    for key, value in variant.set.items():
        if key.split(".")[0] in ("sweep", "variants", "meta", "validation"):
            raise ScenarioError(source, f"variants[{i}].set.{key}", "this section cannot be set")
        set_dotted(trial, key, value, source)
    try:
        Scenario.model_validate(trial)
    except ValidationError as exc:
        k, reason = first_error(exc)
        raise ScenarioError(source, f"variants[{i}] ({variant.name})", f"{k}: {reason}") from None


def _check_sweep_key(raw: Mapping[str, Any], key: str, values: Sequence[Any], source: str) -> None:
    if key.split(".")[0] in ("sweep", "variants", "meta", "validation"):
        raise ScenarioError(source, f"sweep.{key}", "this section cannot be swept")
    for v in values:
        trial = copy.deepcopy(dict(raw))
        trial.pop("sweep", None)
        trial.pop("variants", None)
        set_dotted(trial, key, v, source)
        try:
            Scenario.model_validate(trial)
        except ValidationError as exc:
            k, reason = first_error(exc)
            raise ScenarioError(source, f"sweep.{key}", f"value {v!r}: {k}: {reason}") from None
