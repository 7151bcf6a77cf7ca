"""The command line: ``lbtheory simulate | bounds | profile | policies | workloads``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lbtheory.errors import LbtheoryError


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run one simulation and write summary.json, steps.csv, requests.csv, config.json",
        description="Simulate barrier-synchronized decode (spec/MODEL.md) under one policy.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace", type=Path, help="a trace file (JSON, Azure CSV, CSV or JSONL), used in order")
    src.add_argument("--workload", help="a generator name (see `lbtheory workloads`)")
    p.add_argument("--requests", type=int, help="N: requests to generate, or the first N of the trace")
    p.add_argument("--workers", type=int, required=True, help="G, data-parallel workers")
    p.add_argument("--slots", type=int, required=True, help="B, batch slots per worker")
    p.add_argument("--policy", required=True, help="a policy name (see `lbtheory policies`)")
    p.add_argument("--pool", type=int, help="R, the waiting window (default 4G)")
    p.add_argument("--step-overhead-s", type=float, help="C, fixed seconds per step (overrides the profile)")
    p.add_argument("--token-time-s", type=float, help="t, seconds per KV token (overrides the profile)")
    p.add_argument("--profile", default="paper", help="hardware profile (default: paper)")
    p.add_argument("--horizon", type=int, help="H, the lookahead of policies that take one (bfio)")
    p.add_argument("--arrivals", choices=["saturated", "trace", "poisson"], default="saturated",
                   help="saturated pool (default), the trace's timestamps, or Poisson arrivals")
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--rate", type=float,
                      help="arrival rate (requests/s): Poisson's, or the rate the trace's timestamps are scaled to")
    rate.add_argument("--load", type=float, help="load factor ρ: the rate is ρ times the estimated service rate")
    p.add_argument("--snapshot-interval-s", type=float,
                   help="staleness of the load snapshots of dispatch routers (policies that take one)")
    p.add_argument("--predictions", choices=["exact", "noisy", "none"], default="exact",
                   help="output-length predictions policies see (default exact)")
    p.add_argument("--noise-delta", type=float, default=0.0, help="δ for --predictions noisy")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--no-worker-loads", action="store_true",
                   help="do not keep per-worker loads (saves memory; energy is then not computed)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", type=Path, required=True, help="output directory (written atomically)")
    p.set_defaults(func=_cmd_simulate)


def _cmd_simulate(args: argparse.Namespace) -> int:
    import numpy as np

    from lbtheory.provenance import atomic_output_dir, manifest, write_csv, write_json
    from lbtheory.runs import RunSpec, execute

    params: tuple[tuple[str, Any], ...] = ()
    if args.horizon is not None:
        params += (("horizon", args.horizon),)
    if args.snapshot_interval_s is not None:
        params += (("snapshot_interval_s", args.snapshot_interval_s),)
    spec = RunSpec(
        workers=args.workers,
        slots=args.slots,
        policy=args.policy,
        workload=args.workload,
        trace=None if args.trace is None else str(args.trace),
        requests=args.requests,
        pool=args.pool,
        policy_params=params,
        arrivals=args.arrivals,
        rate_per_s=args.rate,
        load=args.load,
        predictions=args.predictions,
        noise_delta=args.noise_delta,
        profile=args.profile,
        step_overhead_s=args.step_overhead_s,
        token_time_s=args.token_time_s,
        seed=args.seed,
        record_worker_loads=not args.no_worker_loads,
    )
    bar = None
    progress = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="requests finished", unit="req", file=sys.stderr)

        def progress(done: int, steps: int) -> None:
            bar.update(done - bar.n)

    t0 = time.perf_counter()
    try:
        result, summary = execute(spec, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - t0
    config = {
        "spec": spec.to_dict(),
        "sim": result.config.to_dict(),
        "policy": result.policy,
        "workload": {"name": result.workload.name, "n_requests": result.workload.n_requests,
                     "meta": result.workload.meta},
    }
    summ = summary.to_dict()
    body = {
        "window": summ["window"],
        "whole_run": summ["whole_run"],
        "latency": summ["latency"],
        "ttft_s": {"median": summ["latency"]["ttft_median_s"], "p99": summ["latency"]["ttft_p99_s"]},
        "queue_delay_s": {"median": summ["latency"]["queue_delay_median_s"],
                          "p99": summ["latency"]["queue_delay_p99_s"]},
        "makespan_s": summ["makespan_s"],
        "steps": result.steps.n_steps,
        "window_steps": result.window_steps,
        "engine": result.meta,
        "manifest": manifest(config, spec.seed, wall),
    }
    st, rq = result.steps, result.requests
    with atomic_output_dir(args.out) as tmp:
        write_json(tmp / "summary.json", body)
        write_json(tmp / "config.json", config)
        write_csv(
            tmp / "steps.csv",
            ["step", "dt_s", "max_load", "sum_load", "imbalance", "idle_fraction", "active"],
            [np.arange(st.n_steps), st.dt_s, st.max_load, st.sum_load, st.imbalance,
             st.idle_fraction, st.active],
        )
        write_csv(
            tmp / "requests.csv",
            ["request", "worker", "admit_time_s", "finish_time_s"],
            [np.arange(rq.worker.size), rq.worker, rq.admit_time_s, rq.finish_time_s],
        )
    w, whole = summary.window, summary.whole_run
    print(f"{spec.policy} on {result.workload.name}: N={result.workload.n_requests} G={spec.workers} "
          f"B={spec.slots} steps={st.n_steps} (window {result.window_steps}) wall={wall:.2f}s")
    print(f"{'':22}{'window':>14}{'whole run':>14}")
    for label, a, b, fmt in (
        ("throughput tok/s", w.throughput_tok_per_s, whole.throughput_tok_per_s, "{:14.1f}"),
        ("TPOT ms", 1e3 * w.tpot_s, 1e3 * whole.tpot_s, "{:14.3f}"),
        ("avg imbalance tok", w.avg_imbalance_tokens, whole.avg_imbalance_tokens, "{:14.0f}"),
        ("avg idle fraction", w.avg_idle_fraction, whole.avg_idle_fraction, "{:14.3f}"),
        ("energy kJ", w.energy_j / 1e3, whole.energy_j / 1e3, "{:14.2f}"),
        ("duration s", w.duration_s, whole.duration_s, "{:14.2f}"),
    ):
        print(f"{label:22}" + fmt.format(a) + fmt.format(b))
    print(f"wrote {args.out}/summary.json, steps.csv, requests.csv, config.json")
    return 0


def _add_lists(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("policies", help="list the registered policies")
    p.set_defaults(func=_cmd_policies)
    q = sub.add_parser("workloads", help="list the workload generators")
    q.set_defaults(func=_cmd_workloads)


def _cmd_policies(args: argparse.Namespace) -> int:
    from lbtheory.policies import policy_names

    print("\n".join(policy_names()))
    return 0


def _cmd_workloads(args: argparse.Namespace) -> int:
    from lbtheory.workloads import WORKLOADS

    print("\n".join(WORKLOADS))
    return 0


def _add_bounds(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bounds", help="list every bound: name, claim, LaTeX, hypotheses, value",
                       description="The bounds of lbtheory.theory, evaluated at the given parameters.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (repeatable), e.g. --set G=64 --set B=72")
    p.set_defaults(func=_cmd_bounds)


def _cmd_bounds(args: argparse.Namespace) -> int:
    import json

    from lbtheory.errors import ConfigError
    from lbtheory.theory.report import bounds_table, format_bounds_table

    params: dict[str, float] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            params[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--set takes NAME=VALUE with a number, got {item!r}") from None
    rows = bounds_table(params or None)
    print(json.dumps(rows, indent=2, default=str) if args.json else format_bounds_table(rows))
    return 0


def _add_profile(sub: argparse._SubParsersAction) -> None:
    from lbtheory.hardware.fit import add_profile_arguments, profile_command

    p = sub.add_parser("profile", help="fit a power curve to a GPU power log (nvidia-smi CSV)",
                       description="Fit P(u) = P_idle + (P_max - P_idle)(u/u_sat)^γ and a logistic form "
                                   "to a power log, to bring your own GPU.")
    add_profile_arguments(p)
    p.set_defaults(func=profile_command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lbtheory``."""
    parser = argparse.ArgumentParser(
        prog="lbtheory",
        description="Load balancing in barrier-synchronized decode (arXiv 2601.17855), simulated exactly.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_simulate(sub)
    _add_bounds(sub)
    _add_profile(sub)
    _add_lists(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 on bad input, with a one-line message)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LbtheoryError, FileExistsError) as exc:
        print(f"lbtheory: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
