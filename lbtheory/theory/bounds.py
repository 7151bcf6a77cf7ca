"""The guarantees, each a function returning a sympy expression in the symbols of :mod:`.symbols`.

Notation: Imb(k) = G·max_g L_g(k) − Σ_g L_g(k) (tokens) at the start of step k; Δ_s = s_max − s_min;
S_g = the sum of B i.i.d. prompts; Z = (S_g − Bμ_s)/(σ_s√B).

Shared hypotheses (called **H_sat** below), the paper's setting made precise:

* saturated pool, and every worker runs exactly B requests at every step of the steady-state window
  (guaranteed when the window R ≥ G·B: every freed slot is refilled at once);
* prompt lengths i.i.d., bounded in [s_min, s_max], non-degenerate (σ_s > 0), independent of the output
  lengths;
* every live job's workload grows by the same drift δ per step (δ = 1 in MODEL.md).

Each docstring says whether the statement is *classical*, *ours* (derived here, proof sketched in
``paper/sections/bounds.tex``) or a *conjecture* (stated, searched, not proved). Bounds on an expectation
can only be checked statistically: the property tests average over a long steady-state window and allow a
Bernstein deviation with the exact per-block variance (fixed outputs, :mod:`.stats`) or a McDiarmid one
(geometric outputs: a changed prompt moves Imb(k) by at most (G − 1)·Δ_s), never a hand-tuned slack. Each
proof's steps are checked exactly on small cases in :mod:`.steps`.
"""

from __future__ import annotations

import sympy as sp
from sympy import Expr

from lbtheory.theory.symbols import (
    C_BE,
    C_CHEB,
    B,
    G,
    P_busy,
    P_idle,
    P_max,
    P_wait,
    W,
    delta,
    gamma,
    iota,
    m_4,
    mu_s,
    o,
    rho_3,
    s_low,
    s_max,
    s_min,
    s_top,
    sigma_s,
    tau,
    theta,
    u,
    u_sat,
    x,
    xi,
)

# ------------------------------------------------------------------------------------------ helpers


def prompt_range() -> Expr:
    """Δ_s = s_max − s_min (tokens)."""
    return s_max - s_min


def berry_esseen_eps() -> Expr:
    """ε_B = C_BE·ρ₃/(σ_s³·√B): the Berry–Esseen bound on sup_x |P(Z ≤ x) − Φ(x)| for a sum of B i.i.d.
    prompts (classical; C_BE = 0.4748, Shevtsova 2011)."""
    return C_BE * rho_3 / (sigma_s**3 * sp.sqrt(B))


def mills_tail_at_sqrt_log_g() -> Expr:
    """p_G = x·φ(x)/(1 + x²) at x = √(log G), i.e. √(log G)/((1 + log G)·√(2πG)): a lower bound on the
    Gaussian tail Φ̄(x) (classical Mills-ratio inequality)."""
    x = sp.sqrt(sp.log(G))
    return x / ((1 + x**2) * sp.sqrt(2 * sp.pi * G))


def power_curve(util: Expr = u) -> Expr:
    """P(u) = P_idle + (P_max − P_idle)·(u/u_sat)^γ (W), for 0 ≤ u ≤ u_sat (the paper's curve)."""
    return P_idle + (P_max - P_idle) * (util / u_sat) ** gamma


# ------------------------------------------------------------------------------ (1) FCFS lower bounds


def fcfs_lower_pair() -> Expr:
    """Lower bound on E[Imb(k)] for FCFS (and any load-blind policy), valid for every G ≥ 1, B ≥ 1.

    Statement (ours): under H_sat, for every step k of the window,

        E[Imb(k)] ≥ min(G − 1, 1) · G·σ_s³·B / √(m₄ + (6B − 3)·σ_s⁴).

    Proof idea: conditional on the output lengths, a load-blind policy's active set is fixed, so
    L_g(k) = A_g(k) + S_g(k) with A_g the age sums (fixed) and S_g i.i.d. sums of B prompts. The map
    a ↦ E[max_g (a_g + S_g)] is convex and symmetric, hence ≥ its value at the mean ā, which gives
    E[Imb(k)] ≥ G·(E[max_g S_g] − Bμ_s) (equality when all age sums agree, e.g. fixed outputs). For G ≥ 2,
    E[max_g S_g] − Bμ_s ≥ E|S_1 − S_2|/2 ≥ (E Y²)^{3/2}/(2√(E Y⁴)) (Hölder) with Y = S_1 − S_2,
    E Y² = 2Bσ_s², E Y⁴ = 2B·m₄ + (12B² − 6B)·σ_s⁴. As B → ∞ the bound is G·σ_s·√B/√6.
    """
    core = G * sigma_s**3 * B / sp.sqrt(m_4 + (6 * B - 3) * sigma_s**4)
    return sp.Min(G - 1, 1) * core


