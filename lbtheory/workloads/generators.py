"""Synthetic request-length generators.

Each generator is a pure function of ``(n_requests, rng)`` plus keyword parameters: it draws from
the explicit ``numpy.random.Generator`` it is given (never from global state) and returns a
:class:`~lbtheory.workloads.base.Workload` with no arrival times (the saturated pool) and no
predictions. The same seed gives the same workload.

Lengths are tokens. Unless stated otherwise a continuous draw X > 0 becomes the integer length
max(1, rint(X)) (``rint`` rounds half to even).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lbtheory.errors import ConfigError
from lbtheory.workloads.base import FloatArray, IntArray, Workload

__all__ = ["bimodal", "lognormal", "pareto", "synthetic", "uniform"]


# --------------------------------------------------------------------------- validation helpers


def check_n_requests(n_requests: object) -> int:
    """n_requests as an int >= 1, or ConfigError naming the value."""
    if isinstance(n_requests, bool) or not isinstance(n_requests, int | np.integer):
        raise ConfigError(f"n_requests must be an integer >= 1, got {n_requests!r}")
    if n_requests < 1:
        raise ConfigError(f"n_requests must be >= 1, got {n_requests}")
    return int(n_requests)


def check_rng(rng: object) -> np.random.Generator:
    """rng itself if it is a numpy Generator (explicit seeding only), else ConfigError."""
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(
            f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_real(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """value as a finite float inside the stated bounds, else ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ConfigError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        op = ">" if low_open else ">="
        raise ConfigError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (v > high or (high_open and v == high)):
        op = "<" if high_open else "<="
        raise ConfigError(f"{name} must be {op} {high}, got {value!r}")
    return v


def _check_range(name: str, value: object) -> tuple[int, int]:
    """An inclusive integer range (lo, hi) with 1 <= lo <= hi."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ConfigError(f"{name} must be a pair (lo, hi) of integers, got {value!r}")
    lo, hi = value
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise ConfigError(f"{name} must be a pair (lo, hi) of integers, got {value!r}")
    if not 1 <= lo <= hi:
        raise ConfigError(f"{name} must satisfy 1 <= lo <= hi, got {value!r}")
    return int(lo), int(hi)


def to_tokens(x: FloatArray) -> IntArray:
    """Continuous lengths to integer tokens: max(1, rint(x))."""
    return np.maximum(1, np.rint(x)).astype(np.int64)


# --------------------------------------------------------------------------- generators


def synthetic(
    n_requests: int,
    rng: np.random.Generator,
    *,
    prompt_mean: float = 3200.0,
    prompt_sd: float = 2600.0,
    output_mean: float = 1200.0,
    output_sd: float = 700.0,
    correlation: float = -0.1,
) -> Workload:
    """The paper authors' synthetic workload: a truncated, rounded bivariate normal.

    (X_s, X_o) ~ N(μ, Σ),  μ = (prompt_mean, output_mean),
    Σ = [[σ_s², ρ σ_s σ_o], [ρ σ_s σ_o, σ_o²]],  σ = (prompt_sd, output_sd),  ρ = correlation
    (defaults μ = (3200, 1200), σ = (2600, 700), ρ = −0.1). A draw is kept iff rint(X_s) >= 1 and
    rint(X_o) >= 1; rejected draws are redrawn (vectorised, in batches); then s = rint(X_s) and
    o = rint(X_o). So (s, o) is the rounded normal *conditioned on* X_s > 1/2 and X_o > 1/2, whose
    means exceed μ: with the defaults about 11% of prompt draws and 4% of output draws fall below
    1/2 (15% of pairs are redrawn), and E[s] ≈ 3727, E[o] ≈ 1255, not 3200 and 1200
    (E[X_s | X_s > 1/2, X_o > 1/2] by quadrature; the test suite recomputes it).

    The authors' generator (Echoscd/Load-Balancing-Release, ``generate_requests``) keeps draws with
    X > 0 and then rounds, so it can emit lengths of 0; ours never does.
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    ms = check_real("prompt_mean", prompt_mean)
    ss = check_real("prompt_sd", prompt_sd, low=0.0, low_open=True)
    mo = check_real("output_mean", output_mean)
    so = check_real("output_sd", output_sd, low=0.0, low_open=True)
    rho = check_real("correlation", correlation, low=-1.0, high=1.0, low_open=True, high_open=True)
    # Acceptance probability must not be negligible, or rejection would never finish.
    p_s = 0.5 * math.erfc(-(ms - 0.5) / (ss * math.sqrt(2.0)))
    p_o = 0.5 * math.erfc(-(mo - 0.5) / (so * math.sqrt(2.0)))
    if min(p_s, p_o) < 1e-3:
        bad = "prompt_mean" if p_s < p_o else "output_mean"
        val = ms if p_s < p_o else mo
        raise ConfigError(
            f"{bad}={val} leaves under 0.1% of draws >= 1 token; "
            "rejection sampling would not finish"
        )
    chol = np.array([[ss, 0.0], [rho * so, so * math.sqrt(1.0 - rho * rho)]])
    mu = np.array([ms, mo])
    s = np.empty(n, dtype=np.int64)
    o = np.empty(n, dtype=np.int64)
    filled = 0
    while filled < n:
        need = n - filled
        batch = min(int(need / max(p_s * p_o, 0.05) * 1.1) + 16, 1 << 21)
        x = np.rint(rng.standard_normal((batch, 2)) @ chol.T + mu)
        x = x[(x[:, 0] >= 1) & (x[:, 1] >= 1)][:need]
        s[filled : filled + x.shape[0]] = x[:, 0]
        o[filled : filled + x.shape[0]] = x[:, 1]
        filled += x.shape[0]
    return Workload(
        s,
        o,
        name="synthetic",
        meta={
            "generator": "synthetic",
            "params": {
                "prompt_mean": ms,
                "prompt_sd": ss,
                "output_mean": mo,
                "output_sd": so,
                "correlation": rho,
            },
        },
    )


