"""Calibrated generators: synthetic workloads shaped like the shared public traces.

Each profile in ``lbtheory/workloads/calibration/<name>.json`` holds statistics of one trace (never
the trace itself), computed once by ``experiments/calibrate_traces.py``: N, mean, sd, min, max and
the order-statistic quantiles q(p_k) of the prompt and output lengths on a probability grid p_0 = 0
< ... < p_K = 1 (q(0) = min, q(1) = max), Spearman's rank correlation ρ_S of (s, o), the source and
licence, and for the Azure traces the mean arrival rate and the coefficient of variation of the
gaps.

Sampling (a Gaussian copula with piecewise log-linear marginals):

    (Z_1, Z_2) ~ N(0, [[1, r], [r, 1]]),  r = 2 sin(π ρ_S / 6)   (the normal correlation whose
                                                                    Spearman correlation is ρ_S)
    U_j = Φ(Z_j)
    s = max(1, rint(exp(ℓ_s(U_1)))),  o = max(1, rint(exp(ℓ_o(U_2)))),

where ℓ(u) interpolates the points (p_k, log q(p_k)) linearly. So every draw lies in [min, max] of
the trace, the quantiles at the grid levels are matched, and between them the log length is uniform
in probability. For the Azure profiles the workload also gets arrival times: a renewal process whose
i.i.d. gaps follow the trace's gap quantiles (interpolated linearly), rescaled so the mean rate is
the trace's, first arrival at 0 (:meth:`ArrivalProfile.sample_times`). This keeps the marginal gap
law (the coding trace's gap CV is about 13, from idle spells of minutes) but not the correlation of
successive gaps (on-off bursts), so the sampled CV is close to, not equal to, the trace's. Profiles
load lazily, on first use, through ``importlib.resources``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np

from lbtheory.errors import ConfigError
from lbtheory.workloads.base import FloatArray, Workload
from lbtheory.workloads.generators import check_n_requests, check_rng

__all__ = [
    "PROFILE_NAMES",
    "ArrivalProfile",
    "LengthProfile",
    "TraceProfile",
    "arxiv",
    "azure_code",
    "azure_conv",
    "burst",
    "calibrated",
    "load_profile",
    "longbench",
]

PROFILE_NAMES: tuple[str, ...] = ("burst", "arxiv", "longbench", "azure_conv", "azure_code")
"""The calibrated profiles shipped with the package."""


@dataclass(frozen=True)
class LengthProfile:
    """Statistics of one length (tokens) in a trace: quantiles q(p_k) at the profile's grid."""

    n: int
    mean: float
    sd: float
    min: int
    max: int
    quantiles: tuple[int, ...]


@dataclass(frozen=True)
class ArrivalProfile:
    """Arrival statistics: rate (N − 1)/(a_N − a_1) in requests per second, gap CV sd/mean, the
    trace's span a_N − a_1 (s) and the gap quantiles (s) at the profile's grid."""

    rate_per_s: float
    gap_cv: float
    duration_s: float
    gap_quantiles_s: tuple[float, ...]

    def sample_times(
        self, n_requests: int, probabilities: FloatArray, rng: np.random.Generator
    ) -> FloatArray:
        """Renewal arrivals with the trace's gap distribution, first arrival at 0.

        Gaps G_j = c · g(U_j), U_j ~ U[0, 1) i.i.d., g the piecewise-linear interpolation of the gap
        quantiles, and c = (1/rate) / ∫g the factor that makes E[G] = 1/rate_per_s exactly
        (∫g = Σ_k (p_{k+1} − p_k)(g_k + g_{k+1})/2). a_1 = 0, a_i = G_2 + ... + G_i.
        """
        q = np.asarray(self.gap_quantiles_s, dtype=np.float64)
        mean_g = float(np.sum(np.diff(probabilities) * (q[1:] + q[:-1]) / 2.0))
        c = (1.0 / self.rate_per_s) / mean_g
        gaps = c * np.interp(rng.random(n_requests), probabilities, q)
        gaps[0] = 0.0
        out: FloatArray = np.cumsum(gaps)
        return out


@dataclass(frozen=True)
class TraceProfile:
    """A calibration profile (see the module docstring)."""

    name: str
    source: str
    licence: str
    file: str
    n_requests: int
    probabilities: tuple[float, ...]
    prompt: LengthProfile
    output: LengthProfile
    spearman: float
    arrivals: ArrivalProfile | None

    @property
    def copula_correlation(self) -> float:
        """r = 2 sin(π ρ_S / 6): the normal correlation whose Spearman correlation is ρ_S."""
        return 2.0 * math.sin(math.pi * self.spearman / 6.0)


