"""The command line: ``lbtheory simulate | bounds | profile | policies | workloads``.

Every error is one line on stderr, ``lbtheory: error: ...``, naming the flag, file, line or field, with exit
status 2; no traceback reaches a user (``LBTHEORY_TRACEBACK=1`` shows it, for bug reports). Everything is
checked before the work: flags, the output directory (:mod:`lbtheory.outdir`), the memory a run needs and
whether its loads fit in int64. SIGINT/SIGTERM while writing remove the scratch directory (exit 128 + signal).

Kernels: ``simulate`` estimates a run's work before importing the engine (:func:`estimate_work`); runs up to
:data:`INTERPRETED_MAX_WORK` use interpreted kernels (:mod:`lbtheory._jit`: numba, and scipy with it, are
never imported), larger ones compile. The decisions are identical either way; ``LBTHEORY_JIT=0``/``1``
forces the mode, and ``summary.json`` records it (``engine.kernels``).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from lbtheory.errors import ConfigError, LbtheoryError

#: the largest seed accepted (seeds are written to JSON and CSV and read back as int64)
MAX_SEED = 2**63 - 1
_INT64_MAX = 2**63 - 1
#: bytes per request the engine and the workload hold (about 20 int64/float64 arrays of length N)
_BYTES_PER_REQUEST = 20 * 8
#: bytes per step of the scalar step records (dt, start, max, sum, active, admitted)
_BYTES_PER_STEP = 6 * 8
#: copies of the (K, G) load matrix alive at once: the records, the result's copy, float64 energy temporaries
_LOAD_COPIES = 4


class _UsageError(LbtheoryError):
    """A command-line syntax error (argparse's message, on one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see `{self.prog} --help`)")


def _warn(msg: str) -> None:
    print(f"lbtheory: warning: {msg}", file=sys.stderr)


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run one simulation and write summary.json, steps.csv, requests.csv, config.json",
        description="Simulate barrier-synchronized decode (spec/MODEL.md) under one policy.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace", type=Path,
                     help="a trace file (JSON, Azure CSV, CSV or JSONL; gzip-compressed is fine), used in order")
    src.add_argument("--workload", help="a generator name (see `lbtheory workloads`)")
    p.add_argument("--requests", type=int, help="N: requests to generate, the first N of the trace, or the "
                                                 "number drawn with --trace-order resampled")
    p.add_argument("--trace-order", choices=["as-is", "resampled"], default="as-is",
                   help="as-is (default: the file's order, at most its length) or resampled (--requests drawn "
                        "with replacement, seeded by --seed)")
    p.add_argument("--zero-output", choices=["error", "clamp", "drop"], default="error",
                   help="trace rows with output length 0: error (default), clamp to 1, or drop them")
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
    p.add_argument("--seed", type=int, default=0, help=f"root seed, 0..{MAX_SEED} (default 0)")
    p.add_argument("--no-worker-loads", action="store_true",
                   help="do not keep per-worker loads (saves memory; energy is then not computed)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", type=Path, required=True,
                   help="a new output directory (written atomically; never one lbtheory did not write)")
    p.add_argument("--force", action="store_true",
                   help="replace an earlier lbtheory output directory (only the files lbtheory wrote go)")
    p.set_defaults(func=_cmd_simulate)


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def available_memory_bytes() -> int:
    """What this machine can give a run: ``MemAvailable`` (Linux), else physical memory."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return 2**62  # pragma: no cover - unknown: do not refuse


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"--seed must be an integer in 0..{MAX_SEED}, got {seed}")


def _check_args(args: argparse.Namespace) -> None:
    """Checks of single flags and warnings for flags that have no effect (nothing is built yet)."""
    _check_seed(args.seed)
    for flag, v in (("--workers", args.workers), ("--slots", args.slots), ("--requests", args.requests),
                    ("--pool", args.pool)):
        if v is not None and v < 1:
            raise ConfigError(f"{flag} must be >= 1, got {v}")
    for flag, x in (("--step-overhead-s", args.step_overhead_s), ("--token-time-s", args.token_time_s),
                    ("--rate", args.rate), ("--load", args.load), ("--noise-delta", args.noise_delta),
                    ("--snapshot-interval-s", args.snapshot_interval_s)):
        if x is not None and not math.isfinite(x):
            raise ConfigError(f"{flag} must be a finite number, got {x}")
    if args.trace is not None:
        if not args.trace.exists():
            raise ConfigError(f"--trace {args.trace}: no such file")
        if args.trace.is_dir():
            raise ConfigError(f"--trace {args.trace} is a directory, not a trace file")
        if args.trace_order == "resampled" and args.requests is None:
            raise ConfigError("--trace-order resampled needs --requests (how many requests to draw)")
    else:
        if args.trace_order != "as-is":
            _warn(f"--trace-order {args.trace_order} has no effect with --workload (it applies to --trace)")
        if args.zero_output != "error":
            _warn(f"--zero-output {args.zero_output} has no effect with --workload (it applies to --trace)")
    if args.noise_delta != 0 and args.predictions != "noisy":
        _warn(f"--noise-delta {args.noise_delta:g} has no effect with --predictions {args.predictions} "
              "(use --predictions noisy)")
    if args.predictions == "noisy" and args.noise_delta == 0:
        _warn("--predictions noisy with --noise-delta 0 gives exact predictions (set --noise-delta)")


def _pre_check_size(args: argparse.Namespace, available: int) -> None:
    """Refuse what cannot fit before anything is generated or loaded (requests, G·B slots, window)."""
    n = args.requests or 0
    G, B = args.workers, args.slots
    need = n * _BYTES_PER_REQUEST + G * B * 16 + (args.pool or 4 * G) * 16
    if need > available:
        flag = "--requests" if n * _BYTES_PER_REQUEST >= G * B * 16 else "--workers/--slots"
        raise ConfigError(f"this run needs at least {_fmt_bytes(need)} of memory, more than the "
                          f"{_fmt_bytes(available)} available; lower {flag}")


def check_run_size(workload: Any, cluster: Any, record_worker_loads: bool, available: int) -> None:
    """Refuse a run whose loads overflow int64 or whose records cannot fit in memory (before allocating).

    Loads: a worker holds at most B requests of at most max_i (s_i + o_i) tokens, so every load, sum of
    loads and imbalance G·max_g L_g − Σ_g L_g is at most G·B·max_i(s_i + o_i); token totals are at most
    N·max_i(s_i + o_i). Both must stay below 2^63. Memory: the run takes K >= max(max_i o_i, Σ_i o_i / (G·B))
    steps; the engine allocates about 1.25 K step records (48 bytes, plus 8·G with per-worker loads), and the
    result and the energy computation hold a few more (K, G) matrices.
    """
    import numpy as np

    G, B = cluster.workers, cluster.slots
    s, o = workload.prompt_tokens, workload.output_tokens
    n = int(s.size)
    i_max = int(np.argmax(s + o))
    w_max = int(s[i_max]) + int(o[i_max])
    name = workload.name
    if G * B * w_max > _INT64_MAX or n * w_max > _INT64_MAX:
        raise ConfigError(
            f"loads could reach {G * B * w_max:.3e} tokens (G·B·max(s+o), request {i_max} of {name} has "
            f"s+o = {w_max}), beyond int64 ({_INT64_MAX:.3e}); lower --workers/--slots or the trace's lengths"
        )
    o_max = int(o.max())
    o_sum = int(o.sum(dtype=np.float64))
    steps = max(o_max, math.ceil(o_sum / (G * B)))
    per_step = _BYTES_PER_STEP + (8 * G if record_worker_loads else 0)
    need = int(1.25 * steps + 64) * per_step + (_LOAD_COPIES - 1) * steps * per_step + n * _BYTES_PER_REQUEST
    if need > available:
        if record_worker_loads and 8 * G > _BYTES_PER_STEP:
            fix = "pass --no-worker-loads (energy is then not computed) or lower --workers"
        else:
            fix = "lower --requests or the trace's output lengths"
        raise ConfigError(
            f"this run needs about {_fmt_bytes(need)} of memory (at least {steps} steps × G={G} workers; "
            f"longest output {o_max} tokens), more than the {_fmt_bytes(available)} available; {fix}"
        )


#: runs whose estimated work (:func:`estimate_work`) is at most this use interpreted kernels (no numba: a
#: whole process of about 0.3-0.5 s); larger runs compile (numba's import and its disk cache cost about
#: 0.8 s, a first compilation up to a minute, but each step is 10-1000x faster). Interpreted, one unit costs
#: 0.2-4 µs (measured: FCFS about 0.25, BF-IO 0.3, bfio_paper 1, dispatch routers 1-2.7), so an interpreted
#: run stays under about 0.3 s.
INTERPRETED_MAX_WORK = 100_000
#: trace files larger than this are not read twice to estimate the work: such runs compile
_ESTIMATE_MAX_TRACE_BYTES = 1 << 20


def estimate_work(n_requests: int, total_output_tokens: int, max_output_tokens: int, workers: int,
                  slots: int) -> int:
    """A proxy for the Python cost of a run: steps × per-step work.

    steps K ≈ max(o_max, Σo/(G·B)) + N (a step per request at worst between admissions); each step touches
    the G workers and the window (at most N entries: dispatch routers see every arrived request), so
    work = K·(G + N + 8) (8: the fixed cost of a step, in the same units).
    """
    steps = max(max_output_tokens, -(-total_output_tokens // (workers * slots))) + n_requests
    # dispatch routers see every arrived request, whatever R: the window is bounded by N, not by R
    return steps * (workers + n_requests + 8)


def work_lower_bound(n_requests: int, workers: int) -> int:
    """A floor of :func:`estimate_work` that needs no lengths: K ≥ N, so work ≥ N·(G + N + 8)."""
    return n_requests * (workers + n_requests + 8)


def _estimated_work(args: argparse.Namespace) -> int | None:
    """The work of the run ``args`` describes (None: too large to estimate cheaply; then it compiles).

    The workload is built as :func:`lbtheory.runs.build_workload` builds it (same seed stream), from
    :mod:`lbtheory.workloads` only, which does not import the engine.
    """
    import numpy as np

    from lbtheory.workloads import load_trace, make_workload

    G, B = args.workers, args.slots
    if args.trace is None:
        n = args.requests
        if n is None or work_lower_bound(n, G) > INTERPRETED_MAX_WORK:
            return None  # compiled whatever the lengths: the workload is not built twice
        rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(3)[0])
        out = make_workload(args.workload, n, rng).output_tokens
    else:
        try:
            size = args.trace.stat().st_size
        except OSError:
            return None
        if size > _ESTIMATE_MAX_TRACE_BYTES:
            return None
        w = load_trace(str(args.trace), zero_output=args.zero_output)
        out = w.output_tokens
        if args.trace_order == "resampled":
            n = int(args.requests)
            if work_lower_bound(n, G) > INTERPRETED_MAX_WORK:
                return None
            return estimate_work(n, round(n * float(out.mean())), int(out.max()), G, B)
        if args.requests is not None:
            out = out[: args.requests]
    if out.size == 0:
        return None
    return estimate_work(int(out.size), int(out.sum()), int(out.max()), G, B)


def choose_kernel_mode(args: argparse.Namespace) -> bool:
    """Fix this process's kernel mode from the run's estimated work; return whether it compiles.

    An explicit ``LBTHEORY_JIT`` (0 or 1) wins. Decisions are identical in both modes (the same code runs).
    """
    from lbtheory import _jit

    if os.environ.get(_jit.ENV_VAR, "").strip() or _jit.is_fixed():
        return _jit.is_compiled()
    work = _estimated_work(args)
    compiled = work is None or work > INTERPRETED_MAX_WORK
    _jit.set_mode(compiled)
    return _jit.is_compiled()


def _kernels_compiled() -> bool:
    from lbtheory._jit import is_compiled

    return is_compiled()


@contextlib.contextmanager
def _announce_compilation() -> Iterator[None]:
    """Print one line when numba really compiles (not when it loads from its disk cache)."""
    from lbtheory._jit import is_compiled

    if not is_compiled():  # interpreted kernels: nothing compiles, and numba must not be imported
        yield
        return
    from numba.core import event

    said: list[bool] = []

    class _Listener(event.Listener):
        def on_start(self, ev: Any) -> None:
            if not said:
                said.append(True)
                print("lbtheory: compiling kernels, first run only", file=sys.stderr, flush=True)

        def on_end(self, ev: Any) -> None:
            pass

    with event.install_listener("numba:compile", _Listener()):
        yield


def _window_note(result: Any) -> str | None:
    if result.window_steps > 0:
        return None
    return ("the steady-state window is empty: the last admission was at step 0 (all "
            f"{result.workload.n_requests} requests started at once, with G·B = "
            f"{result.config.cluster.workers * result.config.cluster.slots} slots), so there is no steady "
            "state; read the whole-run column, or run more requests than slots")


def _cmd_simulate(args: argparse.Namespace) -> int:
    from lbtheory.outdir import check_destination

    _check_args(args)
    plan = check_destination(args.out, force=args.force)  # before any work: nothing is touched yet
    if plan.stale:
        _warn(f"{len(plan.stale)} temporary director{'y' if len(plan.stale) == 1 else 'ies'} of killed lbtheory "
              f"runs beside {args.out}, safe to delete: {', '.join(plan.stale[:3])}")
    available = available_memory_bytes()
    _pre_check_size(args, available)
    if choose_kernel_mode(args):  # before the engine is imported: its kernels are defined in that mode
        from lbtheory._jit import init_compiled_target

        init_compiled_target()  # numba's target without its BLAS probe (0.2 s): no kernel calls BLAS

    import numpy as np

    from lbtheory.outdir import atomic_output_dir
    from lbtheory.provenance import manifest, write_csv, write_json
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
        trace_order="resampled" if args.trace_order == "resampled" else "given",
        zero_output=args.zero_output,
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

    def before_run(workload: Any, cfg: Any, policy: Any) -> None:
        if (args.trace is not None and args.trace_order == "as-is" and args.requests is not None
                and args.requests > workload.n_requests):
            raise ConfigError(f"--requests {args.requests} exceeds the {workload.n_requests} requests of "
                              f"{args.trace}; pass --trace-order resampled to draw {args.requests} with "
                              "replacement")
        check_run_size(workload, cfg.cluster, cfg.record_worker_loads, available)
        dropped = workload.meta.get("n_zero_output_dropped", 0)
        clamped = workload.meta.get("n_zero_output_clamped", 0)
        if dropped or clamped:
            _warn(f"{args.trace}: {dropped or clamped} request(s) with output length 0 "
                  f"{'dropped' if dropped else 'clamped to 1'} (--zero-output {args.zero_output})")

    bar = None
    progress = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="requests finished", unit="req", file=sys.stderr)

        def progress(done: int, steps: int) -> None:
            bar.update(done - bar.n)

    t0 = time.perf_counter()
    with atomic_output_dir(plan, command="simulate", warn=_warn) as tmp:
        try:
            with _announce_compilation():
                result, summary = execute(spec, progress=progress, before_run=before_run)
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
        note = _window_note(result)
        body = {
            "window": summ["window"],
            **({"window_note": note} if note else {}),
            "whole_run": summ["whole_run"],
            "latency": summ["latency"],
            "ttft_s": {"median": summ["latency"]["ttft_median_s"], "p99": summ["latency"]["ttft_p99_s"]},
            "queue_delay_s": {"median": summ["latency"]["queue_delay_median_s"],
                              "p99": summ["latency"]["queue_delay_p99_s"]},
            "makespan_s": summ["makespan_s"],
            "steps": result.steps.n_steps,
            "window_steps": result.window_steps,
            "engine": {**result.meta, "kernels": "compiled" if _kernels_compiled() else "interpreted"},
            "manifest": manifest(config, spec.seed, wall),
        }
        st, rq = result.steps, result.requests
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
        cell = f"{'—':>14}" if note else fmt.format(a)
        print(f"{label:22}" + cell + fmt.format(b))
    if note:
        print(f"window: {note}")
    if args.no_worker_loads:
        print("energy: not computed (--no-worker-loads)")
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


def _param_domain(name: str) -> tuple[bool, bool, bool]:
    """(integer, positive, nonnegative) of a bound parameter, from its sympy symbol's assumptions."""
    from lbtheory.theory import symbols as sy
    from lbtheory.theory.extended import EXTRA_SYMBOLS

    for v in (*vars(sy).values(), *EXTRA_SYMBOLS):
        if getattr(v, "is_Symbol", False) and getattr(v, "name", None) == name:
            return bool(v.is_integer), bool(v.is_positive), bool(v.is_nonnegative)
    return False, False, False


