"""Claim C2, the other baselines: JSQ by tokens, round robin, random.

Statements checked (``lbtheory.theory.bounds``):

* ``any_policy_upper`` (classical): with fixed outputs and R ≥ G·B, every slot-filling policy has
  Imb(k) ≤ (G − 1)·B·Δ_s at every step (deterministic; any prompts).
* ``loadblind_upper`` (ours, Bernstein): for FCFS, round robin and random under H_sat with fixed outputs,
  E[Imb(k)] ≤ G·(σ_s√(2B log G) + Δ_s·log G/3) (statistical: window average ≤ bound + ε, ε Bernstein's
  with the exact block variance, ``lbtheory.theory.stats``).
* The lower bound ``fcfs_lower`` holds for round robin and random too (load-blind): see
  ``test_fcfs_lower.py``, parametrised over the three policies.
* The Graham bound (G − 1)·s_max is **false** for JSQ with B-slot workers: a pinned adversarial
  counterexample, and a search that finds one among i.i.d. workloads too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, find, given, settings, target

from lbtheory.engine.simulate import simulate
from lbtheory.testing import mcdiarmid_eps, window_imbalance
from lbtheory.testing.strategies import (
    AdversarialInstance,
    IidInstance,
    OutputLaw,
    PromptLaw,
    adversarial_instances,
    iid_instances,
    output_laws,
)
from lbtheory.theory.evaluate import get
from lbtheory.theory.stats import run_tolerances

FAIL_PROB = 1e-9
POLICIES = ("jsq_tokens", "fcfs", "round_robin", "random")
LOAD_BLIND = ("fcfs", "round_robin", "random")


def _max_ratio(inst: AdversarialInstance, policy: str, bound_name: str) -> float:
    res = simulate(inst.workload(), inst.config(), policy, seed=0)
    bound = get(bound_name).value(inst.params())
    worst = float(res.steps.imbalance.max())
    if bound == 0:
        return 0.0 if worst == 0 else np.inf
    return worst / bound


@pytest.mark.parametrize("policy", POLICIES)
@given(inst=adversarial_instances(fixed_outputs=True, max_workers=6, max_slots=6, max_blocks=6))
@example(inst=AdversarialInstance(2, 3, 6, (200, 1, 1, 1, 200, 200), (2,) * 6))
def test_any_policy_upper(inst: AdversarialInstance, policy: str) -> None:
    """Every step: Imb(k) ≤ (G − 1)·B·Δ_s (fixed outputs, R = G·B, any prompt order)."""
    r = _max_ratio(inst, policy, "any_policy_upper")
    target(r, label="max Imb / bound")
    assert r <= 1.0


def _loadblind(inst: IidInstance, policy: str) -> tuple[float, float, float]:
    res = simulate(inst.workload(), inst.config(), policy, seed=inst.seed)
    p = inst.params()
    if inst.outputs.kind == "fixed":
        eps = run_tolerances(res, inst.law.values, inst.law.probs, FAIL_PROB)["eps_above"]
    else:
        eps = mcdiarmid_eps(res, p["s_max"] - p["s_min"], FAIL_PROB)
    return float(window_imbalance(res).mean()), get("loadblind_upper").value(p), eps


@pytest.mark.parametrize("policy", LOAD_BLIND)
@given(inst=iid_instances(max_workers=8, max_slots=8, refills=1500,
                          outputs=output_laws(kinds=("fixed",))))
def test_loadblind_upper(inst: IidInstance, policy: str) -> None:
    """Window average ≤ G·(σ_s√(2B log G) + Δ_s log G/3) + ε."""
    obs, bound, eps = _loadblind(inst, policy)
    if bound > 0:
        target(obs / bound, label="observed/bound")
    assert obs <= bound + eps


#: JSQ puts the long prompt on worker 0, the B short ones on worker 1 (which fills), then is forced to
#: put the remaining long ones on worker 0: Imb = B·(s_max − s_min) > (G − 1)·s_max.
GRAHAM_COUNTEREXAMPLE = AdversarialInstance(2, 3, 6, (200, 1, 1, 1, 200, 200), (1,) * 6)


def test_graham_refuted_for_jsq_pinned() -> None:
    """Imb = 597 > (G − 1)·s_max = 200 for JSQ on the pinned order (G = 2, B = 3)."""
    inst = GRAHAM_COUNTEREXAMPLE
    res = simulate(inst.workload(), inst.config(), "jsq_tokens")
    assert int(res.steps.imbalance[0]) == 597
    assert int(res.steps.imbalance[0]) > (inst.G - 1) * max(inst.prompts)


def test_graham_refuted_for_jsq_iid() -> None:
    """Even with i.i.d. prompts (fixed outputs, R = G·B) JSQ's slot cap breaks (G − 1)·s_max: the search
    finds a step above it."""

    def violates(inst: IidInstance) -> bool:
        res = simulate(inst.workload(), inst.config(), "jsq_tokens")
        return float(res.steps.imbalance.max()) > (inst.G - 1) * inst.params()["s_max"]

    found = find(iid_instances(max_workers=4, max_slots=6, refills=50,
                               outputs=output_laws(kinds=("fixed",))), violates,
                 settings=settings(max_examples=300, database=None, derandomize=True, deadline=None))
    assert found.G >= 2


# ----------------------------------------------------------------------------------------- teeth


def test_teeth_any_policy_upper_scaled() -> None:
    """(G − 1)·B·Δ_s × 0.5 is false for JSQ: the search finds a step above it."""
    found = find(adversarial_instances(fixed_outputs=True, max_workers=4, max_slots=4),
                 lambda inst: _max_ratio(inst, "jsq_tokens", "any_policy_upper") > 0.5,
                 settings=settings(max_examples=500, database=None, derandomize=True, deadline=None))
    assert found.G >= 2


def test_teeth_any_policy_upper_fixed_removed() -> None:
    """Without fixed outputs (ages differ) the per-step bound fails."""
    found = find(adversarial_instances(fixed_outputs=False, max_workers=4, max_slots=4),
                 lambda inst: _max_ratio(inst, "jsq_tokens", "any_policy_upper") > 1.0,
                 settings=settings(max_examples=500, database=None, derandomize=True, deadline=None))
    assert found.G >= 2


def test_teeth_loadblind_upper_scaled() -> None:
    """The Bernstein bound × 0.3 is false for FCFS (the window average exceeds it by more than ε)."""

    def violates(inst: IidInstance) -> bool:
        obs, bound, eps = _loadblind(inst, "fcfs")
        return obs - eps > 0.3 * bound

    found = find(iid_instances(max_workers=8, max_slots=8, refills=3000,
                               outputs=output_laws(max_mean=2, kinds=("fixed",))), violates,
                 settings=settings(max_examples=300, database=None, derandomize=True, deadline=None))
    assert found.G >= 2


def test_teeth_loadblind_upper_fixed_removed() -> None:
    """With geometric outputs much longer than the prompt range the age sums differ across workers and
    FCFS's average exceeds the fixed-output bound (pinned: G = 2, B = 2, prompts {1, 2}, mean 100)."""
    inst = IidInstance(2, 2, PromptLaw((1, 2), (0.5, 0.5)), OutputLaw("geometric", 100), 200, 0, 4)
    obs, bound, eps = _loadblind(inst, "fcfs")
    assert obs - eps > bound


