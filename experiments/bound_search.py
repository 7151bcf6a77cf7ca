"""The property searches' extremes: how close each adversarial search came to breaking its bound.

Runs ``tests/properties`` (every test, slow ones included) under a derandomised hypothesis profile, with
``LBTHEORY_TARGETS_OUT`` set so that ``tests/conftest.py`` records, per test and per ``hypothesis.target``
label, the largest value the search reached (observed/bound for an upper bound, bound/observed for a lower
bound: ≤ 1 while the bound holds) and how many examples it scored. Writes results/<tier>/bound_search.json;
the README's bounds table is generated from it. Fast tier: the ``ci`` profile (100 examples per property);
``--full``: the ``search`` profile (500 examples per property, derandomised).

    python experiments/bound_search.py [--full]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from _common import RESULTS, ROOT, parser

import lbtheory.engine  # the manifest records the code the searches run
import lbtheory.policies
import lbtheory.testing
import lbtheory.theory  # noqa: F401
from lbtheory.provenance import manifest, write_json

PROFILES = {"fast": "ci", "full": "search"}


def main() -> None:
    args = parser(__doc__).parse_args()
    tier_name = "full" if args.full else "fast"
    profile = PROFILES[tier_name]
    tests = sorted((ROOT / "tests" / "properties").glob("test_*.py"))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bound_search.") as tmp:
        out = os.path.join(tmp, "targets.json")
        env = {**os.environ, "LBTHEORY_TARGETS_OUT": out, "HYPOTHESIS_PROFILE": profile}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow or not slow",
               *(str(t.relative_to(ROOT)) for t in tests)]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        if not os.path.exists(out):
            raise SystemExit(f"bound_search.py: pytest wrote no record ({summary})")
        with open(out) as fh:
            targets = json.load(fh)
    wall = time.perf_counter() - t0
    inputs = [ROOT / "tests" / "conftest.py", *tests]
    config = {"tier": tier_name, "hypothesis_profile": profile, "command": " ".join(cmd[1:])}
    result = {"manifest": manifest(config, None, wall, inputs=inputs), "pytest_exit": proc.returncode,
              "pytest_summary": summary, "targets": targets}
    write_json(RESULTS / "bound_search.json", result)
    for test, labels in sorted(targets.items()):
        for label, rec in labels.items():
            print(f"{rec['max']:9.4g}  {label:22s} {rec['calls']:6d}  {test}")
    print(f"pytest: {summary} (exit {proc.returncode}); {wall:.0f} s; wrote {RESULTS / 'bound_search.json'}")


if __name__ == "__main__":
    main()