def gaussian_tail(z: Expr) -> Expr:
    """Φ̄(z) = P(N(0,1) ≥ z) = erfc(z/√2)/2."""
    return sp.erfc(z / sp.sqrt(2)) / 2


def fcfs_gaussmax_factor(threshold: Expr = x, tail: Expr | None = None) -> Expr:
    """ℓ(x): the Gaussian-max factor of :func:`fcfs_lower_gaussmax` (dimensionless), for a threshold x ≥ 0:

        ℓ(x) = max(0, x·(1 − exp(−G·max(0, Φ̄(x) − ε_B))) − ½·min(1, ½ + ε_B)^{G−1}).

    ``tail`` replaces Φ̄(x) by a lower bound on it (e.g. the Mills bound p_G at x = √(log G)).
    """
    eps = berry_esseen_eps()
    p = gaussian_tail(threshold) if tail is None else tail
    head = threshold * (1 - sp.exp(-G * sp.Max(0, p - eps)))
    rest = sp.Rational(1, 2) * sp.Min(1, sp.Rational(1, 2) + eps) ** (G - 1)
    return sp.Max(0, head - rest)


def fcfs_gaussmax_factor_regime() -> Expr:
    """ℓ at x = √(log G) with Φ̄ replaced by the Mills bound p_G and no clipping: valid inside the regime
    ε_B ≤ p_G (see :func:`gaussmax_regime_b_min`); elementary, so ``sympy.limit`` can take it."""
    xg = sp.sqrt(sp.log(G))
    eps = berry_esseen_eps()
    return xg * (1 - sp.exp(-G * (mills_tail_at_sqrt_log_g() - eps))) - sp.Rational(1, 2) * (
        sp.Rational(1, 2) + eps
    ) ** (G - 1)


def fcfs_lower_gaussmax(threshold: Expr = x) -> Expr:
    """Lower bound on E[Imb(k)] for FCFS (and any load-blind policy) that grows like G·σ_s·√(B log G).

    Statement (ours, constants explicit): under H_sat, for every step k of the window and every x ≥ 0,

        E[Imb(k)] ≥ G·σ_s·√B·ℓ(x),
        ℓ(x) = max(0, x·(1 − e^{−G·(Φ̄(x) − ε_B)⁺}) − ½·min(1, ½ + ε_B)^{G−1}),

    ε_B = 0.4748·ρ₃/(σ_s³√B) (Berry–Esseen). The registry takes the best x on a grid. At x = √(log G),
    Φ̄(x) ≥ p_G = √(log G)/((1 + log G)√(2πG)) (Mills), so in the regime ε_B ≤ p_G/2, i.e.
    B ≥ B_min(G) ≈ (2·0.4748ρ₃/σ_s³)²·2πG(1 + log G)²/log G (B ≍ G·log G; this is *not* the paper's
    √G = õ(B), which allows B ≈ √G: Berry–Esseen's O(1/√B) error must sit below a 1/√G tail), ℓ ≥
    √(log G)·(1 − o(1)): ℓ/√(log G) → 1 as B → ∞ then G → ∞. Below B_min the proved FCFS bound is the
    pair bound, of order G·σ_s√B/√6, with no √(log G) (see :func:`lbtheory.theory.region`).

    Proof idea: after the symmetrisation of :func:`fcfs_lower_pair`, E[max Z] ≥ x·P(max Z ≥ x) −
    E[(max Z)⁻]; P(max Z ≥ x) ≥ 1 − exp(−G·P(Z ≥ x)) and P(Z ≥ x) ≥ Φ̄(x) − ε_B;
    E[(max Z)⁻] ≤ E[Z⁻]·P(Z < 0)^{G−1} ≤ ½·(½ + ε_B)^{G−1}.
    """
    return G * sigma_s * sp.sqrt(B) * fcfs_gaussmax_factor(threshold)


