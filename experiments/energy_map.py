"""C5, "energy savings can exceed 52% for modern hardware at fleet scale", answered like for like: the smallest
r = P_wait/P_busy at which BF-IO's energy saving over FCFS passes 52%, per workload, G, B and card.

    python experiments/energy_map.py [--full] [--seeds K] [--replot] [--slice]

* **Measure.** Primary: whole-run energy per generated token on the same requests (like for like). Beside it,
  labelled as the paper's: per token over each policy's own steady-state window.
* **Energy.** The worker-time model (``lbtheory.hardware.pricing``): E = P_busy·(Σb + r·Σw), so a saving
  depends on r only, and the smallest r passing 52% is closed-form (a ratio of linear functions of r).
  Sensitivity axis r ∈ [0.1, 1.0]; the default r is the median of the wait-power evidence table
  (``lbtheory/hardware/profiles/wait_power_evidence.json``).
* **Cards.** Step time from the roofline (``lbtheory.hardware.roofline``, DeepSeek-V3 served, EP over the G
  ranks): t = η·κ/β, C = max(compute, weights) + (1 − φ)·all-to-all, so θ (the load share of step time)
  differs by card. The authors' constants are kept as one more card, ``paper``. The schedules do not depend on
  the step time (saturated pool), so each is simulated once and priced on every card.
* **Policies.** FCFS, our BF-IO (``bfio``, H = 0) and the authors' heuristic (``bfio_paper``) at its best H
  (per cell and card, the H with the largest mean saving at the default r).
* **Workloads.** The shared trace files where they hold N = max(4000, 5·G·B) requests (shuffled per seed),
  else the calibrated generator of the same name (labelled); and ``uniform_fixed`` (prompts U{1..2048},
  outputs 256, pool R = G·B), where the hypotheses of ``loadblind_upper`` hold, so the theory ceiling applies.
* **Ceiling.** For ``uniform_fixed``: S ≤ x_U·r/((1 − x_U) + x_U·r), x_U = θ_U·ι_U from ``loadblind_upper``
  and ``energy_saving_spin``; where its r* > 1, theory alone rules 52% out.
* **Verdict.** None here: the result's ``c5`` key holds the figures, and the C5 row of the claims table is
  built from it by ``lbtheory.claims`` (``build.c5``) under the one verdict rule.

Fast tier: 3 workloads, G ∈ {16, 64, 256}, B ∈ {8, 72}, 2 seeds, bfio_paper H ∈ {0, 10, 72}. Full: 6
workloads, G ∈ {16, 64, 256, 1024, 4096}, B ∈ {8, 32, 72, 128, 256} with G·B ≤ 32,768, plus the fleet-scale cells
(G, B) = (1024, 128) and (4096, 32), 5 seeds, H ∈ {0, 10, 72}. ``--slice`` times a few
full-tier cells and prints the estimated full-tier wall time (nothing written). Writes
results/energy_map.json, paper/figures/energy_map.pdf (+ .png), paper/variables/energy_map.tex;
``--replot`` redraws the figure and macros from the stored result.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    FIGURES,
    RESULTS,
    VARIABLES,
    cache_dir,
    macro_name,
    mean_ci,
    parser,
    write_macros,
)

from lbtheory.engine import simulate
from lbtheory.hardware.pricing import (
    CeilingInputs,
    LoadSums,
    WorkerTime,
    ceiling_saving,
    ceiling_smallest_r,
    ceiling_theta_iota,
    saving,
    smallest_r,
)
from lbtheory.hardware.roofline import get_roofline_model, load_card, roofline_step, theta_at
from lbtheory.hardware.wait_power import load_wait_power_evidence
from lbtheory.model import ClusterConfig, SimConfig, StepTimeModel
from lbtheory.policies import make_policy
from lbtheory.provenance import manifest
from lbtheory.workloads import apply_predictions, load_trace, make_workload, shared_trace_path
from lbtheory.workloads.generators import uniform

TARGET = 0.52
ROOT_SEED = 20260125
MODEL = "deepseek-v3"
CARDS = ["a100", "h100", "h200", "b200", "mi300x"]
REFERENCE_CARD = "paper"
REQ_PER_SLOT = 5
UNIFORM_FIXED = {"prompt": (1, 2048), "output": 256}
MEASURES = ("whole_run", "paper_window")
R_CURVE = [round(0.1 * k, 1) for k in range(1, 11)]
TIERS: dict[str, dict[str, Any]] = {
    "fast": {"workloads": ["burst", "longbench", "uniform_fixed"], "G": [16, 64, 256], "B": [8, 72],
             "seeds": 2, "H": [0, 10, 72], "max_slots": None},
    "full": {"workloads": ["burst", "arxiv", "longbench", "azure_conv", "azure_code", "uniform_fixed"],
             "G": [16, 64, 256, 1024, 4096], "B": [8, 32, 72, 128, 256], "seeds": 5, "H": [0, 10, 72],
             "max_slots": 32_768, "fleet_cells": [(1024, 128), (4096, 32)]},
}
"""``max_slots``: cells with G·B above it are left out, except the ``fleet_cells`` (G, B), run at every workload and
seed. Full tier: the whole grid up to G·B = 32,768 decode slots, plus two fleet-scale cells at G·B = 131,072
(G = 1,024, B = 128 and G = 4,096, B = 32); left out for time: G = 256 at B = 256, G = 1,024 at B = 72 and
every larger cell (on 2 cores the authors' heuristic makes each of them tens of minutes per replicate)."""


def grid_cells(tier: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(workload, G, B) for every cell of ``tier`` within its ``max_slots``."""
    cap = tier.get("max_slots")
    fleet = {tuple(c) for c in tier.get("fleet_cells", [])}
    return [(wl, G, B) for wl in tier["workloads"] for G in tier["G"] for B in tier["B"]
            if cap is None or G * B <= cap or (G, B) in fleet]


def n_requests(G: int, B: int) -> int:
    return max(4000, REQ_PER_SLOT * G * B)


def workload_for(name: str, n: int, rng: np.random.Generator) -> tuple[Any, str]:
    """(the N requests, their origin): the shared trace when it holds N, else the calibrated generator."""
    if name == "uniform_fixed":
        lo, hi = UNIFORM_FIXED["prompt"]
        o = UNIFORM_FIXED["output"]
        return uniform(n, rng, prompt=(lo, hi), output=(o, o)), "generator: uniform prompts, fixed outputs"
    path = shared_trace_path(name)
    if path is not None:
        w = load_trace(str(path))
        if w.n_requests >= n:
            w = w.permuted(rng.permutation(w.n_requests)).head(n).with_arrivals(None)
            return w, f"trace: {path.name} (shuffled, first {n})"
    return make_workload(name, n, rng), "calibrated generator (the trace holds too few requests)"


def policies(horizons: list[int]) -> list[tuple[str, str, dict[str, Any]]]:
    out = [("fcfs", "fcfs", {}), ("bfio", "bfio", {"horizon": 0})]
    out += [(f"bfio_paper_h{h}", "bfio_paper", {"horizon": h}) for h in horizons]
    return out


def one_replicate(workload: str, G: int, B: int, seed: int, horizons: list[int]) -> dict[str, Any]:
    """Simulate every policy on the same requests; keep the load sums (whole run and own window)."""
    n = n_requests(G, B)
    ss_w, ss_p = np.random.SeedSequence(seed).spawn(2)
    w, origin = workload_for(workload, n, np.random.default_rng(ss_w))
    w = apply_predictions(w, "exact")  # the paper's setting: exact output lengths
    pool = G * B if workload == "uniform_fixed" else None
    cfg = SimConfig(ClusterConfig(G, B, pool), StepTimeModel.paper(B), arrivals="saturated",
                    record_worker_loads=True)
    out: dict[str, Any] = {"seed": seed, "requests": n, "origin": origin, "policies": {}}
    for label, name, params in policies(horizons):
        res = simulate(w, cfg, make_policy(name, **params), np.random.default_rng(ss_p), seed=seed)
        L, act, k = res.steps.loads, res.steps.active, res.window_steps
        assert L is not None
        out["policies"][label] = {
            "whole_run": LoadSums.of(L, int(act.sum())).__dict__,
            "paper_window": LoadSums.of(L[:k], int(act[:k].sum())).__dict__ if k else None,
        }
    return out


def measured_cards() -> dict[str, dict[str, Any]]:
    """``profiles/<card>-measured.json`` written by experiments/gpu_calibrate.py on a GPU, by name."""
    root = Path(__file__).resolve().parents[1] / "lbtheory" / "hardware" / "profiles"
    out = {}
    for f in sorted(root.glob("*-measured.json")):
        d = json.loads(f.read_text())
        if "mla" in d.get("attention", {}) and d.get("base_card") in CARDS:
            out[d["name"]] = d
    return out


def step_times(G: int, B: int) -> dict[str, StepTimeModel]:
    """Each card's roofline step time at (G, B), the authors' constants, and each measured card: t = the
    measured MLA layer's t times DeepSeek-V3's 61 layers, C from its base card's roofline."""
    m = get_roofline_model(MODEL)
    out = {c: roofline_step(load_card(c), m, B, G).step_time for c in CARDS}
    out[REFERENCE_CARD] = StepTimeModel.paper(B)
    for name, d in measured_cards().items():
        out[name] = StepTimeModel(out[d["base_card"]].step_overhead_s, 61 * d["attention"]["mla"]["token_time_s"])
    return out


def _wt(d: dict[str, Any] | None, st: StepTimeModel) -> WorkerTime | None:
    if d is None or d["tokens"] == 0:
        return None
    return LoadSums(**d).worker_seconds(st)


def price_cell(workload: str, G: int, B: int, reps: list[dict[str, Any]], horizons: list[int],
               r_default: float, r_axis: tuple[float, float]) -> dict[str, Any]:
    """Per card: θ, and per policy and measure the savings at r_default and r = 1 and the smallest r."""
    labels = [lab for lab, _, _ in policies(horizons)]
    row: dict[str, Any] = {"workload": workload, "G": G, "B": B, "requests": reps[0]["requests"],
                           "origin": reps[0]["origin"], "seeds": [r["seed"] for r in reps], "cards": {}}
    for card, st in step_times(G, B).items():
        f_whole = [LoadSums(**r["policies"]["fcfs"]["whole_run"]) for r in reps]
        theta = [theta_at(st, f.max_sum / f.steps) for f in f_whole]
        c: dict[str, Any] = {"C_s": st.step_overhead_s, "t_s_per_token": st.token_time_s,
                             "theta_fcfs": mean_ci(np.array(theta)), "policies": {}}
        x_f = [f.worker_seconds(st).idle_share() for f in f_whole]
        c["fcfs_idle_share_whole"] = mean_ci(np.array(x_f))
        for lab in labels[1:]:
            pc: dict[str, Any] = {}
            for meas in MEASURES:
                pairs = [(_wt(r["policies"][lab][meas], st), _wt(r["policies"]["fcfs"][meas], st)) for r in reps]
                pairs_ok = [(p, b) for p, b in pairs if p is not None and b is not None]
                if not pairs_ok:
                    pc[meas] = None
                    continue
                rs = [smallest_r(p, b, TARGET, *r_axis) for p, b in pairs_ok]
                found = [v for v in rs if v is not None]
                pc[meas] = {
                    "saving_default_r": mean_ci(np.array([saving(p, b, r_default) for p, b in pairs_ok])),
                    "saving_r1": mean_ci(np.array([saving(p, b, 1.0) for p, b in pairs_ok])),
                    "saving_r_low": mean_ci(np.array([saving(p, b, r_axis[0]) for p, b in pairs_ok])),
                    "saving_curve": [float(np.mean([saving(p, b, rv) for p, b in pairs_ok])) for rv in R_CURVE],
                    "smallest_r_per_seed": rs,
                    "r_needed_unbounded_per_seed": [smallest_r(p, b, TARGET, r_axis[0], 1e9) for p, b in pairs_ok],
                    "smallest_r": mean_ci(np.array(found)) if len(found) == len(rs) else None,
                    "passes_in_seeds": len(found),
                }
            pc["theta"] = mean_ci(np.array([theta_at(st, LoadSums(**r["policies"][lab]["whole_run"]).max_sum
                                                     / LoadSums(**r["policies"][lab]["whole_run"]).steps)
                                            for r in reps]))
            c["policies"][lab] = pc
        paper_labs = [lab for lab in labels if lab.startswith("bfio_paper")]
        best = max(paper_labs, key=lambda lab: c["policies"][lab]["whole_run"]["saving_default_r"][0])
        c["bfio_paper_best_h"] = int(best.split("_h")[1])
        c["policies"]["bfio_paper_best"] = {**c["policies"][best], "H": c["bfio_paper_best_h"]}
        if workload == "uniform_fixed":
            c["ceiling"] = ceiling_record(G, B, st, r_default)
        row["cards"][card] = c
    return row


def ceiling_record(G: int, B: int, st: StepTimeModel, r_default: float) -> dict[str, Any]:
    """The theory ceiling for ``uniform_fixed`` at (G, B) on one card."""
    lo, hi = UNIFORM_FIXED["prompt"]
    vals = np.arange(lo, hi + 1, dtype=float)
    ci = CeilingInputs(G, B, lo, hi, float(vals.mean()), float(vals.std()), UNIFORM_FIXED["output"], st)
    theta, iota = ceiling_theta_iota(ci)
    x = theta * iota
    r_star = ceiling_smallest_r(x, TARGET)
    return {"theta_U": theta, "iota_U": iota, "x_U": x, "smallest_r": r_star if math.isfinite(r_star) else None,
            "rules_out_52": bool(r_star > 1.0), "saving_default_r": ceiling_saving(ci, r_default),
            "saving_r1": ceiling_saving(ci, 1.0)}


def c5_figures(rows: list[dict[str, Any]], r_default: float) -> dict[str, Any]:
    """:func:`c5_on` on the roofline cards, and the same on the authors' constants (as ``paper_constants``)."""
    out = c5_on(rows, r_default, [*CARDS, *measured_cards()])
    out["paper_constants"] = c5_on(rows, r_default, [REFERENCE_CARD])
    return out


def c5_on(rows: list[dict[str, Any]], r_default: float, cards: list[str]) -> dict[str, Any]:
    """What the C5 row needs: the smallest r passing 52% like for like (and where), the largest saving at the
    default r (and where), for our BF-IO and the authors' heuristic at its best H, on the roofline cards."""
    out: dict[str, Any] = {"target_saving": TARGET, "default_r": r_default, "measure": "whole_run",
                           "cards": cards}
    for pol in ("bfio", "bfio_paper_best"):
        best_r: dict[str, Any] | None = None
        best_s: dict[str, Any] | None = None
        best_w: dict[str, Any] | None = None
        best_1: dict[str, Any] | None = None
        for r in rows:
            for card in cards:
                p = r["cards"][card]["policies"][pol]
                where = {"workload": r["workload"], "G": r["G"], "B": r["B"], "card": card,
                         "theta": r["cards"][card]["theta_fcfs"][0]}
                if pol == "bfio_paper_best":
                    where["H"] = p["H"]
                m = p["whole_run"]
                if m["smallest_r"] is not None and (best_r is None or m["smallest_r"][0] < best_r["r"]):
                    best_r = {"r": m["smallest_r"][0], "ci": m["smallest_r"][1], **where}
                if best_s is None or m["saving_default_r"][0] > best_s["saving"]:
                    best_s = {"saving": m["saving_default_r"][0], "ci": m["saving_default_r"][1], **where}
                if best_1 is None or m["saving_r1"][0] > best_1["saving"]:
                    best_1 = {"saving": m["saving_r1"][0], "ci": m["saving_r1"][1], **where}
                w = p["paper_window"]
                if w is not None and (best_w is None or w["saving_default_r"][0] > best_w["saving"]):
                    best_w = {"saving": w["saving_default_r"][0], "ci": w["saving_default_r"][1], **where}
        out[pol] = {"smallest_r_passing_52_like_for_like": best_r,
                    "largest_saving_default_r_like_for_like": best_s,
                    "largest_saving_default_r_paper_window": best_w,
                    "largest_saving_r1_like_for_like": best_1}
    return out


def theta_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """θ per card for every setting (FCFS, whole run), and the settings where the cards' θ differ most."""
    out = []
    for r in rows:
        th = {c: d["theta_fcfs"][0] for c, d in r["cards"].items()}
        out.append({"workload": r["workload"], "G": r["G"], "B": r["B"], "theta": th,
                    "spread": max(th[c] for c in CARDS) - min(th[c] for c in CARDS)})
    return {"rows": out, "max_spread": max(out, key=lambda d: d["spread"])}


def _nan_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _nan_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_nan_safe(v) for v in x]
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(f"{float(x):.6g}") if np.isfinite(x) else None
    return x


def write_result(path: Path, obj: dict[str, Any]) -> None:
    """Atomic write; ``rows`` one compact row per line."""
    rows = obj.get("rows", [])
    head = {k: v for k, v in obj.items() if k != "rows"}
    text = json.dumps(head, indent=2, allow_nan=False)[:-2]
    text += ',\n  "rows": [\n' + ",\n".join(
        "    " + json.dumps(r, separators=(",", ":"), allow_nan=False) for r in rows) + "\n  ]\n}\n"
    json.loads(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _replicate_code_hash() -> str:
    """What a replicate's load sums depend on: the simulation code (the import closure of the engine, the
    policies and the workloads), ``hardware/pricing.py`` (``LoadSums``) and this script's functions that build
    and run a replicate (their source and constants), so an edit of the pricing or the plot reprices only."""
    import hashlib
    import inspect

    from lbtheory.provenance import PACKAGE_DIR, closure_hash, file_sha256

    own = "".join(inspect.getsource(f) for f in (n_requests, workload_for, policies, one_replicate))
    own += repr((REQ_PER_SLOT, UNIFORM_FIXED))
    return (closure_hash(["lbtheory.engine", "lbtheory.policies", "lbtheory.workloads"])
            + file_sha256(PACKAGE_DIR / "hardware" / "pricing.py") + hashlib.sha256(own.encode()).hexdigest())


def replicate_key(job: tuple[Any, ...], code: str) -> str:
    """The cache key of one replicate: its arguments, the code hash and the content of the trace it reads."""
    import hashlib

    from lbtheory.provenance import content_hash

    path = shared_trace_path(job[0]) if job[0] != "uniform_fixed" else None
    blob = json.dumps({"job": list(job), "code": code, "trace": content_hash(path) if path else None},
                      default=str, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def run_grid(tier: dict[str, Any], seed_list: list[int], r_default: float, r_axis: tuple[float, float],
             cells: list[tuple[str, int, int]] | None = None, cache: Path | None = None) -> list[dict[str, Any]]:
    """Every cell's replicates, run in a local process pool (``LBTHEORY_WORKERS`` processes, default the
    machine's cores; 1 runs them here), then priced in the grid's order. With ``cache``, each replicate's load
    sums are stored as ``<key>.json`` (:func:`replicate_key`) and read back instead of rerun while the code
    and the trace they came from are unchanged (an edit of the pricing, the theory or the plot reprices only)."""
    from concurrent.futures import ProcessPoolExecutor

    cells = cells or grid_cells(tier)
    jobs = [(wl, G, B, s, tier["H"]) for wl, G, B in cells for s in seed_list]
    code = _replicate_code_hash()
    keys = [replicate_key(job, code) for job in jobs]
    done: dict[int, dict[str, Any]] = {}
    if cache is not None:
        for j, k in enumerate(keys):
            f = cache / f"{k}.json"
            if f.is_file():
                with contextlib.suppress(json.JSONDecodeError, OSError):
                    done[j] = json.loads(f.read_text())
        if done:
            print(f"  {len(done)} of {len(jobs)} replicates read from {cache}", flush=True)

    def keep(j: int, rep: dict[str, Any]) -> None:
        done[j] = rep
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            tmp = cache / f".{keys[j]}.tmp"
            tmp.write_text(json.dumps(rep))
            tmp.replace(cache / f"{keys[j]}.json")

    todo = [j for j in range(len(jobs)) if j not in done]
    n_workers = int(os.environ.get("LBTHEORY_WORKERS") or os.cpu_count() or 1)
    if n_workers <= 1 or len(todo) <= 1:
        for j in todo:
            keep(j, one_replicate(*jobs[j]))
    else:  # the largest cells first, so the pool is not left waiting on one at the end
        from concurrent.futures import as_completed

        order = sorted(todo, key=lambda j: -jobs[j][1] * jobs[j][2])
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            futures = {pool.submit(one_replicate, *jobs[j]): j for j in order}
            for n_done, fut in enumerate(as_completed(futures), 1):
                keep(futures[fut], fut.result())
                wl, G, B, seed, _ = jobs[futures[fut]]
                print(f"  replicate {n_done}/{len(todo)} ({wl} G={G} B={B} seed {seed}) "
                      f"{time.perf_counter() - t0:.0f} s", flush=True)
    reps = [done[j] for j in range(len(jobs))]
    rows = []
    for c, (wl, G, B) in enumerate(cells):
        rows.append(price_cell(wl, G, B, reps[c * len(seed_list):(c + 1) * len(seed_list)], tier["H"],
                               r_default, r_axis))
        print(f"  {wl:13s} G={G:5d} B={B:4d} done", flush=True)
    return rows


def time_slice() -> None:
    """Time one seed of a few full-tier cells and extrapolate (work ∝ G·B per cell, seeds and workloads)."""
    full = TIERS["full"]
    ev = load_wait_power_evidence()
    cells = [("burst", 64, 72), ("burst", 256, 128), ("longbench", 256, 72), ("burst", 1024, 72)]
    per_slot = []
    for wl, G, B in cells:
        t0 = time.perf_counter()
        run_grid(full, [1], ev.default_r, ev.axis, [(wl, G, B)])
        dt = time.perf_counter() - t0
        per_slot.append(dt / (G * B))
        print(f"slice {wl} G={G} B={B}: {dt:.1f} s (one seed, {len(policies(full['H']))} policies)")
    rate = float(np.median(per_slot))
    total_slots = sum(G * B for _, G, B in grid_cells(full))
    est = rate * total_slots * full["seeds"]
    print(f"estimated full tier: {est / 3600:.1f} h on this machine (median {rate * 1e6:.1f} us per slot-cell-seed)")


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--replot", action="store_true", help="redraw the figure and macros from the stored result")
    ap.add_argument("--slice", action="store_true", help="time a few full-tier cells, estimate the full tier")
    args = ap.parse_args()
    if args.replot:
        replot()
        return
    if args.slice:
        time_slice()
        return
    tier_name = "full" if args.full else "fast"
    tier = dict(TIERS[tier_name])
    seeds = args.seeds or tier["seeds"]
    ev = load_wait_power_evidence()
    r_default, r_axis = ev.default_r, ev.axis
    seed_list = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(ROOT_SEED).spawn(seeds)]
    t0 = time.perf_counter()
    rows = run_grid(tier, seed_list, r_default, r_axis, cache=cache_dir("energy_map"))
    wall = time.perf_counter() - t0
    c5 = c5_figures(rows, r_default)
    thetas = theta_table(rows)
    roof = {c: {"inputs": load_card(c).sources, "model": MODEL,
                "example_G256_B72": roofline_step(load_card(c), get_roofline_model(MODEL), 72, 256).__dict__}
            for c in CARDS}
    notes = [
        "primary measure: whole-run energy per generated token on the same requests (like for like); "
        "'paper_window' is the paper's measure (per token over each policy's own steady-state window)",
        "energy: worker-time model E = P_busy*(busy + r*wait); savings depend on r = P_wait/P_busy only",
        f"default r = {r_default:.3f}: median of the evidence ratios (wait_power_evidence.json); axis r in "
        f"[{r_axis[0]}, {r_axis[1]}]",
        "step time: roofline per card (lbtheory.hardware.roofline), DeepSeek-V3 with EP over the G ranks; "
        "'paper' is the authors' constants (reference)",
        f"N = max(4000, {REQ_PER_SLOT}*G*B) requests; a shared trace is used where it holds N (see each row's "
        "origin), else the calibrated generator",
        "uniform_fixed: prompts U{1..2048}, outputs 256, pool R = G*B: the hypotheses of loadblind_upper hold; "
        "its 'ceiling' is the theory bound on any policy's saving over FCFS (x_U from loadblind_upper, "
        "energy_saving_spin)",
        "bfio_paper_best: the authors' heuristic at the H (of " + ", ".join(map(str, tier["H"]))
        + ") with the largest mean like-for-like saving at the default r, per setting and card",
    ]
    config = {"tier": tier_name, **tier, "seeds": seed_list,
              "cards": [*CARDS, REFERENCE_CARD, *measured_cards()], "model": MODEL,
              "target_saving": TARGET, "requests_per_slot": REQ_PER_SLOT, "root_seed": ROOT_SEED,
              "r_default": r_default, "r_axis": list(r_axis)}
    result = _nan_safe({
        "manifest": manifest(config, ROOT_SEED, wall), "notes": notes, "c5": c5,
        "wait_power_evidence": ev.to_dict(), "roofline": roof, "theta_by_card": thetas, "rows": rows})
    write_result(RESULTS / "energy_map.json", result)
    result = json.loads((RESULTS / "energy_map.json").read_text())
    print_summary(result)
    plot(result)
    write_macros(VARIABLES / "energy_map.tex", macros(result), "results/energy_map.json")
    print(f"wall {wall:.1f} s; wrote results/energy_map.json, paper/figures/energy_map.pdf, "
          "paper/variables/energy_map.tex")


def replot() -> None:
    result = json.loads((RESULTS / "energy_map.json").read_text())
    plot(result)
    write_macros(VARIABLES / "energy_map.tex", macros(result), "results/energy_map.json")
    print("redrew paper/figures/energy_map.pdf and paper/variables/energy_map.tex from results/energy_map.json")


def print_summary(result: dict[str, Any]) -> None:
    print(f"C5 figures (target {TARGET:.0%}, default r = {result['c5']['default_r']:.3f}):")
    for pol in ("bfio", "bfio_paper_best"):
        for k, v in result["c5"][pol].items():
            print(f"  {pol:16s} {k}: {v}")
    print("theta by card, widest spread:", result["theta_by_card"]["max_spread"])
    print(f"{'workload':13s} {'G':>5s} {'B':>4s} " + " ".join(f"{c:>16s}" for c in CARDS))
    for r in result["rows"]:
        cells = []
        for c in CARDS:
            d = r["cards"][c]
            sr = d["policies"]["bfio"]["whole_run"]["smallest_r"]
            cells.append(f"th={d['theta_fcfs'][0]:.2f} r*={'  - ' if sr is None else f'{sr[0]:.2f}'}")
        print(f"{r['workload']:13s} {r['G']:5d} {r['B']:4d} " + " ".join(f"{x:>16s}" for x in cells))


def _tex(text: str) -> str:
    return text.replace("_", r"\_")


def macros(result: dict[str, Any]) -> dict[str, str]:
    """The macros of a stored result (what tests/meta/test_macros.py recomputes); none for a result written
    before the like-for-like measure (no ``c5`` block): the report then says the map awaits its rerun."""
    if "c5" not in result:
        return {}
    c5 = result["c5"]
    m = {macro_name("em", "default", "r"): f"{c5['default_r']:.2f}",
         macro_name("em", "settings"): str(len(result["rows"]))}
    for pol in ("bfio", "bfio_paper_best"):
        tag = "bfio" if pol == "bfio" else "paper"
        d = c5[pol]
        s = d["largest_saving_default_r_like_for_like"]
        m[macro_name("em", tag, "max", "saving")] = f"{100 * s['saving']:.1f}"
        m[macro_name("em", tag, "max", "saving", "where")] = _tex(f"{s['workload']}, G={s['G']}, B={s['B']}, {s['card']}")
        w = d["largest_saving_default_r_paper_window"]
        if w is not None:
            m[macro_name("em", tag, "max", "window", "saving")] = f"{100 * w['saving']:.1f}"
        rr = d["smallest_r_passing_52_like_for_like"]
        m[macro_name("em", tag, "smallest", "r")] = "none" if rr is None else f"{rr['r']:.2f}"
        m[macro_name("em", tag, "smallest", "r", "where")] = (
            "no setting" if rr is None else _tex(f"{rr['workload']}, G={rr['G']}, B={rr['B']}, {rr['card']}"))
    sp = result["theta_by_card"]["max_spread"]
    m[macro_name("em", "theta", "spread", "where")] = _tex(f"{sp['workload']}, G={sp['G']}, B={sp['B']}")
    for c in CARDS:
        m[macro_name("em", "theta", c)] = f"{sp['theta'][c]:.3f}"
    return m


def plot(result: dict[str, Any]) -> None:
    """(a) phase diagram per workload over (G, B) on the H200: the smallest r passing 52% (BF-IO, whole run) as
    text, coloured by the saving at r = 1; 'theory: out' where the ceiling rules 52% out; (b) saving vs r for the
    best cell, both policies and measures; (c) the theory ceiling against simulation on uniform_fixed; (d) θ per
    card."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    wls = list(dict.fromkeys(r["workload"] for r in rows))
    Gs = sorted({r["G"] for r in rows})
    Bs = sorted({r["B"] for r in rows})
    card = "h200"
    fig, axes = plt.subplots(1, len(wls) + 3, figsize=(4.2 * (len(wls) + 3), 4.0), constrained_layout=True)
    for ax, wl in zip(axes, wls, strict=False):
        grid = np.full((len(Bs), len(Gs)), np.nan)
        for r in rows:
            if r["workload"] == wl:
                grid[Bs.index(r["B"]), Gs.index(r["G"])] = r["cards"][card]["policies"]["bfio"]["whole_run"][
                    "saving_r1"][0]
        im = ax.imshow(grid, origin="lower", vmin=0.0, vmax=0.6, cmap="viridis", aspect="auto")
        for r in rows:
            if r["workload"] != wl:
                continue
            i, j = Bs.index(r["B"]), Gs.index(r["G"])
            sr = r["cards"][card]["policies"]["bfio"]["whole_run"]["smallest_r"]
            ax.text(j, i, "r*: none" if sr is None else f"r* = {sr[0]:.2f}", ha="center", va="center",
                    fontsize=7, color="w")
            ce = r["cards"][card].get("ceiling")
            if ce is not None and ce["rules_out_52"]:
                ax.text(j, i - 0.3, "theory: out", ha="center", va="center", fontsize=6, color="r")
        ax.set_xticks(range(len(Gs)), [str(g) for g in Gs])
        ax.set_yticks(range(len(Bs)), [str(b) for b in Bs])
        ax.set_xlabel("G")
        ax.set_ylabel("B")
        ax.set_title(f"{wl} ({card}): smallest r for 52%", fontsize=9)
    fig.colorbar(im, ax=axes[len(wls) - 1], label="BF-IO saving at r = 1, whole run")
    # (b) saving vs r at the best cell
    ax = axes[len(wls)]
    best = result["c5"]["bfio"]["largest_saving_default_r_like_for_like"]
    row = next(r for r in rows if (r["workload"], r["G"], r["B"]) == (best["workload"], best["G"], best["B"]))
    rr = np.linspace(0.1, 1.0, 50)
    for pol in ("bfio", "bfio_paper_best"):
        p = row["cards"][best["card"]]["policies"][pol]
        for meas, ls in (("whole_run", "-"), ("paper_window", ":")):
            m = p[meas]
            if m is None:
                continue
            xs, ys = R_CURVE, m["saving_curve"]
            ax.plot(xs, ys, ls=ls, marker="o", label=f"{pol} {meas}")
    ax.axhline(TARGET, color="r", ls="--", lw=1)
    ax.axvline(result["c5"]["default_r"], color="grey", lw=0.8)
    ax.set_xlabel("r = P_wait/P_busy")
    ax.set_ylabel("saving vs FCFS")
    ax.set_title(f"{best['workload']} G={best['G']} B={best['B']} {best['card']}", fontsize=9)
    ax.legend(fontsize=6)
    # (c) the theory ceiling against simulation where its hypotheses hold (uniform_fixed), authors' constants
    ax = axes[len(wls) + 1]
    ce_rows = [r for r in rows if "ceiling" in r["cards"][REFERENCE_CARD]]
    for k, r in enumerate(ce_rows):
        x = r["cards"][REFERENCE_CARD]["ceiling"]["x_U"]
        col = f"C{k % 10}"
        ax.plot(rr, x * rr / ((1 - x) + x * rr), color=col, lw=1, label=f"G={r['G']} B={r['B']} ceiling")
        sim = r["cards"][REFERENCE_CARD]["policies"]["bfio"]["whole_run"]["saving_curve"]
        ax.plot(R_CURVE, sim, "o", color=col, ms=3)
    ax.axhline(TARGET, color="r", ls="--", lw=1)
    ax.set_xlabel("r = P_wait/P_busy")
    ax.set_ylabel("saving vs FCFS")
    ax.set_title("uniform_fixed (paper constants): BF-IO (o) under the ceiling (—)", fontsize=8)
    ax.legend(fontsize=5)
    # (d) theta per card
    ax = axes[len(wls) + 2]
    for c in CARDS:
        ax.scatter([f"{r['workload'][:5]} {r['G']}/{r['B']}" for r in rows],
                   [r["cards"][c]["theta_fcfs"][0] for r in rows], s=10, label=c)
    ax.tick_params(axis="x", rotation=90, labelsize=5)
    ax.set_ylabel("θ (FCFS, whole run)")
    ax.set_title("load share of step time, by card", fontsize=9)
    ax.legend(fontsize=6)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "energy_map.pdf")
    fig.savefig(FIGURES / "energy_map.png", dpi=110)


if __name__ == "__main__":
    main()
