"""Plain-text tables for the terminal (no logic beyond formatting).

Numbers follow one rule per unit: shares as percentages with one decimal, money with
thousands separators (millions as ``M``) and the scenario's currency, everything else
with four significant digits in fixed notation.  No value a manager reads is printed in
scientific notation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim import kpis
from sim.config import Targets
from sim.targets import Recommendation, judge, verdict_for

MONEY, SHARE = "money", "%"


def unit(kpi: str) -> str:
    """The unit of a KPI from the catalogue: ``%`` for shares, ``money`` (per call) or
    ``money/day``..., ``h``, ``calls``... (``""`` for a name the catalogue does not know)."""
    try:
        u = kpis.lookup(kpi).unit
    except KeyError:
        return ""
    return SHARE if u == "share" else u


def is_money(kpi: str) -> bool:
    return unit(kpi).startswith(MONEY)


def unit_label(kpi: str, currency: str = "") -> str:
    """The unit as printed: the currency in place of ``money`` (``EUR/day``)."""
    u = unit(kpi)
    return u.replace(MONEY, currency, 1) if currency and u.startswith(MONEY) else u


def title(kpi: str) -> str:
    """The catalogue's title (without the unit), or the name itself."""
    try:
        return kpis.title(kpi, with_unit=False)
    except KeyError:
        return kpi


def _sig(x: float, digits: int = 4) -> str:
    """``digits`` significant digits in fixed notation (thousands separated from 10,000)."""
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(max(0, digits - 1 - magnitude), 9)
    text = f"{x:,.{decimals}f}" if abs(x) >= 1e4 else f"{x:.{decimals}f}"
    return text.removeprefix("-") if float(text.replace(",", "")) == 0 else text


