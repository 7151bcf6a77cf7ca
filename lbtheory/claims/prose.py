"""The README's prose with numbers, generated from result files (blocks beside the claims table's).

Each ``*_block(results_dir)`` returns the markdown of one generated block of ``README.md`` from the result
files it names, or a line saying which file is missing; :func:`prose_blocks` returns all of them by block name.
Sentences that draw a conclusion are chosen by the numbers (with their intervals where there are some), so a
rerun that changes the numbers changes the sentence too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lbtheory.claims.rule import intervals_agree, pct

TRACE_NAMES = {"burst": "BurstGPT", "longbench": "LongBench-v2", "arxiv": "arXiv", "synthetic": "synthetic",
               "azure_conv": "Azure conversation", "azure_code": "Azure code"}


def _load(results_dir: Path, stem: str) -> dict[str, Any] | None:
    p = Path(results_dir) / f"{stem}.json"
    return json.loads(p.read_text()) if p.is_file() else None


def _missing(stem: str) -> str:
    return f"(`results/full/{stem}.json` is missing: run `make {stem} FULL=1`.)"


def _tokens(x: float) -> str:
    """A token count short: 5.5k, 136M."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def _ms(x: float) -> str:
    return f"{x:.2g}" if x < 1 else f"{x:.3g}"


def gap_bullet(gap: Mapping[str, Any]) -> str:
    """The fast solver's optimality gap against the exact MILP (``bfio_gap.json``)."""
    s = gap["summary"]["all"]
    cfg = gap["manifest"].get("config", {})
    G = cfg.get("workers", ["?", "?"])
    worst_h = max((h for h in gap["summary"] if h != "all"), key=lambda h: gap["summary"][h]["abs_gap_worst"])
    return (f"- optimality gap of the fast solver against the exact MILP on {s['epochs']:,} random small epochs "
            f"(G={G[0]}..{G[-1]}): optimal in {100 * s['optimal_fraction']:.0f}% of epochs, median relative gap "
            f"{s['gap_median']:.3g}, p99 {s['gap_p99']:.2g}; the worst absolute gap is {s['abs_gap_worst']:,.0f} "
            f"tokens (H={worst_h});")


def decision_bullet(bench: Mapping[str, Any]) -> str:
    """Decision time per epoch by G (``bench_bfio.json``)."""
    parts = []
    for r in bench["rows"]:
        timed = [(k, v) for k, v in r.items() if isinstance(v, dict) and "median_ms" in v]
        body = ", ".join(f"{k} {_ms(v['median_ms'])} / {_ms(v['p99_ms'])}" for k, v in timed)
        parts.append(f"G={r['G']}: {body}")
    last = bench["rows"][-1]
    return (f"- decision time per epoch, B={bench['rows'][0]['B']}, window 4G, median / p99 in ms: "
            + "; ".join(parts)
            + f" (at G={last['G']}, `bfio` H=20 is {last['speedup_H20_median']:.1f}× faster than our compiled "
              "`bfio_paper` H=20, medians);")


def imbalance_bullet(cmp: Mapping[str, Any]) -> str:
    """Average steady-state imbalance of the four policies per workload and H (``bfio_compare.json``)."""
    cfg = cmp["manifest"].get("config", {})
    order = ("fcfs", "jsq_tokens", "bfio", "bfio_paper")
    lines = []
    for H in sorted({r["H"] for r in cmp["table"]}):
        cells = [f"{TRACE_NAMES.get(r['workload'], r['workload'])} "
                 + " → ".join(_tokens(r[p]["imbalance_mean"]) for p in order)
                 for r in cmp["table"] if r["H"] == H]
        lines.append(f"H={H}: " + "; ".join(cells))
    return (f"- average steady-state imbalance, G={cfg.get('workers', '?')}, B={cfg.get('slots', '?')} (tokens; "
            "FCFS → JSQ → `bfio` → `bfio_paper`, H for the BF-IOs only): " + ". ".join(lines) + ".")


