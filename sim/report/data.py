"""What the report knows about a run: design points, labels, axes, analytic tails.

Everything here works on the tables and the manifest of a run folder
(:class:`sim.results.RunData`).  Scenarios are rebuilt with
:mod:`sim.config` (never :mod:`sim.model`) only to evaluate closed forms the
summary does not hold, such as the whole waiting-time distribution.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim import kpis
from sim.results import RunData

from .targets import Target, Targets, run_targets

#: the parameter that names the part of a study, unless the study's manifest entry says
#: otherwise (``study.group_key``); titles and tags of the parts come from that entry
GROUP_KEY = "study.part"
ALL = "all"
#: the summary table's most design points (the full table is summary.csv)
MAX_TABLE_POINTS = 200

#: scenario keys -> (title, unit) for axes, legends and design labels
PARAM_TITLES: dict[str, tuple[str, str]] = {
    "variant": ("variant", ""),
    "territories.technicians": ("technicians per territory", ""),
    "territories.pooled": ("territories per team", ""),
    "territories.count": ("territories", ""),
    "territories.width_km": ("territory width", "km"),
    "territories.height_km": ("territory height", "km"),
    "fleet.machines": ("machines per territory", ""),
    "fleet.calls_per_h": ("calls per territory", "per h"),
    "fleet.time_to_failure_h": ("time to failure", "h"),
    "calendar.hours_per_day": ("working day", "h"),
    "run.warmup_h": ("warm-up", "h"),
    "repair.time_h": ("repair time", "h"),
    "travel.time_h": ("travel time", "h"),
    "travel.speed_kmh": ("travel speed", "km/h"),
    "travel.circuity": ("road circuity factor", ""),
    "dispatch.policy": ("dispatch policy", ""),
    "dispatch.discipline": ("queue discipline", ""),
    "dispatch.technician": ("technician choice", ""),
}
#: the last word of a dotted key in words (the rest of the key names where it belongs)
LEAF_TITLES = {
    "S": "stock level S",
    "s": "reorder point s",
    "p_need": "share of calls needing it",
    "unit_cost": "unit cost",
    "share": "share",
    "priority": "priority",
    "sla_h": "SLA",
}
_UNITS = (
    ("_per_year", "per year"),
    ("_per_day", "per day"),
    ("_per_h", "per h"),
    ("_kmh", "km/h"),
    ("_km", "km"),
    ("_h", "h"),
)


def esc(text: Any) -> str:
    """HTML-escape any value for page text and for plotly labels (plotly decodes entities)."""
    return html.escape(str(text), quote=True)


_ABBREV = {"h": "hour", "day": "day", "week": "week", "year": "year"}
#: units that only count things the title names: no unit shown
COUNTS = ("calls", "machines", "parts", "visits")


def _catalogue(kpi: str) -> tuple[str, str]:
    """(title, unit) from the KPI catalogue; for a name it lacks, words from the name."""
    try:
        entry = kpis.lookup(kpi)
    except KeyError:
        for suffix, u in _UNITS:
            if kpi.endswith(suffix):
                return kpi[: -len(suffix)].replace("_", " "), u
        return kpi.replace("_", " "), ""
    return entry.title_for(kpi), entry.unit


def _said(title: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", title) is not None


def kpi_unit(kpi: str, currency: str = "") -> str:
    """The unit a KPI's title does not already say ("" for shares), money in ``currency``.

    ``cost per day`` in ``money/day`` is ``EUR`` (nothing without a currency),
    ``completed calls per working day`` in ``calls/day`` needs none, ``mean wait`` is ``h``.
    """
    title, unit = _catalogue(kpi)
    if unit in ("", "share"):
        return ""
    num, _, den = unit.partition("/")
    if num.startswith("per "):
        num, den = "", num[4:]
    num = num.replace("money", currency).strip()
    if num and (_said(title, num) or (num in COUNTS and not den)):
        num = ""
    if den and re.search(rf"\bper (working )?({re.escape(den)}|{_ABBREV.get(den, den)})\b", title):
        den = ""
    if num and den:
        return f"{num}/{den}"
    return num or (f"per {den}" if den else "")


def kpi_title(kpi: str, with_unit: bool = True, currency: str = "") -> str:
    """The catalogue's title with the unit it does not already say: ``mean wait (h)``,
    ``cost per day (EUR)``, ``P(wait > 2 h)``."""
    title = _catalogue(kpi)[0]
    unit = kpi_unit(kpi, currency)
    return f"{title} ({unit})" if with_unit and unit else title


def is_share(kpi: str) -> bool:
    return _catalogue(kpi)[1] == "share"


def per_class(kpi: str) -> bool:
    """Does the KPI have a row per service class (the catalogue says)?"""
    try:
        return kpis.lookup(kpi).per_class
    except KeyError:
        return False


def target_text(t: Target, currency: str = "") -> str:
    """``≤ 2 h``, ``≥ 95% (contract)``: a target's bound in the KPI's unit."""
    op = "≤" if t.op == "<=" else "≥"
    if is_share(t.kpi):
        value = f"{t.bound * 100:g}%"
    else:
        unit = kpi_unit(t.kpi, currency)
        value = f"{t.bound:g}{' ' + unit if unit else ''}"
    return f"{op} {value}" + ("" if t.cls == ALL else f" ({t.cls})")


def key_title(key: str, scenario: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(title, unit) of a scenario key in words, never the raw dotted key.

    List items are named by their ``name`` when the scenario has one
    (``parts.types.0.van.S`` -> ``fuser van stock level S``), else numbered from 1.
    """
    if key in PARAM_TITLES:
        return PARAM_TITLES[key]
    parts = key.split(".")
    words: list[str] = []
    node: Any = scenario
    unit = ""
    for i, seg in enumerate(parts):
        if seg.isascii() and seg.isdigit() and words:
            idx = int(seg)
            name = None
            if isinstance(node, list) and idx < len(node) and isinstance(node[idx], Mapping):
                name = node[idx].get("name")
            words[-1] = str(name) if name else f"{words[-1].removesuffix('s')} {idx + 1}"
            node = node[idx] if isinstance(node, list) and idx < len(node) else None
            continue
        node = node.get(seg) if isinstance(node, Mapping) else None
        word = seg
        if i == len(parts) - 1:
            for suffix, u in _UNITS:
                if word.endswith(suffix) and len(word) > len(suffix):
                    word, unit = word[: -len(suffix)], u
                    break
            word = LEAF_TITLES.get(seg, word)
        words.append(word.replace("_", " "))
    if len(words) > 2:  # the section is clear from the rest: "parts fuser van S" -> "fuser van S"
        words = words[1:]
    return " ".join(words), unit


