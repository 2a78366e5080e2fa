"""Plain-text tables for the terminal (no logic beyond formatting)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd


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


def summary_text(summary: pd.DataFrame, service_class: str = "all") -> str:
    """KPI, mean, 95 % CI, analytic value, model and exactness per design point."""
    if summary.empty:
        return "(no results)"
    out = []
    rows_all = summary[summary["class"] == service_class]
    cols = list(summary.columns)
    param_cols = cols[1 : cols.index("class")]  # summary_table puts parameters right after the id
    for dp, rows in rows_all.groupby("design_point", sort=False):
        first = rows.iloc[0]
        params = ", ".join(f"{c}={first[c]}" for c in param_cols)
        out.append(f"{dp}" + (f"  ({params})" if params else ""))
        body = [
            (
                r.kpi,
                fmt(r.mean),
                f"[{fmt(r.ci_low)}, {fmt(r.ci_high)}]",
                fmt(r.analytic),
                r.analytic_model if isinstance(r.analytic_model, str) else "-",
                exactness(r.analytic_exact),
                "-" if pd.isna(r.rel_error) else f"{r.rel_error:+.1%}",
            )
            for r in rows.itertuples()
        ]
        out.append(table(body, ("KPI", "mean", "95% CI", "analytic", "model", "exact?", "rel.err")))
        out.append("")
    return "\n".join(out).rstrip()
