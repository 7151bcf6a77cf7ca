"""lbtheory.theory.stats (exact block moments, Bernstein root) and lbtheory.theory.corollaries (the
(B, G) separation region, the energy ceiling's plain functions)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lbtheory.theory import corollaries as co
from lbtheory.theory.exact import block_max_gap, law_params
from lbtheory.theory.stats import bernstein_eps, block_imbalance_moments, window_blocks


@pytest.mark.parametrize(("vals", "probs", "G", "B"), [
    ((1, 3, 7), (0.2, 0.5, 0.3), 3, 2), ((1, 9), (0.9, 0.1), 2, 3), ((2, 5), (0.5, 0.5), 4, 1)])
def test_block_moments_match_enumeration(vals: tuple[int, ...], probs: tuple[float, ...], G: int,
                                         B: int) -> None:
    """E X and Var X of X = G max P − ΣP against exhaustive enumeration of all G·B draws."""
    e = e2 = 0.0
    for combo in itertools.product(range(len(vals)), repeat=G * B):
        w = float(np.prod([probs[i] for i in combo]))
        P = [sum(vals[i] for i in combo[g * B:(g + 1) * B]) for g in range(G)]
        x = G * max(P) - sum(P)
        e += w * x
        e2 += w * x * x
    m, v = block_imbalance_moments(vals, probs, G, B)
    assert m == pytest.approx(e, rel=1e-12)
    assert v == pytest.approx(e2 - e * e, rel=1e-10)
    assert m == pytest.approx(block_max_gap(np.array(vals), np.array(probs), G, B), rel=1e-12)


def test_bernstein_root() -> None:
    """ε solves nε² = 2L(σ² + bε/3) and the tail bound equals fail_prob there; b = 0 gives the
    sub-Gaussian √(2σ²L/n)."""
    n, var, b, d = 400, 9.0, 30.0, 1e-9
    eps = bernstein_eps(n, var, b, d)
    assert math.exp(-n * eps**2 / (2 * (var + b * eps / 3))) == pytest.approx(d, rel=1e-9)
    assert bernstein_eps(n, var, 0.0, d) == pytest.approx(math.sqrt(2 * var * math.log(1 / d) / n))
    with pytest.raises(ValueError):
        window_blocks(7, 10, 2)


def test_separation_region_counts() -> None:
    """Uniform prompts on 1..2048 on the sweep's full grid: only (B, G) = (256, 4) is in the region
    (B_min(4) ≈ 157, B_min(16) ≈ 785); the pair-bound ratio at (8, 4) is (σ/(√6Δ))·√8·4/3 to 5%."""
    law = law_params(np.arange(1, 2049), np.full(2048, 1 / 2048))
    cells = [(b, g) for b in (8, 16, 32, 64, 128, 256) for g in (4, 16, 64, 256, 1024)]
    reg = co.separation_region(cells, law)
    assert reg.proved == ((256, 4),)
    assert 150 < reg.b_min[4] < 160 and 700 < reg.b_min[16] < 800
    approx = law["sigma_s"] / (math.sqrt(6) * 2047) * math.sqrt(8) * 4 / 3
    assert reg.pair_ratio[(8, 4)] == pytest.approx(approx, rel=0.05)
    assert "1 of the 30" in reg.sentence()
    assert set(reg.kappa) == {c for c in cells if c[1] >= 2}
    assert co.separation_proved(256, 4, law) and not co.separation_proved(72, 256, law)


def test_energy_ceiling_monotone_and_validated() -> None:
    """The ceiling grows with θ and r and is below θι* for r ≤ 1; bad inputs are refused by name."""
    vals, probs = np.arange(1, 101), np.full(100, 0.01)
    i = co.fcfs_idle_fraction_ceiling_value(8, 4, vals, probs, 4)
    s = [co.fcfs_energy_saving_ceiling_value(8, 4, vals, probs, 4, th, r)
         for th, r in ((0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (1.0, 1.5))]
    assert s == sorted(s)
    assert s[2] == pytest.approx(i) and s[1] < i
    with pytest.raises(ValueError, match="wait_over_busy"):
        co.fcfs_energy_saving_ceiling_value(8, 4, vals, probs, 4, 1.0, 0.0)
    with pytest.raises(ValueError, match="output_tokens"):
        co.fcfs_idle_fraction_ceiling_value(8, 4, vals, probs, 0)


def test_sweep_region_sentence_counts_the_cells_in_the_proved_region() -> None:
    from lbtheory.theory.corollaries import LAW_KEYS, separation_b_min, sweep_region_sentence
    from lbtheory.theory.exact import law_params

    law = {k: float(v) for k, v in law_params(tuple(range(1, 2049)), (1 / 2048,) * 2048).items()
           if k in LAW_KEYS}
    b_min = separation_b_min(4, law)
    cells = [{"law": "uniform", "outputs": "fixed", "G": 4, "B": b, **law}
             for b in (8, int(b_min) + 1, int(b_min) + 50)]
    cells.append({"law": "uniform", "outputs": "geometric", "G": 4, "B": 10_000, **law})  # not counted
    text = sweep_region_sentence(cells)
    assert "2 of the 3 sweep cells lie in that region" in text
    assert "1 of the 2 sweep cells lies" in sweep_region_sentence(cells[1:2] + cells[:1])
    assert sweep_region_sentence(cells[3:]) == ""


def test_separation_kappa_at_the_paper_cell() -> None:
    """At (B, G) = (72, 256), uniform prompts on 1..2048 (outside the region: B_min ≈ 1.9e4), the proved
    ratio is κ·(σ_s/Δ_s)·√(B log G)·G/(G−1) with κ above the pair bound's alone (the Berry–Esseen
    factor adds) and below the exact κ of FCFS (exact E[Imb] by convolution over bfio_upper)."""
    from lbtheory.theory.exact import block_max_gap

    vals, probs = np.arange(1, 2049), np.full(2048, 1 / 2048)
    law = law_params(vals, probs)
    k = co.separation_kappa(72, 256, law)
    scale = law["sigma_s"] / 2047 * math.sqrt(72 * math.log(256)) * 256 / 255
    pair_k = co.separation_region([(72, 256)], law).pair_ratio[(72, 256)] / scale
    exact_k = block_max_gap(vals, probs, 256, 72) / (255 * 2047) / scale
    assert pair_k * 1.2 < k < exact_k
    assert "κ between" in co.separation_region([(72, 256)], law).sentence()
    with pytest.raises(ValueError, match="G >= 2"):
        co.separation_kappa(72, 1, law)


def _power_cells(law: str, a_f: float, a_b: float) -> list[dict[str, object]]:
    """Synthetic sweep cells with FCFS = 3·B^a_f·(log G)^0.5 and BF-IO = 7·B^a_b·(1 + 0.01·cell noise)."""
    rng = np.random.default_rng(5)
    out: list[dict[str, object]] = []
    for b in (8, 16, 32, 64, 128, 256):
        for g in (4, 16, 64, 256):
            out.append({"law": law, "outputs": "fixed", "B": b, "G": g,
                        "fcfs": 3 * b**a_f * math.log(g) ** 0.5 * math.exp(0.01 * rng.standard_normal()),
                        "bfio_h0": 7 * b**a_b * math.exp(0.01 * rng.standard_normal())})
    return out


def test_exponent_split_recovers_and_subtracts() -> None:
    """Power laws are recovered (to the noise), the ratio's exponent is FCFS's minus BF-IO's to round-off,
    geometric cells and G = 1 are ignored, and the sentence carries the numbers."""
    cells = _power_cells("many", 0.5, -0.7) + _power_cells("two", 0.5, 0.0)
    cells.append({"law": "many", "outputs": "geometric", "B": 8, "G": 4, "fcfs": 1e9, "bfio_h0": 1.0})
    cells.append({"law": "many", "outputs": "fixed", "B": 8, "G": 1, "fcfs": 1e9, "bfio_h0": 1.0})
    sp_ = co.exponent_split(cells)
    m, t = sp_["many"], sp_["two"]
    assert m.n_cells == 24
    assert m.alpha_fcfs == pytest.approx(0.5, abs=0.02) and m.alpha_bfio == pytest.approx(-0.7, abs=0.02)
    assert m.alpha_ratio == pytest.approx(m.alpha_fcfs - m.alpha_bfio, abs=1e-12)
    assert t.alpha_ratio == pytest.approx(0.5, abs=0.02)
    text = co.partition_sentence(cells)
    assert f"many: {m.alpha_ratio:.2f} = {m.alpha_fcfs:.2f} − ({m.alpha_bfio:.2f})" in text
    assert co.partition_sentence(cells[-2:]) == ""
