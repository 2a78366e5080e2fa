"""``--precision``: the sequential rule that adds replications until a KPI's interval is
tight enough (Law's relative-precision rule, or an absolute half-width)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.stats import precision_met, required_replications


@dataclass(frozen=True)
class Precision:
    """Sequential stopping: add replications until the KPI's CI is tight enough.

    ``relative``: half-width / |mean| <= relative / (1 + relative) (Law's rule);
    ``absolute``: half-width <= absolute (for KPIs near zero).
    """

    kpi: str = "wait_h"
    relative: float | None = 0.05
    absolute: float | None = None
    max_replications: int = 200
    confidence: float = 0.95

    def met(self, ci: Any) -> bool:
        return precision_met(ci, self.relative, self.absolute)

    def needed(self, values: Sequence[float]) -> int:
        """Replications the current variance estimate says are needed (capped)."""
        try:
            n = required_replications(values, self.relative, self.absolute, self.confidence)
        except ValueError:  # too few values, or a relative target around a zero mean
            return self.max_replications
        return min(self.max_replications, n)
