"""Average imbalance of BF-IO against the authors' heuristic, FCFS and JSQ at the same lookahead H.

Settings: G = 16 workers, B = 72 slots, window R = 4G, saturated pool, the paper's step-time constants,
exact predictions ô = o. Workloads: the authors' synthetic generator, and the BurstGPT, arXiv and
LongBench-v2 samples (resampled with replacement per seed). Metric: the mean of
Imb(k) = G·max_g L_g(k) − Σ_g L_g(k) over each run's own steady-state window (steps 0..window_steps−1),
and the mean idle fraction ι(k) over the same window; mean and standard deviation over seeds.

Writes results/bfio_compare.json. ``--fast``: one seed and smaller N.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, set_tier

from lbtheory.engine.simulate import simulate
from lbtheory.model import SimConfig
from lbtheory.policies.registry import make_policy
from lbtheory.provenance import manifest
from lbtheory.workloads import shared_trace_path
from lbtheory.workloads.base import Workload
from lbtheory.workloads.generators import synthetic
from lbtheory.workloads.traces import load_json_trace

ROOT = Path(__file__).resolve().parents[1]
STEM = "bfio_compare"
G, B = 16, 72
REQUESTS = {"synthetic": 3000, "burst": 8000, "arxiv": 4000, "longbench": 8000}
HORIZONS = (0, 20)


def workload(name: str, n: int, rng: np.random.Generator) -> Workload:
    """``n`` requests with exact predictions: drawn (synthetic) or resampled from a shared trace."""
    if name == "synthetic":
        wl = synthetic(n, rng)
    else:
        path = shared_trace_path(name)
        if path is None:
            raise SystemExit(f"the shared trace {name!r} is needed (../shared/data)")
        full = load_json_trace(path)
        idx = rng.integers(0, full.n_requests, n)
        wl = Workload(full.prompt_tokens[idx], full.output_tokens[idx], name=name)
    return wl.with_predictions(wl.output_tokens.copy())


def policies(H: int) -> list[tuple[str, dict[str, object]]]:
    return [("fcfs", {}), ("jsq_tokens", {}), ("bfio", {"horizon": H}), ("bfio_paper", {"horizon": H})]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="one seed, a quarter of the requests")
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    args = ap.parse_args(argv)
    set_tier("fast" if args.fast else "full")  # the default run is the committed tier
    seeds = args.seeds[:1] if args.fast else args.seeds
    scale = 4 if args.fast else 1
    cfg = SimConfig.paper(G, B)
    t0 = time.perf_counter()
    runs = []
    for wname, n in REQUESTS.items():
        for seed in seeds:
            wl = workload(wname, max(n // scale, 4 * G * B // 2), np.random.default_rng(seed))
            for H in HORIZONS:
                for pname, params in policies(H):
                    if pname in ("fcfs", "jsq_tokens") and H != HORIZONS[0]:
                        continue  # blind to H: run once
                    t1 = time.perf_counter()
                    res = simulate(wl, cfg, make_policy(pname, **params), seed=seed)
                    w = res.window_steps
                    assert int(res.steps.active.sum()) == wl.total_output_tokens
                    runs.append({
                        "workload": wname, "seed": seed, "policy": pname, "H": H if params else None,
                        "requests": wl.n_requests, "window_steps": w, "steps": res.steps.n_steps,
                        "imbalance_window": float(res.steps.imbalance[:w].mean()),
                        "idle_window": float(res.steps.idle_fraction[:w].mean()),
                        "imbalance_run": float(res.steps.imbalance.mean()),
                        "makespan_s": res.makespan_s, "wall_s": time.perf_counter() - t1,
                    })
            print(f"{wname} seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    wall = time.perf_counter() - t0
    table = []
    for wname in REQUESTS:
        for H in HORIZONS:
            row: dict[str, object] = {"workload": wname, "H": H}
            for pname, _ in policies(H):
                sel = [r for r in runs if r["workload"] == wname and r["policy"] == pname
                       and (r["H"] in (H, None))]
                imb = np.array([r["imbalance_window"] for r in sel])
                idle = np.array([r["idle_window"] for r in sel])
                row[pname] = {"imbalance_mean": float(imb.mean()), "imbalance_sd": float(imb.std()),
                              "idle_mean": float(idle.mean()), "seeds": len(sel)}
            table.append(row)
    out = {
        "manifest": manifest({"workers": G, "slots": B, "window": 4 * G, "requests": REQUESTS,
                              "scale_divisor": scale, "horizons": list(HORIZONS),
                              "predictions": "exact", "step_time": "SimConfig.paper",
                              "average": "each run's own steady-state window"}, seeds, wall),
        "table": table,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{STEM}.json").write_text(json.dumps(out, indent=1))
    names = [p for p, _ in policies(0)]
    print(f"{'workload':>10} {'H':>3} | " + " | ".join(f"{p + ' Imb (idle)':>24}" for p in names))
    for row in table:
        cells = []
        for p in names:
            d = row[p]
            cells.append(f"{d['imbalance_mean']:>14.0f} ({100 * d['idle_mean']:>5.1f}%)")  # type: ignore[index]
        print(f"{row['workload']:>10} {row['H']:>3} | " + " | ".join(f"{c:>24}" for c in cells))
    print(f"wrote {RESULTS / STEM}.json ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
