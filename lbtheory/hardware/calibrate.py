"""Analysis of a GPU calibration run (``experiments/gpu_calibrate.py``): pure functions on recorded samples.

Nothing here touches a GPU; CI tests it on samples drawn from a known model.

1. **Attention time.** Samples (batch B, resident KV tokens L, seconds τ) of one decode attention layer are
   fitted by least squares to

       τ = C + t·L                                                     (C s, t s/token)

   with R² = 1 − Σ(τ − τ̂)²/Σ(τ − τ̄)². (The batch enters through L = Σ of the batch's KV lengths; the fit also
   reports the per-sequence slope c_B of τ = C₀ + c_B·B + t·L to show whether B matters beyond L.)
2. **Power.** Board-power samples (W) in named states — ``idle`` (a context, nothing running), ``spin_k`` (a
   kernel polling memory on k thread blocks, as collectives do while they wait) and ``decode_u`` (memory-bound
   decode at load fraction u) — give P_idle, P_spin(k), P(u) fitted to the paper's curve
   P(u) = P_idle + (P_max − P_idle)·u^γ, and the ratios r_k = P_spin(k)/P_busy with P_busy = P(u = 1).
3. **Profile.** :func:`measured_profile` assembles ``profiles/<card>-measured.json``: the fits, the raw
   samples' summaries (n, mean, s.d., min, max) and provenance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from lbtheory.errors import ConfigError


@dataclass(frozen=True)
class LinearFit:
    """τ = C + t·L (and optionally + c_B·B), with R² (dimensionless) and the sample count."""

    step_overhead_s: float
    token_time_s: float
    r_squared: float
    samples: int
    per_sequence_s: float = 0.0


def _arr(name: str, x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise ConfigError(f"{name} must be a non-empty 1-D array of finite numbers")
    return a


def fit_attention_time(kv_tokens: ArrayLike, seconds: ArrayLike, batch: ArrayLike | None = None) -> LinearFit:
    """Least-squares τ = C + t·L (+ c_B·B when ``batch`` is given); R² of that fit."""
    L, y = _arr("kv_tokens", kv_tokens), _arr("seconds", seconds)
    if L.size != y.size:
        raise ConfigError(f"kv_tokens and seconds differ in length ({L.size} vs {y.size})")
    cols = [np.ones_like(L), L]
    if batch is not None:
        b = _arr("batch", batch)
        if b.size != L.size:
            raise ConfigError("batch must have the same length as kv_tokens")
        cols.append(b)
    X = np.column_stack(cols)
    if L.size < X.shape[1] + 1 or np.linalg.matrix_rank(X) < X.shape[1]:
        raise ConfigError("too few distinct samples to fit")
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return LinearFit(float(coef[0]), float(coef[1]), r2, int(L.size),
                     float(coef[2]) if batch is not None else 0.0)


@dataclass(frozen=True)
class PowerFit:
    """P(u) = P_idle + (P_max − P_idle)·u^γ fitted to decode samples, and the spin ratios."""

    idle_w: float
    max_w: float
    gamma: float
    busy_w: float
    spin_w: Mapping[int, float]
    wait_ratio: Mapping[int, float]
    rmse_w: float


def summary(x: ArrayLike) -> dict[str, float]:
    """n, mean, s.d. (ddof 1), min, max of samples."""
    a = _arr("samples", x)
    return {"n": int(a.size), "mean": float(a.mean()), "sd": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max())}


def fit_power(idle_w: ArrayLike, decode: Mapping[float, ArrayLike], spin: Mapping[int, ArrayLike]) -> PowerFit:
    """Fit the paper's curve to decode power at load fractions u ∈ (0, 1] (γ by a bounded 1-D search,
    P_max by least squares for each γ), P_idle from the idle samples; spin power per k; r_k = P_spin(k)/P(1)."""
    p0 = float(_arr("idle_w", idle_w).mean())
    if not decode or any(not 0 < u <= 1 for u in decode):
        raise ConfigError("decode samples need load fractions u in (0, 1]")
    us = np.concatenate([np.full(len(np.atleast_1d(v)), float(u)) for u, v in decode.items()])
    ps = np.concatenate([_arr(f"decode[{u}]", v) for u, v in decode.items()])
    if len(set(us.tolist())) < 2:
        raise ConfigError("need decode samples at two or more load fractions")

    def fit_for(g: float) -> tuple[float, float]:
        z = us**g
        amp = float((z * (ps - p0)).sum() / (z * z).sum())
        return amp, float(np.sqrt(((ps - p0 - amp * z) ** 2).mean()))

    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda g: fit_for(g)[1], bounds=(0.05, 3.0), method="bounded",
                          options={"xatol": 1e-6})
    g = float(res.x)
    amp, rmse = fit_for(g)
    busy = p0 + amp
    spin_w = {int(k): float(_arr(f"spin[{k}]", v).mean()) for k, v in spin.items()}
    if busy <= 0:
        raise ConfigError("fitted busy power is not positive")
    return PowerFit(p0, busy, g, busy, spin_w, {k: v / busy for k, v in spin_w.items()}, rmse)


def measured_profile(card: str, device_name: str, attention: Mapping[str, LinearFit], power: PowerFit,
                     raw: Mapping[str, Any], provenance: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object of ``profiles/<card>-measured.json`` (kind 'measured' throughout)."""
    if not card or any(ch in card for ch in "/\\ "):
        raise ConfigError(f"card name must be a plain word, got {card!r}")
    for name, f in attention.items():
        if not (math.isfinite(f.token_time_s) and f.token_time_s > 0):
            raise ConfigError(f"attention fit {name!r}: t must be > 0, got {f.token_time_s}")
    ratios = sorted(power.wait_ratio.items())
    return {
        "name": f"{card}-measured", "base_card": card, "device": device_name, "kind": "measured",
        "attention": {k: asdict(v) for k, v in attention.items()},
        "power": {"idle_w": power.idle_w, "max_w": power.max_w, "gamma": power.gamma, "busy_w": power.busy_w,
                  "rmse_w": power.rmse_w, "spin_w": {str(k): v for k, v in power.spin_w.items()},
                  "wait_ratio": {str(k): v for k, v in ratios},
                  "wait_ratio_range": [min(v for _, v in ratios), max(v for _, v in ratios)] if ratios else None},
        "raw_summary": dict(raw), "provenance": dict(provenance),
    }


def attention_kv_tokens(batch: int, context: int) -> int:
    """Resident KV tokens of a decode batch of ``batch`` sequences, each ``context`` tokens long: L = B·ctx."""
    if batch < 1 or context < 1:
        raise ConfigError("batch and context must be >= 1")
    return batch * context


def grid(batches: Sequence[int], contexts: Sequence[int]) -> list[tuple[int, int]]:
    """The (B, context) grid of the attention sweep."""
    return [(b, c) for b in batches for c in contexts]
