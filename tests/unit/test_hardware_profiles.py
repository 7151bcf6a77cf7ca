"""Hardware profiles: the data files load and validate, every number names a source of a known kind, and the
step-time coefficients follow from bytes per token and bandwidth (t = η·κ/β)."""

from __future__ import annotations

import json
import math

import pytest

from lbtheory.errors import ConfigError
from lbtheory.hardware import (
    get_model,
    get_profile,
    load_device,
    paper_profile,
    profile_names,
    served_models,
)
from lbtheory.hardware.models import (
    PAPER_BANDWIDTH_BYTES_PER_S,
    kv_bytes_per_token_gqa,
    kv_bytes_per_token_mla,
    paper_overhead_s,
    token_time_s,
)
from lbtheory.hardware.profiles import (
    NUMERIC_FIELDS,
    SOURCE_KINDS,
    device_from_dict,
    device_names,
    load_device_file,
)
from lbtheory.model import PAPER_TOKEN_TIME_S, StepTimeModel

REQUIRED = {"a100", "h100", "h200", "b200", "mi300x"}


def test_required_profiles_present():
    assert REQUIRED <= set(device_names())
    assert profile_names()[0] == "paper"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_profile_validates_and_orders_powers(name):
    spec = load_device(name)
    assert 0 <= spec.idle_w.value < spec.wait_w.value <= spec.tdp_w.value
    assert spec.idle_w.value < spec.decode_busy_w.value <= spec.tdp_w.value
    assert spec.wait_w.low is not None and spec.wait_w.high is not None
    assert spec.idle_w.value <= spec.wait_w.low <= spec.wait_w.value <= spec.wait_w.high <= spec.tdp_w.value
    curve = spec.power_curve()
    assert float(curve.power_w(0.0)) == pytest.approx(spec.idle_w.value)
    assert float(curve.power_w(1.0)) == pytest.approx(spec.tdp_w.value)
    lc = spec.logistic_curve()
    assert float(lc.power_w(0.0)) == pytest.approx(spec.idle_w.value)
    assert float(lc.power_w(1.0)) == pytest.approx(spec.tdp_w.value)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_number_has_a_source(name):
    spec = load_device(name)
    for f in NUMERIC_FIELDS:
        s = getattr(spec, f)
        assert s.kind in SOURCE_KINDS, (name, f)
        assert s.source.strip(), (name, f)
        if s.kind == "projection":
            assert s.note.strip(), (name, f)
    assert spec.tdp_w.kind == "datasheet"
    assert spec.hbm_bandwidth_tb_per_s.kind == "datasheet"
    assert spec.bf16_dense_tflops.kind == "datasheet"
    assert set(spec.sources()) == {*NUMERIC_FIELDS, "step_overhead"}


def test_datasheet_numbers():
    """The headline datasheet numbers the issue names (TDP) and the bandwidths we use."""
    tdp = {n: load_device(n).tdp_w.value for n in REQUIRED}
    assert tdp == {"a100": 400, "h100": 700, "h200": 700, "b200": 1000, "mi300x": 750}
    bw = {n: load_device(n).hbm_bandwidth_tb_per_s.value for n in REQUIRED}
    assert bw == {"a100": 2.039, "h100": 3.35, "h200": 4.8, "b200": 8.0, "mi300x": 5.3}


def test_kv_bytes_per_token():
    assert kv_bytes_per_token_mla(512, 64, 61) == 70_272 == 2 * 576 * 61
    assert kv_bytes_per_token_gqa(8, 128, 80) == 327_680
    assert get_model("deepseek-v3").kv_bytes_per_token == 70_272
    assert get_model("Llama-3-70B").kv_bytes_per_token == 327_680
    assert get_model("llama-3-8b").kv_bytes_per_token == 131_072
    assert get_model("qwen2.5-7b").kv_bytes_per_token == 57_344
    for m in served_models().values():
        assert m.sources["kv_bytes_per_token"].startswith("datasheet:")
    with pytest.raises(ConfigError, match="available: deepseek-v3"):
        get_model("gpt-5")


