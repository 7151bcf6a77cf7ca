"""BF-IO against what serving engines actually run: dispatch on arrival, open-loop traffic, stale snapshots.

    python experiments/production.py [--full] [--seeds K]

Traffic: the Azure LLM 2023 conversation and code traces with their own timestamps, scaled so the mean
arrival rate is λ = ρ·μ (``lbtheory.capacity``: μ = G·B / (E[o]·Δt̄), an estimate of the service rate
that ignores the barrier's straggler, so ρ near 1 is already past what most policies sustain), and the
LongBench-v2 long-context trace with Poisson arrivals at the same load factors. Each replicate r takes the
r-th block of N consecutive requests of the trace, in the trace's order (Poisson draws seeded per
replicate). Fast tier: G = 8, B = 16, N = 2,000, ρ ∈ {0.5, 0.7, 0.9}, one replicate; full: G = 16,
B = 32, N = 8,000, ρ ∈ {0.5, 0.7, 0.8, 0.9, 0.95}, three.

Policies. Central pool (MODEL.md; the engine's window holds every arrived request, pool = N): FCFS, JSQ by
tokens, BF-IO (H = 0) when registered. Dispatch on arrival (lbtheory.policies.production, pool = N so
every arrival is routed at the first step after it): the seven production rules, each with its engine's
own snapshot interval (SGLang 20 ms, vLLM 100 ms; TensorRT-LLM's all-gather, the SGLang router's in-flight
counter for power of two and Dynamo's router-local tracking are fresh every step), and BF-IO's router with
H = 0 and H = 32 (slot-aware), and H = 32 ranking by tokens only. Policies are told ô = o (exact
predictions); only Dynamo and BF-IO's router with H = 32 read it.

Staleness: on the conversation trace at ρ = 0.8, the request-count and token rules with snapshot
intervals 0, 20, 100, 500 ms, with and without counting their own dispatches between snapshots. A burst is
measured per snapshot interval (the requests routed against one snapshot): the most that land on one rank,
and the mean excess of that over the balanced ⌈n/G⌉.

Stability: a run "sustains" its load when its backlog (arrived, not yet started) grows by at most 5% of
the arrivals after the first 20% (``lbtheory.capacity.sustains``; a trend, not a proof). On the Azure
traces' own timestamps a late burst also counts as growth: the coding trace's gaps have CV ≈ 13.

Writes results/production.json, paper/figures/production.pdf (+ .png) and paper/variables/production.tex.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from _common import FIGURES, macro_name, parser, publish

from lbtheory.capacity import backlog_growth, rate_for_load, service_rate_per_s
from lbtheory.engine import simulate
from lbtheory.metrics import summarize
from lbtheory.policies import Policy, make_policy, policy_names
from lbtheory.policies.dispatch import DispatchPolicy
from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, sim_config
from lbtheory.workloads import (
    Workload,
    apply_predictions,
    load_trace,
    poisson_arrivals,
    scale_to_rate,
    shared_trace_path,
)

ROOT_SEED = 20260211
TRACES = ("azure_conv", "azure_code", "longbench")
MAX_GROWTH = 0.05

#: (label, registered name, parameters) of every policy in the comparison, in report order.
PRODUCTION = (
    ("sglang_round_robin", "sglang_round_robin", {"snapshot_interval_s": 0.02}),
    ("sglang_total_requests", "sglang_total_requests", {"snapshot_interval_s": 0.02}),
    ("sglang_total_tokens", "sglang_total_tokens", {"snapshot_interval_s": 0.02}),
    ("vllm", "vllm", {"snapshot_interval_s": 0.1}),
    ("trtllm", "trtllm", {}),
    ("power_of_two", "power_of_two", {}),
    ("dynamo", "dynamo", {}),
)
STALE_RULES = ("sglang_total_requests", "sglang_total_tokens", "vllm", "power_of_two")
STALE_INTERVALS_S = (0.0, 0.02, 0.1, 0.5)


def policies() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = [("fcfs", "fcfs", {}), ("jsq_tokens", "jsq_tokens", {})]
    if "bfio" in policy_names():
        out.append(("bfio (central pool)", "bfio", {"horizon": 0}))
    out += [(lab, name, dict(p)) for lab, name, p in PRODUCTION]
    out += [("bfio_router (H=0)", "bfio_router", {"horizon": 0}),
            ("bfio_router (H=32)", "bfio_router", {"horizon": 32}),
            ("bfio_router (H=32, tokens)", "bfio_router", {"horizon": 32, "slot_aware": False})]
    return out


def trace_block(name: str, n: int, block: int) -> Workload:
    path = shared_trace_path(name)
    if path is None:
        raise SystemExit(f"shared trace {name!r} not found (set LBTHEORY_DATA); this experiment needs the files")
    w = load_trace(path)
    start = (block * n) % max(w.n_requests - n + 1, 1)
    sl = np.arange(start, start + n)
    a = None if w.arrival_time_s is None else w.arrival_time_s[sl] - w.arrival_time_s[sl][0]
    return Workload(w.prompt_tokens[sl], w.output_tokens[sl], a, None, name, dict(w.meta))


def offered(w: Workload, cfg: Any, rho: float, rng: np.random.Generator) -> tuple[Workload, float]:
    lam = rate_for_load(w, cfg.cluster, cfg.step_time, rho)
    times = scale_to_rate(w.arrival_time_s, lam) if w.arrival_time_s is not None \
        else poisson_arrivals(w.n_requests, lam, rng, start_at_zero=True)
    return apply_predictions(w.with_arrivals(times), "exact", rng), lam


def burst_stats(pol: Policy, G: int) -> dict[str, float] | None:
    """Per snapshot interval (requests routed against one snapshot): the most that land on one rank, and
    the mean excess of that over ⌈n/G⌉ (intervals with n >= 2); per epoch too."""
    if not isinstance(pol, DispatchPolicy):
        return None
    log = pol.dispatch_log()
    out: dict[str, float] = {}
    for key, grp in (("interval", log.refresh), ("epoch", log.step)):
        _, inv, n = np.unique(grp, return_inverse=True, return_counts=True)
        top = np.zeros(n.size, np.int64)
        counts = np.zeros((n.size, G), np.int64)
        np.add.at(counts, (inv, log.worker), 1)
        top = counts.max(axis=1)
        many = n >= 2
        out[f"max_landing_per_{key}"] = int(top.max()) if top.size else 0
        out[f"mean_excess_per_{key}"] = float((top - -(-n // G))[many].mean()) if many.any() else 0.0
    return out


def run_one(w: Workload, cfg: Any, prof: Any, name: str, params: dict[str, Any], seed: int) -> dict[str, Any]:
    pol = make_policy(name, **params)
    t0 = time.perf_counter()
    r = simulate(w, cfg, pol, np.random.default_rng(seed), seed=seed)
    s = summarize(r, prof.power)
    req = r.requests
    growth = backlog_growth(req.arrival_time_s, req.admit_time_s)
    wr, lat = s.whole_run, s.latency
    return {
        "ttft_median_s": lat.ttft_median_s, "ttft_p99_s": lat.ttft_p99_s,
        "queue_median_s": lat.queue_delay_median_s, "queue_p99_s": lat.queue_delay_p99_s,
        "tpot_s": wr.tpot_s, "throughput_tok_per_s": wr.throughput_tok_per_s,
        "completed_req_per_s": w.n_requests / wr.duration_s,
        "idle_fraction": wr.avg_idle_fraction, "energy_per_token_j": wr.energy_per_token_j,
        "energy_j": wr.energy_j, "backlog_growth": growth, "sustains": bool(growth <= MAX_GROWTH),
        "burst": burst_stats(pol, cfg.cluster.workers), "policy": pol.describe(),
        "wall_s": time.perf_counter() - t0,
    }


def main() -> None:
    args = parser(__doc__).parse_args()
    G, B, N = (16, 32, 8000) if args.full else (8, 16, 2000)
    loads = (0.5, 0.7, 0.8, 0.9, 0.95) if args.full else (0.5, 0.7, 0.9)
    seeds = args.seeds or (3 if args.full else 1)
    t_start = time.perf_counter()
    root = np.random.SeedSequence(ROOT_SEED)
    cfg, prof = sim_config(RunSpec(workers=G, slots=B, policy="fcfs", workload="synthetic", requests=1,
                                   pool=N, arrivals="poisson", rate_per_s=1.0))
    pols = policies()
    rows: list[dict[str, Any]] = []
    for ti, trace in enumerate(TRACES):
        for rep, child in enumerate(root.spawn(seeds)):
            base = trace_block(trace, N, rep)
            mu = service_rate_per_s(base, cfg.cluster, cfg.step_time)
            for li, rho in enumerate(loads):
                rng = np.random.default_rng([ROOT_SEED, ti, rep, li])
                w, lam = offered(base, cfg, rho, rng)
                for label, name, params in pols:
                    m = run_one(w, cfg, prof, name, params, seed=int(child.generate_state(1)[0]))
                    rows.append({"trace": trace, "replicate": rep, "rho": rho, "rate_per_s": lam,
                                 "service_rate_per_s": mu, "label": label, **m})
                    print(f"{trace:10s} r{rep} rho={rho:.2f} {label:22s} TTFT p50 {1e3 * m['ttft_median_s']:8.1f} ms"
                          f" p99 {1e3 * m['ttft_p99_s']:9.1f} ms  queue p99 {1e3 * m['queue_p99_s']:9.1f} ms"
                          f"  idle {m['idle_fraction']:.3f}  thr {m['throughput_tok_per_s']:8.0f}"
                          f"  {'ok' if m['sustains'] else 'GROWS'}  ({m['wall_s']:.1f}s)", flush=True)
    stale = staleness(N, cfg, prof)
    config = {"G": G, "B": B, "requests_per_replicate": N, "loads": loads, "replicates": seeds,
              "traces": TRACES, "policies": [{"label": lab, "name": n, "params": p} for lab, n, p in pols],
              "pool": N, "predictions": "exact", "profile": "paper", "max_backlog_growth": MAX_GROWTH,
              "stale_rules": STALE_RULES, "stale_intervals_s": STALE_INTERVALS_S,
              "spans": "latencies over all requests; throughput, TPOT, idle, energy over the whole run"}
    publish("production", {"manifest": manifest(config, ROOT_SEED, time.perf_counter() - t_start),
                           "rows": rows, "staleness": stale}, macros)
    table(rows, loads)
    stale_table(stale)
    plot(rows, loads)
    print(f"wrote results/production.json, paper/figures/production.pdf, paper/variables/production.tex "
          f"({time.perf_counter() - t_start:.0f} s)")


def staleness(N: int, cfg: Any, prof: Any) -> list[dict[str, Any]]:
    rho = 0.8
    base = trace_block("azure_conv", N, 0)
    rng = np.random.default_rng([ROOT_SEED, 99])
    w, lam = offered(base, cfg, rho, rng)
    out = []
    for rule in STALE_RULES:
        for interval in STALE_INTERVALS_S:
            for own in (True, False):
                m = run_one(w, cfg, prof, rule, {"snapshot_interval_s": interval, "count_own_dispatches": own},
                            seed=ROOT_SEED)
                out.append({"trace": "azure_conv", "rho": rho, "rate_per_s": lam, "rule": rule,
                            "snapshot_interval_s": interval, "count_own_dispatches": own, **m})
    return out


def _agg(rows: list[dict[str, Any]], key: str) -> float:
    return float(np.mean([r[key] for r in rows]))


def table(rows: list[dict[str, Any]], loads: tuple[float, ...]) -> None:
    labels = list(dict.fromkeys(r["label"] for r in rows))
    for trace in TRACES:
        print(f"\n== {trace}: TTFT p50 / p99 (ms), queue p99 (ms), TPOT (ms), idle, J/token; '*' = backlog grows")
        print(f"{'policy':22s}" + "".join(f" | rho={rho:<4}{'':38s}" for rho in loads))
        for lab in labels:
            cells = []
            for rho in loads:
                rs = [r for r in rows if r["trace"] == trace and r["label"] == lab and r["rho"] == rho]
                star = "" if all(r["sustains"] for r in rs) else "*"
                cells.append(f" | {1e3 * _agg(rs, 'ttft_median_s'):6.1f}/{1e3 * _agg(rs, 'ttft_p99_s'):8.1f}"
                             f" {1e3 * _agg(rs, 'queue_p99_s'):8.1f} {1e3 * _agg(rs, 'tpot_s'):5.2f}"
                             f" {_agg(rs, 'idle_fraction'):.3f} {_agg(rs, 'energy_per_token_j'):.3f}{star:1s}")
            print(f"{lab:22s}" + "".join(cells))


def stale_table(stale: list[dict[str, Any]]) -> None:
    print("\n== staleness (azure_conv, rho=0.8): snapshot interval, own-dispatch counting -> burst and cost")
    print(f"{'rule':22s} {'interval':>8s} {'own':>5s} {'max/int':>7s} {'excess':>6s} {'TTFT p50':>9s}"
          f" {'TTFT p99':>9s} {'queue p99':>9s} {'idle':>6s} {'tok/s':>8s}")
    for r in stale:
        b = r["burst"]
        print(f"{r['rule']:22s} {1e3 * r['snapshot_interval_s']:6.0f}ms {r['count_own_dispatches']!s:>5s}"
              f" {b['max_landing_per_interval']:7d} {b['mean_excess_per_interval']:6.2f}"
              f" {1e3 * r['ttft_median_s']:7.1f}ms {1e3 * r['ttft_p99_s']:7.1f}ms {1e3 * r['queue_p99_s']:7.1f}ms"
              f" {r['idle_fraction']:6.3f} {r['throughput_tok_per_s']:8.0f}")


def plot(rows: list[dict[str, Any]], loads: tuple[float, ...]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(r["label"] for r in rows))
    fig, axes = plt.subplots(2, len(TRACES), figsize=(4.6 * len(TRACES), 7.2), constrained_layout=True)
    cmap = plt.get_cmap("tab20")
    for j, trace in enumerate(TRACES):
        for k, lab in enumerate(labels):
            xs, p99, p50 = [], [], []
            for rho in loads:
                rs = [r for r in rows if r["trace"] == trace and r["label"] == lab and r["rho"] == rho]
                xs.append(_agg(rs, "throughput_tok_per_s"))
                p99.append(_agg(rs, "ttft_p99_s"))
                p50.append(_agg(rs, "ttft_median_s"))
            style = "-" if "bfio" in lab else ("--" if lab in ("fcfs", "jsq_tokens") else ":")
            for ax, ys in ((axes[0, j], p99), (axes[1, j], p50)):
                ax.plot(xs, ys, style, marker="o", ms=3, color=cmap(k % 20), label=lab)
        axes[0, j].set_title(f"{trace} (load ρ = {', '.join(str(x) for x in loads)})", fontsize=9)
        for i, what in enumerate(("p99", "median")):
            axes[i, j].set_yscale("log")
            axes[i, j].set_xlabel("throughput, tokens/s (whole run)")
            axes[i, j].set_ylabel(f"TTFT {what}, s")
    axes[0, 0].legend(fontsize=6, ncol=2)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "production.pdf")
    fig.savefig(FIGURES / "production.png", dpi=110)


def macro_label(label: str) -> str:
    """A policy label as macro words (no digits or punctuation clashes)."""
    return (label.replace("(H=0)", "hzero").replace("(H=32, tokens)", "hthirtytwo tokens")
            .replace("(H=32)", "hthirtytwo").replace("(central pool)", "pool"))


def macros(result: dict[str, Any]) -> dict[str, str]:
    """TTFT p99 (ms) and idle (%) per trace, load and policy (first replicate); the staleness table."""
    rows, stale = result["rows"], result["staleness"]
    out: dict[str, str] = {}
    for r in rows:
        if r["replicate"] != 0:
            continue
        lab = macro_label(r["label"])
        rho = f"rho{round(100 * r['rho'])}"
        out[macro_name("prod", r["trace"], rho, lab, "ttftp")] = f"{1e3 * r['ttft_p99_s']:.0f}"
        out[macro_name("prod", r["trace"], rho, lab, "idle")] = f"{100 * r['idle_fraction']:.1f}"
    for r in stale:
        key = macro_name("stale", r["rule"], f"ms{round(1e3 * r['snapshot_interval_s'])}",
                         "own" if r["count_own_dispatches"] else "blind")
        out[key + "Burst"] = str(r["burst"]["max_landing_per_interval"])
        out[key + "Ttftp"] = f"{1e3 * r['ttft_p99_s']:.0f}"
    return out


if __name__ == "__main__":
    main()
