"""The guarantees of arXiv 2601.17855 (and ours) as sympy expressions with explicit constants.

Modules: :mod:`.symbols` (every symbol, declared once), :mod:`.bounds` (one function per bound),
:mod:`.evaluate` (compiled evaluators and the registry), :mod:`.exact` (exact numbers of a discrete prompt
law), :mod:`.report` (the table behind ``lbtheory bounds``), :mod:`.stats` (Bernstein tolerances with the
exact block variance), :mod:`.steps` (every proof step, checked exactly on small cases),
:mod:`.corollaries` (the energy ceiling and the (B, G) separation region as plain functions). Nothing is
built at import time.
"""

__all__ = ["bounds", "corollaries", "evaluate", "exact", "report", "stats", "steps", "symbols"]
