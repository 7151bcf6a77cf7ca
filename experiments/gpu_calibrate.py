"""Calibrate one GPU: decode attention time against resident KV tokens, and board power while idle, while a
kernel spins on k thread blocks (as a collective does while it waits) and during memory-bound decode.

    python experiments/gpu_calibrate.py [--card h200] [--out PATH] [--raw-out DIR] [--quick]
    python experiments/gpu_calibrate.py --synthetic --out /tmp/x.json      # no GPU: the same pipeline on
                                                                            # samples from a known model

Needs a CUDA machine with PyTorch and NVML (``nvidia-ml-py``, imported as ``pynvml``); both are imported only
when a GPU run starts, so CI never needs them. Triton, when present, provides the memory-polling spin kernel
(k programs, each re-reading one word with volatile loads); otherwise ``torch.cuda._sleep`` on k streams
spins k single-thread blocks on the clock instead (recorded in the provenance).

1. **Attention** (one decode layer, BF16, CUDA events, median of repeats):
   DeepSeek-V3-like MLA with absorbed weights (128 heads, latent 512 + RoPE 64: scores q·Kᵀ over a [ctx, 576]
   cache, output p·V over its first 512 columns) and Llama-3-70B-like GQA (64 query heads, 8 KV heads, head
   dim 128, K and V read once per group). B ∈ {1, 8, 32, 64} × ctx ∈ {1k, 4k, 16k, 64k} → τ = C + t·L
   (``lbtheory.hardware.calibrate.fit_attention_time``), L = B·ctx, with R².
2. **Power** (NVML board power sampled at ~20 Hz in a thread): idle with a context; spin on k ∈ {1, 4, 16,
   64, SMs} blocks; MLA decode at duty u ∈ {0.1, 0.25, 0.5, 0.75, 1} (kernels for u of each 20 ms period) →
   P(u) fitted to the paper's curve, r_k = P_spin(k)/P(1) (``fit_power``).
3. Writes ``lbtheory/hardware/profiles/<card>-measured.json`` (or ``--out``) with the fits, summaries of the
   raw samples and provenance; ``--raw-out`` also writes the raw samples. About 3 minutes on an H200
   (``--quick``: about 1); designed to stay under 8.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lbtheory.hardware.calibrate import fit_attention_time, fit_power, measured_profile, summary

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "lbtheory" / "hardware" / "profiles"
BATCHES = [1, 8, 32, 64]
CONTEXTS = [1024, 4096, 16384, 65536]
SPIN_K = [1, 4, 16, 64]
DUTIES = [0.1, 0.25, 0.5, 0.75, 1.0]


def card_from_name(name: str) -> str:
    n = name.lower()
    for key in ("h200", "h100", "b200", "a100", "mi300x", "l40s", "gh200"):
        if key in n:
            return key
    return "".join(ch for ch in n if ch.isalnum())[:16] or "gpu"


# ----------------------------------------------------------------------------------------------- GPU parts


class PowerSampler:
    """Board power (W) from NVML in a background thread."""

    def __init__(self, index: int = 0, period_s: float = 0.05) -> None:
        import pynvml

        self.nvml = pynvml
        pynvml.nvmlInit()
        self.handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        self.period_s = period_s

    def sample(self, seconds: float, work: Any = None) -> list[float]:
        """Power samples over ``seconds`` while ``work()`` (if given) runs repeatedly in this thread."""
        out: list[float] = []
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                out.append(self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1000.0)
                time.sleep(self.period_s)

        th = threading.Thread(target=loop, daemon=True)
        t_end = time.perf_counter() + seconds
        th.start()
        while time.perf_counter() < t_end:
            if work is None:
                time.sleep(0.05)
            else:
                work()
        stop.set()
        th.join()
        return out

    def provenance(self) -> dict[str, Any]:
        n = self.nvml
        def text(v: Any) -> str:
            return v.decode() if isinstance(v, bytes) else str(v)

        return {"gpu": text(n.nvmlDeviceGetName(self.handle)), "driver": text(n.nvmlSystemGetDriverVersion()),
                "power_limit_w": n.nvmlDeviceGetPowerManagementLimit(self.handle) / 1000.0}


def mla_layer(torch: Any, B: int, ctx: int) -> Any:
    """One MLA decode attention layer (absorbed): returns a closure running it once."""
    dev = "cuda"
    kv = torch.randn(B, ctx, 576, device=dev, dtype=torch.bfloat16)
    q = torch.randn(B, 128, 576, device=dev, dtype=torch.bfloat16)

    def run() -> Any:
        s = torch.matmul(q, kv.transpose(1, 2)) * (1.0 / 24.0)
        p = torch.softmax(s.float(), dim=-1).to(torch.bfloat16)
        return torch.matmul(p, kv[..., :512])

    return run


def gqa_layer(torch: Any, B: int, ctx: int) -> Any:
    """One GQA decode attention layer (64 query heads in 8 groups, head dim 128)."""
    dev = "cuda"
    k = torch.randn(B, 8, ctx, 128, device=dev, dtype=torch.bfloat16)
    v = torch.randn(B, 8, ctx, 128, device=dev, dtype=torch.bfloat16)
    q = torch.randn(B, 8, 8, 128, device=dev, dtype=torch.bfloat16)

    def run() -> Any:
        s = torch.matmul(q, k.transpose(2, 3)) * (128 ** -0.5)
        p = torch.softmax(s.float(), dim=-1).to(torch.bfloat16)
        return torch.matmul(p, v)

    return run


def time_kernel(torch: Any, fn: Any, reps: int) -> float:
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / 1e3)
    return float(statistics.median(times))


def attention_sweep(torch: Any, quick: bool) -> dict[str, list[dict[str, float]]]:
    out: dict[str, list[dict[str, float]]] = {"mla": [], "gqa": []}
    free = torch.cuda.mem_get_info()[0]
    for name, make, bytes_per_tok in (("mla", mla_layer, 576 * 2), ("gqa", gqa_layer, 2 * 8 * 128 * 2)):
        for B in BATCHES:
            for ctx in CONTEXTS[:3] if quick else CONTEXTS:
                if B * ctx * bytes_per_tok * 1.5 > 0.6 * free:
                    continue
                fn = make(torch, B, ctx)
                out[name].append({"batch": B, "context": ctx, "kv_tokens": B * ctx,
                                  "seconds": time_kernel(torch, fn, 10 if quick else 25)})
                del fn
                torch.cuda.empty_cache()
    return out


def spin_work(torch: Any, k: int, seconds: float) -> tuple[Any, str]:
    """A callable that keeps k blocks spinning for about ``seconds`` per call, and what it is."""
    try:
        import triton
        import triton.language as tl

        @triton.jit
        def poll(ptr, n_iter):  # pragma: no cover - GPU only
            acc = tl.zeros((1,), dtype=tl.int32)
            for _ in range(n_iter):
                acc += tl.load(ptr + tl.zeros((1,), dtype=tl.int32), volatile=True)
            tl.store(ptr + 1 + tl.program_id(0) + tl.zeros((1,), dtype=tl.int32), acc)

        flag = torch.zeros(4096, dtype=torch.int32, device="cuda")
        n = 1 << 16
        poll[(k,)](flag, n)  # compile
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        poll[(k,)](flag, n)
        torch.cuda.synchronize()
        per = max(time.perf_counter() - t0, 1e-6) / n
        n_iter = int(min(max(0.5 / per, 1000), 2**30))

        def run() -> None:
            poll[(k,)](flag, n_iter)
            torch.cuda.synchronize()

        return run, f"triton volatile-load poll on {k} programs"
    except ImportError:
        streams = [torch.cuda.Stream() for _ in range(k)]
        cycles = int(0.5 * torch.cuda.get_device_properties(0).clock_rate * 1e3) \
            if hasattr(torch.cuda.get_device_properties(0), "clock_rate") else int(1e9)

        def run() -> None:
            for s in streams:
                with torch.cuda.stream(s):
                    torch.cuda._sleep(cycles)
            torch.cuda.synchronize()

        return run, f"torch.cuda._sleep (clock spin) on {k} streams"


def duty_work(torch: Any, u: float, period_s: float = 0.02) -> Any:
    fn = mla_layer(torch, 64, 16384)
    per = time_kernel(torch, fn, 5)
    n = max(1, round(u * period_s / per))

    def run() -> None:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        torch.cuda.synchronize()
        rest = period_s - (time.perf_counter() - t0)
        if rest > 0 and u < 1:
            time.sleep(rest)

    return run


def gpu_run(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("gpu_calibrate: no CUDA device (use --synthetic to test the pipeline)")
    torch.backends.cuda.matmul.allow_tf32 = False
    sampler = PowerSampler()
    seg = 4.0 if args.quick else 8.0
    raw: dict[str, Any] = {"attention": attention_sweep(torch, args.quick)}
    torch.cuda.synchronize()
    time.sleep(2.0)
    raw["idle_w"] = sampler.sample(seg)
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    raw["spin_w"], spin_kind = {}, ""
    for k in [*SPIN_K, sms]:
        work, spin_kind = spin_work(torch, k, seg)
        raw["spin_w"][str(k)] = sampler.sample(seg, work)
    raw["decode_w"] = {str(u): sampler.sample(seg, duty_work(torch, u)) for u in DUTIES}
    prov = {**sampler.provenance(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "sms": sms, "spin_kernel": spin_kind, "segment_s": seg}
    return raw, prov


# -------------------------------------------------------------------------------------------- synthetic


def synthetic_run(seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Samples drawn from a known model (the values in ``truth``), in the shape of a GPU run."""
    rng = np.random.default_rng(seed)
    truth = {"mla": (30e-6, 2.4e-10), "gqa": (25e-6, 8.6e-10), "idle_w": 75.0, "max_w": 520.0, "gamma": 0.6,
             "spin_w": {1: 90.0, 4: 100.0, 16: 130.0, 64: 220.0, 132: 330.0}}
    att: dict[str, list[dict[str, float]]] = {}
    for name in ("mla", "gqa"):
        C, t = truth[name]
        att[name] = [{"batch": b, "context": c, "kv_tokens": b * c,
                      "seconds": C + t * b * c + rng.normal(0, 2e-7)} for b in BATCHES for c in CONTEXTS]
    raw = {"attention": att, "idle_w": list(75.0 + rng.normal(0, 1.0, 80)),
           "spin_w": {str(k): list(v + rng.normal(0, 1.5, 80)) for k, v in truth["spin_w"].items()},
           "decode_w": {str(u): list(75.0 + 445.0 * u**0.6 + rng.normal(0, 3.0, 80)) for u in DUTIES}}
    return raw, {"gpu": "synthetic", "truth": {k: v for k, v in truth.items() if k != "spin_w"}, "seed": seed}


