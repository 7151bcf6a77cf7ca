"""BF-IO as an integer program: the exact MILP, the fast solver, and the policy in the engine.

What these tests prove:

* the exact solver reaches optima known by construction (Φ = 0 instances: complements of a load gap,
  identical blocks, perfect splits, and their lookahead versions) and returns feasible assignments;
* the fast solver is always feasible (each request at most once, capacity, every slot filled when the
  window allows), never beats the exact optimum, and matches it on the known-optimum instances;
* the objective evaluator agrees with a direct reading of Φ, and the compiled base profiles b_g(h) with a
  direct reading of L̂_g(k+h);
* the policy runs through ``simulate`` with exact and noisy predictions and open-loop arrivals, H = 0
  without predictions, and conserves tokens.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbtheory.engine.simulate import simulate
from lbtheory.errors import ConfigError
from lbtheory.model import SimConfig
from lbtheory.policies.base import ActiveRequests, EpochView
from lbtheory.policies.bfio import (
    BFIO,
    BFIOConfig,
    EpochProblem,
    check_assignment,
    predicted_imbalance,
    predicted_loads,
    solve_exact,
    solve_fast,
)
from lbtheory.policies.bfio_problem import base_profiles
from lbtheory.policies.registry import make_policy
from lbtheory.workloads.base import Workload

# --------------------------------------------------------------------------- instances

PAPER = BFIOConfig(objective="imbalance")
"""The fast solver on the paper's stated objective (what the exact solver solves)."""


def complement_instance(rng: np.random.Generator, G: int, horizon: int) -> EpochProblem:
    """Worker g (one free slot) runs one request of workload M − σ_g predicted to outlast the horizon;
    the window holds the σ_g (predicted to outlast it too) and decoys larger than every gap. Filling each
    worker with its σ_g makes every L̂_g(k+h) = M + 2h, so Φ* = 0, reached only by the complements."""
    M = 5_000
    sigma = rng.integers(50, 1_000, G)
    decoys = rng.integers(1_100, 2_000, G)
    prompt = np.concatenate([sigma, decoys])
    perm = rng.permutation(prompt.size)
    pred = np.full(prompt.size, horizon + 10, np.int64)
    return EpochProblem.from_arrays(
        loads=M - sigma,
        free=np.ones(G, np.int64),
        prompt=prompt[perm],
        predicted=pred if horizon else None,
        horizon=horizon,
        active_worker=np.arange(G),
        active_workload=M - sigma,
        active_remaining=np.full(G, horizon + 10),
    )


def blocks_instance(G: int, block: list[int], horizon: int, pred: list[int]) -> EpochProblem:
    """G empty identical workers with len(block) free slots each; the window is G copies of the block.
    One copy per worker makes all workers identical at every h: Φ* = 0."""
    f = len(block)
    prompt = np.tile(np.asarray(block, np.int64), G)
    predicted = np.tile(np.asarray(pred, np.int64), G) if horizon else None
    return EpochProblem.from_arrays(
        loads=np.zeros(G, np.int64), free=np.full(G, f), prompt=prompt, predicted=predicted,
        horizon=horizon,
    )


KNOWN_OPTIMA = [
    # (instance builder, Φ*)
    (lambda: complement_instance(np.random.default_rng(1), 3, 0), 0),
    (lambda: complement_instance(np.random.default_rng(2), 5, 0), 0),
    (lambda: complement_instance(np.random.default_rng(3), 4, 5), 0),
    (lambda: complement_instance(np.random.default_rng(4), 3, 20), 0),
    (lambda: blocks_instance(3, [100, 50], 0, [1, 1]), 0),
    (lambda: blocks_instance(4, [300, 120, 7], 0, [1, 1, 1]), 0),
    (lambda: blocks_instance(3, [100, 50], 5, [3, 9]), 0),
    # a perfect split of {5, 4, 3, 3, 2, 1} into two triples of sum 9
    (lambda: EpochProblem.from_arrays(loads=np.zeros(2), free=np.array([3, 3]),
                                      prompt=np.array([5, 4, 3, 3, 2, 1])), 0),
    # one slot, window {10, 60, 45}, gap 50 to the envelope: best is 45 (Φ = 2·100 − 95 − 100 = 5)
    (lambda: EpochProblem.from_arrays(loads=np.array([100, 50]), free=np.array([0, 1]),
                                      prompt=np.array([10, 60, 45])), 5),
]