def param_title(key: str, scenario: Mapping[str, Any] | None = None) -> str:
    """A key's title with its unit in brackets, for axes."""
    title, unit = key_title(key, scenario)
    return f"{title} ({unit})" if unit else title


def _num(x: float) -> str:
    return f"{x:g}"


def dist_label(d: Mapping[str, Any] | Any) -> str:
    """A distribution (its scenario table, or a built one) in a few words: ``exp mean 2 h``,
    ``fixed 1.5 h``."""
    if not isinstance(d, Mapping):
        d = _table_of(d)
    kind = d.get("dist", "?")
    if kind == "deterministic":
        return f"fixed {_num(d['value'])} h"
    if kind == "exponential":
        return f"exp mean {_num(d['mean'])} h"
    if kind in ("gamma", "lognormal"):
        return f"{kind} mean {_num(d['mean'])} h cv {_num(d['cv'])}"
    if kind == "erlang":
        return f"Erlang-{d['k']} mean {_num(d['mean'])} h"
    if kind == "weibull":
        return f"Weibull mean {_num(d['mean'])} h shape {_num(d['shape'])}"
    if kind == "uniform":
        return f"uniform {_num(d['low'])}-{_num(d['high'])} h"
    rest = ", ".join(f"{k}={v}" for k, v in d.items() if k != "dist")
    return f"{kind}({rest})"


