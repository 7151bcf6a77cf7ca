"""The engine against the plain reference engine, and the model's invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbtheory.engine import simulate
from lbtheory.engine.reference import simulate_reference
from lbtheory.errors import ConfigError
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.policies import Admission, Policy
from lbtheory.testing.instances import small_instances
from lbtheory.workloads.base import Workload

BASELINES = ["fcfs", "jsq_tokens", "round_robin", "random"]


def assert_same_run(a, b):
    np.testing.assert_array_equal(a.steps.loads, b.steps.loads)
    np.testing.assert_array_equal(a.steps.dt_s, b.steps.dt_s)
    np.testing.assert_array_equal(a.steps.start_s, b.steps.start_s)
    np.testing.assert_array_equal(a.steps.active, b.steps.active)
    np.testing.assert_array_equal(a.steps.admitted, b.steps.admitted)
    np.testing.assert_array_equal(a.requests.worker, b.requests.worker)
    np.testing.assert_array_equal(a.requests.admit_step, b.requests.admit_step)
    np.testing.assert_array_equal(a.requests.finish_step, b.requests.finish_step)
    np.testing.assert_array_equal(a.requests.admit_time_s, b.requests.admit_time_s)
    np.testing.assert_array_equal(a.requests.finish_time_s, b.requests.finish_time_s)
    assert a.window_steps == b.window_steps
    assert a.idle_gap_s == b.idle_gap_s


@settings(max_examples=150, deadline=None)
@given(inst=small_instances(), policy=st.sampled_from(BASELINES), seed=st.integers(0, 2**32 - 1))
def test_compiled_engine_matches_reference(inst, policy, seed):
    w, cfg = inst
    fast = simulate(w, cfg, policy, seed=seed)
    slow = simulate_reference(w, cfg, policy, seed=seed)
    assert_same_run(fast, slow)


@settings(max_examples=60, deadline=None)
@given(inst=small_instances(), policy=st.sampled_from(BASELINES), seed=st.integers(0, 2**32 - 1))
def test_python_loop_matches_compiled_loop(inst, policy, seed):
    w, cfg = inst
    assert_same_run(simulate(w, cfg, policy, seed=seed),
                    simulate(w, cfg, policy, seed=seed, compiled=False))


@settings(max_examples=150, deadline=None)
@given(inst=small_instances(max_workers=5, max_slots=5, max_requests=40), policy=st.sampled_from(BASELINES),
       seed=st.integers(0, 2**32 - 1))
def test_invariants(inst, policy, seed):
    w, cfg = inst
    r = simulate(w, cfg, policy, seed=seed)
    req, steps = r.requests, r.steps
    G, B = cfg.cluster.workers, cfg.cluster.slots
    # every request admitted once, finished once, after exactly o_i steps, on one worker
    assert np.all((req.worker >= 0) & (req.worker < G))
    np.testing.assert_array_equal(req.finish_step - req.admit_step + 1, w.output_tokens)
    assert np.all(req.finish_time_s > req.admit_time_s)
    assert np.all(req.admit_time_s >= req.arrival_time_s)
    # no worker above B: count per worker per step from the request record
    K = steps.n_steps
    occupancy = np.zeros((K, G), np.int64)
    for i in range(w.n_requests):
        occupancy[req.admit_step[i] : req.finish_step[i] + 1, req.worker[i]] += 1
    assert occupancy.max() <= B
    np.testing.assert_array_equal(occupancy.sum(axis=1), steps.active)
    # loads are the sums of live workloads s_i + a_i
    loads = np.zeros((K, G), np.int64)
    for i in range(w.n_requests):
        ks = np.arange(req.admit_step[i], req.finish_step[i] + 1)
        loads[ks, req.worker[i]] += w.prompt_tokens[i] + (ks - req.admit_step[i])
    np.testing.assert_array_equal(loads, steps.loads)
    # tokens generated = Σ o_i; the clock strictly increases; Δt = C + t·max L
    assert steps.active.sum() == w.total_output_tokens
    assert np.all(np.diff(steps.start_s) > 0)
    np.testing.assert_allclose(
        steps.dt_s, cfg.step_time.step_overhead_s + cfg.step_time.token_time_s * steps.max_load, rtol=1e-12
    )
    # the window: at most R admissions per step, and the window ends at the last admission
    assert steps.admitted.max() <= cfg.cluster.window
    assert r.window_steps == max(int(np.flatnonzero(steps.admitted)[-1]), 0)


@settings(max_examples=40, deadline=None)
@given(inst=small_instances(), policy=st.sampled_from(BASELINES), seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_result(inst, policy, seed):
    w, cfg = inst
    assert_same_run(simulate(w, cfg, policy, seed=seed), simulate(w, cfg, policy, seed=seed))


def test_saturated_fcfs_first_step_by_hand():
    """G=2, B=2, R=8: FCFS puts requests 0,1 on worker 0 and 2,3 on worker 1 at time 0."""
    w = Workload(np.array([10, 20, 30, 40, 5]), np.array([1, 2, 3, 1, 1]))
    cfg = SimConfig(ClusterConfig(2, 2, 8), StepTimeModel(1.0, 0.01))
    r = simulate(w, cfg, "fcfs")
    np.testing.assert_array_equal(r.requests.worker[:4], [0, 0, 1, 1])
    # step 0 loads: 30 and 70; Δt = 1 + 0.7
    np.testing.assert_array_equal(r.steps.loads[0], [30, 70])
    assert r.steps.dt_s[0] == pytest.approx(1.7)
    # after step 0, requests 0 and 3 (o=1) finish; request 4 joins worker 0 at step 1:
    # worker 0 holds request 1 (21) + request 4 (5); worker 1 holds request 2 (31)
    np.testing.assert_array_equal(r.steps.loads[1], [26, 31])
    assert r.requests.finish_time_s[0] == pytest.approx(1.7)
    assert r.window_steps == 1


class _Lazy(Policy):
    name = "lazy"

    def decide(self, view):
        return Admission.empty()


class _Greedy(Policy):
    name = "greedy"

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def decide(self, view):
        i = view.window_requests[0]
        if self.bad == "worker":
            return Admission(np.array([i]), np.array([view.workers]))
        if self.bad == "twice":
            return Admission(np.array([i, i]), np.array([0, 0]))
        if self.bad == "capacity":
            k = min(view.window_requests.size, view.slots + 1)
            return Admission(view.window_requests[:k], np.zeros(k, np.int64))
        return Admission(np.array([10**6]), np.array([0]))


@pytest.mark.parametrize("bad", ["worker", "twice", "capacity", "unknown"])
def test_engine_rejects_infeasible_decisions(bad):
    w = Workload(np.full(6, 5), np.full(6, 2))
    cfg = SimConfig(ClusterConfig(2, 2), StepTimeModel(0.0, 1e-3))
    with pytest.raises(ValueError, match="policy"):
        simulate(w, cfg, _Greedy(bad))
    with pytest.raises(ValueError, match="policy"):
        simulate_reference(w, cfg, _Greedy(bad))


def test_engine_rejects_a_stalling_policy():
    w = Workload(np.full(3, 5), np.full(3, 2))
    cfg = SimConfig(ClusterConfig(1, 1), StepTimeModel(0.0, 1e-3))
    with pytest.raises(ValueError, match="admitted nothing"):
        simulate(w, cfg, _Lazy())


def test_open_loop_needs_arrivals_and_jumps_idle_time():
    w = Workload(np.array([4, 4]), np.array([1, 1]))
    cfg = SimConfig(ClusterConfig(1, 1), StepTimeModel(1.0, 0.0), arrivals="open")
    with pytest.raises(ConfigError, match="arrival_time_s"):
        simulate(w, cfg, "fcfs")
    r = simulate(w.with_arrivals(np.array([2.0, 10.0])), cfg, "fcfs")
    # first request: clock jumps 0 -> 2, one step of 1 s; second: jumps 3 -> 10
    np.testing.assert_allclose(r.requests.admit_time_s, [2.0, 10.0])
    np.testing.assert_allclose(r.requests.finish_time_s, [3.0, 11.0])
    assert r.idle_gap_s == pytest.approx(2.0 + 7.0)
    assert r.steps.n_steps == 2


def test_predictions_are_required_only_when_asked():
    class NeedsPred(_Lazy):
        needs_predictions = True

    w = Workload(np.array([4]), np.array([1]))
    cfg = SimConfig(ClusterConfig(1, 1), StepTimeModel(1.0, 0.0))
    with pytest.raises(ConfigError, match="predictions"):
        simulate(w, cfg, NeedsPred())


def test_records_grow_past_the_first_guess():
    # one request per worker at a time with long outputs: far more steps than Σo/(G·B) + max o guesses
    w = Workload(np.full(50, 3), np.full(50, 40))
    cfg = SimConfig(ClusterConfig(1, 1), StepTimeModel(0.0, 1e-3))
    r = simulate(w, cfg, "fcfs")
    assert r.steps.n_steps == 50 * 40
    assert_same_run(r, simulate(w, cfg, "fcfs", compiled=False))


def test_progress_callback_reports_completion():
    w = Workload(np.full(30, 3), np.full(30, 5))
    cfg = SimConfig(ClusterConfig(1, 1), StepTimeModel(0.0, 1e-3))
    seen: list[tuple[int, int]] = []
    simulate(w, cfg, "fcfs", progress=lambda done, steps: seen.append((done, steps)),
             progress_every_steps=16)
    assert seen[-1] == (30, 150)
    assert len(seen) >= 150 // 16
