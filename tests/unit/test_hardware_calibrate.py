"""The GPU calibration's analysis on samples drawn from a known model: the fits must recover it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lbtheory.errors import ConfigError
from lbtheory.hardware.calibrate import (
    attention_kv_tokens,
    fit_attention_time,
    fit_power,
    grid,
    measured_profile,
    summary,
)


def _attention_samples(C, t, cb, noise, rng):
    pts = grid([1, 8, 32, 64], [512, 2048, 8192, 32768])
    B = np.array([b for b, _ in pts] * 3, float)
    L = np.array([attention_kv_tokens(b, c) for b, c in pts] * 3, float)
    y = C + t * L + cb * B + rng.normal(0, noise, L.size)
    return B, L, y


def test_attention_fit_recovers_known_c_and_t():
    rng = np.random.default_rng(0)
    C, t = 35e-6, 2.2e-11
    _, L, y = _attention_samples(C, t, 0.0, 1e-7, rng)
    f = fit_attention_time(L, y)
    assert f.token_time_s == pytest.approx(t, rel=0.01)
    assert f.step_overhead_s == pytest.approx(C, rel=0.02)
    assert f.r_squared > 0.999
    assert f.samples == L.size
    # teeth: a different truth is not what comes back
    assert abs(f.token_time_s - 1.1 * t) > 0.05 * t


def test_attention_fit_with_batch_term_and_low_r2_on_noise():
    rng = np.random.default_rng(1)
    B, L, y = _attention_samples(20e-6, 1e-11, 3e-6, 1e-7, rng)
    f = fit_attention_time(L, y, batch=B)
    assert f.per_sequence_s == pytest.approx(3e-6, rel=0.05)
    assert f.token_time_s == pytest.approx(1e-11, rel=0.02)
    pure_noise = rng.normal(1.0, 0.1, L.size)
    assert fit_attention_time(L, pure_noise).r_squared < 0.2
    with pytest.raises(ConfigError, match="differ in length"):
        fit_attention_time(L, y[:-1])
    with pytest.raises(ConfigError, match="too few"):
        fit_attention_time([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])


def test_power_fit_recovers_the_curve_and_ratios():
    rng = np.random.default_rng(2)
    p_idle, p_max, gamma = 75.0, 520.0, 0.6
    idle = p_idle + rng.normal(0, 1.0, 50)
    decode = {u: p_idle + (p_max - p_idle) * u**gamma + rng.normal(0, 2.0, 40) for u in (0.1, 0.25, 0.5, 0.75, 1.0)}
    spin_true = {1: 95.0, 16: 130.0, 132: 300.0}
    spin = {k: v + rng.normal(0, 1.0, 40) for k, v in spin_true.items()}
    f = fit_power(idle, decode, spin)
    assert f.idle_w == pytest.approx(p_idle, abs=1.0)
    assert f.max_w == pytest.approx(p_max, rel=0.01)
    assert f.gamma == pytest.approx(gamma, abs=0.03)
    for k, v in spin_true.items():
        assert f.wait_ratio[k] == pytest.approx(v / p_max, rel=0.02)
    assert f.rmse_w < 3.0
    # teeth: a linear truth gives γ near 1, not the concave 0.6
    lin = {u: p_idle + (p_max - p_idle) * u + rng.normal(0, 2.0, 40) for u in (0.1, 0.5, 1.0)}
    assert fit_power(idle, lin, spin).gamma == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ConfigError, match="two or more"):
        fit_power(idle, {1.0: [500.0, 501.0]}, spin)
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        fit_power(idle, {1.5: [500.0], 0.5: [300.0]}, spin)


def test_measured_profile_is_json_and_carries_provenance():
    rng = np.random.default_rng(3)
    _, L, y = _attention_samples(35e-6, 2e-11, 0.0, 1e-7, rng)
    att = {"mla": fit_attention_time(L, y), "gqa": fit_attention_time(L, 2 * y)}
    pw = fit_power([70.0, 71.0], {0.5: [300.0, 301.0], 1.0: [500.0, 502.0]}, {4: [100.0, 101.0]})
    prof = measured_profile("h200", "NVIDIA H200", att, pw, {"idle_w": summary([70.0, 71.0])},
                            {"torch": "x", "driver": "y"})
    text = json.dumps(prof)
    back = json.loads(text)
    assert back["name"] == "h200-measured" and back["kind"] == "measured"
    assert back["attention"]["gqa"]["token_time_s"] == pytest.approx(2 * att["mla"].token_time_s)
    assert back["power"]["wait_ratio"]["4"] == pytest.approx(100.5 / pw.busy_w)
    assert back["raw_summary"]["idle_w"]["n"] == 2
    with pytest.raises(ConfigError, match="plain word"):
        measured_profile("a/b", "x", att, pw, {}, {})


def test_gpu_calibrate_script_pipeline_on_synthetic_samples(tmp_path):
    """The script's own glue (no GPU, no torch import): samples from a known model are recovered."""
    import importlib
    import sys
    from pathlib import Path

    exp = Path(__file__).resolve().parents[2] / "experiments"
    sys.path.insert(0, str(exp))
    try:
        gc = importlib.import_module("gpu_calibrate")
        raw, prov = gc.synthetic_run(seed=5)
        prof = gc.analyse(raw, prov, "synthetic")
    finally:
        sys.path.remove(str(exp))
        sys.modules.pop("gpu_calibrate", None)
    truth = prov["truth"]
    for name in ("mla", "gqa"):
        assert prof["attention"][name]["token_time_s"] == pytest.approx(truth[name][1], rel=0.01)
        assert prof["attention"][name]["r_squared"] > 0.99
    assert prof["power"]["gamma"] == pytest.approx(truth["gamma"], abs=0.05)
    assert prof["power"]["wait_ratio"]["1"] == pytest.approx(90.0 / truth["max_w"], rel=0.03)
    assert prof["power"]["wait_ratio_range"][0] < prof["power"]["wait_ratio_range"][1]
    assert gc.card_from_name("NVIDIA H200") == "h200"
    (tmp_path / "p.json").write_text(json.dumps(prof))