def finding_bullet(c4: Mapping[str, Any], c6: Mapping[str, Any] | None, cmp: Mapping[str, Any] | None) -> str:
    """What a long lookahead does to the stated objective solved well, and to the authors' heuristic."""
    ch = c4["changes"]
    H = c4["manifest"]["config"]["H"]
    n = len(c4["manifest"]["seed"]) if isinstance(c4["manifest"].get("seed"), list) else None
    long_, zero, paper = (ch[k]["energy_window"]["change_vs_fcfs"] for k in (f"bfio_h{H}", "bfio_h0",
                                                                              f"bfio_paper_h{H}"))
    objective = ((c4["manifest"]["config"].get("policy_params") or {}).get(f"bfio_h{H}") or {}).get("objective")
    who = (f"`bfio` with its {objective.replace('_', ' ')} objective" if objective
           else "solved well, the stated objective")
    if long_[0] - long_[1] > zero[0] + zero[1]:
        verdict = f"{who} does not reward a long lookahead."
    elif long_[0] + long_[1] < zero[0] - zero[1]:
        verdict = f"{who} does reward a long lookahead."
    else:
        verdict = f"{who} gains nothing measurable from a long lookahead."
    out = [f"- **A finding:** {verdict}"]
    if c6 is not None:
        cfg = c6["manifest"]["config"]
        hs = c6["horizon"]["values"]
        hz = c6["horizon"]["changes"]

        def best_h(p: str) -> int:
            return int(min(hs, key=lambda h: float(hz[p][str(h)]["imbalance"]["change_vs_fcfs"][0])))

        best = {p: best_h(p) for p in sorted(hz)}
        out.append(f"On {TRACE_NAMES.get(cfg['trace'], cfg['trace'])} (G={cfg['horizon_sweep']['G']}) "
                   + " and ".join(f"`{p}` has its lowest imbalance at H={h}" for p, h in best.items())
                   + f" (H from {hs[0]} to {hs[-1]}, `results/full/c6_lookahead.json`)")
    if cmp is not None:
        rows = [r for r in cmp["table"] if r["workload"] != "synthetic"]
        hs2 = sorted({r["H"] for r in rows})
        if len(hs2) >= 2:
            lo, hi = hs2[0], hs2[-1]
            wins = sorted({r["workload"] for r in rows if r["H"] == lo
                           for q in rows if q["H"] == hi and q["workload"] == r["workload"]
                           and r["bfio"]["imbalance_mean"] < q["bfio"]["imbalance_mean"]})
            total = len({r["workload"] for r in rows})
            out.append(f"; on {len(wins)} of {total} public traces at G={cmp['manifest']['config'].get('workers')} "
                       f"`bfio` balances better at H={lo} than at H={hi}"
                       + (f" ({', '.join(TRACE_NAMES.get(w, w) for w in wins)})" if wins else ""))
    agree = "reproduces" if intervals_agree(paper[0], paper[1], -0.28, 0.005) else "does not reproduce"
    out.append(f". In the C4 setting `bfio` at H={H} changes energy (window) by {pct(*long_)} against "
               f"{pct(*zero)} at H=0, while the authors' heuristic at H={H} {agree} their −28% "
               f"({pct(*paper)}{f', n={n} seeds' if n else ''}; `results/full/c4_longbench.json`).")
    text = out[0] + " " + "".join(out[1:])
    return text.replace(") ;", ");").replace(") .", ").").replace(" . In", ". In")


#: what the defaults bullet reports per variant (keys of ``bfio_defaults.json``'s ``changes_vs_fcfs``)
DEFAULTS_MEASURES = ("imbalance", "energy_window", "energy_per_token")


def defaults_bullet(r: Mapping[str, Any]) -> str:
    """The defaults bullet (``bfio_defaults.json``): each variant's paired change against FCFS in the C3 and
    C4 settings, and in how many cells each option's mean change is worse (higher) than the default's."""
    cells = r["cells"]
    n = len(r["manifest"]["config"]["seeds"])
    variants = list(cells[0]["changes_vs_fcfs"])
    lines = [f"- defaults measured in the claims' settings (`experiments/bfio_defaults.py`, n={n} seeds; change "
             "against FCFS of window imbalance / window energy / whole-run energy per token):", "",
             "  | setting | H | " + " | ".join(f"`{v}`" for v in variants) + " |",
             "  |---|---|" + "---|" * len(variants)]
    for c in cells:
        ch = c["changes_vs_fcfs"]
        row = [" / ".join(f"{100 * ch[v][m][0]:+.1f}%" for m in DEFAULTS_MEASURES) for v in variants]
        lines.append(f"  | {c['setting']} ({TRACE_NAMES.get(c['trace'], c['trace'])}, G={c['G']}) | {c['H']} | "
                     + " | ".join(row) + " |")
    lines.append("")
    for v in variants:
        if v in ("bfio", "bfio_paper"):
            continue
        worse = {m: sum(1 for c in cells if c["changes_vs_fcfs"][v][m][0] > c["changes_vs_fcfs"]["bfio"][m][0])
                 for m in DEFAULTS_MEASURES}
        lines.append(f"  `{v}` has a worse mean than the default in {worse['imbalance']} of {len(cells)} cells on "
                     f"window imbalance, {worse['energy_window']} on window energy and {worse['energy_per_token']} "
                     "on whole-run energy per token (means only: compare the intervals in the result file).")
    return "\n".join(lines)