def fcfs_lower(threshold: Expr = x) -> Expr:
    """The better of :func:`fcfs_lower_pair` and :func:`fcfs_lower_gaussmax` (same hypotheses).

    Statement (ours): E[Imb_FCFS(k)] ≥ max(pair, Gaussian-max(x)) for every step k of the window and every
    x ≥ 0; hence the same for the long-run (window) average. Holds verbatim for round robin and random
    (load-blind policies).
    """
    return sp.Max(fcfs_lower_pair(), fcfs_lower_gaussmax(threshold))


def prompt_upper_reach() -> Expr:
    """b₊ = s_max − μ_s: the largest upward deviation of one prompt from its mean (tokens)."""
    return s_max - mu_s


def tilt_pieces(tilt: Expr = tau) -> dict[str, Expr]:
    """The pieces of the exponential-tilting argument of :func:`fcfs_lower_moderate`, for a tilt
    λ = τ/(σ_s√B) ≥ 0 of one centred prompt Y = s − μ_s ≤ b₊ (ours; each is a classical one-line bound):

    * ``eta`` η = λb₊;  ``kappa`` κ = σ_s²(e^η − 1 − η)/b₊² ≥ Λ(λ) = log E e^{λY} (Bennett);
    * ``lam_lo`` BΛ(λ) ≥ B·log max(1, 1 + τ²/(2B) − τ³ρ₃/(6σ_s³B^{3/2})) (e^y ≥ 1 + y + y²/2 + y³/6);
    * ``m_lo`` √B·m(λ)/σ_s ≥ max(0, τ − τ²ρ₃/(2σ_s³√B))·e^{−κ}, m(λ) = E_Q Y the tilted mean;
    * ``m_hi`` √B·m(λ)/σ_s ≤ τ·e^η;   ``sd_hi`` √(v(λ))/σ_s ≤ e^{η/2}, v(λ) = Var_Q Y.
    """
    lam_b = tilt * prompt_upper_reach() / (sigma_s * sp.sqrt(B))
    kappa = sigma_s**2 * (sp.exp(lam_b) - 1 - lam_b) / prompt_upper_reach() ** 2
    skew = rho_3 / sigma_s**3
    lam_lo = B * sp.log(sp.Max(1, 1 + tilt**2 / (2 * B) - tilt**3 * skew / (6 * B ** sp.Rational(3, 2))))
    m_lo = sp.Max(0, tilt - tilt**2 * skew / (2 * sp.sqrt(B))) * sp.exp(-kappa)
    return {"eta": lam_b, "kappa": kappa, "lam_lo": lam_lo, "m_lo": m_lo,
            "m_hi": tilt * sp.exp(lam_b), "sd_hi": sp.exp(lam_b / 2)}


def moderate_tail_threshold(tilt: Expr = tau) -> Expr:
    """x_τ = max(0, √B·m_lo/σ_s − c·e^{η/2}): the threshold (standard deviations of S) at which
    :func:`moderate_tail_lower` bounds P(Z ≥ x_τ) from below (c = :data:`C_CHEB`)."""
    t = tilt_pieces(tilt)
    return sp.Max(0, t["m_lo"] - C_CHEB * t["sd_hi"])


def moderate_tail_lower(tilt: Expr = tau) -> Expr:
    """p_τ = (1 − 1/c²)·exp(−(τ·√B·m_hi/σ_s + c·τ·e^{η/2}) + BΛ_lo) ≤ P(Z ≥ x_τ) (ours).

    Proof (exponential tilting, Cramér's change of measure): under Q, dQ/dP = Π e^{λY_i}/E e^{λY}, the
    sum T = ΣY_i has mean Bm and variance Bv, so Q(|T − Bm| < c√(Bv)) ≥ 1 − 1/c² (Chebyshev); on that
    event a := Bm_lo − c√(Bv̄) ≤ T ≤ u := Bm_hi + c√(Bv̄) and P(T ≥ a) = E_Q[e^{−λT + BΛ}; T ≥ a] ≥
    e^{BΛ − λu}·Q(a ≤ T ≤ u). In units of σ_s√B, a is x_τ and λu is τ²e^η + cτe^{η/2}.
    """
    t = tilt_pieces(tilt)
    rate = tilt * t["m_hi"] + C_CHEB * tilt * t["sd_hi"] - t["lam_lo"]
    return (1 - 1 / C_CHEB**2) * sp.exp(-rate)


