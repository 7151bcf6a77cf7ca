"""Bounds for the settings the claims' bounds leave out, and the catalogue of every bound.

:mod:`lbtheory.theory.evaluate` registers the bounds the claims rest on (fixed outputs or stationary
geometric ages, a window R ≥ G·B). This module adds the results that reach past those hypotheses, in the
same form (a sympy statement, hypotheses, a status, a compiled evaluator):

* windows R < G·B (the engine's default R = 4G);
* BF-IO (H = 0) with geometric output lengths;
* a lower bound in expectation for every slot-filling policy with fixed outputs.

:func:`catalog` lists both, the registry's first; ``lbtheory bounds`` and the report's bounds table read it.
Symbols that only these results use, and their default values, are defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from lbtheory.theory.evaluate import BoundRecord, ParamMap, compile_expr, default_params, registry

#: the symbols of this module's statements (beyond :mod:`lbtheory.theory.symbols`)
EXTRA_SYMBOLS: tuple[sp.Symbol, ...] = ()


def _extra_paper_params() -> dict[sp.Symbol, sp.Expr]:
    """Exact default values of :data:`EXTRA_SYMBOLS` in the paper's setting."""
    return {}


def extra_defaults() -> dict[str, float]:
    """:func:`_extra_paper_params` as floats, keyed by symbol name."""
    return {s.name: float(v) for s, v in _extra_paper_params().items()}


def all_default_params() -> dict[str, float]:
    """Every bound parameter's default: :func:`lbtheory.theory.evaluate.default_params` and this module's."""
    return {**default_params(), **extra_defaults()}


@dataclass(frozen=True)
class ExtendedRecord(BoundRecord):
    """A :class:`~lbtheory.theory.evaluate.BoundRecord` whose defaults include this module's symbols."""

    def value(self, params: ParamMap | None = None) -> float:
        return super().value({**extra_defaults(), **(params or {})})

    def exact(self, params: Mapping[str, sp.Expr | int | float] | None = None) -> float:
        return super().exact({**{s.name: v for s, v in _extra_paper_params().items()}, **(params or {})})


def _specs() -> list[tuple[str, str, str, str, str, tuple[str, ...], sp.Expr]]:
    """(name, claim, kind, quantity, status, hypotheses, expression) of each bound of this module."""
    return []


#: grids of the free symbols a bound holds for every value of (see ``BoundRecord.maximize_over``)
_OPT: dict[str, tuple[str, tuple[float, ...]]] = {}

#: where a bound is defined (outside: DomainError)
_DOMAINS: dict[str, tuple[tuple[str, float, str], ...]] = {}


@lru_cache(maxsize=1)
def records() -> tuple[BoundRecord, ...]:
    """This module's bounds, compiled (built on first call, then cached)."""
    return tuple(ExtendedRecord(name, claim, kind, quantity, status, hyps, expr, _OPT.get(name),
                                _DOMAINS.get(name, ()), compile_expr(expr))
                 for name, claim, kind, quantity, status, hyps, expr in _specs())


def catalog() -> tuple[BoundRecord, ...]:
    """Every bound: the registry of :mod:`lbtheory.theory.evaluate`, then :func:`records`."""
    return registry() + records()


def get(name: str) -> BoundRecord:
    """The catalogued bound called ``name``."""
    for rec in catalog():
        if rec.name == name:
            return rec
    raise KeyError(f"no bound named {name!r}; choose one of: {', '.join(r.name for r in catalog())}")