def bfio_block(results_dir: Path) -> str:
    """The BF-IO section's measured bullets and its finding."""
    out = []
    for stem, fn in (("bfio_gap", gap_bullet), ("bench_bfio", decision_bullet), ("bfio_compare", imbalance_bullet),
                     ("bfio_defaults", defaults_bullet)):
        r = _load(results_dir, stem)
        out.append(fn(r) if r is not None else "- " + _missing(stem))
    c4 = _load(results_dir, "c4_longbench")
    out.append(finding_bullet(c4, _load(results_dir, "c6_lookahead"), _load(results_dir, "bfio_compare"))
               if c4 is not None else "- " + _missing("c4_longbench"))
    return "\n".join(out)


def speed_block(results_dir: Path) -> str:
    """The engine benchmark table (``bench_engine.json``)."""
    b = _load(results_dir, "bench_engine")
    if b is None:
        return _missing("bench_engine")
    lines = ["| setting | policy | steps | ours | authors' simulator (FCFS) | speed-up / memory |",
             "|---|---|---|---|---|---|"]
    for r in b["rows"]:
        lines.append(f"| N={r['N']:,}, G={r['G']}, B={r['B']}, synthetic | {r['policy']} | {r['steps']:,} | "
                     f"{1000 * r['compiled_s']:.0f} ms | {b['authors_fcfs_s']:.1f} s | "
                     f"{r['speedup_vs_authors']:.0f}× |")
    for r in b.get("fleet", []):
        lines.append(f"| N={r['N']:,}, G={r['G']:,}, B={r['B']}, synthetic | {r['policy']} | {r['steps']:,} | "
                     f"{r['wall_s']:.1f} s | — | peak RSS {r['peak_rss_gib']:.2f} GiB |")
    first = [r["first_call_s"] for r in b["rows"]]
    same = all(r.get("python_loop_identical") for r in b["rows"])
    lines += ["", f"The first call with each policy compiles its loop ({min(first):.1f}–{max(first):.1f} s); the "
                  "speed-up is for later calls, against the authors' simulator's FCFS time in the same setting. "
                  + ("The compiled loop and the Python-driven loop give identical per-step loads in every row."
                     if same else "In some rows the compiled and the Python-driven loop DIFFER (see the file).")]
    return "\n".join(lines)


def conformance_block(results_dir: Path) -> str:
    """The conformance replay's outcome (``conformance.json``)."""
    c = _load(results_dir, "conformance")
    if c is None:
        return _missing("conformance")
    rows = c["rows"]
    cases = sorted({r["case"] for r in rows})
    exact = sum(bool(r["exact"]) for r in rows)
    dt = max(r["max_abs_time_diff_s"] for r in rows)
    rel = max(max(abs(r["throughput_ours"] / r["throughput_ref"] - 1), abs(r["tpot_ours_s"] / r["tpot_ref_s"] - 1))
              for r in rows)
    policies = sorted({r["policy"] for r in rows})
    times = "admission and finish times identical" if dt == 0 else f"admission and finish times within {dt:.3g} s"
    figs = ("agree exactly" if rel == 0 else f"agree to a relative {rel:.1g}")
    return (f"{exact} of {len(rows)} replays ({len(cases)} cases × {', '.join(policies)}) are exact: every "
            f"step's per-worker loads and every request's worker equal, {times}; steady-state throughput and "
            f"whole-run TPOT {figs} (`results/full/conformance.json`).")


