"""Loaders of request traces: prompt and output lengths, and arrival times where a trace has them.

Formats:

- **JSON trace** (the paper authors' format):
  ``{"dataset": ..., "data": [{"input_length": s, "output_length": o}, ...]}``; other keys
  (``statistics``, ``num_samples``, extra per-record keys) are ignored. No arrival times.
- **Azure LLM 2023 CSV**: header ``TIMESTAMP,ContextTokens,GeneratedTokens``; timestamps are
  datetime strings such as ``2023-11-16 18:15:46.6805900`` (up to 7 fractional digits are kept).
- **Generic CSV or JSONL**: one request per row/line with length columns named by one of the pairs
  ``input_length/output_length``, ``prompt_tokens/output_tokens``,
  ``ContextTokens/GeneratedTokens``, and optionally an arrival column ``arrival_time_s`` (seconds,
  kept as given) or ``timestamp`` / ``TIMESTAMP`` (seconds or a datetime string; made relative to
  the earliest request).

Every loader returns a :class:`Workload` named after the file stem, in file order, whose ``meta``
records ``path`` and ``format`` (and what was done to the data, below). Arrival times are seconds,
float64, non-decreasing: a file whose timestamps go backwards is sorted stably by time, and ``meta``
says so (``reordered_by_arrival``, ``n_descents``).

Every malformed input raises :class:`~lbtheory.errors.TraceError` naming the file, the 1-based line
(CSV: the file line, header = line 1; JSONL: the line; JSON format: ``line`` is None and the message
names ``record N``, the 0-based index in ``data``) and the field. Prompt lengths must be
integers >= 1. An output length of 0 raises by default; with ``zero_output="clamp"`` it becomes 1
and the count is recorded in ``meta["n_zero_output_clamped"]``; with ``zero_output="drop"`` the request is
left out and the count is recorded in ``meta["n_zero_output_dropped"]``. Nothing is dropped or fixed
silently. A gzip-compressed file (any name; recognised by its magic bytes) is read transparently; a
trailing ``.gz`` is ignored when the format is chosen by extension.
"""

from __future__ import annotations

import calendar
import csv
import gzip
import io
import json
import math
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from lbtheory.errors import ConfigError, TraceError
from lbtheory.workloads.base import Workload

__all__ = [
    "LENGTH_FIELD_PAIRS",
    "ZeroOutput",
    "load_azure_csv",
    "load_generic",
    "load_json_trace",
    "load_trace",
]

ZeroOutput = Literal["error", "clamp", "drop"]

LENGTH_FIELD_PAIRS: tuple[tuple[str, str], ...] = (
    ("input_length", "output_length"),
    ("prompt_tokens", "output_tokens"),
    ("ContextTokens", "GeneratedTokens"),
)
"""Accepted (prompt, output) length column names, in order of preference."""

_TIME_FIELDS: tuple[str, ...] = ("arrival_time_s", "timestamp", "TIMESTAMP")
_AZURE_FIELDS: tuple[str, str, str] = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
_MAX_TOKENS = 1 << 53
_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x28\xb5\x2f\xfd", "zstd"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"),
)
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


# --------------------------------------------------------------------------- reading


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise TraceError(path, None, None, f"cannot read the file: {e.strerror or e}") from e
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, ValueError) as e:
            raise TraceError(path, None, None, f"a gzip file that cannot be decompressed ({e})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        hint = next((f"; it looks {kind}-compressed: decompress it first (gzip is read directly)"
                     for magic, kind in _OTHER_MAGIC if raw.startswith(magic)), "")
        if not hint and b"\0" in raw[:4096]:
            hint = "; it looks like a binary file, not a text trace"
        raise TraceError(path, line, None, f"not UTF-8 text (byte {e.start}){hint}") from None


def _check_zero_output(zero_output: object) -> ZeroOutput:
    if zero_output == "error":
        return "error"
    if zero_output == "clamp":
        return "clamp"
    if zero_output == "drop":
        return "drop"
    raise ConfigError(f"zero_output must be 'error', 'clamp' or 'drop', got {zero_output!r}")


# --------------------------------------------------------------------------- value parsing


