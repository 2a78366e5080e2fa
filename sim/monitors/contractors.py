"""The contractor's work (``[contractor]``): calls handed over, its response, its visits.

Built only for a system with a contractor.  A contracted call is a call like any other
for the call tally: this tally hands the contractor's reports on to it (its hand-over
ends the wait, its arrival is the response, its repair the restoration), and its
restorations to every other tally that hears them (repeats, milestones, the call log),
so ``wait_h``, ``response_h``, ``sla_met``, ``restore_h``, ``machines_down`` and the
restored milestone hold the contracted calls too.  The
technicians' tallies (levels, trips, hours) never hear of them.

KPIs, per row and overall: ``contractor_share`` (calls logged in the window that went to
the contractor / calls logged in the window), ``contractor_response_h`` (call logged ->
contractor on site, for those calls) and ``contractor_jobs_per_day`` (contractor visits
started in the window per working day; ``contractor_cost_per_day`` is made from it by
:func:`sim.costs.contractor_money`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .calls import CallTally
from .level import NAN
from .protocol import CallLike
from .tally import Tally


@dataclass(frozen=True, slots=True)
class ContractorSnapshot:
    contracted: tuple[int, ...]  # per row: calls of the window handed over
    response_sum: tuple[float, ...]  # per row: logged -> contractor on site
    responses: tuple[int, ...]
    jobs: tuple[int, ...]  # per row: visits started in the window
    failed: int  # visits that did not fix the machine


class ContractorTally(Tally):
    """Contracted calls per row, their response, the contractor's visits.

    Parameters
    ----------
    rows
        Names of the rows (service classes, then job types).
    hours_per_day
        Length of a working day (for ``contractor_jobs_per_day``).
    calls
        The call tally, which counts the contracted calls as calls.
    restored
        Other handlers of a restoration (the repeat tally, the milestones, the call log).
    """

    __slots__ = (
        "calls",
        "contracted",
        "failed",
        "hours_per_day",
        "jobs",
        "response_sum",
        "responses",
        "restored_to",
        "rows",
    )
    name = "contractor"

    def __init__(
        self,
        rows: Sequence[str],
        hours_per_day: float,
        calls: CallTally,
        restored: Sequence[Callable[[CallLike, float], None]] = (),
    ) -> None:
        super().__init__()
        self.rows = list(rows)
        self.hours_per_day = hours_per_day
        self.calls = calls
        self.restored_to = (calls.restored, *restored)
        self.clear(0.0)

    def handles(self) -> dict[str, Callable[..., None]]:
        return {
            "contracted": self.contracted_call,
            "contractor_on_site": self.on_site,
            "contractor_failed": self.failed_visit,
            "contractor_restored": self.restored,
        }

    def contracted_call(self, call: CallLike, now: float) -> None:
        """The call leaves the team's line for the contractor: its wait ends."""
        self.calls.dispatched(call, now)
        row = call.service_class
        if self.start <= now < self.end:
            self.jobs[row] += 1
        if self.warm_end <= call.logged_at < self.end:
            self.contracted[row] += 1

    def on_site(self, call: CallLike, now: float) -> None:
        self.calls.on_site(call, now)
        if self.warm_end <= call.logged_at < self.end:
            row = call.service_class
            self.responses[row] += 1
            self.response_sum[row] += now - call.logged_at

    def failed_visit(self, call: CallLike, now: float) -> None:
        if self.warm_end <= call.logged_at < self.end:
            self.failed += 1

    def restored(self, call: CallLike, now: float) -> None:
        for handler in self.restored_to:
            handler(call, now)

    def clear(self, now: float) -> None:
        n = len(self.rows)
        self.contracted = [0] * n
        self.response_sum = [0.0] * n
        self.responses = [0] * n
        self.jobs = [0] * n
        self.failed = 0

    def snapshot(self, now: float) -> ContractorSnapshot:
        return ContractorSnapshot(
            tuple(self.contracted),
            tuple(self.response_sum),
            tuple(self.responses),
            tuple(self.jobs),
            self.failed,
        )

    def absorb(self, snapshot: ContractorSnapshot, now: float) -> None:
        self.contracted = [a + b for a, b in zip(self.contracted, snapshot.contracted, strict=True)]
        self.response_sum = [a + b for a, b in zip(self.response_sum, snapshot.response_sum, strict=True)]
        self.responses = [a + b for a, b in zip(self.responses, snapshot.responses, strict=True)]
        self.jobs = [a + b for a, b in zip(self.jobs, snapshot.jobs, strict=True)]
        self.failed += snapshot.failed

    def kpis(self, now: float, rows: dict[str, dict[str, float]]) -> None:
        days = (now - self.start) / self.hours_per_day
        logged = [t.logged for t in self.calls.tally]
        sums = list(zip(self.contracted, logged, self.response_sum, self.responses, self.jobs, strict=True))
        for name, (contracted, n, rsum, responses, jobs) in [
            *zip(self.rows, sums, strict=True),
            ("all", tuple(sum(column) for column in zip(*sums, strict=True))),
        ]:
            row = rows[name]
            row["contractor_share"] = contracted / n if n else NAN
            row["contractor_response_h"] = rsum / responses if responses else NAN
            row["contractor_jobs_per_day"] = jobs / days if days > 0 else NAN
