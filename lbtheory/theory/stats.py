"""Deviation inequalities as sharp as the structure allows, for checking bounds on expectations.

With fixed outputs o and R = G·B, a load-blind policy (FCFS, round robin, random) runs the requests in
blocks of G·B: block r occupies steps r·o .. (r + 1)·o − 1, every slot at the same age, so at every step
of the block Imb(k) = X_r = G·max_g P_g − Σ_g P_g, with P_g the prompt sum of worker g's B requests. The
assignment does not look at prompts, so the P_g are i.i.d. sums of B i.i.d. prompts and the X_r are i.i.d.
across blocks. The steady-state window (k < window_steps) holds n = window_steps/o whole blocks, so the
window average of Imb is *exactly* the mean of n i.i.d. copies of X, with

    0 ≤ X ≤ (G − 1)·B·Δ_s,   E X = G·(E max S − Bμ_s),   Var X computed exactly (:func:`block_imbalance_moments`).

Bernstein's inequality (one-sided: P(X̄ − EX ≥ ε) ≤ exp(−nε²/(2(σ² + bε/3))) when X − EX ≤ b) then gives
the tolerance :func:`bernstein_eps`; for the lower tail b = E X (since X ≥ 0), for the upper tail
b = (G − 1)BΔ_s − E X. No slack is hand-set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lbtheory.theory.exact import block_sum_pmf, law_params

FloatArray = NDArray[np.float64]


def block_imbalance_moments(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray,
                            workers: int, slots: int) -> tuple[float, float]:
    """(E X, Var X) for X = G·max_g P_g − Σ_g P_g, P_1..P_G i.i.d. sums of B i.i.d. prompts (exact up to
    float round-off; computed on values centred at B·μ_s to avoid cancellation).

    E X = G·E[M] − G·Bμ (M = max_g P_g); E X² = G²E[M²] − 2G²·E[M·P_1] + E[(ΣP)²] (exchangeability), with
    E[M·P_1] = Σ_j j·P(P_1 = j)·E[max(j, M')], M' the max of the other G − 1.
    """
    G = int(workers)
    if G < 1 or slots < 1:
        raise ValueError(f"workers and slots must be >= 1 (got {workers}, {slots})")
    if G == 1:
        return 0.0, 0.0
    pmf = block_sum_pmf(values, probs, slots)
    mu = law_params(values, probs)["mu_s"]
    var_s = law_params(values, probs)["sigma_s"] ** 2
    c = slots * mu
    v = np.arange(pmf.size, dtype=np.float64) - c  # centred values
    F = np.clip(np.cumsum(pmf), 0.0, 1.0)
    F_prev = np.concatenate([[0.0], F[:-1]])
    pm = F**G - F_prev**G  # pmf of M
    e_m = float(np.dot(pm, v))
    e_m2 = float(np.dot(pm, v**2))
    # E[max(j, M')] for centred j: j + Σ_{u ≥ j} (1 − F(u)^{G−1})·(spacing 1)
    tail = (1.0 - F ** (G - 1))[::-1].cumsum()[::-1]
    e_max_j = v + tail
    e_mp1 = float(np.dot(pmf * v, e_max_j))
    e_sum2 = G * slots * var_s  # E[(Σ (P_g − c))²] = G·Bσ²
    mean = G * e_m
    second = G**2 * e_m2 - 2 * G**2 * e_mp1 + e_sum2
    return mean, max(second - mean**2, 0.0)


def bernstein_eps(n: int, variance: float, b: float, fail_prob: float) -> float:
    """The ε with P(X̄_n − E X ≥ ε) ≤ fail_prob for the mean of n i.i.d. X with Var X = variance and
    X − E X ≤ b (one-sided Bernstein): the positive root of nε² = 2L(σ² + bε/3), L = ln(1/fail_prob).
    Apply to −X for the lower tail (then b bounds E X − X)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 < fail_prob < 1:
        raise ValueError(f"fail_prob must be in (0, 1), got {fail_prob}")
    L = math.log(1.0 / fail_prob)
    a = 2.0 * L * max(b, 0.0) / 3.0
    return (a + math.sqrt(a * a + 8.0 * n * L * max(variance, 0.0))) / (2.0 * n)


def window_blocks(window_steps: int, n_steps: int, output_len: int) -> int:
    """Whole blocks in the window (fixed outputs o, R = G·B): window_steps/o, or 1 when the run is a
    single block (the window is then the whole run)."""
    if window_steps <= 0:
        return max(1, n_steps // output_len)
    if window_steps % output_len:
        raise ValueError(f"window of {window_steps} steps is not a whole number of blocks of {output_len}")
    return window_steps // output_len


def fixed_output_tolerances(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray,
                            workers: int, slots: int, blocks: int, fail_prob: float) -> dict[str, float]:
    """Exact E X, Var X, and the Bernstein deviations (below and above the mean) of the window average of
    a load-blind policy with fixed outputs and R = G·B over ``blocks`` whole blocks."""
    mean, var = block_imbalance_moments(values, probs, workers, slots)
    p = law_params(values, probs)
    top = (workers - 1) * slots * (p["s_max"] - p["s_min"])
    return {
        "mean": mean,
        "variance": var,
        "eps_below": bernstein_eps(blocks, var, mean, fail_prob),
        "eps_above": bernstein_eps(blocks, var, max(top - mean, 0.0), fail_prob),
    }


def run_tolerances(result: object, values: Sequence[int] | NDArray[np.int64],
                   probs: Sequence[float] | FloatArray, fail_prob: float) -> dict[str, float]:
    """:func:`fixed_output_tolerances` for a finished run (``lbtheory.engine.records.RunResult``) of a
    load-blind policy with fixed outputs and R = G·B: the number of whole blocks is read from the run.
    Raises ValueError when the outputs are not all equal."""
    res = result
    out = np.asarray(res.workload.output_tokens)  # type: ignore[attr-defined]
    if out.size == 0 or np.any(out != out[0]):
        raise ValueError("run_tolerances needs fixed output lengths (all o_i equal)")
    cl = res.config.cluster  # type: ignore[attr-defined]
    n = window_blocks(res.window_steps, res.steps.n_steps, int(out[0]))  # type: ignore[attr-defined]
    return fixed_output_tolerances(values, probs, cl.workers, cl.slots, n, fail_prob) | {"blocks": float(n)}
