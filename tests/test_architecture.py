"""Dependency direction, checked by parsing the sources (docs/architecture.md).

kpis (the KPI catalogue) imports no other project module; config,
distributions, rng and analytic import none but kpis at module level; only
sim/model/ imports simpy; the model does no file I/O and uses neither pandas
nor plotly; the report never reaches into the model; the experiment layer
(sim/experiment/) sits above the model, the monitors, the statistics and the results
folder, and nothing below it imports it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name ("sim.config", "simpy", "numpy.random")
    # executed when the module is imported (not inside a function, nor a type checker's
    # ``if TYPE_CHECKING:`` block, which only names types for annotations)
    top_level: bool
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _resolve(node: ast.ImportFrom, path: Path) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        pkg = _package(path).split(".")
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([node.module] if node.module else []))
    folder = ROOT / base.replace(".", "/")
    if folder.is_dir():  # from sim import rng -> sim.rng; from sim.config import Scenario -> sim.config
        subs = [
            a.name for a in node.names if (folder / a.name).is_dir() or (folder / f"{a.name}.py").exists()
        ]
        return [f"{base}.{s}" for s in subs] + ([base] if len(subs) < len(node.names) else [])
    return [base]


def imports(path: Path) -> list[Import]:
    """Every import in a file, with whether it runs at import time."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                assert isinstance(child, ast.If)
                for item in child.body:
                    visit(ast.Module(body=[item], type_ignores=[]), False)
                for item in child.orelse:
                    visit(ast.Module(body=[item], type_ignores=[]), top)
                continue
            inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, top, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                found.extend(Import(m, top, child.lineno) for m in _resolve(child, path))
            visit(child, inner)

    visit(tree, True)
    return found


def _type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def py_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def is_project(module: str) -> bool:
    return module == "sim" or module.startswith("sim.")


def root_of(module: str) -> str:
    return module.split(".")[0]


ALL_FILES = py_files(SIM)
MODEL_FILES = py_files(SIM / "model")
#: Bottom-layer modules: import no other project module.  calendar.py (working hours,
#: added with shift calendars) is a pure helper of the same kind as distributions.py.
LEAF_FILES = [*py_files(SIM / "config"), SIM / "distributions.py", SIM / "rng.py", SIM / "kpis.py"] + [
    p for p in [SIM / "calendar.py"] if p.exists()
]
#: the KPI catalogue sits below every other module: anyone may import its names
CATALOGUE = "sim.kpis"
ANALYTIC_FILES = py_files(SIM / "analytic")


def test_the_import_parser_sees_real_imports():
    """Control: the parser finds known imports, so the rules below are not vacuous."""
    build = {i.module for i in imports(SIM / "model" / "build.py")}
    assert {"simpy", "sim.system", "sim.monitors.protocol", "sim.model.dispatch"} <= build
    est = [i for f in ("queueing.py", "core.py") for i in imports(SIM / "analytic" / "estimate" / f)]
    assert any(i.module == "sim.analytic.queues" and i.top_level for i in est)
    assert any(i.module == "sim.costs" and not i.top_level for i in est)  # (lazy, in a function)
    assert any(i.module == "sim.system" and not i.top_level for i in est)  # (type checking only)
    variates = {i.module for i in imports(SIM / "model" / "variates.py")}
    assert "sim.rng" in variates  # from sim import rng as streams


def test_type_checking_imports_do_not_run_at_import_time(tmp_path):
    """Control: an ``if TYPE_CHECKING:`` block's import is seen but is not top-level; its
    ``else`` branch and the code around it still are."""
    path = tmp_path / "example.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "import numpy\n"
        "if TYPE_CHECKING:\n"
        "    from sim.system import ServiceSystem\n"
        "else:\n"
        "    import sim.rng\n"
        "if numpy:\n"
        "    import sim.stats\n",
        encoding="utf-8",
    )
    found = {i.module: i.top_level for i in imports(path)}
    assert found == {"typing": True, "numpy": True, "sim.system": False, "sim.rng": True, "sim.stats": True}


