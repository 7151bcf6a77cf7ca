"""Power of two choices: sample two distinct ranks at random, send the request to the less loaded.

Sources: the SGLang router, sgl-project/sglang ``sgl-router/src/policies/power_of_two.rs``
(``PowerOfTwoPolicy::select_worker``: first index uniform on 0..G−1, second ``(idx1 + 1 + U{0..G−2}) mod G``
so the two differ; the worker load is the periodically polled load plus the router's own in-flight
counter), after Mitzenmacher, "The power of two choices in randomized load balancing", IEEE TPDS 12(10),
2001.

Rule (router view of :mod:`lbtheory.policies.dispatch`): draw g₁ ~ U{0..G−1}, g₂ = (g₁ + 1 + U{0..G−2})
mod G from the run's generator (handed to ``start``); load_g = n_g + q_g + d_g (running and queued at the
snapshot, plus the router's own dispatches since, its in-flight counter); send to g₂ if load_{g₂} <
load_{g₁}, else to g₁ (ties to the first draw). With G = 1 the only rank.
"""

from __future__ import annotations

from typing import ClassVar

from lbtheory.policies.dispatch import DispatchPolicy


class PowerOfTwo(DispatchPolicy):
    """Power of two choices on request counts (running + waiting + own dispatches)."""

    name: ClassVar[str] = "power_of_two"

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        G = self.workers
        if G == 1:
            return 0
        g1 = int(self._rng.integers(G))
        g2 = (g1 + 1 + int(self._rng.integers(G - 1))) % G
        assert self.view is not None
        load = self.view.requests
        return g2 if load[g2] < load[g1] else g1
