"""The roofline step time against hand computations from its sourced inputs, and the wait-power evidence."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from lbtheory.errors import ConfigError
from lbtheory.hardware.roofline import (
    card_from_dict,
    get_roofline_model,
    load_card,
    roofline_step,
    theta_at,
    theta_by_card,
)
from lbtheory.hardware.wait_power import evidence_from_dict, load_wait_power_evidence
from lbtheory.model import StepTimeModel

CARDS = ("a100", "h100", "h200", "b200", "mi300x")


def _raw(card: str) -> dict:
    return json.loads((resources.files("lbtheory.hardware") / "profiles" / f"{card}.json").read_text())


@pytest.mark.parametrize("card", CARDS)
def test_every_roofline_input_is_sourced(card):
    block = _raw(card)["roofline"]
    for key, v in block.items():
        assert v["source"].strip(), (card, key)
        assert v["kind"] in ("datasheet", "measurement", "projection"), (card, key)
        if v["kind"] == "projection":
            assert v.get("note", "").strip(), (card, key)


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("G,B", [(4, 8), (16, 72), (256, 128)])
def test_deepseek_step_time_by_hand(card, G, B):
    """C and t recomputed here from the JSON numbers and DeepSeek-V3's config, not from the code's parts."""
    d = _raw(card)
    beta = d["hbm_bandwidth_tb_per_s"]["value"] * 1e12
    flops = d["bf16_dense_tflops"]["value"] * 1e12
    eta = d["overhead_factor"]["value"]
    rf = d["roofline"]
    up, out = rf["scaleup_gb_per_s"]["value"] * 1e9, rf["scaleout_gb_per_s"]["value"] * 1e9
    D, eps, phi = rf["scaleup_domain_gpus"]["value"], rf["compute_efficiency"]["value"], rf["comm_overlap"]["value"]
    kappa = 2 * (512 + 64) * 61                      # MLA latent + RoPE key, 61 layers, BF16
    n_exp = 58 * 256 * 3 * 7168 * 2048               # routed experts
    n_rep = 671e9 - n_exp
    q = 58 * 8 * 7168 * 3                            # FP8 dispatch + BF16 combine, 8 experts, 58 layers
    t = eta * kappa / beta
    compute = 2 * 37e9 * B / (flops * eps)
    weights = eta * 1.0 * (n_rep + n_exp / G) / beta
    local = (min(G, D) - 1) / G
    remote = max(G - D, 0) / G
    comm = B * q * (local / up + remote / out)
    C = max(compute, weights) + (1 - phi) * comm
    s = roofline_step(load_card(card), get_roofline_model("deepseek-v3"), B, G)
    assert s.token_time_s == pytest.approx(t, rel=1e-12)
    assert s.step_overhead_s == pytest.approx(C, rel=1e-12)
    L = B * 1000.0
    assert s.theta(L) == pytest.approx(t * L / (C + t * L), rel=1e-12)


def test_dense_model_has_no_all_to_all():
    s = roofline_step(load_card("h100"), get_roofline_model("llama-3-70b"), 32, 64)
    d = _raw("h100")
    beta = d["hbm_bandwidth_tb_per_s"]["value"] * 1e12
    assert s.comm_s == 0.0
    assert s.token_time_s == pytest.approx(1.5 * 2 * 8 * 128 * 80 * 2 / beta)
    assert s.weights_s == pytest.approx(1.5 * 70.6e9 / beta)


def test_theta_differs_by_card_for_one_setting():
    th = theta_by_card(CARDS, "deepseek-v3", 72, 256, load_tokens=72 * 2000.0)
    assert len({round(v, 4) for v in th.values()}) >= 2
    assert all(0 < v < 1 for v in th.values())
    # the slower HBM of an H100 than an H200 raises t while C (compute-bound here) stays: θ is higher
    assert th["h100"] > th["h200"]


def test_theta_at_formula_and_errors():
    st = StepTimeModel(0.01, 1e-7)
    assert theta_at(st, 1e5) == pytest.approx(0.01 / 0.02)
    assert theta_at(st, 0.0) == 0.0
    with pytest.raises(ConfigError, match="load_tokens"):
        theta_at(st, -1.0)


def test_bad_roofline_block_names_the_field():
    d = _raw("h200")
    del d["roofline"]["scaleout_gb_per_s"]
    with pytest.raises(ConfigError, match="scaleout_gb_per_s"):
        card_from_dict(d, "h200")
    d = _raw("h200")
    d["roofline"]["comm_overlap"]["value"] = 1.0
    with pytest.raises(ConfigError, match="comm_overlap"):
        card_from_dict(d, "h200")


def test_wait_power_evidence_numbers_and_default():
    ev = load_wait_power_evidence()
    # the published constants, as read in the cited files
    assert ev.entry("splitwise_a100_idle").value_w == 63
    assert ev.entry("splitwise_a100_prompt").value_w == 400
    assert ev.entry("splitwise_a100_token").value_w == 250
    assert (ev.entry("splitwise_h100_idle").value_w, ev.entry("splitwise_h100_prompt").value_w,
            ev.entry("splitwise_h100_token").value_w) == (75, 700, 380)
    assert ev.entry("perseus_p2p_blocked").value_w == 70
    assert ev.entry("nccl_spin_low_power").value_w is None
    for e in ev.entries:
        assert e.kind in ("measured", "modelled", "assumed") and e.source
    # default r = median of 70/250, 63/250, 75/380
    assert ev.default_r == pytest.approx(sorted([70 / 250, 63 / 250, 75 / 380])[1])
    assert ev.axis == (0.1, 1.0)


def test_evidence_rejects_bad_entries():
    base = {"entries": [{"id": "a", "device": "x", "state": "idle", "value_w": 50, "kind": "measured",
                         "source": "s"},
                        {"id": "b", "device": "x", "state": "decode", "value_w": 200, "kind": "measured",
                         "source": "s"}],
            "ratios": [{"id": "q", "numerator": "a", "denominator": "b"}]}
    assert evidence_from_dict(base).default_r == pytest.approx(0.25)
    bad = json.loads(json.dumps(base))
    bad["entries"][0]["kind"] = "guess"
    with pytest.raises(ConfigError, match="kind"):
        evidence_from_dict(bad)
    bad = json.loads(json.dumps(base))
    bad["ratios"][0]["numerator"] = "zz"
    with pytest.raises(ConfigError, match="unknown entry"):
        evidence_from_dict(bad)
    bad = json.loads(json.dumps(base))
    bad["ratios"] = []
    with pytest.raises(ConfigError, match="no ratios"):
        evidence_from_dict(bad)
