"""The scenario reference (docs/scenario_reference.md), generated from the pydantic models.

``python -m sim.scenario_doc`` rewrites the file; a test checks that the file in the
repository matches the models, so the reference never drifts from the code.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim import bounds, config

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario_reference.md"

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("meta", config.Meta),
    ("run", config.Run),
    ("calendar", config.Calendar),
    ("calendar.shifts[] / calendar.customer_hours[]", config.Shift),
    ("fleet", config.Fleet),
    ("fleet.classes[]", config.ServiceClass),
    ("fleet.lifecycle", config.FleetLifecycle),
    ("fleet.lifecycle.installation", config.InstallationJob),
    ("territories", config.Territories),
    ("travel", config.Travel),
    ("repair", config.Repair),
    ("repair.repeat", config.RepeatRepairs),
    ("dispatch", config.Dispatch),
    ("report", config.Report),
    ("costs", config.Costs),
    ("targets", config.Targets),
    ("parts", config.Parts),
    ("parts.types[]", config.PartType),
    ("parts.types[].van / .depot", config.StockPolicy),
    ("work", config.Work),
    ("work.internal", config.InternalWork),
    ("work.types[]", config.WorkType),
    ("helpdesk", config.Helpdesk),
    ("work.maintenance", config.Maintenance),
    ("work.visits", config.Visits),
    ("contractor", config.Contractor),
    ("complaints", config.Complaints),
    ("complaints.probability", config.ComplaintProbabilities),
    ("satisfaction", config.Satisfaction),
    ("satisfaction.broken", config.BrokenPromiseWeights),
    ("appointments", config.Appointments),
    ("skills", config.Skills),
    ("skills.groups[]", config.SkillGroup),
    ("skills.escalation", config.Escalation),
    ("skills.escalation.remote", config.RemoteExperts),
    ("variants[]", config.Variant),
    ("validation", config.Validation),
]

DISTRIBUTIONS: list[type[BaseModel]] = [
    config.ExponentialSpec,
    config.DeterministicSpec,
    config.GammaSpec,
    config.ErlangSpec,
    config.LognormalSpec,
    config.WeibullSpec,
    config.UniformSpec,
    config.EmpiricalSpec,
]


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args]
        if any("Spec" in n for n in names):
            return "distribution" + (" or none" if "none" in names else "")
        return " or ".join(dict.fromkeys(names))
    if origin is typing.Literal:
        return " / ".join(f'"{a}"' for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    if annotation is type(None):
        return "none"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return "distribution" if annotation.__name__.endswith("Spec") else "table"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(info: FieldInfo) -> str:
    out = []
    for m in info.metadata:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            v = getattr(m, attr, None)
            if v is not None:
                out.append(f"{sym} {v:,}" if isinstance(v, int) else f"{sym} {v:g}")
    return ", ".join(out)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    factory = info.default_factory
    value = factory() if factory is not None else info.default  # type: ignore[call-arg]
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_none=True)
    if value is None:
        return "none"
    return f"`{value!r}`".replace("|", "\\|")


def markdown() -> str:
    lines = [
        "# Scenario reference",
        "",
        "Generated from the pydantic models in `sim/config/` by `python -m sim.scenario_doc`;",
        "a test keeps it in sync. Unknown keys are rejected. Times are hours.",
        "",
    ]
    for name, model in SECTIONS:
        lines += [f"## `[{name}]`", ""]
        doc = inspect.getdoc(model)
        if doc and not doc.startswith(("!!!", "Usage docs")):
            lines += [doc, ""]
        lines += ["| key | type | allowed | default |", "|---|---|---|---|"]
        for key, info in model.model_fields.items():
            lines.append(
                f"| `{key}` | {_type_name(info.annotation)} | {_bounds(info) or '-'} | {_default(info)} |"
            )
        lines.append("")
    lines += [
        "## Names",
        "",
        "Names of the scenario, classes, parts and variants are printable text: a control",
        "character (line break, carriage return, tab, ESC...) is refused. A service class may",
        f"not be named {', '.join(repr(n) for n in config.RESERVED_CLASS_NAMES)} (in any case):",
        "that is the `class` of the tables' overall rows. Wait thresholds must give distinct",
        "KPI names (`p_wait_gt_<x>h`, `x` to 6 significant digits).",
        "",
        "## Limits",
        "",
        "Checked before anything runs or is written (`sim/bounds.py`). `--force` goes past the",
        "first five; the last two are hard limits.",
        "",
        "| what | limit |",
        "|---|---|",
        f"| simulated calls of a run (calls/h x (warm-up + horizon) x replications, summed over "
        f"the design points; with `--precision`, at `--max-replications`) | {bounds.MAX_CALLS:.0e} "
        f"(about {bounds.MAX_CALLS / bounds.CALLS_PER_S / 3600:.0f} h of one core) |",
        f"| design points (variants x sweep grid), `optimize` candidates | {bounds.MAX_DESIGN_POINTS:,} |",
        f"| values of one `optimize --over` range | {bounds.MAX_OVER_VALUES:,} |",
        f"| replications of one point (`--max-replications`, Rinott's stage 2) | "
        f"{bounds.MAX_POINT_REPLICATIONS:,} |",
        "| `--workers` | 4 per core, at least 64 |",
        f"| size of a scenario file | {config.MAX_SCENARIO_BYTES:,} bytes |",
        f"| mean units of a part per call | {config.MAX_UNITS_PER_CALL:,} |",
        "",
        "A scenario file or `locations_csv` must be a regular file (not a device or a FIFO).",
        "Every distribution's parameters, mean, variance and the sampler's parameters must be",
        "finite and not subnormal (so `cv = 1e-200`, `mean = 5e-324` are refused).",
        "",
        "## Overrides and their precedence",
        "",
        "A key's value comes from, last one winning: the file, then `--set` (in order), then a",
        "variant's `set`, then the sweep (`[sweep]` and `--sweep`). A later change may refine an",
        "earlier one (sweep `repair.time_h.cv` of the gamma a variant sets), but one that would",
        "replace it (the same key, or a table that holds it: sweeping `repair.time_h` when a",
        "variant sets `repair.time_h.mean`) is refused, as are two sweep keys, or two keys of one",
        "variant, where one holds the other. Every design point is labelled by the values it ran",
        "with (checked when the points are built).",
        "",
        "## Distributions",
        "",
        "An inline table with `dist` and its parameters; each knows its mean and variance.",
        "",
        "| dist | parameters |",
        "|---|---|",
    ]
    for model in DISTRIBUTIONS:
        kind = typing.get_args(model.model_fields["dist"].annotation)[0]
        params = ", ".join(
            f"`{k}` ({_bounds(i) or _type_name(i.annotation)})"
            for k, i in model.model_fields.items()
            if k != "dist"
        )
        lines.append(f'| `"{kind}"` | {params} |')
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(markdown())
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
