"""The stated BF-IO objective of any policy's decisions, epoch by epoch (a diagnostic).

For a decision x at the epoch of step k, the paper's program (:mod:`lbtheory.policies.bfio_problem`) values

    Φ_H(x) = Σ_{h=0..H} [ G · max_g L̂_g(k+h) − Σ_g L̂_g(k+h) ],

with L̂ the predicted loads built from the engine's predictions ô. :class:`ObjectiveRecorder` wraps a policy,
passes its decisions through unchanged and adds up Φ_H over the run's epochs, so two policies can be
compared on the objective itself as well as on the outcome: a policy that is worse on Φ_H is a worse
*solver* of the stated program; one that is better on Φ_H but worse on the outcome shows a fault of the
*objective*.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lbtheory.errors import ConfigError
from lbtheory.policies.base import Admission, EpochView, Policy
from lbtheory.policies.bfio_fast import phi
from lbtheory.policies.bfio_problem import EpochProblem, IntArray


def decision_assignment(view: EpochView, admission: Admission) -> IntArray:
    """The decision as an assignment over window positions (worker, or −1 for a request left waiting)."""
    win = view.window_requests
    assign = np.full(win.size, -1, np.int64)
    if admission.requests.size == 0:
        return assign
    order = np.argsort(win, kind="stable")
    pos = order[np.searchsorted(win, admission.requests, sorter=order)]
    if np.any(win[pos] != admission.requests):
        raise ConfigError("decision admits a request that is not in the window")
    assign[pos] = admission.workers
    return assign


def decision_objective(view: EpochView, admission: Admission, horizon: int) -> int:
    """Φ_H of one epoch's decision (exact, integer tokens)."""
    problem = EpochProblem.from_view(view, horizon)
    return int(phi(problem.base, problem.prompt, problem.predictions_or_ones(),
                   decision_assignment(view, admission)))


class ObjectiveRecorder(Policy):
    """Runs ``inner`` unchanged and records Σ_epochs Φ_H of its decisions in :attr:`objective_sum`.

    With a ``shadow`` policy, the shadow is also asked at every epoch, on the same view, what it would
    decide (its decision is never applied): :attr:`shadow_objective_sum` adds up Φ_H of those decisions and
    :attr:`epochs_worse` counts the epochs at which ``inner``'s Φ_H is above the shadow's. This compares two
    solvers of the stated program on the very same epoch problems, free of the drift of two trajectories.

    The wrapped policy runs in the engine's Python loop (a wrapper has no compiled kernel); its decisions,
    and so the run, are the same as unwrapped.
    """

    name: ClassVar[str] = "objective_recorder"

    def __init__(self, inner: Policy, horizon: int, shadow: Policy | None = None) -> None:
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 0:
            raise ConfigError(f"horizon (H) must be an integer >= 0, got {horizon!r}")
        if shadow is not None and shadow.observes_full_epochs != inner.observes_full_epochs:
            raise ConfigError("the shadow policy must be consulted at the same epochs as the recorded one")
        self.inner = inner
        self.shadow = shadow
        self.horizon = horizon
        self.needs_predictions = (inner.needs_predictions or horizon > 0
                                  or (shadow is not None and shadow.needs_predictions))
        self.observes_full_epochs = inner.observes_full_epochs
        self.objective_sum = 0
        self.shadow_objective_sum = 0
        self.epochs_worse = 0
        self.epochs = 0

    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        self.objective_sum = self.shadow_objective_sum = self.epochs_worse = self.epochs = 0
        if self.shadow is not None:  # its own fixed stream: the run's stream is left to ``inner``
            self.shadow.start(workers, slots, np.random.default_rng(0))
        self.inner.start(workers, slots, rng)

    def decide(self, view: EpochView) -> Admission:
        admission = self.inner.decide(view)
        value = decision_objective(view, admission, self.horizon)
        self.objective_sum += value
        if self.shadow is not None:
            other = decision_objective(view, self.shadow.decide(view), self.horizon)
            self.shadow_objective_sum += other
            self.epochs_worse += int(value > other)
        self.epochs += 1
        return admission

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "horizon": self.horizon, "inner": self.inner.describe()}
        if self.shadow is not None:
            out["shadow"] = self.shadow.describe()
        return out
