"""The command line: its output files, its summary, and its errors on bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lbtheory.cli import main

SUMMARY_KEYS = {"throughput_tok_per_s", "tpot_s", "avg_imbalance_tokens", "avg_idle_fraction", "energy_j",
                "duration_s"}


def run(args: list[str]) -> int:
    return main(args)


def test_simulate_writes_the_promised_files(tmp_path: Path, capsys):
    out = tmp_path / "run"
    rc = run(["simulate", "--workload", "synthetic", "--requests", "300", "--workers", "4", "--slots", "8",
              "--policy", "jsq_tokens", "--seed", "3", "--out", str(out)])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    for block in ("window", "whole_run"):
        assert SUMMARY_KEYS <= set(summary[block])
    assert summary["manifest"]["seed"] == 3
    assert summary["manifest"]["config"]["spec"]["policy"] == "jsq_tokens"
    with (out / "steps.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["step", "dt_s", "max_load", "sum_load", "imbalance", "idle_fraction", "active"]
    assert len(rows) - 1 == summary["steps"]
    for row in rows[1:6]:
        G, mx, sm, imb = 4, int(row[2]), int(row[3]), int(row[4])
        assert imb == G * mx - sm
    with (out / "requests.csv").open() as fh:
        req = list(csv.reader(fh))
    assert req[0] == ["request", "worker", "admit_time_s", "finish_time_s"]
    assert [int(r[0]) for r in req[1:]] == list(range(300))
    assert (out / "config.json").is_file()
    assert "throughput" in capsys.readouterr().out


def test_same_seed_same_files(tmp_path: Path):
    args = ["simulate", "--workload", "lognormal", "--requests", "200", "--workers", "3", "--slots", "4",
            "--policy", "random", "--seed", "9", "--out"]
    assert run([*args, str(tmp_path / "a")]) == 0
    assert run([*args, str(tmp_path / "b")]) == 0
    for name in ("steps.csv", "requests.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_trace_used_in_order_with_requests_head(tmp_path: Path):
    trace = tmp_path / "t.csv"
    trace.write_text("input_length,output_length\n10,2\n20,3\n30,1\n40,2\n")
    out = tmp_path / "o"
    assert run(["simulate", "--trace", str(trace), "--requests", "3", "--workers", "1", "--slots", "4",
                "--policy", "fcfs", "--out", str(out)]) == 0
    with (out / "requests.csv").open() as fh:
        assert len(list(csv.reader(fh))) == 1 + 3
    steps = (out / "steps.csv").read_text().splitlines()
    assert steps[1].split(",")[2] == "60"  # 10 + 20 + 30 at step 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("input_length,output_length\n10,2\n20,x\n", "line 3"),
        ("input_length,output_length\n10,2\n-5,3\n", "input_length"),
        ("input_length,output_length\n10,0\n", "output_length"),
        ("input_length,output_length\n", "empty"),
        ("input_length\n10\n", "output"),
    ],
)
def test_bad_trace_gets_a_clear_error_and_no_output(tmp_path: Path, capsys, content, needle):
    trace = tmp_path / "bad.csv"
    trace.write_text(content)
    out = tmp_path / "o"
    rc = run(["simulate", "--trace", str(trace), "--workers", "2", "--slots", "2", "--policy", "fcfs",
              "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "bad.csv" in err and needle in err
    assert not out.exists()
    assert not any(p.name.startswith(".o.") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--workers", "0", "--slots", "2"], "workers"),
        (["--workers", "2", "--slots", "0"], "slots"),
        (["--workers", "2", "--slots", "2", "--pool", "0"], "pool"),
        (["--workers", "2", "--slots", "2", "--policy", "nope"], "unknown policy"),
        (["--workers", "2", "--slots", "2", "--horizon", "3"], "horizon"),
        (["--workers", "2", "--slots", "2", "--arrivals", "poisson"], "rate"),
    ],
)
def test_bad_settings_are_rejected(tmp_path: Path, capsys, flags, needle):
    args = ["simulate", "--workload", "synthetic", "--requests", "10", *flags, "--out", str(tmp_path / "o")]
    if "--policy" not in flags:
        args += ["--policy", "fcfs"]
    assert run(args) == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_refuses_to_overwrite_a_foreign_directory(tmp_path: Path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    rc = run(["simulate", "--workload", "synthetic", "--requests", "10", "--workers", "1", "--slots", "1",
              "--policy", "fcfs", "--out", str(out)])
    assert rc == 2
    assert (out / "precious.txt").read_text() == "keep me"


def test_lists(capsys):
    assert run(["policies"]) == 0
    assert "jsq_tokens" in capsys.readouterr().out
    assert run(["workloads"]) == 0
    assert "synthetic" in capsys.readouterr().out


def test_open_loop_trace_scaled_to_a_rate(tmp_path: Path):
    trace = tmp_path / "arr.csv"
    # generic CSV with timestamps 0, 1, 2, ... s: a mean rate of 1 request/s
    rows = "\n".join(f"{i}.0,{10 + i},{1 + i % 3}" for i in range(20))
    trace.write_text("arrival_time_s,input_length,output_length\n" + rows + "\n")
    out = tmp_path / "o"
    assert run(["simulate", "--trace", str(trace), "--arrivals", "trace", "--rate", "4", "--workers", "2",
                "--slots", "2", "--policy", "fcfs", "--step-overhead-s", "0.01", "--token-time-s", "0",
                "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert {"median", "p99"} <= set(summary["ttft_s"]) and {"median", "p99"} <= set(summary["queue_delay_s"])
    with (out / "requests.csv").open() as fh:
        admit = [float(r[2]) for r in list(csv.reader(fh))[1:]]
    # 4 requests/s: request 19 arrives at 19/4 s, and the cluster is never full, so it starts right then
    assert admit[19] == pytest.approx(19 / 4, abs=0.011)


def test_load_factor_needs_open_loop(tmp_path: Path, capsys):
    rc = run(["simulate", "--workload", "synthetic", "--requests", "10", "--workers", "1", "--slots", "1",
              "--policy", "fcfs", "--load", "0.5", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "open-loop" in capsys.readouterr().err


def test_bounds_lists_every_bound_with_values(capsys):
    assert run(["bounds", "--json", "--set", "G=64", "--set", "B=72"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert {"bfio_upper", "fcfs_lower", "ratio_lower", "energy_saving_spin"} <= names
    for r in rows:
        assert r["claim"] and r["latex"] and isinstance(r["hypotheses"], list)
    at64 = next(r for r in rows if r["name"] == "bfio_upper")["value"]
    assert run(["bounds", "--json", "--set", "G=2", "--set", "B=72"]) == 0
    at2 = next(r for r in json.loads(capsys.readouterr().out) if r["name"] == "bfio_upper")["value"]
    assert at64 == pytest.approx(63 * at2)  # (G−1)·Δ_s
    assert run(["bounds", "--set", "G"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_profile_fits_a_power_log(capsys):
    log = Path(__file__).resolve().parents[1] / "data" / "nvidia_smi_synthetic.csv"
    assert run(["profile", "--power-log", str(log), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    text = json.dumps(out)
    # the fixture was drawn from 85 + 605·u^0.6 W with 8 W noise
    assert "gamma" in text
    gammas = [v for k, v in _walk(out) if k == "gamma"]
    assert any(abs(g - 0.6) < 0.05 for g in gammas)


def _walk(d, key=None):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _walk(v, k)
    elif isinstance(d, list):
        for v in d:
            yield from _walk(v, key)
    else:
        yield key, d
