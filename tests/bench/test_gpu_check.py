"""The GPU check on a tiny features file: it runs with numpy and JAX alone (what
the lent GPU machine has), reports a missing CUDA device instead of failing, and
ends with its JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.bench.loader import BENCH, load_bench

# The check as the GPU machine runs it: importing the project, its pipeline
# libraries or pandas fails there, so it fails here too.
WITHOUT_THE_PROJECT = """
import runpy, sys
for name in ("forecast_keiba", "sklearn", "pandas", "kedro", "xgboost"):
    sys.modules[name] = None
sys.argv = ["gpu_check.py", "--features", sys.argv[1]]
runpy.run_path({script!r}, run_name="__main__")
"""


def test_the_check_runs_on_numpy_and_jax_alone(tmp_path: Path) -> None:
    gpu_check = load_bench("gpu_check")
    x, race_id, position = gpu_check.simulated_races(200, features=6)
    features = tmp_path / "features.npz"
    np.savez_compressed(features, x=x, race_id=race_id, position=position, source="test")
    script = WITHOUT_THE_PROJECT.format(script=str(BENCH / "gpu_check.py"))
    result = subprocess.run(
        [sys.executable, "-c", script, str(features)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["check"] == "race_model_gpu" and figures["runners"] == len(x)
    assert [run["objective"] for run in figures["runs"]] == [
        objective for objective, *_ in gpu_check.CONFIGURATIONS
    ]
    for run in figures["runs"]:
        assert run["cpu"]["device"] == "cpu" and np.isfinite(run["cpu"]["loss"])
        if figures["cuda"] == "unavailable":  # this machine: no GPU, the CPU leg only
            assert run["cuda"] == "unavailable" and "speedup" not in run
        else:
            assert run["max_abs_diff_w"] < gpu_check.TOLERANCE or run["hidden"]
    assert figures["agree"] in (None, True)