def _table_of(d: Any) -> dict[str, Any]:
    """The parameters of a built :class:`sim.distributions.Distribution`, as its table."""
    table: dict[str, Any] = {"dist": d.name}
    for key, attr in (
        ("value", "value"),
        ("mean", "mean_"),
        ("cv", "cv_"),
        ("k", "k"),
        ("shape", "shape"),
        ("low", "low"),
        ("high", "high"),
        ("values", "values"),
        ("weights", "weights"),
    ):
        if (d.name == "erlang" and key == "cv") or (d.name == "gamma" and key == "shape"):
            continue  # (derived: the table gives k, or cv)
        if hasattr(d, attr):
            value = getattr(d, attr)
            table[key] = list(value) if isinstance(value, tuple) else value
    return table


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def param_label(key: str, value: Any, scenario: Mapping[str, Any] | None = None) -> str:
    """One parameter value in words (raw text: escape before display)."""
    value = _parse(value)
    title, unit = key_title(key, scenario)
    if isinstance(value, Mapping) and "dist" in value:  # "repair exp mean 2 h"
        name = key.split(".")[0] if key.endswith(".time_h") else title
        return f"{name} {dist_label(value)}"
    if key == "variant":
        return str(value)
    if key == "fleet.classes" and isinstance(value, list):
        shares = [f"{c.get('name', '?')} {c.get('share', 0):.0%}" for c in value if isinstance(c, Mapping)]
        return " / ".join(shares)
    if key == "territories.pooled":
        return f"teams of {value}"
    if key == "territories.technicians":
        return f"{value} technician{'s' if value != 1 else ''}"
    if key == "fleet.machines":
        return f"{value} machines"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{title} {_num(value)}{' ' + unit if unit else ''}"
    return f"{title} {value}"


# ---------------------------------------------------------------------------
# Design points


@dataclass
class Point:
    """One design point as the report sees it."""

    id: str
    index: int
    params: dict[str, Any]
    group: str | None = None  # the study part, else None
    label: str = ""  # short, unique among the run's points (raw text)
    scenario: Any = None  # sim.config.Scenario when known and checked, else None (labels, files)
    system: Any = None  # its sim.system.ServiceSystem: what the figures read
    scenario_note: str = ""
    group_title: str = ""
    group_tag: str = ""  # a short name of the group for labels
    raw: Mapping[str, Any] | None = None  # the manifest's base scenario (names of list items)

    @cached_property
    def hover(self) -> str:
        """Escaped hover text: id, group, parameters."""
        lines = [f"<b>{esc(self.id)}</b>" + (f" · {esc(self.group_title)}" if self.group else "")]
        for k, v in self.params.items():
            lines.append(esc(param_label(k, v, self.raw)))
        if self.system is not None:
            lines.append(esc(scenario_brief(self.system)))
        return "<br>".join(lines)


def scenario_brief(system: Any) -> str:
    """Fleet, staffing and service of a :class:`sim.system.ServiceSystem` in one line."""
    terr, source = system.territories, system.source
    if source.finite:
        load = f"{source.machines} machines/territory"
    else:
        load = f"{source.calls_per_h:g} calls/h/territory"
    team = f"{terr.count} territor{'y' if terr.count == 1 else 'ies'}, {terr.technicians} tech each"
    if terr.pooled > 1:
        team += f", teams of {terr.pooled}"
    return f"{load}; {team}; repair {dist_label(system.repair.time)}"


