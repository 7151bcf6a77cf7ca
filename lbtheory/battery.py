"""The BF-IO battery: many workload families × (G, B, H), every balancing policy, the stated objective beside
the outcome.

A *cell* is (workload, G, B, H). In each cell every policy runs on the same requests per seed (paired), and
each run records, besides its summary, Σ_epochs Φ_H of its decisions (:mod:`lbtheory.policies.objective`),
H being the cell's horizon, so "is ``bfio`` worse than ``bfio_paper`` because it solves the stated program
worse (a solver fault) or because the program rewards the wrong thing (an objective fault)?" is answered by
the numbers: compare the two policies' Φ sums and their outcomes.

Policies per cell: ``fcfs``, ``jsq_tokens``, ``bfio`` (horizon H, its defaults), ``bfio_paper`` (horizon H),
``bfio_imbalance`` (``bfio`` on the paper's stated objective instead of its default "step_time" one), and
``bfio`` with ``solver="exact"`` where asked (HiGHS; a run that hits its time limit is recorded as not
finished).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lbtheory.errors import ConfigError
from lbtheory.policies import make_policy
from lbtheory.policies.objective import ObjectiveRecorder
from lbtheory.runs import RunSpec, execute
from lbtheory.stats import mean_ci

MEASURES: dict[str, tuple[str, str]] = {
    "imbalance": ("window", "avg_imbalance_tokens"),
    "energy_per_token": ("whole_run", "energy_per_token_j"),
    "throughput": ("window", "throughput_tok_per_s"),
    "tpot": ("whole_run", "tpot_s"),
}
"""Measure -> (span, summary key): window imbalance (tokens), whole-run energy per generated token (J),
window throughput (tokens/s), whole-run TPOT (s). Lower is better except throughput."""


@dataclass(frozen=True)
class Cell:
    """One battery setting: ``workload`` a generator name or ``trace:<name>`` for a shared trace."""

    workload: str
    workers: int
    slots: int
    horizon: int
    requests: int

    def __post_init__(self) -> None:
        for name in ("workers", "slots", "requests"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f"cell {name} must be an integer >= 1, got {v!r}")
        if not isinstance(self.horizon, int) or self.horizon < 0:
            raise ConfigError(f"cell horizon must be an integer >= 0, got {self.horizon!r}")

    @property
    def label(self) -> str:
        return f"{self.workload} G={self.workers} B={self.slots} H={self.horizon}"


def policies_for(cell: Cell, exact: bool = False) -> list[tuple[str, str, tuple[tuple[str, Any], ...]]]:
    """(label, registered name, params) of the policies run in a cell."""
    H = cell.horizon
    out: list[tuple[str, str, tuple[tuple[str, Any], ...]]] = [
        ("fcfs", "fcfs", ()),
        ("jsq_tokens", "jsq_tokens", ()),
        ("bfio", "bfio", (("horizon", H),)),
        ("bfio_paper", "bfio_paper", (("horizon", H),)),
        ("bfio_imbalance", "bfio", (("horizon", H), ("objective", "imbalance"))),
    ]
    if H > 0:  # the step-time objective without its discount (at H = 0 the two are the same policy)
        out.append(("bfio_undiscounted", "bfio", (("horizon", H), ("discount", 1.0))))
    if exact:
        out.append(("bfio_exact", "bfio", (("horizon", H), ("solver", "exact"), ("time_limit_s", 10.0))))
    return out


SHADOWS = {"bfio": "bfio_paper", "bfio_paper": "bfio", "bfio_imbalance": "bfio_paper"}
"""Each BF-IO run is shadowed by the other BF-IO at the same H: both are asked at every epoch of the run."""


def cell_specs(cell: Cell, seeds: Sequence[int], exact: bool = False,
               trace_path: str | None = None) -> list[tuple[str, RunSpec]]:
    """(policy label, spec) of every run of a cell: each policy on each seed's requests."""
    out = []
    H = cell.horizon
    for label, name, params in policies_for(cell, exact):
        for seed in seeds:
            if cell.workload.startswith("trace:"):
                if trace_path is None:
                    raise ConfigError(f"cell {cell.label}: a trace cell needs the trace's path")
                src: dict[str, Any] = {"workload": None, "trace": trace_path, "trace_order": "resampled"}
            else:
                src = {"workload": cell.workload}
            meta: dict[str, Any] = {"objective_horizon": H}
            if label in SHADOWS:
                meta["shadow"] = SHADOWS[label]
            spec = RunSpec(workers=cell.workers, slots=cell.slots, policy=name, policy_params=params,
                           requests=cell.requests, seed=seed, meta=meta, **src)
            out.append((label, spec))
    return out


