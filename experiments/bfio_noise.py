"""Robustness of BF-IO to output-length misprediction (claim C6): a noise sweep δ ∈ [0, 0.1].

Predictions ô_i = max(1, rint(o_i · U_i)), U_i ~ U[1 − δ, 1 + δ] (``multiplicative_noise`` with
δ₋ = δ₊ = δ), the same uniform draws for every δ of a seed (common random numbers). Settings as in the
authors' noise script: BurstGPT lengths, G = 32, B = 72, window 4G, saturated pool, paper step time.
Policies with a lookahead (H = 20): bfio and bfio_paper; references that read no prediction: bfio H = 0,
JSQ by tokens, FCFS. Metric: mean Imb(k) over each run's own steady-state window; mean ± sd over seeds.

Writes results/bfio_noise.json and paper/figures/bfio_noise.pdf. ``--fast``: one seed, three δ, fewer
requests.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import FIGURES, RESULTS, set_tier

from lbtheory.engine.simulate import simulate
from lbtheory.model import SimConfig
from lbtheory.policies.registry import make_policy
from lbtheory.provenance import manifest
from lbtheory.workloads import shared_trace_path
from lbtheory.workloads.base import Workload
from lbtheory.workloads.predictions import multiplicative_noise
from lbtheory.workloads.traces import load_json_trace

ROOT = Path(__file__).resolve().parents[1]
STEM = "bfio_noise"
G, B, H = 32, 72, 20


def window_imbalance(wl: Workload, name: str, params: dict[str, object], seed: int) -> float:
    res = simulate(wl, SimConfig.paper(G, B), make_policy(name, **params), seed=seed)
    assert int(res.steps.active.sum()) == wl.total_output_tokens
    return float(res.steps.imbalance[: res.window_steps].mean())


def plot(summary: dict[str, dict[str, list[float]]], refs: dict[str, float], deltas: list[float],
         path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    for label, marker in (("bfio", "o"), ("bfio_paper", "s")):
        d = summary[label]
        ax.errorbar(deltas, d["mean"], yerr=d["sd"], marker=marker, capsize=3,
                    label=f"{label} (H = {H})")
    styles = {"bfio H=0": ":", "jsq_tokens": "--", "fcfs": "-."}
    for label, v in refs.items():
        ax.axhline(v, color="grey", ls=styles[label], lw=1, label=f"{label} (no ô)")
    ax.set_yscale("log")
    ax.set_xlabel("misprediction δ  (ô = o·U, U ~ U[1−δ, 1+δ])")
    ax.set_ylabel("mean Imb over steady window (tokens)")
    ax.set_title(f"BurstGPT, G = {G}, B = {B}", fontsize=9)
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="one seed, three δ, fewer requests")
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    args = ap.parse_args(argv)
    set_tier("fast" if args.fast else "full")  # the default run is the committed tier
    seeds = args.seeds[:1] if args.fast else args.seeds
    deltas = [0.0, 0.05, 0.1] if args.fast else [0.0, 0.02, 0.04, 0.06, 0.08, 0.1]
    n = 6000 if args.fast else 16000
    path = shared_trace_path("burst")
    if path is None:
        raise SystemExit("the BurstGPT sample (../shared/data/burst_data_8000.json) is needed")
    full = load_json_trace(path)
    t0 = time.perf_counter()
    runs = []
    refs_runs: dict[str, list[float]] = {"bfio H=0": [], "jsq_tokens": [], "fcfs": []}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, full.n_requests, n)
        base = Workload(full.prompt_tokens[idx], full.output_tokens[idx], name="burst")
        refs_runs["bfio H=0"].append(window_imbalance(base, "bfio", {"horizon": 0}, seed))
        refs_runs["jsq_tokens"].append(window_imbalance(base, "jsq_tokens", {}, seed))
        refs_runs["fcfs"].append(window_imbalance(base, "fcfs", {}, seed))
        for delta in deltas:
            noise_rng = np.random.default_rng([seed, 99])  # the same U_i for every δ
            pred = multiplicative_noise(base.output_tokens, noise_rng, delta, delta)
            wl = base.with_predictions(pred)
            for name in ("bfio", "bfio_paper"):
                runs.append({"seed": seed, "delta": delta, "policy": name, "H": H,
                             "imbalance_window": window_imbalance(wl, name, {"horizon": H}, seed)})
        print(f"seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    wall = time.perf_counter() - t0
    summary: dict[str, dict[str, list[float]]] = {}
    for name in ("bfio", "bfio_paper"):
        vals = [[r["imbalance_window"] for r in runs if r["policy"] == name and r["delta"] == d]
                for d in deltas]
        summary[name] = {"mean": [float(np.mean(v)) for v in vals],
                         "sd": [float(np.std(v)) for v in vals]}
    refs = {k: float(np.mean(v)) for k, v in refs_runs.items()}
    fig_path = FIGURES / f"{STEM}.pdf"
    plot(summary, refs, deltas, fig_path)
    out = {
        "manifest": manifest({"workers": G, "slots": B, "window": 4 * G, "horizon": H, "requests": n,
                              "trace": "burst_data_8000.json (resampled)", "deltas": deltas,
                              "noise": "multiplicative_noise(o, rng, δ, δ), common random numbers",
                              "average": "each run's own steady-state window"}, seeds, wall),
        "deltas": deltas,
        "summary": summary,
        "references": refs,
        "references_runs": refs_runs,
        "runs": runs,
        "figure": str(fig_path.relative_to(ROOT)),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{STEM}.json").write_text(json.dumps(out, indent=1))
    print(f"{'δ':>6} | {'bfio H=20 Imb':>16} | {'bfio_paper H=20 Imb':>20}")
    for i, d in enumerate(deltas):
        print(f"{d:>6.2f} | {summary['bfio']['mean'][i]:>10.0f} ±{summary['bfio']['sd'][i]:>5.0f} | "
              f"{summary['bfio_paper']['mean'][i]:>13.0f} ±{summary['bfio_paper']['sd'][i]:>5.0f}")
    print("references (no prediction): " + ", ".join(f"{k} {v:.0f}" for k, v in refs.items()))
    print(f"wrote {RESULTS / STEM}.json and {fig_path.relative_to(ROOT)} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
