"""TensorRT-LLM's attention-DP request balancing (PyTorch backend, ``enable_attention_dp``).

Source: NVIDIA/TensorRT-LLM, ``tensorrt_llm/_torch/pyexecutor/executor_request_queue.py`` —
``ExecutorRequestQueue._fetch_new_requests_attention_dp`` (an all-gather of each rank's active request count
and active prompt tokens, the sum of ``py_orig_prompt_len`` over its active requests),
``_fetch_and_process_requests`` (takes at most ``G · max_num_active_requests − Σ active`` requests from the
head of the global waiting queue), ``_schedule_attention_dp_requests`` (the per-rank target
``expected = max(⌈(Σ_g a_g + n_new) / G⌉, max_g a_g)``) and ``_balance_requests_across_ranks`` (a heap
keyed by (active tokens, active requests, rank) over the ranks below the target; new requests sorted by
prompt length, longest first; each goes to the heap's minimum, whose tokens grow by its prompt and count
by one; a rank leaves the heap when it reaches the target). Requests with an explicit
``attention_dp_rank`` are not modelled.

Here (router view of :mod:`lbtheory.policies.dispatch`): arrivals join a central FIFO; at each step the
router fetches m = min(#central, Σ_g (cap − a_g)⁺) requests from its head, with a_g = n_g + q_g the
requests running on or queued at g *now* and cap = ``max_active_per_rank`` (default B, TensorRT-LLM's
``max_num_active_requests``), and balances them by the heap rule above with token key T_g = Σ s_i over g's
running and queued requests at the snapshot plus the prompts it sent since (prompt tokens only: generated
tokens are not counted, as in the source). So a request is bound to a rank only when the cluster has
room for it, and the router counts what it sends within the batch. The counts come from the all-gather
that TensorRT-LLM runs at every iteration, so they are always fresh here; ``snapshot_interval_s`` ages
only the token key. (Stale counts could also leave every rank idle while requests wait centrally.)
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import ClassVar

import numpy as np

from lbtheory.policies.base import EpochView, IntArray
from lbtheory.policies.dispatch import DispatchPolicy, check_positive_int


class TRTLLMAttentionDP(DispatchPolicy):
    """TensorRT-LLM attention-DP balancing: longest prompt first to the rank with least active prompt tokens."""

    name: ClassVar[str] = "trtllm"

    def __init__(
        self,
        snapshot_interval_s: float = 0.0,
        count_own_dispatches: bool = True,
        max_active_per_rank: int | None = None,
    ) -> None:
        super().__init__(snapshot_interval_s, count_own_dispatches)
        self.max_active_per_rank = (
            None if max_active_per_rank is None
            else check_positive_int("max_active_per_rank", max_active_per_rank)
        )

    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        super().start(workers, slots, rng)
        self._central: deque[int] = deque()
        self.cap = slots if self.max_active_per_rank is None else min(slots, self.max_active_per_rank)

    def on_refresh(self, view: EpochView) -> None:
        act = view.active_requests()
        G = self.workers
        tokens = np.bincount(act.worker, weights=self.prompt_of(act.request), minlength=G)
        assert self.view is not None
        self._tokens = np.rint(tokens).astype(np.int64) + self.view.waiting_tokens

    def on_dispatch(self, worker: int, request: int, prompt_tokens: int, predicted_output_tokens: int) -> None:
        self._tokens[worker] += prompt_tokens

    def dispatch(self, view: EpochView, new_ids: IntArray) -> None:
        self._central.extend(new_ids.tolist())
        if not self._central:
            return
        G = self.workers
        active = view.active_counts + self.queue_lengths()
        room = int(np.maximum(self.cap - active, 0).sum())
        m = min(len(self._central), room)
        if m == 0:
            return
        batch = [self._central.popleft() for _ in range(m)]
        expected = max(-(-(int(active.sum()) + m) // G), int(active.max()))
        tokens = self._tokens.copy()
        heap = [(int(tokens[g]), int(active[g]), g) for g in range(G) if active[g] < expected]
        heapq.heapify(heap)
        prompts = self.prompt_of(np.array(batch, np.int64))
        order = np.argsort(-prompts, kind="stable")  # longest prompt first; ties keep arrival order
        for j in order.tolist():
            tok, cnt, g = heapq.heappop(heap)
            s = int(prompts[j])
            self.enqueue(batch[j], g)
            if cnt + 1 < expected:
                heapq.heappush(heap, (tok + s, cnt + 1, g))

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "max_active_per_rank": self.max_active_per_rank}
