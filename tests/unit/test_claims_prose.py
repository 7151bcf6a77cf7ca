"""The README's generated prose follows the numbers: an edited result changes the sentence, not only a digit."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from lbtheory.claims.prose import (
    battery_breakdown,
    bfio_block,
    c2_block,
    conformance_block,
    finding_bullet,
    prose_blocks,
)

FULL = Path(__file__).resolve().parents[2] / "results" / "full"


def _load(stem: str) -> dict:
    return json.loads((FULL / f"{stem}.json").read_text())


def _c4(h140: tuple[float, float], h0: tuple[float, float], paper: tuple[float, float]) -> dict:
    c4 = {"manifest": {"config": {"H": 140}, "seed": [1, 2, 3]}, "changes": {}}
    for k, v in (("bfio_h140", h140), ("bfio_h0", h0), ("bfio_paper_h140", paper)):
        c4["changes"][k] = {"energy_window": {"change_vs_fcfs": list(v)}}
    return c4


def test_finding_follows_the_intervals():
    worse = finding_bullet(_c4((-0.22, 0.01), (-0.31, 0.01), (-0.281, 0.008)), None, None)
    assert "does not reward a long lookahead" in worse and "reproduces their −28%" in worse
    assert "-22.0% ± 1.0 against -31.0% ± 1.0 at H=0" in worse and "n=3 seeds" in worse
    better = finding_bullet(_c4((-0.35, 0.01), (-0.31, 0.01), (-0.20, 0.008)), None, None)
    assert "does reward a long lookahead" in better and "does not reproduce their −28%" in better
    overlap = finding_bullet(_c4((-0.30, 0.02), (-0.31, 0.02), (-0.281, 0.008)), None, None)
    assert "gains nothing measurable" in overlap


def test_finding_names_the_best_horizon():
    c6 = copy.deepcopy(_load("c6_lookahead"))
    hs = c6["horizon"]["values"]
    for h in hs:  # make the largest H the best for bfio
        c6["horizon"]["changes"]["bfio"][str(h)]["imbalance"]["change_vs_fcfs"][0] = -0.5 - 0.001 * h
    text = finding_bullet(_c4((-0.22, 0.01), (-0.31, 0.01), (-0.281, 0.008)), c6, None)
    assert f"`bfio` has its lowest imbalance at H={hs[-1]}" in text


def test_c2_block_counts_cells_below_the_bound(tmp_path):
    r = copy.deepcopy(_load("bounds_sweep"))
    assert "always above the proved lower bound" in c2_block(FULL)
    fixed = [c for c in r["cells"] if c["outputs"] == "fixed" and c.get("ratio")]
    fixed[0]["ratio"] = 0.5 * fixed[0]["ratio_lower"]
    fixed[1]["ratio"] = 0.9 * fixed[1]["ratio_lower"]
    for law in r["fit_by_law"].values():
        if law:
            law["free_alpha_B"] = 0.4
    (tmp_path / "bounds_sweep.json").write_text(json.dumps(r))
    text = c2_block(tmp_path)
    assert "below the proved lower bound in 2" in text and "smallest ratio ÷ bound 0.5" in text
    assert "floor, not the law" not in text


def test_conformance_block_reports_a_mismatch(tmp_path):
    c = copy.deepcopy(_load("conformance"))
    assert "agree exactly" in conformance_block(FULL)
    c["rows"][0]["exact"] = False
    c["rows"][0]["throughput_ours"] *= 1.001
    (tmp_path / "conformance.json").write_text(json.dumps(c))
    text = conformance_block(tmp_path)
    assert text.startswith(f"{len(c['rows']) - 1} of {len(c['rows'])} replays") and "a relative 0.001" in text


def test_missing_files_are_named(tmp_path):
    blocks = prose_blocks(tmp_path)
    assert set(blocks) == {"bfio", "bfio-battery", "engine-speed", "conformance", "c2-sweep", "reference-runs",
                           "tier-time", "cli-speed", "bound-search",
                           "bounds-registry"}
    assert "has not been run at the committed tier" in blocks["bfio-battery"]
    assert "No reference run is committed" in blocks["reference-runs"]
    assert "`results/full/bench_engine.json` is missing" in blocks["engine-speed"]
    assert bfio_block(tmp_path).count("is missing") == 5


def test_reference_block_says_what_ran(tmp_path):
    man = {"config": {"settings": {"c3": {"G": 32, "B": 72, "N": 100000, "H": 20},
                                   "c4": {"G": 256, "B": 72, "N": 80000, "H": 140}},
                      "strategies": ["FCFS", "BF-IO"], "seeds": [42, 43], "complete": {"c3": True, "c4": False}},
           "wall_time_s": 600.0}
    calls = [{"setting": "c3", "strategy": s, "seed": k, "wall_time_s": t}
             for s, k, t in (("FCFS", 42, 5.0), ("FCFS", 43, 7.4), ("BF-IO", 42, 30.0), ("BF-IO", 43, 41.0))]
    calls += [{"setting": "c4", "strategy": "FCFS", "seed": 42, "wall_time_s": 6.0},
              {"setting": "c4", "strategy": "FCFS", "seed": 43, "wall_time_s": 6.0},
              {"setting": "c4", "strategy": "BF-IO", "seed": 42, "wall_time_s": 900.0, "timed_out": True,
               "timeout_s": 900.0}]
    (tmp_path / "reference_runs.json").write_text(json.dumps({"manifest": man, "calls": calls,
                                                              "reference": {"commit": "6ae705d5c18e", "dirty": True}}))
    text = prose_blocks(tmp_path)["reference-runs"]
    assert "commit 6ae705d (a checkout with local changes), seeds 42–43" in text
    assert "C3 (G=32, B=72, N=100,000, H=20): FCFS 2 seeds, 5–7 s each; BF-IO 2 seeds, 30–41 s each (complete)" in text
    assert "BF-IO timed out after 900 s (partial: its claim keeps the quoted figures)" in text
    assert text.endswith("17 minutes of simulator time in all.")  # 995.4 s of calls
    calls[0]["cached"] = calls[1]["cached"] = True
    (tmp_path / "reference_runs.json").write_text(json.dumps({"manifest": man, "calls": calls,
                                                              "reference": {"commit": "6ae705d5c18e"}}))
    text = prose_blocks(tmp_path)["reference-runs"]
    assert text.endswith("(2 of 7 calls read from the cache of an earlier run at the same commit, with their own "
                         "wall times).")


def test_tier_time_sums_the_manifests_wall_times(tmp_path: Path):
    from lbtheory.claims.prose import tier_time_block

    for stem, t, rev in (("a", 30.0, "aaaaaaa1"), ("b", 3600.0 + 125, "aaaaaaa1"), ("c", None, "bbbbbbb2")):
        (tmp_path / f"{stem}.json").write_text(json.dumps({"manifest": {"wall_time_s": t, "git_revision": rev}}))
    text = tier_time_block(tmp_path)
    assert "2 timed result files" in text and "sum to 1 h 2 min" in text
    assert "largest: b 1 h 2 min, a 30 s" in text and "revision aaaaaaa (2)" in text
    assert tier_time_block(tmp_path / "none").startswith("No committed result")


def test_cli_speed_block_counts_the_targets_met(tmp_path: Path):
    from lbtheory.claims.prose import cli_speed_block

    rows = [{"policy": p, "kernels": "interpreted", "cold_s": c, "warm_s": w, "warm_runs_s": [w, w, w]}
            for p, c, w in (("fcfs", 0.4, 0.35), ("bfio", 1.1, 0.62), ("vllm", 6.0, 0.45))]
    big = {"N": 60000, "G": 64, "B": 72, "kernels": "compiled", "cold_s": 7.6, "process_s": 1.5,
           "authors_process_s": 7.2, "speedup_vs_authors": 4.8, "ok": False}
    (tmp_path / "bench_cli.json").write_text(json.dumps({
        "targets": {"warm_s": 0.5, "cold_s": 5.0, "speedup_vs_authors": 15.0}, "tiny": rows, "fcfs_60k": big,
        "machine": {"cpus": 2, "load_avg_1min": 1.3}}))
    text = cli_speed_block(tmp_path)
    assert "2 of 3 within the 5 s cold target, 2 of 3 within the 0.5 s warm target (slowest: bfio 0.62 s" in text
    assert "0.40–6.00 s cold" in text and "4.8× faster" in text and text.endswith("the target is 15×, not met.")
    big |= {"authors_process_s": 16.5, "speedup_vs_authors": 11.0, "authors_source": "measured in this run",
            "numba_floor_s": 0.75, "max_speedup_compiled": 22.0}
    (tmp_path / "bench_cli.json").write_text(json.dumps({
        "targets": {"warm_s": 0.5, "cold_s": 5.0, "speedup_vs_authors": 15.0}, "tiny": rows, "fcfs_60k": big,
        "machine": {"cpus": 2, "load_avg_1min": 1.3}}))
    text = cli_speed_block(tmp_path)
    assert "(16.50 s, measured in this run); the target is 15×, not met." in text
    assert text.endswith("takes 0.75 s, so no compiled run can be more than 22.0× faster here.")


def test_bound_search_block_flags_a_broken_bound(tmp_path: Path):
    from lbtheory.claims.prose import bound_search_block

    targets = {"tests/properties/test_bfio_upper.py::test_a": {"max Imb / bound": {"max": 0.97, "calls": 1200}},
               "tests/properties/test_bfio_upper.py::test_teeth_x": {"r": {"max": 3.0, "calls": 5}}}
    d = {"manifest": {"config": {"hypothesis_profile": "search"}}, "pytest_exit": 0,
         "pytest_summary": "10 passed", "targets": targets}
    (tmp_path / "bound_search.json").write_text(json.dumps(d))
    text = bound_search_block(tmp_path)
    assert "| `bfio_upper` | `test_a` | max Imb / bound | 0.97 | 1,200 |" in text
    assert "1 teeth tests left out" in text and text.endswith("Every search stayed at or below 1.")
    targets["tests/properties/test_fcfs_lower.py::test_b"] = {"bound/observed": {"max": 1.2, "calls": 3}}
    (tmp_path / "bound_search.json").write_text(json.dumps(d))
    assert "Above 1 in 1 tests (`test_b`), yet every test passed" in bound_search_block(tmp_path)
    d["pytest_exit"] = 1
    (tmp_path / "bound_search.json").write_text(json.dumps(d))
    assert bound_search_block(tmp_path).endswith("pytest failed (exit 1): a bound is broken or a test errs; see "
                                                 "the failing tests.")


def test_bounds_registry_block_lists_every_registered_bound():
    from lbtheory.claims.prose import bounds_registry_block
    from lbtheory.theory.report import bounds_table

    text = bounds_registry_block(Path("."))
    rows = bounds_table()
    assert text.count("\n| `") == len(rows)
    assert "| `bfio_upper_geometric` | upper | **refuted**" in text


def test_defaults_bullet_counts_the_cells_where_an_option_does_worse() -> None:
    from lbtheory.claims.prose import defaults_bullet

    def ch(imb: float, energy: float, jtok: float) -> dict:
        return {"imbalance": [imb, 0.01], "energy_window": [energy, 0.01], "energy_per_token": [jtok, 0.01]}

    r = {"manifest": {"config": {"seeds": [1, 2, 3]}},
         "cells": [{"setting": "C4", "trace": "longbench", "G": 256, "B": 72, "N": 10, "H": 0,
                    "changes_vs_fcfs": {"bfio": ch(-0.95, -0.31, -0.19), "bfio age_credit=0.005": ch(-0.93, -0.25, -0.20),
                                        "bfio_paper": ch(-0.8, -0.2, -0.18)}},
                   {"setting": "C3", "trace": "burst", "G": 32, "B": 72, "N": 10, "H": 20,
                    "changes_vs_fcfs": {"bfio": ch(-0.97, -0.04, -0.02), "bfio age_credit=0.005": ch(-0.98, -0.03, -0.02),
                                        "bfio_paper": ch(-0.9, -0.04, -0.01)}}]}
    text = defaults_bullet(r)
    assert "n=3 seeds" in text and "| C4 (LongBench-v2, G=256) | 0 | -95.0% / -31.0% / -19.0% |" in text
    assert ("`bfio age_credit=0.005` has a worse mean than the default in 1 of 2 cells on window imbalance, 2 on "
            "window energy and 0 on whole-run energy per token") in text
    r["cells"][1]["changes_vs_fcfs"]["bfio age_credit=0.005"]["imbalance"][0] = -0.96  # now worse there too
    assert "in 2 of 2 cells on window imbalance" in defaults_bullet(r)


def test_battery_breakdown_groups_cells_by_workers_and_horizon() -> None:
    """Two groups worked by hand: (G = 16, H = 0) holds a loss beyond the noise (1.10 ± 0.01, diagnosed an
    objective fault) and a win (0.90), so its median is 1.000 with one losing cell; (G = 64, H = 20) holds one
    win within the noise, no run of the paper's objective and an undiscounted run that loses (1.05); in (16, 0)
    the paper's objective has ratios 1.3 and 1.0 (median 1.150, one cell worse) and the undiscounted objective
    did not run; each variant's line quotes its own medians."""
    def ratios(imb: tuple[float, float]) -> dict:
        return {"imbalance": {"mean_ci95": (1.0, 0.0), "ratio_to_bfio_paper": imb},
                "energy_per_token": {"mean_ci95": (1.0, 0.0), "ratio_to_bfio_paper": (1.0, 0.0)}}

    def cell(G: int, H: int, imb: tuple[float, float], diagnosis: str, paper_obj: float | None = None,
             undiscounted: float | None = None) -> dict:
        pols = {"bfio_paper": ratios((1.0, 0.0)), "bfio": ratios(imb)}
        if paper_obj is not None:
            pols["bfio_imbalance"] = ratios((paper_obj, 0.0))
        if undiscounted is not None:
            pols["bfio_undiscounted"] = ratios((undiscounted, 0.0))
        return {"cell": {"workload": "w", "G": G, "B": 16, "H": H}, "policies": pols,
                "diagnosis": {"bfio": diagnosis}}

    result = {"cells": [cell(64, 20, (0.95, 0.2), "none", undiscounted=1.05),
                        cell(16, 0, (1.10, 0.01), "objective", 1.3), cell(16, 0, (0.90, 0.0), "none", 1.0)],
              "worst": {"bfio_imbalance": {"cells_compared": 3, "cells_worse": 2, "cells_worse_beyond_ci": 1,
                                           "median": {"imbalance": 1.25, "energy_per_token": 1.01}},
                        "bfio_undiscounted": {"cells_compared": 1, "cells_worse": 1, "cells_worse_beyond_ci": 0,
                                              "median": {"imbalance": 1.05, "energy_per_token": 1.0}}}}
    text = battery_breakdown(result)
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith("| 16 ") or line.startswith("| 64 ")]
    assert rows == ["| 16 | 0 | 2 | 1.000 | 1.000 | 1 | 1 | 0 / 1 | – | – | 1.150 | 1 |",
                    "| 64 | 20 | 1 | 0.950 | 1.000 | 0 | 0 | 0 / 0 | 1.050 | 1 | – | – |"]
    header = next(line for line in lines if line.startswith("| G |"))
    assert header.count("|") - 1 == 12 and header.index("`bfio_undiscounted`") < header.index("`bfio_imbalance`")
    assert "`bfio_imbalance` (the paper's objective in our solver, `objective=\"imbalance\"`) over its 3 cells: " \
           "median imbalance ratio 1.250, median energy/token ratio 1.010; worse by more than 2% in 2 cells " \
           "(1 beyond the interval)" in text
    assert "`bfio_undiscounted` (the step-time objective without its discount, `discount=1.0`; H > 0 only) over " \
           "its 1 cells: median imbalance ratio 1.050" in text
