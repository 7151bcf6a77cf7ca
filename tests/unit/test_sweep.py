"""The sweep runner: order, caching and resume, parallel == serial."""

from __future__ import annotations

from pathlib import Path

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
    (tmp_path / f"{spec_key(SPECS[0])}.json").write_text("{")
    run_sweep(SPECS, cache_dir=tmp_path, backend="serial", fn=fn)
    assert len(calls) == 5


def test_keys_differ_by_spec():
    assert len({spec_key(s) for s in SPECS}) == len(SPECS)
