"""The fast BF-IO solver: envelope filling, then local search on the exact objective (compiled).

It solves the program of :mod:`lbtheory.policies.bfio_problem` approximately. Notation: b_g(h) the base
profile, c_j(h) = (s_j + h)·[h < ô_j] (nonzero for h < ℓ_j = min(ô_j, H+1)), C_j = Σ_h c_j(h),
E(h) = max_g L̂_g(k+h) the predicted envelope, Φ = Σ_h [G·E(h) − Σ_g L̂_g(k+h)]. The solver minimises
the weighted form Ψ = Σ_h w_h [κG·E(h) − Σ_g L̂_g(k+h)] (κ the envelope weight, w_h the step weights of
:func:`horizon_weights`; κ = 1 and w ≡ 1 give Φ), so every Φ below reads as that Ψ, every mass C_j as
Σ_h w_h c_j(h), and every ΔΦ as the weighted sum of its steps' changes.

1. **Filling** (m = min(Σ f, n) placements).
   - Slot-limited (m < n: the fill-all constraint fixes how many, the solver picks which): workers in
     order of gap per free slot, (E(0) − L̂_g(k))/f_g, largest first; each worker's slots are filled one
     by one with the request that minimises G·Σ_h max(0, c_j(h) − γ_g(h)/q_g) − C_j, where
     γ_g(h) = E(h) − L̂_g(k+h) is its gap to the envelope and q_g its slots still to fill (for q_g = 1
     this is the exact change of Φ). Candidates: the K untaken requests either side of s = γ_g(0)/q_g in
     prompt order, found in O(log n) amortised through skip forests over the sorted prompts.
   - Request-limited (m = n: every request is admitted): LPT: requests by C_j descending, each to the
     worker with a free slot that minimises the exact change of Φ (ties: the least loaded).
2. **Local search**, first improvement on the exact ΔΦ, until no move improves, ``max_passes`` passes
   are done or ``budget`` evaluations are spent: replace an admitted request by a waiting one (K either
   side of the size that exactly refills its worker), swap two admitted requests between workers, move an
   admitted request to a spare slot. Swaps and moves start from a *critical* worker (one at the envelope
   for some h): only they can lower E. The top three loads per h are kept up to date incrementally, so
   each ΔΦ costs O(ℓ), not O(G·H).
3. **Raised envelopes.** In the slot-limited case, 1–2 are repeated with the gaps measured to
   max(E(h), W) for each level W = ⌈(Σ_g L_g + S)/G⌉ above E(0), S the prompt mass of the m smallest or
   the m middle window requests in prompt order (raising the envelope pays when the admitted mass grows
   by more than G times the rise). The level of the m largest was tried too and is not: on 136 captured
   fleet epochs (G = 256 and 1,024, BurstGPT) it never won, so it cost a filling for nothing. The
   smallest level did not win there either, but it is the one that reaches the known optima of
   ``tests/unit/test_bfio.py`` (the middle level alone does not). With ``restarts`` = 1 also once with
   workers taken smallest gap first. The assignment of smallest Φ is kept. In a saturated steady state
   W < E(0), so this costs nothing there.

The assignment is always feasible: every placement takes one free slot and one untaken request, and the
moves keep the counts.
"""

from __future__ import annotations

import numpy as np

from lbtheory._jit import njit

NEG = -(1 << 62)
DISCOUNT_SCALE = 1024
DISCOUNT_FLOOR = 16
"""A discounted objective weighs step h by w_h = 16 + ⌊1024·γ^h⌋ (:func:`horizon_weights`): γ^h plus a
floor of 1/64, so the far future still breaks the near future's ties."""
_RADIX_BITS = 11
_RADIX = 1 << _RADIX_BITS


