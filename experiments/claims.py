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

from _common import RESULTS, ROOT, parser, publish, rel, tier_dirs

from lbtheory.claims import RULE, STEMS, build_claims
from lbtheory.claims.prose import prose_blocks
from lbtheory.claims.tables import (
    claims_markdown,
    comparison_markdown,
    read_rows,
    render_blocks,
    update_readme,
)
from lbtheory.provenance import manifest


def macros(result: dict) -> dict[str, str]:
    """One verdict macro per claim (e.g. \\ClaimCFourVerdict)."""
    words = {"1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six", "7": "Seven"}
    return {f"ClaimC{words[row['id'][1]]}Verdict": row["verdict"] for row in result["rows"]}


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
    claims = build_claims(RESULTS.path, reference_dir=tier_dirs("full")["results"])
    rows = [c.to_row() for c in claims]
    inputs = [RESULTS / f"{s}.json" for s in STEMS.values() if (RESULTS / f"{s}.json").is_file()]
    sources = {p.stem: json.loads(p.read_text()).get("manifest", {}).get("git_revision") for p in inputs}
    publish("claims", {"manifest": manifest({"sources": sources, "rule": RULE}, None, inputs=inputs),
                       "rows": rows}, macros)
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
