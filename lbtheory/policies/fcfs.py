"""FCFS: first come, first served, blind to load.

Rule (MODEL.md): take window requests in order; fill worker 1's free slots first, then worker 2's, and so on.
"""

from __future__ import annotations

from typing import ClassVar

from lbtheory._jit import njit
from lbtheory.policies.base import Kernel, KernelPolicy


@njit(cache=True)
def fcfs_kernel(loads, counts, slots, win_prompt, win_pred, n_win, pstate, rng, out_pos, out_worker):
    """Request j of the window goes to the lowest-index worker with a free slot."""
    n = 0
    g = 0
    G = counts.size
    while n < n_win and g < G:
        free = slots - counts[g]
        while free > 0 and n < n_win:
            out_pos[n] = n
            out_worker[n] = g
            n += 1
            free -= 1
        g += 1
    return n


class FCFS(KernelPolicy):
    """First come, first served: window order into workers in index order."""

    name: ClassVar[str] = "fcfs"
    kernel: ClassVar[Kernel] = fcfs_kernel
