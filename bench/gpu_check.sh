#!/usr/bin/env bash
# The per-race ranking model on CUDA and on the CPU (bench/gpu_check.py): run from
# anywhere, on a machine with Python, numpy and JAX (CUDA plugin for the GPU leg).
# Make the features file first, where the project is installed:
#   uv run python bench/gpu_check.py --prepare
# PYTHON picks the interpreter (default: the project's .venv if present, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
# JAX would otherwise reserve 75% of the GPU's memory; this fit needs megabytes.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
exec "$PYTHON" bench/gpu_check.py "$@"
