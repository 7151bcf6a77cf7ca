"""The service-rate estimate μ = G·B / (E[o]·Δt̄), the load-factor rate, and the queue-growth criterion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lbtheory.capacity import (
    backlog_growth,
    mean_step_time_s,
    queue_delay_growth,
    rate_for_load,
    service_rate_per_s,
    sustains,
)
from lbtheory.engine import simulate
from lbtheory.errors import ConfigError
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.workloads import Workload


def test_formula_by_hand():
    """E[s] = 200, E[o] = 20, G = 2, B = 4, C = 0.01 s, t = 1e-5 s/token:
    Δt̄ = 0.01 + 1e-5·4·(200 + 10) = 0.0184 s; μ = 8 / (20 · 0.0184) = 21.739 req/s."""
    w = Workload(np.array([100, 300]), np.array([10, 30]))
    cl, st = ClusterConfig(2, 4), StepTimeModel(0.01, 1e-5)
    assert mean_step_time_s(w, cl, st) == pytest.approx(0.0184)
    assert service_rate_per_s(w, cl, st) == pytest.approx(8 / (20 * 0.0184))
    assert rate_for_load(w, cl, st, 0.5) == pytest.approx(0.5 * 8 / (20 * 0.0184))


def test_scaling():
    w = Workload(np.array([100, 300]), np.array([10, 30]))
    st = StepTimeModel(0.01, 0.0)  # no token cost: μ ∝ G·B
    assert service_rate_per_s(w, ClusterConfig(4, 4), st) == pytest.approx(
        2 * service_rate_per_s(w, ClusterConfig(2, 4), st))
    assert service_rate_per_s(w, ClusterConfig(2, 8), st) == pytest.approx(
        2 * service_rate_per_s(w, ClusterConfig(2, 4), st))


def test_matches_a_saturated_run_with_equal_requests():
    """Identical requests (s = 100, o = 50) on a full, balanced cluster: the measured completion rate is
    G·B / Σ_{a<o} (C + t·B·(s + a)), which differs from μ only by E[o]/2 vs (o − 1)/2 in the KV length."""
    n, G, B, s, o = 400, 2, 4, 100, 50
    w = Workload(np.full(n, s), np.full(n, o))
    cfg = SimConfig(ClusterConfig(G, B), StepTimeModel(0.005, 2e-5))
    r = simulate(w, cfg, "fcfs", seed=0, compiled=False)
    measured = n / r.makespan_s
    mu = service_rate_per_s(w, cfg.cluster, cfg.step_time)
    assert measured == pytest.approx(mu, rel=0.01)


@pytest.mark.parametrize("rho", [0.0, -1.0, math.nan, math.inf, True, "1"])
def test_rate_for_load_rejects(rho):
    w = Workload(np.array([10]), np.array([10]))
    with pytest.raises(ConfigError, match="rho"):
        rate_for_load(w, ClusterConfig(1, 1), StepTimeModel(0.01, 0.0), rho)


def test_backlog_growth_by_construction():
    """λ = 10/s for 100 s. Served at once: no backlog. FIFO at 5/s: half the arrivals pile up (growth 0.5).
    Every 10th request held to the end: growth 0.1, although the delay slope is negative (non-FIFO)."""
    a = np.linspace(0.0, 100.0, 1001)
    assert backlog_growth(a, a) == pytest.approx(0.0)
    assert sustains(a, a)
    fifo = np.arange(a.size) / 5.0
    assert backlog_growth(a, fifo) == pytest.approx(0.5, abs=0.01)
    assert queue_delay_growth(a, fifo - a) == pytest.approx(1.0, abs=0.01)  # λ/μ − 1
    assert not sustains(a, fifo)
    held = np.where(np.arange(a.size) % 10 == 0, 200.0, a)
    assert backlog_growth(a, held) == pytest.approx(0.1, abs=0.01)
    assert queue_delay_growth(a, held - a) < 0
    assert not sustains(a, held)


def test_growth_warm_up_and_edge_cases():
    a = np.linspace(0.0, 100.0, 1001)
    d = np.where(a < 15, 5.0, 0.5)  # a transient in the first 20% does not count
    assert queue_delay_growth(a, d) == pytest.approx(0.0)
    assert backlog_growth(np.array([1.0]), np.array([3.0])) == 0.0
    assert queue_delay_growth(np.array([1.0]), np.array([3.0])) == 0.0
    with pytest.raises(ConfigError):
        backlog_growth(a, a[:-1])
    with pytest.raises(ConfigError):
        queue_delay_growth(a, a, skip_fraction=1.0)


def test_overload_is_detected_in_a_run():
    """Poisson arrivals at 0.5 μ stay bounded; at 2 μ about half the arrivals pile up (1 − μ/λ, a bit more
    as the real capacity is below the estimate μ)."""
    rng = np.random.default_rng(0)
    n, G, B = 600, 2, 4
    w = Workload(rng.integers(50, 150, n), rng.integers(5, 15, n))
    cl, st = ClusterConfig(G, B, n), StepTimeModel(0.005, 2e-5)
    mu = service_rate_per_s(w, cl, st)
    from lbtheory.workloads import poisson_arrivals

    growth = {}
    for rho in (0.5, 2.0):
        ww = w.with_arrivals(poisson_arrivals(n, rho * mu, np.random.default_rng(1)))
        r = simulate(ww, SimConfig(cl, st, "open"), "jsq_tokens", seed=0, compiled=False)
        growth[rho] = backlog_growth(r.requests.arrival_time_s, r.requests.admit_time_s)
    assert growth[0.5] < 0.05
    assert 0.4 < growth[2.0] < 0.7
