"""Hypothesis settings profiles, chosen by the environment variable HYPOTHESIS_PROFILE.

* ``dev`` (default): a quick local run, random seeds.
* ``ci``: derandomised (the same examples every run), 100 examples per property so the targeted
  searches climb; per-example work is kept small so tests/properties stays within a few minutes.
* ``nightly``: 2,000 examples per property, for the long adversarial searches (run with
  ``-m "slow or not slow"``).
* ``search``: 500 examples per property, derandomised: the committed record of how close each search came
  to its bound (``experiments/bound_search.py --full``).
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
settings.register_profile("search", max_examples=500, derandomize=True, database=None, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The searches' extremes, for experiments/bound_search.py: with LBTHEORY_TARGETS_OUT=FILE, every
# hypothesis.target(value, label=...) call is recorded per test and label (the largest value and the number of
# calls), and the record is written to FILE as JSON when the session ends. Test modules import ``target``
# after this file has run, so they get the recording one.
_TARGETS_OUT = os.environ.get("LBTHEORY_TARGETS_OUT")
if _TARGETS_OUT:
    import json

    import hypothesis

    _TARGETS: dict[str, dict[str, dict[str, float]]] = {}
    _hypothesis_target = hypothesis.target

    def _recording_target(observation: float, *, label: str = "") -> float:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
        rec = _TARGETS.setdefault(test, {}).setdefault(label, {"max": float("-inf"), "calls": 0})
        rec["max"] = max(rec["max"], float(observation))
        rec["calls"] += 1
        return _hypothesis_target(observation, label=label)

    hypothesis.target = _recording_target

    def pytest_sessionfinish(session, exitstatus):
        with open(_TARGETS_OUT, "w") as fh:
            json.dump(_TARGETS, fh, indent=1, sort_keys=True)
