"""Each step of each proof in lbtheory.theory.bounds, checked exactly on small cases
(``lbtheory.theory.steps``: rational arithmetic on exact convolutions, 40-digit normal cdf, exhaustive
enumeration of tiny engine runs). One test per step; each has teeth (a mutated step fails on a case)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

from lbtheory.engine.simulate import simulate
from lbtheory.policies.base import Admission, EpochView, Policy
from lbtheory.testing.strategies import IidInstance, OutputLaw, PromptLaw
from lbtheory.theory import bounds as bd
from lbtheory.theory import steps as S
from lbtheory.theory.exact import law_params
from lbtheory.theory.symbols import B, G, rho_3, sigma_s

#: small laws: symmetric two-point, skewed two-point, three-point, a lattice with a gap
LAWS = [
    S.law([1, 2], ["1/2", "1/2"]),
    S.law([1, 9], ["9/10", "1/10"]),
    S.law([1, 3, 7], ["1/5", "1/2", "3/10"]),
    S.law([2, 3, 10, 11], ["1/4", "1/4", "1/4", "1/4"]),
]
CASES = [(d, b, g) for d in LAWS for b in (1, 2, 3) for g in (2, 3, 5)]


@pytest.mark.parametrize(("d", "slots", "workers"), CASES)
def test_step_symmetrisation(d: S.Dist, slots: int, workers: int) -> None:
    """E max_g(a_g + S_g) ≥ E max_g(ā + S_g) for unequal offsets (the lemma)."""
    for offsets in ([0] * workers, list(range(workers)), [0] * (workers - 1) + [7]):
        assert S.step_symmetrisation(d, slots, offsets).holds


def test_step_symmetrisation_teeth() -> None:
    """The reverse inequality is false: with unequal offsets the max gains strictly."""
    st = S.step_symmetrisation(LAWS[0], 1, [0, 5])
    assert st.lhs < st.rhs


@pytest.mark.parametrize(("d", "slots", "workers"), CASES)
def test_step_max_ge_pair(d: S.Dist, slots: int, workers: int) -> None:
    """E max_g S_g ≥ E max(S_1, S_2) = Bμ + E|S_1 − S_2|/2 (exact identity)."""
    ge, ident = S.step_max_ge_pair(d, slots, workers)
    assert ge.holds and ident.holds
    assert ident.rhs != slots * sum(x * p for x, p in d.items())  # the |Y|/2 term is not zero


@pytest.mark.parametrize(("d", "slots"), [(d, b) for d in LAWS for b in (1, 2, 3, 4)])
def test_step_holder(d: S.Dist, slots: int) -> None:
    """E Y², E Y⁴ as stated (exact rationals) and Hölder (E Y²)³ ≤ (E|Y|)²·E Y⁴."""
    y2, y4, hold = S.step_holder(d, slots)
    assert y2.holds and y4.holds and hold.holds


def test_step_holder_teeth() -> None:
    """E Y⁴ with 12B² replaced by 6B² is wrong (the identity has teeth), and Hölder is tight for the
    symmetric two-point law at B = 1 (|Y| ∈ {0, 1}: (E Y²)³ = (E|Y|)²·E Y⁴)."""
    d = LAWS[2]
    _, y4, _ = S.step_holder(d, 2)
    mu = sum(x * p for x, p in d.items())
    var = sum(p * (x - mu) ** 2 for x, p in d.items())
    m4 = sum(p * (x - mu) ** 4 for x, p in d.items())
    assert y4.lhs != 2 * 2 * m4 + (6 * 4 - 6 * 2) * var**2
    _, _, hold = S.step_holder(LAWS[0], 1)
    assert hold.lhs == hold.rhs


XS = [F(0), F(1, 2), F(1), F(3, 2), F(5, 2)]


@pytest.mark.parametrize(("d", "slots", "workers"), CASES)
def test_step_mean_max_split(d: S.Dist, slots: int, workers: int) -> None:
    """E max Z ≥ x·P(max Z ≥ x) − E[(max Z)⁻] for every threshold x ≥ 0."""
    for x in XS:
        assert S.step_mean_max_split(d, slots, workers, x).holds


@pytest.mark.parametrize(("d", "slots", "workers"), CASES)
def test_step_max_tail(d: S.Dist, slots: int, workers: int) -> None:
    """P(max Z ≥ x) = 1 − (1 − p)^G ≥ 1 − e^{−Gp}."""
    for x in XS:
        assert S.step_max_tail(d, slots, workers, x).holds


@pytest.mark.parametrize(("d", "slots"), [(d, b) for d in LAWS for b in (1, 2, 3, 5, 8)])
def test_step_berry_esseen(d: S.Dist, slots: int) -> None:
    """sup_z |F_Z(z) − Φ(z)| ≤ ε_B = 0.4748ρ₃/(σ³√B), the sup exact over the atoms."""
    st = S.step_berry_esseen(d, slots)
    assert st.holds
    assert st.lhs > 0


def test_step_berry_esseen_teeth() -> None:
    """With the constant divided by 4 the step fails (symmetric two-point law, B = 1: sup = 0.341)."""
    st = S.step_berry_esseen(LAWS[0], 1)
    assert st.lhs == pytest.approx(0.5 - 0.158655, abs=1e-5)
    assert st.lhs > st.rhs / 4


@pytest.mark.parametrize(("d", "slots", "workers"), CASES)
def test_step_negative_part(d: S.Dist, slots: int, workers: int) -> None:
    """E[(max Z)⁻] ≤ E[Z⁻]·P(Z < 0)^{G−1}; E[Z⁻] ≤ ½; P(Z < 0) ≤ ½ + ε_B."""
    for st in S.step_negative_part(d, slots, workers):
        assert st.holds, st


def test_step_negative_part_teeth() -> None:
    """The exponent G − 1 cannot be raised to G: E[(max Z)⁻] > E[Z⁻]·P(Z < 0)^G on a case."""
    d = LAWS[1]
    first, _, third = S.step_negative_part(d, 1, 3)
    assert first.lhs > first.rhs * third.lhs


@pytest.mark.parametrize("workers", [2, 4, 16, 64, 256, 1024])
def test_step_eps_at_b_min(workers: int) -> None:
    """At B = ⌈B_min(G)⌉, ε_B ≤ p_G/2, and Mills' p_G ≤ Φ̄(√log G); at B_min − 1 (when ≥ 1) ε_B > p_G/2."""
    p = law_params(np.arange(1, 11), np.full(10, 0.1))
    a, mills = S.step_eps_at_b_min(workers, p)
    assert a.holds and mills.holds
    bmin = int(np.ceil(bd.gaussmax_regime_b_min().subs({G: workers, rho_3: p["rho_3"],
                                                         sigma_s: p["sigma_s"]})))
    eps_below = 0.4748 * p["rho_3"] / (p["sigma_s"] ** 3 * np.sqrt(bmin - 1))
    assert eps_below > a.rhs


