# Developer and operator commands. The two that matter on a fresh machine:
#   make demo   set everything up, run the pipeline on the offline replica, print a forecast
#   make test   set everything up, lint, run the whole test suite
# Both need only Python 3.11 (and make): uv is installed with pip if missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Telemetry off for everything started from here (the code sets these too).
export DO_NOT_TRACK := 1
export KEDRO_DISABLE_TELEMETRY := true
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export MLFLOW_DISABLE_TELEMETRY := true

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: help setup demo test lint format viz bench down clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup:  ## install uv if missing, then the locked environment (.venv)
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
	  || $(PYTHON) -m pip install --quiet uv \
	  || $(PYTHON) -m pip install --quiet --user uv \
	  || $(PYTHON) -m pip install --quiet --break-system-packages uv
	$(UV) sync --locked --all-extras --python 3.11

demo: setup  ## offline replica → pipeline as a Prefect flow → forecast table + flow-run URL
	$(UV) run keiba demo

down:  ## stop the local Prefect server that `make demo` left running
	$(UV) run python -c "from pathlib import Path; from flows.local_server import stop_server; \
	print('stopped' if stop_server(Path('var/prefect')) else 'no server was running')"

test: setup lint  ## lint + the whole test suite
	$(UV) run pytest

lint:  ## ruff lint and format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format:  ## apply ruff fixes and formatting
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

viz: setup  ## kedro-viz on http://127.0.0.1:4141
	cd kedro_project && $(UV) run kedro viz run --host 127.0.0.1 --port 4141 --no-browser

bench: setup  ## every benchmark under bench/ (each prints side-by-side ratios and a JSON line)
	$(UV) run python bench/parse_bench.py
	$(UV) run python bench/bridge_overhead.py
	$(UV) run python bench/scale.py

clean:  ## remove generated data (keeps the environment)
	rm -rf kedro_project/data var tests/_out bench/_out
