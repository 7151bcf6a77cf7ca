"""Replay the authors' conformance runs (shared/conformance) and report agreement.

    python experiments/conformance.py [--full]

Writes results/conformance.json. Needs ../shared/conformance (skips with a message otherwise).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict

from _common import ROOT, parser, publish

from lbtheory.conformance import check_case
from lbtheory.provenance import manifest


def main() -> int:
    parser(__doc__).parse_args()  # --full: write the committed tier
    src = ROOT.parent / "shared" / "conformance"
    cases = sorted(src.glob("*.json")) if src.is_dir() else []
    if not cases:
        print(f"conformance: {src} not found; skipped")
        return 0
    t0 = time.perf_counter()
    rows = []
    print(f"{'case':18s} {'policy':11s} {'steps':>6s} {'loads':>6s} {'workers':>8s} {'max |dt| s':>11s}")
    for path in cases:
        for chk in check_case(path):
            rows.append({**asdict(chk), "exact": chk.exact})
            print(f"{chk.case:18s} {chk.policy:11s} {chk.steps_ours:6d} {'same' if chk.loads_equal else 'DIFF':>6s}"
                  f" {'same' if chk.workers_equal else 'DIFF':>8s} {chk.max_abs_time_diff_s:11.2e}")
    ok = all(r["exact"] for r in rows)
    print(f"conformance: {sum(r['exact'] for r in rows)}/{len(rows)} runs reproduced exactly")
    publish("conformance", {"manifest": manifest({"cases": [p.name for p in cases]}, None,
                                                 time.perf_counter() - t0),
                            "all_exact": ok, "rows": rows}, macros)
    return 0 if ok else 1


def macros(result: dict) -> dict[str, str]:
    """How many of the authors' runs we reproduce exactly, and the largest time difference (s)."""
    rows = result["rows"]
    return {"ConfExact": str(sum(r["exact"] for r in rows)), "ConfRuns": str(len(rows)),
            "ConfMaxTimeDiff": f"{max(r['max_abs_time_diff_s'] for r in rows):.1g}",
            "ConfTotalSteps": f"{sum(r['steps_ours'] for r in rows):,}".replace(",", "{,}")}


if __name__ == "__main__":
    sys.exit(main())
