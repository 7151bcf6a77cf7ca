"""Pricing a schedule's energy under r = P_wait/P_busy, the smallest r at which a saving passes a target, and
the theory ceiling on that saving (an adapter over ``lbtheory.theory``).

**Worker-time totals.** A run of K steps with loads L_g(k) under Δt_k = C + t·max_g L_g(k) has busy and
waiting worker-time (s)

    Σb = K·G·C + t·Σ_k Σ_g L_g(k),        Σw = t·Σ_k (G·max_g L_g(k) − Σ_g L_g(k)),

and, with constant powers, E = P_busy·Σb + P_wait·Σw = P_busy·(Σb + r·Σw). Only r matters for a saving.

**Saving per generated token** of a policy p over a baseline f, with n tokens each:

    S(r) = 1 − [(Σb_p + r·Σw_p)/n_p] / [(Σb_f + r·Σw_f)/n_f],

a ratio of linear functions of r, hence monotone in r. Writing a = Σb/n and w = Σw/n,
S(r) > s  ⇔  r·(w_p − (1 − s)·w_f) < (1 − s)·a_f − a_p, so the smallest r in [r_lo, r_hi] at which S passes s
is found in closed form (:func:`smallest_r`), never on a grid.

**Theory ceiling.** For a load-blind policy (FCFS) under the hypotheses of ``loadblind_upper`` (saturated pool,
R ≥ G·B, i.i.d. bounded prompts, every output equal to o), E[Imb(k)] ≤ U. The idle worker-time share
x = t·Imb/(G·(C + t·M) + t·Imb), M = Bμ_s + A the mean load (A the common age sum, B·(o − 1)/2 on average),
is concave and increasing in Imb, so by Jensen

    E[x] ≤ x_U = t·U / (G·(C + t·M) + t·U),    i.e. ι_U = U/(G·M + U), θ_U = t(M + U/G)/(C + t(M + U/G)),

x_U = θ_U·ι_U. Removing all barrier idle saves ``energy_saving_spin`` = x·r/((1 − x) + x·r) at most, and a
policy that keeps the busy worker-time saves no more than that, so

    S_ceiling(r) = x_U·r / ((1 − x_U) + x_U·r),   and 52% needs  r > s·(1 − x_U)/(x_U·(1 − s)).

When that r exceeds 1, theory alone rules the target out. (``lbtheory.theory`` is used unchanged: U from its
``loadblind_upper`` evaluator, the saving from its ``energy_saving_spin`` expression.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lbtheory.errors import ConfigError
from lbtheory.model import StepTimeModel


@dataclass(frozen=True)
class LoadSums:
    """What pricing a (K, G) load matrix needs (tokens): K, G, Σ_k Σ_g L, Σ_k max_g L, and the tokens
    generated (Σ_k active requests)."""

    steps: int
    workers: int
    load_sum: float
    max_sum: float
    tokens: int

    def __post_init__(self) -> None:
        if self.steps < 0 or self.workers < 1 or self.tokens < 0:
            raise ConfigError(f"LoadSums: need steps >= 0, workers >= 1, tokens >= 0, got {self}")
        if self.load_sum < 0 or self.workers * self.max_sum < self.load_sum * (1 - 1e-12):
            raise ConfigError("LoadSums: need 0 <= load_sum <= G * max_sum")

    @classmethod
    def of(cls, loads: ArrayLike, tokens: int) -> LoadSums:
        L = np.asarray(loads, dtype=np.float64)
        if L.ndim != 2 or L.shape[1] == 0:
            raise ConfigError(f"loads must be a (K, G) matrix with G >= 1, got shape {L.shape}")
        mx = float(L.max(axis=1).sum()) if L.shape[0] else 0.0
        return cls(int(L.shape[0]), int(L.shape[1]), float(L.sum()), mx, int(tokens))

    def worker_seconds(self, step_time: StepTimeModel) -> WorkerTime:
        """Σb = K·G·C + t·ΣL and Σw = t·(G·Σmax − ΣL) (s), with the tokens."""
        busy = self.steps * self.workers * step_time.step_overhead_s + step_time.token_time_s * self.load_sum
        wait = step_time.token_time_s * max(self.workers * self.max_sum - self.load_sum, 0.0)
        return WorkerTime(busy, wait, self.tokens)


@dataclass(frozen=True)
class WorkerTime:
    """Busy and waiting worker-time (s) of a run, and its generated tokens."""

    busy_s: float
    wait_s: float
    tokens: int

    def __post_init__(self) -> None:
        if not (self.busy_s >= 0 and self.wait_s >= 0 and self.tokens > 0):
            raise ConfigError(f"WorkerTime: need busy_s >= 0, wait_s >= 0, tokens > 0, got {self}")

    def energy_j(self, busy_w: float, r: float) -> float:
        """E = P_busy·(Σb + r·Σw) (J)."""
        return busy_w * (self.busy_s + r * self.wait_s)

    def idle_share(self) -> float:
        """x = Σw/(Σb + Σw), the share of worker-time spent waiting."""
        tot = self.busy_s + self.wait_s
        return self.wait_s / tot if tot > 0 else 0.0


def _r(r: float) -> float:
    if isinstance(r, bool) or not isinstance(r, int | float) or not (math.isfinite(r) and r >= 0):
        raise ConfigError(f"r = P_wait/P_busy must be a finite number >= 0, got {r!r}")
    return float(r)


def saving(policy: WorkerTime, base: WorkerTime, r: float) -> float:
    """S(r) = 1 − [(Σb_p + rΣw_p)/n_p]/[(Σb_f + rΣw_f)/n_f], per generated token (dimensionless)."""
    r = _r(r)
    num = (policy.busy_s + r * policy.wait_s) / policy.tokens
    den = (base.busy_s + r * base.wait_s) / base.tokens
    if den <= 0:
        raise ConfigError("the baseline's energy is zero")
    return 1.0 - num / den


def smallest_r(policy: WorkerTime, base: WorkerTime, target: float, r_lo: float = 0.1,
               r_hi: float = 1.0) -> float | None:
    """inf{r ∈ [r_lo, r_hi] : S(r) > target}, in closed form; None if S(r) ≤ target on the whole interval.

    With a = Σb/n, w = Σw/n: S(r) > s ⇔ r·β < α, α = (1 − s)a_f − a_p, β = w_p − (1 − s)w_f.
    β < 0: holds for r > α/β; β > 0: for r < α/β; β = 0: everywhere iff α > 0.
    """
    s = float(target)
    if not 0 <= s < 1:
        raise ConfigError(f"target saving must be in [0, 1), got {target}")
    r_lo, r_hi = _r(r_lo), _r(r_hi)
    if r_lo > r_hi:
        raise ConfigError(f"need r_lo <= r_hi, got {r_lo} > {r_hi}")
    a_p, w_p = policy.busy_s / policy.tokens, policy.wait_s / policy.tokens
    a_f, w_f = base.busy_s / base.tokens, base.wait_s / base.tokens
    alpha = (1 - s) * a_f - a_p
    beta = w_p - (1 - s) * w_f
    if beta == 0:
        return r_lo if alpha > 0 else None
    root = alpha / beta
    if beta < 0:  # S increasing in r: passes above the root
        if root >= r_hi:
            return None
        return max(root, r_lo)
    # S decreasing in r: passes below the root
    return r_lo if root > r_lo else None


# ------------------------------------------------------------------------------------ theory ceiling


@dataclass(frozen=True)
class CeilingInputs:
    """The hypotheses' parameters: G, B, prompts i.i.d. on [s_min, s_max] with mean μ_s and s.d. σ_s, every
    output equal to o (so the mean age sum is A = B·(o − 1)/2), and the step time."""

    workers: int
    slots: int
    s_min: float
    s_max: float
    mu_s: float
    sigma_s: float
    output: float
    step_time: StepTimeModel

    def __post_init__(self) -> None:
        if self.workers < 2 or self.slots < 1:
            raise ConfigError("ceiling needs G >= 2 and B >= 1")
        if not 0 < self.s_min <= self.mu_s <= self.s_max or self.sigma_s < 0 or self.output < 1:
            raise ConfigError("ceiling needs 0 < s_min <= mu_s <= s_max, sigma_s >= 0, o >= 1")

    @property
    def age_sum(self) -> float:
        """A = B·(o − 1)/2 tokens (the mean over a cycle of the common age sum)."""
        return self.slots * (self.output - 1) / 2


def loadblind_imbalance_bound(c: CeilingInputs) -> float:
    """U, from ``lbtheory.theory``'s registered ``loadblind_upper`` evaluator (tokens)."""
    from lbtheory.theory.evaluate import get

    return get("loadblind_upper").value({"G": c.workers, "B": c.slots, "sigma_s": c.sigma_s,
                                         "s_min": c.s_min, "s_max": c.s_max})