def standardized_fourth_moment() -> Expr:
    """E Z⁴ = (m₄ + 3(B − 1)σ_s⁴)/(Bσ_s⁴) for Z = (S − Bμ_s)/(σ_s√B) (classical identity)."""
    return (m_4 + 3 * (B - 1) * sigma_s**4) / (B * sigma_s**4)


def fcfs_moderate_factor(tilt: Expr = tau) -> Expr:
    """ℓ_MD(τ) = max(0, x_τ·(1 − e^{−G·p_τ}) − ½·(1 − 1/(4·E Z⁴))^{G−1}) (dimensionless)."""
    neg = sp.Rational(1, 2) * (1 - 1 / (4 * standardized_fourth_moment())) ** (G - 1)
    return sp.Max(0, moderate_tail_threshold(tilt) * (1 - sp.exp(-G * moderate_tail_lower(tilt))) - neg)


def fcfs_lower_moderate(tilt: Expr = tau) -> Expr:
    """Moderate-deviation lower bound on E[Imb(k)] for FCFS (and any load-blind policy), free of
    Berry–Esseen (ours): under H_sat, for every step k of the window and every tilt τ ≥ 0,

        E[Imb(k)] ≥ G·σ_s·√B·ℓ_MD(τ),
        ℓ_MD(τ) = max(0, x_τ·(1 − e^{−G·p_τ}) − ½·(1 − 1/(4 E Z⁴))^{G−1}),

    x_τ, p_τ from :func:`moderate_tail_threshold` and :func:`moderate_tail_lower` (exponential tilting
    with a Chebyshev window c = 11/10), E Z⁴ from :func:`standardized_fourth_moment`.

    Regime: the errors are O(τ³(b₊/σ_s + ρ₃/σ_s³)/√B) in the exponent, so with τ ≈ √(2 log G) the bound is
    ℓ_MD ≥ √(2 log G)·(1 − o(1)) as soon as B/log G → ∞ (then G → ∞): the moderate-deviation regime
    B ≫ log G, which contains the paper's √G = õ(B), against B ≫ G log G for :func:`fcfs_lower_gaussmax`
    (and with √2 more). Its constants are poor at moderate G: it beats the Berry–Esseen bound only for
    G ≈ 10⁶, B ≈ 10³ for small laws (uniform prompts on 1..2048: beyond G = 2²⁰; 4.8 against 3.8 at
    G = 10¹², B = 10⁸); at G = 256, B = 72 it gives 0.04 against 1.33.

    Proof: the chain of :func:`fcfs_lower_gaussmax` with P(Z ≥ x_τ) ≥ p_τ in place of Berry–Esseen, and
    E[(max Z)⁻] ≤ E[Z⁻]·P(Z < 0)^{G−1} with E Z⁻ ≤ ½ and P(Z < 0) ≤ 1 − P(Z > 0) ≤ 1 − (E Z⁺)² ≤
    1 − 1/(4 E Z⁴) (Cauchy–Schwarz, then Hölder E|Z| ≥ 1/√(E Z⁴)).
    """
    return G * sigma_s * sp.sqrt(B) * fcfs_moderate_factor(tilt)


def gaussmax_regime_b_min() -> Expr:
    """B_min(G) = (2·C_BE·ρ₃/σ_s³)²/p_G²: for B ≥ B_min, ε_B ≤ p_G/2, so the Gaussian-max bound is at least
    G·σ_s√B·(√(log G)(1 − e^{−G p_G/2}) − ½(½ + p_G/2)^{G−1}) (ours)."""
    return (2 * C_BE * rho_3 / sigma_s**3) ** 2 / mills_tail_at_sqrt_log_g() ** 2


def loadblind_upper() -> Expr:
    """Upper bound on E[Imb(k)] for a load-blind policy (FCFS, round robin, random) with fixed outputs.

    Statement (ours, from the classical Bernstein maximal inequality): under H_sat with every output
    length equal to o (so all age sums agree and E[Imb(k)] = G·(E[max_g S_g] − Bμ_s) exactly),

        E[Imb(k)] ≤ G·(σ_s·√(2B·log G) + (s_max − s_min)·log G/3).

    Proof: S_g − Bμ_s is sub-gamma on the right with variance factor Bσ_s² and scale Δ_s/3, and
    E[max of G such] ≤ √(2v log G) + c log G (Boucheron–Lugosi–Massart, Cor. 2.6).
    """
    return G * (sigma_s * sp.sqrt(2 * B * sp.log(G)) + prompt_range() * sp.log(G) / 3)