def _cmd_bounds(args: argparse.Namespace) -> int:
    import json

    from lbtheory.theory.evaluate import default_params
    from lbtheory.theory.extended import extra_defaults
    from lbtheory.theory.report import bounds_table, format_bounds_table

    known = set(default_params()) | set(extra_defaults()) | {"x"}
    params: dict[str, float] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            if not sep:
                raise ValueError
            v = float(value)
        except ValueError:
            raise ConfigError(f"--set takes NAME=VALUE with a number, got {item!r}") from None
        if name not in known:
            raise ConfigError(f"--set {item}: unknown parameter {name!r}; choose from: {', '.join(sorted(known))}")
        integer, positive, nonneg = _param_domain(name)
        if not math.isfinite(v):
            raise ConfigError(f"--set {item}: {name} must be finite")
        if positive and not v > 0:
            raise ConfigError(f"--set {item}: {name} must be > 0")
        if nonneg and not v >= 0:
            raise ConfigError(f"--set {item}: {name} must be >= 0")
        if integer and v != int(v):
            raise ConfigError(f"--set {item}: {name} must be an integer")
        params[name] = v
    rows = bounds_table(params or None)
    print(json.dumps(rows, indent=2, default=str) if args.json else format_bounds_table(rows))
    return 0


def _add_profile(sub: argparse._SubParsersAction, full: bool = True) -> None:
    """The ``profile`` command; ``full=False`` registers only its name (its arguments import scipy, about
    0.1-0.3 s of every start, so they are added only when the command line names ``profile``)."""
    p = sub.add_parser("profile", help="fit a power curve to a GPU power log (nvidia-smi CSV)",
                       description="Fit P(u) = P_idle + (P_max - P_idle)(u/u_sat)^γ and a logistic form "
                                   "to a power log, to bring your own GPU.")
    if not full:
        p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        p.set_defaults(func=_cmd_profile)
        return
    from lbtheory.hardware.fit import add_profile_arguments

    add_profile_arguments(p)
    p.add_argument("--force", action="store_true", help="let --write-profile replace an existing file")
    p.set_defaults(func=_cmd_profile)


