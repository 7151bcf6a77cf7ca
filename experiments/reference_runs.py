"""Reference figures from the authors' own simulator, with provenance.

Runs ``scripts/main.py`` of a user-supplied checkout of Echoscd/Load-Balancing-Release in each claim setting
of ``_claims.SETTINGS`` (C3: BurstGPT, G=32, B=72, N=100,000, H=20; C4: LongBench-v2, G=256, B=72, N=80,000,
H=140), FCFS and BF-IO, one call per seed (seeds 42, 43, ...: the simulator's own ``arange(n_repeat) + seed``),
and writes ``results/full/reference_runs.json``: the checkout's commit, every exact command, its wall time and
parsed figures, and per claim the paired changes the claims table reads (:mod:`lbtheory.claims.reference`).
The calls run in a temporary copy of the checkout (the simulator appends CSV files under its own
``results/``), so the checkout is left as it was. Its Python needs numpy, pandas, matplotlib, joblib and tqdm
(``--python``). A call over ``--timeout-s`` is recorded as timed out and its setting has no figures (nor has
a setting run ``--fcfs-only``, which gives C1's FCFS idle share only); the claims table then keeps the quoted
figures for that claim.

    python experiments/reference_runs.py --reference DIR [--python PY] [--seeds K] [--only c3] [--fcfs-only c4]
                                                 [--timeout-s S]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _claims import SETTINGS
from _common import ROOT, cache_dir, rel

from lbtheory.claims.reference import (
    DATASETS,
    STRATEGIES,
    ReferenceOutputError,
    Setting,
    idle_figure,
    paired_figures,
    parse_summary,
)
from lbtheory.provenance import file_sha256, manifest, write_json

CLAIM_OF = {"c3": "C3", "c4": "C4"}
C1_KEY = {"c3": "fcfs_idle_c3_setting", "c4": "fcfs_idle_c4_setting"}
"""C1's reference figures are the FCFS idle shares of the C3 and C4 settings."""


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""


def checkout_info(repo: Path) -> dict:
    """The checkout's repository URL, commit and whether it differs from that commit (``dirty``)."""
    if not (repo / "scripts" / "main.py").is_file():
        raise SystemExit(f"reference_runs.py: --reference {repo}: no scripts/main.py (not a checkout of "
                         "Echoscd/Load-Balancing-Release)")
    commit = _git(repo, "rev-parse", "HEAD")
    return {"repository": "Echoscd/Load-Balancing-Release", "origin": _git(repo, "remote", "get-url", "origin"),
            "commit": commit or "unknown (not a git checkout)",
            "dirty": bool(_git(repo, "status", "--porcelain", "--untracked-files=no")) if commit else None}