@dataclass
class RunView:
    """A run folder prepared for plotting."""

    run: RunData
    points: list[Point]
    base: Any  # the manifest's scenario, validated (or None)
    groups: list[str] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)
    table_rule: str = ""  # which points the summary table shows when it cannot show all

    @property
    def manifest(self) -> dict[str, Any]:
        return self.run.manifest

    @property
    def base_raw(self) -> Mapping[str, Any] | None:
        """The manifest's scenario as written (names of list items, costs, targets)."""
        raw = self.manifest.get("scenario")
        return raw if isinstance(raw, Mapping) else None

    @property
    def currency(self) -> str:
        """``[costs] currency`` of the run's scenario ("" when not given)."""
        costs = (self.base_raw or {}).get("costs")
        cur = costs.get("currency") if isinstance(costs, Mapping) else None
        return str(cur) if cur else ""

    @property
    def summary(self) -> pd.DataFrame:
        return self.run.summary

    def point(self, dp: str) -> Point | None:
        return self._by_id.get(dp)

    def __post_init__(self) -> None:
        self._by_id = {p.id: p for p in self.points}
        self._classes: dict[str, list[str]] | None = None
        self._rows: dict[tuple[str, str], pd.DataFrame] = {}
        self._by_kpi: dict[Any, pd.DataFrame] | None = None
        self._axis: Axis | None = None

    def verdicts(self) -> dict[str, str]:
        """Design point -> ``yes`` (meets every target with 95% confidence), ``no`` (misses
        one), ``unclear``; empty without targets."""
        req = self.targets.require
        if not req or not self.usable:
            return {}
        out: dict[str, str] = {}
        per = [self.rows(t.kpi, t.cls).set_index("design_point") for t in req]
        for p in self.points:
            vs = []
            for t, rows in zip(req, per, strict=True):
                if p.id in rows.index:
                    vs.append(t.verdict(rows.at[p.id, "ci_low"], rows.at[p.id, "ci_high"]))
                else:
                    vs.append("unknown")
            out[p.id] = "no" if "no" in vs else "yes" if all(v == "yes" for v in vs) else "unclear"
        return out

    def table_points(self) -> list[Point]:
        """The points of the summary table: all of them up to ``MAX_TABLE_POINTS``; beyond,
        those meeting every target first (best objective first), else the first ones."""
        if len(self.points) <= MAX_TABLE_POINTS:
            return list(self.points)
        v = self.verdicts()
        order = {"yes": 0, "unclear": 1, "no": 2}
        obj = self.targets.objective
        values: dict[str, float] = {}
        if obj is not None and self.has_kpi(obj):
            r = self.rows(obj)
            sign = 1.0 if self.targets.minimize else -1.0
            values = {dp: sign * float(m) for dp, m in zip(r["design_point"], r["mean"], strict=True)}
        if v:
            ranked = sorted(
                self.points,
                key=lambda p: (order.get(v.get(p.id, ""), 3), values.get(p.id, math.inf), p.index),
            )
            self.table_rule = "those meeting every target first" + (
                f", by {kpi_title(obj, False)}" if values and obj is not None else ""
            )
        else:
            ranked = list(self.points)
            self.table_rule = "the first ones in design order"
        return ranked[:MAX_TABLE_POINTS]

    @property
    def kpis(self) -> list[str]:
        return list(dict.fromkeys(self.summary["kpi"])) if self.usable else []

    def has_kpi(self, kpi: str, nonzero: bool = False) -> bool:
        """True when the summary has a KPI with at least one finite (nonzero) mean."""
        if not self.usable:
            return False
        vals = self.rows(kpi)["mean"].astype(float)
        vals = vals[np.isfinite(vals)]
        return bool(len(vals)) and (not nonzero or bool((vals.abs() > 0).any()))

    @cached_property
    def usable(self) -> bool:
        """Does the summary have rows and the columns the charts read?"""
        s = self.summary
        return not s.empty and {"design_point", "class", "kpi", "mean", "ci_low", "ci_high"} <= set(s.columns)

    def classes(self, dp: str) -> list[str]:
        """The service classes of a point worth showing (all, plus each class if several)."""
        if not self.usable:
            return [ALL]
        if self._classes is None:
            self._classes = {}
            s = self.summary
            for point, names in s.groupby("design_point", sort=False)["class"]:
                named = [c for c in dict.fromkeys(names) if c != ALL]
                self._classes[str(point)] = [ALL, *named] if len(named) > 1 else [ALL]
        return self._classes.get(dp, [ALL])

    def rows(self, kpi: str, cls: str = ALL) -> pd.DataFrame:
        """Summary rows of one KPI and class, in design-point order."""
        if not self.usable:
            return pd.DataFrame(
                columns=[
                    "design_point",
                    "class",
                    "kpi",
                    "n",
                    "mean",
                    "ci_low",
                    "ci_high",
                    "half_width",
                    "analytic",
                    "analytic_model",
                    "analytic_exact",
                ]
            )
        key = (kpi, cls)
        if key not in self._rows:
            if self._by_kpi is None:
                self._by_kpi = dict(iter(self.summary.groupby(["kpi", "class"], sort=False)))
            out = self._by_kpi.get(key, self.summary.iloc[0:0])
            order = {p.id: p.index for p in self.points}
            self._rows[key] = out.sort_values("design_point", key=lambda c: c.map(order))
        return self._rows[key]

    def warmup_h(self, p: Point | None = None) -> float | None:
        """The warm-up of a point: MSER-5's choice when ``auto``, else the scenario's."""
        chosen = self.manifest.get("warmup_chosen_h")
        if p is not None and isinstance(chosen, Mapping) and p.id in chosen:
            return _float(chosen[p.id])
        sc = p.scenario if p is not None and p.scenario is not None else self.base
        if sc is not None:
            return _float(sc.run.warmup_h)
        try:
            return _float(self.manifest["scenario"]["run"]["warmup_h"])
        except (KeyError, TypeError):
            return None


