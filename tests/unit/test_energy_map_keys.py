"""experiments/energy_map.py's pricing of replicates and the C5 keys it exposes, on small fabricated runs."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from lbtheory.claims.build import c5 as c5_claim
from lbtheory.hardware.pricing import LoadSums, saving, smallest_r

EXP = Path(__file__).resolve().parents[2] / "experiments"


@pytest.fixture(scope="module")
def em():
    sys.path.insert(0, str(EXP))
    try:
        yield importlib.import_module("energy_map")
    finally:
        sys.path.remove(str(EXP))
        sys.modules.pop("energy_map", None)


def _rep(seed, imbalance_fcfs, imbalance_bfio, G=16, B=8):
    rng = np.random.default_rng(seed)
    K = 50
    base = rng.integers(2000, 4000, size=(K, G)).astype(float)

    def loads(spread):
        L = base.copy()
        L[:, 0] += spread  # one straggler
        return L

    rec = {}
    for lab, spread in (("fcfs", imbalance_fcfs), ("bfio", imbalance_bfio), ("bfio_paper_h10", imbalance_bfio * 1.5)):
        L = loads(spread)
        d = LoadSums.of(L, tokens=K * G * B).__dict__
        rec[lab] = {"whole_run": d, "paper_window": d}
    return {"seed": seed, "requests": 4000, "origin": "fabricated", "policies": rec}


def test_price_cell_and_c5_keys(em):
    reps = [_rep(s, 4.0e6, 1000.0) for s in range(3)]
    row = em.price_cell("longbench", 16, 8, reps, [10], 0.25, (0.1, 1.0))
    h200 = row["cards"]["h200"]
    assert set(row["cards"]) >= {*em.CARDS, em.REFERENCE_CARD}
    # the stored smallest r per seed is pricing.smallest_r on that seed's worker-times
    st = em.step_times(16, 8)["h200"]
    for k, rep in enumerate(reps):
        p = LoadSums(**rep["policies"]["bfio"]["whole_run"]).worker_seconds(st)
        f = LoadSums(**rep["policies"]["fcfs"]["whole_run"]).worker_seconds(st)
        assert h200["policies"]["bfio"]["whole_run"]["smallest_r_per_seed"][k] == smallest_r(p, f, em.TARGET)
        assert h200["policies"]["bfio"]["whole_run"]["saving_curve"][-1] == pytest.approx(
            np.mean([saving(LoadSums(**r["policies"]["bfio"]["whole_run"]).worker_seconds(st),
                            LoadSums(**r["policies"]["fcfs"]["whole_run"]).worker_seconds(st), 1.0) for r in reps]))
    assert h200["bfio_paper_best_h"] == 10
    assert all(0.1 < v < 1.0 for v in h200["policies"]["bfio"]["whole_run"]["smallest_r_per_seed"])
    # θ differs by card for the same setting
    assert len({round(row["cards"][c]["theta_fcfs"][0], 6) for c in em.CARDS}) >= 2
    c5 = em.c5_figures([row], 0.25)
    for pol in ("bfio", "bfio_paper_best"):
        for key in ("smallest_r_passing_52_like_for_like", "largest_saving_default_r_like_for_like",
                    "largest_saving_default_r_paper_window", "largest_saving_r1_like_for_like"):
            assert key in c5[pol]
        best = c5[pol]["largest_saving_default_r_like_for_like"]
        assert {"saving", "ci", "workload", "G", "B", "card"} <= set(best)
    # the best cell is the card with the largest mean saving at the default r
    best_card = max(em.CARDS, key=lambda c: row["cards"][c]["policies"]["bfio"]["whole_run"]["saving_default_r"][0])
    assert c5["bfio"]["largest_saving_default_r_like_for_like"]["card"] == best_card
    # the claims table reads these keys (lbtheory.claims.build.c5); energy_map itself gives no verdict
    assert not hasattr(em, "claim")
    rr = c5["bfio"]["smallest_r_passing_52_like_for_like"]
    assert rr is not None and rr["card"] in em.CARDS
    claim = c5_claim({"manifest": {"config": {"seeds": [1, 2, 3]}}, "c5": c5}, {}, "")
    assert claim.figures[0].ours == c5["bfio"]["largest_saving_default_r_like_for_like"]["saving"]
    assert f"at {rr['workload']}, G=16, B=8, {rr['card']}" in claim.note and "default r = 0.25" in claim.note


def test_replicate_cache_key_follows_the_job_and_the_code(em, tmp_path, monkeypatch):
    job = ("uniform_fixed", 8, 4, 1, [0])
    code = em._replicate_code_hash()
    assert em.replicate_key(job, code) == em.replicate_key(job, em._replicate_code_hash())  # deterministic
    assert em.replicate_key(job, code) != em.replicate_key(("uniform_fixed", 8, 4, 2, [0]), code)
    assert em.replicate_key(job, code) != em.replicate_key(job, code + "edited engine")
    calls = []

    def fake(*args):
        calls.append(args)
        return {"seed": args[3], "requests": 10, "origin": "x", "policies": {}}

    monkeypatch.setattr(em, "one_replicate", fake)
    monkeypatch.setattr(em, "price_cell", lambda wl, G, B, reps, *a: {"reps": reps})
    tier = {"workloads": ["uniform_fixed"], "G": [8], "B": [4], "H": [0], "max_slots": None}
    monkeypatch.setenv("LBTHEORY_WORKERS", "1")
    first = em.run_grid(tier, [1, 2], 0.3, (0.1, 1.0), cache=tmp_path)
    assert len(calls) == 2
    assert em.run_grid(tier, [1, 2], 0.3, (0.1, 1.0), cache=tmp_path) == first and len(calls) == 2  # cached
    monkeypatch.setattr(em, "_replicate_code_hash", lambda: "an edited engine")
    em.run_grid(tier, [1, 2], 0.3, (0.1, 1.0), cache=tmp_path)
    assert len(calls) == 4  # rerun after a code edit


def test_the_full_tier_caps_the_cells_by_slots(em):
    cells = em.grid_cells(em.TIERS["full"])
    fleet = {tuple(c) for c in em.TIERS["full"]["fleet_cells"]}
    assert all(G * B <= em.TIERS["full"]["max_slots"] or (G, B) in fleet for _, G, B in cells)
    assert ("burst", 4096, 32) in cells and ("burst", 4096, 72) not in cells and ("burst", 1024, 128) in cells
    assert ("burst", 1024, 72) not in cells and ("burst", 256, 128) in cells and ("arxiv", 4096, 8) in cells