@njit(cache=True)
def stable_argsort(keys):  # pragma: no cover - compiled
    """The permutation that sorts the int64 ``keys`` ascending, equal keys in index order: the same as
    ``np.argsort(keys, kind="stable")``, by an LSD radix sort on 11-bit digits of keys − min(keys), so
    O(n·⌈log2(span + 1)/11⌉) instead of numba's mergesort (measured 62 vs about 10 µs at n = 1,024).
    Needs max(keys) − min(keys) < 2^63 (true for token counts, which the loaders cap at 2^53)."""
    n = keys.size
    order = np.arange(n)
    if n < 2:
        return order
    lo = keys[0]
    hi = keys[0]
    for i in range(1, n):
        if keys[i] < lo:
            lo = keys[i]
        elif keys[i] > hi:
            hi = keys[i]
    span = hi - lo
    tmp = np.empty(n, np.int64)
    cnt = np.empty(_RADIX + 1, np.int64)
    shift = 0
    while shift < 63 and (span >> shift) > 0:
        cnt[:] = 0
        for i in range(n):
            cnt[((keys[order[i]] - lo) >> shift & (_RADIX - 1)) + 1] += 1
        for d in range(_RADIX):
            cnt[d + 1] += cnt[d]
        for i in range(n):
            d = (keys[order[i]] - lo) >> shift & (_RADIX - 1)
            tmp[cnt[d]] = order[i]
            cnt[d] += 1
        order, tmp = tmp, order
        shift += _RADIX_BITS
    return order


@njit(cache=True, inline="always")
def _c(prompt, length, j, h):  # pragma: no cover - compiled
    """c_j(h)."""
    if h < length[j]:
        return prompt[j] + h
    return 0


@njit(cache=True, inline="always")
def _insert(tv, tg, h, v, g):  # pragma: no cover - compiled
    """Insert (v, g) into the descending top three of step h (the third entry drops out)."""
    if v > tv[h, 0]:
        tv[h, 2], tg[h, 2] = tv[h, 1], tg[h, 1]
        tv[h, 1], tg[h, 1] = tv[h, 0], tg[h, 0]
        tv[h, 0], tg[h, 0] = v, g
    elif v > tv[h, 1]:
        tv[h, 2], tg[h, 2] = tv[h, 1], tg[h, 1]
        tv[h, 1], tg[h, 1] = v, g
    elif v > tv[h, 2]:
        tv[h, 2], tg[h, 2] = v, g


@njit(cache=True)
def _rescan(load, h, tv, tg):  # pragma: no cover - compiled
    """Recompute the three largest loads at step h (values tv[h], workers tg[h], descending)."""
    G = load.shape[0]
    for r in range(3):
        tv[h, r] = NEG
        tg[h, r] = -1
    for g in range(G):
        v = load[g, h]
        if v > tv[h, 2]:
            _insert(tv, tg, h, v, g)


@njit(cache=True)
def _fix(load, g, h, tv, tg):  # pragma: no cover - compiled
    """Bring the top three of step h up to date after worker g's load there changed.

    Exact as long as every other stale worker is fixed afterwards: a worker in the top three whose load
    rose is re-inserted; one whose load fell forces a rescan (the fourth largest is not kept).
    """
    v = load[g, h]
    r = -1
    for q in range(3):
        if tg[h, q] == g:
            r = q
    if r < 0:
        if v > tv[h, 2]:
            _insert(tv, tg, h, v, g)
        return
    if v < tv[h, r]:
        _rescan(load, h, tv, tg)
        return
    for q in range(r, 2):
        tv[h, q], tg[h, q] = tv[h, q + 1], tg[h, q + 1]
    tv[h, 2], tg[h, 2] = NEG, -1
    _insert(tv, tg, h, v, g)


@njit(cache=True, inline="always")
def _oth1(h, g, tv, tg):  # pragma: no cover - compiled
    """max over workers other than g of L̂(h)."""
    if tg[h, 0] != g:
        return tv[h, 0]
    return tv[h, 1]


@njit(cache=True, inline="always")
def _oth2(h, g1, g2, tv, tg):  # pragma: no cover - compiled
    """max over workers other than g1 and g2 of L̂(h)."""
    if tg[h, 0] != g1 and tg[h, 0] != g2:
        return tv[h, 0]
    if tg[h, 1] != g1 and tg[h, 1] != g2:
        return tv[h, 1]
    return tv[h, 2]


@njit(cache=True, inline="always")
def _pair_max(h, g1, g2, n1, n2, tv, tg):  # pragma: no cover - compiled
    """The envelope at step h after workers g1 and g2 change to loads n1 and n2."""
    mx = _oth2(h, g1, g2, tv, tg)
    if n1 > mx:
        mx = n1
    if n2 > mx:
        mx = n2
    return mx


