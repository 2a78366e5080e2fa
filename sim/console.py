"""Plain-text tables for the terminal (no logic beyond formatting)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.config import Targets
from sim.targets import Recommendation, judge, verdict_for


def fmt(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and (abs(x) >= 1e5 or (abs(x) < 1e-3 and x != 0)):
        return f"{x:.3e}"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


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


def summary_text(summary: pd.DataFrame, service_class: str = "all", targets: Targets | None = None) -> str:
    """KPI, mean, 95 % CI, analytic value, model and exactness per design point.

    With ``targets``, a "target" column shows each targeted KPI's bound and whether the
    design meets it with 95 % confidence.
    """
    if summary.empty:
        return "(no results)"
    out = []
    rows_all = summary[summary["class"] == service_class]
    cols = list(summary.columns)
    param_cols = cols[1 : cols.index("class")]  # summary_table puts parameters right after the id
    cons = targets.constraints if targets is not None else []
    judgements = judge(summary, cons)
    header = ("KPI", "mean", "95% CI", "analytic", "model", "exact?", "rel.err")
    for dp, rows in rows_all.groupby("design_point", sort=False):
        first = rows.iloc[0]
        params = ", ".join(f"{c}={first[c]}" for c in param_cols)
        out.append(f"{dp}" + (f"  ({params})" if params else ""))
        body = []
        for r in rows.itertuples():
            row = [
                r.kpi,
                fmt(r.mean),
                f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]",
                fmt(r.analytic),
                r.analytic_model if isinstance(r.analytic_model, str) else "-",
                exactness(r.analytic_exact),
                "-" if pd.isna(r.rel_error) else f"{r.rel_error:+.1%}",
            ]
            if cons:
                v = verdict_for(judgements, str(dp), str(r.kpi), service_class)
                mine = [t for t in cons if t.kpi == r.kpi and t.service_class == service_class]
                bounds = [f"{t.op} {t.bound:g}" for t in mine]
                row.append(f"{' and '.join(bounds)}: {v}" if v is not None else "")
            body.append(row)
        out.append(table(body, header + (("target met?",) if cons else ())))
        out.append("")
    return "\n".join(out).rstrip()


def recommendation_text(rec: Recommendation, labels: dict[str, str] | None = None) -> str:
    """The recommendation in a few lines: what meets the targets and what is best."""
    labels = labels or {}

    def name(dp: str) -> str:
        return f"{dp} ({labels[dp]})" if labels.get(dp) else dp

    goal = " and ".join(map(str, rec.targets)) or "(no requirement)"
    head = f"Recommendation (targets: {goal}"
    if rec.objective is not None:
        head += f"; {'minimize' if rec.objective[1] else 'maximize'} {rec.objective[0]}"
    lines = [head + ")"]
    if not rec.meets:
        lines.append("  No design meets every target with 95 % confidence.")
    elif rec.best is not None and rec.best_objective is not None and rec.objective is not None:
        m, lo, hi = rec.best_objective
        lines.append(
            f"  {name(rec.best)}: {rec.objective[0]} = {fmt(m)} [{fmt(lo)}, {fmt(hi)}]; "
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
