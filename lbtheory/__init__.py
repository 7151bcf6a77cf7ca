"""lbtheory: load balancing in barrier-synchronized systems (arXiv 2601.17855), simulated exactly.

Data flows one way: workload -> engine (driven by a policy) -> records -> metrics -> experiments.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lbtheory")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
