"""Round robin with a persistent cursor (MODEL.md, our choice, as in production engines).

Rule: each window request in order goes to the first worker at or after the cursor (cyclically) that has a
free slot; the cursor then moves to the worker after it and keeps its place across steps.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory._jit import njit
from lbtheory.policies.base import Kernel, KernelPolicy


@njit(cache=True)
def round_robin_kernel(loads, counts, slots, win_prompt, win_pred, n_win, pstate, rng, out_pos, out_worker):
    """pstate[0] is the cursor c; request j goes to the first g in c, c+1, ... (mod G) with a free slot."""
    G = counts.size
    free = np.empty(G, np.int64)
    total_free = 0
    for g in range(G):
        free[g] = slots - counts[g]
        total_free += free[g]
    cursor = pstate[0]
    n = 0
    for j in range(n_win):
        if total_free == 0:
            break
        while free[cursor] == 0:
            cursor = (cursor + 1) % G
        out_pos[n] = j
        out_worker[n] = cursor
        n += 1
        free[cursor] -= 1
        total_free -= 1
        cursor = (cursor + 1) % G
    pstate[0] = cursor
    return n


class RoundRobin(KernelPolicy):
    """Round robin over workers with free slots, cursor kept across steps."""

    name: ClassVar[str] = "round_robin"
    kernel: ClassVar[Kernel] = round_robin_kernel
