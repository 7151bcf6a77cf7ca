"""SGLang's data-parallel controller: ``round_robin``, ``total_requests`` and ``total_tokens``.

Source: sgl-project/sglang, ``python/sglang/srt/managers/data_parallel_controller.py`` —
``DataParallelController.round_robin_scheduler``, ``total_requests_scheduler`` and
``total_tokens_scheduler``, which pick a rank through ``DPBudget.dispatch``; ``DPBudget.update_budget``
reloads each rank's counters from the schedulers' published load (``num_running_reqs + num_waiting_reqs``
and ``num_total_tokens``); ``DataParallelController.refresh_load_budget`` re-reads that load at most once
every 20 ms (``snapshot_interval_s=0.02`` reproduces it). The controller sends each request to the chosen
rank's scheduler the moment it arrives; the rank queues it until it has room.

Rules, with the router's view of :class:`~lbtheory.policies.dispatch.RouterView` (snapshot n_g, q_g, L_g;
own dispatches since the snapshot d_g requests, D_g prompt tokens):

- **round_robin**: rank = c; c ← (c + 1) mod G. A persistent counter, blind to load.
- **total_requests**: rank = argmin_g (n_g + q_g + d_g), ties to the lowest index (``list.index(min)``).
  ``DPBudget.dispatch`` adds 1 to the chosen rank's count (the speculative increment, d_g here).
- **total_tokens**: rank = argmin_g (L_g + Q_g + D_g, n_g + q_g + d_g) lexicographically, ties to the
  lowest index. The published token load is the scheduler's ``Scheduler.get_load``
  (``python/sglang/srt/managers/scheduler.py``): KV tokens in use plus the prompt tokens of its waiting
  queue, i.e. L_g + Q_g here (resident plus queued prompts). ``DPBudget.dispatch`` adds the request's
  input length (``len(req.input_ids)``) to the chosen rank, so it counts the prompts it has just
  dispatched (D_g) until the next refresh replaces them with the published load.

A refresh overwrites the speculative increments with the published load, exactly as the source does.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory.policies.dispatch import DispatchPolicy


class SGLangRoundRobin(DispatchPolicy):
    """SGLang ``--load-balance-method round_robin``: a persistent cursor over all ranks."""

    name: ClassVar[str] = "sglang_round_robin"

    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        super().start(workers, slots, rng)
        self._cursor = 0

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        g = self._cursor
        self._cursor = (self._cursor + 1) % self.workers
        return g


class SGLangTotalRequests(DispatchPolicy):
    """SGLang ``total_requests``: argmin_g (running + waiting + sent since the snapshot)."""

    name: ClassVar[str] = "sglang_total_requests"

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        assert self.view is not None
        return int(np.argmin(self.view.requests))


class SGLangTotalTokens(DispatchPolicy):
    """SGLang ``total_tokens``: argmin_g (resident + queued + just-sent prompt tokens, request count)."""

    name: ClassVar[str] = "sglang_total_tokens"

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        v = self.view
        assert v is not None
        tokens = v.loads + v.waiting_tokens + v.sent_tokens
        # np.lexsort: last key is primary; stable, so ties keep the lowest index
        return int(np.lexsort((np.arange(self.workers), v.requests, tokens))[0])
