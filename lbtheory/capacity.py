"""A back-of-envelope service rate: how many requests per second a cluster sustains on a workload.

Derivation (MODEL.md's model, full cluster). When every one of the G·B slots is busy, each decode step
generates G·B tokens, and a request occupies its slot for o_i steps, so the cluster completes on average

    G·B / E[o]   requests per step.

A slot's occupant is, on average, halfway through its output, so its KV length is about E[s] + E[o]/2
and a worker with B busy slots carries L ≈ B·(E[s] + E[o]/2) tokens. With every worker at that load the
step takes

    Δt̄ = C + t · B · (E[s] + E[o]/2)   seconds,

and the service rate is

    μ = G·B / (E[o] · Δt̄)   requests per second.

What this leaves out, so μ is an estimate, not a bound: the barrier makes the step as long as the
*largest* load, max_g L_g ≥ mean_g L_g, so any imbalance lowers the real capacity (which is the point of
the paper); a slot is occupied by a request in proportion to o_i (length bias), so with long or
prompt-correlated outputs the time-average KV length exceeds E[s] + E[o]/2; and a policy may leave slots
empty. A load factor ρ = λ/μ near 1 is therefore already past what most policies sustain;
``experiments/sustainable_rate.py`` measures the real limit per policy.

**When does a queue grow without bound?** A finite run cannot show divergence, only a trend. For arrivals
a_1 <= ... <= a_N (admitted at t_i), the backlog seen by arrival i is Q_i = #{j : a_j <= a_i} −
#{j : t_j <= a_i}, the requests that have arrived and not yet started. :func:`backlog_growth` is the
least-squares slope dQ/da over the arrivals after the first ``skip_fraction`` (the warm-up), divided by
the mean arrival rate λ̂ there: the share of arrivals that pile up. A stable system has growth ≈ 0; an
overloaded one (λ > μ) has dQ/da ≈ λ − μ, growth ≈ 1 − μ/λ. :func:`sustains` calls a run sustainable when
the growth is at most ``max_growth`` (default 0.05: overload by more than about 5% is detected). This
holds for any admission order. :func:`queue_delay_growth`, the slope of queueing delay against arrival
time (≈ λ/μ − 1 under overload), is only meaningful for FIFO admission: a policy that picks requests out
of order (BF-IO's central pool) leaves the ones it passes over waiting to the end, delay ≈ T − a_i, a
negative slope however overloaded it is.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from lbtheory.errors import ConfigError
from lbtheory.model import ClusterConfig, StepTimeModel
from lbtheory.workloads.base import Workload

__all__ = [
    "backlog_growth",
    "mean_step_time_s",
    "queue_delay_growth",
    "rate_for_load",
    "service_rate_per_s",
    "sustains",
]


def mean_step_time_s(workload: Workload, cluster: ClusterConfig, step_time: StepTimeModel) -> float:
    """Δt̄ = C + t · B · (E[s] + E[o]/2), the step time of a full, balanced cluster (s)."""
    mean_s = float(workload.prompt_tokens.mean())
    mean_o = float(workload.output_tokens.mean())
    return step_time.step_overhead_s + step_time.token_time_s * cluster.slots * (mean_s + mean_o / 2.0)


def service_rate_per_s(workload: Workload, cluster: ClusterConfig, step_time: StepTimeModel) -> float:
    """μ = G·B / (E[o] · Δt̄) requests per second, the means taken over ``workload`` (see the module docstring)."""
    mean_o = float(workload.output_tokens.mean())
    return cluster.workers * cluster.slots / (mean_o * mean_step_time_s(workload, cluster, step_time))


def rate_for_load(
    workload: Workload, cluster: ClusterConfig, step_time: StepTimeModel, rho: float
) -> float:
    """λ = ρ · μ: the arrival rate (requests per second) at load factor ρ > 0."""
    if isinstance(rho, bool) or not isinstance(rho, int | float) or not math.isfinite(rho) or rho <= 0:
        raise ConfigError(f"load factor rho must be a finite number > 0, got {rho!r}")
    return float(rho) * service_rate_per_s(workload, cluster, step_time)


def _window(arrival_s: ArrayLike, other: ArrayLike, skip_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(arrival_s, np.float64)
    d = np.asarray(other, np.float64)
    if a.shape != d.shape or a.ndim != 1:
        raise ConfigError(f"arrival times and the second array must be 1-D of equal length, got {a.shape}, {d.shape}")
    if not 0 <= skip_fraction < 1:
        raise ConfigError(f"skip_fraction must be in [0, 1), got {skip_fraction!r}")
    return a, d


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2 or np.ptp(x) == 0:
        return 0.0
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def backlog_growth(arrival_s: ArrayLike, admit_s: ArrayLike, *, skip_fraction: float = 0.2) -> float:
    """The share of arrivals that pile up: slope of the backlog Q_i against a_i, over λ̂ (module docstring).

    ``arrival_s`` must be non-decreasing (a workload's arrival order). Uses arrivals with index >=
    ``skip_fraction`` · N; 0 when fewer than two of them arrive at distinct times.
    """
    a, t = _window(arrival_s, admit_s, skip_fraction)
    arrived = np.searchsorted(a, a, side="right")
    started = np.searchsorted(np.sort(t), a, side="right")
    i0 = int(skip_fraction * a.size)
    x, q = a[i0:], (arrived - started)[i0:].astype(np.float64)
    if x.size < 2 or x[-1] == x[0]:
        return 0.0
    rate = (x.size - 1) / (x[-1] - x[0])
    return _slope(x, q) / rate


def queue_delay_growth(arrival_s: ArrayLike, queue_delay_s: ArrayLike, *, skip_fraction: float = 0.2) -> float:
    """The least-squares slope of queueing delay against arrival time (s/s), after the warm-up.

    Uses the requests whose arrival index is at least ``skip_fraction`` · N (0 <= skip_fraction < 1); 0 when
    fewer than two of them arrive at distinct times. FIFO admission only (module docstring).
    """
    a, d = _window(arrival_s, queue_delay_s, skip_fraction)
    i0 = int(skip_fraction * a.size)
    return _slope(a[i0:], d[i0:])


def sustains(
    arrival_s: ArrayLike, admit_s: ArrayLike, *, max_growth: float = 0.05, skip_fraction: float = 0.2
) -> bool:
    """Whether the queue stayed bounded: :func:`backlog_growth` <= ``max_growth``."""
    return backlog_growth(arrival_s, admit_s, skip_fraction=skip_fraction) <= max_growth
