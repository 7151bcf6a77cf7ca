"""The step transition of MODEL.md, compiled: admission, decode, completion, window top-up.

``advance(st, req, wrk, n)`` applies one admission decision and runs one decode step:

1. Admission: request ``req[j]`` joins worker ``wrk[j]``; L_g += s_i; admission time = clock.
2. Decode: Δt_k = C + t·max_g L_g(k) from the start-of-step loads (recorded); clock += Δt_k;
   every active request generates one token: L_g += n_g.
3. Completion: each request with a_i = o_i leaves: L_g −= s_i + o_i; finish time = clock.
4. Top-up: the window is refilled in order to R requests (open loop: those arrived by now); if nothing is
   active and nothing waits, the clock jumps to the next arrival (no step is counted).

All functions mutate ``st`` in place and never allocate per step.
"""

from __future__ import annotations

from lbtheory._jit import is_compiled, njit
from lbtheory.engine.state import (
    CAPACITY,
    CLOCK,
    IDLE_GAP,
    LAST_ADMIT_STEP,
    N_ACTIVE,
    N_DONE,
    N_WIN,
    N_WORKERS,
    NEXT_UNSEEN,
    OPEN_LOOP,
    RECORD_LOADS,
    SLOTS,
    STEP,
    STEP_OVERHEAD,
    TOKEN_TIME,
    WINDOW,
    State,
)

CONTINUE = 0
DONE = 1
FULL = 2


@njit(cache=True)
def top_up(st: State) -> None:
    """Refill the window in arrival order; jump the clock over empty time (open loop)."""
    ist = st.ist
    n_req = st.prompt.size
    while True:
        n_win = ist[N_WIN]
        while n_win < ist[WINDOW] and ist[NEXT_UNSEEN] < n_req:
            i = ist[NEXT_UNSEEN]
            if ist[OPEN_LOOP] == 1 and st.arrival[i] > st.fst[CLOCK]:
                break
            st.window[n_win] = i
            st.in_window[i] = True
            n_win += 1
            ist[NEXT_UNSEEN] = i + 1
        ist[N_WIN] = n_win
        if n_win > 0 or ist[N_ACTIVE] > 0 or ist[NEXT_UNSEEN] >= n_req:
            return
        # nothing active, nothing waiting: the clock jumps to the next arrival
        nxt = st.arrival[ist[NEXT_UNSEEN]]
        st.fst[IDLE_GAP] += nxt - st.fst[CLOCK]
        st.fst[CLOCK] = nxt


@njit(cache=True)
def epoch_open(st: State) -> bool:
    """Whether a policy is consulted now: a request waits and some worker has a free slot."""
    return st.ist[N_WIN] > 0 and st.ist[N_ACTIVE] < st.ist[N_WORKERS] * st.ist[SLOTS]


@njit(cache=True)
def admit(st: State, req, wrk, n) -> None:
    """Apply an admission decision after checking it (window membership, worker range, capacity)."""
    ist = st.ist
    G = ist[N_WORKERS]
    B = ist[SLOTS]
    k = ist[STEP]
    n_cal = st.cal_head.size
    for j in range(n):
        i = req[j]
        g = wrk[j]
        if i < 0 or i >= st.prompt.size or not st.in_window[i]:
            raise ValueError("policy admitted a request that is not in the window (or twice)")
        if g < 0 or g >= G:
            raise ValueError("policy chose a worker index outside 0..G-1")
        if st.active_count[g] >= B:
            raise ValueError("policy exceeded a worker's free slots")
        st.in_window[i] = False
        b = 0
        while st.slot_req[g, b] >= 0:
            b += 1
        st.slot_req[g, b] = i
        st.slot_of[i] = b
        st.worker[i] = g
        st.admit_step[i] = k
        st.admit_time[i] = st.fst[CLOCK]
        st.load[g] += st.prompt[i]
        st.active_count[g] += 1
        fin = k + st.output[i] - 1
        st.finish_step[i] = fin
        c = fin % n_cal
        st.cal_next[i] = st.cal_head[c]
        st.cal_head[c] = i
    if n > 0:
        ist[N_ACTIVE] += n
        ist[LAST_ADMIT_STEP] = k
        # compact the window, keeping arrival order
        m = 0
        for p in range(ist[N_WIN]):
            i = st.window[p]
            if st.in_window[i]:
                st.window[m] = i
                m += 1
        ist[N_WIN] = m


