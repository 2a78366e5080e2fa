"""Design points: every variant times the Cartesian ``[sweep]`` grid, and ``--sweep``."""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.config.errors import ScenarioError
from sim.config.overrides import check_overrides, get_dotted, validate_scenario, with_overrides
from sim.config.schema import Scenario, Variant


@dataclass(frozen=True)
class DesignPoint:
    """One combination of swept values.

    ``id`` is stable for a given sweep: ``dp000``, ``dp001``... in the order
    of the Cartesian product (last key varies fastest).
    """

    index: int
    params: dict[str, Any]
    scenario: Scenario

    @property
    def id(self) -> str:
        return f"dp{self.index:03d}"


def expand_sweep(scenario: Scenario, source: str = "<scenario>") -> list[DesignPoint]:
    """The design points: every variant (if any) times the Cartesian ``[sweep]`` grid.

    Ids ``dp000``, ``dp001``... follow the order variants, then the grid with
    the last key varying fastest, so they are stable for a given file.  The
    parameter columns are ``variant`` (when there are variants) and the swept keys.
    """
    keys = list(scenario.sweep)
    variants: list[Variant | None] = list(scenario.variants) or [None]
    points: list[DesignPoint] = []
    for variant in variants:
        for combo in itertools.product(*(scenario.sweep[k] for k in keys)):
            i = len(points)
            params: dict[str, Any] = {}
            # the variant's keys first, then the swept ones (which may refine them)
            changes: dict[str, Any] = {}
            if variant is not None:
                params["variant"] = variant.name
                changes.update(variant.set)
            for k, v in zip(keys, combo, strict=True):
                changes[k] = v
                params[k] = v
            where = f"{source} (design point dp{i:03d})"
            sc = with_overrides(scenario, changes, where, without=("sweep", "variants"))
            ran = sc.model_dump(mode="json")
            for k in keys:  # every point is labelled by the values it really runs with
                try:
                    actual = get_dotted(ran, k)
                except KeyError:
                    actual = None
                if not _ran_with(params[k], actual):
                    raise ScenarioError(where, f"sweep.{k}", f"is labelled {params[k]!r} but runs {actual!r}")
            points.append(DesignPoint(i, params, sc))
    return points


def apply_cli_sweeps(
    scenario: Scenario, sweeps: Iterable[str], source: str, overrides: Sequence[str] = ()
) -> Scenario:
    """Add ``--sweep key=v1,v2,...`` to the scenario's ``[sweep]`` (values read as TOML);
    ``overrides`` (the ``--set`` texts) are checked not to be undone by the new sweep."""
    raw = scenario.model_dump(mode="json")
    for text in sweeps:
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ScenarioError(f"{source} (--sweep)", text, "expected key=v1,v2,...")
        try:
            parsed = tomllib.loads(f"v = [{values}]")["v"]
        except tomllib.TOMLDecodeError:
            parsed = [v.strip() for v in values.split(",")]
            if "" in parsed[:-1] or (not parsed[-1] and len(parsed) == 1):
                raise ScenarioError(
                    f"{source} (--sweep)", key, f"an empty list item in {values!r} (two commas?)"
                ) from None
            parsed = [v for v in parsed if v]  # (a trailing comma is allowed, as in TOML)
        except (RecursionError, ValueError) as exc:
            why = f"unreadable values ({type(exc).__name__})"
            raise ScenarioError(f"{source} (--sweep)", key, why) from None
        raw.setdefault("sweep", {})[key] = parsed
    out = validate_scenario(raw, f"{source} (--sweep)")
    check_overrides(overrides, out, f"{source} (--sweep)")
    return out


def _ran_with(label: Any, actual: Any) -> bool:
    """The label's values are those of the run (a table label may leave defaults out)."""
    if isinstance(label, dict):
        return isinstance(actual, dict) and all(
            k in actual and _ran_with(v, actual[k]) for k, v in label.items()
        )
    if isinstance(label, list):
        return (
            isinstance(actual, list)
            and len(label) == len(actual)
            and all(_ran_with(a, b) for a, b in zip(label, actual, strict=True))
        )
    if isinstance(label, bool) or isinstance(actual, bool):
        return label is actual
    return bool(label == actual)
