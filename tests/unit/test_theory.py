"""Unit tests of lbtheory.theory: symbols, registry, report, exact helpers, and worked examples of the
bounds whose value is known by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from lbtheory.theory import bounds as bd
from lbtheory.theory import symbols as S
from lbtheory.theory.evaluate import compile_expr, get, registry
from lbtheory.theory.exact import block_max_gap, block_sum_pmf, law_params
from lbtheory.theory.extended import catalog
from lbtheory.theory.report import bounds_table, format_bounds_table


def test_symbols_declared_once_with_assumptions() -> None:
    names = [s.name for s in S.ALL_SYMBOLS]
    assert len(names) == len(set(names))
    assert S.G.is_integer and S.G.is_positive and S.B.is_integer
    assert S.sigma_s.is_positive and S.delta.is_nonnegative
    assert S.by_name("sigma_s") is S.sigma_s
    with pytest.raises(KeyError, match="no symbol named"):
        S.by_name("nope")


def test_every_bound_uses_declared_symbols_only() -> None:
    declared = set(S.ALL_SYMBOLS)
    for rec in registry():
        assert rec.expr.free_symbols <= declared, rec.name
        assert rec.hypotheses and rec.claim in {"C2", "C5"}
        assert rec.kind in {"lower", "upper", "identity"}
        assert isinstance(rec.latex, str) and rec.latex


def test_bound_functions_have_docstrings() -> None:
    for name in dir(bd):
        obj = getattr(bd, name)
        if callable(obj) and getattr(obj, "__module__", "") == bd.__name__:
            assert obj.__doc__ and len(obj.__doc__) > 20, name


def test_pair_bound_is_exact_for_two_point_law() -> None:
    """G = 2, B = 1, symmetric two-point law: E[Imb] = E|s1 − s2| = σ_s, and the pair bound equals σ_s."""
    v, p = np.array([1, 101]), np.array([0.5, 0.5])
    lp = law_params(v, p)
    assert lp["sigma_s"] == pytest.approx(50.0)
    assert block_max_gap(v, p, 2, 1) == pytest.approx(50.0)
    assert get("fcfs_lower_pair").value(lp | {"G": 2, "B": 1}) == pytest.approx(50.0)


def test_block_max_gap_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    v, p = np.array([1, 5, 30]), np.array([0.2, 0.5, 0.3])
    G, B = 5, 4
    sums = rng.choice(v, size=(200_000, G, B), p=p).sum(axis=2)
    mc = float(np.mean(G * sums.max(axis=1) - sums.sum(axis=1)))
    assert block_max_gap(v, p, G, B) == pytest.approx(mc, rel=0.01)
    assert block_sum_pmf(v, p, 2).sum() == pytest.approx(1.0)


def test_bounds_order_on_a_grid() -> None:
    """pair/Gaussian-max lower ≤ exact ≤ load-blind upper, for a few laws and sizes."""
    for vals, probs in [((1, 2), (0.5, 0.5)), ((1, 50, 100), (0.3, 0.4, 0.3)), ((10, 400), (0.9, 0.1))]:
        v, p = np.array(vals), np.array(probs)
        for G, B in [(2, 1), (4, 8), (16, 16), (64, 4)]:
            prm = law_params(v, p) | {"G": G, "B": B}
            ex = block_max_gap(v, p, G, B)
            assert get("fcfs_lower").value(prm) <= ex * (1 + 1e-9)
            assert ex <= get("loadblind_upper").value(prm)


def test_bfio_worked_example() -> None:
    assert get("bfio_upper").value({"G": 4, "s_min": 1, "s_max": 11}) == 30.0
    assert get("any_policy_upper").value({"G": 4, "B": 3, "s_min": 1, "s_max": 11}) == 90.0


def test_instance_lower_worked_example() -> None:
    # G = 2, B = 2, block (1, 1, 1, 200): max L ≥ 200 + 1, W = 203 → Imb ≥ 2·201 − 203 = 199
    assert get("instance_lower").value({"G": 2, "W": 203, "s_top": 200, "s_low": 1}) == 199.0
    # balanced block: ⌈W/G⌉ term; W odd gives Imb ≥ 1
    assert get("instance_lower").value({"G": 2, "W": 21, "s_top": 6, "s_low": 5}) == 1.0


def test_energy_worked_examples() -> None:
    spin = get("energy_saving_spin")
    assert spin.value({"iota": 0.5, "theta": 1.0, "P_busy": 400, "P_wait": 400}) == pytest.approx(0.5)
    assert spin.value({"iota": 0.0, "theta": 1.0, "P_busy": 400, "P_wait": 400}) == 0.0
    thr = get("energy_threshold_spin")
    assert thr.value({"P_busy": 1, "P_wait": 1, "theta": 1}) == pytest.approx(0.52)
    up = get("energy_saving_curve_upper")
    # ι = 0: nothing to save
    assert up.value({"iota": 0.0, "theta": 0.5, "P_idle": 100, "P_max": 400, "gamma": 0.7}) == 0.0


def test_geometric_age_moments() -> None:
    var, m4 = bd.age_moments_geometric()
    p = 0.1
    j = np.arange(0, 3000)
    pm = p * (1 - p) ** j
    mu = float((pm * j).sum())
    f = compile_expr(var)
    g = compile_expr(m4)
    assert f({"o": 10.0}) == pytest.approx(float((pm * (j - mu) ** 2).sum()))
    assert g({"o": 10.0}) == pytest.approx(float((pm * (j - mu) ** 4).sum()))


def test_compile_expr_names_missing() -> None:
    f = compile_expr(S.G * S.B)
    with pytest.raises(KeyError, match="missing"):
        f({"G": 1.0})


def test_report_table_and_json() -> None:
    rows = bounds_table({"G": 16, "B": 32})
    assert {r["name"] for r in rows} == {r.name for r in catalog()} >= {r.name for r in registry()}
    json.dumps(rows)
    text = format_bounds_table(rows)
    assert "bfio_upper" in text and "C5" in text
    with pytest.raises(KeyError, match="unknown parameter"):
        bounds_table({"nope": 1.0})


def test_limits_symbolic() -> None:
    e = bd.fcfs_lower_pair().subs(S.G, 3) / (3 * S.sigma_s * sp.sqrt(S.B))
    assert sp.limit(e, S.B, sp.oo) == 1 / sp.sqrt(6)
