# lbtheory: make install | test | check | bench | reproduce [FULL=1]
PYTHON ?= python
FULL ?=
EXPFLAGS := $(if $(FULL),--full,)
export HYPOTHESIS_PROFILE ?= ci

.PHONY: install test test-all lint types check bench reproduce conformance baselines clean paper \
	c1_idle c3_burstgpt c4_longbench c6_lookahead c7_scale energy_map production sustainable_rate \
	bounds_sweep claims

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

bench:
	cd experiments && $(PYTHON) bench_engine.py
	cd experiments && $(PYTHON) bench_cli.py

# --- the claims, one file stem each: experiments/x.py -> results/x.json (+ figure, macros) ---
conformance:
	cd experiments && $(PYTHON) conformance.py

baselines:
	cd experiments && $(PYTHON) baselines.py $(EXPFLAGS)

c1_idle c3_burstgpt c4_longbench c6_lookahead c7_scale energy_map production sustainable_rate bounds_sweep claims:
	cd experiments && $(PYTHON) $@.py $(EXPFLAGS)

claims: c1_idle c3_burstgpt c4_longbench c6_lookahead c7_scale energy_map bounds_sweep

# the fast tier skips the sustainable-rate bisection (minutes of runs per policy); FULL=1 includes it
reproduce: conformance baselines claims production $(if $(FULL),sustainable_rate,)
	@echo "reproduce: done ($(if $(FULL),full,fast) tier); results in results/, figures in paper/figures/"

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info

paper:  ## the report, from the committed results (needs latexmk and a TeX installation)
	cd paper && latexmk -pdf -interaction=nonstopmode -halt-on-error main.tex
