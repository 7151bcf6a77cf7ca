"""BF-IO as a dispatch-on-arrival router: choose a request's rank at arrival from predicted future loads.

The central-pool BF-IO (:mod:`lbtheory.policies.bfio`) assigns the window to free slots at each epoch. A
serving engine that binds requests on arrival cannot wait for a slot, so this router applies the same
objective (MODEL.md, "BF-IO") to one request at a time, over the loads *including each rank's queue*.

Predicted load profile of rank g, h = 0..H steps ahead (router view of :mod:`lbtheory.policies.dispatch`,
taken at the snapshot):

    P_g(h) = Σ_{i running on g, ρ_i > h} (w_i + h)  +  Σ_{j queued on g} c_j(h),
    c_j(h) = (s_j + h) · [h < ô_j],          ρ_i = max(ô_i − a_i, 1),

i.e. a running request grows by one per step until its predicted finish (present now even if overdue),
and a queued request is counted as if it started now (it is bound to g and will run there; when it
actually starts depends on g's slots, which this ignores). Requests the router sends between snapshots
add their c_j to their rank's profile. For an arriving request j the rule is

    rank = argmin_g  Σ_{h=0..H} max( max_{g' ≠ g} P_{g'}(h),  P_g(h) + c_j(h) ),

which is BF-IO's imbalance Σ_h [G · max_g L̂_g − Σ_g L̂_g] for this one placement (the Σ_g term does not
depend on g); ties go to the smallest Σ_h (P_g(h) + c_j(h)) — the rank with the least predicted future
load — then the lowest index. With ``slot_aware=True`` (the default) BF-IO's capacity constraint (a worker
takes at most its free slots) becomes: the argmin runs over the ranks that can start the request at once,
n_g + q_g + d_g < B (running, queued and sent since the snapshot); when there is none, over the ranks with
the fewest requests bound to them (the shortest wait for a slot). ``slot_aware=False`` ranks every rank by
the token objective alone (queued requests count only through their tokens), which balances tokens better
when prompts dominate (long context) but can bind a request behind a full rank's queue. With H = 0 (the default) only the current loads count, P_g(0) = L_g + Q_g
(resident plus queued prompt tokens), and no prediction is read; H > 0 needs ô.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory.policies.base import EpochView, IntArray
from lbtheory.policies.dispatch import DispatchPolicy, check_bool, check_nonneg_int


class BFIORouter(DispatchPolicy):
    """Dispatch-mode BF-IO: the rank that minimises the predicted imbalance over the next H steps."""

    name: ClassVar[str] = "bfio_router"

    def __init__(
        self,
        horizon: int = 0,
        snapshot_interval_s: float = 0.0,
        count_own_dispatches: bool = True,
        slot_aware: bool = True,
    ) -> None:
        super().__init__(snapshot_interval_s, count_own_dispatches)
        self.horizon = check_nonneg_int("horizon (H)", horizon)
        self.slot_aware = check_bool("slot_aware", slot_aware)
        self.needs_predictions = self.horizon > 0
        self._h = np.arange(self.horizon + 1, dtype=np.int64)

    def _contribution(self, prompt: IntArray, pred: IntArray) -> IntArray:
        """c_j(h) = (s_j + h)·[h < ô_j] for each row j (ô < 0, no prediction: present at every h)."""
        h = self._h
        life = np.where(pred >= 0, pred, self.horizon + 1)
        out: IntArray = (prompt[:, None] + h) * (h < life[:, None])
        return out

    def on_refresh(self, view: EpochView) -> None:
        G, H1 = self.workers, self.horizon + 1
        prof = np.zeros((G, H1), np.int64)
        act = view.active_requests()
        if act.request.size:
            if act.predicted_remaining_steps is None:
                rho = np.full(act.request.size, H1, np.int64)
            else:
                rho = np.maximum(act.predicted_remaining_steps, 1)
            np.add.at(prof, act.worker, (act.workload_tokens[:, None] + self._h) * (self._h < rho[:, None]))
        for g in range(G):
            q = self.queued(g)
            if q.size:
                prof[g] += self._contribution(self.prompt_of(q), self.prediction_of(q)).sum(axis=0)
        self._profile = prof

    def on_dispatch(self, worker: int, request: int, prompt_tokens: int, predicted_output_tokens: int) -> None:
        c = self._contribution(np.array([prompt_tokens]), np.array([predicted_output_tokens]))
        self._profile[worker] += c[0]

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        G = self.workers
        if G == 1:
            return 0
        prof = self._profile
        c = self._contribution(np.array([prompt_tokens]), np.array([predicted_output_tokens]))[0]
        top = np.argmax(prof, axis=0)
        top1 = prof[top, self._h]
        masked = prof.copy()
        masked[top, self._h] = np.iinfo(np.int64).min
        top2 = masked.max(axis=0)
        other = np.where(np.arange(G)[:, None] == top[None, :], top2[None, :], top1[None, :])
        placed = prof + c[None, :]
        cost = np.maximum(other, placed).sum(axis=1)
        own = placed.sum(axis=1)
        if self.slot_aware:
            assert self.view is not None
            bound = self.view.requests
            eligible = bound < self.slots
            if not eligible.any():
                eligible = bound == bound.min()
        else:
            eligible = np.ones(G, bool)
        order = np.lexsort((np.arange(G), own, cost, ~eligible))
        return int(order[0])

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "horizon": self.horizon, "slot_aware": self.slot_aware}
