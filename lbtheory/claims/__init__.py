"""Claims you can cite: each claim of the paper as data, one verdict rule, tables generated from results.

* :mod:`lbtheory.claims.rule` — :class:`Figure`, :class:`Claim`, :data:`RULE`, :func:`figure_verdict`,
  :func:`claim_verdict`.
* :mod:`lbtheory.claims.build` — every claim's figures, read from a results directory.
* :mod:`lbtheory.claims.reference` — the authors' simulator: its command line, its output, paired figures.
* :mod:`lbtheory.claims.tables` — the markdown tables, the README's generated blocks, the fast-vs-full table.
"""

from lbtheory.claims.build import PAPER, STEMS, build_claims, reference_by_claim, reference_figures
from lbtheory.claims.rule import (
    AGGREGATION,
    RULE,
    VERDICTS,
    Claim,
    Figure,
    PaperFigure,
    Verdict,
    claim_verdict,
    figure_verdict,
    intervals_agree,
    row_verdict,
)

__all__ = ["AGGREGATION", "PAPER", "RULE", "STEMS", "VERDICTS", "Claim", "Figure", "PaperFigure", "Verdict",
           "build_claims", "claim_verdict", "figure_verdict", "intervals_agree", "reference_by_claim", "reference_figures",
           "row_verdict"]