def uniform(
    n_requests: int,
    rng: np.random.Generator,
    *,
    prompt: tuple[int, int] = (128, 4096),
    output: tuple[int, int] = (32, 1024),
) -> Workload:
    """I.i.d. discrete uniform lengths, s and o independent.

    s ~ U{lo_s, ..., hi_s} and o ~ U{lo_o, ..., hi_o} (both ends included; prompt = (lo_s, hi_s),
    output = (lo_o, hi_o), 1 <= lo <= hi).
    E[s] = (lo_s + hi_s)/2,  Var[s] = ((hi_s − lo_s + 1)² − 1)/12.
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    ps = _check_range("prompt", prompt)
    po = _check_range("output", output)
    s = rng.integers(ps[0], ps[1], size=n, endpoint=True, dtype=np.int64)
    o = rng.integers(po[0], po[1], size=n, endpoint=True, dtype=np.int64)
    return Workload(
        s,
        o,
        name="uniform",
        meta={"generator": "uniform", "params": {"prompt": list(ps), "output": list(po)}},
    )


def lognormal(
    n_requests: int,
    rng: np.random.Generator,
    *,
    prompt_median: float = 1024.0,
    prompt_sigma: float = 1.0,
    output_median: float = 256.0,
    output_sigma: float = 1.0,
    correlation: float = 0.0,
) -> Workload:
    """Log-normal lengths, optionally correlated on the log scale.

    (log X_s, log X_o) ~ N((log m_s, log m_o), [[σ_s², ρ σ_s σ_o], [ρ σ_s σ_o, σ_o²]]) with medians
    m = prompt_median, output_median, log-sds σ = prompt_sigma, output_sigma and ρ = correlation;
    s = max(1, rint(X_s)), o = max(1, rint(X_o)). E[X] = m·exp(σ²/2) (rounding changes it by well
    under a token when m >> 1).
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    ms = check_real("prompt_median", prompt_median, low=0.0, low_open=True)
    ss = check_real("prompt_sigma", prompt_sigma, low=0.0)
    mo = check_real("output_median", output_median, low=0.0, low_open=True)
    so = check_real("output_sigma", output_sigma, low=0.0)
    rho = check_real("correlation", correlation, low=-1.0, high=1.0)
    z = rng.standard_normal((n, 2))
    z1 = z[:, 0]
    z2 = rho * z[:, 0] + math.sqrt(max(0.0, 1.0 - rho * rho)) * z[:, 1]
    s = to_tokens(ms * np.exp(ss * z1))
    o = to_tokens(mo * np.exp(so * z2))
    return Workload(
        s,
        o,
        name="lognormal",
        meta={
            "generator": "lognormal",
            "params": {
                "prompt_median": ms,
                "prompt_sigma": ss,
                "output_median": mo,
                "output_sigma": so,
                "correlation": rho,
            },
        },
    )


def bounded_pareto_draw(
    rng: np.random.Generator, size: int, alpha: float, x_min: float, x_max: float
) -> FloatArray:
    """Draws of the Pareto law with shape α truncated to [x_min, x_max] (inverse-CDF method).

    F(x) = (1 − (x_min/x)^α) / (1 − (x_min/x_max)^α) on [x_min, x_max], so with U ~ U[0, 1),
    X = x_min · (1 − U·(1 − (x_min/x_max)^α))^(−1/α).
    """
    u = rng.random(size)
    r = (x_min / x_max) ** alpha
    out: FloatArray = x_min * (1.0 - u * (1.0 - r)) ** (-1.0 / alpha)
    return np.minimum(out, x_max)


