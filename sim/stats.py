"""Output analysis: confidence intervals over replications.

Replication/deletion: each replication is run past its warm-up and gives one
independent observation of every KPI; the t interval over replications is
the confidence interval of the steady-state mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps


@dataclass(frozen=True)
class ConfidenceInterval:
    """A t-based confidence interval of a mean."""

    n: int
    mean: float
    sd: float
    half_width: float
    confidence: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def rel_half_width(self) -> float:
        return self.half_width / abs(self.mean) if self.mean else math.inf


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> ConfidenceInterval:
    """Student-t interval of the mean of independent observations (NaNs dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return ConfidenceInterval(0, math.nan, math.nan, math.nan, confidence)
    mean = float(x.mean())
    if n == 1:
        return ConfidenceInterval(1, mean, math.nan, math.nan, confidence)
    sd = float(x.std(ddof=1))
    t = float(sps.t.ppf(0.5 + confidence / 2, n - 1))
    return ConfidenceInterval(n, mean, sd, t * sd / math.sqrt(n), confidence)


def summarize(
    replications: pd.DataFrame,
    kpis: Sequence[str],
    by: Sequence[str] = ("design_point", "class"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tidy summary: one row per group and KPI with n, mean, CI and half-width."""
    rows = []
    for key, group in replications.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for kpi in kpis:
            if kpi not in group:
                continue
            ci = t_interval(group[kpi].to_numpy(dtype=float), confidence)
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
                }
            )
    return pd.DataFrame(rows)
