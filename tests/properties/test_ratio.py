"""Claim C2, the ratio: E[AvgImb_FCFS]/AvgImb_BF-IO(H=0) ≥ ratio_lower = fcfs_lower/bfio_upper, and
ratio_lower = Ω(√(B log G)) in the regime B ≥ B_min(G).

Theorem (ours, ``lbtheory.theory.bounds.ratio_lower``): under H_sat with fixed outputs, R ≥ G·B and an
exact H = 0 optimiser. The symbolic part checks the asymptotics with ``sympy.limit``; the numeric part runs
FCFS and BF-IO on the same workload and compares the measured ratio, the FCFS side allowing the
deviation ε (Bernstein with the exact block variance; FCFS's average is a statistic, BF-IO's bound is
deterministic).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, find, given, settings, target

from lbtheory.engine.simulate import simulate
from lbtheory.testing import ExactH0, mcdiarmid_eps, registered_bfio, window_imbalance
from lbtheory.testing.strategies import (
    IidInstance,
    OutputLaw,
    PromptLaw,
    iid_instances,
    output_laws,
)
from lbtheory.theory import bounds as bd
from lbtheory.theory.evaluate import DomainError, get
from lbtheory.theory.stats import run_tolerances
from lbtheory.theory.symbols import B, G, s_max, s_min, sigma_s

FAIL_PROB = 1e-9
FIXED = output_laws(max_mean=3, kinds=("fixed",))


def test_ratio_is_order_sqrt_b_log_g() -> None:
    """ratio_lower/√(B log G) → σ_s/Δ_s as B → ∞ then G → ∞ (inside the regime)."""
    e = bd.ratio_lower_regime() / sp.sqrt(B * sp.log(G))
    inner = sp.limit(e, B, sp.oo)
    assert sp.simplify(sp.limit(inner, G, sp.oo) - sigma_s / (s_max - s_min)) == 0


def test_gaussmax_factor_is_sqrt_log_g() -> None:
    """ℓ/√(log G) → 1; the pair factor → 1/√6 as B → ∞; the load-blind upper bound over
    G·σ_s√(2B log G) → 1: FCFS is Θ(G·σ_s·√(B log G))."""
    f = bd.fcfs_gaussmax_factor_regime() / sp.sqrt(sp.log(G))
    assert sp.limit(sp.limit(f, B, sp.oo), G, sp.oo) == 1
    pair = bd.fcfs_lower_pair().subs(G, 2) / (2 * sigma_s * sp.sqrt(B))
    assert sp.limit(pair, B, sp.oo) == 1 / sp.sqrt(6)
    up = bd.loadblind_upper() / (G * sigma_s * sp.sqrt(2 * B * sp.log(G)))
    assert sp.limit(up, B, sp.oo) == 1


def test_regime_threshold() -> None:
    """B_min(G) = (2·C_BE·ρ₃/σ_s³)²·2πG(1 + log G)²/log G; at B = B_min and x = √(log G) the
    Gaussian-max factor is positive for every G ≥ 4 on a grid, and ℓ/√(log G) climbs toward 1
    (0.18 at G = 4, 0.50 at G = 64, 0.89 at G = 1024). For G = 2 only the pair bound is informative."""
    rec = get("fcfs_lower_gaussmax")
    for g in (4, 16, 64, 256, 1024):
        p = {"G": g, "sigma_s": 1.0, "rho_3": 1.0, "m_4": 1.0, "s_min": 1.0, "s_max": 3.0}
        bmin = get("gaussmax_regime_b_min").value(p)
        p["B"] = float(np.ceil(bmin))
        p["x"] = float(np.sqrt(np.log(g)))
        assert rec.value(p) > 0


def _ratio(inst: IidInstance, bfio: object) -> tuple[float, float, float]:
    """(FCFS window average, BF-IO window average, ε of the FCFS average: Bernstein's with the exact block
    variance for fixed outputs, McDiarmid's otherwise)."""
    rf = simulate(inst.workload(), inst.config(), "fcfs", seed=inst.seed)
    rb = simulate(inst.workload(), inst.config(), bfio, seed=inst.seed)  # type: ignore[arg-type]
    p = inst.params()
    if inst.outputs.kind == "fixed":
        eps = run_tolerances(rf, inst.law.values, inst.law.probs, FAIL_PROB)["eps_below"]
    else:
        eps = mcdiarmid_eps(rf, p["s_max"] - p["s_min"], FAIL_PROB)
    return float(window_imbalance(rf).mean()), float(window_imbalance(rb).mean()), eps


def _check(inst: IidInstance, bfio: object) -> None:
    if inst.G < 2:  # one worker: Imb = 0 for every policy, the ratio is undefined (DomainError)
        with pytest.raises(DomainError):
            get("ratio_lower").value(inst.params())
        return
    f, b, eps = _ratio(inst, bfio)
    rl = get("ratio_lower").value(inst.params())
    if b == 0:
        return  # ratio infinite
    target(rl * b / max(f, 1e-9), label="bound/ratio")
    assert (f + eps) / b >= rl, f"measured ratio {(f + eps) / b:.3f} < bound {rl:.3f}"


@given(inst=iid_instances(max_workers=3, max_slots=2, refills=200, outputs=FIXED))
@example(inst=IidInstance(2, 1, PromptLaw((1, 101), (0.5, 0.5)), OutputLaw("fixed", 1), 200, 0, 2))
def test_measured_ratio_exact_h0(inst: IidInstance) -> None:
    """FCFS vs the exact H = 0 optimiser on tiny instances."""
    _check(inst, ExactH0())


@given(inst=iid_instances(max_workers=16, max_slots=16, refills=600, outputs=FIXED))
def test_measured_ratio_registered_bfio(inst: IidInstance) -> None:
    """FCFS vs the registered BF-IO (H = 0)."""
    policy, why = registered_bfio(0)
    if policy is None:
        pytest.skip(why)
    _check(inst, policy)


def test_teeth_scaled_ratio_is_violated() -> None:
    """ratio_lower × 3 is false: with B = 1 and R = G·B, BF-IO has no choice and equals FCFS (ratio 1),
    while 3·ratio_lower reaches 1.5 for a symmetric two-point law. The search finds such an instance."""

    def violates(inst: IidInstance) -> bool:
        if inst.G < 2:
            return False
        f, b, eps = _ratio(inst, ExactH0())
        return b > 0 and (f + eps) / b < 3 * get("ratio_lower").value(inst.params())

    found = find(iid_instances(max_workers=2, max_slots=1, refills=3000, outputs=FIXED), violates,
                 settings=settings(max_examples=200, database=None, derandomize=True, deadline=None))
    assert found.B == 1
