"""Hypothesis settings profiles, chosen by the environment variable HYPOTHESIS_PROFILE.

* ``dev`` (default): a quick local run, random seeds.
* ``ci``: derandomised (the same examples every run), 100 examples per property so the targeted
  searches climb; per-example work is kept small so tests/properties stays within a few minutes.
* ``nightly``: 2,000 examples per property, for the long adversarial searches (run with
  ``-m "slow or not slow"``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}

settings.register_profile("dev", max_examples=15, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, **_COMMON)
settings.register_profile("nightly", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
