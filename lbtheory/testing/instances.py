"""Hypothesis strategies for small engine instances (workload + config), used to compare engines and check
invariants. Draws are labelled so a failing example reads like a test case."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.workloads.base import Workload


@st.composite
def small_instances(
    draw: Any,
    *,
    max_workers: int = 4,
    max_slots: int = 4,
    max_requests: int = 24,
    max_prompt: int = 50,
    max_output: int = 12,
    open_loop: bool | None = None,
    predictions: bool | None = None,
) -> tuple[Workload, SimConfig]:
    """A workload of at most ``max_requests`` requests and a cluster of at most G×B = max_workers×max_slots.

    ``open_loop``/``predictions``: force arrivals/predictions on or off (None: drawn).
    """
    G = draw(st.integers(1, max_workers), label="G")
    B = draw(st.integers(1, max_slots), label="B")
    R = draw(st.one_of(st.none(), st.integers(1, 3 * G * B)), label="R")
    n = draw(st.integers(1, max_requests), label="N")
    s = draw(st.lists(st.integers(1, max_prompt), min_size=n, max_size=n), label="prompts")
    o = draw(st.lists(st.integers(1, max_output), min_size=n, max_size=n), label="outputs")
    is_open = draw(st.booleans(), label="open loop") if open_loop is None else open_loop
    arrivals = None
    if is_open:
        gaps = draw(st.lists(st.sampled_from([0.0, 0.001, 0.01, 0.05, 0.5]), min_size=n, max_size=n),
                    label="arrival gaps (s)")
        arrivals = np.cumsum(gaps)
    has_pred = draw(st.booleans(), label="predictions") if predictions is None else predictions
    pred = None
    if has_pred:
        pred = [max(1, x + draw(st.integers(-2, 2))) for x in o]
    C = draw(st.sampled_from([0.0, 1e-3, 0.01]), label="C")
    t = draw(st.sampled_from([1e-4, 1e-3]), label="t")
    w = Workload(np.array(s), np.array(o), arrivals, None if pred is None else np.array(pred))
    cfg = SimConfig(ClusterConfig(G, B, R), StepTimeModel(C, t), "open" if is_open else "saturated")
    return w, cfg