@pytest.mark.parametrize("path", [p for p in ALL_FILES if p not in MODEL_FILES], ids=rel)
def test_only_the_model_imports_simpy(path):
    """SimPy is an implementation detail of sim/model/."""
    bad = [i for i in imports(path) if root_of(i.module) == "simpy"]
    assert not bad, f"{rel(path)}:{bad[0].line} imports simpy"


@pytest.mark.parametrize("path", LEAF_FILES, ids=rel)
def test_leaf_modules_import_no_other_project_module(path):
    """config, distributions and rng sit at the bottom: no `sim` import at module level
    but the KPI catalogue (which imports nothing of the project at all); the modules of
    the config package import each other."""
    allowed = () if path.name == "kpis.py" else (CATALOGUE,)
    own = "sim.config." if path.parent == SIM / "config" else None
    bad = [
        i
        for i in imports(path)
        if i.top_level
        and is_project(i.module)
        and i.module not in allowed
        and not (own and i.module.startswith(own))
    ]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


@pytest.mark.parametrize("path", ANALYTIC_FILES, ids=rel)
def test_analytic_imports_nothing_outside_itself_at_module_level(path):
    """The closed forms stand alone (a lazy import inside a function is allowed)."""
    bad = [
        i
        for i in imports(path)
        if i.top_level
        and is_project(i.module)
        and not i.module.startswith("sim.analytic")
        and i.module != CATALOGUE
    ]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


ALLOWED_FOR_MODEL = (
    "sim.config",
    "sim.system",
    "sim.distributions",
    "sim.rng",
    "sim.calendar",
    "sim.monitors.protocol",
    "sim.kpis",
    "sim.model",
)


@pytest.mark.parametrize("path", MODEL_FILES, ids=rel)
def test_model_imports_only_config_distributions_rng_monitor_protocol(path):
    """The model depends downwards only (config, distributions, rng, calendar, and of the
    monitors only the protocol it reports to): never on the tallies, the experiment
    layer, stats, results, report or cli."""
    bad = [
        i
        for i in imports(path)
        if is_project(i.module)
        and not any(i.module == a or i.module.startswith(a + ".") for a in ALLOWED_FOR_MODEL)
    ]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


MONITOR_FILES = py_files(SIM / "monitors")


def test_the_monitor_protocol_imports_nothing_of_the_project():
    """What the model reports to stands alone: the tallies may change without the model."""
    bad = [i for i in imports(SIM / "monitors" / "protocol.py") if is_project(i.module)]
    assert not bad, f"sim/monitors/protocol.py:{bad[0].line} imports {bad[0].module}"


@pytest.mark.parametrize("path", MONITOR_FILES, ids=rel)
def test_monitors_never_import_the_model(path):
    """The monitors are told what happens; they never reach into the model."""
    bad = [i for i in imports(path) if i.module == "sim.model" or i.module.startswith("sim.model.")]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


FORBIDDEN_IN_MODEL = {"pandas", "plotly", "pathlib", "shutil", "io", "csv", "pyarrow"}
FILE_CALLS = {
    "open",
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "to_csv",
    "to_parquet",
    "read_csv",
    "read_parquet",
}


@pytest.mark.parametrize("path", MODEL_FILES, ids=rel)
def test_model_uses_no_pandas_plotly_or_files(path):
    """The model turns a scenario into recorder calls: no tables, no plots, no files."""
    bad = [i for i in imports(path) if root_of(i.module) in FORBIDDEN_IN_MODEL]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            assert name not in FILE_CALLS, f"{rel(path)}:{node.lineno} calls {name}()"


EXPERIMENT_FILES = py_files(SIM / "experiment")
#: what the experiment layer builds on (the results folder, the statistics, the model, the
#: monitors, the resolved system, and the leaves)
ALLOWED_FOR_EXPERIMENT = (
    "sim.experiment",
    "sim.model",
    "sim.monitors",
    "sim.system",
    "sim.stats",
    "sim.results",
    "sim.analytic",
    "sim.costs",
    "sim.bounds",
    "sim.config",
    "sim.distributions",
    "sim.rng",
    "sim.kpis",
    "sim.errors",
)
#: the layers below the experiment: none of them may import it, not even inside a function
BELOW_EXPERIMENT = [
    p
    for p in ALL_FILES
    if p not in EXPERIMENT_FILES
    and rel(p).split("/")[1].removesuffix(".py")
    in {"model", "monitors", "system", "stats", "results", "analytic", "costs", "bounds", "config"}
    | {"distributions", "rng", "kpis", "calendar", "errors", "report"}
]


