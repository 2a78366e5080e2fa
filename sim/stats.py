"""Output analysis: confidence intervals over replications.

Replication/deletion: each replication is run past its warm-up and gives one
independent observation of every KPI; an interval over replications is the
confidence interval of the steady-state mean.  Replication means of short runs
are skewed (the waits of one replication are strongly autocorrelated), and the
Student-t interval then covers less than it says; :func:`mean_interval` is the
interval the summary uses (see :data:`SUMMARY_INTERVAL`), chosen by the coverage
benchmark ``bench/bench_coverage.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as sps

from sim.kpis import P_WAIT_GT, lookup, value_range


@dataclass(frozen=True)
class ConfidenceInterval:
    """A confidence interval of a mean.

    Symmetric (``mean +- half_width``) unless ``lower`` and ``upper`` are given
    (a skewness-corrected interval); then ``half_width`` is half its length.
    ``method`` names the interval: ``"t"`` (Student) or ``"skew_t"``
    (:func:`skew_t_interval`).
    """

    n: int
    mean: float
    sd: float
    half_width: float
    confidence: float
    method: str = "t"
    lower: float | None = None
    upper: float | None = None

    @property
    def low(self) -> float:
        return self.mean - self.half_width if self.lower is None else self.lower

    @property
    def high(self) -> float:
        return self.mean + self.half_width if self.upper is None else self.upper

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def rel_half_width(self) -> float:
        return self.half_width / abs(self.mean) if self.mean else math.inf

    def clipped(self, low: float, high: float) -> ConfidenceInterval:
        """The interval cut to ``[low, high]``, the values the quantity can take.

        The true value lies in that range, so the cut never loses coverage: the
        clipped interval holds it exactly when the original does.  ``half_width``
        becomes half the clipped length; an interval without ends (NaN) is kept.
        """
        lo, hi = self.low, self.high
        if math.isnan(lo) or math.isnan(hi) or (low <= lo and hi <= high):
            return self
        lo, hi = min(max(lo, low), high), max(min(hi, high), low)
        return replace(self, half_width=(hi - lo) / 2.0, lower=lo, upper=hi)


@lru_cache(maxsize=1024)
def _t_quantile(confidence: float, dof: int) -> float:
    """The two-sided ``confidence`` quantile of Student's t (cached: intervals are many)."""
    return float(sps.t.ppf(0.5 + confidence / 2, dof))


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> ConfidenceInterval:
    """Student-t interval of the mean of independent observations (NaNs dropped).

    Examples
    --------
    Five values 1..5: mean 3, sd sqrt(2.5), and t(0.975, 4) = 2.776 in any t table.

    >>> ci = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> ci.n, ci.mean, round(ci.half_width / (ci.sd / 5**0.5), 3)
    (5, 3.0, 2.776)
    >>> t_interval([4.0]).half_width  # one value gives no interval
    nan
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return ConfidenceInterval(0, math.nan, math.nan, math.nan, confidence)
    mean = float(x.mean())
    if n == 1:
        return ConfidenceInterval(1, mean, math.nan, math.nan, confidence)
    sd = float(x.std(ddof=1))
    t = _t_quantile(confidence, n - 1)
    return ConfidenceInterval(n, mean, sd, t * sd / math.sqrt(n), confidence)


def sample_skewness(values: Sequence[float] | np.ndarray) -> float:
    """Skewness ``k3 / s**3`` of a sample (NaNs dropped).

    ``k3 = n / ((n - 1)(n - 2)) * sum (x - xbar)**3`` is the unbiased third
    central moment and ``s`` the sample standard deviation, the estimates
    Johnson (1978) uses.  NaN with fewer than 3 values; 0 for a constant sample.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 3:
        return math.nan
    dev = x - x.mean()
    s2 = float(dev @ dev) / (n - 1)
    if s2 <= 0.0:
        return 0.0
    k3 = n * float(np.sum(dev**3)) / ((n - 1) * (n - 2))
    return float(k3 / s2**1.5)


def skew_t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> ConfidenceInterval:
    """Skewness-corrected t interval of a mean: Hall's (1992) transformation of Johnson's t.

    With ``T = (xbar - mu) / (s / sqrt(n))`` and the sample skewness ``g``
    (:func:`sample_skewness`), Johnson's (1978) modified statistic is
    ``T + a T**2 + a / 2`` with ``a = g / (3 sqrt(n))``: its Edgeworth expansion
    has no ``n**-1/2`` skewness term, which is what makes the plain t interval
    too short on the long-tailed side.  Hall (1992) adds ``a**2 T**3 / 3``,
    which changes nothing at that order but makes the map monotone and
    invertible,

    ``g(T) = ((1 + a T)**3 - 1) / (3 a) + a / 2``,
    ``g^-1(y) = ((1 + 3 a (y - a / 2))**(1/3) - 1) / a``,

    so the interval is ``[xbar - g^-1(t_q) s / sqrt(n), xbar - g^-1(-t_q) s / sqrt(n)]``
    with ``t_q`` the ``(1 + confidence) / 2`` quantile of Student's t with
    ``n - 1`` degrees of freedom.  For right-skewed replication means (waits,
    queue lengths, small proportions) both ends move right, the upper end the
    most; for ``g = 0`` it is the t interval.

    References
    ----------
    N. J. Johnson (1978), Modified t tests and confidence intervals for
    asymmetrical populations, J. Amer. Statist. Assoc. 73, 536-544.
    P. Hall (1992), On the removal of skewness by transformation, J. Roy.
    Statist. Soc. B 54, 221-228.
    J. P. C. Kleijnen, G. L. J. Kloppenburg, F. L. Meeuwsen (1986), Testing the
    mean of an asymmetric population: Johnson's modified t test revisited,
    Commun. Statist. Simul. Comput. 15, 715-732 (the correction applied to
    simulation output).

    Parameters
    ----------
    values : array_like
        Independent observations (NaNs dropped); fewer than 3 give the t interval.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    ConfidenceInterval
        ``method = "skew_t"``, with its (asymmetric) ``lower`` and ``upper`` ends.
    """
    ci = t_interval(values, confidence)
    g = sample_skewness(values)
    if ci.n < 3 or not math.isfinite(g) or ci.sd == 0.0:
        return ci
    n = ci.n
    tq = _t_quantile(confidence, n - 1)
    se = ci.sd / math.sqrt(n)
    a = g / (3.0 * math.sqrt(n))
    if abs(a) < 1e-12:
        lo_q, hi_q = -tq, tq
    else:

        def inverse(y: float) -> float:
            return (float(np.cbrt(1.0 + 3.0 * a * (y - a / 2.0))) - 1.0) / a

        lo_q, hi_q = inverse(-tq), inverse(tq)
    lower, upper = ci.mean - hi_q * se, ci.mean - lo_q * se
    return ConfidenceInterval(n, ci.mean, ci.sd, (upper - lower) / 2.0, confidence, "skew_t", lower, upper)


#: the interval of every mean in ``summary.csv``: "skew_t" or "t" (see :func:`mean_interval`)
SUMMARY_INTERVAL = "skew_t"
#: the interval of batch means (one long run): "t" or "skew_t"
BATCH_INTERVAL = "t"


