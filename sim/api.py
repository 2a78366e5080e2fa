"""The public Python API, for notebooks and scripts.

>>> import sim
>>> study = sim.load("scenarios/contracts.toml", set={"run.horizon_h": 2000.0})
>>> res = study.run(replications=3, workers=1)           # doctest: +SKIP
>>> res.summary.query("kpi == 'wait_h'")                  # doctest: +SKIP

It drives the same engine as ``python run_sim.py run`` and writes the same results
folder (``results/<run-id>/`` by default); :func:`open_run` reads one back.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import DesignPoint, Scenario, ScenarioError, apply_cli_sweeps, check_target_kpis, expand_sweep
from sim.config import load_scenario as _load_scenario
from sim.system import ServiceSystem
from sim.targets import Recommendation, recommend

__all__ = ["Results", "Study", "load", "open_run"]


def _toml(value: Any) -> str:
    """A Python value as an inline TOML value (what ``--set key=VALUE`` reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise ValueError(f"{value!r}: not a value a scenario can hold")


def _overrides(values: Mapping[str, Any]) -> list[str]:
    out = []
    for key, value in values.items():
        try:
            out.append(f"{key}={_toml(value)}")
        except ValueError as exc:
            raise ScenarioError("set=", key, str(exc)) from None
    return out


def analytic_table(points: Sequence[DesignPoint]) -> pd.DataFrame:
    """The closed-form estimates of every design point as one tidy table.

    Columns: ``design_point``, ``kpi``, ``class``, ``value``, ``model``, ``exact``,
    ``role`` (``primary``: the value the summary compares with; ``alternative``) and
    ``note``; a design point without a steady state has one row with ``kpi`` empty and
    the reason in ``note``.
    """
    from sim.analytic import estimate

    rows: list[dict[str, Any]] = []
    for p in points:
        est = estimate(ServiceSystem.from_scenario(p.scenario))
        if est.unstable:
            rows.append({"design_point": p.id, "kpi": "", "note": est.unstable})
            continue
        for role, items in (("primary", est.primary), ("alternative", est.alternatives)):
            rows += [
                {
                    "design_point": p.id,
                    "kpi": e.kpi,
                    "class": e.service_class,
                    "value": e.value,
                    "model": e.model,
                    "exact": e.exact,
                    "role": role,
                    "note": e.note,
                }
                for e in items
            ]
    cols = ["design_point", "kpi", "class", "value", "model", "exact", "role", "note"]
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class Results:
    """A finished run: its tables and its folder.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per (design point, class, KPI): ``n``, ``mean``, ``ci_low``, ``ci_high``,
        ``half_width``, the analytic value and model, ``analytic_exact``, ``rel_error``.
    replications : pandas.DataFrame
        One row per (design point, replication, class), one column per KPI.
    path : pathlib.Path
        The results folder (``manifest.json``, ``summary.csv``, ``replications.parquet``).
    manifest : dict
        The run's manifest (scenario, design points, seeds, versions, task status).
    """

    summary: pd.DataFrame
    replications: pd.DataFrame
    path: Path
    manifest: dict[str, Any]
    _points: list[DesignPoint] = field(default_factory=list, repr=False)
    _scenario: Scenario | None = field(default=None, repr=False)

    @property
    def design_points(self) -> pd.DataFrame:
        """One row per design point: its id, a label (what differs) and its parameters."""
        from sim.console import design_labels

        params = {d["id"]: d.get("params", {}) for d in self.manifest.get("design_points", [])}
        labels = design_labels(params)
        return pd.DataFrame([{"design_point": k, "label": labels[k], **v} for k, v in params.items()])

    @property
    def analytic(self) -> pd.DataFrame:
        """The closed-form estimates of every design point (see :func:`analytic_table`)."""
        return analytic_table(self._points)

    def kpi(self, name: str, service_class: str = "all") -> pd.DataFrame:
        """The summary rows of one KPI (one row per design point), indexed by design point.

        Parameters
        ----------
        name : str
            A KPI name, e.g. ``"wait_h"``.
        service_class : str, default "all"
            A service class name, or ``"all"`` for every call.
        """
        rows = self.summary[(self.summary["kpi"] == name) & (self.summary["class"] == service_class)]
        if rows.empty:
            known = sorted(set(self.summary["kpi"]))
            raise KeyError(f"no KPI {name!r} for class {service_class!r}; known: {', '.join(known)}")
        return rows.set_index("design_point")

    def recommendation(self) -> Recommendation | None:
        """The designs that meet the scenario's ``[targets]`` and the best of them
        (``None`` when the scenario has no targets)."""
        if self._scenario is None:
            return None
        targets = ServiceSystem.from_scenario(self._scenario).targets
        return None if targets is None else recommend(self.summary, targets)

    def report(self, path: str | Path | None = None, self_contained: bool = False) -> Path:
        """Write the interactive report; return the path of the html file.

        Parameters
        ----------
        path : path, optional
            Where to put a copy of the report (a ``.html`` file, or a folder).  Such a copy
            is self-contained (plotly inside, about 4.5 MB), so that it opens anywhere.
            Default: ``report.html`` in the results folder only.
        self_contained : bool, default False
            Put plotly inside the page even without ``path`` (for sending one file).
        """
        from sim.report import write_report

        html = Path(write_report(self.path, self_contained=self_contained or path is not None))
        if path is None:
            return html
        target = Path(path)
        if target.is_dir() or not target.suffix:
            target.mkdir(parents=True, exist_ok=True)
            target = target / html.name
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(html, target)
        return target

    def __repr__(self) -> str:
        n = self.summary["design_point"].nunique() if not self.summary.empty else 0
        return f"Results({n} design point(s), folder {self.path})"


def _results(exp: Any) -> Results:
    man = json.loads((Path(exp.path) / "manifest.json").read_text(encoding="utf-8"))
    return Results(exp.summary, exp.replications, Path(exp.path), man, list(exp.points), exp.scenario)


class Study:
    """A scenario file with its overrides and sweeps, ready to run.

    Made by :func:`load`.  ``scenario`` is the validated scenario (pydantic, frozen);
    ``points`` its design points (one unless the file or ``sweep=`` has a sweep or variants).
    """

    def __init__(self, path: str | Path, overrides: Sequence[str], sweeps: Sequence[str]) -> None:
        self.path = Path(path)
        self._overrides, self._sweeps = list(overrides), list(sweeps)
        self.scenario = self._scenario(self._overrides)
        self.points = expand_sweep(self.scenario, str(self.path))

    def _scenario(self, overrides: Sequence[str]) -> Scenario:
        from sim.experiment.tables import kpi_names

        scenario = _load_scenario(self.path, overrides)
        source = str(self.path) + (" (with set=)" if overrides else "")
        check_target_kpis(scenario, kpi_names(ServiceSystem.from_scenario(scenario)), source)
        if self._sweeps:
            scenario = apply_cli_sweeps(scenario, self._sweeps, str(self.path), list(overrides))
        return scenario

    @property
    def analytic(self) -> pd.DataFrame:
        """The closed-form estimates of every design point, without simulating."""
        return analytic_table(self.points)

    def run(
        self,
        replications: int | None = None,
        workers: int | None = None,
        *,
        seed: int | None = None,
        backend: str = "process",
        out: str | Path = "results",
        records: bool = False,
        progress: bool = False,
    ) -> Results:
        """Simulate every design point and write ``out/<run-id>/``, as ``run_sim.py run`` does.

        Parameters
        ----------
        replications : int, optional
            Replications per design point (default: the file's ``run.replications``).
        workers : int, optional
            Worker processes (default: one per core); ``1`` runs in this process.
        seed : int, optional
            Root seed (default: the file's ``run.seed``).
        backend : {"process", "serial", "dask"}
            Where the replications run; every backend gives the same tables.
        out : path, default "results"
            The results root.
        records : bool, default False
            Also keep every call (``calls.parquet``).
        progress : bool, default False
            Show a progress bar.

        Returns
        -------
        Results
        """
        from sim.experiment.experiment import execute

        extra = []
        if replications is not None:
            extra.append(f"run.replications={int(replications)}")
        if seed is not None:
            extra.append(f"run.seed={int(seed)}")
        scenario = self._scenario(self._overrides + extra) if extra else self.scenario
        points = expand_sweep(scenario, str(self.path)) if extra else self.points
        argv = ["sim.api", str(self.path), *(f"--set={o}" for o in self._overrides + extra)]
        argv += [f"--sweep={s}" for s in self._sweeps]
        exp = execute(
            scenario, points, Path(out), argv, str(self.path), backend, workers, records, progress=progress
        )
        if exp.failures:
            raise RuntimeError(
                f"{len(exp.failures)} replication(s) failed (tracebacks in {exp.path}/manifest.json): "
                + (exp.failures[0].error or "").strip().splitlines()[-1]
            )
        return _results(exp)

    def __repr__(self) -> str:
        return f"Study({str(self.path)!r}, {len(self.points)} design point(s))"


def load(
    path: str | Path,
    set: Mapping[str, Any] | None = None,  # (named like the CLI's --set)
    sweep: Mapping[str, Iterable[Any]] | None = None,
) -> Study:
    """Load a scenario file, with overrides and sweeps, for :meth:`Study.run`.

    Parameters
    ----------
    path : path
        A scenario TOML file.
    set : mapping, optional
        Dotted keys and values, as ``--set`` on the command line:
        ``{"territories.technicians": 2, "repair.time_h": {"dist": "exponential", "mean": 1.5}}``.
    sweep : mapping, optional
        Dotted keys and lists of values added to the file's ``[sweep]``:
        ``{"territories.pooled": [1, 2, 4]}``.

    Returns
    -------
    Study

    Raises
    ------
    sim.config.ScenarioError
        With a one-line message naming the file, key and reason.
    """
    overrides = _overrides(set or {})
    sweeps = [f"{k}={', '.join(_toml(v) for v in values)}" for k, values in (sweep or {}).items()]
    return Study(path, overrides, sweeps)


def open_run(run_dir: str | Path) -> Results:
    """Read a finished results folder (written by the CLI or by :meth:`Study.run`).

    Parameters
    ----------
    run_dir : path
        ``results/<run-id>``.

    Raises
    ------
    sim.errors.ResultsError
        If the folder is not a complete run.
    """
    from sim.experiment.manifest import points_from_manifest
    from sim.results import read_run

    run = read_run(run_dir)
    scenario, points = points_from_manifest(run.manifest, f"{run_dir}/manifest.json")
    return Results(run.summary, run.replications, run.path, run.manifest, list(points), scenario)