def test_the_experiment_rules_see_real_imports():
    """Control: the experiment layer imports the model, and the files below are found."""
    found = {".".join(i.module.split(".")[:2]) for p in EXPERIMENT_FILES for i in imports(p)}
    assert {"sim.model", "sim.stats", "sim.results"} <= found
    assert "sim.monitors" in found
    assert {"model", "stats.py", "results.py", "report"} <= {rel(p).split("/")[1] for p in BELOW_EXPERIMENT}


@pytest.mark.parametrize("path", EXPERIMENT_FILES, ids=rel)
def test_experiment_imports_only_the_layers_below_it(path):
    """Tasks, tables and manifests build on the model, monitors, stats and results: never
    on the report, the CLI, the studies or the API."""
    bad = [
        i
        for i in imports(path)
        if is_project(i.module)
        and not any(i.module == a or i.module.startswith(a + ".") for a in ALLOWED_FOR_EXPERIMENT)
    ]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


def test_the_backends_know_nothing_of_the_simulator():
    """Backends are given a chunk function and how to name a task: no project import."""
    bad = [i for i in imports(SIM / "experiment" / "backends.py") if is_project(i.module)]
    assert not bad, f"sim/experiment/backends.py:{bad[0].line} imports {bad[0].module}"


@pytest.mark.parametrize("path", BELOW_EXPERIMENT, ids=rel)
def test_nothing_below_the_experiment_imports_it(path):
    """The dependency runs one way: model, monitors, stats, results and report never reach up."""
    bad = [i for i in imports(path) if i.module == "sim.experiment" or i.module.startswith("sim.experiment.")]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


REPORT_FILES = [p for p in [SIM / "report.py"] if p.exists()] + py_files(SIM / "report")


@pytest.mark.skipif(not REPORT_FILES, reason="no sim/report.py or sim/report/ yet")
@pytest.mark.parametrize("path", REPORT_FILES, ids=rel)
def test_report_imports_nothing_from_the_model(path):
    """The report reads DataFrames only; it never builds or runs a model."""
    bad = [
        i
        for i in imports(path)
        if i.module == "sim.model" or i.module.startswith("sim.model.") or root_of(i.module) == "simpy"
    ]
    assert not bad, f"{rel(path)}:{bad[0].line} imports {bad[0].module}"


def test_run_sim_is_a_thin_shim():
    """run_sim.py only hands argv to sim.cli.main."""
    found = {i.module for i in imports(ROOT / "run_sim.py")}
    assert found <= {"sys", "sim.cli"}
    tree = ast.parse((ROOT / "run_sim.py").read_text(encoding="utf-8"))
    assert not [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]


def test_the_model_is_built_in_order_with_nothing_wired_afterwards():
    """sim/model/build.py builds positions, policies, teams and sources in that order, each
    from constructor arguments: no function in it assigns an attribute of another object
    (``team.line = ...``), and there is one call-source constructor call."""
    tree = ast.parse((SIM / "model" / "build.py").read_text(encoding="utf-8"))
    wired = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
    ]
    assert not wired, f"sim/model/build.py assigns attributes after construction: {wired}"
    names = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert names.count("call_source") == 1
    assert not {"Fleet", "ExponentialFleet", "PoissonCalls"} & set(names)


def test_no_scenario_object_reaches_the_model():
    """The model reads the resolved ServiceSystem only: from sim.config it imports no name
    but the pure grid function, and build, simulate and machine_places take a system."""
    import importlib
    import inspect

    build_module = importlib.import_module("sim.model.build")
    for path in MODEL_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "sim.config":
                names = {a.name for a in node.names}
                assert names <= {"team_grid"}, f"{rel(path)}:{node.lineno} imports {names} from sim.config"
            assert not (isinstance(node, ast.Import) and any(a.name == "sim.config" for a in node.names))
    for name in ("build", "simulate", "machine_places"):
        params = inspect.signature(getattr(build_module, name)).parameters
        annotations = [p.annotation for p in params.values()]
        assert "ServiceSystem" in annotations and "Scenario" not in annotations, (name, annotations)