def run_with_objective(spec: RunSpec) -> dict[str, Any]:
    """One run's summary plus ``objective_sum`` (Σ_epochs Φ_H, H = ``spec.meta["objective_horizon"]``)
    and ``epochs``; an exact solve that does not finish in its time limit gives ``{"finished": False}``."""
    horizon = int(spec.meta.get("objective_horizon", 0))
    shadow = spec.meta.get("shadow")
    recorders: list[ObjectiveRecorder] = []

    def wrap(policy: Any) -> ObjectiveRecorder:
        other = None if shadow is None else make_policy(shadow, horizon=horizon)
        recorders.append(ObjectiveRecorder(policy, horizon, other))
        return recorders[-1]

    try:
        result, summary = execute(spec, wrap=wrap)
    except ConfigError as exc:
        if dict(spec.policy_params).get("solver") == "exact":
            return {"finished": False, "why": str(exc)}
        raise
    out = summary.to_dict()
    out["finished"] = True
    out["objective_sum"] = int(recorders[-1].objective_sum)
    out["epochs"] = int(recorders[-1].epochs)
    if shadow is not None:
        out["shadow"] = {"policy": shadow, "objective_sum": int(recorders[-1].shadow_objective_sum),
                         "epochs_worse": int(recorders[-1].epochs_worse)}
    out["steps"] = int(result.steps.n_steps)
    return out


def _values(runs: Iterable[dict[str, Any]], measure: str) -> np.ndarray:
    if measure == "objective":
        return np.array([r["objective_sum"] for r in runs], float)
    if measure == "same_epoch_objective":  # own Φ sum over the shadow's, asked on the same epochs
        return np.array([r["objective_sum"] / r["shadow"]["objective_sum"]
                         if r.get("shadow") and r["shadow"]["objective_sum"] > 0 else np.nan for r in runs],
                        float)
    span, key = MEASURES[measure]
    return np.array([np.nan if r[span][key] is None else r[span][key] for r in runs], float)


def summarize_cell(per_policy: dict[str, list[dict[str, Any]]], reference: str = "bfio_paper"
                   ) -> dict[str, Any]:
    """Per policy and measure: mean with a 95% interval over seeds, and the paired ratio to ``reference``
    (x_p / x_ref per seed, mean with a 95% interval). Policies whose runs did not all finish are listed
    under ``not_finished``."""
    done = {p: runs for p, runs in per_policy.items() if all(r.get("finished", True) for r in runs)}
    out: dict[str, Any] = {"policies": {}, "not_finished": sorted(set(per_policy) - set(done))}
    ref = done.get(reference)
    for p, runs in done.items():
        row: dict[str, Any] = {}
        for m in (*MEASURES, "objective"):
            x = _values(runs, m)
            row[m] = {"mean_ci95": mean_ci(x, finite_only=True)}
            if ref is not None:
                y = _values(ref, m)
                with np.errstate(divide="ignore", invalid="ignore"):
                    row[m]["ratio_to_" + reference] = mean_ci(np.where(y > 0, x / y, np.nan),
                                                              finite_only=True)
        if all(r.get("shadow") for r in runs):
            row["same_epoch_objective"] = {"mean_ci95": mean_ci(_values(runs, "same_epoch_objective"),
                                                                finite_only=True),
                                           "shadow": runs[0]["shadow"]["policy"]}
        out["policies"][p] = row
    return out


