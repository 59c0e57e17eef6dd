"""Two runs of the nightly-scraping deployment started together: its concurrency
limit of 1 holds the second (AwaitingConcurrencySlot) until the first is over;
the second then finds nothing new to fetch, and nothing is fetched or stored
twice. (Runs that bypass the deployment are kept apart by the data folder's
run lock: tests/pipelines/test_overlapping_runs.py.)"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from kedro_prefect.local_server import api
from tests.deployments.e2e_support import Stack, wait_for

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def test_two_nightlies_started_together_run_one_after_the_other(stack: Stack) -> None:
    world = stack.world
    parameters = stack.nightly_parameters("overlap")
    conf = parameters["conf_source"]
    deployment_id = stack.deployment("nightly-scraping")["id"]
    stack.replica.clear_log()
    ids = [
        api(stack.api_url, f"deployments/{deployment_id}/create_flow_run",
            {"parameters": parameters})["id"]
        for _ in range(2)
    ]  # fmt: skip

    def finished() -> list[dict[str, Any]] | None:
        runs = [api(stack.api_url, f"flow_runs/{run_id}") for run_id in ids]
        return runs if all((run["state"] or {}).get("type") in FINAL for run in runs) else None

    runs = wait_for(finished, timeout=900, every=2)
    assert runs, "the two nightly runs did not finish"
    assert [run["state"]["name"] for run in runs] == ["Completed", "Completed"]
    histories = [
        [state["name"] for state in api(stack.api_url, f"flow_run_states/?flow_run_id={run_id}")]
        for run_id in ids
    ]
    assert any("AwaitingConcurrencySlot" in history for history in histories), histories
    first, second = sorted(runs, key=lambda run: dt.datetime.fromisoformat(run["start_time"]))
    assert dt.datetime.fromisoformat(first["end_time"]) <= dt.datetime.fromisoformat(
        second["start_time"]
    ), "the two runs were running at the same time"

    counts = stack.replica.fetch_counts()
    assert counts and max(counts.values()) == 1, counts.most_common(3)
    data = stack.tmp / "overlap" / "data"
    index = json.loads((data / "01_raw" / "race_index.json").read_text())
    assert index["races"] == []  # written last, by the second run: nothing new to fetch
    races = pd.read_parquet(data / "02_intermediate" / "races.parquet")
    assert sorted(races["race_id"]) == sorted(world.run_race_ids())
    pages = sorted(p.stem for p in (data / "01_raw" / "result_pages").iterdir())
    assert pages == sorted(world.run_race_ids())

    def trainings_done() -> list[dict[str, Any]] | None:
        triggered = [
            run for run in stack.flow_runs("training")
            if run["parameters"].get("conf_source") == conf
        ]  # fmt: skip
        done = len(triggered) >= 2 and all(
            (r["state"] or {}).get("type") in FINAL for r in triggered
        )
        return triggered if done else None

    # every completed night triggers a training: let both finish before the stack stops
    assert wait_for(trainings_done, timeout=900, every=2)
