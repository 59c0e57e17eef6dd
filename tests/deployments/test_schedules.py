"""Schedules fire: the server's scheduler inserts the nightly's runs at 03:00 in
Tokyo, and a deployment whose schedule is due runs on a worker to Completed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from kedro_prefect.local_server import api
from tests.deployments.e2e_support import Stack, wait_for
from tests.support import REPO

TOY = REPO / "tests" / "kedro_prefect" / "toy_project"


def test_the_nightly_is_scheduled_at_three_in_the_morning_in_tokyo(stack: Stack) -> None:
    runs = stack.nightly_scheduled
    assert runs, "the scheduler inserted no run of the nightly (see the server log)"
    now = dt.datetime.now(dt.UTC)
    for run in runs:
        start = dt.datetime.fromisoformat(run["expected_start_time"])
        tokyo = start.astimezone(ZoneInfo("Asia/Tokyo"))
        assert (tokyo.hour, tokyo.minute) == (3, 0), run["expected_start_time"]
        assert start > now - dt.timedelta(minutes=1)
    days = [dt.datetime.fromisoformat(r["expected_start_time"]).date() for r in runs]
    assert len(set(days)) == len(days)  # one a night


def test_a_schedule_due_within_a_minute_runs_on_a_worker(stack: Stack, tmp_path: Path) -> None:
    project = tmp_path / "toy"
    shutil.copytree(TOY, project)
    probe = tmp_path / "prefect.yaml"
    probe.write_text(yaml.safe_dump({
        "name": "schedule-probe",
        "pull": [{"prefect.deployments.steps.set_working_directory": {
            "directory": "{{ $FORECAST_KEIBA_HOME }}"}}],
        "deployments": [{
            "name": "schedule-probe",
            "entrypoint": "kedro_prefect.flow:kedro_flow",
            "parameters": {"pipeline": "main", "project_path": str(project)},
            "schedules": [{"cron": "* * * * *", "timezone": "Asia/Tokyo"}],
            "work_pool": {"name": "cpu"},
        }],
    }))  # fmt: skip
    deployed = stack.prefect("--no-prompt", "deploy", "--all", "--prefect-file", str(probe))
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    try:

        def completed() -> list[dict]:
            return [r for r in stack.flow_runs("schedule-probe")
                    if (r["state"] or {}).get("type") == "COMPLETED"]  # fmt: skip

        done = wait_for(completed, timeout=300, every=2)
        assert done, [(r["name"], r["state"]["name"]) for r in stack.flow_runs("schedule-probe")]
        run = api(stack.api_url, f"flow_runs/{done[0]['id']}")
        assert run["auto_scheduled"] and run["work_pool_name"] == "cpu"
        assert (project / "data" / "report.json").is_file()
    finally:
        stack.pause("schedule-probe")
