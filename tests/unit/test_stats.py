"""lbtheory.stats.mean_ci against scipy's own Student-t interval."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from lbtheory.stats import mean_ci


def test_mean_ci_matches_scipy_interval() -> None:
    x = np.array([1.0, 4.0, 2.5, 3.0, 7.0])
    lo, hi = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    m, h = mean_ci(x)
    assert m == x.mean() and math.isclose(h, (hi - lo) / 2, rel_tol=1e-12)


def test_mean_ci_edge_cases_and_non_finite_values() -> None:
    assert mean_ci([3.0]) == (3.0, 0.0)
    assert all(math.isnan(v) for v in mean_ci([], finite_only=True))
    assert math.isnan(mean_ci([1.0, float("nan"), 2.0])[0])
    assert mean_ci([1.0, float("nan"), 3.0], finite_only=True)[0] == 2.0
