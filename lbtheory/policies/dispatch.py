"""Dispatch on arrival: bind each request to a worker when it arrives; each worker runs its own FIFO queue.

Serving engines (SGLang, vLLM, TensorRT-LLM) keep no central pool: a front end binds each request to a
data-parallel rank the moment it arrives, from an instantaneous (and often stale) load signal, and the
request waits in that rank's queue until the rank has a free batch slot. This module runs that mode as a
*policy* on the unchanged engine (MODEL.md's central pool stays the default):

* :class:`DispatchPolicy` sets ``observes_full_epochs = True``, so the engine consults it at every step at
  which some request waits, even when no slot is free. At each such step k (clock c_k):

  1. **Snapshot.** If c_k − c_refresh ≥ ``snapshot_interval_s`` (or there is no snapshot yet), the router
     re-reads the cluster: per rank g the resident KV tokens L_g, running requests n_g, queued requests q_g
     and queued prompt tokens Q_g (a :class:`RouterView`), and forgets its own-dispatch counters.
     ``snapshot_interval_s = 0`` (the default) refreshes at every step. SGLang refreshes at most every
     20 ms (``DataParallelController.refresh_load_budget``), vLLM's coordinator publishes every 100 ms.
  2. **Routing.** Every window request not seen before (it arrived during the previous step) is bound to a
     rank by the rule (:meth:`DispatchPolicy.route`, one request at a time in arrival order, or a batch
     rule overriding :meth:`DispatchPolicy.dispatch`) and appended to that rank's queue. Between refreshes
     the router adds what it dispatched to its own counters — d_g requests and D_g prompt tokens sent to g
     since the snapshot — where the engine it models does so (``count_own_dispatches=True``, the default;
     each rule's docstring says which counters its score reads). ``count_own_dispatches=False`` models a
     router that sees only the published snapshot (several front ends, or an external balancer scraping
     metrics): every arrival between two refreshes then sees the same loads, the classic herd effect.
  3. **Admission.** Each rank admits from the head of its own queue into its free slots (FIFO), never from
     another rank's queue: a request bound to a busy rank waits even if another rank is idle.

Granularity: routing happens at the start of the first step after the arrival (step granularity, like the
engine's open-loop window), so all arrivals during one decode step are routed together, in arrival order,
against one snapshot. The engine's window must hold every arrived, not-yet-admitted request (queued ones
included): run with ``ClusterConfig(pool=N)`` (or any R at least the largest backlog). With a smaller R,
arrivals beyond the window are routed only when they enter it.

The router never reads o_i; a rule may read ô_i (the workload's predictions) where it says so. Every rule
records its decisions (:meth:`DispatchPolicy.dispatch_log`) so experiments can measure bursts.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lbtheory.errors import ConfigError
from lbtheory.policies.base import Admission, EpochView, IntArray, Policy

__all__ = [
    "DispatchLog",
    "DispatchPolicy",
    "RouterView",
    "check_bool",
    "check_nonneg_float",
    "check_nonneg_int",
    "check_positive_int",
]


def check_nonneg_float(name: str, value: object) -> float:
    """``value`` as a finite float >= 0, else ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ConfigError(f"{name} must be finite and >= 0, got {value!r}")
    return v


