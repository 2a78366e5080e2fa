"""What the report knows about a run: design points, labels, axes, analytic tails.

Everything here works on the tables and the manifest of a run folder
(:class:`sim.results.RunData`).  Scenarios are rebuilt with
:mod:`sim.config` (never :mod:`sim.model`) only to evaluate closed forms the
summary does not hold, such as the whole waiting-time distribution.
"""

from __future__ import annotations

import copy
import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.results import RunData

GROUP_KEY = "study.part"  # the Dupit study's parameter that names the part of the study
ALL = "all"

#: readable names of the Dupit study's parts (a run may override them in manifest["study"])
GROUP_TITLES = {
    "baseline": "Status quo",
    "proposal1": "P1 fewer machines",
    "proposal2": "P2 new equipment",
    "proposal3": "P3 pooled teams",
    "proposal4": "P4 priority",
}

# KPI name -> (title, unit); "share" KPIs are shown as percentages
KPI_INFO: dict[str, tuple[str, str]] = {
    "wait_h": ("mean wait", "h"),
    "p_wait": ("P(wait > 0)", "share"),
    "response_h": ("mean response time", "h"),
    "restore_h": ("mean time to restore", "h"),
    "sla_met": ("SLA met", "share"),
    "utilization": ("technician utilization", "share"),
    "utilization_onsite": ("on-site utilization", "share"),
    "travel_share": ("share of time travelling", "share"),
    "queue_len": ("calls waiting (time average)", "calls"),
    "machines_down": ("machines down (time average)", "machines"),
    "calls_per_day": ("completed calls per working day", "calls/day"),
    "first_time_fix": ("first-time fix", "share"),
    "visits_per_call": ("visits per call", "visits"),
    "fill_rate_van": ("van fill rate", "share"),
    "fill_rate_depot": ("depot fill rate", "share"),
    "part_wait_h": ("delay for parts per call", "h"),
    "van_on_hand": ("parts on hand per van (time average)", "parts"),
    "van_backorders": ("van backorders (time average)", "parts"),
    "depot_on_hand": ("parts on hand at the depot (time average)", "parts"),
    "depot_backorders": ("depot backorders (time average)", "parts"),
    "van_demand_per_h": ("van part demands per hour", "per h"),
    "depot_demand_per_h": ("depot part demands per hour", "per h"),
    "van_delay_per_demand_h": ("van delay per part demand", "h"),
    "depot_delay_per_demand_h": ("depot delay per part demand", "h"),
    "emergency_per_day": ("emergency shipments per day", "per day"),
    "parts_cost_per_day": ("parts cost per day", "money/day"),
    "overtime_h_per_week": ("overtime per technician", "h/week"),
    "cost_per_call": ("cost per call", "money"),
    "cost_per_day": ("cost per day", "money/day"),
    "cost_downtime_per_day": ("downtime cost per day", "money/day"),
    "trip_km": ("mean trip length", "km"),
    "trip_h": ("mean trip time", "h"),
    "off_territory_share": ("trips outside the home territory", "share"),
}

#: KPIs whose rows exist per service class (the rest are overall only)
CLASS_KPIS_PREFIX = (
    "wait_h",
    "p_wait",
    "response_h",
    "restore_h",
    "p_wait_gt_",
    "sla_met",
    "queue_len",
    "calls_per_day",
)

PARAM_TITLES = {
    "territories.technicians": ("technicians per territory", ""),
    "territories.pooled": ("territories per team", ""),
    "territories.count": ("territories", ""),
    "fleet.machines": ("machines per territory", ""),
    "fleet.calls_per_h": ("calls per hour per territory", "per h"),
    "calendar.hours_per_day": ("hours per working day", "h"),
    "run.warmup_h": ("warm-up", "h"),
}


def esc(text: Any) -> str:
    """HTML-escape any value for page text and for plotly labels (plotly decodes entities)."""
    return html.escape(str(text), quote=True)


def kpi_title(kpi: str, with_unit: bool = True) -> str:
    if kpi.startswith("p_wait_gt_") and kpi.endswith("h"):
        x = kpi[len("p_wait_gt_") : -1]
        return f"P(wait > {x} h)"
    title, unit = KPI_INFO.get(kpi, (kpi.replace("_", " "), ""))
    if not with_unit or unit in ("", "share"):
        return title
    return f"{title} ({unit})"


def is_share(kpi: str) -> bool:
    return kpi.startswith("p_wait_gt_") or KPI_INFO.get(kpi, ("", ""))[1] == "share"


def param_title(key: str) -> str:
    if key in PARAM_TITLES:
        title, unit = PARAM_TITLES[key]
    else:
        title, unit = key, ""
        for suffix, u in (("_per_h", "per h"), ("_per_day", "per day"), ("_h", "h")):
            if key.endswith(suffix):
                unit = u
                break
    return f"{title} ({unit})" if unit else title


