"""Studies: ready-made experiments over several scenario files, with their own tables.

A study is a module here that knows one case (its scenario files, its titles, how
its options group, extra costs the scenarios cannot express, the tables and the
recommendation it prints).  The generic layers (config, runner, console, report)
know no study: a study speaks to them only through its scenario files (whose
``[targets]`` carry its standard) and through one manifest field.

Each study module defines

* ``run_study(out, backend, workers, progress, argv, ..., resume=None) -> int``

and is listed in :data:`STUDIES` with its subcommand and a line of help.

The ``"study"`` field of ``manifest.json``
------------------------------------------
A study run's manifest carries, besides the usual keys::

    "study": {
        "name": "dupit",                  # the study module, sim.studies.<name>
        "title": "Dupit case study",      # a heading for the report
        "group_key": "study.part",        # the design-point parameter that groups the points
        "groups": [                       # the groups in page order
            {"key": "baseline", "title": "Status quo: 150 machines per rep",
             "short": "Status quo"},
            ...
        ],
        "design_cost": {                  # optional: a cost per design point that the
            "key": "extra_cost_per_year", #   scenarios cannot express, stored as
            "title": "extra staff cost per year",  # manifest["design_points"][i][key]
            "unit": "per year",           #   (null where the study cannot price it)
        },
    }

and ``manifest["targets"]`` (written for every scenario with ``[targets]``, see
:func:`sim.experiment.manifest.targets_manifest`) holds the standard.  A reader that does not
know the study shows the groups by their titles and the design cost as one more
numeric column; nothing else is study-specific.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: subcommand -> (module, help); the first is the default job of ``python run_sim.py``
STUDIES = {
    "dupit": (
        "sim.studies.dupit",
        "the Dupit case study (the default job): four proposals against a 2-h mean-wait "
        "standard, with their closed forms, costs and a recommendation",
    ),
}
DEFAULT = next(iter(STUDIES))


def study_module(name: str) -> ModuleType:
    """The module of a study by its subcommand name."""
    return importlib.import_module(STUDIES[name][0])
