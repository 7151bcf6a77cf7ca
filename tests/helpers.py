"""Shared test helpers (paths to the shared data)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"
DATA = SHARED / "data"


def conformance_cases() -> list[Path]:
    """The conformance files, or a skip marker when ../shared is absent."""
    return sorted(CONFORMANCE.glob("*.json")) if CONFORMANCE.is_dir() else []


needs_shared = pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance not present")