def test_step_eps_at_b_min_symbolic() -> None:
    """ε_B at B = B_min is exactly p_G/2 (sympy)."""
    eps = bd.berry_esseen_eps().subs(B, bd.gaussmax_regime_b_min())
    assert sp.simplify(eps - bd.mills_tail_at_sqrt_log_g() / 2) == 0


# ------------------------------------------------------------------------------------------ ages


class ShortestPredictedFirst(Policy):
    """Output-aware (teeth only): fill each free slot with the window request of least predicted output."""

    name = "shortest_predicted_first"
    needs_predictions = True

    def decide(self, view: EpochView) -> Admission:
        pred = view.window_predicted_output_tokens
        assert pred is not None
        order = np.argsort(pred, kind="stable")
        reqs, wks = [], []
        j = 0
        for g, free in enumerate(view.free_slots):
            for _ in range(int(free)):
                if j < order.size:
                    reqs.append(int(view.window_requests[order[j]]))
                    wks.append(g)
                    j += 1
        return Admission(np.asarray(reqs, np.int64), np.asarray(wks, np.int64))


PROMPTS = [5, 1, 9, 2, 7, 3, 8, 4, 6, 2]


@pytest.mark.parametrize("policy", ["fcfs", "jsq_tokens", "round_robin"])
def test_step_iid_ages(policy: str) -> None:
    """Exhaustive: the joint law of the slot ages at step k is the product of the claimed geometric
    marginals, exactly (G = 2, B = 1, R = 2, q = 1/2 and 2/3, k = 2), for output-blind policies,
    load-aware JSQ included."""
    for q in (F(1, 2), F(2, 3)):
        joint, prod = S.step_iid_ages(policy, 2, PROMPTS, q, 3)
        assert joint == {k: v for k, v in prod.items() if v}


