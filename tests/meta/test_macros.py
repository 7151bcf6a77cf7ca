"""Every number in paper/ comes from a result file: each macro file must match its result file.

For each ``paper/variables/<stem>.tex`` the experiment ``experiments/<stem>.py`` recomputes the macros from
``results/full/<stem>.json`` (its ``macros`` function); the test fails when the two disagree (a stale macro file) or
when a macro file has no result file or no experiment behind it.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = sorted((ROOT / "paper" / "variables").glob("*.tex"))
MACRO = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}$")


def parse(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("%") or not line.strip():
            continue
        m = MACRO.match(line)
        assert m, f"{path.name}: not a macro line: {line!r}"
        out[m.group(1)] = m.group(2)
    return out


@pytest.mark.parametrize("tex", VARIABLES, ids=[p.stem for p in VARIABLES])
def test_macros_match_their_result_file(tex: Path, monkeypatch):
    stem = tex.stem
    result = ROOT / "results" / "full" / f"{stem}.json"
    script = ROOT / "experiments" / f"{stem}.py"
    assert result.is_file(), f"{tex.name} has no results/full/{stem}.json"
    assert script.is_file(), f"{tex.name} has no experiments/{stem}.py"
    monkeypatch.syspath_prepend(str(ROOT / "experiments"))
    module = importlib.import_module(stem)
    try:
        expected = {k: str(v) for k, v in module.macros(json.loads(result.read_text())).items()}
    finally:
        sys.modules.pop(stem, None)
    assert parse(tex) == expected, f"paper/variables/{stem}.tex is stale: rerun experiments/{stem}.py"
