"""The plugin as a user outside this repository meets it: Kedro's official
``spaceflights-pandas`` starter (rendered for Kedro 1.7, in ../shared), in a
fresh virtual environment holding Kedro, the starter's pipeline requirements
and ``./flows`` — and not forecast-keiba.

The environment is the one bench/whole_command.py times the starter in
(``starter_venv`` in bench/_support.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from kedro_prefect.local_server import api
from tests.bench.loader import load_bench

SUPPORT = load_bench("_support")
STARTER = SUPPORT.STARTER

# Outputs whose bytes are a pure function of the inputs (the regressor is versioned:
# its newest version is compared).
COMPARED = [
    "data/02_intermediate/preprocessed_companies.parquet",
    "data/02_intermediate/preprocessed_shuttles.parquet",
    "data/03_primary/model_input_table.parquet",
    "data/06_models/regressor.pickle",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not STARTER.is_dir(), reason="../shared/kedro-starters/spaceflights-pandas is absent"
    ),
    pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH (make setup)"),
]


@pytest.fixture(scope="module")
def starter_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv: Kedro, the starter's pipeline requirements, ./flows — nothing else."""
    venv = SUPPORT.starter_venv(tmp_path_factory.mktemp("starter") / "venv")
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import forecast_keiba"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert probe.returncode != 0, "forecast-keiba must not be in the starter's venv"
    return venv


@pytest.fixture
def starter(tmp_path: Path) -> Iterator[Path]:
    project = tmp_path / "spaceflights"
    shutil.copytree(STARTER, project)
    yield project


