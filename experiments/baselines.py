"""The baselines (and BF-IO where available) on each shared trace, in the paper's saturated pool.

    python experiments/baselines.py [--full] [--seeds K]

Fast tier: G=16, B=32, N=4,000 requests per replicate; full: G=32, B=72, the whole trace. Replicate r
runs a seeded random order of the trace (the trace's own order is one sample of many). Without
../shared/data each trace is replaced by its calibrated generator, and the result says so.
Writes results/baselines.json, paper/figures/baselines.pdf (+ .png) and paper/variables/baselines.tex.
"""

from __future__ import annotations

import time

import numpy as np
from _common import FIGURES, macro_name, mean_ci, parser, publish

from lbtheory.policies import policy_names
from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, execute, trace_or_generator

TRACES = ["burst", "arxiv", "longbench", "azure_conv", "azure_code"]
BASELINES = ["fcfs", "jsq_tokens", "round_robin", "random"]
METRICS = ["avg_idle_fraction", "avg_imbalance_tokens", "throughput_tok_per_s", "tpot_s", "energy_per_token_j"]


def policies() -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    out = [(p, ()) for p in BASELINES]
    if "bfio" in policy_names():
        out.append(("bfio", (("horizon", 0),)))
    return out


def main() -> None:
    args = parser(__doc__).parse_args()
    G, B = (32, 72) if args.full else (16, 32)
    n_req = None if args.full else 4000
    seeds = args.seeds or (10 if args.full else 3)
    root = np.random.SeedSequence(20260125)
    t0 = time.perf_counter()
    rows, notes = [], []
    for trace in TRACES:
        path, gen, note = trace_or_generator(trace)
        notes.append(note)
        for policy, params in policies():
            label = policy if not params else f"{policy}(H=0)"
            per_seed = []
            for child in root.spawn(seeds):
                seed = int(child.generate_state(1)[0])
                spec = RunSpec(workers=G, slots=B, policy=policy, policy_params=params,
                               workload=gen, trace=path, requests=n_req if path else (n_req or 8000),
                               trace_order="shuffled", seed=seed)
                _, summ = execute(spec)
                per_seed.append({"seed": seed, "window": summ.to_dict()["window"],
                                 "whole_run": summ.to_dict()["whole_run"]})
            agg = {}
            for span in ("window", "whole_run"):
                agg[span] = {m: mean_ci(np.array([r[span][m] for r in per_seed], float)) for m in METRICS}
            rows.append({"trace": trace, "source": "file" if path else "calibrated", "policy": label,
                         "replicates": per_seed, "mean_ci": agg})
            w = agg["window"]
            print(f"{trace:11s} {label:12s} idle {w['avg_idle_fraction'][0]:6.3f}±{w['avg_idle_fraction'][1]:.3f}"
                  f"  thr {w['throughput_tok_per_s'][0]:10.0f}  TPOT {1e3 * w['tpot_s'][0]:7.2f} ms"
                  f"  J/tok {w['energy_per_token_j'][0]:.4f}")
    for n in notes:
        print("note:", n)
    config = {"G": G, "B": B, "requests": n_req, "seeds": seeds, "traces": TRACES,
              "policies": [p for p, _ in policies()], "arrivals": "saturated", "profile": "paper",
              "root_seed": 20260125, "span_note": "means over the steady-state window unless whole_run"}
    publish("baselines", {"manifest": manifest(config, 20260125, time.perf_counter() - t0),
                          "notes": notes, "rows": rows}, macros)
    plot(rows)
    print("wrote results/baselines.json, paper/figures/baselines.pdf, paper/variables/baselines.tex")


def macros(result: dict) -> dict[str, str]:
    """Steady-state idle fraction (%) of each policy on each trace."""
    out = {}
    for r in result["rows"]:
        key = macro_name("base", r["trace"], r["policy"].replace("(H=0)", "hzero"), "idle")
        out[key] = f"{100 * r['mean_ci']['window']['avg_idle_fraction'][0]:.1f}"
    return out


def plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(r["policy"] for r in rows))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    width = 0.8 / len(labels)
    for ax, metric, title in ((axes[0], "avg_idle_fraction", "barrier idle fraction (window)"),
                              (axes[1], "energy_per_token_j", "energy per token, J (window)")):
        for j, pol in enumerate(labels):
            vals = [next(r for r in rows if r["trace"] == t and r["policy"] == pol)["mean_ci"]["window"][metric]
                    for t in TRACES]
            ax.bar(np.arange(len(TRACES)) + j * width, [v[0] for v in vals], width,
                   yerr=[v[1] for v in vals], label=pol)
        ax.set_xticks(np.arange(len(TRACES)) + 0.4 - width / 2, TRACES)
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "baselines.pdf")
    fig.savefig(FIGURES / "baselines.png", dpi=110)


if __name__ == "__main__":
    main()
