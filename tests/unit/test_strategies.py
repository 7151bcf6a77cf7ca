"""The public strategies reach their edge cases (hypothesis.find), and stay inside their hypotheses."""

from __future__ import annotations

import numpy as np
from hypothesis import find, given, settings

from lbtheory.testing.strategies import (
    AdversarialInstance,
    IidInstance,
    adversarial_instances,
    clusters,
    iid_instances,
    output_laws,
    prompt_laws,
)

FIND = settings(max_examples=2000, database=None, derandomize=True, deadline=None)


def test_reaches_single_worker_and_single_slot() -> None:
    assert find(clusters(), lambda c: c[0] == 1, settings=FIND)[0] == 1
    assert find(clusters(), lambda c: c[1] == 1, settings=FIND)[1] == 1
    assert find(clusters(), lambda c: c == (8, 8), settings=FIND) == (8, 8)


def test_reaches_two_point_and_extreme_laws() -> None:
    two = find(prompt_laws(), lambda law: len(law.values) == 2, settings=FIND)
    assert len(two.values) == 2
    top = find(prompt_laws(), lambda law: max(law.values) == 200, settings=FIND)
    assert max(top.values) == 200
    low = find(prompt_laws(), lambda law: min(law.values) == 1, settings=FIND)
    assert min(low.values) == 1
    skew = find(prompt_laws(), lambda law: max(law.probs) > 0.9, settings=FIND)
    assert max(skew.probs) > 0.9


def test_reaches_both_output_kinds() -> None:
    assert find(output_laws(), lambda o: o.kind == "geometric", settings=FIND).kind == "geometric"
    assert find(output_laws(), lambda o: o.kind == "fixed" and o.mean == 1, settings=FIND).mean == 1


def test_instance_with_s_max_on_one_request() -> None:
    """An i.i.d. instance whose workload holds s = s_max on exactly one request, with G = 1."""

    def cond(inst: IidInstance) -> bool:
        s = inst.workload().prompt_tokens
        return inst.G == 1 and int(np.sum(s == max(inst.law.values))) == 1

    found = find(iid_instances(refills=2), cond, settings=FIND)
    assert found.G == 1


def test_adversarial_reaches_short_window_and_equal_blocks() -> None:
    short = find(adversarial_instances(full_window=False), lambda a: a.window < a.G * a.B,
                 settings=FIND)
    assert short.window < short.G * short.B

    def equal_blocks(a: AdversarialInstance) -> bool:
        return a.G >= 2 and len(set(a.prompts)) == 1

    assert find(adversarial_instances(fixed_outputs=True), equal_blocks, settings=FIND).G >= 2


@given(inst=iid_instances())
@settings(max_examples=25)
def test_iid_instances_inside_hypotheses(inst: IidInstance) -> None:
    law = inst.law.params()
    assert law["sigma_s"] > 0
    assert inst.window >= inst.G * inst.B
    w = inst.workload()
    assert set(np.unique(w.prompt_tokens)) <= set(inst.law.values)
    if inst.outputs.kind == "fixed":
        assert np.all(w.output_tokens == inst.outputs.mean)
    assert w.n_requests == inst.G * inst.B * inst.refills
