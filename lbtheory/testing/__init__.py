"""Public helpers for testing the theory: hypothesis strategies (:mod:`.strategies`), an exact H = 0
reference policy for tiny instances, and a look-up of the registered BF-IO policy."""

from __future__ import annotations

from itertools import combinations
from typing import ClassVar

import numpy as np

from lbtheory.engine.records import RunResult
from lbtheory.errors import ConfigError
from lbtheory.policies.base import Admission, EpochView, Policy

__all__ = [
    "ExactH0",
    "exact_h0_assignment",
    "mcdiarmid_eps",
    "registered_bfio",
    "window_imbalance",
]


def window_imbalance(result: RunResult) -> np.ndarray:
    """Imb(k) for k in the steady-state window 0..window_steps − 1 (tokens); the whole run if the window
    is empty (a single admission epoch)."""
    w = result.window_steps
    imb = result.steps.imbalance
    return imb[:w] if w > 0 else imb


def mcdiarmid_eps(result: RunResult, prompt_range: float, fail_prob: float) -> float:
    """One-sided deviation ε with P(window average − its conditional mean ≤ −ε) ≤ fail_prob (and the same
    for ≥ +ε), over the i.i.d. prompts given the output lengths.

    For a load-blind policy the active sets, and so the window, depend on the outputs only. Changing one
    prompt by at most Δ_s moves Imb(k) by at most max(G − 1, 1)·Δ_s at each of the n_i window steps
    request i is active in, so the window average has bounded differences c_i = max(G − 1, 1)·Δ_s·n_i/T
    and McDiarmid gives ε = √(ln(1/fail_prob)·Σ c_i²/2).
    """
    T = result.window_steps if result.window_steps > 0 else result.steps.n_steps
    G = result.config.cluster.workers
    a = result.requests.admit_step
    f = result.requests.finish_step
    n_active = np.clip(np.minimum(f, T - 1) - a + 1, 0, None).astype(np.float64)
    c = max(G - 1, 1) * prompt_range * n_active / T
    return float(np.sqrt(np.log(1.0 / fail_prob) * np.sum(c**2) / 2.0))


def exact_h0_assignment(loads: np.ndarray, free: np.ndarray, prompts: np.ndarray,
                        max_enumerations: int = 2_000_000) -> tuple[list[int], list[int], int]:
    """Brute-force the H = 0 problem: fill every free slot (or as many as the window allows) with window
    requests so that G·max_g L_g − Σ_g L_g is least. Returns (window positions, workers, objective).

    Exhaustive over request subsets and their assignments; ties go to the first found (subsets in
    lexicographic order, workers in index order). Meant for G·B ≤ 9.
    """
    G = int(loads.size)
    n_fill = int(min(int(free.sum()), prompts.size))
    best: list[tuple[int, list[int], list[int]]] = []
    count = 0
    for subset in combinations(range(prompts.size), n_fill):
        cap = free.astype(np.int64).copy()
        load = loads.astype(np.int64).copy()
        assign = [0] * n_fill

        def rec(j: int, subset: tuple[int, ...] = subset, cap: np.ndarray = cap,
                load: np.ndarray = load, assign: list[int] = assign) -> None:
            nonlocal count
            count += 1
            if count > max_enumerations:
                raise ConfigError("exact_h0_assignment: instance too large for brute force")
            if j == n_fill:
                obj = int(G * load.max() - load.sum())
                if not best or obj < best[0][0]:
                    best[:] = [(obj, list(subset), list(assign))]
                return
            s = int(prompts[subset[j]])
            for g in range(G):
                if cap[g] > 0:
                    cap[g] -= 1
                    load[g] += s
                    assign[j] = g
                    rec(j + 1)
                    cap[g] += 1
                    load[g] -= s

        rec(0)
    obj, pos, wrk = best[0]
    return pos, wrk, obj


class ExactH0(Policy):
    """BF-IO with H = 0 solved exactly by enumeration (a reference for tiny G·B; slow)."""

    name: ClassVar[str] = "exact_h0"

    def decide(self, view: EpochView) -> Admission:
        pos, wrk, _ = exact_h0_assignment(view.loads, view.free_slots, view.window_prompt_tokens)
        req = view.window_requests[np.asarray(pos, np.int64)] if pos else np.empty(0, np.int64)
        return Admission(np.asarray(req, np.int64), np.asarray(wrk, np.int64))


def registered_bfio(horizon: int = 0) -> tuple[Policy | None, str]:
    """(the registered BF-IO policy with this horizon, "") or (None, why it is unavailable)."""
    from lbtheory.policies.registry import make_policy

    try:
        return make_policy("bfio", horizon=horizon), ""
    except ConfigError as exc:
        return None, f"BF-IO is not registered yet: make_policy('bfio', horizon={horizon}) -> {exc}"
