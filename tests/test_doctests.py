"""The docstring examples of ``sim/analytic`` and ``sim/stats.py`` run in the default suite.

Each module is one test; a failing example shows doctest's report. The modules are found
by walking the package, so a module added (or split off) is collected without editing here.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from types import ModuleType

import pytest

import sim.analytic


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(sim.analytic.__path__, "sim.analytic.")]
    return ["sim.stats", "sim.analytic", *sorted(names)]


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    return [t for t in doctest.DocTestFinder().find(module) if t.examples]


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _examples(module):
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()


def test_the_examples_are_found() -> None:
    # a finder that finds nothing would make every test above pass
    with_examples = {n for n in _modules() if _examples(importlib.import_module(n))}
    assert {"sim.stats", "sim.analytic.queues", "sim.analytic.inventory"} <= with_examples
