"""Issue 14, items 1–3: the new registry entries and their proof steps (exact, symbolic, exhaustive).
The property searches are in tests/properties/test_small_window.py, test_geometric_slot_filling_upper.py
and test_partition_lower.py."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import sympy as sp

from lbtheory.theory import bounds as core
from lbtheory.theory import extended as bd
from lbtheory.theory import steps as S
from lbtheory.theory.extended import D_c, h_s, p_B
from lbtheory.theory.extended import get_any as get
from lbtheory.theory.report import bounds_table
from lbtheory.theory.symbols import B, G, s_max, s_min

NEW = {"bfio_upper_small_window": "refuted", "bfio_upper_carryover": "proved",
       "slot_filling_upper_full_slots": "proved", "slot_filling_upper_geometric": "proved",
       "any_policy_lower_partition": "proved"}


def test_new_entries_listed_with_status() -> None:
    """``lbtheory bounds --json`` lists each new result with its proof status, hypotheses and LaTeX."""
    rows = {r["name"]: r for r in bounds_table()}
    for name, status in NEW.items():
        assert rows[name]["proof_status"] == status
        assert rows[name]["hypotheses"] and rows[name]["latex"]


def test_carryover_reduces_to_bfio_upper_at_refill() -> None:
    """At a refill epoch (D_k = 0) the per-epoch bound is ``bfio_upper`` (symbolic)."""
    gap = sp.Symbol("gap", nonnegative=True)
    at_refill = bd.bfio_upper_carryover().subs(D_c, 0).subs(s_max, s_min + gap)
    assert sp.simplify(at_refill - core.bfio_upper().subs(s_max, s_min + gap)) == 0
    assert get("bfio_upper_carryover").value({"d_carry": 5000.0}) == 255 * 5000


def test_step_sorted_greedy_spread_exhaustive() -> None:
    """The carry-over lemma on every case of a small grid: G = 2, 3; f = 1, 2; base loads and items in
    0..4 (every vector); and its teeth: rounds fed in window order instead of sorted break it."""
    broken = 0
    for g, f in ((2, 1), (2, 2), (3, 1)):
        for base in itertools.product(range(5), repeat=g):
            for items in itertools.product(range(5), repeat=g * f):
                assert S.step_sorted_greedy_spread(base, f, items).holds
                broken += not S.step_sorted_greedy_spread(base, f, items, sort=False).holds
    assert broken > 0


def test_step_iid_ages_bfio() -> None:
    """The i.i.d.-age step (ii) of ``slot_filling_upper_geometric`` for the registered BF-IO (H = 0), by
    exhaustive enumeration of every output sequence (G = 2, B = 1, k = 2, q = 1/2)."""
    joint, prod = S.step_iid_ages("bfio", 2, [5, 1, 9, 2, 7, 3, 8, 4, 6, 2], F(1, 2), 3)
    assert joint == {k: v for k, v in prod.items() if v}


def test_block_partitions_count() -> None:
    """The enumerated partitions number N_{G,B} = (GB)!/((B!)^G G!), and the registry's log-gamma form
    agrees."""
    for g, b in ((2, 1), (2, 2), (2, 3), (3, 2), (2, 4), (4, 2)):
        parts = S.block_partitions(g, b)
        assert len(parts) == len(set(parts)) == S.partition_count_exact(g, b)
        n_expr = bd.partition_count().subs({G: g, B: b})
        assert math.isclose(float(n_expr), S.partition_count_exact(g, b), rel_tol=1e-12)


def test_partition_integral_step_symbolic() -> None:
    """The integral step: ∫₀^D (1 − N((2t + 1)p)^{G−1}) dt at D = (u − 1)/2, u = (p N^{1/(G−1)})^{−1},
    equals ((G − 1)u − G + u^{1−G})/(2G) (sympy, G = 2, 3, 4), and D is its maximiser."""
    t, n, p = sp.symbols("t N p", positive=True)
    for g in (2, 3, 4):
        u = 1 / (p * n ** sp.Rational(1, g - 1))
        dd = (u - 1) / 2
        integrand = 1 - n * ((2 * t + 1) * p) ** (g - 1)
        val = sp.integrate(integrand, (t, 0, dd))
        formula = ((g - 1) * u - g + u ** (1 - g)) / (2 * g)
        assert sp.simplify(val - formula) == 0
        assert sp.simplify(integrand.subs(t, dd)) == 0


def test_partition_bound_shape() -> None:
    """At G = 2 the bound is h_s·(u − 1)²/(4u) (symbolic), 0 in the paper's regime (G = 256, B = 72:
    perfect partitions abound) and grows linearly in the number of prompt values at G = 2, B = 2."""
    u = sp.Symbol("u", positive=True)
    expr = bd.any_policy_lower_partition().subs({G: 2}).replace(sp.Max, lambda *a: sp.log(u))
    assert sp.simplify(expr - h_s * (u - 1) ** 2 / (4 * u)) == 0
    # and u is partition_anticoncentration_u: log u = −log p_B − log N_{G,B}/(G − 1)
    u_expr = bd.partition_anticoncentration_u().subs({G: 2, B: 3, p_B: sp.Rational(1, 700)})
    assert math.isclose(float(u_expr), 700 / 10)
    assert get("any_policy_lower_partition").value() == 0.0
    v1 = get("any_policy_lower_partition").value({"G": 2, "B": 2, "p_B": 1 / 1000})
    v2 = get("any_policy_lower_partition").value({"G": 2, "B": 2, "p_B": 1 / 2000})
    assert 1.9 < v2 / v1 < 2.1


def test_partition_chain_pinned() -> None:
    """The exhaustive chain on fixed small laws (a lattice law with span 2 included)."""
    for d, g, b, h in ((S.law([1, 2, 4], ["1/3"] * 3), 2, 2, 1), (S.law([1, 3, 5], ["1/2", "1/4", "1/4"]), 2, 3, 2),
                       (S.law([1, 2, 3], ["1/3"] * 3), 3, 2, 1)):
        assert all(s.holds for s in S.step_partition_chain(d, g, b, h, d_max=4))


def test_geometric_upper_o1_and_symbols() -> None:
    """o = 1 (every age 0): the bound is (G − 1)·B·Δ_s exactly; beyond the prompt term it depends on the
    ages only (no prompt symbol), as the proof's split says."""
    p = {"G": 4, "B": 3, "o": 1, "s_min": 1, "s_max": 11}
    assert get("slot_filling_upper_geometric").value(p) == 3 * 3 * 10
    assert get("slot_filling_upper_geometric").value(p | {"o": 50, "delta": 0}) == 3 * 3 * 10
    rest = sp.expand(bd.slot_filling_upper_geometric() - (G - 1) * B * (s_max - s_min))
    assert not rest.free_symbols & {s_max, s_min, p_B}