def c2_block(results_dir: Path) -> str:
    """The bounds sweep's measured ratios and fitted exponents (``bounds_sweep.json``)."""
    r = _load(results_dir, "bounds_sweep")
    if r is None:
        return _missing("bounds_sweep")
    fixed = [c for c in r["cells"] if c["outputs"] == "fixed" and c.get("ratio")]
    ratios = [c["ratio"] for c in fixed]
    below = sum(c["ratio"] < c["ratio_lower"] for c in fixed)
    alphas = {law: f["free_alpha_B"] for law, f in sorted((r.get("fit_by_law") or {}).items()) if f}
    floor = [law for law, a in alphas.items() if a > 0.5]
    return (f"Measured ratios over {len(fixed)} fixed-output cells: {min(ratios):.2g} to {max(ratios):.2g}, "
            + ("always above the proved lower bound" if not below else f"below the proved lower bound in {below}")
            + f" (smallest ratio ÷ bound {min(c['ratio'] / c['ratio_lower'] for c in fixed):.3g}); the fitted "
              "exponent of B is " + ", ".join(f"{a:.2f} for {law} prompts" for law, a in alphas.items())
            + (f" (above ½ for {', '.join(floor)}: there √(B log G) is a floor, not the law)" if floor else "")
            + " (`results/full/bounds_sweep.json`).")


def reference_block(results_dir: Path) -> str:
    """What the committed reference run of the authors' simulator covers (``reference_runs.json``)."""
    d = _load(results_dir, "reference_runs")
    if d is None:
        return ("No reference run is committed (`results/full/reference_runs.json`): every reference figure is "
                "one quoted earlier.")
    cfg = d["manifest"]["config"]
    cached = sum(bool(c.get("cached")) for c in d["calls"])
    parts = []
    for key, s in cfg["settings"].items():
        calls = [c for c in d["calls"] if c["setting"] == key]
        times = []
        for strategy in cfg["strategies"]:
            ts = sorted(c["wall_time_s"] for c in calls if c["strategy"] == strategy and not c.get("timed_out"))
            out = [c for c in calls if c["strategy"] == strategy and c.get("timed_out")]
            if ts:
                times.append(f"{strategy} {len(ts)} seeds, {ts[0]:.0f}–{ts[-1]:.0f} s each")
            if out:
                times.append(f"{strategy} timed out after {out[0]['timeout_s']:.0f} s")
            if not ts and not out:
                times.append(f"{strategy} not run")
        state = "complete" if cfg["complete"].get(key) else "partial: its claim keeps the quoted figures"
        parts.append(f"{key.upper()} (G={s['G']}, B={s['B']}, N={s['N']:,}, H={s['H']}): {'; '.join(times)} "
                     f"({state})")
    return (f"Committed reference run: the authors' simulator at commit {d['reference']['commit'][:7]}"
            + (" (a checkout with local changes)" if d["reference"].get("dirty") else "")
            + f", seeds {cfg['seeds'][0]}–{cfg['seeds'][-1]}, one call per seed on this 2-core machine: "
            + "; ".join(parts) + f"; {sum(c.get('wall_time_s', 0.0) for c in d['calls']) / 60:.0f} minutes of "
            "simulator time in all" + (f" ({cached} of {len(d['calls'])} calls read from the cache of an earlier run "
                                       "at the same commit, with their own wall times)." if cached else "."))


