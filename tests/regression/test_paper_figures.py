"""Regression against the paper's own figures (tolerance and source stated), on one pinned seed.

What this proves: in the authors' settings, the authors' BF-IO heuristic as re-implemented here
(``bfio_paper``) moves throughput, TPOT and energy against FCFS as the paper and the authors' reference run
say (shared/spec/CLAIMS.md, C3 and C4), within 5 percentage points (energy, TPOT) or 15 (throughput in C4,
whose spread across seeds is larger). Seed-pinned golden outputs are not what is tested here: the targets
are the paper's numbers, not ours. Needs ../shared/data (skipped otherwise).
"""

from __future__ import annotations

import pytest

from lbtheory.runs import RunSpec, execute
from lbtheory.workloads import shared_trace_path


def change_vs_fcfs(trace: str, G: int, B: int, R: int | None, N: int, H: int) -> dict[str, float]:
    path = shared_trace_path(trace)
    if path is None:
        pytest.skip(f"shared trace {trace} not present")
    out = {}
    for policy, params in (("fcfs", ()), ("bfio_paper", (("horizon", H),))):
        spec = RunSpec(workers=G, slots=B, pool=R, policy=policy, policy_params=params, workload=None,
                       trace=str(path), requests=N, trace_order="resampled", seed=11,
                       record_worker_loads=True)
        out[policy] = execute(spec)[1]
    f, b = out["fcfs"], out["bfio_paper"]
    return {
        "throughput": b.window.throughput_tok_per_s / f.window.throughput_tok_per_s - 1,
        "tpot": b.whole_run.tpot_s / f.whole_run.tpot_s - 1,
        "energy": b.window.energy_j / f.window.energy_j - 1,
        "fcfs_idle": f.window.avg_idle_fraction,
    }


def test_c3_v1_burstgpt():
    """C3 (paper v1 body): +14% throughput, −13% TPOT, −3.3% energy; reference run +16.5%, −14.2%, −3.5%."""
    ch = change_vs_fcfs("burst", G=32, B=72, R=128, N=100_000, H=20)
    assert ch["throughput"] == pytest.approx(0.165, abs=0.05)
    assert ch["tpot"] == pytest.approx(-0.142, abs=0.05)
    assert ch["energy"] == pytest.approx(-0.035, abs=0.05)
    assert ch["fcfs_idle"] == pytest.approx(0.217, abs=0.03)  # reference run, post-step loads


def test_c4_v2_longbench():
    """C4 (paper v2 abstract): −28% energy; reference run −28.0% energy, +90% throughput, −44% TPOT,
    FCFS idle 48.8%."""
    ch = change_vs_fcfs("longbench", G=256, B=72, R=None, N=80_000, H=140)
    assert ch["energy"] == pytest.approx(-0.28, abs=0.05)
    assert ch["throughput"] == pytest.approx(0.90, abs=0.15)
    assert ch["tpot"] == pytest.approx(-0.44, abs=0.05)
    assert ch["fcfs_idle"] == pytest.approx(0.488, abs=0.03)
