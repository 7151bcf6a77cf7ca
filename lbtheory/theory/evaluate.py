"""Compiled numeric evaluators of the bounds and the registry of every bound.

Each bound is an expression of :mod:`.bounds`; :func:`compile_expr` turns it into a float function with
``sympy.lambdify`` (numpy backend), and :func:`exact_value` evaluates it with exact sympy numbers
(Rationals) so the two can be compared. :func:`registry` lists every bound with the claim it supports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from lbtheory.theory import bounds as bd
from lbtheory.theory.symbols import numeric, paper_params

ParamMap = Mapping[str, float]


class DomainError(ValueError):
    """A bound evaluated outside the parameter range where it is defined (e.g. a ratio at G = 1)."""


def compile_expr(expr: sp.Expr) -> Callable[[ParamMap], float]:
    """A float evaluator of ``expr``: ``f(params)`` with params keyed by symbol name.

    Raises KeyError naming the missing symbol when ``params`` lacks one of the expression's symbols.
    """
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(syms, expr, modules=[{"ceiling": np.ceil}, "scipy", "numpy"])
    names = [s.name for s in syms]

    def value(params: ParamMap) -> float:
        missing = [n for n in names if n not in params]
        if missing:
            raise KeyError(f"missing parameter(s) {missing} for this bound")
        with np.errstate(all="ignore"):
            return float(fn(*(float(params[n]) for n in names)))

    return value


def exact_value(expr: sp.Expr, params: Mapping[str, sp.Expr | int | float], digits: int = 30) -> float:
    """``expr`` evaluated from exact inputs (sympy numbers; floats become Rationals): exact substitution,
    then ``digits``-digit arbitrary-precision evaluation (mpmath), then rounded to a float."""
    subs: dict[sp.Symbol, sp.Expr] = {}
    for s in expr.free_symbols:
        v = params[s.name]
        subs[s] = sp.nsimplify(v, rational=True) if isinstance(v, float) else sp.sympify(v)
    return float(sp.N(expr.xreplace(subs), digits))


@dataclass(frozen=True)
class BoundRecord:
    """One bound.

    Attributes:
        name: registry key.
        claim: the claim of CLAIMS.md it supports ("C2", "C5", ...).
        kind: "lower" or "upper" (the side it bounds) or "identity" (an exact formula).
        quantity: what it bounds, in words (units included).
        status: "theorem (ours)", "classical", or "conjecture".
        hypotheses: the hypotheses, one per string.
        expr: the sympy expression.
        maximize_over: (symbol name, grid) when the expression is a valid bound for every value of that
            free symbol (the Gaussian-max threshold x): :meth:`value` then takes the best grid value
            (max for a lower bound, min for an upper one).
        domain: (symbol name, least allowed value, why) triples; :meth:`value` raises
            :class:`DomainError` outside them instead of returning −inf or NaN.
    """

    name: str
    claim: str
    kind: str
    quantity: str
    status: str
    hypotheses: tuple[str, ...]
    expr: sp.Expr
    maximize_over: tuple[str, tuple[float, ...]] | None = None
    domain: tuple[tuple[str, float, str], ...] = ()
    _fn: Callable[[ParamMap], float] = field(repr=False, compare=False, default=lambda p: math.nan)

    @property
    def latex(self) -> str:
        """The expression in LaTeX."""
        return sp.latex(self.expr)

    def value(self, params: ParamMap | None = None) -> float:
        """The bound's value: ``params`` (by symbol name) override :func:`default_params`."""
        merged = dict(default_params())
        if params:
            merged.update({k: float(v) for k, v in params.items()})
        self.check_domain(merged)
        if self.maximize_over is None or self.maximize_over[0] in (params or {}):
            return self._fn(merged)
        return self.best(merged)[0]

    def check_domain(self, params: Mapping[str, object]) -> None:
        """Raise :class:`DomainError` naming the bound, the parameter and the reason when ``params`` lie
        outside :attr:`domain`."""
        for name, least, why in self.domain:
            if name in params and float(params[name]) < least:  # type: ignore[arg-type]
                raise DomainError(f"bound {self.name!r}: needs {name} >= {least:g}, got {name}="
                                  f"{float(params[name]):g} ({why})")  # type: ignore[arg-type]

    def best(self, params: ParamMap) -> tuple[float, float]:
        """(best value, the grid point of ``maximize_over`` that gives it) for complete ``params``."""
        assert self.maximize_over is not None
        name, grid = self.maximize_over
        sign = 1.0 if self.kind == "lower" else -1.0
        best_v, best_x = -math.inf, math.nan
        p = dict(params)
        for xv in grid:
            p[name] = xv
            v = sign * self._fn(p)
            if v > best_v:
                best_v, best_x = v, xv
        return sign * best_v, best_x

    def exact(self, params: Mapping[str, sp.Expr | int | float] | None = None) -> float:
        """The same value computed with exact sympy arithmetic (floats converted to Rationals)."""
        merged: dict[str, sp.Expr | int | float] = {k.name: v for k, v in paper_params().items()}
        if params:
            merged.update(params)
        self.check_domain(merged)
        return exact_value(self.expr, merged)


