"""``bfio_paper``, the authors' heuristic re-implemented: its pieces against direct readings, and the policy.

What these tests prove: the compiled score F_g(S) equals α S Σ d_t − β Σ_t d_t max(0, S − m_t); the bitset
dynamic program finds exactly the sums of exactly k prompts (brute force over subsets) and the subset it
returns has that sum; capping the sums at max(S_min, m + s_max) never changes the chosen sum; a hand-worked
epoch gives the documented choice; every decision is feasible; and full runs (exact, noisy, no predictions,
open loop) complete and conserve tokens.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lbtheory.engine.simulate import simulate
from lbtheory.errors import ConfigError
from lbtheory.model import SimConfig
from lbtheory.policies.base import ActiveRequests, EpochView
from lbtheory.policies.bfio_paper import _F, BFIOPaper, _reach, _scorer, _subset, paper_assign
from lbtheory.policies.registry import make_policy, policy_names
from lbtheory.workloads.base import Workload


def test_score_matches_definition() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        T1, G = int(rng.integers(1, 12)), int(rng.integers(1, 5))
        P = rng.integers(0, 500, (T1, G))
        env = P.max(axis=1)
        g = int(rng.integers(0, G))
        decay = 0.86 ** np.arange(T1)
        ms, pd, pdm = np.empty(T1), np.empty(T1 + 1), np.empty(T1 + 1)
        dsum, msafe = _scorer(P, env, g, decay, ms, pd, pdm)
        m = np.maximum(env - P[:, g], 0)
        assert msafe == int(m.min())
        for S in (1, 7, 50, 300, 900):
            want = 1.0 * S * decay.sum() - 43.0 * (decay * np.maximum(0, S - m)).sum()
            assert _F(float(S), 1.0, 43.0, dsum, ms, pd, pdm) == pytest.approx(want, rel=1e-12, abs=1e-9)


def test_reach_and_subset_match_brute_force() -> None:
    rng = np.random.default_rng(1)
    for _ in range(40):
        n, kmax = int(rng.integers(1, 9)), int(rng.integers(1, 5))
        sizes = rng.integers(1, 150, n).astype(np.int64)
        cap = int(rng.integers(1, 600))
        reach = _reach(sizes, n, kmax, cap)
        for k in range(kmax + 1):
            want = {sum(c) for c in itertools.combinations(sizes.tolist(), k) if sum(c) <= cap}
            got = {S for S in range(cap + 1) if (int(reach[k, S // 64]) >> (S % 64)) & 1}
            assert got == want
            for S in list(want)[:3]:
                if k == 0:
                    continue
                idx = np.empty(k, np.int64)
                _subset(sizes, k, S, cap, idx)
                assert len(set(idx.tolist())) == k and int(sizes[idx].sum()) == S


def _choice(sums: set[int], m: int) -> int:
    """The authors' rule: the largest sum <= m if m >= 1 and one exists, else the smallest above m."""
    safe = [s for s in sums if s <= m] if m >= 1 else []
    return max(safe) if safe else min(s for s in sums if s > m)


def test_capped_sums_choose_like_all_sums() -> None:
    rng = np.random.default_rng(2)
    for _ in range(60):
        n, k = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        k = min(k, n)
        sizes = rng.integers(1, 200, n)
        m = int(rng.integers(0, 700))
        sums = {sum(c) for c in itertools.combinations(sizes.tolist(), k)}
        srt = np.sort(sizes)
        cap = min(int(srt[-k:].sum()), max(int(srt[:k].sum()), m + int(srt[-1])))
        assert _choice(sums, m) == _choice({s for s in sums if s <= cap}, m)


def _view(loads, free, prompts, slots=8, pred=None, active=None) -> EpochView:  # type: ignore[no-untyped-def]
    loads = np.asarray(loads, np.int64)
    free = np.asarray(free, np.int64)
    prompts = np.asarray(prompts, np.int64)

    def act() -> ActiveRequests:
        if active is None:
            raise AssertionError("active requests were listed")
        return active

    return EpochView(step=5, clock_s=1.0, slots=slots, loads=loads, active_counts=slots - free,
                     window_requests=np.arange(prompts.size) + 100, window_prompt_tokens=prompts,
                     window_predicted_output_tokens=pred, _active=act)


def test_hand_worked_epoch() -> None:
    """One free slot (fine phase), margin m = 1000 − 400 = 600: the largest prompt <= 600 is 500."""
    adm = BFIOPaper(horizon=0).decide(_view([1000, 400], [0, 1], [100, 700, 500, 650]))
    assert adm.requests.tolist() == [102] and adm.workers.tolist() == [1]
    # two slots, margin 600: the largest pair sum <= 600 is 100 + 480 = 580
    adm = BFIOPaper(horizon=0).decide(_view([1000, 400], [0, 2], [100, 700, 480, 650]))
    assert sorted(adm.requests.tolist()) == [100, 102]