def mean_interval(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95, method: str = SUMMARY_INTERVAL
) -> ConfidenceInterval:
    """The confidence interval the summary reports for a mean: ``method`` "t" or "skew_t"."""
    if method == "t":
        return t_interval(values, confidence)
    if method == "skew_t":
        return skew_t_interval(values, confidence)
    raise ValueError(f"unknown interval method {method!r}; use 't' or 'skew_t'")


def summarize(
    replications: pd.DataFrame,
    kpis: Sequence[str],
    by: Sequence[str] = ("design_point", "class"),
    confidence: float = 0.95,
    method: str | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Tidy summary: one row per group and KPI with n, mean, CI, half-width and interval.

    ``method`` (:func:`mean_interval`) defaults to :data:`SUMMARY_INTERVAL` over
    replications and :data:`BATCH_INTERVAL` over the batches of one long run (a
    ``batch`` column).  The column ``interval`` says which interval was used:
    ``skew_t`` or ``t`` (``t`` also where fewer than 3 values, or identical
    ones, leave no skewness to correct); ``skewness`` is the sample skewness
    of the values (:func:`sample_skewness`), which :func:`interval_warnings` reads.

    Every interval is clipped to its KPI's range (:meth:`ConfidenceInterval.clipped`):
    ``ranges`` maps a KPI to its ``(low, high)``; by default the KPI catalogue's
    (:func:`sim.kpis.value_range`: a share's interval stays within [0, 1], a
    non-negative KPI's above 0), and a column not in the catalogue is not clipped.
    """
    if method is None:
        method = BATCH_INTERVAL if "batch" in replications else SUMMARY_INTERVAL
    unbounded = (-math.inf, math.inf)
    span = {k: value_range(k) if ranges is None else ranges.get(k, unbounded) for k in kpis}
    rows = []
    for key, group in replications.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for kpi in kpis:
            if kpi not in group:
                continue
            ci = mean_interval(group[kpi].to_numpy(dtype=float), confidence, method).clipped(*span[kpi])
            if ci.n == 0:
                continue
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "kpi": kpi,
                    "n": ci.n,
                    "mean": ci.mean,
                    "sd": ci.sd,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                    "half_width": ci.half_width,
                    "interval": ci.method,
                    "skewness": sample_skewness(group[kpi].to_numpy(dtype=float)),
                }
            )
    return pd.DataFrame(rows)


#: fewer replications than this: intervals covered too little on the coverage benchmark
MIN_REPLICATIONS = 10
#: replication means more skewed than this: Stein's interval (``--precision``) fell short
STEIN_SKEWNESS = 0.5
#: coefficient of variation of the replication means of a congestion KPI (:func:`congestion_kpi`)
#: above which ``run`` warns: its intervals covered too little on the coverage benchmark
#: (bench/README.md: CV 0.19 on the M/M/1 at rho = 0.75, 3,000 h, 93.3 % at 95 %)
CV_MAX = 0.12
#: the CV the warning's suggested horizon aims at: the M/M/1 at rho = 0.75 with a 4x horizon
#: (CV 0.10) covered its level; below CV_MAX so that a run that follows it rarely warns again
CV_TARGET = 0.10
#: catalogue groups whose waits, delays and levels are congestion KPIs (:func:`congestion_kpi`)
CONGESTION_GROUPS = frozenset({"queue", "service", "fleet", "parts"})
#: aggregations of a mean of a wait or delay over calls or demands, or of a level over time
CONGESTION_AGGREGATIONS = frozenset({"calls", "demands", "time_average"})


#: catalogue groups whose shares of calls are wait or promise outcomes (:func:`call_share_kpi`)
CALL_SHARE_GROUPS = frozenset({"queue", "service", "helpdesk", "complaints"})
#: CV of a replication mean of a share's rarer outcome (:func:`rare_side_cv`) above which
#: ``run`` warns: the count of rare outcomes in a run comes in bursts (busy periods), so
#: its replication means are skewed in proportion to this CV, about 1-2 times it
#: (bench/README.md), where a wait's are 5-8 times its CV
SHARE_CV_MAX = 0.30
#: the CV the share warning's suggested horizon aims at (as :data:`CV_TARGET` for waits)
SHARE_CV_TARGET = 0.25


def call_share_kpi(name: str) -> bool:
    """Whether KPI ``name`` is a share of calls whose outcome depends on congestion.

    The share of calls that waited at all or longer than a threshold
    (``p_wait``, ``p_wait_gt_<x>h``), or met a promise (``sla_met``,
    ``restore_met``, ``reply_met``, ``complaint_met``): a share of calls in the
    catalogue groups :data:`CALL_SHARE_GROUPS`.  When one of its two outcomes is rare
    the rare outcomes come in bursts (the calls of one busy period), so a run holds few
    independent ones and its intervals fall short as a wait's do.  A name not in the
    catalogue is not.
    """
    try:
        kpi = lookup(name)
    except KeyError:
        return False
    return kpi.is_share and kpi.aggregation == "calls" and kpi.group in CALL_SHARE_GROUPS


def rare_side_cv(cv: float, mean: float) -> float:
    """The CV of a share's rarer outcome from the share's own CV and mean.

    A share ``p`` and its complement ``1 - p`` have the same standard deviation, so
    the CV of the rarer one is ``cv * p / min(p, 1 - p)``; ``nan`` for a mean outside
    ``(0, 1)`` (no outcome of one kind: the rule on equal replications covers that).

    >>> round(rare_side_cv(0.02, 0.95), 6)  # 95 % met: the CV of the 5 % missed
    0.38
    """
    if not 0.0 < mean < 1.0 or not math.isfinite(cv):
        return math.nan
    return cv * mean / min(mean, 1.0 - mean)


def congestion_kpi(name: str) -> bool:
    """Whether the replication means of KPI ``name`` are skewed in proportion to their CV.

    Means of waits, delays and congestion levels (``wait_h``, ``response_h``,
    ``restore_h``, ``queue_len``, ``machines_down``, ``part_wait_h``, the
    parts' delays and backorders, ...): KPIs of the catalogue's groups
    :data:`CONGESTION_GROUPS` made by the aggregations
    :data:`CONGESTION_AGGREGATIONS`, shares excluded.  The replication mean of
    such a KPI averages a strongly autocorrelated, right-skewed process, and its
    skewness and its coefficient of variation both fall as ``1 / sqrt(horizon)``
    (on the coverage benchmark the skewness is about 5-8 times the CV), but the CV
    is estimated far more stably from 10 values than the skewness.  Utilisation,
    shares and rates are not: their replication means are nearly symmetric (skewness
    about 0 at CV 0.02-0.03 on the benchmark).  A name not in the catalogue is not.
    """
    try:
        kpi = lookup(name)
    except KeyError:
        return False
    return kpi.group in CONGESTION_GROUPS and kpi.aggregation in CONGESTION_AGGREGATIONS and not kpi.is_share


def interval_warnings(summary: pd.DataFrame, pilot: pd.DataFrame | None = None) -> list[str]:
    """Where the summary's intervals may cover less than they claim, and what to do.

    From the coverage benchmark (``bench/README.md``): intervals over fewer than
    :data:`MIN_REPLICATIONS` replications fall short of their level; a KPI whose
    replication means are far more skewed than a normal sample's (``|skewness|``
    above 3 standard errors of a normal sample's, ``3 sqrt(6 / n)``) is only
    partly corrected by :func:`skew_t_interval`; batch means that fail the lag-1
    check are correlated, so their t interval is too short; a ``p_wait_gt_<x>h``
    equal in every replication (no call waited that long) is a rare event the run
    cannot estimate (on the benchmark's M/M/3, ``p_wait_gt_8h`` = 0.0014 covered
    only 55-80 %); Stein's interval of ``--precision`` (``interval = "stein"``) on
    replication means more skewed than :data:`STEIN_SKEWNESS` covered about 93 % at
    95 % on the benchmark's M/M/1 (skewness about 1); the replication means of a
    congestion KPI (:func:`congestion_kpi`) whose coefficient of variation ``sd /
    |mean|`` exceeds :data:`CV_MAX` are skewed enough that the ``skew_t`` interval
    fell short (M/M/1 at rho = 0.75, 3,000 h: CV 0.19, skewness 1.1, 93.3 % at 95 %
    with 10 replications), and the line says how many times longer a run would
    bring the CV to :data:`CV_TARGET` (``(CV / CV_TARGET) ** 2``, rounded up to a
    half; the 4x longer M/M/1, CV 0.10, covered its level).
    The CV is the rule because the sample skewness of 10 values is too noisy to
    warn on: on the benchmark the intervals with a small sample skewness covered
    the least.

    With ``pilot`` (:func:`sim.experiment.interval_check.check_intervals`: the CV of a
    replication mean estimated by an independent pilot) the CV rule reads the pilot
    and judges the design point as a whole: when any congestion KPI's pilot CV
    exceeds :data:`CV_MAX`, every congestion KPI of the point is warned about, and every
    share of calls that follows the waits (:func:`call_share_kpi`).  Then
    the warning does not depend on the replications of the interval, so it cannot
    select: a CV taken from the interval's own replications leaves unwarned exactly
    the intervals whose replications happened to vary little, which cover least (on
    the benchmark's M/M/1 at rho = 0.75, 79 % at 95 %).  Without ``pilot`` (a summary
    on its own) the rule falls back to the replications' own CV.  The pilot also judges
    each share of calls that follows the waits (:func:`call_share_kpi`) on its own: its
    rarer outcome's CV (:func:`rare_side_cv`) above :data:`SHARE_CV_MAX` warns about that
    share (only with a pilot, whose table carries ``pilot_mean``).

    Parameters
    ----------
    summary : pandas.DataFrame
        The output of :func:`summarize` (``batches_independent`` is read if present).
    pilot : pandas.DataFrame, optional
        Columns ``design_point``, ``class``, ``kpi``, ``pilot_cv`` and (for the rule on
        shares) ``pilot_mean``.

    Returns
    -------
    list of str
        One line per design point and problem, each with a suggestion.
    """
    if summary.empty or "n" not in summary:
        return []
    out: list[str] = []
    few: dict[str, int] = {}  # design points with too few replications: one line for all
    batch = "batches_independent" in summary
    rows = summary[summary["class"] == "all"] if "class" in summary else summary
    for dp, group in rows.groupby("design_point", sort=False):
        n = int(group["n"].max())
        if batch:
            bad = group[group["batches_independent"].astype("boolean").eq(False).fillna(False)]
            if not bad.empty:
                out.append(
                    f"{dp}: batch means of {_kpi_list(bad)} are correlated (lag-1 check failed), so "
                    "their intervals are too short: use fewer, longer batches or a longer run.horizon_h"
                )
        if 2 <= n < MIN_REPLICATIONS and not batch:
            few[str(dp)] = n
        # a rare wait: no replication saw a call wait that long, so the interval is [0, 0]
        threshold = np.array([P_WAIT_GT.matches(str(k)) for k in group["kpi"]], dtype=bool)
        rare = group[threshold & (group["sd"] == 0.0).to_numpy()] if n >= 2 else group.iloc[:0]
        if not rare.empty:
            out.append(
                f"{dp}: {_kpi_list(rare)} the same in every replication: the interval has no width "
                "and the event is too rare to estimate with this run: lengthen run.horizon_h"
            )
        if "interval" in group and "skewness" in group:
            # Stein's rule is exact for normal replication means; skewed ones fell short
            stein = group[(group["interval"] == "stein") & (group["skewness"].abs() > STEIN_SKEWNESS)]
            if not stein.empty:
                out.append(
                    f"{dp}: the --precision interval of {_kpi_list(stein)} may cover less than it claims: "
                    f"its replication means are skewed (|skewness| > {STEIN_SKEWNESS:g}; about 93 % at "
                    "95 % on the coverage benchmark, bench/README.md): lengthen run.horizon_h"
                )
        flagged: set[str] = set()
        if batch:
            pass  # the pilot and the CV rule judge replications; batches: the lag-1 and skewness checks
        elif pilot is not None and n >= 3 and (pilot["design_point"] == dp).any():
            flagged = _pilot_cv_warning(str(dp), group, pilot, out)
            flagged |= _pilot_share_warning(
                str(dp), group[~group["kpi"].astype(str).isin(flagged)], pilot, out
            )
        elif "sd" in group and "mean" in group and n >= 3:
            # congestion KPIs: the CV of their replication means stands for their skewness
            congestion = np.array([congestion_kpi(str(k)) for k in group["kpi"]], dtype=bool)
            mean = group["mean"].abs().to_numpy(dtype=float)
            cv = np.divide(group["sd"].to_numpy(dtype=float), mean, out=np.zeros(len(group)), where=mean > 0)
            over = congestion & (cv > CV_MAX)
            if over.any():
                worst = float(cv[over].max())
                factor = math.ceil((worst / CV_TARGET) ** 2 * 2) / 2  # CV ~ 1 / sqrt(horizon)
                hit = group[over]
                flagged = set(map(str, hit["kpi"]))
                used = "/".join(dict.fromkeys(map(str, hit["interval"]))) + " " if "interval" in hit else ""
                out.append(
                    f"{dp}: replication means of {_kpi_list(hit)} vary too much (CV up to {worst:.2f} > "
                    f"{CV_MAX:g}), so they are skewed and their {used}intervals may cover less than "
                    f"they claim (coverage benchmark, bench/README.md): lengthen run.horizon_h about "
                    f"{factor:g}-fold, to a CV near {CV_TARGET:g} (the CV falls as 1/sqrt(horizon))"
                )
        if "skewness" in group and n >= 3:
            limit = 3.0 * math.sqrt(6.0 / n)
            skewed = group[(group["skewness"].abs() > limit) & ~group["kpi"].astype(str).isin(flagged)]
            if not skewed.empty:
                out.append(
                    f"{dp}: replication means of {_kpi_list(skewed)} are strongly skewed (|skewness| > "
                    f"{limit:.2g}): their intervals may cover less than they claim; lengthen "
                    "run.horizon_h (or run more replications)"
                )
    if few:
        names = list(few)
        where = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        out.insert(
            0,
            f"{where}: intervals from {min(few.values())} replications cover less than they claim "
            f"(coverage benchmark, bench/README.md): run at least {MIN_REPLICATIONS} (--replications)",
        )
    return out


def _pilot_cv_warning(dp: str, group: pd.DataFrame, pilot: pd.DataFrame, out: list[str]) -> set[str]:
    """The CV rule on an independent pilot: one line for the design point, or none.

    Returns the KPIs the line covers: every congestion KPI of the point's and every share
    of calls that follows the waits (:func:`call_share_kpi`)."""
    # the shares of calls that follow the waits are as short as the waits (on the benchmark's
    # M/M/1 at rho = 0.75, p_wait_gt_2h covered 93.3 % of 95 % over 1,520 intervals)
    named = [str(k) for k in group["kpi"] if congestion_kpi(str(k)) or call_share_kpi(str(k))]
    mine = pilot[(pilot["design_point"] == dp) & (pilot["class"] == "all")]
    mine = mine[[congestion_kpi(str(k)) for k in mine["kpi"]]]  # all of the pilot's, not only the group's
    cv = mine["pilot_cv"].to_numpy(dtype=float)
    if not named or not len(cv) or not np.nanmax(cv, initial=0.0) > CV_MAX:
        return set()
    worst = int(np.nanargmax(cv))
    top = float(cv[worst])
    factor = math.ceil((top / CV_TARGET) ** 2 * 2) / 2  # CV ~ 1 / sqrt(horizon)
    hit = group[group["kpi"].astype(str).isin(named)]
    used = "/".join(dict.fromkeys(map(str, hit["interval"]))) + " " if "interval" in hit else ""
    out.append(
        f"{dp}: the run is short for its waits and queues: an independent pilot puts the CV of a "
        f"replication mean of {mine['kpi'].iloc[worst]} at {top:.2f} > {CV_MAX:g}, so the {used}intervals "
        f"of {_kpi_list(hit)} may cover less than they claim (coverage benchmark, bench/README.md): "
        f"lengthen run.horizon_h about {factor:g}-fold, to a CV near {CV_TARGET:g} (the CV falls as "
        "1/sqrt(horizon))"
    )
    return set(map(str, hit["kpi"]))


def _pilot_share_warning(dp: str, group: pd.DataFrame, pilot: pd.DataFrame, out: list[str]) -> set[str]:
    """The rule on shares of calls (:func:`call_share_kpi`), from the pilot: one line or none.

    Each share is judged on its own: the pilot's CV of its rarer outcome
    (:func:`rare_side_cv`) above :data:`SHARE_CV_MAX`.  Returns the shares warned about."""
    mine = pilot[(pilot["design_point"] == dp) & (pilot["class"] == "all")]
    if "pilot_mean" not in mine:
        return set()
    asked = set(map(str, group["kpi"]))
    cvs = {
        str(k): rare_side_cv(float(c), float(m))
        for k, c, m in zip(mine["kpi"], mine["pilot_cv"], mine["pilot_mean"], strict=True)
        if str(k) in asked and call_share_kpi(str(k))
    }
    over = {k: c for k, c in cvs.items() if c > SHARE_CV_MAX}
    if not over:
        return set()
    top = max(over.values())
    factor = math.ceil((top / SHARE_CV_TARGET) ** 2 * 2) / 2  # CV ~ 1 / sqrt(horizon)
    hit = group[group["kpi"].astype(str).isin(over)]
    out.append(
        f"{dp}: the run holds few of the rarer outcome of {_kpi_list(hit)}: an independent pilot puts "
        f"the CV of its replication mean at up to {top:.2f} > {SHARE_CV_MAX:g}, so their intervals may "
        f"cover less than they claim (coverage benchmark, bench/README.md): lengthen run.horizon_h about "
        f"{factor:g}-fold, to a CV near {SHARE_CV_TARGET:g}"
    )
    return set(over)


def _kpi_list(rows: pd.DataFrame, most: int = 4) -> str:
    names = list(dict.fromkeys(rows["kpi"]))
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


# ---------------------------------------------------------------------------
# Warm-up: MSER-5 and Welch's procedure
# ---------------------------------------------------------------------------


def _as_series(
    values: Sequence[float] | Sequence[Sequence[float]] | np.ndarray, name: str = "series"
) -> np.ndarray:
    """A 1-D float array of finite values; a 2-D input is averaged over its rows."""
    x = np.asarray(values, dtype=float)
    if x.ndim == 2:
        x = x.mean(axis=0)
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D (or 2-D: replications x instants)")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must contain finite values only")
    return x


@dataclass(frozen=True)
class MserResult:
    """Outcome of the MSER-5 warm-up rule.

    Attributes
    ----------
    truncation_index : int
        Number of observations to delete from the start of the series
        (``truncation_batches * batch``); the retained data are
        ``series[truncation_index:]``.
    truncation_batches : int
        The minimising ``d``, in batches.
    batch : int
        Observations per batch (5 for MSER-5).
    statistic : numpy.ndarray
        The MSER statistic for ``d = 0, 1, ..., d_max``.
    at_limit : bool
        True when the minimum is at the largest allowed ``d`` (about half the
        batches): the transient may be longer than the data and the run
        should be lengthened rather than the truncation trusted.
    """

    truncation_index: int
    truncation_batches: int
    batch: int
    statistic: np.ndarray
    at_limit: bool


def mser(series: Sequence[float] | np.ndarray, batch: int = 5) -> MserResult:
    """MSER-5 truncation point of an output series (White 1997; Law 2015, sec. 9.5.1).

    The series is cut into ``k = len(series) // batch`` batches of ``batch``
    consecutive observations (a trailing partial batch is ignored) with means
    ``Z_1, ..., Z_k``. The truncation ``d`` (in batches) minimises

    ``MSER(d) = sum_{i > d} (Z_i - Zbar_d)**2 / (k - d)**2``

    over ``0 <= d <= k // 2`` (and ``k - d >= 2``), where ``Zbar_d`` is the mean
    of the batches kept. Ties go to the smallest ``d``.

    Parameters
    ----------
    series : array_like
        Observations in time order (1-D). A 2-D array (replications x
        instants) is first averaged across replications.
    batch : int, default 5
        Batch size; 5 gives MSER-5, 1 plain MSER.

    Returns
    -------
    MserResult
        Truncation in observations and in batches, the statistic and a flag
        for a minimum at the search limit.

    Raises
    ------
    ValueError
        If ``batch < 1``, the data are not finite, or there are fewer than
        two full batches.
    """
    if int(batch) != batch or batch < 1:
        raise ValueError("batch must be a positive integer")
    batch = int(batch)
    x = _as_series(series)
    k = len(x) // batch
    if k < 2:
        raise ValueError(f"MSER needs at least 2 batches of {batch} observations, got {len(x)}")
    z = x[: k * batch].reshape(k, batch).mean(axis=1)
    z = z - z.mean()  # centring limits cancellation in the running sums below
    d_max = min(k // 2, k - 2)
    # sums over the kept batches i = d+1..k, for every d, from reversed cumulative sums
    s1 = np.cumsum(z[::-1])[::-1][: d_max + 1]
    s2 = np.cumsum((z * z)[::-1])[::-1][: d_max + 1]
    m = (k - np.arange(d_max + 1)).astype(float)
    ss = np.maximum(s2 - s1 * s1 / m, 0.0)
    stat = ss / (m * m)
    d = int(np.argmin(stat))
    return MserResult(
        truncation_index=d * batch,
        truncation_batches=d,
        batch=batch,
        statistic=stat,
        at_limit=d == d_max and d_max > 0,
    )


def mser_time(
    times: Sequence[float] | np.ndarray,
    values: Sequence[float] | Sequence[Sequence[float]] | np.ndarray,
    batch: int = 5,
    cap_fraction: float = 0.5,
    start: float = 0.0,
) -> float:
    """MSER-5 warm-up of a sampled time series, in time units.

    The observations ``values[:d]`` that MSER deletes end at ``times[d - 1]``,
    which is returned (``start`` when nothing is deleted), capped at
    ``start + cap_fraction * (times[-1] - start)``.

    Parameters
    ----------
    times : array_like
        Increasing sampling instants (1-D), e.g. evenly spaced level samples.
    values : array_like
        Observations at ``times``: 1-D, or 2-D (replications x instants), in
        which case MSER is applied to the average across replications.
    batch : int, default 5
        Batch size of the MSER rule.
    cap_fraction : float, default 0.5
        Largest warm-up as a fraction of the run ``[start, times[-1]]``.
    start : float, default 0.0
        Time origin of the run (the simulation starts at 0).

    Returns
    -------
    float
        Warm-up length (truncation time) in the units of ``times``.

    Raises
    ------
    ValueError
        On mismatched lengths, non-increasing times, ``start > times[0]``,
        ``cap_fraction`` outside [0, 1], or too few observations for MSER.
    """
    t = np.asarray(times, dtype=float)
    y = _as_series(values, "values")
    if t.ndim != 1 or len(t) != len(y):
        raise ValueError("times and values must have the same length")
    if not 0.0 <= cap_fraction <= 1.0:
        raise ValueError("cap_fraction must be in [0, 1]")
    if len(t) and (np.any(np.diff(t) <= 0) or not np.all(np.isfinite(t))):
        raise ValueError("times must be finite and strictly increasing")
    if len(t) and start > t[0]:
        raise ValueError("start must not be after the first sampling time")
    d = mser(y, batch).truncation_index
    warmup = start if d == 0 else float(t[d - 1])
    return float(min(warmup, start + cap_fraction * (float(t[-1]) - start)))


def welch_moving_average(replicated: Sequence[Sequence[float]] | np.ndarray, window: int) -> np.ndarray:
    """Welch's procedure: mean across replications, then a centred moving average.

    With ``Ybar_i`` the average over replications at instant ``i``
    (1-based, ``m`` instants), the smoothed series (Law 2015, sec. 9.5.1) is

    * ``Ybar_i(w) = mean(Ybar_{i-w}, ..., Ybar_{i+w})`` for ``i = w+1, ..., m-w``;
    * ``Ybar_i(w) = mean(Ybar_1, ..., Ybar_{2i-1})`` for ``i = 1, ..., w``
      (a window shrinking towards the start).

    Parameters
    ----------
    replicated : array_like
        2-D array, replications x instants (a 1-D array is one replication).
    window : int
        Half-width ``w >= 0`` of the window (``w = 0`` returns the averages).
        Law suggests ``w <= m // 4``.

    Returns
    -------
    numpy.ndarray
        The ``m - w`` smoothed values ``Ybar_1(w), ..., Ybar_{m-w}(w)``.

    Raises
    ------
    ValueError
        If the input is not 1-D/2-D and finite, or ``window`` is not in
        ``[0, m)``.
    """
    y = np.asarray(replicated, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[0] == 0:
        raise ValueError("replicated must be a 2-D array (replications x instants)")
    ybar = _as_series(y, "replicated")
    m = len(ybar)
    if int(window) != window or not 0 <= window < m:
        raise ValueError(f"window must be an integer in [0, {m})")
    w = int(window)
    c = np.concatenate(([0.0], np.cumsum(ybar)))
    i0 = np.arange(m - w)
    half = np.minimum(i0, w)
    lo, hi = i0 - half, i0 + half + 1
    smoothed: np.ndarray = (c[hi] - c[lo]) / (hi - lo)
    return smoothed


# ---------------------------------------------------------------------------
# Batch means for one long run
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchMeansResult:
    """Batch-means confidence interval of a steady-state mean.

    Attributes
    ----------
    mean : float
        Grand mean of the batch means.
    half_width : float
        t-interval half-width with ``batches - 1`` degrees of freedom.
    confidence : float
        Confidence level.
    batches : int
        Number of batches.
    batch_size : int
        Observations per batch.
    lag1_autocorrelation : float
        Lag-1 sample autocorrelation of the batch means.
    threshold : float
        The bound ``2 / sqrt(batches)`` that ``|lag1_autocorrelation|`` is
        compared with.
    independent : bool
        True when ``|lag1_autocorrelation| <= threshold``: no evidence that the
        batch means are correlated, so the interval can be trusted. False
        means: use larger (fewer) batches or a longer run.
    """

    mean: float
    half_width: float
    confidence: float
    batches: int
    batch_size: int
    lag1_autocorrelation: float
    threshold: float
    independent: bool

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width


def lag1_autocorrelation(values: Sequence[float] | np.ndarray) -> float:
    """Lag-1 sample autocorrelation ``sum (x_i - m)(x_{i+1} - m) / sum (x_i - m)**2``.

    Parameters
    ----------
    values : array_like
        A 1-D series of at least 2 finite values.

    Returns
    -------
    float
        The estimate; 0.0 for a constant series.
    """
    x = _as_series(values, "values")
    if len(x) < 2:
        raise ValueError("need at least 2 values")
    dev = x - x.mean()
    denom = float(dev @ dev)
    return 0.0 if denom == 0.0 else float(dev[:-1] @ dev[1:]) / denom


def batch_means(
    values: Sequence[float] | np.ndarray, batches: int = 20, confidence: float = 0.95
) -> BatchMeansResult:
    """Non-overlapping batch means interval for a single long (warmed-up) run.

    The series is cut into ``batches`` batches of ``b = n // batches``
    observations; the ``n - batches * b`` leftover observations are dropped
    from the *start* (nearest the warm-up). The interval is the Student-t
    interval of the batch means. Lag-1 check: the batch means are treated as
    independent when ``|r1| <= 2 / sqrt(batches)``, the approximate two-sided
    5 % test of zero autocorrelation (``r1`` is about N(0, 1/batches) for
    independent data); Law recommends 10-30 batches.

    Parameters
    ----------
    values : array_like
        Observations in time order after the warm-up (1-D, finite).
    batches : int, default 20
        Number of batches (at least 2).
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    BatchMeansResult

    Raises
    ------
    ValueError
        If there are fewer observations than batches or ``batches < 2``.
    """
    if int(batches) != batches or batches < 2:
        raise ValueError("batches must be an integer >= 2")
    batches = int(batches)
    x = _as_series(values, "values")
    size = len(x) // batches
    if size < 1:
        raise ValueError(f"need at least {batches} observations for {batches} batches")
    means = x[len(x) - batches * size :].reshape(batches, size).mean(axis=1)
    ci = t_interval(means, confidence)
    r1 = lag1_autocorrelation(means)
    threshold = 2.0 / math.sqrt(batches)
    return BatchMeansResult(
        mean=ci.mean,
        half_width=ci.half_width,
        confidence=confidence,
        batches=batches,
        batch_size=size,
        lag1_autocorrelation=r1,
        threshold=threshold,
        independent=abs(r1) <= threshold,
    )


# ---------------------------------------------------------------------------
# Sequential precision
# ---------------------------------------------------------------------------


def _precision_target(mean: float, rel_precision: float | None, abs_precision: float | None) -> float:
    """Largest acceptable half-width: max(gamma/(1+gamma) |mean|, abs_precision)."""
    if rel_precision is None and abs_precision is None:
        raise ValueError("give rel_precision, abs_precision or both")
    target = 0.0
    if rel_precision is not None:
        if rel_precision <= 0:
            raise ValueError("rel_precision must be > 0")
        target = rel_precision / (1.0 + rel_precision) * abs(mean)
    if abs_precision is not None:
        if abs_precision <= 0:
            raise ValueError("abs_precision must be > 0")
        target = max(target, abs_precision)
    return target


def precision_met(
    ci: ConfidenceInterval,
    rel_precision: float | None = None,
    abs_precision: float | None = None,
) -> bool:
    """Whether a confidence interval is as tight as asked.

    Relative precision ``gamma`` (Law 2015, sec. 9.4.1) is met when
    ``half_width / |mean| <= gamma / (1 + gamma)``, which bounds the actual
    relative error by ``gamma`` with the stated confidence. An absolute
    precision ``beta`` is met when ``half_width <= beta``. When both are given
    either suffices (the absolute one acts as a floor for KPIs near zero).

    Parameters
    ----------
    ci : ConfidenceInterval
        The interval, e.g. from :func:`t_interval`.
    rel_precision : float, optional
        Relative precision ``gamma`` (e.g. 0.05).
    abs_precision : float, optional
        Absolute half-width ``beta`` in the KPI's units.

    Returns
    -------
    bool
        False for an interval without a half-width (fewer than 2 values).
    """
    target = _precision_target(ci.mean, rel_precision, abs_precision)
    if ci.n < 2 or not math.isfinite(ci.half_width):
        return False
    return ci.half_width <= target


def required_replications(
    values: Sequence[float] | np.ndarray,
    rel_precision: float | None = None,
    abs_precision: float | None = None,
    confidence: float = 0.95,
) -> int:
    """Replications needed for a given precision, from the ones made so far.

    Law's approximation (2015, sec. 9.4.1): with ``n`` replications, mean
    ``Xbar`` and variance ``S**2``, the total needed is the smallest
    ``i >= n`` with ``t_{i-1, 1-alpha/2} * sqrt(S**2 / i) <= target``, where
    ``target = gamma / (1 + gamma) * |Xbar|`` for a relative precision
    ``gamma`` and ``beta`` for an absolute one (the larger target when both
    are given, as in :func:`precision_met`). ``S`` is held fixed, so use it as
    a plan and re-check with :func:`precision_met` after running more.

    Parameters
    ----------
    values : array_like
        One KPI value per replication made so far (NaNs dropped, at least 2).
    rel_precision : float, optional
        Relative precision ``gamma``.
    abs_precision : float, optional
        Absolute half-width ``beta``.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    int
        Total number of replications (at least ``n``).

    Raises
    ------
    ValueError
        With fewer than 2 values, no precision given, or a relative precision
        alone for a mean of exactly zero (unreachable).
    """
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 2:
        raise ValueError("need at least 2 replications")
    target = _precision_target(float(x.mean()), rel_precision, abs_precision)
    sd = float(x.std(ddof=1))
    if sd == 0.0:
        return n
    if target <= 0.0:
        raise ValueError("relative precision of a zero mean is unreachable; use abs_precision")
    q = 0.5 + confidence / 2

    def ok(i: int) -> bool:
        return float(sps.t.ppf(q, i - 1)) * sd / math.sqrt(i) <= target

    if ok(n):
        return n
    lo, hi = n, 2 * n  # ok(lo) is False; the half-width decreases in i
    while not ok(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


@dataclass(frozen=True)
class SteinPlan:
    """The second stage of Stein's two-stage rule, planned from the first stage.

    Attributes
    ----------
    n0 : int
        First-stage replications.
    mean : float
        First-stage mean (sets a relative target).
    sd : float
        First-stage standard deviation ``S0``: the final interval uses it, not the
        standard deviation of all replications.
    quantile : float
        ``t_{n0-1}`` at ``(1 + confidence) / 2``.
    target : float
        Half-width asked for (:func:`precision_met`'s target at the first-stage mean);
        NaN when none can be set (a relative target around a zero mean).
    total : int
        Replications in all, ``N``, at most the cap.
    confidence : float
        Confidence level.
    """

    n0: int
    mean: float
    sd: float
    quantile: float
    target: float
    total: int
    confidence: float

    @property
    def met(self) -> bool:
        """Whether ``N`` replications reach the target (False when the cap cut ``N``)."""
        return self.n0 >= 2 and self.quantile * self.sd / math.sqrt(self.total) <= self.target


def stein_plan(
    first_stage: Sequence[float] | np.ndarray,
    rel_precision: float | None = None,
    abs_precision: float | None = None,
    confidence: float = 0.95,
    max_total: int | None = None,
) -> SteinPlan:
    """Stein's (1945) two-stage rule: how many replications give the target half-width.

    From ``n0`` first-stage values with mean ``X0`` and standard deviation ``S0``,
    ``N = max(n0, ceil((t S0 / h)**2))`` with ``t = t_{n0-1, (1+confidence)/2}``
    and ``h`` the half-width asked (``gamma / (1 + gamma) |X0|`` for a relative
    precision ``gamma``, Law 2015 sec. 9.4.1; ``beta`` for an absolute one; the
    larger when both).  After the second stage, :func:`stein_interval` gives
    ``Xbar_N +- t S0 / sqrt(N)``, at most ``h`` wide.  For normal data
    ``sqrt(N) (Xbar_N - mu) / S0`` is exactly Student's t with ``n0 - 1``
    degrees of freedom when ``N`` depends on the data only through ``S0`` (an
    absolute target), which is then independent of every mean: the interval
    has its confidence whatever ``N`` turns out to be.  A relative target also
    uses ``X0``, and skewed replication means correlate ``X0`` with ``S0``, so
    there it is approximate (measured in ``bench/README.md``).  A sequential rule
    that stops as soon as the interval of all values so far is narrow enough
    (what ``--precision`` did before) has no such guarantee at any finite size
    (only as the target shrinks, Glynn and Whitt 1992); on the coverage
    benchmark's M/M/1 both rules' final intervals covered about 93 % at 95 %.

    References
    ----------
    C. Stein (1945), A two-sample test for a linear hypothesis whose power is
    independent of the variance, Ann. Math. Statist. 16, 243-258.
    A. M. Law (2015), Simulation Modeling and Analysis, 5th ed., sec. 9.4.1.
    P. W. Glynn, W. Whitt (1992), The asymptotic validity of sequential stopping
    rules for stochastic simulations, Ann. Appl. Probab. 2, 180-198.
    N. Mukhopadhyay, B. M. de Silva (2009), Sequential Methods and Their
    Applications, ch. 6 (two-stage fixed-width intervals).

    Parameters
    ----------
    first_stage : array_like
        The first ``n0`` values (NaNs dropped; fewer than 2 plan ``max_total``).
    rel_precision, abs_precision : float, optional
        As in :func:`precision_met`; at least one.
    confidence : float, default 0.95
        Confidence level.
    max_total : int, optional
        Cap on ``N`` (then :attr:`SteinPlan.met` may be False).

    Returns
    -------
    SteinPlan

    Examples
    --------
    Ten values with mean 10 and standard deviation 1, 5 % relative precision:
    ``h = 0.05 / 1.05 * 10 = 0.476`` and ``t_9 = 2.262``, so ``N = ceil((2.262 / 0.476)**2) = 23``.

    >>> x = 10 + np.sqrt(0.9) * np.array([-1.0, 1.0] * 5)
    >>> plan = stein_plan(x, rel_precision=0.05)
    >>> round(plan.sd, 6), plan.total, plan.met
    (1.0, 23, True)
    """
    x = np.asarray(first_stage, dtype=float).ravel()
    x = x[~np.isnan(x)]
    n0 = len(x)
    cap = max_total if max_total is not None else math.inf
    mean = float(x.mean()) if n0 else math.nan
    target = _precision_target(mean, rel_precision, abs_precision) if n0 else math.nan
    if n0 < 2:  # no spread to plan from
        return SteinPlan(n0, mean, math.nan, math.nan, target, int(max(n0, min(cap, 2**31))), confidence)
    sd = float(x.std(ddof=1))
    tq = _t_quantile(confidence, n0 - 1)
    if sd == 0.0:
        need = n0
    elif target > 0.0:
        need = max(n0, math.ceil((tq * sd / target) ** 2))
    else:  # a relative target around a zero mean: unreachable, run the most allowed
        target, need = math.nan, 2**31
    total = int(max(n0, min(need, cap)))
    return SteinPlan(n0, mean, sd, tq, target, total, confidence)


def stein_interval(plan: SteinPlan, values: Sequence[float] | np.ndarray) -> ConfidenceInterval:
    """The final interval of Stein's rule: the mean of all values, the first stage's spread.

    ``Xbar +- t_{n0-1} S0 / sqrt(n)`` over the ``n`` values given (the first stage
    included; ``n`` is the plan's ``N`` unless tasks failed); ``method = "stein"``.
    See :func:`stein_plan`.
    """
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0 or plan.n0 < 2:
        return t_interval(x, plan.confidence)
    hw = plan.quantile * plan.sd / math.sqrt(n)
    return ConfidenceInterval(n, float(x.mean()), plan.sd, hw, plan.confidence, "stein")


# ---------------------------------------------------------------------------
# Paired comparisons with common random numbers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedResult:
    """Paired-t comparison of two designs run with common random numbers.

    Attributes
    ----------
    mean_difference : float
        Mean of ``a - b`` over replications.
    ci : ConfidenceInterval
        t interval of the differences.
    var_paired : float
        Sample variance of the differences ``a_r - b_r``.
    var_independent : float
        ``var(a) + var(b)``: the variance of a difference had the designs
        used independent streams.
    variance_reduction : float
        ``var_independent / var_paired`` (> 1 when CRN helped); ``inf`` when
        the differences are constant and the designs are not.
    n : int
        Number of pairs used.
    """

    mean_difference: float
    ci: ConfidenceInterval
    var_paired: float
    var_independent: float
    variance_reduction: float
    n: int


def paired_comparison(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> PairedResult:
    """Paired t interval of ``a - b`` for designs aligned by replication (CRN).

    Parameters
    ----------
    a, b : array_like
        One KPI value per replication for each design; element ``r`` of both
        comes from replication ``r`` (same random streams). Pairs with a NaN
        in either are dropped.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    PairedResult

    Raises
    ------
    ValueError
        If ``a`` and ``b`` have different shapes.
    """
    xa = np.asarray(a, dtype=float).ravel()
    xb = np.asarray(b, dtype=float).ravel()
    if xa.shape != xb.shape:
        raise ValueError("a and b must be aligned by replication (same length)")
    keep = ~(np.isnan(xa) | np.isnan(xb))
    xa, xb = xa[keep], xb[keep]
    d = xa - xb
    ci = t_interval(d, confidence)
    n = len(d)
    if n < 2:
        var_p = var_i = math.nan
    else:
        var_p = float(d.var(ddof=1))
        var_i = float(xa.var(ddof=1) + xb.var(ddof=1))
    if math.isnan(var_p) or (var_p == 0.0 and var_i == 0.0):
        reduction = math.nan
    elif var_p == 0.0:
        reduction = math.inf
    else:
        reduction = var_i / var_p
    return PairedResult(ci.mean, ci, var_p, var_i, reduction, n)


# ---------------------------------------------------------------------------
# Selecting the best: Rinott's two-stage procedure
# ---------------------------------------------------------------------------

_RINOTT_NODES = 256


def _chi2_log_grid(dof: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[g(X)], X ~ chi-square(dof): trapezoid rule in log x.

    In ``z = log x`` the integrand is analytic and decays on both sides, so
    the equally spaced trapezoid rule converges exponentially fast.
    """
    lo = math.log(float(sps.chi2.ppf(1e-15, dof)))
    hi = math.log(float(sps.chi2.isf(1e-15, dof)))
    z = np.linspace(lo, hi, _RINOTT_NODES)
    x = np.exp(z)
    w = sps.chi2.pdf(x, dof) * x
    return x, w / w.sum()


def rinott_pcs(h: float, k: int, n0: int) -> float:
    """Rinott's lower bound on the probability of correct selection for a given ``h``.

    ``P(h) = E_Y[ (E_X[ Phi(h / sqrt((n0 - 1) (1/X + 1/Y))) ])**(k - 1) ]``
    with ``X, Y`` independent chi-square variables with ``n0 - 1`` degrees of
    freedom (Rinott 1978; Bechhofer, Santner & Goldsman 1995, sec. 2.6).

    Parameters
    ----------
    h : float
        Candidate constant (>= 0).
    k : int
        Number of designs (>= 2).
    n0 : int
        First-stage replications per design (>= 2).

    Returns
    -------
    float
    """
    dof = n0 - 1
    x, w = _chi2_log_grid(dof)
    inv = 1.0 / x
    arg = h / np.sqrt(dof * (inv[:, None] + inv[None, :]))  # rows: X, columns: Y
    inner = w @ special.ndtr(arg)  # E_X[...] for every Y node
    return float(w @ inner ** (k - 1))


@lru_cache(maxsize=256)
def _rinott_h(k: int, n0: int, confidence: float) -> float:
    hi = 4.0
    while rinott_pcs(hi, k, n0) < confidence:
        hi *= 2.0
        if hi > 1e6:
            raise ValueError("Rinott's h did not converge")
    return float(optimize.brentq(lambda h: rinott_pcs(h, k, n0) - confidence, 0.0, hi, xtol=1e-10))


def rinott_h(k: int, n0: int, confidence: float) -> float:
    """Rinott's constant ``h``, solving ``P(h) = confidence`` (see :func:`rinott_pcs`).

    The double integral is evaluated with a 256-node trapezoid rule in
    ``log x`` for both chi-square variables (accurate to ~1e-6 in ``h``) and
    the root is found with Brent's method. Examples: ``k=2, n0=20, 0.95`` ->
    2.4525 (for ``k = 2`` this equals the Dudewicz-Dalal ``h1`` in Law's
    table, 2.453); ``k=10, n0=51, 0.975`` -> 4.045 (Bechhofer, Santner &
    Goldsman 1995, Table 2.13).

    Parameters
    ----------
    k : int
        Number of designs (>= 2).
    n0 : int
        First-stage replications per design (>= 2).
    confidence : float
        Required probability of correct selection ``P*``, in ``(1/k, 1)``.

    Returns
    -------
    float

    Examples
    --------
    The values quoted above (Law's table rounds 2.4525 to 2.453):

    >>> round(rinott_h(2, 20, 0.95), 4), round(rinott_h(10, 51, 0.975), 3)
    (2.4525, 4.045)
    """
    if int(k) != k or k < 2:
        raise ValueError("k must be an integer >= 2")
    if int(n0) != n0 or n0 < 2:
        raise ValueError("n0 must be an integer >= 2")
    if not 1.0 / k < confidence < 1.0:
        raise ValueError("confidence must be in (1/k, 1)")
    return _rinott_h(int(k), int(n0), float(confidence))


@dataclass(frozen=True)
class RinottResult:
    """Second-stage plan of Rinott's procedure.

    Attributes
    ----------
    h : float
        Rinott's constant for ``k``, ``n0`` and ``confidence``.
    n0 : int
        First-stage replications per design.
    delta : float
        Indifference zone (smallest difference worth detecting).
    confidence : float
        Probability of correct selection guaranteed when the best design is
        at least ``delta`` better than all others.
    minimize : bool
        Whether the best design has the smallest mean.
    sd : dict[str, float]
        First-stage standard deviation ``S_i`` of every design.
    n_total : dict[str, int]
        Total replications ``N_i = max(n0, ceil((h S_i / delta)**2))``.
    """

    h: float
    n0: int
    delta: float
    confidence: float
    minimize: bool
    sd: dict[str, float]
    n_total: dict[str, int]

    @property
    def additional(self) -> dict[str, int]:
        """Second-stage replications ``N_i - n0`` per design."""
        return {name: n - self.n0 for name, n in self.n_total.items()}


def rinott_select(
    first_stage: Mapping[str, Sequence[float] | np.ndarray],
    delta: float,
    confidence: float = 0.95,
    minimize: bool = True,
) -> RinottResult:
    """Rinott's two-stage indifference-zone procedure: second-stage sample sizes.

    Run ``n0`` replications of each of the ``k`` designs, call this function,
    run ``N_i - n0`` more replications of design ``i``, then pick the design
    with the best mean over all its ``N_i`` replications
    (:func:`rinott_choose`). Each design must have its own independent
    streams in this procedure (no CRN across designs).

    Parameters
    ----------
    first_stage : mapping of str to array_like
        First-stage KPI values per design; all of the same length ``n0 >= 2``.
    delta : float
        Indifference zone, > 0, in the KPI's units.
    confidence : float, default 0.95
        Required probability of correct selection, in ``(1/k, 1)``.
    minimize : bool, default True
        Best = smallest mean (e.g. cost); False for the largest.

    Returns
    -------
    RinottResult
    """
    if len(first_stage) < 2:
        raise ValueError("Rinott's procedure needs at least 2 designs")
    if not delta > 0:
        raise ValueError("delta must be > 0")
    data = {name: np.asarray(v, dtype=float).ravel() for name, v in first_stage.items()}
    sizes = {len(v) for v in data.values()}
    if len(sizes) != 1:
        raise ValueError("every design needs the same number n0 of first-stage values")
    n0 = sizes.pop()
    if any(not np.all(np.isfinite(v)) for v in data.values()):
        raise ValueError("first-stage values must be finite")
    h = rinott_h(len(data), n0, confidence)
    sd = {name: float(v.std(ddof=1)) for name, v in data.items()}
    n_total = {name: max(n0, math.ceil((h * s / delta) ** 2)) for name, s in sd.items()}
    return RinottResult(h, n0, float(delta), confidence, minimize, sd, n_total)


def rinott_choose(means: Mapping[str, float | Sequence[float] | np.ndarray], minimize: bool = True) -> str:
    """The design with the best overall mean (first one listed on a tie).

    Parameters
    ----------
    means : mapping of str to float or array_like
        Overall mean of each design, or all its ``N_i`` values (averaged here).
    minimize : bool, default True
        Best = smallest mean.

    Returns
    -------
    str
        Name of the chosen design.
    """
    if not means:
        raise ValueError("no designs to choose from")
    names = list(means)
    vals = np.array([float(np.mean(np.asarray(means[n], dtype=float))) for n in names])
    if np.any(np.isnan(vals)):
        raise ValueError("a design has no finite mean")
    return names[int(np.argmin(vals) if minimize else np.argmax(vals))]


# ---------------------------------------------------------------------------
# Little's law
# ---------------------------------------------------------------------------


def little_check(L: float, lam: float, W: float) -> float:
    """Relative discrepancy of Little's law ``L = lambda W``.

    Parameters
    ----------
    L : float
        Time-average number in the system (or queue).
    lam : float
        Arrival (throughput) rate, in calls per time unit.
    W : float
        Mean time in the system (or queue), in the same time unit.

    Returns
    -------
    float
        ``|L - lam W| / max(|L|, |lam W|)``; 0 when both sides are 0, NaN if
        an input is NaN.

    Examples
    --------
    >>> little_check(2.0, 0.5, 4.0)  # L = lambda W exactly
    0.0
    >>> round(little_check(2.0, 0.5, 4.4), 4)  # 0.2 off the larger side, 2.2
    0.0909
    """
    rhs = lam * W
    scale = max(abs(L), abs(rhs))
    if math.isnan(scale):
        return math.nan
    return 0.0 if scale == 0.0 else abs(L - rhs) / scale
