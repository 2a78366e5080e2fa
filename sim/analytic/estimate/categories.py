"""Technician hours by the service report's category (``[work.categories]``) in the
analytic layer.

A category's share of the paid technician-hours is the sum of its rows' busy shares,
and category D adds the internal tasks' share.  By work conservation a row's busy share is
its offered load, rate x mean time per call (trip + on site) / technicians, in any stable
system where every call is served once; so the shares need no queueing formula, only each
row's hours:

* with job types, the rows' ``hours_share`` (:mod:`.work`: exact whenever given);
* with breakdown classes only, ``utilization`` x the class's share of the calls: every
  call's work has the same law whatever its class, and a call's class is a mark drawn
  independently of the queue (with ``[fleet.lifecycle]`` the class is its machine's
  status, and the share is the ``call_share`` estimate, exact under a class-blind
  discipline);
* internal work taken when idle: ``internal_share`` (:mod:`.internal`).

Each share is exact when every value it sums is; nothing is given with a contractor
(which takes a class-dependent part of the calls), repeat repairs (a repeat is a call
the share does not count), or planned work (its own estimate, :mod:`.maintenance`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates

if TYPE_CHECKING:
    from sim.system import ServiceSystem

#: the KPIs of the categories A to D (the monitors' ``CATEGORY_KPIS``)
KPIS = ("hours_a_share", "hours_b_share", "hours_c_share", "hours_d_share")
MODEL = "work conservation (offered load by category)"


def _row_hours(est: Estimates, system: ServiceSystem) -> list[Estimate] | None:
    """Each row's busy share (``None``: not known for every row)."""
    rows = system.row_names
    given = [est.get("hours_share", r) for r in rows]
    if all(e is not None for e in given):
        return [e for e in given if e is not None]
    if len(rows) != len(system.classes):
        return None  # job types without their hours, or planned work
    if system.contractor is not None or system.repeats is not None:
        return None
    util = est.get("utilization")
    if util is None:
        return None
    out = []
    for c in system.classes:
        share = est.get("call_share", c.name) if system.lifecycle is not None else None
        value = c.share if share is None else share.value
        exact = util.exact and (share is None or share.exact)
        out.append(Estimate("hours_share", c.name, util.value * value, util.model, exact))
    return out


def with_categories(est: Estimates, system: ServiceSystem) -> Estimates:
    """Add ``hours_a_share`` ... ``hours_d_share`` (see the module's docstring)."""
    cats = system.categories
    if cats is None or est.unstable is not None or est.get(KPIS[0]) is not None:
        return est  # (a helpdesk's estimate holds its team's, already with them)
    hours = _row_hours(est, system)
    if hours is None:
        return replace(est, notes=[*est.notes, "hours by category: no value (a row's hours are not given)"])
    some = system.internal is not None or system.internal_blocks is not None
    internal = est.get("internal_share") if some else None
    if some and internal is None:
        return replace(est, notes=[*est.notes, "hours by category: no value (internal work's share)"])
    out = []
    for k, kpi in enumerate(KPIS):
        parts = [h for h, c in zip(hours, cats, strict=True) if c == k]
        if k == len(KPIS) - 1 and internal is not None:
            parts.append(internal)
        value = sum(p.value for p in parts)
        exact = all(p.exact for p in parts)
        rows = ", ".join(p.service_class for p in parts if p.kpi == "hours_share") or "none"
        note = f"sum of the rows' offered load ({rows})" + (" + internal_share" if internal in parts else "")
        out.append(Estimate(kpi, "all", value, MODEL, exact, note))
    return replace(est, primary=[*est.primary, *out])
