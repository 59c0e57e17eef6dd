"""Create (or update) the work pools the deployments run on, from templates.

One pool per infra class of ``kedro_project/conf/base/prefect.yml`` (``cpu``,
``gpu``), of one kind for all:

- ``process`` (default): flow runs are subprocesses of a worker next to a
  checkout (``make up``) or inside an image (infra/compose.yaml). Prefect's own
  process template; the worker's environment says where the code is
  (``FORECAST_KEIBA_HOME``, see prefect.yaml's pull step).
- ``kubernetes``: one Kubernetes Job per flow run, from ``infra/k8s/<class>.json``
  (image, namespace, data volume, resources; gpu requests ``nvidia.com/gpu``).
  The server stores and validates the template; only the worker, on the
  cluster, needs the ``prefect-kubernetes`` package.

    python -m deployments.pools                      # cpu and gpu, process pools
    python -m deployments.pools --kind kubernetes    # the same pools as Kubernetes Jobs

Pools are created through the API rather than ``prefect work-pool create``: the
CLI looks pool types up in Prefect's collection registry on GitHub first, and
nothing here may reach out to the internet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from kedro_prefect.config import CrashDetection

REPO = Path(__file__).resolve().parents[1]
ORCHESTRATION_CONFIG = REPO / "kedro_project" / "conf" / "base" / "prefect.yml"
K8S_TEMPLATES = REPO / "infra" / "k8s"
KINDS = ("process", "kubernetes")


def infra_classes(config: Path = ORCHESTRATION_CONFIG) -> list[str]:
    """The infra classes declared in prefect.yml: one work pool each, same name."""
    return list((yaml.safe_load(config.read_text()) or {}).get("infra", {}))


def crash_detection(config: Path = ORCHESTRATION_CONFIG) -> CrashDetection:
    """prefect.yml's ``crash_detection``: the heartbeat the pools' flow runs send and
    the silence after which deployments/crash_detection.py marks a run Crashed."""
    from kedro_prefect.config import OrchestrationConfig

    raw = yaml.safe_load(config.read_text()) or {}
    return OrchestrationConfig.from_mapping(raw).crash_detection


def template(kind: str, infra: str) -> dict[str, Any]:
    """The base job template of the ``infra`` pool of this kind. Every flow run it
    starts sends heartbeats: without them a run whose machine died stays Running
    (deployments/crash_detection.py)."""
    if kind == "process":
        from prefect.workers.process import ProcessWorker

        base = ProcessWorker.get_default_base_job_template()
    elif kind == "kubernetes":
        path = K8S_TEMPLATES / f"{infra}.json"
        if not path.is_file():
            raise FileNotFoundError(f"no Kubernetes job template for infra class {infra!r}: {path}")
        base = json.loads(path.read_text())
    else:
        raise ValueError(f"unknown work pool kind {kind!r}; one of {', '.join(KINDS)}")
    env = base["variables"]["properties"]["env"]
    env["default"] = {
        **env.get("default", {}),
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(crash_detection().heartbeat_seconds),
    }
    return base


async def ensure_pools(kind: str, infras: Sequence[str], prefix: str = "") -> list[str]:
    """Create the pool of each infra class (named ``prefix + class``), or update its
    template when it exists (same kind only)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    report = []
    async with get_client() as client:
        for infra in infras:
            name = prefix + infra
            base_job_template = template(kind, infra)
            try:
                existing = await client.read_work_pool(name)
            except ObjectNotFound:
                await client.create_work_pool(
                    WorkPoolCreate(name=name, type=kind, base_job_template=base_job_template)
                )
                report.append(f"created work pool {name!r} ({kind})")
                continue
            if existing.type != kind:
                raise ValueError(
                    f"work pool {name!r} exists as a {existing.type!r} pool, not {kind!r}: "
                    f"delete it first (prefect work-pool delete {name})"
                )
            await client.update_work_pool(name, WorkPoolUpdate(base_job_template=base_job_template))
            report.append(f"updated work pool {name!r} ({kind})")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.pools",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kind", choices=KINDS, default="process")
    parser.add_argument(
        "infras", nargs="*", help="infra classes (default: every one of prefect.yml)"
    )
    parser.add_argument(
        "--prefix", default="", help="pool name prefix, to keep two kinds on one server"
    )
    args = parser.parse_args(argv)
    for line in asyncio.run(ensure_pools(args.kind, args.infras or infra_classes(), args.prefix)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
