"""Compute the calibration profiles of the shared request traces (run by hand, once).

Writes ``lbtheory/workloads/calibration/<name>.json`` for each trace in ``../shared/data`` (or
``$LBTHEORY_DATA``): statistics of the trace, not the trace itself. The calibrated generators in
:mod:`lbtheory.workloads.calibrated` sample from these profiles, so a user without the shared data
can still run every experiment.

Statistics written (per length, prompt s and output o, in tokens):
    n, mean, sd (population, ddof=0), min, max, and the order-statistic quantiles q(p) = the
    smallest x with F_N(x) >= p (numpy ``method="inverted_cdf"``), with q(0) = min and q(1) = max,
    at the probability grid PROBS below: 41 equally spaced levels p = 0, 0.025, ..., 1 plus tail
    levels 0.001, 0.005, 0.01, 0.99, 0.995, 0.999. Since log is increasing, log q(p) is the
    p-quantile of log s, so these are the log-length quantiles too. spearman: Spearman's rank
    correlation of (s, o), ties given average ranks.
For the Azure traces also: the arrival rate (N - 1) / (t_N - t_1) in requests per second and the
coefficient of variation sd/mean of the inter-arrival gaps t_{i+1} - t_i, and the gaps' quantiles
(seconds, same grid and method, rounded to 0.1 µs).

Usage: python experiments/calibrate_traces.py [DATA_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

from lbtheory.workloads import shared_trace_path
from lbtheory.workloads.traces import load_trace

PROBS = np.unique(
    np.round(
        np.concatenate([np.linspace(0.0, 1.0, 41), [0.001, 0.005, 0.01, 0.99, 0.995, 0.999]]), 6
    )
)

SOURCES = {
    "burst": (
        "burst_data_8000.json: a seed-42 sample of 8,000 requests of BurstGPT "
        "(HPMLL/BurstGPT, KDD 2025; Azure OpenAI GPT usage logs), "
        "as shipped with Echoscd/Load-Balancing-Release",
        "CC-BY-4.0",
    ),
    "arxiv": (
        "arxiv_data_8000.json: arXiv summarization (ccdv/arxiv-summarization), "
        "article -> abstract, GPT-2 tokenizer, 8,000 requests, "
        "as shipped with Echoscd/Load-Balancing-Release",
        "upstream dataset terms (ccdv/arxiv-summarization)",
    ),
    "longbench": (
        "longbench_data_8000.json: LongBench-v2 (zai-org/LongBench-v2), seed-42 sample of 8,000 "
        "requests, as shipped with Echoscd/Load-Balancing-Release",
        "upstream dataset terms (zai-org/LongBench-v2)",
    ),
    "azure_conv": (
        "azure_llm_2023_conv.csv: Azure LLM inference trace 2023, conversation service, one hour "
        "(Azure/AzurePublicDataset; Splitwise, ISCA 2024)",
        "CC-BY-4.0",
    ),
    "azure_code": (
        "azure_llm_2023_code.csv: Azure LLM inference trace 2023, coding service, one hour "
        "(Azure/AzurePublicDataset; Splitwise, ISCA 2024)",
        "CC-BY-4.0",
    ),
}


def _length_stats(x: np.ndarray) -> dict[str, object]:
    q = np.quantile(x, PROBS, method="inverted_cdf")
    return {
        "n": int(x.size),
        "mean": float(x.mean()),
        "sd": float(x.std()),
        "min": int(x.min()),
        "max": int(x.max()),
        "quantiles": [int(v) for v in q],
    }


def profile(name: str, path: Path) -> dict[str, object]:
    """The calibration profile of one trace (see the module docstring)."""
    w = load_trace(path)
    s, o = w.prompt_tokens, w.output_tokens
    rho = stats.spearmanr(s, o).statistic
    text, licence = SOURCES[name]
    out: dict[str, object] = {
        "name": name,
        "source": text,
        "licence": licence,
        "file": path.name,
        "n_requests": w.n_requests,
        "probabilities": [float(p) for p in PROBS],
        "prompt_tokens": _length_stats(s),
        "output_tokens": _length_stats(o),
        "spearman": float(rho),
    }
    if w.arrival_time_s is not None:
        gaps = np.diff(w.arrival_time_s)
        out["arrivals"] = {
            "rate_per_s": float((w.n_requests - 1) / (w.arrival_time_s[-1] - w.arrival_time_s[0])),
            "gap_cv": float(gaps.std() / gaps.mean()),
            "duration_s": float(w.arrival_time_s[-1] - w.arrival_time_s[0]),
            "gap_quantiles_s": [
                round(float(v), 7) for v in np.quantile(gaps, PROBS, method="inverted_cdf")
            ],
        }
    return out


def main(argv: list[str]) -> int:
    out_dir = Path(__file__).resolve().parents[1] / "lbtheory" / "workloads" / "calibration"
    data_dir = Path(argv[1]) if len(argv) > 1 else None
    for name in SOURCES:
        path = shared_trace_path(name, data_dir=data_dir)
        if path is None:
            print(f"{name}: trace not found, skipped", file=sys.stderr)
            continue
        prof = profile(name, path)
        target = out_dir / f"{name}.json"
        target.write_text(json.dumps(prof, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {path} -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
