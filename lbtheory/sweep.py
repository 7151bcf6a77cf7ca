"""Run grids of :class:`~lbtheory.runs.RunSpec` in parallel, with a cache so an interrupted sweep resumes.

Each run is a pure function of its spec, of the files it reads and of the package's code
(:func:`run_summary`). Results are cached one JSON file per spec, keyed by :func:`spec_key`: a hash of the
spec, the content hashes of its input files (the trace) and the package source hash, so editing a trace
invalidates exactly the runs that read it and editing the engine (any package source) invalidates every run.
A cache entry that cannot be read or does not hold its spec is recomputed, never trusted and never fatal.

Backends: a local process pool (default; its workers exit when the parent dies), ``"serial"``, or Ray /
Dask for users who outgrow one machine (``pip install 'lbtheory[cluster]'``); ``scheduler`` names an
existing cluster (``tcp://host:8786`` for Dask, ``ray://host:10001`` or ``auto`` for Ray), else a local one
is started. Every backend gives identical results: each run depends on its spec only.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Literal

import lbtheory
from lbtheory.errors import ConfigError
from lbtheory.provenance import closure_hash, content_hash, file_sha256, note_input, write_json
from lbtheory.runs import RunSpec, execute

Backend = Literal["process", "serial", "ray", "dask"]
BACKENDS: tuple[str, ...] = ("process", "serial", "ray", "dask")


def spec_inputs(spec: RunSpec) -> list[Path]:
    """The files a run reads besides the package (its trace, if any)."""
    return [Path(spec.trace)] if spec.trace is not None else []


def code_hash(fn: Callable[..., Any] | None = None) -> str:
    """The hash of the code a cached run executes: :func:`lbtheory.provenance.closure_hash` of
    ``lbtheory.runs`` (the engine, the policies, the workloads, the metrics) and of ``fn``'s module when it is
    in the package; for a function defined elsewhere (an experiment script), its file's content hash too."""
    fn = run_summary if fn is None else fn
    mods = ["lbtheory.runs"]
    extra = ""
    mod = getattr(fn, "__module__", "") or ""
    if mod == "lbtheory" or mod.startswith("lbtheory."):
        mods.append(mod)
    else:
        src = inspect.getsourcefile(fn)
        extra = file_sha256(Path(src)) if src else mod
    return closure_hash(mods) + extra


