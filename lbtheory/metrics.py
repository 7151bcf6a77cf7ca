"""Metrics, computed from a run's records (never inside the engine loop).

Two spans are reported, and every figure says which it uses:

* ``window``: the steady-state window, steps 0..k−1 where the last admission happened at the start of step
  k (the pool never ran dry inside it). The authors' simulator reports this span.
* ``whole_run``: every step, from time 0 to the last completion.

Definitions (K steps in the span, Δt_k step times, A_k active requests in step k):

* duration_s = Σ_k Δt_k (whole run: the makespan, which adds any open-loop idle gaps)
* tokens = Σ_k A_k (one token per active request per step)
* throughput_tok_per_s = tokens / duration_s
* tpot_s = mean_i (finish_i − admit_i) / o_i (whole run: all requests; window: those that finished inside it)
* avg_imbalance_tokens = (1/K) Σ_k [G·max_g L_g(k) − Σ_g L_g(k)]
* avg_idle_fraction = (1/K) Σ_k Imb(k) / (G·max_g L_g(k))
* energy_j = Σ_k Δt_k Σ_g P(L_g(k)/max_h L_h(k)) (+ G·P_idle·idle time, whole run only)
* energy_per_token_j = energy_j / tokens
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lbtheory.engine.records import RunResult
from lbtheory.errors import ConfigError
from lbtheory.hardware.power import PowerCurve, idle_energy_j, step_energy_j


@dataclass(frozen=True)
class SpanMetrics:
    """Metrics over one span of steps (see the module docstring for the formulas)."""

    steps: int
    duration_s: float
    tokens: int
    throughput_tok_per_s: float
    tpot_s: float
    avg_imbalance_tokens: float
    avg_idle_fraction: float
    energy_j: float
    energy_per_token_j: float
    avg_power_w: float
    requests_finished: int


@dataclass(frozen=True)
class LatencyMetrics:
    """Per-request latency figures (s): median and p99 over all requests."""

    ttft_median_s: float
    ttft_p99_s: float
    queue_delay_median_s: float
    queue_delay_p99_s: float
    latency_mean_s: float


@dataclass(frozen=True)
class Summary:
    """A run's metrics: the steady-state window, the whole run, and latencies."""

    window: SpanMetrics
    whole_run: SpanMetrics
    latency: LatencyMetrics
    makespan_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None)."""
        return _nan_to_none(asdict(self))


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def span_metrics(
    result: RunResult, n_steps: int, curve: PowerCurve, *, whole_run: bool
) -> SpanMetrics:
    """Metrics over steps 0..n_steps−1 of ``result``."""
    st = result.steps
    sl = slice(0, n_steps)
    dt = st.dt_s[sl]
    tokens = int(st.active[sl].sum())
    if st.loads is None:
        energy = float("nan")
    else:
        energy = float(step_energy_j(st.loads[sl], dt, curve).sum())
    duration = float(dt.sum())
    if whole_run:
        energy += idle_energy_j(st.workers, result.idle_gap_s, curve)
        duration = result.makespan_s - float(result.requests.arrival_time_s.min())
        in_span = np.ones(result.workload.n_requests, bool)
    else:
        in_span = result.requests.finish_step < n_steps
    req = result.requests
    o = result.workload.output_tokens
    tpot = (req.finish_time_s - req.admit_time_s)[in_span] / o[in_span]
    return SpanMetrics(
        steps=n_steps,
        duration_s=duration,
        tokens=tokens,
        throughput_tok_per_s=_div(tokens, duration),
        tpot_s=float(tpot.mean()) if tpot.size else float("nan"),
        avg_imbalance_tokens=float(st.imbalance[sl].mean()) if n_steps else float("nan"),
        avg_idle_fraction=float(st.idle_fraction[sl].mean()) if n_steps else float("nan"),
        energy_j=energy,
        energy_per_token_j=_div(energy, tokens),
        avg_power_w=_div(energy, duration * st.workers),
        requests_finished=int(in_span.sum()),
    )


def latency_metrics(result: RunResult) -> LatencyMetrics:
    """Time to first token (arrival → end of the first decode step), queueing delay, latency."""
    req = result.requests
    st = result.steps
    first_token_s = st.start_s[req.admit_step] + st.dt_s[req.admit_step]
    ttft = first_token_s - req.arrival_time_s
    queue = req.admit_time_s - req.arrival_time_s
    return LatencyMetrics(
        ttft_median_s=float(np.median(ttft)),
        ttft_p99_s=float(np.quantile(ttft, 0.99)),
        queue_delay_median_s=float(np.median(queue)),
        queue_delay_p99_s=float(np.quantile(queue, 0.99)),
        latency_mean_s=float((req.finish_time_s - req.arrival_time_s).mean()),
    )


def summarize(result: RunResult, curve: PowerCurve | None = None) -> Summary:
    """All metrics of a run; ``curve`` defaults to the paper's 100 + 300·u^0.7 W."""
    if curve is None:
        curve = PowerCurve.paper()
    if result.steps.n_steps == 0:
        raise ConfigError("the run has no decode steps")
    return Summary(
        window=span_metrics(result, result.window_steps, curve, whole_run=False),
        whole_run=span_metrics(result, result.steps.n_steps, curve, whole_run=True),
        latency=latency_metrics(result),
        makespan_s=result.makespan_s,
    )
