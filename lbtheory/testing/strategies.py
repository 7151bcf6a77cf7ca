"""Public hypothesis strategies for the theory's property tests.

Two families:

* **inside the hypotheses** (:func:`prompt_laws`, :func:`output_laws`, :func:`clusters`,
  :func:`iid_instances`): i.i.d. prompts from a bounded, non-degenerate discrete law, output lengths fixed
  or geometric and independent of the prompts, a window R ≥ G·B so every free slot is refilled at once;
* **adversarial** (:func:`adversarial_instances`): every length drawn by hypothesis itself, in any order,
  with any window — for searching *outside* the hypotheses (the tests that show a bound has teeth).

Every strategy returns a small frozen dataclass whose fields are named as in the paper, so a failing
example prints as a labelled record. Large arrays are never drawn element-wise inside the hypotheses: the
instance draws a seed and materialises its workload with an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray

from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.theory.exact import law_params
from lbtheory.workloads.base import Workload

__all__ = [
    "AdversarialInstance",
    "IidInstance",
    "OutputLaw",
    "PromptLaw",
    "adversarial_instances",
    "clusters",
    "iid_instances",
    "output_laws",
    "prompt_laws",
]

IntArray = NDArray[np.int64]

#: a cheap step-time law for tests (the bounds are in tokens; the clock plays no part)
TEST_STEP_TIME = StepTimeModel(step_overhead_s=1e-3, token_time_s=1e-7)


@dataclass(frozen=True)
class PromptLaw:
    """A bounded discrete prompt law: P(s = values[j]) = probs[j] (values distinct integers ≥ 1)."""

    values: tuple[int, ...]
    probs: tuple[float, ...]

    def params(self) -> dict[str, float]:
        """s_min, s_max, μ_s, σ_s, ρ₃, m₄ (by symbol name)."""
        return law_params(np.array(self.values), np.array(self.probs))

    def sample(self, n: int, rng: np.random.Generator) -> IntArray:
        """n i.i.d. prompt lengths."""
        return np.asarray(rng.choice(np.array(self.values, np.int64), size=n, p=np.array(self.probs)),
                          np.int64)


@dataclass(frozen=True)
class OutputLaw:
    """Output lengths: ``fixed`` (every o_i = mean) or ``geometric`` (mean ``mean``, support ≥ 1)."""

    kind: Literal["fixed", "geometric"]
    mean: int

    def sample(self, n: int, rng: np.random.Generator) -> IntArray:
        """n i.i.d. output lengths."""
        if self.kind == "fixed":
            return np.full(n, self.mean, np.int64)
        return np.asarray(rng.geometric(1.0 / self.mean, size=n), np.int64)


@st.composite
def prompt_laws(draw: st.DrawFn, max_support: int = 6, max_value: int = 200,
                min_value: int = 1) -> PromptLaw:
    """Bounded non-degenerate prompt laws: 2..max_support distinct values in [min_value, max_value],
    each with probability ≥ 1/(20·support) (so σ_s > 0). Reaches two-point laws, s = s_max atoms, and
    very skewed weights."""
    values = draw(st.lists(st.integers(min_value, max_value), min_size=2, max_size=max_support,
                           unique=True))
    weights = draw(st.lists(st.integers(1, 20), min_size=len(values), max_size=len(values)))
    total = sum(weights)
    order = np.argsort(values)
    vals = tuple(int(values[i]) for i in order)
    probs = tuple(weights[i] / total for i in order)
    return PromptLaw(vals, probs)


@st.composite
def output_laws(draw: st.DrawFn, max_mean: int = 12,
                kinds: tuple[str, ...] = ("fixed", "geometric")) -> OutputLaw:
    """Fixed or geometric output lengths with mean in [1, max_mean] (the paper's two cases)."""
    kind = draw(st.sampled_from(kinds))
    mean = draw(st.integers(1 if kind == "fixed" else 2, max_mean))
    return OutputLaw(kind, mean)  # type: ignore[arg-type]


@st.composite
def clusters(draw: st.DrawFn, max_workers: int = 8, max_slots: int = 8, min_workers: int = 1,
             min_slots: int = 1) -> tuple[int, int]:
    """(G, B): cluster sizes, G in [min_workers, max_workers], B in [min_slots, max_slots]."""
    g = draw(st.integers(min_workers, max_workers))
    b = draw(st.integers(min_slots, max_slots))
    return g, b


@dataclass(frozen=True)
class IidInstance:
    """A workload inside the theorem's hypotheses, with its cluster.

    Attributes:
        G, B: workers and slots.
        law: the prompt law.
        outputs: the output law.
        refills: how many mean output periods the workload covers (N = G·B·refills requests).
        seed: the seed of the generator that materialises the workload.
        window: R (≥ G·B so every freed slot is refilled at once).
    """

    G: int
    B: int
    law: PromptLaw
    outputs: OutputLaw
    refills: int
    seed: int
    window: int
    _cache: dict[str, Workload] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_requests(self) -> int:
        """N = G·B·refills."""
        return self.G * self.B * self.refills

    def workload(self) -> Workload:
        """The requests (prompts then outputs drawn from ``default_rng(seed)``)."""
        if "w" not in self._cache:
            rng = np.random.default_rng(self.seed)
            s = self.law.sample(self.n_requests, rng)
            out = self.outputs.sample(self.n_requests, rng)
            self._cache["w"] = Workload(s, out, name="iid-instance")
        return self._cache["w"]

    def config(self) -> SimConfig:
        """Saturated pool, window R, the test step-time law."""
        return SimConfig(ClusterConfig(self.G, self.B, self.window), TEST_STEP_TIME)

    def params(self) -> dict[str, float]:
        """The bound parameters: G, B, the law's moments, o, drift 1."""
        p = self.law.params()
        p.update(G=float(self.G), B=float(self.B), o=float(self.outputs.mean), delta=1.0)
        return p


@st.composite
def iid_instances(draw: st.DrawFn, max_workers: int = 8, max_slots: int = 8, min_workers: int = 1,
                  min_slots: int = 1, outputs: st.SearchStrategy[OutputLaw] | None = None,
                  laws: st.SearchStrategy[PromptLaw] | None = None, refills: int = 200,
                  extra_window: bool = False) -> IidInstance:
    """Instances inside H_sat: i.i.d. bounded non-degenerate prompts independent of fixed/geometric
    outputs, R = G·B (or up to 2·G·B with ``extra_window``), N = G·B·refills requests."""
    g, b = draw(clusters(max_workers, max_slots, min_workers, min_slots))
    law = draw(prompt_laws() if laws is None else laws)
    out = draw(output_laws() if outputs is None else outputs)
    seed = draw(st.integers(0, 2**32 - 1))
    window = g * b + (draw(st.integers(0, g * b)) if extra_window else 0)
    return IidInstance(g, b, law, out, refills, seed, window)


@dataclass(frozen=True)
class AdversarialInstance:
    """A workload drawn length by length (any order, any correlation), for searching outside hypotheses.

    Attributes:
        G, B, window: the cluster (window R may be below G·B).
        prompts, outputs: s_i and o_i in order.
    """

    G: int
    B: int
    window: int
    prompts: tuple[int, ...]
    outputs: tuple[int, ...]

    def workload(self) -> Workload:
        """The requests."""
        return Workload(np.array(self.prompts, np.int64), np.array(self.outputs, np.int64),
                        name="adversarial")

    def config(self) -> SimConfig:
        """Saturated pool, window R, the test step-time law."""
        return SimConfig(ClusterConfig(self.G, self.B, self.window), TEST_STEP_TIME)

    def params(self) -> dict[str, float]:
        """G, B, s_min, s_max of the drawn prompts (moments are empirical)."""
        s = np.array(self.prompts, np.float64)
        mu = float(s.mean())
        d = s - mu
        return {"G": float(self.G), "B": float(self.B), "s_min": float(s.min()),
                "s_max": float(s.max()), "mu_s": mu, "sigma_s": float(np.sqrt(np.mean(d**2))),
                "rho_3": float(np.mean(np.abs(d) ** 3)), "m_4": float(np.mean(d**4)),
                "o": float(np.mean(self.outputs)), "delta": 1.0}


@st.composite
def adversarial_instances(draw: st.DrawFn, max_workers: int = 4, max_slots: int = 4,
                          max_blocks: int = 4, max_prompt: int = 200, max_output: int = 8,
                          fixed_outputs: bool = False, full_window: bool = True,
                          min_workers: int = 1) -> AdversarialInstance:
    """Workloads whose every length is drawn (so shrinking and targeting act on them directly).

    ``fixed_outputs`` keeps one common output length (the refill structure of the fixed-output
    theorems) while the prompts are arbitrary; ``full_window=False`` also draws R in [1, 2·G·B].
    """
    g, b = draw(clusters(max_workers, max_slots, min_workers=min_workers))
    n = g * b * draw(st.integers(1, max_blocks))
    prompts = draw(st.lists(st.integers(1, max_prompt), min_size=n, max_size=n))
    if fixed_outputs:
        outputs = [draw(st.integers(1, max_output))] * n
    else:
        outputs = draw(st.lists(st.integers(1, max_output), min_size=n, max_size=n))
    window = g * b if full_window else draw(st.integers(1, 2 * g * b))
    return AdversarialInstance(g, b, window, tuple(prompts), tuple(outputs))
