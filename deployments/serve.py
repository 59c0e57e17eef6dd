"""Serve the deployments of prefect.yaml from this process: no work pool, no worker.

For a laptop or a single VM: ``python -m deployments.serve`` registers every
deployment of prefect.yaml (same names, parameters, schedules, concurrency
limits and triggers) and runs their flow runs here, as subprocesses, until
Ctrl-C. prefect.yaml stays the one definition; only ``work_pool`` and the
pull steps do not apply (flows run from this checkout).

    PREFECT_API_URL=http://127.0.0.1:4200/api uv run python -m deployments.serve
    PREFECT_API_URL=... uv run python -m deployments.serve nightly-scraping training
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PREFECT_YAML = REPO / "prefect.yaml"


def declared(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The deployments of prefect.yaml (YAML anchors and merge keys resolved)."""
    return yaml.safe_load(path.read_text())["deployments"]


def runner_deployment(spec: dict[str, Any]) -> Any:
    """One prefect.yaml deployment as a served deployment of its entrypoint flow."""
    from prefect.events import DeploymentTriggerTypes
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron
    from pydantic import TypeAdapter

    for schedule in spec.get("schedules") or []:
        if "cron" not in schedule:
            raise ValueError(f"{spec['name']}: only cron schedules are served here: {schedule}")
    from prefect.deployments.runner import EntrypointType

    flow = load_flow_from_entrypoint(spec["entrypoint"])  # a module path: kedro_prefect.flow:…
    return flow.to_deployment(
        entrypoint_type=EntrypointType.MODULE_PATH,  # the installed plugin, not a file path
        name=spec["name"],
        description=spec.get("description"),
        tags=spec.get("tags"),
        parameters=spec.get("parameters"),
        schedules=[
            Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
            for s in spec.get("schedules") or []
        ],
        concurrency_limit=spec.get("concurrency_limit"),
        triggers=[
            TypeAdapter(DeploymentTriggerTypes).validate_python(t)
            for t in spec.get("triggers") or []
        ],
    )


def build(names: Sequence[str] = ()) -> list[Any]:
    specs = declared()
    unknown = set(names) - {spec["name"] for spec in specs}
    if unknown:
        known = ", ".join(spec["name"] for spec in specs)
        raise ValueError(f"not in prefect.yaml: {', '.join(sorted(unknown))} (declared: {known})")
    return [runner_deployment(spec) for spec in specs if not names or spec["name"] in names]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", help="deployments to serve (default: all)")
    args = parser.parse_args(argv)
    from prefect import serve

    os.chdir(REPO)  # project_path in the parameters is relative to the repository
    serve(*build(args.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
