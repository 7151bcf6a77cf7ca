"""Workloads: request lengths, arrivals and output-length predictions.

- :mod:`~lbtheory.workloads.base`: the :class:`Workload` dataclass.
- :mod:`~lbtheory.workloads.generators`: synthetic generators (the paper's bivariate normal,
  uniform, log-normal, bounded Pareto, bimodal).
- :mod:`~lbtheory.workloads.calibrated`: generators calibrated to the shared public traces.
- :mod:`~lbtheory.workloads.traces`: trace loaders (JSON, Azure CSV, generic CSV/JSONL).
- :mod:`~lbtheory.workloads.arrivals`: Poisson and Gamma-renewal arrivals, time scaling.
- :mod:`~lbtheory.workloads.predictions`: exact, noisy or no output-length predictions.

:data:`WORKLOADS` maps a name to a generator ``(n_requests, rng) -> Workload``;
:func:`make_workload` looks one up. :func:`shared_trace_path` finds a shared trace file on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from lbtheory.errors import ConfigError
from lbtheory.workloads.arrivals import (
    gamma_arrivals,
    mean_rate_per_s,
    poisson_arrivals,
    scale_arrivals,
    scale_to_rate,
)
from lbtheory.workloads.base import Workload
from lbtheory.workloads.calibrated import (
    PROFILE_NAMES,
    TraceProfile,
    arxiv,
    azure_code,
    azure_conv,
    burst,
    calibrated,
    load_profile,
    longbench,
)
from lbtheory.workloads.families import FAMILIES
from lbtheory.workloads.generators import bimodal, lognormal, pareto, synthetic, uniform
from lbtheory.workloads.predictions import (
    PREDICTION_MODES,
    apply_predictions,
    exact,
    multiplicative_noise,
    none,
)
from lbtheory.workloads.traces import load_azure_csv, load_generic, load_json_trace, load_trace

__all__ = [
    "PREDICTION_MODES",
    "PROFILE_NAMES",
    "SHARED_TRACE_FILES",
    "WORKLOADS",
    "TraceProfile",
    "Workload",
    "WorkloadFactory",
    "apply_predictions",
    "arxiv",
    "azure_code",
    "azure_conv",
    "bimodal",
    "burst",
    "calibrated",
    "exact",
    "gamma_arrivals",
    "load_azure_csv",
    "load_generic",
    "load_json_trace",
    "load_profile",
    "load_trace",
    "lognormal",
    "longbench",
    "make_workload",
    "mean_rate_per_s",
    "multiplicative_noise",
    "none",
    "pareto",
    "poisson_arrivals",
    "scale_arrivals",
    "scale_to_rate",
    "shared_trace_path",
    "synthetic",
    "uniform",
]

WorkloadFactory = Callable[[int, np.random.Generator], Workload]
"""A workload generator: ``(n_requests, rng) -> Workload``."""

WORKLOADS: Mapping[str, WorkloadFactory] = MappingProxyType(
    {
        "synthetic": synthetic,
        "uniform": uniform,
        "lognormal": lognormal,
        "pareto": pareto,
        "bimodal": bimodal,
        "burst": burst,
        "arxiv": arxiv,
        "longbench": longbench,
        "azure_conv": azure_conv,
        "azure_code": azure_code,
        **FAMILIES,
    }
)
"""Name -> generator (default parameters). Read-only. ``burst`` .. ``azure_code`` are calibrated generators;
the names after them are the stress families of :mod:`lbtheory.workloads.families`."""

SHARED_TRACE_FILES: Mapping[str, str] = MappingProxyType(
    {
        "burst": "burst_data_8000.json",
        "arxiv": "arxiv_data_8000.json",
        "longbench": "longbench_data_8000.json",
        "azure_conv": "azure_llm_2023_conv.csv",
        "azure_code": "azure_llm_2023_code.csv",
    }
)
"""Trace name -> file name in the shared data directory."""


def make_workload(name: str, n_requests: int, rng: np.random.Generator) -> Workload:
    """``WORKLOADS[name](n_requests, rng)``, or ConfigError listing the valid names."""
    try:
        factory = WORKLOADS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown workload {name!r}; valid names: {', '.join(WORKLOADS)}"
        ) from None
    return factory(n_requests, rng)


def shared_trace_path(name: str, *, data_dir: str | Path | None = None) -> Path | None:
    """The file of shared trace ``name`` (a key of :data:`SHARED_TRACE_FILES`), or None if absent.

    Looks in ``data_dir`` if given, else in ``$LBTHEORY_DATA`` if set, else in ``../shared/data``
    relative to the repository root (the directory above the ``lbtheory`` package). A caller that
    gets None should fall back to the calibrated generator of the same name and say so.
    """
    if name not in SHARED_TRACE_FILES:
        raise ConfigError(
            f"unknown shared trace {name!r}; valid names: {', '.join(SHARED_TRACE_FILES)}"
        )
    if data_dir is not None:
        base = Path(data_dir)
    elif env := os.environ.get("LBTHEORY_DATA"):
        base = Path(env)
    else:
        base = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    path = base / SHARED_TRACE_FILES[name]
    return path if path.is_file() else None