# ---------------------------------------------------------------------------
# One resolved system: below the scenario, the analytic layer, the cost model, the report,
# the monitor set, the work estimate and the targets read sim.system.ServiceSystem (built
# once by their callers), not the pydantic Scenario (the model: see above).

SYSTEM_READERS = [
    *ANALYTIC_FILES,
    SIM / "costs.py",
    *REPORT_FILES,
    SIM / "monitors" / "build.py",
    SIM / "bounds.py",
    SIM / "targets.py",
]
#: functions in files that also work on the scenario as written, which read the system
#: only (their bodies are checked like the readers above)
SYSTEM_READER_FUNCTIONS = {
    SIM / "experiment" / "tables.py": {"kpi_names", "calls_table"},
    SIM / "experiment" / "rows.py": {"ftf_identity_applies", "ftf_identity_gap"},
    SIM / "experiment" / "blocks.py": {"auto_blocks"},
    SIM / "experiment" / "plan.py": {"task_work"},
    SIM / "experiment" / "manifest.py": {"targets_manifest", "machine_layout"},
}
#: the one count read from the scenario as written: the design points of its sweep and
#: variants (a system is one design point), with the type it names for annotations
BOUNDS_SCENARIO_FUNCTIONS = {"grid_size"}
#: what the report may take from sim.config: rebuilding a design point's scenario from the
#: manifest (then converted with ServiceSystem.from_scenario) and reading its locations file
REPORT_CONVERTS = {"sim.config"}
REPORT_CONFIG_NAMES = {
    "Scenario",
    "ScenarioError",
    "read_locations",
    "set_dotted",
    "validate_scenario",
    "with_overrides",
}
#: functions of the report that work on the scenario as written: its keys for labels, and
#: the rebuilding of a design point's scenario before its conversion
REPORT_SCENARIO_FUNCTIONS = {"_differences", "_rebuild"}


def _scenario_only_names() -> set[str]:
    """Attribute names that only the pydantic scenario has: its sections the system does
    not keep, its distribution tables, its helpers, and pydantic's own methods."""
    import dataclasses
    import typing

    from pydantic import BaseModel

    import sim.system
    from sim.config import Scenario
    from sim.config.specs import _DistSection

    system: set[str] = set()
    for obj in vars(sim.system).values():
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            system |= {f.name for f in dataclasses.fields(obj)} | {
                n for n in dir(obj) if not n.startswith("_")
            }

    def kinds(tp: object) -> list[object]:
        args = typing.get_args(tp)
        return [k for a in args for k in kinds(a)] if args else [tp]

    names = {"model_dump", "model_fields", "model_copy", "model_validate"}
    names |= set(Scenario.model_fields) - {"targets"}  # (the report's targets read the manifest)
    todo, seen = [Scenario], set()
    while todo:
        model = todo.pop()
        if model in seen or model.__name__ == "Targets":
            continue
        seen.add(model)
        names |= {n for n, v in vars(model).items() if isinstance(v, property) or callable(v)} - {
            "model_config"
        }
        for field, info in model.model_fields.items():
            for kind in kinds(info.annotation):
                if isinstance(kind, type) and issubclass(kind, _DistSection):
                    names.add(field)
                elif isinstance(kind, type) and issubclass(kind, BaseModel):
                    todo.append(kind)
    return {n for n in names if not n.startswith("_")} - system


SCENARIO_ONLY = _scenario_only_names()


def test_the_scenario_only_names_are_the_ones_a_reader_would_misuse():
    """Control: the derived names hold the scenario's distribution tables and helpers (so
    the rule below can fail), and none that the system also has."""
    assert {"fleet", "time_h", "time_to_failure_h", "preference_lists", "model_dump"} <= SCENARIO_ONLY
    assert not {"territories", "travel", "repair", "classes", "parts", "costs"} & SCENARIO_ONLY


