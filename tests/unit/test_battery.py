"""The BF-IO battery's parts: workload families, the objective recorder, the safeguard, the diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from lbtheory.battery import (
    Cell,
    cell_specs,
    diagnose,
    run_with_objective,
    summarize_cell,
    worst_cells,
)
from lbtheory.engine.simulate import simulate
from lbtheory.errors import ConfigError
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.policies.bfio import BFIO
from lbtheory.policies.bfio_fast import fcfs_assign, guard, phi, sorted_greedy_assign
from lbtheory.policies.fcfs import FCFS
from lbtheory.policies.objective import ObjectiveRecorder, decision_assignment
from lbtheory.workloads import make_workload
from lbtheory.workloads.base import Workload
from lbtheory.workloads.families import CAP, FAMILIES

# ---------------------------------------------------------------------------------------------- families


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_is_seeded_and_bounded(name: str) -> None:
    a = make_workload(name, 3000, np.random.default_rng(5))
    b = make_workload(name, 3000, np.random.default_rng(5))
    c = make_workload(name, 3000, np.random.default_rng(6))
    np.testing.assert_array_equal(a.prompt_tokens, b.prompt_tokens)
    np.testing.assert_array_equal(a.output_tokens, b.output_tokens)
    assert not np.array_equal(a.prompt_tokens, c.prompt_tokens) or name == "constant_prompt"
    for x in (a.prompt_tokens, a.output_tokens):
        assert x.min() >= 1 and x.max() <= CAP


def test_two_class_mixing_ratio_and_gap() -> None:
    """π of the prompts are `ratio` times a short draw U{64..320}: the long ones lie in [64r, 320r]."""
    w = make_workload("two_class_p25_x64", 20_000, np.random.default_rng(1))
    long = w.prompt_tokens >= 64 * 64
    assert abs(long.mean() - 0.25) < 0.015
    assert w.prompt_tokens[long].max() <= 320 * 64 and w.prompt_tokens[~long].max() <= 320


def test_correlated_family_is_correlated_and_constant_prompt_is_constant() -> None:
    w = make_workload("correlated", 20_000, np.random.default_rng(2))
    r = np.corrcoef(np.log(w.prompt_tokens), np.log(w.output_tokens))[0, 1]
    assert 0.7 < r < 0.9
    c = make_workload("constant_prompt", 5000, np.random.default_rng(2))
    assert set(c.prompt_tokens.tolist()) == {1024}
    assert abs(c.output_tokens.mean() - 256) < 15


def test_long_bursts_come_in_runs() -> None:
    """Each block of 500 holds one run of 40 consecutive long prompts (>= 8,192), the rest short."""
    w = make_workload("long_bursts", 2000, np.random.default_rng(3))
    long = (w.prompt_tokens >= 8192).reshape(4, 500)
    assert (long.sum(axis=1) == 40).all()
    for row in long:
        idx = np.flatnonzero(row)
        assert idx[-1] - idx[0] == 39


# ---------------------------------------------------------------------------------------------- objective


def _tiny() -> tuple[Workload, SimConfig]:
    rng = np.random.default_rng(4)
    s = rng.integers(1, 300, 120)
    o = rng.integers(1, 30, 120)
    wl = Workload(s, o, predicted_output_tokens=o.copy())
    return wl, SimConfig(ClusterConfig(3, 4, 12), StepTimeModel(1e-3, 1e-6))


def test_recorder_leaves_the_run_unchanged_and_sums_the_imbalance_at_h0() -> None:
    """With H = 0, Φ_0 of an epoch's decision is Imb(k) after admission, which the engine records: the
    recorded sum equals Σ over the epoch steps of the engine's Imb(k) (an independent computation)."""
    wl, cfg = _tiny()
    plain = simulate(wl, cfg, FCFS())
    epochs: list[int] = []

    class Steps(FCFS):
        def decide(self, view):  # type: ignore[no-untyped-def]
            epochs.append(view.step)
            return super().decide(view)

    rec = ObjectiveRecorder(Steps(), 0)
    wrapped = simulate(wl, cfg, rec)
    np.testing.assert_array_equal(plain.steps.imbalance, wrapped.steps.imbalance)
    assert rec.epochs == len(epochs) > 10
    assert rec.objective_sum == int(wrapped.steps.imbalance[np.array(epochs)].sum())


def test_shadow_comparison_is_on_the_same_epochs() -> None:
    """A policy shadowed by itself is never worse than its shadow, and the two sums agree; a shadow that
    solves worse (FCFS) has a larger sum."""
    wl, cfg = _tiny()
    same = ObjectiveRecorder(BFIO(horizon=3), 3, shadow=BFIO(horizon=3))
    simulate(wl, cfg, same)
    assert same.epochs_worse == 0 and same.objective_sum == same.shadow_objective_sum
    vs_fcfs = ObjectiveRecorder(BFIO(horizon=3), 3, shadow=FCFS())
    simulate(wl, cfg, vs_fcfs)
    assert vs_fcfs.shadow_objective_sum > vs_fcfs.objective_sum


