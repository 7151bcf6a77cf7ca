"""The workload: requests in arrival order, with their lengths and (optionally) arrival times."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from lbtheory.errors import ConfigError

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Workload:
    """N requests in arrival order.

    Attributes:
        prompt_tokens: s_i >= 1, the prompt length (tokens) of request i.
        output_tokens: o_i >= 1, the number of tokens request i generates (decode steps it occupies).
        arrival_time_s: a_i, arrival times in seconds (non-decreasing), or None for the saturated pool
            (all requests are waiting from time 0, in this order).
        predicted_output_tokens: ô_i >= 1, what a policy is told about o_i, or None when policies get no
            prediction. Set with :meth:`with_predictions`; the engine never shows o_i to a policy.
        name: a label for reports.
    """

    prompt_tokens: IntArray
    output_tokens: IntArray
    arrival_time_s: FloatArray | None = None
    predicted_output_tokens: IntArray | None = None
    name: str = "workload"
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = np.ascontiguousarray(self.prompt_tokens, dtype=np.int64)
        o = np.ascontiguousarray(self.output_tokens, dtype=np.int64)
        if s.ndim != 1 or o.ndim != 1 or s.shape != o.shape:
            raise ConfigError(
                f"prompt_tokens and output_tokens must be 1-D of equal length, got {s.shape} and {o.shape}"
            )
        if s.size == 0:
            raise ConfigError("a workload needs at least one request (got 0)")
        if (bad := np.flatnonzero(s < 1)).size:
            raise ConfigError(f"prompt_tokens must be >= 1; request {bad[0]} has {s[bad[0]]}")
        if (bad := np.flatnonzero(o < 1)).size:
            raise ConfigError(f"output_tokens must be >= 1; request {bad[0]} has {o[bad[0]]}")
        object.__setattr__(self, "prompt_tokens", s)
        object.__setattr__(self, "output_tokens", o)
        if self.arrival_time_s is not None:
            a = np.ascontiguousarray(self.arrival_time_s, dtype=np.float64)
            if a.shape != s.shape:
                raise ConfigError(f"arrival_time_s has shape {a.shape}, expected {s.shape}")
            if not np.all(np.isfinite(a)) or np.any(a < 0):
                raise ConfigError("arrival_time_s must be finite and >= 0")
            if np.any(np.diff(a) < 0):
                i = int(np.flatnonzero(np.diff(a) < 0)[0]) + 1
                raise ConfigError(f"arrival_time_s must be non-decreasing; request {i} arrives earlier")
            object.__setattr__(self, "arrival_time_s", a)
        if self.predicted_output_tokens is not None:
            p = np.ascontiguousarray(self.predicted_output_tokens, dtype=np.int64)
            if p.shape != s.shape:
                raise ConfigError(f"predicted_output_tokens has shape {p.shape}, expected {s.shape}")
            if np.any(p < 1):
                raise ConfigError("predicted_output_tokens must be >= 1")
            object.__setattr__(self, "predicted_output_tokens", p)

    @property
    def n_requests(self) -> int:
        """N, the number of requests."""
        return int(self.prompt_tokens.size)

    @property
    def total_output_tokens(self) -> int:
        """Σ_i o_i: the tokens a complete run generates."""
        return int(self.output_tokens.sum())

    def head(self, n: int) -> Workload:
        """The first n requests (in order)."""
        if n < 1:
            raise ConfigError(f"requests must be >= 1, got {n}")
        sl = slice(0, n)
        return Workload(
            prompt_tokens=self.prompt_tokens[sl],
            output_tokens=self.output_tokens[sl],
            arrival_time_s=None if self.arrival_time_s is None else self.arrival_time_s[sl],
            predicted_output_tokens=(
                None if self.predicted_output_tokens is None else self.predicted_output_tokens[sl]
            ),
            name=self.name,
            meta=dict(self.meta),
        )

    def permuted(self, order: IntArray) -> Workload:
        """The requests in the order ``order`` (a permutation of 0..N−1); arrival times are kept in place
        (request ``order[j]`` arrives at the j-th arrival time)."""
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (self.n_requests,) or not np.array_equal(np.sort(order), np.arange(self.n_requests)):
            raise ConfigError("order must be a permutation of 0..N-1")
        return Workload(
            self.prompt_tokens[order],
            self.output_tokens[order],
            self.arrival_time_s,
            None if self.predicted_output_tokens is None else self.predicted_output_tokens[order],
            self.name,
            {**self.meta, "permuted": True},
        )

    def with_predictions(self, predicted_output_tokens: IntArray | None) -> Workload:
        """A copy whose policies see ô = predicted_output_tokens (None: no prediction)."""
        return Workload(
            self.prompt_tokens,
            self.output_tokens,
            self.arrival_time_s,
            predicted_output_tokens,
            self.name,
            dict(self.meta),
        )

    def with_arrivals(self, arrival_time_s: FloatArray | None) -> Workload:
        """A copy with the given arrival times (None: the saturated pool)."""
        return Workload(
            self.prompt_tokens,
            self.output_tokens,
            arrival_time_s,
            self.predicted_output_tokens,
            self.name,
            dict(self.meta),
        )
