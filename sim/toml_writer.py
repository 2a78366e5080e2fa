"""Write a scenario dict back as TOML (the standard library only reads TOML).

Covers what scenario files hold: nested tables, arrays of tables, and values that are
strings, booleans, integers, floats, lists of those and inline tables (distributions).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML has no value for {value!r} here")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _is_table(value: Any) -> bool:
    # a table of sections (not a distribution, which is written inline)
    return isinstance(value, Mapping) and "dist" not in value


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text for ``data``; ``tomllib.loads(dumps(d)) == d`` for scenario dicts."""
    lines: list[str] = []

    def table(node: Mapping[str, Any], path: list[str]) -> None:
        for k, v in node.items():
            if not (_is_table(v) or _is_table_array(v)):
                lines.append(f"{_key(k)} = {_value(v)}")
        for k, v in node.items():
            sub = [*path, _key(k)]
            if _is_table(v):
                lines.extend(["", f"[{'.'.join(sub)}]"])
                table(v, sub)
            elif _is_table_array(v):
                for item in v:
                    lines.extend(["", f"[[{'.'.join(sub)}]]"])
                    table(item, sub)

    table(data, [])
    return "\n".join(lines).lstrip("\n") + "\n"