@st.composite
def problems(draw: st.DrawFn, max_workers: int = 4, max_window: int = 10, horizons=(0, 3, 8)):
    """Small random epochs: active requests with remaining steps in −2..15 (overdue included)."""
    G = draw(st.integers(1, max_workers), label="G")
    H = draw(st.sampled_from(horizons), label="H")
    n = draw(st.integers(0, max_window), label="n")
    free = np.array(draw(st.lists(st.integers(0, 3), min_size=G, max_size=G), label="free"))
    n_act = draw(st.integers(0, 2 * G), label="active")
    aw = np.array(draw(st.lists(st.integers(0, G - 1), min_size=n_act, max_size=n_act)), np.int64)
    awl = np.array(draw(st.lists(st.integers(1, 400), min_size=n_act, max_size=n_act)), np.int64)
    ar = np.array(draw(st.lists(st.integers(-2, 15), min_size=n_act, max_size=n_act)), np.int64)
    prompt = np.array(draw(st.lists(st.integers(1, 300), min_size=n, max_size=n)), np.int64)
    pred = np.array(draw(st.lists(st.integers(1, 12), min_size=n, max_size=n)), np.int64)
    loads = np.bincount(aw, weights=awl, minlength=G).astype(np.int64)
    return EpochProblem.from_arrays(
        loads=loads, free=free, prompt=prompt, predicted=pred if H else None, horizon=H,
        active_worker=aw, active_workload=awl, active_remaining=ar,
    )


def random_problem(rng: np.random.Generator, G: int, n: int, H: int) -> EpochProblem:
    n_act = int(rng.integers(0, 4 * G))
    aw = rng.integers(0, G, n_act)
    awl = rng.integers(1, 3_000, n_act)
    ar = rng.integers(-3, 60, n_act)
    return EpochProblem.from_arrays(
        loads=np.bincount(aw, weights=awl, minlength=G).astype(np.int64),
        free=rng.integers(0, 5, G), prompt=rng.integers(1, 2_000, n),
        predicted=rng.integers(1, 60, n) if H else None, horizon=H,
        active_worker=aw, active_workload=awl, active_remaining=ar,
    )


# --------------------------------------------------------------------------- the objective


