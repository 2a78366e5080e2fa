"""Command line: ``python run_sim.py [run|analytic|validate|optimize|select|report|STUDY] ...``.

With no arguments the default study (:data:`sim.studies.DEFAULT`) runs.  Errors a
user can cause print one line (file, key, reason) and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim import __version__
from sim.resources import scenario_path
from sim.studies import DEFAULT as DEFAULT_STUDY
from sim.studies import STUDIES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_RESULTS = Path("results")
VALIDATION_DIR = scenario_path("validation")  # shipped with the package (sim.resources)


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2 (argparse's own convention)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="run_sim.py",
        description="Simulate after-sales field service and compare with queueing theory. "
        f"Without a command, runs the default study ({DEFAULT_STUDY}).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
        sp.add_argument(
            "--backend",
            choices=("serial", "process", "dask"),
            default="process",
            help="serial, a process pool (default) or dask.distributed",
        )
        sp.add_argument(
            "--dask-address",
            default=None,
            metavar="ADDR",
            help="scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (default: a local cluster)",
        )
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument(
            "--force",
            action="store_true",
            help="run even beyond the size limits (simulated calls, design points, workers; "
            "see docs/scenario_reference.md)",
        )

    r = sub.add_parser("run", help="run a scenario file and write results/<run-id>/")
    r.add_argument("file", nargs="?", help="scenario TOML file (optional with --resume)")
    r.add_argument(
        "--sweep",
        dest="sweeps",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="sweep a key over values or an integer range LOW..HIGH, e.g. territories.technicians=1..4 "
        "(adds to the file's [sweep])",
    )
    r.add_argument("--resume", metavar="RUN_DIR", help="complete a run that was killed")
    r.add_argument(
        "--shard",
        metavar="K/N",
        help="run only part K of N of the study (every N-th task) into a folder of its own, "
        "e.g. one per batch array job; join the parts with: merge",
    )
    r.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set territories.technicians=2",
    )
    r.add_argument("--replications", type=int, help="same as --set run.replications=N")
    r.add_argument("--seed", type=int, help="same as --set run.seed=S")
    r.add_argument("--out", default=str(DEFAULT_RESULTS), help="results folder (default: results)")
    r.add_argument("--records", action="store_true", help="also write per-call calls.parquet")
    r.add_argument(
        "--no-interval-check",
        action="store_true",
        help="skip the independent pilot (2 replications per design point) behind the warnings "
        "that a run is too short for its intervals",
    )
    r.add_argument(
        "--precision",
        type=float,
        metavar="GAMMA",
        help="add replications until the KPI's relative 95%% half-width <= GAMMA/(1+GAMMA)",
    )
    r.add_argument(
        "--precision-abs",
        type=float,
        metavar="H",
        help="... or until its half-width <= H (for KPIs near zero)",
    )
    r.add_argument("--precision-kpi", default="wait_h", help="KPI for --precision (default wait_h)")
    r.add_argument("--max-replications", type=int, default=200, help="cap for --precision (default 200)")
    r.add_argument(
        "--baseline",
        metavar="DP",
        help="compare every design point with this one (e.g. dp000): paired "
        "differences under common random numbers, written to comparisons.csv",
    )
    r.add_argument(
        "--compare-kpi",
        action="append",
        default=[],
        metavar="KPI",
        help="KPI(s) for --baseline (default wait_h)",
    )
    common(r)

    a = sub.add_parser("analytic", help="closed-form estimates only")
    a.add_argument("file", help="scenario TOML file")
    a.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set territories.technicians=2",
    )
    a.add_argument("--json", action="store_true", help="print JSON")
    a.add_argument("--force", action="store_true", help="even beyond the limit of design points")

    v = sub.add_parser("validate", help="every validation case: simulation vs exact formula")
    v.add_argument("--quick", action="store_true", help="quarter horizon, doubled half-width allowance")
    v.add_argument("--case", action="append", default=[], help="only cases whose name contains this")
    v.add_argument("--dir", default=str(VALIDATION_DIR), help="folder of validation cases")
    v.add_argument(
        "--audit",
        type=int,
        metavar="N",
        help="instead: N random scenarios, every KPI labelled exact checked against simulation",
    )
    v.add_argument("--seed", type=int, default=1, help="root seed of --audit (default 1)")
    v.add_argument("--out", default=str(DEFAULT_RESULTS), help="--audit writes its cases here")
    common(v)

    o = sub.add_parser(
        "optimize",
        help="cheapest design meeting a constraint (analytic bracket + "
        "simulation with common random numbers)",
    )
    o.add_argument("file", help="scenario TOML file (with [costs] for cost objectives)")
    o.add_argument(
        "--minimize",
        default=None,
        help="objective KPI (default: the scenario's targets.minimize, else cost_per_day)",
    )
    o.add_argument(
        "--subject-to",
        dest="constraints",
        action="append",
        default=[],
        metavar="KPI<=X",
        help="e.g. 'wait_h<=2' or 'wait_h[critical]<=1' (repeatable; default: the "
        "scenario's targets.require)",
    )
    o.add_argument(
        "--over",
        action="append",
        default=[],
        metavar="KEY=LOW..HIGH",
        help="a decision variable: integer range or list, e.g. territories.technicians=1..6",
    )
    o.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set territories.technicians=2",
    )
    o.add_argument("--out", default=str(DEFAULT_RESULTS), help="results folder (default: results)")
    common(o)

    se = sub.add_parser("select", help="the best design point by Rinott's two-stage procedure")
    se.add_argument("file", help="scenario TOML file with at least 2 design points")
    se.add_argument(
        "--kpi",
        default=None,
        help="KPI to optimise (default: the scenario's targets.minimize or maximize, else wait_h)",
    )
    se.add_argument(
        "--delta",
        type=float,
        required=True,
        help="indifference zone: differences smaller than this do not matter",
    )
    se.add_argument("--maximize", action="store_true", help="the largest mean is best")
    se.add_argument(
        "--confidence", type=float, default=0.95, help="probability of a correct selection (default 0.95)"
    )
    se.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set territories.technicians=2",
    )
    se.add_argument(
        "--sweep",
        dest="sweeps",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="sweep a key over values or an integer range LOW..HIGH (adds to the file's [sweep])",
    )
    se.add_argument("--out", default=str(DEFAULT_RESULTS), help="results folder (default: results)")
    common(se)

    m = sub.add_parser(
        "merge", help="join the folders of a study's --shard runs into one run folder (as --resume would)"
    )
    m.add_argument("out", metavar="OUT", help="the run folder to create")
    m.add_argument("shards", metavar="SHARD_DIR", nargs="+", help="every shard folder of the study")
    common(m)

    rp = sub.add_parser("report", help="(re)build report.html of a run folder")
    rp.add_argument("run_dir", metavar="RUN_DIR", help="a run folder, e.g. results/<run-id>")
    rp.add_argument(
        "--self-contained",
        action="store_true",
        help="put plotly.js inside report.html (about 4.5 MB more) so the one file can be sent alone",
    )

    for name, (_, text) in STUDIES.items():
        d = sub.add_parser(name, help=text, description=text)
        d.add_argument("--out", default=str(DEFAULT_RESULTS), help="results folder (default: results)")
        common(d)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # no command, or only options (``--out DIR``): the default study, with those options
    default = not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"))
    args = _parser().parse_args([DEFAULT_STUDY, *argv] if default else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = [DEFAULT_STUDY, *argv]  # the default job takes its options without a command
    args = _parser().parse_args(argv)
    from sim.config import ScenarioError
    from sim.errors import ResultsError

    try:
        if args.command == "run":
            return _run(args, argv)
        if args.command == "analytic":
            return _analytic(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "optimize":
            return _optimize(args, argv)
        if args.command == "select":
            return _select(args, argv)
        if args.command == "merge":
            return _merge(args, argv)
        if args.command == "report":
            from sim.report import write_report

            try:
                out = write_report(Path(args.run_dir), self_contained=args.self_contained)
            except ResultsError:
                raise  # a damaged or foreign folder: its own one-line message
            except OSError as exc:
                raise ResultsError(f"{args.run_dir}: cannot write the report: {exc.strerror}") from None
            print(f"wrote {out}")
            return EXIT_OK
        if args.command in STUDIES:
            from sim.studies import study_module

            _check_counts(args)
            _check_scheduler(args)
            _check_writable(Path(args.out))
            return study_module(args.command).run_study(
                Path(args.out),
                args.backend,
                args.workers,
                not args.quiet,
                argv,
                dask_address=args.dask_address,
            )
    except (ScenarioError, UsageError, ResultsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if type(exc).__name__ != "RunInterrupted":  # (sim.experiment is imported only when needed)
            raise
        print(str(exc), file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the final flush
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    raise AssertionError(args.command)  # pragma: no cover


def _check_counts(args: argparse.Namespace) -> None:
    from sim.bounds import max_workers

    out = getattr(args, "out", None)
    if out is not None and not out.strip():
        raise UsageError("--out: an empty folder name; give a folder, e.g. --out results")

    if getattr(args, "workers", None) is not None and args.workers < 1:
        raise UsageError(f"--workers: must be at least 1 (got {args.workers})")
    if getattr(args, "workers", None) is not None and args.workers > max_workers() and not args.force:
        raise UsageError(
            f"--workers: {args.workers:,} worker processes is above the limit of {max_workers()} "
            f"(4 per core, at least 64) on this machine; use fewer, or add --force"
        )
    if getattr(args, "dask_address", None):
        from sim.experiment.backends import check_dask_address

        try:
            check_dask_address(args.dask_address)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if args.backend != "dask":
            raise UsageError("--dask-address: only with --backend dask")


def _check_scheduler(args: argparse.Namespace) -> None:
    """With --dask-address, a scheduler must answer (within seconds) before anything is written."""
    if getattr(args, "dask_address", None):
        from sim.experiment.backends import check_scheduler

        try:
            check_scheduler(args.dask_address)
        except ValueError as exc:
            raise UsageError(str(exc)) from None


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    _check_counts(args)
    scenario, points, source = _resolve_run(args)  # (before the heavy imports: fast errors)
    from sim.experiment.experiment import execute
    from sim.experiment.interval_check import pilot_tasks

    if args.baseline and args.baseline not in [p.id for p in points]:
        raise UsageError(
            f"--baseline: no design point {args.baseline!r} (there are {', '.join(p.id for p in points)})"
        )
    for kpi in args.compare_kpi:
        _known_kpi(kpi, scenario, "--compare-kpi")
    out = Path(args.out)
    if not args.resume:
        _check_writable(out)
    _check_scheduler(args)
    shard = _shard(args)
    if shard is not None:
        return _run_shard(args, argv, scenario, points, source, shard)
    precision = _precision(args, scenario)
    if not args.resume:
        _check_work(points, source, args.force, precision)
    check = not args.no_interval_check
    banner = f"{_printable(scenario.meta.name)}: {_plan_text(points)}, backend {args.backend}"
    if check and (pilot := len(pilot_tasks(points))):
        banner += f"; then {pilot} pilot task(s) for the interval check (--no-interval-check skips it)"
    exp = execute(
        scenario,
        points,
        out,
        argv,
        source,
        args.backend,
        args.workers,
        args.records,
        progress=False if args.quiet else None,
        resume=args.resume,
        dask_address=args.dask_address,
        precision=precision,
        announce=lambda: print(banner, file=sys.stderr),
        interval_check=check,
    )
    study = _study_of(args.resume) if args.resume else None
    if study is not None:  # a resumed study prints what the study prints
        from sim.studies import study_module

        study_module(study).print_results(exp, points)
    else:
        _print_summary(exp, scenario, points)
    for dp, why in exp.unstable.items():
        print(f"warning: {dp}: {why}", file=sys.stderr)
    from sim.stats import interval_warnings

    for line in interval_warnings(exp.summary, exp.interval_check):
        print(f"warning: {line}", file=sys.stderr)
    if exp.precision:
        print(_precision_text(exp.precision, args.precision_kpi))
    if args.baseline:
        print(_comparisons(exp, args.baseline, args.compare_kpi or ["wait_h"]))
    report = _report_after_tables(exp.path)
    print(f"\nwrote {exp.path}  ({exp.wall_s:.1f} s)\nreport: {report}")
    if exp.failures:
        print(
            f"error: {len(exp.failures)} of {len(exp.results)} task(s) failed; tracebacks are in "
            f"{exp.path / 'manifest.json'}",
            file=sys.stderr,
        )
        first = exp.failures[0].error or ""
        print(first.strip().splitlines()[-1], file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _check_work(points: Sequence[Any], source: str, force: bool, precision: Any = None) -> None:
    """Refuse a run that would simulate more calls than the limit (unless forced);
    with ``--precision`` its worst case, every point at ``--max-replications``."""
    from sim.bounds import estimate, too_much
    from sim.config import ScenarioError

    if force:
        return
    if precision is not None:
        work = estimate(_systems(points), precision.max_replications, "--max-replications")
    else:
        work = estimate(_systems(points))
    why = too_much(work)
    if why:
        raise ScenarioError(source, work.key, why)


def _systems(points: Sequence[Any]) -> dict[str, Any]:
    """Each design point's resolved system, by id."""
    from sim.system import ServiceSystem

    return {p.id: ServiceSystem.from_scenario(p.scenario) for p in points}


