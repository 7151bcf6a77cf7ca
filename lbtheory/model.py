"""Configurations of the model in ``spec/MODEL.md``: the cluster, the step-time law, the arrival mode.

Every config is a frozen dataclass that validates itself on construction and names the bad field.
Notation follows the paper: G workers, B slots per worker, window R, step time Δt = C + t·max_g L_g.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lbtheory.errors import ConfigError


def _require_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")


def _require_nonneg_float(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be finite and >= 0, got {value}")


@dataclass(frozen=True)
class ClusterConfig:
    """G data-parallel workers with B batch slots each, and the waiting window R.

    Attributes:
        workers: G >= 1.
        slots: B >= 1, the most requests a worker runs at once.
        pool: R >= 1, how many not-yet-admitted requests a policy sees (default 4G, as in the reference).
    """

    workers: int
    slots: int
    pool: int | None = None

    def __post_init__(self) -> None:
        _require_int("workers (G)", self.workers, 1)
        _require_int("slots (B)", self.slots, 1)
        if self.pool is not None:
            _require_int("pool (window R)", self.pool, 1)

    @property
    def window(self) -> int:
        """R: the window size actually used (4G unless given)."""
        return 4 * self.workers if self.pool is None else self.pool


def paper_step_overhead_s(slots: int) -> float:
    """The authors' fixed per-step overhead C = (B·0.6e-3 + 35e-3) / 16 seconds."""
    _require_int("slots (B)", slots, 1)
    return (slots * 0.6e-3 + 35e-3) / 16


#: The authors' KV read time per token: 1.5 · 2 B · 576 · 61 layers / 2^20 B/µs ≈ 1.005e-7 s/token.
PAPER_TOKEN_TIME_S = 1.5 * 2 * 576 * 61 * 1e-6 / 2**20


@dataclass(frozen=True)
class StepTimeModel:
    """Δt_k = C + t · max_g L_g(k).

    Attributes:
        step_overhead_s: C, the fixed per-step overhead (s).
        token_time_s: t, the time to read one KV token on the straggler (s/token).
    """

    step_overhead_s: float
    token_time_s: float

    def __post_init__(self) -> None:
        _require_nonneg_float("step_overhead_s (C)", self.step_overhead_s)
        _require_nonneg_float("token_time_s (t)", self.token_time_s)
        if self.step_overhead_s == 0 and self.token_time_s == 0:
            raise ConfigError("step_overhead_s and token_time_s cannot both be 0 (steps would take no time)")

    @classmethod
    def paper(cls, slots: int) -> StepTimeModel:
        """The authors' constants for B slots: C = (B·0.6e-3 + 35e-3)/16 s, t ≈ 1.005e-7 s/token."""
        return cls(paper_step_overhead_s(slots), PAPER_TOKEN_TIME_S)

    def step_time_s(self, max_load_tokens: float) -> float:
        """Δt = C + t · max load."""
        return self.step_overhead_s + self.token_time_s * max_load_tokens


ArrivalMode = Literal["saturated", "open"]


@dataclass(frozen=True)
class SimConfig:
    """Everything the engine needs besides the workload and the policy.

    Attributes:
        cluster: G, B, R.
        step_time: C and t.
        arrivals: "saturated" (the paper's overloaded pool: every request waits from time 0 in order) or
            "open" (requests arrive at the workload's ``arrival_time_s``).
        record_worker_loads: keep the (steps × G) matrix of start-of-step loads (needed for per-worker
            energy and plots; costs 8·G bytes per step).
    """

    cluster: ClusterConfig
    step_time: StepTimeModel
    arrivals: ArrivalMode = "saturated"
    record_worker_loads: bool = True

    def __post_init__(self) -> None:
        if self.arrivals not in ("saturated", "open"):
            raise ConfigError(f"arrivals must be 'saturated' or 'open', got {self.arrivals!r}")

    @classmethod
    def paper(cls, workers: int, slots: int, pool: int | None = None) -> SimConfig:
        """The authors' setting: saturated pool, window 4G, their step-time constants."""
        return cls(ClusterConfig(workers, slots, pool), StepTimeModel.paper(slots))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the resolved config, with the window R filled in)."""
        d = asdict(self)
        d["cluster"]["window"] = self.cluster.window
        return d