def _check_text_file(path: Path, flag: str) -> None:
    """A readable UTF-8 text file (first 64 KiB checked), else a one-line ConfigError naming the flag."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except FileNotFoundError:
        raise ConfigError(f"{flag} {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{flag} {path} is a directory, not a file") from None
    except OSError as e:
        raise ConfigError(f"{flag} {path}: cannot read it: {e.strerror or e}") from None
    nul = head.find(b"\0")
    if nul >= 0:
        raise ConfigError(f"{flag} {path}: a binary file (NUL byte at offset {nul}), not a text CSV log")
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the 64 KiB boundary
            line = head[: e.start].count(b"\n") + 1
            raise ConfigError(f"{flag} {path}, line {line}: not UTF-8 text (byte {e.start}); "
                              "give an nvidia-smi CSV log") from None


def _cmd_profile(args: argparse.Namespace) -> int:
    from lbtheory.hardware.fit import profile_command

    _check_text_file(args.power_log, "--power-log")
    out = args.write_profile
    if out is not None:
        if out.is_dir():
            raise ConfigError(f"--write-profile {out} is a directory; give a file name")
        if out.exists() and not args.force:
            raise ConfigError(f"--write-profile {out} exists; pass --force to replace it")
    return int(profile_command(args))


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``lbtheory`` (``argv``: the command line it is for; default: all commands in
    full)."""
    parser = _Parser(
        prog="lbtheory",
        description="Load balancing in barrier-synchronized decode (arXiv 2601.17855), simulated exactly.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_simulate(sub)
    _add_bounds(sub)
    _add_profile(sub, full=argv is None or "profile" in argv)
    _add_lists(sub)
    return parser


def _describe_os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status: 0, 2 on any error (one line on stderr), 128+n on signal n.

    Input errors name the flag, file, line or field. Anything unexpected is reported on one line as an
    internal error naming the exception (``LBTHEORY_TRACEBACK=1`` re-raises it, for bug reports).
    """
    from lbtheory.outdir import Interrupted

    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = build_parser(argv).parse_args(argv)
        return int(args.func(args))
    except LbtheoryError as exc:
        print(f"lbtheory: error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"lbtheory: interrupted by {exc}; nothing written (temporary files removed)", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("lbtheory: interrupted; nothing written", file=sys.stderr)
        return 130
    except MemoryError:
        if os.environ.get("LBTHEORY_TRACEBACK"):
            raise
        print("lbtheory: error: out of memory; lower --requests or --workers, or pass --no-worker-loads",
              file=sys.stderr)
        return 2
    except OSError as exc:
        if os.environ.get("LBTHEORY_TRACEBACK"):
            raise
        print(f"lbtheory: error: {_describe_os_error(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("LBTHEORY_TRACEBACK"):
            raise
        msg = " ".join(str(exc).split())[:300]
        print(f"lbtheory: internal error: {type(exc).__name__}: {msg} (a bug: please report it; "
              "LBTHEORY_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