@lru_cache(maxsize=1)
def default_params() -> dict[str, float]:
    """The default numeric parameter set (:func:`lbtheory.theory.symbols.paper_params` as floats)."""
    return numeric(paper_params())


H_SAT = (
    "saturated pool; every worker runs B requests at every step of the steady-state window k < "
    "window_steps (R >= G*B suffices); not after it, when the pool runs dry",
    "prompt lengths i.i.d., bounded in [s_min, s_max], sigma_s > 0, independent of output lengths",
    "every live job's workload grows by the same drift per step",
)
FIXED_OUT = "every output length equal to o (all slots start and end together)"
LOAD_BLIND = "the policy's assignment does not depend on prompt lengths (FCFS, round robin, random)"
EXPECTATION = ("bounds the expectation over prompts; checked statistically (Bernstein with the exact "
               "per-block variance for fixed outputs, McDiarmid otherwise)")
SLOT_FILLING = "the policy fills every free slot at every window step"
OUTPUT_BLIND = "the policy's choices do not depend on output lengths or their predictions"
WINDOW_STEPS = ("every step k of the steady-state window k < window_steps (every slot occupied); fails at "
                "a partial last block: G=B=2, prompts (200,1,1,200,200), o=1 gives Imb=200 > 199 at step 1")
NEED_G2 = ("G", 2.0, "with one worker Imb = 0 for every policy")


#: thresholds x (standard deviations) tried by the Gaussian-max bound
X_GRID = tuple(float(v) for v in np.round(np.linspace(0.0, 6.0, 241), 6))
_OPT_X = {"fcfs_lower", "fcfs_lower_gaussmax", "ratio_lower"}
#: tilts τ tried by the moderate-deviation bound
TAU_GRID = tuple(float(v) for v in np.round(np.linspace(0.0, 16.0, 321), 6))
#: Chernoff parameters ξ ∈ (0, 1) tried by the geometric-output upper bound
XI_GRID = tuple(float(v) for v in np.unique(np.round(np.concatenate(
    [np.geomspace(1e-4, 0.5, 120), np.linspace(0.5, 0.999, 60)]), 8)))
_OPT = {**{n: ("x", X_GRID) for n in _OPT_X}, "fcfs_lower_moderate": ("tau", TAU_GRID),
        "loadblind_upper_geometric": ("xi", XI_GRID)}


