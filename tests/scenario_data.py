"""Test scenarios as data: a base (a dict, or TOML read once), then changed key by key.

``variant(base, {"territories.technicians": 3})`` sets dotted keys the way ``--set`` does
(the same ``set_dotted``), so a test names the keys it changes instead of editing TOML
text, and a change that misses its key fails instead of silently doing nothing.
"""

from __future__ import annotations

import copy
import textwrap
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from sim.config import set_dotted


def toml_data(text: str) -> dict[str, Any]:
    """The data of a TOML text (dedented)."""
    return tomllib.loads(textwrap.dedent(text))


def variant(
    base: Mapping[str, Any], changes: Mapping[str, Any] | None = None, drop: Iterable[str] = ()
) -> dict[str, Any]:
    """A deep copy of ``base`` with the dotted keys of ``changes`` set and those of ``drop`` removed."""
    raw = copy.deepcopy(dict(base))
    for key, value in (changes or {}).items():
        set_dotted(raw, key, copy.deepcopy(value), "<test>")
    for key in drop:
        *path, last = key.split(".")
        node: Any = raw
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]  # a KeyError names a key that is not there
    return raw