def check_positive_int(name: str, value: object) -> int:
    """``value`` as an int >= 1, else ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_nonneg_int(name: str, value: object) -> int:
    """``value`` as an int >= 0, else ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ConfigError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is a bool, else ConfigError naming it."""
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(f"{name} must be True or False, got {value!r}")
    return bool(value)


@dataclass
class RouterView:
    """What the router believes about each rank g (arrays of length G, int64).

    Snapshot fields (exact at ``time_s``, the last refresh):
        loads: L_g, resident KV tokens of the running requests.
        running: n_g, running requests.
        waiting: q_g, requests in g's queue.
        waiting_tokens: Q_g, prompt tokens of those queued requests.
    Own-dispatch counters (since the refresh; stay 0 with ``count_own_dispatches=False``):
        sent: d_g, requests the router sent to g.
        sent_tokens: D_g, their prompt tokens.
    """

    time_s: float
    loads: IntArray
    running: IntArray
    waiting: IntArray
    waiting_tokens: IntArray
    sent: IntArray
    sent_tokens: IntArray
    refresh_index: int

    @property
    def requests(self) -> IntArray:
        """n_g + q_g + d_g: everything the router believes is bound to g."""
        out: IntArray = self.running + self.waiting + self.sent
        return out


@dataclass(frozen=True)
class DispatchLog:
    """One row per routed request: its id, the step at whose start it was routed, the snapshot index it was
    routed against, and the rank chosen."""

    request: IntArray
    step: IntArray
    refresh: IntArray
    worker: IntArray


class DispatchPolicy(Policy):
    """Base of the dispatch-on-arrival routers (see the module docstring for the three phases).

    Subclasses implement :meth:`route` (one request, in arrival order) or override :meth:`dispatch`
    (a batch rule), and may extend :meth:`on_refresh` / :meth:`on_dispatch` to keep extra per-rank state.

    Args:
        snapshot_interval_s: the least time (s) between two load snapshots (0: a fresh one every step).
        count_own_dispatches: add what the router sent since the last snapshot to its view of each rank.
    """

    name: ClassVar[str] = "dispatch"
    observes_full_epochs: bool = True

    def __init__(self, snapshot_interval_s: float = 0.0, count_own_dispatches: bool = True) -> None:
        self.snapshot_interval_s = check_nonneg_float("snapshot_interval_s", snapshot_interval_s)
        self.count_own_dispatches = check_bool("count_own_dispatches", count_own_dispatches)

    # --- per-run state -------------------------------------------------------------------------------
    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        super().start(workers, slots, rng)
        self.workers = workers
        self.slots = slots
        self._queues: list[deque[int]] = [deque() for _ in range(workers)]
        self._queue_tokens = np.zeros(workers, np.int64)
        self._next_id = 0
        self._prompt = np.zeros(64, np.int64)
        self._pred = np.full(64, -1, np.int64)
        self._last_refresh = -math.inf
        self._refreshes = -1
        self.view: RouterView | None = None
        self._log: list[tuple[int, int, int, int]] = []
        self._step = 0

    # --- the three phases ----------------------------------------------------------------------------
    def decide(self, view: EpochView) -> Admission:
        self._step = view.step
        if self.view is None or view.clock_s - self._last_refresh >= self.snapshot_interval_s:
            self._refresh(view)
        ids = view.window_requests
        new = np.flatnonzero(ids >= self._next_id)
        if new.size:
            new_ids = ids[new]
            self._remember(new_ids, view.window_prompt_tokens[new],
                           None if view.window_predicted_output_tokens is None
                           else view.window_predicted_output_tokens[new])
            self._next_id = int(new_ids.max()) + 1
        else:
            new_ids = np.empty(0, np.int64)
        self.dispatch(view, new_ids)
        return self._admit(view)

    def dispatch(self, view: EpochView, new_ids: IntArray) -> None:
        """Bind the new arrivals (in arrival order) to ranks: ``route`` each one, then enqueue it."""
        for i in new_ids.tolist():
            s = int(self._prompt[i])
            p = int(self._pred[i])
            self.enqueue(i, self.route(i, s, p))

    def route(self, request: int, prompt_tokens: int, predicted_output_tokens: int) -> int:
        """The rank for one arriving request (ô = −1 without predictions). Implemented by the rules."""
        raise NotImplementedError(f"{type(self).__name__} implements neither route nor dispatch")

    def enqueue(self, request: int, worker: int) -> None:
        """Append ``request`` to ``worker``'s queue, log it and (if counted) update the router's view."""
        if not 0 <= worker < self.workers:
            raise ValueError(f"router {self.name!r} chose rank {worker} outside 0..{self.workers - 1}")
        s = int(self._prompt[request])
        self._queues[worker].append(request)
        self._queue_tokens[worker] += s
        assert self.view is not None
        self._log.append((request, self._step, self.view.refresh_index, worker))
        if self.count_own_dispatches:
            self.view.sent[worker] += 1
            self.view.sent_tokens[worker] += s
            self.on_dispatch(worker, request, s, int(self._pred[request]))

    def _admit(self, view: EpochView) -> Admission:
        free = view.free_slots
        req: list[int] = []
        wrk: list[int] = []
        for g in range(self.workers):
            q = self._queues[g]
            for _ in range(min(int(free[g]), len(q))):
                i = q.popleft()
                self._queue_tokens[g] -= int(self._prompt[i])
                req.append(i)
                wrk.append(g)
        if not req:
            return Admission.empty()
        return Admission(np.array(req, np.int64), np.array(wrk, np.int64))

    # --- snapshots -----------------------------------------------------------------------------------
    def _refresh(self, view: EpochView) -> None:
        G = self.workers
        self._last_refresh = view.clock_s
        self._refreshes += 1
        self.view = RouterView(
            time_s=view.clock_s,
            loads=view.loads.copy(),
            running=view.active_counts.copy(),
            waiting=np.array([len(q) for q in self._queues], np.int64),
            waiting_tokens=self._queue_tokens.copy(),
            sent=np.zeros(G, np.int64),
            sent_tokens=np.zeros(G, np.int64),
            refresh_index=self._refreshes,
        )
        self.on_refresh(view)

    def on_refresh(self, view: EpochView) -> None:
        """Hook: rebuild rule-specific state from a fresh snapshot (default: nothing)."""

    def on_dispatch(self, worker: int, request: int, prompt_tokens: int, predicted_output_tokens: int) -> None:
        """Hook: account one own dispatch in rule-specific state (only when ``count_own_dispatches``)."""

    # --- helpers for the rules -----------------------------------------------------------------------
    def _remember(self, ids: IntArray, prompts: IntArray, preds: IntArray | None) -> None:
        top = int(ids.max()) + 1
        if top > self._prompt.size:
            size = max(top, 2 * self._prompt.size)
            self._prompt = np.concatenate([self._prompt, np.zeros(size - self._prompt.size, np.int64)])
            self._pred = np.concatenate([self._pred, np.full(size - self._pred.size, -1, np.int64)])
        self._prompt[ids] = prompts
        if preds is not None:
            self._pred[ids] = preds

    def prompt_of(self, ids: IntArray) -> IntArray:
        """s_i of requests the router has seen."""
        out: IntArray = self._prompt[ids]
        return out

    def prediction_of(self, ids: IntArray) -> IntArray:
        """ô_i of requests the router has seen (−1 without predictions)."""
        out: IntArray = self._pred[ids]
        return out

    def queued(self, worker: int) -> IntArray:
        """The ids in ``worker``'s queue now, head first."""
        return np.fromiter(self._queues[worker], np.int64, len(self._queues[worker]))

    def queue_lengths(self) -> IntArray:
        """The true queue length of each rank now."""
        return np.array([len(q) for q in self._queues], np.int64)

    def dispatch_log(self) -> DispatchLog:
        """Every routing decision of the last run."""
        a = np.array(self._log, np.int64).reshape(-1, 4)
        return DispatchLog(a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy(), a[:, 3].copy())

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "mode": "dispatch",
            "snapshot_interval_s": self.snapshot_interval_s,
            "count_own_dispatches": self.count_own_dispatches,
        }
