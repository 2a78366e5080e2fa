"""Scenario files: pydantic models, TOML loading, ``--set`` overrides, sweeps.

A scenario is a TOML file whose sections are validated by the frozen pydantic models
of :mod:`sim.config.schema`; unknown keys are rejected.  Every problem a user can cause
is raised as :class:`ScenarioError`, whose message names the file, the dotted key and
the reason on one line.

The package, bottom up (each module imports only those above it, and the KPI
catalogue):

``errors``     :class:`ScenarioError` and the one-line form of a pydantic error
``fields``     field types, limits, the base of every section
``specs``      distribution specs (``DIST_KINDS``, :func:`spec_mean`)
``targets``    ``[targets]``: bounds on KPIs and the objective
``repeats``    ``[repair.repeat]``: repairs that leave the cause
``contractors`` ``[contractor]``: overflow to an outside firm
``complaints`` ``[complaints]``: broken promises, complaints, supervisors
``satisfaction`` ``[satisfaction]``: a score per call (a model, not data)
``skills``      ``[skills]``: skill groups and the skill each call needs
``work``       ``[work]``: work besides breakdown repairs (internal work, job types)
``schema``     the sections and :class:`Scenario`
``overrides``  dotted keys (``--set``, variants, sweeps), their precedence, validation
``loading``    files: size limits, TOML, locations CSV, :func:`load_scenario`
``design``     design points: variants x sweep grid, ``--sweep``
"""

from sim.config.appointments import Appointments
from sim.config.complaints import PROMISE_KEYS, ComplaintProbabilities, Complaints, Promise
from sim.config.contractors import Contractor
from sim.config.design import DesignPoint, apply_cli_sweeps, expand_sweep
from sim.config.errors import ScenarioError
from sim.config.fields import (
    MAX_MACHINES_TOTAL,
    MAX_REPLICATIONS,
    MAX_TECHNICIANS_TOTAL,
    MAX_UNITS_PER_CALL,
    RESERVED_CLASS_NAMES,
    Money,
    NonNegFloat,
    PosFloat,
    Probability,
    Shift,
    Weekday,
)
from sim.config.helpdesk import Helpdesk
from sim.config.lifecycle import FleetLifecycle, InstallationJob
from sim.config.loading import (
    MAX_SCENARIO_BYTES,
    load_raw,
    load_scenario,
    read_limited,
    read_locations,
    read_toml,
)
from sim.config.overrides import (
    check_overrides,
    parse_override,
    set_dotted,
    validate_scenario,
    with_overrides,
)
from sim.config.parts import Parts, PartType, StockPolicy
from sim.config.repeats import RepeatRepairs
from sim.config.satisfaction import BrokenPromiseWeights, Satisfaction
from sim.config.schema import (
    DISPATCH_POLICIES,
    Calendar,
    Costs,
    Dispatch,
    Fleet,
    Meta,
    Repair,
    Report,
    Run,
    Scenario,
    ServiceClass,
    Territories,
    Travel,
    Validation,
    Variant,
    default_preference,
    team_grid,
)
from sim.config.skills import Escalation, RemoteExperts, SkillGroup, Skills
from sim.config.specs import (
    DIST_KINDS,
    DeterministicSpec,
    DistSpec,
    EmpiricalSpec,
    ErlangSpec,
    ExponentialSpec,
    GammaSpec,
    LognormalSpec,
    UniformSpec,
    WeibullSpec,
    distribution_problem,
    spec_mean,
)
from sim.config.targets import Target, Targets, check_target_kpis, parse_target
from sim.config.work import InternalWork, Maintenance, Visits, Work, WorkType

__all__ = [
    "DISPATCH_POLICIES",
    "DIST_KINDS",
    "MAX_MACHINES_TOTAL",
    "MAX_REPLICATIONS",
    "MAX_SCENARIO_BYTES",
    "MAX_TECHNICIANS_TOTAL",
    "MAX_UNITS_PER_CALL",
    "PROMISE_KEYS",
    "RESERVED_CLASS_NAMES",
    "Appointments",
    "BrokenPromiseWeights",
    "Calendar",
    "ComplaintProbabilities",
    "Complaints",
    "Contractor",
    "Costs",
    "DesignPoint",
    "DeterministicSpec",
    "Dispatch",
    "DistSpec",
    "EmpiricalSpec",
    "ErlangSpec",
    "Escalation",
    "ExponentialSpec",
    "Fleet",
    "FleetLifecycle",
    "GammaSpec",
    "Helpdesk",
    "InstallationJob",
    "InternalWork",
    "LognormalSpec",
    "Maintenance",
    "Meta",
    "Money",
    "NonNegFloat",
    "PartType",
    "Parts",
    "PosFloat",
    "Probability",
    "Promise",
    "RemoteExperts",
    "Repair",
    "RepeatRepairs",
    "Report",
    "Run",
    "Satisfaction",
    "Scenario",
    "ScenarioError",
    "ServiceClass",
    "Shift",
    "SkillGroup",
    "Skills",
    "StockPolicy",
    "Target",
    "Targets",
    "Territories",
    "Travel",
    "UniformSpec",
    "Validation",
    "Variant",
    "Visits",
    "Weekday",
    "WeibullSpec",
    "Work",
    "WorkType",
    "apply_cli_sweeps",
    "check_overrides",
    "check_target_kpis",
    "default_preference",
    "distribution_problem",
    "expand_sweep",
    "load_raw",
    "load_scenario",
    "parse_override",
    "parse_target",
    "read_limited",
    "read_locations",
    "read_toml",
    "set_dotted",
    "spec_mean",
    "team_grid",
    "validate_scenario",
    "with_overrides",
]
