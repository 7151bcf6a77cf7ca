"""Exact numeric quantities of a discrete prompt law that the bounds approximate.

A prompt law is a finite support ``values`` (tokens, integers ≥ 1) with probabilities ``probs``.
:func:`law_params` gives the parameter set the bounds need (s_min, s_max, μ_s, σ_s, ρ₃, m₄);
:func:`block_max_gap` gives G·(E[max_g S_g] − Bμ_s), the exact expected imbalance of a load-blind policy
with fixed outputs (the quantity the FCFS lower bounds bound from below and the load-blind upper bound
bounds from above).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _check_law(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray) -> tuple[
        NDArray[np.int64], FloatArray]:
    v = np.asarray(values, dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)
    if v.ndim != 1 or v.shape != p.shape or v.size == 0:
        raise ValueError(f"values and probs must be 1-D of equal, nonzero length; got {v.shape}, {p.shape}")
    if np.any(v < 1):
        raise ValueError("prompt values must be >= 1")
    if np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"probs must be >= 0 and sum to 1 (sum {p.sum()})")
    return v, p / p.sum()


def law_params(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray) -> dict[
        str, float]:
    """s_min, s_max, μ_s, σ_s, ρ₃ = E|s − μ|³, m₄ = E(s − μ)⁴ of the law (by symbol name)."""
    v, p = _check_law(values, probs)
    support = v[p > 0]
    mu = float(np.dot(p, v))
    d = v - mu
    return {
        "s_min": float(support.min()),
        "s_max": float(support.max()),
        "mu_s": mu,
        "sigma_s": float(np.sqrt(np.dot(p, d**2))),
        "rho_3": float(np.dot(p, np.abs(d) ** 3)),
        "m_4": float(np.dot(p, d**4)),
    }


def block_sum_pmf(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray,
                  slots: int) -> FloatArray:
    """The pmf of S = sum of ``slots`` i.i.d. prompts, indexed by S (entry j is P(S = j))."""
    v, p = _check_law(values, probs)
    base = np.zeros(int(v.max()) + 1)
    np.add.at(base, v, p)
    if slots * base.size <= 20_000:
        out = np.array([1.0])
        for _ in range(slots):
            out = np.convolve(out, base)
        return out
    from scipy.signal import fftconvolve

    # exponentiation by squaring with FFT convolutions (round-off ~1e-16, clipped at 0, renormalised)
    result: FloatArray | None = None
    power, n = base, slots
    while n:
        if n & 1:
            result = power if result is None else np.clip(fftconvolve(result, power), 0.0, None)
        n >>= 1
        if n:
            power = np.clip(fftconvolve(power, power), 0.0, None)
    assert result is not None
    return result / result.sum()


def block_max_gap(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray,
                  workers: int, slots: int) -> float:
    """G·(E[max_g S_g] − B·μ_s) (tokens): exactly E[Imb(k)] for a load-blind policy under fixed outputs
    and R ≥ G·B, and a lower bound on it for any outputs independent of the prompts (see
    :func:`lbtheory.theory.bounds.fcfs_lower_pair`)."""
    pmf = block_sum_pmf(values, probs, slots)
    cdf = np.clip(np.cumsum(pmf), 0.0, 1.0)
    e_max = float(np.sum(1.0 - cdf[:-1] ** workers))  # E[M] = Σ_{j ≥ 0} P(M > j)
    mu = law_params(values, probs)["mu_s"]
    return workers * (e_max - slots * mu)


def block_max_gaps(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray,
                   workers: Sequence[int], slots: int) -> dict[int, float]:
    """:func:`block_max_gap` for several G at once (one convolution power shared)."""
    pmf = block_sum_pmf(values, probs, slots)
    cdf = np.clip(np.cumsum(pmf), 0.0, 1.0)[:-1]
    mu = law_params(values, probs)["mu_s"]
    return {int(g): int(g) * (float(np.sum(1.0 - cdf ** int(g))) - slots * mu) for g in workers}


def geometric_age_pmf(mean_output: float, step: int | None = None, tail: float = 1e-15) -> FloatArray:
    """The law of one slot's age a under i.i.d. geometric outputs of mean o (p = 1/o, q = 1 − p) and a
    policy that fills every slot at every step: P(a = j) = p·q^j (stationary, truncated where the
    remaining mass is below ``tail`` and renormalised), or at step k = ``step`` (all slots filled at
    step 0) the law of min(a, k): P(a = j) = p·q^j for j < k, q^k at j = k (exact)."""
    if mean_output < 1:
        raise ValueError(f"mean output must be >= 1, got {mean_output}")
    p = 1.0 / float(mean_output)
    q = 1.0 - p
    if step is not None:
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        out = p * q ** np.arange(step + 1, dtype=np.float64)
        out[-1] = q**step
        return out
    if q == 0.0:
        return np.array([1.0])
    n = int(np.ceil(np.log(tail) / np.log(q))) + 1
    out = p * q ** np.arange(n, dtype=np.float64)
    return out / out.sum()


def loadblind_geometric_gap(values: Sequence[int] | NDArray[np.int64], probs: Sequence[float] | FloatArray,
                            workers: int, slots: int, mean_output: float, drift: int = 1,
                            step: int | None = None) -> float:
    """E[Imb(k)] = G·(E[max_g L_g] − E[L_1]) for a load-blind, output-blind, slot-filling policy with
    i.i.d. geometric outputs of mean o (stationary, or at step k = ``step``), R ≥ G·B: the loads
    L_g = P_g + δ·A_g are i.i.d. across workers, P_g a sum of B prompts, A_g an independent sum of B
    i.i.d. ages (:func:`geometric_age_pmf`); computed by convolution (tokens, float round-off only)."""
    if drift < 0 or int(drift) != drift:
        raise ValueError(f"drift must be a non-negative integer here, got {drift}")
    pmf_p = block_sum_pmf(values, probs, slots)
    age = geometric_age_pmf(mean_output, step)
    a1 = np.zeros(drift * (age.size - 1) + 1) if drift > 0 else np.array([1.0])
    if drift > 0:
        a1[:: drift] = age
    from scipy.signal import fftconvolve

    def conv(x: FloatArray, y: FloatArray) -> FloatArray:
        # direct for small sizes; FFT (round-off ~1e-16, clipped at 0) beyond
        return np.convolve(x, y) if x.size * y.size <= 2e6 else np.clip(fftconvolve(x, y), 0.0, None)

    pmf_a = np.array([1.0])
    for _ in range(slots):
        pmf_a = conv(pmf_a, a1)
    pmf = conv(pmf_p, pmf_a)
    pmf = pmf / pmf.sum()
    cdf = np.clip(np.cumsum(pmf), 0.0, 1.0)
    e_max = float(np.sum(1.0 - cdf[:-1] ** workers))
    mean = float(np.dot(np.arange(pmf.size), pmf))
    return workers * (e_max - mean)
