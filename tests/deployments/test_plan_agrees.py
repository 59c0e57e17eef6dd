"""The plan a deployment run attaches is the plan an operator gets in a shell.

After the full pipeline and a training deployment run on the stack, a second
training run on the same data serves what it can from cache. Its plan artifact
lists, node by node, what it will serve from cache; ``kedro prefect plan`` in a
shell, for the same pipeline and conf, must say the same, and the run must then
do what both said.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from kedro_prefect.local_server import api
from tests.deployments.e2e_support import Stack, task_runs
from tests.support import KEDRO_PROJECT

PLAN_ROW = re.compile(r"^\| \d+ \| `(?P<node>[^`]+)` \| (?P<cache>hit|miss|excluded)\b", re.M)


def shell_plan(stack: Stack, conf_source: str) -> dict[str, str]:
    """``kedro prefect plan --pipeline training --json`` as an operator runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "prefect", "plan", "--pipeline", "training",
         "--conf-source", conf_source, "--json"],
        cwd=KEDRO_PROJECT, env=stack.env, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()  # the JSON comes last, after any log line
    plan = json.loads("\n".join(lines[lines.index("{") :]))
    return {node["node"]: node["cache"] for wave in plan["waves"] for node in wave}


def test_a_deployment_runs_plan_artifact_lists_its_cache_hits_as_the_shell_plan_does(
    stack: Stack, full_pipeline_run: str
) -> None:
    conf_source = api(stack.api_url, f"flow_runs/{full_pipeline_run}")["parameters"]["conf_source"]
    # A node's cache key covers the keys of the nodes making its inputs in the run, so the
    # full pipeline's records do not serve a training run: a first one makes its own.
    first_id, state = stack.run("training", {"conf_source": conf_source})
    assert state == "Completed", api(stack.api_url, f"flow_runs/{first_id}")["state"]
    in_shell = shell_plan(stack, conf_source)
    hits = {node for node, cache in in_shell.items() if cache == "hit"}
    assert hits, in_shell  # training ran on this data: its cache serves the next run

    flow_run_id, state = stack.run("training", {"conf_source": conf_source})
    assert state == "Completed", api(stack.api_url, f"flow_runs/{flow_run_id}")["state"]
    artifacts = api(stack.api_url, "artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]},
                      "key": {"any_": ["kedro-plan-training"]}},
        "limit": 10, "offset": 0,
    })  # fmt: skip
    assert len(artifacts) == 1, artifacts
    in_artifact = {m["node"]: m["cache"] for m in PLAN_ROW.finditer(artifacts[0]["data"])}
    assert in_artifact == in_shell

    runs = task_runs(stack, flow_run_id, expected=len(in_shell))
    cached = {r["name"] for r in runs if r["state"]["name"] == "Cached"}
    assert cached == hits