def _specs() -> list[tuple[str, str, str, str, str, tuple[str, ...], sp.Expr]]:
    return [
        ("fcfs_lower", "C2", "lower", "E[Imb(k)] of FCFS/RR/random, tokens", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, EXPECTATION), bd.fcfs_lower()),
        ("fcfs_lower_pair", "C2", "lower", "E[Imb(k)] of FCFS/RR/random, tokens", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, EXPECTATION), bd.fcfs_lower_pair()),
        ("fcfs_lower_gaussmax", "C2", "lower", "E[Imb(k)] of FCFS/RR/random, tokens",
         "theorem (ours)", (*H_SAT, LOAD_BLIND, EXPECTATION,
                            "informative when B >= gaussmax_regime_b_min"), bd.fcfs_lower_gaussmax()),
        ("gaussmax_regime_b_min", "C2", "identity", "B beyond which eps_B <= p_G/2, slots",
         "theorem (ours)", ("Berry-Esseen constant 0.4748",), bd.gaussmax_regime_b_min()),
        ("loadblind_upper", "C2", "upper", "E[Imb(k)] of FCFS/RR/random, tokens", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, FIXED_OUT, EXPECTATION), bd.loadblind_upper()),
        ("bfio_upper", "C2", "upper", "Imb(k) of BF-IO (H=0), every step, tokens", "theorem (ours)",
         (*H_SAT, FIXED_OUT, "R >= G*B", "BF-IO solves its H=0 problem exactly, filling all free slots",
          WINDOW_STEPS), bd.bfio_upper()),
        ("bfio_upper_geometric", "C2", "upper", "average Imb of BF-IO (H=0) over the window, tokens",
         "refuted conjecture", (*H_SAT, "geometric output lengths of mean o", "R >= G*B"),
         bd.bfio_upper_geometric_conjecture()),
        ("any_policy_lower_geometric", "C2", "lower",
         "E[Imb(k)] of any output-blind policy (BF-IO H=0 incl.), geometric outputs, tokens",
         "theorem (ours)", (*H_SAT, "geometric output lengths of mean o", SLOT_FILLING, OUTPUT_BLIND,
                            "R >= G*B", "stationary ages (k >> o)", EXPECTATION),
         bd.any_policy_lower_geometric()),
        ("loadblind_upper_geometric", "C2", "upper",
         "E[Imb(k)] of FCFS/RR/random, geometric outputs, stationary, tokens", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, OUTPUT_BLIND, SLOT_FILLING, "geometric output lengths of mean o",
          "R >= G*B", "stationary ages (k >> o)", EXPECTATION), bd.loadblind_upper_geometric()),
        ("loadblind_upper_geometric_closed_form", "C2", "upper",
         "E[Imb(k)] of FCFS/RR/random, geometric outputs, stationary, tokens", "conjecture",
         (*H_SAT, LOAD_BLIND, OUTPUT_BLIND, SLOT_FILLING, "geometric output lengths of mean o",
          "stationary ages (k >> o)", "searched against the exact stationary expectation, not proved"),
         bd.loadblind_upper_geometric_conjecture()),
        ("fcfs_lower_moderate", "C2", "lower", "E[Imb(k)] of FCFS/RR/random, tokens", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, EXPECTATION, "no Berry-Esseen: exponential tilting with a Chebyshev window "
          "c = 11/10",
          "limit: ell_MD/sqrt(2 log G) -> 1 when B/log G -> oo then G -> oo (regime B >> log G); numerically "
          "weaker than fcfs_lower_gaussmax unless G is huge (G ~ 1e6, B ~ 1e3 for small laws; beyond 2^20 "
          "for uniform prompts on 1..2048); 0.04 vs 1.33 (units of G sigma_s sqrt(B)) at G=256, B=72"), bd.fcfs_lower_moderate()),
        ("ratio_lower", "C2", "lower", "E[AvgImb FCFS] / AvgImb BF-IO(H=0), dimensionless",
         "theorem (ours)", (*H_SAT, FIXED_OUT, "R >= G*B", "exact H=0 optimiser"), bd.ratio_lower()),
        ("any_policy_upper", "C2", "upper", "Imb(k) of any slot-filling policy incl. JSQ, tokens",
         "classical", (*H_SAT, FIXED_OUT, "R >= G*B",
                       "attained by JSQ for every G, B when B*s_min < s_max (order s_max, s_min x (G-1)B, "
                       "s_max x (B-1)): JSQ's exact worst case under slot caps"), bd.any_policy_upper()),
        ("energy_saving_spin", "C5", "identity", "energy saved by balancing, fraction",
         "theorem (ours)", ("busy workers draw P_busy, waiting workers P_wait (any P_wait, P_busy > 0)",
                            "balanced counterfactual: same steps and work, loads equal",
                            "S <= theta*iota only when P_wait <= P_busy (energy_spin_at_most_theta_iota)"),
         bd.energy_saving_spin()),
        ("energy_spin_at_most_theta_iota", "C5", "upper", "energy saved by balancing, fraction",
         "theorem (ours)", ("as energy_saving_spin", "P_wait <= P_busy (P_wait = 1.5 P_busy, "
                            "theta*iota = 0.3 gives S = 0.391 > 0.3)"),
         bd.energy_spin_at_most_theta_iota()),
        ("fcfs_idle_fraction_ceiling", "C5", "upper",
         "long-run idle fraction iota of FCFS/RR/random over the window, fraction", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, FIXED_OUT, "long-run limit (finite windows: U + Bernstein eps, observed "
          "sum of loads)"), bd.fcfs_idle_fraction_ceiling()),
        ("fcfs_energy_saving_ceiling", "C5", "upper",
         "energy a perfect balancer saves over FCFS/RR/random, fraction", "theorem (ours)",
         (*H_SAT, LOAD_BLIND, FIXED_OUT, "worker-time energy model of energy_saving_spin",
          "theta = the run's load share of step time (theta <= 1)", "long-run limit"),
         bd.fcfs_energy_saving_ceiling()),
        ("energy_threshold_spin", "C5", "identity", "idle fraction iota needed for a 52% saving",
         "theorem (ours)", ("as energy_saving_spin",), bd.energy_threshold_spin()),
        ("energy_saving_curve_upper", "C5", "upper", "per-step energy saved, reference power curve",
         "theorem (ours)", ("u_g = L_g / max L, u_sat = 1", "0 < gamma <= 1",
                            "attained only at iota = 0 or gamma = 1; approached as G -> infinity"),
         bd.energy_saving_curve_upper()),
        ("energy_saving_curve_lower", "C5", "lower", "per-step energy saved, reference power curve",
         "theorem (ours)", ("u_g = L_g / max L, u_sat = 1", "0 < gamma <= 1",
                            "attained only at iota = 0 or gamma = 1; approached as non-straggler loads -> 0"),
         bd.energy_saving_curve_lower()),
        ("instance_lower", "C2", "lower", "Imb(k) of any slot-filling policy on a block, tokens",
         "theorem (ours)", (FIXED_OUT, "R = G*B (the block is the same for every policy)"),
         bd.instance_lower()),
    ]