def run_call(work: Path, python: str, setting: Setting, strategy: str, seed: int, timeout_s: float) -> dict:
    argv = setting.argv(strategy, seed)
    call = {"strategy": strategy, "seed": seed, "command": shlex.join(["python", *argv]),
            "cwd": "a copy of the checkout"}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([python, *argv], cwd=work, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired:
        return call | {"wall_time_s": round(time.perf_counter() - t0, 2), "timed_out": True, "timeout_s": timeout_s}
    call["wall_time_s"] = round(time.perf_counter() - t0, 2)
    call["returncode"] = proc.returncode
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        raise SystemExit(f"reference_runs.py: `{call['command']}` exited {proc.returncode}: {tail[0]}")
    try:
        call["printed"] = parse_summary(proc.stdout, source=call["command"])
    except ReferenceOutputError as exc:
        raise SystemExit(f"reference_runs.py: {exc}") from None
    return call


def call_key(info: dict, argv: list[str], python_version: str, dataset_sha256: str, timeout_s: float) -> str:
    """The cache key of one call: the checkout's commit, the exact command, the simulator's Python version, the
    dataset's content and the time limit (the simulator is deterministic given its seed)."""
    blob = json.dumps({"commit": info["commit"], "argv": argv, "python": python_version,
                       "dataset": dataset_sha256, "timeout_s": timeout_s}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", type=Path, required=True, help="checkout of Echoscd/Load-Balancing-Release")
    ap.add_argument("--python", default=sys.executable, help="Python to run the simulator with (default: this one)")
    ap.add_argument("--seeds", type=int, default=5, help="replicates per strategy and setting (default 5)")
    ap.add_argument("--only", choices=sorted(CLAIM_OF), action="append", help="run only these settings")
    ap.add_argument("--fcfs-only", choices=sorted(CLAIM_OF), action="append", default=[],
                    help="in these settings run FCFS only (C1's idle figures; the claim keeps its quoted figures)")
    ap.add_argument("--timeout-s", type=float, default=1800.0, help="limit per call (default 1800 s)")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "full" / "reference_runs.json")
    ap.add_argument("--no-cache", action="store_true",
                    help="rerun every call (default: a call already made at the same commit, command, Python and "
                         "dataset is read from results/cache/reference_runs, with its original wall time)")
    args = ap.parse_args()
    if args.seeds < 1:
        raise SystemExit(f"reference_runs.py: --seeds must be >= 1, got {args.seeds}")
    repo = args.reference.resolve()
    info = checkout_info(repo)
    keys = args.only or sorted(CLAIM_OF)
    seeds = [42 + i for i in range(args.seeds)]
    settings = {k: Setting.from_claim(SETTINGS[k]) for k in keys}
    python_version = subprocess.run([args.python, "-c", "import sys; print(sys.version.split()[0])"],
                                    capture_output=True, text=True, check=False).stdout.strip()
    use_cache = not args.no_cache and info["dirty"] is False  # a checkout with local changes is never cached
    cache = cache_dir("reference_runs")
    t_all = time.perf_counter()
    man = manifest({}, seeds)  # the revision and hashes of the code that runs, taken before it runs
    calls: list[dict] = []
    claims: dict[str, dict] = {}
    complete: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(prefix="lbr-") as tmp:
        work = Path(tmp) / "checkout"
        shutil.copytree(repo, work, ignore=shutil.ignore_patterns(".git", "results"))
        for key, setting in settings.items():
            runs: dict[str, list[dict]] = {}
            strategies = ["FCFS"] if key in args.fcfs_only else list(STRATEGIES.values())
            for strategy in strategies:  # every FCFS seed first: C1 needs FCFS only
                runs[strategy] = []
                for seed in seeds:
                    ckey = call_key(info, setting.argv(strategy, seed), python_version,
                                   file_sha256(repo / DATASETS[setting.trace]), args.timeout_s)
                    hit = cache / f"{ckey}.json"
                    if use_cache and hit.is_file():
                        c = json.loads(hit.read_text()) | {"cached": True}
                    else:
                        c = run_call(work, args.python, setting, strategy, seed, args.timeout_s)
                        if use_cache and not c.get("timed_out"):
                            cache.mkdir(parents=True, exist_ok=True)
                            hit.write_text(json.dumps(c))
                    calls.append({"setting": key} | c)
                    print(f"{key} {strategy:5s} seed {seed}: {c['wall_time_s']:.1f} s"
                          + (" TIMED OUT" if c.get("timed_out") else "") + (" (cached)" if c.get("cached") else ""),
                          flush=True)
                    if c.get("timed_out"):
                        break
                    runs[strategy].append(c["printed"])
                if len(runs[strategy]) < len(seeds):
                    break
            fcfs, bfio = runs.get("FCFS", []), runs.get("BF-IO", [])
            complete[key] = len(fcfs) == len(bfio) == len(seeds)
            if len(fcfs) == len(seeds):
                claims.setdefault("C1", {})[C1_KEY[key]] = idle_figure(fcfs)
            if complete[key]:
                claims[CLAIM_OF[key]] = paired_figures(fcfs, bfio)
    datasets = {DATASETS[s.trace]: file_sha256(repo / DATASETS[s.trace]) for s in settings.values()}
    config = {"settings": {k: vars(s) | {"R": 4 * s.G} for k, s in settings.items()}, "seeds": seeds,
              "strategies": list(STRATEGIES.values()), "fcfs_only": sorted(args.fcfs_only),
              "timeout_s": args.timeout_s, "complete": complete,
              "simulator_python": python_version, "calls_from_cache": sum(bool(c.get("cached")) for c in calls)}
    result = {"manifest": man | {"config": config, "wall_time_s": round(time.perf_counter() - t_all, 1)},
              "reference": info | {"datasets_sha256": datasets},
              "claims": claims, "calls": calls}
    write_json(args.out, result)
    partial = [k for k, v in complete.items() if not v]
    where = rel(args.out) if args.out.resolve().is_relative_to(ROOT) else args.out
    print(f"wrote {where} ({'partial: no BF-IO figures for ' + ', '.join(partial) if partial else 'complete'})")


if __name__ == "__main__":
    main()