def diagnose(cell_summary: dict[str, Any], policy: str = "bfio", reference: str = "bfio_paper",
             tolerance: float = 0.02) -> str:
    """Where ``policy`` loses to ``reference`` (paired ratio of window imbalance or of whole-run energy per
    token above 1 + tolerance), which fault it is, judged on the very same epochs (the shadow comparison of
    :class:`lbtheory.policies.objective.ObjectiveRecorder`: ``policy``'s Φ_H sum over what ``reference``
    would have decided at the epochs of ``policy``'s own runs): "solver" if that ratio is above 1 (it solves
    the stated program worse), "objective" if it is at most 1 (it solves the program as well or better, and
    the outcome is still worse); "none" where it does not lose; "not compared" without the data."""
    row = cell_summary["policies"].get(policy)
    if row is None or reference not in cell_summary["policies"]:
        return "not compared"
    key = "ratio_to_" + reference
    loses = any(row[m][key][0] > 1 + tolerance for m in ("imbalance", "energy_per_token")
                if np.isfinite(row[m][key][0]))
    if not loses:
        return "none"
    same = row.get("same_epoch_objective")
    if same is None or same.get("shadow") != reference or not np.isfinite(same["mean_ci95"][0]):
        return "not compared"
    return "solver" if same["mean_ci95"][0] > 1 else "objective"


def worst_cells(cells: Sequence[dict[str, Any]], policy: str, reference: str = "bfio_paper",
                tolerance: float = 0.02, top: int = 10) -> dict[str, Any]:
    """Over the cells where both ran: the median paired ratio of ``policy`` to ``reference`` for window
    imbalance and whole-run energy per token, how many cells are worse by more than ``tolerance`` (the
    mean paired ratio r̄ > 1 + tolerance for either measure: ``cells_worse``), how many of those are worse
    beyond the seeds' noise (the whole 95% interval above it, r̄ − t·s/√n > 1 + tolerance:
    ``cells_worse_beyond_ci``), and the ``top`` worst cells (largest mean ratio of either measure), each
    ratio with its interval's half-width."""
    key = "ratio_to_" + reference
    measures = ("imbalance", "energy_per_token")
    rows = []
    for c in cells:
        row = c["policies"].get(policy)
        if row is None or reference not in c["policies"]:
            continue
        ratios = {m: (float(row[m][key][0]), float(row[m][key][1])) for m in measures}
        rows.append((max(v[0] for v in ratios.values()), c["cell"], ratios))
    rows.sort(key=lambda r: -r[0])
    med = {m: float(np.median([r[2][m][0] for r in rows])) if rows else float("nan") for m in measures}
    beyond = sum(1 for r in rows if any(mu - hw > 1 + tolerance for mu, hw in r[2].values()))
    return {"median": med, "cells_compared": len(rows),
            "cells_worse": sum(1 for r in rows if r[0] > 1 + tolerance),
            "cells_worse_beyond_ci": beyond,
            "worst": [{"cell": r[1], **{f"{m}_ratio": v[0] for m, v in r[2].items()},
                       **{f"{m}_ratio_ci95": v[1] for m, v in r[2].items()}} for r in rows[:top]]}


def readme_block(result: dict[str, Any] | None, policy: str = "bfio") -> str:
    """The README's battery block: the medians and the worst cells of ``policy`` against ``bfio_paper``
    (from a ``bfio_battery.json``), or a sentence saying the battery has not been run at this tier."""
    if result is None:
        return ("The BF-IO battery (`experiments/bfio_battery.py`) has not been run at the committed tier yet; "
                "`results/full/bfio_battery.json` does not exist.")
    w = result["worst"][policy]
    man = result["manifest"]
    beyond = ("" if "cells_worse_beyond_ci" not in w else
              f" (in {w['cells_worse_beyond_ci']} of them by more than the seeds' 95% interval)")
    lines = [
        f"`{policy}` against `bfio_paper` over {w['cells_compared']} cells ({man['config']['tier']} tier, "
        f"{len(man['config']['seeds'])} seeds, paired ratios): median window imbalance "
        f"{w['median']['imbalance']:.3f}, median whole-run energy per token {w['median']['energy_per_token']:.3f}; "
        f"worse by more than 2% in {w['cells_worse']} cells{beyond}. Worst cells (mean paired ratio ± the "
        "half-width of its 95% interval over seeds):",
        "",
        "| workload | G | B | H | imbalance ratio | energy/token ratio |",
        "|---|---|---|---|---|---|",
    ]
    for row in w["worst"]:
        c = row["cell"]
        cells = [f"{row[f'{m}_ratio']:.3f}" + (f" ± {row[f'{m}_ratio_ci95']:.3f}" if f"{m}_ratio_ci95" in row else "")
                 for m in ("imbalance", "energy_per_token")]
        lines.append(f"| {c['workload']} | {c['G']} | {c['B']} | {c['H']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)
