"""Every claim of arXiv 2601.17855 as data: which figures it states, read from our result files.

Each ``cN(result, ref)`` turns one experiment's result file (a dict, or None when it has not run) into a
:class:`~lbtheory.claims.rule.Claim`; :func:`build_claims` does all of them for one results directory.
The paper's figures are here, written once; the reference run's come from :func:`reference_figures`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from lbtheory.claims.rule import Claim, Figure, PaperFigure, diff_ci

Result = Mapping[str, Any] | None

STEMS = {"C1": "c1_idle", "C2": "bounds_sweep", "C3": "c3_burstgpt", "C4": "c4_longbench", "C5": "energy_map",
         "C6": "c6_lookahead", "C7": "c7_scale"}
"""The result file (``<stem>.json``) each claim is read from."""

PAPER: dict[str, dict[str, PaperFigure]] = {
    "C1": {"idle": PaperFigure(0.40, ">", text="> 40% (production trace)")},
    "C3": {"throughput": PaperFigure.printed(0.14, 0, "+14%"), "tpot": PaperFigure.printed(-0.13, 0, "−13%"),
           "energy_window": PaperFigure.printed(-0.033, 1, "−3.3%"),
           "energy_per_token": PaperFigure.printed(-0.033, 1, "−3.3% (stated for energy)")},
    "C4": {"energy_window": PaperFigure.printed(-0.28, 0, "−28%"),
           "energy_per_token": PaperFigure.printed(-0.28, 0, "−28% (stated for energy)"),
           "throughput": PaperFigure(0.0, ">", text="a gain (> 0)"),
           "tpot": PaperFigure(0.0, "<", text="a gain (< 0)")},
    "C5": {"saving": PaperFigure(0.52, ">", text="> 52%")},
}
"""The paper's figures (fractions). C3: v1; C4: the v2 abstract; C1 and C5 as bounds."""

CLAIM_TEXT = {
    "C1": "Barrier idle exceeds 40% of each decode step in production",
    "C2": "BF-IO (H=0) cuts long-run imbalance vs FCFS by Ω(√(B log G))",
    "C3": "v1: BF-IO (H=20) vs FCFS: +14% throughput, −13% TPOT, −3.3% energy (BurstGPT, G=32, B=72)",
    "C4": "v2: 28% energy reduction with substantial throughput and latency gains (LongBench-v2, G=256, H=140)",
    "C5": "Energy savings can exceed 52% for modern hardware at fleet scale",
    "C6": "Longer lookahead helps up to a point; BF-IO is robust to misprediction",
    "C7": "Gains grow with the number of workers",
}

METRIC_SPAN = {"throughput": "window", "tpot": "whole run", "energy_window": "window",
               "energy_per_token": "whole run", "imbalance": "window", "idle": "window"}
METRIC_NAME = {"throughput": "throughput vs FCFS", "tpot": "TPOT vs FCFS", "energy_window": "energy vs FCFS",
               "energy_per_token": "energy per token vs FCFS", "imbalance": "imbalance vs FCFS"}


def reference_by_claim(results_dir: Path | None = None) -> dict[str, tuple[dict[str, float], str]]:
    """Per claim, the reference run's figures (metric → fraction) and their source.

    A claim that ``<results_dir>/reference_runs.json`` (``experiments/reference_runs.py``: the authors'
    simulator run from a checkout, its commit and commands recorded) has figures for takes them from there;
    every other claim takes the figures quoted before that file existed (``lbtheory/claims/
    reference_figures.json``, whose ``source`` says where they come from).
    """
    d = json.loads(resources.files("lbtheory.claims").joinpath("reference_figures.json").read_text())
    out = {cid: (dict(v), "lbtheory/claims/reference_figures.json: " + d["source"]) for cid, v in d["claims"].items()}
    path = Path(results_dir) / "reference_runs.json" if results_dir is not None else None
    if path is not None and path.is_file():
        run = json.loads(path.read_text())
        rev = run.get("reference", {}).get("commit", "unknown commit")
        for cid, figs in run.get("claims", {}).items():
            if figs:
                out[cid] = ({k: float(f["value"]) for k, f in figs.items()},
                            f"results/full/reference_runs.json (authors' simulator at {rev})")
    return out


