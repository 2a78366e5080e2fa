"""The satisfaction score (``[satisfaction]``) in the analytic layer: its mean by linearity.

A call of class k scores best - sum_p w_p B_p - f [visits > 1] - a R - b T, floored at
``worst`` (B_p: promise p broken; R the response, T the time to restore).  Without the
floor the mean is linear in the KPIs the base formulas give::

    E[score_k] = best - sum_p w_p q_pk - f (1 - first_time_fix_k) - a response_h_k - b restore_h_k

with q_pk the breach probabilities of :mod:`sim.analytic.estimate.complaints`.  The floor
cannot bind when there are no per-hour weights (a = b = 0) and best - sum_p w_p - f >=
worst: then the value is exact wherever every input is.  With a per-hour weight a long
wait can reach the floor, which the linear form ignores: approximate.  A helpdesk that
resolves calls remotely mixes in calls with no visit: no formula.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.complaints import breach, no_breach_note
from sim.analytic.estimate.results import Estimate, Estimates

if TYPE_CHECKING:
    from sim.system import ServiceSystem

MODEL = "linear in the KPIs (best - weights x breaches, repeat visits, waits)"


def with_satisfaction(base: Estimates, system: ServiceSystem) -> Estimates:
    """``base`` with ``satisfaction`` per class and overall (see the module)."""
    from sim.system import Promise

    score = system.satisfaction
    assert score is not None
    if base.unstable is not None:
        return base
    if system.helpdesk is not None and system.helpdesk.remote_share > 0.0:
        return replace(base, notes=[*base.notes, "satisfaction with remote fixes: no formula is given"])
    weights = {p: score.broken[p] for p in Promise if score.broken[p] > 0.0}
    floor_free = (
        score.per_response_h == 0.0
        and score.per_restore_h == 0.0
        and score.best - sum(weights.values()) - score.not_fixed_first_time >= score.worst
    )
    terms = [
        (kpi, w)
        for kpi, w in (
            ("first_time_fix", score.not_fixed_first_time),
            ("response_h", score.per_response_h),
            ("restore_h", score.per_restore_h),
        )
        if w != 0.0
    ]
    values: list[float] = []
    exact = floor_free
    for row, cl in enumerate(system.classes):
        value = score.best
        for p, w in weights.items():
            b = breach(base, system, p, row)
            if b is None:
                note = no_breach_note("satisfaction", p)
                return replace(base, notes=[*base.notes, note])
            value -= w * b[0]
            exact = exact and b[1]
        for kpi, w in terms:
            e = base.get(kpi, cl.name) or (base.get(kpi) if len(system.classes) == 1 else None)
            if e is None:
                return replace(base, notes=[*base.notes, f"satisfaction: no estimate of {kpi}; no formula"])
            # a repeat visit costs f with probability 1 - first_time_fix; a wait w per hour
            value -= w * (1.0 - e.value) if kpi == "first_time_fix" else w * e.value
            exact = exact and e.exact
        values.append(value)
    shares = [c.share for c in system.classes]
    overall = sum(s * v for s, v in zip(shares, values, strict=True)) / sum(shares)
    why = "" if floor_free else f"ignores the floor worst = {score.worst:g} (a long wait can reach it)"
    rows = [
        Estimate("satisfaction", name, v, MODEL, exact, why)
        for name, v in [("all", overall), *zip((c.name for c in system.classes), values, strict=True)]
    ]
    return replace(base, primary=[*base.primary, *rows])