@njit(cache=True, inline="always")
def _find(nxt, p):  # pragma: no cover - compiled
    """Root of p in a skip forest (path halving): the nearest untaken slot in nxt's direction."""
    while nxt[p] != p:
        nxt[p] = nxt[nxt[p]]
        p = nxt[p]
    return p


@njit(cache=True)
def _reset_skips(taken, order, right, left):  # pragma: no cover - compiled
    """Skip forests over prompt order: right[p] (p in 0..n, n = none) and left[p+1] (0 = none)."""
    n = order.size
    for p in range(n + 1):
        right[p] = p
        left[p] = p
    for p in range(n):
        if taken[order[p]]:
            right[p] = p + 1
            left[p + 1] = p


@njit(cache=True, inline="always")
def _skip(p, right, left):  # pragma: no cover - compiled
    """Mark prompt-order position p as taken."""
    right[p] = p + 1
    left[p + 1] = p


@njit(cache=True)
def _neighbours(sorted_s, order, right, left, target, k, out):  # pragma: no cover - compiled
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
    p = _find(left, lo)  # index p stands for position p - 1
    got = 0
    while p > 0 and got < k:
        out[cnt] = order[p - 1]
        cnt += 1
        got += 1
        p = _find(left, p - 1)
    p = _find(right, lo)
    got = 0
    while p < n and got < k:
        out[cnt] = order[p]
        cnt += 1
        got += 1
        p = _find(right, p + 1)
    return cnt


def horizon_weights(horizon: int, discount: float) -> np.ndarray:
    """The step weights w_h, h = 0..H, of the objective Ψ (int64, so Ψ stays exact).

    w_h = 16 + ⌊1024·γ^h⌋ for a discount γ < 1: step h counts γ^h + 1/64 of a unit, so the next tens of
    steps dominate and the rest of the horizon only breaks ties (on the battery, γ^h alone lost where a
    long lookahead pays, at B = 16, and cutting the horizon where γ^h vanishes lost more); w ≡ 1 for
    γ = 1 (the paper's sum); [1] for H = 0, whatever γ (the H = 0 objective is Imb(k) itself).
    """
    if horizon == 0:
        return np.ones(1, np.int64)
    if discount >= 1.0:
        return np.ones(horizon + 1, np.int64)
    return np.array([DISCOUNT_FLOOR + int(DISCOUNT_SCALE * discount**h) for h in range(horizon + 1)], np.int64)


@njit(cache=True)
def _working_copies(base, free, n):  # pragma: no cover - compiled
    """(a copy of the profile b_g(h), a copy of the free slots q_g, m = min(Σ_g q_g, n) requests to place)."""
    F = 0
    for g in range(free.size):
        F += free[g]
    return base.copy(), free.copy(), min(F, n)


@njit(cache=True)
def _weight_sums(wh):  # pragma: no cover - compiled
    """Prefix sums W(ℓ) = Σ_{h<ℓ} w_h and V(ℓ) = Σ_{h<ℓ} w_h·h, ℓ = 0..H+1, so that a request's weighted
    mass Σ_{h<ℓ} w_h (s + h) = s·W(ℓ) + V(ℓ) costs O(1) (for w ≡ 1: ℓ·s + ℓ(ℓ − 1)/2)."""
    sw = np.zeros(wh.size + 1, np.int64)
    shw = np.zeros(wh.size + 1, np.int64)
    for h in range(wh.size):
        sw[h + 1] = sw[h] + wh[h]
        shw[h + 1] = shw[h] + wh[h] * h
    return sw, shw


@njit(cache=True)
def _prepare(prompt, pred, wh):  # pragma: no cover - compiled
    """What every filling of one epoch shares (computed once per epoch, not per level): each request's
    length ℓ_j = min(ô_j, H+1) and weighted mass C_j = Σ_h w_h c_j(h) over the horizon (H + 1 = the
    number of weights), the prompt order, the sorted prompts and each request's rank in that order."""
    n = prompt.size
    sw, shw = _weight_sums(wh)
    length = np.empty(n, np.int64)
    area = np.empty(n, np.int64)
    for j in range(n):
        ln = min(pred[j], wh.size)
        length[j] = ln
        area[j] = prompt[j] * sw[ln] + shw[ln]
    order = stable_argsort(prompt)
    sorted_s = prompt[order].astype(np.float64)
    rank = np.empty(n, np.int64)  # position of each request in prompt order
    for p in range(n):
        rank[order[p]] = p
    return length, area, order, sorted_s, rank