# ------------------------------------------------------------------------------ (2) BF-IO upper bound


def bfio_upper() -> Expr:
    """Deterministic upper bound on BF-IO (H = 0)'s imbalance at every step of the steady-state window.

    Statement (ours, the classical sorted-greedy argument): in the saturated pool with R ≥ G·B, every
    output length equal to o, and BF-IO solving its H = 0 problem exactly (minimise G·max L − ΣL while
    filling every free slot), every step k of the steady-state window — k < window_steps, the steps before
    the last admission, at which every one of the G·B slots is occupied — has

        Imb(k) ≤ (G − 1)·(s_max − s_min).

    Not after the window: when the pool runs dry a partial last block leaves slots empty and the bound
    fails (G = B = 2, prompts (200, 1, 1, 200, 200), o = 1: step 1 runs one request, Imb = 200 > 199).

    Proof: with fixed outputs and R ≥ G·B all slots start and end together, so every worker has the same
    age sum and each refill partitions G·B prompts into G groups of B. Sorting them in decreasing order and
    giving each consecutive run of G to the workers from lightest to heaviest keeps max − min ≤ Δ_s
    (induction: pairing the heaviest worker with the smallest item of the run), so that partition has
    Imb ≤ (G − 1)·Δ_s; the exact optimum is no worse. The drift δ adds the same to every worker and cancels.
    """
    return (G - 1) * prompt_range()


def age_moments_geometric() -> tuple[Expr, Expr]:
    """(σ_a², m₄ₐ): variance and fourth central moment of one slot's stationary age a (tokens generated
    before the step) when output lengths are geometric with mean o (p = 1/o, q = 1 − p):
    P(a = j) = p·q^j, σ_a² = q/p², m₄ₐ = q(1 + 7q + q²)/p⁴ (classical)."""
    p = sp.Integer(1) / o
    q = 1 - p
    return q / p**2, q * (1 + 7 * q + q**2) / p**4


def any_policy_lower_geometric() -> Expr:
    """Lower bound on E[Imb(k)] for every *slot-filling, output-blind* policy (BF-IO with H = 0
    included) when outputs are geometric (ours).

    Statement: saturated pool, R ≥ G·B, and a policy that fills every free slot at every window step
    (so each slot holds exactly one request and its age renews at each departure) and whose choices do not
    depend on output lengths or their predictions; output lengths i.i.d. geometric with mean o,
    independent of the prompts, drift δ. In stationarity (steps k ≫ o; the law at step k differs by at
    most (1 − 1/o)^k),

        E[Imb(k)] ≥ max(0, min(G − 1, 1)·G·δ·σ_a³·B/√(m₄ₐ + (6B − 3)σ_a⁴) − (G − 1)·B·(s_max − s_min)),

    with σ_a, m₄ₐ from :func:`age_moments_geometric`; for o = 1 every age is 0 and the first term is 0.
    Both hypotheses have teeth: a policy that leaves slots empty, or one that sees outputs (BF-IO with a
    long lookahead and exact predictions), can go below it.

    Proof: each slot's age is its own Markov chain (a → a + 1 w.p. q, → 0 w.p. p, whoever is admitted),
    so the age sums A_g are i.i.d. across workers whatever the policy. With P_g the prompt sum,
    G·max L − ΣL ≥ G(A_{g*} − Ā) − Σ_g (P_g − P_{g*}) ≥ G(max A − Ā) − (G − 1)BΔ_s (g* the worker of the
    largest age sum), and E[max A] − E[A] is bounded as in :func:`fcfs_lower_pair`.

    Consequence: once o ≳ 2.5·√B·Δ_s/δ no output-blind slot-filling policy beats order G·δ·o·√B, so the
    ratio of C2 cannot be Ω(√(B log G)) there; with :func:`loadblind_upper_geometric` it is
    O(√(log G) + log G/√B).
    """
    var_a, m4_a = age_moments_geometric()
    core = G * delta * var_a ** sp.Rational(3, 2) * B / sp.sqrt(m4_a + (6 * B - 3) * var_a**2)
    core = sp.Piecewise((sp.Integer(0), sp.Le(o, 1)), (core, True))
    return sp.Max(0, sp.Min(G - 1, 1) * core - (G - 1) * B * prompt_range())