def _float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None  # e.g. "auto" without a recorded choice
    return f if math.isfinite(f) else None


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and "dist" not in v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


_IGNORED_SECTIONS = ("meta.", "run.", "sweep", "validation", "report.")


def _differences(base: Any, sc: Any) -> dict[str, Any]:
    """Scenario keys whose value differs from the base scenario (for labels)."""
    a = _flatten(base.model_dump(mode="json"))
    b = _flatten(sc.model_dump(mode="json"))
    return {k: v for k, v in b.items() if not k.startswith(_IGNORED_SECTIONS) and a.get(k) != v}


def _rebuild(base: Any, params: Mapping[str, Any]) -> Any:
    """The scenario of a design point: the base scenario (without its sweep) with its
    swept values set."""
    from sim.config import Scenario, with_overrides

    if base is None:
        raise ValueError("the manifest's base scenario is not a valid scenario")
    sections = set(Scenario.model_fields)
    swept = {k: _parse(v) for k, v in params.items() if k.split(".")[0] in sections}
    return with_overrides(base, swept, "manifest")


def _matches_summary(system: Any, summary: pd.DataFrame, dp: str) -> bool:
    """Do the closed forms of a rebuilt scenario (its :class:`sim.system.ServiceSystem`)
    give the summary's analytic values?"""
    from sim.analytic import estimate

    if not {"design_point", "kpi", "class", "analytic"} <= set(summary.columns):
        return False
    est = estimate(system)
    rows = summary[summary["design_point"] == dp]
    checked = 0
    for kpi, cls, value in zip(rows["kpi"], rows["class"], rows["analytic"], strict=True):
        if value is None or not np.isfinite(float(value)):
            continue
        e = est.get(kpi, cls)
        if e is None or not math.isclose(e.value, float(value), rel_tol=1e-6, abs_tol=1e-9):
            return False
        checked += 1
    return checked > 0 or bool(est.unstable)


def load_view(run: RunData) -> RunView:
    """Design points with labels, groups and (when they can be trusted) their scenarios,
    resolved once into their service systems."""
    from sim.config import validate_scenario
    from sim.system import ServiceSystem

    m = run.manifest
    base = None
    base_raw = m.get("scenario")
    if isinstance(base_raw, Mapping):
        try:
            base = validate_scenario({k: v for k, v in base_raw.items() if k != "sweep"}, "manifest")
        except Exception:
            base = None
    raw_study = m.get("study")
    study: Mapping[str, Any] = raw_study if isinstance(raw_study, Mapping) else {}
    group_key = str(study.get("group_key") or GROUP_KEY)
    listed = m.get("design_points") or []
    if not listed and "design_point" in run.summary:
        listed = [{"id": dp, "params": {}} for dp in dict.fromkeys(run.summary["design_point"])]
    points: list[Point] = []
    for i, dp in enumerate(listed):
        params = dict(dp.get("params") or {})
        group = params.pop(group_key, None)
        p = Point(str(dp.get("id", f"dp{i:03d}")), i, params, None if group is None else str(group))
        p.raw = base_raw if isinstance(base_raw, Mapping) else None
        sc = system = None
        try:
            if isinstance(dp.get("scenario"), Mapping):
                sc = validate_scenario(dp["scenario"], "manifest")
            elif isinstance(base_raw, Mapping):
                sc = _rebuild(base, params)
                system = ServiceSystem.from_scenario(sc)
                if not _matches_summary(system, run.summary, p.id):
                    p.scenario_note = (
                        "the manifest does not hold this point's scenario and the "
                        "base scenario with its swept values does not reproduce "
                        "its analytic values"
                    )
                    sc = None
        except Exception as exc:
            p.scenario_note = f"scenario not rebuilt: {exc}"
            sc = None
        p.scenario = sc
        p.system = None if sc is None else system or ServiceSystem.from_scenario(sc)
        points.append(p)
    entries = {str(g["key"]): g for g in study.get("groups") or [] if isinstance(g, Mapping) and "key" in g}
    groups = [g for g in entries if any(p.group == g for p in points)]
    groups += [g for g in dict.fromkeys(p.group for p in points if p.group is not None) if g not in groups]
    for p in points:
        if p.group is not None:
            p.group_title, p.group_tag = _group_names(p.group, entries.get(p.group))
    _label_points(points, base)
    return RunView(run, points, base, groups, run_targets(m))


