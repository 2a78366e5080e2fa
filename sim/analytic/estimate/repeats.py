"""Repeat repairs (``[repair.repeat]``) in the analytic layer.

A repair leaves the cause with probability p; the machine's next up time is then the
repeat delay R instead of a fresh life L.  Up times are i.i.d. across cycles (L with
probability 1 - p, R with probability p), so the fleet is the machine-interference model
with that mixed up time:

* the team's queueing view takes the effective failure rate 1 / ((1 - p) E[L] + p E[R])
  (:func:`sim.analytic.repeats.repeat_renewal`), and the finite-fleet formulas run on it:
  with exponential repairs and FIFO the M/M/s//N values at that one rate are exact for
  any laws of L and R (insensitivity; :func:`sim.analytic.repeats.repeat_fleet_effective`
  is the same model, :func:`sim.analytic.repeats.repeat_fleet` the chain that checks it);
* ``repeat_share`` = p (renewal-reward, exact whatever the rest of the system);
* ``repeat_within_window`` = p P(R <= w): exact for exponential R
  (:func:`sim.analytic.repeats.repeat_window`) and deterministic R, when machines age on
  the wall clock (the window is wall-clock time, R working time).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.analytic.estimate.results import Estimate, Estimates
from sim.analytic.repeats import RepeatRenewal, repeat_renewal, repeat_window

if TYPE_CHECKING:
    from sim.system import ServiceSystem

#: appended to the model name of every value computed at the effective life
EFFECTIVE = "repeats (effective life)"


def renewal(system: ServiceSystem) -> RepeatRenewal | None:
    """One machine's up-time pattern with repeat repairs (``None``: no repeats, or no
    finite fleet)."""
    rep, source = system.repeats, system.source
    if rep is None or not source.finite:
        return None
    return repeat_renewal(rep.p, source.life.mean, rep.after.mean)


def exponential_up_time(system: ServiceSystem) -> bool:
    """Whether a machine's up time (the mixture of fresh lives and repeat delays) is
    exponential: only when one of the two never happens, or both are exponential alike."""
    rep, source = system.repeats, system.source
    assert source.finite
    life = source.life
    if rep is None or rep.p == 0.0:
        return life.is_exponential
    if rep.p == 1.0:
        return rep.after.is_exponential
    return life.is_exponential and rep.after.is_exponential and life.mean == rep.after.mean


def relabel(est: Estimates) -> Estimates:
    """The queueing values of a fleet with repeats: computed at the effective life, said so
    in each model name and note."""

    def one(e: Estimate) -> Estimate:
        why = (
            "the up time mixes fresh lives and repeat delays; M/M/s//N at the effective "
            "life (1-p)E[L] + pE[R] is exact with exponential repairs and FIFO "
            "(insensitivity, sim/analytic/repeats.py)"
            if e.exact
            else f"{e.note} (at the effective life (1-p)E[L] + pE[R])"
        )
        return replace(e, model=f"{e.model}, {EFFECTIVE}", note=why)

    return replace(
        est, primary=[one(e) for e in est.primary], alternatives=[one(e) for e in est.alternatives]
    )


def repeat_kpis(est: Estimates, system: ServiceSystem) -> Estimates:
    """``repeat_share`` and, where the law of R allows, ``repeat_within_window``."""
    rep, source = system.repeats, system.source
    if rep is None or not source.finite:
        return est
    rows = [
        Estimate(
            "repeat_share",
            "all",
            rep.p,
            "renewal-reward",
            True,
            "each call is a repeat when the repair before it left the cause (probability p, "
            "independently of everything else)",
        )
    ]
    wall_clock = system.calendar.breakdowns == "always"
    after = rep.after
    within: float | None = None
    if after.is_exponential:
        within = repeat_window(rep.p, source.life.mean, after.mean, rep.window_h).repeat_within
        model = "p P(R <= w), exponential R"
    elif after.variance == 0.0:  # deterministic
        within = rep.p if after.mean <= rep.window_h else 0.0
        model = "p P(R <= w), deterministic R"
    if within is not None:
        note = (
            "a repair is followed by its repeat call R working hours later with probability p"
            if wall_clock
            else "R counts customer hours, the window wall-clock hours: an approximation"
        )
        rows.append(Estimate("repeat_within_window", "all", within, model, wall_clock, note))
    return replace(est, primary=[*est.primary, *rows])