def _check_second_stage(plan: dict[str, int], points: Sequence[Any], args: argparse.Namespace) -> None:
    """Rinott's stage 2 needs ``plan`` replications per point: refuse it when too many."""
    from sim.bounds import MAX_POINT_REPLICATIONS, estimate, too_much

    worst = max(plan.values())
    why = None
    if worst > MAX_POINT_REPLICATIONS:
        why = (
            f"Rinott's second stage needs up to {worst:,} replications of a design point, "
            f"above the limit of {MAX_POINT_REPLICATIONS:,}"
        )
    else:
        why = too_much(estimate(_systems(points), plan, "--delta"))
    if why:
        raise UsageError(
            f"--delta: {args.delta:g} is too small for the variance stage 1 found: {why}; "
            "use a larger --delta, or add --force"
        )


def _check_grid(scenario: Any, source: str, force: bool) -> None:
    from sim.bounds import MAX_DESIGN_POINTS, grid_size
    from sim.config import ScenarioError

    n = grid_size(scenario)
    if n > MAX_DESIGN_POINTS and not force:
        sizes = [f"{len(scenario.variants)} variants"] if scenario.variants else []
        sizes += [f"{len(v)} ({_printable(k)})" for k, v in scenario.sweep.items()]
        raise ScenarioError(
            source,
            "sweep",
            f"{n:,} design points ({' x '.join(sizes)}) is above the limit of "
            f"{MAX_DESIGN_POINTS:,}; sweep fewer values, or add --force",
        )