def test_decision_assignment_rejects_a_request_outside_the_window() -> None:
    from lbtheory.policies.base import Admission, EpochView

    view = EpochView(0, 0.0, 2, np.zeros(2, np.int64), np.zeros(2, np.int64), np.array([3, 5, 9]),
                     np.array([1, 2, 3]), None, lambda: None)  # type: ignore[arg-type,return-value]
    a = decision_assignment(view, Admission(np.array([9, 3]), np.array([1, 0])))
    np.testing.assert_array_equal(a, [0, -1, 1])
    with pytest.raises(ConfigError, match="not in the window"):
        decision_assignment(view, Admission(np.array([4]), np.array([0])))


# ---------------------------------------------------------------------------------------------- safeguard


def test_sorted_greedy_is_the_proofs_partition() -> None:
    """Empty workers, f_g = B, G·B prompts: rounds of G in decreasing order, heaviest to the lightest;
    max − min ≤ Δ_s (hand-checked: prompts 9..1 on G = 3, B = 3)."""
    base = np.zeros((3, 1), np.int64)
    free = np.full(3, 3, np.int64)
    prompt = np.array([5, 9, 1, 7, 3, 8, 2, 6, 4], np.int64)
    a = sorted_greedy_assign(base, free, prompt, np.arange(9))
    loads = np.bincount(a, weights=prompt, minlength=3)
    # round 1: 9, 8, 7 -> workers 0, 1, 2; round 2 (lightest first: 2, 1, 0): 6, 5, 4 -> 13, 13, 13;
    # round 3 (all tied: lower index first): 3, 2, 1 -> 16, 15, 14
    np.testing.assert_array_equal(loads, [16, 15, 14])
    assert loads.max() - loads.min() <= prompt.max() - prompt.min()


def test_guard_replaces_a_bad_primary_only_where_it_applies() -> None:
    """A primary that stacks both large prompts on one worker is replaced at a refill epoch (all loads 0),
    and also mid-run with every_epoch=True; mid-run with the default it is kept."""
    free = np.array([2, 2], np.int64)
    prompt = np.array([100, 100, 1, 1], np.int64)
    pred = np.ones(4, np.int64)
    bad = np.array([0, 0, 1, 1], np.int64)
    refill = np.zeros((2, 1), np.int64)
    one_step = np.ones(1, np.int64)  # H = 0: one step weight
    fixed = guard(refill, free, prompt, pred, bad, 8, 4, 500, 2, 2, one_step, False)
    assert phi(refill, prompt, pred, fixed) < phi(refill, prompt, pred, bad)
    busy = np.array([[5], [5]], np.int64)
    np.testing.assert_array_equal(guard(busy, free, prompt, pred, bad, 8, 4, 500, 2, 2, one_step, False), bad)
    assert phi(busy, prompt, pred, guard(busy, free, prompt, pred, bad, 8, 4, 500, 2, 2, one_step, True)) < phi(
        busy, prompt, pred, bad)
    np.testing.assert_array_equal(fcfs_assign(free, 4), [0, 0, 1, 1])


def test_bfio_config_rejects_unknown_options() -> None:
    with pytest.raises(ConfigError, match="safeguard"):
        BFIO(safeguard="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="construction"):
        BFIO(construction="magic")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="envelope_weight"):
        BFIO(envelope_weight=0)


def test_paper_construction_is_polished_and_guarded() -> None:
    """bfio with the authors' construction, on the paper's objective: never worse on Φ_H than bfio_paper at
    the same epochs (the local search only lowers Φ, the guard only swaps in a lower Φ), checked with the
    shadow recorder."""
    from lbtheory.policies.bfio_paper import BFIOPaper

    wl, cfg = _tiny()
    rec = ObjectiveRecorder(BFIO(horizon=4, construction="paper", objective="imbalance"), 4,
                            shadow=BFIOPaper(horizon=4))
    simulate(wl, cfg, rec)
    assert rec.epochs_worse == 0 and rec.objective_sum <= rec.shadow_objective_sum


# ---------------------------------------------------------------------------------------------- diagnosis


def _cell(ratios: dict[str, dict[str, float]], same_epoch: float | None = None) -> dict:
    pols = {p: {m: {"mean_ci95": (1.0, 0.0), "ratio_to_bfio_paper": (v, 0.0)} for m, v in r.items()}
            for p, r in ratios.items()}
    if same_epoch is not None:
        pols["bfio"]["same_epoch_objective"] = {"mean_ci95": (same_epoch, 0.0), "shadow": "bfio_paper"}
    return {"policies": pols, "cell": {"workload": "w"}}


