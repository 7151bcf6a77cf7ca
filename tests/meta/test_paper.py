"""The report builds from the committed results (skipped where no TeX is installed; CI installs it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed")
def test_paper_builds(tmp_path: Path):
    work = tmp_path / "paper"
    shutil.copytree(ROOT / "paper", work, ignore=shutil.ignore_patterns("*.pdf", "*.aux", "*.log", "*.fls", "*.fdb_latexmk", "*.bbl", "*.blg", "*.out"))
    # figures are PDFs: copy them back in
    shutil.copytree(ROOT / "paper" / "figures", work / "figures", dirs_exist_ok=True)
    proc = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "main.tex"],
        cwd=work, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (work / "main.pdf").stat().st_size > 10_000
    log = (work / "main.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log, "a macro used in the text is not generated"
    assert not re.search(r"Citation `[^']*' .*undefined", log), "a citation is missing from references.bib"
