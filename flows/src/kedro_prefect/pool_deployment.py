"""The deployment a work pool needs for ``work_pools`` execution: the generic
:func:`~kedro_prefect.flow.kedro_flow` on that pool, ``kedro/<pool>``.

    python -m kedro_prefect.pool_deployment cpu gpu

A module of its own: it needs the flow, which (through the runner) needs
:mod:`kedro_prefect.work_pools`; keeping it apart keeps the imports one-way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from uuid import UUID


def deploy_node_runner(pool: str, *, name: str | None = None) -> UUID:
    """Deploy :func:`~kedro_prefect.kedro_flow` on work pool ``pool`` as ``kedro/<name or pool>``.

    The entrypoint is the module path ``kedro_prefect.flow.kedro_flow``, so a worker needs
    no code storage: only this package installed and the Kedro project at hand
    (``project_path`` passed by the parent, or ``$KEDRO_PROJECT_PATH`` on the worker).
    The pool must exist (``prefect work-pool create gpu --type process``).
    """
    from prefect.deployments.runner import EntrypointType

    from kedro_prefect.flow import kedro_flow

    deployment = kedro_flow.to_deployment(
        name=name or pool, entrypoint_type=EntrypointType.MODULE_PATH
    )
    # RunnerDeployment.apply, not prefect.deploy(): the latter's worker lookup sends
    # a null limit that Prefect 3.8.8's own server rejects (422).
    return deployment.apply(work_pool_name=pool)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kedro_prefect.pool_deployment",
        description="Deploy the generic Kedro flow on work pools, one deployment per pool "
        "(kedro/<pool>), for work_pools execution.",
    )
    parser.add_argument("pools", nargs="+")
    for pool in parser.parse_args(argv).pools:
        print(f"kedro/{pool}: {deploy_node_runner(pool)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
