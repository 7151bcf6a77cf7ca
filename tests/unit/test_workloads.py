"""Generators, calibrated profiles, arrivals and the registry.

Moment checks use n = 200,000 draws; tolerances are several standard errors of the statistic (stated
beside each), so a failure means a wrong formula, not bad luck. Targets are computed from the law as
implemented (e.g. the *truncated* normal for ``synthetic``), not from its nominal parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from lbtheory.errors import ConfigError
from lbtheory.workloads import (
    PROFILE_NAMES,
    SHARED_TRACE_FILES,
    WORKLOADS,
    Workload,
    bimodal,
    calibrated,
    gamma_arrivals,
    load_profile,
    load_trace,
    lognormal,
    make_workload,
    mean_rate_per_s,
    pareto,
    poisson_arrivals,
    scale_arrivals,
    scale_to_rate,
    shared_trace_path,
    synthetic,
    uniform,
)
from lbtheory.workloads.families import FAMILIES

N = 200_000


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- registry, determinism


def test_registry_names() -> None:
    assert list(WORKLOADS) == [
        "synthetic",
        "uniform",
        "lognormal",
        "pareto",
        "bimodal",
        "burst",
        "arxiv",
        "longbench",
        "azure_conv",
        "azure_code",
        *FAMILIES,
    ]
    with pytest.raises(TypeError):
        WORKLOADS["x"] = synthetic  # type: ignore[index]


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_every_workload_is_deterministic_and_valid(name: str) -> None:
    a = make_workload(name, 500, rng(7))
    b = make_workload(name, 500, rng(7))
    c = make_workload(name, 500, rng(8))
    assert isinstance(a, Workload) and a.n_requests == 500
    np.testing.assert_array_equal(a.prompt_tokens, b.prompt_tokens)
    np.testing.assert_array_equal(a.output_tokens, b.output_tokens)
    assert not (np.array_equal(a.prompt_tokens, c.prompt_tokens)
                and np.array_equal(a.output_tokens, c.output_tokens))
    assert a.prompt_tokens.min() >= 1 and a.output_tokens.min() >= 1
    assert a.predicted_output_tokens is None
    if a.arrival_time_s is not None:
        np.testing.assert_array_equal(a.arrival_time_s, b.arrival_time_s)
        assert a.arrival_time_s[0] == 0.0 and np.all(np.diff(a.arrival_time_s) >= 0)


def test_make_workload_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown workload 'nope'.*synthetic.*azure_code"):
        make_workload("nope", 10, rng())


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "10"])
def test_n_requests_is_validated(n: object) -> None:
    with pytest.raises(ConfigError, match="n_requests"):
        synthetic(n, rng())  # type: ignore[arg-type]


def test_rng_must_be_a_generator() -> None:
    with pytest.raises(ConfigError, match="rng"):
        uniform(10, 42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="rng"):
        calibrated("burst", 10, np.random.RandomState(0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fn", "kwargs", "param"),
    [
        (synthetic, {"prompt_sd": 0.0}, "prompt_sd"),
        (synthetic, {"correlation": 1.0}, "correlation"),
        (synthetic, {"output_mean": -1e5}, "output_mean"),
        (synthetic, {"prompt_mean": float("nan")}, "prompt_mean"),
        (uniform, {"prompt": (0, 5)}, "prompt"),
        (uniform, {"output": (9, 5)}, "output"),
        (uniform, {"output": (1.5, 5)}, "output"),
        (lognormal, {"prompt_median": 0.0}, "prompt_median"),
        (lognormal, {"output_sigma": -1.0}, "output_sigma"),
        (pareto, {"prompt_alpha": 0.0}, "prompt_alpha"),
        (pareto, {"output_min": 100, "output_max": 10}, "output_min"),
        (bimodal, {"long_fraction": 1.5}, "long_fraction"),
        (bimodal, {"short_prompt_median": -3.0}, "short_prompt_median"),
    ],
)
def test_bad_parameters_name_the_parameter_and_value(
    fn: Callable[..., Workload], kwargs: dict[str, object], param: str
) -> None:
    with pytest.raises(ConfigError, match=param):
        fn(10, rng(), **kwargs)


# --------------------------------------------------------------------------- synthetic


def truncated_moments(
    ms: float, ss: float, mo: float, so: float, rho: float, a: float = 0.5
) -> tuple[float, float, float, float, float]:
    """E[S], E[O], sd S, sd O, corr(S, O) of (S, O) ~ N(μ, Σ) conditioned on S > a, O > a.

    1-D quadrature over s of φ(s) times the closed-form truncated moments of
    O | S = s ~ N(m(s), σ_c²), with z = (a − m)/σ_c:
        E[1{O>a}] = Q(z),  E[O 1{O>a}] = m Q(z) + σ_c φ(z),
        E[O² 1{O>a}] = (m² + σ_c²) Q(z) + σ_c (m + a) φ(z).
    """
    sc = so * math.sqrt(1 - rho * rho)

    def parts(s: float) -> tuple[float, float, float]:
        m = mo + rho * so / ss * (s - ms)
        z = (a - m) / sc
        q, f = stats.norm.sf(z), stats.norm.pdf(z)
        return q, m * q + sc * f, (m * m + sc * sc) * q + sc * (m + a) * f

    def quad(g: Callable[[float], float]) -> float:
        lo, hi = a, ms + 12 * ss
        return integrate.quad(lambda s: stats.norm.pdf(s, ms, ss) * g(s), lo, hi, limit=200)[0]

    p = quad(lambda s: parts(s)[0])
    es = quad(lambda s: s * parts(s)[0]) / p
    es2 = quad(lambda s: s * s * parts(s)[0]) / p
    eo = quad(lambda s: parts(s)[1]) / p
    eo2 = quad(lambda s: parts(s)[2]) / p
    eso = quad(lambda s: s * parts(s)[1]) / p
    vs, vo = es2 - es * es, eo2 - eo * eo
    return es, eo, math.sqrt(vs), math.sqrt(vo), (eso - es * eo) / math.sqrt(vs * vo)


def test_synthetic_matches_the_truncated_bivariate_normal() -> None:
    es, eo, sds, sdo, corr = truncated_moments(3200, 2600, 1200, 700, -0.1)
    assert es == pytest.approx(3727, abs=1) and eo == pytest.approx(1255, abs=1)
    w = synthetic(N, rng(1))
    s, o = w.prompt_tokens.astype(float), w.output_tokens.astype(float)
    # standard errors: sd/sqrt(N) ~ 0.13% (s) and 0.12% (o); tolerances ~ 4 se
    assert s.mean() == pytest.approx(es, rel=0.006)
    assert o.mean() == pytest.approx(eo, rel=0.005)
    assert s.std() == pytest.approx(sds, rel=0.01)
    assert o.std() == pytest.approx(sdo, rel=0.01)
    assert np.corrcoef(s, o)[0, 1] == pytest.approx(corr, abs=0.01)  # se ~ 0.0022
    assert s.min() >= 1 and o.min() >= 1


def test_synthetic_parameters_are_used() -> None:
    w = synthetic(
        N, rng(2), prompt_mean=50_000, prompt_sd=100, output_mean=500, output_sd=10, correlation=0.5
    )
    assert w.prompt_tokens.mean() == pytest.approx(50_000, abs=2)  # no truncation here
    assert np.corrcoef(w.prompt_tokens, w.output_tokens)[0, 1] == pytest.approx(0.5, abs=0.01)
    assert w.meta["params"]["correlation"] == 0.5  # type: ignore[index]


# --------------------------------------------------------------------------- i.i.d. families


def test_uniform_moments_and_range() -> None:
    w = uniform(N, rng(3), prompt=(10, 1000), output=(5, 5))
    s = w.prompt_tokens
    assert s.min() == 10 and s.max() == 1000
    assert s.mean() == pytest.approx(505, rel=0.005)  # se 0.13%
    assert s.var() == pytest.approx((991**2 - 1) / 12, rel=0.01)
    assert np.all(w.output_tokens == 5)


def test_lognormal_log_moments_and_correlation() -> None:
    w = lognormal(
        N,
        rng(4),
        prompt_median=2000,
        prompt_sigma=0.8,
        output_median=300,
        output_sigma=1.2,
        correlation=-0.3,
    )
    ls, lo = np.log(w.prompt_tokens), np.log(w.output_tokens)
    assert np.median(w.prompt_tokens) == pytest.approx(2000, rel=0.01)
    assert ls.mean() == pytest.approx(math.log(2000), abs=0.01)  # se 0.0018
    assert ls.std() == pytest.approx(0.8, rel=0.01)
    assert lo.std() == pytest.approx(1.2, rel=0.02)  # rounding of small o trims the lower tail
    assert np.corrcoef(ls, lo)[0, 1] == pytest.approx(-0.3, abs=0.015)
    assert w.prompt_tokens.mean() == pytest.approx(2000 * math.exp(0.32), rel=0.01)


def test_pareto_bounded_mean_and_support() -> None:
    a, lo, hi = 1.5, 64, 32768
    w = pareto(N, rng(5), prompt_alpha=a, prompt_min=lo, prompt_max=hi)
    s = w.prompt_tokens
    assert s.min() >= lo and s.max() <= hi
    mean = a * lo**a * (hi ** (1 - a) - lo ** (1 - a)) / ((1 - a) * (1 - (lo / hi) ** a))
    assert s.mean() == pytest.approx(mean, rel=0.02)  # heavy tail: se ~ 0.6%
    # the tail law: P(X > x) = ((lo/x)^a - (lo/hi)^a) / (1 - (lo/hi)^a)
    x = 1000
    tail = ((lo / x) ** a - (lo / hi) ** a) / (1 - (lo / hi) ** a)
    assert np.mean(s > x) == pytest.approx(tail, abs=0.002)


def test_bimodal_mixture() -> None:
    w = bimodal(N, rng(6))
    frac = w.meta["n_long"] / N  # type: ignore[operator]
    assert frac == pytest.approx(0.2, abs=0.005)
    mean = 0.2 * 16384 * math.exp(0.125) + 0.8 * 512 * math.exp(0.32)
    assert w.prompt_tokens.mean() == pytest.approx(mean, rel=0.01)
    assert np.median(w.output_tokens) == pytest.approx(256, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 50),
    seed=st.integers(0, 2**32 - 1),
    name=st.sampled_from(sorted(WORKLOADS)),
)
def test_small_workloads_are_valid(n: int, seed: int, name: str) -> None:
    w = make_workload(name, n, np.random.default_rng(seed))
    assert w.n_requests == n and w.prompt_tokens.min() >= 1 and w.output_tokens.min() >= 1


# --------------------------------------------------------------------------- calibrated profiles


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_profile_is_packaged_and_consistent(name: str) -> None:
    p = load_profile(name)
    assert p is load_profile(name)  # read once
    assert p.probabilities[0] == 0.0 and p.probabilities[-1] == 1.0
    assert p.prompt.quantiles[0] == p.prompt.min and p.prompt.quantiles[-1] == p.prompt.max
    assert p.output.quantiles[0] == p.output.min and p.output.quantiles[-1] == p.output.max
    assert "licen" not in p.source and p.licence
    assert (p.arrivals is not None) == name.startswith("azure")


def test_unknown_profile_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="valid names: burst, arxiv"):
        calibrated("sharegpt", 10, rng())


def test_calibrated_azure_without_arrivals_is_the_saturated_pool() -> None:
    a = calibrated("azure_code", 100, rng(3), arrivals=False)
    b = calibrated("azure_code", 100, rng(3))
    assert a.arrival_time_s is None and b.arrival_time_s is not None
    np.testing.assert_array_equal(a.prompt_tokens, b.prompt_tokens)  # lengths are drawn first


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_calibrated_sample_matches_its_profile(name: str) -> None:
    p = load_profile(name)
    w = calibrated(name, 100_000, rng(11), arrivals=False)
    assert w.arrival_time_s is None and w.name == f"{name}_calibrated"
    for got, prof in ((w.prompt_tokens, p.prompt), (w.output_tokens, p.output)):
        assert got.min() >= prof.min and got.max() <= prof.max
        assert got.mean() == pytest.approx(prof.mean, rel=0.05)
        for pk, qk in zip(p.probabilities, prof.quantiles, strict=True):
            if 0.05 <= pk <= 0.95:
                # the empirical CDF at the profile's quantile is close to p
                lo, hi = np.mean(got < qk), np.mean(got <= qk)
                assert lo - 0.02 <= pk <= hi + 0.02, (pk, qk, lo, hi)
    rho = stats.spearmanr(w.prompt_tokens, w.output_tokens).statistic
    assert rho == pytest.approx(p.spearman, abs=0.02)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_calibrated_sample_is_close_to_the_real_trace(name: str) -> None:
    path = shared_trace_path(name)
    if path is None:
        pytest.skip(f"shared trace {SHARED_TRACE_FILES[name]} not present")
    real = load_trace(path)
    p = load_profile(name)
    # the profile is the trace's (the calibration is up to date)
    assert p.n_requests == real.n_requests
    assert p.prompt.mean == pytest.approx(real.prompt_tokens.mean())
    assert p.output.max == real.output_tokens.max()
    w = calibrated(name, 50_000, rng(12), arrivals=False)
    for a, b in ((real.prompt_tokens, w.prompt_tokens), (real.output_tokens, w.output_tokens)):
        assert stats.ks_2samp(a, b).statistic < 0.03  # observed 0.003-0.017 at n = 100k
        qa, qb = (
            np.quantile(a, [0.1, 0.25, 0.5, 0.75, 0.9]),
            np.quantile(b, [0.1, 0.25, 0.5, 0.75, 0.9]),
        )
        np.testing.assert_allclose(qb, qa, rtol=0.06, atol=2)
        assert b.mean() == pytest.approx(a.mean(), rel=0.05)


@pytest.mark.parametrize("name", ["azure_conv", "azure_code"])
def test_calibrated_azure_arrivals(name: str) -> None:
    p = load_profile(name)
    assert p.arrivals is not None
    w = calibrated(name, 100_000, rng(13))
    t = w.arrival_time_s
    assert t is not None and t[0] == 0.0
    rate = (t.size - 1) / t[-1]
    gaps = np.diff(t)
    # gap mean se = cv/sqrt(n): 0.35% (conv), 4% (code, cv ~ 13)
    tol = 0.02 if name == "azure_conv" else 0.15
    assert rate == pytest.approx(p.arrivals.rate_per_s, rel=tol)
    assert gaps.std() / gaps.mean() == pytest.approx(
        p.arrivals.gap_cv, rel=0.1 if tol < 0.1 else 0.3
    )


# --------------------------------------------------------------------------- shared_trace_path


def test_shared_trace_path_env_and_absence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTHEORY_DATA", str(tmp_path))
    assert shared_trace_path("burst") is None
    (tmp_path / "burst_data_8000.json").write_text("{}")
    assert shared_trace_path("burst") == tmp_path / "burst_data_8000.json"
    assert shared_trace_path("arxiv", data_dir=tmp_path / "elsewhere") is None
    with pytest.raises(ConfigError, match="valid names"):
        shared_trace_path("sharegpt")


def test_shared_trace_path_default_is_beside_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LBTHEORY_DATA", raising=False)
    import lbtheory

    expected = Path(lbtheory.__file__).resolve().parents[1].parent / "shared" / "data"
    path = shared_trace_path("azure_code")
    if (expected / "azure_llm_2023_code.csv").is_file():
        assert path == expected / "azure_llm_2023_code.csv"
    else:
        assert path is None


# --------------------------------------------------------------------------- arrivals


def test_poisson_arrivals() -> None:
    t = poisson_arrivals(N, 4.0, rng(20))
    assert t[0] > 0 and np.all(np.diff(t) > 0)
    gaps = np.diff(np.concatenate([[0.0], t]))
    assert gaps.mean() == pytest.approx(0.25, rel=0.01)  # se 0.22%
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.02)
    t0 = poisson_arrivals(N, 4.0, rng(20), start_at_zero=True)
    assert t0[0] == 0.0
    np.testing.assert_allclose(t0[1:] - t0[1], t[1:] - t[1])  # same gaps after the first


def test_gamma_arrivals_cv() -> None:
    t = gamma_arrivals(N, 2.0, 3.0, rng(21))
    gaps = np.diff(t)
    assert t[0] == 0.0
    assert gaps.mean() == pytest.approx(0.5, rel=0.03)  # se 0.67%
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.05)


def test_scaling_arrivals() -> None:
    t = np.array([0.0, 1.0, 3.0, 4.0])
    np.testing.assert_allclose(scale_arrivals(t, 2.0), [0.0, 0.5, 1.5, 2.0])
    assert mean_rate_per_s(t) == pytest.approx(0.75)
    assert mean_rate_per_s(scale_to_rate(t, 10.0)) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: poisson_arrivals(5, 0.0, rng()), "rate_per_s"),
        (lambda: poisson_arrivals(5, float("inf"), rng()), "rate_per_s"),
        (lambda: gamma_arrivals(5, 1.0, -1.0, rng()), "gap_cv"),
        (lambda: scale_arrivals([0.0, 1.0], 0.0), "factor"),
        (lambda: scale_arrivals([1.0, 0.5], 2.0), "non-decreasing"),
        (lambda: scale_arrivals([-1.0, 0.5], 2.0), ">= 0"),
        (lambda: scale_arrivals([], 2.0), "non-empty"),
        (lambda: mean_rate_per_s([3.0]), "two arrivals"),
        (lambda: scale_to_rate([0.0, 1.0], -2.0), "rate_per_s"),
    ],
)
def test_arrival_validation(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        call()
