"""Decision time of BF-IO (fast solver) and of the authors' heuristic on realistic mid-run epochs.

Snapshots: a JSQ-by-tokens run of the BurstGPT sample (resampled with replacement to N = 4·G·B requests,
exact predictions) on G ∈ {32, 64, 256, 1024} workers, B = 72, window R = 4G, saturated pool; we keep the
epochs of the steps just after the middle of its steady-state window (the pool never ran dry there). Each
snapshot holds the loads, counts, window and the listed active requests; ``decide`` is timed on it (the
listing of the active requests is done once when the snapshot is taken and is *not* in the timed call;
its cost in our engine is reported separately as ``listing_ms``). The first call of each policy (compile)
is not timed.

Policies: bfio H = 0, bfio H = 20, bfio_paper H = 20 and bfio_paper H = 72 (its default).

Whole epochs (what a user waits for): in a live run of each policy itself (same requests), 60 epochs (30
with ``--fast``) from a third into JSQ's steady-state window are timed from the engine's view to the decision:
this
includes the b_g(h) profile the policy reads from the engine and the program it builds. Policies: bfio and
bfio_paper at H = 0, 20 and 140; rows ``epoch <policy>``. Writes
results/bench_bfio.json. ``--fast`` uses G ∈ {32, 64, 256} and fewer snapshots.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, set_tier

from lbtheory.engine.simulate import simulate
from lbtheory.model import SimConfig
from lbtheory.policies.base import ActiveRequests, Admission, EpochView, Policy
from lbtheory.policies.bfio import BFIO
from lbtheory.policies.bfio_paper import BFIOPaper
from lbtheory.policies.jsq import JSQTokens
from lbtheory.provenance import manifest
from lbtheory.workloads import shared_trace_path
from lbtheory.workloads.base import Workload
from lbtheory.workloads.traces import load_json_trace

ROOT = Path(__file__).resolve().parents[1]
STEM = "bench_bfio"
SLOTS = 72


class SnapshotJSQ(JSQTokens):
    """JSQ by tokens that keeps a frozen copy of the epoch views at the chosen steps."""

    def __init__(self, steps: range) -> None:
        self.steps = steps
        self.snaps: list[EpochView] = []
        self.listing_s: list[float] = []

    def decide(self, view: EpochView) -> Admission:
        if view.step in self.steps:
            t0 = time.perf_counter()
            act = view.active_requests()
            self.listing_s.append(time.perf_counter() - t0)
            pred = view.window_predicted_output_tokens
            self.snaps.append(EpochView(
                view.step, view.clock_s, view.slots, view.loads.copy(), view.active_counts.copy(),
                view.window_requests.copy(), view.window_prompt_tokens.copy(),
                None if pred is None else pred.copy(), _frozen(act),
            ))
        return super().decide(view)


def _frozen(act: ActiveRequests):  # type: ignore[no-untyped-def]
    return lambda: act


def snapshots(wl: Workload, G: int, n_snaps: int, seed: int) -> tuple[list[EpochView], list[float]]:
    """Mid-run epochs of a JSQ run with G workers (N = 4·G·B requests resampled from ``wl``)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, wl.n_requests, 4 * G * SLOTS)
    w = Workload(wl.prompt_tokens[idx], wl.output_tokens[idx],
                 predicted_output_tokens=wl.output_tokens[idx], name=f"{wl.name}-resampled")
    cfg = SimConfig.paper(G, SLOTS)
    ws = simulate(w, cfg, "jsq_tokens", seed=seed).window_steps
    pol = SnapshotJSQ(range(ws // 2, ws // 2 + n_snaps))
    simulate(w, cfg, pol, seed=seed, compiled=False)
    return pol.snaps, pol.listing_s


class _Enough(Exception):
    """Raised by :class:`EpochTimer` once it has timed its epochs (ends the run early)."""


class EpochTimer(Policy):
    """Times whole epochs of a live run: ``decide`` of the wrapped policy on the engine's own view, which
    includes everything the policy reads from the engine (its b_g(h) profile or list of active requests)
    and builds (the epoch's program), plus the decision. Epochs from step ``start`` on are timed; after
    ``count`` of them the run is ended."""

    name = "epoch_timer"

    def __init__(self, inner: Policy, start: int, count: int) -> None:
        self.inner, self.start_step, self.count = inner, start, count
        self.needs_predictions = inner.needs_predictions
        self.times_s: list[float] = []

    def start(self, workers: int, slots: int, rng: np.random.Generator) -> None:
        self.times_s = []
        self.inner.start(workers, slots, rng)

    def decide(self, view: EpochView) -> Admission:
        if view.step < self.start_step:
            return self.inner.decide(view)
        t0 = time.perf_counter()
        out = self.inner.decide(view)
        self.times_s.append(time.perf_counter() - t0)
        if len(self.times_s) >= self.count:
            raise _Enough
        return out


def epoch_times(wl: Workload, G: int, pol: Policy, count: int, seed: int) -> np.ndarray:
    """Whole-epoch times (s) of ``pol`` in a live run (N = 4·G·B requests resampled from ``wl``), from a
    third of the way into the steady-state window of JSQ on the same requests."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, wl.n_requests, 4 * G * SLOTS)
    w = Workload(wl.prompt_tokens[idx], wl.output_tokens[idx],
                 predicted_output_tokens=wl.output_tokens[idx], name=f"{wl.name}-resampled")
    cfg = SimConfig.paper(G, SLOTS)
    timer = EpochTimer(pol, simulate(w, cfg, "jsq_tokens", seed=seed).window_steps // 3, count)
    try:
        simulate(w, cfg, timer, seed=seed)
    except _Enough:
        pass
    return np.array(timer.times_s)


def time_policy(pol: Policy, snaps: list[EpochView], repeats: int) -> np.ndarray:
    pol.start(snaps[0].workers, SLOTS, np.random.default_rng(0))
    pol.decide(snaps[0])  # compile / warm up
    out = []
    for _ in range(repeats):
        for v in snaps:
            t0 = time.perf_counter()
            pol.decide(v)
            out.append(time.perf_counter() - t0)
    return np.array(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="G up to 256, fewer snapshots")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    set_tier("fast" if args.fast else "full")  # the default run is the committed tier
    sizes = [32, 64, 256] if args.fast else [32, 64, 256, 1024]
    n_snaps = 20 if args.fast else 60
    path = shared_trace_path("burst")
    if path is None:
        raise SystemExit("the BurstGPT sample (../shared/data/burst_data_8000.json) is needed")
    wl = load_json_trace(path)
    policies: list[tuple[str, Policy]] = [
        ("bfio H=0", BFIO(horizon=0)),
        ("bfio H=20", BFIO(horizon=20)),
        ("bfio_paper H=20", BFIOPaper(horizon=20)),
        ("bfio_paper H=72", BFIOPaper(horizon=72)),
    ]
    epoch_policies: list[tuple[str, Policy]] = [
        *((f"bfio H={H}", BFIO(horizon=H)) for H in (0, 20, 140)),
        *((f"bfio_paper H={H}", BFIOPaper(horizon=H)) for H in (0, 20, 140)),
    ]
    n_epochs = 30 if args.fast else 60
    t0 = time.perf_counter()
    rows = []
    for G in sizes:
        snaps, listing = snapshots(wl, G, n_snaps, args.seed)
        free = np.array([v.free_slots.sum() for v in snaps])
        row: dict[str, object] = {
            "G": G, "B": SLOTS, "window": 4 * G, "snapshots": len(snaps),
            "steps": [int(snaps[0].step), int(snaps[-1].step)],
            "free_slots_median": float(np.median(free)),
            "listing_ms_median": 1e3 * float(np.median(listing)),
        }
        for label, pol in policies:
            reps = 5 if "bfio H" in label else 1
            ts = time_policy(pol, snaps, reps) * 1e3
            row[label] = {"median_ms": float(np.median(ts)), "p99_ms": float(np.percentile(ts, 99)),
                          "mean_ms": float(ts.mean()), "calls": int(ts.size)}
        for label, pol in epoch_policies:
            ts = epoch_times(wl, G, pol, count=n_epochs, seed=args.seed) * 1e3
            row["epoch " + label] = {"median_ms": float(np.median(ts)), "p99_ms": float(np.percentile(ts, 99)),
                                     "epochs": int(ts.size)}
        row["speedup_H20_median"] = (row["bfio_paper H=20"]["median_ms"]  # type: ignore[index]
                                     / row["bfio H=20"]["median_ms"])  # type: ignore[index]
        rows.append(row)
        print(f"G={G}: {len(snaps)} snapshots, median free slots {row['free_slots_median']:.0f}",
              flush=True)
    wall = time.perf_counter() - t0
    out = {
        "manifest": manifest({"workers": sizes, "slots": SLOTS, "window": "4G", "requests": "4·G·B",
                              "trace": "burst_data_8000.json (resampled)", "predictions": "exact",
                              "snapshots_per_G": n_snaps, "snapshot_policy": "jsq_tokens",
                              "policies": [p.describe() for _, p in policies]}, [args.seed], wall),
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{STEM}.json").write_text(json.dumps(out, indent=1))
    hdr = f"{'G':>5} {'free':>5} {'list ms':>8}"
    for label, _ in policies:
        hdr += f" | {label + ' med/p99 ms':>28}"
    print(hdr + f" | {'speed-up H=20':>13}")
    for r in rows:
        line = f"{r['G']:>5} {r['free_slots_median']:>5.0f} {r['listing_ms_median']:>8.3f}"
        for label, _ in policies:
            d = r[label]
            line += f" | {d['median_ms']:>13.3f} / {d['p99_ms']:>10.3f}"  # type: ignore[index]
        print(line + f" | {r['speedup_H20_median']:>12.1f}x")
    print("whole epoch (live run, from the engine's view to the decision), median ms:")
    for r in rows:
        print(f"{r['G']:>5} " + "  ".join(f"{label}: {r['epoch ' + label]['median_ms']:.3f}"
                                          for label, _ in epoch_policies))
    print(f"wrote {RESULTS / STEM}.json ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
