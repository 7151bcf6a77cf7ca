"""Exceptions raised on bad input. Each names where the problem is (file, line, field)."""

from __future__ import annotations


class LbtheoryError(Exception):
    """Base class of the errors this package raises on bad input."""


class ConfigError(LbtheoryError, ValueError):
    """A configuration value is out of its domain (names the field and the value)."""


class TraceError(LbtheoryError, ValueError):
    """A trace file is malformed. The message names the file, the line (1-based) and the field."""

    def __init__(self, path: object, line: int | None, field: str | None, problem: str) -> None:
        where = f"{path}"
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
