"""Workload families for stress-testing balancing policies (the BF-IO battery), each a law the public traces
do not cover. Every length is clipped to [1, CAP] tokens; parameters are fixed per registered name so a name
is a reproducible law.

* ``two_class_p{π}_x{r}``: each request is long with probability π; short prompts ~ U{64..320}, long ones
  r times that (U{64r..320r}); outputs lognormal (median 256, σ = 0.8), independent of the prompt.
* ``heavy_tail``: prompts bounded Pareto (α = 1.1 on [16, 16,384]); outputs lognormal (median 256, σ = 1).
* ``correlated``: (log s, log o) bivariate normal, medians 1,024 and 256, σ 1.0 and 0.8, correlation 0.8
  (long prompts come with long answers).
* ``constant_prompt``: s = 1,024 for every request; outputs geometric with mean 256.
* ``long_bursts``: arrival order matters: blocks of 500 requests, each with a run of 40 consecutive long
  requests (prompts U{8,192..16,384}) at a random place; the rest short (U{64..1,024}); outputs lognormal.
* ``minority_long``: 10% very long prompts (U{12,288..16,384}) among short ones (U{64..512}), and,
  independently, 10% long outputs (U{1,536..2,560}) among short ones (U{32..256}).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType

import numpy as np

from lbtheory.workloads.base import Workload
from lbtheory.workloads.generators import bounded_pareto_draw, check_n_requests, check_rng

CAP = 32_768
"""The largest length (tokens) any family draws."""


def _tokens(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 1, CAP).astype(np.int64)


def _lognormal(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    return _tokens(median * np.exp(sigma * rng.standard_normal(n)))


def _make(name: str, s: np.ndarray, o: np.ndarray, **params: object) -> Workload:
    return Workload(s, o, name=name, meta={"generator": "battery family", "family": name, "params": params})


def two_class(n_requests: int, rng: np.random.Generator, *, long_fraction: float, ratio: int) -> Workload:
    """Short prompts U{64..320}; with probability π = long_fraction a prompt is ``ratio`` times larger."""
    n = check_n_requests(n_requests)
    check_rng(rng)
    base = rng.integers(64, 321, size=n)
    is_long = rng.random(n) < long_fraction
    s = _tokens(np.where(is_long, base * ratio, base))
    o = _lognormal(rng, n, 256.0, 0.8)
    name = f"two_class_p{round(100 * long_fraction):02d}_x{ratio}"
    return _make(name, s, o, long_fraction=long_fraction, ratio=ratio)


def heavy_tail(n_requests: int, rng: np.random.Generator) -> Workload:
    """Bounded-Pareto prompts (α = 1.1 on [16, 16,384]), lognormal outputs (median 256, σ = 1)."""
    n = check_n_requests(n_requests)
    check_rng(rng)
    s = _tokens(bounded_pareto_draw(rng, n, 1.1, 16.0, 16_384.0))
    return _make("heavy_tail", s, _lognormal(rng, n, 256.0, 1.0), alpha=1.1)


def correlated(n_requests: int, rng: np.random.Generator) -> Workload:
    """(log s, log o) bivariate normal: medians 1,024 / 256, σ 1.0 / 0.8, correlation ρ = 0.8."""
    n = check_n_requests(n_requests)
    check_rng(rng)
    z = rng.standard_normal((n, 2))
    rho = 0.8
    zo = rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]
    s = _tokens(1024.0 * np.exp(1.0 * z[:, 0]))
    o = _tokens(256.0 * np.exp(0.8 * zo))
    return _make("correlated", s, o, rho=rho)


def constant_prompt(n_requests: int, rng: np.random.Generator) -> Workload:
    """s = 1,024 for all; o geometric with mean 256 (P(o = k) = p(1 − p)^(k−1), p = 1/256)."""
    n = check_n_requests(n_requests)
    check_rng(rng)
    s = np.full(n, 1024, np.int64)
    return _make("constant_prompt", s, _tokens(rng.geometric(1 / 256, size=n)), mean_output=256)


def long_bursts(n_requests: int, rng: np.random.Generator) -> Workload:
    """Blocks of 500: a run of 40 consecutive long prompts (U{8,192..16,384}) per block, the rest short."""
    n = check_n_requests(n_requests)
    check_rng(rng)
    s = rng.integers(64, 1025, size=n)
    for start in range(0, n, 500):
        size = min(500, n - start)
        run = min(40, size)
        at = start + int(rng.integers(0, size - run + 1))
        s[at:at + run] = rng.integers(8192, 16_385, size=run)
    return _make("long_bursts", _tokens(s), _lognormal(rng, n, 256.0, 0.8), block=500, run=40)


def minority_long(n_requests: int, rng: np.random.Generator) -> Workload:
    """10% very long prompts among short ones; independently 10% long outputs among short ones."""
    n = check_n_requests(n_requests)
    check_rng(rng)
    s = np.where(rng.random(n) < 0.1, rng.integers(12_288, 16_385, size=n), rng.integers(64, 513, size=n))
    o = np.where(rng.random(n) < 0.1, rng.integers(1536, 2561, size=n), rng.integers(32, 257, size=n))
    return _make("minority_long", _tokens(s), _tokens(o), long_prompt_fraction=0.1,
                 long_output_fraction=0.1)


def _two_class_names() -> dict[str, Callable[[int, np.random.Generator], Workload]]:
    out: dict[str, Callable[[int, np.random.Generator], Workload]] = {}
    for pi in (0.05, 0.25):
        for ratio in (8, 64):
            out[f"two_class_p{round(100 * pi):02d}_x{ratio}"] = partial(
                two_class, long_fraction=pi, ratio=ratio)
    return out


FAMILIES: Mapping[str, Callable[[int, np.random.Generator], Workload]] = MappingProxyType({
    **_two_class_names(),
    "heavy_tail": heavy_tail,
    "correlated": correlated,
    "constant_prompt": constant_prompt,
    "long_bursts": long_bursts,
    "minority_long": minority_long,
})
"""Name -> generator ``(n_requests, rng) -> Workload`` of every battery family."""