def fmt(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, never in scientific notation; ``-`` for none."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, int):
        return f"{x:,}" if abs(x) >= 1e4 else str(x)
    return _sig(x, digits)


def money(x: Any, currency: str = "") -> str:
    """``1,234``, ``56.78``, ``2.35 M`` (+ the currency)."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "-"
    x = float(x)
    if abs(x) >= 1e6:
        text = f"{x / 1e6:,.2f} M"
    elif abs(x) >= 100:
        text = f"{x:,.0f}"
    else:
        text = f"{x:,.2f}"
    return f"{text} {currency}".rstrip() if currency else text


def value(kpi: str, x: Any, currency: str = "") -> str:
    """A KPI value in its unit's format."""
    u = unit(kpi)
    if u == SHARE and isinstance(x, int | float) and not math.isnan(x):
        return f"{100 * x:.1f}%"
    if is_money(kpi):
        return money(x, currency)
    return fmt(x)


def interval(kpi: str, low: Any, high: Any) -> str:
    """``[low, high]`` in the KPI's format (the currency is left to the mean)."""
    return (
        f"[{value(kpi, low)}, {value(kpi, high)}]" if not is_money(kpi) else f"[{money(low)}, {money(high)}]"
    )


def bound(kpi: str, x: float) -> str:
    """A target's bound as written (``2``, ``0.95`` -> ``95%`` for shares)."""
    return f"{100 * x:g}%" if unit(kpi) == SHARE else f"{x:g}"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A fixed-width text table."""
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def exactness(value: object) -> str:
    if value is pd.NA or value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return "exact" if bool(value) else "approx"


# ---------------------------------------------------------------------------
# Design-point labels


def _parse(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _dist(d: Mapping[str, Any]) -> str:
    kind = d.get("dist")
    if kind == "deterministic":
        return f"fixed {d.get('value'):g} h"
    if kind == "exponential":
        return f"exp mean {d.get('mean'):g} h"
    rest = " ".join(
        f"{k} {v:g}" if isinstance(v, int | float) else f"{k} {v}" for k, v in d.items() if k != "dist"
    )
    return f"{kind} {rest}".strip()


def param_text(v: Any) -> str:
    """A parameter value in a few words: distributions and class lists summarised, not JSON."""
    v = _parse(v)
    if isinstance(v, Mapping) and "dist" in v:
        return _dist(v)
    if isinstance(v, list) and v and all(isinstance(c, Mapping) and "name" in c for c in v):
        return " / ".join(
            f"{c['name']} {c['share']:.0%}" if isinstance(c.get("share"), int | float) else str(c["name"])
            for c in v
        )
    if isinstance(v, Mapping | list):
        return json.dumps(v, separators=(",", ":"))
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _short_keys(keys: Sequence[str]) -> dict[str, str]:
    """``territories.technicians`` -> ``technicians``; ``parts.types.0.van.S`` -> ``van.S``;
    the full key wherever the short one would be ambiguous."""
    out = {}
    for key in keys:
        if key == "variant":
            out[key] = key
            continue
        words = [w for w in key.split(".") if not w.isdigit()]
        short = ".".join(words[-2:]) if len(words) > 1 and len(words[-1]) <= 2 else words[-1]
        out[key] = short
    shorts = list(out.values())
    return {k: (s if shorts.count(s) == 1 else k) for k, s in out.items()}


def design_labels(params: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each design point's label from what differs between the points.

    ``params`` maps a design point id to its parameters.  A variant shows as its name;
    other keys as ``key=value`` with short keys; a key equal at every point is left out.
    A single point gets an empty label.
    """
    keys: list[str] = list(dict.fromkeys(k for p in params.values() for k in p))
    varying = [k for k in keys if len({param_text(p.get(k)) for p in params.values()}) > 1]
    short = _short_keys(varying)
    out = {}
    for dp, p in params.items():
        bits = []
        for k in varying:
            if k not in p or p[k] is None or (isinstance(p[k], float) and math.isnan(p[k])):
                continue
            bits.append(param_text(p[k]) if k == "variant" else f"{short[k]}={param_text(p[k])}")
        out[dp] = ", ".join(bits)
    return out


def summary_params(summary: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each design point's parameters from the summary's parameter columns."""
    if summary.empty:
        return {}
    cols = list(summary.columns)
    param_cols = cols[1 : cols.index("class")]  # summary_table puts parameters right after the id
    first = summary.drop_duplicates("design_point")
    return {
        str(r["design_point"]): {
            c: r[c] for c in param_cols if not (isinstance(r[c], float) and math.isnan(r[c]))
        }
        for _, r in first.iterrows()
    }


# ---------------------------------------------------------------------------
# The summary of a run


def _classes(summary: pd.DataFrame) -> list[str]:
    return [c for c in dict.fromkeys(summary["class"]) if c != "all"]


def _cell(r: Any, currency: str) -> str:
    return f"{value(r.kpi, r.mean, currency)} {interval(r.kpi, r.ci_low, r.ci_high)}"


def class_text(
    rows: pd.DataFrame, classes: Sequence[str], judgements: Sequence[Any], dp: str, currency: str = ""
) -> str:
    """The KPIs that differ by class: one row per KPI, one column per class (mean [95% CI])."""
    kpis = list(dict.fromkeys(rows.loc[rows["class"] != "all", "kpi"]))
    body = []
    for kpi in kpis:
        u = unit_label(kpi, currency)
        line = [f"{title(kpi)} ({u})" if u else title(kpi)]
        for cls in classes:
            hit = rows[(rows["class"] == cls) & (rows["kpi"] == kpi)]
            if hit.empty:
                line.append("-")
                continue
            cell = _cell(next(hit.itertuples()), currency)
            v = verdict_for(judgements, dp, kpi, cls)
            line.append(cell + (f" target: {v}" if v is not None else ""))
        body.append(line)
    return table(body, ("by class", *classes))


def summary_text(
    summary: pd.DataFrame,
    service_class: str = "all",
    targets: Targets | None = None,
    currency: str = "",
    labels: Mapping[str, str] | None = None,
) -> str:
    """KPI, mean, 95 % CI, analytic value, model and exactness per design point.

    Each design point is headed by what differs from the others; a scenario with service
    classes gets a compact table of the KPIs that differ by class.  With ``targets``, a
    "target met?" column shows each targeted KPI's bound and whether the design meets it
    with 95 % confidence.
    """
    if summary.empty:
        return "(no results)"
    out = []
    labels = dict(labels) if labels is not None else design_labels(summary_params(summary))
    classes = _classes(summary) if service_class == "all" else []
    cons = targets.constraints if targets is not None else []
    judgements = judge(summary, cons)
    header = ("KPI", "unit", "mean", "95% CI", "analytic", "model", "exact?", "rel.err")
    for dp, rows in summary.groupby("design_point", sort=False):
        dp = str(dp)
        label = labels.get(dp, "")
        out.append(dp + (f"  {label}" if label else ""))
        body = []
        for r in rows[rows["class"] == service_class].itertuples():
            row = [
                r.kpi,
                unit_label(str(r.kpi), currency),
                value(str(r.kpi), r.mean),
                interval(str(r.kpi), r.ci_low, r.ci_high),
                value(str(r.kpi), r.analytic),
                r.analytic_model if isinstance(r.analytic_model, str) else "-",
                exactness(r.analytic_exact),
                "-" if pd.isna(r.rel_error) else f"{r.rel_error:+.1%}",
            ]
            if cons:
                v = verdict_for(judgements, dp, str(r.kpi), service_class)
                mine = [t for t in cons if t.kpi == r.kpi and t.service_class == service_class]
                bounds = [f"{t.op} {bound(t.kpi, t.bound)}" for t in mine]
                row.append(f"{' and '.join(bounds)}: {v}" if v is not None else "")
            body.append(row)
        out.append(table(body, header + (("target met?",) if cons else ())))
        if classes:
            out.append("")
            out.append(class_text(rows, classes, judgements, dp, currency))
        out.append("")
    return "\n".join(out).rstrip()


#: KPIs of the overview table when present (plus every targeted KPI and the objective)
#: the overview's columns where the run has them (the promises' after the service's, so
#: an appointment sweep shows its trade-off: lead time, windows kept, utilisation)
OVERVIEW_KPIS = (
    "wait_h",
    "sla_met",
    "utilization",
    "cost_per_day",
    "appt_lead_days",
    "appt_kept",
    "complaints_per_100_calls",
    "satisfaction",
)


def overview_text(
    summary: pd.DataFrame,
    targets: Targets | None = None,
    currency: str = "",
    labels: Mapping[str, str] | None = None,
) -> str:
    """One row per design point: its label, the main and the targeted KPIs, and whether it
    meets every target (for runs of several design points)."""
    if summary.empty:
        return ""
    labels = dict(labels) if labels is not None else design_labels(summary_params(summary))
    cons = targets.constraints if targets is not None else []
    objective = targets.objective if targets is not None else None
    wanted: list[tuple[str, str]] = [(t.kpi, t.service_class) for t in cons]
    if objective is not None:
        wanted.append((objective[0], "all"))
    wanted += [(k, "all") for k in OVERVIEW_KPIS]
    have = set(zip(summary["kpi"], summary["class"], strict=True))
    cols = [w for w in dict.fromkeys(wanted) if w in have]
    judgements = judge(summary, cons)
    rows = []
    for dp in dict.fromkeys(summary["design_point"]):
        dp = str(dp)
        row = [dp, labels.get(dp, "") or "-"]
        for kpi, cls in cols:
            hit = summary[
                (summary["design_point"] == dp) & (summary["kpi"] == kpi) & (summary["class"] == cls)
            ]
            row.append(value(kpi, hit["mean"].iloc[0], currency) if not hit.empty else "-")
        if cons:
            verdicts = [j.verdict for j in judgements if j.design_point == dp]
            row.append(
                "yes"
                if all(v == "yes" for v in verdicts)
                else "no"
                if "no" in verdicts
                else "not distinguishable"
            )
        rows.append(row)
    head = ["point", "design"] + [
        (f"{kpi}[{cls}]" if cls != "all" else kpi) + (f" ({unit(kpi)})" if unit(kpi) == SHARE else "")
        for kpi, cls in cols
    ]
    return table(rows, head + (["meets every target?"] if cons else []))


def recommendation_text(rec: Recommendation, labels: dict[str, str] | None = None, currency: str = "") -> str:
    """The recommendation in a few lines: what meets the targets and what is best."""
    labels = labels or {}

    def name(dp: str) -> str:
        return f"{dp} ({labels[dp]})" if labels.get(dp) else dp

    goal = (
        " and ".join(
            f"{t.kpi}{'' if t.service_class == 'all' else f'[{t.service_class}]'} {t.op} "
            f"{bound(t.kpi, t.bound)}"
            for t in rec.targets
        )
        or "(no requirement)"
    )
    head = f"Recommendation (targets: {goal}"
    if rec.objective is not None:
        head += f"; {'minimize' if rec.objective[1] else 'maximize'} {rec.objective[0]}"
    lines = [head + ")"]
    if not rec.meets:
        lines.append("  No design meets every target with 95 % confidence.")
    elif rec.best is not None and rec.best_objective is not None and rec.objective is not None:
        m, lo, hi = rec.best_objective
        kpi = rec.objective[0]
        lines.append(
            f"  {name(rec.best)}: {kpi} = {value(kpi, m, currency)} {interval(kpi, lo, hi)}; "
            "meets every target with 95 % confidence."
        )
        others = [dp for dp in rec.meets if dp != rec.best]
        if others:
            lines.append("  Also meet every target: " + ", ".join(map(name, others)) + ".")
    else:
        lines.append("  Meet every target with 95 % confidence: " + ", ".join(map(name, rec.meets)) + ".")
    if rec.undecided:
        lines.append(
            "  Not distinguishable from a target at this precision (more replications would "
            "decide): " + ", ".join(map(name, rec.undecided)) + "."
        )
    return "\n".join(lines)
