"""The two tiers never overwrite each other: the fast tier writes only under results/fast/."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "experiments"))

import _common  # noqa: E402


def test_fast_tier_writes_only_under_results_fast(monkeypatch):
    monkeypatch.setattr(_common, "_TIER", {"tier": "fast"})
    fast = ROOT / "results" / "fast"
    for d in (_common.RESULTS, _common.FIGURES, _common.VARIABLES):
        assert d.path.is_relative_to(fast)
    _common.parser("x").parse_args(["--full"])
    assert _common.RESULTS / "a.json" == ROOT / "results" / "full" / "a.json"
    assert _common.FIGURES.path == ROOT / "paper" / "figures"
    assert _common.VARIABLES.path == ROOT / "paper" / "variables"
    _common.parser("x").parse_args([])
    assert _common.tier() == "fast" and (_common.VARIABLES / "a.tex").is_relative_to(fast)


def test_fast_tier_is_ignored_by_git():
    text = (ROOT / ".gitignore").read_text()
    assert "/results/fast/" in text and "paper/build/" in text and "paper/*.bbl" in text