def _num(x: float) -> str:
    return f"{x:g}"


def dist_label(d: Mapping[str, Any]) -> str:
    """A distribution spec in a few words: ``exp mean 2 h``, ``fixed 1.5 h``."""
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


def _parse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def param_label(key: str, value: Any) -> str:
    """One parameter value in words (raw text: escape before display)."""
    value = _parse(value)
    parts = key.split(".")
    short = parts[-1]
    if isinstance(value, Mapping) and "dist" in value:
        name = parts[0] if short == "time_h" else short.removesuffix("_h").replace("_", " ")
        return f"{name} {dist_label(value)}"
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
        return f"{short.replace('_', ' ')} {_num(value)}"
    return f"{short.replace('_', ' ')} {value}"


# ---------------------------------------------------------------------------
# Design points


@dataclass
class Point:
    """One design point as the report sees it."""

    id: str
    index: int
    params: dict[str, Any]
    group: str | None = None  # the study part (Dupit), else None
    label: str = ""  # short, unique among the run's points (raw text)
    scenario: Any = None  # sim.config.Scenario when known and checked, else None
    scenario_note: str = ""
    group_title: str = ""
    group_tag: str = ""  # a short name of the group for axis labels ("P2")

    @property
    def hover(self) -> str:
        """Escaped hover text: id, group, parameters."""
        lines = [f"<b>{esc(self.id)}</b>" + (f" · {esc(self.group_title)}" if self.group else "")]
        for k, v in self.params.items():
            if k != GROUP_KEY:
                lines.append(f"{esc(k)} = {esc(param_label(k, v))}")
        if self.scenario is not None:
            lines.append(esc(scenario_brief(self.scenario)))
        return "<br>".join(lines)


def scenario_brief(sc: Any) -> str:
    """Fleet, staffing and service in one line."""
    terr = sc.territories
    if sc.fleet.machines is not None:
        load = f"{sc.fleet.machines} machines/territory"
    else:
        load = f"{sc.fleet.calls_per_h:g} calls/h/territory"
    team = f"{terr.count} territor{'y' if terr.count == 1 else 'ies'}, {terr.technicians} tech each"
    if terr.pooled > 1:
        team += f", teams of {terr.pooled}"
    return f"{load}; {team}; repair {dist_label(sc.repair.time_h.model_dump())}"


@dataclass
class RunView:
    """A run folder prepared for plotting."""

    run: RunData
    points: list[Point]
    base: Any  # the manifest's scenario, validated (or None)
    groups: list[str] = field(default_factory=list)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.run.manifest

    @property
    def summary(self) -> pd.DataFrame:
        return self.run.summary

    def point(self, dp: str) -> Point | None:
        for p in self.points:
            if p.id == dp:
                return p
        return None

    @property
    def kpis(self) -> list[str]:
        return list(dict.fromkeys(self.summary["kpi"])) if self.usable else []

    def has_kpi(self, kpi: str, nonzero: bool = False) -> bool:
        """True when the summary has a KPI with at least one finite (nonzero) mean."""
        if not self.usable:
            return False
        s = self.summary
        vals = s.loc[s["kpi"] == kpi, "mean"].astype(float)
        vals = vals[np.isfinite(vals)]
        return bool(len(vals)) and (not nonzero or bool((vals.abs() > 0).any()))

    @property
    def usable(self) -> bool:
        """Does the summary have rows and the columns the charts read?"""
        s = self.summary
        return not s.empty and {"design_point", "class", "kpi", "mean", "ci_low", "ci_high"} <= set(s.columns)

    def classes(self, dp: str) -> list[str]:
        """The service classes of a point worth showing (all, plus each class if several)."""
        if not self.usable:
            return [ALL]
        s = self.summary
        names = [c for c in dict.fromkeys(s.loc[s["design_point"] == dp, "class"]) if c != ALL]
        return [ALL, *names] if len(names) > 1 else [ALL]

    def rows(self, kpi: str, cls: str = ALL) -> pd.DataFrame:
        """Summary rows of one KPI and class, in design-point order."""
        s = self.summary
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
        out = s[(s["kpi"] == kpi) & (s["class"] == cls)]
        order = {p.id: p.index for p in self.points}
        return out.sort_values("design_point", key=lambda c: c.map(order))

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


