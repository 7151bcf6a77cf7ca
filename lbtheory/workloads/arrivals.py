"""Arrival processes for open-loop runs: times in seconds, float64, non-decreasing, >= 0."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lbtheory.errors import ConfigError
from lbtheory.workloads.base import FloatArray
from lbtheory.workloads.generators import check_n_requests, check_real, check_rng

__all__ = [
    "check_arrival_times",
    "gamma_arrivals",
    "mean_rate_per_s",
    "poisson_arrivals",
    "scale_arrivals",
    "scale_to_rate",
]


def poisson_arrivals(
    n_requests: int, rate_per_s: float, rng: np.random.Generator, *, start_at_zero: bool = False
) -> FloatArray:
    """Arrival times of a homogeneous Poisson process of rate λ = rate_per_s (requests per second).

    Gaps E_j ~ Exp(λ) i.i.d. (mean 1/λ s). By default a_i = E_1 + ... + E_i, so the first arrival is
    at E_1 > 0, as for a Poisson process on [0, ∞). With ``start_at_zero=True``, a_1 = 0 and
    a_i = E_2 + ... + E_i (the process seen from the first arrival, like a trace loaded by
    :mod:`lbtheory.workloads.traces`). Either way n_requests draws are consumed.
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    lam = check_real("rate_per_s", rate_per_s, low=0.0, low_open=True)
    gaps = rng.exponential(1.0 / lam, size=n)
    if start_at_zero:
        gaps[0] = 0.0
    out: FloatArray = np.cumsum(gaps)
    return out


def gamma_arrivals(
    n_requests: int,
    rate_per_s: float,
    gap_cv: float,
    rng: np.random.Generator,
    *,
    start_at_zero: bool = True,
) -> FloatArray:
    """A renewal process with Gamma gaps of mean 1/λ and coefficient of variation c = gap_cv.

    Gaps G_j ~ Gamma(shape k = 1/c², scale θ = c²/λ): E[G] = kθ = 1/λ, sd/mean = 1/√k = c. c = 1 is
    the Poisson process; c > 1 is burstier. By default a_1 = 0 and a_i = G_2 + ... + G_i (as a
    loaded trace); with ``start_at_zero=False``, a_i = G_1 + ... + G_i.
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    lam = check_real("rate_per_s", rate_per_s, low=0.0, low_open=True)
    c = check_real("gap_cv", gap_cv, low=0.0, low_open=True)
    k = 1.0 / (c * c)
    gaps = rng.gamma(k, 1.0 / (k * lam), size=n)
    if start_at_zero:
        gaps[0] = 0.0
    out: FloatArray = np.cumsum(gaps)
    return out


def check_arrival_times(times_s: ArrayLike, name: str = "times_s") -> FloatArray:
    """times_s as a 1-D float64 array that is finite, >= 0 and non-decreasing, else ConfigError."""
    t = np.asarray(times_s, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ConfigError(f"{name} must be a non-empty 1-D array, got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        i = int(np.flatnonzero(~np.isfinite(t))[0])
        raise ConfigError(f"{name} must be finite; entry {i} is {t[i]}")
    if np.any(t < 0):
        i = int(np.flatnonzero(t < 0)[0])
        raise ConfigError(f"{name} must be >= 0; entry {i} is {t[i]}")
    if np.any(np.diff(t) < 0):
        i = int(np.flatnonzero(np.diff(t) < 0)[0]) + 1
        raise ConfigError(f"{name} must be non-decreasing; entry {i} ({t[i]}) < entry {i - 1}")
    return t


def scale_arrivals(times_s: ArrayLike, factor: float) -> FloatArray:
    """Time-compress arrival times by ``factor``: a'_i = a_i / factor.

    Rates multiply by the factor (factor = 2 packs the same requests into half the time, twice the
    rate); gaps and the time of the first arrival divide by it. factor > 0.
    """
    t = check_arrival_times(times_s)
    f = check_real("factor", factor, low=0.0, low_open=True)
    out: FloatArray = t / f
    return out


def mean_rate_per_s(times_s: ArrayLike) -> float:
    """The mean arrival rate (N − 1) / (a_N − a_1) in requests per second (N >= 2, a_N > a_1)."""
    t = check_arrival_times(times_s)
    if t.size < 2 or t[-1] <= t[0]:
        raise ConfigError("a rate needs at least two arrivals at distinct times")
    return float((t.size - 1) / (t[-1] - t[0]))


def scale_to_rate(times_s: ArrayLike, rate_per_s: float) -> FloatArray:
    """Scale arrival times so their mean rate (see :func:`mean_rate_per_s`) is ``rate_per_s``.

    a'_i = a_i · r̂ / r with r̂ the current mean rate and r the target: :func:`scale_arrivals` with
    factor r / r̂.
    """
    r = check_real("rate_per_s", rate_per_s, low=0.0, low_open=True)
    return scale_arrivals(times_s, r / mean_rate_per_s(times_s))
