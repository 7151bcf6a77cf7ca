"""The BF-IO battery (issue 10): workload families × G × B × H, every balancing policy, the stated objective
beside the outcome, over seeds with 95% intervals.

Per cell (workload, G, B, H) and policy: window imbalance, whole-run energy per generated token,
throughput, TPOT and Σ_epochs Φ_H, each with the paired ratio to ``bfio_paper``; each BF-IO run also
records what the other BF-IO would have decided on the very same epochs (lbtheory.policies.objective), and
the cell's diagnosis says whether a loss of ``bfio`` is a solver or an objective fault
(lbtheory.battery.diagnose). R = 4G (the engine's default), saturated pool, exact predictions, the paper's
step-time and power constants; N = max(4,000, 10·G·B) requests per run.

Tiers: fast (default): G = 16, B ∈ {16, 72}, H ∈ {0, 20}, 3 seeds. --full: G ∈ {16, 64, 256},
B ∈ {16, 72}, H ∈ {0, 20, 140}, 5 seeds (about an hour on 2 cores). Writes results/<tier>/bfio_battery.json and
its figure.

    python experiments/bfio_battery.py [--full] [--seeds K] [--exact] [--out PATH]

``--out PATH`` writes the result there instead (and its figure beside it, PATH with .png), for scratch
runs of uncommitted variants that must not land in results/.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

from _common import FIGURES, RESULTS, cache_dir, parser

from lbtheory.battery import (
    Cell,
    cell_specs,
    diagnose,
    run_with_objective,
    summarize_cell,
    worst_cells,
)
from lbtheory.provenance import manifest, write_json
from lbtheory.runs import resolve_trace
from lbtheory.sweep import run_sweep
from lbtheory.workloads.families import FAMILIES

TRACES = ("burst", "arxiv", "longbench", "azure_conv", "azure_code")
COMPARED = ("bfio", "bfio_undiscounted", "bfio_imbalance")
"""Our BF-IO variants, each compared with ``bfio_paper``: the default, its objective undiscounted (H > 0
cells only) and the paper's objective."""


def workloads() -> list[tuple[str, str | None, str]]:
    """(cell workload name, trace path or None, note): shared traces where present, else their calibrated
    generators (labelled), plus the synthetic workload and every family."""
    out: list[tuple[str, str | None, str]] = []
    for t in TRACES:
        path = resolve_trace(t)
        out.append((f"trace:{t}", path, "shared trace") if path else (t, None, "calibrated generator"))
    out.append(("synthetic", None, "the authors' synthetic generator"))
    out += [(f, None, "battery family") for f in FAMILIES]
    return out