def test_greedy_phase_scores() -> None:
    """Nine free slots on an empty worker beside a full one (margin 1000): F picks 700, then 300 (the
    margin left), then the greedy phase stops at 7 free and the fine phase places the rest."""
    adm = BFIOPaper(horizon=0).decide(_view([1000, 0], [0, 9], [300, 1200, 700, 50], slots=9))
    assert sorted(adm.requests.tolist()) == [100, 101, 102, 103]
    assert set(adm.workers.tolist()) == {1}


def test_decisions_are_feasible() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        G = int(rng.integers(1, 20))
        B = int(rng.integers(1, 12))
        counts = rng.integers(0, B + 1, G)
        n = int(rng.integers(0, 4 * G + 1))
        H = int(rng.choice([0, 5, 72]))
        n_act = int(counts.sum())
        aw = np.repeat(np.arange(G), counts)
        awl = rng.integers(1, 3000, n_act)
        ar = rng.integers(-3, 100, n_act)
        loads = np.bincount(aw, weights=awl, minlength=G).astype(np.int64)
        prompt = rng.integers(1, 3000, n)
        pred = rng.integers(1, 100, n)
        a = paper_assign(loads, B - counts, aw, awl, ar, prompt, pred, H, int(rng.integers(0, 50)),
                         1.0, 43.0, 0.86, 7, 1024, 3, 1000)
        used = np.bincount(a[a >= 0], minlength=G)
        assert np.all(used <= B - counts)
        assert int((a >= 0).sum()) == min(int((B - counts).sum()), n)  # it fills what it can here


def test_config_and_registry() -> None:
    assert {"bfio", "bfio_paper"} <= set(policy_names())
    d = make_policy("bfio_paper").describe()
    assert d["name"] == "bfio_paper" and d["horizon"] == 72 and d["beta"] == 43.0
    assert BFIOPaper(horizon=0).needs_predictions is False
    for bad in ({"horizon": -1}, {"decay": 0.0}, {"decay": 1.5}, {"beta": -1.0}, {"max_candidates": 0}):
        with pytest.raises(ConfigError):
            BFIOPaper(**bad)  # type: ignore[arg-type]


def _wl(rng: np.random.Generator, n: int) -> Workload:
    return Workload(rng.integers(1, 400, n), rng.integers(1, 60, n), name="small")


def _conserved(res, wl: Workload) -> None:  # type: ignore[no-untyped-def]
    assert int(res.steps.active.sum()) == wl.total_output_tokens
    assert np.all(res.requests.finish_step - res.requests.admit_step + 1 == wl.output_tokens)


def test_simulate_runs() -> None:
    rng = np.random.default_rng(4)
    wl = _wl(rng, 500)
    cfg = SimConfig.paper(4, 12)
    _conserved(simulate(wl, cfg, BFIOPaper(horizon=0), seed=0), wl)  # no predictions needed
    exact = wl.with_predictions(wl.output_tokens.copy())
    _conserved(simulate(exact, cfg, BFIOPaper(), seed=0), wl)
    noisy = np.maximum(1, np.rint(wl.output_tokens * rng.uniform(0.9, 1.1, wl.n_requests)))
    _conserved(simulate(wl.with_predictions(noisy.astype(np.int64)), cfg, BFIOPaper(horizon=20),
                        seed=0), wl)
    with pytest.raises(ConfigError, match="predictions"):
        simulate(wl, cfg, BFIOPaper(horizon=5), seed=0)
    open_wl = exact.with_arrivals(np.cumsum(rng.exponential(0.005, wl.n_requests)))
    open_cfg = SimConfig(cfg.cluster, cfg.step_time, arrivals="open")
    _conserved(simulate(open_wl, open_cfg, BFIOPaper(horizon=10), seed=0), wl)


def test_word_scans_match_a_bit_by_bit_scan() -> None:
    """_highest_set / _lowest_set (which skip empty 64-bit words) agree with a scan of every bit."""
    from lbtheory.policies.bfio_paper import _bit, _highest_set, _lowest_set

    rng = np.random.default_rng(3)
    for density in (0.0, 0.002, 0.05, 0.5):
        n_bits = int(rng.integers(1, 400))
        bits = rng.random(n_bits) < density
        row = np.zeros(n_bits // 64 + 1, np.uint64)
        for b in np.flatnonzero(bits):
            row[b // 64] |= np.uint64(1) << np.uint64(b % 64)
        for _ in range(60):
            lo, hi = sorted(int(x) for x in rng.integers(0, n_bits, 2))
            hi += int(rng.integers(-1, 1))  # sometimes an empty range (hi < lo)
            hits = [v for v in range(lo, hi + 1) if _bit(row, v) == 1]
            assert _highest_set(row, lo, hi) == (max(hits) if hits else -1)
            assert _lowest_set(row, lo, hi) == (min(hits) if hits else -1)