def _duration(seconds: float) -> str:
    """A wall time short: 42 s, 7 min 5 s, 2 h 3 min."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {(s % 3600) // 60} min"


def tier_time_block(results_dir: Path) -> str:
    """What the committed tier cost: each result file's own wall time (``manifest.wall_time_s``) and the clean
    revisions they were written at."""
    files = sorted(Path(results_dir).glob("*.json"))
    timed: list[tuple[float, str]] = []
    revs: dict[str, int] = {}
    for f in files:
        man = (json.loads(f.read_text()) or {}).get("manifest") or {}
        if man.get("wall_time_s") is not None:
            timed.append((float(man["wall_time_s"]), f.stem))
            rev = str(man.get("git_revision", "unknown"))[:7]
            revs[rev] = revs.get(rev, 0) + 1
    if not timed:
        return "No committed result records its wall time yet."
    timed.sort(reverse=True)
    top = ", ".join(f"{stem} {_duration(t)}" for t, stem in timed[:4])
    rev_text = ", ".join(f"{r} ({n})" for r, n in sorted(revs.items(), key=lambda kv: -kv[1]))
    return (f"The committed full tier: {len(timed)} timed result files; their own wall times (each manifest's "
            f"`wall_time_s`) sum to {_duration(sum(t for t, _ in timed))} on this 2-core machine (largest: {top}). "
            f"Written at revision{'s' if len(revs) > 1 else ''} {rev_text} (files per revision).")


def cli_speed_block(results_dir: Path) -> str:
    """Whole-process times of ``lbtheory simulate`` against issue 13's targets (``bench_cli.json``)."""
    b = _load(results_dir, "bench_cli")
    if b is None:
        return _missing("bench_cli")
    t, rows, big = b["targets"], b["tiny"], b["fcfs_60k"]
    kernels = sorted({r["kernels"] for r in rows})
    cold = [r["cold_s"] for r in rows]
    warm = [r["warm_s"] for r in rows]
    n_warm = sum(w <= t["warm_s"] for w in warm)
    n_cold = sum(c <= t["cold_s"] for c in cold)
    slow = sorted(rows, key=lambda r: -r["warm_s"])[:3]
    return (f"Whole `lbtheory simulate` processes (`experiments/bench_cli.py`, `results/full/bench_cli.json`; "
            f"{b['machine']['cpus']} cores, load average {b['machine']['load_avg_1min']:.1f} at the end): a "
            f"10-request run (G=2, B=4) of each of the {len(rows)} built-in policies ({', '.join(kernels)} "
            f"kernels) takes {min(cold):.2f}–{max(cold):.2f} s cold and {min(warm):.2f}–{max(warm):.2f} s warm "
            f"(median of {len(rows[0]['warm_runs_s'])}): {n_cold} of {len(rows)} within the {t['cold_s']:g} s cold "
            f"target, {n_warm} of {len(rows)} within the {t['warm_s']:g} s warm target"
            + ("" if n_warm == len(rows) else " (slowest: " + ", ".join(f"{r['policy']} {r['warm_s']:.2f} s"
                                                                    for r in slow) + ")")
            + f". N={big['N']:,}, G={big['G']}, B={big['B']}, FCFS ({big['kernels']}): {big['cold_s']:.1f} s cold, "
            f"{big['process_s']:.2f} s warm, {big['speedup_vs_authors']:.1f}× faster than the authors' whole "
            f"simulator process on the same job ({big['authors_process_s']:.2f} s, "
            f"{big.get('authors_source', 'measured once for issue 13')}); the target is "
            f"{t['speedup_vs_authors']:g}×" + (", met." if big["ok"] else ", not met.")
            + ("" if "numba_floor_s" not in big else
               f" A process that only imports numba, initialises its target as the command line does (without "
               f"numba's BLAS probe) and loads one cached kernel takes {big['numba_floor_s']:.2f} s, "
               f"so no compiled run can be more than {big['max_speedup_compiled']:.1f}× faster here."))


def bound_search_block(results_dir: Path) -> str:
    """How close each property search came to its bound (``bound_search.json``): per test and searched
    quantity, the largest value reached (≤ 1 while the bound holds) and the examples scored. Teeth tests (which
    search a deliberately broken bound) are counted apart."""
    d = _load(results_dir, "bound_search")
    if d is None:
        return _missing("bound_search")
    rows, teeth = [], 0
    for test, labels in sorted(d["targets"].items()):
        if "teeth" in test:
            teeth += 1
            continue
        file, _, name = test.partition("::")
        for label, rec in sorted(labels.items()):
            rows.append(f"| `{Path(file).stem.removeprefix('test_')}` | `{name}` | {label} | {rec['max']:.3g} | "
                        f"{rec['calls']:,} |")
    over = sorted({test.partition("::")[2] for test, labels in d["targets"].items() if "teeth" not in test
                   for r in labels.values() if r["max"] > 1})
    prof = d["manifest"]["config"]["hypothesis_profile"]
    head = ["| file | test | searched quantity | worst reached | examples |", "|---|---|---|---|---|"]
    tail = (f"\nSearched by `experiments/bound_search.py` (hypothesis profile `{prof}`, derandomised; pytest: "
            f"{d['pytest_summary']}); {len(rows)} searched quantities"
            + (f", {teeth} teeth tests left out (they search broken bounds on purpose)" if teeth else "")
            + (". Every search stayed at or below 1." if not over and d["pytest_exit"] == 0 else
               f". Above 1 in {len(over)} tests ({', '.join(f'`{t}`' for t in over)}), yet every test passed: "
               "these bound an expectation and check it from samples within a stated statistical tolerance, so a "
               "sample's ratio may exceed 1." if d["pytest_exit"] == 0 else
               f". pytest failed (exit {d['pytest_exit']}): a bound is broken or a test errs; see the failing "
               "tests."))
    return "\n".join(head + rows) + "\n" + tail


def bounds_registry_block(results_dir: Path) -> str:
    """The registered bounds (``lbtheory.theory``): name, kind, proof status and what each bounds."""
    from lbtheory.theory.report import bounds_table

    lines = ["| bound | kind | status | bounds |", "|---|---|---|---|"]
    for r in bounds_table():
        status = r["proof_status"] if r["proof_status"] != "refuted" else "**refuted**"
        lines.append(f"| `{r['name']}` | {r['kind']} | {status} ({r['status']}) | {r['quantity']} |")
    return "\n".join(lines)


