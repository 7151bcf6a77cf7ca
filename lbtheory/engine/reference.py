"""The reference engine: MODEL.md read literally, in plain Python, for tests.

It is slow on purpose: no calendar, no compiled code, no in-place tricks. Each step scans every active
request. Tests run it beside :func:`lbtheory.engine.simulate` on many small random instances and require
identical records.
"""

from __future__ import annotations

import numpy as np

from lbtheory.engine.records import RequestRecord, RunResult, StepRecord
from lbtheory.engine.simulate import check_inputs
from lbtheory.model import SimConfig
from lbtheory.policies.base import ActiveRequests, EpochView, Policy
from lbtheory.policies.registry import make_policy
from lbtheory.workloads.base import Workload


def simulate_reference(
    workload: Workload,
    config: SimConfig,
    policy: Policy | str,
    rng: np.random.Generator | None = None,
    *,
    seed: int | None = None,
) -> RunResult:
    """Same contract as :func:`lbtheory.engine.simulate`, written as plainly as possible."""
    pol = make_policy(policy) if isinstance(policy, str) else policy
    check_inputs(workload, config, pol)
    if rng is None:
        rng = np.random.default_rng(seed)
    G, B, R = config.cluster.workers, config.cluster.slots, config.cluster.window
    C, t = config.step_time.step_overhead_s, config.step_time.token_time_s
    open_loop = config.arrivals == "open"
    pol.start(G, B, rng)

    n = workload.n_requests
    s = [int(x) for x in workload.prompt_tokens]
    o = [int(x) for x in workload.output_tokens]
    pred = workload.predicted_output_tokens
    arrival = [0.0] * n if workload.arrival_time_s is None else [float(a) for a in workload.arrival_time_s]

    running: list[list[int]] = [[] for _ in range(G)]  # request ids on each worker
    generated = [0] * n
    worker, admit_step, finish_step = [-1] * n, [-1] * n, [-1] * n
    admit_time, finish_time = [float("nan")] * n, [float("nan")] * n
    window: list[int] = []
    unseen = 0  # next request never shown
    clock = 0.0
    idle_gap = 0.0
    finished = 0
    last_admit = -1
    rec: dict[str, list] = {k: [] for k in ("dt", "start", "max", "sum", "active", "admitted", "loads")}

    def load(g: int) -> int:
        return sum(s[i] + generated[i] for i in running[g])

    def top_up() -> None:
        nonlocal unseen, clock, idle_gap
        while True:
            while len(window) < R and unseen < n and (not open_loop or arrival[unseen] <= clock):
                window.append(unseen)
                unseen += 1
            if window or any(running) or unseen >= n:
                return
            idle_gap += arrival[unseen] - clock
            clock = arrival[unseen]

    top_up()
    k = 0
    while finished < n:
        # 1. admission
        admitted = 0
        free = [B - len(running[g]) for g in range(G)]
        if window and (sum(free) > 0 or pol.observes_full_epochs):
            view = EpochView(
                step=k,
                clock_s=clock,
                slots=B,
                loads=np.array([load(g) for g in range(G)], np.int64),
                active_counts=np.array([len(r) for r in running], np.int64),
                window_requests=np.array(window, np.int64),
                window_prompt_tokens=np.array([s[i] for i in window], np.int64),
                window_predicted_output_tokens=(
                    None if pred is None else np.array([pred[i] for i in window], np.int64)
                ),
                _active=lambda: _active(running, s, generated, pred),
            )
            adm = pol.decide(view)
            for i, g in zip(adm.requests.tolist(), adm.workers.tolist(), strict=True):
                if i not in window:
                    raise ValueError("policy admitted a request that is not in the window (or twice)")
                if not 0 <= g < G:
                    raise ValueError("policy chose a worker index outside 0..G-1")
                if len(running[g]) >= B:
                    raise ValueError("policy exceeded a worker's free slots")
                window.remove(i)
                running[g].append(i)
                worker[i], admit_step[i], admit_time[i] = g, k, clock
                admitted += 1
            if admitted:
                last_admit = k
        if not any(running):
            raise ValueError("policy admitted nothing while every worker was idle and requests waited")
        # 2. decode
        loads = [load(g) for g in range(G)]
        dt = C + t * max(loads)
        rec["dt"].append(dt)
        rec["start"].append(clock)
        rec["max"].append(max(loads))
        rec["sum"].append(sum(loads))
        rec["active"].append(sum(len(r) for r in running))
        rec["admitted"].append(admitted)
        rec["loads"].append(loads)
        clock += dt
        for r in running:
            for i in r:
                generated[i] += 1
        # 3. completion
        for g in range(G):
            for i in [i for i in running[g] if generated[i] == o[i]]:
                running[g].remove(i)
                finish_time[i], finish_step[i] = clock, k
                finished += 1
        k += 1
        if finished < n:
            top_up()

    steps = StepRecord(
        dt_s=np.array(rec["dt"]),
        start_s=np.array(rec["start"]),
        max_load=np.array(rec["max"], np.int64),
        sum_load=np.array(rec["sum"], np.int64),
        active=np.array(rec["active"], np.int64),
        admitted=np.array(rec["admitted"], np.int64),
        loads=np.array(rec["loads"], np.int64).reshape(k, G) if config.record_worker_loads else None,
        workers=G,
    )
    requests = RequestRecord(
        worker=np.array(worker, np.int64),
        admit_step=np.array(admit_step, np.int64),
        finish_step=np.array(finish_step, np.int64),
        admit_time_s=np.array(admit_time),
        finish_time_s=np.array(finish_time),
        arrival_time_s=np.array(arrival),
    )
    return RunResult(
        config=config,
        policy=pol.describe(),
        workload=workload,
        steps=steps,
        requests=requests,
        window_steps=max(last_admit, 0),
        idle_gap_s=idle_gap,
        seed=seed,
        meta={"engine": "reference"},
    )


def _active(running: list[list[int]], s: list[int], generated: list[int], pred: object) -> ActiveRequests:
    req = [i for r in running for i in r]
    wrk = [g for g, r in enumerate(running) for _ in r]
    gen = np.array([generated[i] for i in req], np.int64)
    req_a = np.array(req, np.int64)
    return ActiveRequests(
        request=req_a,
        worker=np.array(wrk, np.int64),
        workload_tokens=np.array([s[i] for i in req], np.int64) + gen,
        predicted_remaining_steps=None if pred is None else np.asarray(pred)[req_a] - gen,
    )
