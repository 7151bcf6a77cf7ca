"""Drive a policy through the compiled transition until every request has finished."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from lbtheory.engine import transition as tr
from lbtheory.engine.records import RequestRecord, RunResult, StepRecord
from lbtheory.engine.state import (
    CAPACITY,
    CLOCK,
    IDLE_GAP,
    LAST_ADMIT_STEP,
    N_DONE,
    N_WIN,
    STEP,
    State,
    grow_records,
    initial_capacity,
    new_state,
)
from lbtheory.errors import ConfigError
from lbtheory.model import SimConfig
from lbtheory.policies.base import ActiveRequests, Admission, EpochView, KernelPolicy, Policy
from lbtheory.policies.bfio_problem import base_profiles_from_slots
from lbtheory.policies.registry import make_policy
from lbtheory.workloads.base import Workload


def check_inputs(workload: Workload, config: SimConfig, policy: Policy) -> None:
    """Reject combinations the model cannot run (shared by both engines)."""
    if config.arrivals == "open" and workload.arrival_time_s is None:
        raise ConfigError("arrivals='open' needs a workload with arrival_time_s")
    if policy.needs_predictions and workload.predicted_output_tokens is None:
        raise ConfigError(
            f"policy {policy.name!r} needs output-length predictions; the workload has none "
            "(use lbtheory.workloads.apply_predictions)"
        )


def simulate(
    workload: Workload,
    config: SimConfig,
    policy: Policy | str,
    rng: np.random.Generator | None = None,
    *,
    seed: int | None = None,
    compiled: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every_steps: int = 4096,
) -> RunResult:
    """Run ``workload`` on the cluster of ``config`` under ``policy`` (MODEL.md, exactly).

    Args:
        workload: the requests, in arrival order.
        config: cluster, step-time law and arrival mode.
        policy: a Policy object or a registered name.
        rng: the generator handed to the policy (random choices); default ``default_rng(seed)``.
        seed: recorded in the result; used to make ``rng`` when none is given.
        compiled: run a :class:`KernelPolicy` inside the compiled loop (default: whenever possible).
            ``False`` forces the Python loop, which builds an :class:`EpochView` at every epoch.
        progress: called as ``progress(requests_finished, steps_done)`` every ``progress_every_steps``
            steps and at the end (for progress bars on long runs).
    """
    pol = make_policy(policy) if isinstance(policy, str) else policy
    check_inputs(workload, config, pol)
    if rng is None:
        rng = np.random.default_rng(seed)
    G, B = config.cluster.workers, config.cluster.slots
    pol.start(G, B, rng)
    use_kernel = (isinstance(pol, KernelPolicy) and not pol.observes_full_epochs) if compiled is None else compiled
    if use_kernel and not isinstance(pol, KernelPolicy):
        raise ConfigError(f"policy {pol.name!r} has no compiled kernel")

    t0 = time.perf_counter()
    capacity = initial_capacity(workload, config)
    st = new_state(workload, config, capacity)
    tr.top_up(st)
    R = config.cluster.window
    if use_kernel:
        assert isinstance(pol, KernelPolicy)
        scratch = [np.empty(R, np.int64) for _ in range(5)]
        kernel = type(pol).kernel
        status = tr.FULL
        while status == tr.FULL:
            step = int(st.ist[STEP])
            if step >= st.rec_dt.size:
                st = grow_records(st, 2 * step + 64)
            # pause at the next progress point (the compiled loop stops when STEP reaches CAPACITY)
            st.ist[CAPACITY] = min(st.rec_dt.size, step + progress_every_steps)
            status = tr.run_kernel(st, kernel, pol.pstate, rng, *scratch)
            if progress is not None:
                progress(int(st.ist[N_DONE]), int(st.ist[STEP]))
    else:
        empty = Admission.empty()
        status = tr.CONTINUE
        while status == tr.CONTINUE:
            step = int(st.ist[STEP])
            if step >= st.rec_dt.size:
                st = grow_records(st, 2 * step + 64)
            if progress is not None and step % progress_every_steps == 0 and step:
                progress(int(st.ist[N_DONE]), step)
            consult = tr.epoch_open(st) or (pol.observes_full_epochs and st.ist[N_WIN] > 0)
            adm = pol.decide(_view(st)) if consult else empty
            req = np.ascontiguousarray(adm.requests, np.int64)
            wrk = np.ascontiguousarray(adm.workers, np.int64)
            if req.shape != wrk.shape or req.ndim != 1:
                raise ValueError(f"policy {pol.name!r} returned requests and workers of different shapes")
            status = tr.advance(st, req, wrk, req.size)
        if progress is not None:
            progress(int(st.ist[N_DONE]), int(st.ist[STEP]))
    wall_s = time.perf_counter() - t0
    return _result(st, workload, config, pol, seed, {"engine": "compiled" if use_kernel else "python",
                                                      "wall_s": wall_s})


def _view(st: State) -> EpochView:
    n_win = int(st.ist[N_WIN])
    win = st.window[:n_win].copy()
    has_pred = bool(st.pred.size) and st.pred[0] >= 0
    k = int(st.ist[STEP])

    def active() -> ActiveRequests:
        g_idx, b_idx = np.nonzero(st.slot_req >= 0)
        req = st.slot_req[g_idx, b_idx]
        generated = k - st.admit_step[req]
        return ActiveRequests(
            request=req,
            worker=g_idx.astype(np.int64),
            workload_tokens=st.prompt[req] + generated,
            predicted_remaining_steps=(st.pred[req] - generated) if has_pred else None,
        )

    def profile(horizon: int) -> np.ndarray:
        return base_profiles_from_slots(st.load, st.slot_req, st.admit_step, st.prompt, st.pred, k, horizon)

    return EpochView(
        step=k,
        clock_s=float(st.fst[CLOCK]),
        slots=int(st.slot_req.shape[1]),
        loads=st.load.copy(),
        active_counts=st.active_count.copy(),
        window_requests=win,
        window_prompt_tokens=st.prompt[win],
        window_predicted_output_tokens=st.pred[win] if has_pred else None,
        _active=active,
        _base_profile=profile if has_pred else None,
    )


def _result(
    st: State, workload: Workload, config: SimConfig, pol: Policy, seed: int | None, meta: dict[str, object]
) -> RunResult:
    k = int(st.ist[STEP])
    steps = StepRecord(
        dt_s=st.rec_dt[:k].copy(),
        start_s=st.rec_start[:k].copy(),
        max_load=st.rec_max[:k].copy(),
        sum_load=st.rec_sum[:k].copy(),
        active=st.rec_active[:k].copy(),
        admitted=st.rec_admitted[:k].copy(),
        loads=st.rec_loads[:k].copy() if config.record_worker_loads else None,
        workers=config.cluster.workers,
    )
    requests = RequestRecord(
        worker=st.worker,
        admit_step=st.admit_step,
        finish_step=st.finish_step,
        admit_time_s=st.admit_time,
        finish_time_s=st.finish_time,
        arrival_time_s=st.arrival.copy(),
    )
    return RunResult(
        config=config,
        policy=pol.describe(),
        workload=workload,
        steps=steps,
        requests=requests,
        window_steps=max(int(st.ist[LAST_ADMIT_STEP]), 0),
        idle_gap_s=float(st.fst[IDLE_GAP]),
        seed=seed,
        meta=meta,
    )
