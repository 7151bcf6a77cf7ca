"""The verdict rule of the claims table: sign-aware, interval-aware, one rule for every figure (with teeth)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lbtheory.claims import (
    Claim,
    Figure,
    PaperFigure,
    build_claims,
    claim_verdict,
    figure_verdict,
    intervals_agree,
    row_verdict,
)
from lbtheory.claims.build import c3, c7

P14 = PaperFigure.printed(0.14, 0)  # "+14%": the interval [13.5%, 14.5%]


def test_printed_precision_is_half_the_last_digit():
    assert P14.precision == pytest.approx(0.005)
    assert PaperFigure.printed(-0.033, 1).precision == pytest.approx(0.0005)


@pytest.mark.parametrize(("ours", "ci", "expected"), [
    (0.14, 0.01, "reproduced"),          # interval meets the paper's figure, right side of zero
    (0.152, 0.005, "partly"),            # [14.7%, 15.7%] just misses [13.5%, 14.5%]
    (0.181, 0.011, "partly"),            # +18.1% ± 1.1 excludes +14%: right sign, wrong size
    (-0.14, 0.01, "not reproduced"),     # flipped sign
    (0.02, 0.05, "not reproduced"),      # contains zero, misses the figure
    (0.10, 0.12, "partly"),              # contains zero and the figure: consistent but not established
    (None, None, "not testable"),
])
def test_point_figure(ours, ci, expected):
    assert figure_verdict(ours, ci, P14) == expected


def test_flipped_sign_and_excluding_interval_change_the_verdict():
    neg = PaperFigure.printed(-0.033, 1)
    assert figure_verdict(-0.033, 0.004, neg) == "reproduced"
    assert figure_verdict(+0.033, 0.004, neg) == "not reproduced"  # sign flipped
    assert figure_verdict(-0.050, 0.004, neg) == "partly"          # interval excludes the paper's figure
    # the old "within 5 points" rule would call all of these reproduced:
    assert figure_verdict(+0.017, 0.001, neg) == "not reproduced"
    assert figure_verdict(-0.083, 0.001, neg) == "partly"


@pytest.mark.parametrize(("rel", "ours", "ci", "expected"), [
    (">", 0.50, 0.05, "reproduced"), (">", 0.42, 0.05, "partly"), (">", 0.30, 0.05, "not reproduced"),
    ("<", -0.03, 0.02, "reproduced"), ("<", -0.01, 0.02, "partly"), ("<", 0.05, 0.02, "not reproduced"),
])
def test_bound_figure(rel, ours, ci, expected):
    assert figure_verdict(ours, ci, PaperFigure(0.40 if rel == ">" else 0.0, rel)) == expected


def test_aggregation():
    assert claim_verdict(["reproduced", "reproduced", "not testable"]) == "reproduced"
    assert claim_verdict(["reproduced", "partly"]) == "partly"
    assert claim_verdict(["reproduced", "not reproduced"]) == "partly"
    assert claim_verdict(["not reproduced", "not testable"]) == "not reproduced"
    assert claim_verdict(["not testable"]) == "not testable"
    assert claim_verdict([]) == "not testable"


def test_paper_figure_validates():
    with pytest.raises(ValueError, match="relation"):
        PaperFigure(0.1, ">=")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ci95"):
        Figure("x", "window", P14, 0.1, -0.01)


def _c3_result(sign: float, hw: float) -> dict:
    ch = {m: {"change_vs_fcfs": [sign * v, hw], "mean_ci": [1.0, 0.0]}
          for m, v in (("throughput", 0.14), ("tpot", -0.13), ("energy_window", -0.033),
                       ("energy_per_token", -0.033))}
    return {"manifest": {"seed": [1, 2, 3]}, "changes": {"bfio_paper_h20": ch, "bfio_h20": ch}}


def test_c3_row_follows_its_figures():
    good = c3(_c3_result(1.0, 0.001), {}, "")
    assert good.verdict == "reproduced"
    assert c3(_c3_result(-1.0, 0.001), {}, "").verdict == "not reproduced"  # every sign flipped
    scaled = _c3_result(1.0, 0.001)
    scaled["changes"]["bfio_h20"]["throughput"] = {"change_vs_fcfs": [0.181, 0.011]}
    assert c3(scaled, {}, "").verdict == "partly"
    # whole-run energy is one of C3's figures
    assert any(f.span == "whole run" and "energy per token" in f.name for f in good.figures)


def test_c7_monotonicity_is_interval_aware():
    def res(e: list[tuple[float, float]]) -> dict:
        Gs = [16, 32, 64]
        return {"manifest": {"seed": [1, 2]}, "G": Gs,
                "changes": {str(G): {"bfio_h60": {"energy_window": {"change_vs_fcfs": list(v)}}}
                            for G, v in zip(Gs, e, strict=True)}}
    assert c7(res([(-0.10, 0.005), (-0.15, 0.005), (-0.20, 0.005)]), {}, "").verdict == "reproduced"
    # monotone means, but the intervals overlap: not established at every step
    assert c7(res([(-0.10, 0.05), (-0.11, 0.05), (-0.12, 0.05)]), {}, "").verdict == "partly"
    assert c7(res([(-0.20, 0.005), (-0.15, 0.005), (-0.10, 0.005)]), {}, "").verdict == "not reproduced"


def test_intervals_agree():
    assert intervals_agree(0.10, 0.02, 0.13, 0.015)
    assert not intervals_agree(0.10, 0.01, 0.13, 0.01)


def test_row_verdict_recomputes_from_stored_figures():
    claim = Claim("CX", "x", (Figure("a", "window", P14, 0.14, 0.001), Figure("b", "window", P14, -0.2, 0.01)))
    row = json.loads(json.dumps(claim.to_row()))
    assert row_verdict(row) == row["verdict"] == "partly"
    row["figures"][1]["ours"] = 0.14
    assert row_verdict(row) == "reproduced"


def test_every_committed_row_follows_from_its_figures():
    rows = json.loads((Path(__file__).resolve().parents[2] / "results" / "full" / "claims.json").read_text())["rows"]
    assert {r["id"] for r in rows} == {f"C{i}" for i in range(1, 8)}
    for r in rows:
        assert {"id", "verdict", "rule", "figures"} <= set(r)
        for f in r["figures"]:
            assert {"name", "span", "ours", "ci95", "paper", "reference", "verdict"} <= set(f)
        assert row_verdict(r) == r["verdict"], r["id"]


def test_missing_results_are_not_testable(tmp_path: Path):
    for c in build_claims(tmp_path):
        assert c.verdict == "not testable", c.id


def test_c4_note_names_the_bfio_with_the_largest_saving_and_labels_follow_the_objective() -> None:
    from lbtheory.claims.build import bfio_label, largest_energy_saving_note

    def ch(m: float) -> dict:
        return {"energy_window": {"change_vs_fcfs": (m, 0.01)}}

    r = {"changes": {"a": ch(-0.20), "b": ch(-0.31), "c": ch(-0.28)},
         "manifest": {"config": {"policy_params": {"b": {"objective": "step_time"}}}}}
    note = largest_energy_saving_note(r, {"a": "A", "b": "B", "c": "C"})
    assert note.startswith("Largest window-energy saving vs FCFS among the BF-IO runs: B, -31.0% ± 1.0")
    assert note.index("C -28.0%") < note.index("A -20.0%")
    r["changes"]["a"] = ch(-0.40)  # flip which one wins
    assert "runs: A, -40.0%" in largest_energy_saving_note(r, {"a": "A", "b": "B", "c": "C"})
    assert largest_energy_saving_note(None, {"a": "A"}) == ""
    assert bfio_label(r, "b", 140) == "BF-IO (ours, step time objective) H=140"
    assert bfio_label(r, "a", 0) == "BF-IO (stated program) H=0"
