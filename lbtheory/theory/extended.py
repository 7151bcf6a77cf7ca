"""Further results of issue 14, kept beside :mod:`.bounds` and registered beside its registry:

* windows R < G·B (the engine's default R = 4G): the natural per-step bound refuted, a per-epoch bound in
  terms of the carried-over spread, and a bound at every step with all slots occupied;
* BF-IO (H = 0) with geometric outputs: an upper bound proved for every output-blind slot-filling policy,
  and why the safeguard's per-epoch comparison with FCFS gives no trajectory bound;
* a lower bound in expectation for every slot-filling policy with fixed outputs (number partitioning).

Same conventions as :mod:`.bounds` (each statement a function returning a sympy expression, docstrings with
the statement and the proof) and :mod:`.evaluate` (records, compiled evaluators). :func:`records` holds the
new records, :func:`catalog` every record (the registry of :mod:`.evaluate` first), :func:`get_any` looks
one
up by name. Each proof's steps are checked in :mod:`.steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy import Expr

from lbtheory.theory.bounds import geometric_age_cgf, prompt_range
from lbtheory.theory.evaluate import EXPECTATION as _EXPECTATION
from lbtheory.theory.evaluate import (
    FIXED_OUT,
    H_SAT,
    OUTPUT_BLIND,
    SLOT_FILLING,
    XI_GRID,
    BoundRecord,
    ParamMap,
    default_params,
    exact_value,
    registry,
)
from lbtheory.theory.symbols import B, G, delta, o, paper_params, s_max, s_min, xi

# --- symbols of these results -----------------------------------------------------------------------
D_c = sp.Symbol("d_carry", nonnegative=True)
"""d_carry, the carried-over spread D_k at an admission epoch: max_g b_g − min_g b_g of the loads of the
requests that stay (after departures, before admissions; tokens). 0 at a refill epoch."""
p_B = sp.Symbol("p_B", positive=True)
"""Largest point mass of a block sum: max_x P(S_B = x), S_B the sum of B i.i.d. integer prompts; any upper
bound on it (e.g. the largest point mass of one prompt, p_B ≤ p_1) gives a valid, weaker bound."""
h_s = sp.Symbol("h_s", positive=True)
"""Lattice span of the prompt law (tokens): every prompt lies in a + h_s·ℤ (1 for a law with consecutive
values; 2 for odd prompts only); 1 is always valid."""

EXTRA_SYMBOLS: tuple[sp.Symbol, ...] = (D_c, p_B, h_s)


def extra_params() -> dict[sp.Symbol, sp.Expr]:
    """Default values (exact) of :data:`EXTRA_SYMBOLS` for the reference parameter set of
    :func:`lbtheory.theory.symbols.paper_params`: a refill epoch (d_carry = 0), the one-prompt point mass
    1/2048
    of uniform prompts on 1..2048 (it bounds p_B for every B), span 1."""
    hi, lo = paper_params()[s_max], paper_params()[s_min]
    return {D_c: sp.Integer(0), p_B: 1 / (hi - lo + 1), h_s: sp.Integer(1)}


@lru_cache(maxsize=1)
def extra_defaults() -> dict[str, float]:
    """:func:`extra_params` as floats keyed by name."""
    return {k.name: float(v) for k, v in extra_params().items()}


# ------------------------------------------------------------------------------------------ helpers


class LogGamma(sp.Function):
    """log Γ(z), kept unevaluated (sympy's ``loggamma`` turns log Γ of an integer symbol into log(gamma(z)),
    which overflows in floats at z ≈ 200): 40-digit mpmath for exact evaluation, scipy's ``gammaln`` for
    the compiled evaluators (:func:`compile_any`)."""

    def _latex(self, printer: object) -> str:
        inner = printer._print(self.args[0])  # type: ignore[attr-defined]
        return r"\log\Gamma\left(" + str(inner) + r"\right)"

    def _eval_evalf(self, prec: int) -> sp.Float:
        import mpmath

        with mpmath.workprec(prec + 20):
            z = mpmath.mpf(sp.N(self.args[0], max(30, prec // 3)))
            return sp.Float(mpmath.loggamma(z), precision=prec)


# ------------------------------------------------------------ (7) windows R < G·B (issue 14, item 1)


def bfio_upper_small_window_refuted() -> Expr:
    """The natural statement, **refuted**: with fixed outputs and a window R < G·B (the engine's default
    R = 4G), BF-IO (H = 0) would keep Imb(k) ≤ (G − 1)·(s_max − s_min) at every window step.

    Refuted two ways (pinned in ``tests/properties/test_small_window.py``): (i) at the default R = 4G a
    seeded search finds G = 2, B = 5, R = 8, prompts in {1, 3}, o = 2 with Imb = 4 > 2 at a window step;
    (ii) at G = 2, B = 3, R = 3 and prompts alternating 100, 101 (Δ_s = 1) every slot-filling policy
    splits a cohort of 3 unevenly, the departures then free the slots unevenly, and the refill leaves the
    workers' age sums apart by about δ·o: at full steps BF-IO reaches Imb = o (20 at o = 20), so no bound
    c·(G − 1)·Δ_s holds for any constant c. What goes wrong in the proof of
    :func:`lbtheory.theory.bounds.bfio_upper`: the
    slots no longer start and end together, so the carried-over loads differ
    (:func:`bfio_upper_carryover`) and the free slots are unequal.
    """
    return (G - 1) * prompt_range()


def bfio_upper_carryover() -> Expr:
    """Per-epoch upper bound for BF-IO (H = 0) with any window R and any outputs (ours):

        Imb(k) ≤ (G − 1)·max(D_k, s_max − s_min)

    at every admission epoch k at which every worker has the same number f ≥ 1 of free slots and the
    window holds at least G·f requests; D_k = max_g b_g − min_g b_g is the spread of the carried-over
    loads b_g (the requests that stay, after the step's departures, before its admissions).

    Proof: the safeguard (or the exact optimiser) returns an assignment whose Imb(k) after admission is at
    most that of the sorted-greedy partition of the first G·f window requests
    (:func:`lbtheory.policies.bfio_fast.sorted_greedy_assign`). With equal free slots every round gives one
    request to every worker, the largest of the round to the lightest: if l_1 ≤ … ≤ l_G and x_1 ≥ … ≥ x_G,
    then (l_j + x_j) − (l_i + x_i) ≤ l_j − l_i for i < j and (l_i + x_i) − (l_j + x_j) ≤ x_i − x_j ≤ Δ_s,
    so the spread after a round is ≤ max(spread before, Δ_s); by induction over the f rounds it is ≤
    max(D_k, Δ_s), and Imb = Σ_g (max L − L_g) ≤ (G − 1)·spread. At a refill (D_k = 0, f = B) this is
    :func:`lbtheory.theory.bounds.bfio_upper`. It is a statement about one epoch: D_k is BF-IO's own history
    plus the forced departures, and with R < G·B neither D_k nor the inequality of free slots is controlled
    (:func:`bfio_upper_small_window_refuted`), so no trajectory bound follows from it.
    """
    return (G - 1) * sp.Max(D_c, prompt_range())


def slot_filling_upper_full_slots() -> Expr:
    """Upper bound for every policy at every step with all G·B slots occupied, fixed outputs o, any window
    R (classical, trivial): Imb(k) ≤ (G − 1)·B·(s_max − s_min + δ·(o − 1)).

    Proof: L_g = (B prompts) + δ·(B ages), each prompt in [s_min, s_max] and each age in [0, o − 1], so
    L_g − L_h ≤ B·(Δ_s + δ(o − 1)) and Imb = Σ_g (max L − L_g) ≤ (G − 1)·(max L − min L). With R < G·B the
    δ·o term cannot be dropped: the family G = 2, B = 3, R = 3 of :func:`bfio_upper_small_window_refuted`
    has Imb = δ·o at full steps for BF-IO (and the exact optimiser), at Δ_s = 1.
    """
    return (G - 1) * B * (prompt_range() + delta * (o - 1))


# ----------------------------------------------- (8) BF-IO with geometric outputs (issue 14, item 2)


def slot_filling_upper_geometric(param: Expr = xi) -> Expr:
    """Upper bound on E[Imb(k)] for every *slot-filling, output-blind* policy, BF-IO (H = 0) included,
    with geometric outputs of mean o, R ≥ G·B, in stationarity (ours):

        E[Imb(k)] ≤ (G − 1)·B·(s_max − s_min) + G·(log G + B·ψ_a(δλ))/λ,   λ = ξ/(δ·o), 0 < ξ < 1,

    ψ_a from :func:`lbtheory.theory.bounds.geometric_age_cgf` (δλ = ξ/o < 1/o ≤ log(1/q), so it is finite);
    o = 1 leaves the first term, and so does δ = 0 (no drift: only the prompt spread); G = 1 gives 0 (the factor
    min(G − 1, 1) in front of the age term: with one worker max A = Ā). The registry takes the best ξ on a
    grid. With :func:`lbtheory.theory.bounds.any_policy_lower_geometric` it sandwiches every such policy:
    |E[Imb(k)] − δ·G·(E max_g A_g − E A_1)| ≤ (G − 1)·B·Δ_s.

    Proof: (i) per step, deterministically: with g* the heaviest worker, P_g the prompt sums (in
    [B·s_min, B·s_max]) and A_g the age sums, Imb = Σ_h (L_{g*} − L_h) = Σ_h (P_{g*} − P_h) +
    δ·G·(A_{g*} − Ā) ≤ (G − 1)·B·Δ_s + δ·G·(max_g A_g − Ā); (ii) the A_g are i.i.d. sums of B stationary
    geometric ages whatever an output-blind slot-filling policy does (the i.i.d.-age step of
    :func:`lbtheory.theory.bounds.any_policy_lower_geometric`), so E[max A − Ā] = E max A − E A_1; (iii)
    Chernoff's maximal
    inequality: δ·(E max A − E A) ≤ (log G + B·ψ_a(δλ))/λ.

    Why not better for BF-IO: the safeguard guarantees, at each epoch, Imb(k) no worse than FCFS's choice
    *placed on BF-IO's own carried-over loads*, not FCFS's trajectory: the two runs carry different loads
    after the first epoch, so the comparison is not a coupling and gives no trajectory bound (a pathwise
    step with Imb_BF-IO(k) > Imb_FCFS(k) is pinned in ``tests/properties/test_small_window.py``); the only
    policy-free handle on the ages is (ii), and the prompts can offset them by at most (G − 1)·B·Δ_s.
    """
    lam = param / (delta * o)
    # min(G − 1, 1): with one worker max A = Ā exactly (Chernoff would leave Bψ_a/λ > 0)
    age_part = sp.Min(G - 1, 1) * G * (sp.log(G) + B * geometric_age_cgf(delta * lam)) / lam
    age_part = sp.Piecewise((sp.Integer(0), sp.Or(sp.Le(o, 1), sp.Eq(delta, 0))), (age_part, True))
    return (G - 1) * B * prompt_range() + age_part


# ---------------------------------------------- (9) every policy, fixed outputs (issue 14, item 3)


def partition_count() -> Expr:
    """N_{G,B} = (G·B)!/((B!)^G·G!): the number of ways to split G·B labelled requests into G unlabelled
    groups of B (classical), written with log-gamma so it can be evaluated at G·B ≈ 10⁴."""
    return sp.exp(LogGamma(G * B + 1) - G * LogGamma(B + 1) - LogGamma(G + 1))


def partition_anticoncentration_u() -> Expr:
    """u = 1/(p_B·N_{G,B}^{1/(G−1)}): the scale (tokens) below which no partition of a block is likely to
    have all G group sums within u of each other (ours; see :func:`any_policy_lower_partition`)."""
    log_n = LogGamma(G * B + 1) - G * LogGamma(B + 1) - LogGamma(G + 1)
    return 1 / (p_B * sp.exp(log_n / (G - 1)))


def any_policy_lower_partition() -> Expr:
    """Lower bound on E[Imb(k)] for *every* slot-filling policy with fixed outputs (ours; the first-moment
    argument of number partitioning):

        E[Imb(k)] ≥ h_s·((G − 1)·u − G + u^{1−G})/(2G) for u ≥ 1 (0 otherwise),
        u = 1/(p_B·N_{G,B}^{1/(G−1)}),

    at every window step, with R = G·B, integer prompts i.i.d. on a lattice a + h_s·ℤ (any law; p_B =
    max_x P(S_B = x), or any upper bound on it such as the largest point mass of one prompt; h_s = 1 is
    always valid), G ≥ 2.

    Proof: with R = G·B and fixed outputs every slot-filling policy splits the same block of G·B i.i.d.
    prompts into G groups of B, and the common age sum cancels, so Imb(k) = Σ_g (max L − L_g) ≥
    X := max_g L_g − min_g L_g, the spread of the partition, ≥ X_min, the least spread over all N_{G,B}
    partitions. The group sums lie in B·a + h_s·ℤ, so X_min/h_s is an integer. For one fixed partition the
    group sums are i.i.d. copies of S_B, so P(spread ≤ h_s·d) ≤ Σ_x P(S_1 = x)·P(|S_2 − x| ≤ h_s·d)^{G−1}
    ≤ ((2d + 1)·p_B)^{G−1} (2d + 1 lattice points); a union bound over the partitions gives P(X_min ≤
    h_s·d) ≤ N·((2d + 1)p_B)^{G−1}. Then E[X_min/h_s] = ∫₀^∞ P(X_min/h_s > t)dt ≥ ∫₀^D (1 − N((2t +
    1)p_B)^{G−1})dt = D − N·p_B^{G−1}((2D + 1)^G − 1)/(2G) for every D ≥ 0; D = (u − 1)/2 gives the
    formula. Each step is checked by exhaustive enumeration (every prompt vector, every assignment) in
    :mod:`.steps`.

    Regime: it is positive only when p_B·N^{1/(G−1)} < 1, i.e. roughly log N_{G,B} ≈ G·B·log G <
    (G − 1)·log(1/p_B): few slots and many prompt values (G = 2: B up to about log₄(σ_s·B)); beyond, perfect
    partitions exist (the number-partitioning phase transition) and the bound is 0, which is why a
    balancer's imbalance is then far below (G − 1)·Δ_s. It beats the expectation of
    :func:`lbtheory.theory.bounds.instance_lower` from B = 3 on: uniform prompts on 1..2000 give 66 against
    24 at G = 2, B = 3,
    21 against 2.1 at B = 4, 53 against 18 at G = B = 3 (Monte Carlo for instance_lower); exactly, odd
    prompts 1, 3, …, 47 (h_s = 2) at G = 2, B = 3 give 0.76 against E[instance_lower] = 0.58 (and
    E[optimum] = 4.68). At G = B = 2 instance_lower is the better of the two (≈ V/12 against ≈ V/10).
    """
    # f(v) = ((G − 1)v − G + v^{1−G})/(2G) is 0 at v = 1 and increasing for v ≥ 1 (and positive below 1,
    # where the bound is 0): evaluate it at v = max(1, u)
    # (written through m = log v so that exact evaluation never forms N itself, ≈ 10^{43000} at the paper's
    # cluster)
    log_n = LogGamma(G * B + 1) - G * LogGamma(B + 1) - LogGamma(G + 1)
    m = sp.Max(0, -sp.log(p_B) - log_n / (G - 1))
    return h_s * ((G - 1) * sp.exp(m) - G + sp.exp((1 - G) * m)) / (2 * G)


# ------------------------------------------------------------------------------------------ records


def compile_any(expr: sp.Expr) -> Callable[[ParamMap], float]:
    """:func:`lbtheory.theory.evaluate.compile_expr` that also knows :class:`LogGamma` (scipy ``gammaln``)
    and fills :data:`EXTRA_SYMBOLS` from :func:`extra_defaults` when a caller's params lack them."""
    from scipy.special import gammaln

    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(syms, expr, modules=[{"ceiling": np.ceil, "LogGamma": gammaln}, "scipy", "numpy"])
    names = [s.name for s in syms]

    def value(params: ParamMap) -> float:
        full = {**extra_defaults(), **params}
        missing = [n for n in names if n not in full]
        if missing:
            raise KeyError(f"missing parameter(s) {missing} for this bound")
        with np.errstate(all="ignore"):
            return float(fn(*(float(full[n]) for n in names)))

    return value


@dataclass(frozen=True)
class ExtendedRecord(BoundRecord):
    """A :class:`lbtheory.theory.evaluate.BoundRecord` whose exact evaluation also has the defaults of
    :func:`extra_params`."""

    def exact(self, params: Mapping[str, sp.Expr | int | float] | None = None) -> float:
        merged: dict[str, sp.Expr | int | float] = {k.name: v for k, v in paper_params().items()}
        merged.update({k.name: v for k, v in extra_params().items()})
        if params:
            merged.update(params)
        self.check_domain(merged)
        return exact_value(self.expr, merged)


EXPECTATION = _EXPECTATION  # the hypothesis sentence of bounds on an expectation


def _specs() -> list[tuple[str, str, str, str, str, tuple[str, ...], sp.Expr]]:
    return [
        ("bfio_upper_small_window", "C2", "upper",
         "Imb(k) of BF-IO (H=0) at window steps, window R < G*B, tokens", "refuted conjecture",
         (*H_SAT[1:], FIXED_OUT, "window R < G*B (the engine's default R = 4G)",
          "refuted: G=2, B=5, R=8, prompts in {1,3}, o=2 gives Imb=4 > 2; G=2, B=3, R=3, prompts "
          "100/101, o=20 gives Imb=20 > 1 at a full step (grows like o)"),
          bfio_upper_small_window_refuted()),
        ("bfio_upper_carryover", "C2", "upper",
         "Imb(k) of BF-IO (H=0) at one admission epoch, any window, tokens", "theorem (ours)",
         ("BF-IO with the every-epoch safeguard, or the exact H=0 optimiser",
          "every worker has the same number f >= 1 of free slots and the window holds >= G*f requests",
          "d_carry = spread of the carried-over loads (after departures, before admissions)",
          "any outputs, any window R; per epoch only: d_carry is not controlled, so no trajectory bound"),
         bfio_upper_carryover()),
        ("slot_filling_upper_full_slots", "C2", "upper",
         "Imb(k) of any policy at steps with every slot occupied, any window, tokens", "classical",
         (FIXED_OUT, "every one of the G*B slots occupied at step k", "any window R",
          "the delta*o term is needed when R < G*B (G=2, B=3, R=3 family: Imb = o at Delta_s = 1)"),
         slot_filling_upper_full_slots()),
        ("slot_filling_upper_geometric", "C2", "upper",
         "E[Imb(k)] of any output-blind slot-filling policy (BF-IO H=0 incl.), geometric outputs, "
         "stationary, tokens", "theorem (ours)",
         (*H_SAT, "geometric output lengths of mean o", SLOT_FILLING, OUTPUT_BLIND, "R >= G*B",
          "stationary ages (k >> o)", EXPECTATION,
          "not a trajectory comparison with FCFS: the safeguard compares with FCFS's choice on BF-IO's own "
          "carried-over loads"), slot_filling_upper_geometric()),
        ("any_policy_lower_partition", "C2", "lower",
         "E[Imb(k)] of every slot-filling policy, fixed outputs, tokens", "theorem (ours)",
         (FIXED_OUT, "R = G*B (every policy splits the same block)", SLOT_FILLING,
          "prompts i.i.d. integers; p_B >= max_x P(S_B = x) (default: one prompt's largest point mass)",
          "positive only when p_B * N_{G,B}^(1/(G-1)) < 1 (few slots, many prompt values)", EXPECTATION),
         any_policy_lower_partition()),
    ]


_DOMAINS: dict[str, tuple[tuple[str, float, str], ...]] = {
    "slot_filling_upper_geometric": (("o", 1.0, "a geometric output length is at least 1"),),
    "slot_filling_upper_full_slots": (("o", 1.0, "an output length is at least 1"),),
    "any_policy_lower_partition": (("G", 2.0, "N_{G,B}^(1/(G-1)) needs G >= 2; with one worker Imb = 0"),),
}
_OPT = {"slot_filling_upper_geometric": ("xi", XI_GRID)}


@lru_cache(maxsize=1)
def records() -> tuple[BoundRecord, ...]:
    """The records of this module, compiled (built on first call, then cached)."""
    return tuple(ExtendedRecord(name, claim, kind, quantity, status, hyps, expr, _OPT.get(name),
                                _DOMAINS.get(name, ()), compile_any(expr))
                 for name, claim, kind, quantity, status, hyps, expr in _specs())


def catalog() -> tuple[BoundRecord, ...]:
    """Every record: :func:`lbtheory.theory.evaluate.registry` then :func:`records`."""
    return registry() + records()


def get_any(name: str) -> BoundRecord:
    """The record called ``name`` in :func:`catalog`."""
    for rec in catalog():
        if rec.name == name:
            return rec
    raise KeyError(f"no bound named {name!r}; choose one of: {', '.join(r.name for r in catalog())}")


def known_params() -> set[str]:
    """Every parameter name a bound of :func:`catalog` may take (defaults, extras, grid parameters)."""
    return set(default_params()) | set(extra_defaults()) | {"x", "tau", "xi"}