def _length(d: dict[str, Any], k: int) -> LengthProfile:
    q = tuple(int(v) for v in d["quantiles"])
    if len(q) != k or any(b < a for a, b in pairwise(q)) or q[0] < 1:
        raise ConfigError("calibration profile has malformed quantiles")
    return LengthProfile(
        n=int(d["n"]),
        mean=float(d["mean"]),
        sd=float(d["sd"]),
        min=int(d["min"]),
        max=int(d["max"]),
        quantiles=q,
    )


@cache
def load_profile(name: str) -> TraceProfile:
    """The packaged calibration profile ``name`` (read once, then cached; immutable)."""
    if name not in PROFILE_NAMES:
        raise ConfigError(
            f"unknown calibration profile {name!r}; valid names: {', '.join(PROFILE_NAMES)}"
        )
    text = (
        resources.files("lbtheory.workloads")
        .joinpath("calibration", f"{name}.json")
        .read_text(encoding="utf-8")
    )
    d = json.loads(text)
    probs = tuple(float(p) for p in d["probabilities"])
    arr = d.get("arrivals")
    return TraceProfile(
        name=str(d["name"]),
        source=str(d["source"]),
        licence=str(d["licence"]),
        file=str(d["file"]),
        n_requests=int(d["n_requests"]),
        probabilities=probs,
        prompt=_length(d["prompt_tokens"], len(probs)),
        output=_length(d["output_tokens"], len(probs)),
        spearman=float(d["spearman"]),
        arrivals=(
            None
            if arr is None
            else ArrivalProfile(
                rate_per_s=float(arr["rate_per_s"]),
                gap_cv=float(arr["gap_cv"]),
                duration_s=float(arr["duration_s"]),
                gap_quantiles_s=tuple(float(v) for v in arr["gap_quantiles_s"]),
            )
        ),
    )


def calibrated(
    name: str, n_requests: int, rng: np.random.Generator, *, arrivals: bool = True
) -> Workload:
    """n_requests draws from the calibrated profile ``name`` (see the module docstring for the law).

    ``arrivals``: for a profile with arrival statistics (the Azure ones), attach renewal arrival
    times (True, default, like the trace loader) or leave the saturated pool (False). The workload
    is named ``<name>_calibrated``; ``meta`` names the profile, its source and licence.
    """
    prof = load_profile(name)
    n = check_n_requests(n_requests)
    check_rng(rng)
    r = prof.copula_correlation
    z = rng.standard_normal((n, 2))
    z2 = r * z[:, 0] + math.sqrt(max(0.0, 1.0 - r * r)) * z[:, 1]
    from scipy import special  # here, not at import: it costs a quarter second of every CLI start

    u1 = special.ndtr(z[:, 0])
    u2 = special.ndtr(z2)
    p = np.asarray(prof.probabilities)
    log_qs = np.log(np.asarray(prof.prompt.quantiles, dtype=np.float64))
    log_qo = np.log(np.asarray(prof.output.quantiles, dtype=np.float64))
    s = np.clip(np.rint(np.exp(np.interp(u1, p, log_qs))), prof.prompt.min, prof.prompt.max)
    o = np.clip(np.rint(np.exp(np.interp(u2, p, log_qo))), prof.output.min, prof.output.max)
    meta: dict[str, object] = {
        "generator": "calibrated",
        "profile": prof.name,
        "source": prof.source,
        "licence": prof.licence,
    }
    times = None
    if arrivals and prof.arrivals is not None:
        times = prof.arrivals.sample_times(n, p, rng)
        meta["arrivals"] = {
            "process": "renewal with the trace's gap quantiles, first arrival at 0",
            "rate_per_s": prof.arrivals.rate_per_s,
            "gap_cv": prof.arrivals.gap_cv,
        }
    return Workload(
        s.astype(np.int64),
        o.astype(np.int64),
        arrival_time_s=times,
        name=f"{prof.name}_calibrated",
        meta=meta,
    )


def burst(n_requests: int, rng: np.random.Generator) -> Workload:
    """Calibrated to BurstGPT (burst_data_8000.json): ``calibrated("burst", n_requests, rng)``."""
    return calibrated("burst", n_requests, rng)


def arxiv(n_requests: int, rng: np.random.Generator) -> Workload:
    """Calibrated to arXiv summarization (arxiv_data_8000.json)."""
    return calibrated("arxiv", n_requests, rng)


def longbench(n_requests: int, rng: np.random.Generator) -> Workload:
    """Calibrated to LongBench-v2 (longbench_data_8000.json); prompts up to about 4M tokens."""
    return calibrated("longbench", n_requests, rng)


def azure_conv(n_requests: int, rng: np.random.Generator) -> Workload:
    """Calibrated to the Azure LLM 2023 conversation trace, with renewal arrivals."""
    return calibrated("azure_conv", n_requests, rng)


def azure_code(n_requests: int, rng: np.random.Generator) -> Workload:
    """Calibrated to the Azure LLM 2023 coding trace, with renewal arrivals."""
    return calibrated("azure_code", n_requests, rng)
