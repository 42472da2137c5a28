# errormap: the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# Offline means offline: no MLflow telemetry, no DVC analytics or update check (also off in .dvc/config and
# errormap/tracking.py, for `dvc repro` run without make).
export MLFLOW_DISABLE_TELEMETRY := true
export DVC_NO_ANALYTICS := 1

.PHONY: setup demo test test-fast bench bench-report browser clean-outputs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

## demo: set up, run the whole pipeline on the bundled demo data, say where the results are
demo: setup
	@[ -d .git ] || git init -q
	dvc repro
	@echo
	@echo "Report:       $(CURDIR)/reports/report.html"
	@echo "MLflow store: $${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db}  (browse: mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db)"
	@echo "Metrics:      dvc metrics show"

## test: set up and run the test suite
test: setup
	$(BIN)/python -m pytest -q

## test-fast: the suite without the slow DVC pipeline tests (marked `slow`), for a quick loop
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

bench: setup
	$(BIN)/python bench/bench_analyze.py

## bench-report: size and first paint of reports/report.html in headless Chromium (after `make demo`)
bench-report: setup browser
	$(BIN)/python bench/report_size.py

## browser: Debian's chromium for the report's browser tests, installed only when missing (needs root)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium (the browser tests skip without it)"; fi; }

clean-outputs:
	rm -rf data/prepared data/analysis data/taxonomy data/signatures metrics plots reports
