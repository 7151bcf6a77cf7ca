"""Provenance and safe output: every result records its config, seed, package version and git revision;
output directories appear whole or not at all (:mod:`lbtheory.outdir`)."""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import lbtheory
from lbtheory.outdir import atomic_output_dir as atomic_output_dir  # moved to lbtheory.outdir


def git_revision() -> str:
    """The git commit of the source tree the package was imported from ('unknown' outside a checkout)."""
    here = Path(lbtheory.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    rev = out.stdout.strip()
    try:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return rev + ("-dirty" if dirty else "")


def manifest(config: dict[str, Any], seed: int | Sequence[int] | None, wall_time_s: float | None = None
             ) -> dict[str, Any]:
    """The block every result file carries: what was run, with which seed, by which code."""
    return {
        "config": config,
        "seed": seed,
        "lbtheory_version": lbtheory.__version__,
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "wall_time_s": wall_time_s,
    }


def _json_default(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"cannot write {type(x).__name__} to JSON")


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON (numpy scalars and arrays allowed), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=_json_default, allow_nan=False) + "\n")
    os.replace(tmp, path)


def write_csv(path: Path, header: Sequence[str], columns: Iterable[Any]) -> None:
    """Write columns (equal-length sequences) as CSV with a header row."""
    cols = [np.asarray(c) for c in columns]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(zip(*(c.tolist() for c in cols), strict=True))
