"""Energy of barrier-synchronised decode with an explicit barrier-wait power, and the saving of removing
barrier idle in closed form (numeric; the symbolic statements live in ``lbtheory.theory.bounds``).

Notation (spec/MODEL.md): K steps, G workers, loads L_g(k) (tokens), step time Δt_k = C + t·max_g L_g(k) (s).

**Worker-time model (ours).** In step k worker g computes for b_g(k) = C + t·L_g(k) seconds at P_busy and
waits w_g(k) = Δt_k − b_g(k) = t·(max_h L_h(k) − L_g(k)) seconds at P_wait (collectives spin while waiting, so
P_idle ≤ P_wait ≤ P_busy). The fixed part C is spent by every worker, empty or not (it is the all-to-all and
the expert layers, which every DP rank runs). Energy:

    E = Σ_k Σ_g [ b_g(k) · P_busy + w_g(k) · P_wait ]                                          (J)

P_busy may be a constant (W) or a :class:`~lbtheory.hardware.power.PowerCurve` evaluated at the worker's duty
u_g(k) = b_g(k)/Δt_k (then a worker that is busy for a short part of the step draws less while busy).

**Run aggregates.** ι = Σ_k Imb(k) / (G · Σ_k max L(k)) (token idle fraction, ratio of sums) and
θ = t·Σ_k max L(k) / (K·C + t·Σ_k max L(k)) (the load share of step time). The share of worker-time spent
waiting is x = θ·ι, exactly.

**Closed form (worker-time model).** The balanced counterfactual runs the same steps with the same total load,
each worker at Σ_g L_g(k)/G, so nobody waits and the busy worker-time is unchanged. Then, exactly,

    S = 1 − E_bal/E = x·P_wait / ((1 − x)·P_busy + x·P_wait),        x = θ·ι.

Between two schedules with the same busy worker-time and idle shares x₁ → x₂ (r = x/(1 − x)):

    S = 1 − (P_busy + P_wait·r₂) / (P_busy + P_wait·r₁).

Always S ≤ x ≤ ι when P_wait ≤ P_busy: **a saving above 52% needs more than 52% of worker-time idle.**

**Closed form (the paper's utilisation curve).** Each worker draws P(u_g), u_g = L_g/max L, for the whole step;
the balanced counterfactual draws P(1) = P_max for C + t·ΣL/G. Per step, for 0 < γ ≤ 1 and u_sat = 1:

    1 − (1 − θι)·P_max / (P_idle + (P_max − P_idle)(1 − ι))  ≤  S  ≤  1 − (1 − θι)·P_max / P(1 − ι)

(Jensen above, u^γ ≥ u below). These are per-step statements; the experiment computes run energies directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lbtheory.errors import ConfigError
from lbtheory.hardware.power import PowerCurve
from lbtheory.model import StepTimeModel


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class LogisticPowerCurve:
    """A logistic power curve normalised to pass through (0, P_idle) and (1, P_max) (W):

        σ(z) = 1 / (1 + e^(−z)),
        P(u) = P_idle + (P_max − P_idle) · [σ(k(u − u₀)) − σ(−k·u₀)] / [σ(k(1 − u₀)) − σ(−k·u₀)],

    with u clipped to [0, 1]. k > 0 sets the steepness, u₀ the utilisation of steepest rise.

    Attributes:
        idle_w: P_idle (W).
        max_w: P_max (W).
        steepness: k > 0 (dimensionless).
        midpoint: u₀ (dimensionless).
    """

    idle_w: float
    max_w: float
    steepness: float
    midpoint: float

    def __post_init__(self) -> None:
        for name in ("idle_w", "max_w", "steepness", "midpoint"):
            _finite(f"LogisticPowerCurve.{name}", getattr(self, name))
        if self.idle_w < 0:
            raise ConfigError(f"LogisticPowerCurve.idle_w must be >= 0 W, got {self.idle_w}")
        if self.max_w < self.idle_w:
            raise ConfigError(f"LogisticPowerCurve.max_w ({self.max_w} W) must be >= idle_w ({self.idle_w} W)")
        if self.steepness <= 0:
            raise ConfigError(f"LogisticPowerCurve.steepness must be > 0, got {self.steepness}")

    def power_w(self, utilisation: ArrayLike) -> NDArray[np.float64]:
        """P(u) in watts, elementwise (u clipped to [0, 1])."""
        u = np.clip(np.asarray(utilisation, dtype=np.float64), 0.0, 1.0)
        return logistic_power_w(u, self.idle_w, self.max_w, self.steepness, self.midpoint)


def logistic_power_w(u: ArrayLike, idle_w: float, max_w: float, steepness: float,
                     midpoint: float) -> NDArray[np.float64]:
    """The normalised logistic P(u) (W) of :class:`LogisticPowerCurve`, as a plain function (for fitting)."""
    u = np.asarray(u, dtype=np.float64)

    def sig(z: NDArray[np.float64] | float) -> NDArray[np.float64]:
        return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64))))

    lo = sig(-steepness * midpoint)
    hi = sig(steepness * (1.0 - midpoint))
    span = np.maximum(hi - lo, 1e-300)
    return np.asarray(idle_w + (max_w - idle_w) * (sig(steepness * (u - midpoint)) - lo) / span)


def power_law_w(u: ArrayLike, idle_w: float, max_w: float, gamma: float,
                u_sat: float = 1.0) -> NDArray[np.float64]:
    """The paper's P(u) = P_idle + (P_max − P_idle) · min(1, u/u_sat)^γ (W), as a plain function."""
    x = np.clip(np.asarray(u, dtype=np.float64) / u_sat, 0.0, 1.0)
    return np.asarray(idle_w + (max_w - idle_w) * x**gamma)


