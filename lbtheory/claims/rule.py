"""The one verdict rule of the claims table, and the data it applies to.

A claim of the paper states one or more figures. Each :class:`Figure` holds a measure (name, span), our
value with its 95% interval and number of seeds, the paper's figure (:class:`PaperFigure`) and the reference
run's figure with its source. :func:`figure_verdict` decides each figure by :data:`RULE`; :func:`claim_verdict`
aggregates a claim's figures by :data:`AGGREGATION`. Both texts are printed with every table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["reproduced", "partly", "not reproduced", "not testable"]
VERDICTS: tuple[Verdict, ...] = ("reproduced", "partly", "not reproduced", "not testable")
Relation = Literal["=", ">", "<"]

RULE = (
    "Per figure, with our 95% interval I = [m − h, m + h] over n seeds (h = 0 where there is one run or no "
    "interval): a figure the paper prints as a number p, to a precision u (half its last printed digit), "
    "is the interval P = [p − u, p + u]; it is *reproduced* if I meets P and lies wholly on p's side of zero, "
    "*partly* if I lies wholly on p's side of zero but misses P, or meets P but also contains zero, and "
    "*not reproduced* if I lies wholly on the other side of zero or contains zero and misses P. A figure the "
    "paper states as a bound (x > t, x < t) is *reproduced* if I lies wholly on the stated side of t, *partly* "
    "if I contains t, *not reproduced* if I lies wholly on the other side. A figure with no measurement (not "
    "run, or data not public) is *not testable*."
)
AGGREGATION = (
    "A claim is *reproduced* if every testable figure is reproduced, *not reproduced* if every testable "
    "figure is not reproduced, *partly* otherwise, and *not testable* if none of its figures is testable. "
    "A figure marked *beside* (another measure shown for comparison, e.g. the paper's own measure where the "
    "claim is judged like for like) has its own verdict but does not enter the claim's."
)


@dataclass(frozen=True)
class PaperFigure:
    """What the paper states: ``x = value`` (printed to ± ``precision``), ``x > value`` or ``x < value``."""

    value: float
    relation: Relation = "="
    precision: float = 0.0
    text: str = ""

    def __post_init__(self) -> None:
        if self.relation not in ("=", ">", "<"):
            raise ValueError(f"PaperFigure.relation must be '=', '>' or '<', got {self.relation!r}")
        if not math.isfinite(self.value):
            raise ValueError(f"PaperFigure.value must be finite, got {self.value}")
        if not self.precision >= 0:
            raise ValueError(f"PaperFigure.precision must be >= 0, got {self.precision}")

    @staticmethod
    def printed(value: float, decimals_pct: int, text: str = "") -> PaperFigure:
        """A figure printed as a percentage with ``decimals_pct`` decimals (precision half the last digit)."""
        return PaperFigure(value, "=", 0.5 * 10.0 ** (-decimals_pct) / 100.0, text)

    def describe(self) -> str:
        if self.text:
            return self.text
        if self.relation == "=":
            return f"{100 * self.value:+g}%"
        return f"{self.relation} {100 * self.value:g}%"


@dataclass(frozen=True)
class Figure:
    """One figure a claim states, and ours beside it (fractions: 0.14 is +14%)."""

    name: str
    span: str
    paper: PaperFigure
    ours: float | None = None
    ci95: float | None = None
    n: int | None = None
    reference: float | None = None
    reference_source: str | None = None
    note: str = ""
    unit: str = "change"
    """How to print it: "change" (signed %), "share" (%), "number" (plain)."""
    in_verdict: bool = True
    """False for a figure shown *beside* the claim's measure: it has its own verdict, not counted in the claim's."""

    def __post_init__(self) -> None:
        if self.ours is not None and not math.isfinite(self.ours):
            raise ValueError(f"Figure {self.name!r}: ours must be finite or None, got {self.ours}")
        if self.ci95 is not None and not self.ci95 >= 0:
            raise ValueError(f"Figure {self.name!r}: ci95 must be >= 0, got {self.ci95}")

    @property
    def verdict(self) -> Verdict:
        return figure_verdict(self.ours, self.ci95, self.paper)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "span": self.span, "ours": self.ours, "ci95": self.ci95, "n": self.n,
                "paper": self.paper.value, "paper_relation": self.paper.relation,
                "paper_precision": self.paper.precision, "paper_text": self.paper.describe(),
                "reference": self.reference, "reference_source": self.reference_source,
                "verdict": self.verdict, "note": self.note, "unit": self.unit, "in_verdict": self.in_verdict}


def figure_verdict(ours: float | None, ci95: float | None, paper: PaperFigure) -> Verdict:
    """:data:`RULE` applied to one figure."""
    if ours is None:
        return "not testable"
    h = ci95 or 0.0
    lo, hi = ours - h, ours + h
    t = paper.value
    if paper.relation == ">":
        return "reproduced" if lo > t else ("not reproduced" if hi < t else "partly")
    if paper.relation == "<":
        return "reproduced" if hi < t else ("not reproduced" if lo > t else "partly")
    meets = lo <= t + paper.precision and hi >= t - paper.precision
    if t == 0:
        return "reproduced" if meets else "not reproduced"
    same_side = lo > 0 if t > 0 else hi < 0
    other_side = hi < 0 if t > 0 else lo > 0
    if same_side:
        return "reproduced" if meets else "partly"
    if other_side:
        return "not reproduced"
    return "partly" if meets else "not reproduced"  # I contains zero


def claim_verdict(verdicts: Iterable[Verdict]) -> Verdict:
    """:data:`AGGREGATION` applied to a claim's figure verdicts."""
    testable = [v for v in verdicts if v != "not testable"]
    if not testable:
        return "not testable"
    if all(v == "reproduced" for v in testable):
        return "reproduced"
    if all(v == "not reproduced" for v in testable):
        return "not reproduced"
    return "partly"


