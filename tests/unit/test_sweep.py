"""The sweep runner: order, caching and resume, parallel == serial."""

from __future__ import annotations

from pathlib import Path

from lbtheory import sweep
from lbtheory.runs import RunSpec
from lbtheory.sweep import run_sweep, spec_key

SPECS = [RunSpec(workers=2, slots=4, policy=p, workload="uniform", requests=60, seed=s)
         for p in ("fcfs", "random") for s in (1, 2)]


def test_parallel_equals_serial_and_keeps_order():
    serial = run_sweep(SPECS, backend="serial")
    parallel = run_sweep(SPECS, backend="process", workers=2)
    for a, b in zip(serial, parallel, strict=True):
        a.pop("wall_s"), b.pop("wall_s")
        assert a == b
    assert serial[0] != serial[2] or serial[1] != serial[3]


def test_cache_resumes_without_recomputing(tmp_path: Path):
    calls: list[RunSpec] = []

    def fn(spec: RunSpec) -> dict:
        calls.append(spec)
        return {"policy": spec.policy, "seed": spec.seed}

    first = run_sweep(SPECS[:2], cache_dir=tmp_path, backend="serial", fn=fn)
    assert len(calls) == 2
    again = run_sweep(SPECS, cache_dir=tmp_path, backend="serial", fn=fn)
    assert len(calls) == 4  # only the two new specs ran
    assert again[:2] == first
    assert [r["seed"] for r in again] == [s.seed for s in SPECS]
    # a torn cache file is recomputed, not trusted
    (tmp_path / f"{spec_key(SPECS[0], fn)}.json").write_text("{")
    run_sweep(SPECS, cache_dir=tmp_path, backend="serial", fn=fn)
    assert len(calls) == 5


def test_keys_differ_by_spec():
    assert len({spec_key(s) for s in SPECS}) == len(SPECS)


def _trace(path: Path, n: int) -> None:
    import json as _json

    path.write_text(_json.dumps([{"input_length": 5 + i % 7, "output_length": 3 + i % 5} for i in range(n)]))


def test_trace_or_engine_edit_invalidates_exactly_the_dependent_entries(tmp_path: Path, monkeypatch):
    """Key = spec + input files' content hashes + package source hash."""
    import lbtheory.sweep as sweep

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _trace(a, 20)
    _trace(b, 20)
    specs = [RunSpec(workers=2, slots=4, policy="fcfs", workload=None, trace=str(p), seed=1) for p in (a, b)]
    specs.append(SPECS[0])  # a generated workload: depends on no file
    calls: list[RunSpec] = []

    def fn(spec: RunSpec) -> dict:
        calls.append(spec)
        return {"trace": spec.trace}

    cache = tmp_path / "cache"
    run_sweep(specs, cache_dir=cache, backend="serial", fn=fn)
    assert len(calls) == 3
    run_sweep(specs, cache_dir=cache, backend="serial", fn=fn)
    assert len(calls) == 3  # all cached
    _trace(a, 21)  # edit one trace file
    run_sweep(specs, cache_dir=cache, backend="serial", fn=fn)
    assert [s.trace for s in calls[3:]] == [str(a)]  # exactly the run that reads it
    monkeypatch.setattr(sweep, "closure_hash", lambda mods: "edited-engine")  # an engine edit
    run_sweep(specs, cache_dir=cache, backend="serial", fn=fn)
    assert len(calls) == 7  # every run depends on the package


def test_the_cache_key_covers_the_engine_and_not_the_cli_or_the_theory():
    from lbtheory.provenance import PACKAGE_DIR, dependency_files

    files = {p.relative_to(PACKAGE_DIR).as_posix() for p in dependency_files(["lbtheory.runs", "lbtheory.sweep"])}
    assert {"engine/transition.py", "engine/simulate.py", "policies/bfio_fast.py", "workloads/traces.py",
            "metrics.py", "sweep.py"} <= files
    assert not any(f.startswith(("cli", "theory/", "claims/")) for f in files)


def test_the_key_follows_the_function_applied(tmp_path: Path):
    def fn(spec: RunSpec) -> dict:
        return {}

    assert spec_key(SPECS[0]) == spec_key(SPECS[0], sweep.run_summary)
    assert spec_key(SPECS[0], fn) != spec_key(SPECS[0])


def test_malformed_entries_are_recomputed(tmp_path: Path):
    calls: list[RunSpec] = []

    def fn(spec: RunSpec) -> dict:
        calls.append(spec)
        return {"seed": spec.seed}

    run_sweep(SPECS[:1], cache_dir=tmp_path, backend="serial", fn=fn)
    path = tmp_path / f"{spec_key(SPECS[0], fn)}.json"
    for junk in (b"\xff\xfe not utf-8", b"[1, 2]", b'{"spec": null, "result": {}}', b'{"result": 3}', b"null"):
        path.write_bytes(junk)
        assert run_sweep(SPECS[:1], cache_dir=tmp_path, backend="serial", fn=fn) == [{"seed": SPECS[0].seed}]
    assert len(calls) == 6


_ORPHAN_PARENT = r"""
import os, sys, time
from lbtheory.runs import RunSpec
from lbtheory.sweep import run_sweep

def slow(spec):
    open(os.path.join(sys.argv[1], f"w{os.getpid()}"), "w").close()
    time.sleep(120)
    return {}

if __name__ == "__main__":
    specs = [RunSpec(workers=2, slots=4, policy="fcfs", workload="uniform", requests=10, seed=s) for s in (1, 2)]
    run_sweep(specs, backend="process", workers=2, fn=slow)
"""


def test_pool_workers_exit_when_the_parent_dies(tmp_path: Path):
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(_ORPHAN_PARENT)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=root,
                            env={**os.environ, "PYTHONPATH": str(root)})
    try:
        deadline = time.time() + 60
        while len(list(tmp_path.glob("w*"))) < 2 and time.time() < deadline:
            time.sleep(0.2)
        pids = [int(p.name[1:]) for p in tmp_path.glob("w*")]
        assert len(pids) == 2, "workers did not start"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    deadline = time.time() + 10
    while any(alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids), "orphaned pool workers still running"