# ---------------------------------------------------------------------------------------------- analysis


def analyse(raw: dict[str, Any], prov: dict[str, Any], card: str) -> dict[str, Any]:
    att = {name: fit_attention_time([s["kv_tokens"] for s in rows], [s["seconds"] for s in rows],
                                    [s["batch"] for s in rows])
           for name, rows in raw["attention"].items() if len(rows) >= 4}
    pw = fit_power(raw["idle_w"], {float(u): v for u, v in raw["decode_w"].items()},
                   {int(k): v for k, v in raw["spin_w"].items()})
    summ = {"idle_w": summary(raw["idle_w"]),
            "spin_w": {k: summary(v) for k, v in raw["spin_w"].items()},
            "decode_w": {u: summary(v) for u, v in raw["decode_w"].items()},
            "attention": {n: {"samples": len(r), "kv_tokens_max": max(s["kv_tokens"] for s in r)}
                          for n, r in raw["attention"].items() if r}}
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except OSError:
        rev = ""
    prov = {**prov, "script": "experiments/gpu_calibrate.py", "git_revision": rev,
            "host": platform.node(), "created_utc": datetime.now(UTC).isoformat(timespec="seconds")}
    return measured_profile(card, str(prov.get("gpu", card)), att, pw, summ, prov)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--card", help="card name for the file (default: from the GPU's name)")
    ap.add_argument("--out", type=Path, help="output JSON (default lbtheory/hardware/profiles/<card>-measured.json)")
    ap.add_argument("--raw-out", type=Path, help="directory for the raw samples (raw_samples.json)")
    ap.add_argument("--quick", action="store_true", help="shorter segments and a smaller sweep")
    ap.add_argument("--synthetic", action="store_true", help="no GPU: samples drawn from a known model")
    args = ap.parse_args()
    t0 = time.perf_counter()
    raw, prov = synthetic_run() if args.synthetic else gpu_run(args)
    card = args.card or ("synthetic" if args.synthetic else card_from_name(str(prov.get("gpu", ""))))
    prof = analyse(raw, prov, card)
    prof["provenance"]["wall_s"] = round(time.perf_counter() - t0, 1)
    out = args.out or PROFILES / f"{card}-measured.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(prof, indent=2) + "\n")
    if args.raw_out:
        args.raw_out.mkdir(parents=True, exist_ok=True)
        (args.raw_out / "raw_samples.json").write_text(json.dumps(raw))
    for name, f in prof["attention"].items():
        print(f"{name}: C = {f['step_overhead_s'] * 1e6:.1f} us, t = {f['token_time_s']:.3e} s/token, "
              f"R^2 = {f['r_squared']:.4f}")
    p = prof["power"]
    print(f"power: idle {p['idle_w']:.0f} W, busy {p['busy_w']:.0f} W, gamma {p['gamma']:.2f}; "
          f"r_k = P_spin/P_busy: {p['wait_ratio']}")
    print(f"wrote {out} in {prof['provenance']['wall_s']} s")


if __name__ == "__main__":
    main()