@njit(cache=True)
def _solve_once(base, free, prompt, pred, lift, reverse, k_cand, max_passes, budget, wg, wh, deepest=False,
                bonus=None):  # pragma: no cover
    """One filling (gaps measured to max(E(h), lift); workers by gap per slot, largest first, or smallest
    first when ``reverse``; by the whole gap instead of the gap per slot when ``deepest``) and its local
    search; returns the assignment. ``bonus`` (int64 per request, or None): an extra credit β_j for
    admitting request j (the objective becomes Ψ − Σ_j x_j β_j)."""
    n = prompt.size
    bon = np.zeros(n, np.int64) if bonus is None else bonus
    length, area, order, sorted_s, rank = _prepare(prompt, pred, wh)
    return _solve_prepared(base, free, prompt, pred, lift, reverse, k_cand, max_passes, budget, wg, wh,
                           deepest, bon, length, area, order, sorted_s, rank)


@njit(cache=True)
def _solve_prepared(base, free, prompt, pred, lift, reverse, k_cand, max_passes, budget, wg, wh, deepest, bon,
                    length, area, order, sorted_s, rank):  # pragma: no cover - compiled
    """:func:`_solve_once` with the epoch's shared arrays (:func:`_prepare`) given."""
    G, H1 = base.shape
    n = prompt.size
    load, q, m = _working_copies(base, free, n)
    assign = np.full(n, -1, np.int64)
    if m == 0:
        return assign
    env = np.empty(H1, np.int64)
    for h in range(H1):
        e = NEG
        for g in range(G):
            if load[g, h] > e:
                e = load[g, h]
        env[h] = e
    taken = np.zeros(n, np.bool_)
    right = np.empty(n + 1, np.int64)
    left = np.empty(n + 1, np.int64)
    _reset_skips(taken, order, right, left)
    cand = np.empty(2 * k_cand + 2, np.int64)
    share = np.empty(H1, np.float64)

    if m < n:
        # workers by gap per free slot, largest first (ties: lower index); each is filled completely
        key = np.empty(G, np.float64)
        for g in range(G):
            if q[g] > 0:
                key[g] = (max(env[0], lift) - load[g, 0]) / (1 if deepest else q[g])
                if not reverse:
                    key[g] = -key[g]
            else:
                key[g] = np.inf
        worder = np.argsort(key, kind="mergesort")
        for w in range(G):
            g = worder[w]
            while q[g] > 0:
                qg = q[g]
                nc = _neighbours(sorted_s, order, right, left, (max(env[0], lift) - load[g, 0]) / qg, k_cand,
                                 cand)
                have = 0  # share[h] = γ_g(h)/q_g, computed as far as a candidate's scoring reaches
                bj = -1
                bscore = 0.0
                for t in range(nc):
                    j = cand[t]
                    over = 0.0
                    score = wg * over - area[j] - bon[j]
                    for h in range(length[j]):
                        if h == have:
                            share[h] = (max(env[h], lift) - load[g, h]) / qg
                            have += 1
                        d = prompt[j] + h - share[h]
                        if d > 0:
                            over += d * wh[h]
                            score = wg * over - area[j] - bon[j]
                            # the score only grows with h: stop once this candidate cannot win
                            if bj >= 0 and (score > bscore or (score == bscore and j > bj)):
                                break
                    if bj < 0 or score < bscore or (score == bscore and j < bj):
                        bj, bscore = j, score
                assign[bj] = g
                taken[bj] = True
                _skip(rank[bj], right, left)
                q[g] -= 1
                for h in range(length[bj]):
                    load[g, h] += prompt[bj] + h
                    if load[g, h] > env[h]:
                        env[h] = load[g, h]
    else:
        # The exact ΔΦ of placing j on g is w·Σ_h max(0, L̂_g(k+h) + c_j(h) − E(h)) − C_j: the best worker
        # minimises the overflow sum (ties: the least loaded at h = 0, then the lowest index). Workers with
        # free slots are scanned in that tie order, (L̂_g(k), g) ascending, so the scan stops at the first
        # worker with no overflow, or once the h = 0 overflow alone (non-decreasing along the order) reaches
        # the best sum: no later worker can do strictly better.
        by_area = stable_argsort(-area)
        open_w = stable_argsort(load[:, 0].copy())
        n_open = 0
        for r in range(G):
            if q[open_w[r]] > 0:
                open_w[n_open] = open_w[r]
                n_open += 1
        for t in range(n):
            j = by_area[t]
            bg = -1
            bo = 0
            br = -1
            for r in range(n_open):
                g = open_w[r]
                o0 = load[g, 0] + prompt[j] - env[0]
                if bg >= 0 and wg * wh[0] * max(o0, 0) >= bo:
                    break
                ov = 0
                for h in range(length[j]):
                    v = load[g, h] + prompt[j] + h
                    if v > env[h]:
                        ov += wg * wh[h] * (v - env[h])
                if bg < 0 or ov < bo:
                    bg, bo, br = g, ov, r
                if bo == 0:
                    break
            assign[j] = bg
            taken[j] = True
            q[bg] -= 1
            for h in range(length[j]):
                load[bg, h] += prompt[j] + h
                if load[bg, h] > env[h]:
                    env[h] = load[bg, h]
            if q[bg] == 0:  # full: leaves the scan order
                for r in range(br, n_open - 1):
                    open_w[r] = open_w[r + 1]
                n_open -= 1
            else:  # its load rose: move it right to its place in (L̂_g(k), g) order
                r = br
                while r + 1 < n_open and (load[open_w[r + 1], 0] < load[bg, 0] or (
                        load[open_w[r + 1], 0] == load[bg, 0] and open_w[r + 1] < bg)):
                    open_w[r] = open_w[r + 1]
                    r += 1
                open_w[r] = bg

    return _polish_prepared(base, free, prompt, pred, assign, k_cand, max_passes, budget, wg, wh, bon, length,
                            order, sorted_s)


