"""C1: how much of each decode step is barrier idle, on the public traces?

The paper's C1 ("barrier idle exceeds 40% of compute time per decode step in production") rests on a
proprietary trace. We measure the idle fraction ι = Imb/(G·max L) that the load-blind and greedy policies
leave on the public traces, over a grid of G and B, in the paper's saturated pool, and mark where it exceeds
40%. Means over the steady-state window and over the whole run are both reported.

    python experiments/c1_idle.py [--full] [--seeds K]

Writes results/c1_idle.json, paper/figures/c1_idle.pdf (+.png), paper/variables/c1_idle.tex.
"""

from __future__ import annotations

import time

import numpy as np
from _common import FIGURES, ROOT, macro_name, mean_ci, parser, publish

from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, trace_or_generator
from lbtheory.sweep import run_sweep

TRACES = ["burst", "arxiv", "longbench", "azure_conv", "azure_code"]
POLICIES = ["fcfs", "jsq_tokens", "round_robin", "random"]
THRESHOLD = 0.40


def main() -> None:
    args = parser(__doc__).parse_args()
    Gs = [8, 32, 128, 256] if args.full else [8, 32, 128]
    Bs = [16, 72] if not args.full else [8, 16, 32, 72, 128]
    seeds = args.seeds or (5 if args.full else 2)
    per_slot = 50 if args.full else 20  # N = per_slot·G·B requests, so the ramp-up is a small share of the run

    def n_req(G: int, B: int) -> int:
        return max(10_000, per_slot * G * B)

    t0 = time.perf_counter()
    sources = {t: trace_or_generator(t) for t in TRACES}
    specs, keys = [], []
    for trace in TRACES:
        path, gen, _ = sources[trace]
        for G in Gs:
            for B in Bs:
                for policy in POLICIES:
                    for r in range(seeds):
                        specs.append(RunSpec(workers=G, slots=B, policy=policy, workload=gen, trace=path,
                                             requests=n_req(G, B), trace_order="resampled" if path else "given",
                                             seed=1000 * r + 7, record_worker_loads=False))
                        keys.append((trace, G, B, policy))
    out = run_sweep(specs, cache_dir=ROOT / "results" / "cache" / "c1_idle", desc="C1")
    groups: dict[tuple, list[dict]] = {}
    for k, res in zip(keys, out, strict=True):
        groups.setdefault(k, []).append(res)
    rows = []
    for (trace, G, B, policy), res in groups.items():
        win = mean_ci(np.array([r["window"]["avg_idle_fraction"] for r in res], float))
        whole = mean_ci(np.array([r["whole_run"]["avg_idle_fraction"] for r in res], float))
        rows.append({"trace": trace, "G": G, "B": B, "policy": policy, "idle_window": win,
                     "idle_whole_run": whole, "exceeds_40pct_window": win[0] > THRESHOLD})
    print(f"{'trace':11s} {'G':>4s} {'B':>4s} " + " ".join(f"{p:>12s}" for p in POLICIES)
          + "   (steady-state idle fraction; * > 40%)")
    for trace in TRACES:
        for G in Gs:
            for B in Bs:
                cells = []
                for p in POLICIES:
                    r = next(x for x in rows if (x["trace"], x["G"], x["B"], x["policy"]) == (trace, G, B, p))
                    cells.append(f"{r['idle_window'][0]:11.3f}{'*' if r['exceeds_40pct_window'] else ' '}")
                print(f"{trace:11s} {G:4d} {B:4d} " + " ".join(cells))
    fcfs = [r for r in rows if r["policy"] == "fcfs"]
    above = [r for r in fcfs if r["exceeds_40pct_window"]]
    summary = {
        "fcfs_settings": len(fcfs),
        "fcfs_settings_above_40pct": len(above),
        "fcfs_max_idle": max(r["idle_window"][0] for r in fcfs),
        "fcfs_max_idle_setting": max(fcfs, key=lambda r: r["idle_window"][0]),
        "traces_with_any_setting_above_40pct": sorted({r["trace"] for r in above}),
    }
    print(f"FCFS exceeds 40% idle in {len(above)}/{len(fcfs)} settings "
          f"(traces: {', '.join(summary['traces_with_any_setting_above_40pct']) or 'none'}); "
          f"max {summary['fcfs_max_idle']:.3f}")
    config = {"traces": TRACES, "G": Gs, "B": Bs, "policies": POLICIES, "requests": f"max(10000, {per_slot}·G·B)", "seeds": seeds,
              "pool": "4G", "arrivals": "saturated", "profile": "paper",
              "sources": {t: s[2] for t, s in sources.items()}}
    publish("c1_idle", {"manifest": manifest(config, [1000 * r + 7 for r in range(seeds)],
                                             time.perf_counter() - t0),
                        "summary": summary, "rows": rows}, macros)
    plot(rows, Gs, Bs)


def macros(result: dict) -> dict[str, str]:
    """How many FCFS settings exceed 40% idle, and the largest idle fraction (%) per trace."""
    fcfs = [r for r in result["rows"] if r["policy"] == "fcfs"]
    s = result["summary"]
    out = {"COneFcfsAbove": str(s["fcfs_settings_above_40pct"]), "COneFcfsSettings": str(s["fcfs_settings"]),
           "COneFcfsMaxIdle": f"{100 * s['fcfs_max_idle']:.1f}"}
    for t in TRACES:
        out[macro_name("c1", t, "max", "idle")] = f"{100 * max(r['idle_window'][0] for r in fcfs if r['trace'] == t):.1f}"
    return out


def plot(rows: list[dict], Gs: list[int], Bs: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(TRACES), figsize=(3.2 * len(TRACES), 3.2), sharey=True,
                             constrained_layout=True)
    for ax, trace in zip(axes, TRACES, strict=True):
        for B, ls in zip(Bs, ["-", "--", ":", "-.", (0, (1, 3))], strict=False):
            for p, color in zip(POLICIES, ["C0", "C1", "C2", "C3"], strict=True):
                ys = [next(r for r in rows if (r["trace"], r["G"], r["B"], r["policy"]) == (trace, G, B, p))
                      ["idle_window"][0] for G in Gs]
                ax.plot(Gs, ys, ls=ls, color=color, marker="o", ms=3,
                        label=f"{p} B={B}" if trace == TRACES[0] else None)
        ax.axhline(THRESHOLD, color="k", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_title(trace)
        ax.set_xlabel("G (workers)")
    axes[0].set_ylabel("barrier idle fraction (window)")
    fig.legend(loc="outside right", fontsize=7)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "c1_idle.pdf")
    fig.savefig(FIGURES / "c1_idle.png", dpi=110)


if __name__ == "__main__":
    main()
