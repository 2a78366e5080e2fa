"""``[skills]``: who can do the job: skill groups of technicians and the skill each call needs
(issue 16).

Built: each team is split into skill groups (``[[skills.groups]]``: n technicians per team,
their skills, a repair-time multiplier and a first-time fix), and each breakdown call needs
one skill, drawn per call with the shares ``needs``.  Dispatch pairs a call only with a
technician of a group that has its skill.  A first visit can end in escalation
(``[skills.escalation]``, a probability per group or per group and fault type), to a
remote-expert tier first with ``[skills.escalation.remote]``.  Not built: skills per job
type or machine class; refused in one line: skills with parts,
geometry, shifts, internal work, job types, planned work, a helpdesk, a fleet lifecycle,
repeat repairs, complaints, appointments or the ``preference`` / ``nearest`` dispatch rules.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from sim.config.errors import KeyedError
from sim.config.fields import PosFloat, Probability, Section, name_type
from sim.config.specs import DistSpec, spec_mean

if TYPE_CHECKING:
    from sim.config.schema import Scenario

#: the queue disciplines dispatch can apply to eligible pairs
SKILL_DISCIPLINES = ("fifo", "priority", "earliest_due")


class SkillGroup(Section):
    """One skill group of every team.  Example::

    [[skills.groups]]
    name = "specialists"
    technicians = 1                   # per team
    skills = ["standard", "complex"]
    repair_factor = 1.0               # x the call's repair time
    first_time_fix = 1.0              # chance a visit fixes the machine
    escalation = 0.0                  # chance a first visit is escalated ([skills.escalation])
    # or per fault type (the skill the call needs): escalation = { standard = 0.05, complex = 0.4 }
    """

    name: name_type(40)  # type: ignore[valid-type]
    technicians: Annotated[int, Field(ge=1, le=1_000_000)]
    skills: Annotated[list[str], Field(min_length=1)]
    repair_factor: PosFloat = 1.0
    first_time_fix: Probability = 1.0
    # chance a member's first visit ends in escalation: one for every call, or a table by
    # fault type (the skill the call needs; a skill left out: 0)
    # (checked in Skills, which knows the group's index: one message for both forms)
    escalation: float | dict[str, float] = 0.0

    def escalates(self) -> bool:
        """Whether a member's first visit can end in escalation."""
        e = self.escalation
        return any(p > 0 for p in e.values()) if isinstance(e, dict) else e > 0


class RemoteExperts(Section):
    """The remote-expert tier an escalated call goes to first.  Example::

        [skills.escalation.remote]
        experts = 1                                        # per team
        handling_h = { dist = "exponential", mean = 0.5 }  # an expert's time per call
        fix = 0.4                                          # chance it is fixed remotely

    An escalated call (the technician released, the machine still down) queues FIFO for
    one of the team's ``experts`` (a tier like the helpdesk's agents, but after the first
    visit and per team, so the teams stay independent); the expert works on it for
    ``handling_h`` (stream ``skill_expert_handling``) and fixes it remotely with
    probability ``fix`` (stream ``skill_expert_fix``, a uniform per escalated call, both
    keyed by the call's source): the machine works again without another visit.
    Otherwise, at the end of handling, the call goes back to the line needing the skill
    ``to``, with a new repair time, as without the tier.
    """

    experts: Annotated[int, Field(ge=1, le=100_000)]
    handling_h: DistSpec
    fix: Probability

    @model_validator(mode="after")
    def _positive(self) -> RemoteExperts:
        if spec_mean(self.handling_h) <= 0:
            raise KeyedError("skills.escalation.remote.handling_h", "must have a positive mean")
        return self