def test_phi_direct_reading() -> None:
    """Φ = Σ_h [G·max_g L̂_g − Σ_g L̂_g], with L̂ built request by request from the definitions."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        G, H, n = int(rng.integers(1, 5)), int(rng.integers(0, 6)), int(rng.integers(0, 8))
        aw, awl, ar = rng.integers(0, G, 6), rng.integers(1, 50, 6), rng.integers(-2, 9, 6)
        loads = np.bincount(aw, weights=awl, minlength=G).astype(np.int64)
        prompt, pred = rng.integers(1, 40, n), rng.integers(1, 9, n)
        P = EpochProblem.from_arrays(loads=loads, free=np.full(G, 8), prompt=prompt,
                                     predicted=pred if H else None, horizon=H, active_worker=aw,
                                     active_workload=awl, active_remaining=ar)
        a = rng.integers(-1, G, n)
        L = np.zeros((G, H + 1), np.int64)
        for h in range(H + 1):
            for i in range(6):  # active: present while r > h (overdue, r <= 0: always), grows by h
                if ar[i] > h or ar[i] <= 0:
                    L[aw[i], h] += awl[i] + h
            for j in range(n):  # admitted: present while ô > h (always at h = 0)
                if a[j] >= 0 and (h == 0 or pred[j] > h):
                    L[a[j], h] += prompt[j] + h
        assert np.array_equal(predicted_loads(P, a), L)
        assert predicted_imbalance(P, a) == int((G * L.max(axis=0) - L.sum(axis=0)).sum())


def test_base_profiles_column_zero_is_the_load() -> None:
    loads = np.array([30, 0, 7])
    b = base_profiles(loads, np.array([0, 0, 2]), np.array([10, 20, 7]), np.array([1, 5, -4]), 3)
    assert b[:, 0].tolist() == [30, 0, 7]
    assert b[0].tolist() == [30, 21, 22, 23]  # the r = 1 request leaves after step k
    assert b[2].tolist() == [7, 8, 9, 10]  # overdue: predicted to stay through the horizon


# --------------------------------------------------------------------------- known optima


@pytest.mark.parametrize("case", range(len(KNOWN_OPTIMA)))
def test_exact_and_fast_reach_known_optimum(case: int) -> None:
    build, phi_star = KNOWN_OPTIMA[case]
    P = build()
    ex = solve_exact(P)
    fa = solve_fast(P, PAPER)
    check_assignment(P, ex)
    check_assignment(P, fa)
    assert predicted_imbalance(P, ex) == phi_star
    assert predicted_imbalance(P, fa) == phi_star


def test_complements_are_the_unique_optimum() -> None:
    P = complement_instance(np.random.default_rng(7), 4, 5)
    for a in (solve_exact(P), solve_fast(P, PAPER)):
        L = predicted_loads(P, a)
        assert np.all(L == L[0])  # every worker at M + 2h
        assert np.all(P.prompt[a >= 0] < 1_100)  # no decoy admitted


# --------------------------------------------------------------------------- feasibility and bounds


@settings(max_examples=40)
@given(problems())
def test_fast_never_beats_exact_and_both_feasible(P: EpochProblem) -> None:
    ex = solve_exact(P)
    fa = solve_fast(P, PAPER)
    check_assignment(P, ex)
    check_assignment(P, fa)
    assert predicted_imbalance(P, fa) >= predicted_imbalance(P, ex)


@settings(max_examples=150)
@given(problems(max_workers=12, max_window=40, horizons=(0, 1, 7, 30)))
def test_fast_feasible(P: EpochProblem) -> None:
    check_assignment(P, solve_fast(P, PAPER))


def test_fast_feasible_many_seeded() -> None:
    """500 seeded instances, up to G = 64 and a 256-request window, both regimes (m < n and m = n)."""
    rng = np.random.default_rng(2024)
    for _ in range(500):
        G = int(rng.integers(1, 65))
        P = random_problem(rng, G, int(rng.integers(0, 4 * G + 1)), int(rng.choice([0, 3, 20])))
        check_assignment(P, solve_fast(P, PAPER))


def test_fast_without_local_search_is_feasible_and_no_better() -> None:
    rng = np.random.default_rng(5)
    for _ in range(100):
        P = random_problem(rng, 6, 20, 5)
        greedy = solve_fast(P, BFIOConfig(horizon=5, max_passes=0, objective="imbalance"))
        full = solve_fast(P, BFIOConfig(horizon=5, objective="imbalance"))
        both = solve_fast(P, BFIOConfig(horizon=5, restarts=1, objective="imbalance"))
        check_assignment(P, greedy)
        check_assignment(P, both)
        assert predicted_imbalance(P, full) <= predicted_imbalance(P, greedy)
        assert predicted_imbalance(P, both) <= predicted_imbalance(P, full)


def test_check_assignment_rejects_infeasible() -> None:
    P = EpochProblem.from_arrays(loads=np.zeros(2), free=np.array([1, 1]), prompt=np.array([5, 6, 7]))
    with pytest.raises(ValueError, match="free slots"):
        check_assignment(P, np.array([0, 0, -1]))
    with pytest.raises(ValueError, match="admits"):
        check_assignment(P, np.array([0, -1, -1]))
    with pytest.raises(ValueError, match="outside"):
        check_assignment(P, np.array([0, 2, -1]))


def test_problem_validation() -> None:
    with pytest.raises(ConfigError, match="needs predictions"):
        EpochProblem.from_arrays(loads=np.zeros(2), free=np.ones(2), prompt=np.ones(2), horizon=3)
    with pytest.raises(ConfigError, match="horizon"):
        EpochProblem.from_arrays(loads=np.zeros(2), free=np.ones(2), prompt=np.ones(2), horizon=-1)


# --------------------------------------------------------------------------- the policy


def test_config_validates() -> None:
    with pytest.raises(ConfigError, match="horizon"):
        BFIO(horizon=-1)
    with pytest.raises(ConfigError, match="solver"):
        BFIO(solver="greedy")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="candidates"):
        BFIO(candidates=0)
    with pytest.raises(ConfigError, match="time_limit_s"):
        BFIO(time_limit_s=0)
    d = BFIO(horizon=3, solver="exact").describe()
    assert d["name"] == "bfio" and d["horizon"] == 3 and d["solver"] == "exact"
    assert make_policy("bfio", horizon=2).describe()["horizon"] == 2
    assert BFIO(horizon=0).needs_predictions is False
    assert BFIO(horizon=1).needs_predictions is True


def test_h0_never_touches_predictions() -> None:
    """With H = 0 the policy decides from L_g, f_g and s_j alone: no ô, no active-request listing."""

    def forbidden() -> ActiveRequests:
        raise AssertionError("H = 0 must not list the active requests")

    view = EpochView(
        step=3, clock_s=1.0, slots=2, loads=np.array([100, 50]), active_counts=np.array([2, 1]),
        window_requests=np.array([7, 8, 9]), window_prompt_tokens=np.array([10, 60, 45]),
        window_predicted_output_tokens=None, _active=forbidden,
    )
    adm = BFIO(horizon=0).decide(view)
    assert adm.requests.tolist() == [9] and adm.workers.tolist() == [1]
    with pytest.raises(ConfigError, match="predictions"):
        BFIO(horizon=2).decide(view)


def small_workload(rng: np.random.Generator, n: int) -> Workload:
    return Workload(rng.integers(1, 400, n), rng.integers(1, 40, n), name="small")


def assert_conserved(res, wl: Workload) -> None:  # type: ignore[no-untyped-def]
    assert int(res.steps.active.sum()) == wl.total_output_tokens
    assert np.all(res.requests.finish_step - res.requests.admit_step + 1 == wl.output_tokens)
    assert np.all(res.requests.worker >= 0)


@pytest.mark.parametrize("horizon", [0, 6])
def test_simulate_exact_predictions(horizon: int) -> None:
    rng = np.random.default_rng(11)
    wl = small_workload(rng, 400)
    wl = wl.with_predictions(wl.output_tokens.copy())
    res = simulate(wl, SimConfig.paper(4, 8), BFIO(horizon=horizon), seed=1)
    assert_conserved(res, wl)
    # the Python loop: the compiled loop recompiles per process (its cache key holds the kernel object)
    fcfs = simulate(wl, SimConfig.paper(4, 8), "fcfs", seed=1, compiled=False)
    w, wf = res.window_steps, fcfs.window_steps
    assert res.steps.imbalance[:w].mean() < fcfs.steps.imbalance[:wf].mean()


def test_simulate_noisy_predictions_and_no_predictions() -> None:
    rng = np.random.default_rng(12)
    wl = small_workload(rng, 300)
    noisy = np.maximum(1, np.rint(wl.output_tokens * rng.uniform(0.5, 1.5, wl.n_requests)))
    res = simulate(wl.with_predictions(noisy.astype(np.int64)), SimConfig.paper(3, 6),
                   BFIO(horizon=10), seed=2)
    assert_conserved(res, wl)
    res0 = simulate(wl, SimConfig.paper(3, 6), BFIO(horizon=0), seed=2)  # no predictions at all
    assert_conserved(res0, wl)
    with pytest.raises(ConfigError, match="predictions"):
        simulate(wl, SimConfig.paper(3, 6), BFIO(horizon=4), seed=2)


def test_simulate_open_loop() -> None:
    rng = np.random.default_rng(13)
    wl = small_workload(rng, 300)
    wl = wl.with_predictions(wl.output_tokens.copy()).with_arrivals(
        np.cumsum(rng.exponential(0.01, wl.n_requests))
    )
    cfg = SimConfig(SimConfig.paper(4, 4).cluster, SimConfig.paper(4, 4).step_time, arrivals="open")
    for pol in (BFIO(horizon=0), BFIO(horizon=5)):
        res = simulate(wl, cfg, pol, seed=3)
        assert_conserved(res, wl)
        assert np.all(res.requests.admit_time_s >= wl.arrival_time_s)


def test_simulate_exact_solver_small() -> None:
    rng = np.random.default_rng(14)
    wl = small_workload(rng, 30)
    wl = wl.with_predictions(wl.output_tokens.copy())
    res = simulate(wl, SimConfig.paper(2, 3), BFIO(horizon=3, solver="exact"), seed=4)
    assert_conserved(res, wl)


def test_engine_base_profile_matches_the_list_of_active_requests() -> None:
    """The engine's compiled b_g(h) (read from its slot table) equals base_profiles over the listed active
    requests at every epoch, with noisy predictions (overdue requests included) and several H."""
    from lbtheory.engine.simulate import simulate
    from lbtheory.policies.base import Policy
    from lbtheory.policies.bfio_problem import base_profiles
    from lbtheory.policies.fcfs import FCFS
    from lbtheory.runs import RunSpec, build_workload, sim_config

    class Check(Policy):
        name = "check"
        needs_predictions = True

        def __init__(self) -> None:
            self.inner, self.epochs, self.overdue = FCFS(), 0, 0

        def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
            self.inner.start(workers, slots, rng)

        def decide(self, view):  # type: ignore[no-untyped-def]
            act = view.active_requests()
            assert act.predicted_remaining_steps is not None
            self.overdue += int((act.predicted_remaining_steps < 1).sum())
            for H in (0, 1, 7, 40):
                ref = base_profiles(view.loads, act.worker, act.workload_tokens,
                                    act.predicted_remaining_steps, H)
                np.testing.assert_array_equal(view.base_profile(H), ref)
            self.epochs += 1
            return self.inner.decide(view)

    spec = RunSpec(workers=6, slots=4, policy="fcfs", workload="synthetic", requests=400,
                   predictions="noisy", noise_delta=0.5, seed=3)
    wl = build_workload(spec, np.random.default_rng(1), np.random.default_rng(2))
    cfg, _ = sim_config(spec)
    check = Check()
    simulate(wl, cfg, check)
    assert check.epochs > 100 and check.overdue > 0


def _lpt_reference(base, free, prompt, pred, wg, wh):  # type: ignore[no-untyped-def]
    """The request-limited filling as documented, in plain Python: requests by C_j = Σ_h w_h c_j(h)
    descending (stable), each to the worker with a free slot of least exact
    ΔΨ = Σ_h w_h [w·max(0, L̂_g(k+h) + c_j(h) − E(h)) − c_j(h)], ties to the least loaded at h = 0, then the
    lowest index."""
    G, H1 = base.shape
    load = base.astype(np.int64).copy()
    env = load.max(axis=0)
    q = free.astype(np.int64).copy()
    length = np.minimum(pred, H1)
    area = np.array([sum(int(wh[h]) * (int(prompt[j]) + h) for h in range(length[j])) for j in range(prompt.size)])
    assign = np.full(prompt.size, -1, np.int64)
    for j in np.argsort(-area, kind="mergesort"):
        best = None
        for g in range(G):
            if q[g] <= 0:
                continue
            d = sum(wh[h] * (wg * max(0, load[g, h] + prompt[j] + h - env[h]) - (prompt[j] + h))
                    for h in range(length[j]))
            key = (d, load[g, 0], g)
            if best is None or key < best:
                best = key
        g = best[2]
        assign[j] = g
        q[g] -= 1
        for h in range(length[j]):
            load[g, h] += prompt[j] + h
        env = np.maximum(env, load[g])
    return assign


def test_request_limited_filling_matches_its_documented_rule() -> None:
    """The compiled filling (which scans workers in tie order and stops early) gives exactly the
    assignment of the plain rule, on random request-limited epochs, for κ = 1 and κ = 8, with equal step
    weights and with random decreasing ones (a discounted objective)."""
    from lbtheory.policies.bfio_fast import NEG, _solve_once

    rng = np.random.default_rng(0)
    for _ in range(300):
        G, H1, n = int(rng.integers(1, 10)), int(rng.integers(1, 7)), int(rng.integers(1, 30))
        base = np.ascontiguousarray(np.sort(rng.integers(0, 300, (G, H1)), axis=1)[:, ::-1], np.int64)
        free = rng.integers(0, 6, G).astype(np.int64)
        free[0] += max(0, n - int(free.sum()))
        prompt = rng.integers(1, 100, n).astype(np.int64)
        pred = rng.integers(1, 9, n).astype(np.int64)
        decreasing = np.sort(rng.integers(1, 50, H1))[::-1].astype(np.int64)
        for wg in (G, 8 * G):
            for wh in (np.ones(H1, np.int64), decreasing):
                got = _solve_once(base, free, prompt, pred, NEG, False, 8, 0, 500, wg, wh)
                np.testing.assert_array_equal(got, _lpt_reference(base, free, prompt, pred, wg, wh))


@pytest.mark.parametrize("span", [1, 2, 7, 3000, 2**20, 2**40, 2**53])
def test_stable_argsort_is_numpys_stable_argsort(span: int) -> None:
    """The fast solver's radix sort gives the permutation of numpy's stable sort (ties in index order),
    including negative keys, many ties and the sizes 0, 1 and 2."""
    from lbtheory.policies.bfio_fast import stable_argsort

    rng = np.random.default_rng(span)
    for n in (0, 1, 2, 3, 10, 1000, 5000):
        keys = rng.integers(-(span // 2), span, n).astype(np.int64)
        assert stable_argsort(keys).tolist() == np.argsort(keys, kind="stable").tolist()
