"""The authors' simulator as a reference: parsing its output, its command line, the paired figures, and the
claims table preferring ``reference_runs.json`` over the quoted figures.

``tests/data/reference_main_fcfs.txt`` and ``reference_main_bfio.txt`` are verbatim stdout of two real runs of
Echoscd/Load-Balancing-Release at commit 6ae705d (``python scripts/main.py --load_from_real_dataset
--dataset_path longbench_data_8000.json --strategy FCFS --G 256 --B 72 --N 80000 --seed 42 --skip_plot
--n_jobs 1`` and ``... --dataset_path burst_data_8000.json --strategy BF-IO --H 20 --G 32 --B 72 --N 100000
--seed 42 --skip_plot --n_jobs 1``); the expected numbers below were read off those files by eye.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lbtheory.claims import build_claims, reference_by_claim, reference_figures
from lbtheory.claims.reference import ReferenceOutputError, Setting, paired_figures, parse_summary

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def test_parse_real_fcfs_output():
    out = parse_summary((DATA / "reference_main_fcfs.txt").read_text())
    assert out["throughput_tokens_per_sec"] == 5467.7115
    assert out["avg_latency_per_token"] == 2.9746
    assert out["avg_gpu_idle_rate"] == 0.4883
    assert out["total_energy"] == 29082993.2021
    assert out["makespan"] == 598.0638
    assert len(out) == 10  # the ten metrics of SchedulerSim.run; the "G=256: Imbalance=..." lines are not read


def test_parse_real_bfio_output():
    out = parse_summary((DATA / "reference_main_bfio.txt").read_text())
    assert out["throughput_tokens_per_sec"] == 186834.4154
    assert out["avg_gpu_idle_rate"] == 0.0169
    assert out["total_energy"] == 355198.1130


def test_parse_errors_name_the_line():
    good = (DATA / "reference_main_fcfs.txt").read_text()
    with pytest.raises(ReferenceOutputError, match=r"out.txt, line \d+: total_energy: mean 'abc'"):
        parse_summary(good.replace("29082993.2021", "abc"), source="out.txt")
    with pytest.raises(ReferenceOutputError, match="printed twice"):
        parse_summary(good + good)
    with pytest.raises(ReferenceOutputError, match=r"no summary line for .*total_energy"):
        parse_summary(good.replace("total_energy", "energy_total"))
    with pytest.raises(ReferenceOutputError, match="mean is nan"):
        parse_summary(good.replace("0.4883 ± nan", "nan ± nan"))


def test_argv_is_the_documented_command_line():
    s = Setting("longbench", G=256, B=72, N=80_000, H=140)
    assert " ".join(s.argv("FCFS", 42)) == ("scripts/main.py --load_from_real_dataset --dataset_path "
                                            "longbench_data_8000.json --strategy FCFS --G 256 --B 72 --N 80000 "
                                            "--seed 42 --skip_plot --n_jobs 1")
    assert s.argv("BF-IO", 7)[5:8] == ["BF-IO", "--H", "140"]
    with pytest.raises(ValueError, match="strategy"):
        s.argv("JSQ", 1)


def test_setting_from_claim_checks_the_pool():
    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        from _claims import SETTINGS
    finally:
        sys.path.remove(str(ROOT / "experiments"))
    assert Setting.from_claim(SETTINGS["c3"]) == Setting("burst", 32, 72, 100_000, 20)
    assert Setting.from_claim(SETTINGS["c4"]) == Setting("longbench", 256, 72, 80_000, 140)
    with pytest.raises(ValueError, match="R=64"):
        Setting.from_claim(SETTINGS["c3"] | {"R": 64})
    with pytest.raises(ValueError, match="trace"):
        Setting("sharegpt", 1, 1, 1, 0)


def _run(thr: float, tpot: float, energy: float, idle: float) -> dict[str, float]:
    return {"throughput_tokens_per_sec": thr, "avg_latency_per_token": tpot, "total_energy": energy,
            "avg_gpu_idle_rate": idle}


def test_paired_figures_by_hand():
    fcfs = [_run(100, 2.0, 1000, 0.5), _run(200, 4.0, 1000, 0.3)]
    bfio = [_run(110, 1.0, 900, 0.1), _run(180, 3.0, 700, 0.1)]
    f = paired_figures(fcfs, bfio)
    # throughput changes +0.1 and −0.1: mean 0, sd √0.02, half-width t(0.975, 1)·sd/√2 = 12.706·0.1
    assert f["throughput"]["value"] == pytest.approx(0.0, abs=1e-15)
    assert f["throughput"]["ci95"] == pytest.approx(1.2706, abs=1e-3)
    assert f["tpot"]["value"] == pytest.approx((-0.5 - 0.25) / 2)
    assert f["energy_window"]["value"] == pytest.approx((-0.1 - 0.3) / 2)
    assert f["fcfs_idle"]["value"] == pytest.approx(0.4) and f["bfio_idle"]["value"] == pytest.approx(0.1)
    assert f["energy_window"]["n"] == 2
    one = paired_figures(fcfs[:1], bfio[:1])
    assert one["throughput"]["ci95"] is None and one["throughput"]["value"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="same nonzero number"):
        paired_figures(fcfs, bfio[:1])


def _write_runs(d: Path, claims: dict) -> None:
    (d / "reference_runs.json").write_text(json.dumps({"reference": {"commit": "abc1234"}, "claims": claims}))


def test_reference_runs_json_is_preferred_per_claim(tmp_path):
    quoted, src = reference_figures(None)
    assert "reference_figures.json" in src and quoted["C3"]["throughput"] == 0.165
    _write_runs(tmp_path, {"C3": {"throughput": {"value": 0.5, "ci95": 0.01, "n": 5}}})
    by = reference_by_claim(tmp_path)
    assert by["C3"] == ({"throughput": 0.5}, "results/full/reference_runs.json (authors' simulator at abc1234)")
    assert by["C4"][0] == quoted["C4"] and "reference_figures.json" in by["C4"][1]  # not in the file: quoted
    rows = {c.id: c for c in build_claims(ROOT / "results" / "full", reference_dir=tmp_path)}
    thr = [f for f in rows["C3"].figures if f.name.startswith("throughput")]
    assert thr and all(f.reference == 0.5 and "abc1234" in (f.reference_source or "") for f in thr)
    assert all(f.reference is None for f in rows["C3"].figures if f.name.startswith("energy per token"))
    c4 = [f for f in rows["C4"].figures if f.name.startswith("energy vs")]
    assert c4 and all(f.reference == quoted["C4"]["energy_window"] for f in c4)


FAKE_MAIN = textwrap.dedent('''
    import argparse
    ap = argparse.ArgumentParser()
    for a in ("--dataset_path", "--strategy"):
        ap.add_argument(a)
    for a in ("--H", "--G", "--B", "--N", "--seed", "--n_jobs"):
        ap.add_argument(a, type=int)
    ap.add_argument("--load_from_real_dataset", action="store_true")
    ap.add_argument("--skip_plot", action="store_true")
    a = ap.parse_args()
    bf = a.strategy == "BF-IO"
    open("results_written_here.csv", "a").write("x\\n")  # the real one writes under its checkout
    print(f"{'throughput_tokens_per_sec':>30s}: {100.0 * (1.2 if bf else 1.0) * (1 + a.seed - 42):.4f} ± nan")
    print(f"{'avg_latency_per_token':>30s}: {0.5 if bf else 1.0:.4f} ± nan")
    print(f"{'total_energy':>30s}: {(70.0 if bf else 100.0) + a.seed - 42:.4f} ± nan")
    print(f"{'avg_gpu_idle_rate':>30s}: {0.1 if bf else 0.4:.4f} ± nan")
''')


def test_reference_runs_script_with_a_stand_in_simulator(tmp_path):
    """experiments/reference_runs.py end to end against a stand-in main.py (the real one takes minutes)."""
    repo = tmp_path / "lbr"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "main.py").write_text(FAKE_MAIN)
    (repo / "burst_data_8000.json").write_text("{}")
    out = tmp_path / "reference_runs.json"
    proc = subprocess.run([sys.executable, "reference_runs.py", "--reference", str(repo), "--seeds", "2",
                           "--only", "c3", "--out", str(out)], cwd=ROOT / "experiments", capture_output=True,
                          text=True, timeout=120, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    d = json.loads(out.read_text())
    assert [(c["strategy"], c["seed"]) for c in d["calls"]] == [("FCFS", 42), ("FCFS", 43), ("BF-IO", 42),
                                                                 ("BF-IO", 43)]
    assert d["calls"][2]["command"] == ("python scripts/main.py --load_from_real_dataset --dataset_path "
                                        "burst_data_8000.json --strategy BF-IO --H 20 --G 32 --B 72 --N 100000 "
                                        "--seed 42 --skip_plot --n_jobs 1")
    c3 = d["claims"]["C3"]
    assert c3["throughput"]["value"] == pytest.approx(0.2)  # 1.2× at both seeds
    assert c3["tpot"]["value"] == pytest.approx(-0.5)
    assert c3["energy_window"]["value"] == pytest.approx(((70 / 100 - 1) + (71 / 101 - 1)) / 2)
    assert d["claims"]["C1"] == {"fcfs_idle_c3_setting": {"value": pytest.approx(0.4), "ci95": 0.0, "n": 2}}
    assert d["manifest"]["config"]["complete"] == {"c3": True}
    assert d["reference"]["commit"].startswith("unknown") and "manifest" in d
    assert not (repo / "results_written_here.csv").exists()  # ran in a copy: the checkout is untouched
    assert all(math.isfinite(c["wall_time_s"]) for c in d["calls"])


RUNS = ROOT / "results" / "full" / "reference_runs.json"


@pytest.mark.skipif(not RUNS.is_file(), reason="results/full/reference_runs.json not committed")
def test_committed_reference_figures_follow_from_their_calls():
    """Each claim figure of the committed file is the paired change of the printed values it records."""
    from lbtheory.claims.reference import idle_figure

    d = json.loads(RUNS.read_text())
    seeds = d["manifest"]["seed"]
    by: dict[tuple[str, str], list[dict]] = {}
    for c in d["calls"]:
        if not c.get("timed_out"):
            by.setdefault((c["setting"], c["strategy"]), []).append(c)
    for (setting, _), calls in by.items():
        assert [c["seed"] for c in calls] == seeds[:len(calls)], setting
    claim_of = {"c3": "C3", "c4": "C4"}
    for setting, cid in claim_of.items():
        fcfs = [c["printed"] for c in by.get((setting, "FCFS"), [])]
        bfio = [c["printed"] for c in by.get((setting, "BF-IO"), [])]
        if len(fcfs) == len(bfio) == len(seeds):
            assert d["claims"][cid] == json.loads(json.dumps(paired_figures(fcfs, bfio)))
        else:
            assert cid not in d["claims"]
        if len(fcfs) == len(seeds):
            assert d["claims"]["C1"][f"fcfs_idle_{setting}_setting"] == json.loads(json.dumps(idle_figure(fcfs)))


@pytest.mark.skipif(not RUNS.is_file(), reason="results/full/reference_runs.json not committed")
def test_committed_reference_run_matches_the_captured_output():
    """The simulator is deterministic given the seed: the recorded BF-IO call of C3 at seed 42 printed what the
    separately captured run in tests/data printed."""
    d = json.loads(RUNS.read_text())
    call = next(c for c in d["calls"] if (c["setting"], c["strategy"], c["seed"]) == ("c3", "BF-IO", 42))
    assert call["printed"] == parse_summary((DATA / "reference_main_bfio.txt").read_text())
    assert d["reference"]["commit"].startswith("6ae705d") and d["reference"]["dirty"] is False
