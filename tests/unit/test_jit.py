"""Interpreted kernels (lbtheory._jit, LBTHEORY_JIT=0) decide exactly as compiled ones, and skip numba.

The mode is fixed per process, so the interpreted runs happen in a subprocess; this (compiled) process
runs the same policies on the same workloads and the step and request records must be identical.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: (seed, N, G, B, R, arrivals, predictions): small random instances, so the interpreted runs are quick
CASES = [
    (1, 14, 2, 3, 4, "saturated", "exact"),
    (2, 25, 3, 2, 5, "open", "noisy"),
    (3, 9, 4, 1, 16, "saturated", "exact"),
]
STEP_FIELDS = ("dt_s", "start_s", "max_load", "sum_load", "active", "admitted", "loads")
REQUEST_FIELDS = ("worker", "admit_step", "finish_step", "admit_time_s", "finish_time_s")


def _env(jit: str) -> dict[str, str]:
    return {**os.environ, "LBTHEORY_JIT": jit, "PYTHONPATH": str(ROOT)}


def run_case(policy: str, case: tuple) -> dict[str, np.ndarray]:
    """Simulate one case; the records as arrays (imports the engine: the caller's mode applies)."""
    from lbtheory.engine import simulate
    from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
    from lbtheory.policies import make_policy
    from lbtheory.workloads import apply_predictions
    from lbtheory.workloads.base import Workload

    seed, n, G, B, R, arrivals, predictions = case
    rng = np.random.default_rng(seed)
    w = Workload(rng.integers(1, 400, n), rng.integers(1, 40, n),
                 arrival_time_s=np.cumsum(rng.exponential(0.05, n)) if arrivals == "open" else None)
    w = apply_predictions(w, predictions, np.random.default_rng(seed + 100), 0.3 if predictions == "noisy" else 0.0)
    cfg = SimConfig(ClusterConfig(G, B, R), StepTimeModel(0.01, 1e-5), arrivals=arrivals,
                    record_worker_loads=True)
    res = simulate(w, cfg, make_policy(policy), np.random.default_rng(seed + 200), seed=seed)
    out = {f"steps.{f}": np.asarray(getattr(res.steps, f)) for f in STEP_FIELDS}
    out |= {f"requests.{f}": np.asarray(getattr(res.requests, f)) for f in REQUEST_FIELDS}
    return out


def _interpreted_main(dest: str) -> None:  # run in the subprocess
    from lbtheory import _jit
    from lbtheory.policies import policy_names

    assert not _jit.is_compiled()
    arrays = {f"{p}|{i}|{k}": v for p in policy_names() for i, c in enumerate(CASES)
              for k, v in run_case(p, c).items()}
    assert "numba" not in sys.modules, "interpreted mode imported numba"
    np.savez(dest, **arrays)


def test_interpreted_runs_decide_exactly_as_compiled(tmp_path: Path) -> None:
    from lbtheory import _jit
    from lbtheory.policies import policy_names

    if os.environ.get("LBTHEORY_JIT", "1").strip() == "0":
        pytest.skip("this process is interpreted (LBTHEORY_JIT=0): nothing compiled to compare with")
    dest = tmp_path / "interp.npz"
    code = f"from tests.unit.test_jit import _interpreted_main; _interpreted_main({str(dest)!r})"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env("0"), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    interp = np.load(dest)
    assert _jit.is_compiled()
    names = policy_names()
    assert len(names) >= 6 and {"fcfs", "bfio", "bfio_paper", "jsq_tokens", "random", "round_robin"} <= set(names)
    for p in names:
        for i, c in enumerate(CASES):
            comp = run_case(p, c)
            assert comp["steps.dt_s"].size > 0
            for k, v in comp.items():
                assert np.array_equal(interp[f"{p}|{i}|{k}"], v, equal_nan=True), f"{p} case {i}: {k} differs"


def _py(code: str, jit: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LBTHEORY_JIT", None)
    if jit is not None:
        env["LBTHEORY_JIT"] = jit
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_mode_is_fixed_once_kernels_are_defined() -> None:
    code = """
from lbtheory import _jit
_jit.set_mode(False)
_jit.set_mode(True)  # not fixed yet: the last choice wins
_jit.set_mode(False)
import lbtheory.policies.fcfs as f
assert not _jit.is_compiled() and type(f.fcfs_kernel).__name__ == 'function'
_jit.set_mode(False)  # the mode in force: fine
try:
    _jit.set_mode(True)
except _jit.JitModeError as e:
    print('refused:', e)
"""
    r = _py(code)
    assert r.returncode == 0, r.stderr
    assert "refused: kernels are already defined interpreted" in r.stdout


def test_bad_env_value_is_refused() -> None:
    r = _py("from lbtheory import _jit; _jit.is_compiled()", jit="yes")
    assert r.returncode != 0 and "LBTHEORY_JIT must be 0 (interpreted) or 1 (compiled), got 'yes'" in r.stderr


def test_bad_env_value_is_a_one_line_cli_error(tmp_path: Path) -> None:
    code = f"""
import sys
from lbtheory.cli import main
sys.exit(main(['simulate', '--workload', 'synthetic', '--requests', '3', '--workers', '1', '--slots', '1',
               '--policy', 'fcfs', '--quiet', '--out', {str(tmp_path / 'o')!r}]))
"""
    r = _py(code, jit="2")
    assert r.returncode == 2
    assert r.stderr.strip() == "lbtheory: error: LBTHEORY_JIT must be 0 (interpreted) or 1 (compiled), got '2'"
    assert not (tmp_path / "o").exists()


def test_compiled_mode_uses_numba() -> None:
    r = _py("import lbtheory.policies.fcfs as f; print(type(f.fcfs_kernel).__module__)", jit="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("numba")


HEAVY = ("numba", "scipy", "sympy", "matplotlib")


def _cli_run(out: Path, policy: str, requests: int) -> str:
    """Code for a subprocess: import sys, run a small ``lbtheory simulate`` (G=2, B=4) into ``out``, check rc 0."""
    return f"""
import sys
from lbtheory.cli import main
rc = main(['simulate', '--workload', 'synthetic', '--requests', '{requests}', '--workers', '2', '--slots', '4',
           '--policy', {policy!r}, '--quiet', '--out', {str(out)!r}])
assert rc == 0, rc
"""


def test_small_cli_run_is_interpreted_and_imports_nothing_heavy(tmp_path: Path) -> None:
    out = tmp_path / "o"
    code = _cli_run(out, "bfio", 10) + f"""
from lbtheory import _jit
print('compiled', _jit.is_compiled())
print('heavy', sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    r = _py(code)
    assert r.returncode == 0, r.stderr
    assert "compiled False" in r.stdout
    assert "heavy []" in r.stdout
    assert json.loads((out / "summary.json").read_text())["steps"] > 0


def test_large_cli_run_compiles() -> None:
    code = """
from lbtheory.cli import build_parser, choose_kernel_mode
args = build_parser().parse_args(['simulate', '--workload', 'synthetic', '--requests', '2000', '--workers', '4',
                                  '--slots', '8', '--policy', 'fcfs', '--out', 'unused'])
print('compiled', choose_kernel_mode(args))
"""
    r = _py(code)
    assert r.returncode == 0, r.stderr
    assert "compiled True" in r.stdout


def test_estimate_work_formula() -> None:
    from lbtheory.cli import INTERPRETED_MAX_WORK, estimate_work

    # K = max(o_max, ceil(Σo/(G·B))) + N = max(50, ceil(1000/8)) + 10 = 135 steps; work = K·(G + N + 8)
    assert estimate_work(10, 1000, 50, 2, 4) == 135 * (2 + 10 + 8)
    # a 10-request synthetic run (mean output ≈ 1,500 tokens) on G=2, B=4 is interpreted
    assert estimate_work(10, 15_000, 2_500, 2, 4) <= INTERPRETED_MAX_WORK
    # the N=60,000 benchmark is compiled
    assert estimate_work(60_000, 9 * 10**7, 4_000, 64, 72) > INTERPRETED_MAX_WORK


def test_work_lower_bound_is_a_floor_of_the_estimate() -> None:
    from lbtheory.cli import estimate_work, work_lower_bound

    rng = np.random.default_rng(7)
    for _ in range(500):
        n, G, B = (int(v) for v in rng.integers(1, 300, size=3))
        out = rng.integers(1, 5000, size=n)
        assert work_lower_bound(n, G) <= estimate_work(n, int(out.sum()), int(out.max()), G, B)
    assert work_lower_bound(10, 2) == 10 * (2 + 10 + 8)
    # every o_i = 1 on G·B = 8 slots: K = max(1, ceil(10/8)) + 10 = 12, two steps above the floor's K = N
    assert estimate_work(10, 10, 1, 2, 4) == 12 * (2 + 10 + 8)


def test_large_generated_run_compiles_without_building_the_workload(monkeypatch) -> None:
    import lbtheory.workloads as workloads
    from lbtheory import cli

    def refuse(*a, **k):
        raise AssertionError("the workload was built only to estimate the run")

    monkeypatch.setattr(workloads, "make_workload", refuse)
    args = cli.build_parser().parse_args(["simulate", "--workload", "synthetic", "--requests", "60000",
                                          "--workers", "64", "--slots", "72", "--policy", "fcfs",
                                          "--out", "unused"])
    assert cli._estimated_work(args) is None


#: numpy calls that numba implements with BLAS/LAPACK (what its probe, hidden by init_compiled_target, is for)
BLAS_CALLS = {"dot", "vdot", "inner", "outer", "matmul", "kron", "tensordot", "einsum", "trace", "linalg"}


def blas_uses(source: str) -> list[str]:
    """'function: call' for each BLAS-backed numpy call or ``@`` inside an ``njit``-decorated function."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        decorators = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
        if not any(getattr(d, "id", getattr(d, "attr", None)) == "njit" for d in decorators):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.MatMult):
                found.append(f"{node.name}: @")
            elif isinstance(sub, ast.Attribute) and sub.attr in BLAS_CALLS:
                found.append(f"{node.name}: {sub.attr}")
    return found


def test_blas_scan_finds_what_it_looks_for() -> None:
    src = ("@njit(cache=True)\ndef k(a, b):\n    return np.dot(a, b) + (a @ b).sum() + np.linalg.norm(a)\n\n"
           "def plain(a):\n    return np.dot(a, a)\n")
    assert sorted(blas_uses(src)) == ["k: @", "k: dot", "k: linalg"]


def test_no_kernel_calls_blas() -> None:
    """init_compiled_target hides numba's BLAS probe; that is only sound while no kernel uses BLAS."""
    offenders = {str(p.relative_to(ROOT)): u for p in sorted((ROOT / "lbtheory").rglob("*.py"))
                 if (u := blas_uses(p.read_text()))}
    assert offenders == {}


def test_compiled_cli_run_skips_the_blas_probe(tmp_path: Path) -> None:
    out = tmp_path / "o"
    code = _cli_run(out, "fcfs", 20) + """
import numba.np.arraymath as am
print('blas probe', am._HAVE_BLAS, 'scipy.linalg' in sys.modules)
import scipy.linalg  # importable again afterwards
print('later import ok', scipy.linalg.__name__)
"""
    r = _py(code, jit="1")
    assert r.returncode == 0, r.stderr
    assert "blas probe False False" in r.stdout
    assert "later import ok scipy.linalg" in r.stdout
    assert json.loads((out / "summary.json").read_text())["steps"] > 0
