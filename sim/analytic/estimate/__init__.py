"""Pick the closed-form model that matches a scenario and evaluate its KPIs.

:func:`estimate` returns, for every KPI a formula covers, the value, the
model's name and whether that model is *exact* for the scenario or only an
approximation (with the reason).  One model is primary (the best match);
others are kept as alternatives, e.g. the textbook's infinite-source M/M/1
next to the exact finite-fleet M/M/1//N.

It reads the resolved service system (:class:`sim.system.ServiceSystem`, built by the
caller with ``ServiceSystem.from_scenario``), never the pydantic scenario; the system is
passed in, so this package imports no other project module at run time (the cost model
lazily, inside a function; the system's types for the type checker only).

``results``   :class:`Estimate` and :class:`Estimates`
``team``      the queueing view of one team: service moments, trip geometry
``queueing``  FIFO and priority formulas (Poisson calls, finite fleet, first trips)
``policy``    labels under other dispatch rules and calendars; the hypercube workloads
``internal``  internal work taken when idle (the queue with multiple vacations)
``parts``     spare parts (inventory theory) and their effect on the queue
``repeats``   repeat repairs: the effective life, the repeat share and window
``contractor`` overflow to a contractor: Erlang B loss system, M/M/s+D
``work``      job types: the mixed service law (P-K, Allen-Cunneen, Cobham)
``core``      :func:`estimate`, which puts them together, and the cost model's values
"""

from .core import estimate, relative_error
from .results import Estimate, Estimates

__all__ = ["Estimate", "Estimates", "estimate", "relative_error"]