def test_paper_token_time_is_eta_kappa_over_beta():
    """The authors' t = 1.5 · 70,272 B / (2^20 B/µs)."""
    assert token_time_s(70_272, PAPER_BANDWIDTH_BYTES_PER_S, 1.5) == pytest.approx(PAPER_TOKEN_TIME_S, rel=1e-12)


@pytest.mark.parametrize("name", sorted(REQUIRED))
@pytest.mark.parametrize("model", ["deepseek-v3", "llama-3-70b", "qwen2.5-7b"])
def test_step_time_consistent_with_bytes_and_bandwidth(name, model):
    spec = load_device(name)
    prof = get_profile(name, 72, model=model)
    kappa = get_model(model).kv_bytes_per_token
    beta = spec.hbm_bandwidth_tb_per_s.value * 1e12
    assert prof.step_time.token_time_s == pytest.approx(spec.overhead_factor.value * kappa / beta, rel=1e-12)
    # C scaled by the same bandwidth ratio as t: C/t is the paper's C/t times κ_paper/κ_model
    c_ratio = prof.step_time.step_overhead_s / paper_overhead_s(72)
    assert c_ratio == pytest.approx(PAPER_BANDWIDTH_BYTES_PER_S / beta, rel=1e-12)
    assert prof.model == model and prof.tdp_w == spec.tdp_w.value and prof.wait_w == spec.wait_w.value


def test_faster_memory_means_faster_tokens():
    t = {n: get_profile(n, 72).step_time.token_time_s for n in REQUIRED}
    assert t["b200"] < t["mi300x"] < t["h200"] < t["h100"] < t["a100"] < PAPER_TOKEN_TIME_S


def test_paper_profile_unchanged():
    p = get_profile("paper", 72)
    assert p == paper_profile(72)
    assert p.step_time == StepTimeModel.paper(72)
    assert (p.power.idle_w, p.power.max_w, p.power.gamma) == (100.0, 400.0, 0.7)
    assert p.wait_w is None and p.model is None
    with pytest.raises(ConfigError):
        get_profile("paper", 72, model="llama-3-70b")


def test_unknown_profile_lists_valid_names():
    with pytest.raises(ConfigError) as e:
        get_profile("tpu-v5", 72)
    for n in ("paper", *REQUIRED):
        assert n in str(e.value)


def _h100_dict():
    from importlib import resources

    return json.loads((resources.files("lbtheory.hardware") / "profiles" / "h100.json").read_text())


@pytest.mark.parametrize(("mutate", "match"), [
    (lambda d: d["wait_w"].update(value=50, low=50), "idle_w < wait_w"),
    (lambda d: d["wait_w"].update(value=800, high=800), "wait_w <= tdp_w|range"),
    (lambda d: d.pop("idle_w"), "field 'idle_w' is missing"),
    (lambda d: d["gamma"].update(kind="rumour"), "field 'gamma'.*kind"),
    (lambda d: d["bf16_dense_tflops"].update(source=""), "field 'bf16_dense_tflops'.*source"),
    (lambda d: d["gamma"].update(note=""), "field 'gamma'.*projection needs a note"),
    (lambda d: d["step_overhead"].update(model="magic"), "step_overhead.model"),
    (lambda d: d["tdp_w"].update(value=math.inf), "field 'tdp_w'.*finite"),
])
def test_bad_profiles_are_rejected_with_the_field(mutate, match):
    d = _h100_dict()
    mutate(d)
    with pytest.raises(ConfigError, match=match):
        device_from_dict(d, "h100-bad.json")


def test_profile_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"name": "x",\n "device": }')
    with pytest.raises(ConfigError, match=r"broken.json, line 2"):
        load_device_file(bad)
    good = tmp_path / "ok.json"
    good.write_text(json.dumps(_h100_dict()))
    assert load_device_file(good).tdp_w.value == 700


def test_fixed_and_paper_overhead_models():
    d = _h100_dict()
    d["step_overhead"] = {"model": "fixed", "value": 0.002, "kind": "projection", "source": "ours", "note": "x"}
    assert device_from_dict(d).step_overhead_s(72) == 0.002
    d["step_overhead"]["model"] = "paper"
    assert device_from_dict(d).step_overhead_s(72) == paper_overhead_s(72)