def spec_key(spec: RunSpec, fn: Callable[..., Any] | None = None, code: str | None = None) -> str:
    """The cache key: SHA-256 of the spec, its input files' content hashes, the function applied and the hash
    of the code it can run (:func:`code_hash`), so an edit invalidates exactly the entries that depend on it
    (a trace: the runs that read it; the engine: every run; the CLI or the theory: none)."""
    inputs = {str(p): content_hash(p) if p.is_file() else "missing" for p in spec_inputs(spec)}
    name = None if fn is None or fn is run_summary else f"{fn.__module__}.{fn.__qualname__}"
    blob = json.dumps({"spec": spec.to_dict(), "inputs": inputs, "code": code or code_hash(fn), "fn": name,
                       "version": lbtheory.__version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


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


def _exit_with_parent(parent_pid: int, poll_s: float = 0.5) -> None:
    """Pool-worker initializer: exit as soon as the parent process dies (no orphans burning the CPUs).

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; everywhere: a daemon thread polling ``os.getppid()``.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent_pid:  # the parent died before the prctl took effect
        os._exit(1)

    def watch() -> None:
        import time

        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(poll_s)

    threading.Thread(target=watch, name="lbtheory-parent-watch", daemon=True).start()


def run_sweep(
    specs: Sequence[RunSpec],
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
    backend: Backend | None = None,
    scheduler: str | None = None,
    desc: str = "sweep",
    fn: Callable[[RunSpec], dict[str, Any]] = run_summary,
) -> list[dict[str, Any]]:
    """Summaries of every spec, in order; cached ones are read, the rest computed and cached as they finish.

    Args:
        specs: the runs.
        cache_dir: where each result is cached as ``<key>.json`` (None: no cache).
        workers: processes for the local pool (default: the machine's cores).
        backend: "process" (local pool), "serial" (in this process), "ray" or "dask"; default the
            ``LBTHEORY_BACKEND`` environment variable, else "process".
        scheduler: an existing cluster's address (default ``LBTHEORY_SCHEDULER``; none: start a local one).
        desc: the progress bar's label.
        fn: the pure function applied to each spec (default :func:`run_summary`).
    """
    backend = backend or os.environ.get("LBTHEORY_BACKEND") or "process"  # type: ignore[assignment]
    scheduler = scheduler or os.environ.get("LBTHEORY_SCHEDULER") or None
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose process, serial, ray or dask")
    for spec in specs:
        for p in spec_inputs(spec):
            if p.is_file():
                note_input(p)
    code = code_hash(fn) if cache_dir is not None else ""
    keys = [spec_key(s, fn, code) for s in specs] if cache_dir is not None else [""] * len(specs)
    results: list[dict[str, Any] | None] = [None] * len(specs)
    todo: list[int] = []
    for j, spec in enumerate(specs):
        cached = _read_cache(cache_dir, keys[j], spec)
        if cached is not None:
            results[j] = cached
        else:
            todo.append(j)
    bar = _progress_bar(len(specs), desc)
    bar.update(len(specs) - len(todo))

    def done(j: int, value: dict[str, Any]) -> None:
        results[j] = value
        if cache_dir is not None:
            write_json(cache_dir / f"{keys[j]}.json", {"spec": specs[j].to_dict(), "result": value})
        bar.update(1)

    n_workers = workers or os.cpu_count() or 1
    if not todo:
        pass
    elif backend == "serial" or (backend == "process" and (n_workers == 1 or len(todo) <= 1)):
        for j in todo:
            done(j, fn(specs[j]))
    elif backend == "process":
        with ProcessPoolExecutor(max_workers=n_workers, initializer=_exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(fn, specs[j]): j for j in todo}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    elif backend == "ray":
        _run_ray(fn, specs, todo, done, scheduler)
    else:
        _run_dask(fn, specs, todo, done, scheduler, n_workers)
    bar.close()
    missing = [j for j, r in enumerate(results) if r is None]
    if missing:
        raise RuntimeError(f"sweep {desc}: {len(missing)} runs returned no result")
    return [r for r in results if r is not None]


def _run_ray(fn: Callable, specs: Sequence[RunSpec], todo: list[int], done: Callable, scheduler: str | None
             ) -> None:
    try:
        import ray
    except ImportError:
        raise ConfigError("backend='ray' needs `pip install 'lbtheory[cluster]'` (ray)") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=scheduler, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(Path(lbtheory.__file__).resolve().parents[1])}})
    try:
        remote = ray.remote(fn)
        refs = {remote.remote(specs[j]): j for j in todo}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done(refs[ready[0]], ray.get(ready[0]))
    finally:
        if started:
            ray.shutdown()


def _run_dask(fn: Callable, specs: Sequence[RunSpec], todo: list[int], done: Callable, scheduler: str | None,
              n_workers: int) -> None:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ConfigError("backend='dask' needs `pip install 'lbtheory[cluster]'` (distributed)") from None
    own = None
    try:
        client = Client.current()
    except ValueError:  # no client yet: connect to the scheduler given, or start a local cluster
        own = (Client(scheduler) if scheduler else
               Client(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None))
        client = own
    try:
        futs = {client.submit(fn, specs[j], pure=False): j for j in todo}
        for fut in dask_completed(list(futs)):
            done(futs[fut], fut.result())
    finally:
        if own is not None:
            own.close()


def _read_cache(cache_dir: Path | None, key: str, spec: RunSpec) -> dict[str, Any] | None:
    """The cached summary of ``spec`` under ``key``, or None when absent, unreadable or malformed."""
    if cache_dir is None:
        return None
    path = cache_dir / f"{key}.json"
    try:
        entry = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # a torn or corrupted write: recompute it
    if not isinstance(entry, dict) or not isinstance(entry.get("result"), dict):
        return None
    if entry.get("spec") != json.loads(json.dumps(spec.to_dict(), default=str)):
        return None
    return entry["result"]