def test_step_iid_ages_teeth() -> None:
    """An output-aware policy (shortest predicted output first, R = 2) breaks the claim."""
    joint, prod = S.step_iid_ages(ShortestPredictedFirst(), 2, PROMPTS, F(1, 2), 3, with_predictions=True)
    assert joint != {k: v for k, v in prod.items() if v}


def test_step_age_law_moments() -> None:
    """σ_a² and m₄ₐ of age_moments_geometric are those of P(a = j) = p·q^j: central moments from the
    moment generating function p/(1 − q·e^τ) (sympy, exact), and at p = 1/3 from a direct series."""
    p_, tau = sp.symbols("p tau", positive=True)
    q = 1 - p_
    mgf = p_ / (1 - q * sp.exp(tau))
    raw = [sp.simplify(sp.diff(mgf, tau, n).subs(tau, 0)) for n in range(5)]
    m = raw[1]
    var = sp.simplify(raw[2] - m**2)
    m4 = sp.simplify(raw[4] - 4 * m * raw[3] + 6 * m**2 * raw[2] - 3 * m**4)
    va, m4a = bd.age_moments_geometric()
    o = sp.Symbol("o", positive=True)
    assert sp.simplify(var - va.subs(o, 1 / p_)) == 0
    assert sp.simplify(m4 - m4a.subs(o, 1 / p_)) == 0
    # direct: p = 1/3, the series truncated at 400 terms (remainder < 1e-60)
    pr = [F(1, 3) * F(2, 3) ** j for j in range(400)]
    mu = sum(j * w for j, w in enumerate(pr))
    assert float(sum((j - mu) ** 2 * w for j, w in enumerate(pr))) == pytest.approx(
        float(va.subs(o, 3)), rel=1e-12)


@pytest.mark.parametrize("policy", ["fcfs", "jsq_tokens", "random"])
def test_step_age_prompt_split(policy: str) -> None:
    """Per window step, Imb(k) ≥ G(max A − Ā) − (G − 1)BΔ_s (deterministic; geometric outputs)."""
    inst = IidInstance(3, 2, PromptLaw((1, 5, 20), (0.3, 0.4, 0.3)), OutputLaw("geometric", 8), 60, 7, 6)
    res = simulate(inst.workload(), inst.config(), policy, seed=1)
    imb, rhs = S.step_age_prompt_split(res, 19.0)
    assert np.all(imb >= rhs - 1e-9)
    assert np.any(rhs > 0)  # the inequality is not vacuous on this run
    # teeth: without the prompt term the inequality fails somewhere
    assert np.any(imb < rhs + (inst.G - 1) * inst.B * 19.0 - 1e-9)


# ------------------------------------------------------- moderate deviations (exponential tilting)

TAUS = [0.25, 1.0, 2.0, 3.5]
TILT_CASES = [(d, b) for d in LAWS for b in (1, 4, 16)]


@pytest.mark.parametrize(("d", "slots"), TILT_CASES)
def test_step_tilt_pieces(d: S.Dist, slots: int) -> None:
    """Bennett Λ ≤ κ, BΛ ≥ lam_lo, m_lo ≤ √B·m/σ ≤ m_hi, √v/σ ≤ sd_hi against the exact tilted law."""
    for tau in TAUS:
        for st in S.step_tilt_pieces(d, slots, tau):
            assert st.holds, (st, tau)


def test_step_tilt_pieces_teeth() -> None:
    """Each piece is nearly tight somewhere, so a 10% tightening of any of them fails on a case:
    κ·0.9 < Λ, lam_lo·1.1 > BΛ, m_hi·0.9 < √B m/σ (small tilt: m ≈ λσ²), sd_hi·0.9 < √v/σ."""
    d = LAWS[0]
    ben, low, _, hi, sd = S.step_tilt_pieces(d, 16, 0.25)
    assert ben.lhs > 0.9 * ben.rhs and low.lhs * 1.1 > low.rhs
    assert hi.lhs > 0.9 * hi.rhs and sd.lhs > 0.9 * sd.rhs
    _, _, lo, _, _ = S.step_tilt_pieces(LAWS[2], 16, 0.25)
    assert lo.lhs * 1.1 > lo.rhs


