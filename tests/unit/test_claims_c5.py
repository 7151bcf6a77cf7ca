"""C5's row from energy_map.json's ``c5`` block, under the one rule, on fabricated result dicts (with teeth).

The verdict is on the like-for-like measure (whole-run energy per token, at the evidence default r and at r = 1);
the paper's own-window measure is shown beside it and must not move the verdict. A result in the format before
issue 12 (no ``c5`` key) gives the same figures, not testable, with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lbtheory.claims import build_claims, row_verdict
from lbtheory.claims.build import C5_OLD_FORMAT, c5
from lbtheory.claims.tables import claims_markdown, readme_findings_block


def _at(saving: float, ci: float, **where: Any) -> dict[str, Any]:
    return {"saving": saving, "ci": ci, "workload": "longbench", "G": 256, "B": 72, "card": "h200", "theta": 0.6,
            **where}


def _result(default: float, r1: float, window: float, ci: float = 0.02,
            smallest: dict[str, Any] | None = None) -> dict[str, Any]:
    """A result with a ``c5`` block: both policies' largest savings at the default r, at r = 1 and on the window."""
    blk: dict[str, Any] = {"target_saving": 0.52, "default_r": 0.25, "measure": "whole_run", "cards": ["h200", "b200"]}
    for pol, h in (("bfio", {}), ("bfio_paper_best", {"H": 10})):
        blk[pol] = {"smallest_r_passing_52_like_for_like": None if smallest is None else {**smallest, **h},
                    "largest_saving_default_r_like_for_like": _at(default, ci, **h),
                    "largest_saving_default_r_paper_window": _at(window, ci, **h),
                    "largest_saving_r1_like_for_like": _at(r1, ci, **h)}
    return {"manifest": {"seed": 20260125, "config": {"seeds": [11, 12, 13, 14, 15]}}, "c5": blk, "rows": []}


def test_interval_above_52_is_reproduced_below_is_not():
    assert c5(_result(0.60, 0.70, 0.65), {}, "").verdict == "reproduced"
    assert c5(_result(0.30, 0.45, 0.40), {}, "").verdict == "not reproduced"
    # an interval that contains 52%: partly
    assert c5(_result(0.51, 0.51, 0.51, ci=0.03), {}, "").verdict == "partly"
    # passes only with waiting at full power: partly
    assert c5(_result(0.30, 0.60, 0.40), {}, "").verdict == "partly"


def test_the_papers_window_measure_is_beside_not_in_the_verdict():
    claim = c5(_result(0.30, 0.45, 0.65), {}, "")
    window = [f for f in claim.figures if f.span == "window"]
    assert len(window) == 2 and all(not f.in_verdict and f.verdict == "reproduced" for f in window)
    assert all("paper's measure" in f.name for f in window)
    assert claim.verdict == "not reproduced"  # would be "partly" if the window figures counted
    row = json.loads(json.dumps(claim.to_row()))
    assert row_verdict(row) == "not reproduced"
    assert "2 more shown beside" in row["why"]


def test_figures_read_the_block():
    claim = c5(_result(0.61, 0.72, 0.66, ci=0.013), {}, "")
    like = [f for f in claim.figures if f.in_verdict]
    assert [f.ours for f in like] == [0.61, 0.61, 0.72, 0.72]
    assert all(f.ci95 == 0.013 and f.n == 5 and f.span == "whole run" and f.paper.describe() == "> 52%" for f in like)
    names = [f.name for f in claim.figures]
    assert len(set(names)) == 6
    assert sum("BF-IO (H=0)" in n for n in names) == sum("authors' heuristic" in n for n in names) == 3
    assert sum("r = 1" in n for n in names) == 2
    assert claim.figures[1].note == "at longbench, G=256, B=72, h200, H=10"


def test_sentence_states_smallest_r_and_where_and_the_largest_saving():
    smallest = {"r": 0.4512, "ci": 0.031, "workload": "burst", "G": 1024, "B": 128, "card": "b200", "theta": 0.7}
    note = c5(_result(0.60, 0.70, 0.65, smallest=smallest), {}, "").note
    assert "BF-IO (H=0): r = 0.45 ± 0.03 at burst, G=1024, B=128, b200" in note
    assert "the authors' heuristic at its best H: r = 0.45 ± 0.03 at burst, G=1024, B=128, b200, H=10" in note
    assert "evidence default r = 0.25: BF-IO (H=0): 60.0% ± 2.0 at longbench, G=256, B=72, h200" in note
    assert "52%" in note and "cards h200, b200" in note
    none = c5(_result(0.30, 0.45, 0.40), {}, "").note
    assert none.count("none, no r ≤ 1 passes it") == 2 and "r = 0.45" not in none
    assert "30.0% ± 2.0" in none


def test_block_is_checked():
    bad = _result(0.6, 0.7, 0.65)
    bad["c5"]["measure"] = "paper_window"
    with pytest.raises(ValueError, match=r"c5\.measure"):
        c5(bad, {}, "")
    bad = _result(0.6, 0.7, 0.65)
    bad["c5"]["target_saving"] = 0.5
    with pytest.raises(ValueError, match="target_saving"):
        c5(bad, {}, "")


def test_old_format_is_not_testable_with_the_reason():
    old = {"manifest": {"seed": 20260125}, "findings": {"max": {}}, "rows": [],
           "claim": {"ours": "x", "verdict": "partly", "why": "y"}}  # the old block must not be read
    claim = c5(old, {}, "")
    assert claim.verdict == "not testable"
    assert all(f.ours is None and f.note == C5_OLD_FORMAT for f in claim.figures)
    assert C5_OLD_FORMAT in claim.note
    # the same figures as the new format, so the fast and full tiers line up figure by figure
    assert [f.name for f in claim.figures] == [f.name for f in c5(_result(0.6, 0.7, 0.65), {}, "").figures]
    assert c5(None, {}, "").figures[0].note == "not run"


def test_build_claims_reads_either_format(tmp_path: Path):
    path = tmp_path / "energy_map.json"
    path.write_text(json.dumps(_result(0.60, 0.70, 0.40)))
    row = next(c.to_row() for c in build_claims(tmp_path) if c.id == "C5")
    assert row["verdict"] == row_verdict(row) == "reproduced"
    md = claims_markdown([row])
    assert "Smallest r = P_wait/P_busy" in md and "(beside, not in the verdict)" in md
    assert "none, no r ≤ 1 passes it" in readme_findings_block([row])
    path.write_text(json.dumps({"manifest": {}, "rows": []}))
    row = next(c.to_row() for c in build_claims(tmp_path) if c.id == "C5")
    assert row["verdict"] == "not testable" and C5_OLD_FORMAT in row["note"]


def test_a_claim_with_nothing_testable_says_why():
    row = c5({"manifest": {}, "rows": []}, {}, "").to_row()
    assert row["why"] == f"4 figures: 4 not testable: {C5_OLD_FORMAT}; 2 more shown beside, not in the verdict."
    assert readme_findings_block([row]) == f"- **C5 (not testable).** no figure measured: {C5_OLD_FORMAT}."
