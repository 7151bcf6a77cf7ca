"""The engine: a compiled, pure step transition (``transition``), its driver (``simulate``), the plain
reference engine (``reference``) and the typed records both emit."""

from lbtheory.engine.records import RequestRecord, RunResult, StepRecord
from lbtheory.engine.simulate import simulate

__all__ = ["RequestRecord", "RunResult", "StepRecord", "simulate"]
