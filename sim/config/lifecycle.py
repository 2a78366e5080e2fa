"""``[fleet.lifecycle]``: each machine's contract status and its service life (issue 14).

A breakdown's service class follows from its machine, not from a fixed share: a machine
is under warranty for ``warranty_h`` hours after its installation, and afterwards under
contract or paid, decided once per machine at its installation (under contract with
probability ``contract_share``).  At the end of its service life (``life_h``) a machine
is replaced by a new one, which starts a fresh warranty and a fresh life; the fleet size
stays constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from sim.config.errors import KeyedError
from sim.config.fields import Money, PosFloat, Probability, Section, name_type, not_reserved
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: the statuses a machine can be in, and the key that names each one's class
STATUSES = ("warranty", "contract", "paid")


class InstallationJob(Section):
    """The installation (and commissioning) job of a replacement.  Example::

        [fleet.lifecycle.installation]
        name = "installation"       # the rows of its jobs in the tables
        duration_h = { dist = "gamma", mean = 3.0, cv = 0.3 }
        priority = 2                # under dispatch.discipline = "priority"
        target_h = 48.0             # on site within 48 h of the replacement
        revenue = 400.0
        cost = 50.0
        travel = true

    At each replacement one job joins the team of the machine's territory, a job type
    whose arrivals are the fleet's replacements (instead of a Poisson stream): its keys
    mean what those of ``[[work.types]]`` mean, and its rows are a job type's rows.  The
    new machine starts (warranty, life) at the replacement, not when the job is done, so
    the installations stay a renewal process of the lives.  Its on-site time and trips are
    drawn from the named streams ``installation_duration``, ``installation_travel`` and
    ``installation_travel_from_base`` keyed by territory (the k-th replacement of a
    territory takes the k-th draws).
    """

    name: Annotated[name_type(60), AfterValidator(not_reserved)] = "installation"  # type: ignore[valid-type]
    duration_h: DistSpec  # on-site time of one installation
    priority: Annotated[int, Field(ge=1, le=1000)] | None = None  # 1 first; default 1
    target_h: PosFloat | None = None  # response target (replacement -> on site), hours
    revenue: Money = 0.0  # money per installation done
    cost: Money = 0.0  # direct cost per installation done
    travel: bool = True  # uses the scenario's [travel]; false: on site at the dispatch


class FleetLifecycle(Section):
    """Contract status and service life of every machine (finite fleets with exponential
    lives, FIFO-or-any dispatch).  Example::

        [fleet.lifecycle]
        life_h = { dist = "weibull", mean = 40000.0, shape = 3.0 }   # service life
        warranty_h = 8000.0        # free repairs during the first 8000 h after installation
        contract_share = 0.6       # share of machines under contract after their warranty
        warranty_class = "warranty"
        contract_class = "contract"
        paid_class = "paid"

    A breakdown's class is its machine's status when it breaks: ``warranty_class`` while
    the machine's age (wall-clock hours since its installation) is below ``warranty_h``,
    afterwards ``contract_class`` or ``paid_class``, decided once per machine at its
    installation (named stream ``contract_status``, keyed by machine: the k-th
    installation takes the k-th draw).  The three keys name three different classes of
    ``[[fleet.classes]]``, and the classes are exactly those three; the classes give no
    ``share`` (it follows from the fleet: refused if given).  Their priority, ``sla_h``
    and penalty apply as usual.

    A machine's service life is drawn from ``life_h`` (wall-clock hours from its
    installation, named stream ``service_life`` keyed by machine).  At its end the machine
    is replaced at once: the new machine starts its warranty and a fresh life, and its
    contract status is drawn anew.  A machine that is down at its end of life is replaced
    at that instant all the same (warranty and life restart then), but stays down until
    its open call is done; that call keeps the class it had when the machine broke.  The
    replacement takes no technician time unless ``[fleet.lifecycle.installation]`` gives
    its job (:class:`InstallationJob`).  KPIs: ``installations_per_day``,
    ``warranty_machine_share`` (time-average share of machines in warranty) and, per
    class, ``call_share`` (share of the breakdown calls in the class).

    Start state: each machine's age at time 0 is drawn from the stationary age of the
    renewal process of its lives (density S(a) / E[L]: a length-biased life, at a uniform
    point of it), and the rest of that life is its residual; so the warranty share and
    the installation rate are stationary from time 0.  A service life is required: without
    replacements every machine would leave its warranty for good and no steady state
    would exist.

    Not built (refused): Poisson calls (no machines), lives (``fleet.time_to_failure_h``)
    other than exponential, repeat repairs, installation jobs with geometry travel.
    """

    life_h: DistSpec  # service life of a machine (wall-clock hours); replaced at its end
    warranty_h: PosFloat  # warranty after installation (wall-clock hours)
    contract_share: Probability  # share of machines under contract after their warranty
    warranty_class: name_type(60)  # type: ignore[valid-type]
    contract_class: name_type(60)  # type: ignore[valid-type]
    paid_class: name_type(60)  # type: ignore[valid-type]
    installation: InstallationJob | None = None  # the replacement's job (none: no technician time)

    def class_of(self, status: str) -> str:
        """The class name of a status (one of :data:`STATUSES`)."""
        return str(getattr(self, f"{status}_class"))


def check_lifecycle(sc: Scenario) -> None:
    """The checks of ``[fleet.lifecycle]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Naming the key: an unknown or repeated class, a class the statuses do not name,
        a service life without a positive mean or not longer than the warranty, Poisson
        calls, non-exponential lives, repeat repairs.
    """
    life = sc.fleet.lifecycle
    if life is None:
        return
    key = "fleet.lifecycle"
    if sc.fleet.machines is None:
        raise KeyedError(
            key, "needs a finite fleet (fleet.machines + time_to_failure_h): Poisson calls have no machines"
        )
    ttf = sc.fleet.time_to_failure_h
    if ttf is not None and not ttf.build().is_exponential:
        raise KeyedError(
            key,
            f"with a non-exponential fleet.time_to_failure_h ({ttf.dist}) is not built yet "
            "(exponential lives only: a replacement would have to renew the time to failure)",
        )
    if sc.repair.repeat is not None:
        raise KeyedError(key, "together with repair.repeat is not built yet")
    mean = spec_mean(life.life_h)
    if mean <= 0:
        raise KeyedError(f"{key}.life_h", "must have a positive mean")
    if life.warranty_h >= mean:
        raise KeyedError(
            f"{key}.warranty_h",
            f"must be shorter than the mean service life (life_h has mean {mean:g} h, warranty_h is "
            f"{life.warranty_h:g} h)",
        )
    names = [c.name for c in sc.fleet.classes]
    named = [life.class_of(s) for s in STATUSES]
    for status, cls in zip(STATUSES, named, strict=True):
        if cls not in names:
            raise KeyedError(
                f"{key}.{status}_class", f"no service class {cls!r} (classes: {', '.join(names)})"
            )
    if len(set(named)) != len(named):
        raise KeyedError(
            f"{key}",
            f"warranty_class, contract_class and paid_class must be three different classes, got {named}",
        )
    job = life.installation
    if job is not None:
        jkey = f"{key}.installation"
        if spec_mean(job.duration_h) <= 0:
            raise KeyedError(f"{jkey}.duration_h", "must have a positive mean")
        types = [t.name for t in sc.work.types] if sc.work is not None else []
        if job.name in names or job.name in types:
            raise KeyedError(
                f"{jkey}.name",
                f"{job.name!r} is already the name of a service class or job type; its rows in the "
                "tables are named after it, so choose another name",
            )
        if sc.dispatch.pair[0] == "priority" and job.priority is None:
            raise KeyedError(f"{jkey}.priority", f"needs a priority under {sc.dispatch.said('discipline')}")
        if sc.travel.mode == "geometry":
            raise KeyedError(jkey, "with travel.mode = 'geometry' is not built yet (jobs have no place)")
    extra = [n for n in names if n not in named]
    if extra:
        raise KeyedError(
            "fleet.classes",
            f"with fleet.lifecycle every class is a machine status; class {extra[0]!r} is not named by "
            "warranty_class, contract_class or paid_class",
        )