@pytest.mark.parametrize(("G", "B"), [(2, 1), (2, 3), (3, 2), (4, 4), (6, 3)])
def test_jsq_attains_any_policy_upper(G: int, B: int) -> None:
    """JSQ's worst case under slot caps is exactly the trivial bound (G − 1)·B·Δ_s, for every G and B with
    B·s_min < s_max: on the order (s_max, s_min × (G − 1)B, s_max × (B − 1)) JSQ fills workers 2..G with
    the short prompts (each lighter than s_max) and is then forced to put every long one on worker 1. So no
    JSQ bound below any_policy_upper holds for arbitrary orders; for B ≥ 2 FCFS does better on this order
    (with B = 1 every slot-filling policy is the same)."""
    s_min, s_max = 1, B + 10
    prompts = (s_max, *([s_min] * ((G - 1) * B)), *([s_max] * (B - 1)))
    inst = AdversarialInstance(G, B, G * B, prompts, (1,) * len(prompts))
    bound = get("any_policy_upper").value(inst.params())
    assert bound == (G - 1) * B * (s_max - s_min)
    jsq = simulate(inst.workload(), inst.config(), "jsq_tokens")
    assert int(jsq.steps.imbalance[0]) == bound
    fcfs = simulate(inst.workload(), inst.config(), "fcfs")
    assert int(fcfs.steps.imbalance[0]) < bound if B >= 2 else int(fcfs.steps.imbalance[0]) == bound
