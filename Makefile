# Developer and operator commands. The two that matter on a fresh machine:
#   make demo   set everything up, run the pipeline on the offline replica, print a forecast
#   make test   set everything up, lint, run the whole test suite
# Both need only Python 3.11 (and make): uv is installed with pip if missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3

# Telemetry off for everything started from here: the one list is no_telemetry/__init__.py,
# which the code imports too.
$(foreach opt_out,$(shell $(PYTHON) -m no_telemetry),$(eval export $(opt_out)))
# Under `uv run`, Ray would start its workers with `uv run` in a copy of the working
# directory (a hang without network); they use the environment's interpreter instead.
export RAY_ENABLE_UV_RUN_RUNTIME_ENV := 0
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: help setup browser demo test lint format viz mlflow-ui bench up deploy status check-logs down clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# --compile-bytecode: pip's default, not uv's. Without it, where Python may not write
# bytecode (PYTHONDONTWRITEBYTECODE=1, read-only installs: CI machines here), every
# process compiles every module it imports again: `kedro prefect plan` took 32 s instead
# of 14 s on this project, most of it compiling Prefect and MLflow.
setup:  ## install uv if missing, then the locked environment (.venv)
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
	  || $(PYTHON) -m pip install --quiet uv \
	  || $(PYTHON) -m pip install --quiet --user uv \
	  || $(PYTHON) -m pip install --quiet --break-system-packages uv
	$(UV) sync --locked --all-extras --python 3.11 --compile-bytecode

demo: setup  ## offline replica → pipeline as a Prefect flow → forecast table + flow-run URL
	$(UV) run keiba demo

up: setup  ## local stack on 127.0.0.1: Prefect server + UI, cpu/gpu pools and workers, MLflow, replica
	$(UV) run python -m deployments.stack up

deploy: setup  ## deploy prefect.yaml to the local Prefect server (after `make up`)
	env -u FORECAST_KEIBA_HOME PREFECT_API_URL=$$($(UV) run python -m deployments.stack api-url) \
	  $(UV) run prefect --no-prompt deploy --all

status:  ## what of the local stack runs, and where
	$(UV) run python -m deployments.stack status

check-logs:  ## the local stack's logs hold no traceback (exit 1 and each one found otherwise)
	$(UV) run python -m deployments.stack check-logs

down:  ## stop what `make up` (and `make demo`) started, by pid file
	$(UV) run python -m deployments.stack down

test: setup browser lint  ## lint + the whole test suite
	$(UV) run pytest

browser:  ## Debian's headless Chromium for the Prefect UI test (apt, as root or via sudo)
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	  else sudo apt-get install -y -q chromium; fi; }

lint:  ## ruff lint and format check
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format:  ## apply ruff fixes and formatting
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

viz: setup  ## kedro-viz on http://127.0.0.1:4141
	cd kedro_project && $(UV) run kedro viz run --host 127.0.0.1 --port 4141 --no-browser

mlflow-ui: setup  ## MLflow UI on http://127.0.0.1:5000 (ENV=real|replica2y|live for their stores)
	$(UV) run keiba mlflow-ui --env $(or $(ENV),local)

bench: setup  ## every benchmark under bench/, then one table of figures vs targets (~50 min)
	$(UV) run python bench/summary.py

clean:  ## remove generated data (keeps the environment)
	rm -rf kedro_project/data kedro_project/mlruns var tests/_out bench/_out