#: where a bound is defined (outside: DomainError)
_DOMAINS: dict[str, tuple[tuple[str, float, str], ...]] = {
    "ratio_lower": (NEED_G2,),
    "gaussmax_regime_b_min": (("G", 2.0, "p_G = 0 at G = 1: no B reaches the regime"),),
    "any_policy_lower_geometric": (("o", 1.0, "a geometric output length is at least 1"),),
    "bfio_upper_geometric": (("o", 1.0, "a geometric output length is at least 1"),),
    "loadblind_upper_geometric": (("o", 1.0, "a geometric output length is at least 1"),),
    "loadblind_upper_geometric_closed_form": (("o", 1.0, "a geometric output length is at least 1"),),
}


@lru_cache(maxsize=1)
def registry() -> tuple[BoundRecord, ...]:
    """Every bound, compiled (built on first call, then cached)."""
    out = []
    for name, claim, kind, quantity, status, hyps, expr in _specs():
        opt = _OPT.get(name)
        out.append(BoundRecord(name, claim, kind, quantity, status, hyps, expr, opt,
                               _DOMAINS.get(name, ()), compile_expr(expr)))
    return tuple(out)


def get(name: str) -> BoundRecord:
    """The registered bound called ``name``."""
    for rec in registry():
        if rec.name == name:
            return rec
    raise KeyError(f"no bound named {name!r}; choose one of: {', '.join(r.name for r in registry())}")
