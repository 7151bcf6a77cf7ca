"""Baseline policies against their rules in MODEL.md, written out plainly here."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbtheory.errors import ConfigError
from lbtheory.policies import EpochView, make_policy, policy_names


def view(loads, counts, slots, prompts, step=0):
    n = len(prompts)
    return EpochView(
        step=step, clock_s=0.0, slots=slots, loads=np.array(loads, np.int64),
        active_counts=np.array(counts, np.int64), window_requests=np.arange(100, 100 + n, dtype=np.int64),
        window_prompt_tokens=np.array(prompts, np.int64), window_predicted_output_tokens=None,
        _active=lambda: None,  # type: ignore[arg-type,return-value]
    )


epochs = st.integers(1, 6).flatmap(
    lambda G: st.tuples(
        st.lists(st.integers(0, 500), min_size=G, max_size=G),
        st.integers(1, 5),
        st.lists(st.integers(1, 100), min_size=0, max_size=20),
    ).flatmap(
        lambda t: st.tuples(
            st.just(t[0]),
            st.lists(st.integers(0, t[1]), min_size=len(t[0]), max_size=len(t[0])),
            st.just(t[1]),
            st.just(t[2]),
        )
    )
)


def started(name, G, B, seed=0):
    p = make_policy(name)
    p.start(G, B, np.random.default_rng(seed))
    return p


@settings(max_examples=200, deadline=None)
@given(epochs)
def test_fcfs_fills_workers_in_index_order(ep):
    loads, counts, B, prompts = ep
    free = [B - c for c in counts]
    expected = [g for g in range(len(loads)) for _ in range(free[g])][: len(prompts)]
    adm = started("fcfs", len(loads), B).decide(view(loads, counts, B, prompts))
    assert adm.workers.tolist() == expected
    assert adm.requests.tolist() == list(range(100, 100 + len(expected)))


@settings(max_examples=200, deadline=None)
@given(epochs)
def test_jsq_sends_each_request_to_the_least_loaded_open_worker(ep):
    loads, counts, B, prompts = ep
    load, free = list(loads), [B - c for c in counts]
    expected = []
    for s in prompts:
        open_w = [g for g in range(len(load)) if free[g] > 0]
        if not open_w:
            break
        g = min(open_w, key=lambda g: (load[g], g))
        expected.append(g)
        load[g] += s
        free[g] -= 1
    adm = started("jsq_tokens", len(loads), B).decide(view(loads, counts, B, prompts))
    assert adm.workers.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(epochs, st.integers(1, 4))
def test_round_robin_cursor_persists_across_epochs(ep, rounds):
    loads, counts, B, prompts = ep
    G = len(loads)
    p = started("round_robin", G, B)
    cursor = 0
    for _ in range(rounds):
        free = [B - c for c in counts]
        expected = []
        for _s in prompts:
            if sum(free) == 0:
                break
            while free[cursor] == 0:
                cursor = (cursor + 1) % G
            expected.append(cursor)
            free[cursor] -= 1
            cursor = (cursor + 1) % G
        assert p.decide(view(loads, counts, B, prompts)).workers.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(epochs, st.integers(0, 2**32 - 1))
def test_random_is_feasible_fills_and_is_seeded(ep, seed):
    loads, counts, B, prompts = ep
    v = view(loads, counts, B, prompts)
    a = started("random", len(loads), B, seed).decide(v)
    b = started("random", len(loads), B, seed).decide(v)
    assert a.workers.tolist() == b.workers.tolist()
    free = B - np.array(counts)
    assert a.workers.size == min(len(prompts), int(free.sum()))
    assert np.all(np.bincount(a.workers, minlength=len(loads)) <= free)


def test_random_is_roughly_uniform():
    p = started("random", 4, 1000, seed=1)
    adm = p.decide(view([0] * 4, [0] * 4, 1000, [1] * 4000))
    counts = np.bincount(adm.workers, minlength=4)
    assert counts.sum() == 4000
    # each worker ~ Binomial(4000, 1/4) until slots bind: sd ~ 27; 6 sd
    assert np.all(np.abs(counts - 1000) < 170)


def test_registry():
    assert {"fcfs", "jsq_tokens", "round_robin", "random"} <= set(policy_names())
    with pytest.raises(ConfigError, match="unknown policy"):
        make_policy("nope")


def test_user_policies_register_beside_the_builtins():
    from lbtheory.policies import Admission, Policy, register

    class Mine(Policy):
        name = "mine_for_test"

        def decide(self, view):
            return Admission.empty()

    register(Mine.name, Mine)
    assert {"mine_for_test", "fcfs", "bfio"} <= set(policy_names())
    with pytest.raises(ConfigError, match="already registered"):
        register("fcfs", Mine)
