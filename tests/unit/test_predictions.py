"""Output-length predictions ô: exact, none, and multiplicative noise.

Noise: ô = max(1, rint(o·U)), U ~ U[1 − δ₋, 1 + δ₊].
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lbtheory.errors import ConfigError
from lbtheory.workloads import (
    PREDICTION_MODES,
    Workload,
    apply_predictions,
    exact,
    multiplicative_noise,
    none,
)


def _workload() -> Workload:
    return Workload(np.array([5, 6, 7]), np.array([1, 10, 1000]), name="w", meta={"k": 1})


def test_exact_is_a_copy() -> None:
    o = np.array([3, 1, 8])
    p = exact(o)
    np.testing.assert_array_equal(p, o)
    p[0] = 99
    assert o[0] == 3


def test_none() -> None:
    assert none(np.array([1, 2])) is None


@settings(max_examples=200, deadline=None)
@given(
    o=arrays(np.int64, st.integers(1, 40), elements=st.integers(1, 10**6)),
    dm=st.floats(0.0, 1.0),
    dp=st.floats(0.0, 5.0),
    seed=st.integers(0, 2**32 - 1),
)
@example(o=np.array([1, 2, 3]), dm=1.0, dp=0.0, seed=0)  # U can reach 0: ô clamps to 1
def test_noise_stays_in_its_band(o: np.ndarray, dm: float, dp: float, seed: int) -> None:
    p = multiplicative_noise(o, np.random.default_rng(seed), dm, dp)
    assert p.dtype == np.int64 and p.shape == o.shape
    assert np.all(p >= 1)
    # rint is monotone, so ô lies between the rounded band ends
    assert np.all(p >= np.maximum(1, np.rint(o * (1 - dm))))
    assert np.all(p <= np.maximum(1, np.rint(o * (1 + dp))))


def test_noise_zero_delta_is_exact_and_asymmetric_mean() -> None:
    o = np.full(200_000, 1000)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(multiplicative_noise(o, rng, 0.0, 0.0), o)
    p = multiplicative_noise(o, rng, 0.1, 0.3)
    # E[U] = 1 + (δ₊ − δ₋)/2 = 1.1; sd of U = 0.4/sqrt(12); se of the mean ≈ 0.026%
    assert p.mean() == pytest.approx(1100, rel=0.002)
    assert p.min() >= 900 and p.max() <= 1300


def test_noise_is_deterministic() -> None:
    o = np.arange(1, 100)
    a = multiplicative_noise(o, np.random.default_rng(5), 0.2, 0.2)
    b = multiplicative_noise(o, np.random.default_rng(5), 0.2, 0.2)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("dm", "dp", "match"),
    [
        (-0.1, 0.1, "delta_minus"),
        (1.5, 0.1, "delta_minus"),
        (0.1, -1.0, "delta_plus"),
        (0.1, float("nan"), "delta_plus"),
    ],
)
def test_noise_validation(dm: float, dp: float, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        multiplicative_noise(np.array([1, 2]), np.random.default_rng(0), dm, dp)


@pytest.mark.parametrize(
    ("o", "match"),
    [
        (np.array([1.5, 2.0]), "integers"),
        (np.array([0, 2]), ">= 1"),
        (np.array([], dtype=np.int64), "non-empty"),
    ],
)
def test_outputs_are_validated(o: np.ndarray, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        exact(o)


def test_apply_predictions_modes() -> None:
    w = _workload()
    e = apply_predictions(w, "exact")
    np.testing.assert_array_equal(e.predicted_output_tokens, w.output_tokens)
    assert e.meta["predictions"] == {"mode": "exact"} and e.meta["k"] == 1
    assert "predictions" not in w.meta  # the input is untouched
    n = apply_predictions(e, "none")
    assert n.predicted_output_tokens is None
    s = apply_predictions(w, "noisy", np.random.default_rng(1), delta=0.5)
    assert s.predicted_output_tokens is not None
    assert s.meta["predictions"] == {"mode": "noisy", "delta_minus": 0.5, "delta_plus": 0.5}
    a = apply_predictions(w, "noisy", np.random.default_rng(1), delta=(0.0, 0.2))
    assert a.predicted_output_tokens is not None
    assert np.all(a.predicted_output_tokens >= w.output_tokens)
    assert set(PREDICTION_MODES) == {"exact", "noisy", "none"}


@pytest.mark.parametrize(
    ("mode", "kwargs", "match"),
    [
        ("oracle", {}, "unknown prediction mode 'oracle'.*exact, noisy, none"),
        ("noisy", {"delta": 0.1}, "rng"),
        ("noisy", {"rng": np.random.default_rng(0)}, "delta"),
        ("noisy", {"rng": np.random.default_rng(0), "delta": (0.1, 0.2, 0.3)}, "pair"),
    ],
)
def test_apply_predictions_validation(mode: str, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        apply_predictions(_workload(), mode, **kwargs)  # type: ignore[arg-type]