class _Where:
    """Where a value sits: file, 1-based line (or None) and a prefix for the message."""

    __slots__ = ("line", "path", "prefix")

    def __init__(self, path: Path, line: int | None, prefix: str = "") -> None:
        self.path = path
        self.line = line
        self.prefix = prefix

    def error(self, field: str | None, problem: str) -> TraceError:
        return TraceError(self.path, self.line, field, self.prefix + problem)


def _as_integer(raw: object, where: _Where, field: str, *, text_ok: bool) -> int:
    """A token count: an integer, or a float/numeric text with an integral value."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise where.error(field, "missing value")
    if isinstance(raw, bool):
        raise where.error(field, f"non-numeric value {raw!r}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise where.error(field, f"non-numeric value {raw!r}")
        if not raw.is_integer():
            raise where.error(field, f"non-integer value {raw!r}")
        value = int(raw)
    elif isinstance(raw, str):
        if not text_ok:
            raise where.error(field, f"expected a number, got the string {raw!r}")
        text = raw.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                raise where.error(field, f"non-numeric value {raw!r}") from None
            if not math.isfinite(f):
                raise where.error(field, f"non-numeric value {raw!r}") from None
            if not f.is_integer():
                raise where.error(field, f"non-integer value {raw!r}") from None
            value = int(f)
    else:
        raise where.error(field, f"non-numeric value {raw!r}")
    if abs(value) > _MAX_TOKENS:
        raise where.error(field, f"value {value} is too large")
    return value


def _as_seconds(raw: object, where: _Where, field: str, *, text_ok: bool) -> float:
    """A time in seconds: a finite number (or numeric text)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise where.error(field, "missing value")
    if isinstance(raw, bool):
        raise where.error(field, f"non-numeric value {raw!r}")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and text_ok:
        try:
            value = float(raw.strip())
        except ValueError:
            raise where.error(field, f"non-numeric value {raw!r}") from None
    else:
        raise where.error(field, f"non-numeric value {raw!r}")
    if not math.isfinite(value):
        raise where.error(field, f"non-finite value {raw!r}")
    return value


def _as_timestamp(raw: object, where: _Where, field: str, *, text_ok: bool) -> tuple[int, float]:
    """A timestamp as (whole seconds since the Unix epoch, fraction in [0, 1)).

    Accepts seconds (a number or numeric text) or a datetime string
    ``YYYY-MM-DD[ T]HH:MM:SS[.f...]`` with an optional ``Z`` or ``±HH:MM`` offset (none: read as
    UTC; only differences matter). The split keeps the 100 ns digits of the Azure traces exact in
    float64 after differencing.
    """
    if isinstance(raw, str) and (m := _DATETIME.match(raw.strip())):
        y, mo, d, h, mi, s = (int(m.group(k)) for k in range(1, 7))
        try:
            dt = datetime(y, mo, d, h, mi, s)
        except ValueError as e:
            raise where.error(field, f"invalid datetime {raw!r}: {e}") from None
        whole = calendar.timegm(dt.timetuple())
        tz = m.group(8)
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            whole -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        frac = float("0" + m.group(7)) if m.group(7) else 0.0
        return whole, frac
    try:
        value = _as_seconds(raw, where, field, text_ok=text_ok)
    except TraceError:
        if isinstance(raw, str) and raw.strip():
            raise where.error(
                field, f"not a time: {raw!r} (expected seconds or YYYY-MM-DD HH:MM:SS[.fff])"
            ) from None
        raise
    whole = math.floor(value)
    return whole, value - whole


# --------------------------------------------------------------------------- assembling


