"""``[repair.repeat]``: repairs that do not remove the cause (issue 14's repeat repairs).

The service regulations forbid "repairing the same fault twice"; this section says how
often it happens anyway.  After every repair, independently with probability ``p``, the
cause is left in the machine: instead of a fresh life it works for a short time drawn
from ``after_h`` and then fails again with the same fault, a *repeat call*.
"""

from __future__ import annotations

from pydantic import model_validator

from sim.config.errors import KeyedError
from sim.config.fields import PosFloat, Probability, Section
from sim.config.specs import DistSpec, spec_mean

#: the default window of the repeat-call rate: 30 days of the wall clock
DEFAULT_WINDOW_H = 720.0


class RepeatRepairs(Section):
    """Repeat repairs (finite fleets only: Poisson calls have no machine to fail again).

    After each repair, with probability ``p`` the cause is not removed and the machine
    fails again, with the same fault, after a time drawn from ``after_h`` (hours the
    machine works, on the clock of ``calendar.breakdowns``) instead of a fresh life from
    ``fleet.time_to_failure_h``; that call is a repeat call.  Each repair decides
    independently, so a repeat can itself be repeated.  KPIs: ``repeat_share`` (share of
    calls that are repeats), ``repeat_within_window`` (share of restorations followed by
    a repeat call of the same machine within ``window_h`` hours of the wall clock; the
    service report's repeat-call rate) and, with ``[costs]``, ``cost_repeat_per_day``.
    Example::

        [repair.repeat]
        p = 0.1
        after_h = { dist = "gamma", mean = 48.0, cv = 0.5 }
        window_h = 720.0   # 30 days
    """

    p: Probability  # chance that a repair leaves the cause (each repair independently)
    after_h: DistSpec  # working time from the repair to the repeat failure
    window_h: PosFloat = DEFAULT_WINDOW_H  # the repeat-call rate's window (wall-clock hours)

    @model_validator(mode="after")
    def _positive(self) -> RepeatRepairs:
        if spec_mean(self.after_h) <= 0:
            # repeat failures at the instant of the repair would repeat forever at one time
            raise KeyedError("repair.repeat.after_h", "must have a positive mean")
        return self
