"""Small statistics shared by the experiments and the package: means with Student-t intervals."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def mean_ci(x: ArrayLike, level: float = 0.95, *, finite_only: bool = False) -> tuple[float, float]:
    """The mean of x and the half-width of its Student-t interval at ``level``: t_{n−1, (1+level)/2}·s/√n
    (s the sample standard deviation). One value: half-width 0; none: (nan, nan). With ``finite_only``
    the non-finite entries are dropped first (else they propagate)."""
    from scipy import stats

    a = np.asarray(x, float)
    if finite_only:
        a = a[np.isfinite(a)]
    if a.size == 0:
        return float("nan"), float("nan")
    if a.size < 2:
        return float(a.mean()), 0.0
    half = stats.t.ppf(0.5 + level / 2, a.size - 1) * a.std(ddof=1) / np.sqrt(a.size)
    return float(a.mean()), float(half)
