"""C7: gains grow with the number of workers (the authors' script: LongBench-v2, B = 72, H = 60, G = 16…256).

For each G, BF-IO (H = 60) and JSQ against FCFS on the same requests (paired by seed): change of throughput,
TPOT, energy (window and per token over the whole run) and the idle fractions, with 95% confidence
intervals. N grows with G (N = max(20,000, 320·G)) so every run has a steady state.

    python experiments/c7_scale.py [--full] [--seeds K]

Writes results/c7_scale.json, paper/figures/c7_scale.pdf (+.png), paper/variables/c7_scale.tex.
"""

from __future__ import annotations

import time

import numpy as np
from _common import FIGURES, ROOT, parser, publish, relative_changes

from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, trace_or_generator
from lbtheory.sweep import run_sweep

POLICIES = [("fcfs", "fcfs", ()), ("jsq_tokens", "jsq_tokens", ()), ("bfio_h60", "bfio", (("horizon", 60),))]


def main() -> None:
    args = parser(__doc__).parse_args()
    seeds = [31 + 1000 * r for r in range(args.seeds or (5 if args.full else 2))]
    Gs = [16, 32, 64, 128, 256] if args.full else [16, 32, 64, 128]
    path, gen, note = trace_or_generator("longbench")
    specs, keys = [], []
    for G in Gs:
        for label, name, params in POLICIES:
            for seed in seeds:
                specs.append(RunSpec(workers=G, slots=72, policy=name, policy_params=params, workload=gen,
                                     trace=path, requests=max(20_000, 320 * G),
                                     trace_order="resampled" if path else "given", seed=seed))
                keys.append((G, label))
    t0 = time.perf_counter()
    out = run_sweep(specs, cache_dir=ROOT / "results" / "cache" / "c7_scale", desc="C7")
    rows = {}
    print(f"{'G':>5s} {'policy':12s} {'throughput':>14s} {'TPOT':>14s} {'energy (win)':>14s} {'J/tok':>14s} {'idle':>7s}")
    for G in Gs:
        per = {label: [r for k, r in zip(keys, out, strict=True) if k == (G, label)] for label, _, _ in POLICIES}
        ch = relative_changes(per)
        rows[str(G)] = ch
        for label in per:
            c = ch[label]
            print(f"{G:5d} {label:12s} " + " ".join(f"{100 * c[m]['change_vs_fcfs'][0]:+13.1f}%"
                                                    for m in ("throughput", "tpot", "energy_window", "energy_per_token"))
                  + f" {c['idle']['mean_ci'][0]:7.3f}")
    config = {"trace": "longbench", "source": note, "B": 72, "H": 60, "G": Gs, "requests": "max(20000, 320·G)",
              "seeds": seeds, "profile": "paper"}
    publish("c7_scale", {"manifest": manifest(config, seeds, time.perf_counter() - t0), "G": Gs,
                         "changes": rows}, macros)
    plot(rows, Gs)


def macros(result: dict) -> dict[str, str]:
    """BF-IO's window-energy change vs FCFS (%) at the smallest and largest G, and whether it is monotone."""
    Gs = result["G"]
    e = [result["changes"][str(G)]["bfio_h60"]["energy_window"]["change_vs_fcfs"][0] for G in Gs]
    return {
        "CSevenEnergySmallG": f"{100 * e[0]:+.1f}", "CSevenEnergyLargeG": f"{100 * e[-1]:+.1f}",
        "CSevenSmallG": str(Gs[0]), "CSevenLargeG": str(Gs[-1]),
        "CSevenMonotone": "yes" if all(np.diff(e) <= 0) else "no",
    }


def plot(rows: dict, Gs: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    for label, _, _ in POLICIES[1:]:
        for ax, m, title in ((axes[0], "energy_window", "energy (window)"),
                             (axes[1], "throughput", "throughput (window)")):
            mu = np.array([rows[str(G)][label][m]["change_vs_fcfs"][0] for G in Gs]) * 100
            hw = np.array([rows[str(G)][label][m]["change_vs_fcfs"][1] for G in Gs]) * 100
            ax.errorbar(Gs, mu, yerr=hw, marker="o", ms=3, capsize=2, label=label)
            ax.set_title(title)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("G (workers)")
            ax.set_ylabel("change vs FCFS (%)")
            ax.axhline(0, color="grey", lw=0.5)
    axes[0].legend(fontsize=8)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "c7_scale.pdf")
    fig.savefig(FIGURES / "c7_scale.png", dpi=110)


if __name__ == "__main__":
    main()
