"""Scratch probe (issue 10): candidate BF-IO variants against ``bfio_paper`` on chosen battery cells.

Not a committed result: it writes only where ``--out`` says (default /tmp/bfio_variants.json) and prints a
table of the paired ratios (variant / ``bfio_paper``, mean over seeds with the half-width of a 95% interval)
of window imbalance and whole-run energy per token, per cell. It exists so that a change of ``bfio``'s
defaults rests on measured cells beyond the battery's G ∈ {16, 64, 256}, and so the measurement can be
rerun. Cells are those of ``experiments/bfio_battery.py`` (R = 4G, saturated pool, exact predictions,
N = max(4,000, 10·G·B)).

    python experiments/bfio_variants.py --workloads trace:arxiv,trace:longbench --G 128,256,512 --B 72 \
        --H 140 --seeds 2 --variants default,cp,cp_g07
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from _common import cache_dir

from lbtheory.battery import MEASURES, Cell, cell_specs
from lbtheory.runs import RunSpec, resolve_trace
from lbtheory.stats import mean_ci
from lbtheory.sweep import run_sweep

VARIANTS: dict[str, tuple[tuple[str, Any], ...]] = {
    "default": (),
    "cp": (("construction", "paper"),),
    "cp_g07": (("construction", "paper"), ("discount", 0.7)),
    "cp_k32": (("construction", "paper"), ("envelope_weight", 32)),
    "g07": (("discount", 0.7),),
    "restart": (("restarts", 1),),
    "budget2k": (("budget", 2000),),
    "fcfs_admit": (("admit", "fcfs"),),
}
"""Variant name -> ``bfio`` parameters beside the cell's horizon (cp: the authors' heuristic's start)."""


def _ints(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x]


def paired_ratio(runs: list[dict[str, Any]], ref: list[dict[str, Any]], measure: str) -> tuple[float, float]:
    """Mean and 95% half-width over seeds of x_variant / x_bfio_paper for one battery measure."""
    span, key = MEASURES[measure]
    x = np.array([r[span][key] for r in runs], float)
    y = np.array([r[span][key] for r in ref], float)
    m, h = mean_ci(x / y, finite_only=True)
    return float(m), float(h)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="trace:arxiv,trace:longbench,trace:burst,trace:azure_conv,"
                    "trace:azure_code")
    ap.add_argument("--G", type=_ints, default=[128, 256, 512])
    ap.add_argument("--B", type=_ints, default=[72])
    ap.add_argument("--H", type=_ints, default=[140])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--pool-factor", type=int, default=4, help="the window R = k·G (default 4, the battery's)")
    ap.add_argument("--variants", default="default,cp,cp_g07")
    ap.add_argument("--out", type=Path, default=Path("/tmp/bfio_variants.json"))
    args = ap.parse_args()
    if args.pool_factor < 1:
        raise SystemExit(f"bfio_variants: --pool-factor must be >= 1, got {args.pool_factor}")
    names = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        raise SystemExit(f"bfio_variants: --variants: unknown {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    seeds = [101 + 1000 * r for r in range(args.seeds)]
    specs: list[RunSpec] = []
    keys: list[tuple[str, str]] = []
    cells: list[Cell] = []
    for w in args.workloads.split(","):
        path = None
        if w.startswith("trace:"):
            path = resolve_trace(w.removeprefix("trace:"))
            if path is None:
                raise SystemExit(f"bfio_variants: --workloads: trace {w} is not in ../shared/data")
        for G in args.G:
            for B in args.B:
                for H in args.H:
                    cell = Cell(w, G, B, H, max(4000, 10 * G * B))
                    cells.append(cell)
                    # the battery's own bfio_paper runs of the cell (same requests per seed), at the asked window
                    ref = [replace(spec, pool=args.pool_factor * G, meta={})
                           for label, spec in cell_specs(cell, seeds, trace_path=path) if label == "bfio_paper"]
                    for spec in ref:
                        specs.append(spec)
                        keys.append((cell.label, "bfio_paper"))
                    for v in names:
                        for spec in ref:
                            specs.append(replace(spec, policy="bfio", policy_params=(("horizon", H), *VARIANTS[v])))
                            keys.append((cell.label, v))
    t0 = time.perf_counter()
    out = run_sweep(specs, cache_dir=cache_dir("bfio_variants"), desc="variants")
    per_cell: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (c, label), r in zip(keys, out, strict=True):
        per_cell.setdefault(c, {}).setdefault(label, []).append(r)
    table: dict[str, Any] = {}
    print(f"{'cell':44s} " + " ".join(f"{v + ' imb':>16s} {v + ' e/tok':>10s}" for v in names))
    for cell in cells:
        runs = per_cell[cell.label]
        table[cell.label] = {v: {m: paired_ratio(runs[v], runs["bfio_paper"], m)
                                 for m in ("imbalance", "energy_per_token")} for v in names}
        print(f"{cell.label:44s} " + " ".join(
            f"{table[cell.label][v]['imbalance'][0]:>9.3f} ±{table[cell.label][v]['imbalance'][1]:.3f} "
            f"{table[cell.label][v]['energy_per_token'][0]:>10.3f}" for v in names), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"seeds": seeds, "pool_factor": args.pool_factor, "variants": {v: dict(VARIANTS[v]) for v in names},
                                    "wall_s": time.perf_counter() - t0, "cells": table}, indent=1))
    print(f"wrote {args.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
