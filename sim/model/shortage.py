"""What a team does when a repair finds a part missing from the van.

Three rules (``parts.shortage``):

* :class:`WaitOnSite` - the technician waits on site until the van's backorder is filled;
* :class:`Revisit` - the technician leaves after a failed visit and the call is dispatched
  again once the parts have come;
* :class:`Emergency` - the missing units are shipped at once from outside (the van does not
  re-order them), the technician waits on site.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .variates import Constant, Variates


class ShortageRule(Protocol):
    """One shortage rule: asked by the team when a unit is missing."""

    name: str
    #: missing units are shipped from outside (and not backordered at the van)
    ships: bool

    def visit_h(self) -> float | None:
        """Hours on site before leaving without the part, or ``None``: wait on site."""

    def shipping_h(self, technician: int) -> float:
        """Time until an emergency shipment to ``technician`` arrives."""


class WaitOnSite:
    """The technician waits on site for the van's backorder."""

    name = "wait"
    ships = False

    def visit_h(self) -> float | None:
        return None

    def shipping_h(self, technician: int) -> float:
        raise AssertionError("the wait rule ships nothing")


class Revisit:
    """The technician leaves after ``failed_visit`` hours; a revisit follows the parts."""

    name = "revisit"
    ships = False

    def __init__(self, failed_visit: Variates | Constant) -> None:
        self.failed_visit = failed_visit

    def visit_h(self) -> float | None:
        return self.failed_visit.next()

    def shipping_h(self, technician: int) -> float:
        raise AssertionError("the revisit rule ships nothing")


class Emergency:
    """Missing units come by emergency shipment (one time stream per technician); the
    technician waits on site."""

    name = "emergency"
    ships = True

    def __init__(self, shipments: Mapping[int, Variates | Constant]) -> None:
        self.shipments = shipments

    def visit_h(self) -> float | None:
        return None

    def shipping_h(self, technician: int) -> float:
        return self.shipments[technician].next()
