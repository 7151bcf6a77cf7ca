"""Configs validate themselves; metrics and energy follow their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from lbtheory.engine import simulate
from lbtheory.errors import ConfigError
from lbtheory.hardware import PowerCurve, paper_profile, step_energy_j
from lbtheory.metrics import summarize
from lbtheory.model import PAPER_TOKEN_TIME_S, ClusterConfig, SimConfig, StepTimeModel
from lbtheory.workloads.base import Workload


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"workers": 0, "slots": 1}, "workers"), ({"workers": 1, "slots": 0}, "slots"),
     ({"workers": 1, "slots": 1, "pool": 0}, "pool"), ({"workers": 1.5, "slots": 1}, "integer")],
)
def test_cluster_config_validates(kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        ClusterConfig(**kwargs)


def test_window_defaults_to_4g():
    assert ClusterConfig(8, 2).window == 32
    assert ClusterConfig(8, 2, 5).window == 5


def test_paper_constants():
    # C = (B·0.6e-3 + 35e-3)/16; t = 1.5·2·576·61 / 2^20 µs
    assert StepTimeModel.paper(72).step_overhead_s == pytest.approx((72 * 0.6e-3 + 35e-3) / 16)
    assert PAPER_TOKEN_TIME_S == pytest.approx(1.005e-7, rel=1e-3)
    with pytest.raises(ConfigError, match="step_overhead_s"):
        StepTimeModel(-1.0, 1e-7)
    with pytest.raises(ConfigError):
        StepTimeModel(0.0, 0.0)


def test_power_curve_and_validation():
    c = PowerCurve.paper()
    np.testing.assert_allclose(c.power_w([0.0, 1.0, 0.5, 2.0]), [100, 400, 100 + 300 * 0.5**0.7, 400])
    with pytest.raises(ConfigError, match="max_w"):
        PowerCurve(200, 100, 0.7)
    with pytest.raises(ConfigError, match="gamma"):
        PowerCurve(100, 200, 0)


def test_step_energy_by_hand():
    loads = np.array([[10, 5, 0], [0, 0, 0]])
    dt = np.array([2.0, 1.0])
    c = PowerCurve(100, 400, 1.0)
    # step 0: u = 1, .5, 0 -> 400 + 250 + 100 = 750 W for 2 s; step 1: all idle -> 300 W for 1 s
    np.testing.assert_allclose(step_energy_j(loads, dt, c), [1500.0, 300.0])


def test_summary_formulas_on_a_hand_run():
    # G=2, B=1: requests (s, o) = (10, 2) and (4, 1); C=1, t=0.1
    w = Workload(np.array([10, 4]), np.array([2, 1]))
    cfg = SimConfig(ClusterConfig(2, 1), StepTimeModel(1.0, 0.1))
    r = simulate(w, cfg, "fcfs")
    # step 0: loads (10, 4), dt 2.0; step 1: loads (11, 0), dt 2.1
    np.testing.assert_array_equal(r.steps.loads, [[10, 4], [11, 0]])
    s = summarize(r, PowerCurve(100, 400, 1.0))
    whole = s.whole_run
    assert whole.duration_s == pytest.approx(4.1)
    assert whole.tokens == 3
    assert whole.throughput_tok_per_s == pytest.approx(3 / 4.1)
    assert whole.tpot_s == pytest.approx(((4.1 - 0) / 2 + 2.0 / 1) / 2)
    assert whole.avg_imbalance_tokens == pytest.approx(((20 - 14) + (22 - 11)) / 2)
    assert whole.avg_idle_fraction == pytest.approx((6 / 20 + 11 / 22) / 2)
    e0 = 2.0 * (400 + 100 + 300 * 0.4)
    e1 = 2.1 * (400 + 100)
    assert whole.energy_j == pytest.approx(e0 + e1)
    assert whole.energy_per_token_j == pytest.approx((e0 + e1) / 3)
    # the only admissions were at step 0: the steady-state window is empty
    assert r.window_steps == 0 and s.window.steps == 0
    assert s.to_dict()["window"]["avg_imbalance_tokens"] is None


def test_open_loop_latency_metrics():
    w = Workload(np.array([5, 5]), np.array([1, 2]), np.array([0.0, 0.5]))
    cfg = SimConfig(ClusterConfig(1, 1), StepTimeModel(1.0, 0.0), arrivals="open")
    s = summarize(simulate(w, cfg, "fcfs"))
    # request 0: admitted 0, first token at 1.0; request 1: waits until 1.0, first token at 2.0
    assert s.latency.ttft_median_s == pytest.approx((1.0 + 1.5) / 2)
    # queueing delays 0 and 0.5 s; the p99 interpolates linearly between them
    assert s.latency.queue_delay_p99_s == pytest.approx(0.99 * 0.5)
    assert s.whole_run.energy_j > 0


def test_paper_profile():
    p = paper_profile(72)
    assert p.power.idle_w == 100 and p.power.max_w == 400 and p.power.gamma == 0.7