def _scenario_attribute(path: Path, nodes: list[ast.AST], allowed: set[int] | None = None) -> str | None:
    """Where in ``nodes`` an attribute only the pydantic scenario has is read (outside the
    nodes ``allowed``)."""
    allowed = allowed or set()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Attribute) and node.attr in SCENARIO_ONLY and id(node) not in allowed:
                return f"{rel(path)}:{node.lineno} reads .{node.attr} of the pydantic scenario"
    return None


def _function_nodes(tree: ast.AST, names: set[str]) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in names]


@pytest.mark.parametrize("path", SYSTEM_READERS, ids=rel)
def test_readers_of_the_system_do_not_interpret_the_scenario(path):
    """The analytic layer, the costs, the report, the monitor set, the bounds and the
    targets read ServiceSystem: they import nothing of sim.config (the report: only to
    rebuild and convert a manifest's scenario; the bounds: the type of the scenario whose
    sweep grid they count) and use no attribute that only the pydantic scenario has."""
    report, bounds = path in REPORT_FILES, path == SIM / "bounds.py"
    for i in imports(path):
        if i.module == "sim.config" or i.module.startswith("sim.config."):
            typed = bounds and not i.top_level
            assert (report and i.module in REPORT_CONVERTS) or typed, (
                f"{rel(path)}:{i.line} imports {i.module}"
            )
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim.config"):
            names = {a.name for a in node.names}
            permitted = REPORT_CONFIG_NAMES if report else {"Scenario"}
            assert names <= permitted, f"{rel(path)}:{node.lineno} imports {names - permitted}"
    exempt = REPORT_SCENARIO_FUNCTIONS if report else BOUNDS_SCENARIO_FUNCTIONS if bounds else set()
    allowed = {id(n) for f in _function_nodes(tree, exempt) for n in ast.walk(f)}
    found = _scenario_attribute(path, [tree], allowed)
    assert found is None, found


@pytest.mark.parametrize("path", list(SYSTEM_READER_FUNCTIONS), ids=rel)
def test_functions_that_read_the_system_do_not_interpret_the_scenario(path):
    """kpi_names, the first-time-fix identity and the manifest's targets and map read the
    ServiceSystem, though their files also handle the scenario as written."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = _function_nodes(tree, SYSTEM_READER_FUNCTIONS[path])
    assert {f.name for f in functions} == SYSTEM_READER_FUNCTIONS[path]
    found = _scenario_attribute(path, list(functions))
    assert found is None, found


def test_the_readers_take_a_system():
    """The monitor set, the tables' KPI names, the work estimate, the recommendation and the
    manifest's targets are called with a ServiceSystem (or its targets), not a Scenario."""
    import inspect

    import sim.bounds
    import sim.experiment.blocks
    import sim.experiment.manifest
    import sim.experiment.tables
    import sim.monitors.build
    import sim.targets

    readers = {
        sim.monitors.build.monitors_for: "ServiceSystem",
        sim.monitors.build.trips_take_time: "ServiceSystem",
        sim.experiment.tables.kpi_names: "ServiceSystem",
        sim.bounds.calls_per_h: "ServiceSystem",
        sim.bounds.estimate: "Mapping[str, ServiceSystem]",
        sim.targets.recommend: "Targets",
        sim.experiment.manifest.targets_manifest: "ServiceSystem",
        sim.experiment.blocks.auto_blocks: "ServiceSystem",
    }
    for function, kind in readers.items():
        annotations = [p.annotation for p in inspect.signature(function).parameters.values()]
        assert kind in annotations, (function.__name__, annotations)
        assert not any("Scenario" in str(a) and "ServiceSystem" not in str(a) for a in annotations)


def test_the_scenario_attribute_check_finds_a_misuse():
    """Control: a function reading the scenario's distribution table is caught; the same
    read inside an exempt function is not."""
    path = ROOT / "sim" / "example.py"
    tree = ast.parse("def f(sc):\n    return sc.fleet.time_to_failure_h\n\ndef g(sc):\n    return sc.fleet\n")
    assert _scenario_attribute(path, [tree]) is not None
    exempt = {id(n) for f in _function_nodes(tree, {"f", "g"}) for n in ast.walk(f)}
    assert _scenario_attribute(path, [tree], exempt) is None