@njit(cache=True)
def _polish(base, free, prompt, pred, start, k_cand, max_passes, budget, wg, wh, bonus=None):  # pragma: no cover
    """Local search on the exact ΔΦ (step 2 of the module docstring) from the feasible ``start``.

    Returns a new assignment whose Φ is never above ``start``'s: every accepted move lowers Φ.
    """
    bon = np.zeros(prompt.size, np.int64) if bonus is None else bonus
    length, _, order, sorted_s, _ = _prepare(prompt, pred, wh)
    return _polish_prepared(base, free, prompt, pred, start, k_cand, max_passes, budget, wg, wh, bon, length,
                            order, sorted_s)


@njit(cache=True)
def _polish_prepared(base, free, prompt, pred, start, k_cand, max_passes, budget, wg, wh, bon, length, order,
                     sorted_s):  # pragma: no cover - compiled
    """:func:`_polish` with the epoch's shared arrays (:func:`_prepare`) given."""
    G, H1 = base.shape
    n = prompt.size
    assign = start.copy()
    load, q, m = _working_copies(base, free, n)
    if m == 0:
        return assign
    taken = np.zeros(n, np.bool_)
    for j in range(n):
        g = assign[j]
        if g >= 0:
            taken[j] = True
            q[g] -= 1
            for h in range(length[j]):
                load[g, h] += prompt[j] + h
    right = np.empty(n + 1, np.int64)
    left = np.empty(n + 1, np.int64)
    _reset_skips(taken, order, right, left)
    cand = np.empty(2 * k_cand + 2, np.int64)

    tv = np.empty((H1, 3), np.int64)
    tg = np.empty((H1, 3), np.int64)
    for h in range(H1):
        _rescan(load, h, tv, tg)
    spare = free.sum() - m
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
                room = float(_oth1(0, g, tv, tg) - (load[g, 0] - prompt[j]))
                nc = _neighbours(sorted_s, order, right, left, room, k_cand, cand)
                bj = -1
                bd = 0
                for t in range(nc):
                    j2 = cand[t]
                    hl = max(length[j], length[j2])
                    d = bon[j] - bon[j2]
                    for h in range(hl):
                        old = load[g, h]
                        new = old - _c(prompt, length, j, h) + _c(prompt, length, j2, h)
                        o = _oth1(h, g, tv, tg)
                        mx = o if o > new else new
                        d += wh[h] * (wg * (mx - tv[h, 0]) - (new - old))
                    evals += 1
                    if d < bd:
                        bj, bd = j2, d
                if bj >= 0:
                    for h in range(max(length[j], length[bj])):
                        load[g, h] += _c(prompt, length, bj, h) - _c(prompt, length, j, h)
                        _fix(load, g, h, tv, tg)
                    assign[bj] = g
                    assign[j] = -1
                    taken[bj] = True
                    taken[j] = False
                    _reset_skips(taken, order, right, left)
                    admitted[a] = bj
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
                if load[g1, h] == tv[h, 0]:
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
                    d += wh[h] * wg * (_pair_max(h, g1, g2, n1, n2, tv, tg) - tv[h, 0])
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
                        d += wh[h] * wg * (_pair_max(h, g1, g2, n1, n2, tv, tg) - tv[h, 0])
                    evals += 1
                    if d < bd:
                        bg, bd = g2, d
            if bg >= 0:
                for h in range(length[j]):
                    cj = _c(prompt, length, j, h)
                    load[g1, h] -= cj
                    load[bg, h] += cj
                    _fix(load, g1, h, tv, tg)
                    _fix(load, bg, h, tv, tg)
                assign[j] = bg
                q[g1] += 1
                q[bg] -= 1
                improved = True
            elif bj >= 0:
                g2 = assign[bj]
                for h in range(max(length[j], length[bj])):
                    cj = _c(prompt, length, j, h)
                    cj2 = _c(prompt, length, bj, h)
                    load[g1, h] += cj2 - cj
                    load[g2, h] += cj - cj2
                    _fix(load, g1, h, tv, tg)
                    _fix(load, g2, h, tv, tg)
                assign[j] = g2
                assign[bj] = g1
                improved = True
        if not improved or evals > budget:
            break
    return assign


