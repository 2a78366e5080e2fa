"""What the analytic layer says about a scenario: one value (:class:`Estimate`) and all of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Estimate:
    """One analytic KPI value."""

    kpi: str
    service_class: str  # "all" or a class name
    value: float
    model: str
    exact: bool
    note: str = ""


@dataclass(frozen=True)
class Estimates:
    """Everything the analytic layer can say about a scenario.

    ``unstable`` holds the reason when no steady state exists; then no
    queueing KPI is given.
    """

    primary: list[Estimate] = field(default_factory=list)
    alternatives: list[Estimate] = field(default_factory=list)
    unstable: str | None = None
    notes: list[str] = field(default_factory=list)

    def get(self, kpi: str, service_class: str = "all") -> Estimate | None:
        for e in self.primary:
            if e.kpi == kpi and e.service_class == service_class:
                return e
        return None

    @property
    def all(self) -> list[Estimate]:
        return [*self.primary, *self.alternatives]