# ------------------------------------------------------------------------------------ worker-time model


def busy_wait_seconds(loads: ArrayLike, step_time: StepTimeModel, dt_s: ArrayLike | None = None
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(b, w, Δt): busy seconds b_g(k) = C + t·L_g(k), wait seconds w_g(k) = Δt_k − b_g(k), both (K, G),
    and Δt (K,). ``dt_s`` defaults to C + t·max_g L_g(k); a given ``dt_s`` must be ≥ every b_g(k)."""
    L = np.asarray(loads, dtype=np.float64)
    if L.ndim != 2:
        raise ConfigError(f"loads must be a (K, G) matrix, got shape {L.shape}")
    if L.size and (not np.all(np.isfinite(L)) or L.min() < 0):
        raise ConfigError("loads must be finite and >= 0 tokens")
    busy = step_time.step_overhead_s + step_time.token_time_s * L
    if dt_s is None:
        dt = busy.max(axis=1) if L.shape[1] else np.full(L.shape[0], step_time.step_overhead_s)
    else:
        dt = np.asarray(dt_s, dtype=np.float64)
        if dt.shape != (L.shape[0],):
            raise ConfigError(f"dt_s must have shape ({L.shape[0]},), got {dt.shape}")
    wait = dt[:, None] - busy
    if wait.size and wait.min() < -1e-9 * max(1.0, float(np.abs(dt).max())):
        k = int(np.unravel_index(np.argmin(wait), wait.shape)[0])
        raise ConfigError(f"dt_s[{k}] = {dt[k]} s is shorter than a worker's busy time in that step")
    return busy, np.maximum(wait, 0.0), dt


def barrier_step_energy_j(loads: ArrayLike, step_time: StepTimeModel, busy_power: float | PowerCurve,
                          wait_w: float, dt_s: ArrayLike | None = None) -> NDArray[np.float64]:
    """E_k = Σ_g [b_g(k)·P_busy + w_g(k)·P_wait] for each step (J), the worker-time model.

    Args:
        loads: (K, G) loads L_g(k) in tokens.
        step_time: C and t.
        busy_power: P_busy in W, or a PowerCurve evaluated at the duty u_g(k) = b_g(k)/Δt_k.
        wait_w: P_wait, the draw while waiting at the barrier (W).
        dt_s: step times (s); default C + t·max L.
    """
    wait_w = _finite("wait_w", wait_w)
    if wait_w < 0:
        raise ConfigError(f"wait_w must be >= 0 W, got {wait_w}")
    busy, wait, dt = busy_wait_seconds(loads, step_time, dt_s)
    if isinstance(busy_power, PowerCurve):
        duty = np.divide(busy, dt[:, None], out=np.ones_like(busy), where=dt[:, None] > 0)
        p_busy: NDArray[np.float64] | float = busy_power.power_w(duty)
    else:
        p_busy = _finite("busy_power", busy_power)
        if p_busy < 0:
            raise ConfigError(f"busy_power must be >= 0 W, got {p_busy}")
    return np.asarray((busy * p_busy + wait * wait_w).sum(axis=1))


def barrier_energy_j(loads: ArrayLike, step_time: StepTimeModel, busy_power: float | PowerCurve,
                     wait_w: float, dt_s: ArrayLike | None = None) -> float:
    """E = Σ_k E_k (J), the worker-time model (see :func:`barrier_step_energy_j`)."""
    return float(barrier_step_energy_j(loads, step_time, busy_power, wait_w, dt_s).sum())


def barrier_time_totals(loads: ArrayLike, step_time: StepTimeModel) -> tuple[float, float]:
    """(Σ_k Σ_g b_g(k), Σ_k Σ_g w_g(k)) in seconds: busy and waiting worker-time, Δt = C + t·max L.

    Σ b = K·G·C + t·Σ L and Σ w = t·Σ_k Imb(k), so with constant powers E = P_busy·Σb + P_wait·Σw; this is
    the cheap path for pricing one schedule under many (P_busy, P_wait) pairs.
    """
    L = np.asarray(loads, dtype=np.float64)
    if L.ndim != 2 or L.shape[1] == 0:
        raise ConfigError(f"loads must be a (K, G) matrix with G >= 1, got shape {L.shape}")
    K, G = L.shape
    total = float(L.sum())
    sum_max = float(L.max(axis=1).sum()) if K else 0.0
    busy = K * G * step_time.step_overhead_s + step_time.token_time_s * total
    wait = step_time.token_time_s * (G * sum_max - total)
    return busy, max(wait, 0.0)


def utilisation_power_sums(loads: ArrayLike, gamma: float) -> NDArray[np.float64]:
    """Σ_g (L_g(k)/max_h L_h(k))^γ for each step (dimensionless; 0 for an empty step)."""
    L = np.asarray(loads, dtype=np.float64)
    mx = L.max(axis=1, keepdims=True)
    u = np.divide(L, mx, out=np.zeros_like(L), where=mx > 0)
    return np.asarray((u**gamma).sum(axis=1))


def paper_curve_energy_from_sums(power_sums: ArrayLike, max_load: ArrayLike, workers: int,
                                 step_time: StepTimeModel, curve: PowerCurve) -> float:
    """E = Σ_k Δt_k · [G·P_idle + (P_max − P_idle)·Σ_g u_g^γ] (J), u_sat = 1, from precomputed sums
    (:func:`utilisation_power_sums` with the curve's γ) and max loads."""
    if curve.u_sat != 1.0:
        raise ConfigError("paper_curve_energy_from_sums needs u_sat = 1")
    dt = step_time.step_overhead_s + step_time.token_time_s * np.asarray(max_load, dtype=np.float64)
    s = np.asarray(power_sums, dtype=np.float64)
    return float((dt * (workers * curve.idle_w + (curve.max_w - curve.idle_w) * s)).sum())


def balanced_loads(loads: ArrayLike) -> NDArray[np.float64]:
    """The balanced counterfactual: every worker at Σ_g L_g(k)/G in every step (tokens, float)."""
    L = np.asarray(loads, dtype=np.float64)
    if L.ndim != 2 or L.shape[1] == 0:
        raise ConfigError(f"loads must be a (K, G) matrix with G >= 1, got shape {L.shape}")
    return np.repeat(L.mean(axis=1, keepdims=True), L.shape[1], axis=1)


def paper_curve_energy_j(loads: ArrayLike, step_time: StepTimeModel, curve: PowerCurve) -> float:
    """E = Σ_k Δt_k Σ_g P(L_g(k)/max_h L_h(k)) (J), the reference's utilisation model, for float loads."""
    L = np.asarray(loads, dtype=np.float64)
    mx = L.max(axis=1, keepdims=True)
    u = np.divide(L, mx, out=np.zeros_like(L), where=mx > 0)
    dt = step_time.step_overhead_s + step_time.token_time_s * mx[:, 0]
    return float((dt * curve.power_w(u).sum(axis=1)).sum())


# ----------------------------------------------------------------------------------------- closed forms


@dataclass(frozen=True)
class BarrierAggregates:
    """Run aggregates of a load matrix under a step-time law.

    Attributes:
        steps: K.
        workers: G.
        iota: ι = Σ Imb / (G · Σ max L) (token idle fraction, ratio of sums; 0 if no load).
        theta: θ = t·Σ max L / (K·C + t·Σ max L) (load share of the step time).
        idle_worker_time_share: x = θ·ι (share of worker-time spent waiting at the barrier).
        mean_step_idle_fraction: (1/K) Σ_k Imb(k)/(G·max L(k)), the per-step average the metrics report.
    """

    steps: int
    workers: int
    iota: float
    theta: float
    idle_worker_time_share: float
    mean_step_idle_fraction: float


def barrier_aggregates(loads: ArrayLike, step_time: StepTimeModel) -> BarrierAggregates:
    """ι, θ and x = θι of a (K, G) load matrix (see :class:`BarrierAggregates`)."""
    L = np.asarray(loads, dtype=np.float64)
    if L.ndim != 2 or L.shape[1] == 0 or L.shape[0] == 0:
        raise ConfigError(f"loads must be a non-empty (K, G) matrix, got shape {L.shape}")
    K, G = L.shape
    mx = L.max(axis=1)
    imb = G * mx - L.sum(axis=1)
    sum_max = float(mx.sum())
    iota = float(imb.sum() / (G * sum_max)) if sum_max > 0 else 0.0
    load_time = step_time.token_time_s * sum_max
    total_time = K * step_time.step_overhead_s + load_time
    theta = load_time / total_time if total_time > 0 else 0.0
    per_step = np.divide(imb, G * mx, out=np.zeros(K), where=mx > 0)
    return BarrierAggregates(K, G, iota, theta, theta * iota, float(per_step.mean()))


def _check_fraction(name: str, v: float) -> float:
    v = _finite(name, v)
    if not 0.0 <= v <= 1.0:
        raise ConfigError(f"{name} must be in [0, 1], got {v}")
    return v


def _check_powers(busy_w: float, wait_w: float) -> tuple[float, float]:
    busy_w, wait_w = _finite("busy_w", busy_w), _finite("wait_w", wait_w)
    if busy_w <= 0 or wait_w < 0:
        raise ConfigError(f"need busy_w > 0 W and wait_w >= 0 W, got {busy_w} W and {wait_w} W")
    return busy_w, wait_w


def saving_worker_time(iota: float, theta: float, busy_w: float, wait_w: float) -> float:
    """S = xP_wait / ((1 − x)P_busy + xP_wait), x = θι: the energy saved by removing all barrier idle
    (same steps, same total load, same busy worker-time). Dimensionless, in [0, 1)."""
    x = _check_fraction("iota", iota) * _check_fraction("theta", theta)
    busy_w, wait_w = _check_powers(busy_w, wait_w)
    denom = (1 - x) * busy_w + x * wait_w
    return x * wait_w / denom if denom > 0 else 0.0


def saving_between(x_from: float, x_to: float, busy_w: float, wait_w: float) -> float:
    """S = 1 − (P_busy + P_wait·r₂)/(P_busy + P_wait·r₁), r = x/(1 − x): the energy saved going from an idle
    worker-time share x₁ = ``x_from`` to x₂ = ``x_to`` at equal busy worker-time. Negative if x₂ > x₁."""
    x1, x2 = _check_fraction("x_from", x_from), _check_fraction("x_to", x_to)
    if x1 >= 1 or x2 >= 1:
        raise ConfigError("idle worker-time shares must be < 1")
    busy_w, wait_w = _check_powers(busy_w, wait_w)
    r1, r2 = x1 / (1 - x1), x2 / (1 - x2)
    return 1 - (busy_w + wait_w * r2) / (busy_w + wait_w * r1)


def idle_share_needed(target_saving: float, busy_w: float, wait_w: float) -> float:
    """The idle worker-time share x = θι at which :func:`saving_worker_time` reaches ``target_saving``:

        x* = s·P_busy / (s·P_busy + (1 − s)·P_wait)      (≥ s when P_wait ≤ P_busy; 1 if P_wait = 0).
    """
    s = _check_fraction("target_saving", target_saving)
    busy_w, wait_w = _check_powers(busy_w, wait_w)
    denom = s * busy_w + (1 - s) * wait_w
    return s * busy_w / denom if denom > 0 else 1.0


def saving_paper_curve_bounds(iota: float, theta: float, curve: PowerCurve) -> tuple[float, float]:
    """(lower, upper) per-step bounds on the saving under the paper's utilisation curve (u_sat = 1, γ ≤ 1):

        lower = 1 − (1 − θι)·P_max / (P_idle + (P_max − P_idle)(1 − ι)),
        upper = 1 − (1 − θι)·P_max / (P_idle + (P_max − P_idle)(1 − ι)^γ).
    """
    iota, theta = _check_fraction("iota", iota), _check_fraction("theta", theta)
    if curve.u_sat != 1.0 or curve.gamma > 1.0:
        raise ConfigError("the bounds need u_sat = 1 and gamma <= 1")
    p_max = curve.max_w
    lin = curve.idle_w + (p_max - curve.idle_w) * (1 - iota)
    conc = float(curve.power_w(1 - iota))
    num = (1 - theta * iota) * p_max
    lower = 1 - num / lin if lin > 0 else -math.inf
    upper = 1 - num / conc if conc > 0 else -math.inf
    return lower, upper
