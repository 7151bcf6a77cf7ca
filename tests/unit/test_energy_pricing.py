"""Pricing under r = P_wait/P_busy, the closed-form smallest r, and the theory ceiling (with teeth)."""

from __future__ import annotations

import numpy as np
import pytest

from lbtheory.engine import simulate
from lbtheory.errors import ConfigError
from lbtheory.hardware.pricing import (
    CeilingInputs,
    LoadSums,
    WorkerTime,
    ceiling_saving,
    ceiling_smallest_r,
    ceiling_theta_iota,
    loadblind_imbalance_bound,
    saving,
    smallest_r,
)
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.policies import make_policy
from lbtheory.workloads.generators import uniform


def test_load_sums_worker_seconds_by_hand():
    L = np.array([[3, 1], [2, 2], [0, 5]])
    st = StepTimeModel(0.5, 0.1)
    wt = LoadSums.of(L, tokens=6).worker_seconds(st)
    # busy: each worker-step C + t·L_g; wait: t·(max − L_g)
    busy = sum(0.5 + 0.1 * v for v in L.ravel())
    wait = 0.1 * ((3 - 1) + 0 + (5 - 0))
    assert wt.busy_s == pytest.approx(busy)
    assert wt.wait_s == pytest.approx(wait)
    assert wt.energy_j(200.0, 0.3) == pytest.approx(200.0 * busy + 60.0 * wait)


def _brute_smallest(p, b, s, lo, hi, n=200001):
    rs = np.linspace(lo, hi, n)
    ok = [r for r in rs if saving(p, b, r) > s]
    return None if not ok else ok[0]


@pytest.mark.parametrize("seed", range(40))
def test_smallest_r_matches_a_fine_grid(seed):
    rng = np.random.default_rng(seed)
    p = WorkerTime(*rng.uniform(1, 10, 2), tokens=int(rng.integers(50, 150)))
    b = WorkerTime(*rng.uniform(1, 10, 2), tokens=int(rng.integers(50, 150)))
    s = float(rng.uniform(0.0, 0.6))
    got = smallest_r(p, b, s, 0.1, 1.0)
    ref = _brute_smallest(p, b, s, 0.1, 1.0)
    if ref is None:
        assert got is None
    else:
        assert got is not None and got == pytest.approx(ref, abs=1e-5)


def test_smallest_r_on_a_hand_example():
    # FCFS: busy 10, wait 10; policy: busy 10, wait 0 (same tokens). S(r) = 1 − 10/(10 + 10r) = r/(1 + r)
    f, p = WorkerTime(10.0, 10.0, 100), WorkerTime(10.0, 0.0, 100)
    assert saving(p, f, 1.0) == pytest.approx(0.5)
    assert smallest_r(p, f, 0.25) == pytest.approx(1 / 3)          # r/(1+r) = 1/4
    assert smallest_r(p, f, 0.52) is None                           # needs r = 0.52/0.48 > 1
    assert smallest_r(p, f, 0.52, r_hi=2.0) == pytest.approx(0.52 / 0.48)
    assert smallest_r(p, f, 0.01) == 0.1                            # already passed at r_lo
    with pytest.raises(ConfigError, match="target"):
        smallest_r(p, f, 1.2)
    with pytest.raises(ConfigError, match="r = P_wait/P_busy"):
        saving(p, f, -0.1)


def test_per_token_normalisation():
    # same energy, twice the tokens: half the energy per token
    f, p = WorkerTime(10.0, 10.0, 100), WorkerTime(10.0, 10.0, 200)
    assert saving(p, f, 0.5) == pytest.approx(0.5)


def _uniform_fixed_run(G, B, o, n_blocks, seed):
    st = StepTimeModel.paper(B)
    w = uniform(G * B * n_blocks, np.random.default_rng(seed), prompt=(1, 2048), output=(o, o))
    cfg = SimConfig(ClusterConfig(G, B, G * B), st, arrivals="saturated", record_worker_loads=True)
    out = {}
    for pol in ("fcfs", "bfio"):
        res = simulate(w, cfg, make_policy(pol), np.random.default_rng(seed + 1), seed=seed)
        out[pol] = LoadSums.of(res.steps.loads, int(res.steps.active.sum())).worker_seconds(st)
    vals = np.arange(1, 2049, dtype=float)
    return out, CeilingInputs(G, B, 1, 2048, float(vals.mean()), float(vals.std()), o, st)


def test_ceiling_formula_from_the_bound():
    vals = np.arange(1, 2049, dtype=float)
    st = StepTimeModel(0.004, 1e-7)
    c = CeilingInputs(16, 32, 1, 2048, float(vals.mean()), float(vals.std()), 64, st)
    U = 16 * (vals.std() * np.sqrt(2 * 32 * np.log(16)) + 2047 * np.log(16) / 3)   # loadblind_upper by hand
    assert loadblind_imbalance_bound(c) == pytest.approx(U, rel=1e-9)
    M = 32 * vals.mean() + 32 * 63 / 2
    x_U = 1e-7 * U / (16 * (0.004 + 1e-7 * M) + 1e-7 * U)
    th, io = ceiling_theta_iota(c)
    assert th * io == pytest.approx(x_U, rel=1e-9)
    for r in (0.1, 0.25, 1.0):
        assert ceiling_saving(c, r) == pytest.approx(x_U * r / ((1 - x_U) + x_U * r), rel=1e-9)
    assert ceiling_smallest_r(x_U, 0.52) == pytest.approx(0.52 * (1 - x_U) / (x_U * 0.48))


def test_ceiling_holds_in_simulation_and_a_tightened_one_does_not():
    """Teeth: the simulated FCFS idle share and BF-IO's saving stay under the ceiling; halving U (a tighter,
    false ceiling) is violated by the same simulation."""
    runs, c = _uniform_fixed_run(G=16, B=32, o=64, n_blocks=20, seed=7)
    x_f = runs["fcfs"].idle_share()
    th, io = ceiling_theta_iota(c)
    x_U = th * io
    assert x_f <= x_U
    for r in (0.25, 1.0):
        assert saving(runs["bfio"], runs["fcfs"], r) <= ceiling_saving(c, r)
    # the same construction with U/2
    U = loadblind_imbalance_bound(c)
    M = c.slots * c.mu_s + c.age_sum
    t, C = c.step_time.token_time_s, c.step_time.step_overhead_s
    x_half = t * (U / 2) / (c.workers * (C + t * M) + t * U / 2)
    assert x_f > x_half
    assert saving(runs["bfio"], runs["fcfs"], 1.0) > x_half