BATTERY_VARIANTS = (("bfio_undiscounted", "the step-time objective without its discount, `discount=1.0`; H > 0 only"),
                    ("bfio_imbalance", "the paper's objective in our solver, `objective=\"imbalance\"`"))
"""The battery's other BF-IO variants the README sets beside ``bfio``: (policy name, what it is)."""


def battery_breakdown(result: Mapping[str, Any], policy: str = "bfio") -> str:
    """The battery by (G, H): per group of cells, ``policy``'s median paired ratios to ``bfio_paper``, how
    many cells lose by more than 2% (on the point estimate and beyond the seeds' 95% interval, as
    :func:`lbtheory.battery.worst_cells` counts them) and how the losing cells are diagnosed
    (:func:`lbtheory.battery.diagnose`), beside the median and the losing cells of each of
    :data:`BATTERY_VARIANTS` in the same cells ("–" where it did not run); then each variant's medians over
    every cell it ran in."""
    from collections import Counter

    from lbtheory.battery import worst_cells

    variants = [(name, what) for name, what in BATTERY_VARIANTS if name != policy]
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for c in result["cells"]:
        groups.setdefault((c["cell"]["G"], c["cell"]["H"]), []).append(c)
    extra_head = "".join(f" `{n}`: median imbalance ratio | `{n}`: worse > 2% |" for n, _ in variants)
    lines = [f"By G and H (`{policy}` against `bfio_paper`; each row pools the workloads and both B; the last "
             f"columns are, in the same cells, {' and '.join(f'`{n}` ({what})' for n, what in variants)}):", "",
             "| G | H | cells | median imbalance ratio | median energy/token ratio | worse > 2% | beyond the "
             "95% interval | losing cells: solver / objective fault |" + extra_head,
             "|---|---|---|---|---|---|---|---|" + "---|---|" * len(variants)]
    for (G, H), cells in sorted(groups.items()):
        w = worst_cells(cells, policy, top=0)
        if not w["cells_compared"]:
            continue
        diag = Counter(c.get("diagnosis", {}).get(policy, "not compared") for c in cells)
        cols = []
        for name, _ in variants:
            p = worst_cells(cells, name, top=0)
            cols.append(f" {p['median']['imbalance']:.3f} | {p['cells_worse']} |" if p["cells_compared"]
                        else " – | – |")
        lines.append(f"| {G} | {H} | {w['cells_compared']} | {w['median']['imbalance']:.3f} | "
                     f"{w['median']['energy_per_token']:.3f} | {w['cells_worse']} | {w['cells_worse_beyond_ci']} | "
                     f"{diag['solver']} / {diag['objective']} |" + "".join(cols))
    for name, what in variants:
        other = result.get("worst", {}).get(name)
        if other:
            lines += ["", f"`{name}` ({what}) over its {other['cells_compared']} cells: median "
                      f"imbalance ratio {other['median']['imbalance']:.3f}, median energy/token ratio "
                      f"{other['median']['energy_per_token']:.3f}; worse by more than 2% in {other['cells_worse']} "
                      f"cells ({other.get('cells_worse_beyond_ci', 'n/a')} beyond the interval)."]
    return "\n".join(lines)


def battery_block(results_dir: Path) -> str:
    """The README's battery block: :func:`lbtheory.battery.readme_block` and, when the result exists, the
    breakdown by G and H (:func:`battery_breakdown`)."""
    from lbtheory.battery import readme_block

    result = _load(results_dir, "bfio_battery")
    head = readme_block(result)
    return head if result is None else head + "\n\n" + battery_breakdown(result)


def prose_blocks(results_dir: Path) -> dict[str, str]:
    """Every prose block of the README by name, from ``results_dir`` (``results/full``)."""
    return {"bfio": bfio_block(results_dir), "bfio-battery": battery_block(results_dir),
            "engine-speed": speed_block(results_dir),
            "conformance": conformance_block(results_dir), "c2-sweep": c2_block(results_dir),
            "reference-runs": reference_block(results_dir), "tier-time": tier_time_block(results_dir),
            "cli-speed": cli_speed_block(results_dir), "bound-search": bound_search_block(results_dir),
            "bounds-registry": bounds_registry_block(results_dir)}
