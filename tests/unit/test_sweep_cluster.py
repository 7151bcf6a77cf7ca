"""The Dask (distributed) and Ray sweep backends on local clusters (a real scheduler and two worker
processes) give results identical to the process pool. Skipped, with the reason, where the package is absent
(`pip install -e ".[cluster]"`)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from lbtheory.runs import RunSpec
from lbtheory.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[2]
SPECS = [RunSpec(workers=2, slots=4, policy=p, workload="uniform", requests=60, seed=s)
         for p in ("fcfs", "jsq_tokens") for s in (1, 2)]


def _strip(rs: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rs]


def _pid_after_a_pause() -> int:
    import time

    time.sleep(0.5)
    return os.getpid()


@pytest.fixture(scope="module")
def pool_results() -> list[dict]:
    return _strip(run_sweep(SPECS, backend="process", workers=2))


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="distributed (dask) not installed")
def test_dask_local_cluster_matches_process_pool(pool_results, monkeypatch):
    from dask.distributed import LocalCluster

    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert len(cluster.workers) == 2
        out = run_sweep(SPECS, backend="dask", scheduler=cluster.scheduler_address)
    assert _strip(out) == pool_results


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray not installed")
def test_ray_local_cluster_matches_process_pool(pool_results):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    try:
        out = run_sweep(SPECS, backend="ray")
        pids = ray.get([ray.remote(_pid_after_a_pause).remote() for _ in range(4)])
    finally:
        ray.shutdown()
    assert _strip(out) == pool_results
    assert len(set(pids)) >= 2  # at least two worker processes
