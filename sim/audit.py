"""The label audit: random valid scenarios, every KPI labelled exact checked by simulation.

``python run_sim.py validate --audit N [--seed S]`` draws N scenarios across the features
(finite and Poisson sources, life and repair laws, travel modes, dispatch rules, classes,
calendars, parts), writes each as a validation case (a scenario file whose
``[validation]`` table lists the KPIs the analytic layer labels exact for it), runs it
with :func:`sim.validate.run_case`, and checks that every exact value lies inside the
simulated 99 % confidence interval. At 99 % about one check in a hundred falls outside
by chance, so a scenario with an alarm is run again, with an independent seed and four
times the replications; a KPI outside its interval in both runs is a *confirmed failure*.

Scenario ``i`` of seed ``S`` is drawn from its own generator
``SeedSequence(S, spawn_key=(i,))``, so it does not depend on N or on the other draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import toml_writer
from sim.analytic import estimate
from sim.config import ScenarioError, validate_scenario
from sim.system import ServiceSystem
from sim.validate import Check, run_case

#: relative half-width (99 %) within which a check counts as having power
AUDIT_REL_HALF_WIDTH = 0.10
#: for shares and probabilities, an absolute half-width that is tight enough too
AUDIT_ABS_HALF_WIDTH = 0.01
#: calls simulated per scenario (all replications), the budget that keeps one to seconds
CALLS_PER_SCENARIO = 40_000
REPLICATIONS = 10
IDENTITY_TOLERANCE = 0.005  # an identity's end effects (see inside())
MAX_DRAWS_PER_SCENARIO = 20  # give up when exact labels are this rare
RERUN_FACTOR = 4  # a rerun uses this many times the replications, with another seed
_SHARE_KPIS = ("utilization", "utilization_onsite", "travel_share", "p_wait", "sla_met", "first_time_fix")


# ---------------------------------------------------------------------------
# Drawing scenarios


def _round(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}")


def _law(rng: np.random.Generator, mean: float, exponential_share: float, kinds: Sequence[str]) -> dict:
    """A duration law with the given mean: exponential with the given chance, else one of ``kinds``."""
    mean = _round(mean)
    if rng.random() < exponential_share:
        return {"dist": "exponential", "mean": mean}
    kind = str(rng.choice(list(kinds)))
    if kind == "deterministic":
        return {"dist": "deterministic", "value": mean}
    if kind in ("gamma", "lognormal"):
        return {"dist": kind, "mean": mean, "cv": _round(float(rng.uniform(0.3, 1.5)), 2)}
    if kind == "erlang":
        return {"dist": "erlang", "mean": mean, "k": int(rng.integers(2, 5))}
    if kind == "weibull":
        return {"dist": "weibull", "mean": mean, "shape": _round(float(rng.uniform(0.7, 3.0)), 2)}
    if kind == "uniform":
        half = mean * float(rng.uniform(0.2, 0.9))
        return {"dist": "uniform", "low": _round(mean - half), "high": _round(mean + half)}
    if kind == "empirical":
        values = sorted(_round(mean * f) for f in rng.uniform(0.2, 1.8, size=3))
        weights = [1.0, 1.0, 1.0]
        # rescale so that the mean is the one asked for
        scale = mean / (sum(values) / 3)
        return {"dist": "empirical", "values": [_round(v * scale) for v in values], "weights": weights}
    raise ValueError(kind)


def _classes(rng: np.random.Generator, priority: bool, sla: bool) -> list[dict]:
    k = int(rng.integers(2, 4))
    cuts = sorted(rng.choice(np.arange(1, 10), size=k - 1, replace=False).tolist())
    tenths = [b - a for a, b in zip([0, *cuts], [*cuts, 10], strict=True)]
    out = []
    for i, t in enumerate(tenths):
        c: dict[str, Any] = {"name": f"class{i}", "share": t / 10}
        if priority:
            c["priority"] = i + 1
        if sla and (i == 0 or rng.random() < 0.5):
            c["sla_h"] = _round(float(rng.uniform(1.0, 8.0)), 2)
        out.append(c)
    # shares in tenths: make the sum exactly 1 in floating point
    out[-1]["share"] = round(1.0 - sum(c["share"] for c in out[:-1]), 10)
    return out


def draw_scenario(seed: int, index: int, calls: int = CALLS_PER_SCENARIO) -> dict[str, Any]:
    """Scenario ``index`` of the audit with root ``seed``, as a raw (TOML-ready) dict.

    The load is kept moderate (utilisation about 0.3 to 0.75 of working capacity) and the
    horizon sized to ``calls`` calls in all replications, so that the intervals are tight
    and a scenario runs in seconds.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))
    raw: dict[str, Any] = {"meta": {"name": f"audit-{seed}-{index:04d}"}}
    pooled = int(rng.choice([1, 1, 1, 2, 3]))
    count = pooled * int(rng.choice([1, 1, 2]))
    technicians = int(rng.choice([1, 1, 2, 3])) if pooled == 1 else 1
    servers = technicians * pooled
    raw["territories"] = {"count": count, "technicians": technicians, "pooled": pooled}

    # travel
    mode = str(rng.choice(["none", "none", "time", "geometry"]))
    mean_travel = 0.0
    if mode == "time":
        mean_travel = float(rng.uniform(0.2, 1.0))
        raw["travel"] = {"time_h": _law(rng, mean_travel, 0.4, ("deterministic", "gamma", "uniform"))}
    elif mode == "geometry":
        side = float(rng.uniform(5.0, 20.0))
        raw["territories"] |= {"width_km": _round(side), "height_km": _round(side * rng.uniform(0.5, 1.5))}
        speed = _round(float(rng.uniform(30.0, 60.0)))
        travel: dict[str, Any] = {
            "mode": "geometry",
            "metric": str(rng.choice(["euclidean", "rectilinear"])),
            "speed_kmh": speed,
        }
        if rng.random() < 0.3:
            travel["return_to_base"] = True
        if rng.random() < 0.3:
            travel["noise_h"] = _law(rng, float(rng.uniform(0.05, 0.3)), 0.5, ("deterministic",))
        raw["travel"] = travel
        mean_travel = (2.0 if travel.get("return_to_base") else 1.0) * 0.6 * side * math.sqrt(pooled) / speed

    mean_repair = float(rng.uniform(0.5, 3.0))
    raw["repair"] = {
        "time_h": _law(
            rng, mean_repair, 0.5, ("deterministic", "gamma", "erlang", "lognormal", "uniform", "empirical")
        )
    }

    # dispatch and classes
    rules = ["fifo", "fifo", "priority", "earliest_due"]
    if mode == "geometry":
        rules.append("nearest")
    if pooled > 1:
        rules += ["preference", "preference"]
    policy = str(rng.choice(rules))
    many = policy in ("priority", "earliest_due") or rng.random() < 0.3
    fleet: dict[str, Any] = {}
    if many:
        fleet["classes"] = _classes(rng, priority=True, sla=policy == "earliest_due" or rng.random() < 0.5)
    elif rng.random() < 0.3:
        fleet["classes"] = [{"name": "standard", "share": 1.0, "priority": 1, "sla_h": 4.0}]
    raw["dispatch"] = {"policy": policy}

    # calendar: now and then a weekly shift pattern
    capacity = 1.0  # working share of the clock
    if rng.random() < 0.15:
        days = ["mon", "tue", "wed", "thu", "fri"]
        start, end = ("08:00", "17:00") if rng.random() < 0.5 else ("06:00", "22:00")
        raw["calendar"] = {
            "shifts": [{"days": days, "start": start, "end": end}],
            "wip": str(rng.choice(["overtime", "resume"])),
        }
        capacity = len(days) * (int(end[:2]) - int(start[:2])) / 168.0

    # parts, now and then
    parts_share = 0.0
    if rng.random() < 0.25:
        parts = _parts(rng, reservation_ok=servers == 1)
        raw["parts"] = parts
        parts_share = 0.5  # revisits and waits lengthen the technician's time: keep load lower

    # the load: calls per team-hour from a target utilisation of working capacity
    rho = float(rng.uniform(0.3, 0.75)) * (1.0 - 0.3 * parts_share)
    mean_service = mean_travel + mean_repair
    team_rate = rho * servers * capacity / mean_service  # calls per hour per team
    if rng.random() < 0.5:
        fleet["calls_per_h"] = _round(team_rate / pooled)
        system_rate = team_rate * count / pooled
    else:
        machines = int(rng.integers(3, 31))
        # a machine fails at 1/E[life] while working: E[life] = machines / rate - E[service]
        life = max(machines / (team_rate / pooled) - mean_service, 0.5)
        fleet["machines"] = machines
        fleet["time_to_failure_h"] = _law(
            rng, life, 0.5, ("weibull", "lognormal", "gamma", "deterministic", "uniform")
        )
        system_rate = team_rate * count / pooled
    raw["fleet"] = fleet
    if rng.random() < 0.5:
        raw["report"] = {"wait_thresholds_h": sorted({_round(mean_service * f, 2) for f in (0.5, 2.0)})}
    # parts make the model several times slower per call: a smaller budget
    budget = calls * (0.4 if "parts" in raw else 1.0)
    horizon = budget / REPLICATIONS / system_rate
    raw["run"] = {
        "horizon_h": _round(horizon),
        "warmup_h": _round(max(0.1 * horizon, 50.0 * mean_service)),
        "replications": REPLICATIONS,
        "seed": int(rng.integers(0, 2**31)),
    }
    if pooled > 1 and rng.random() < 0.4:  # unequal territories (drawn last: the rest stays put)
        raw["territories"]["weights"] = _weights(rng, pooled, fleet.get("machines"))
    # trips from base after idleness, between jobs otherwise
    if mode == "time" and rng.random() < 0.4:
        raw["travel"]["from_base_h"] = _law(
            rng, mean_travel * float(rng.uniform(1.0, 2.5)), 0.4, ("deterministic", "gamma")
        )
    elif mode == "geometry" and not raw["travel"].get("return_to_base") and rng.random() < 0.4:
        raw["travel"]["idle_at_base"] = True
    return raw


