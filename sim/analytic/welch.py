"""M/G/1 with an exceptional first service in each busy period (Welch, 1964).

A technician who was idle drives from base; one who goes straight from the last job
drives between jobs. With one technician and Poisson calls, the call that opens a busy
period has service S0 (trip from base + repair) and every other call service S (trip
between jobs + repair): P. D. Welch, "On a generalized M/G/1 queuing process in which
the first customer of each busy period receives exceptional service", Operations
Research 12 (1964) 736-752.

With rho = lambda E[S] < 1, the server is idle with probability
p0 = (1 - rho) / (1 - rho + lambda E[S0]), and the mean wait in line is

    Wq = lambda E[S^2] / (2 (1 - rho)) + lambda (E[S0^2] - E[S^2]) / (2 (1 - rho + lambda E[S0]))

(the Pollaczek-Khinchine wait when S0 = S). A Poisson call finds the technician idle
with probability p0 (PASTA), and then receives S0.
"""

from __future__ import annotations

from dataclasses import dataclass

from .queues import UnstableQueueError


@dataclass(frozen=True)
class WelchResult:
    """Steady state of the M/G/1 with exceptional first service."""

    arrival_rate: float
    p_idle: float  # time share (and, by PASTA, call share) with the technician idle
    wq: float  # mean wait in line
    mean_service: float  # mean service per call: p0 E[S0] + (1 - p0) E[S]

    @property
    def utilization(self) -> float:
        return 1.0 - self.p_idle

    @property
    def p_wait(self) -> float:
        return 1.0 - self.p_idle

    @property
    def w(self) -> float:
        return self.wq + self.mean_service

    @property
    def lq(self) -> float:
        return self.arrival_rate * self.wq

    @property
    def l(self) -> float:  # noqa: E743 (the textbook's L)
        return self.arrival_rate * self.w


def mg1_exceptional_first(
    lam: float, mean_first: float, second_first: float, mean: float, second: float
) -> WelchResult:
    """Welch's M/G/1 whose busy periods open with a service of another law.

    Parameters
    ----------
    lam : float
        Poisson arrival rate.
    mean_first, second_first : float
        E[S0] and E[S0^2]: the service of a call that finds the server idle.
    mean, second : float
        E[S] and E[S^2]: the service of every other call.

    Raises
    ------
    UnstableQueueError
        If lam E[S] >= 1 (the busy periods, once started, never end).
    """
    if lam <= 0 or mean_first <= 0 or mean <= 0:
        raise ValueError("the arrival rate and the mean services must be > 0")
    rho = lam * mean
    if rho >= 1.0:
        raise UnstableQueueError(rho)
    denom = 1.0 - rho + lam * mean_first
    p0 = (1.0 - rho) / denom
    wq = lam * second / (2.0 * (1.0 - rho)) + lam * (second_first - second) / (2.0 * denom)
    return WelchResult(lam, p0, wq, p0 * mean_first + (1.0 - p0) * mean)
