"""Shared code of c3_burstgpt.py and c4_longbench.py: BF-IO against FCFS (and JSQ) in the authors' settings.

* C3 (paper v1): BurstGPT lengths, G = 32, B = 72, R = 128, N = 100,000, BF-IO with H = 20.
  Paper: +14% throughput, −13% TPOT, −3.3% energy.
* C4 (paper v2 abstract, most likely setting): LongBench-v2 lengths, G = 256, B = 72, H = 140, N = 80,000.
  Paper: −28% energy, with throughput and latency gains.

Requests are drawn with replacement from the shared trace (its 8,000 requests; seeded), or from the
calibrated generator without it. Exact output lengths are given to BF-IO, as in the authors' runs.
Changes are paired by seed (same requests for every policy) with 95% confidence intervals.

Each claim writes <stem>.json, <stem>.pdf (+.png) and <stem>.tex in its tier (``_common.tier_dirs``).
The paper's and the reference run's figures come from :mod:`lbtheory.claims`.
"""

from __future__ import annotations

import time

from _common import FIGURES, ROOT, macro_name, parser, publish, relative_changes, tier_dirs

from lbtheory.claims import PAPER, reference_figures
from lbtheory.policies import make_policy, policy_names
from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, trace_or_generator
from lbtheory.sweep import run_sweep

SETTINGS = {
    "c3": {"stem": "c3_burstgpt", "trace": "burst", "G": 32, "B": 72, "R": 128, "N": 100_000, "H": 20},
    "c4": {"stem": "c4_longbench", "trace": "longbench", "G": 256, "B": 72, "R": None, "N": 80_000, "H": 140},
}
"""The paper's figures and the reference run's are data in :mod:`lbtheory.claims` (PAPER, reference_figures)."""


def stated(key: str) -> tuple[dict[str, float], dict[str, float]]:
    """The paper's point figures and the reference run's figures of one claim (fractions), for the plot."""
    cid = key.upper()
    refs, _ = reference_figures(tier_dirs("full")["results"])
    return {m: f.value for m, f in PAPER[cid].items() if f.relation == "="}, refs.get(cid, {})


def policies(H: int) -> list[tuple[str, str, tuple]]:
    """(label, registered name, params) of the compared policies."""
    out = [("fcfs", "fcfs", ()), ("jsq_tokens", "jsq_tokens", ())]
    names = policy_names()
    if "bfio" in names:
        out += [(f"bfio_h{H}", "bfio", (("horizon", H),)), ("bfio_h0", "bfio", (("horizon", 0),))]
    if "bfio_paper" in names:
        out += [(f"bfio_paper_h{H}", "bfio_paper", (("horizon", H),))]
    return out