def _plan_text(points: Sequence[Any]) -> str:
    """``2 design point(s) x 10 replication(s) = 20 task(s)``; each point's own count when
    ``run.replications`` is swept."""
    from sim.experiment.plan import planned_tasks

    reps = [p.scenario.run.replications for p in points]
    each = f"{reps[0]}" if len(set(reps)) == 1 else f"{min(reps)} to {max(reps)}"
    total = sum(reps)
    tasks = planned_tasks(points)
    done = f"{tasks} task(s)" if tasks == total else f"{total} replication(s) in {tasks} task(s)"
    return f"{len(points)} design point(s) x {each} replication(s) = {done}"


def _printable(text: str) -> str:
    """User text (names) shown on the terminal with control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _labels(points: Sequence[Any]) -> dict[str, str]:
    """Design points labelled by what differs between them (``technicians=2, pooled=3``)."""
    from sim.console import design_labels

    return design_labels({p.id: p.params for p in points})


def _currency(scenario: Any) -> str:
    return scenario.costs.currency if scenario.costs is not None else ""


def _print_summary(exp: Any, scenario: Any, points: Sequence[Any]) -> None:
    """Every design point's table, an overview of the points, and the recommendation."""
    from sim.console import overview_text, recommendation_text, summary_text
    from sim.system import ServiceSystem
    from sim.targets import recommend

    labels, currency = _labels(points), _currency(scenario)
    print(summary_text(exp.summary, targets=scenario.targets, currency=currency, labels=labels))
    if len(points) > 1:
        print("\noverview (means)\n" + overview_text(exp.summary, scenario.targets, currency, labels))
    targets = ServiceSystem.from_scenario(scenario).targets
    if targets is not None and targets.constraints:
        rec = recommend(exp.summary, targets)
        print("\n" + recommendation_text(rec, labels, currency))