@pytest.mark.parametrize(("d", "slots"), TILT_CASES)
def test_step_change_of_measure(d: S.Dist, slots: int) -> None:
    """Chebyshev under the tilted law and P(T ≥ a) ≥ e^{BΛ − λu}·Q(a ≤ T ≤ u), exact."""
    sig = float(np.sqrt(float(S._mu_var(d)[1])))
    for tau in TAUS:
        for c in (1.1, 2.0):
            for st in S.step_change_of_measure(d, slots, tau / (sig * np.sqrt(slots)), c):
                assert st.holds, (st, tau, c)


def test_step_change_of_measure_teeth() -> None:
    """The weight must be taken at the window's top u: with e^{BΛ − λa} (its bottom) the inequality is
    false on a case, and Chebyshev's 1 − 1/c² cannot be replaced by 1 − 1/(2c²)."""
    import mpmath

    d, slots = LAWS[0], 16
    sig = float(np.sqrt(float(S._mu_var(d)[1])))
    lam = 2.0 / (sig * 4)
    rows, blam = S._tilted_sum(d, slots, lam)
    t = S.tilted_moments(d, lam)
    mean, sd = slots * t["m"], mpmath.sqrt(slots * t["v"])
    a, u = mean - 1.1 * sd, mean + 1.1 * sd
    q_win = mpmath.fsum(q for x, _, q in rows if a <= x <= u)
    p_tail = mpmath.fsum(p for x, p, _ in rows if x >= a)
    assert mpmath.exp(blam - lam * a) * q_win > p_tail
    worst = min(float(S.step_change_of_measure(dd, b, 0.0, c)[0].rhs) - (1 - 1 / (2 * c * c))
                for dd in LAWS for b in (1, 4) for c in (1.1, 2.0))
    assert worst < 0


@pytest.mark.parametrize(("d", "slots"), [(d, b) for d in LAWS for b in (8, 32, 64)])
def test_step_moderate_tail(d: S.Dist, slots: int) -> None:
    """P(Z ≥ x_τ) ≥ p_τ, the exact tail of the block sum, at several tilts (some with x_τ > 0)."""
    positive = 0
    for tau in (0.5, 1.5, 2.5, 3.5):
        st = S.step_moderate_tail(d, slots, tau)
        assert st.holds, (st, tau)
        positive += st.lhs > 0
    assert positive > 0


def test_step_moderate_tail_teeth() -> None:
    """p_τ is within a factor 20 of the exact tail at B = 128 (τ = 1, symmetric two-point law): 20·p_τ
    exceeds it, so a 20-fold tightening of the step fails (the Chebyshev window costs 1 − 1/c² = 0.17)."""
    st = S.step_moderate_tail(LAWS[0], 128, 1.0)
    assert 0 < st.lhs <= st.rhs < 20 * st.lhs


@pytest.mark.parametrize(("d", "slots"), [(d, b) for d in LAWS for b in (1, 2, 3, 6)])
def test_step_positive_part(d: S.Dist, slots: int) -> None:
    """E Z⁴ identity (exact rationals) and P(Z > 0) ≥ 1/(4 E Z⁴)."""
    ident, pos = S.step_positive_part(d, slots)
    assert ident.holds and pos.holds


def test_step_positive_part_teeth() -> None:
    """E Z⁴ with 3(B − 1) replaced by 3B is wrong; P(Z > 0) ≥ 1/E Z⁴ (dropping the 4) fails on a case."""
    d = LAWS[1]
    ident, pos = S.step_positive_part(d, 1)
    mu = sum(x * p for x, p in d.items())
    var = sum(p * (x - mu) ** 2 for x, p in d.items())
    m4 = sum(p * (x - mu) ** 4 for x, p in d.items())
    assert ident.lhs != (m4 + 3 * var**2) / var**2
    assert 4 * pos.lhs > pos.rhs  # 1/E Z⁴ > P(Z > 0) for the skewed law at B = 1


# ----------------------------------------- load-blind policies under geometric outputs (the upper bound)

