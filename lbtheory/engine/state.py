"""The engine's state: flat arrays only, so the compiled step transition can read and write them.

Per request i: prompt s_i, output o_i, prediction ô_i (-1 if none), arrival (s), assigned worker, admission
and finish step and time. Per worker g: load L_g and active count n_g, and its B slots. A calendar of
finishing requests (bucket k mod K holds those finishing at the end of step k; K = max o + 1) makes each
completion O(1). Scalars live in two small arrays (see the index constants).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from lbtheory.model import SimConfig
from lbtheory.workloads.base import Workload

# indices into State.ist (int64 scalars)
STEP = 0  # k: decode steps done so far (= index of the next step)
N_WIN = 1  # requests in the window
NEXT_UNSEEN = 2  # first request never yet shown in the window
N_ACTIVE = 3
N_DONE = 4
LAST_ADMIT_STEP = 5  # index of the last step that started with an admission (-1: none yet)
N_WORKERS = 6
SLOTS = 7
WINDOW = 8
OPEN_LOOP = 9  # 1 for open-loop arrivals
RECORD_LOADS = 10
CAPACITY = 11  # the compiled loop pauses when STEP reaches this (<= rows in the step records)
# indices into State.fst (float64 scalars)
CLOCK = 0
IDLE_GAP = 1  # time the clock jumped over with nothing active and nothing waiting (open loop)
STEP_OVERHEAD = 2  # C (s)
TOKEN_TIME = 3  # t (s/token)


class State(NamedTuple):
    """All mutable engine state. Arrays are owned by one run."""

    ist: NDArray[np.int64]
    fst: NDArray[np.float64]
    prompt: NDArray[np.int64]
    output: NDArray[np.int64]
    pred: NDArray[np.int64]
    arrival: NDArray[np.float64]
    worker: NDArray[np.int64]
    admit_step: NDArray[np.int64]
    finish_step: NDArray[np.int64]
    admit_time: NDArray[np.float64]
    finish_time: NDArray[np.float64]
    in_window: NDArray[np.bool_]
    load: NDArray[np.int64]
    active_count: NDArray[np.int64]
    slot_req: NDArray[np.int64]  # (G, B): request in each slot, -1 if free
    slot_of: NDArray[np.int64]  # slot index of each admitted request
    cal_head: NDArray[np.int64]
    cal_next: NDArray[np.int64]
    window: NDArray[np.int64]
    rec_dt: NDArray[np.float64]
    rec_start: NDArray[np.float64]
    rec_max: NDArray[np.int64]
    rec_sum: NDArray[np.int64]
    rec_active: NDArray[np.int64]
    rec_admitted: NDArray[np.int64]
    rec_loads: NDArray[np.int64]  # (capacity, G), or (0, G) when not recorded


def initial_capacity(workload: Workload, config: SimConfig) -> int:
    """A first guess of the number of steps: Σo/(G·B) plus the longest output, with slack."""
    c = config.cluster
    est = workload.total_output_tokens / (c.workers * c.slots) + int(workload.output_tokens.max())
    return int(1.25 * est) + 64


def new_state(workload: Workload, config: SimConfig, capacity: int) -> State:
    """A fresh state at time 0 with nothing admitted."""
    n = workload.n_requests
    c = config.cluster
    G, B = c.workers, c.slots
    ist = np.zeros(12, np.int64)
    ist[N_WORKERS], ist[SLOTS], ist[WINDOW] = G, B, c.window
    ist[OPEN_LOOP] = int(config.arrivals == "open")
    ist[RECORD_LOADS] = int(config.record_worker_loads)
    ist[LAST_ADMIT_STEP] = -1
    ist[CAPACITY] = capacity
    fst = np.zeros(4, np.float64)
    fst[STEP_OVERHEAD] = config.step_time.step_overhead_s
    fst[TOKEN_TIME] = config.step_time.token_time_s
    pred = workload.predicted_output_tokens
    arrival = workload.arrival_time_s
    return State(
        ist=ist,
        fst=fst,
        prompt=workload.prompt_tokens,
        output=workload.output_tokens,
        pred=np.full(n, -1, np.int64) if pred is None else pred,
        arrival=np.zeros(n) if arrival is None else arrival,
        worker=np.full(n, -1, np.int64),
        admit_step=np.full(n, -1, np.int64),
        finish_step=np.full(n, -1, np.int64),
        admit_time=np.full(n, np.nan),
        finish_time=np.full(n, np.nan),
        in_window=np.zeros(n, np.bool_),
        load=np.zeros(G, np.int64),
        active_count=np.zeros(G, np.int64),
        slot_req=np.full((G, B), -1, np.int64),
        slot_of=np.full(n, -1, np.int64),
        cal_head=np.full(int(workload.output_tokens.max()) + 1, -1, np.int64),
        cal_next=np.full(n, -1, np.int64),
        window=np.full(c.window, -1, np.int64),
        rec_dt=np.empty(capacity),
        rec_start=np.empty(capacity),
        rec_max=np.empty(capacity, np.int64),
        rec_sum=np.empty(capacity, np.int64),
        rec_active=np.empty(capacity, np.int64),
        rec_admitted=np.empty(capacity, np.int64),
        rec_loads=np.empty((capacity if config.record_worker_loads else 0, G), np.int64),
    )


def grow_records(st: State, capacity: int) -> State:
    """The same state with step records able to hold ``capacity`` steps (rows already written are kept)."""

    def grow(a: NDArray) -> NDArray:
        if a.shape[0] == 0:
            return a
        b = np.empty((capacity, *a.shape[1:]), a.dtype)
        b[: a.shape[0]] = a
        return b

    st.ist[CAPACITY] = capacity
    return st._replace(
        rec_dt=grow(st.rec_dt),
        rec_start=grow(st.rec_start),
        rec_max=grow(st.rec_max),
        rec_sum=grow(st.rec_sum),
        rec_active=grow(st.rec_active),
        rec_admitted=grow(st.rec_admitted),
        rec_loads=grow(st.rec_loads),
    )