def bfio_upper_geometric_conjecture() -> Expr:
    """Conjecture, **refuted** by our search: with geometric output lengths of mean o, the long-run average imbalance of
    BF-IO (H = 0) stays below (G − 1)·(s_max − s_min + δ·o).

    Why plausible: a departure removes at most one prompt plus its accumulated drift (δ·o on average),
    and the refill can compensate one prompt range. Why unproved: a worker with no departure cannot be
    lifted, and an exact H = 0 optimiser is indifferent to which lagging worker it lifts.
    Refuted: G = 2, B = 2, prompts uniform on {1..10}, geometric outputs of mean 100 — the exact H = 0
    optimum averages ≈ 173 tokens against the conjectured 109 (pinned in test_bfio_upper.py). The age sums
    are out of any output-blind policy's control (see :func:`any_policy_lower_geometric`).
    """
    return (G - 1) * (prompt_range() + delta * o)


def ratio_lower(threshold: Expr = x) -> Expr:
    """Lower bound on E[AvgImb_FCFS]/AvgImb_BF-IO (H = 0): fcfs_lower/bfio_upper (ours).

    Under H_sat with fixed outputs and R ≥ G·B this is ≥ G·σ_s√B·ℓ/((G − 1)·Δ_s); in the regime
    B ≥ B_min(G) it is Ω(√(B log G)) with the explicit constant σ_s/Δ_s in the limit:
    ratio/√(B log G) → σ_s/Δ_s as B → ∞ then G → ∞ (checked with ``sympy.limit``).
    """
    return fcfs_lower(threshold) / bfio_upper()


def ratio_lower_regime() -> Expr:
    """ratio_lower inside the regime (no Max/Min clipping): G·σ_s√B·ℓ_G/((G − 1)·Δ_s)."""
    return G * sigma_s * sp.sqrt(B) * fcfs_gaussmax_factor_regime() / bfio_upper()


def geometric_age_cgf(lam: Expr) -> Expr:
    """ψ_a(λ) = log E e^{λ(a − E a)} = log(p/(1 − q·e^λ)) − λq/p for the stationary age a (P(a = j) =
    p·q^j, p = 1/o), valid for 0 ≤ λ < log(1/q) (classical)."""
    p = sp.Integer(1) / o
    q = 1 - p
    return sp.log(p / (1 - q * sp.exp(lam))) - lam * q / p


def loadblind_upper_geometric(param: Expr = xi) -> Expr:
    """Upper bound on E[Imb(k)] for a load-blind, output-blind, slot-filling policy (FCFS, round robin,
    random) with geometric outputs, in stationarity (ours; Chernoff's maximal inequality):

        E[Imb(k)] ≤ G·(log G + B·ψ_s(λ) + B·ψ_a(δλ))/λ,   λ = ξ/(δ·o + b₊), 0 < ξ < 1,

    ψ_s(λ) = σ_s²(e^{λb₊} − 1 − λb₊)/b₊² (Bennett, b₊ = s_max − μ_s), ψ_a from
    :func:`geometric_age_cgf` (δλ < 1/o ≤ log(1/q), so it is finite). The registry takes the best ξ on a
    grid. It is O(G·(√(B·(σ_s² + δ²σ_a²)·log G) + (δo + b₊)·log G)), σ_a² = o(o − 1): with
    :func:`any_policy_lower_geometric` (order G·δ·o·√B once o ≳ 2.5√B·Δ_s/δ) the C2 ratio under geometric
    outputs is O(√(log G) + log G/√B) in that regime.

    Proof: the policy's choices depend neither on prompts nor outputs, so (i) each slot's age is its own
    Markov chain (a → a + 1 w.p. q, → 0 w.p. p) and the G·B ages are independent (the i.i.d.-age step), and
    (ii) given the outputs the requests on each slot are fixed, so the prompts there are fresh i.i.d.
    draws independent of the ages. Hence L_g = P_g + δA_g has log E e^{λ(L_g − E L_g)} ≤ Bψ_s(λ) +
    Bψ_a(δλ) for each g, and E max_g X_g ≤ (log Σ_g E e^{λX_g})/λ (Jensen) needs only these marginals;
    E[Imb] = G·(E max_g L_g − E L_1). At a finite step k the ages are min(a, k); the exact checks in
    :mod:`.steps` also cover those steps.
    """
    lam = param / (delta * o + prompt_upper_reach())
    b = prompt_upper_reach()
    psi_s = sigma_s**2 * (sp.exp(lam * b) - 1 - lam * b) / b**2
    return G * (sp.log(G) + B * psi_s + B * geometric_age_cgf(delta * lam)) / lam


