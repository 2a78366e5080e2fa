"""Several job types on shared technicians: one queue with a mixed service-time law.

Job type i arrives as a Poisson stream of rate lambda_i, and its on-site time (travel
included) has mean m_i and squared coefficient of variation c_i^2. The merged stream is
Poisson with lambda = sum lambda_i, and under FIFO each job's time is drawn from the
mixture with weights lambda_i / lambda:

    E[S] = sum (lambda_i / lambda) m_i,
    E[S^2] = sum (lambda_i / lambda) m_i^2 (1 + c_i^2),
    c^2 = E[S^2] / E[S]^2 - 1.

* One technician: the M/G/1 with that mixture, Pollaczek-Khinchine, is exact.
* s technicians: no closed form; the Allen-Cunneen approximation Wq ~ Wq(M/M/s)
  (1 + c^2) / 2 (A. O. Allen, *Probability, Statistics and Queueing Theory*, 2nd ed.,
  Academic Press, 1990; for Poisson arrivals it is Lee and Longton's, *Operational
  Research Quarterly* 10, 1959), labelled approximate. (It is exact when the mixture is
  exponential: every type exponential with the same mean.)
* Under FIFO a job's wait does not depend on its own type, so every type has the same
  mean wait, and the time in system of type i is Wq + m_i (exact given Wq).
* Technician time by type is exact in any case: type i takes lambda_i m_i / s of each
  technician's time, a share lambda_i m_i / sum lambda_j m_j of the work.
* Nonpreemptive priority between types with one technician: Cobham's formula with the
  mean residual work of the mixture, W0 = sum lambda_i E[S_i^2] / 2, exact
  (:func:`mg1_priority_mixed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .queues import _check_stable, _count, _nonpreemptive_waits, _rate, allen_cunneen, mg1

__all__ = ["MixedResult", "ServiceMixture", "mg1_priority_mixed", "mixed_mgs", "service_mixture"]


@dataclass(frozen=True)
class ServiceMixture:
    """The service-time law of merged job types.

    Attributes
    ----------
    arrival_rate : float
        lambda = sum lambda_i.
    mean : float
        E[S].
    second_moment : float
        E[S^2].
    scv : float
        c^2 = Var[S] / E[S]^2.
    call_shares : tuple of float
        lambda_i / lambda.
    work_shares : tuple of float
        lambda_i m_i / sum lambda_j m_j, the share of technician time of each type.
    """

    arrival_rate: float
    mean: float
    second_moment: float
    scv: float
    call_shares: tuple[float, ...]
    work_shares: tuple[float, ...]

    @property
    def variance(self) -> float:
        """Var[S] = E[S^2] - E[S]^2."""
        return max(self.second_moment - self.mean * self.mean, 0.0)


@dataclass(frozen=True)
class MixedResult:
    """Steady state of shared technicians serving several job types.

    Attributes
    ----------
    model : str
        E.g. ``"M/G/1 (mixed types)"``, ``"M/G/3 (mixed types, Allen-Cunneen)"``.
    exact : bool
        True for one technician (Pollaczek-Khinchine, Cobham), False for Allen-Cunneen.
    mixture : ServiceMixture
        The merged service law.
    servers : int
        Technicians s.
    utilization : float
        lambda E[S] / s (exact).
    busy_by_type : tuple of float
        lambda_i m_i / s: the share of each technician's time on type i (exact).
    p_wait : float
        Chance that a job waits (rho for one technician; Erlang C of the M/M/s with the same
        mean under Allen-Cunneen).
    wq : float
        Mean wait over all jobs.
    wq_by_type : tuple of float
        Mean wait of each type (all equal to ``wq`` under FIFO).
    w_by_type : tuple of float
        Mean time in system of each type, ``wq_by_type[i] + m_i``.
    lq : float
        Mean number waiting.
    """

    model: str
    exact: bool
    mixture: ServiceMixture
    servers: int
    utilization: float
    busy_by_type: tuple[float, ...]
    p_wait: float
    wq: float
    wq_by_type: tuple[float, ...]
    w_by_type: tuple[float, ...]
    lq: float


def _types(
    rates: Sequence[float], means: Sequence[float], scvs: Sequence[float]
) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    if not (len(rates) == len(means) == len(scvs)) or not rates:
        raise ValueError(
            f"rates, means and scvs must be equally long and not empty, got {len(rates)}, "
            f"{len(means)}, {len(scvs)}"
        )
    lam = tuple(_rate(f"rates[{i}]", x, allow_zero=True) for i, x in enumerate(rates))
    m = tuple(_rate(f"means[{i}]", x) for i, x in enumerate(means))
    c2 = tuple(_rate(f"scvs[{i}]", x, allow_zero=True) for i, x in enumerate(scvs))
    if sum(lam) <= 0:
        raise ValueError(f"rates must have a positive total, got {list(rates)!r}")
    return lam, m, c2


def service_mixture(rates: Sequence[float], means: Sequence[float], scvs: Sequence[float]) -> ServiceMixture:
    """Mean, second moment and SCV of the service time of merged Poisson job types.

    Parameters
    ----------
    rates : sequence of float
        lambda_i >= 0 per type (total > 0).
    means : sequence of float
        m_i > 0, the mean on-site time of each type (travel included).
    scvs : sequence of float
        c_i^2 >= 0 (0: deterministic, 1: exponential).

    Returns
    -------
    ServiceMixture

    Examples
    --------
    Repairs (2 a day, exponential, 0.25 day) and installations (0.5 a day, exactly 0.5 day):

    >>> m = service_mixture([2.0, 0.5], [0.25, 0.5], [1.0, 0.0])
    >>> round(m.mean, 6), round(m.scv, 6), tuple(round(x, 6) for x in m.work_shares)
    (0.3, 0.666667, (0.666667, 0.333333))
    """
    lam, m, c2 = _types(rates, means, scvs)
    total = sum(lam)
    shares = tuple(x / total for x in lam)
    mean = sum(p * x for p, x in zip(shares, m, strict=True))
    second = sum(p * x * x * (1.0 + c) for p, x, c in zip(shares, m, c2, strict=True))
    work = tuple(x * y for x, y in zip(lam, m, strict=True))
    return ServiceMixture(
        arrival_rate=total,
        mean=mean,
        second_moment=second,
        scv=max(second / (mean * mean) - 1.0, 0.0),
        call_shares=shares,
        work_shares=tuple(w / sum(work) for w in work),
    )


def mixed_mgs(
    rates: Sequence[float], means: Sequence[float], scvs: Sequence[float], servers: int
) -> MixedResult:
    """FIFO queue of mixed job types on s technicians (exact for s = 1, else Allen-Cunneen).

    Parameters
    ----------
    rates, means, scvs : sequence of float
        Per type, as in :func:`service_mixture`.
    servers : int
        Technicians s >= 1.

    Returns
    -------
    MixedResult
        For s = 1 the Pollaczek-Khinchine M/G/1 of the mixture, ``exact=True``; for s > 1
        the Allen-Cunneen approximation, ``exact=False``.

    Raises
    ------
    UnstableQueueError
        If lambda E[S] / s >= 1.

    Examples
    --------
    >>> r = mixed_mgs([2.0, 0.5], [0.25, 0.5], [1.0, 0.0], 1)
    >>> r.model, r.exact, round(r.wq, 6), tuple(round(w, 6) for w in r.w_by_type)
    ('M/G/1 (mixed types)', True, 0.75, (1.0, 1.25))
    """
    lam_t, means_t, scvs_t = _types(rates, means, scvs)
    mix = service_mixture(lam_t, means_t, scvs_t)
    s = _count("servers", servers)
    lam = mix.arrival_rate
    if s == 1:
        q = mg1(lam, mix.mean, mix.variance)
        model, exact = "M/G/1 (mixed types)", True
    else:
        q = allen_cunneen(lam, mix.mean, mix.variance, s)
        model, exact = f"M/G/{s} (mixed types, Allen-Cunneen)", False
    return MixedResult(
        model=model,
        exact=exact,
        mixture=mix,
        servers=s,
        utilization=q.utilization,
        busy_by_type=tuple(r * m / s for r, m in zip(lam_t, means_t, strict=True)),
        p_wait=q.p_wait,
        wq=q.wq,
        wq_by_type=(q.wq,) * len(means_t),
        w_by_type=tuple(q.wq + m for m in means_t),
        lq=q.lq,
    )


def mg1_priority_mixed(rates: Sequence[float], means: Sequence[float], scvs: Sequence[float]) -> MixedResult:
    """Nonpreemptive priority between job types with their own service laws, one technician (exact).

    Parameters
    ----------
    rates, means, scvs : sequence of float
        Per type, index 0 = highest priority, as in :func:`service_mixture`.

    Returns
    -------
    MixedResult
        ``wq_by_type[k] = W0 / ((1 - sigma_{k-1}) (1 - sigma_k))`` with W0 = sum lambda_i
        E[S_i^2] / 2 and sigma_k = sum_{i<=k} lambda_i m_i (Cobham 1954); ``wq`` is their
        rate-weighted mean; FIFO within a type. Labelled exact.

    Raises
    ------
    UnstableQueueError
        If lambda E[S] >= 1.

    Examples
    --------
    Repairs first, installations behind them:

    >>> r = mg1_priority_mixed([2.0, 0.5], [0.25, 0.5], [1.0, 0.0])
    >>> tuple(round(w, 6) for w in r.wq_by_type)
    (0.375, 1.5)
    """
    lam, m, c2 = _types(rates, means, scvs)
    mix = service_mixture(lam, m, c2)
    model = "M/G/1 nonpreemptive priority (mixed types)"
    rho = mix.arrival_rate * mix.mean
    _check_stable(rho, model)
    w0 = sum(x * y * y * (1.0 + c) for x, y, c in zip(lam, m, c2, strict=True)) / 2.0
    waits = tuple(_nonpreemptive_waits(w0, [x * y for x, y in zip(lam, m, strict=True)]))
    wq = sum(x * w for x, w in zip(lam, waits, strict=True)) / mix.arrival_rate
    return MixedResult(
        model=model,
        exact=True,
        mixture=mix,
        servers=1,
        utilization=rho,
        busy_by_type=tuple(x * y for x, y in zip(lam, m, strict=True)),
        p_wait=rho,
        wq=wq,
        wq_by_type=waits,
        w_by_type=tuple(w + y for w, y in zip(waits, m, strict=True)),
        lq=mix.arrival_rate * wq,
    )
