"""The bounds as a table: for ``lbtheory bounds [--json] [--set NAME=VALUE ...]``."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

from lbtheory.theory.evaluate import DomainError


def bounds_table(params: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """One row per registered bound: name, claim, kind, status, proof_status (proved / conjecture /
    refuted), quantity, latex, hypotheses, value.

    A bound evaluated outside its domain (e.g. ``ratio_lower`` at G = 1) gets ``value`` None and a
    ``domain_error`` sentence instead of −inf or NaN.

    Every record of :func:`lbtheory.theory.extended.catalog` (the registry of :mod:`.evaluate`, then the
    results of :mod:`.extended`). ``params`` (keyed by symbol name, e.g. ``{"G": 64, "B": 32}``) override the
    defaults of :func:`lbtheory.theory.evaluate.default_params` (and
    :func:`lbtheory.theory.extended.extra_defaults`); unknown names raise KeyError.
    """
    from lbtheory.theory.extended import catalog, known_params

    known = known_params()
    unknown = sorted(set(params or {}) - known)
    if unknown:
        raise KeyError(f"unknown parameter(s) {unknown}; choose from: {', '.join(sorted(known))}")
    rows = []
    for rec in catalog():
        try:
            value: float | None = rec.value(params)
            why = None
        except DomainError as exc:
            value, why = None, str(exc)
        rows.append({
            "name": rec.name,
            "claim": rec.claim,
            "kind": rec.kind,
            "status": rec.status,
            "proof_status": ("refuted" if "refuted" in rec.status
                             else "conjecture" if "conjecture" in rec.status else "proved"),
            "quantity": rec.quantity,
            "latex": rec.latex,
            "hypotheses": list(rec.hypotheses),
            "value": value,
            **({"domain_error": why} if why else {}),
        })
    return rows


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
        return f"{v:.4g}"
    return f"{v:,.4f}".rstrip("0").rstrip(".")


def format_bounds_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table for a terminal (name, claim, kind, status, value, then the quantity)."""
    head = ("bound", "claim", "kind", "status", "value")
    body = [(r["name"], r["claim"], r["kind"], r["status"],
             "undefined" if r["value"] is None else _fmt(float(r["value"]))) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r, b in zip(rows, body, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)).rstrip())
        lines.append(textwrap.indent(r["quantity"], " " * 4))
        if r.get("domain_error"):
            lines.append(textwrap.indent(r["domain_error"], " " * 4))
    return "\n".join(lines)
