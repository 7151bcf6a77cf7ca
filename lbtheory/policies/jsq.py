"""JSQ by tokens: join the shortest queue, measured in KV tokens.

Rule (MODEL.md): for each window request in order, send it to the worker that has a free slot and the least
current load L_g (ties: lowest index); L_g grows by s_i before the next request is placed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory._jit import njit
from lbtheory.policies.base import Kernel, KernelPolicy


@njit(cache=True)
def jsq_tokens_kernel(loads, counts, slots, win_prompt, win_pred, n_win, pstate, rng, out_pos, out_worker):
    """argmin_g {L_g : n_g < B}, updated after every placement."""
    G = loads.size
    load = loads.copy()
    free = np.empty(G, np.int64)
    for g in range(G):
        free[g] = slots - counts[g]
    n = 0
    for j in range(n_win):
        best = -1
        for g in range(G):
            if free[g] > 0 and (best < 0 or load[g] < load[best]):
                best = g
        if best < 0:
            break
        out_pos[n] = j
        out_worker[n] = best
        n += 1
        load[best] += win_prompt[j]
        free[best] -= 1
    return n


class JSQTokens(KernelPolicy):
    """Join the shortest queue by tokens (greedy, instantaneous, blind to the +1 drift)."""

    name: ClassVar[str] = "jsq_tokens"
    kernel: ClassVar[Kernel] = jsq_tokens_kernel
