"""Spare parts: van and depot stock, replenishment, backorders.

Each technician's van and each depot holds stock of every part type under
its own policy: base stock (every unit used is re-ordered at once, the
(S-1, S) policy), or (s, S) (when the inventory position falls to s, order
up to S).  A van is resupplied from its depot (transit time), the depot from
the supplier (lead time); without a depot the van orders from the supplier.

A demand that finds no unit on the shelf is either backordered (it is
filled, first come first served, by the next unit that arrives) or, for an
emergency shipment, lost to the location (the location does not re-order for
it, so its own pipeline is not charged).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy
from simpy.events import Timeout

from sim.distributions import Distribution
from sim.monitors.protocol import Recorder
from sim.system import Parts

from .variates import Constant, Variates

Filled = Callable[[], None]


class StockPoint:
    """Stock of one part type at one location.

    Parameters
    ----------
    kind : {"van", "depot"}
        For the recorder's totals per kind of location.
    order_up_to, reorder_point : int
        S, and s for an (s, S) policy (``None``: base stock, s = S - 1).
    resupply : callable
        ``resupply(quantity, deliver)`` starts an order; ``deliver(quantity)`` is called
        when the units arrive.
    """

    def __init__(
        self,
        env: simpy.Environment,
        kind: str,
        order_up_to: int,
        reorder_point: int | None,
        resupply: Callable[[int, Callable[[int], None]], None],
        recorder: Recorder,
    ) -> None:
        self.env = env
        self.kind = kind
        self.S = order_up_to
        self.s = order_up_to - 1 if reorder_point is None else reorder_point
        self.resupply = resupply
        self.recorder = recorder
        self.on_hand = order_up_to
        self.on_order = 0
        self.backorders: deque[tuple[float, Filled]] = deque()
        recorder.stock(kind, order_up_to, 0, env.now)

    @property
    def position(self) -> int:
        """Inventory position: on hand + on order - backorders."""
        return self.on_hand + self.on_order - len(self.backorders)

    def demand(self, filled: Filled | None) -> bool:
        """One unit is asked for.  Returns True if taken from the shelf at once; otherwise
        the demand is backordered (``filled`` is called when a unit arrives for it), or
        lost to this location when ``filled`` is None (emergency shipment)."""
        now = self.env.now
        if self.on_hand > 0:
            self.on_hand -= 1
            self.recorder.part_demand(self.kind, True, now)
            self.recorder.stock(self.kind, -1, 0, now)
            self._review()
            return True
        self.recorder.part_demand(self.kind, False, now)
        if filled is not None:
            self.backorders.append((now, filled))
            self.recorder.stock(self.kind, 0, 1, now)
            self._review()
        return False

    def _review(self) -> None:
        """Order up to S when the position has fallen to s."""
        position = self.position
        if position <= self.s:
            quantity = self.S - position
            self.on_order += quantity
            self.resupply(quantity, self.receive)

    def receive(self, quantity: int) -> None:
        """Units arrive: backorders first (oldest first), the rest to the shelf."""
        now = self.env.now
        self.on_order -= quantity
        while quantity and self.backorders:
            since, filled = self.backorders.popleft()
            quantity -= 1
            self.recorder.stock(self.kind, 0, -1, now)
            self.recorder.backorder_filled(self.kind, now - since, now)
            filled()
        if quantity:
            self.on_hand += quantity
            self.recorder.stock(self.kind, quantity, 0, now)


class Supplier:
    """The outside supplier: every order arrives after a lead-time draw."""

    def __init__(self, env: simpy.Environment, lead_time: Variates | Constant) -> None:
        self.env = env
        self.lead_time = lead_time

    def order(self, quantity: int, deliver: Callable[[int], None]) -> None:
        Timeout(self.env, self.lead_time.next(), quantity).callbacks.append(
            lambda event: deliver(event.value)
        )


class Depot:
    """Ships units to vans from a :class:`StockPoint`, each after a transit time."""

    def __init__(self, env: simpy.Environment, stock: StockPoint, transit: Variates | Constant) -> None:
        self.env = env
        self.stock = stock
        self.transit = transit

    def order(self, quantity: int, deliver: Callable[[int], None]) -> None:
        """A van orders ``quantity`` units: each unit leaves when the depot has it."""
        for _ in range(quantity):
            if self.stock.demand(lambda: self._ship(deliver)):
                self._ship(deliver)

    def _ship(self, deliver: Callable[[int], None]) -> None:
        Timeout(self.env, self.transit.next()).callbacks.append(lambda event: deliver(1))


class PartsSystem:
    """Every stock point of a replication: a van per technician and a depot per team (or
    one shared depot), each holding every part type."""

    def __init__(
        self,
        env: simpy.Environment,
        parts: Parts,
        teams: range,
        team_size: int,
        recorder: Recorder,
        variates: Callable[[Distribution, str, tuple[int, ...]], Variates | Constant],
    ) -> None:
        n_types = len(parts.types)
        depots = range(1) if parts.shared_depot else teams
        self.unit_cost = [t.unit_cost for t in parts.types]
        self.depots: dict[int, list[Depot]] = {}
        for d in depots if parts.use_depot else ():
            row = []
            for k, t in enumerate(parts.types):
                supplier = Supplier(env, variates(parts.supplier_lead_time, "supplier_to_depot", (d, k)))
                level = t.depot or _NONE
                stock = StockPoint(env, "depot", level.S, level.s, supplier.order, recorder)
                row.append(Depot(env, stock, variates(parts.depot_to_van, "depot_to_van", (d, k))))
            self.depots[d] = row
        # keyed by global technician number (a block of a large fleet starts past 0)
        self.vans: dict[int, list[StockPoint]] = {}
        for tech in range(teams.start * team_size, teams.stop * team_size):
            team = tech // team_size
            van: list[StockPoint] = []
            for k, t in enumerate(parts.types):
                if parts.use_depot:
                    source = self.depots[0 if parts.shared_depot else team][k].order
                else:
                    source = Supplier(
                        env, variates(parts.supplier_lead_time, "supplier_to_van", (tech, k))
                    ).order
                level = t.van or _NONE
                van.append(StockPoint(env, "van", level.S, level.s, source, recorder))
            self.vans[tech] = van
        self.n_types = n_types


class _NoStock:
    S = 0
    s = None


_NONE = _NoStock()
