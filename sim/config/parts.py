"""The ``[parts]`` section: part types, where their stock is kept, and the shortage rule."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import MAX_UNITS_PER_CALL, Money, Probability, Section, name_type
from sim.config.specs import DeterministicSpec, DistSpec, ExponentialSpec, spec_mean


class StockPolicy(Section):
    """Replenishment of one part type at one location: base stock (S-1, S), or (s, S)."""

    policy: Literal["base_stock", "sS"] = "base_stock"
    S: Annotated[int, Field(ge=0, le=1_000_000)]
    s: Annotated[int, Field(ge=-1, le=1_000_000)] | None = None

    @model_validator(mode="after")
    def _levels(self) -> StockPolicy:
        if self.policy == "sS":
            if self.s is None:
                raise ValueError("an (s, S) policy needs s (the reorder point)")
            if self.s >= self.S:
                raise ValueError(f"s ({self.s}) must be smaller than S ({self.S})")
        elif self.s is not None:
            raise ValueError("s is only for policy = 'sS'")
        return self


class PartType(Section):
    name: name_type(60)  # type: ignore[valid-type]
    p_need: Probability  # probability that a call needs this part (independent per type)
    quantity: DistSpec | None = None  # units when needed (rounded up, at least 1); default 1
    unit_cost: Money = 0.0
    van: StockPolicy | None = None  # default: no van stock (S = 0)
    depot: StockPolicy | None = None  # default: the depot carries none (S = 0)


class Parts(Section):
    """Spare parts: what calls need, where stock is kept, what happens on a shortage."""

    types: Annotated[list[PartType], Field(min_length=1)]
    shortage: Literal["wait", "revisit", "emergency"] = "wait"
    supplier_lead_time_h: DistSpec = ExponentialSpec(dist="exponential", mean=72.0)
    depot_to_van_h: DistSpec = DeterministicSpec(dist="deterministic", value=24.0)
    use_depot: bool = True  # False: vans are replenished straight from the supplier
    shared_depot: bool = False  # one depot for all teams instead of one per team
    emergency_h: DistSpec = DeterministicSpec(dist="deterministic", value=4.0)
    emergency_cost: Money = 0.0
    failed_visit_h: DistSpec = DeterministicSpec(dist="deterministic", value=0.5)
    revisit_first: bool = True  # a revisit goes to the front of the line
    # under the priority discipline: the priority revisits wait at (1 = first), instead
    # of the front of their own class's line
    revisit_priority: Annotated[int, Field(ge=1, le=1000)] | None = None
    # reserve (take, or backorder) the units from the van when the call is logged, so that a
    # shortage starts being resolved before the technician arrives; needs one technician
    # per team (the van is then known)
    reservation: bool = False
    p_other_failure: Probability = 0.0  # per visit: diagnosis or skills, leading to a revisit
    holding_cost_per_unit_year: Money = 0.0

    @model_validator(mode="after")
    def _unique(self) -> Parts:
        names = [t.name for t in self.types]
        if len(set(names)) != len(names):
            raise KeyedError("parts.types", f"part names must be unique, got {names}")
        for i, t in enumerate(self.types):
            if t.quantity is not None and spec_mean(t.quantity) <= 0:
                raise KeyedError(f"parts.types[{i}].quantity", "must have a positive mean")
            if t.quantity is not None and spec_mean(t.quantity) > MAX_UNITS_PER_CALL:
                raise KeyedError(
                    f"parts.types[{i}].quantity",
                    f"a mean of {spec_mean(t.quantity):g} units per call is above the limit of "
                    f"{MAX_UNITS_PER_CALL:,} (stock levels are at most 1,000,000)",
                )
        return self
