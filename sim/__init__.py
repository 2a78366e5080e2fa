"""Simulate after-sales field service and compare it with queueing theory.

The public Python API (:mod:`sim.api`) is re-exported here::

    import sim
    study = sim.load("scenarios/contracts.toml", set={"run.horizon_h": 5000.0})
    res = study.run(replications=5, workers=2)
    res.summary, res.replications, res.analytic, res.report()

It is imported on first use, so that ``python run_sim.py`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from sim.api import Results, Study, load, open_run

__all__ = ["Results", "Study", "__version__", "load", "open_run"]
_API = {"Results", "Study", "load", "open_run"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
