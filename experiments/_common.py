"""Helpers shared by the experiment scripts: paths, the fast/full switch, macros, replicates."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from lbtheory.stats import mean_ci

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("fast", "full")
"""Two tiers that never overwrite each other. *full* (``--full``, the paper's settings) is committed: results
in ``results/full/``, figures in ``paper/figures/``, macros in ``paper/variables/`` (what the report, the
README and the notebooks read). *fast* (the default, what ``make reproduce`` runs) is never committed: results,
figures and macros all under ``results/fast/`` (git-ignored)."""
_TIER = {"tier": "fast"}


def tier() -> str:
    """The tier this process writes (set by :func:`set_tier` or by the ``--full`` flag of :func:`parser`)."""
    return _TIER["tier"]


def set_tier(name: str) -> None:
    """Choose the tier the output paths below resolve to ("fast" or "full")."""
    if name not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {name!r}")
    _TIER["tier"] = name


def tier_dirs(name: str | None = None) -> dict[str, Path]:
    """The results, figures and macro directories of a tier (default: the current one)."""
    name = name or tier()
    if name not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}, got {name!r}")
    if name == "full":
        return {"results": ROOT / "results" / "full", "figures": ROOT / "paper" / "figures",
                "variables": ROOT / "paper" / "variables"}
    base = ROOT / "results" / "fast"
    return {"results": base, "figures": base / "figures", "variables": base / "variables"}


class TierDir(os.PathLike):
    """A directory that resolves to the current tier's at each use (``RESULTS / "x.json"``, ``mkdir``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @property
    def path(self) -> Path:
        return tier_dirs()[self.kind]

    def __truediv__(self, other: str) -> Path:
        return self.path / other

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"TierDir({self.kind!r} -> {self.path})"

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        self.path.mkdir(parents=parents, exist_ok=exist_ok)


RESULTS = TierDir("results")
FIGURES = TierDir("figures")
VARIABLES = TierDir("variables")
CACHE = ROOT / "results" / "cache"
"""The sweep cache (git-ignored), shared by both tiers: entries are keyed by spec, input and code hashes."""


def cache_dir(stem: str) -> Path:
    """The sweep cache of one experiment."""
    return CACHE / stem


def rel(path: Path | os.PathLike) -> str:
    """A path relative to the repository root, for messages and macro headers."""
    return Path(path).resolve().relative_to(ROOT).as_posix()


class _TierParser(argparse.ArgumentParser):
    def parse_args(self, *args, **kwargs):  # type: ignore[override]
        ns = super().parse_args(*args, **kwargs)
        set_tier("full" if getattr(ns, "full", False) else "fast")
        return ns


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the common ``--full`` switch (default: the fast tier); parsing sets the tier."""
    ap = _TierParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the paper's settings (slow), written to the committed "
                    "full tier; default: the fast tier, under results/fast/")
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


# --- policy comparisons against FCFS (C3, C4, C6, C7) -------------------------------------------------------

COMPARED = {
    "throughput": ("window", "throughput_tok_per_s"),
    "tpot": ("whole_run", "tpot_s"),
    "energy_window": ("window", "energy_j"),
    "energy_per_token": ("whole_run", "energy_per_token_j"),
    "idle": ("window", "avg_idle_fraction"),
    "imbalance": ("window", "avg_imbalance_tokens"),
    "makespan": ("whole_run", "duration_s"),
}
"""What each comparison reports, and over which span: throughput over the steady-state window and TPOT over
the whole run (as the authors' simulator), energy both ways (window sum, as the authors; per token over the
whole run, which compares the same work)."""


def relative_changes(per_policy: dict[str, list[dict]], baseline: str = "fcfs") -> dict[str, dict]:
    """Paired (same seed, same requests) relative change of each metric vs the baseline, with a 95% CI.

    ``per_policy[p]`` lists run summaries in seed order. Change = x_p / x_baseline − 1 per seed.
    """
    out: dict[str, dict] = {}
    base = per_policy[baseline]
    for p, runs in per_policy.items():
        out[p] = {}
        for name, (span, key) in COMPARED.items():
            vals = np.array([r[span][key] for r in runs], float)
            ref = np.array([r[span][key] for r in base], float)
            out[p][name] = {"mean_ci": mean_ci(vals), "change_vs_" + baseline: mean_ci(vals / ref - 1)}
    return out


def publish(stem: str, result: dict, macros: Callable[[dict], Mapping[str, str]]) -> dict:
    """Write ``<tier results>/<stem>.json``, then ``<tier variables>/<stem>.tex`` from the file just written.

    The macros are computed from the JSON as read back, exactly as ``tests/meta/test_macros.py`` recomputes
    them, so a macro file can never disagree with its result file without that test failing.
    """
    import json

    from lbtheory.provenance import write_json

    path = RESULTS / f"{stem}.json"
    write_json(path, result)
    loaded = json.loads(path.read_text())
    write_macros(VARIABLES / f"{stem}.tex", macros(loaded), rel(path))
    return loaded
