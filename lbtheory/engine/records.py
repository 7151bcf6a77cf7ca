"""Typed run results: the per-step and per-request records the engine emits.

Metrics (``lbtheory.metrics``) are computed from these afterwards, never inside the engine loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lbtheory.model import SimConfig
from lbtheory.workloads.base import Workload


@dataclass(frozen=True, eq=False)
class StepRecord:
    """One entry per decode step k = 0..K−1; loads are taken at the start of the step, after admission.

    Attributes:
        dt_s: Δt_k = C + t·max_g L_g(k) (s).
        start_s: the clock when step k began (s).
        max_load: max_g L_g(k) (tokens).
        sum_load: Σ_g L_g(k) (tokens).
        active: requests running in step k (= tokens generated in step k).
        admitted: requests admitted at the start of step k.
        loads: the (K, G) matrix L_g(k), or None when not recorded.
        workers: G.
    """

    dt_s: NDArray[np.float64]
    start_s: NDArray[np.float64]
    max_load: NDArray[np.int64]
    sum_load: NDArray[np.int64]
    active: NDArray[np.int64]
    admitted: NDArray[np.int64]
    loads: NDArray[np.int64] | None
    workers: int

    @property
    def n_steps(self) -> int:
        """K, the number of decode steps."""
        return int(self.dt_s.size)

    @property
    def imbalance(self) -> NDArray[np.int64]:
        """Imb(k) = G·max_g L_g(k) − Σ_g L_g(k) (tokens)."""
        return self.workers * self.max_load - self.sum_load

    @property
    def idle_fraction(self) -> NDArray[np.float64]:
        """ι(k) = Imb(k) / (G·max_g L_g(k)), the share of worker-time spent waiting at the barrier."""
        denom = (self.workers * self.max_load).astype(np.float64)
        out = np.zeros(self.n_steps)
        np.divide(self.imbalance, denom, out=out, where=denom > 0)
        return out


@dataclass(frozen=True, eq=False)
class RequestRecord:
    """One entry per request, in input order.

    Attributes:
        worker: the worker g it ran on.
        admit_step, finish_step: the first and the last decode step it took part in
            (finish_step = admit_step + o_i − 1).
        admit_time_s: the clock at its admission (s).
        finish_time_s: the clock at the end of its last step (s).
        arrival_time_s: when it arrived (0 in the saturated pool).
    """

    worker: NDArray[np.int64]
    admit_step: NDArray[np.int64]
    finish_step: NDArray[np.int64]
    admit_time_s: NDArray[np.float64]
    finish_time_s: NDArray[np.float64]
    arrival_time_s: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class RunResult:
    """Everything one simulation produced.

    Attributes:
        config: the resolved simulation config.
        policy: the policy's name and parameters.
        workload: the workload that was run (its lengths are needed by the metrics).
        steps: per-step record.
        requests: per-request record.
        window_steps: the steady-state window is steps 0..window_steps−1: the last admission happened at
            the start of step ``window_steps`` (the pool never ran dry before it).
        idle_gap_s: time (open loop) when nothing ran and nothing waited; every worker idles through it.
        seed: the seed the run's generator came from, if known.
        meta: free-form provenance (engine, wall time...).
    """

    config: SimConfig
    policy: dict[str, Any]
    workload: Workload
    steps: StepRecord
    requests: RequestRecord
    window_steps: int
    idle_gap_s: float
    seed: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def makespan_s(self) -> float:
        """Time of the last completion (s)."""
        return float(self.requests.finish_time_s.max())
