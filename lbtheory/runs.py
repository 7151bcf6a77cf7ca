"""One simulation described by plain values (a :class:`RunSpec`) and executed by a pure function.

The command line, the experiments and the sweep runner all go through :func:`execute`, so a result file's
``config`` block is enough to rerun it. Seeds: ``SeedSequence(seed).spawn(3)`` gives independent streams
for the workload, the predictions and the policy.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lbtheory.capacity import rate_for_load
from lbtheory.engine import RunResult, simulate
from lbtheory.errors import ConfigError
from lbtheory.hardware import HardwareProfile, get_profile
from lbtheory.metrics import Summary, summarize
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.policies import Policy, make_policy
from lbtheory.policies.registry import policy_factory
from lbtheory.workloads import (
    Workload,
    apply_predictions,
    load_trace,
    make_workload,
    poisson_arrivals,
    scale_to_rate,
    shared_trace_path,
)

Arrivals = Literal["saturated", "trace", "poisson"]
Predictions = Literal["exact", "noisy", "none"]


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one run, as plain values.

    Attributes:
        workload: a generator name (``lbtheory.workloads.WORKLOADS``) or ``None`` when ``trace`` is given.
        trace: a trace file, used in its order.
        requests: N (generators: required; traces: the first N, default all).
        zero_output: what a trace's output lengths of 0 become: "error", "clamp" (to 1) or "drop".
        trace_order: "given" (the file's order), "shuffled" (a seeded permutation, for replicates) or
            "resampled" (N requests drawn with replacement, seeded: for N larger than the trace).
        workers, slots, pool: G, B, R (R default 4G; for dispatch routers, which bind every arrived
            request at once, the default is N).
        policy: a registered policy name; ``policy_params`` its keyword arguments (e.g. horizon).
        arrivals: "saturated" (the paper's pool), "trace" (the trace's timestamps) or "poisson".
        rate_per_s: the arrival rate (requests per second): Poisson's rate, or the rate a trace's own
            timestamps are scaled to.
        load: ρ, the load factor: the rate is ρ·μ with μ the cluster's estimated service rate
            (:func:`lbtheory.capacity.service_rate_per_s`). Give at most one of rate_per_s and load.
        predictions: what policies are told about output lengths; ``noise_delta`` δ for "noisy"
            (ô = round(o·U[1−δ, 1+δ])).
        profile: a hardware profile name; ``step_overhead_s`` / ``token_time_s`` override its C and t.
        seed: the root seed.
        shared_trace: a shared trace name to prefer over the calibrated generator of the same name
            (``burst``, ``arxiv``...); set by callers that want the real file when it is present.
    """

    workers: int
    slots: int
    policy: str
    workload: str | None = "synthetic"
    trace: str | None = None
    requests: int | None = None
    trace_order: Literal["given", "shuffled", "resampled"] = "given"
    zero_output: Literal["error", "clamp", "drop"] = "error"
    pool: int | None = None
    policy_params: tuple[tuple[str, Any], ...] = ()
    arrivals: Arrivals = "saturated"
    rate_per_s: float | None = None
    load: float | None = None
    predictions: Predictions = "exact"
    noise_delta: float = 0.0
    profile: str = "paper"
    step_overhead_s: float | None = None
    token_time_s: float | None = None
    seed: int = 0
    record_worker_loads: bool = True
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if (self.workload is None) == (self.trace is None):
            raise ConfigError("give exactly one of workload (a generator name) and trace (a file)")
        if self.trace is None and self.requests is None:
            raise ConfigError("a generated workload needs requests (N)")
        if self.requests is not None and self.requests < 1:
            raise ConfigError(f"requests must be >= 1, got {self.requests}")
        if self.arrivals not in ("saturated", "trace", "poisson"):
            raise ConfigError(f"arrivals must be saturated, trace or poisson, got {self.arrivals!r}")
        if self.rate_per_s is not None and self.load is not None:
            raise ConfigError("give at most one of rate_per_s and load")
        if self.rate_per_s is not None and not self.rate_per_s > 0:
            raise ConfigError(f"rate_per_s must be > 0, got {self.rate_per_s}")
        if self.load is not None and not self.load > 0:
            raise ConfigError(f"load must be > 0, got {self.load}")
        if self.arrivals == "poisson" and self.rate_per_s is None and self.load is None:
            raise ConfigError("arrivals='poisson' needs a rate (rate_per_s) or a load factor (load)")
        if self.arrivals == "saturated" and (self.rate_per_s is not None or self.load is not None):
            raise ConfigError("a rate or load needs open-loop arrivals (trace or poisson)")
        if self.trace_order not in ("given", "shuffled", "resampled"):
            raise ConfigError(f"trace_order must be given or shuffled, got {self.trace_order!r}")
        if self.predictions not in ("exact", "noisy", "none"):
            raise ConfigError(f"predictions must be exact, noisy or none, got {self.predictions!r}")
        if not 0 <= self.noise_delta < 1:
            raise ConfigError(f"noise_delta must be in [0, 1), got {self.noise_delta}")
        ClusterConfig(self.workers, self.slots, self.pool)  # validates G, B, R

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = asdict(self)
        d["policy_params"] = dict(self.policy_params)
        return d


