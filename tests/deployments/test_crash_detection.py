"""The automation that turns runs of dead machines into Crashed runs, on a real
Prefect server: made from prefect.yml's crash_detection, idempotent, and shaped as
Prefect's zombie-run detector (a heartbeat not followed, within the window, by
another heartbeat or a final state)."""

from __future__ import annotations

import yaml

from deployments.crash_detection import AUTOMATION_NAME, ensure_crash_detection
from deployments.pools import ORCHESTRATION_CONFIG
from kedro_prefect.local_server import api


def test_the_automation_is_made_once_from_prefect_yml_and_crashes_silent_runs(
    prefect_api: str,
) -> None:
    first, second = ensure_crash_detection(), ensure_crash_detection()
    assert first.startswith(("created", "updated")) and second.startswith("updated")
    (automation,) = [a for a in api(prefect_api, "automations/filter", {})
                     if a["name"] == AUTOMATION_NAME]  # fmt: skip
    trigger = automation["trigger"]
    window = yaml.safe_load(ORCHESTRATION_CONFIG.read_text())["crash_detection"]
    assert trigger["posture"] == "Proactive"
    assert trigger["within"] == window["crashed_after_seconds"]
    assert trigger["after"] == ["prefect.flow-run.heartbeat"]
    alive_or_over = {"prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                     "prefect.flow-run.Failed", "prefect.flow-run.Crashed"}  # fmt: skip
    assert alive_or_over <= set(trigger["expect"])
    assert trigger["for_each"] == ["prefect.resource.id"]
    (action,) = automation["actions"]
    assert (action["type"], action["state"]) == ("change-flow-run-state", "CRASHED")
    assert automation["enabled"]