def _group_names(key: str, entry: Mapping[str, Any] | None) -> tuple[str, str]:
    """(title, short name) of a study's group from its manifest entry ``{"key", "title",
    "short"}`` (see :mod:`sim.studies`); the key itself when the entry is missing."""
    title = str((entry or {}).get("title") or key)
    return title, str((entry or {}).get("short") or title)


def _label_points(points: Sequence[Point], base: Any) -> None:
    varying = varying_params(points)
    for p in points:
        bits = [param_label(k, p.params[k], p.raw) for k in varying if k in p.params]
        if not bits and base is not None and p.scenario is not None:
            diffs = _differences(base, p.scenario)
            bits = [param_label(k, v, p.raw) for k, v in list(diffs.items())[:2]]
        label = ", ".join(bits)
        if p.group is not None:
            label = f"{p.group_tag} · {label}" if label else p.group_title
        p.label = label or p.id
    seen: dict[str, int] = {}
    for p in points:
        seen[p.label] = seen.get(p.label, 0) + 1
    for p in points:
        if seen[p.label] > 1:
            p.label = f"{p.label} ({p.id})"


def varying_params(points: Sequence[Point]) -> list[str]:
    """Parameter keys whose value differs between points (the sweep axes)."""
    keys = list(dict.fromkeys(k for p in points for k in p.params))
    out = []
    for k in keys:
        values = {json.dumps(p.params.get(k), sort_keys=True, default=str) for p in points}
        if len(values) > 1:
            out.append(k)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


@dataclass
class Axis:
    """The x axis of sweep charts: numeric (one swept number) or one category per point."""

    numeric: bool
    title: str
    x: dict[str, Any]  # design point id -> x value
    series: dict[str, str]  # design point id -> series name ("" when one series)
    categories: list[str] = field(default_factory=list)
    drawn: set[str] = field(default_factory=set)  # the points the sweep charts draw
    note: str = ""  # what was left out, for the caption (HTML)

    @property
    def compact(self) -> bool:
        """Many points drawn: plotly's own short hover texts keep the page small."""
        return len(self.drawn) > COMPACT_POINTS


#: sweep charts draw at most this many series (evenly chosen); the tables keep them all
MAX_SERIES = 8
#: above this many points a chart drops error bars and long hover texts (page size)
MANY_POINTS = 300
#: above this many points the sweep charts' hover texts are plotly's short ones
COMPACT_POINTS = 100


def _evenly(items: Sequence[Any], k: int) -> list[Any]:
    """``k`` items evenly spread over ``items`` (the first and the last among them)."""
    if len(items) <= k:
        return list(items)
    idx = np.unique(np.linspace(0, len(items) - 1, k).round().astype(int))
    return [items[i] for i in idx]


def _thin(axis: Axis, points: Sequence[Point]) -> Axis:
    """Keep a readable, small number of series and points in the sweep charts."""
    names = list(dict.fromkeys(axis.series[p.id] for p in points))
    keep = set(_evenly(names, MAX_SERIES))
    drawn = [p for p in points if axis.series[p.id] in keep]
    notes = []
    if len(keep) < len(names):
        shown = [n for n in names if n in keep]
        notes.append(f"{len(keep)} of {len(names):,} series ({esc('; '.join(shown[:3]))}, ...)")
    if not axis.numeric and len(drawn) > MANY_POINTS:
        drawn = _evenly(drawn, MANY_POINTS)
        notes.append(f"{len(drawn)} evenly spread design points")
    axis.drawn = {p.id for p in drawn}
    if notes:
        axis.note = (
            f"Drawn: {' and '.join(notes)} of the {len(points):,} design points; every point "
            "is in the summary table's file <code>summary.csv</code>."
        )
    return axis


