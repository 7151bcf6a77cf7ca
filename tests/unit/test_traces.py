"""Trace loaders: the real shared traces (skipped when absent), tiny fixtures, and malformed input.

Every malformed input must raise TraceError naming the file, the 1-based line (JSON format: the
record index in the message) and the field; output lengths of 0 are rejected or clamped, never
silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lbtheory.errors import ConfigError, TraceError
from lbtheory.workloads import (
    SHARED_TRACE_FILES,
    Workload,
    load_azure_csv,
    load_generic,
    load_json_trace,
    load_trace,
    shared_trace_path,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _times(w: Workload) -> np.ndarray:
    assert w.arrival_time_s is not None
    return w.arrival_time_s


def _shared(name: str) -> Path:
    path = shared_trace_path(name)
    if path is None:
        pytest.skip(f"shared trace {SHARED_TRACE_FILES[name]} not present")
    return path


# --------------------------------------------------------------------------- real shared traces

# name: (N, prompt min, prompt max, output min, output max), facts of the shared files.
REAL = {
    "burst": (8000, 9, 14117, 1, 3206),
    "arxiv": (8000, 58, 8190, 8, 10944),
    "longbench": (8000, 12283, 4045928, 1, 346),
    "azure_conv": (19366, 2, 14050, 7, 1000),
    "azure_code": (8819, 3, 7437, 6, 1899),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_trace_loads_with_known_facts(name: str) -> None:
    path = _shared(name)
    w = load_trace(path)
    n, s_min, s_max, o_min, o_max = REAL[name]
    assert w.n_requests == n
    assert (w.prompt_tokens.min(), w.prompt_tokens.max()) == (s_min, s_max)
    assert (w.output_tokens.min(), w.output_tokens.max()) == (o_min, o_max)
    assert w.name == path.stem
    assert w.meta["path"] == str(path)
    assert w.meta["n_zero_output_clamped"] == 0
    if name.startswith("azure"):
        assert w.meta["format"] == "azure_csv"
        assert w.arrival_time_s is not None
        assert w.arrival_time_s[0] == 0.0
        assert np.all(np.diff(w.arrival_time_s) >= 0)
        assert w.meta["reordered_by_arrival"] is False
        assert 3400 < w.arrival_time_s[-1] < 3600  # one hour of traffic
    else:
        assert w.meta["format"] == "json"
        assert w.arrival_time_s is None


def test_real_azure_conv_first_rows_and_times() -> None:
    w = load_azure_csv(_shared("azure_conv"))
    # Rows 2..4 of the file: 18:15:46.6805900, 18:15:50.9951690, 18:15:51.2224670.
    assert list(w.prompt_tokens[:3]) == [374, 396, 879]
    assert list(w.output_tokens[:3]) == [44, 109, 55]
    np.testing.assert_allclose(_times(w)[:3], [0.0, 4.314579, 4.541877], atol=1e-9)
    assert w.meta["time_origin"] == "2023-11-16 18:15:46.6805900"


def test_real_json_trace_agrees_with_its_statistics_block() -> None:
    import json

    path = _shared("burst")
    stats = json.loads(path.read_text())["statistics"]
    w = load_json_trace(path)
    assert w.prompt_tokens.mean() == pytest.approx(stats["input_length"]["mean"])
    assert w.output_tokens.mean() == pytest.approx(stats["output_length"]["mean"])
    assert w.meta["dataset"] == "lzzmm/burst_gpt"


# --------------------------------------------------------------------------- tiny fixtures


def test_tiny_json_trace() -> None:
    w = load_trace(DATA / "tiny_trace.json")
    assert list(w.prompt_tokens) == [10, 20, 30]
    assert list(w.output_tokens) == [5, 1, 7]
    assert w.arrival_time_s is None
    assert w.name == "tiny_trace"
    assert w.meta["format"] == "json"


def test_tiny_azure_csv_keeps_order_and_ties() -> None:
    w = load_trace(DATA / "tiny_azure.csv")
    assert w.meta["format"] == "azure_csv"
    assert list(w.prompt_tokens) == [374, 396, 879, 91]
    np.testing.assert_allclose(_times(w), [0.0, 4.314579, 4.314579, 14.31941], atol=1e-9)
    assert w.meta["reordered_by_arrival"] is False


def test_unsorted_azure_csv_is_sorted_stably_and_says_so() -> None:
    w = load_azure_csv(DATA / "tiny_azure_unsorted.csv")
    # times 50.5, 49.25, 50.5, 48.0 -> order 4, 2, 1, 3 (1 before 3: stable on the tie)
    assert list(w.prompt_tokens) == [400, 200, 100, 300]
    assert list(w.output_tokens) == [40, 20, 10, 30]
    np.testing.assert_allclose(_times(w), [0.0, 1.25, 2.5, 2.5])
    assert w.meta["reordered_by_arrival"] is True
    assert w.meta["n_descents"] == 2
    assert w.meta["time_origin"] == "2023-11-16 18:15:48.0000000"


def test_generic_jsonl_keeps_arrival_seconds() -> None:
    w = load_trace(DATA / "tiny_generic.jsonl")
    assert w.meta["format"] == "jsonl"
    assert list(w.prompt_tokens) == [12, 7]
    assert list(w.output_tokens) == [3, 9]
    np.testing.assert_allclose(_times(w), [0.5, 1.25])


def test_generic_csv_aliases_and_numeric_timestamp(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("timestamp,prompt_tokens,output_tokens\n1700000010.5,5,6\n1700000000.25,7,8\n")
    w = load_generic(p)
    assert list(w.prompt_tokens) == [7, 5]
    np.testing.assert_allclose(_times(w), [0.0, 10.25])
    assert w.meta["reordered_by_arrival"] is True


def test_generic_reads_azure_columns_and_integral_floats(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("ContextTokens,GeneratedTokens\n5.0,6\n 7 , 8 \n")
    w = load_generic(p)
    assert list(w.prompt_tokens) == [5, 7] and list(w.output_tokens) == [6, 8]
    assert w.arrival_time_s is None


def test_load_trace_sniffs_unknown_extension(tmp_path: Path) -> None:
    j = tmp_path / "trace.dat"
    j.write_text('{"data": [{"input_length": 3, "output_length": 4}]}')
    assert load_trace(j).meta["format"] == "json"
    jl = tmp_path / "trace.log"
    jl.write_text(
        '{"input_length": 3, "output_length": 4}\n{"input_length": 5, "output_length": 6}\n'
    )
    assert load_trace(jl).meta["format"] == "jsonl"
    c = tmp_path / "trace"
    c.write_text("input_length,output_length\n3,4\n")
    assert load_trace(c).meta["format"] == "csv"


# --------------------------------------------------------------------------- zero outputs


def test_zero_output_raises_by_default() -> None:
    path = DATA / "tiny_zero_output.csv"
    with pytest.raises(TraceError) as e:
        load_trace(path)
    assert (e.value.line, e.value.field) == (3, "output_length")
    assert "clamp" in str(e.value)


def test_zero_output_clamp_records_the_count() -> None:
    w = load_trace(DATA / "tiny_zero_output.csv", zero_output="clamp")
    assert list(w.output_tokens) == [5, 1, 1, 2]
    assert w.meta["n_zero_output_clamped"] == 2
    assert w.meta["zero_output"] == "clamp"


def test_zero_output_in_json_names_the_record(tmp_path: Path) -> None:
    p = tmp_path / "z.json"
    p.write_text(
        '{"data": [{"input_length": 3, "output_length": 4}, '
        '{"input_length": 3, "output_length": 0}]}'
    )
    with pytest.raises(TraceError, match="record 1") as e:
        load_json_trace(p)
    assert e.value.field == "output_length" and e.value.line is None
    assert load_json_trace(p, zero_output="clamp").meta["n_zero_output_clamped"] == 1


def test_zero_output_option_is_validated() -> None:
    with pytest.raises(ConfigError, match="zero_output"):
        load_trace(DATA / "tiny_trace.json", zero_output="discard")  # type: ignore[arg-type]


def test_zero_output_drop_leaves_the_requests_out() -> None:
    w = load_trace(DATA / "tiny_zero_output.csv", zero_output="drop")
    assert list(w.prompt_tokens) == [10, 40] and list(w.output_tokens) == [5, 2]
    assert (w.meta["n_zero_output_dropped"], w.meta["n_zero_output_clamped"]) == (2, 0)


def test_zero_output_drop_of_every_request_says_so(tmp_path: Path) -> None:
    p = tmp_path / "z.csv"
    p.write_text("input_length,output_length\n3,0\n4,0\n")
    with pytest.raises(TraceError, match="all 2 requests have output length 0"):
        load_trace(p, zero_output="drop")


def test_gzip_trace_is_read_transparently(tmp_path: Path) -> None:
    import gzip

    text = (DATA / "tiny_zero_output.csv").read_bytes()
    for name in ("t.csv.gz", "t.gz", "t.data"):
        p = tmp_path / name
        p.write_bytes(gzip.compress(text))
        w = load_trace(p, zero_output="clamp")
        assert list(w.output_tokens) == [5, 1, 1, 2], name
    bad = tmp_path / "cut.csv.gz"
    bad.write_bytes(gzip.compress(text)[:20])
    with pytest.raises(TraceError, match="gzip"):
        load_trace(bad)


def test_other_compression_gets_a_hint(tmp_path: Path) -> None:
    p = tmp_path / "t.csv.zst"
    p.write_bytes(b"\x28\xb5\x2f\xfd\x80\xff\xfe")
    with pytest.raises(TraceError, match="zstd"):
        load_trace(p)


# --------------------------------------------------------------------------- malformed input

HDR = "input_length,output_length\n"

# (file name, content, expected line, expected field, a phrase of the problem)
MALFORMED = [
    ("missing_value.csv", HDR + "10,5\n20,\n", 3, "output_length", "missing value"),
    ("missing_field.csv", HDR + "10,5\n20\n", 3, "output_length", "missing field"),
    ("non_numeric.csv", HDR + "10,5\n1x,3\n", 3, "input_length", "non-numeric"),
    ("nan.csv", HDR + "nan,3\n", 2, "input_length", "non-numeric"),
    ("non_integer.csv", HDR + "10,5\n10.5,3\n", 3, "input_length", "non-integer"),
    ("zero_prompt.csv", HDR + "0,3\n", 2, "input_length", ">= 1"),
    ("negative_output.csv", HDR + "5,-2\n", 2, "output_length", ">= 1"),
    ("too_many.csv", HDR + "5,2,9\n", 2, None, "3 fields"),
    ("blank_lines.csv", HDR + "5,2\n\n\n5,x\n", 5, "output_length", "non-numeric"),
    ("no_output_col.csv", "input_length,foo\n1,2\n", 1, "output_length", "missing field"),
    ("no_length_cols.csv", "a,b\n1,2\n", 1, None, "no length fields"),
    (
        "bad_arrival.csv",
        "input_length,output_length,arrival_time_s\n1,2,0.5\n1,2,soon\n",
        3,
        "arrival_time_s",
        "non-numeric",
    ),
    (
        "neg_arrival.csv",
        "input_length,output_length,arrival_time_s\n1,2,-1\n",
        2,
        "arrival_time_s",
        ">= 0",
    ),
    (
        "bad_jsonl.jsonl",
        '{"input_length": 1, "output_length": 2}\n\n{"input_length": 1,\n',
        3,
        None,
        "invalid JSON",
    ),
    (
        "jsonl_missing.jsonl",
        '{"input_length": 1, "output_length": 2}\n{"input_length": 1}\n',
        2,
        "output_length",
        "missing field",
    ),
    (
        "jsonl_string.jsonl",
        '{"input_length": "12", "output_length": 2}\n',
        1,
        "input_length",
        "string",
    ),
    (
        "jsonl_bool.jsonl",
        '{"input_length": true, "output_length": 2}\n',
        1,
        "input_length",
        "non-numeric",
    ),
    ("jsonl_array.jsonl", "[1, 2]\n", 1, None, "JSON object"),
    (
        "invalid.json",
        '{"data": [\n  {"input_length": 1, "output_length": 2},\n  oops\n]}',
        3,
        None,
        "invalid JSON",
    ),
]


@pytest.mark.parametrize(
    ("fname", "content", "line", "field", "phrase"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_input_names_file_line_and_field(
    tmp_path: Path, fname: str, content: str, line: int, field: str | None, phrase: str
) -> None:
    path = tmp_path / fname
    path.write_text(content)
    with pytest.raises(TraceError) as e:
        load_trace(path)
    err = e.value
    msg = str(err)
    assert err.path == path and str(path) in msg
    assert err.line == line and f"line {line}" in msg
    assert err.field == field
    if field is not None:
        assert f"'{field}'" in msg
    assert phrase in msg


AZ = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
AZURE_MALFORMED = [
    ("bad_time.csv", AZ + "2023-11-16 18:15:46.68,374,44\n2023-11-16 soon,1,2\n", 3, "TIMESTAMP"),
    ("bad_date.csv", AZ + "2023-02-30 18:15:46.68,374,44\n", 2, "TIMESTAMP"),
    ("no_time.csv", AZ + ",374,44\n", 2, "TIMESTAMP"),
    ("bad_tokens.csv", AZ + "2023-11-16 18:15:46.68,3.5,44\n", 2, "ContextTokens"),
    ("zero_gen.csv", AZ + "2023-11-16 18:15:46.68,3,0\n", 2, "GeneratedTokens"),
    ("no_gen_col.csv", "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46.68,3\n", 1, "GeneratedTokens"),
]


@pytest.mark.parametrize(
    ("fname", "content", "line", "field"), AZURE_MALFORMED, ids=[m[0] for m in AZURE_MALFORMED]
)
def test_malformed_azure_csv(
    tmp_path: Path, fname: str, content: str, line: int, field: str
) -> None:
    path = tmp_path / fname
    path.write_text(content)
    with pytest.raises(TraceError) as e:
        load_azure_csv(path)
    assert (e.value.path, e.value.line, e.value.field) == (path, line, field)
    assert f"line {line}" in str(e.value) and f"'{field}'" in str(e.value)


JSON_MALFORMED = [
    (
        '{"data": [{"input_length": 1, "output_length": 2}, {"output_length": 2}]}',
        1,
        "input_length",
        "missing field",
    ),
    ('{"data": [{"input_length": 1.5, "output_length": 2}]}', 0, "input_length", "non-integer"),
    ('{"data": [{"input_length": 1, "output_length": "2"}]}', 0, "output_length", "string"),
    ('{"data": [{"input_length": 1, "output_length": 2}, 7]}', 1, None, "expected an object"),
    ('{"data": [{"input_length": -4, "output_length": 2}]}', 0, "input_length", ">= 1"),
]


@pytest.mark.parametrize(("content", "record", "field", "phrase"), JSON_MALFORMED)
def test_malformed_json_records_name_the_record(
    tmp_path: Path, content: str, record: int, field: str | None, phrase: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TraceError) as e:
        load_json_trace(path)
    msg = str(e.value)
    assert e.value.line is None and e.value.field == field
    assert str(path) in msg and f"record {record}:" in msg and phrase in msg


@pytest.mark.parametrize(
    ("fname", "content", "field", "phrase"),
    [
        ("empty.json", "", None, "empty file"),
        ("empty_data.json", '{"data": []}', "data", "empty trace"),
        ("no_data.json", '{"dataset": "x"}', "data", "missing field"),
        ("scalar.json", "3", "data", "expected a list"),
        ("empty.csv", "", None, "empty file"),
        ("header_only.csv", HDR, None, "empty trace"),
        ("blank.jsonl", "\n\n", None, "empty trace"),
    ],
)
def test_empty_traces_are_errors(
    tmp_path: Path, fname: str, content: str, field: str | None, phrase: str
) -> None:
    path = tmp_path / fname
    path.write_text(content)
    with pytest.raises(TraceError) as e:
        load_trace(path)
    assert e.value.field == field and phrase in str(e.value) and str(path) in str(e.value)


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(TraceError, match="cannot read") as e:
        load_trace(missing)
    assert e.value.path == missing
    with pytest.raises(TraceError, match="cannot read"):
        load_generic(tmp_path)  # a directory
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"input_length,output_length\n1,2\n\xff\xfe,3\n")
    with pytest.raises(TraceError, match="UTF-8") as e:
        load_trace(binary)
    assert e.value.line == 3