def reference_figures(results_dir: Path | None = None) -> tuple[dict[str, dict[str, float]], str]:
    """The reference run's figures per claim and metric, and their sources (``; ``-joined):
    :func:`reference_by_claim` without the per-claim source."""
    by = reference_by_claim(results_dir)
    return {cid: figs for cid, (figs, _) in by.items()}, "; ".join(dict.fromkeys(src for _, src in by.values()))


def _n(r: Mapping[str, Any]) -> int | None:
    seed = r.get("manifest", {}).get("seed")
    return len(seed) if isinstance(seed, list) else None


def c1(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    figs = [Figure("FCFS idle, the paper's production trace", "window", PAPER["C1"]["idle"],
                   note="proprietary trace, not public", unit="share")]
    if r is not None:
        n = _n(r)
        fcfs = [x for x in r["rows"] if x["policy"] == "fcfs"]
        for trace in sorted({x["trace"] for x in fcfs}):
            best = max((x for x in fcfs if x["trace"] == trace), key=lambda x: x["idle_window"][0])
            figs.append(Figure(f"FCFS idle, {trace}, largest over the grid (G={best['G']}, B={best['B']})",
                               "window", PaperFigure(0.40, ">", text="> 40%"), ours=best["idle_window"][0],
                               ci95=best["idle_window"][1], n=n, unit="share"))
        for key, trace, G, B in (("fcfs_idle_c3_setting", "burst", 32, 72),
                                 ("fcfs_idle_c4_setting", "longbench", 256, 72)):
            cell = next((x for x in fcfs if (x["trace"], x["G"], x["B"]) == (trace, G, B)), None)
            figs.append(Figure(f"FCFS idle, {trace} G={G} B={B}", "window", PaperFigure(0.40, ">", text="> 40%"),
                               ours=cell["idle_window"][0] if cell else None,
                               ci95=cell["idle_window"][1] if cell else None, n=n if cell else None,
                               reference=ref.get(key), reference_source=src if key in ref else None,
                               note="" if cell else "setting not in this tier's grid", unit="share"))
    return Claim("C1", CLAIM_TEXT["C1"], tuple(figs))


def c2(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    """C2: the proved ratio bound in every fixed-output cell, B's fitted exponent, and G's effect with
    geometric outputs (the paper's claim, read as: the ratio grows with B and G)."""
    if r is None:
        return Claim("C2", CLAIM_TEXT["C2"], (Figure("AvgImb(FCFS)/AvgImb(BF-IO, H=0)", "long run",
                                                     PaperFigure(1.0, ">", text="grows like √(B log G)")),))
    n = _n(r)
    cells = [c for c in r["cells"] if c.get("ratio")]
    fixed = [c for c in cells if c["outputs"] == "fixed"]
    figs = []
    if fixed:
        worst = min(fixed, key=lambda c: c["ratio"] / c["ratio_lower"])
        figs.append(Figure(f"smallest ratio ÷ proved ratio_lower ∝ √(B log G), fixed outputs, {len(fixed)} cells "
                           f"({worst['law']} G={worst['G']} B={worst['B']})", "long run",
                           PaperFigure(1.0, ">", text="≥ 1 (Ω(√(B log G)))"),
                           worst["ratio"] / worst["ratio_lower"], None, n, unit="number"))
    for law, f in sorted((r.get("fit_by_law") or {}).items()):
        if f:
            figs.append(Figure(f"fitted exponent of B in the ratio, fixed outputs, {law}", "long run",
                               PaperFigure(0.5, ">", text="≥ 0.5 (√B)"), f["free_alpha_B"], None, n,
                               note="least-squares fit, no interval", unit="number"))
    geo = [c for c in cells if c["outputs"] != "fixed"]
    for B in sorted({c["B"] for c in geo}):
        row = sorted((c for c in geo if c["B"] == B), key=lambda c: c["G"])
        if len(row) >= 2:
            figs.append(Figure(f"ratio at G={row[-1]['G']} ÷ at G={row[0]['G']}, geometric outputs, B={B}",
                               "long run", PaperFigure(1.0, ">", text="> 1 (grows with G)"),
                               row[-1]["ratio"] / row[0]["ratio"], None, n, unit="number"))
    from lbtheory.theory.corollaries import sweep_region_sentence

    return Claim("C2", CLAIM_TEXT["C2"], tuple(figs), note=sweep_region_sentence(r["cells"]))


def bfio_label(r: Result, policy: str, horizon: int) -> str:
    """How a claim names our BF-IO run ``policy``: with the objective its result file records
    (``config.policy_params``), else as the stated program (results written before objectives had names)."""
    params = (((r or {}).get("manifest") or {}).get("config") or {}).get("policy_params") or {}
    objective = (params.get(policy) or {}).get("objective")
    what = f"ours, {str(objective).replace('_', ' ')} objective" if objective else "stated program"
    return f"BF-IO ({what}) H={horizon}"


def largest_energy_saving_note(r: Result, labels: Mapping[str, str]) -> str:
    """A sentence naming which of the BF-IO runs (``labels``: result key -> name) saves the most window
    energy against FCFS, by how much, and the runner-up's figure ("" without the result)."""
    changes = (r or {}).get("changes") or {}
    got = [(changes[k]["energy_window"]["change_vs_fcfs"], name) for k, name in labels.items() if k in changes]
    if len(got) < 2:
        return ""
    got.sort(key=lambda x: x[0][0])
    (m, h), best = got[0]
    rest = "; ".join(f"{name} {100 * mm:+.1f}% ± {100 * hh:.1f}" for (mm, hh), name in got[1:])
    return (f"Largest window-energy saving vs FCFS among the BF-IO runs: {best}, {100 * m:+.1f}% ± {100 * h:.1f} "
            f"(then {rest}).")


def _paired(cid: str, r: Result, impls: Mapping[str, str], metrics: list[str], ref: Mapping[str, float],
            src: str, note: str = "") -> Claim:
    figs = []
    for label, policy in impls.items():
        ch = (r or {}).get("changes", {}).get(policy) if r is not None else None
        n = _n(r) if r is not None else None
        for m in metrics:
            mc = ch[m]["change_vs_fcfs"] if ch else (None, None)
            figs.append(Figure(f"{METRIC_NAME[m]}, {label}", METRIC_SPAN[m], PAPER[cid][m], mc[0], mc[1],
                               n if ch else None, ref.get(m), src if m in ref else None,
                               note="" if ch else "not run"))
    return Claim(cid, CLAIM_TEXT[cid], tuple(figs), note=note)


def c3(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    """C3: throughput, TPOT and energy (window, and per token over the whole run) for both BF-IOs."""
    return _paired("C3", r, {"authors' heuristic H=20": "bfio_paper_h20", bfio_label(r, "bfio_h20", 20): "bfio_h20"},
                   ["throughput", "tpot", "energy_window", "energy_per_token"], ref, src)


def c4(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    """C4: energy (window and whole run), throughput and latency (TPOT) for both BF-IOs."""
    names = {"bfio_paper_h140": "the authors' heuristic H=140", "bfio_h140": bfio_label(r, "bfio_h140", 140),
             "bfio_h0": bfio_label(r, "bfio_h0", 0)}
    return _paired("C4", r, {"authors' heuristic H=140": "bfio_paper_h140", names["bfio_h140"]: "bfio_h140"},
                   ["energy_window", "energy_per_token", "throughput", "tpot"], ref, src,
                   note=largest_energy_saving_note(r, names))


C5_POLICIES = {"bfio": "BF-IO (H=0)", "bfio_paper_best": "the authors' heuristic at its best H"}
"""The two policies of C5's figures, by their key in ``energy_map.json``'s ``c5`` block."""
C5_FIGURES = (("largest_saving_default_r_like_for_like", "at the evidence default r, like for like", "whole run", True),
              ("largest_saving_r1_like_for_like", "at r = 1 (waiting at full power), like for like", "whole run",
               True),
              ("largest_saving_default_r_paper_window", "at the evidence default r, the paper's measure (each "
               "policy's own window)", "window", False))
"""C5's figures per policy: (key in ``c5[policy]``, label, span, in the verdict). The verdict is on the like-for-like
measure (whole-run energy per generated token on the same requests); the paper's measure is shown beside it."""
C5_OLD_FORMAT = "energy map not yet rerun in the new format"


def _c5_name(policy: str, label: str) -> str:
    return f"largest energy saving vs FCFS, {C5_POLICIES[policy]}, {label}"


def _where(d: Mapping[str, Any]) -> str:
    h = f", H={d['H']}" if d.get("H") is not None else ""
    return f"{d['workload']}, G={d['G']}, B={d['B']}, {d['card']}{h}"


def c5_sentence(c5: Mapping[str, Any]) -> str:
    """C5's generated sentence from ``energy_map.json``'s ``c5`` block: per policy, the smallest r ≤ 1 at which
    the like-for-like saving passes the target and where (or that no r ≤ 1 does), then the largest like-for-like
    saving at the evidence default r and where."""
    t, r0 = c5["target_saving"], c5["default_r"]
    first, second = [], []
    for pol, label in C5_POLICIES.items():
        rr, s = c5[pol]["smallest_r_passing_52_like_for_like"], c5[pol]["largest_saving_default_r_like_for_like"]
        first.append(f"{label}: none, no r ≤ 1 passes it" if rr is None else
                     f"{label}: r = {rr['r']:.2f}" + (f" ± {rr['ci']:.2f}" if rr.get("ci") else "")
                     + f" at {_where(rr)}")
        second.append(f"{label}: not measured" if s is None else
                      f"{label}: {100 * s['saving']:.1f}%" + (f" ± {100 * s['ci']:.1f}" if s.get("ci") else "")
                      + f" at {_where(s)}")
    return (f"Smallest r = P_wait/P_busy ≤ 1 at which the saving passes {100 * t:g}% like for like (whole-run "
            f"energy per generated token on the same requests; cards {', '.join(c5.get('cards', []))}): "
            + "; ".join(first) + f". Largest like-for-like saving at the evidence default r = {r0:.2f}: "
            + "; ".join(second) + ".")


def c5(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    """C5 from ``energy_map.json``'s ``c5`` block: the largest like-for-like saving of our BF-IO and of the authors'
    heuristic at its best H, at the evidence default r and at r = 1 (in the verdict), and at the default r on the
    paper's own-window measure (beside); the claim's note is :func:`c5_sentence`. A result without the block (the
    format before issue 12) or no result gives the same figures, not testable."""
    p = PAPER["C5"]["saving"]
    blk = None if r is None else r.get("c5")
    if blk is None:
        why = "not run" if r is None else C5_OLD_FORMAT
        return Claim("C5", CLAIM_TEXT["C5"], tuple(
            Figure(_c5_name(pol, label), span, p, note=why, unit="share", in_verdict=counted)
            for _, label, span, counted in C5_FIGURES for pol in C5_POLICIES), note=why)
    if blk.get("measure") != "whole_run":
        raise ValueError(f"energy_map.json: c5.measure must be 'whole_run' (like for like), got {blk.get('measure')!r}")
    if blk.get("target_saving") != p.value:
        raise ValueError(f"energy_map.json: c5.target_saving {blk.get('target_saving')!r} is not the paper's {p.value}")
    seeds = (r or {}).get("manifest", {}).get("config", {}).get("seeds")
    n = len(seeds) if isinstance(seeds, list) else None
    figs = []
    for key, label, span, counted in C5_FIGURES:
        for pol in C5_POLICIES:
            d = blk[pol][key]
            figs.append(Figure(_c5_name(pol, label), span, p, None if d is None else d["saving"],
                               None if d is None else d.get("ci"), None if d is None else n,
                               note="not measured" if d is None else f"at {_where(d)}", unit="share",
                               in_verdict=counted))
    return Claim("C5", CLAIM_TEXT["C5"], tuple(figs), note=c5_sentence(blk))


def c6(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    """C6: imbalance at the best H vs H=0 (helps) and beyond it (up to a point); throughput and energy at
    the largest misprediction δ vs δ=0 (robust: within 2 points)."""
    if r is None:
        return Claim("C6", CLAIM_TEXT["C6"], (Figure("imbalance change, best H vs H=0", "window",
                                                     PaperFigure(0.0, "<", text="< 0 (helps)")),))
    n = _n(r)
    hs, ds = r["horizon"]["values"], r["delta"]["values"]
    figs = []
    for policy in sorted(r["horizon"]["changes"]):
        hz, dz = r["horizon"]["changes"][policy], r["delta"]["changes"][policy]
        imb = {h: hz[str(h)]["imbalance"]["change_vs_fcfs"] for h in hs}
        best = min(hs, key=lambda h: imb[h][0])
        figs.append(Figure(f"{policy}: imbalance vs FCFS at best H={best} minus at H=0", "window",
                           PaperFigure(0.0, "<", text="< 0 (lookahead helps)"), imb[best][0] - imb[hs[0]][0],
                           diff_ci(imb[best][1], imb[hs[0]][1]), n))
        figs.append(Figure(f"{policy}: imbalance vs FCFS at H={hs[-1]} minus at best H={best}", "window",
                           PaperFigure(0.0, ">", text="> 0 (up to a point)"), imb[hs[-1]][0] - imb[best][0],
                           diff_ci(imb[hs[-1]][1], imb[best][1]), n))
        for m, rel, t in (("throughput", ">", -0.02), ("energy_window", "<", 0.02)):
            a, b = dz[str(ds[0])][m]["change_vs_fcfs"], dz[str(ds[-1])][m]["change_vs_fcfs"]
            figs.append(Figure(f"{policy}: {METRIC_NAME[m]} at δ={ds[-1]} minus at δ=0", METRIC_SPAN[m],
                               PaperFigure(t, rel, text=f"{rel} {100 * t:+g} points (robust)"),  # type: ignore[arg-type]
                               b[0] - a[0], diff_ci(a[1], b[1]), n))
    return Claim("C6", CLAIM_TEXT["C6"], tuple(figs))


def c7(r: Result, ref: Mapping[str, float], src: str) -> Claim:
    """C7: BF-IO (H=60)'s energy change vs FCFS falls (savings grow) at every step in G, intervals included
    (the difference of two settings' changes has half-width √(h₁² + h₂²))."""
    lt0 = PaperFigure(0.0, "<", text="< 0 (savings grow)")
    if r is None:
        return Claim("C7", CLAIM_TEXT["C7"], (Figure("energy change vs FCFS, largest G minus smallest", "window", lt0),))
    n = _n(r)
    Gs = r["G"]
    e = {G: r["changes"][str(G)]["bfio_h60"]["energy_window"]["change_vs_fcfs"] for G in Gs}
    figs = [Figure(f"BF-IO H=60 energy vs FCFS at G={b} minus at G={a}", "window", lt0, e[b][0] - e[a][0],
                   diff_ci(e[a][1], e[b][1]), n) for a, b in itertools.pairwise(Gs)]
    return Claim("C7", CLAIM_TEXT["C7"], tuple(figs))


BUILDERS: dict[str, Callable[[Result, Mapping[str, float], str], Claim]] = {
    "C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7}


def load_result(results_dir: Path, stem: str) -> dict[str, Any] | None:
    path = Path(results_dir) / f"{stem}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def build_claims(results_dir: Path, reference_dir: Path | None = None) -> list[Claim]:
    """Every claim, from the result files in ``results_dir`` (reference figures from ``reference_dir``,
    default the same directory)."""
    refs = reference_by_claim(reference_dir or results_dir)
    return [BUILDERS[cid](load_result(results_dir, stem), *refs.get(cid, ({}, ""))) for cid, stem in STEMS.items()]
