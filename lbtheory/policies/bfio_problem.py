"""The BF-IO integer program of one admission epoch, its objective, and an exact MILP solver.

Notation (MODEL.md, "BF-IO"). At the epoch of step k, worker g runs requests i with workload
w_i = s_i + a_i and predicted remaining steps r_i = ô_i − a_i (counting step k). Window request j has prompt
s_j and prediction ô_j. The predicted load h steps ahead, h = 0..H, is

    L̂_g(k+h) = b_g(h) + Σ_j x_{j,g} c_j(h),
    b_g(h)   = Σ_{i on g, ρ_i > h} (w_i + h),      ρ_i = r_i if r_i >= 1, else ∞,
    c_j(h)   = (s_j + h) · [h < ô_j],

so an active request is predicted to leave after ρ_i steps and grows by one per step until then; an
admitted request adds its prompt and grows likewise until its predicted finish. *(choice)* An overdue
request (r_i <= 0: its prediction was too short, yet it is still running) is predicted to stay through the
horizon, as the authors' code does; predicting it to leave at once made BF-IO with H = 20 lose about half
of its balance under 10% misprediction (experiments/bfio_noise.py, BurstGPT, G = 32). At h = 0, b_g(0) = L_g and c_j(0) = s_j: the H = 0 problem needs no prediction.

The program, with x_{j,g} ∈ {0,1}, f_g = B − n_g the free slots, n the window size:

    minimise   Φ(x) = Σ_{h=0..H} [ G · max_g L̂_g(k+h) − Σ_g L̂_g(k+h) ]
    subject to Σ_g x_{j,g} <= 1                 (each request at most once)
               Σ_j x_{j,g} <= f_g               (capacity)
               Σ_{j,g} x_{j,g} = min(Σ_g f_g, n)  (every free slot filled when the window allows)

linearised with one epigraph variable z_h >= L̂_g(k+h) for all g, h (objective Σ_h G z_h − Σ_h Σ_g L̂_g).
An *assignment* is an int64 array a of length n: a_j = g (request j joins worker g) or −1 (stays waiting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lbtheory._jit import njit
from lbtheory.errors import ConfigError
from lbtheory.policies.base import EpochView

IntArray = NDArray[np.int64]


@njit(cache=True)
def _profiles_from_buckets(loads, cnt, wsum):  # pragma: no cover - compiled
    """b_g(h) from per-worker buckets by predicted departure step: ``cnt[g, e]`` requests and ``wsum[g, e]``
    their workloads with ρ = e (capped at H+1); those with ρ > h are present at step k+h, each grown by h.
    Column 0 is the current load L_g."""
    G = cnt.shape[0]
    H1 = cnt.shape[1] - 1
    out = np.empty((G, H1), np.int64)
    for g in range(G):
        n_alive = 0
        w_alive = 0
        for h in range(H1, 0, -1):
            # requests with ρ = h (or more, capped) are present at steps < h
            n_alive += cnt[g, h]
            w_alive += wsum[g, h]
            out[g, h - 1] = w_alive + (h - 1) * n_alive
        out[g, 0] = loads[g]
    return out


@njit(cache=True)
def base_profiles(loads, worker, workload, remaining, horizon):  # pragma: no cover - compiled
    """b_g(h) for h = 0..H from the active requests: Σ_{i on g, ρ_i > h} (w_i + h), ρ_i = r_i if
    r_i >= 1 else ∞ (an overdue request stays through the horizon).

    Built from per-worker buckets by the step ρ_i at which each request is predicted to leave
    (O(active + G·H)); column 0 is the current load L_g.
    """
    G = loads.size
    H1 = horizon + 1
    cnt = np.zeros((G, H1 + 1), np.int64)
    wsum = np.zeros((G, H1 + 1), np.int64)
    for p in range(worker.size):
        e = remaining[p]
        if e < 1:
            e = H1
        if e > H1:
            e = H1
        cnt[worker[p], e] += 1
        wsum[worker[p], e] += workload[p]
    return _profiles_from_buckets(loads, cnt, wsum)


@njit(cache=True)
def base_profiles_from_slots(loads, slot_req, admit_step, prompt, pred, step, horizon
                             ):  # pragma: no cover - compiled
    """b_g(h) as :func:`base_profiles`, read straight from the engine's slot table (no list of the active
    requests is built): request i in a slot of worker g has a_i = k − admit_i tokens generated,
    w_i = s_i + a_i and r_i = ô_i − a_i. One compiled pass over the G·B slots, O(G·B + G·H)."""
    G, B = slot_req.shape
    H1 = horizon + 1
    cnt = np.zeros((G, H1 + 1), np.int64)
    wsum = np.zeros((G, H1 + 1), np.int64)
    for g in range(G):
        for b in range(B):
            i = slot_req[g, b]
            if i < 0:
                continue
            a = step - admit_step[i]
            e = pred[i] - a
            if e < 1 or e > H1:
                e = H1
            cnt[g, e] += 1
            wsum[g, e] += prompt[i] + a
    return _profiles_from_buckets(loads, cnt, wsum)


@dataclass(frozen=True, eq=False)
class EpochProblem:
    """One epoch's BF-IO instance.

    Attributes:
        horizon: H >= 0, the lookahead in steps.
        base: (G, H+1) int64, b_g(h), the predicted load of what already runs (column 0: L_g).
        free: (G,) int64, f_g = B − n_g >= 0.
        prompt: (n,) int64, s_j >= 1 of the window requests, in window order.
        predicted: (n,) int64 ô_j >= 1, or None (allowed only when H = 0).
    """

    horizon: int
    base: IntArray
    free: IntArray
    prompt: IntArray
    predicted: IntArray | None

    def __post_init__(self) -> None:
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int | np.integer):
            raise ConfigError(f"horizon (H) must be an integer >= 0, got {self.horizon!r}")
        if self.horizon < 0:
            raise ConfigError(f"horizon (H) must be >= 0, got {self.horizon}")
        base = np.ascontiguousarray(self.base, np.int64)
        free = np.ascontiguousarray(self.free, np.int64)
        prompt = np.ascontiguousarray(self.prompt, np.int64)
        if base.ndim != 2 or base.shape[1] != self.horizon + 1:
            raise ConfigError(f"base must have shape (G, H+1={self.horizon + 1}), got {base.shape}")
        if free.shape != (base.shape[0],) or np.any(free < 0):
            raise ConfigError(f"free must be (G,)={base.shape[0]} non-negative entries, got {free}")
        if prompt.ndim != 1 or np.any(prompt < 1):
            raise ConfigError("prompt must be 1-D with entries >= 1")
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "free", free)
        object.__setattr__(self, "prompt", prompt)
        if self.predicted is None:
            if self.horizon > 0:
                raise ConfigError(f"horizon H={self.horizon} > 0 needs predictions ô of the window")
        else:
            pred = np.ascontiguousarray(self.predicted, np.int64)
            if pred.shape != prompt.shape or np.any(pred < 1):
                raise ConfigError("predicted must match prompt in shape, with entries >= 1")
            object.__setattr__(self, "predicted", pred)

    @property
    def workers(self) -> int:
        """G."""
        return int(self.base.shape[0])

    @property
    def window(self) -> int:
        """n, the number of window requests."""
        return int(self.prompt.size)

    @property
    def admit_count(self) -> int:
        """min(Σ_g f_g, n): how many requests every feasible assignment admits."""
        return int(min(int(self.free.sum()), self.window))

    def predictions_or_ones(self) -> IntArray:
        """ô_j, or all ones when H = 0 (c_j(0) = s_j does not depend on ô)."""
        if self.predicted is None:
            return np.ones(self.window, np.int64)
        return self.predicted

    def contributions(self) -> IntArray:
        """(n, H+1) int64: c_j(h) = (s_j + h)·[h < ô_j]."""
        h = np.arange(self.horizon + 1, dtype=np.int64)
        pred = self.predictions_or_ones()
        return np.where(h[None, :] < pred[:, None], self.prompt[:, None] + h[None, :], 0)

    @classmethod
    def from_arrays(
        cls,
        *,
        loads: IntArray,
        free: IntArray,
        prompt: IntArray,
        predicted: IntArray | None = None,
        horizon: int = 0,
        active_worker: IntArray | None = None,
        active_workload: IntArray | None = None,
        active_remaining: IntArray | None = None,
    ) -> EpochProblem:
        """An instance from plain arrays (active requests are needed only when H > 0).

        Without active requests, b_g(h) = L_g for every h (what runs is held constant over the horizon),
        the convenient form for hand-built test instances.
        """
        loads = np.ascontiguousarray(loads, np.int64)
        H = int(horizon)
        if active_worker is None:
            base = np.repeat(loads[:, None], H + 1, axis=1)
        else:
            if active_workload is None or active_remaining is None:
                raise ConfigError("active_worker needs active_workload and active_remaining")
            base = base_profiles(
                loads,
                np.ascontiguousarray(active_worker, np.int64),
                np.ascontiguousarray(active_workload, np.int64),
                np.ascontiguousarray(active_remaining, np.int64),
                H,
            )
        return cls(H, base, np.asarray(free, np.int64), np.asarray(prompt, np.int64), predicted)

    @classmethod
    def from_view(cls, view: EpochView, horizon: int) -> EpochProblem:
        """The instance at an engine epoch. H = 0 reads only L_g, f_g and s_j (never a prediction)."""
        free = view.free_slots.astype(np.int64)
        if horizon == 0:
            return cls._trusted(0, view.loads[:, None].astype(np.int64), free,
                                view.window_prompt_tokens, None)
        pred = view.window_predicted_output_tokens
        if pred is None:
            raise ConfigError(f"BF-IO with horizon H={horizon} > 0 needs output-length predictions")
        base = view.base_profile(int(horizon))
        if base is None:  # a view without the engine's fast path: from the list of active requests
            act = view.active_requests()
            if act.predicted_remaining_steps is None:
                raise ConfigError(f"BF-IO with horizon H={horizon} > 0 needs output-length predictions")
            base = base_profiles(
                view.loads, act.worker, act.workload_tokens, act.predicted_remaining_steps, int(horizon)
            )
        return cls._trusted(int(horizon), base, free, view.window_prompt_tokens, pred)

    @classmethod
    def _trusted(
        cls, horizon: int, base: IntArray, free: IntArray, prompt: IntArray, predicted: IntArray | None
    ) -> EpochProblem:
        """An instance from arrays the engine has already validated (int64, shapes, ranges): the
        per-epoch path skips the checks of ``__post_init__``."""
        obj = object.__new__(cls)
        for name, value in (("horizon", horizon), ("base", base), ("free", free), ("prompt", prompt),
                            ("predicted", predicted)):
            object.__setattr__(obj, name, value)
        return obj


def check_assignment(problem: EpochProblem, assignment: IntArray) -> None:
    """Raise ValueError unless ``assignment`` is feasible (the certificate the tests check).

    Feasible: shape (n,), entries in {−1, 0..G−1}; Σ_j [a_j = g] <= f_g; Σ_j [a_j >= 0] = min(Σ f, n).
    (Each request goes to at most one worker by construction of the representation.)
    """
    a = np.asarray(assignment)
    if a.shape != (problem.window,):
        raise ValueError(f"assignment has shape {a.shape}, expected ({problem.window},)")
    if np.any(a < -1) or np.any(a >= problem.workers):
        raise ValueError("assignment has a worker index outside -1..G-1")
    used = np.bincount(a[a >= 0], minlength=problem.workers)
    if np.any(used > problem.free):
        g = int(np.flatnonzero(used > problem.free)[0])
        raise ValueError(f"worker {g} gets {used[g]} requests but has {problem.free[g]} free slots")
    if int((a >= 0).sum()) != problem.admit_count:
        raise ValueError(
            f"assignment admits {int((a >= 0).sum())} requests; min(Σ f, n) = {problem.admit_count}"
        )


def predicted_loads(problem: EpochProblem, assignment: IntArray) -> IntArray:
    """(G, H+1): L̂_g(k+h) = b_g(h) + Σ_j [a_j = g] c_j(h)."""
    a = np.asarray(assignment, np.int64)
    loads = problem.base.copy()
    sel = np.flatnonzero(a >= 0)
    if sel.size:
        np.add.at(loads, a[sel], problem.contributions()[sel])
    return loads


def predicted_imbalance(problem: EpochProblem, assignment: IntArray) -> int:
    """Φ(x) = Σ_{h=0..H} [G · max_g L̂_g(k+h) − Σ_g L̂_g(k+h)] (tokens; an exact integer)."""
    loads = predicted_loads(problem, assignment)
    return int((problem.workers * loads.max(axis=0) - loads.sum(axis=0)).sum())


def solve_exact(problem: EpochProblem, *, time_limit_s: float = 60.0) -> IntArray:
    """An optimal assignment of the integer program, by ``scipy.optimize.milp`` (HiGHS).

    Variables: x_{j,g} ∈ {0,1} for workers with f_g > 0, and z_h >= max_g b_g(h) (h = 0..H).
    Minimise Σ_h G z_h − Σ_{j,g} x_{j,g} Σ_h c_j(h) (Φ up to the constant −Σ_h Σ_g b_g(h)) subject to
    z_h − Σ_j c_j(h) x_{j,g} >= b_g(h) for all g, h, and the three constraints of the program.
    Raises RuntimeError if HiGHS does not prove optimality within ``time_limit_s``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    n, G, H1 = problem.window, problem.workers, problem.horizon + 1
    m = problem.admit_count
    out = np.full(n, -1, np.int64)
    if m == 0:
        return out
    gs = np.flatnonzero(problem.free > 0)
    Gf = gs.size
    c = problem.contributions()  # (n, H1)
    nx = n * Gf  # x[j, q] at column j*Gf + q, q indexing gs
    nvar = nx + H1
    cost = np.empty(nvar)
    cost[:nx] = -np.repeat(c.sum(axis=1).astype(np.float64), Gf)
    cost[nx:] = G

    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[NDArray[np.float64]] = []
    lo: list[NDArray[np.float64]] = []
    hi: list[NDArray[np.float64]] = []
    r0 = 0
    # epigraph rows (g, h): z_h − Σ_j c_j(h) x_{j,g} >= b_g(h); workers without free slots are bounds on z
    j_idx = np.arange(n)
    for q, g in enumerate(gs):
        for h in range(H1):
            nz = j_idx[c[:, h] > 0]
            rows.append(np.full(nz.size + 1, r0, np.int64))
            cols.append(np.concatenate([nz * Gf + q, [nx + h]]).astype(np.int64))
            vals.append(np.concatenate([-c[nz, h].astype(np.float64), [1.0]]))
            lo.append(np.array([float(problem.base[g, h])]))
            hi.append(np.array([np.inf]))
            r0 += 1
    # each request at most once
    for j in range(n):
        rows.append(np.full(Gf, r0, np.int64))
        cols.append(j * Gf + np.arange(Gf, dtype=np.int64))
        vals.append(np.ones(Gf))
        lo.append(np.array([0.0]))
        hi.append(np.array([1.0]))
        r0 += 1
    # capacity
    for q, g in enumerate(gs):
        rows.append(np.full(n, r0, np.int64))
        cols.append(j_idx.astype(np.int64) * Gf + q)
        vals.append(np.ones(n))
        lo.append(np.array([0.0]))
        hi.append(np.array([float(problem.free[g])]))
        r0 += 1
    # fill every slot the window allows
    rows.append(np.full(nx, r0, np.int64))
    cols.append(np.arange(nx, dtype=np.int64))
    vals.append(np.ones(nx))
    lo.append(np.array([float(m)]))
    hi.append(np.array([float(m)]))
    r0 += 1

    A = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r0, nvar)
    ).tocsr()
    cons = LinearConstraint(A, np.concatenate(lo), np.concatenate(hi))
    lb = np.zeros(nvar)
    ub = np.ones(nvar)
    lb[nx:] = problem.base.max(axis=0).astype(np.float64)
    ub[nx:] = np.inf
    integrality = np.zeros(nvar)
    integrality[:nx] = 1
    res = milp(
        cost,
        constraints=cons,
        integrality=integrality,
        bounds=Bounds(lb, ub),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0},
    )
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"HiGHS did not prove optimality: status {res.status}, {res.message}")
    x = np.rint(res.x[:nx]).reshape(n, Gf)
    for j in range(n):
        chosen = np.flatnonzero(x[j] > 0.5)
        if chosen.size:
            out[j] = gs[chosen[0]]
    return out
