"""Power curves and the energy of a run, as small pure functions (units in every name).

The paper's curve: P(u) = P_idle + (P_max − P_idle) · min(1, u/u_sat)^γ, with the reference's utilisation
u_g(k) = L_g(k) / max_h L_h(k): the straggler runs flat out, a worker with nothing to do draws P_idle.
Energy: E = Σ_k Σ_g P(u_g(k)) · Δt_k (J), plus G · P_idle for time with nothing to run (open loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lbtheory.errors import ConfigError


@dataclass(frozen=True)
class PowerCurve:
    """P(u) = P_idle + (P_max − P_idle) · min(1, u/u_sat)^γ (W).

    Attributes:
        idle_w: P_idle, the draw of a card with a model loaded and nothing to do (W).
        max_w: P_max, the draw at full utilisation (W).
        gamma: γ > 0, the curve's exponent (γ < 1: concave, as measured on GPUs).
        u_sat: the utilisation at which the card reaches P_max (default 1).
    """

    idle_w: float
    max_w: float
    gamma: float
    u_sat: float = 1.0

    def __post_init__(self) -> None:
        for name in ("idle_w", "max_w", "gamma", "u_sat"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not math.isfinite(v):
                raise ConfigError(f"PowerCurve.{name} must be a finite number, got {v!r}")
        if self.idle_w < 0:
            raise ConfigError(f"PowerCurve.idle_w must be >= 0 W, got {self.idle_w}")
        if self.max_w < self.idle_w:
            raise ConfigError(f"PowerCurve.max_w ({self.max_w} W) must be >= idle_w ({self.idle_w} W)")
        if self.gamma <= 0:
            raise ConfigError(f"PowerCurve.gamma must be > 0, got {self.gamma}")
        if self.u_sat <= 0:
            raise ConfigError(f"PowerCurve.u_sat must be > 0, got {self.u_sat}")

    @classmethod
    def paper(cls) -> PowerCurve:
        """The authors' A100-class curve: 100 + 300 · u^0.7 W."""
        return cls(idle_w=100.0, max_w=400.0, gamma=0.7)

    def power_w(self, utilisation: ArrayLike) -> NDArray[np.float64]:
        """P(u) in watts, elementwise (u clipped to [0, u_sat])."""
        u = np.clip(np.asarray(utilisation, dtype=np.float64) / self.u_sat, 0.0, 1.0)
        return self.idle_w + (self.max_w - self.idle_w) * u**self.gamma


def step_energy_j(
    loads: NDArray[np.int64], dt_s: NDArray[np.float64], curve: PowerCurve
) -> NDArray[np.float64]:
    """E_k = Δt_k · Σ_g P(L_g(k) / max_h L_h(k)) for each step (J); ``loads`` is (K, G)."""
    loads_f = loads.astype(np.float64)
    mx = loads_f.max(axis=1, keepdims=True)
    u = np.divide(loads_f, mx, out=np.zeros_like(loads_f), where=mx > 0)
    return dt_s * curve.power_w(u).sum(axis=1)


def idle_energy_j(workers: int, idle_s: float, curve: PowerCurve) -> float:
    """G · P_idle · (time with nothing to run) (J)."""
    return workers * curve.idle_w * idle_s
