"""The promises of a service class besides the response (``sla_h``): milestones (issue 15).

Built so far: the *restored* milestone, keys of a ``[[fleet.classes]]`` entry::

    [[fleet.classes]]
    name = "contract"
    share = 0.4
    sla_h = 4.0                    # on site within 4 h (the response milestone, as before)
    restore_sla_h = 24.0           # machine working again within 24 h of the breakdown
    restore_clock = "business"     # optional: "wall" or "business" (default: calendar.sla_clock)
    part_wait_stops_clock = true   # optional: hours waiting for parts do not count

The restore clock starts at the breakdown (the call is logged at that instant) and ends
when the machine works again, after every visit.  On the business clock it counts only
``calendar.customer_hours`` (default: the shifts).  ``part_wait_stops_clock`` stops it
while the call waits for spare parts (the customer has agreed to wait for them): the
part-waiting hours are taken off the elapsed wall-clock hours; with the business clock it
is not built yet and is refused.  The KPI is ``restore_met`` (per class and over the
classes with a target).  With a ``[helpdesk]``, calls resolved remotely never reach a
technician and are counted in ``remote_share``, not in ``restore_met`` (nor in
``restore_h``).

The *reply* milestone, ``reply_sla_h`` on a class, needs a ``[helpdesk]``: the customer's
call answered (the end of the agent's handling) within so many hours; a class without
one takes the helpdesk's ``reply_target_h``.  Its KPI is ``reply_met``.  Its clock,
``reply_clock``, is the wall clock unless the class says ``"business"`` (customer hours
only, ``calendar.customer_hours``, default the shifts); the default is not
``calendar.sla_clock``, so that a scenario written before the key existed keeps its
``reply_met``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config.errors import KeyedError

if TYPE_CHECKING:
    from sim.config.schema import Scenario


def check_milestones(sc: Scenario) -> None:
    """The checks of the classes' milestones that read other sections (called by
    ``Scenario``).

    Raises
    ------
    KeyedError
        Naming the key: a restore clock or part rule without a restore target, a reply
        clock without a reply target, the business clock without customer hours, the
        part rule on the business clock.
    """
    cal = sc.calendar
    has_hours = bool(cal.customer_hours or cal.shifts)
    for i, c in enumerate(sc.fleet.classes):
        key = f"fleet.classes[{i}]"
        if c.reply_sla_h is not None and sc.helpdesk is None:
            raise KeyedError(f"{key}.reply_sla_h", "the reply milestone needs a [helpdesk] (which replies)")
        if c.reply_clock is not None:
            if c.reply_sla_h is None and (sc.helpdesk is None or sc.helpdesk.reply_target_h is None):
                raise KeyedError(
                    f"{key}.reply_clock",
                    "applies to the reply milestone: give reply_sla_h (or helpdesk.reply_target_h)",
                )
            if c.reply_clock == "business" and not has_hours:
                raise KeyedError(
                    f"{key}.reply_clock",
                    "the business clock counts customer hours: "
                    "give calendar.customer_hours (or calendar.shifts)",
                )
        if c.restore_sla_h is None:
            for name, given in (
                ("restore_clock", c.restore_clock is not None),
                ("part_wait_stops_clock", c.part_wait_stops_clock),
            ):
                if given:
                    raise KeyedError(f"{key}.{name}", "applies to the restored milestone: give restore_sla_h")
            continue
        clock = c.restore_clock or cal.sla_clock
        if clock == "business" and not has_hours:
            raise KeyedError(
                f"{key}.restore_clock",
                "the business clock counts customer hours: give calendar.customer_hours (or calendar.shifts)",
            )
        if clock == "business" and c.part_wait_stops_clock:
            raise KeyedError(
                f"{key}.part_wait_stops_clock",
                "stopping the business clock for part waits is not built yet; use restore_clock = 'wall'",
            )