def _weights(rng: np.random.Generator, pooled: int, machines: int | None) -> list[float]:
    """Territory weights; for a finite fleet, machine counts whose mean is ``machines``."""
    if machines is None:
        return [_round(float(w), 2) for w in rng.uniform(0.3, 3.0, size=pooled)]
    counts = [int(c) for c in rng.integers(max(1, machines // 3), 2 * machines, size=pooled - 1)]
    last = machines * pooled - sum(counts)
    if last < 1:
        counts, last = [machines] * (pooled - 1), machines
    return [float(c) for c in [*counts, last]]


def _parts(rng: np.random.Generator, reservation_ok: bool) -> dict[str, Any]:
    types = []
    for i in range(int(rng.choice([1, 1, 2]))):
        t: dict[str, Any] = {"name": f"part{i}", "p_need": _round(float(rng.uniform(0.2, 1.0)), 2)}
        s_van = int(rng.integers(0, 4))
        if rng.random() < 0.2 and s_van >= 1:
            t["van"] = {"policy": "sS", "s": s_van - 1, "S": s_van + 1}
        else:
            t["van"] = {"S": s_van}
        if rng.random() < 0.5:
            t["depot"] = {"S": int(rng.integers(0, 6))}
        types.append(t)
    parts: dict[str, Any] = {
        "types": types,
        "shortage": str(rng.choice(["wait", "revisit", "emergency"])),
        "use_depot": bool(rng.random() < 0.5),
        "supplier_lead_time_h": _law(rng, float(rng.uniform(4.0, 20.0)), 0.5, ("deterministic",)),
        "depot_to_van_h": {"dist": "deterministic", "value": _round(float(rng.uniform(1.0, 6.0)))},
        "emergency_h": {"dist": "deterministic", "value": 2.0},
    }
    if reservation_ok and rng.random() < 0.4:
        parts["reservation"] = True
    if rng.random() < 0.3:
        parts["p_other_failure"] = _round(float(rng.uniform(0.05, 0.2)), 2)
    return parts


def exact_kpis(raw: dict[str, Any]) -> list[str]:
    """The KPIs (in the simulation's output) that the analytic layer labels exact here."""
    from sim.experiment.tables import kpi_names

    system = ServiceSystem.from_scenario(validate_scenario(raw, "<audit>"))
    est = estimate(system)
    simulated = set(kpi_names(system))
    return sorted({e.kpi for e in est.primary if e.exact and e.kpi in simulated})


def as_case(raw: dict[str, Any], kpis: Sequence[str]) -> dict[str, Any]:
    """The scenario as a validation case checking ``kpis`` at 99 %."""
    return raw | {
        "validation": {
            "kpis": list(kpis),
            "max_rel_half_width": AUDIT_REL_HALF_WIDTH,
            "max_abs_half_width": AUDIT_ABS_HALF_WIDTH,
            "confidence": 0.99,
        }
    }


def rerun_case(raw: dict[str, Any]) -> dict[str, Any]:
    """The same case with an independent seed and :data:`RERUN_FACTOR` times the replications."""
    run = dict(raw["run"])
    run["replications"] = run["replications"] * RERUN_FACTOR
    run["seed"] = (int(run["seed"]) + 7_919) % 2**31
    return raw | {"run": run, "meta": {"name": raw["meta"]["name"] + "-rerun"}}


# ---------------------------------------------------------------------------
# Judging the checks


def tight(check: Check) -> bool:
    """Whether the interval is narrow enough for an inside-the-interval pass to mean something."""
    hw = (check.ci_high - check.ci_low) / 2
    if _degenerate(check):
        return math.isclose(check.exact, check.mean, rel_tol=1e-9, abs_tol=1e-12)
    share = check.kpi in _SHARE_KPIS or check.kpi.startswith(("p_wait_gt_", "fill_rate_"))
    if share and hw <= AUDIT_ABS_HALF_WIDTH:
        return True
    if check.exact == 0.0:
        return hw <= check.max_abs_half_width
    return hw <= AUDIT_REL_HALF_WIDTH * abs(check.exact)


def _degenerate(check: Check) -> bool:
    # every replication gave the same value (e.g. no call ever broke a loose SLA)
    return check.ci_high - check.ci_low <= 1e-12 * max(1.0, abs(check.mean))


def inside(check: Check) -> bool:
    """The exact value inside the interval.

    A zero-width interval says only that no replication saw the rare event: then the
    exact value must be within a tenth of :data:`AUDIT_ABS_HALF_WIDTH` of the mean.  An
    identity (exact value 0, e.g. the first-time-fix identity) holds call by call, but its
    per-replication estimate mixes calls counted at different moments (logged, first
    visit, restored), so the calls in flight at the warm-up and at the end bias it by
    about 1 / (calls per replication): it passes within :data:`IDENTITY_TOLERANCE`.
    """
    if check.exact == 0.0 and abs(check.mean) <= IDENTITY_TOLERANCE:
        return True
    if _degenerate(check):
        return math.isclose(check.exact, check.mean, rel_tol=1e-9, abs_tol=AUDIT_ABS_HALF_WIDTH / 10)
    return check.ci_low <= check.exact <= check.ci_high


def describe(raw: dict[str, Any]) -> str:
    """A few words on what a drawn scenario exercises."""
    fleet = raw["fleet"]
    words = [f"{fleet['machines']} machines" if "machines" in fleet else "Poisson calls"]
    if "time_to_failure_h" in fleet:
        words.append(f"{fleet['time_to_failure_h']['dist']} lives")
    words.append(f"{raw['repair']['time_h']['dist']} repairs")
    t = raw["territories"]
    words.append(f"{t['count']} terr. x {t['technicians']} tech, pooled {t['pooled']}")
    if "weights" in t:
        words.append("unequal territories")
    travel = raw.get("travel")
    if travel and ("from_base_h" in travel or travel.get("idle_at_base")):
        words.append("trips from base when idle")
    if travel:
        words.append(
            "geometry" + (" return" if travel.get("return_to_base") else "")
            if travel.get("mode") == "geometry"
            else f"{travel['time_h']['dist']} travel"
        )
    words.append(raw["dispatch"]["policy"])
    if "classes" in fleet:
        words.append(f"{len(fleet['classes'])} classes")
    if "calendar" in raw:
        words.append("shifts")
    if "parts" in raw:
        words.append(f"parts ({raw['parts']['shortage']})")
    return ", ".join(words)


@dataclass
class ScenarioAudit:
    """One drawn scenario: its case file, its checks and the rerun's, if any."""

    index: int
    path: Path
    description: str
    checks: list[Check] = field(default_factory=list)
    rerun_path: Path | None = None
    rerun_checks: list[Check] = field(default_factory=list)
    error: str = ""

    @property
    def alarms(self) -> list[Check]:
        return [c for c in self.checks if not inside(c)]

    @property
    def loose(self) -> list[Check]:
        return [c for c in self.checks if not tight(c)]

    @property
    def confirmed(self) -> list[Check]:
        """Rerun checks of the alarmed KPIs that are outside their interval again."""
        alarmed = {(c.design_point, c.service_class, c.kpi) for c in self.alarms}
        return [
            c
            for c in self.rerun_checks
            if (c.design_point, c.service_class, c.kpi) in alarmed and not inside(c)
        ]


@dataclass
class AuditResult:
    seed: int
    folder: Path
    scenarios: list[ScenarioAudit]
    drawn: int = 0  # scenarios drawn, including those with no exact label

    @property
    def checked(self) -> int:
        return sum(len(s.checks) for s in self.scenarios)

    @property
    def alarms(self) -> int:
        return sum(len(s.alarms) for s in self.scenarios)

    @property
    def loose(self) -> int:
        return sum(len(s.loose) for s in self.scenarios)

    @property
    def confirmed(self) -> int:
        return sum(len(s.confirmed) for s in self.scenarios)

    @property
    def errors(self) -> list[ScenarioAudit]:
        return [s for s in self.scenarios if s.error]


def _write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(toml_writer.dumps(raw), encoding="utf-8")
    return path


def run_audit(
    n: int,
    seed: int,
    folder: Path,
    backend: str = "serial",
    workers: int | None = None,
    on_scenario: Callable[[ScenarioAudit, int], None] | None = None,
    calls: int = CALLS_PER_SCENARIO,
) -> AuditResult:
    """Run ``n`` audit scenarios that have at least one KPI labelled exact.

    Scenarios are drawn in turn (0, 1, 2, ...); one with no exact label has nothing to
    check and is counted in :attr:`AuditResult.drawn` only.  Each case is written to
    ``folder`` (``audit_0007.toml``) before it runs, and a scenario with an alarm is run
    again (``audit_0007_rerun.toml``).  ``on_scenario(audit, n)`` reports progress.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out: list[ScenarioAudit] = []
    i = 0
    while len(out) < n and i < MAX_DRAWS_PER_SCENARIO * n:
        raw = draw_scenario(seed, i, calls)
        path = folder / f"audit_{i:04d}.toml"
        item = ScenarioAudit(i, path, describe(raw))
        i += 1
        try:
            kpis = exact_kpis(raw)
        except ScenarioError as exc:  # the generator drew an invalid scenario: its bug, shown
            _write(path, raw)
            item.error = f"invalid scenario drawn: {exc}"
            kpis = []
        if not kpis and not item.error:
            continue
        if kpis:
            case = as_case(raw, kpis)
            _write(path, case)
            try:
                item.checks = run_case(path, backend=backend, workers=workers, progress=False)
                if item.alarms:
                    item.rerun_path = _write(folder / f"audit_{item.index:04d}_rerun.toml", rerun_case(case))
                    item.rerun_checks = run_case(
                        item.rerun_path, backend=backend, workers=workers, progress=False
                    )
            except (RuntimeError, ValueError) as exc:
                item.error = str(exc).splitlines()[0]
        out.append(item)
        if on_scenario is not None:
            on_scenario(item, n)
    return AuditResult(seed, folder, out, drawn=i)