def ceiling_theta_iota(c: CeilingInputs) -> tuple[float, float]:
    """(θ_U, ι_U): ι_U = U/(G·M + U), θ_U = t(M + U/G)/(C + t(M + U/G)), M = Bμ_s + A."""
    U = loadblind_imbalance_bound(c)
    M = c.slots * c.mu_s + c.age_sum
    iota = U / (c.workers * M + U)
    ml = M + U / c.workers
    st = c.step_time
    theta = st.token_time_s * ml / (st.step_overhead_s + st.token_time_s * ml)
    return theta, iota


def ceiling_saving(c: CeilingInputs, r: float) -> float:
    """S_ceiling(r): ``lbtheory.theory``'s ``energy_saving_spin`` at θ_U, ι_U, P_busy = 1, P_wait = r."""
    from lbtheory.theory.evaluate import get

    theta, iota = ceiling_theta_iota(c)
    r = _r(r)
    if r == 0:
        return 0.0
    return get("energy_saving_spin").value({"theta": theta, "iota": iota, "P_busy": 1.0, "P_wait": r})


def ceiling_smallest_r(x_ceiling: float, target: float) -> float:
    """The r at which x·r/((1 − x) + x·r) = s: r* = s(1 − x)/(x(1 − s)) (inf if x = 0). Above 1: ruled out."""
    x, s = float(x_ceiling), float(target)
    if not 0 <= x < 1 or not 0 <= s < 1:
        raise ConfigError(f"need x in [0, 1) and target in [0, 1), got {x}, {s}")
    return math.inf if x == 0 else s * (1 - x) / (x * (1 - s))
