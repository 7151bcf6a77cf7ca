"""C6: longer lookahead helps up to a point; BF-IO is robust to output-length misprediction.

Two sweeps, as in the authors' scripts: (a) the horizon H ∈ 0…200 on BurstGPT lengths with G = 16, B = 72;
(b) multiplicative misprediction ô = round(o·U[1−δ, 1+δ]) with δ ∈ [0, 0.1] at G = 32, B = 72, H = 20.
Both BF-IO implementations run: ours (``bfio``, the stated integer program solved near-optimally) and the
authors' heuristic (``bfio_paper``). Each point reports the change vs FCFS on the same requests (paired by seed) of the steady-state imbalance,
throughput and energy, with 95% confidence intervals.

    python experiments/c6_lookahead.py [--full] [--seeds K]

Writes results/c6_lookahead.json, paper/figures/c6_lookahead.pdf (+.png), paper/variables/c6_lookahead.tex.
"""

from __future__ import annotations

import time

import numpy as np
from _common import FIGURES, ROOT, macro_name, parser, publish, relative_changes

from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, trace_or_generator
from lbtheory.sweep import run_sweep

POLICIES = ("bfio", "bfio_paper")


def main() -> None:
    args = parser(__doc__).parse_args()
    seeds = [21 + 1000 * r for r in range(args.seeds or (5 if args.full else 3))]
    horizons = [0, 5, 10, 20, 40, 80, 140, 200] if args.full else [0, 10, 20, 60, 140]
    deltas = [0.0, 0.02, 0.05, 0.075, 0.1] if args.full else [0.0, 0.05, 0.1]
    n_req = 50_000 if args.full else 20_000
    path, gen, note = trace_or_generator("burst")
    base = {"workload": gen, "trace": path, "requests": n_req, "slots": 72,
            "trace_order": "resampled" if path else "given"}
    specs, keys = [], []
    for G, sweep, values in ((16, "horizon", horizons), (32, "delta", deltas)):
        for seed in seeds:
            specs.append(RunSpec(workers=G, policy="fcfs", seed=seed, **base))
            keys.append((sweep, "fcfs", None))
            for policy in POLICIES:
                for v in values:
                    if sweep == "horizon":
                        specs.append(RunSpec(workers=G, policy=policy, policy_params=(("horizon", v),),
                                             seed=seed, **base))
                    else:
                        specs.append(RunSpec(workers=G, policy=policy, policy_params=(("horizon", 20),),
                                             seed=seed, predictions="noisy" if v > 0 else "exact",
                                             noise_delta=v, **base))
                    keys.append((sweep, policy, v))
    t0 = time.perf_counter()
    out = run_sweep(specs, cache_dir=ROOT / "results" / "cache" / "c6_lookahead", desc="C6")
    result: dict = {}
    for sweep, values in (("horizon", horizons), ("delta", deltas)):
        result[sweep] = {"values": values, "changes": {}}
        print(f"\n{sweep} sweep (change vs FCFS on the same requests, steady-state window)")
        print(f"{'policy':11s} {sweep:>8s} {'imbalance':>16s} {'throughput':>16s} {'energy':>16s}")
        for policy in POLICIES:
            per = {"fcfs": [r for k, r in zip(keys, out, strict=True) if k == (sweep, "fcfs", None)]}
            for v in values:
                per[str(v)] = [r for k, r in zip(keys, out, strict=True) if k == (sweep, policy, v)]
            ch = relative_changes(per)
            result[sweep]["changes"][policy] = {k: v for k, v in ch.items() if k != "fcfs"}
            for v in values:
                c = ch[str(v)]
                print(f"{policy:11s} {v:8} " + " ".join(
                    f"{100 * c[m]['change_vs_fcfs'][0]:+10.1f}±{100 * c[m]['change_vs_fcfs'][1]:4.1f}%"
                    for m in ("imbalance", "throughput", "energy_window")))
    config = {"trace": "burst", "source": note, "requests": n_req, "B": 72, "horizon_sweep": {"G": 16, "H": horizons},
              "delta_sweep": {"G": 32, "H": 20, "delta": deltas}, "seeds": seeds, "profile": "paper"}
    publish("c6_lookahead", {"manifest": manifest(config, seeds, time.perf_counter() - t0), **result}, macros)
    plot(result)


def macros(result: dict) -> dict[str, str]:
    """Per policy: the best horizon, imbalance change at H = 0 and at the best H, energy change at δ = 0
    and at the largest δ (%)."""
    out = {}
    horizons, deltas = result["horizon"]["values"], result["delta"]["values"]
    for policy in POLICIES:
        hz, dz = result["horizon"]["changes"][policy], result["delta"]["changes"][policy]
        best_h = min(horizons, key=lambda h: hz[str(h)]["imbalance"]["change_vs_fcfs"][0])
        tag = macro_name("c6", policy)
        out |= {
            f"{tag}BestHorizon": str(best_h),
            f"{tag}ImbalanceHZero": f"{100 * hz[str(horizons[0])]['imbalance']['change_vs_fcfs'][0]:+.1f}",
            f"{tag}ImbalanceBestH": f"{100 * hz[str(best_h)]['imbalance']['change_vs_fcfs'][0]:+.1f}",
            f"{tag}EnergyDeltaZero": f"{100 * dz[str(deltas[0])]['energy_window']['change_vs_fcfs'][0]:+.1f}",
            f"{tag}EnergyDeltaMax": f"{100 * dz[str(deltas[-1])]['energy_window']['change_vs_fcfs'][0]:+.1f}",
        }
    return out


def plot(result: dict) -> None:
    """Top: BF-IO's residual imbalance as a share of FCFS's; bottom: throughput and energy change."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex="col", constrained_layout=True)
    for col, sweep, xlabel in ((0, "horizon", "lookahead H (steps), G=16"),
                               (1, "delta", "misprediction δ, G=32, H=20")):
        vals = result[sweep]["values"]
        for policy, ls in zip(POLICIES, ("-", "--"), strict=True):
            ch = result[sweep]["changes"][policy]
            rows = (("imbalance", 0, "C0", True), ("throughput", 1, "C1", False), ("energy_window", 1, "C2", False))
            for m, row, color, residual in rows:
                mu = np.array([ch[str(v)][m]["change_vs_fcfs"][0] for v in vals]) * 100
                hw = np.array([ch[str(v)][m]["change_vs_fcfs"][1] for v in vals]) * 100
                axes[row, col].errorbar(vals, 100 + mu if residual else mu, yerr=hw, marker="o", ms=3, capsize=2,
                                        ls=ls, color=color, label=f"{policy}: {m.replace('_window', '')}")
        axes[0, col].set_ylabel("BF-IO imbalance, % of FCFS's")
        axes[1, col].set_ylabel("change vs FCFS (%)")
        axes[1, col].axhline(0, color="grey", lw=0.5)
        axes[1, col].set_xlabel(xlabel)
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "c6_lookahead.pdf")
    fig.savefig(FIGURES / "c6_lookahead.png", dpi=110)


if __name__ == "__main__":
    main()
