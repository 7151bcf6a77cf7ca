"""The claims table: every figure each claim of the paper states, ours beside it, one verdict rule.

Reads the result files of the claim experiments in the tier's results directory (it reruns nothing) and
writes ``claims.json`` (rows: id, verdict, rule, figures[name, span, ours, ci95, paper, reference,
verdict]), ``claims.md`` and the verdict macros. The claims, their figures and the rule are data in
:mod:`lbtheory.claims`. ``--readme`` (full tier) rewrites the README's generated blocks (the claims table and findings, and the prose
with numbers of :mod:`lbtheory.claims.prose`); ``--compare``
prints each figure of the fast tier beside the committed full tier's and whether they agree within their
intervals (what ``make reproduce`` ends with).

    python experiments/claims.py [--full] [--readme] [--compare]
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from _common import RESULTS, ROOT, macro_name, parser, publish, rel, tier_dirs

from lbtheory.claims import PAPER, RULE, STEMS, build_claims, reference_by_claim
from lbtheory.claims.prose import prose_blocks
from lbtheory.claims.tables import (
    claims_markdown,
    comparison_markdown,
    read_rows,
    render_blocks,
    update_readme,
)
from lbtheory.provenance import manifest

WORDS = {"1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six", "7": "Seven"}
REFERENCE_MACROS = {"C3": ("throughput", "tpot", "energy_window", "energy_per_token", "fcfs_idle", "bfio_idle"),
                    "C4": ("throughput", "tpot", "energy_window", "energy_per_token", "fcfs_idle", "bfio_idle"),
                    "C1": ("fcfs_idle_c3_setting", "fcfs_idle_c4_setting")}
"""The reference-run figures the report quotes (a macro each, "n/a" where the reference has none)."""


def _tex_pct(x: float | None, signed: bool, decimals: int = 1) -> str:
    return "n/a" if x is None else f"${100 * x:{'+' if signed else ''}.{decimals}f}\\%$"


def macros(result: dict) -> dict[str, str]:
    """One verdict macro per claim (e.g. \\ClaimCFourVerdict); the paper's printed figures of C3 and C4
    (\\PaperCThreeThroughput, as printed); the reference run's figures (\\RefCThreeThroughput, idle shares
    unsigned) and their source (\\RefCThreeSource)."""
    out = {f"ClaimC{WORDS[row['id'][1]]}Verdict": row["verdict"] for row in result["rows"]}
    for cid, figs in result.get("paper", {}).items():
        for m, f in figs.items():
            out[f"PaperC{WORDS[cid[1]]}{macro_name(m)}"] = _tex_pct(f["value"], True, f["decimals"])
    for cid, keys in REFERENCE_MACROS.items():
        ref = result.get("reference", {}).get(cid, {"figures": {}, "source": ""})
        for k in keys:
            out[f"RefC{WORDS[cid[1]]}{macro_name(k)}"] = _tex_pct(ref["figures"].get(k), "idle" not in k)
        out[f"RefC{WORDS[cid[1]]}Source"] = (f"the authors' simulator at commit {ref['commit'][:7]}, "
                                             f"{ref['seeds']} seeds" if ref.get("commit") else
                                             "figures quoted earlier, commit and command not recorded")
    return out


def run_of(full: Path, source: str) -> dict:
    """The authors' commit and the number of seeds behind a reference source (None for quoted figures)."""
    path = full / "reference_runs.json"
    if not source.startswith(rel(path)) or not path.is_file():
        return {"commit": None, "seeds": None}
    d = json.loads(path.read_text())
    return {"commit": d["reference"]["commit"], "seeds": len(d["manifest"]["seed"])}


def paper_figures() -> dict[str, dict[str, dict]]:
    """The paper's point figures of C3 and C4 (fractions) and the decimals it prints them with."""
    return {cid: {m: {"value": f.value, "decimals": round(-math.log10(200 * f.precision))}
                  for m, f in PAPER[cid].items() if f.relation == "=" and f.precision > 0 and "(" not in f.text}
            for cid in ("C3", "C4")}


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--readme", action="store_true", help="rewrite README.md's generated blocks from results/full")
    ap.add_argument("--compare", action="store_true",
                    help="only print the fast tier's figures beside the committed full tier's")
    args = ap.parse_args()
    if args.compare:
        fast, full = (read_rows(tier_dirs(t)["results"] / "claims.json") for t in ("fast", "full"))
        print(comparison_markdown(fast, full))
        return
    full = tier_dirs("full")["results"]
    claims = build_claims(RESULTS.path, reference_dir=full)
    refs = {cid: {"figures": figs, "source": src} | run_of(full, src) for cid, (figs, src) in
            reference_by_claim(full).items()}
    rows = [c.to_row() for c in claims]
    inputs = [RESULTS / f"{s}.json" for s in STEMS.values() if (RESULTS / f"{s}.json").is_file()]
    inputs += [p for p in [full / "reference_runs.json"] if p.is_file()]
    sources = {p.stem: json.loads(p.read_text()).get("manifest", {}).get("git_revision") for p in inputs}
    publish("claims", {"manifest": manifest({"sources": sources, "rule": RULE}, None, inputs=inputs),
                       "rows": rows, "paper": paper_figures(), "reference": refs}, macros)
    md = claims_markdown(rows)
    (RESULTS / "claims.md").write_text(md)
    print(md)
    print(f"wrote {rel(RESULTS / 'claims.json')} and {rel(RESULTS / 'claims.md')}")
    if args.readme:
        if not args.full:
            raise SystemExit("claims.py: --readme needs --full (the README reads the committed full tier only)")
        readme = ROOT / "README.md"
        blocks = render_blocks(rows) | prose_blocks(RESULTS.path)
        readme.write_text(update_readme(readme.read_text(), blocks))
        print("rewrote README.md's generated blocks")


if __name__ == "__main__":
    main()