def kedro(venv: Path, project: Path, api_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIRTUAL_ENV"))}
    env |= {"PREFECT_API_URL": api_url, "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}",
            "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}  # fmt: skip
    return subprocess.run(
        [str(venv / "bin" / "kedro"), *args], cwd=project, env=env,
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


def kedro_node_names(venv: Path, project: Path) -> set[str]:
    """The default pipeline's node names as Kedro itself names them (unnamed nodes
    get ``<function>__<hash>``), from the starter's own environment."""
    script = (
        "from pathlib import Path; from kedro.framework.startup import bootstrap_project; "
        "bootstrap_project(Path.cwd()); from kedro.framework.project import pipelines; "
        "import json; nodes = pipelines['__default__'].nodes; "
        "print('NODES=' + json.dumps([n.name for n in nodes]))"
    )
    result = subprocess.run([str(venv / "bin" / "python"), "-c", script], cwd=project,
                            capture_output=True, text=True, check=True)  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("NODES="))
    return set(json.loads(line.removeprefix("NODES=")))


def flow_run_id(output: str) -> str:
    found = re.findall(r"/runs/flow-run/([0-9a-f-]{36})", output)
    assert found, output[-3000:]
    return found[-1]


def node_states(api_url: str, run_id: str) -> dict[str, str]:
    """Each node's latest task run state (states reach the database through events:
    wait until none is still Pending/Running, up to a minute)."""
    import time

    deadline = time.monotonic() + 60
    while True:
        runs = api(api_url, "task_runs/filter", {
            "flow_runs": {"id": {"any_": [run_id]}}, "limit": 200,
        })  # fmt: skip
        latest: dict[str, str] = {}
        for run in sorted(runs, key=lambda r: r["created"]):
            latest[run["name"]] = (run["state"] or {}).get("name", "Pending")
        settled = latest and not {"Pending", "Running", "Scheduled"} & set(latest.values())
        if settled or time.monotonic() > deadline:
            return latest
        time.sleep(0.5)


def test_the_starter_runs_as_kedro_run_does_caches_and_resumes(
    starter_venv: Path, starter: Path, prefect_api: str, tmp_path: Path
) -> None:
    native = tmp_path / "native"
    shutil.copytree(STARTER, native)
    reference = kedro(starter_venv, native, prefect_api, "run")
    assert reference.returncode == 0, reference.stderr[-3000:]

    # 1. one task run per node, named after it; outputs equal kedro run's
    first = kedro(starter_venv, starter, prefect_api, "prefect", "run")
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    states = node_states(prefect_api, flow_run_id(first.stdout))
    nodes = kedro_node_names(starter_venv, starter)
    assert len(nodes) == 9 and "split_data_node" in nodes
    assert set(states) == nodes and set(states.values()) == {"Completed"}, states
    for relative in COMPARED:
        assert _content(starter / relative) == _content(native / relative), relative
    pd.testing.assert_frame_equal(
        pd.read_parquet(starter / "data/03_primary/model_input_table.parquet"),
        pd.read_parquet(native / "data/03_primary/model_input_table.parquet"),
    )

    # 2. the second run: every node with persisted outputs is Cached
    plan = kedro(starter_venv, starter, prefect_api, "prefect", "plan", "--json")
    assert plan.returncode == 0, plan.stderr[-3000:]
    waves = json.loads(_json_part(plan.stdout))["waves"]
    predicted = {node["node"]: node["cache"] for wave in waves for node in wave}
    second = kedro(starter_venv, starter, prefect_api, "prefect", "run")
    assert second.returncode == 0, second.stderr[-3000:]
    states = node_states(prefect_api, flow_run_id(second.stdout))
    persisted = {n for n, p in predicted.items() if p != "excluded"}
    assert {n: states[n] for n in persisted} == dict.fromkeys(persisted, "Cached"), states
    assert {n for n, p in predicted.items() if p == "hit"} == persisted

    # 3. a parameter change re-runs only the nodes that depend on it
    changed = kedro(starter_venv, starter, prefect_api, "prefect", "run",
                    "--params", "model_options.test_size=0.3")  # fmt: skip
    assert changed.returncode == 0, changed.stderr[-3000:]
    states = node_states(prefect_api, flow_run_id(changed.stdout))
    for upstream in ("preprocess_companies_node", "preprocess_shuttles_node",
                     "create_model_input_table_node"):  # fmt: skip
        assert states[upstream] == "Cached", states
    assert states["split_data_node"] == states["train_model_node"] == "Completed", states

    # 4. a failing node (new reviews without the column it joins on), then the data
    # fixed and the flow run retried: it resumes at the failed node
    reviews = starter / "data" / "01_raw" / "reviews.csv"
    header, *rows = reviews.read_text().splitlines()
    reviews.write_text("\n".join([header.replace("shuttle_id", "shuttle"), *rows[:-1]]) + "\n")
    failed = kedro(starter_venv, starter, prefect_api, "prefect", "run")
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "create_model_input_table_node" in failed.stdout  # the failure names the node
    run_id = flow_run_id(failed.stdout)
    first_attempt = node_states(prefect_api, run_id)
    assert first_attempt["create_model_input_table_node"] == "Failed", first_attempt
    reviews.write_text("\n".join([header, *rows[:-1]]) + "\n")  # one review fewer than before
    retry = subprocess.run(
        [str(starter_venv / "bin" / "prefect"), "flow-run", "retry", run_id,
         "--entrypoint", "kedro_prefect.flow:kedro_flow"],
        cwd=starter, env={**os.environ, "PREFECT_API_URL": prefect_api},
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert retry.returncode == 0, (retry.stdout + retry.stderr)[-4000:]
    states = node_states(prefect_api, run_id)
    assert states["preprocess_companies_node"] == states["preprocess_shuttles_node"] == "Cached"
    assert states["create_model_input_table_node"] == "Completed", states


def _content(path: Path) -> bytes:
    """A file's bytes; for a versioned dataset (a folder of versions), its newest version's."""
    if path.is_dir():
        path = sorted(p for p in path.rglob("*") if p.is_file())[-1]
    return path.read_bytes()


def _json_part(output: str) -> str:
    """The plan's JSON (Kedro may log a line or two before it)."""
    return output[output.index("{") :]
