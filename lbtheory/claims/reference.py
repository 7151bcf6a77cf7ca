"""The authors' simulator (Echoscd/Load-Balancing-Release) as a reference: its command line, its output, and
the figures the claims table takes from it.

Its ``scripts/main.py`` with ``--strategy S`` runs one replicate (``n_repeat = 1``, seed ``--seed``) and prints
one ``<key>: <mean> ± <std>`` line per metric of ``SchedulerSim.run`` (the std is ``nan`` for one replicate):

* ``throughput_tokens_per_sec``: tokens / time over the steady-state window (steps before the last admission);
* ``avg_latency_per_token``: mean_i (finish_i − start_i) / o_i over every request (the whole run);
* ``total_energy``: Σ_k Δt_k Σ_g P(u_g(k)) over the window, u from post-step loads;
* ``avg_gpu_idle_rate``: mean over the window's steps of mean_g (1 − L_g / max_h L_h), post-step loads.

A reference figure is a paired change, as ours: per seed, x_BF-IO / x_FCFS − 1 (same seed, hence the same
requests in that simulator), then the mean and its Student-t 95% interval over seeds. It prints no energy per
token, so no reference figure exists for ``energy_per_token``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SUMMARY_LINE = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*): (?P<mean>\S+) ± (?P<std>\S+)\s*$")

METRIC_KEYS = {"throughput": "throughput_tokens_per_sec", "tpot": "avg_latency_per_token",
               "energy_window": "total_energy", "idle": "avg_gpu_idle_rate"}
"""Our metric name → the key the authors' simulator prints for the same measure (spans as in the module doc)."""

DATASETS = {"burst": "burst_data_8000.json", "longbench": "longbench_data_8000.json"}
"""The trace file, inside the authors' checkout, of each of our trace names."""

STRATEGIES = {"fcfs": "FCFS", "bfio": "BF-IO"}
"""Our policy label → the simulator's ``--strategy`` (its BF-IO is the authors' heuristic: our ``bfio_paper``)."""


class ReferenceOutputError(ValueError):
    """The simulator's output could not be read."""


def parse_summary(text: str, source: str = "output") -> dict[str, float]:
    """The ``<key>: <mean> ± <std>`` lines of one ``scripts/main.py --strategy S`` run, as {key: mean}.

    Raises :class:`ReferenceOutputError` naming ``source`` and the line when a value is not a number, when a key
    repeats (two strategies in one output) or when none of :data:`METRIC_KEYS` is found.
    """
    out: dict[str, float] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        m = SUMMARY_LINE.match(line)
        if not m:
            continue
        key = m.group("key")
        try:
            mean = float(m.group("mean"))
        except ValueError:
            raise ReferenceOutputError(f"{source}, line {lineno}: {key}: mean {m.group('mean')!r} is not a number") from None
        if not math.isfinite(mean):
            raise ReferenceOutputError(f"{source}, line {lineno}: {key}: mean is {mean}")
        if key in out:
            raise ReferenceOutputError(f"{source}, line {lineno}: {key} printed twice (more than one strategy?)")
        out[key] = mean
    missing = [k for k in METRIC_KEYS.values() if k not in out]
    if missing:
        raise ReferenceOutputError(f"{source}: no summary line for {', '.join(missing)}")
    return out


@dataclass(frozen=True)
class Setting:
    """One claim setting in the authors' simulator's terms."""

    trace: str
    G: int
    B: int
    N: int
    H: int

    def __post_init__(self) -> None:
        if self.trace not in DATASETS:
            raise ValueError(f"Setting.trace must be one of {sorted(DATASETS)}, got {self.trace!r}")
        for name in ("G", "B", "N"):
            if getattr(self, name) < 1:
                raise ValueError(f"Setting.{name} must be >= 1, got {getattr(self, name)}")
        if self.H < 0:
            raise ValueError(f"Setting.H must be >= 0, got {self.H}")

    @staticmethod
    def from_claim(s: Mapping[str, object]) -> Setting:
        """From one entry of ``experiments/_claims.py``'s SETTINGS; its pool R must be the simulator's 4G."""
        R = s.get("R")
        if R is not None and R != 4 * int(s["G"]):  # type: ignore[call-overload]
            raise ValueError(f"setting {s.get('stem')}: pool R={R} but the authors' simulator always reveals 4G")
        return Setting(str(s["trace"]), int(s["G"]), int(s["B"]), int(s["N"]), int(s["H"]))  # type: ignore[call-overload]

    def argv(self, strategy: str, seed: int) -> list[str]:
        """``scripts/main.py`` arguments (relative to the checkout) of one replicate of one strategy."""
        if strategy not in STRATEGIES.values():
            raise ValueError(f"strategy must be one of {sorted(STRATEGIES.values())}, got {strategy!r}")
        args = ["scripts/main.py", "--load_from_real_dataset", "--dataset_path", DATASETS[self.trace],
                "--strategy", strategy]
        if strategy != "FCFS":
            args += ["--H", str(self.H)]
        return [*args, "--G", str(self.G), "--B", str(self.B), "--N", str(self.N), "--seed", str(seed),
                "--skip_plot", "--n_jobs", "1"]


def _mean_ci(x: Sequence[float]) -> tuple[float, float | None]:
    from scipy import stats

    n = len(x)
    m = sum(x) / n
    if n < 2:
        return m, None
    sd = math.sqrt(sum((v - m) ** 2 for v in x) / (n - 1))
    return m, float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n))


def paired_figures(fcfs: Sequence[Mapping[str, float]], bfio: Sequence[Mapping[str, float]]) -> dict[str, dict]:
    """Per metric of :data:`METRIC_KEYS` but idle: the paired change of BF-IO vs FCFS,
    mean_s(x_BF-IO,s / x_FCFS,s − 1) with its 95% half-width (None for one seed) and n; and both idle shares
    (``fcfs_idle``, ``bfio_idle``: means over seeds). ``fcfs[i]`` and ``bfio[i]`` are the same seed."""
    if len(fcfs) != len(bfio) or not fcfs:
        raise ValueError(f"paired_figures needs the same nonzero number of seeds, got {len(fcfs)} and {len(bfio)}")
    out: dict[str, dict] = {}
    for ours, key in METRIC_KEYS.items():
        if ours == "idle":
            continue
        value, ci = _mean_ci([b[key] / f[key] - 1.0 for f, b in zip(fcfs, bfio, strict=True)])
        out[ours] = {"value": value, "ci95": ci, "n": len(fcfs)}
    out["fcfs_idle"], out["bfio_idle"] = idle_figure(fcfs), idle_figure(bfio)
    return out


def idle_figure(runs: Sequence[Mapping[str, float]]) -> dict:
    """The mean idle share (``avg_gpu_idle_rate``) over seeds, its 95% half-width (None for one seed) and n."""
    if not runs:
        raise ValueError("idle_figure needs at least one run")
    value, ci = _mean_ci([r[METRIC_KEYS["idle"]] for r in runs])
    return {"value": value, "ci95": ci, "n": len(runs)}