def _study_of(run_dir: str) -> str | None:
    """The study (``manifest["study"]["name"]``) a run folder belongs to, if any."""
    try:
        man = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    study = man.get("study") if isinstance(man, dict) else None
    name = study.get("name") if isinstance(study, dict) else None
    return name if name in STUDIES else None


def _load(file: str, overrides: Sequence[str] = ()) -> Any:
    """Load a scenario and check that its ``[targets]`` name KPIs it produces."""
    from sim.config import check_target_kpis, load_scenario

    scenario = load_scenario(file, overrides)
    check_target_kpis(scenario, _kpi_names(scenario), file + (" (with --set)" if overrides else ""))
    return scenario


def _kpi_names(scenario: Any) -> list[str]:
    """The KPI columns of a scenario's tables (read from its resolved system)."""
    from sim.experiment.tables import kpi_names
    from sim.system import ServiceSystem

    return kpi_names(ServiceSystem.from_scenario(scenario))


def _shard(args: argparse.Namespace) -> tuple[int, int] | None:
    """``--shard K/N`` (or the shard of the folder given to ``--resume``), checked."""
    shard = None
    if args.shard is not None:
        from sim.experiment.shards import parse_shard

        try:
            shard = parse_shard(args.shard)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.resume:
        man = json.loads((Path(args.resume) / "manifest.json").read_text(encoding="utf-8"))
        own = man.get("shard") if isinstance(man, dict) else None
        if isinstance(own, dict):
            mine = (own.get("index"), own.get("count"))
            if shard is not None and shard != mine:
                raise UsageError(f"--shard: {args.resume} is shard {mine[0]}/{mine[1]}, not {args.shard}")
            shard = (int(str(mine[0])), int(str(mine[1])))
        elif shard is not None:
            raise UsageError(f"--shard: {args.resume} is not a shard folder; resume it without --shard")
    if shard is not None:
        for option, given in (
            ("--precision", args.precision is not None or args.precision_abs is not None),
            ("--baseline", args.baseline is not None),
        ):
            if given:
                raise UsageError(f"--shard: not with {option} (it needs every shard's results)")
    return shard


def _run_shard(
    args: argparse.Namespace,
    argv: Sequence[str],
    scenario: Any,
    points: list[Any],
    source: str,
    shard: tuple[int, int],
) -> int:
    from sim.experiment.shards import run_shard

    k, n = shard
    print(f"{_printable(scenario.meta.name)}: shard {k}/{n} of {_plan_text(points)}", file=sys.stderr)
    res = run_shard(
        scenario,
        points,
        Path(args.out),
        argv,
        source,
        shard,
        args.backend,
        args.workers,
        args.records,
        progress=False if args.quiet else None,
        resume=Path(args.resume) if args.resume else None,
        dask_address=args.dask_address,
    )
    print(f"wrote shard {k}/{n} ({res.tasks} task(s)) in {res.path}")
    print(
        f"when all {n} shards are done: python run_sim.py merge OUT SHARD_DIR... (every shard's folder)",
        file=sys.stderr,
    )
    if res.failed:
        print(
            f"error: {len(res.failed)} of {res.tasks} task(s) failed; merge runs them again", file=sys.stderr
        )
        return EXIT_FAILED
    return EXIT_OK