def loadblind_upper_geometric_conjecture() -> Expr:
    """Conjecture (a closed form, searched, not proved): with geometric outputs of mean o, a load-blind
    policy has E[Imb(k)] ≤ G·((σ_s√B + δσ_a√B)·√(2 log G) + (Δ_s + δ·o·log G)·log G/3) in stationarity.

    Why plausible: the proved :func:`loadblind_upper_geometric` has this shape (sub-Gaussian part
    √(2v log G) with v = B(σ_s² + δ²σ_a²), sub-exponential part of scale ≈ δ·o); the closed form would
    need a Bernstein-type bound on the geometric age's cumulant generating function with these constants.
    Searched with the exact stationary expectation (``tests/properties/test_geometric_upper.py``).
    """
    var_a, _ = age_moments_geometric()
    lg = sp.log(G)
    return G * ((sigma_s + delta * sp.sqrt(var_a)) * sp.sqrt(2 * B * lg)
                + (prompt_range() + delta * o * lg) * lg / 3)


# --------------------------------------------------------------------------- (4) JSQ, any policy


def any_policy_upper() -> Expr:
    """Deterministic upper bound for any policy that fills every free slot (JSQ by tokens included).

    Statement (classical, trivial): with fixed outputs and R ≥ G·B, every worker holds B prompts and the
    same age sum, so L_g − L_h ≤ B·Δ_s and Imb(k) ≤ (G − 1)·B·(s_max − s_min).

    It is JSQ's exact worst case under slot caps: JSQ's last placements are forced, and on the order
    (s_max, s_min × (G − 1)B, s_max × (B − 1)) with B·s_min < s_max it leaves Imb = (G − 1)·B·Δ_s for
    every G and B (pinned in ``tests/properties/test_jsq_rr.py``), so no smaller JSQ bound holds for
    arbitrary orders. The
    Graham-type (G − 1)·s_max is therefore *false* for JSQ under the cap (counterexample pinned in
    ``tests/properties/test_jsq_rr.py``), even for i.i.d. prompts where JSQ measures close to FCFS.
    """
    return (G - 1) * B * prompt_range()


def jsq_graham_refuted() -> Expr:
    """(G − 1)·s_max: the Graham list-scheduling bound, valid without slot caps, refuted for JSQ with
    B-slot workers (kept only so the tests can show the counterexample)."""
    return (G - 1) * s_max


# --------------------------------------------------------------------------------- (5) energy (C5)


def energy_saving_spin() -> Expr:
    """Energy saved by removing barrier idle, worker-time model (ours; exact).

    Model: in step k worker g computes for C + t·L_g at P_busy and waits t·(max L − L_g) at P_wait; the
    balanced counterfactual runs the same work with every load equal to ΣL/G (same steps, same C).
    With run aggregates ι = ΣImb/(G·Σ max L) and θ = tΣ max L/(KC + tΣ max L), exactly

        S = θι·P_wait / (P_busy·(1 − θι) + θι·P_wait).

    The identity holds for every P_wait, P_busy > 0. The inequality S ≤ θι (≤ ι) needs in addition
    P_wait ≤ P_busy, with equality iff P_wait = P_busy (the barrier spins at full power); it fails
    otherwise: P_wait = 1.5·P_busy and θι = 0.30 give S = 0.45/1.15 = 0.391 > 0.30.
    """
    x = theta * iota
    return x * P_wait / (P_busy * (1 - x) + x * P_wait)


def energy_spin_at_most_theta_iota() -> Expr:
    """θι: an upper bound on :func:`energy_saving_spin` valid when P_wait ≤ P_busy (ours; S is then
    x·r/(1 − x + x·r) ≤ x with x = θι, r = P_wait/P_busy ≤ 1)."""
    return theta * iota


def fcfs_idle_fraction_ceiling() -> Expr:
    """Ceiling on the long-run idle fraction of a load-blind policy with fixed outputs (ours):

        ι ≤ U/(G·(B·μ_s + A) + U),   U = loadblind_upper,  A = δ·B·(o − 1)/2.

    Proof: over the window, ι = ΣImb/(G·Σ max L) = X/(Y + X) with X the average Imb and Y the average
    ΣL (G·max L = ΣL + Imb). x ↦ x/(Y + x) is increasing; with fixed outputs every block runs o steps
    with every slot at age 0..o − 1, so Y → G·(B·μ_s + A) and X → E[Imb] ≤ U as the window grows
    (strong law over the i.i.d. blocks). For a finite window, X ≤ U + ε with probability ≥ 1 − δ
    (Bernstein, :func:`lbtheory.theory.stats.bernstein_eps`) and the ceiling holds with U + ε and the
    observed Y.
    """
    U = loadblind_upper()
    A = delta * B * (o - 1) / 2
    return U / (G * (B * mu_s + A) + U)


