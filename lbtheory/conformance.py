"""Replay the paper authors' simulator runs (``shared/conformance/*.json``) through our engine.

Each case fixes a request list and the settings; for each policy it holds every step's start-of-step loads
and every request's worker, admission and finish time. :func:`check_case` reports where we differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lbtheory.engine import RunResult, simulate
from lbtheory.metrics import summarize
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.workloads.base import Workload


@dataclass(frozen=True)
class CaseCheck:
    """How one (case, policy) run compares with the authors' run."""

    case: str
    policy: str
    steps_ours: int
    steps_ref: int
    loads_equal: bool
    workers_equal: bool
    max_abs_time_diff_s: float
    throughput_ours: float
    throughput_ref: float
    tpot_ours_s: float
    tpot_ref_s: float

    @property
    def exact(self) -> bool:
        """Same steps, loads and workers; times equal to float rounding (1e-9 s)."""
        return (self.steps_ours == self.steps_ref and self.loads_equal and self.workers_equal
                and self.max_abs_time_diff_s <= 1e-9)


def load_case(path: Path) -> tuple[dict[str, Any], Workload, SimConfig]:
    """A conformance file, its request list and the engine config it implies."""
    d = json.loads(Path(path).read_text())
    w = Workload(np.asarray(d["prompt_tokens"]), np.asarray(d["output_tokens"]), name=d["case"])
    w = w.with_predictions(w.output_tokens)
    cfg = SimConfig(ClusterConfig(d["G"], d["B"], d["pool_size"]), StepTimeModel(d["C_s"], d["t_s_per_token"]))
    return d, w, cfg


def compare(d: dict[str, Any], policy: str, r: RunResult) -> CaseCheck:
    """Compare our run ``r`` with the authors' run of ``policy`` in case ``d``."""
    ref = d["policies"][policy]
    loads_ref = np.asarray(ref["start_of_step_loads"], np.int64)
    loads = r.steps.loads
    same_loads = loads is not None and loads.shape == loads_ref.shape and np.array_equal(loads, loads_ref)
    times = np.concatenate([r.requests.finish_time_s - np.asarray(ref["finish_time_s"]),
                            r.requests.admit_time_s - np.asarray(ref["admit_time_s"])])
    s = summarize(r)
    rm = ref["reference_metrics"]
    return CaseCheck(
        case=d["case"],
        policy=policy,
        steps_ours=r.steps.n_steps,
        steps_ref=int(ref["steps"]),
        loads_equal=bool(same_loads),
        workers_equal=bool(np.array_equal(r.requests.worker, np.asarray(ref["worker"]))),
        max_abs_time_diff_s=float(np.abs(times).max()),
        throughput_ours=s.window.throughput_tok_per_s,
        throughput_ref=float(rm["throughput_tokens_per_sec"]),
        tpot_ours_s=s.whole_run.tpot_s,
        tpot_ref_s=float(rm["avg_latency_per_token"]),
    )


def check_case(path: Path, *, compiled: bool | None = None) -> list[CaseCheck]:
    """Run every policy of one case and compare."""
    d, w, cfg = load_case(path)
    return [compare(d, p, simulate(w, cfg, p, compiled=compiled)) for p in d["policies"]]
