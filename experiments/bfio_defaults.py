"""Which BF-IO defaults, measured where the claims are made: the fast solver's options in the C3 and C4
settings (experiments/_claims.py SETTINGS: BurstGPT G = 32, LongBench-v2 G = 256, B = 72, exact
predictions), at H = 0 and at the claim's H.

Variants of ``bfio``: the shipped defaults; ``age_credit=0.005`` (the admission credit for overtaken
requests, β_j = ⌊λ·o_j·C_j⌋, which the G = 16 battery favoured in-sample); ``spare_slots="empty"`` (the fill
before proportional spare slots). Beside them ``bfio_paper`` at the same H and FCFS, the baseline of every
change. Per variant: the paired change against FCFS (mean and 95% interval over seeds) of the window
imbalance, the window energy (the paper's measure) and the whole-run energy per token (the battery's).

    python experiments/bfio_defaults.py [--full] [--seeds K]

Writes results/<tier>/bfio_defaults.json (fast: 2 seeds; --full: 10, as C4).
"""

from __future__ import annotations

import time

from _claims import SETTINGS
from _common import RESULTS, cache_dir, parser, relative_changes

from lbtheory.policies import make_policy
from lbtheory.provenance import manifest, write_json
from lbtheory.runs import RunSpec, trace_or_generator
from lbtheory.sweep import run_sweep

VARIANTS: dict[str, tuple[str, tuple[tuple[str, object], ...]]] = {
    "fcfs": ("fcfs", ()),
    "bfio": ("bfio", ()),
    "bfio age_credit=0.005": ("bfio", (("age_credit", 0.005),)),
    "bfio spare_slots=empty": ("bfio", (("spare_slots", "empty"),)),
    "bfio_paper": ("bfio_paper", ()),
}
MEASURES = ("imbalance", "energy_window", "energy_per_token")


def main() -> None:
    args = parser(__doc__).parse_args()
    seeds = [11 + 1000 * r for r in range(args.seeds or (10 if args.full else 2))]
    cells = [(key, H) for key in ("c3", "c4") for H in (0, SETTINGS[key]["H"])]
    specs, labels = [], []
    for key, H in cells:
        s = SETTINGS[key]
        path, gen, _ = trace_or_generator(s["trace"])
        for label, (name, params) in VARIANTS.items():
            full_params = params if name == "fcfs" else (("horizon", H), *params)
            for seed in seeds:
                specs.append(RunSpec(workers=s["G"], slots=s["B"], pool=s["R"], policy=name,
                                     policy_params=full_params, workload=gen, trace=path, requests=s["N"],
                                     trace_order="resampled" if path else "given", seed=seed))
                labels.append((key, H, label))
    t0 = time.perf_counter()
    runs = run_sweep(specs, cache_dir=cache_dir("bfio_defaults"), desc="bfio defaults")
    per_cell: dict[tuple[str, int], dict[str, list[dict]]] = {}
    for (key, H, label), r in zip(labels, runs, strict=True):
        per_cell.setdefault((key, H), {}).setdefault(label, []).append(r)
    out = []
    for key, H in cells:
        s = SETTINGS[key]
        changes = relative_changes(per_cell[(key, H)])
        out.append({"setting": key.upper(), "trace": s["trace"], "G": s["G"], "B": s["B"], "N": s["N"], "H": H,
                    "changes_vs_fcfs": {label: {m: changes[label][m]["change_vs_fcfs"] for m in MEASURES}
                                        for label in VARIANTS if label != "fcfs"}})
    config = {"tier": "full" if args.full else "fast", "seeds": seeds, "settings": [f"{k}@H={h}" for k, h in cells],
              "variants": {label: make_policy(name, **dict(params)).describe()
                           for label, (name, params) in VARIANTS.items()},
              "predictions": "exact", "profile": "paper"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS / "bfio_defaults.json",
               {"manifest": manifest(config, seeds, time.perf_counter() - t0), "cells": out})
    for c in out:
        print(f"{c['setting']} ({c['trace']}, G={c['G']}) H={c['H']}:")
        for label, ch in c["changes_vs_fcfs"].items():
            print(f"  {label:24s} " + "  ".join(f"{m} {100 * ch[m][0]:+.1f}% ± {100 * ch[m][1]:.1f}"
                                                 for m in MEASURES))


if __name__ == "__main__":
    main()
