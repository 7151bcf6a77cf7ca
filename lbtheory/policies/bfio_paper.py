"""``bfio_paper``: the paper authors' BF-IO heuristic, re-implemented from its description.

The authors' simulator (Echoscd/Load-Balancing-Release, ``strategy_balance_future``) does not solve the
integer program of MODEL.md; it runs a scored greedy pass and a subset dynamic program. This module
re-implements that procedure (our code, compiled) with the authors' constants as defaults.

Notation. At step k, T = min(H, max(1, max remaining predicted output)) (T = 0 when H = 0). The predicted
load of worker g at t = 0..T ignores the growth of survivors:

    P_g(t) = L_g − Σ_{i on g, 1 <= r_i <= t} w_i,          M_t = max_g P_g(t)  (the envelope),

with r_i = ô_i − a_i the predicted remaining steps (overdue requests, r_i <= 0, are kept). The score of
giving worker g extra prompt mass S is, with margins m_t = max(M_t − P_g(t), 0) and decays d_t = decay^t,

    F_g(S) = α · S · Σ_t d_t − β · Σ_t d_t · max(0, S − m_t)       (α = 1, β = 43, decay = 0.86).

1. Greedy phase, while more than 7 slots are free in total: take the worker with the most free slots
   (ties: least P_g(0), then lowest index); give it the single request, among the first 1,024 waiting, with
   the largest F_g(s_j) (ties: earliest); add s_j to P_g(t) for every t and raise the envelope.
2. Fine phase: workers with free slots in a heap keyed by (1 − λ) P_g(0) + λ P_g(T), with
   λ = clock / (clock + predicted time to drain). *(choice)* The policy does not know the step time, so it
   takes the mean step so far (clock / k): λ = k / (k + D), D the first t >= 1 at which max_g P_g(t) = 0
   (T if none; 0 when T = 0). For the popped worker with f free slots, for k = f, f−1, ..., 1: among the
   first 1,024 waiting requests, the sums of exactly k prompts are found by a bitset dynamic program; the
   best is the largest sum <= the safe margin ⌊min_t m_t⌋ if one exists, else the smallest sum above it;
   the best F over k is kept, stopping at the first k whose best sum is safe. If that F is not positive,
   the single request of largest F is taken instead; a worker that gets nothing three times in a row is
   forced to take that single best. A worker with slots left goes back into the heap; at most
   min(1000, free slots) rounds.

The dynamic program only tracks sums up to max(S_min, m + s_max) (S_min the k smallest prompts, s_max
the largest): the smallest reachable sum above m never exceeds it, so the choice is the same as over all
sums.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np

from lbtheory._jit import njit
from lbtheory.errors import ConfigError
from lbtheory.policies.base import Admission, EpochView, Policy

__all__ = ["BFIOPaper", "BFIOPaperConfig", "paper_assign"]


@njit(cache=True)
def _scorer(P, env, g, decay_t, ms, pd, pdm):  # pragma: no cover - compiled
    """Prepare F_g: margins sorted ascending with their decays; returns (Σ d_t, ⌊min_t m_t⌋)."""
    T1 = env.size
    marg = np.empty(T1, np.float64)
    for t in range(T1):
        v = env[t] - P[t, g]
        marg[t] = v if v > 0 else 0.0
    idx = np.argsort(marg, kind="mergesort")
    pd[0] = 0.0
    pdm[0] = 0.0
    for r in range(T1):
        t = idx[r]
        ms[r] = marg[t]
        pd[r + 1] = pd[r] + decay_t[t]
        pdm[r + 1] = pdm[r] + decay_t[t] * marg[t]
    return pd[T1], int(np.floor(ms[0]))


@njit(cache=True, inline="always")
def _F(S, alpha, beta, dsum, ms, pd, pdm):  # pragma: no cover - compiled
    """F(S) = α S Σ d_t − β Σ_{t: m_t < S} d_t (S − m_t)."""
    lo, hi = 0, ms.size
    while lo < hi:  # number of margins < S
        mid = (lo + hi) // 2
        if ms[mid] < S:
            lo = mid + 1
        else:
            hi = mid
    return alpha * dsum * S - beta * (S * pd[lo] - pdm[lo])


@njit(cache=True)
def _shift_or(dst, src, s, words):  # pragma: no cover - compiled
    """dst |= src << s over ``words`` 64-bit words."""
    ws = s // 64
    bs = s % 64
    for w in range(words - 1, ws - 1, -1):
        v = src[w - ws] << np.uint64(bs)
        if bs > 0 and w - ws - 1 >= 0:
            v |= src[w - ws - 1] >> np.uint64(64 - bs)
        dst[w] |= v


@njit(cache=True)
def _reach(sizes, n_items, kmax, cap):  # pragma: no cover - compiled
    """Bitsets of the sums <= cap of exactly j of the first n_items sizes, j = 0..kmax."""
    words = cap // 64 + 1
    reach = np.zeros((kmax + 1, words), np.uint64)
    reach[0, 0] = np.uint64(1)
    for i in range(n_items):
        s = sizes[i]
        if s > cap:
            continue
        for j in range(min(i + 1, kmax), 0, -1):
            _shift_or(reach[j], reach[j - 1], s, words)
    last = cap % 64
    if last < 63:
        for j in range(kmax + 1):
            reach[j, words - 1] &= (np.uint64(1) << np.uint64(last + 1)) - np.uint64(1)
    return reach


@njit(cache=True, inline="always")
def _bit(row, S):  # pragma: no cover - compiled
    return (row[S // 64] >> np.uint64(S % 64)) & np.uint64(1)


@njit(cache=True)
def _highest_set(row, lo, hi):  # pragma: no cover - compiled
    """The largest S in [lo, hi] whose bit is set in ``row``, or −1 (words with no bit set are skipped
    whole, so a sparse bitset costs one test per 64 sums)."""
    if hi < lo:
        return -1
    w = hi // 64
    while w >= lo // 64:
        word = row[w]
        if word != np.uint64(0):
            top = hi - 64 * w if w == hi // 64 else 63
            bottom = lo - 64 * w if w == lo // 64 else 0
            for b in range(top, bottom - 1, -1):
                if (word >> np.uint64(b)) & np.uint64(1):
                    return 64 * w + b
        w -= 1
    return -1


@njit(cache=True)
def _lowest_set(row, lo, hi):  # pragma: no cover - compiled
    """The smallest S in [lo, hi] whose bit is set in ``row``, or −1 (as :func:`_highest_set`)."""
    if hi < lo:
        return -1
    w = lo // 64
    while w <= hi // 64:
        word = row[w]
        if word != np.uint64(0):
            bottom = lo - 64 * w if w == lo // 64 else 0
            top = hi - 64 * w if w == hi // 64 else 63
            for b in range(bottom, top + 1):
                if (word >> np.uint64(b)) & np.uint64(1):
                    return 64 * w + b
        w += 1
    return -1


@njit(cache=True)
def _subset(sizes, k, S, cap, out):  # pragma: no cover - compiled
    """Indices of exactly k of ``sizes`` summing to S (known reachable): the last item of the shortest
    prefix that reaches (k, S), then recursively within the items before it."""
    limit = sizes.size
    for r in range(k):
        kk = k - r
        words = cap // 64 + 1
        reach = np.zeros((kk + 1, words), np.uint64)
        reach[0, 0] = np.uint64(1)
        found = -1
        for i in range(limit):
            s = sizes[i]
            if s <= cap:
                for j in range(min(i + 1, kk), 0, -1):
                    _shift_or(reach[j], reach[j - 1], s, words)
            if _bit(reach[kk], S) == 1:
                found = i
                break
        out[r] = found
        S -= sizes[found]
        limit = found


@njit(cache=True)
def paper_assign(
    loads, free, act_worker, act_workload, act_remaining, prompt, pred, horizon, step,
    alpha, beta, decay, greedy_threshold, max_candidates, fail_threshold, max_rounds,
):  # pragma: no cover - compiled
    """The authors' two-phase heuristic (module docstring); returns window position -> worker or −1.

    ``pred`` holds ô_j of the window (ignored when H = 0); ``act_remaining`` holds r_i (ignored when H = 0).
    """
    G = loads.size
    n = prompt.size
    assign = np.full(n, -1, np.int64)
    fr = free.copy()
    total_free = 0
    for g in range(G):
        total_free += fr[g]
    if n == 0 or total_free == 0:
        return assign
    # ---- horizon and projected loads P_g(t)
    T = 0
    if horizon > 0:
        rmax = 0
        for p in range(act_remaining.size):
            rmax = max(rmax, act_remaining[p])
        for j in range(n):
            rmax = max(rmax, pred[j])
        T = min(horizon, max(1, rmax))
    T1 = T + 1
    P = np.empty((T1, G), np.int64)
    for g in range(G):
        P[0, g] = loads[g]
    if T > 0:
        drop = np.zeros((T1, G), np.int64)
        for p in range(act_worker.size):
            r = act_remaining[p]
            if 1 <= r <= T:
                drop[r, act_worker[p]] += act_workload[p]
        for g in range(G):
            acc = 0
            for t in range(1, T1):
                acc += drop[t, g]
                P[t, g] = loads[g] - acc
    env = np.empty(T1, np.int64)
    for t in range(T1):
        e = P[t, 0]
        for g in range(1, G):
            if P[t, g] > e:
                e = P[t, g]
        env[t] = e
    decay_t = np.empty(T1, np.float64)
    for t in range(T1):
        decay_t[t] = decay**t
    ms = np.empty(T1, np.float64)
    pd = np.empty(T1 + 1, np.float64)
    pdm = np.empty(T1 + 1, np.float64)
    taken = np.zeros(n, np.bool_)
    cpos = np.empty(min(n, max_candidates), np.int64)
    csz = np.empty(min(n, max_candidates), np.int64)
    left = n

    # ---- 1) greedy single-request phase
    while left > 0 and total_free > greedy_threshold:
        g = -1
        for w in range(G):
            if fr[w] <= 0:
                continue
            if g < 0 or fr[w] > fr[g] or (fr[w] == fr[g] and P[0, w] < P[0, g]):
                g = w
        dsum, _ = _scorer(P, env, g, decay_t, ms, pd, pdm)
        bj = -1
        bf = 0.0
        seen = 0
        for j in range(n):
            if taken[j]:
                continue
            f = _F(float(prompt[j]), alpha, beta, dsum, ms, pd, pdm)
            if bj < 0 or f > bf:
                bj, bf = j, f
            seen += 1
            if seen >= max_candidates:
                break
        assign[bj] = g
        taken[bj] = True
        left -= 1
        fr[g] -= 1
        total_free -= 1
        for t in range(T1):
            P[t, g] += prompt[bj]
            if P[t, g] > env[t]:
                env[t] = P[t, g]
    if left == 0 or total_free == 0:
        return assign

    # ---- 2) fine phase: heap by (1 − λ) P_g(0) + λ P_g(T), subset dynamic program
    drain = 0
    if T > 0:
        drain = T
        for t in range(1, T1):
            if env[t] <= 0:
                drain = t
                break
    lam = step / (step + drain) if step + drain > 0 else 0.0
    key = np.empty(G, np.float64)
    inheap = np.zeros(G, np.bool_)
    for g in range(G):
        if fr[g] > 0:
            inheap[g] = True
            key[g] = (1.0 - lam) * P[0, g] + lam * P[T, g]
    fails = np.zeros(G, np.int64)
    rounds_cap = min(max_rounds, total_free)
    rounds = 0
    chosen = np.empty(n, np.int64)
    while left > 0 and rounds < rounds_cap:
        g = -1
        for w in range(G):
            if inheap[w] and (g < 0 or key[w] < key[g]):
                g = w
        if g < 0:
            break
        inheap[g] = False
        k_slots = fr[g]
        if k_slots <= 0:
            continue
        nc = 0
        for j in range(n):
            if not taken[j]:
                cpos[nc] = j
                csz[nc] = prompt[j]
                nc += 1
                if nc >= max_candidates:
                    break
        dsum, msafe = _scorer(P, env, g, decay_t, ms, pd, pdm)
        kmax = min(k_slots, nc)
        n_chosen = 0
        best_f = -np.inf
        best_s = 0
        best_k = 0
        if kmax == 1:
            s_lo = -1
            s_hi = -1
            for c in range(nc):
                s = csz[c]
                if s <= msafe and msafe >= 1:
                    if s > s_lo:
                        s_lo = s
                elif s > msafe and (s_hi < 0 or s < s_hi):
                    s_hi = s
            S = s_lo if s_lo >= 0 else s_hi
            if S >= 0:
                best_s, best_k = S, 1
                best_f = _F(float(S), alpha, beta, dsum, ms, pd, pdm)
        elif kmax > 1:
            srt = np.sort(csz[:nc])
            s_min = 0
            for c in range(kmax):
                s_min += srt[c]
            s_cap = 0
            for c in range(nc - kmax, nc):
                s_cap += srt[c]
            cap = min(s_cap, max(s_min, msafe + srt[nc - 1]))
            reach = _reach(csz[:nc], nc, kmax, cap)
            for k in range(kmax, 0, -1):
                S = -1
                if msafe >= 1:  # the largest reachable sum in [1, msafe], else the smallest above msafe
                    S = _highest_set(reach[k], 1, min(msafe, cap))
                if S < 0:
                    S = _lowest_set(reach[k], max(msafe + 1, 0), cap)
                if S >= 0:
                    f = _F(float(S), alpha, beta, dsum, ms, pd, pdm)
                    if f > best_f:
                        best_f, best_s, best_k = f, S, k
                if best_k > 0 and best_s <= msafe:
                    break
        if best_k > 0 and best_f > 0.0:
            if best_k == 1:
                for c in range(nc):
                    if csz[c] == best_s:
                        chosen[0] = cpos[c]
                        break
            else:
                idx = np.empty(best_k, np.int64)
                _subset(csz[:nc], best_k, best_s, cap, idx)
                for r in range(best_k):
                    chosen[r] = cpos[idx[r]]
            n_chosen = best_k
        elif nc > 0 and (best_k > 0 or fails[g] + 1 >= fail_threshold):
            # not positive (or nothing found three times): the single request of largest F
            bc = -1
            bf = 0.0
            for c in range(nc):
                f = _F(float(csz[c]), alpha, beta, dsum, ms, pd, pdm)
                if bc < 0 or f > bf:
                    bc, bf = c, f
            chosen[0] = cpos[bc]
            best_s = csz[bc]
            n_chosen = 1
        rounds += 1
        if n_chosen == 0:
            fails[g] += 1
            inheap[g] = True
            continue
        fails[g] = 0
        for r in range(n_chosen):
            j = chosen[r]
            assign[j] = g
            taken[j] = True
        left -= n_chosen
        fr[g] -= n_chosen
        for t in range(T1):
            P[t, g] += best_s
            if P[t, g] > env[t]:
                env[t] = P[t, g]
        if fr[g] > 0:
            inheap[g] = True
            key[g] = (1.0 - lam) * P[0, g] + lam * P[T, g]
    return assign


def _positive_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _real(
    name: str, value: object, low: float, *, low_open: bool = False, high: float | None = None
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    v = float(value)
    ok = bool(np.isfinite(v)) and (v > low if low_open else v >= low) and (high is None or v <= high)
    if not ok:
        raise ConfigError(f"{name} is out of range, got {value!r}")


@dataclass(frozen=True)
class BFIOPaperConfig:
    """The authors' constants (``strategy_balance_future``).

    Attributes:
        horizon: H, the most lookahead steps (the authors' ``HORIZON_MAX`` = 72).
        alpha: α >= 0, reward per token of prompt mass placed.  beta: β >= 0, penalty per token over margin.
        decay: d in (0, 1], the weight d^t of lookahead step t.
        greedy_threshold: the greedy phase runs while more than this many slots are free in total (7).
        max_candidates: the waiting requests examined per decision (the first 1,024).
        fail_threshold: failures after which a worker is forced to take the single best request (3).
        max_rounds: cap on fine-phase rounds (1,000; also at most the free slots).
    """

    horizon: int = 72
    alpha: float = 1.0
    beta: float = 43.0
    decay: float = 0.86
    greedy_threshold: int = 7
    max_candidates: int = 1024
    fail_threshold: int = 3
    max_rounds: int = 1000

    def __post_init__(self) -> None:
        _positive_int("horizon (H)", self.horizon, 0)
        _real("alpha (α)", self.alpha, 0.0)
        _real("beta (β)", self.beta, 0.0)
        _real("decay", self.decay, 0.0, low_open=True, high=1.0)
        _positive_int("greedy_threshold", self.greedy_threshold, 0)
        _positive_int("max_candidates", self.max_candidates, 1)
        _positive_int("fail_threshold", self.fail_threshold, 1)
        _positive_int("max_rounds", self.max_rounds, 1)


class BFIOPaper(Policy):
    """The authors' BF-IO heuristic (greedy F-score pass plus subset DP), ``BFIOPaper(horizon=72)``."""

    name: ClassVar[str] = "bfio_paper"

    def __init__(
        self,
        horizon: int = 72,
        alpha: float = 1.0,
        beta: float = 43.0,
        decay: float = 0.86,
        greedy_threshold: int = 7,
        max_candidates: int = 1024,
        fail_threshold: int = 3,
        max_rounds: int = 1000,
    ) -> None:
        self.config = BFIOPaperConfig(
            horizon, alpha, beta, decay, greedy_threshold, max_candidates, fail_threshold, max_rounds
        )
        self.needs_predictions = self.config.horizon > 0

    def decide(self, view: EpochView) -> Admission:
        c = self.config
        empty = np.empty(0, np.int64)
        if c.horizon > 0:
            act = view.active_requests()
            pred = view.window_predicted_output_tokens
            if pred is None or act.predicted_remaining_steps is None:
                raise ConfigError(f"bfio_paper with horizon H={c.horizon} > 0 needs predictions")
            aw, awl, ar = act.worker, act.workload_tokens, act.predicted_remaining_steps
        else:
            pred = np.ones(view.window_requests.size, np.int64)
            aw = awl = ar = empty
        assign = paper_assign(
            view.loads, view.free_slots.astype(np.int64), aw, awl, ar,
            view.window_prompt_tokens, pred, c.horizon, view.step,
            float(c.alpha), float(c.beta), float(c.decay), c.greedy_threshold, c.max_candidates,
            c.fail_threshold, c.max_rounds,
        )
        pos = np.flatnonzero(assign >= 0)
        return Admission(view.window_requests[pos].copy(), assign[pos])

    def describe(self) -> dict[str, object]:
        return {"name": self.name, **asdict(self.config)}