def grid(full: bool) -> list[tuple[Cell, str | None, str]]:
    Gs, Bs, Hs = ((16, 64, 256), (16, 72), (0, 20, 140)) if full else ((16,), (16, 72), (0, 20))
    return [(Cell(w, G, B, H, max(4000, 10 * G * B)), path, note)
            for w, path, note in workloads() for G in Gs for B in Bs for H in Hs]


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--exact", action="store_true", help="also run the exact MILP (small cells only)")
    ap.add_argument("--out", type=Path, help="write the result JSON here (figure beside it) instead of "
                    "results/<tier>/")
    args = ap.parse_args()
    n_seeds = args.seeds or (5 if args.full else 3)
    seeds = [101 + 1000 * r for r in range(n_seeds)]
    cells = grid(args.full)
    specs, keys = [], []
    for cell, path, _ in cells:
        exact = args.exact and cell.workers * cell.slots <= 256 and cell.horizon == 0
        for label, spec in cell_specs(cell, seeds, exact=exact, trace_path=path):
            specs.append(spec)
            keys.append((cell.label, label))
    t0 = time.perf_counter()
    runs = run_sweep(specs, cache_dir=cache_dir("bfio_battery"), desc="battery", fn=run_with_objective)
    per_cell: dict[str, dict[str, list[dict]]] = {}
    for (cell_label, label), r in zip(keys, runs, strict=True):
        per_cell.setdefault(cell_label, {}).setdefault(label, []).append(r)
    out_cells = []
    for cell, _, note in cells:
        summary = summarize_cell(per_cell[cell.label])
        summary |= {"cell": {"workload": cell.workload, "G": cell.workers, "B": cell.slots, "H": cell.horizon,
                             "N": cell.requests, "source": note},
                    "diagnosis": {p: diagnose(summary, p) for p in ("bfio", "bfio_imbalance")}}
        out_cells.append(summary)
    config = {"tier": "full" if args.full else "fast", "seeds": seeds, "pool": "R = 4G",
              "predictions": "exact", "profile": "paper", "cells": len(cells)}
    result = {"manifest": manifest(config, seeds, time.perf_counter() - t0), "cells": out_cells,
              "worst": {p: worst_cells(out_cells, p) for p in COMPARED}}
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, result)
        plot(out_cells, args.out.with_suffix(".png"))
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        write_json(RESULTS / "bfio_battery.json", result)
        plot(out_cells)
    for p in COMPARED:
        w = result["worst"][p]
        print(f"{p}: median ratio to bfio_paper: imbalance {w['median']['imbalance']:.3f}, energy/token "
              f"{w['median']['energy_per_token']:.3f}; cells worse by > 2%: {w['cells_worse']} of "
              f"{w['cells_compared']} ({w['cells_worse_beyond_ci']} beyond the seeds' 95% interval)")


def plot(cells: list[dict], png: Path | None = None) -> None:
    """Per lookahead H (columns) and measure (rows): every cell's paired ratio to ``bfio_paper`` for each of
    our variants (one point per cell, G by marker size, B by fill), log scale, with the 2% line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    horizons = sorted({c["cell"]["H"] for c in cells})
    fig, axes = plt.subplots(2, len(horizons), figsize=(3.4 * len(horizons), 5.6), sharey="row",
                             constrained_layout=True, squeeze=False)
    sizes = {G: 10 + 12 * i for i, G in enumerate(sorted({c["cell"]["G"] for c in cells}))}
    for col, H in enumerate(horizons):
        at_h = [c for c in cells if c["cell"]["H"] == H]
        for row, (measure, title) in enumerate((("imbalance", "window imbalance"),
                                                ("energy_per_token", "whole-run energy per token"))):
            ax = axes[row][col]
            for k, (p, color) in enumerate(zip(COMPARED, ("C0", "C2", "C1"), strict=True)):
                for c in at_h:
                    r = c["policies"].get(p)
                    if r is None:
                        continue
                    x = k + 0.6 * (zlib.crc32(c["cell"]["workload"].encode()) % 97 / 97 - 0.5)  # fixed jitter
                    filled = c["cell"]["B"] > 16
                    ax.scatter([x], [r[measure]["ratio_to_bfio_paper"][0]], s=sizes[c["cell"]["G"]],
                               facecolors=color if filled else "none", edgecolors=color, lw=0.7)
            ax.axhline(1.0, color="k", lw=0.8)
            ax.axhline(1.02, color="grey", lw=0.6, ls=":")
            ax.set_yscale("log")
            ax.set_xticks(range(len(COMPARED)), [p.replace("bfio_", "") for p in COMPARED], fontsize=7)
            ax.set_title(f"{title}, H = {H}", fontsize=8)
            if col == 0:
                ax.set_ylabel("ratio to bfio_paper (paired mean)")
    fig.text(0.01, 0.005, "one point per cell; marker size: G = 16 / 64 / 256; filled: B = 72, open: B = 16",
             fontsize=7)
    if png is not None:
        fig.savefig(png, dpi=110)
        return
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "bfio_battery.pdf")
    fig.savefig(FIGURES / "bfio_battery.png", dpi=110)


if __name__ == "__main__":
    main()
