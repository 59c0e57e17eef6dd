"""Where each node runs, and with what: the execution mode applied to one node.

One mechanism, configured (``execution.mode`` in ``prefect.yml``, or the
``execution`` flow parameter / ``--execution``):

* ``local``: every node is a task of the flow run's own task runner (threads).
  Each infra class is a Prefect global concurrency limit scoped to this
  machine, with as many slots as the machine can run nodes of that class at
  once (GPUs / num_gpus for a GPU class, CPUs / num_cpus otherwise; ``slots``
  overrides), so GPU nodes never oversubscribe the GPUs. With no GPU at all a
  GPU class still runs, on the CPU, one node at a time, and the plan says so.
* ``ray``: every node is a Ray task requesting its class's resources
  (``num_cpus``, ``num_gpus``, ``memory``); Ray places it. A request that no
  node of the cluster can satisfy fails at plan time.
* ``work_pools``: nodes whose class names a work pool other than the one this
  flow run is on run as a sub-flow deployment on that pool; the rest run here,
  as in ``local``.
"""

from __future__ import annotations

import logging
import math
import socket
from dataclasses import dataclass, field
from typing import Any

from kedro_prefect.config import EXECUTION_MODES, ExecutionMode, InfraClass, OrchestrationConfig
from kedro_prefect.config import ResolvedSettings as Settings
from kedro_prefect.resources import Capacity, local_capacity, ray_capacity, shortfall

log = logging.getLogger(__name__)

LOCAL, RAY = "local", "ray"
POOL_PREFIX = "pool:"


class ExecutionError(ValueError):
    """The execution mode cannot run the plan as configured; the message says why."""


@dataclass(frozen=True)
class ExecutionTarget:
    """Where this run executes: its mode, the work pool its flow run is on (if any),
    and the biggest machine its nodes can land on (None: unknown until connected)."""

    mode: ExecutionMode = "local"
    own_pool: str | None = None
    capacity: Capacity | None = None

    @classmethod
    def resolve(
        cls, config: OrchestrationConfig, mode: str | None = None, own_pool: str | None = None
    ) -> ExecutionTarget:
        chosen = mode or config.execution.mode
        if chosen not in EXECUTION_MODES:
            raise ExecutionError(
                f"execution mode {chosen!r} is not one of {', '.join(EXECUTION_MODES)}"
            )
        if chosen == "ray":
            ray = config.execution.ray
            return cls("ray", own_pool, ray_capacity(ray.address, ray.init))
        return cls(chosen, own_pool, local_capacity())  # type: ignore[arg-type]


@dataclass(frozen=True)
class Placement:
    """Where one node runs and what it is given there."""

    where: str  # "local", "ray" or "pool:<work pool>"
    resources: dict[str, Any] = field(default_factory=dict)  # the class's request
    limits: tuple[str, ...] = ()  # Prefect global concurrency limits it takes a slot of
    note: str = ""

    @property
    def pool(self) -> str | None:
        return self.where.removeprefix(POOL_PREFIX) if self.is_delegated else None

    @property
    def is_delegated(self) -> bool:
        return self.where.startswith(POOL_PREFIX)

    def describe(self) -> str:
        request = ", ".join(f"{k}={v:g}" for k, v in self.resources.items())
        return f"{self.where}" + (f" ({request})" if request else "")


def infra_limit_name(infra_class: str) -> str:
    """The global concurrency limit of a class on this machine. Scoped by host name:
    slots count this machine's GPUs/CPUs, which another machine does not share."""
    return f"kedro-infra-{infra_class}@{socket.gethostname()}"


def limit_slots(infra: InfraClass, capacity: Capacity) -> int:
    if infra.slots:
        return infra.slots
    if infra.num_gpus:
        return max(1, math.floor(capacity.gpus / infra.num_gpus))
    if infra.num_cpus:
        return max(1, math.floor(capacity.cpus / infra.num_cpus))
    return max(1, math.floor(capacity.cpus))


def place(settings: Settings, config: OrchestrationConfig, target: ExecutionTarget) -> Placement:
    """The placement of one node with these resolved settings."""
    explicit = (settings.concurrency_key,) if settings.concurrency_key else ()
    name = settings.infra
    infra = config.infra[name] if name else InfraClass()
    resources = infra.model_dump(include={"num_cpus", "num_gpus", "memory"}, exclude_none=True)
    if target.mode == "work_pools" and infra.work_pool and infra.work_pool != target.own_pool:
        return Placement(f"{POOL_PREFIX}{infra.work_pool}", resources, explicit)
    if target.mode == "ray":
        return Placement(RAY, resources, explicit)
    if name is None:
        return Placement(LOCAL, resources, explicit)
    note = ""
    capacity = target.capacity or local_capacity()
    if infra.num_gpus and capacity.gpus < infra.num_gpus:
        note = f"no GPU on {capacity.where}: class {name!r} runs on the CPU, one node at a time"
    return Placement(LOCAL, resources, (*explicit, infra_limit_name(name)), note)


def resource_problem(node: str, infra_class: str | None, placement: Placement,
                     target: ExecutionTarget) -> str | None:  # fmt: skip
    """Ray schedules a task only where its request fits; one that fits nowhere would
    wait forever, so the plan fails instead, with this message naming node and class."""
    if placement.where != RAY or target.capacity is None:
        return None
    problem = shortfall(placement.resources, target.capacity)
    if problem is None:
        return None
    return (
        f"node {node!r} (infra class {infra_class!r}) cannot run on Ray: {problem}. "
        f"Point execution.ray.address at a cluster that has it, declare it for a local "
        f"Ray (execution.ray.init, e.g. num_gpus), or change the class in prefect.yml"
    )


def limits_of(config: OrchestrationConfig, target: ExecutionTarget,
              classes: set[str]) -> dict[str, int]:  # fmt: skip
    """Global concurrency limits (name → slots) the local nodes of these classes take."""
    capacity = target.capacity or local_capacity()
    return {infra_limit_name(c): limit_slots(config.infra[c], capacity) for c in sorted(classes)}