class Escalation(Section):
    """Escalation to specialists.  Example::

        [skills.escalation]
        to = "complex"     # the skill an escalated call needs

    A member of a group with ``escalation = p`` > 0 ends a call's first visit in
    escalation with probability p (named stream ``skill_escalation``, a uniform per first
    visit keyed by the call's source), unless the call already needs ``to``.  The
    probability can depend on the fault type, which is the skill the call needs: a table
    ``escalation = { standard = 0.05, complex = 0.4 }`` (a probability per skill level,
    the group, and fault type; a skill left out never escalates; ``to`` may not be given
    a probability above 0: such calls are already with the specialists).  The uniform is
    drawn only for a first visit whose probability is above 0.  On escalation the machine
    is not fixed, the technician is released and the call goes back to the team's line
    needing the skill ``to`` (any technician with it may take it).  Escalation is decided
    before the first-time fix.  With ``[skills.escalation.remote]`` the escalated call
    goes to a remote expert first (see :class:`RemoteExperts`).
    """

    to: name_type(40)  # type: ignore[valid-type]
    remote: RemoteExperts | None = None  # a remote-expert tier before the specialists


class Skills(Section):
    """Skill groups and the skills calls need.  Example::

        [skills]
        needs = { standard = 0.7, complex = 0.3 }    # share of calls needing each skill

        [[skills.groups]]
        name = "standard_only"
        technicians = 2
        skills = ["standard"]

        [[skills.groups]]
        name = "cross_trained"
        technicians = 1
        skills = ["standard", "complex"]

    ``needs``: each breakdown call needs one skill, drawn when the call is logged from the
    named stream ``skill_need`` keyed by the call's source (the machine, or the territory
    of Poisson calls) with these shares (they must add up to 1); the k-th call of a source
    needs the same skill whatever the staffing, so common random numbers hold across
    cross-training levels.

    ``groups``: every team has ``technicians`` of each group (the groups' counts add up to
    the team: ``territories.technicians`` x ``territories.pooled``), numbered group by
    group.  A visit by a member of a group lasts the call's repair time x ``repair_factor``
    and fixes the machine with probability ``first_time_fix`` (stream ``skill_fix``, a
    uniform per visit keyed by the call's source); a visit that does not fix it sends the
    call back to the team's line (with the same need).

    Dispatch on eligible pairs: a call that is logged goes to the eligible free technician
    the technician choice picks (``longest_idle``: the one free the longest among those
    with the skill); if none is free it waits (or goes to the contractor).  A technician
    who becomes free takes the first waiting call it is eligible for, in the order of the
    queue discipline (``fifo``, ``priority``, ``earliest_due``), or becomes free.  So a
    free technician and a waiting call coexist only when the technician lacks the call's
    skill; no call waits while a technician who could take it is free.
    """

    needs: dict[str, Probability]
    groups: Annotated[list[SkillGroup], Field(min_length=1)]
    escalation: Escalation | None = None  # escalation of first visits to specialists

    @model_validator(mode="after")
    def _consistent(self) -> Skills:
        if not self.needs:
            raise KeyedError("skills.needs", "give at least one skill and the share of calls needing it")
        for name in self.needs:
            if not name or not name.isprintable() or len(name) > 40:
                raise KeyedError("skills.needs", f"skill name {name!r}: 1-40 printable characters")
        total = math.fsum(self.needs.values())
        if abs(total - 1.0) > 1e-9:
            raise KeyedError("skills.needs", f"the shares must add up to 1 (got {total:g})")
        names = [g.name for g in self.groups]
        for i, g in enumerate(self.groups):
            if names.index(g.name) != i:
                raise KeyedError(f"skills.groups[{i}].name", f"group {g.name!r} is named twice")
            for j, s in enumerate(g.skills):
                if s not in self.needs:
                    raise KeyedError(
                        f"skills.groups[{i}].skills[{j}]",
                        f"no skill {s!r} in skills.needs ({', '.join(self.needs)})",
                    )
                if g.skills.index(s) != j:
                    raise KeyedError(f"skills.groups[{i}].skills[{j}]", f"skill {s!r} is listed twice")
            probabilities = g.escalation if isinstance(g.escalation, dict) else {"": g.escalation}
            for fault, p in probabilities.items():
                key = f"skills.groups[{i}].escalation" + (f".{fault}" if fault else "")
                if not 0.0 <= p <= 1.0:  # (nan too)
                    raise KeyedError(key, f"a probability must be in [0, 1] (got {p:g})")
            if isinstance(g.escalation, dict):
                for fault, p in g.escalation.items():
                    key = f"skills.groups[{i}].escalation.{fault}"
                    if fault not in self.needs:
                        raise KeyedError(key, f"no skill {fault!r} in skills.needs ({', '.join(self.needs)})")
                    if fault not in g.skills:
                        raise KeyedError(
                            key,
                            f"group {g.name!r} lacks the skill {fault!r}: its members never take such calls",
                        )
                    if p > 0 and self.escalation is not None and fault == self.escalation.to:
                        raise KeyedError(
                            key, f"calls needing {fault!r} (skills.escalation.to) are not escalated"
                        )
            if g.escalates() and self.escalation is None:
                raise KeyedError(
                    f"skills.groups[{i}].escalation", "needs [skills.escalation] (the skill it escalates to)"
                )
        e = self.escalation
        if e is not None:
            if e.to not in self.needs:
                raise KeyedError(
                    "skills.escalation.to", f"no skill {e.to!r} in skills.needs ({', '.join(self.needs)})"
                )
            if not any(e.to in g.skills for g in self.groups):
                raise KeyedError("skills.escalation.to", f"no technician has the skill {e.to!r}")
        return self


