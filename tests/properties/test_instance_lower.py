"""Claim C2, the other side: a per-instance lower bound no slot-filling policy can beat.

Statement (ours, ``lbtheory.theory.bounds.instance_lower``): with fixed outputs o and R = G·B, every policy
that fills every free slot runs block r (requests r·G·B .. (r + 1)·G·B − 1) during steps r·o .. (r + 1)·o − 1,
and at each of those steps

    Imb(k) ≥ G·max(⌈W/G⌉, s_top + s_low) − W,

W the block's prompt total, s_top its largest prompt, s_low the sum of its B − 1 smallest. Deterministic
(no i.i.d. needed), so the prompts are drawn adversarially and every step is checked. A certificate in the
style of cvxpy's solver tests: lower bound ≤ exact H = 0 optimum ≤ every other policy, step by step.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, find, given, settings, target

from lbtheory.engine.simulate import simulate
from lbtheory.testing import ExactH0, registered_bfio
from lbtheory.testing.strategies import AdversarialInstance, adversarial_instances
from lbtheory.theory.evaluate import get

POLICIES = ("fcfs", "jsq_tokens", "round_robin", "random")
TINY = {"max_workers": 3, "max_slots": 2, "max_blocks": 4, "max_output": 4, "fixed_outputs": True}


def block_lower(inst: AdversarialInstance, n_steps: int) -> np.ndarray:
    """instance_lower at each step k < n_steps (the block run at step k is k // o)."""
    gb = inst.G * inst.B
    o = inst.outputs[0]
    rec = get("instance_lower")
    s = np.array(inst.prompts, np.int64)
    out = np.zeros(n_steps)
    for k in range(n_steps):
        blk = np.sort(s[(k // o) * gb:(k // o + 1) * gb])
        if blk.size < gb:
            out[k] = 0.0  # last, partial block: slots are not all filled
            continue
        p = {"G": inst.G, "W": float(blk.sum()), "s_top": float(blk[-1]),
             "s_low": float(blk[: inst.B - 1].sum())}
        out[k] = rec.value(p)
    return out


def _imb(inst: AdversarialInstance, policy: object) -> np.ndarray:
    res = simulate(inst.workload(), inst.config(), policy, seed=0)  # type: ignore[arg-type]
    return res.steps.imbalance.astype(np.float64)


@pytest.mark.parametrize("policy", POLICIES)
@given(inst=adversarial_instances(fixed_outputs=True, max_workers=6, max_slots=6, max_blocks=5))
@example(inst=AdversarialInstance(2, 2, 4, (1, 1, 1, 200), (1,) * 4))
def test_every_policy_above_instance_lower(inst: AdversarialInstance, policy: str) -> None:
    """Every step of every slot-filling baseline: Imb(k) ≥ instance_lower(block of k)."""
    imb = _imb(inst, policy)
    lb = block_lower(inst, imb.size)
    pos = imb > 0
    if pos.any():
        target(float(np.max(lb[pos] / imb[pos])), label="bound/observed")
    assert np.all(imb >= lb - 1e-9)


@given(inst=adversarial_instances(**TINY))
@example(inst=AdversarialInstance(3, 2, 6, (5, 5, 5, 5, 5, 6), (2,) * 6))
def test_certificate_chain(inst: AdversarialInstance) -> None:
    """instance_lower ≤ exact H = 0 ≤ FCFS, JSQ, round robin, random (and the registered BF-IO), per step."""
    exact = _imb(inst, ExactH0())
    lb = block_lower(inst, exact.size)
    assert np.all(exact >= lb - 1e-9)
    others: list[object] = list(POLICIES)
    bfio, _ = registered_bfio(0)
    if bfio is not None:
        others.append(bfio)
    for pol in others:
        imb = _imb(inst, pol)
        assert imb.size == exact.size
        assert np.all(imb >= exact - 1e-9), f"{pol} beat the exact H = 0 optimum"


# ----------------------------------------------------------------------------------------- teeth


def test_teeth_scaled_bound_is_violated() -> None:
    """instance_lower × 1.5 (on its positive part) is false: the exact optimum goes below it."""

    def violates(inst: AdversarialInstance) -> bool:
        exact = _imb(inst, ExactH0())
        lb = block_lower(inst, exact.size)
        return bool(np.any(exact < 1.5 * lb - 1e-9))

    found = find(adversarial_instances(**TINY), violates,
                 settings=settings(max_examples=500, database=None, derandomize=True, deadline=None))
    assert found.G >= 2


def test_teeth_window_hypothesis_removed() -> None:
    """With R > G·B a policy may admit other requests than the block, and the block bound fails."""

    def violates(inst: AdversarialInstance) -> bool:
        if inst.window <= inst.G * inst.B:
            return False
        exact = _imb(inst, ExactH0())
        return bool(np.any(exact < block_lower(inst, exact.size) - 1e-9))

    tiny = dict(TINY)
    found = find(adversarial_instances(full_window=False, **tiny), violates,
                 settings=settings(max_examples=1000, database=None, derandomize=True, deadline=None))
    assert found.window > found.G * found.B