def build_policy(spec: RunSpec) -> Policy:
    """The spec's policy, with its parameters checked against the constructor's signature."""
    params = dict(spec.policy_params)
    factory = policy_factory(spec.policy)
    accepted = inspect.signature(factory).parameters
    for key in params:
        if key not in accepted:
            raise ConfigError(f"policy {spec.policy!r} takes no parameter {key!r}")
    return make_policy(spec.policy, **params)


def build_workload(spec: RunSpec, rng_workload: np.random.Generator,
                   rng_predictions: np.random.Generator) -> Workload:
    """The spec's requests, arrivals (scaled to the rate or load asked for) and predictions."""
    if spec.trace is not None:
        w = load_trace(spec.trace, zero_output=spec.zero_output)
        if spec.trace_order == "shuffled":
            w = w.permuted(rng_workload.permutation(w.n_requests))
        elif spec.trace_order == "resampled":
            if spec.requests is None:
                raise ConfigError("trace_order='resampled' needs requests (N)")
            if w.arrival_time_s is not None and spec.arrivals == "trace":
                raise ConfigError("trace_order='resampled' cannot keep the trace's timestamps")
            idx = rng_workload.integers(0, w.n_requests, size=spec.requests)
            w = Workload(w.prompt_tokens[idx], w.output_tokens[idx], name=w.name,
                         meta={**w.meta, "resampled": spec.requests})
        if spec.requests is not None:
            w = w.head(min(spec.requests, w.n_requests))
    else:
        assert spec.workload is not None and spec.requests is not None
        w = make_workload(spec.workload, spec.requests, rng_workload)
    if spec.arrivals == "trace" and w.arrival_time_s is None:
        raise ConfigError(f"arrivals='trace' but workload {w.name!r} has no timestamps")
    if spec.arrivals == "saturated":
        w = w.with_arrivals(None)
    rate = spec.rate_per_s
    if spec.load is not None:
        cfg, _ = sim_config(spec)
        rate = rate_for_load(w, cfg.cluster, cfg.step_time, spec.load)
    if spec.arrivals == "poisson":
        assert rate is not None
        w = w.with_arrivals(poisson_arrivals(w.n_requests, rate, rng_workload))
    elif spec.arrivals == "trace" and rate is not None:
        assert w.arrival_time_s is not None
        w = w.with_arrivals(scale_to_rate(w.arrival_time_s, rate))
    w = apply_predictions(w, spec.predictions, rng_predictions, spec.noise_delta)
    return w


def resolve_trace(name: str) -> str | None:
    """The path of a shared trace if it is on disk, else None (the caller uses the calibrated generator)."""
    path = shared_trace_path(name)
    return None if path is None else str(path)


def sim_config(spec: RunSpec) -> tuple[SimConfig, HardwareProfile]:
    """The engine config and hardware profile of a spec (overrides of C and t applied)."""
    prof = get_profile(spec.profile, spec.slots)
    step = StepTimeModel(
        prof.step_time.step_overhead_s if spec.step_overhead_s is None else spec.step_overhead_s,
        prof.step_time.token_time_s if spec.token_time_s is None else spec.token_time_s,
    )
    cfg = SimConfig(
        ClusterConfig(spec.workers, spec.slots, spec.pool),
        step,
        arrivals="saturated" if spec.arrivals == "saturated" else "open",
        record_worker_loads=spec.record_worker_loads,
    )
    return cfg, prof


def execute(spec: RunSpec, *, progress: Any = None, before_run: Any = None,
            wrap: Callable[[Policy], Policy] | None = None) -> tuple[RunResult, Summary]:
    """Run one spec: build the workload and policy from the seed, simulate, summarise.

    ``before_run(workload, config, policy)``, if given, is called once everything is built and before the
    simulation (the command line checks sizes there); an exception it raises stops the run. ``wrap``, if
    given, replaces the policy by ``wrap(policy)`` (e.g. a recorder of its decisions,
    :mod:`lbtheory.policies.objective`).
    """
    ss_workload, ss_pred, ss_policy = np.random.SeedSequence(spec.seed).spawn(3)
    workload = build_workload(spec, np.random.default_rng(ss_workload), np.random.default_rng(ss_pred))
    cfg, prof = sim_config(spec)
    policy = build_policy(spec)
    if wrap is not None:  # e.g. a recorder that observes the decisions (lbtheory.policies.objective)
        policy = wrap(policy)
    if policy.observes_full_epochs and spec.pool is None:
        # a dispatch router binds every arrived request at once: its window holds them all
        cfg = replace(cfg, cluster=ClusterConfig(spec.workers, spec.slots, workload.n_requests))
    if before_run is not None:
        before_run(workload, cfg, policy)
    result = simulate(
        workload, cfg, policy, np.random.default_rng(ss_policy), seed=spec.seed, progress=progress
    )
    return result, summarize(result, prof.power)


def trace_or_generator(name: str) -> tuple[str | None, str | None, str]:
    """(trace path, generator name, note): the shared file when present, else its calibrated generator."""
    path = resolve_trace(name)
    if path is not None:
        return path, None, f"{name}: shared trace {Path(path).name}"
    return None, name, f"{name}: shared trace not found, using the calibrated generator"