def sweep_axis(view: RunView) -> Axis:
    if view._axis is None:
        view._axis = _thin(_sweep_axis(view), view.points)
    return view._axis


def _sweep_axis(view: RunView) -> Axis:
    points = view.points
    varying = varying_params(points)
    if view.groups:
        return Axis(
            False,
            "design (study part: setting)",
            {p.id: esc(p.label) for p in points},
            {p.id: esc(p.group_title) for p in points},
            [esc(p.label) for p in points],
        )
    numeric = [k for k in varying if all(_is_number(p.params.get(k)) for p in points)]
    if numeric:
        key = numeric[0]
        others = [k for k in varying if k != key]
        raw = view.base_raw
        series = {p.id: esc(", ".join(param_label(k, p.params.get(k), raw) for k in others)) for p in points}
        return Axis(True, param_title(key, raw), {p.id: p.params[key] for p in points}, series)
    return Axis(
        False,
        "design point",
        {p.id: esc(p.label) for p in points},
        {p.id: "" for p in points},
        [esc(p.label) for p in points],
    )


# ---------------------------------------------------------------------------
# Analytic waiting-time distribution


@dataclass(frozen=True)
class Tail:
    """P(Wq > t) of the closed form that matches a point."""

    fn: Callable[[np.ndarray], np.ndarray]
    model: str
    exact: bool


def wait_tail(system: Any) -> Tail | None:
    """The FIFO waiting-time tail of a :class:`sim.system.ServiceSystem` for exponential
    service, else None.

    M/M/s for Poisson calls, M/M/s//N for a finite fleet (exact with
    exponential failures, an approximation otherwise).  None for priority
    dispatch with several levels, other policies, non-exponential service
    (trips of distance / speed, or a different trip from base), or no steady state.
    """
    from sim.analytic import (
        UnstableQueueError,
        finite_source,
        finite_source_wait_tail,
        mms,
        mms_wait_tail,
    )

    levels = {c.priority for c in system.classes}
    discipline, technician = system.dispatch.pair
    if technician != "longest_idle" or not (
        discipline == "fifo" or (discipline == "priority" and len(levels) == 1)
    ):
        return None
    if system.travel.mode != "time" or system.travel.from_base is not None:
        return None  # a trip's time depends on where the technician is: not exponential service
    travel, repair = system.travel.time, system.repair.time
    exp_service = (travel.is_zero and repair.is_exponential) or (repair.is_zero and travel.is_exponential)
    if not exp_service:
        return None
    s = system.team.technicians
    mu = 1.0 / (travel.mean + repair.mean)
    source = system.source
    try:
        if source.finite:
            from sim.analytic.estimate.repeats import exponential_up_time, renewal

            repeats = renewal(system)  # with repeat repairs: the effective life
            rate = 1.0 / source.life.mean if repeats is None else repeats.effective_failure_rate
            res = finite_source(source.machines_per_team, rate, mu, s)
            return Tail(
                lambda t: np.asarray(finite_source_wait_tail(res, mu, t)),
                res.model,
                exponential_up_time(system),
            )
        lam = source.calls_per_team_h
        r = mms(lam, mu, s)
        return Tail(lambda t: np.asarray(mms_wait_tail(lam, mu, s, t)), r.model, True)
    except (UnstableQueueError, ValueError):
        return None


def staffing(system: Any) -> tuple[float, str]:
    """Technicians per 1,000 machines (finite fleet) or in total: a cost proxy."""
    terr = system.territories
    techs = system.technicians
    if system.source.finite:
        return 1000.0 * techs / (system.source.machines * terr.count), "technicians per 1,000 machines"
    return float(techs), "technicians (territories x technicians per territory)"


#: how far outside its interval an exact value must lie to count as a miss: a rounding
#: margin, so that a formula's 1e-30 against an interval [0, 0] (no call waited in any
#: replication) is not reported as a disagreement
OUTSIDE_TOL = 1e-9


def outside_ci(value: Any, lo: Any, hi: Any) -> Any:
    """Does ``value`` lie outside ``[lo, hi]`` by more than a rounding margin (arrays too)?"""
    v, a, b = (np.asarray(x, dtype=float) for x in (value, lo, hi))
    tol = OUTSIDE_TOL * np.maximum(1.0, np.abs(v))
    return (v < a - tol) | (v > b + tol)


def finite(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out