def run_claim(key: str, seeds: int, full: bool) -> dict:
    s = SETTINGS[key]
    path, gen, note = trace_or_generator(s["trace"])
    pols = policies(s["H"])
    specs, labels = [], []
    seed_list = [11 + 1000 * r for r in range(seeds)]
    for label, name, params in pols:
        for seed in seed_list:
            specs.append(RunSpec(workers=s["G"], slots=s["B"], pool=s["R"], policy=name, policy_params=params,
                                 workload=gen, trace=path, requests=s["N"],
                                 trace_order="resampled" if path else "given", seed=seed))
            labels.append(label)
    t0 = time.perf_counter()
    out = run_sweep(specs, cache_dir=ROOT / "results" / "cache" / s["stem"], desc=key.upper())
    per_policy: dict[str, list[dict]] = {}
    for label, res in zip(labels, out, strict=True):
        per_policy.setdefault(label, []).append(res)
    changes = relative_changes(per_policy)
    config = dict(s)
    config |= {"seeds": seed_list, "source": note, "policies": [p[0] for p in pols],
               "policy_params": {label: make_policy(name, **dict(params)).describe() for label, name, params in pols},
               "predictions": "exact",
               "profile": "paper", "tier": "full" if full else "fast"}
    paper, reference = stated(key)
    result = {"manifest": manifest(config, seed_list, time.perf_counter() - t0), "paper": paper,
              "reference_run": reference, "changes": changes}
    result = publish(s["stem"], result, macros)
    print(f"\n{key.upper()} ({note}; G={s['G']} B={s['B']} N={s['N']} H={s['H']}; {seeds} seeds)")
    print(f"{'policy':16s} {'thr (win)':>18s} {'TPOT (whole)':>18s} {'energy (win)':>18s} "
          f"{'J/tok (whole)':>18s} {'idle (win)':>12s}")
    def fmt(ch: dict, m: str) -> str:
        mu, hw = ch[m]["change_vs_fcfs"]
        return f"{100 * mu:+8.1f}% ±{100 * hw:4.1f}"

    for p, ch in changes.items():
        print(f"{p:16s} {fmt(ch, 'throughput'):>18s} {fmt(ch, 'tpot'):>18s} {fmt(ch, 'energy_window'):>18s} "
              f"{fmt(ch, 'energy_per_token'):>18s} {ch['idle']['mean_ci'][0]:12.3f}")
    return result


def macros(result: dict) -> dict[str, str]:
    """Each policy's change vs FCFS (%) of throughput, TPOT, energy and makespan, and its idle (%)."""
    prefix = "CThree" if result["manifest"]["config"]["stem"] == "c3_burstgpt" else "CFour"
    out = {}
    for p, ch in result["changes"].items():
        tag = macro_name(p.replace("_h", " h "))
        for m in ("throughput", "tpot", "energy_window", "energy_per_token", "makespan"):
            out[prefix + tag + macro_name(m)] = f"{100 * ch[m]['change_vs_fcfs'][0]:+.1f}"
        out[f"{prefix}{tag}Idle"] = f"{100 * ch['idle']['mean_ci'][0]:.1f}"
    return out


def main(key: str, doc: str | None) -> None:
    """Run one claim from the command line (``--full``, ``--seeds K``)."""
    args = parser(doc).parse_args()
    seeds = args.seeds or (10 if args.full else 3)
    result = run_claim(key, seeds, args.full)
    plot(key, result)


def plot(key: str, res: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [("throughput", "throughput (window)"), ("tpot", "TPOT (whole run)"),
               ("energy_window", "energy (window)"), ("energy_per_token", "energy/token (whole run)")]
    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    if True:
        pols = [p for p in res["changes"] if p != "fcfs"]
        width = 0.8 / len(pols)
        for j, p in enumerate(pols):
            vals = [res["changes"][p][m]["change_vs_fcfs"] for m, _ in metrics]
            ax.bar([i + j * width for i in range(len(metrics))], [100 * v[0] for v in vals], width,
                   yerr=[100 * v[1] for v in vals], label=p)
        for i, (m, _) in enumerate(metrics):
            if m in res["paper"]:
                ax.plot([i - 0.1, i + 0.8], [100 * res["paper"][m]] * 2, "k-", lw=1.5,
                        label="paper" if i == 0 or "paper" not in ax.get_legend_handles_labels()[1] else None)
            if m in res["reference_run"]:
                ax.plot([i - 0.1, i + 0.8], [100 * res["reference_run"][m]] * 2, "k:", lw=1.5,
                        label="reference run" if "reference run" not in ax.get_legend_handles_labels()[1] else None)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(metrics))], [m[1] for m in metrics], fontsize=8)
        ax.set_ylabel("change vs FCFS (%)")
        ax.set_title(key.upper())
        ax.legend(fontsize=7)
    FIGURES.mkdir(parents=True, exist_ok=True)
    stem = SETTINGS[key]["stem"]
    fig.savefig(FIGURES / f"{stem}.pdf")
    fig.savefig(FIGURES / f"{stem}.png", dpi=110)
