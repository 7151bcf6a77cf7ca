"""The highest Poisson arrival rate each policy sustains before its queue grows without bound.

    python experiments/sustainable_rate.py [--full]

Criterion (``lbtheory.capacity.sustains``): a run sustains its rate when its backlog Q (requests arrived
and not yet started, seen at each arrival) grows, after the first 20% of arrivals, by at most 5% of the
arrivals: least-squares slope dQ/da divided by the arrival rate <= 0.05. An overloaded system has growth
≈ 1 − μ/λ, so this flags overload by more than about 5%; a stable one has growth ≈ 0. It holds for any
admission order (the queueing-delay trend does not: BF-IO's central pool admits out of order). A finite
run cannot prove divergence, so this is a trend test, stated with its threshold.

Search: the load factor ρ = λ/μ, μ the estimate of ``lbtheory.capacity.service_rate_per_s``, is bisected
on [0.1, 1.6] (six halvings: a bracket of width 0.023) for each policy. Every probe uses the same requests
and the same unit-rate exponential gaps divided by λ (common random numbers), so probes differ only in
the rate. If the lower end already grows, the result is reported as "< 0.1"; if the upper end sustains,
"> 1.6". The rate is reported as ρ* (the largest probe that sustained) and λ* = ρ*·μ requests per second.

Workloads: the first N requests (their lengths; arrivals are Poisson) of the Azure conversation trace and
of LongBench-v2 (long context, heavy-tailed prompts); the full tier adds the Azure code trace. Fast tier:
G = 8, B = 16, N = 2,000; full: G = 16, B = 32, N = 8,000. Policies and their parameters are those of ``experiments/production.py``.

Writes results/sustainable_rate.json, paper/figures/sustainable_rate.pdf (+ .png) and
paper/variables/sustainable_rate.tex.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from _common import FIGURES, macro_name, parser, publish
from production import macro_label, policies, trace_block

from lbtheory.capacity import backlog_growth, service_rate_per_s
from lbtheory.engine import simulate
from lbtheory.policies import make_policy
from lbtheory.provenance import manifest
from lbtheory.runs import RunSpec, sim_config
from lbtheory.workloads import Workload, apply_predictions, poisson_arrivals

ROOT_SEED = 20260212
MAX_GROWTH = 0.05
LO, HI, HALVINGS = 0.1, 1.6, 6


def growth(w: Workload, unit_times: np.ndarray, lam: float, cfg: Any, name: str, params: dict[str, Any],
           seed: int) -> float:
    r = simulate(w.with_arrivals(unit_times / lam), cfg, make_policy(name, **params), seed=seed)
    return backlog_growth(r.requests.arrival_time_s, r.requests.admit_time_s)


def search(w: Workload, unit_times: np.ndarray, mu: float, cfg: Any, name: str, params: dict[str, Any],
           seed: int) -> dict[str, Any]:
    probes: list[tuple[float, float]] = []

    def ok(rho: float) -> bool:
        g = growth(w, unit_times, rho * mu, cfg, name, params, seed)
        probes.append((rho, g))
        return g <= MAX_GROWTH

    if not ok(LO):
        return {"rho_star": None, "bound": f"< {LO}", "probes": probes}
    if ok(HI):
        return {"rho_star": HI, "bound": f"> {HI}", "probes": probes}
    lo, hi = LO, HI
    for _ in range(HALVINGS):
        mid = 0.5 * (lo + hi)
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return {"rho_star": lo, "bound": f"[{lo:.3f}, {hi:.3f})", "probes": probes}


def main() -> None:
    args = parser(__doc__).parse_args()
    G, B, N = (16, 32, 8000) if args.full else (8, 16, 2000)
    traces = ("azure_conv", "azure_code", "longbench") if args.full else ("azure_conv", "longbench")
    t_start = time.perf_counter()
    cfg, _ = sim_config(RunSpec(workers=G, slots=B, policy="fcfs", workload="synthetic", requests=1,
                                pool=N, arrivals="poisson", rate_per_s=1.0))
    rows = []
    for ti, trace in enumerate(traces):
        rng = np.random.default_rng([ROOT_SEED, ti])
        base = trace_block(trace, N, 0).with_arrivals(None)
        w = apply_predictions(base, "exact", rng)
        unit = poisson_arrivals(N, 1.0, rng, start_at_zero=True)
        mu = service_rate_per_s(w, cfg.cluster, cfg.step_time)
        for label, name, params in policies():
            t0 = time.perf_counter()
            res = search(w, unit, mu, cfg, name, params, seed=ROOT_SEED)
            rho = res["rho_star"]
            rows.append({"trace": trace, "label": label, "name": name, "params": params,
                         "service_rate_estimate_per_s": mu,
                         "rate_star_per_s": None if rho is None else rho * mu, **res,
                         "wall_s": time.perf_counter() - t0})
            shown = "n/a" if rho is None else f"{rho:.3f}"
            lam = "n/a" if rho is None else f"{rho * mu:.1f}"
            print(f"{trace:10s} {label:22s} rho* {shown:>6s} {res['bound']:>16s}  lambda* {lam:>7s} req/s"
                  f"  (mu est {mu:.1f}; {time.perf_counter() - t0:.0f} s)", flush=True)
    config = {"G": G, "B": B, "requests": N, "traces": traces, "arrivals": "poisson (common random numbers)",
              "criterion": f"backlog growth (dQ/da / arrival rate) after 20% warm-up <= {MAX_GROWTH}",
              "bracket": [LO, HI], "halvings": HALVINGS, "predictions": "exact", "pool": N,
              "policies": [{"label": lab, "name": n, "params": p} for lab, n, p in policies()]}
    publish("sustainable_rate", {"manifest": manifest(config, ROOT_SEED, time.perf_counter() - t_start),
                                 "rows": rows}, macros)
    plot(rows, traces)
    print(f"wrote results/sustainable_rate.json, paper/figures/sustainable_rate.pdf, "
          f"paper/variables/sustainable_rate.tex ({time.perf_counter() - t_start:.0f} s)")


def macros(result: dict[str, Any]) -> dict[str, str]:
    """The sustainable load factor ρ* of each policy on each trace."""
    out = {}
    for r in result["rows"]:
        lab = macro_label(r["label"])
        out[macro_name("sustain", r["trace"], lab, "rho")] = "n/a" if r["rho_star"] is None else f"{r['rho_star']:.2f}"
    return out


def plot(rows: list[dict[str, Any]], traces: tuple[str, ...]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(traces), figsize=(5.5 * len(traces), 4.2), constrained_layout=True,
                             squeeze=False)
    for ax, trace in zip(axes[0], traces, strict=True):
        rs = [r for r in rows if r["trace"] == trace]
        vals = [0.0 if r["rho_star"] is None else r["rho_star"] for r in rs]
        ax.barh(np.arange(len(rs)), vals, color=["C1" if "bfio" in r["label"] else "C0" for r in rs])
        ax.set_yticks(np.arange(len(rs)), [r["label"] for r in rs], fontsize=7)
        ax.invert_yaxis()
        ax.axvline(1.0, color="k", lw=0.6, ls=":")
        ax.set_xlabel("sustained load ρ* = λ*/μ̂ (μ̂: capacity estimate)")
        ax.set_title(f"{trace}: highest Poisson rate with bounded queues", fontsize=9)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / "sustainable_rate.pdf")
    fig.savefig(FIGURES / "sustainable_rate.png", dpi=110)


if __name__ == "__main__":
    main()