def _merge(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Join the shards into the folder --resume would produce, with its report."""
    _check_counts(args)
    out = Path(args.out)
    _check_writable(out.parent)
    _check_scheduler(args)
    from sim.console import summary_text
    from sim.experiment.experiment import execute
    from sim.experiment.shards import prepare_merge
    from sim.report import write_report

    scenario, points, folder, source = prepare_merge(out, [Path(d) for d in args.shards])
    exp = execute(
        scenario,
        points,
        out.parent,
        argv,
        source,
        args.backend,
        args.workers,
        progress=False if args.quiet else None,
        resume=folder,
        dask_address=args.dask_address,
    )
    print(summary_text(exp.summary))
    report = write_report(exp.path)
    print(f"\nmerged {len(args.shards)} shard(s) into {exp.path}\nreport: {report}")
    if exp.failures:
        print(f"error: {len(exp.failures)} of {len(exp.results)} task(s) failed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _report_after_tables(run_dir: Path) -> Path:
    """Write the report of a run whose tables are written; if that fails (a full disk, a
    report bug), one line says that the tables are safe and how to retry."""
    from sim.errors import ResultsError
    from sim.report import write_report

    try:
        return write_report(run_dir)
    except Exception as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise ResultsError(
            f"{run_dir}: the report could not be written ({_printable(why.splitlines()[0])}); the "
            f"tables are safe in that folder; rebuild it with: python run_sim.py report {run_dir}"
        ) from None


def _known_kpi(kpi: str, scenario: Any, option: str) -> None:
    known = _kpi_names(scenario)
    if kpi not in known:
        raise UsageError(f"{option}: unknown KPI {kpi!r}; known: {', '.join(known)}")


def _precision(args: argparse.Namespace, scenario: Any) -> Any:
    from sim.experiment.precision import Precision

    if args.precision is None and args.precision_abs is None:
        return None
    from sim.bounds import MAX_POINT_REPLICATIONS

    for name, value in (("--precision", args.precision), ("--precision-abs", args.precision_abs)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise UsageError(f"{name}: must be a positive finite number (got {value})")
    if args.max_replications > MAX_POINT_REPLICATIONS:
        raise UsageError(
            f"--max-replications: {args.max_replications:,} is above the limit of "
            f"{MAX_POINT_REPLICATIONS:,} replications per design point"
        )
    known = _kpi_names(scenario)
    if args.precision_kpi not in known:
        raise UsageError(f"--precision-kpi: unknown KPI {args.precision_kpi!r}; known: {', '.join(known)}")
    if args.max_replications < scenario.run.replications:
        raise UsageError(
            f"--max-replications: {args.max_replications} is below run.replications "
            f"({scenario.run.replications})"
        )
    return Precision(args.precision_kpi, args.precision, args.precision_abs, args.max_replications)


def _precision_text(reached: dict[str, Any], kpi: str) -> str:
    from sim.console import fmt, table

    rows = [
        (
            dp,
            r["replications"],
            fmt(r["mean"]),
            fmt(r["half_width"]),
            "met" if r["met"] else "NOT met (maximum reached)",
        )
        for dp, r in reached.items()
    ]
    return (
        "\nprecision on "
        + kpi
        + "\n"
        + table(rows, ("point", "replications", "mean", "half-width", "target"))
    )


def _comparisons(exp: Any, baseline: str, kpis: list[str]) -> str:
    """Paired differences against the baseline; also written to comparisons.csv."""
    import pandas as pd

    from sim.console import fmt, table
    from sim.results import write_table
    from sim.stats import paired_comparison

    reps = exp.replications
    reps = reps[reps["class"] == "all"]
    rows, records = [], []
    base = reps[reps["design_point"] == baseline].sort_values("replication")
    for dp, other in reps.groupby("design_point", sort=False):
        if dp == baseline:
            continue
        other = other.sort_values("replication")
        n = min(len(base), len(other))
        for kpi in kpis:
            r = paired_comparison(other[kpi].to_numpy()[:n], base[kpi].to_numpy()[:n])
            records.append(
                {
                    "design_point": dp,
                    "baseline": baseline,
                    "kpi": kpi,
                    "n": r.n,
                    "mean_difference": r.mean_difference,
                    "ci_low": r.ci.low,
                    "ci_high": r.ci.high,
                    "var_paired": r.var_paired,
                    "var_independent": r.var_independent,
                    "variance_reduction": r.variance_reduction,
                }
            )
            verdict = "lower" if r.ci.high < 0 else "higher" if r.ci.low > 0 else "not distinguishable"
            rows.append(
                (
                    dp,
                    kpi,
                    fmt(r.mean_difference),
                    f"[{fmt(r.ci.low)}, {fmt(r.ci.high)}]",
                    verdict,
                    f"{r.variance_reduction:.1f}x",
                )
            )
    write_table(exp.path, "comparisons.csv", pd.DataFrame(records))
    return f"\npaired differences against {baseline} (common random numbers)\n" + table(
        rows, ("point", "KPI", "difference", "95% CI", "vs baseline", "variance reduction")
    )


def _resolve_run(args: argparse.Namespace) -> tuple[Any, list[Any], str]:
    """The scenario and design points to run: from the file, or from the run to resume."""
    from sim.config import ScenarioError, apply_cli_sweeps, expand_sweep, load_scenario

    overrides = list(args.overrides)
    if args.replications is not None:
        overrides.append(f"run.replications={args.replications}")
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    if args.resume:
        if overrides or args.sweeps:
            raise UsageError(
                "--resume: the run's own settings are used; drop --set, --sweep, --replications and --seed"
            )
        from sim.experiment.manifest import points_from_manifest
        from sim.results import RunFolder

        _, man = RunFolder.open_for_resume(args.resume)
        scenario, points = points_from_manifest(man, f"{args.resume}/manifest.json")
        if args.file:
            mine = load_scenario(args.file)
            if mine.config_hash() != man.get("config_hash"):
                raise ScenarioError(
                    args.file,
                    "",
                    f"is not the scenario of the run {args.resume} (different settings); nothing was changed",
                )
        return scenario, points, man.get("scenario_file", "")
    if not args.file:
        raise UsageError("run: give a scenario FILE (or --resume RUN_DIR)")
    scenario = _load(args.file, overrides)
    if args.sweeps:
        scenario = apply_cli_sweeps(scenario, _sweep_ranges(args.sweeps), args.file, overrides)
    _check_grid(scenario, args.file, args.force)
    return scenario, expand_sweep(scenario, args.file), args.file


def _sweep_ranges(sweeps: Sequence[str]) -> list[str]:
    """``--sweep key=1..4`` -> ``key=1,2,3,4`` (the integer ranges of ``--over``)."""
    from sim.optimize import RANGE, parse_over

    out = []
    for text in sweeps:
        _, sep, values = text.partition("=")
        if sep and RANGE.match(values):
            try:
                k, vals = parse_over(text)
            except ValueError as exc:
                raise UsageError(str(exc).replace("--over", "--sweep")) from None
            text = f"{k}={','.join(map(str, vals))}"
        out.append(text)
    return out


def _check_writable(out: Path) -> None:
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise UsageError(f"{out}: results folder is not writable")


def _analytic(args: argparse.Namespace) -> int:
    from sim.analytic import estimate
    from sim.config import expand_sweep, load_scenario
    from sim.console import exactness, fmt, table
    from sim.system import ServiceSystem

    scenario = load_scenario(args.file, args.overrides)
    _check_grid(scenario, args.file, args.force)
    points = expand_sweep(scenario, args.file)
    payload: list[dict[str, Any]] = []
    for p in points:
        est = estimate(ServiceSystem.from_scenario(p.scenario))
        payload.append(
            {
                "design_point": p.id,
                "params": p.params,
                "unstable": est.unstable,
                "notes": est.notes,
                "estimates": [e.__dict__ | {"role": "primary"} for e in est.primary]
                + [e.__dict__ | {"role": "alternative"} for e in est.alternatives],
            }
        )
    if args.json:
        print(json.dumps(payload, indent=2))
        return EXIT_OK
    labels = _labels(points)
    for item in payload:
        params = labels.get(item["design_point"], "")
        print(f"{item['design_point']}" + (f"  {params}" if params else ""))
        if item["unstable"]:
            print(f"  unstable: {item['unstable']}")
            continue
        rows = [
            (e["kpi"], e["service_class"], fmt(e["value"]), e["model"], exactness(e["exact"]), e["role"])
            for e in item["estimates"]
            if e["service_class"] == "all" or len(scenario.fleet.classes) > 1 or scenario.work is not None
        ]
        print(table(rows, ("KPI", "class", "value", "model", "exact?", "role")))
        # each note once, in the estimates' order (a set's order changes between runs)
        notes = dict.fromkeys([*(e["note"] for e in item["estimates"]), *item["notes"]])
        for note in notes:
            if note:
                print(f"  note: {note}")
        print()
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from sim.console import fmt, table
    from sim.validate import case_files, run_case

    _check_counts(args)
    if args.audit is not None:
        return _audit(args)
    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder of validation cases")
    files = [f for f in case_files(folder) if not args.case or any(c in f.stem for c in args.case)]
    if not files:
        raise UsageError(f"{folder}: no validation case matches")
    from sim.config import load_scenario

    for f in files:  # every case is checked before the first one runs (and prints)
        if load_scenario(f).validation is None:
            raise UsageError(f"{f}: not a validation case (no [validation] table)")
    rows, failed = [], 0
    for f in files:
        print(f"validating {f.stem} ...", file=sys.stderr, flush=True)
        for c in run_case(f, args.quick, args.backend, args.workers, progress=not args.quiet and None):
            failed += not c.passed
            rows.append(
                (
                    c.case,
                    c.design_point,
                    c.service_class,
                    c.kpi,
                    c.model + ("" if not c.tolerance else f" (approx, ±{c.tolerance:.0%})"),
                    fmt(c.exact),
                    fmt(c.mean),
                    f"[{fmt(c.ci_low)}, {fmt(c.ci_high)}]",
                    "-"
                    if math.isnan(c.rel_half_width)
                    else f"±{(c.ci_high - c.ci_low) / 2:.2g}"
                    if c.exact == 0
                    else f"{c.rel_half_width:.1%}",
                    c.verdict,
                )
            )
    print(
        table(
            rows,
            ("case", "point", "class", "KPI", "model", "formula", "simulated", "99% CI", "rel.hw", "result"),
        )
    )
    print(f"\n{len(rows) - failed} of {len(rows)} checks passed" + (" (quick mode)" if args.quick else ""))
    return EXIT_FAILED if failed else EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    """``validate --audit N``: random scenarios, every exact label put to the test."""
    import time
    from datetime import UTC, datetime

    from sim.audit import AUDIT_REL_HALF_WIDTH, RERUN_FACTOR, ScenarioAudit, run_audit
    from sim.console import fmt, table
    from sim.results import safe_name

    if args.audit < 1:
        raise UsageError(f"--audit: need at least 1 scenario (got {args.audit})")
    if args.seed < 0:
        raise UsageError(f"--seed: must be >= 0 (got {args.seed})")
    out = Path(args.out)
    _check_writable(out)
    folder = out / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}_{safe_name(f'audit-{args.seed}')}"
    t0 = time.perf_counter()

    def progress(item: ScenarioAudit, n: int) -> None:
        if args.quiet:
            return
        done.append(item)
        state = (
            f"ERROR {item.error}"
            if item.error
            else f"{len(item.checks)} exact KPIs, {len(item.alarms)} alarms"
            + (f", {len(item.confirmed)} confirmed" if item.rerun_checks else "")
        )
        print(
            f"[{len(done)}/{n}] {item.path.stem} ({item.description}): {state} "
            f"({time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    done: list[ScenarioAudit] = []
    res = run_audit(args.audit, args.seed, folder, args.backend, args.workers, progress)
    rows = []
    for item in res.scenarios:
        for c in item.alarms:
            again = [
                r
                for r in item.rerun_checks
                if (r.design_point, r.service_class, r.kpi) == (c.design_point, c.service_class, c.kpi)
            ]
            confirmed = any(r in item.confirmed for r in again)
            rows.append(
                (
                    item.path.stem,
                    c.service_class,
                    c.kpi,
                    c.model,
                    fmt(c.exact),
                    f"[{fmt(c.ci_low)}, {fmt(c.ci_high)}]",
                    f"[{fmt(again[0].ci_low)}, {fmt(again[0].ci_high)}]" if again else "-",
                    "CONFIRMED" if confirmed else "chance (rerun inside)",
                )
            )
    if rows:
        print(
            table(
                rows,
                ("scenario", "class", "KPI", "model", "exact", "99% CI", f"rerun x{RERUN_FACTOR}", "verdict"),
            )
        )
        print("\nreproduce a scenario with:")
        for item in res.scenarios:
            if item.alarms:
                print(f"  python run_sim.py validate --dir {folder} --case {item.path.stem}")
    for item in res.errors:
        print(f"error in {item.path}: {item.error}")
    print(
        f"\naudit seed {res.seed}: {len(res.scenarios)} scenarios checked ({res.drawn} drawn, "
        f"{res.drawn - len(res.scenarios)} with no exact label), {res.checked} exact KPIs checked, "
        f"{res.loose} with a 99% half-width above {AUDIT_REL_HALF_WIDTH:.0%}, {res.alarms} alarms, "
        f"{res.confirmed} confirmed failures, {len(res.errors)} errors "
        f"({time.perf_counter() - t0:.0f} s); cases in {folder}"
    )
    return EXIT_FAILED if res.confirmed or res.errors else EXIT_OK


def _optimize(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from sim.config import DesignPoint
    from sim.console import fmt, table
    from sim.experiment.experiment import execute
    from sim.optimize import bracket, candidates, decide, parse_constraint, parse_over

    _check_counts(args)
    scenario = _load(args.file, args.overrides)
    known = _kpi_names(scenario)
    targets = scenario.targets
    if args.minimize is None:
        objective = targets.objective if targets is not None else None
        if objective is not None and not objective[1]:
            raise UsageError(f"{args.file}: targets.maximize: optimize minimizes; give --minimize KPI")
        args.minimize = objective[0] if objective is not None else "cost_per_day"
    if not args.constraints and targets is not None:
        args.constraints = list(targets.require)
    try:
        if args.minimize not in known:
            raise ValueError(
                f"--minimize: unknown KPI {args.minimize!r}"
                + (
                    "; add a [costs] section for cost KPIs"
                    if "cost" in args.minimize
                    else f"; known: {', '.join(known)}"
                )
            )
        if not args.constraints:
            raise ValueError(
                "--subject-to: give at least one constraint, e.g. 'wait_h<=2' "
                "(or a [targets] require list in the scenario)"
            )
        constraints = [parse_constraint(c, known) for c in args.constraints]
        for cn in constraints:
            if cn.service_class != "all" and cn.service_class not in [k.name for k in scenario.fleet.classes]:
                raise ValueError(f"--subject-to: no service class {cn.service_class!r}")
        if not args.over:
            raise ValueError("--over: give at least one decision variable, e.g. territories.technicians=1..4")
        over = [parse_over(o) for o in args.over]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _check_writable(Path(args.out))
    _check_scheduler(args)
    n = math.prod(len(v) for _, v in over)
    from sim.bounds import MAX_DESIGN_POINTS

    if n > MAX_DESIGN_POINTS and not args.force:
        raise UsageError(
            f"--over: {n:,} candidates ({' x '.join(str(len(v)) for _, v in over)}) is above the "
            f"limit of {MAX_DESIGN_POINTS:,}; narrow the ranges, or add --force"
        )
    cands = candidates(scenario, over, args.file)
    bracket(cands, args.minimize, constraints)
    kept = [c for c in cands if not c.pruned]
    points = [DesignPoint(i, c.point.params, c.point.scenario) for i, c in enumerate(kept)]
    if points:
        _check_work(points, args.file, args.force)
    print(
        f"{len(cands)} candidate(s); {len(cands) - len(kept)} ruled out analytically; "
        f"{len(kept)} simulated with common random numbers",
        file=sys.stderr,
    )
    best = None
    if kept:
        for c, p in zip(kept, points, strict=True):
            c.point = p
        exp = execute(
            scenario,
            points,
            Path(args.out),
            argv,
            args.file,
            args.backend,
            args.workers,
            progress=False if args.quiet else None,
            dask_address=args.dask_address,
        )
        best = decide(kept, exp.summary, args.minimize, constraints)
        print(f"results: {exp.path}")
    rows = []
    first = constraints[0]
    for c in cands:
        params = ", ".join(f"{k}={v}" for k, v in c.point.params.items())
        a = c.analytic.get(first.kpi)
        sim_first = c.simulated.get(f"{first.kpi}[{first.service_class}]")
        sim_obj = c.simulated.get(f"{args.minimize}[all]")
        rows.append(
            (
                params,
                fmt(a[0]) if a else "-",
                f"{fmt(sim_first[0])} [{fmt(sim_first[1])}, {fmt(sim_first[2])}]" if sim_first else "-",
                fmt(sim_obj[0]) if sim_obj else "-",
                c.pruned or ("feasible" if c.feasible else "infeasible") + (" <- best" if c is best else ""),
            )
        )
    print(
        table(
            rows,
            ("candidate", f"analytic {first.kpi}", f"simulated {first}  [95% CI]", args.minimize, "verdict"),
        )
    )
    if best is None:
        print("\nno candidate meets " + " and ".join(map(str, constraints)) + " at 95 % confidence")
        return EXIT_FAILED
    m, lo, hi = best.simulated[f"{args.minimize}[all]"]
    print(
        f"\ncheapest design meeting {' and '.join(map(str, constraints))}: "
        + ", ".join(f"{k}={v}" for k, v in best.point.params.items())
        + f"  ({args.minimize} = {fmt(m)} [{fmt(lo)}, {fmt(hi)}]; every constraint holds over "
        "its whole 95 % confidence interval)"
    )
    return EXIT_OK


def _select(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from sim.config import apply_cli_sweeps, expand_sweep

    _check_counts(args)
    scenario = _load(args.file, args.overrides)
    if args.sweeps:
        scenario = apply_cli_sweeps(scenario, _sweep_ranges(args.sweeps), args.file, args.overrides)
    _check_grid(scenario, args.file, args.force)
    points = expand_sweep(scenario, args.file)
    if args.kpi is None:
        objective = scenario.targets.objective if scenario.targets is not None else None
        args.kpi, minimize = objective if objective is not None else ("wait_h", True)
        args.maximize = args.maximize or not minimize
    _known_kpi(args.kpi, scenario, "--kpi")
    if not (args.delta > 0 and math.isfinite(args.delta)):
        raise UsageError(f"--delta: must be a positive finite number (got {args.delta})")
    if not 0.5 < args.confidence < 1:
        raise UsageError(f"--confidence: must be in (0.5, 1) (got {args.confidence})")
    if len(points) < 2:
        raise UsageError(
            f"{args.file}: selecting the best needs at least 2 design points "
            "(give a [sweep], [[variants]] or --sweep)"
        )
    if scenario.run.replications < 2:
        raise UsageError("run.replications: Rinott's first stage needs at least 2 (10 or more is better)")
    _check_writable(Path(args.out))
    _check_scheduler(args)
    _check_work(points, args.file, args.force)  # stage 1
    from sim.console import fmt, table
    from sim.experiment.manifest import manifest_head
    from sim.results import run_id, write_run
    from sim.selection import select_best

    try:
        sel = select_best(
            scenario,
            points,
            args.kpi,
            args.delta,
            args.confidence,
            not args.maximize,
            args.backend,
            args.workers,
            progress=False if args.quiet else None,
            check_plan=None if args.force else lambda plan: _check_second_stage(plan, points, args),
        )
    except OverflowError:  # (h S / delta)^2 beyond any float: no stage 2 can be planned
        raise UsageError(
            f"--delta: {args.delta:g} is so small that Rinott's second stage needs more "
            "replications than can be counted; use a larger --delta"
        ) from None
    exp = sel.experiment
    head = manifest_head(scenario, exp.points, argv, args.file)
    head["selection"] = {
        "procedure": "Rinott two-stage",
        "kpi": sel.kpi,
        "delta": sel.delta,
        "confidence": sel.confidence,
        "minimize": sel.minimize,
        "h": sel.h,
        "n0": sel.n0,
        "replications": sel.replications,
        "means": sel.means,
        "best": sel.best,
    }
    from sim.experiment.manifest import manifest

    path = write_run(
        Path(args.out),
        run_id(scenario.meta.name, scenario.config_hash()),
        manifest(exp, head),
        exp.replications,
        exp.summary,
        exp.calls,
        exp.series,
    )
    labels = _labels(exp.points)
    rows = [
        (
            p.id,
            labels[p.id] or "-",
            sel.n0,
            sel.replications[p.id],
            fmt(sel.sds[p.id]),
            fmt(sel.means[p.id]),
            "<- best" if p.id == sel.best else "",
        )
        for p in exp.points
    ]
    print(table(rows, ("point", "design", "n0", "replications", "stage-1 sd", f"mean {sel.kpi}", "")))
    best = next(p for p in exp.points if p.id == sel.best)
    print(
        f"\nselected {sel.best} ({labels[best.id] or '-'}): "
        f"with probability >= {sel.confidence:.0%} it is the best or within {sel.delta:g} of it "
        f"(Rinott h = {sel.h:.3f}, {sum(sel.replications.values())} replications in all)"
    )
    print(f"wrote {path}")
    return EXIT_OK
