"""Run grids of :class:`~lbtheory.runs.RunSpec` in parallel, with a cache so an interrupted sweep resumes.

Each run is a pure function of its spec (:func:`run_summary`). Results are cached one JSON file per spec,
keyed by a hash of the spec and the package version, so rerunning a sweep recomputes only what is missing.
Backends: a local process pool (default), or Ray / Dask for users who outgrow one machine (installed
separately; ``backend="ray"`` / ``"dask"``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Literal

import lbtheory
from lbtheory.errors import ConfigError
from lbtheory.provenance import write_json
from lbtheory.runs import RunSpec, execute

Backend = Literal["process", "serial", "ray", "dask"]


def spec_key(spec: RunSpec) -> str:
    """A stable hash of the spec and the package version (the cache key)."""
    blob = json.dumps({"spec": spec.to_dict(), "version": lbtheory.__version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def run_summary(spec: RunSpec) -> dict[str, Any]:
    """Execute one spec and return its JSON-ready summary (what the cache stores)."""
    result, summary = execute(spec)
    out = summary.to_dict()
    out["steps"] = result.steps.n_steps
    out["window_steps"] = result.window_steps
    out["wall_s"] = result.meta.get("wall_s")
    out["workload"] = result.workload.name
    return out


def _progress_bar(total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, disable=not sys.stderr.isatty())


def run_sweep(
    specs: Sequence[RunSpec],
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
    backend: Backend = "process",
    desc: str = "sweep",
    fn: Callable[[RunSpec], dict[str, Any]] = run_summary,
) -> list[dict[str, Any]]:
    """Summaries of every spec, in order; cached ones are read, the rest computed and cached as they finish.

    Args:
        specs: the runs.
        cache_dir: where each result is cached as ``<key>.json`` (None: no cache).
        workers: processes for the local pool (default: the machine's cores).
        backend: "process" (local pool), "serial" (in this process), "ray" or "dask".
        desc: the progress bar's label.
        fn: the pure function applied to each spec (default :func:`run_summary`).
    """
    results: list[dict[str, Any] | None] = [None] * len(specs)
    todo: list[int] = []
    for j, spec in enumerate(specs):
        cached = _read_cache(cache_dir, spec)
        if cached is not None:
            results[j] = cached
        else:
            todo.append(j)
    bar = _progress_bar(len(specs), desc)
    bar.update(len(specs) - len(todo))

    def done(j: int, value: dict[str, Any]) -> None:
        results[j] = value
        if cache_dir is not None:
            write_json(cache_dir / f"{spec_key(specs[j])}.json", {"spec": specs[j].to_dict(), "result": value})
        bar.update(1)

    n_workers = workers or os.cpu_count() or 1
    if backend == "serial" or n_workers == 1 or len(todo) <= 1:
        for j in todo:
            done(j, fn(specs[j]))
    elif backend == "process":
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            futures = {pool.submit(fn, specs[j]): j for j in todo}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    elif backend == "ray":
        try:
            import ray
        except ImportError:
            raise ConfigError("backend='ray' needs `pip install ray`") from None
        remote = ray.remote(fn)
        refs = {remote.remote(specs[j]): j for j in todo}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done(refs[ready[0]], ray.get(ready[0]))
    elif backend == "dask":
        try:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed
        except ImportError:
            raise ConfigError("backend='dask' needs `pip install dask distributed`") from None
        try:
            client = Client.current()
        except ValueError:  # no client yet: start a local cluster
            client = Client()
        futs = {client.submit(fn, specs[j], pure=False): j for j in todo}
        for fut in dask_completed(list(futs)):
            done(futs[fut], fut.result())
    else:
        raise ConfigError(f"unknown backend {backend!r}; choose process, serial, ray or dask")
    bar.close()
    return [r for r in results if r is not None]


def _read_cache(cache_dir: Path | None, spec: RunSpec) -> dict[str, Any] | None:
    if cache_dir is None:
        return None
    path = cache_dir / f"{spec_key(spec)}.json"
    if not path.is_file():
        return None
    try:
        entry = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None  # a torn write from an interrupted run: recompute it
    return entry["result"] if entry.get("spec") == json.loads(json.dumps(spec.to_dict(), default=str)) else None
