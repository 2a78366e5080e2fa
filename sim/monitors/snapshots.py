"""Snapshots as JSON-ready records (the task files of a run folder) and back.

A record names each tally's snapshot type, so that a reader rebuilds the same frozen
dataclasses: ``{"start": ..., "tallies": {name: {"type": "CallsSnapshot", ...}}}``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from .appointments import AppointmentRowSnapshot, AppointmentSnapshot
from .calls import CallsSnapshot, ClassSnapshot
from .categories import CategorySnapshot
from .complaints import ComplaintClassSnapshot, ComplaintSnapshot
from .composite import MonitorsSnapshot
from .contractors import ContractorSnapshot
from .helpdesk import HelpdeskClassSnapshot, HelpdeskSnapshot
from .internal import InternalSnapshot
from .level import LevelSums
from .levels import LevelsSnapshot
from .lifecycle import LifecycleSnapshot
from .milestones import MilestoneSnapshot
from .overtime import OvertimeSnapshot
from .parts import PartsSnapshot, StockSnapshot
from .planned import PlannedSnapshot, VisitSnapshot
from .repeats import RepeatSnapshot
from .satisfaction import SatisfactionSnapshot
from .spread import SpreadSnapshot
from .trips import TripsSnapshot
from .work import HoursSnapshot
from .workloads import WorkloadsSnapshot

#: the snapshot types a record may name
SNAPSHOT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        AppointmentRowSnapshot,
        AppointmentSnapshot,
        CallsSnapshot,
        CategorySnapshot,
        ClassSnapshot,
        ComplaintClassSnapshot,
        ComplaintSnapshot,
        HelpdeskClassSnapshot,
        HelpdeskSnapshot,
        ContractorSnapshot,
        InternalSnapshot,
        HoursSnapshot,
        LevelSums,
        LevelsSnapshot,
        MilestoneSnapshot,
        LifecycleSnapshot,
        OvertimeSnapshot,
        PartsSnapshot,
        PlannedSnapshot,
        RepeatSnapshot,
        SatisfactionSnapshot,
        StockSnapshot,
        SpreadSnapshot,
        TripsSnapshot,
        VisitSnapshot,
        WorkloadsSnapshot,
    )
}


def snapshot_record(snapshot: MonitorsSnapshot) -> dict[str, Any]:
    """A block's snapshot as plain JSON data."""
    return {
        "start": snapshot.start,
        "tallies": {
            name: {"type": type(s).__name__, **dataclasses.asdict(s)} for name, s in snapshot.tallies.items()
        },
    }


def snapshot_from_record(record: dict[str, Any], known: dict[str, type] | None = None) -> MonitorsSnapshot:
    """The snapshot that :func:`snapshot_record` wrote (``known``: more snapshot types).

    Raises
    ------
    ValueError
        The record names an unknown type or lacks a field.
    """
    kinds = {**SNAPSHOT_TYPES, **(known or {})}
    tallies = {}
    for name, data in record["tallies"].items():
        fields = dict(data)
        kind = fields.pop("type", None)
        if kind not in kinds:
            raise ValueError(f"unknown snapshot type {kind!r} of tally {name!r}")
        tallies[name] = _build(kinds[kind], fields)
    return MonitorsSnapshot(float(record["start"]), tallies)


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            raise ValueError(f"{cls.__name__}: no field {f.name!r}")
        values[f.name] = _value(hints[f.name], data[f.name])
    return cls(**values)


def _value(hint: Any, value: Any) -> Any:
    """A JSON value as the field's type: nested dataclasses and tuples rebuilt."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _value(inner[0], value)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value)  # type: ignore[arg-type]
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_value(item, v) for v in value)
    if hint is float:
        return float(value)
    return value
