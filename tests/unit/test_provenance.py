"""Provenance: content hashes in every manifest, and the check that finds dirty and stale results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lbtheory import provenance
from lbtheory.provenance import check_result, main, manifest, tree_hash, write_json


def test_tree_hash_changes_with_any_source_file(tmp_path: Path):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "step.py").write_text("x = 1\n")
    (tmp_path / "a.py").write_text("y = 2\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"junk")
    h0 = tree_hash(tmp_path)
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"other junk")
    assert tree_hash(tmp_path) == h0  # bytecode is not source
    (tmp_path / "engine" / "step.py").write_text("x = 2\n")
    assert tree_hash(tmp_path) != h0


def test_manifest_records_hashes_of_package_and_inputs(tmp_path: Path):
    trace = tmp_path / "trace.json"
    trace.write_text("[1, 2]")
    m = manifest({"a": 1}, [1, 2], inputs=[trace])
    assert m["hashes"]["package"] == provenance.package_source_hash()
    assert m["hashes"]["inputs"][str(trace.resolve())] == provenance.file_sha256(trace)


def _result(tmp_path: Path, rev: str, **hashes) -> Path:
    p = tmp_path / "r.json"
    write_json(p, {"manifest": {"git_revision": rev, **({"hashes": hashes} if hashes else {})}})
    return p


def test_check_classifies_dirty_stale_ok(tmp_path: Path):
    data = tmp_path / "in.txt"
    data.write_text("a")
    pkg = provenance.package_source_hash()
    good = {"package": pkg, "scripts": {}, "inputs": {str(data): provenance.file_sha256(data)}}
    assert check_result(_result(tmp_path, "abc", **good))[0] == "ok"
    assert check_result(_result(tmp_path, "abc-dirty", **good))[0] == "dirty"
    assert check_result(_result(tmp_path, "unknown", **good))[0] == "dirty"
    assert check_result(_result(tmp_path, "abc"))[0] == "stale"  # no hashes recorded
    assert check_result(_result(tmp_path, "abc", **{**good, "package": "0" * 64}))[0] == "stale"
    p = _result(tmp_path, "abc", **good)
    data.write_text("b")  # an input edited after the result was written
    status, reasons = check_result(p)
    assert status == "stale" and any("changed" in r for r in reasons)
    (tmp_path / "bad.json").write_text("{")
    assert check_result(tmp_path / "bad.json")[0] == "unverifiable"


def test_cli_exits_nonzero_on_dirty_only(tmp_path: Path, capsys):
    d = tmp_path / "full"
    d.mkdir()
    write_json(d / "a.json", {"manifest": {"git_revision": "abc"}})  # stale (no hashes)
    assert main(["check", str(d)]) == 0
    assert main(["check", "--strict", str(d)]) == 1
    write_json(d / "b.json", {"manifest": {"git_revision": "abc-dirty"}})
    assert main(["check", str(d)]) == 1
    out = capsys.readouterr().out
    assert "DIRTY" in out and "b.json" in out and "STALE" in out


def test_git_revision_ignores_generated_outputs():
    assert "results" in provenance.GENERATED and "paper/variables" in provenance.GENERATED
    rev = provenance.git_revision()
    assert rev == "unknown" or len(rev.split("-")[0]) == 40


def test_write_json_uses_unique_temporary_names(tmp_path: Path, monkeypatch):
    names: list[str] = []
    real = provenance.tempfile.mkstemp

    def spy(*a, **k):
        fd, name = real(*a, **k)
        names.append(name)
        return fd, name

    monkeypatch.setattr(provenance.tempfile, "mkstemp", spy)
    write_json(tmp_path / "x.json", {"a": 1})
    write_json(tmp_path / "x.json", {"a": 2})
    assert len(set(names)) == 2 and json.loads((tmp_path / "x.json").read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def _fake_package(root: Path) -> Path:
    pkg = root / "lbtheory"
    for d in ("", "engine", "policies", "theory", "hardware", "hardware/profiles"):
        (pkg / d).mkdir(parents=True, exist_ok=True)
    for d in ("", "engine", "policies", "theory", "hardware"):
        (pkg / d / "__init__.py").write_text("")
    (pkg / "engine" / "core.py").write_text("from . import util\n")
    (pkg / "engine" / "util.py").write_text("x = 1\n")
    (pkg / "policies" / "fcfs.py").write_text(
        "def decide():\n    from lbtheory.hardware.roofline import t  # lazy\n    return t\n")
    (pkg / "hardware" / "roofline.py").write_text("t = 1\n")
    (pkg / "hardware" / "profiles" / "h100.json").write_text("{}")
    (pkg / "theory" / "bounds.py").write_text("import sympy\n")
    return pkg


def test_dependency_files_follow_static_imports_lazy_ones_parents_and_data(tmp_path: Path):
    pkg = _fake_package(tmp_path)
    rel = {f.relative_to(pkg).as_posix() for f in provenance.dependency_files(["lbtheory.policies.fcfs"], pkg)}
    assert rel == {"__init__.py", "policies/__init__.py", "policies/fcfs.py", "hardware/__init__.py",
                   "hardware/roofline.py", "hardware/profiles/h100.json"}
    rel = {f.relative_to(pkg).as_posix() for f in provenance.dependency_files(["lbtheory.engine.core"], pkg)}
    assert rel == {"__init__.py", "engine/__init__.py", "engine/core.py", "engine/util.py"}


def test_a_result_goes_stale_exactly_when_a_module_it_depends_on_changes(tmp_path: Path):
    pkg = _fake_package(tmp_path)
    mods = {str(f): provenance.file_sha256(f) for f in provenance.dependency_files(["lbtheory.engine.core"], pkg)}
    p = _result(tmp_path, "abc", package="0" * 64, modules=mods, scripts={}, inputs={})
    assert check_result(p) == ("ok", [])  # the whole-package hash no longer decides once modules are recorded
    (pkg / "theory" / "bounds.py").write_text("import sympy  # edited\n")
    (pkg / "policies" / "fcfs.py").write_text("# edited\n")
    assert check_result(p)[0] == "ok"  # modules this result never imported
    (pkg / "engine" / "util.py").write_text("x = 2\n")
    status, reasons = check_result(p)
    assert status == "stale" and reasons == [f"module {pkg / 'engine' / 'util.py'} changed"]


def test_manifest_lists_the_modules_this_process_imported():
    import subprocess
    import sys

    code = ("import json, lbtheory.engine; from lbtheory.provenance import manifest; "
            "print(json.dumps(sorted(manifest({}, None)['hashes']['modules'])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=provenance.REPO_ROOT)
    mods = json.loads(out.stdout)
    assert "lbtheory/engine/simulate.py" in mods and "lbtheory/provenance.py" in mods
    assert not any(m.startswith(("lbtheory/cli", "lbtheory/theory")) for m in mods)  # a fresh process


def test_inputs_beside_the_tree_are_recorded_relative_and_unchecked_when_absent(tmp_path: Path, monkeypatch):
    beside = provenance.REPO_ROOT.parent / f".lbtheory-test-{tmp_path.name}.json"
    try:
        beside.write_text("[1]")
    except OSError:
        pytest.skip(f"cannot write beside the tree ({beside.parent})")
    try:
        rel = provenance._relative(beside)
        assert rel == f"../{beside.name}"
        p = _result(tmp_path, "abc", modules={}, scripts={}, inputs={rel: provenance.file_sha256(beside)})
        assert check_result(p) == ("ok", [])
        beside.write_text("[2]")
        assert check_result(p)[0] == "stale"
    finally:
        beside.unlink()
    status, notes = check_result(p)  # a machine without the shared data: the rest is still checked
    assert status == "ok" and notes == [f"input {rel} not present here (unchecked)"]


def test_write_csv_matches_the_csv_module_byte_for_byte(tmp_path):
    import csv

    from lbtheory.provenance import write_csv

    cols = [np.array([0, -3, 2**62]), np.array([0.1, float("nan"), float("inf")]),
            np.array([True, False, True]), np.array([1e-300, -0.0, 123456789.125], dtype=np.float32)]
    header = ["a", "b,c", "d", "e"]
    write_csv(tmp_path / "fast.csv", header, cols)
    with (tmp_path / "ref.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(zip(*(c.tolist() for c in cols), strict=True))
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    write_csv(tmp_path / "str.csv", ["s"], [np.array(['x,"y"', "z"])])  # non-numeric: the csv module quotes
    assert (tmp_path / "str.csv").read_text().splitlines()[1] == '"x,""y"""'
    with pytest.raises(ValueError, match="unequal length"):
        write_csv(tmp_path / "bad.csv", ["a", "b"], [np.arange(3), np.arange(2)])
