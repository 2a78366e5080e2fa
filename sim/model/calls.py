"""A service call: one breakdown waiting for, and receiving, a repair."""

from __future__ import annotations


class Call:
    """A breakdown reported by a customer.

    The call's needs (class, travel and on-site time) are drawn when it is
    logged, from streams keyed by the machine (or by the arrival order in
    infinite-source mode), so they do not depend on staffing or dispatch.
    Timestamps are simulation hours; ``nan`` until the step happens.
    """

    __slots__ = (
        "number",
        "machine",
        "territory",
        "service_class",
        "travel_h",
        "repair_h",
        "failed_at",
        "logged_at",
        "dispatched_at",
        "on_site_at",
        "technician",
    )

    def __init__(
        self,
        number: int,
        machine: int,
        territory: int,
        service_class: int,
        travel_h: float,
        repair_h: float,
        now: float,
    ) -> None:
        self.number = number
        self.machine = machine  # -1 in infinite-source mode
        self.territory = territory
        self.service_class = service_class
        self.travel_h = travel_h
        self.repair_h = repair_h
        self.failed_at = now
        self.logged_at = now
        self.dispatched_at = float("nan")
        self.on_site_at = float("nan")
        self.technician = -1
