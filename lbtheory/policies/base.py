"""What a policy sees and what it returns.

A policy is consulted at every *admission epoch* (the start of a decode step at which some worker has a
free slot and the window holds a waiting request). It sees an :class:`EpochView` and returns an
:class:`Admission`: which window requests go to which workers. The engine checks and applies it; a policy
never touches engine state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class ActiveRequests:
    """The requests running at the start of the step (one entry each, in no promised order).

    Attributes:
        request: request ids.
        worker: the worker g each runs on.
        workload_tokens: w_i = s_i + a_i, its current KV length (tokens generated so far: a_i).
        predicted_remaining_steps: ô_i − a_i, the decode steps it is predicted to still take, counting this
            one (may be <= 0 when the prediction was too short: the request is overdue), or None when the
            policy gets no prediction.
    """

    request: IntArray
    worker: IntArray
    workload_tokens: IntArray
    predicted_remaining_steps: IntArray | None


@dataclass(frozen=True)
class EpochView:
    """A read-only snapshot of the cluster at an admission epoch (before this epoch's admissions).

    Attributes:
        step: k, the index (0-based) of the decode step about to run.
        clock_s: the time now (s).
        slots: B.
        loads: L_g, each worker's current load in tokens (start of step k, before admissions).
        active_counts: n_g, requests running on each worker.
        window_requests: ids of the waiting requests the policy may admit, in arrival order.
        window_prompt_tokens: their prompt lengths s_i.
        window_predicted_output_tokens: their predictions ô_i, or None without predictions.
    """

    step: int
    clock_s: float
    slots: int
    loads: IntArray
    active_counts: IntArray
    window_requests: IntArray
    window_prompt_tokens: IntArray
    window_predicted_output_tokens: IntArray | None
    _active: Callable[[], ActiveRequests]
    _base_profile: Callable[[int], IntArray] | None = None

    @property
    def workers(self) -> int:
        """G."""
        return int(self.loads.size)

    @property
    def free_slots(self) -> IntArray:
        """B − n_g for each worker."""
        return self.slots - self.active_counts

    def active_requests(self) -> ActiveRequests:
        """The running requests (computed on demand: O(active))."""
        return self._active()

    def base_profile(self, horizon: int) -> IntArray | None:
        """The (G, H+1) predicted load of what already runs, b_g(h) = Σ_{i on g, ρ_i > h} (w_i + h)
        (:mod:`lbtheory.policies.bfio_problem`), computed by the engine without listing the active
        requests; None where the engine offers no such path (or there are no predictions)."""
        return None if self._base_profile is None else self._base_profile(horizon)


@dataclass(frozen=True)
class Admission:
    """The decision: request ``requests[j]`` joins worker ``workers[j]``. Order does not matter."""

    requests: IntArray
    workers: IntArray

    @classmethod
    def empty(cls) -> Admission:
        """Admit nothing."""
        return cls(np.empty(0, np.int64), np.empty(0, np.int64))


class Policy(ABC):
    """Base of every policy. Subclasses set ``name`` and implement :meth:`decide`.

    ``start`` is called once per run, before the first epoch, with the run's generator; a policy keeps its
    per-run state (a cursor, a generator) from there, so one object can run many simulations.
    """

    name: ClassVar[str] = "policy"
    #: whether the policy needs ô (an error is raised if the workload has no predictions).
    needs_predictions: bool = False
    #: consult the policy at every step at which a request waits, even when no slot is free (dispatch-on-
    #: arrival routers bind each request to a worker as soon as it arrives). Default: only when a slot is free.
    observes_full_epochs: bool = False

    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        """Reset per-run state (default: keep the generator)."""
        self._rng = rng

    @abstractmethod
    def decide(self, view: EpochView) -> Admission:
        """Choose admissions for this epoch."""

    def describe(self) -> dict[str, object]:
        """The policy's name and parameters, for result manifests."""
        return {"name": self.name}


#: A compiled policy kernel. Signature (all arrays int64 unless said)::
#:
#:     kernel(loads, counts, slots, win_prompt, win_pred, n_win, pstate, rng, out_pos, out_worker) -> n
#:
#: It reads the first ``n_win`` entries of ``win_prompt``/``win_pred`` (``win_pred`` holds -1 without
#: predictions), may update its own state ``pstate`` and draw from ``rng``, writes the window positions and
#: workers of its admissions into ``out_pos``/``out_worker`` and returns how many it wrote. It must not modify
#: ``loads`` or ``counts``.
Kernel = Callable[..., int]


class KernelPolicy(Policy):
    """A policy whose decision is a compiled kernel, so the engine can run it inside its compiled loop.

    The same kernel serves :meth:`decide`, so the Python path and the compiled path decide identically.
    """

    kernel: ClassVar[Kernel]
    #: size of the int64 state vector the kernel keeps across epochs (e.g. a round-robin cursor).
    state_size: ClassVar[int] = 1

    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        super().start(workers, slots, rng)
        self.pstate = np.zeros(self.state_size, np.int64)
        self._pos = np.empty(0, np.int64)
        self._wrk = np.empty(0, np.int64)

    def decide(self, view: EpochView) -> Admission:
        n_win = view.window_requests.size
        if self._pos.size < n_win:
            self._pos = np.empty(n_win, np.int64)
            self._wrk = np.empty(n_win, np.int64)
        pred = view.window_predicted_output_tokens
        if pred is None:
            pred = np.full(n_win, -1, np.int64)
        n = type(self).kernel(
            view.loads, view.active_counts, view.slots, view.window_prompt_tokens, pred, n_win,
            self.pstate, self._rng, self._pos, self._wrk,
        )
        return Admission(view.window_requests[self._pos[:n]].copy(), self._wrk[:n].copy())
