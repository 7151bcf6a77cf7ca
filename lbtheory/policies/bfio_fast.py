"""The fast BF-IO solver: envelope filling, then local search on the exact objective (compiled).

It solves the program of :mod:`lbtheory.policies.bfio_problem` approximately. Notation: b_g(h) the base
profile, c_j(h) = (s_j + h)·[h < ô_j] (nonzero for h < ℓ_j = min(ô_j, H+1)), C_j = Σ_h c_j(h),
E(h) = max_g L̂_g(k+h) the predicted envelope, Φ = Σ_h [G·E(h) − Σ_g L̂_g(k+h)].

1. **Filling** (m = min(Σ f, n) placements).
   - Slot-limited (m < n: the fill-all constraint fixes how many, the solver picks which): repeatedly take
     the worker with the largest current gap per free slot, (E(0) − L̂_g(k))/q_g, and give it the request
     that minimises G·Σ_h max(0, c_j(h) − γ_g(h)/q_g) − C_j, its share γ_g(h)/q_g of the gap
     γ_g(h) = E(h) − L̂_g(k+h) (for q_g = 1 this is the exact change of Φ). Candidates are the K untaken
     requests either side of s = γ_g(0)/q_g in prompt order.
   - Request-limited (m = n: every request is admitted): LPT: requests by C_j descending, each to the
     worker with a free slot that minimises the exact change of Φ (ties: the least loaded).
2. **Local search**, first improvement on the exact ΔΦ, until no move improves or a budget is spent:
   replace an admitted request by a waiting one (K either side of the size that exactly refills its
   worker), swap two admitted requests between workers, move an admitted request to a spare slot. Swaps
   and moves start from a *critical* worker (one at the envelope for some h): only they can lower E.
   The top three loads per h are kept, so each ΔΦ costs O(ℓ), not O(G·H).

The assignment is always feasible: every placement takes one free slot and one untaken request, and the
moves keep the counts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NEG = -(1 << 62)


@njit(cache=True, inline="always")
def _c(prompt, length, j, h):  # pragma: no cover - compiled
    """c_j(h)."""
    if h < length[j]:
        return prompt[j] + h
    return 0


@njit(cache=True)
def _top3(load, t1v, t1g, t2v, t2g, t3v):  # pragma: no cover - compiled
    """Per h: the largest, second and third largest loads (with the workers of the first two)."""
    G, H1 = load.shape
    for h in range(H1):
        a, ag, b, bg, c = NEG, -1, NEG, -1, NEG
        for g in range(G):
            v = load[g, h]
            if v > a:
                c = b
                b, bg = a, ag
                a, ag = v, g
            elif v > b:
                c = b
                b, bg = v, g
            elif v > c:
                c = v
        t1v[h], t1g[h], t2v[h], t2g[h], t3v[h] = a, ag, b, bg, c


@njit(cache=True, inline="always")
def _oth1(h, g, t1v, t1g, t2v):  # pragma: no cover - compiled
    """max over workers other than g of L̂(h)."""
    if t1g[h] != g:
        return t1v[h]
    return t2v[h]


@njit(cache=True, inline="always")
def _oth2(h, g1, g2, t1v, t1g, t2v, t2g, t3v):  # pragma: no cover - compiled
    """max over workers other than g1 and g2 of L̂(h)."""
    if t1g[h] != g1 and t1g[h] != g2:
        return t1v[h]
    if t2g[h] != g1 and t2g[h] != g2:
        return t2v[h]
    return t3v[h]


@njit(cache=True)
def _neighbours(sorted_s, order, taken, target, k, out):  # pragma: no cover - compiled
    """Up to k untaken window positions either side of ``target`` in prompt order; returns the count."""
    n = sorted_s.size
    lo, hi = 0, n
    while lo < hi:  # first position with s >= target
        mid = (lo + hi) // 2
        if sorted_s[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    cnt = 0
    got = 0
    p = lo - 1
    while p >= 0 and got < k:
        j = order[p]
        if not taken[j]:
            out[cnt] = j
            cnt += 1
            got += 1
        p -= 1
    got = 0
    p = lo
    while p < n and got < k:
        j = order[p]
        if not taken[j]:
            out[cnt] = j
            cnt += 1
            got += 1
        p += 1
    return cnt


@njit(cache=True)
def fast_assign(base, free, prompt, pred, k_cand, max_passes, budget):  # pragma: no cover - compiled
    """An assignment (window position -> worker or -1) for the BF-IO program; see the module docstring.

    Args:
        base: (G, H+1) int64 b_g(h).  free: (G,) f_g.  prompt: (n,) s_j.  pred: (n,) ô_j (ones for H = 0).
        k_cand: K, candidates either side of a target size.  max_passes: local-search passes.
        budget: the most ΔΦ evaluations the local search may spend.
    """
    G, H1 = base.shape
    n = prompt.size
    load = base.copy()
    q = free.copy()
    assign = np.full(n, -1, np.int64)
    F = 0
    for g in range(G):
        F += q[g]
    m = min(F, n)
    if m == 0:
        return assign
    length = np.empty(n, np.int64)
    area = np.empty(n, np.int64)
    for j in range(n):
        ln = min(pred[j], H1)
        length[j] = ln
        area[j] = ln * prompt[j] + ln * (ln - 1) // 2
    env = np.empty(H1, np.int64)
    for h in range(H1):
        e = NEG
        for g in range(G):
            if load[g, h] > e:
                e = load[g, h]
        env[h] = e
    order = np.argsort(prompt, kind="mergesort")
    sorted_s = prompt[order].astype(np.float64)
    taken = np.zeros(n, np.bool_)
    cand = np.empty(2 * k_cand + 2, np.int64)
    share = np.empty(H1, np.float64)

    if m < n:
        for _ in range(m):
            best = -1
            bgap = 0
            for g in range(G):
                if q[g] > 0:
                    gap = env[0] - load[g, 0]
                    if best < 0 or gap * q[best] > bgap * q[g]:
                        best, bgap = g, gap
            g = best
            qg = q[g]
            for h in range(H1):
                share[h] = (env[h] - load[g, h]) / qg
            nc = _neighbours(sorted_s, order, taken, share[0], k_cand, cand)
            bj = -1
            bscore = 0.0
            for t in range(nc):
                j = cand[t]
                over = 0.0
                for h in range(length[j]):
                    d = prompt[j] + h - share[h]
                    if d > 0:
                        over += d
                score = G * over - area[j]
                if bj < 0 or score < bscore or (score == bscore and j < bj):
                    bj, bscore = j, score
            assign[bj] = g
            taken[bj] = True
            q[g] -= 1
            for h in range(length[bj]):
                load[g, h] += prompt[bj] + h
                if load[g, h] > env[h]:
                    env[h] = load[g, h]
    else:
        by_area = np.argsort(-area, kind="mergesort")
        for t in range(n):
            j = by_area[t]
            bg = -1
            bd = 0
            for g in range(G):
                if q[g] <= 0:
                    continue
                d = 0
                for h in range(length[j]):
                    v = load[g, h] + prompt[j] + h
                    if v > env[h]:
                        d += G * (v - env[h])
                    d -= prompt[j] + h
                if bg < 0 or d < bd or (d == bd and load[g, 0] < load[bg, 0]):
                    bg, bd = g, d
            assign[j] = bg
            taken[j] = True
            q[bg] -= 1
            for h in range(length[j]):
                load[bg, h] += prompt[j] + h
                if load[bg, h] > env[h]:
                    env[h] = load[bg, h]

    # ---- local search on the exact ΔΦ
    t1v = np.empty(H1, np.int64)
    t1g = np.empty(H1, np.int64)
    t2v = np.empty(H1, np.int64)
    t2g = np.empty(H1, np.int64)
    t3v = np.empty(H1, np.int64)
    _top3(load, t1v, t1g, t2v, t2g, t3v)
    spare = F - m
    admitted = np.empty(m, np.int64)
    evals = 0
    for _ in range(max_passes):
        improved = False
        na = 0
        for j in range(n):
            if assign[j] >= 0:
                admitted[na] = j
                na += 1
        # (a) replace an admitted request by a waiting one
        if m < n:
            for a in range(na):
                j = admitted[a]
                g = assign[j]
                room = float(_oth1(0, g, t1v, t1g, t2v) - (load[g, 0] - prompt[j]))
                nc = _neighbours(sorted_s, order, taken, room, k_cand, cand)
                bj = -1
                bd = 0
                for t in range(nc):
                    j2 = cand[t]
                    hl = max(length[j], length[j2])
                    d = 0
                    for h in range(hl):
                        old = load[g, h]
                        new = old - _c(prompt, length, j, h) + _c(prompt, length, j2, h)
                        o = _oth1(h, g, t1v, t1g, t2v)
                        mx = o if o > new else new
                        d += G * (mx - t1v[h]) - (new - old)
                    evals += 1
                    if d < bd:
                        bj, bd = j2, d
                if bj >= 0:
                    for h in range(max(length[j], length[bj])):
                        load[g, h] += _c(prompt, length, bj, h) - _c(prompt, length, j, h)
                    assign[bj] = g
                    assign[j] = -1
                    taken[bj] = True
                    taken[j] = False
                    admitted[a] = bj
                    _top3(load, t1v, t1g, t2v, t2g, t3v)
                    improved = True
                if evals > budget:
                    break
        # (b) swap two admitted requests between workers; (c) move one to a spare slot
        for a in range(na):
            if evals > budget:
                break
            j = admitted[a]
            g1 = assign[j]
            crit = False
            for h in range(H1):
                if load[g1, h] == t1v[h]:
                    crit = True
                    break
            if not crit:
                continue
            bj = -1
            bd = 0
            for b in range(na):
                j2 = admitted[b]
                g2 = assign[j2]
                if g2 == g1 or (prompt[j2] == prompt[j] and length[j2] == length[j]):
                    continue
                hl = max(length[j], length[j2])
                d = 0
                for h in range(hl):
                    cj = _c(prompt, length, j, h)
                    cj2 = _c(prompt, length, j2, h)
                    n1 = load[g1, h] - cj + cj2
                    n2 = load[g2, h] - cj2 + cj
                    o = _oth2(h, g1, g2, t1v, t1g, t2v, t2g, t3v)
                    mx = o
                    if n1 > mx:
                        mx = n1
                    if n2 > mx:
                        mx = n2
                    d += G * (mx - t1v[h])
                evals += 1
                if d < bd:
                    bj, bd = j2, d
            bg = -1
            if spare > 0:
                for g2 in range(G):
                    if g2 == g1 or q[g2] <= 0:
                        continue
                    d = 0
                    for h in range(length[j]):
                        cj = _c(prompt, length, j, h)
                        n1 = load[g1, h] - cj
                        n2 = load[g2, h] + cj
                        o = _oth2(h, g1, g2, t1v, t1g, t2v, t2g, t3v)
                        mx = o
                        if n1 > mx:
                            mx = n1
                        if n2 > mx:
                            mx = n2
                        d += G * (mx - t1v[h])
                    evals += 1
                    if d < bd:
                        bg, bd = g2, d
            if bg >= 0:
                for h in range(length[j]):
                    cj = _c(prompt, length, j, h)
                    load[g1, h] -= cj
                    load[bg, h] += cj
                assign[j] = bg
                q[g1] += 1
                q[bg] -= 1
                _top3(load, t1v, t1g, t2v, t2g, t3v)
                improved = True
            elif bj >= 0:
                g2 = assign[bj]
                for h in range(max(length[j], length[bj])):
                    cj = _c(prompt, length, j, h)
                    cj2 = _c(prompt, length, bj, h)
                    load[g1, h] += cj2 - cj
                    load[g2, h] += cj - cj2
                assign[j] = g2
                assign[bj] = g1
                _top3(load, t1v, t1g, t2v, t2g, t3v)
                improved = True
        if not improved or evals > budget:
            break
    return assign
