"""``[satisfaction]``: a per-call satisfaction score (issue 15).

The score is a **model, not data**: a documented, configurable function of what happened
to the call, for comparing designs on one scale, not a forecast of what customers would
answer in a survey.  Calibrate its weights on survey results before reading its level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import model_validator

from sim.config.complaints import PROMISE_KEYS, Promise, promises_made
from sim.config.errors import KeyedError
from sim.config.fields import NonNegFloat, Section

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: the bound on a score's scale (a weight beyond it is a mistake)
MAX_POINTS = 1e6


class BrokenPromiseWeights(Section):
    """Points off the score per broken promise (0: it does not count).  The keys are those
    of ``[complaints.probability]`` except ``any_call`` (which is no promise)."""

    late_reply: NonNegFloat = 0.0
    late_on_site: NonNegFloat = 0.0
    late_restore: NonNegFloat = 0.0
    repeat_failure: NonNegFloat = 0.0
    late_arrival: NonNegFloat = 0.0
    missed_appointment: NonNegFloat = 0.0

    def of(self, promise: Promise) -> float:
        """The weight of one kind of promise (0 for ``any_call``)."""
        if promise is Promise.ANY_CALL:
            return 0.0
        value: float = getattr(self, PROMISE_KEYS[promise])
        return value


class Satisfaction(Section):
    """A satisfaction score per call, a model (not data).  Example::

        [satisfaction]
        best = 10.0                  # a call with every promise kept, fixed at once, no wait
        worst = 0.0                  # the score never goes below this
        not_fixed_first_time = 2.0   # points off when the machine needed more than one visit
        per_response_h = 0.2         # points off per hour from the call to the technician on site
        per_restore_h = 0.05         # points off per hour from the breakdown to working again

        [satisfaction.broken]        # points off per broken promise
        late_on_site = 2.0
        late_restore = 3.0

    Each call's score, taken when its machine works again (a visit, the contractor or a
    remote fix), is::

        score = max(worst, best - sum of broken[p] over the promises p the call broke
                               - not_fixed_first_time x [more than one visit]
                               - per_response_h x response_h - per_restore_h x restore_h)

    with the promises judged as ``[complaints]`` judges them (the reply after its
    milestone, the first visit after ``sla_h``, the machine after ``restore_sla_h``, a
    repeat failure).  ``response_h`` counts from the customer's call to the first
    technician or contractor on site (0 for a remote fix); ``restore_h`` from the
    breakdown to working again.  KPI ``satisfaction``: the mean score per class, over the
    calls of the window.  Every weight must be a number (0 or more).
    """

    best: float = 10.0
    worst: float = 0.0
    not_fixed_first_time: NonNegFloat = 0.0
    per_response_h: NonNegFloat = 0.0
    per_restore_h: NonNegFloat = 0.0
    broken: BrokenPromiseWeights = BrokenPromiseWeights()

    @model_validator(mode="after")
    def _scale(self) -> Satisfaction:
        for key in ("best", "worst"):
            value = getattr(self, key)
            if not abs(value) <= MAX_POINTS:  # (also refuses nan and inf)
                raise KeyedError(f"satisfaction.{key}", f"must be a number within +-{MAX_POINTS:g}")
        if self.worst >= self.best:
            raise KeyedError("satisfaction.worst", f"must be below best ({self.best:g})")
        return self


def check_satisfaction(sc: Scenario) -> None:
    """A weight for a promise the scenario does not make is refused (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Naming ``satisfaction.broken.<promise>``.
    """
    if sc.satisfaction is None:
        return
    made, needs = promises_made(sc)
    for p in Promise:
        if sc.satisfaction.broken.of(p) > 0.0 and not made[p]:
            raise KeyedError(
                f"satisfaction.broken.{PROMISE_KEYS[p]}", f"no such promise is made: it needs {needs[p]}"
            )