@njit(cache=True)
def phi(base, prompt, pred, assign):  # pragma: no cover - compiled
    """Φ = Σ_h [G·max_g L̂_g(k+h) − Σ_g L̂_g(k+h)] of an assignment (exact, int64)."""
    return phi_weighted(base, prompt, pred, assign, base.shape[0], np.ones(base.shape[1], np.int64))


@njit(cache=True)
def phi_weighted(base, prompt, pred, assign, wg, wh):  # pragma: no cover - compiled
    """Ψ = Σ_h w_h [w·max_g L̂_g(k+h) − Σ_g L̂_g(k+h)] (exact, int64): the envelope weighted by w = κ·G,
    κ >= 1 (κ = 1: the paper's Φ; larger κ: the predicted step times Σ_h max_g L̂_g first, admitted mass
    second), step h weighted by w_h (:func:`horizon_weights`; ``base`` has one column per weight)."""
    G, H1 = base.shape
    load = base.copy()
    for j in range(prompt.size):
        g = assign[j]
        if g >= 0:
            for h in range(min(pred[j], H1)):
                load[g, h] += prompt[j] + h
    tot = 0
    for h in range(H1):
        mx = load[0, h]
        sm = 0
        for g in range(G):
            sm += load[g, h]
            if load[g, h] > mx:
                mx = load[g, h]
        tot += wh[h] * (wg * mx - sm)
    return tot


@njit(cache=True)
def _psi(base, prompt, pred, assign, wg, wh, bon):  # pragma: no cover - compiled
    """Ψ − Σ_j x_j β_j (:func:`phi_weighted` less the admission credits)."""
    v = phi_weighted(base, prompt, pred, assign, wg, wh)
    for j in range(assign.size):
        if assign[j] >= 0:
            v -= bon[j]
    return v


