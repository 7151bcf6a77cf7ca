"""Nothing a reader sees is typed by hand: the README's generated blocks and results/full/claims.json must
match what lbtheory.claims builds from results/full now (rerun `make readme` when this fails)."""

from __future__ import annotations

import json
from pathlib import Path

from lbtheory.claims import build_claims
from lbtheory.claims.prose import prose_blocks
from lbtheory.claims.tables import render_blocks, stale_blocks, update_readme

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "results" / "full"


def _rows() -> list[dict]:
    return json.loads(json.dumps([c.to_row() for c in build_claims(FULL)]))


def test_readme_blocks_are_current():
    text = (ROOT / "README.md").read_text()
    blocks = render_blocks(_rows()) | prose_blocks(FULL)
    assert stale_blocks(text, blocks) == [], "README.md's generated blocks are stale: run `make readme`"


def test_claims_json_is_current():
    stored = json.loads((FULL / "claims.json").read_text())["rows"]
    assert stored == _rows(), "results/full/claims.json is stale: run `make readme`"


def test_stale_block_is_detected():
    blocks = render_blocks(_rows())
    text = "a\n<!-- BEGIN GENERATED: claims -->\nold\n<!-- END GENERATED: claims -->\nb\n"
    assert stale_blocks(text, blocks) == ["claims", "findings"]  # one stale, one missing
    fresh = update_readme(text, blocks)
    assert stale_blocks(fresh, {"claims": blocks["claims"]}) == []
    assert fresh.startswith("a\n") and fresh.endswith("\nb\n")
    # a changed figure makes the block stale
    rows = _rows()
    rows[2]["figures"][0]["ours"] = -rows[2]["figures"][0]["ours"]
    assert "findings" in stale_blocks(update_readme(fresh + "<!-- BEGIN GENERATED: findings -->\nx\n"
                                                  "<!-- END GENERATED: findings -->\n", blocks), render_blocks(rows))
