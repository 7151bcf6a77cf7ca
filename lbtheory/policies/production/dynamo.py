"""A Dynamo-style KV-router cost: prefill blocks plus decode blocks, counting expected output blocks.

Source: ai-dynamo/dynamo, the KV router (``docs/router/kv_cache_routing.md`` and
``docs/design_docs/router_design.md``; ``lib/llm/src/kv_router/scheduler.rs``, ``DefaultWorkerSelector``):
for each worker the router computes ``logit = overlap_score_weight · potential_prefill_blocks +
potential_active_blocks`` and, at temperature 0 (the default), picks the smallest. Potential prefill
blocks are the new request's blocks not already cached on the worker; potential active (decode) blocks
are the blocks of the worker's active sequences plus the new request's. The router tracks active
sequences itself, from its own routing decisions (incremented when it adds a request, decremented when
the request completes), and a request may carry ``expected_output_tokens`` (``SchedulingRequest``), which
lets the router count the blocks the request will grow into.

Our model has no prefix cache, so this is Dynamo-*style*, not Dynamo: with block size b, the worker's
pending prefill P_g = Σ ⌈s_i / b⌉ over its queued requests (not yet prefilled) and its decode footprint
D_g = Σ ⌈f_i / b⌉ over its running and queued requests, where f_i = s_i + ô_i is the length the request is
expected to reach (ô_i the workload's prediction when it has one, else ``expected_output_tokens``;
f_i = max(f_i, w_i) for a running request that has already grown past it). The rule

    rank = argmin_g  w · P_g + D_g            (ties: lowest index; w = ``overlap_score_weight``)

is evaluated on the snapshot plus the router's own dispatches since (each adds ⌈s_j / b⌉ to P_g and
⌈f_j / b⌉ to D_g), i.e. the new request's own terms, the same on every worker, are left out. This is the
one production rule that counts expected output, but it still ignores *when* the requests finish: it
charges a request's final size from the start, and never plans for the +1 per step drift of the barrier.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory.policies.base import EpochView, IntArray
from lbtheory.policies.dispatch import (
    DispatchPolicy,
    check_nonneg_float,
    check_nonneg_int,
    check_positive_int,
)


def blocks(tokens: IntArray | int, block_size: int) -> IntArray:
    """⌈tokens / b⌉, element-wise."""
    out: IntArray = -(-np.asarray(tokens, np.int64) // block_size)
    return out


class DynamoRouter(DispatchPolicy):
    """Dynamo-style cost: overlap_score_weight · prefill blocks + decode blocks (with expected output)."""

    name: ClassVar[str] = "dynamo"

    def __init__(
        self,
        snapshot_interval_s: float = 0.0,
        count_own_dispatches: bool = True,
        block_size: int = 16,
        overlap_score_weight: float = 1.0,
        expected_output_tokens: int = 0,
    ) -> None:
        super().__init__(snapshot_interval_s, count_own_dispatches)
        self.block_size = check_positive_int("block_size", block_size)
        self.overlap_score_weight = check_nonneg_float("overlap_score_weight", overlap_score_weight)
        self.expected_output_tokens = check_nonneg_int("expected_output_tokens", expected_output_tokens)

    def _final_tokens(self, ids: IntArray) -> IntArray:
        pred = self.prediction_of(ids)
        out: IntArray = self.prompt_of(ids) + np.where(pred >= 0, pred, self.expected_output_tokens)
        return out

    def on_refresh(self, view: EpochView) -> None:
        G, b = self.workers, self.block_size
        act = view.active_requests()
        final = np.maximum(self._final_tokens(act.request), act.workload_tokens)
        decode = np.bincount(act.worker, weights=blocks(final, b), minlength=G)
        prefill = np.zeros(G)
        for g in range(G):
            q = self.queued(g)
            if q.size:
                prefill[g] = blocks(self.prompt_of(q), b).sum()
                decode[g] += blocks(self._final_tokens(q), b).sum()
        self._prefill = np.rint(prefill).astype(np.int64)
        self._decode = np.rint(decode).astype(np.int64)

    def on_dispatch(self, worker: int, request: int, prompt_tokens: int, predicted_output_tokens: int) -> None:
        out = predicted_output_tokens if predicted_output_tokens >= 0 else self.expected_output_tokens
        self._prefill[worker] += int(blocks(prompt_tokens, self.block_size))
        self._decode[worker] += int(blocks(prompt_tokens + out, self.block_size))

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        cost = self.overlap_score_weight * self._prefill + self._decode
        return int(np.argmin(cost))

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "block_size": self.block_size,
                "overlap_score_weight": self.overlap_score_weight,
                "expected_output_tokens": self.expected_output_tokens}