GEO_CASES = [(2, 1, 3), (3, 1, 2), (2, 2, 2)]  # (G, B, steps): every output sequence is enumerated


@pytest.mark.parametrize("policy", ["fcfs", "round_robin"])
@pytest.mark.parametrize(("workers", "slots", "steps"), GEO_CASES)
def test_step_loadblind_geometric_law(policy: str, workers: int, slots: int, steps: int) -> None:
    """Exhaustive: the engine's E[Imb(k)] under geometric outputs equals the i.i.d.-loads formula
    (each L_g a sum of B fresh prompts and B independent ages of law min(a, k)), for q = 1/2 and 2/3."""
    for q in (F(1, 2), F(2, 3)):
        st = S.step_loadblind_geometric_law(policy, workers, slots, [1, 4], ["1/3", "2/3"], q, steps)
        assert st.holds, st


def test_step_loadblind_geometric_law_teeth() -> None:
    """The formula needs the ages at step k (min(a, k)): with the stationary age law it is wrong; and a
    load-aware policy (JSQ by tokens) is rejected, its assignment depending on the prompts."""
    from lbtheory.theory.exact import loadblind_geometric_gap

    st = S.step_loadblind_geometric_law("fcfs", 2, 1, [1, 4], ["1/3", "2/3"], F(1, 2), 3)
    stationary = loadblind_geometric_gap([1, 4], [1 / 3, 2 / 3], 2, 1, 2.0, 1)
    assert abs(st.lhs - stationary) > 1e-3
    with pytest.raises(ValueError, match="not load-blind"):
        S.step_loadblind_geometric_law("jsq_tokens", 2, 2, [1, 4], ["1/3", "2/3"], F(1, 2), 2)


@pytest.mark.parametrize(("d", "slots", "workers"), CASES)
def test_step_chernoff_max(d: S.Dist, slots: int, workers: int) -> None:
    """E max_g X_g ≤ (log G + log E e^{λX})/λ for several λ (exact E max)."""
    sig = float(np.sqrt(float(S._mu_var(d)[1])))
    for t in (0.3, 1.0, 2.0):
        assert S.step_chernoff_max(d, slots, workers, t / (sig * np.sqrt(slots))).holds


def test_step_chernoff_max_teeth() -> None:
    """Near its best λ the inequality is within a factor 1.5 at G = 5 (so 2/3 of it fails), and log G cannot
    be dropped (at G = 2, (cgf)/λ alone is below E max for small λ)."""
    d = LAWS[0]
    sig = float(np.sqrt(float(S._mu_var(d)[1])))
    best = min((S.step_chernoff_max(d, 3, 5, t / (sig * np.sqrt(3))) for t in np.linspace(0.2, 4, 40)),
               key=lambda st: st.rhs)
    assert best.lhs > best.rhs / 1.5
    st = S.step_chernoff_max(d, 3, 2, 0.1 / (sig * np.sqrt(3)))
    assert st.rhs - np.log(2) / (0.1 / (sig * np.sqrt(3))) < st.lhs


def test_step_geometric_age_cgf_symbolic() -> None:
    """ψ_a(λ) of geometric_age_cgf is the centred cumulant generating function of P(a = j) = p·q^j: at
    o = 3 and e^λ = 5/4 (q e^λ = 5/6) the series Σ_j p (q e^λ)^j = 2 (sympy summation) gives
    ψ_a = log 2 − 2·log(5/4); and ψ_a'(0) = 0, ψ_a''(0) = σ_a² = q/p² (age_moments_geometric)."""
    lam, j = sp.symbols("lambda j", positive=True)
    o = sp.Symbol("o", positive=True)
    psi = bd.geometric_age_cgf(lam)
    series = sp.summation(sp.Rational(1, 3) * sp.Rational(5, 6) ** j, (j, 0, sp.oo))
    assert series == 2
    val = psi.subs({o: 3, lam: sp.log(sp.Rational(5, 4))})
    assert sp.simplify(val - (sp.log(series) - 2 * sp.log(sp.Rational(5, 4)))) == 0
    assert sp.simplify(sp.diff(psi, lam).subs(lam, 0)) == 0
    va, _ = bd.age_moments_geometric()
    assert sp.simplify(sp.diff(psi, lam, 2).subs(lam, 0) - va) == 0
