"""Output-length predictions ô: what a policy is told about o (it never sees o itself).

Modes (see :func:`apply_predictions`):

- ``"exact"``: ô_i = o_i.
- ``"noisy"``: multiplicative noise, ô_i = max(1, rint(o_i · U_i)), U_i ~ U[1 − δ₋, 1 + δ₊] i.i.d.,
  the model of the paper authors' simulator (``o_est``).
- ``"none"``: no prediction (policies that need one must refuse, or use H = 0).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lbtheory.errors import ConfigError
from lbtheory.workloads.base import IntArray, Workload
from lbtheory.workloads.generators import check_real, check_rng

__all__ = ["PREDICTION_MODES", "apply_predictions", "exact", "multiplicative_noise", "none"]

PREDICTION_MODES: tuple[str, ...] = ("exact", "noisy", "none")
"""The modes :func:`apply_predictions` accepts."""


def _outputs(o: ArrayLike) -> IntArray:
    a = np.asarray(o)
    if a.ndim != 1 or a.size == 0:
        raise ConfigError(f"output lengths must be a non-empty 1-D array, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        raise ConfigError(f"output lengths must be integers, got dtype {a.dtype}")
    out = a.astype(np.int64)
    if np.any(out < 1):
        i = int(np.flatnonzero(out < 1)[0])
        raise ConfigError(f"output lengths must be >= 1; entry {i} is {out[i]}")
    return out


def exact(o: ArrayLike) -> IntArray:
    """ô = o (a copy)."""
    return _outputs(o).copy()


def multiplicative_noise(
    o: ArrayLike, rng: np.random.Generator, delta_minus: float, delta_plus: float
) -> IntArray:
    """ô_i = max(1, rint(o_i · U_i)) with U_i ~ U[1 − δ₋, 1 + δ₊] i.i.d.

    δ₋ = delta_minus in [0, 1] (under-prediction by at most a factor 1 − δ₋), δ₊ = delta_plus >= 0.
    δ₋ = δ₊ = 0 gives ô = o and still consumes n uniform draws (so seeds stay aligned across δ).
    """
    out = _outputs(o)
    check_rng(rng)
    dm = check_real("delta_minus", delta_minus, low=0.0, high=1.0)
    dp = check_real("delta_plus", delta_plus, low=0.0)
    u = rng.uniform(1.0 - dm, 1.0 + dp, size=out.size)
    return np.maximum(1, np.rint(out * u)).astype(np.int64)


def none(o: ArrayLike) -> IntArray | None:
    """No prediction: always None (policies see ô = None). Typed like :func:`exact` so the
    predictors are interchangeable."""
    _outputs(o)
    return None


def apply_predictions(
    workload: Workload,
    mode: str,
    rng: np.random.Generator | None = None,
    delta: float | tuple[float, float] | None = None,
) -> Workload:
    """A copy of ``workload`` whose policies see predictions made by ``mode``.

    mode: ``"exact"`` (ô = o), ``"noisy"`` (:func:`multiplicative_noise`; needs ``rng`` and
    ``delta``, either δ for the symmetric U[1 − δ, 1 + δ] or a pair (δ₋, δ₊)), or ``"none"`` (ô =
    None). The mode and δ are recorded in ``meta["predictions"]``.
    """
    o = workload.output_tokens
    info: dict[str, object] = {"mode": mode}
    if mode == "exact":
        pred: IntArray | None = exact(o)
    elif mode == "none":
        pred = none(o)
    elif mode == "noisy":
        if rng is None:
            raise ConfigError("mode 'noisy' needs an rng (numpy.random.Generator)")
        if delta is None:
            raise ConfigError("mode 'noisy' needs delta: δ or a pair (δ₋, δ₊)")
        if isinstance(delta, tuple | list):
            if len(delta) != 2:
                raise ConfigError(f"delta must be a number or a pair (δ₋, δ₊), got {delta!r}")
            dm, dp = delta
        else:
            dm = dp = delta
        pred = multiplicative_noise(o, rng, dm, dp)
        info["delta_minus"] = float(dm)
        info["delta_plus"] = float(dp)
    else:
        raise ConfigError(
            f"unknown prediction mode {mode!r}; valid modes: {', '.join(PREDICTION_MODES)}"
        )
    out = workload.with_predictions(pred)
    out.meta["predictions"] = info
    return out