def check_skills(sc: Scenario) -> None:
    """The checks of ``[skills]`` that read other sections (called by ``Scenario``).

    Raises
    ------
    KeyedError
        Naming the key: group counts that do not make up the team, or a feature skills
        are not built with yet.
    """
    sk = sc.skills
    if sk is None:
        return
    team = sc.territories.technicians * sc.territories.pooled
    counted = sum(g.technicians for g in sk.groups)
    if counted != team:
        raise KeyedError(
            "skills.groups",
            f"the groups hold {counted} technicians per team, the team has {team} "
            "(territories.technicians x territories.pooled)",
        )
    c = sc.contractor
    # a contractor that takes every call no technician can take at once serves a skill
    # nobody has; otherwise such calls would wait for ever
    takes_all = c is not None and c.when == "all_busy" and c.capacity is None and c.classes is None
    for skill, share in sk.needs.items():
        if share > 0 and not takes_all and not any(skill in g.skills for g in sk.groups):
            raise KeyedError(
                f"skills.needs.{skill}",
                f"no technician has the skill {skill!r}: its calls would never be served (unless "
                "a contractor with when = 'all_busy', no capacity and every class takes them)",
            )
    discipline, technician = sc.dispatch.pair
    if discipline not in SKILL_DISCIPLINES:
        raise KeyedError(
            sc.dispatch.key_of("discipline"),
            f"{discipline!r} with [skills] is not built yet (use {', '.join(SKILL_DISCIPLINES)})",
        )
    if technician != "longest_idle":
        raise KeyedError(
            sc.dispatch.key_of("technician"), f"{technician!r} with [skills] is not built yet (longest_idle)"
        )
    refused = [
        ("parts", sc.parts is not None),
        ("travel.mode", sc.travel.mode == "geometry"),
        ("calendar.shifts", sc.calendar.technician_calendar() is not None),
        ("work", sc.work is not None),
        ("helpdesk", sc.helpdesk is not None),
        ("fleet.lifecycle", getattr(sc.fleet, "lifecycle", None) is not None),
        ("repair.repeat", sc.repair.repeat is not None),
        ("complaints", sc.complaints is not None),
        ("appointments", sc.appointments is not None),
    ]
    for key, present in refused:
        if present:
            raise KeyedError(key, "not built yet with [skills] (docs/architecture.md, issue 16)")
    if c is not None and c.always:
        raise KeyedError("contractor.always", "not built yet with [skills]")
