"""Issue 14, item 3: a lower bound in expectation for *every* slot-filling policy with fixed outputs,
``any_policy_lower_partition`` (number partitioning, first moment):

    E[Imb(k)] ≥ h_s·((G − 1)u − G + u^{1−G})/(2G),   u = 1/(p_B·N_{G,B}^{1/(G−1)}) ≥ 1,

checked by exhaustive enumeration: every prompt vector of a block and every assignment of it to the
workers (no slot-filling policy can do better than the best assignment at any step), with exact fractions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import example, given, target
from hypothesis import strategies as st

from lbtheory.engine.simulate import simulate
from lbtheory.testing import ExactH0
from lbtheory.testing.strategies import AdversarialInstance
from lbtheory.theory import steps as S
from lbtheory.theory.extended import get_any as get

SHAPES = ((2, 1), (3, 1), (2, 2), (2, 3), (3, 2))


@st.composite
def tiny_cases(draw: st.DrawFn) -> tuple[S.Dist, int, int, int]:
    """(law on 2–3 integer values with a lattice span h, G, B, h), G·B ≤ 6."""
    g, b = draw(st.sampled_from(SHAPES))
    h = draw(st.integers(1, 3))
    k = draw(st.integers(2, 3))
    offs = sorted(draw(st.lists(st.integers(0, 12), min_size=k, max_size=k, unique=True)))
    weights = draw(st.lists(st.integers(1, 6), min_size=k, max_size=k))
    tot = sum(weights)
    d = S.law([1 + h * v for v in offs], [Fraction(w, tot) for w in weights])
    return d, g, b, h


def _bound(d: S.Dist, g: int, b: int, h: int, union: bool = True) -> float:
    pb = S.max_atom(d, b)
    if not union:  # teeth: the union bound over the N_{G,B} partitions dropped (u as if N = 1)
        u = 1.0 / float(pb)
        return h * ((g - 1) * u - g + u ** (1 - g)) / (2 * g) if u >= 1 else 0.0
    return get("any_policy_lower_partition").value({"G": g, "B": b, "p_B": float(pb), "h_s": float(h)})


@given(case=tiny_cases())
@example(case=(S.law([1, 2, 4], ["1/3", "1/3", "1/3"]), 2, 2, 1))
def test_partition_chain_exhaustive(case: tuple[S.Dist, int, int, int]) -> None:
    """Every step of the proof, exactly, on every drawn law: Imb ≥ spread; the fixed-partition and union
    tail bounds at d = 0..4; E X_min ≤ E[min Imb]; the bound ≤ E X_min."""
    d, g, b, h = case
    steps = S.step_partition_chain(d, g, b, h, d_max=4)
    bad = [s for s in steps if not s.holds]
    assert not bad, bad
    e = float(steps[-2].lhs)
    if e > 0:
        target(float(steps[-1].lhs) / e, label="bound / E X_min")


def test_not_vacuous_and_beyond_instance_lower() -> None:
    """Odd prompts 1, 3, …, 47 (V = 24 values, h_s = 2), G = 2, B = 3, every multiset of the block
    enumerated with its multinomial weight: the bound (with the exact p_B) is positive, below the exact
    E[min over assignments Imb], and above the exact E[instance_lower]; dropping the union bound breaks it."""
    V, g, b, h = 24, 2, 3, 2
    d = S.law([1 + h * v for v in range(V)], [Fraction(1, V)] * V)
    e_opt, e_inst = S.uniform_lattice_block(V, g, b, h)
    bound = _bound(d, g, b, h)
    assert 0 < bound <= float(e_opt)
    assert bound > float(e_inst)
    # teeth: without the union bound over the N_{G,B} = 10 partitions (u = 1/p_B) it exceeds E[optimum]
    assert _bound(d, g, b, h, union=False) > float(e_opt)


def test_enumeration_matches_the_engine() -> None:
    """The enumeration's 'min over assignments' is what the engine's exact H = 0 optimiser reaches at
    step 0 with R = G·B (so it is the Imb of real runs, not a separate model)."""
    rng = np.random.default_rng(14)
    parts = S.block_partitions(2, 3)
    for _ in range(5):
        s = tuple(int(v) for v in rng.integers(1, 40, size=6))
        best = min(2 * max(sum(s[i] for i in range(6) if lab[i] == w) for w in (0, 1)) - sum(s)
                   for lab in parts)
        res = simulate(AdversarialInstance(2, 3, 6, s, (1,) * 6).workload(),
                       AdversarialInstance(2, 3, 6, s, (1,) * 6).config(), ExactH0())
        assert res.steps.imbalance[0] == best


def test_teeth_lattice_span_overstated() -> None:
    """h_s must be a true lattice span: claiming h_s = 3 for prompts 1, 2, 3, …, 9 (span 1) at G = 2, B = 1
    gives a 'bound' above the exact E X_min."""
    d = S.law(list(range(1, 10)), [Fraction(1, 9)] * 9)
    exact = float(S.block_partition_law(d, 2, 1, 1, 0).e_spread_min)
    assert _bound(d, 2, 1, 1) <= exact < _bound(d, 2, 1, 3)