def pareto(
    n_requests: int,
    rng: np.random.Generator,
    *,
    prompt_alpha: float = 1.5,
    prompt_min: int = 64,
    prompt_max: int = 32768,
    output_alpha: float = 1.5,
    output_min: int = 16,
    output_max: int = 8192,
) -> Workload:
    """I.i.d. bounded (truncated) Pareto lengths, s and o independent.

    X ~ Pareto(α) truncated to [x_min, x_max], with r = (x_min/x_max)^α:
        density  f(x) = α x_min^α x^(−α−1) / (1 − r),
        drawn as X = x_min · (1 − U·(1 − r))^(−1/α),  U ~ U[0, 1),
        mean     E[X] = α x_min^α (x_max^(1−α) − x_min^(1−α)) / ((1 − α)(1 − r))  (α != 1);
    then s = rint(X) lies in [x_min, x_max].
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    a_s = check_real("prompt_alpha", prompt_alpha, low=0.0, low_open=True)
    a_o = check_real("output_alpha", output_alpha, low=0.0, low_open=True)
    lo_s, hi_s = _check_range("(prompt_min, prompt_max)", (prompt_min, prompt_max))
    lo_o, hi_o = _check_range("(output_min, output_max)", (output_min, output_max))
    s = to_tokens(bounded_pareto_draw(rng, n, a_s, lo_s, hi_s))
    o = to_tokens(bounded_pareto_draw(rng, n, a_o, lo_o, hi_o))
    return Workload(
        s,
        o,
        name="pareto",
        meta={
            "generator": "pareto",
            "params": {
                "prompt_alpha": a_s,
                "prompt_min": lo_s,
                "prompt_max": hi_s,
                "output_alpha": a_o,
                "output_min": lo_o,
                "output_max": hi_o,
            },
        },
    )


def bimodal(
    n_requests: int,
    rng: np.random.Generator,
    *,
    long_fraction: float = 0.2,
    short_prompt_median: float = 512.0,
    short_prompt_sigma: float = 0.8,
    long_prompt_median: float = 16384.0,
    long_prompt_sigma: float = 0.5,
    output_median: float = 256.0,
    output_sigma: float = 0.8,
) -> Workload:
    """A mixture of short chat prompts and long-context prompts.

    Each request is independently long with probability π = long_fraction (C_i ~ Bernoulli(π)).
    log X_s ~ N(log m_long, σ_long²) if long, else N(log m_short, σ_short²); the output is
    log X_o ~ N(log m_o, σ_o²) for both kinds, independent of the prompt. s = max(1, rint(X_s)),
    o = max(1, rint(X_o)). E[X_s] = π m_long e^(σ_long²/2) + (1 − π) m_short e^(σ_short²/2).
    The kinds are recorded in ``meta["n_long"]``.
    """
    n = check_n_requests(n_requests)
    check_rng(rng)
    pi = check_real("long_fraction", long_fraction, low=0.0, high=1.0)
    m_sh = check_real("short_prompt_median", short_prompt_median, low=0.0, low_open=True)
    s_sh = check_real("short_prompt_sigma", short_prompt_sigma, low=0.0)
    m_lo = check_real("long_prompt_median", long_prompt_median, low=0.0, low_open=True)
    s_lo = check_real("long_prompt_sigma", long_prompt_sigma, low=0.0)
    m_o = check_real("output_median", output_median, low=0.0, low_open=True)
    s_o = check_real("output_sigma", output_sigma, low=0.0)
    is_long = rng.random(n) < pi
    z = rng.standard_normal((n, 2))
    log_s = np.where(is_long, math.log(m_lo) + s_lo * z[:, 0], math.log(m_sh) + s_sh * z[:, 0])
    s = to_tokens(np.exp(log_s))
    o = to_tokens(m_o * np.exp(s_o * z[:, 1]))
    return Workload(
        s,
        o,
        name="bimodal",
        meta={
            "generator": "bimodal",
            "n_long": int(is_long.sum()),
            "params": {
                "long_fraction": pi,
                "short_prompt_median": m_sh,
                "short_prompt_sigma": s_sh,
                "long_prompt_median": m_lo,
                "long_prompt_sigma": s_lo,
                "output_median": m_o,
                "output_sigma": s_o,
            },
        },
    )
