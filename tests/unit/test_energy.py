"""Energy with a barrier-wait power (lbtheory.hardware.energy): hand computations on tiny load matrices, the
closed-form savings against direct energy computations on constructed cases, and the paper-curve bounds."""

from __future__ import annotations

import numpy as np
import pytest

from lbtheory.errors import ConfigError
from lbtheory.hardware.energy import (
    LogisticPowerCurve,
    balanced_loads,
    barrier_aggregates,
    barrier_energy_j,
    barrier_step_energy_j,
    busy_wait_seconds,
    idle_share_needed,
    paper_curve_energy_j,
    saving_between,
    saving_paper_curve_bounds,
    saving_worker_time,
)
from lbtheory.hardware.power import PowerCurve, step_energy_j
from lbtheory.model import StepTimeModel

TINY = np.array([[2, 0], [1, 3]])
ST = StepTimeModel(step_overhead_s=1.0, token_time_s=0.5)


def test_busy_wait_by_hand():
    busy, wait, dt = busy_wait_seconds(TINY, ST)
    np.testing.assert_allclose(busy, [[2.0, 1.0], [1.5, 2.5]])
    np.testing.assert_allclose(wait, [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(dt, [2.0, 2.5])


def test_barrier_energy_by_hand():
    """Step 0: 3 s busy at 10 W + 1 s wait at 4 W = 34 J; step 1: 4 s busy + 1 s wait = 44 J."""
    np.testing.assert_allclose(barrier_step_energy_j(TINY, ST, 10.0, 4.0), [34.0, 44.0])
    assert barrier_energy_j(TINY, ST, 10.0, 4.0) == pytest.approx(78.0)


def test_barrier_energy_duty_curve_by_hand():
    """P_busy from a curve at the duty b/Δt: 0 + 10·u. Step 0 duties (1, ½): 2·10 + 1·5 + 1·4 = 29 J;
    step 1 duties (0.6, 1): 1.5·6 + 2.5·10 + 1·4 = 38 J."""
    curve = PowerCurve(idle_w=0.0, max_w=10.0, gamma=1.0)
    np.testing.assert_allclose(barrier_step_energy_j(TINY, ST, curve, 4.0), [29.0, 38.0])


def test_longer_given_steps_add_wait_for_everyone():
    e = barrier_step_energy_j(TINY, ST, 10.0, 4.0, dt_s=[3.0, 2.5])
    assert e[0] == pytest.approx(34.0 + 2 * 1.0 * 4.0)
    with pytest.raises(ConfigError, match="shorter than a worker's busy time"):
        barrier_step_energy_j(TINY, ST, 10.0, 4.0, dt_s=[1.0, 2.5])


def test_aggregates_by_hand():
    """ι = ΣImb/(GΣmax) = 4/10, θ = t·Σmax/(KC + tΣmax) = 2.5/4.5, x = θι = 2/9 = wait / worker-time."""
    a = barrier_aggregates(TINY, ST)
    assert a.iota == pytest.approx(0.4)
    assert a.theta == pytest.approx(5 / 9)
    assert a.idle_worker_time_share == pytest.approx(2 / 9)
    _, wait, dt = busy_wait_seconds(TINY, ST)
    assert a.idle_worker_time_share == pytest.approx(wait.sum() / (2 * dt.sum()))
    assert a.mean_step_idle_fraction == pytest.approx((0.5 + 1 / 3) / 2)


def test_closed_form_by_hand():
    """S = xP_w/((1−x)P_b + xP_w) = (8/9)/(70/9 + 8/9) = 8/78; balanced run: 30 + 40 = 70 J of 78 J."""
    a = barrier_aggregates(TINY, ST)
    s = saving_worker_time(a.iota, a.theta, 10.0, 4.0)
    assert s == pytest.approx(8 / 78)
    assert barrier_energy_j(balanced_loads(TINY), ST, 10.0, 4.0) == pytest.approx(70.0)
    assert s == pytest.approx(1 - 70 / 78)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("p_busy", "p_wait"), [(700.0, 245.0), (400.0, 100.0), (500.0, 500.0)])
def test_closed_form_equals_direct_computation(seed, p_busy, p_wait):
    """On random load matrices the closed form from (ι, θ) equals 1 − E_balanced/E exactly."""
    rng = np.random.default_rng(seed)
    loads = rng.integers(0, 50_000, size=(40, 8))
    st = StepTimeModel(0.004, 1e-7)
    a = barrier_aggregates(loads, st)
    direct = 1 - barrier_energy_j(balanced_loads(loads), st, p_busy, p_wait) / barrier_energy_j(
        loads, st, p_busy, p_wait)
    assert saving_worker_time(a.iota, a.theta, p_busy, p_wait) == pytest.approx(direct, rel=1e-10)
    assert direct <= a.idle_worker_time_share + 1e-12  # S ≤ x when P_wait ≤ P_busy


def test_saving_between_equals_direct_computation():
    """Two schedules with the same per-step totals (same busy worker-time): a partial balance."""
    rng = np.random.default_rng(7)
    loads = rng.integers(0, 20_000, size=(30, 16)).astype(float)
    st = StepTimeModel(0.002, 3e-8)
    partial = 0.4 * loads + 0.6 * balanced_loads(loads)
    a1, a2 = barrier_aggregates(loads, st), barrier_aggregates(partial, st)
    direct = 1 - barrier_energy_j(partial, st, 470.0, 245.0) / barrier_energy_j(loads, st, 470.0, 245.0)
    got = saving_between(a1.idle_worker_time_share, a2.idle_worker_time_share, 470.0, 245.0)
    assert got == pytest.approx(direct, rel=1e-10)
    assert saving_between(0.3, 0.0, 470.0, 245.0) == pytest.approx(saving_worker_time(0.3, 1.0, 470.0, 245.0))


def test_fifty_two_percent_needs_more_than_half_idle():
    """With P_wait ≤ P_busy the saving never exceeds x, so 52% needs x ≥ 0.52; x* is exact."""
    assert idle_share_needed(0.52, 500.0, 500.0) == pytest.approx(0.52)
    x = idle_share_needed(0.52, 700.0, 245.0)
    assert x > 0.52
    assert saving_worker_time(x, 1.0, 700.0, 245.0) == pytest.approx(0.52)
    assert saving_worker_time(0.5, 1.0, 700.0, 700.0) == pytest.approx(0.5)


def test_paper_curve_energy_matches_metrics():
    rng = np.random.default_rng(3)
    loads = rng.integers(0, 9_000, size=(25, 6))
    st = StepTimeModel.paper(72)
    dt = st.step_overhead_s + st.token_time_s * loads.max(axis=1)
    curve = PowerCurve.paper()
    assert paper_curve_energy_j(loads, st, curve) == pytest.approx(float(step_energy_j(loads, dt, curve).sum()))


@pytest.mark.parametrize("seed", range(6))
def test_paper_curve_bounds_hold_per_step(seed):
    rng = np.random.default_rng(seed)
    row = rng.integers(1, 30_000, size=(1, 12))
    st = StepTimeModel(0.004, 1e-7)
    curve = PowerCurve(80.0, 700.0, 0.7)
    a = barrier_aggregates(row, st)
    direct = 1 - paper_curve_energy_j(balanced_loads(row), st, curve) / paper_curve_energy_j(row, st, curve)
    lower, upper = saving_paper_curve_bounds(a.iota, a.theta, curve)
    assert lower - 1e-12 <= direct <= upper + 1e-12


def test_logistic_curve_endpoints_and_monotone():
    c = LogisticPowerCurve(idle_w=80.0, max_w=700.0, steepness=8.0, midpoint=0.4)
    u = np.linspace(0, 1, 101)
    p = c.power_w(u)
    assert p[0] == pytest.approx(80.0) and p[-1] == pytest.approx(700.0)
    assert np.all(np.diff(p) > 0)
    with pytest.raises(ConfigError, match="steepness"):
        LogisticPowerCurve(80.0, 700.0, 0.0, 0.4)
    with pytest.raises(ConfigError, match="max_w"):
        LogisticPowerCurve(800.0, 700.0, 1.0, 0.4)


@pytest.mark.parametrize("bad", [
    dict(iota=1.2, theta=0.5, busy_w=1.0, wait_w=1.0),
    dict(iota=0.2, theta=0.5, busy_w=0.0, wait_w=1.0),
    dict(iota=0.2, theta=float("nan"), busy_w=1.0, wait_w=1.0),
])
def test_closed_form_rejects_bad_inputs(bad):
    with pytest.raises(ConfigError):
        saving_worker_time(**bad)


def test_agrees_with_symbolic_statement():
    """The numeric closed form against the symbolic one in lbtheory.theory (written independently)."""
    bounds = pytest.importorskip("lbtheory.theory.bounds")
    sym = pytest.importorskip("lbtheory.theory.symbols")
    if not hasattr(bounds, "energy_saving_spin"):
        pytest.skip("symbolic energy saving not available")
    expr = bounds.energy_saving_spin()
    for iota, theta, pb, pw in [(0.4, 0.7, 700.0, 245.0), (0.6, 0.9, 400.0, 400.0), (0.1, 0.3, 1000.0, 120.0)]:
        val = float(expr.subs({sym.iota: iota, sym.theta: theta, sym.P_busy: pb, sym.P_wait: pw}))
        assert saving_worker_time(iota, theta, pb, pw) == pytest.approx(val, rel=1e-12)


def test_fast_paths_equal_direct_computation():
    """The totals and precomputed-sum paths (used by the energy map) against the per-worker sums."""
    from lbtheory.hardware.energy import (
        barrier_time_totals,
        paper_curve_energy_from_sums,
        utilisation_power_sums,
    )

    rng = np.random.default_rng(5)
    loads = rng.integers(0, 40_000, size=(30, 9))
    loads[3] = 0
    st = StepTimeModel(0.003, 5e-8)
    busy, wait = barrier_time_totals(loads, st)
    b, w, _ = busy_wait_seconds(loads, st)
    assert busy == pytest.approx(b.sum()) and wait == pytest.approx(w.sum())
    assert 300.0 * busy + 90.0 * wait == pytest.approx(barrier_energy_j(loads, st, 300.0, 90.0))
    curve = PowerCurve(90.0, 750.0, 0.7)
    sums = utilisation_power_sums(loads, curve.gamma)
    got = paper_curve_energy_from_sums(sums, loads.max(axis=1), 9, st, curve)
    assert got == pytest.approx(paper_curve_energy_j(loads, st, curve))