class _Builder:
    """Collects validated rows and turns them into a Workload."""

    def __init__(
        self, path: Path, fmt: str, zero_output: ZeroOutput, time_field: str | None, text_ok: bool
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.zero_output = zero_output
        self.time_field = time_field
        self.text_ok = text_ok
        self.s: list[int] = []
        self.o: list[int] = []
        self.t_whole: list[int] = []
        self.t_frac: list[float] = []
        self.n_clamped = 0
        self.n_dropped = 0
        self.t_raw: list[object] = []

    def add(
        self,
        where: _Where,
        s_field: str,
        s_raw: object,
        o_field: str,
        o_raw: object,
        t_raw: object = None,
    ) -> None:
        s = _as_integer(s_raw, where, s_field, text_ok=self.text_ok)
        if s < 1:
            raise where.error(s_field, f"prompt length must be >= 1, got {s}")
        o = _as_integer(o_raw, where, o_field, text_ok=self.text_ok)
        if o < 0:
            raise where.error(o_field, f"output length must be >= 1, got {o}")
        if o == 0:
            if self.zero_output == "error":
                raise where.error(
                    o_field,
                    "output length is 0 (zero_output='clamp' sets such outputs to 1, 'drop' leaves them "
                    "out; command line: --zero-output clamp|drop)",
                )
            if self.zero_output == "drop":
                self.n_dropped += 1
                return
            self.n_clamped += 1
            o = 1
        self.s.append(s)
        self.o.append(o)
        if self.time_field is not None:
            if self.time_field == "arrival_time_s":
                v = _as_seconds(t_raw, where, self.time_field, text_ok=self.text_ok)
                if v < 0:
                    raise where.error(self.time_field, f"arrival time must be >= 0, got {v}")
                whole = math.floor(v)
                self.t_whole.append(whole)
                self.t_frac.append(v - whole)
            else:
                whole, frac = _as_timestamp(t_raw, where, self.time_field, text_ok=self.text_ok)
                self.t_whole.append(whole)
                self.t_frac.append(frac)
            self.t_raw.append(t_raw)

    def build(self, extra_meta: dict[str, object] | None = None) -> Workload:
        if not self.s:
            if self.n_dropped:
                raise TraceError(self.path, None, None, f"empty trace: all {self.n_dropped} requests have "
                                 "output length 0 and were dropped (zero_output='drop')")
            raise TraceError(self.path, None, None, "empty trace: no requests")
        s = np.asarray(self.s, dtype=np.int64)
        o = np.asarray(self.o, dtype=np.int64)
        meta: dict[str, object] = {"path": str(self.path), "format": self.fmt}
        meta["zero_output"] = self.zero_output
        meta["n_zero_output_clamped"] = self.n_clamped
        meta["n_zero_output_dropped"] = self.n_dropped
        arrivals = None
        if self.time_field is not None:
            whole = np.asarray(self.t_whole, dtype=np.int64)
            frac = np.asarray(self.t_frac, dtype=np.float64)
            if self.time_field == "arrival_time_s":
                t = whole.astype(np.float64) + frac
                meta["time_origin"] = "as given (seconds)"
            else:
                t = (whole - whole[0]).astype(np.float64) + (frac - frac[0])
                k = int(np.argmin(t))
                t = t - t[k]
                meta["time_origin"] = str(self.t_raw[k]).strip()
            descents = int(np.count_nonzero(np.diff(t) < 0))
            meta["time_field"] = self.time_field
            meta["reordered_by_arrival"] = descents > 0
            meta["n_descents"] = descents
            if descents:
                order = np.argsort(t, kind="stable")
                s, o, t = s[order], o[order], t[order]
            arrivals = t
        if extra_meta:
            meta.update(extra_meta)
        return Workload(s, o, arrival_time_s=arrivals, name=self.path.stem, meta=meta)


def _pick_pair(
    path: Path, line: int | None, keys: Sequence[str], prefix: str = ""
) -> tuple[str, str]:
    """The first accepted (prompt, output) column pair present in keys."""
    present = set(keys)
    for a, b in LENGTH_FIELD_PAIRS:
        if a in present and b in present:
            return a, b
        if a in present or b in present:
            missing = b if a in present else a
            raise TraceError(
                path, line, missing, prefix + f"missing field (found '{a if a in present else b}')"
            )
    names = ", ".join(f"{a}/{b}" for a, b in LENGTH_FIELD_PAIRS)
    raise TraceError(path, line, None, prefix + f"no length fields; expected one of {names}")


def _pick_time(keys: Sequence[str]) -> str | None:
    present = set(keys)
    return next((f for f in _TIME_FIELDS if f in present), None)


# --------------------------------------------------------------------------- JSON format


def _parse_json(path: Path, text: str) -> object:
    if not text.strip():
        raise TraceError(path, None, None, "empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise TraceError(
            path, e.lineno, None, f"invalid JSON: {e.msg} (column {e.colno})"
        ) from None


def _json_trace(path: Path, doc: object, zero_output: ZeroOutput) -> Workload:
    extra: dict[str, object] = {}
    if isinstance(doc, dict):
        if "data" not in doc:
            raise TraceError(path, None, "data", 'missing field: a JSON trace is {"data": [...]}')
        records = doc["data"]
        if "dataset" in doc:
            extra["dataset"] = str(doc["dataset"])
    else:
        records = doc
    if not isinstance(records, list):
        raise TraceError(
            path, None, "data", f"expected a list of records, got {type(records).__name__}"
        )
    if not records:
        raise TraceError(path, None, "data", "empty trace: no records")
    b = _Builder(path, "json", zero_output, None, text_ok=False)
    for i, rec in enumerate(records):
        where = _Where(path, None, f"record {i}: ")
        if not isinstance(rec, dict):
            raise where.error(None, f"expected an object, got {type(rec).__name__}")
        for f in ("input_length", "output_length"):
            if f not in rec:
                raise where.error(f, "missing field")
        b.add(where, "input_length", rec["input_length"], "output_length", rec["output_length"])
    return b.build(extra)


def load_json_trace(path: str | Path, *, zero_output: ZeroOutput = "error") -> Workload:
    """Load a JSON trace: ``{"data": [{"input_length": s, "output_length": o}, ...]}``.

    A bare list of such records is accepted too. Errors name ``record N`` (0-based index in
    ``data``); their ``line`` is None.
    """
    p = Path(path)
    mode = _check_zero_output(zero_output)
    return _json_trace(p, _parse_json(p, _read_text(p)), mode)


# --------------------------------------------------------------------------- CSV


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(1-based line where the row starts, fields) for each non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for row in reader:
            line = start
            start = reader.line_num + 1
            if not row or all(not c.strip() for c in row):
                continue
            yield line, row
    except csv.Error as e:
        raise TraceError(path, reader.line_num, None, f"malformed CSV: {e}") from None


def _csv_trace(path: Path, text: str, zero_output: ZeroOutput, *, azure: bool) -> Workload:
    rows = _csv_rows(path, text)
    first = next(rows, None)
    if first is None:
        raise TraceError(path, None, None, "empty file: no header")
    header_line, header = first
    names = [h.strip() for h in header]
    if azure:
        for f in _AZURE_FIELDS:
            if f not in names:
                raise TraceError(
                    path,
                    header_line,
                    f,
                    "missing column; an Azure LLM 2023 trace has the header "
                    "TIMESTAMP,ContextTokens,GeneratedTokens",
                )
        s_f, o_f, t_f = "ContextTokens", "GeneratedTokens", "TIMESTAMP"
        t_field: str | None = t_f
    else:
        s_f, o_f = _pick_pair(path, header_line, names, "header: ")
        t_field = _pick_time(names)
    idx = {n: k for k, n in enumerate(names)}
    b = _Builder(path, "azure_csv" if azure else "csv", zero_output, t_field, text_ok=True)
    wanted = [f for f in (s_f, o_f, t_field) if f is not None]
    for line, row in rows:
        where = _Where(path, line)
        if len(row) > len(names):
            raise where.error(None, f"{len(row)} fields, but the header has {len(names)}")
        for f in wanted:
            if idx[f] >= len(row):
                raise where.error(
                    f, f"missing field ({len(row)} fields, the header has {len(names)})"
                )
        b.add(
            where,
            s_f,
            row[idx[s_f]],
            o_f,
            row[idx[o_f]],
            row[idx[t_field]] if t_field is not None else None,
        )
    if not b.s and not b.n_dropped:
        raise TraceError(path, None, None, "empty trace: a header but no rows")
    return b.build()


def load_azure_csv(path: str | Path, *, zero_output: ZeroOutput = "error") -> Workload:
    """Load an Azure LLM inference trace 2023 CSV (``TIMESTAMP,ContextTokens,GeneratedTokens``).

    s_i = ContextTokens, o_i = GeneratedTokens; arrival a_i = T_i − min_j T_j seconds (float64), T
    the parsed TIMESTAMP. Requests keep file order; if the timestamps are not non-decreasing the
    rows are sorted stably by time and ``meta["reordered_by_arrival"]`` is True.
    """
    p = Path(path)
    mode = _check_zero_output(zero_output)
    return _csv_trace(p, _read_text(p), mode, azure=True)


# --------------------------------------------------------------------------- JSONL


def _jsonl_trace(path: Path, text: str, zero_output: ZeroOutput) -> Workload:
    pair: tuple[str, str] | None = None
    t_field: str | None = None
    b: _Builder | None = None
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = _Where(path, line)
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as e:
            raise where.error(None, f"invalid JSON: {e.msg} (column {e.colno})") from None
        if not isinstance(rec, dict):
            raise where.error(None, f"expected a JSON object, got {type(rec).__name__}")
        if pair is None:
            pair = _pick_pair(path, line, list(rec))
            t_field = _pick_time(list(rec))
            b = _Builder(path, "jsonl", zero_output, t_field, text_ok=False)
        assert b is not None
        for f in (*pair, *((t_field,) if t_field else ())):
            if f not in rec:
                raise where.error(f, "missing field")
        b.add(
            where, pair[0], rec[pair[0]], pair[1], rec[pair[1]], rec[t_field] if t_field else None
        )
    if b is None:
        raise TraceError(path, None, None, "empty trace: no records")
    return b.build()


def load_generic(path: str | Path, *, zero_output: ZeroOutput = "error") -> Workload:
    """Load a CSV (``.csv``) or JSON-lines (``.jsonl``, ``.ndjson``; else sniffed) request table.

    Length columns: the first pair of ``input_length/output_length``,
    ``prompt_tokens/output_tokens``, ``ContextTokens/GeneratedTokens`` present. Arrival column
    (optional): ``arrival_time_s`` (seconds, kept as given, >= 0) or ``timestamp``/``TIMESTAMP``
    (seconds or a datetime; a_i = T_i − min_j T_j). Rows out of time order are sorted stably,
    recorded in ``meta``.
    """
    p = Path(path)
    mode = _check_zero_output(zero_output)
    text = _read_text(p)
    if _is_jsonl(p, text):
        return _jsonl_trace(p, text, mode)
    return _csv_trace(p, text, mode, azure=False)


def _is_jsonl(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return True
    if suffix in (".csv", ".tsv", ".txt"):
        return False
    return text.lstrip().startswith("{")


# --------------------------------------------------------------------------- dispatch


def load_trace(path: str | Path, *, zero_output: ZeroOutput = "error") -> Workload:
    """Load any supported trace, choosing the loader by extension and content.

    ``.json``: the JSON trace format. ``.jsonl``/``.ndjson``: JSON lines. ``.csv``: the Azure loader
    if the header has TIMESTAMP, ContextTokens and GeneratedTokens, else the generic CSV loader. Any
    other name: a file whose text parses as one JSON document is a JSON trace, one that starts with
    ``{`` is JSON lines, else CSV. ``zero_output``: "error" (default) raises on an output length of
    0; "clamp" sets it to 1 and records the count in ``meta["n_zero_output_clamped"]``; "drop" leaves such
    requests out (``meta["n_zero_output_dropped"]``). Gzip files are decompressed (``x.csv.gz``: as ``x.csv``).
    """
    p = Path(path)
    mode = _check_zero_output(zero_output)
    text = _read_text(p)
    suffix = p.suffix.lower()
    if suffix == ".gz":
        suffix = Path(p.stem).suffix.lower()
    if suffix == ".json":
        return _json_trace(p, _parse_json(p, text), mode)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_trace(p, text, mode)
    if suffix != ".csv" and text.lstrip()[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, list) or (isinstance(doc, dict) and "data" in doc):
            return _json_trace(p, doc, mode)
        if text.lstrip().startswith("{"):
            return _jsonl_trace(p, text, mode)
    first = next(_csv_rows(p, text), None)
    azure = first is not None and all(f in [h.strip() for h in first[1]] for f in _AZURE_FIELDS)
    return _csv_trace(p, text, mode, azure=azure)
