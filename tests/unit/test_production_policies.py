"""Dispatch on arrival: each production rule on a hand-built scenario whose choice is known, per-rank FIFO
admission, the burst that stale snapshots cause, and whole runs (the engine against the reference engine).

Scenarios are built so the right rank follows from the rule's formula in its module docstring; each test
names the rival choice a different rule would make, so a rule that silently fell back to another fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbtheory.engine import simulate
from lbtheory.engine.reference import simulate_reference
from lbtheory.errors import ConfigError
from lbtheory.policies import ActiveRequests, EpochView, make_policy, policy_names
from lbtheory.policies.bfio_router import BFIORouter
from lbtheory.policies.dispatch import DispatchPolicy, RouterView
from lbtheory.policies.production import (
    DynamoRouter,
    PowerOfTwo,
    SGLangRoundRobin,
    SGLangTotalRequests,
    SGLangTotalTokens,
    TRTLLMAttentionDP,
    VLLMBalancer,
)
from lbtheory.testing.instances import small_instances
from tests.unit.test_engine import assert_same_run

DISPATCH = ["sglang_round_robin", "sglang_total_requests", "sglang_total_tokens", "vllm", "trtllm",
            "power_of_two", "dynamo", "bfio_router"]


def ids(x: list[int]) -> np.ndarray:
    return np.array(x, np.int64)


def epoch(step: int, clock: float, slots: int, loads: list[int], counts: list[int], window: list[int],
          prompts: list[int], preds: list[int] | None = None,
          active: tuple[list[int], list[int], list[int], list[int] | None] | None = None) -> EpochView:
    """A hand-built EpochView; ``active`` = (request ids, workers, workload tokens, predicted remaining)."""
    req, wrk, wl, rem = active if active is not None else ([], [], [], None)
    act = ActiveRequests(ids(req), ids(wrk), ids(wl), None if rem is None else ids(rem))
    return EpochView(step, clock, slots, ids(loads), ids(counts), ids(window), ids(prompts),
                     None if preds is None else ids(preds), lambda: act)


def router_view(G: int, *, loads=None, running=None, waiting=None, waiting_tokens=None) -> RouterView:
    z = [0] * G
    return RouterView(0.0, ids(loads or z), ids(running or z), ids(waiting or z), ids(waiting_tokens or z),
                      ids(z), ids(z), 0)


def started(policy: DispatchPolicy, G: int, B: int, seed: int = 0) -> DispatchPolicy:
    policy.start(G, B, np.random.default_rng(seed))
    return policy


def admitted(adm) -> dict[int, int]:
    return dict(zip(adm.requests.tolist(), adm.workers.tolist(), strict=True))


# --- each rule on a scenario with a known choice -------------------------------------------------------

def test_vllm_prefers_fewer_waiting_over_fewer_running():
    """score = 4·waiting + running: (running 10, waiting 0) → 10 beats (running 0, waiting 3) → 12, although
    rank 1 has fewer requests in all (SGLang's total_requests picks rank 1 on the same view)."""
    v = router_view(2, running=[10, 0], waiting=[0, 3])
    p = started(VLLMBalancer(), 2, 16)
    p.view = v
    assert p.route(0, 50, -1) == 0
    q = started(SGLangTotalRequests(), 2, 16)
    q.view = router_view(2, running=[10, 0], waiting=[0, 3])
    assert q.route(0, 50, -1) == 1


def test_vllm_counts_its_own_dispatches_as_waiting():
    """Within one epoch, each request sent adds 4 to its rank's score: running [5, 2] → first to rank 1
    (2 < 5), then rank 1 scores 4 + 2 = 6 > 5, so the second goes to rank 0 (more running, fewer waiting)."""
    p = started(VLLMBalancer(), 2, 10)
    adm = p.decide(epoch(0, 0.0, 10, [50, 20], [5, 2], [0, 1], [7, 7]))
    assert admitted(adm) == {0: 1, 1: 0}


def test_sglang_total_requests_least_running_plus_waiting_lowest_index_on_ties():
    p = started(SGLangTotalRequests(), 3, 8)
    p.view = router_view(3, running=[3, 2, 1], waiting=[0, 0, 1])
    assert p.route(0, 10, -1) == 1  # 3, 2, 2 → first minimum
    p.view.sent[1] += 1
    assert p.route(1, 10, -1) == 2  # 3, 3, 2


def test_sglang_total_tokens_resident_plus_queued_plus_sent_then_requests():
    """Token load = L + Q + D (Scheduler.get_load plus DPBudget's increments); ties broken by requests."""
    p = started(SGLangTotalTokens(), 3, 8)
    p.view = router_view(3, loads=[100, 60, 90], waiting_tokens=[0, 50, 0], running=[1, 1, 1])
    assert p.route(0, 10, -1) == 2  # 100, 110, 90: the queued prompts count
    p.view.sent_tokens[2] += 10
    p.view.sent[2] += 1
    assert p.route(1, 10, -1) == 0  # 100, 110, 100 → tie on tokens: rank 0 has 1 request, rank 2 has 2


def test_sglang_round_robin_ignores_load():
    p = started(SGLangRoundRobin(), 3, 4)
    adm = p.decide(epoch(0, 0.0, 4, [0, 1000, 0], [0, 3, 0], [0, 1, 2, 3], [5, 5, 5, 5]))
    assert admitted(adm) == {0: 0, 1: 1, 2: 2, 3: 0}


def test_trtllm_longest_prompt_first_to_least_active_prompt_tokens():
    """Epoch 1 places prompts 500, 200 on ranks 0, 1. Epoch 2: active prompt tokens (500, 200, 0), counts
    (1, 1, 0), arrivals s = (10, 100, 50): target = max(⌈(2 + 3)/3⌉, 1) = 2; the 100 goes first, to rank 2
    (0 tokens), then the 50 to rank 2 (100 < 200), which reaches the target; the 10 to rank 1."""
    p = started(TRTLLMAttentionDP(), 3, 4)
    assert admitted(p.decide(epoch(0, 0.0, 4, [0, 0, 0], [0, 0, 0], [0, 1], [500, 200]))) == {0: 0, 1: 1}
    view = epoch(5, 0.1, 4, [505, 205, 0], [1, 1, 0], [2, 3, 4], [10, 100, 50],
                 active=([0, 1], [0, 1], [505, 205], None))
    assert admitted(p.decide(view)) == {3: 2, 4: 2, 2: 1}
    log = p.dispatch_log()
    np.testing.assert_array_equal(log.request[2:], [3, 4, 2])  # longest prompt routed first


def test_trtllm_per_rank_cap_holds_requests_centrally():
    """With max_active_per_rank = 1 and ranks (1, 1, 0) busy, only one request (the FIFO head) is bound;
    the rest wait in the central queue, bound to no rank."""
    p = started(TRTLLMAttentionDP(max_active_per_rank=1), 3, 4)
    view = epoch(0, 0.0, 4, [30, 20, 0], [1, 1, 0], [2, 3, 4], [10, 100, 50],
                 active=([0, 1], [0, 1], [30, 20], None))
    assert admitted(p.decide(view)) == {2: 2}
    assert p.queue_lengths().sum() == 0


def test_power_of_two_picks_the_less_loaded_of_two_distinct_random_ranks():
    p = started(PowerOfTwo(), 3, 8, seed=7)
    p.view = router_view(3, running=[0, 5, 8])
    picks = np.array([p.route(i, 1, -1) for i in range(3000)])
    assert not np.any(picks == 2)  # the most loaded rank always loses its pair
    # P(rank 0) = P(0 is one of the two) = 2/3
    assert abs(np.mean(picks == 0) - 2 / 3) < 0.03
    g2 = started(PowerOfTwo(), 2, 8)
    g2.view = router_view(2, running=[4, 1])
    assert all(g2.route(i, 1, -1) == 1 for i in range(50))


def test_dynamo_counts_expected_output_blocks():
    """Rank 0 runs a short-prompt, long-output request (w = 200, s + ô = 1100 → 69 blocks of 16); rank 1 a
    longer one about to finish (w = 600, s + ô = 701 → 44 blocks). Dynamo's decode-block cost sends the
    next request to rank 1, where the resident-token rule (SGLang total_tokens) picks rank 0."""
    def run(policy: DispatchPolicy) -> int:
        started(policy, 2, 4)
        policy.decide(epoch(0, 0.0, 4, [0, 0], [0, 0], [0, 1], [100, 500], preds=[1000, 201]))
        view = epoch(100, 1.0, 4, [200, 600], [1, 1], [2], [30], preds=[40],
                     active=([0, 1], [0, 1], [200, 600], [900, 101]))
        return admitted(policy.decide(view))[2]

    assert run(DynamoRouter()) == 1
    assert run(SGLangTotalTokens()) == 0


def test_dynamo_prefill_weight_counts_queued_prompts():
    """A rank with a queued (not yet prefilled) prompt pays w · its blocks: w = 0 ignores them."""
    p = started(DynamoRouter(overlap_score_weight=2.0), 2, 1)
    p.view = router_view(2)
    p._prefill = ids([10, 0])
    p._decode = ids([0, 15])
    assert p.route(0, 16, -1) == 1  # 20 > 15
    p.overlap_score_weight = 0.0
    assert p.route(0, 16, -1) == 0  # 0 < 15


def test_bfio_router_h0_least_load_among_ranks_with_a_free_slot():
    """H = 0: argmin of max(other, L_g + s) over ranks that can start the request now. Rank 0 has the least
    load but no free slot (B = 2), so the request goes to rank 2 (max 500 either way; own 110 < 510)."""
    p = started(BFIORouter(), 3, 2)
    view = epoch(0, 0.0, 2, [10, 500, 100], [2, 1, 1], [9], [10],
                 active=([0, 1, 3, 2], [0, 0, 1, 2], [5, 5, 500, 100], None))
    assert admitted(p.decide(view)) == {9: 2}


def test_bfio_router_token_only_ignores_slots():
    """slot_aware=False: the same scenario goes to rank 0, the least loaded, although its slots are full."""
    p = started(BFIORouter(slot_aware=False), 3, 2)
    view = epoch(0, 0.0, 2, [10, 500, 100], [2, 1, 1], [9], [10],
                 active=([0, 1, 3, 2], [0, 0, 1, 2], [5, 5, 500, 100], None))
    assert admitted(p.decide(view)) == {}
    np.testing.assert_array_equal(p.queued(0), [9])


def test_bfio_router_horizon_sees_the_finish():
    """Rank 0 (300 tokens) finishes after this step, rank 1 (200) runs 100 more. A request s = 150, ô = 50:
    H = 0 sends it to rank 1 (max 350 < 450); H = 10 to rank 0 (Σ_h max = 2505 < 3960), since rank 0 empties."""
    def choice(h: int) -> int:
        p = started(BFIORouter(horizon=h), 2, 4)
        view = epoch(0, 0.0, 4, [300, 200], [1, 1], [5], [150], preds=[50],
                     active=([0, 1], [0, 1], [300, 200], [1, 100]))
        return admitted(p.decide(view))[5]

    assert choice(0) == 1
    assert choice(10) == 0


# --- the dispatch mechanics ----------------------------------------------------------------------------

def test_fifo_per_rank_queues_and_head_of_line_blocking():
    """B = 1, G = 2, four arrivals round-robin to ranks 0, 1, 0, 1. When rank 1 frees, it admits request 3
    (its own queue's head), not request 2, which is bound to the still-busy rank 0."""
    p = started(SGLangRoundRobin(), 2, 1)
    assert admitted(p.decide(epoch(0, 0.0, 1, [0, 0], [0, 0], [0, 1, 2, 3], [5, 5, 5, 5]))) == {0: 0, 1: 1}
    np.testing.assert_array_equal(p.queued(0), [2])
    assert admitted(p.decide(epoch(1, 0.1, 1, [6, 0], [1, 0], [2, 3], [5, 5]))) == {3: 1}
    assert admitted(p.decide(epoch(2, 0.2, 1, [0, 6], [0, 1], [2], [5]))) == {2: 0}
    assert p.decide(epoch(3, 0.3, 1, [6, 6], [1, 1], [], [])).requests.size == 0


def test_every_request_is_routed_once_even_without_a_free_slot():
    p = started(SGLangTotalRequests(), 2, 1)
    adm = p.decide(epoch(0, 0.0, 1, [5, 5], [1, 1], [4, 5, 6], [1, 1, 1]))
    assert adm.requests.size == 0
    assert p.queue_lengths().sum() == 3
    p.decide(epoch(1, 0.1, 1, [6, 6], [1, 1], [4, 5, 6, 7], [1, 1, 1, 1]))
    log = p.dispatch_log()
    np.testing.assert_array_equal(np.sort(log.request), [4, 5, 6, 7])


def test_stale_snapshot_without_own_counts_sends_a_burst_to_one_rank():
    """Six arrivals in one epoch, ranks at (3, 1, 2) running: a router that sees only the published loads
    sends all six to rank 1; counting its dispatches (SGLang's speculative +1) spreads them."""
    view = epoch(0, 0.0, 16, [30, 10, 20], [3, 1, 2], list(range(6)), [4] * 6)
    herd = started(SGLangTotalRequests(count_own_dispatches=False), 3, 16)
    assert set(admitted(herd.decide(view)).values()) == {1}
    spread = started(SGLangTotalRequests(), 3, 16)
    counts = np.bincount(list(admitted(spread.decide(view)).values()), minlength=3)
    np.testing.assert_array_equal(counts, [1, 3, 2])  # levels the ranks at 4, 4, 4


def test_snapshot_refreshes_only_after_the_interval():
    """With a 100 ms interval the router keeps routing on the old loads: a rank that emptied meanwhile is
    not seen until the next refresh; the log records which snapshot each decision used."""
    p = started(VLLMBalancer(snapshot_interval_s=0.1, count_own_dispatches=False), 2, 8)
    p.decide(epoch(0, 0.00, 8, [0, 0], [1, 5], [0], [3]))
    p.decide(epoch(1, 0.05, 8, [0, 0], [8, 0], [1], [3]))  # stale: still believes (1, 5)
    p.decide(epoch(2, 0.10, 8, [0, 0], [8, 0], [2], [3]))  # refreshed
    log = p.dispatch_log()
    np.testing.assert_array_equal(log.worker, [0, 0, 1])
    np.testing.assert_array_equal(log.refresh, [0, 0, 1])


def test_fresh_snapshot_every_step_by_default():
    p = started(VLLMBalancer(), 2, 8)
    p.decide(epoch(0, 0.0, 8, [0, 0], [1, 5], [0], [3]))
    p.decide(epoch(1, 0.001, 8, [0, 0], [8, 0], [1], [3]))
    np.testing.assert_array_equal(p.dispatch_log().worker, [0, 1])


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_snapshot_interval_is_validated(bad):
    with pytest.raises(ConfigError, match="snapshot_interval_s"):
        VLLMBalancer(snapshot_interval_s=bad)


def test_parameters_are_validated_and_described():
    with pytest.raises(ConfigError, match="max_active_per_rank"):
        TRTLLMAttentionDP(max_active_per_rank=0)
    with pytest.raises(ConfigError, match="block_size"):
        DynamoRouter(block_size=0)
    with pytest.raises(ConfigError, match="horizon"):
        BFIORouter(horizon=-1)
    with pytest.raises(ConfigError, match="count_own_dispatches"):
        SGLangTotalTokens(count_own_dispatches=1)
    d = make_policy("dynamo", snapshot_interval_s=0.02, block_size=32).describe()
    assert d["snapshot_interval_s"] == 0.02 and d["block_size"] == 32 and d["mode"] == "dispatch"


def test_registered_and_accept_snapshot_interval():
    names = policy_names()
    for name in DISPATCH:
        assert name in names
        p = make_policy(name, snapshot_interval_s=0.02)
        assert p.observes_full_epochs and p.describe()["snapshot_interval_s"] == 0.02


# --- whole runs -------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(inst=small_instances(open_loop=True, predictions=True, max_requests=30),
       name=st.sampled_from(DISPATCH), interval=st.sampled_from([0.0, 0.02, 0.5]),
       own=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_engine_matches_reference_and_conserves_tokens(inst, name, interval, own, seed):
    w, cfg = inst
    params = {"snapshot_interval_s": interval, "count_own_dispatches": own}
    if name == "bfio_router":
        params["horizon"] = 3
    fast = simulate(w, cfg, make_policy(name, **params), seed=seed)
    slow = simulate_reference(w, cfg, make_policy(name, **params), seed=seed)
    assert_same_run(fast, slow)
    req = fast.requests
    np.testing.assert_array_equal(req.finish_step - req.admit_step + 1, w.output_tokens)
    assert int(fast.steps.active.sum()) == w.total_output_tokens
    assert np.all(req.admit_time_s >= req.arrival_time_s)


def test_run_on_a_window_holding_every_arrival():
    """pool = N: every request is routed at the first step after it arrives (TensorRT-LLM: no earlier; it
    binds a request only when the cluster has room), and lands where it was routed."""
    rng = np.random.default_rng(3)
    from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
    from lbtheory.workloads import Workload, poisson_arrivals

    n = 80
    w = Workload(rng.integers(1, 60, n), rng.integers(1, 20, n), poisson_arrivals(n, 400.0, rng))
    cfg = SimConfig(ClusterConfig(4, 3, n), StepTimeModel(0.01, 1e-4), "open")
    for name in DISPATCH:
        pol = make_policy(name)
        r = simulate(w, cfg, pol, seed=1)
        log = pol.dispatch_log()
        order = np.argsort(log.request)
        np.testing.assert_array_equal(log.request[order], np.arange(n))
        np.testing.assert_array_equal(log.worker[order], r.requests.worker)
        steps = r.steps.start_s
        first_step_after = np.searchsorted(steps, w.arrival_time_s, side="left")
        if name == "trtllm":
            assert np.all(log.step[order] >= first_step_after)
        else:
            np.testing.assert_array_equal(log.step[order], first_step_after)
