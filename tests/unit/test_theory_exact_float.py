"""Each bound computed two ways: exact sympy arithmetic with Rationals, and the lambdified float
evaluator. They must agree to 1e-9 (relative) at the default parameters and at random rational points."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from lbtheory.theory.evaluate import default_params, exact_value, registry
from lbtheory.theory.extended import catalog, extra_params
from lbtheory.theory.symbols import paper_params


def _random_points(n: int) -> list[dict[str, sp.Rational]]:
    rng = np.random.default_rng(20260125)
    pts = []
    for _ in range(n):
        lo = int(rng.integers(1, 50))
        hi = lo + int(rng.integers(1, 500))
        sigma = sp.Rational(int(rng.integers(1, 100)), 100) * (hi - lo) / 2
        pts.append({
            "G": sp.Integer(int(rng.integers(1, 300))), "B": sp.Integer(int(rng.integers(1, 300))),
            "s_min": sp.Integer(lo), "s_max": sp.Integer(hi), "mu_s": sp.Rational(lo + hi, 2),
            "sigma_s": sigma, "rho_3": sigma**2 * (hi - lo) * sp.Rational(int(rng.integers(1, 100)), 100),
            "m_4": sigma**4 * (1 + sp.Rational(int(rng.integers(0, 400)), 100)),
            "o": sp.Integer(int(rng.integers(2, 500))), "delta": sp.Integer(1),
            "P_idle": sp.Integer(int(rng.integers(10, 200))), "P_max": sp.Integer(int(rng.integers(250, 1000))),
            "P_wait": sp.Integer(int(rng.integers(10, 250))), "P_busy": sp.Integer(int(rng.integers(250, 1000))),
            "gamma": sp.Rational(int(rng.integers(1, 100)), 100), "u_sat": sp.Integer(1),
            "iota": sp.Rational(int(rng.integers(0, 99)), 100), "theta": sp.Rational(int(rng.integers(1, 100)), 100),
            "x": sp.Rational(int(rng.integers(0, 500)), 100),
            "tau": sp.Rational(int(rng.integers(0, 600)), 100),
            "xi": sp.Rational(int(rng.integers(1, 100)), 100),
            "W": sp.Integer(int(rng.integers(100, 100000))), "s_top": sp.Integer(hi),
            "s_low": sp.Integer(int(rng.integers(0, 100))),
            "d_carry": sp.Integer(int(rng.integers(0, 5000))),
            "p_B": sp.Rational(1, int(rng.integers(2, 10**6))), "h_s": sp.Integer(int(rng.integers(1, 4))),
        })
    return pts


_EXTRA = {k.name: v for k, v in extra_params().items()}
POINTS = [{k.name: v for k, v in paper_params().items()} | _EXTRA | {"x": sp.Rational(3, 2), "tau": sp.Rational(2),
                                                      "xi": sp.Rational(1, 2)}, *_random_points(10),
          # a point where any_policy_lower_partition is positive (few slots, many prompt values)
          {k.name: v for k, v in paper_params().items()} | _EXTRA | {"x": sp.Rational(1), "tau": sp.Rational(1),
                                                            "xi": sp.Rational(1, 3), "G": sp.Integer(3),
                                                            "B": sp.Integer(2), "p_B": sp.Rational(1, 5000),
                                                            "d_carry": sp.Integer(4000), "o": sp.Integer(7)}]


@pytest.mark.parametrize("rec", catalog(), ids=lambda r: r.name)
def test_exact_equals_float(rec) -> None:  # type: ignore[no-untyped-def]
    for pt in POINTS:
        exact = exact_value(rec.expr, pt)
        fl = rec._fn({k: float(v) for k, v in pt.items()})
        if math.isnan(fl) or math.isnan(exact):
            assert math.isnan(fl) and math.isnan(exact), (rec.name, pt)
            continue
        assert fl == pytest.approx(exact, rel=1e-9, abs=1e-9), (rec.name, pt)


def test_value_uses_defaults_and_overrides() -> None:
    rec = next(r for r in registry() if r.name == "bfio_upper")
    d = default_params()
    assert rec.value() == pytest.approx((d["G"] - 1) * (d["s_max"] - d["s_min"]))
    assert rec.value({"G": 3, "s_min": 1, "s_max": 11}) == pytest.approx(20.0)


def test_exact_method_matches_value() -> None:
    for rec in catalog():
        if rec.maximize_over is not None:
            continue
        assert rec.exact() == pytest.approx(rec.value(), rel=1e-9, abs=1e-12), rec.name
