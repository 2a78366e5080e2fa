"""Where the shipped scenario files are, in a source tree and in an installed wheel.

The wheel carries the repository's ``scenarios/`` folder as package data
``sim/scenarios/`` (``pyproject.toml``, ``force-include``), found with
:mod:`importlib.resources`; a source checkout (or an editable install) has no
such folder inside the package and reads the repository's own ``scenarios/``,
the files a user edits.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parent.parent / "scenarios"


def scenarios_dir() -> Path:
    """The folder of the shipped scenarios (``validation/``, a study's folder, ...)."""
    packaged = resources.files("sim") / "scenarios"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return _SOURCE_TREE


def scenario_path(*parts: str) -> Path:
    """A file or folder under the shipped scenarios, e.g. ``scenario_path("validation", "mm1.toml")``."""
    return scenarios_dir().joinpath(*parts)