def _rebuild(base_raw: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    """The scenario of a design point: the base scenario with its swept values set."""
    from sim.config import Scenario, set_dotted, validate_scenario

    raw = copy.deepcopy(dict(base_raw))
    raw.pop("sweep", None)
    sections = set(Scenario.model_fields)
    for k, v in params.items():
        if k.split(".")[0] in sections:
            set_dotted(raw, k, _parse(v), "manifest")
    return validate_scenario(raw, "manifest")


def _matches_summary(sc: Any, summary: pd.DataFrame, dp: str) -> bool:
    """Do the closed forms of a rebuilt scenario give the summary's analytic values?"""
    from sim.analytic import estimate

    if not {"design_point", "kpi", "class", "analytic"} <= set(summary.columns):
        return False
    est = estimate(sc)
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
    """Design points with labels, groups and (when they can be trusted) their scenarios."""
    from sim.config import validate_scenario

    m = run.manifest
    base = None
    base_raw = m.get("scenario")
    if isinstance(base_raw, Mapping):
        try:
            base = validate_scenario({k: v for k, v in base_raw.items() if k != "sweep"}, "manifest")
        except Exception:
            base = None
    listed = m.get("design_points") or []
    if not listed and "design_point" in run.summary:
        listed = [{"id": dp, "params": {}} for dp in dict.fromkeys(run.summary["design_point"])]
    points: list[Point] = []
    for i, dp in enumerate(listed):
        params = dict(dp.get("params") or {})
        group = params.get(GROUP_KEY)
        p = Point(str(dp.get("id", f"dp{i:03d}")), i, params, None if group is None else str(group))
        sc = None
        try:
            if isinstance(dp.get("scenario"), Mapping):
                sc = validate_scenario(dp["scenario"], "manifest")
            elif isinstance(base_raw, Mapping):
                sc = _rebuild(base_raw, params)
                if not _matches_summary(sc, run.summary, p.id):
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
        points.append(p)
    raw_study = m.get("study")
    study: Mapping[str, Any] = raw_study if isinstance(raw_study, Mapping) else {}
    titles = {**GROUP_TITLES, **(study.get("parts") or {})}
    groups = list(dict.fromkeys(p.group for p in points if p.group is not None))
    for p in points:
        if p.group is not None:
            t = titles.get(p.group, p.group)
            p.group_title = t["title"] if isinstance(t, Mapping) else str(t)
            tag = re.fullmatch(r"proposal(\d+)", p.group)
            p.group_tag = f"P{tag.group(1)}" if tag else p.group_title
    _label_points(points, base)
    return RunView(run, points, base, groups)


def _label_points(points: Sequence[Point], base: Any) -> None:
    varying = varying_params(points)
    for p in points:
        bits = [param_label(k, p.params[k]) for k in varying if k in p.params and k != GROUP_KEY]
        if not bits and base is not None and p.scenario is not None:
            diffs = _differences(base, p.scenario)
            bits = [param_label(k, v) for k, v in list(diffs.items())[:2]]
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


def sweep_axis(view: RunView) -> Axis:
    points = view.points
    varying = [k for k in varying_params(points) if k != GROUP_KEY]
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
        series = {p.id: esc(", ".join(param_label(k, p.params.get(k)) for k in others)) for p in points}
        return Axis(True, param_title(key), {p.id: p.params[key] for p in points}, series)
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


def wait_tail(sc: Any) -> Tail | None:
    """The FIFO waiting-time tail for exponential service, else None.

    M/M/s for Poisson calls, M/M/s//N for a finite fleet (exact with
    exponential failures, an approximation otherwise).  None for priority
    dispatch with several levels, other policies, non-exponential service, or
    no steady state.
    """
    from sim.analytic import (
        UnstableQueueError,
        finite_source,
        finite_source_wait_tail,
        mms,
        mms_wait_tail,
    )
    from sim.distributions import from_spec

    classes = sc.fleet.classes
    levels = {c.priority for c in classes}
    policy = sc.dispatch.policy
    if not (policy == "fifo" or (policy == "priority" and len(levels) == 1)):
        return None
    travel, repair = from_spec(sc.travel.time_h), from_spec(sc.repair.time_h)
    exp_service = (travel.is_zero and repair.is_exponential) or (repair.is_zero and travel.is_exponential)
    if not exp_service:
        return None
    terr = sc.territories
    s = terr.technicians * terr.pooled
    mu = 1.0 / (travel.mean + repair.mean)
    try:
        if sc.fleet.machines is not None:
            ttf = from_spec(sc.fleet.time_to_failure_h)
            res = finite_source(sc.fleet.machines * terr.pooled, 1.0 / ttf.mean, mu, s)
            return Tail(
                lambda t: np.asarray(finite_source_wait_tail(res, mu, t)), res.model, ttf.is_exponential
            )
        lam = sc.fleet.calls_per_h * terr.pooled
        r = mms(lam, mu, s)
        return Tail(lambda t: np.asarray(mms_wait_tail(lam, mu, s, t)), r.model, True)
    except (UnstableQueueError, ValueError):
        return None


def staffing(sc: Any) -> tuple[float, str]:
    """Technicians per 1,000 machines (finite fleet) or in total: a cost proxy."""
    terr = sc.territories
    techs = terr.technicians * terr.count
    if sc.fleet.machines is not None:
        return 1000.0 * techs / (sc.fleet.machines * terr.count), "technicians per 1,000 machines"
    return float(techs), "technicians (territories x technicians per territory)"


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
