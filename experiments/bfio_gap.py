"""Optimality gap of the fast BF-IO solver against the exact MILP on thousands of small random epochs.

Each epoch: G ∈ {2..6} workers with B ∈ {2..4} slots; each worker runs a random number of requests drawn
from the BurstGPT sample (s_i, o_i), each part-way through (a_i uniform in 0..o_i−1, so w_i = s_i + a_i and
r_i = o_i − a_i with exact predictions); the window holds n ∈ {1..4G} further requests; H ∈ {0, 5, 20}.
For every epoch: Φ* (HiGHS, proven optimal; epochs it cannot prove within ``--time-limit`` seconds are
listed and left out), Φ_fast, and for context Φ of JSQ by tokens restricted to the
same slots (requests in window order to the least-loaded worker with a free slot). Gap = (Φ_fast − Φ*)/Φ*
over the epochs with Φ* > 0 (Φ* = 0 epochs count as optimal iff Φ_fast = 0).

Writes results/bfio_gap.json. ``--fast`` runs 300 epochs instead of 3,000.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, set_tier

from lbtheory.policies.bfio import (
    BFIOConfig,
    EpochProblem,
    check_assignment,
    predicted_imbalance,
    solve_exact,
    solve_fast,
)
from lbtheory.provenance import manifest
from lbtheory.workloads import shared_trace_path
from lbtheory.workloads.traces import load_json_trace

ROOT = Path(__file__).resolve().parents[1]
STEM = "bfio_gap"


def jsq_assignment(P: EpochProblem) -> np.ndarray:
    """JSQ by tokens on the same slots: window order, least L̂_g(k) with a free slot (ties: lowest g)."""
    load = P.base[:, 0].copy()
    free = P.free.copy()
    a = np.full(P.window, -1, np.int64)
    for j in range(P.admit_count):
        cand = np.flatnonzero(free > 0)
        g = int(cand[np.argmin(load[cand])])
        a[j] = g
        load[g] += P.prompt[j]
        free[g] -= 1
    return a


def random_epoch(rng: np.random.Generator, s: np.ndarray, o: np.ndarray, H: int) -> EpochProblem:
    G = int(rng.integers(2, 7))
    B = int(rng.integers(2, 5))
    counts = rng.integers(0, B + 1, G)
    if counts.sum() == G * B:
        counts[int(rng.integers(0, G))] -= 1
    k = int(counts.sum())
    idx = rng.integers(0, s.size, k)
    a = (rng.random(k) * o[idx]).astype(np.int64)
    worker = np.repeat(np.arange(G), counts)
    w = s[idx] + a
    r = o[idx] - a
    loads = np.bincount(worker, weights=w, minlength=G).astype(np.int64)
    n = int(rng.integers(1, 4 * G + 1))
    win = rng.integers(0, s.size, n)
    return EpochProblem.from_arrays(
        loads=loads, free=B - counts, prompt=s[win], predicted=o[win] if H else None, horizon=H,
        active_worker=worker, active_workload=w, active_remaining=r,
    )


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    """Relative gaps (Φ* > 0 only), absolute gaps, and the share of JSQ's excess over Φ* that the fast
    solver leaves, (Φ_fast − Φ*)/(Φ_jsq − Φ*) over the epochs with Φ_jsq > Φ*."""
    gaps = np.array([r["gap"] for r in rows if r["phi_opt"] > 0])
    jgaps = np.array([r["jsq_gap"] for r in rows if r["phi_opt"] > 0])
    absgap = np.array([r["phi_fast"] - r["phi_opt"] for r in rows])
    left = np.array([(r["phi_fast"] - r["phi_opt"]) / (r["phi_jsq"] - r["phi_opt"])
                     for r in rows if r["phi_jsq"] > r["phi_opt"]])
    return {
        "abs_gap_median": float(np.median(absgap)),
        "abs_gap_worst": float(np.max(absgap)),
        "worse_than_jsq": int(sum(r["phi_fast"] > r["phi_jsq"] for r in rows)),
        "share_of_jsq_excess_left_median": float(np.median(left)) if left.size else 0.0,
        "share_of_jsq_excess_left_p99": float(np.percentile(left, 99)) if left.size else 0.0,
        "epochs": len(rows),
        "optimal_fraction": float(np.mean([r["phi_fast"] == r["phi_opt"] for r in rows])),
        "gap_median": float(np.median(gaps)) if gaps.size else 0.0,
        "gap_mean": float(np.mean(gaps)) if gaps.size else 0.0,
        "gap_p99": float(np.percentile(gaps, 99)) if gaps.size else 0.0,
        "gap_worst": float(np.max(gaps)) if gaps.size else 0.0,
        "jsq_gap_median": float(np.median(jgaps)) if jgaps.size else 0.0,
        "jsq_gap_worst": float(np.max(jgaps)) if jgaps.size else 0.0,
        "exact_s_median": float(np.median([r["exact_s"] for r in rows])),
        "fast_s_median": float(np.median([r["fast_s"] for r in rows])),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="300 epochs instead of 3,000")
    ap.add_argument("--seed", type=int, default=20260125)
    ap.add_argument("--time-limit", type=float, default=20.0, help="HiGHS limit per epoch (s)")
    args = ap.parse_args(argv)
    set_tier("fast" if args.fast else "full")  # the default run is the committed tier
    n_epochs = 300 if args.fast else 3000
    path = shared_trace_path("burst")
    if path is None:
        raise SystemExit("the BurstGPT sample (../shared/data/burst_data_8000.json) is needed")
    wl = load_json_trace(path)
    s, o = wl.prompt_tokens, wl.output_tokens
    rng = np.random.default_rng(args.seed)
    horizons = (0, 5, 20)
    rows: dict[int, list[dict[str, float]]] = {H: [] for H in horizons}
    unsolved: list[dict[str, int]] = []
    t0 = time.perf_counter()
    solve_fast(random_epoch(np.random.default_rng(0), s, o, 5))  # compile outside the timings
    for e in range(n_epochs):
        if e and e % 500 == 0:
            print(f"{e} epochs ({time.perf_counter() - t0:.0f} s)", flush=True)
        H = horizons[e % len(horizons)]
        P = random_epoch(rng, s, o, H)
        t1 = time.perf_counter()
        try:
            ex = solve_exact(P, time_limit_s=args.time_limit)
        except RuntimeError:  # optimality not proved in time: counted, not scored
            unsolved.append({"epoch": e, "H": H, "G": P.workers, "n": P.window, "m": P.admit_count})
            continue
        t2 = time.perf_counter()
        fa = solve_fast(P, BFIOConfig(objective="imbalance"))
        t3 = time.perf_counter()
        check_assignment(P, ex)
        check_assignment(P, fa)
        opt, fast, jsq = (predicted_imbalance(P, x) for x in (ex, fa, jsq_assignment(P)))
        if fast < opt:
            raise AssertionError(f"epoch {e}: fast {fast} beats the proven optimum {opt}")
        rows[H].append({
            "G": P.workers, "n": P.window, "m": P.admit_count, "phi_opt": opt, "phi_fast": fast,
            "phi_jsq": jsq, "gap": (fast - opt) / opt if opt else 0.0,
            "jsq_gap": (jsq - opt) / opt if opt else 0.0, "exact_s": t2 - t1, "fast_s": t3 - t2,
        })
    wall = time.perf_counter() - t0
    summary = {str(H): summarise(rows[H]) for H in horizons}
    summary["all"] = summarise([r for H in horizons for r in rows[H]])
    out = {
        "manifest": manifest({"epochs": n_epochs, "workers": [2, 6], "slots": [2, 4], "window": "1..4G",
                              "horizons": list(horizons), "trace": "burst_data_8000.json",
                              "predictions": "exact", "solver_defaults": "BFIOConfig(objective='imbalance')",
                              "exact_time_limit_s": args.time_limit},
                             [args.seed], wall),
        "summary": summary,
        "unsolved": unsolved,
        "epochs": {str(H): rows[H] for H in horizons},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{STEM}.json").write_text(json.dumps(out, indent=1))
    print(f"{'H':>4} {'epochs':>7} {'optimal':>8} {'gap med':>9} {'gap p99':>9} {'gap worst':>10} "
          f"{'JSQ med':>9} {'exact ms':>9} {'fast ms':>8}")
    for key, v in summary.items():
        print(f"{key:>4} {v['epochs']:>7} {v['optimal_fraction']:>8.3f} {v['gap_median']:>9.4f} "
              f"{v['gap_p99']:>9.4f} {v['gap_worst']:>10.4f} {v['jsq_gap_median']:>9.4f} "
              f"{1e3 * v['exact_s_median']:>9.2f} {1e3 * v['fast_s_median']:>8.3f}")
    print(f"{'H':>4} {'abs gap med':>11} {'abs worst':>10} {'worse than JSQ':>15} "
          f"{'JSQ excess left med/p99':>24}")
    for key, v in summary.items():
        print(f"{key:>4} {v['abs_gap_median']:>11.0f} {v['abs_gap_worst']:>10.0f} "
              f"{v['worse_than_jsq']:>15} {v['share_of_jsq_excess_left_median']:>11.3f} / "
              f"{v['share_of_jsq_excess_left_p99']:>10.3f}")
    print(f"{len(unsolved)} epochs where HiGHS did not prove optimality in {args.time_limit} s "
          "(left out)")
    print(f"wrote {RESULTS / STEM}.json ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