def fcfs_energy_saving_ceiling() -> Expr:
    """Ceiling on the energy a balancer can save over a load-blind policy (FCFS, round robin, random)
    with fixed outputs, in the worker-time model of :func:`energy_saving_spin` (ours):

        S ≤ θι*·P_wait/(P_busy(1 − θι*) + θι*·P_wait),   ι* = fcfs_idle_fraction_ceiling.

    S is increasing in θι for every P_wait, P_busy > 0, so the ceiling follows from the idle ceiling; θ is
    the run's load share of the step time (θ ≤ 1; θ = 1 gives the absolute ceiling). It bounds the
    saving of a *perfect* balancer; a real one saves less.
    """
    return energy_saving_spin().subs(iota, fcfs_idle_fraction_ceiling())


#: the C5 target saving s* = 52%
C5_TARGET = sp.Rational(52, 100)


def energy_threshold_spin(target: Expr = C5_TARGET) -> Expr:
    """The idle fraction needed for :func:`energy_saving_spin` ≥ target (ours):

        θι ≥ s*·P_busy/(s*·P_busy + (1 − s*)·P_wait),    s* = target.

    For s* = 0.52 and P_wait ≤ P_busy this needs ι ≥ 0.52/θ ≥ 0.52: a saving above 52% requires more than
    52% of worker-time idle at the barrier.
    """
    return target * P_busy / (target * P_busy + (1 - target) * P_wait) / theta


def energy_saving_curve_upper() -> Expr:
    """Energy saved under the reference power curve (u_g = L_g/max L, whole step at P(u_g), u_sat = 1),
    upper bound per step (ours): for 0 < γ ≤ 1, Jensen gives Σ_g P(u_g) ≤ G·P(1 − ι), so

        S ≤ 1 − (1 − θι)·P_max / (P_idle + (P_max − P_idle)(1 − ι)^γ).

    The balanced counterfactual runs every worker at u = 1 (P_max) for C + t·ΣL/G. Attained only at
    ι = 0 or γ = 1 (the straggler has u = 1, so Jensen is strict otherwise); approached as G → ∞ with
    all non-stragglers at the same load (the straggler's weight 1/G vanishes).
    """
    return 1 - (1 - theta * iota) * P_max / (P_idle + (P_max - P_idle) * (1 - iota) ** gamma)


def energy_saving_curve_lower() -> Expr:
    """Lower bound for the same per-step saving (ours): for 0 < γ ≤ 1, u^γ ≥ u on [0, 1], so
    Σ_g P(u_g) ≥ G·(P_idle + (P_max − P_idle)(1 − ι)) and

        S ≥ 1 − (1 − θι)·P_max / (P_idle + (P_max − P_idle)(1 − ι)).

    Attained only at ι = 0 or γ = 1 (u^γ = u needs every u_g ∈ {0, 1}, and in a saturated pool no load
    is 0); approached when the non-straggler loads tend to 0.
    """
    return 1 - (1 - theta * iota) * P_max / (P_idle + (P_max - P_idle) * (1 - iota))


# -------------------------------------------------------------------------- (6) instance lower bound


def instance_lower() -> Expr:
    """A lower bound on Imb(k) that no policy can beat on a given block (ours, elementary).

    Statement: with fixed outputs and R = G·B every policy that fills every free slot runs the same block
    of G·B requests at every step of a refill period (W their prompt total, s_top the largest prompt,
    s_low the sum of the B − 1 smallest). Whatever the partition,

        Imb(k) ≥ G·max(⌈W/G⌉, s_top + s_low) − W.

    (max L ≥ the average, an integer; the worker holding s_top also holds B − 1 other prompts.) The
    common age sum cancels. Averaging over steps bounds any policy's long-run average from below.
    """
    return G * sp.Max(sp.ceiling(W / G), s_top + s_low) - W


def mean_prompt_block_work() -> Expr:
    """E[W] = G·B·μ_s: the expected prompt total of a block (for default parameter sets)."""
    return G * B * mu_s