@dataclass(frozen=True)
class Claim:
    """A claim of the paper and every figure it states."""

    id: str
    text: str
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def verdict(self) -> Verdict:
        return claim_verdict(f.verdict for f in self.figures if f.in_verdict)

    def why(self) -> str:
        """A sentence from the verdicts of the figures in the verdict (how many of each), naming the ones not
        testable, and how many figures are shown beside."""
        counted = [f for f in self.figures if f.in_verdict]
        counts = {v: sum(f.verdict == v for f in counted) for v in VERDICTS}
        parts = [f"{counts[v]} {v}" for v in VERDICTS if counts[v]]
        s = f"{len(counted)} figures: " + ", ".join(parts) if counted else "no figures"
        nt = [f.name for f in counted if f.verdict == "not testable"]
        if nt and len(nt) < len(counted):
            s += "; not testable: " + "; ".join(nt)
        elif nt and self.note:
            s += ": " + self.note.rstrip(".")  # none testable: the claim's note says why
        beside = len(self.figures) - len(counted)
        if beside:
            s += f"; {beside} more shown beside, not in the verdict"
        return s + "."

    def to_row(self) -> dict[str, Any]:
        return {"id": self.id, "claim": self.text, "verdict": self.verdict, "rule": RULE,
                "aggregation": AGGREGATION, "why": self.why(), "note": self.note,
                "figures": [f.to_dict() for f in self.figures]}


def row_verdict(row: dict[str, Any]) -> Verdict:
    """The verdict a stored ``claims.json`` row must have: the rule re-applied to its stored figures."""
    vs: list[Verdict] = []
    for f in row["figures"]:
        if not f.get("in_verdict", True):
            continue
        paper = PaperFigure(f["paper"], f["paper_relation"], f["paper_precision"])
        vs.append(figure_verdict(f["ours"], f["ci95"], paper))
    return claim_verdict(vs)


def intervals_agree(a: float, ha: float | None, b: float, hb: float | None) -> bool:
    """Whether two figures agree within their 95% intervals: [a ± ha] and [b ± hb] overlap."""
    return abs(a - b) <= (ha or 0.0) + (hb or 0.0)


def diff_ci(h1: float | None, h2: float | None) -> float:
    """Half-width of a difference of two independent estimates' 95% intervals: √(h1² + h2²)."""
    return math.hypot(h1 or 0.0, h2 or 0.0)


def pct(x: float | None, ci: float | None = None, n: int | None = None, unit: str = "change") -> str:
    """A figure as printed in the tables: signed % ("change"), % ("share") or a plain number."""
    if x is None:
        return "—"
    if unit == "number":
        s = f"{x:.3g}" + (f" ± {ci:.2g}" if ci else "")
    else:
        s = f"{100 * x:{'+' if unit == 'change' else ''}.1f}%" + (f" ± {100 * ci:.1f}" if ci else "")
    if n:
        s += f" (n={n})"
    return s


def summarise(figures: Sequence[Figure]) -> str:
    return "; ".join(f"{f.name}: {pct(f.ours, f.ci95, f.n, f.unit)} vs {f.paper.describe()} → {f.verdict}"
                     for f in figures)
