"""Hardware profiles as data files with sources (``lbtheory/hardware/profiles/*.json``).

Each file describes one device; every number carries its source and the kind of that source:

* ``datasheet``: the vendor's published specification (or a page quoting it);
* ``measurement``: a public measurement (paper, benchmark);
* ``projection``: an assumption or extrapolation of ours, with the reasoning in ``note``.

Schema (all powers in W, bandwidth in TB/s = 1e12 B/s, compute in TFLOPS = 1e12 FLOP/s)::

    {"name": "h100", "device": "...",
     "tdp_w": {"value": 700, "kind": "datasheet", "source": "..."},
     "idle_w": {...}, "wait_w": {..., "low": ..., "high": ...}, "decode_busy_w": {...},
     "gamma": {...}, "u_sat": {...},
     "logistic_steepness": {...}, "logistic_midpoint": {...},
     "hbm_bandwidth_tb_per_s": {...}, "bf16_dense_tflops": {...},
     "overhead_factor": {...}, "step_overhead": {"model": "paper_scaled", "kind": "projection", ...}}

Step time for B slots and served model m (``lbtheory.hardware.models``):
t = η · κ_m / β and C = C_paper(B) · β_paper / β (``step_overhead.model = "paper_scaled"``) or
C = C_paper(B) (``"paper"``), or a fixed ``value`` in seconds (``"fixed"``).

The power curve is the paper's P(u) = P_idle + (P_max − P_idle)(u/u_sat)^γ with P_max = TDP; the logistic
alternative is :class:`lbtheory.hardware.energy.LogisticPowerCurve`. Files are read lazily
(``importlib.resources``), never at import time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lbtheory.errors import ConfigError
from lbtheory.hardware.energy import LogisticPowerCurve
from lbtheory.hardware.models import (
    PAPER_BANDWIDTH_BYTES_PER_S,
    get_model,
    paper_overhead_s,
    scaled_overhead_s,
)
from lbtheory.hardware.power import PowerCurve
from lbtheory.model import StepTimeModel

SOURCE_KINDS = ("datasheet", "measurement", "projection")
STEP_OVERHEAD_MODELS = ("paper_scaled", "paper", "fixed")
NUMERIC_FIELDS = (
    "tdp_w", "idle_w", "wait_w", "decode_busy_w", "gamma", "u_sat", "logistic_steepness",
    "logistic_midpoint", "hbm_bandwidth_tb_per_s", "bf16_dense_tflops", "overhead_factor",
)


@dataclass(frozen=True)
class Sourced:
    """A number with its source.

    Attributes:
        value: the value used (units in the field's name).
        kind: datasheet | measurement | projection.
        source: a URL or document name.
        note: how the value follows from the source (required for projections).
        low, high: a plausible range, when the value is uncertain.
    """

    value: float
    kind: str
    source: str
    note: str = ""
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float) or not math.isfinite(
                self.value):
            raise ConfigError(f"value must be a finite number, got {self.value!r}")
        if self.kind not in SOURCE_KINDS:
            raise ConfigError(f"kind must be one of {', '.join(SOURCE_KINDS)}, got {self.kind!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ConfigError("source must be a non-empty string")
        if self.kind == "projection" and not self.note.strip():
            raise ConfigError("a projection needs a note saying how it was obtained")
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ConfigError(f"value {self.value} lies outside its range [{lo}, {hi}]")

    def cite(self) -> str:
        """'kind: source (note)'."""
        return f"{self.kind}: {self.source}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class DeviceSpec:
    """One device's sourced numbers (see the module docstring for the schema and the formulas)."""

    name: str
    device: str
    tdp_w: Sourced
    idle_w: Sourced
    wait_w: Sourced
    decode_busy_w: Sourced
    gamma: Sourced
    u_sat: Sourced
    logistic_steepness: Sourced
    logistic_midpoint: Sourced
    hbm_bandwidth_tb_per_s: Sourced
    bf16_dense_tflops: Sourced
    overhead_factor: Sourced
    step_overhead_model: str
    step_overhead: Sourced

    def __post_init__(self) -> None:
        p_idle, p_wait, p_max = self.idle_w.value, self.wait_w.value, self.tdp_w.value
        if not 0 <= p_idle < p_wait <= p_max:
            raise ConfigError(f"profile {self.name!r}: need 0 <= idle_w < wait_w <= tdp_w, got "
                              f"{p_idle} W, {p_wait} W, {p_max} W")
        if not p_idle < self.decode_busy_w.value <= p_max:
            raise ConfigError(f"profile {self.name!r}: need idle_w < decode_busy_w <= tdp_w, got "
                              f"{self.decode_busy_w.value} W")
        for s in (self.wait_w, self.decode_busy_w):
            if (s.low is not None and s.low < p_idle) or (s.high is not None and s.high > p_max):
                raise ConfigError(f"profile {self.name!r}: a power range leaves [idle_w, tdp_w]")
        if not 0 < self.gamma.value <= 3:
            raise ConfigError(f"profile {self.name!r}: gamma must be in (0, 3], got {self.gamma.value}")
        if not 0 < self.u_sat.value <= 1:
            raise ConfigError(f"profile {self.name!r}: u_sat must be in (0, 1], got {self.u_sat.value}")
        if self.hbm_bandwidth_tb_per_s.value <= 0 or self.bf16_dense_tflops.value <= 0:
            raise ConfigError(f"profile {self.name!r}: bandwidth and TFLOPS must be > 0")
        if self.overhead_factor.value < 1:
            raise ConfigError(f"profile {self.name!r}: overhead_factor must be >= 1")
        if self.step_overhead_model not in STEP_OVERHEAD_MODELS:
            raise ConfigError(f"profile {self.name!r}: step_overhead.model must be one of "
                              f"{', '.join(STEP_OVERHEAD_MODELS)}, got {self.step_overhead_model!r}")
        if self.step_overhead.value < 0:
            raise ConfigError(f"profile {self.name!r}: step_overhead.value must be >= 0 s")
        self.logistic_curve()  # validates the logistic parameters

    @property
    def bandwidth_bytes_per_s(self) -> float:
        """β = TB/s · 1e12 (B/s)."""
        return self.hbm_bandwidth_tb_per_s.value * 1e12

    def power_curve(self) -> PowerCurve:
        """P(u) = P_idle + (TDP − P_idle)(u/u_sat)^γ (W)."""
        return PowerCurve(self.idle_w.value, self.tdp_w.value, self.gamma.value, self.u_sat.value)

    def logistic_curve(self) -> LogisticPowerCurve:
        """The logistic alternative through (0, P_idle) and (1, TDP)."""
        return LogisticPowerCurve(self.idle_w.value, self.tdp_w.value, self.logistic_steepness.value,
                                  self.logistic_midpoint.value)

    def step_overhead_s(self, slots: int) -> float:
        """C (s) for B = ``slots``, by ``step_overhead_model``."""
        if self.step_overhead_model == "paper_scaled":
            return scaled_overhead_s(slots, self.bandwidth_bytes_per_s, PAPER_BANDWIDTH_BYTES_PER_S)
        if self.step_overhead_model == "paper":
            return paper_overhead_s(slots)
        return self.step_overhead.value

    def step_time(self, slots: int, model: str = "deepseek-v3") -> StepTimeModel:
        """Δt = C + t·max L with t = η·κ_model/β."""
        served = get_model(model)
        t = served.token_time_s(self.bandwidth_bytes_per_s, self.overhead_factor.value)
        return StepTimeModel(self.step_overhead_s(slots), t)

    def sources(self) -> dict[str, str]:
        """{field: 'kind: source (note)'} for every number."""
        out = {f: getattr(self, f).cite() for f in NUMERIC_FIELDS}
        out["step_overhead"] = f"model={self.step_overhead_model}; " + self.step_overhead.cite()
        return out


def _sourced(d: Mapping[str, Any], key: str, origin: str) -> Sourced:
    if key not in d:
        raise ConfigError(f"{origin}: field '{key}' is missing")
    v = d[key]
    if not isinstance(v, Mapping):
        raise ConfigError(f"{origin}: field '{key}' must be an object with value, kind, source")
    unknown = set(v) - {"value", "kind", "source", "note", "low", "high", "model"}
    if unknown:
        raise ConfigError(f"{origin}: field '{key}' has unknown keys {sorted(unknown)}")
    try:
        value: Any = v.get("value")
        return Sourced(value, v.get("kind", ""), v.get("source", ""), v.get("note", ""),
                       v.get("low"), v.get("high"))
    except ConfigError as e:
        raise ConfigError(f"{origin}: field '{key}': {e}") from None


def device_from_dict(d: Mapping[str, Any], origin: str = "<dict>") -> DeviceSpec:
    """Build and validate a :class:`DeviceSpec` from a parsed JSON object; errors name ``origin`` and the
    field."""
    if not isinstance(d, Mapping):
        raise ConfigError(f"{origin}: a profile must be a JSON object")
    for key in ("name", "device"):
        if not isinstance(d.get(key), str) or not d[key]:
            raise ConfigError(f"{origin}: field '{key}' must be a non-empty string")
    fields = {k: _sourced(d, k, origin) for k in NUMERIC_FIELDS}
    so = d.get("step_overhead")
    if not isinstance(so, Mapping):
        raise ConfigError(f"{origin}: field 'step_overhead' must be an object with model, kind, source")
    step_overhead = _sourced({"step_overhead": {"value": 0.0, **so}}, "step_overhead", origin)
    try:
        return DeviceSpec(d["name"], d["device"], step_overhead_model=str(so.get("model", "")),
                          step_overhead=step_overhead, **fields)
    except ConfigError as e:
        raise ConfigError(f"{origin}: {e}") from None


def load_device_file(path: str | Path) -> DeviceSpec:
    """Read one profile JSON file (errors name the file and the field)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except OSError as e:
        raise ConfigError(f"{p}: cannot read ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{p}, line {e.lineno}: not valid JSON ({e.msg})") from None
    return device_from_dict(data, str(p))


#: JSON files in ``profiles/`` that are not device profiles: the wait-power evidence table
#: (:mod:`lbtheory.hardware.wait_power`) and measured profiles ``<card>-measured.json``
#: (:mod:`lbtheory.hardware.calibrate`).
NON_DEVICE_FILES = ("wait_power_evidence.json",)
MEASURED_SUFFIX = "-measured.json"


def device_names() -> tuple[str, ...]:
    """The names of the packaged data profiles (file stems), sorted; the evidence table and measured
    profiles are not device profiles and are left out."""
    root = resources.files("lbtheory.hardware") / "profiles"
    return tuple(sorted(f.name[:-5] for f in root.iterdir() if f.name.endswith(".json")
                        and f.name not in NON_DEVICE_FILES and not f.name.endswith(MEASURED_SUFFIX)))


def load_device(name: str) -> DeviceSpec:
    """A packaged data profile by name; unknown names raise ConfigError listing the valid ones."""
    names = device_names()
    key = name.lower()
    if key not in names:
        raise ConfigError(f"unknown hardware profile {name!r}; available: {', '.join(('paper', *names))}")
    res = resources.files("lbtheory.hardware") / "profiles" / f"{key}.json"
    origin = f"lbtheory/hardware/profiles/{key}.json"
    try:
        data = json.loads(res.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{origin}, line {e.lineno}: not valid JSON ({e.msg})") from None
    spec = device_from_dict(data, origin)
    if spec.name != key:
        raise ConfigError(f"{origin}: field 'name' is {spec.name!r}, expected {key!r}")
    return spec