@njit(cache=True)
def fast_assign(base, free, prompt, pred, k_cand, max_passes, budget, restarts, wg, wh, deepest=False,
                bonus=None):  # pragma: no cover
    """An assignment (window position -> worker or -1) for the BF-IO program; see the module docstring.

    Runs the filling and local search once against the predicted envelope E(h) and, in the slot-limited
    case, again against each raised level W = ⌈(Σ_g L_g + S)/G⌉ that lies above E(0), where S is the
    prompt mass of the m smallest or the m middle window requests (module docstring, step 3); keeps the
    smallest Φ.

    Args:
        base: (G, H+1) int64 b_g(h).  free: (G,) f_g.  prompt: (n,) s_j.  pred: (n,) ô_j (ones for H = 0).
        k_cand: K, candidates either side of a target size.  max_passes: local-search passes.
        budget: the most ΔΦ evaluations one local search may spend.
        restarts: 1 also runs the filling with workers smallest gap first (slot-limited case only).
    """
    G = base.shape[0]
    n = prompt.size
    bon = np.zeros(n, np.int64) if bonus is None else bonus
    prep = _prepare(prompt, pred, wh)
    best = _solve_prepared(base, free, prompt, pred, NEG, False, k_cand, max_passes, budget, wg, wh, deepest,
                           bon, *prep)
    F = 0
    for g in range(G):
        F += free[g]
    m = min(F, n)
    if m == 0 or m >= n:
        return best
    best_phi = -1
    if restarts > 0:
        best_phi = _psi(base, prompt, pred, best, wg, wh, bon)
        cand = _solve_prepared(base, free, prompt, pred, NEG, True, k_cand, max_passes, budget, wg, wh, deepest,
                               bon, *prep)
        c = _psi(base, prompt, pred, cand, wg, wh, bon)
        if c < best_phi:
            best, best_phi = cand, c
    e0 = base[0, 0]
    tot = 0
    for g in range(G):
        tot += base[g, 0]
        if base[g, 0] > e0:
            e0 = base[g, 0]
    order = prep[2]
    last = NEG
    for start in (0, (n - m) // 2):  # S: the mass of the m smallest, then the m middle window requests
        s = 0
        for p in range(start, start + m):
            s += prompt[order[p]]
        w = (tot + s + G - 1) // G
        if w <= e0 or w == last:
            continue
        last = w
        if best_phi < 0:
            best_phi = _psi(base, prompt, pred, best, wg, wh, bon)
        cand = _solve_prepared(base, free, prompt, pred, w, False, k_cand, max_passes, budget, wg, wh, deepest,
                               bon, *prep)
        c = _psi(base, prompt, pred, cand, wg, wh, bon)
        if c < best_phi:
            best, best_phi = cand, c
    return best


@njit(cache=True)
def age_credits(ids, prompt, pred, wh, lam):  # pragma: no cover - compiled
    """β_j = ⌊λ·o_j·C_j⌋ for the window (ids in arrival order): o_j = (i_max − i_j) − (n − 1 − j) later
    arrivals admitted before j, C_j = Σ_{h<ℓ_j} w_h (s_j + h) its mass in the objective's weights (for
    w ≡ 1, C_j = ℓ_j·s_j + ℓ_j(ℓ_j − 1)/2), ℓ_j = min(ô_j, H + 1), H + 1 the number of weights."""
    n = ids.size
    out = np.zeros(n, np.int64)
    if n == 0:
        return out
    last = ids[n - 1]
    sw, shw = _weight_sums(wh)
    for j in range(n):
        o = (last - ids[j]) - (n - 1 - j)
        ln = min(pred[j], wh.size)
        out[j] = np.int64(np.floor(lam * o * (prompt[j] * sw[ln] + shw[ln])))
    return out


# ------------------------------------------------------------------------------------- the safeguard


@njit(cache=True)
def fcfs_assign(free, n):  # pragma: no cover - compiled
    """FCFS's choice: window request j (in order) to the lowest-index worker with a free slot."""
    a = np.full(n, -1, np.int64)
    j = 0
    for g in range(free.size):
        for _ in range(free[g]):
            if j >= n:
                return a
            a[j] = g
            j += 1
    return a


@njit(cache=True)
def sorted_greedy_assign(base, free, prompt, chosen):  # pragma: no cover - compiled
    """The sorted-greedy partition of the ``bfio_upper`` proof, over the window positions ``chosen``.

    The chosen prompts are taken in decreasing order (ties: window order) in rounds; each round gives one
    request to every worker that still has a free slot, the largest request of the round to the worker
    lightest at the start of the round (L_g = b_g(0), ties: lower index), the next to the next lightest,
    and so on. In the proof's setting (empty workers, f_g = B, |chosen| = G·B) the rounds are the runs of G
    consecutive prompts and max_g L_g − min_g L_g stays ≤ Δ_s, so Imb ≤ (G − 1)·Δ_s.
    """
    n = prompt.size
    a = np.full(n, -1, np.int64)
    m = chosen.size
    if m == 0:
        return a
    order = chosen[stable_argsort(-prompt[chosen])]
    cap = free.copy()
    load = base[:, 0].copy()
    pos = 0
    while pos < m:
        open_ = np.flatnonzero(cap > 0)
        if open_.size == 0:
            break
        lightest = open_[stable_argsort(load[open_])]
        for g in lightest:
            if pos >= m:
                break
            j = order[pos]
            a[j] = g
            load[g] += prompt[j]
            cap[g] -= 1
            pos += 1
    return a


@njit(cache=True)
def guard(base, free, prompt, pred, primary, k_cand, max_passes, budget, wg, wg_guard, wh, every_epoch,
          bonus=None):  # pragma: no cover - compiled
    """``primary``, or a certified construction where that one is better on the guard's measure.

    The measure is Ψ with envelope weight ``wg_guard`` (:func:`phi_weighted`). Candidates: (i) ``primary``,
    (ii) the sorted-greedy partition (:func:`sorted_greedy_assign`) of FCFS's requests (the first
    m = min(Σ_g f_g, n) of the window) and (iii) FCFS's own choice (:func:`fcfs_assign`); the smallest
    measure wins (ties keep the earlier). A certificate that wins is improved by the local search under the
    solver's own objective (weight ``wg``, :func:`_polish`), and the polished one is kept only if it is
    still no worse on the guard's measure. With H = 0 and ``wg_guard`` = G the measure is Imb(k) after
    admission, so whenever the ``bfio_upper`` proof applies (fixed outputs, R ≥ G·B, a refill of every slot)
    the returned Imb(k) is at most (ii)'s, hence ≤ (G − 1)·Δ_s, whatever ``primary`` was and whatever
    objective the solver minimised.

    Applied at every epoch when ``every_epoch``, else only at *refill* epochs (no worker holds a request:
    L_g = 0 for all g), the only epochs the proof speaks of; with fixed outputs and R ≥ G·B every admission
    epoch is one (all slots start and end together), so the guarantee is the same.
    """
    best = primary
    if not every_epoch:
        for g in range(free.size):
            if base[g, 0] != 0:
                return best
    best_val = phi_weighted(base, prompt, pred, best, wg_guard, wh)
    n = prompt.size
    F = 0
    for g in range(free.size):
        F += free[g]
    m = min(F, n)
    fc = fcfs_assign(free, n)
    sg = sorted_greedy_assign(base, free, prompt, np.arange(m))
    for cand in (sg, fc):
        c = phi_weighted(base, prompt, pred, cand, wg_guard, wh)
        if c < best_val:
            best, best_val = cand, c
            polished = _polish(base, free, prompt, pred, cand, k_cand, max_passes, budget, wg, wh, bonus)
            v = phi_weighted(base, prompt, pred, polished, wg_guard, wh)
            if v <= c:
                best, best_val = polished, v
    return best


@njit(cache=True)
def safe_assign(base, free, prompt, pred, k_cand, max_passes, budget, restarts, wg, wg_guard, wh, every_epoch,
                deepest=False, bonus=None):  # pragma: no cover - compiled
    """:func:`fast_assign`, then :func:`guard`: never worse than the two certified constructions."""
    best = fast_assign(base, free, prompt, pred, k_cand, max_passes, budget, restarts, wg, wh, deepest, bonus)
    return guard(base, free, prompt, pred, best, k_cand, max_passes, budget, wg, wg_guard, wh, every_epoch, bonus)
