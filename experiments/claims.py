"""The claims table: for each claim of the paper, its figure, the authors' reference run, ours, a verdict.

Reads the result files of the claim experiments (it reruns nothing) and writes results/claims.json,
results/claims.md and paper/variables/claims.tex. A claim whose experiment has not been run is listed as
"not run". Verdicts: *reproduced* (our figure agrees with the paper's within 5 percentage points, or the
qualitative claim holds in every setting we ran), *partly* (same direction or holds in some settings only),
*not reproduced* (it fails where it was claimed to hold); the sentence beside it says why.

    python experiments/claims.py
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

from _common import RESULTS, publish

from lbtheory.provenance import manifest

TOL = 0.05  # 5 percentage points


def load(stem: str) -> dict | None:
    path = RESULTS / f"{stem}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def pct_ci(mc: list[float]) -> str:
    return f"{100 * mc[0]:+.1f}% ± {100 * mc[1]:.1f}"


def verdict_numeric(ours: float, paper: float) -> str:
    if abs(ours - paper) <= TOL:
        return "reproduced"
    return "partly" if ours * paper > 0 else "not reproduced"


def c1() -> dict:
    r = load("c1_idle")
    row = {"id": "C1", "claim": "Barrier idle exceeds 40% of each decode step in production",
           "paper": "> 40% (mean 40%, median 41%, proprietary trace)",
           "reference_run": "FCFS idle 48.8% (C4 setting), 21.7% (C3 setting)"}
    if r is None:
        return {**row, "ours": "not run", "verdict": "not run", "why": "experiments/c1_idle.py has not been run"}
    s = r["summary"]
    above = [x for x in r["rows"] if x["policy"] == "fcfs" and x["exceeds_40pct_window"]]
    where = ", ".join(f"{x['trace']} G={x['G']} B={x['B']}" for x in above) or "no setting"
    return {**row,
            "ours": f"FCFS > 40% idle in {s['fcfs_settings_above_40pct']}/{s['fcfs_settings']} settings "
                    f"(max {100 * s['fcfs_max_idle']:.1f}%)",
            "verdict": "partly" if s["fcfs_settings_above_40pct"] else "not reproduced",
            "why": f"On the public traces FCFS leaves over 40% idle in: {where}; the production trace behind "
                   "the paper's figure is not public."}


def _vs_fcfs(stem: str, policy: str, metrics: dict[str, str]) -> tuple[dict[str, list[float]] | None, dict]:
    r = load(stem)
    if r is None or policy not in r["changes"]:
        return None, {}
    ch = r["changes"][policy]
    return {m: ch[m]["change_vs_fcfs"] for m in metrics}, r


def _fmt(ours: dict[str, list[float]], names: dict[str, str]) -> str:
    return ", ".join(f"{names[m]} {pct_ci(ours[m])}" for m in names)


def c3() -> dict:
    row = {"id": "C3", "claim": "v1: BF-IO (H=20) vs FCFS: +14% throughput, −13% TPOT, −3.3% energy (BurstGPT, G=32, B=72)",
           "paper": "+14%, −13%, −3.3%", "reference_run": "+16.5%, −14.2%, −3.5%"}
    names = {"throughput": "throughput", "tpot": "TPOT", "energy_window": "energy"}
    paper_h, r = _vs_fcfs("c3_burstgpt", "bfio_paper_h20", names)
    ours_h, _ = _vs_fcfs("c3_burstgpt", "bfio_h20", names)
    if paper_h is None or ours_h is None:
        return {**row, "ours": "not run", "verdict": "not run", "why": "experiments/c3_burstgpt.py has not been run with bfio"}
    verdicts = [verdict_numeric(v[m][0], r["paper"][m]) for v in (paper_h, ours_h) for m in names]
    v = "reproduced" if all(x == "reproduced" for x in verdicts) else (
        "not reproduced" if "not reproduced" in verdicts else "partly")
    return {**row, "ours": f"authors' heuristic: {_fmt(paper_h, names)}; our BF-IO: {_fmt(ours_h, names)}",
            "verdict": v,
            "why": f"{sum(x == 'reproduced' for x in verdicts)} of {len(verdicts)} figures (two implementations × "
                   "three metrics) within 5 points of the paper's (paired by seed; window throughput and energy, "
                   "whole-run TPOT, as in the authors' simulator)."}


def c4() -> dict:
    row = {"id": "C4", "claim": "v2: 28% energy reduction with substantial throughput and latency gains",
           "paper": "−28% energy", "reference_run": "energy −28.0%, throughput +90%, TPOT −44%; whole-run energy/token −20.8%"}
    names = {"energy_window": "energy (window)", "throughput": "throughput", "tpot": "TPOT",
             "energy_per_token": "energy/token (whole run)"}
    paper_h, _ = _vs_fcfs("c4_longbench", "bfio_paper_h140", names)
    ours_h, _ = _vs_fcfs("c4_longbench", "bfio_h140", names)
    ours_0, _ = _vs_fcfs("c4_longbench", "bfio_h0", names)
    if paper_h is None or ours_h is None or ours_0 is None:
        return {**row, "ours": "not run", "verdict": "not run", "why": "experiments/c4_longbench.py has not been run with bfio"}
    v = verdict_numeric(paper_h["energy_window"][0], -0.28)
    return {**row,
            "ours": f"authors' heuristic (H=140): {_fmt(paper_h, names)}; our BF-IO H=140: "
                    f"{pct_ci(ours_h['energy_window'])} energy (window); our BF-IO H=0: {pct_ci(ours_0['energy_window'])}",
            "verdict": v,
            "why": f"The authors' heuristic is {abs(paper_h['energy_window'][0] + 0.28) * 100:.1f} points from the "
                   "paper's energy figure. The 28% sums energy over each policy's own steady-state window (different "
                   "stretches of work); per generated token over the whole run the change is "
                   f"{pct(paper_h['energy_per_token'][0])}. The stated integer program solved near-optimally saves "
                   f"{pct(ours_h['energy_window'][0])} at H=140 and {pct(ours_0['energy_window'][0])} at H=0."}


def c6() -> dict:
    row = {"id": "C6", "claim": "Longer lookahead helps up to a point; BF-IO is robust to misprediction",
           "paper": "curves only", "reference_run": "—"}
    r = load("c6_lookahead")
    if r is None:
        return {**row, "ours": "not run", "verdict": "not run", "why": "experiments/c6_lookahead.py has not been run"}
    hs, ds = r["horizon"]["values"], r["delta"]["values"]
    parts, why, helps, robust = [], [], {}, {}
    for policy in ("bfio_paper", "bfio"):
        hz, dz = r["horizon"]["changes"][policy], r["delta"]["changes"][policy]
        imb = {h: hz[str(h)]["imbalance"]["change_vs_fcfs"][0] for h in hs}
        best = min(imb, key=imb.__getitem__)
        dch = {m: [dz[str(d)][m]["change_vs_fcfs"][0] for d in (ds[0], ds[-1])]
               for m in ("imbalance", "throughput", "energy_window")}
        helps[policy] = imb[best] < imb[hs[0]] - 0.01
        robust[policy] = all(abs(b - a) <= 0.02 for m, (a, b) in dch.items() if m != "imbalance")
        parts.append(f"{policy}: imbalance {pct(imb[hs[0]])} at H=0, {pct(imb[best])} at best H={best}, "
                     f"{pct(imb[hs[-1]])} at H={hs[-1]}; at δ={ds[-1]} vs δ=0: imbalance {pct(dch['imbalance'][1])} "
                     f"vs {pct(dch['imbalance'][0])}, throughput {pct(dch['throughput'][1])} vs {pct(dch['throughput'][0])}")
        why.append(f"{policy}: lookahead {'helps (best H=' + str(best) + ')' if helps[policy] else 'gains under 1 point'}"
                   f"; misprediction {'costs under 2 points' if robust[policy] else 'costs over 2 points'} of "
                   "throughput and energy")
    v = ("reproduced" if all(helps.values()) and all(robust.values()) else
         "partly" if any(helps.values()) or any(robust.values()) else "not reproduced")
    return {**row, "ours": "; ".join(parts), "verdict": v, "why": "; ".join(why) + "."}


def c7() -> dict:
    row = {"id": "C7", "claim": "Gains grow with the number of workers", "paper": "curves only", "reference_run": "—"}
    r = load("c7_scale")
    if r is None:
        return {**row, "ours": "not run", "verdict": "not run", "why": "experiments/c7_scale.py has not been run"}
    Gs = r["G"]
    e = [r["changes"][str(G)]["bfio_h60"]["energy_window"]["change_vs_fcfs"][0] for G in Gs]
    mono = all(b <= a + 1e-9 for a, b in itertools.pairwise(e))
    v = "reproduced" if mono else ("partly" if e[-1] < e[0] else "not reproduced")
    return {**row, "ours": "energy vs FCFS: " + ", ".join(f"G={G} {pct(x)}" for G, x in zip(Gs, e, strict=True)),
            "verdict": v, "why": "savings grow with G at every step" if mono else
            ("savings are larger at the largest G but not monotone" if e[-1] < e[0] else "savings do not grow with G")}


def from_file(stem: str, cid: str, claim: str, paper: str) -> Callable[[], dict]:
    """A claim whose experiment writes its own ``claim`` block (ours, verdict, why) into its result file."""
    def build() -> dict:
        row = {"id": cid, "claim": claim, "paper": paper, "reference_run": "—"}
        r = load(stem)
        if r is None or "claim" not in r:
            return {**row, "ours": "not run", "verdict": "not run", "why": f"experiments/{stem}.py has not been run"}
        return {**row, **r["claim"]}
    return build


CLAIMS: list[Callable[[], dict]] = [
    c1,
    from_file("bounds_sweep", "C2", "BF-IO (H=0) cuts long-run imbalance vs FCFS by Ω(√(B log G))",
              "ratio grows like √(B log G); constants not given"),
    c3,
    c4,
    from_file("energy_map", "C5", "Energy savings can exceed 52% for modern hardware at fleet scale", "> 52%"),
    c6,
    c7,
]


def macros(result: dict) -> dict[str, str]:
    """One verdict macro per claim (e.g. \\ClaimCFourVerdict)."""
    words = {"1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six", "7": "Seven"}
    return {f"ClaimC{words[row['id'][1]]}Verdict": row["verdict"] for row in result["rows"]}


def markdown(rows: list[dict]) -> str:
    lines = ["| id | claim | paper | reference run | ours | verdict | why |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(str(r[k]).replace("|", "/") for k in
                                         ("id", "claim", "paper", "reference_run", "ours", "verdict", "why")) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    rows = [build() for build in CLAIMS]
    sources = {s: (load(s) or {}).get("manifest", {}).get("git_revision") for s in
               ("c1_idle", "bounds_sweep", "c3_burstgpt", "c4_longbench", "energy_map", "c6_lookahead", "c7_scale")}
    publish("claims", {"manifest": manifest({"sources": sources}, None), "rows": rows}, macros)
    md = markdown(rows)
    Path(RESULTS / "claims.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
