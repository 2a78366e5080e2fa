"""The validation view's table of approximations: how far each approximate formula is off.

Every KPI whose formula is only an approximation for the scenario is listed with its
relative error against the simulated mean; the caption flags those more than
:data:`FLAG_REL_ERROR` off, each with the reason the analytic layer gives for not being
exact (the summary's ``analytic_note``).
"""

from __future__ import annotations

import math

import numpy as np

from .data import RunView, esc, is_share, kpi_title

#: an approximation further off than this is flagged in the caption
FLAG_REL_ERROR = 0.20


def _fmt(x: float, share: bool) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.1%}" if share else f"{x:.4g}"


def approximation_table(view: RunView) -> str:
    """HTML: a collapsible table of every approximate KPI, largest relative error first."""
    s = view.summary
    if not view.usable or "analytic_exact" not in s or "analytic" not in s:
        return ""
    exact = s["analytic_exact"].astype("boolean")
    approx = (exact == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712 (a nullable column)
    ana = s["analytic"].astype(float).to_numpy()
    mean = s["mean"].astype(float).to_numpy()
    shown = np.array(
        [c in view.classes(dp) for dp, c in zip(s["design_point"], s["class"], strict=True)], dtype=bool
    )
    keep = approx & shown & np.isfinite(ana) & (ana != 0)
    rows = s[keep].copy()
    if rows.empty:
        return ""
    rows["_err"] = (mean[keep] - ana[keep]) / np.abs(ana[keep])
    rows = rows.sort_values("_err", key=lambda e: -e.abs())
    body, flagged = [], []
    for _, r in rows.iterrows():
        share = is_share(r["kpi"])
        err = float(r["_err"])
        big = abs(err) > FLAG_REL_ERROR
        note = str(r.get("analytic_note", "") or "")
        p = view.point(r["design_point"])
        where = f"{r['design_point']}" + (f" ({p.label})" if p and p.label else "")
        if big:
            flagged.append(
                f"<li><strong>{esc(kpi_title(r['kpi']))}</strong>"
                f"{'' if r['class'] == 'all' else ' [' + esc(r['class']) + ']'} at {esc(where)}: "
                f"{esc(r['analytic_model'])} is {err:+.0%} off: {esc(note) or 'no reason given'}</li>"
            )
        body.append(
            f"<tr{' class=flag' if big else ''}><td>{esc(where)}</td><td>{esc(r['class'])}</td>"
            f"<td>{esc(kpi_title(r['kpi']))}</td><td>{esc(r['analytic_model'])}</td>"
            f"<td class=num>{_fmt(r['analytic'], share)}</td><td class=num>{_fmt(r['mean'], share)}</td>"
            f"<td class=num>{err:+.1%}</td><td>{esc(note)}</td></tr>"
        )
    caption = (
        f"<p>{len(flagged)} of {len(body)} approximate values are more than "
        f"{FLAG_REL_ERROR:.0%} off the simulation:</p><ul>" + "".join(flagged) + "</ul>"
        if flagged
        else f"<p>All {len(body)} approximate values are within {FLAG_REL_ERROR:.0%} of the simulation.</p>"
    )
    return (
        f"<details{' open' if flagged else ''}><summary>How good are the approximations? "
        f"({len(body)} approximate values, {len(flagged)} more than {FLAG_REL_ERROR:.0%} off)</summary>"
        + caption
        + "<div class=table-wrap><table class=data><thead><tr><th>point</th><th>class</th><th>KPI</th>"
        "<th>approximation</th><th>formula</th><th>simulated</th><th>relative error</th>"
        "<th>why it is not exact</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div></details>"
    )
