"""Helpers shared by the experiment scripts: paths, the fast/full switch, macros, replicates."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
FIGURES = ROOT / "paper" / "figures"
VARIABLES = ROOT / "paper" / "variables"


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the common ``--full`` switch (default: the fast tier)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the paper's settings (slow); default: fast tier")
    ap.add_argument("--seeds", type=int, help="number of replicates (default: 3 fast, 10 full)")
    return ap


def macro_name(*parts: str) -> str:
    """A LaTeX macro name from parts: letters only, camel-cased (digits spelled out)."""
    words = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six",
             "7": "Seven", "8": "Eight", "9": "Nine"}
    out = []
    for p in parts:
        p = "".join(words.get(ch, ch) for ch in p)
        out.extend(w.capitalize() for w in re.split(r"[^A-Za-z]+", p) if w)
    return "".join(out)


def write_macros(path: Path, macros: Mapping[str, str], source: str) -> None:
    """Write ``\\newcommand{\\name}{value}`` lines, with a header naming the result file they come from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"% generated from {source}; do not edit"]
    lines += [f"\\newcommand{{\\{k}}}{{{v}}}" for k, v in sorted(macros.items())]
    path.write_text("\n".join(lines) + "\n")


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The mean and the half-width of its Student-t confidence interval (0 for one replicate)."""
    from scipy import stats

    x = np.asarray(x, float)
    if x.size < 2:
        return float(x.mean()), 0.0
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(half)
