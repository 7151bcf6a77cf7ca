"""Fit a power curve to a recorded GPU power log (``nvidia-smi`` CSV), and the ``lbtheory profile`` command.

Record a log on the machine to profile::

    nvidia-smi --query-gpu=timestamp,power.draw,utilization.gpu --format=csv -lms 100 > power.csv

The header reads ``timestamp, power.draw [W], utilization.gpu [%]`` and values ``250.12 W``, ``87 %``
(``--format=csv,nounits`` drops the units; an ``index`` column, if queried, selects one GPU with ``gpu``).

Two forms are fitted by bounded least squares (``scipy.optimize.curve_fit``), u = utilisation/100:

* the paper's power law  P(u) = P_idle + (P_max − P_idle) · min(1, u/u_sat)^γ  (u_sat fixed, default 1);
* a normalised logistic  (``lbtheory.hardware.energy.LogisticPowerCurve``).

Goodness of fit: RMSE (W) and R² = 1 − SS_res/SS_tot. Caveat: ``utilization.gpu`` is the share of time a
kernel was running, not how hard the chip worked (a memory-bound decode kernel reads 100% at well under TDP),
so a curve fitted to it is a curve in *that* utilisation.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lbtheory.errors import ConfigError, TraceError
from lbtheory.hardware.energy import LogisticPowerCurve, logistic_power_w, power_law_w
from lbtheory.hardware.power import PowerCurve

POWER_FIELD = "power.draw"
UTIL_FIELD = "utilization.gpu"


@dataclass(frozen=True, eq=False)
class PowerLog:
    """A parsed power log.

    Attributes:
        path: where it came from.
        timestamps: the raw timestamp strings ('' when the log has none).
        power_w: board power draw per sample (W).
        utilisation: ``utilization.gpu`` / 100 per sample (dimensionless, [0, 1]).
    """

    path: str
    timestamps: tuple[str, ...]
    power_w: NDArray[np.float64]
    utilisation: NDArray[np.float64]

    @property
    def n_samples(self) -> int:
        """How many samples."""
        return int(self.power_w.size)


def _column(header: list[str], name: str) -> int | None:
    for i, h in enumerate(header):
        if h.strip().split(" [")[0].strip() == name:
            return i
    return None


def _number(text: str, unit: str, path: Path, line: int, field: str) -> float:
    raw = text.strip()
    value = raw[: -len(unit)].strip() if unit and raw.endswith(unit) else raw
    try:
        x = float(value)
    except ValueError:
        raise TraceError(path, line, field, f"expected a number in {unit!r}, got {raw!r}") from None
    if not math.isfinite(x):
        raise TraceError(path, line, field, f"expected a finite number, got {raw!r}")
    return x


def read_nvidia_smi_csv(path: str | Path, gpu: int | None = None) -> PowerLog:
    """Parse an ``nvidia-smi --query-gpu=...,power.draw,utilization.gpu --format=csv`` log.

    Errors (:class:`~lbtheory.errors.TraceError`) name the file, the 1-based line and the field: a missing
    column, a wrong number of fields, a value that is not a number (``[N/A]``), a negative power, a
    utilisation outside [0, 100] %, or no samples at all.
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise TraceError(p, None, None, f"cannot read ({e.strerror})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(c.strip() for c in rows[0]):
        raise TraceError(p, 1, None, "empty file: expected a header like "
                         "'timestamp, power.draw [W], utilization.gpu [%]'")
    header = [h.strip() for h in rows[0]]
    i_pow, i_util = _column(header, POWER_FIELD), _column(header, UTIL_FIELD)
    i_ts, i_idx = _column(header, "timestamp"), _column(header, "index")
    for name, idx in ((POWER_FIELD, i_pow), (UTIL_FIELD, i_util)):
        if idx is None:
            raise TraceError(p, 1, name, f"column missing from the header {', '.join(header)!r}")
    assert i_pow is not None and i_util is not None
    if gpu is not None and i_idx is None:
        raise TraceError(p, 1, "index", "gpu selected but the log has no 'index' column")
    ts: list[str] = []
    pw: list[float] = []
    ut: list[float] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise TraceError(p, n, None, f"expected {len(header)} fields, got {len(row)}")
        if gpu is not None and i_idx is not None:
            if int(_number(row[i_idx], "", p, n, "index")) != gpu:
                continue
        power = _number(row[i_pow], "W", p, n, header[i_pow])
        util = _number(row[i_util], "%", p, n, header[i_util])
        if power < 0:
            raise TraceError(p, n, header[i_pow], f"power must be >= 0 W, got {power}")
        if not 0 <= util <= 100:
            raise TraceError(p, n, header[i_util], f"utilisation must be in [0, 100] %, got {util}")
        ts.append(row[i_ts].strip() if i_ts is not None else "")
        pw.append(power)
        ut.append(util / 100.0)
    if not pw:
        raise TraceError(p, None, None, "no samples" + ("" if gpu is None else f" for gpu {gpu}"))
    return PowerLog(str(p), tuple(ts), np.array(pw), np.array(ut))


@dataclass(frozen=True)
class FitQuality:
    """Goodness of fit: n samples, RMSE (W), R² (dimensionless), and the parameters' standard errors."""

    n_samples: int
    rmse_w: float
    r_squared: float
    std_errors: dict[str, float]


@dataclass(frozen=True)
class PowerLawFit:
    """The paper's curve fitted to a log, with its quality."""

    curve: PowerCurve
    quality: FitQuality


@dataclass(frozen=True)
class LogisticFit:
    """The logistic curve fitted to a log, with its quality."""

    curve: LogisticPowerCurve
    quality: FitQuality


def _quality(p: NDArray[np.float64], pred: NDArray[np.float64], names: tuple[str, ...],
             cov: NDArray[np.float64]) -> FitQuality:
    res = p - pred
    ss_res = float(res @ res)
    ss_tot = float(((p - p.mean()) ** 2).sum())
    diag = np.diag(cov) if cov.size else np.full(len(names), np.nan)
    se = {n: (float(np.sqrt(v)) if np.isfinite(v) and v >= 0 else float("nan")) for n, v in zip(names, diag,
                                                                                              strict=True)}
    return FitQuality(int(p.size), math.sqrt(ss_res / p.size), 1 - ss_res / ss_tot if ss_tot > 0 else 1.0, se)


def _inputs(u: ArrayLike, p: ArrayLike, min_samples: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    uu = np.asarray(u, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    if uu.shape != pp.shape or uu.ndim != 1:
        raise ConfigError(f"utilisation and power must be 1-D and of equal length, got {uu.shape}, {pp.shape}")
    if uu.size < min_samples:
        raise ConfigError(f"need at least {min_samples} samples to fit, got {uu.size}")
    if not (np.all(np.isfinite(uu)) and np.all(np.isfinite(pp))):
        raise ConfigError("utilisation and power must be finite")
    if np.ptp(uu) <= 0:
        raise ConfigError("the utilisation never varies: a curve cannot be fitted")
    return uu, pp


def fit_power_law(utilisation: ArrayLike, power_w: ArrayLike, u_sat: float = 1.0) -> PowerLawFit:
    """Fit P(u) = P_idle + Δ · min(1, u/u_sat)^γ with P_idle ≥ 0, Δ = P_max − P_idle ≥ 0, γ ∈ [0.05, 5]."""
    from scipy.optimize import curve_fit

    u, p = _inputs(utilisation, power_w, 4)
    if not (math.isfinite(u_sat) and u_sat > 0):
        raise ConfigError(f"u_sat must be > 0, got {u_sat}")

    def f(x: NDArray[np.float64], idle: float, delta: float, gamma: float) -> NDArray[np.float64]:
        return power_law_w(x, idle, idle + delta, gamma, u_sat)

    p0 = [float(np.percentile(p, 5)), float(max(np.ptp(p), 1.0)), 0.8]
    hi = float(p.max()) * 2 + 1
    popt, pcov = curve_fit(f, u, p, p0=p0, bounds=([0.0, 0.0, 0.05], [hi, hi, 5.0]), maxfev=20000)
    idle, delta, gamma = (float(v) for v in popt)
    curve = PowerCurve(idle_w=idle, max_w=idle + delta, gamma=gamma, u_sat=u_sat)
    return PowerLawFit(curve, _quality(p, f(u, *popt), ("idle_w", "delta_w", "gamma"), pcov))


def fit_logistic(utilisation: ArrayLike, power_w: ArrayLike) -> LogisticFit:
    """Fit the normalised logistic (P_idle ≥ 0, Δ ≥ 0, steepness k ∈ [0.1, 100], midpoint u₀ ∈ [−1, 2])."""
    from scipy.optimize import curve_fit

    u, p = _inputs(utilisation, power_w, 5)

    def f(x: NDArray[np.float64], idle: float, delta: float, k: float, u0: float) -> NDArray[np.float64]:
        return logistic_power_w(x, idle, idle + delta, k, u0)

    hi = float(p.max()) * 2 + 1
    best: tuple[float, Any, Any] | None = None
    for k0, m0 in ((4.0, 0.3), (8.0, 0.5), (2.0, 0.0), (15.0, 0.2)):
        try:
            popt, pcov = curve_fit(f, u, p, p0=[float(np.percentile(p, 5)), float(max(np.ptp(p), 1.0)), k0, m0],
                                   bounds=([0.0, 0.0, 0.1, -1.0], [hi, hi, 100.0, 2.0]), maxfev=20000)
        except RuntimeError:
            continue
        sse = float(((p - f(u, *popt)) ** 2).sum())
        if best is None or sse < best[0]:
            best = (sse, popt, pcov)
    if best is None:
        raise ConfigError("the logistic fit did not converge from any starting point")
    _, popt, pcov = best
    idle, delta, k, u0 = (float(v) for v in popt)
    curve = LogisticPowerCurve(idle_w=idle, max_w=idle + delta, steepness=k, midpoint=u0)
    return LogisticFit(curve, _quality(p, f(u, *popt), ("idle_w", "delta_w", "steepness", "midpoint"), pcov))


def synthetic_nvidia_smi_csv(curve: PowerCurve, n_samples: int, noise_w: float, seed: int) -> str:
    """An nvidia-smi-style CSV (header + rows) sampled from ``curve`` with Gaussian noise σ = ``noise_w`` W.

    Utilisation is drawn uniformly from the integers 0..100 % (nvidia-smi reports whole percent), timestamps
    are 100 ms apart. Deterministic for a seed; used to make ``tests/data/nvidia_smi_synthetic.csv``.
    """
    rng = np.random.default_rng(seed)
    util = rng.integers(0, 101, size=n_samples)
    power = curve.power_w(util / 100.0) + rng.normal(0.0, noise_w, size=n_samples)
    power = np.maximum(power, 0.0)
    lines = ["timestamp, power.draw [W], utilization.gpu [%]"]
    for i, (pw, ut) in enumerate(zip(power, util, strict=True)):
        ms = 100 * i
        stamp = f"2026/01/25 10:{(ms // 60000) % 60:02d}:{(ms // 1000) % 60:02d}.{ms % 1000:03d}"
        lines.append(f"{stamp}, {pw:.2f} W, {int(ut)} %")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- command


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``lbtheory profile``: ``--power-log FILE [--gpu N] [--u-sat X] [--json]
    [--write-profile OUT --base NAME]``."""
    parser.add_argument("--power-log", required=True, type=Path,
                        help="nvidia-smi CSV: --query-gpu=timestamp,power.draw,utilization.gpu --format=csv")
    parser.add_argument("--gpu", type=int, help="keep only this GPU (the log must have an 'index' column)")
    parser.add_argument("--u-sat", type=float, default=1.0, help="u_sat of the power law (default 1)")
    parser.add_argument("--json", action="store_true", help="print the fit as JSON instead of a table")
    parser.add_argument("--write-profile", type=Path,
                        help="write a profile JSON: --base's numbers with the fitted power fields")
    parser.add_argument("--base", default="h100", help="the data profile --write-profile starts from")


def _fit_record(log: PowerLog, law: PowerLawFit, logi: LogisticFit) -> dict[str, Any]:
    return {
        "power_log": log.path,
        "n_samples": log.n_samples,
        "power_law": {**asdict(law.curve), "quality": asdict(law.quality),
                      "formula": "P(u) = idle_w + (max_w - idle_w) * min(1, u/u_sat)**gamma"},
        "logistic": {**asdict(logi.curve), "quality": asdict(logi.quality),
                     "formula": "normalised logistic through (0, idle_w) and (1, max_w)"},
    }


def fitted_profile_dict(base: str, log: PowerLog, law: PowerLawFit, logi: LogisticFit) -> dict[str, Any]:
    """The packaged profile ``base`` as a JSON object, with idle_w, gamma, u_sat and the logistic parameters
    replaced by the fit (kind ``measurement``, source: the log). TDP and the other numbers keep their
    sources; wait_w is clipped into (P_idle, TDP]."""
    from importlib import resources

    text = (resources.files("lbtheory.hardware") / "profiles" / f"{base.lower()}.json").read_text()
    d: dict[str, Any] = json.loads(text)
    src = f"power log {log.path} ({log.n_samples} samples), fitted by lbtheory profile"
    q1, q2 = law.quality, logi.quality
    d["name"] = f"{d['name']}-fitted"
    d["idle_w"] = {"value": round(law.curve.idle_w, 3), "kind": "measurement", "source": src,
                   "note": f"power-law fit, RMSE {q1.rmse_w:.2f} W, R2 {q1.r_squared:.4f}"}
    d["gamma"] = {"value": round(law.curve.gamma, 4), "kind": "measurement", "source": src,
                  "note": f"fitted P_max {law.curve.max_w:.1f} W (profile keeps P_max = TDP)"}
    d["u_sat"] = {"value": law.curve.u_sat, "kind": "measurement", "source": src, "note": "fixed in the fit"}
    d["logistic_steepness"] = {"value": round(logi.curve.steepness, 4), "kind": "measurement", "source": src,
                               "note": f"RMSE {q2.rmse_w:.2f} W, R2 {q2.r_squared:.4f}"}
    d["logistic_midpoint"] = {"value": round(logi.curve.midpoint, 4), "kind": "measurement", "source": src}
    tdp = float(d["tdp_w"]["value"])
    idle = law.curve.idle_w
    for key in ("wait_w", "decode_busy_w"):  # keep P_idle < value <= TDP and the range inside [P_idle, TDP]
        entry = dict(d[key])
        entry["value"] = min(tdp, max(float(entry["value"]), idle + 1.0))
        if "low" in entry:
            entry["low"] = min(max(float(entry["low"]), idle), entry["value"])
        d[key] = entry
    return d


def profile_command(args: argparse.Namespace) -> int:
    """``lbtheory profile --power-log FILE``: fit both curves, print them (table or ``--json``), optionally
    write a profile JSON (``--write-profile``). Returns the exit status (0 on success, 2 on bad input)."""
    from lbtheory.hardware.profiles import device_from_dict

    try:
        log = read_nvidia_smi_csv(args.power_log, gpu=args.gpu)
        law = fit_power_law(log.utilisation, log.power_w, u_sat=args.u_sat)
        logi = fit_logistic(log.utilisation, log.power_w)
        record = _fit_record(log, law, logi)
        if args.write_profile is not None:
            d = fitted_profile_dict(args.base, log, law, logi)
            device_from_dict(d, str(args.write_profile))  # validate before writing
            out = Path(args.write_profile)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(d, indent=2) + "\n")
            record["wrote_profile"] = str(out)
    except (TraceError, ConfigError) as e:
        print(f"lbtheory profile: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"lbtheory profile: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    c, q = law.curve, law.quality
    print(f"{log.path}: {log.n_samples} samples, utilisation {log.utilisation.min():.2f}-"
          f"{log.utilisation.max():.2f}, power {log.power_w.min():.1f}-{log.power_w.max():.1f} W")
    print(f"power law  P(u) = {c.idle_w:.1f} + ({c.max_w:.1f} - {c.idle_w:.1f}) * min(1, u/{c.u_sat:g})^"
          f"{c.gamma:.3f} W   RMSE {q.rmse_w:.2f} W  R2 {q.r_squared:.4f}")
    lc, lq = logi.curve, logi.quality
    print(f"logistic   P_idle {lc.idle_w:.1f} W, P_max {lc.max_w:.1f} W, k {lc.steepness:.3f}, "
          f"u0 {lc.midpoint:.3f}   RMSE {lq.rmse_w:.2f} W  R2 {lq.r_squared:.4f}")
    if "wrote_profile" in record:
        print(f"wrote {record['wrote_profile']}")
    return 0