@njit(cache=True)
def decode(st: State, n_admitted) -> int:
    """Run step k from the start-of-step loads; return DONE, or CONTINUE after the top-up."""
    ist = st.ist
    fst = st.fst
    k = ist[STEP]
    G = ist[N_WORKERS]
    if ist[N_ACTIVE] == 0:
        raise ValueError("policy admitted nothing while every worker was idle and requests waited")
    mx = st.load[0]
    sm = 0
    for g in range(G):
        lg = st.load[g]
        sm += lg
        if lg > mx:
            mx = lg
    if ist[RECORD_LOADS] == 1:
        for g in range(G):
            st.rec_loads[k, g] = st.load[g]
    dt = fst[STEP_OVERHEAD] + fst[TOKEN_TIME] * mx
    st.rec_dt[k] = dt
    st.rec_start[k] = fst[CLOCK]
    st.rec_max[k] = mx
    st.rec_sum[k] = sm
    st.rec_active[k] = ist[N_ACTIVE]
    st.rec_admitted[k] = n_admitted
    fst[CLOCK] += dt
    now = fst[CLOCK]
    for g in range(G):
        st.load[g] += st.active_count[g]
    # completions: the calendar bucket of step k
    c = k % st.cal_head.size
    i = st.cal_head[c]
    st.cal_head[c] = -1
    done = 0
    while i >= 0:
        g = st.worker[i]
        st.load[g] -= st.prompt[i] + st.output[i]
        st.active_count[g] -= 1
        st.slot_req[g, st.slot_of[i]] = -1
        st.finish_time[i] = now
        done += 1
        i = st.cal_next[i]
    ist[N_ACTIVE] -= done
    ist[N_DONE] += done
    ist[STEP] = k + 1
    if ist[N_DONE] == st.prompt.size:
        return DONE
    top_up(st)
    return CONTINUE


@njit(cache=True)
def advance(st: State, req, wrk, n) -> int:
    """Admission then one decode step (the whole transition for one epoch)."""
    admit(st, req, wrk, n)
    return decode(st, n)


@njit(cache=True)
def gather_window(st: State, win_prompt, win_pred) -> int:
    """Copy the window's prompt lengths and predictions into scratch arrays; return the window size."""
    n_win = st.ist[N_WIN]
    for p in range(n_win):
        i = st.window[p]
        win_prompt[p] = st.prompt[i]
        win_pred[p] = st.pred[i]
    return n_win


def _run_kernel(st: State, kernel, pstate, rng, win_prompt, win_pred, pos, req, wrk) -> int:
    """The compiled loop: consult ``kernel`` at each epoch and advance, until DONE or the records fill."""
    ist = st.ist
    status = CONTINUE
    while status == CONTINUE:
        if ist[STEP] >= ist[CAPACITY]:
            return FULL
        n = 0
        if epoch_open(st):
            n_win = gather_window(st, win_prompt, win_pred)
            n = kernel(st.load, st.active_count, ist[SLOTS], win_prompt, win_pred, n_win, pstate, rng, pos, wrk)
            for j in range(n):
                req[j] = st.window[pos[j]]
        status = advance(st, req, wrk, n)
    return status


_LOOPS: dict[tuple[object, ...], object] = {}


def run_kernel(st: State, kernel, pstate, rng, win_prompt, win_pred, pos, req, wrk) -> int:
    """Run the compiled loop (:func:`_run_kernel`) with a policy kernel (``lbtheory.policies.base.Kernel``).

    The kernel is passed as a first-class function of the fixed kernel signature, so the loop itself is in
    numba's disk cache (one entry for every kernel: a dispatcher argument could not be cached) and each
    kernel is cached in its own module. Editing the engine or a kernel invalidates exactly what it should.
    The loop is compiled (or loaded from the cache) on first use, never at import. In interpreted mode
    (:mod:`lbtheory._jit`) the Python loop runs as it is.
    """
    if not is_compiled():
        return int(_run_kernel(st, kernel, pstate, rng, win_prompt, win_pred, pos, req, wrk))
    from numba import njit, typeof, types

    arr = typeof(pstate)
    key = (typeof(st), arr, typeof(rng), typeof(win_prompt))
    loop = _LOOPS.get(key)
    if loop is None:
        i64 = types.int64
        a = typeof(win_prompt)
        ksig = i64(a, a, i64, a, a, i64, arr, key[2], a, a)
        sig = i64(key[0], types.FunctionType(ksig), arr, key[2], a, a, a, a, a)
        loop = _LOOPS[key] = njit(sig, cache=True)(_run_kernel)
    return int(loop(st, kernel, pstate, rng, win_prompt, win_pred, pos, req, wrk))  # type: ignore[operator]
