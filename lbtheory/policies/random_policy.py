"""Random: each window request in order goes to a worker drawn uniformly among those with a free slot."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory._jit import njit
from lbtheory.policies.base import Kernel, KernelPolicy


@njit(cache=True)
def random_kernel(loads, counts, slots, win_prompt, win_pred, n_win, pstate, rng, out_pos, out_worker):
    """Request j goes to worker g with probability 1/|{g : n_g < B}| (free slots counted as they fill)."""
    G = counts.size
    free = np.empty(G, np.int64)
    open_workers = np.empty(G, np.int64)
    n_open = 0
    for g in range(G):
        free[g] = slots - counts[g]
        if free[g] > 0:
            open_workers[n_open] = g
            n_open += 1
    n = 0
    for j in range(n_win):
        if n_open == 0:
            break
        k = rng.integers(0, n_open)
        g = open_workers[k]
        out_pos[n] = j
        out_worker[n] = g
        n += 1
        free[g] -= 1
        if free[g] == 0:
            n_open -= 1
            open_workers[k] = open_workers[n_open]
    return n


class RandomPolicy(KernelPolicy):
    """Uniformly random worker among those with a free slot (uses the run's generator)."""

    name: ClassVar[str] = "random"
    kernel: ClassVar[Kernel] = random_kernel
