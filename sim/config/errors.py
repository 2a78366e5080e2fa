"""The one error a user sees: :class:`ScenarioError`, one line naming file, key and reason.

A pydantic :class:`~pydantic.ValidationError` is turned into that line by
:func:`first_error`; cross-field checks raise :class:`KeyedError` to say which key
they are about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from sim.config.specs import DIST_KINDS


class ScenarioError(ValueError):
    """A problem with a scenario that the user can fix.

    ``str(err)`` is one line: ``FILE: KEY: REASON``.
    """

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source, self.key, self.reason = source, key, reason
        where = f"{source}: {key}" if key else source
        super().__init__(_one_line(f"{where}: {reason}"))


def _one_line(text: str) -> str:
    """User text (keys, names) may hold line breaks or terminal escapes; the message must
    stay one plain line, so unprintable characters are shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class KeyedError(ValueError):
    """A cross-field error that knows which key it is about."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(reason)


def format_loc(loc: Sequence[Any], value: Any = None) -> str:
    parts: list[str] = []
    last = len(loc) - 1
    for i, item in enumerate(loc):
        # pydantic inserts the tag of a distribution's union member: not a key the user wrote
        # (when last, the failing value is that distribution's own table)
        tag = item in DIST_KINDS and (i < last or (isinstance(value, dict) and value.get("dist") == item))
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif tag or (
            str(item).startswith(
                ("function-", "constrained-", "literal[", "int", "float", "str", "bool", "list[", "dict[")
            )
            and i == last
            and parts
        ):
            continue  # the type pydantic tried in a union, not a key
        else:
            parts.append(str(item))
    return ".".join(parts)


def first_error(exc: ValidationError) -> tuple[str, str]:
    errors = exc.errors(include_url=False)
    # a misspelt key explains the "missing" error it causes: report it first
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, KeyedError):
        return ctx_error.key, ctx_error.reason
    key = format_loc(err["loc"], err.get("input"))
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see docs/scenario_reference.md)"
    elif err["type"] == "union_tag_invalid":
        msg = f"unknown distribution {err['input'].get('dist')!r}; use one of {', '.join(DIST_KINDS)}"
    elif err["type"] == "union_tag_not_found":
        msg = "a distribution needs a 'dist' key"
    elif (
        "input" in err
        and err["type"] not in ("missing",)
        and "(got " not in msg
        and not isinstance(err["input"], dict | list)
    ):
        got = repr(err["input"])
        msg = f"{msg} (got {got if len(got) <= 80 else got[:77] + '...'})"
    more = len(errors) - 1
    if more:
        msg += f" (and {more} more problem{'s' if more > 1 else ''})"
    return key, msg