def test_diagnose_tells_solver_from_objective_faults() -> None:
    """The fault is read from the same-epoch comparison, not from the two trajectories' Φ sums (which
    differ because the states differ): here the trajectory sums point the other way on purpose."""
    ref = {"imbalance": 1.0, "energy_per_token": 1.0, "objective": 1.0}
    loses = {"imbalance": 1.3, "energy_per_token": 1.0, "objective": 0.9}
    assert diagnose(_cell({"bfio_paper": ref, "bfio": loses}, same_epoch=1.01)) == "solver"
    assert diagnose(_cell({"bfio_paper": ref, "bfio": {**loses, "objective": 1.2}}, same_epoch=0.99)) == "objective"
    assert diagnose(_cell({"bfio_paper": ref, "bfio": loses})) == "not compared"
    fine = _cell({"bfio_paper": ref, "bfio": {"imbalance": 1.01, "energy_per_token": 0.9, "objective": 1.2}},
                 same_epoch=1.5)
    assert diagnose(fine) == "none"
    solver = _cell({"bfio_paper": ref, "bfio": loses}, same_epoch=1.01)
    w = worst_cells([solver["policies"] and solver, fine], "bfio")
    assert w["cells_worse"] == 1 and w["worst"][0]["imbalance_ratio"] == 1.3


def test_worst_cells_tells_losses_beyond_the_seed_noise() -> None:
    """A loss counts as beyond the noise only when the whole 95% interval of the paired ratio lies above
    1 + tolerance (here 1.3 ± 0.5 is a loss within the noise, 1.3 ± 0.1 and 1.05 ± 0.02 are beyond it)."""
    def cell(name: str, imb: tuple[float, float], energy: tuple[float, float]) -> dict:
        ref = {m: {"mean_ci95": (1.0, 0.0), "ratio_to_bfio_paper": (1.0, 0.0)} for m in ("imbalance", "energy_per_token")}
        own = {"imbalance": {"mean_ci95": (1.0, 0.0), "ratio_to_bfio_paper": imb},
               "energy_per_token": {"mean_ci95": (1.0, 0.0), "ratio_to_bfio_paper": energy}}
        return {"policies": {"bfio_paper": ref, "bfio": own}, "cell": {"workload": name}}

    cells = [cell("noisy", (1.3, 0.5), (1.0, 0.0)), cell("sure", (1.3, 0.1), (0.9, 0.0)),
             cell("energy", (0.8, 0.0), (1.05, 0.02)), cell("fine", (1.01, 0.3), (0.99, 0.01)),
             cell("edge", (1.0, 0.0), (1.03, 0.02))]  # 1.03 − 0.02 < 1.02: not beyond
    w = worst_cells(cells, "bfio")
    assert (w["cells_compared"], w["cells_worse"], w["cells_worse_beyond_ci"]) == (5, 4, 2)
    assert [r["cell"]["workload"] for r in w["worst"]][:2] == ["noisy", "sure"]
    assert w["worst"][0]["imbalance_ratio_ci95"] == 0.5


def test_battery_cell_end_to_end() -> None:
    """A tiny cell: every policy runs, the paired ratios of bfio_paper to itself are 1, objectives are
    recorded and the shadows are asked."""
    cell = Cell("minority_long", 2, 4, 3, 300)
    per: dict[str, list[dict]] = {}
    for label, spec in cell_specs(cell, [1, 2]):
        per.setdefault(label, []).append(run_with_objective(spec))
    s = summarize_cell(per)
    assert set(s["policies"]) == {"fcfs", "jsq_tokens", "bfio", "bfio_paper", "bfio_imbalance", "bfio_undiscounted"}
    assert {label for label, _ in cell_specs(Cell("minority_long", 2, 4, 0, 300), [1])} == {
        "fcfs", "jsq_tokens", "bfio", "bfio_paper", "bfio_imbalance"}  # H = 0: no discount to remove
    assert s["policies"]["bfio_paper"]["imbalance"]["ratio_to_bfio_paper"][0] == pytest.approx(1.0)
    assert s["policies"]["bfio"]["same_epoch_objective"]["shadow"] == "bfio_paper"
    assert "same_epoch_objective" not in s["policies"]["fcfs"]
    assert all(r["objective_sum"] > 0 for r in per["fcfs"])
    assert all(r["shadow"]["policy"] == "bfio_paper" for r in per["bfio"])
    with pytest.raises(ConfigError):
        Cell("x", 0, 1, 0, 10)


def test_readme_block_from_a_result_and_without_one() -> None:
    from lbtheory.battery import readme_block

    assert "has not been run at the committed tier" in readme_block(None)
    cell = {"workload": "w", "G": 16, "B": 72, "H": 20}
    res = {"manifest": {"config": {"tier": "full", "seeds": [1, 2, 3]}},
           "worst": {"bfio": {"cells_compared": 2, "cells_worse": 1,
                              "median": {"imbalance": 1.013, "energy_per_token": 1.0007},
                              "worst": [{"cell": cell, "imbalance_ratio": 1.92, "energy_per_token_ratio": 1.004}]}}}
    text = readme_block(res)
    assert "over 2 cells (full tier, 3 seeds" in text and "| w | 16 | 72 | 20 | 1.920 | 1.004 |" in text
    res["worst"]["bfio"] |= {"cells_worse_beyond_ci": 0}
    res["worst"]["bfio"]["worst"][0] |= {"imbalance_ratio_ci95": 0.95, "energy_per_token_ratio_ci95": 0.002}
    text = readme_block(res)
    assert "(in 0 of them by more than the seeds' 95% interval)" in text
    assert "| w | 16 | 72 | 20 | 1.920 ± 0.950 | 1.004 ± 0.002 |" in text
