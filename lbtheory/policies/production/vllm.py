"""vLLM's internal data-parallel load balancer (``--data-parallel-size`` with the internal LB).

Source: vllm-project/vllm, ``vllm/v1/engine/core_client.py`` — ``DPLBAsyncMPClient.get_core_engine_for_request``:
for each engine in rank order (from the client's start offset, 0 with one API server) it computes
``score = waiting * 4 + running`` from the counts the coordinator publishes and keeps the first strictly
smaller score; it then adds the client count (1 here) to the chosen engine's *waiting* count locally,
"for better balancing between stats updates from the coordinator (which happen every 100ms)". The
coordinator (``vllm/v1/engine/coordinator.py``, ``DPCoordinator``) publishes the engines' request counts at
most every 100 ms (``snapshot_interval_s=0.1`` reproduces it). The request is sent to that engine at once
and waits in its scheduler's queue.

Rule (router view of :mod:`lbtheory.policies.dispatch`): rank = argmin_g 4·(q_g + d_g) + n_g, ties to the
lowest index; the router's own dispatches d_g count as waiting. So an engine with fewer waiting requests
beats one with fewer running: (q, n) = (0, 10) scores 10, (3, 0) scores 12.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory.policies.dispatch import DispatchPolicy

#: vLLM's weight of a waiting request against a running one (``score = waiting * 4 + running``).
WAITING_WEIGHT = 4


class VLLMBalancer(DispatchPolicy):
    """vLLM internal DP balancing: argmin_g 4·waiting_g + running_g."""

    name: ClassVar[str] = "vllm"

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        v = self.view
        assert v is not None
        return int(np.argmin(WAITING_WEIGHT * (v.waiting + v.sent) + v.running))
