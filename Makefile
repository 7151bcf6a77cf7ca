# lbtheory: make install | test | check | bench | reproduce [FULL=1] [BACKEND=dask SCHEDULER=tcp://host:8786]
#           | provenance | paper | rerun-full REFERENCE=DIR (every committed result, in three lanes)
# Tiers: `make reproduce` writes the fast tier under results/fast/ (git-ignored: results, figures, macros);
# `make reproduce FULL=1` writes the committed full tier (results/full/, paper/figures/, paper/variables/).
PYTHON ?= python
FULL ?=
BACKEND ?=
SCHEDULER ?=
EXPFLAGS := $(if $(FULL),--full,)
TIER := $(if $(FULL),full,fast)
export LBTHEORY_BACKEND := $(BACKEND)
export LBTHEORY_SCHEDULER := $(SCHEDULER)
export HYPOTHESIS_PROFILE ?= ci

.PHONY: install test test-all lint types check bench reproduce reproduce-steps conformance baselines clean paper provenance \
	readme compare reference_runs \
	c1_idle c3_burstgpt c4_longbench c6_lookahead c7_scale energy_map production sustainable_rate \
	bounds_sweep bound_search claims bfio_gap bfio_compare bfio_noise bench_bfio bfio_defaults bfio_battery \
	rerun-full lane-energy lane-battery lane-rest

install:
	$(PYTHON) -m pip install -e ".[dev]"

test:
	$(PYTHON) -m pytest -q --nbmake tests notebooks

test-all:  ## including the slow sweeps and searches
	HYPOTHESIS_PROFILE=nightly $(PYTHON) -m pytest -q -m "slow or not slow"

lint:
	$(PYTHON) -m ruff check .

types:
	$(PYTHON) -m mypy

check: lint types test

bench:  ## engine and CLI benchmarks; REFERENCE=DIR [REFERENCE_PYTHON=...] also times the authors' process
	cd experiments && $(PYTHON) bench_engine.py
	cd experiments && $(PYTHON) bench_cli.py $(if $(FULL),--full,) \
		$(if $(REFERENCE),--reference $(abspath $(REFERENCE)) --reference-python $(REFERENCE_PYTHON),)

# --- the claims, one file stem each: experiments/x.py -> results/x.json (+ figure, macros) ---
conformance:
	cd experiments && $(PYTHON) conformance.py $(EXPFLAGS)

baselines:
	cd experiments && $(PYTHON) baselines.py $(EXPFLAGS)

c1_idle c3_burstgpt c4_longbench c6_lookahead c7_scale energy_map production sustainable_rate bounds_sweep bound_search claims:
	cd experiments && $(PYTHON) $@.py $(EXPFLAGS)

claims: c1_idle c3_burstgpt c4_longbench c6_lookahead c7_scale energy_map bounds_sweep

# BF-IO's own measurements (README "BF-IO"): these scripts default to the committed tier; without FULL=1 they
# run their --fast variant. bfio_defaults and bfio_battery take --full like the claims.
bfio_gap bfio_compare bfio_noise bench_bfio:
	cd experiments && $(PYTHON) $@.py $(if $(FULL),,--fast)

bfio_defaults bfio_battery:
	cd experiments && $(PYTHON) $@.py $(EXPFLAGS)

# the fast tier skips the sustainable-rate bisection (minutes of runs per policy); FULL=1 includes it.
# It ends with each claim's fast-tier figures beside the committed full tier's (`make compare`).
reproduce:  ## every claim at the tier (fast; FULL=1 the committed one), then the comparison; prints its wall time
	@start=$$(date +%s); $(MAKE) --no-print-directory reproduce-steps && \
	echo "reproduce: wall time $$(( $$(date +%s) - start )) s"

reproduce-steps: conformance baselines claims production $(if $(FULL),sustainable_rate,)
	$(if $(FULL),cd experiments && $(PYTHON) claims.py --full --readme >/dev/null,)
	@echo "reproduce: done ($(TIER) tier); results in results/$(TIER)/"
	@$(MAKE) --no-print-directory compare

compare:  ## the fast tier's figures beside the committed full tier's, and whether they agree
	cd experiments && $(PYTHON) claims.py --compare

readme:  ## rewrite README.md's generated blocks from results/full
	cd experiments && $(PYTHON) claims.py --full --readme

# results/full/reference_runs.json from a checkout of the authors' simulator:
#   make reference_runs REFERENCE=DIR [REFERENCE_PYTHON=python-with-pandas-matplotlib-joblib-tqdm] [REFERENCE_FLAGS=...]
REFERENCE_PYTHON ?= $(PYTHON)
reference_runs:
	cd experiments && $(PYTHON) reference_runs.py --reference $(abspath $(REFERENCE)) \
		--python $(REFERENCE_PYTHON) $(REFERENCE_FLAGS)

# Every committed result at the current commit, for a change that makes them all stale (the engine, the
# policies, the provenance code): three lanes at once (energy_map | bfio_battery | the rest, in order;
# about 2 h on 2 cores), then the benchmarks alone on the quiet machine, the claims and README blocks, and
# the strict provenance check. reference_runs and bench_cli's comparison need the authors' checkout.
# The rest: every committed result file's stem (each is a target) but the two lanes, the benchmarks and
# the claims, so a new committed result joins the rerun without editing this list.
RERUN_REST := $(filter-out energy_map bfio_battery bench_% claims,$(basename $(notdir $(wildcard results/full/*.json))))
rerun-full:  ## REFERENCE=DIR [REFERENCE_PYTHON=...]: every committed result at this commit, then the check
	@test -n "$(REFERENCE)" || { echo "rerun-full: give REFERENCE=DIR, a checkout of Echoscd/Load-Balancing-Release (for reference_runs and bench_cli)"; exit 2; }
	@git diff --quiet HEAD -- . ':!results' ':!paper/figures' ':!paper/variables' || { echo "rerun-full: commit every tracked change first (results record -dirty for any, as lbtheory.provenance.git_revision does; do not edit tracked files while it runs)"; exit 2; }
	@$(REFERENCE_PYTHON) -c "import numpy, pandas, matplotlib, joblib, tqdm" 2>/dev/null || { echo "rerun-full: $(REFERENCE_PYTHON) cannot import what the authors' simulator needs (numpy, pandas, matplotlib, joblib, tqdm: pip install -r $(REFERENCE)/requirements.txt); give REFERENCE_PYTHON=..."; exit 2; }
	@start=$$(date +%s); \
	$(MAKE) -j3 --no-print-directory FULL=1 lane-energy lane-battery lane-rest && \
	$(MAKE) --no-print-directory FULL=1 bench bench_bfio && \
	(cd experiments && $(PYTHON) claims.py --full --readme >/dev/null) && \
	$(MAKE) --no-print-directory provenance && \
	echo "rerun-full: wall time $$(( $$(date +%s) - start )) s"

lane-energy:
	$(MAKE) -j1 --no-print-directory FULL=1 energy_map
lane-battery:
	$(MAKE) -j1 --no-print-directory FULL=1 bfio_battery
lane-rest:
	$(MAKE) -j1 --no-print-directory FULL=1 $(RERUN_REST)

provenance:  ## fails when a committed result was written from a dirty tree or its hashes no longer match
	$(PYTHON) -m lbtheory.provenance check --strict results/full

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
	cd paper && latexmk -C -outdir=build main.tex >/dev/null 2>&1 || true

paper:  ## the report, from the committed results (needs latexmk and a TeX installation)
	cd paper && latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=build main.tex
	@echo "paper: paper/build/main.pdf"

