"""Every symbol of the bounds, declared once with its sympy assumptions, named as in the paper.

Notation (MODEL.md, arXiv 2601.17855):

* ``G`` workers, ``B`` batch slots per worker, ``R`` the waiting window, ``H`` the BF-IO lookahead.
* Prompt lengths s_i are i.i.d. on [s_min, s_max] with mean ``mu_s``, standard deviation ``sigma_s``,
  third absolute central moment ``rho_3`` = E|s − μ_s|³ and fourth central moment ``m_4`` = E(s − μ_s)⁴.
  The prompt range s_max − s_min is written Δ_s in the docs (not a separate symbol).
* Output lengths o_i: fixed (o) or geometric with mean ``o``; ``delta`` is the drift, the amount every live
  job's workload grows per step (1 in the paper's model).
* Step time Δt = C + t·max_g L_g: ``C`` (s) and ``t`` (s/token).
* Power: P(u) = P_idle + (P_max − P_idle)(u/u_sat)^γ, capped at P_max (W); a worker waiting at the barrier
  draws ``P_wait`` (W); ``P_busy`` is the draw of a worker that is computing.
* ``iota`` (ι) the idle fraction Imb/(G·max L); ``theta`` (θ) the share of the step time that scales with load,
  t·max L/(C + t·max L).

Numeric parameter sets (:data:`PAPER_PARAMS`) are keyed by these symbols; :func:`by_name` maps the plain
names used on the command line (``--set sigma_s=300``) to the symbols.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import sympy as sp

# --- cluster ---------------------------------------------------------------------------------------
G = sp.Symbol("G", integer=True, positive=True)
"""Number of workers (data-parallel ranks)."""
B = sp.Symbol("B", integer=True, positive=True)
"""Batch slots per worker."""
R = sp.Symbol("R", integer=True, positive=True)
"""Waiting-window size (requests a policy sees)."""
H = sp.Symbol("H", integer=True, nonnegative=True)
"""BF-IO lookahead (steps)."""

# --- prompt-length distribution ---------------------------------------------------------------------
s_max = sp.Symbol("s_max", positive=True)
"""Largest prompt length (tokens)."""
s_min = sp.Symbol("s_min", positive=True)
"""Smallest prompt length (tokens)."""
mu_s = sp.Symbol("mu_s", positive=True)
"""Mean prompt length E[s] (tokens)."""
sigma_s = sp.Symbol("sigma_s", positive=True)
"""Standard deviation of the prompt length (tokens); > 0 is the non-degeneracy hypothesis."""
rho_3 = sp.Symbol("rho_3", positive=True)
"""Third absolute central moment E|s − μ_s|³ (tokens³); ρ₃ ≤ Δ_s·σ_s²."""
m_4 = sp.Symbol("m_4", positive=True)
"""Fourth central moment E(s − μ_s)⁴ (tokens⁴); σ_s⁴ ≤ m₄ ≤ Δ_s²·σ_s²."""

# --- outputs and drift ------------------------------------------------------------------------------
o = sp.Symbol("o", positive=True)
"""Output length (fixed) or its mean (geometric), in decode steps."""
delta = sp.Symbol("delta", nonnegative=True)
"""Drift: the amount every live job's workload grows per step (tokens; 1 in the paper's model)."""

# --- step time --------------------------------------------------------------------------------------
C = sp.Symbol("C", nonnegative=True)
"""Fixed per-step overhead (s)."""
t = sp.Symbol("t", nonnegative=True)
"""KV read time per token on the straggler (s/token)."""

# --- power ------------------------------------------------------------------------------------------
P_idle = sp.Symbol("P_idle", positive=True)
"""Idle power of one worker (W)."""
P_max = sp.Symbol("P_max", positive=True)
"""Power of one worker at saturation (W)."""
P_wait = sp.Symbol("P_wait", positive=True)
"""Power of a worker waiting at the barrier (W); P_idle ≤ P_wait (collectives spin)."""
P_busy = sp.Symbol("P_busy", positive=True)
"""Power of a worker that is computing (W); P_busy ≤ P_max."""
gamma = sp.Symbol("gamma", positive=True)
"""Exponent of the power curve (0 < γ ≤ 1 makes it concave)."""
u_sat = sp.Symbol("u_sat", positive=True)
"""Utilisation at which the power curve reaches P_max."""

# --- derived step quantities ------------------------------------------------------------------------
iota = sp.Symbol("iota", nonnegative=True)
"""Idle fraction ι = Imb/(G·max_g L_g) ∈ [0, 1 − 1/G]."""
theta = sp.Symbol("theta", nonnegative=True)
"""Load share of the step time θ = t·max L/(C + t·max L) ∈ [0, 1]."""
u = sp.Symbol("u", nonnegative=True)
"""A utilisation in [0, 1]."""

x = sp.Symbol("x", nonnegative=True)
"""The threshold (in standard deviations) of the Gaussian-max argument; any x ≥ 0 gives a valid bound."""
tau = sp.Symbol("tau", nonnegative=True)
"""The tilt of the moderate-deviation bound, λ·σ_s·√B (dimensionless); any τ ≥ 0 gives a valid bound."""
xi = sp.Symbol("xi", positive=True)
"""The Chernoff parameter of the geometric-output upper bound, λ·(δ·o + s_max − μ_s) ∈ (0, 1)."""

# --- one block (instance lower bound) ---------------------------------------------------------------
W = sp.Symbol("W", positive=True)
"""Total prompt work of the G·B requests of one block (tokens)."""
s_top = sp.Symbol("s_top", positive=True)
"""Largest prompt in the block (tokens)."""
s_low = sp.Symbol("s_low", nonnegative=True)
"""Sum of the B − 1 smallest prompts in the block (tokens)."""

#: the Chebyshev window (in tilted standard deviations) of the moderate-deviation bound; any c > 1 is valid
C_CHEB = sp.Rational(11, 10)

#: Berry–Esseen constant for i.i.d. sums (Shevtsova 2011): sup|F_n − Φ| ≤ C_BE·ρ₃/(σ³√n).
C_BE = sp.Rational(4748, 10000)

ALL_SYMBOLS: tuple[sp.Symbol, ...] = (
    G, B, R, H, s_max, s_min, mu_s, sigma_s, rho_3, m_4, o, delta, C, t,
    P_idle, P_max, P_wait, P_busy, gamma, u_sat, iota, theta, u, x, tau, xi, W, s_top, s_low,
)


def by_name(name: str) -> sp.Symbol:
    """The symbol called ``name`` (e.g. ``"sigma_s"``); KeyError naming the choices otherwise."""
    for s in ALL_SYMBOLS:
        if s.name == name:
            return s
    raise KeyError(f"no symbol named {name!r}; choose one of: {', '.join(x.name for x in ALL_SYMBOLS)}")


def _uniform_moments(lo: int, hi: int) -> dict[sp.Symbol, sp.Rational]:
    """Exact μ, σ², ρ₃, m₄ of the discrete uniform distribution on {lo, ..., hi}."""
    n = hi - lo + 1
    vals = [sp.Integer(v) for v in range(lo, hi + 1)]
    mu = sp.Rational(sum(vals), n)
    var = sum((v - mu) ** 2 for v in vals) / n
    rho = sum(abs(v - mu) ** 3 for v in vals) / n
    m4 = sum((v - mu) ** 4 for v in vals) / n
    return {mu_s: mu, sigma_s: sp.sqrt(var), rho_3: rho, m_4: m4}


def paper_params() -> dict[sp.Symbol, sp.Expr]:
    """A fresh copy of :func:`_paper_params` (see there)."""
    return dict(_paper_params())


@lru_cache(maxsize=1)
def _paper_params() -> dict[sp.Symbol, sp.Expr]:
    """A reference parameter set (exact): the authors' C4 cluster (G = 256, B = 72) and step-time and
    power constants, prompts uniform on {1, ..., 2048}, fixed output length 256, drift 1, and a barrier
    that spins at P_wait = P_max (the power-curve numbers 100 W / 400 W / γ = 0.7 of the reference code).

    The prompt law is ours (the authors' traces are not i.i.d. bounded draws); it only sets default values
    for ``lbtheory bounds``. Everything is a sympy number so it can be used exactly.
    """
    lo, hi = 1, 2048
    p: dict[sp.Symbol, sp.Expr] = {
        G: sp.Integer(256), B: sp.Integer(72), R: sp.Integer(256 * 72), H: sp.Integer(0),
        s_min: sp.Integer(lo), s_max: sp.Integer(hi),
        o: sp.Integer(256), delta: sp.Integer(1),
        C: (72 * sp.Rational(6, 10000) + sp.Rational(35, 1000)) / 16,
        t: sp.Rational(15, 10) * 2 * 576 * 61 / sp.Integer(10) ** 6 / 2**20,
        P_idle: sp.Integer(100), P_max: sp.Integer(400), P_wait: sp.Integer(400),
        P_busy: sp.Integer(400), gamma: sp.Rational(7, 10), u_sat: sp.Integer(1),
        iota: sp.Rational(488, 1000), theta: sp.Rational(9, 10), u: sp.Integer(1),
    }
    p.update(_uniform_moments(lo, hi))
    # a block of G·B prompts at their mean, the largest at s_max and the B − 1 smallest at s_min
    p[W] = p[G] * p[B] * p[mu_s]
    p[s_top] = p[s_max]
    p[s_low] = (p[B] - 1) * p[s_min]
    return p


def numeric(params: Mapping[sp.Symbol, sp.Expr]) -> dict[str, float]:
    """The same parameter set as plain floats keyed by symbol name."""
    return {k.name: float(sp.N(v, 30)) for k, v in params.items()}
