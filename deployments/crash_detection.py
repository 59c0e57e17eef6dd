"""Mark deployment runs whose process died as Crashed, so that they can be retried.

A flow run killed with its machine (SIGKILL, OOM killer, power loss, an evicted
pod) never reports its end: the server keeps it Running, its deployment's
concurrency slot stays taken and neither the UI's Retry nor ``prefect flow-run
retry`` accepts it (they need a terminal state). Prefect 3's answer for a
self-hosted server is heartbeats plus an automation: every flow run a worker
starts emits ``prefect.flow-run.heartbeat`` events (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``,
set in the work pools' job templates by deployments/pools.py), and this
automation sets a run to Crashed when, after a heartbeat, neither another
heartbeat nor a final state arrives within ``crashed_after_seconds``. Both
figures are ``crash_detection`` in ``kedro_project/conf/base/prefect.yml``.

    python -m deployments.crash_detection        # create or update it (make up does)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

from deployments.pools import crash_detection

AUTOMATION_NAME = "kedro: crash zombie flow runs"
# Any of these after a heartbeat means the run is alive or over.
FINAL_OR_ALIVE = (
    "prefect.flow-run.heartbeat",
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
)


def automation(crashed_after: int):
    """The automation (Prefect's documented zombie-run detector), not yet saved."""
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=AUTOMATION_NAME,
        description="A Running flow run that stopped sending heartbeats died with its "
        "process or machine: mark it Crashed so that it can be retried "
        "(forecast-keiba deployments/crash_detection.py).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect=set(FINAL_OR_ALIVE),
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=crashed_after),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat for {crashed_after} s: the flow run's process or "
                "machine died. Retry it to resume where it stopped.",
            )
        ],
    )


def ensure_crash_detection(crashed_after: int | None = None) -> str:
    """Create the automation, or update it in place when it exists (by name)."""
    from prefect.automations import Automation

    wanted = automation(crashed_after or crash_detection().crashed_after_seconds)
    try:
        existing = Automation.read(name=AUTOMATION_NAME)
    except ValueError:  # Prefect's "not found"
        wanted.create()
        return f"created automation {AUTOMATION_NAME!r}"
    wanted.id = existing.id
    wanted.update()
    return f"updated automation {AUTOMATION_NAME!r}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.crash_detection",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    print(ensure_crash_detection())
    return 0


if __name__ == "__main__":
    sys.exit(main())
