"""Wait power as evidence: the table ``profiles/wait_power_evidence.json`` and the default r it implies.

The energy of barrier-synchronised decode under the worker-time model (:mod:`lbtheory.hardware.energy`) is
E = P_busy·Σb + P_wait·Σw, so between two schedules only the ratio **r = P_wait/P_busy** matters (the card's
absolute power cancels). The table lists public numbers, each with its source, its kind and a range:

* ``measured``: a reading on hardware (or a maintainer's report of one);
* ``modelled``: a constant of a published simulator or optimiser, stated to come from measurements;
* ``assumed``: ours.

The default is the median of the table's ratios (wait or idle power over decode power):
r_default = median_j (P_num,j / P_den,j). The sensitivity axis is r ∈ [0.1, 1.0].
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from lbtheory.errors import ConfigError

EVIDENCE_KINDS = ("measured", "modelled", "assumed")
EVIDENCE_FILE = "wait_power_evidence.json"


@dataclass(frozen=True)
class PowerEvidence:
    """One public number on GPU power in a state.

    Attributes:
        id: a key.
        device: the card (``a100``, ``h100``, ...) or ``any``.
        state: idle | prompt | decode | collective_wait.
        value_w: the power (W), or None for a qualitative entry.
        low_w, high_w: its range (W), or None with value_w.
        kind: measured | modelled | assumed.
        source: where it comes from (file path and commit, or issue).
        note: how it is read.
    """

    id: str
    device: str
    state: str
    value_w: float | None
    low_w: float | None
    high_w: float | None
    kind: str
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ConfigError(f"{EVIDENCE_FILE}: entry {self.id!r}: kind must be one of "
                              f"{', '.join(EVIDENCE_KINDS)}, got {self.kind!r}")
        if not self.source.strip():
            raise ConfigError(f"{EVIDENCE_FILE}: entry {self.id!r}: source must be non-empty")
        if self.value_w is None:
            if self.low_w is not None or self.high_w is not None:
                raise ConfigError(f"{EVIDENCE_FILE}: entry {self.id!r}: a range needs a value")
            if not self.note.strip():
                raise ConfigError(f"{EVIDENCE_FILE}: entry {self.id!r}: a qualitative entry needs a note")
            return
        lo = self.value_w if self.low_w is None else self.low_w
        hi = self.value_w if self.high_w is None else self.high_w
        if not (math.isfinite(self.value_w) and 0 < lo <= self.value_w <= hi):
            raise ConfigError(f"{EVIDENCE_FILE}: entry {self.id!r}: need 0 < low_w <= value_w <= high_w, got "
                              f"{lo}, {self.value_w}, {hi}")


@dataclass(frozen=True)
class PowerRatio:
    """r_j = P(numerator)/P(denominator), dimensionless, with its range from the entries' ranges."""

    id: str
    numerator: PowerEvidence
    denominator: PowerEvidence

    @property
    def value(self) -> float:
        assert self.numerator.value_w is not None and self.denominator.value_w is not None
        return self.numerator.value_w / self.denominator.value_w

    @property
    def low(self) -> float:
        n, d = self.numerator, self.denominator
        return (n.low_w or n.value_w or 0.0) / (d.high_w or d.value_w or 1.0)

    @property
    def high(self) -> float:
        n, d = self.numerator, self.denominator
        return (n.high_w or n.value_w or 0.0) / (d.low_w or d.value_w or 1.0)


@dataclass(frozen=True)
class WaitPowerEvidence:
    """The evidence table, its ratios, the default r and the sensitivity axis."""

    entries: tuple[PowerEvidence, ...]
    ratios: tuple[PowerRatio, ...]
    axis: tuple[float, float]
    rule: str

    @property
    def default_r(self) -> float:
        """r_default = median of the ratios (dimensionless)."""
        return float(statistics.median(q.value for q in self.ratios))

    def entry(self, key: str) -> PowerEvidence:
        for e in self.entries:
            if e.id == key:
                return e
        raise ConfigError(f"{EVIDENCE_FILE}: no entry {key!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for result files)."""
        return {
            "entries": [e.__dict__ for e in self.entries],
            "ratios": [{"id": q.id, "numerator": q.numerator.id, "denominator": q.denominator.id,
                        "value": q.value, "low": q.low, "high": q.high} for q in self.ratios],
            "default_r": self.default_r, "rule": self.rule, "sensitivity_axis": list(self.axis),
        }


def evidence_from_dict(d: Mapping[str, Any], origin: str = EVIDENCE_FILE) -> WaitPowerEvidence:
    """Build and validate the table from its parsed JSON (errors name ``origin`` and the entry)."""
    try:
        entries = tuple(PowerEvidence(
            id=str(e["id"]), device=str(e["device"]), state=str(e["state"]),
            value_w=None if e.get("value_w") is None else float(e["value_w"]),
            low_w=None if e.get("low_w") is None else float(e["low_w"]),
            high_w=None if e.get("high_w") is None else float(e["high_w"]),
            kind=str(e["kind"]), source=str(e["source"]), note=str(e.get("note", "")))
            for e in d["entries"])
    except KeyError as err:
        raise ConfigError(f"{origin}: an entry lacks field {err}") from None
    by_id = {e.id: e for e in entries}
    if len(by_id) != len(entries):
        raise ConfigError(f"{origin}: duplicate entry ids")
    ratios = []
    for q in d.get("ratios", []):
        num, den = by_id.get(q["numerator"]), by_id.get(q["denominator"])
        if num is None or den is None:
            raise ConfigError(f"{origin}: ratio {q['id']!r} names an unknown entry")
        if num.value_w is None or den.value_w is None:
            raise ConfigError(f"{origin}: ratio {q['id']!r} uses a qualitative entry")
        ratios.append(PowerRatio(str(q["id"]), num, den))
    if not ratios:
        raise ConfigError(f"{origin}: no ratios, so no default r")
    ax = d.get("sensitivity_axis", {})
    axis = (float(ax.get("low", 0.1)), float(ax.get("high", 1.0)))
    if not 0 < axis[0] < axis[1] <= 1:
        raise ConfigError(f"{origin}: sensitivity_axis must have 0 < low < high <= 1, got {axis}")
    return WaitPowerEvidence(entries, tuple(ratios), axis, str(d.get("default_rule", "")))


def load_wait_power_evidence() -> WaitPowerEvidence:
    """The packaged evidence table (read on call, never at import)."""
    res = resources.files("lbtheory.hardware") / "profiles" / EVIDENCE_FILE
    origin = f"lbtheory/hardware/profiles/{EVIDENCE_FILE}"
    try:
        data = json.loads(res.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"{origin}, line {e.lineno}: not valid JSON ({e.msg})") from None
    return evidence_from_dict(data, origin)
