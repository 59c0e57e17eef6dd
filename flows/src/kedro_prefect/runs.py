"""A run's registry entry: what node tasks need of their run, and how to find it.

The live Kedro objects (catalog, hook manager) cannot be task parameters: they
are neither hashable nor serialisable. A run registers them under its run key
in :data:`RUNS` and tasks receive only a :class:`RunRef` and the node name.
A task that lands in another process (a Ray worker, a process pool) finds no
registered run there and re-opens the run's Kedro session from the ref's
:class:`RunSpec` (worker.py); data then passes through persisted catalog
datasets. A module of its own so that the task body (node_task.py) and the
re-opening (worker.py) both depend on it, not on each other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from kedro.pipeline import Node

from kedro_prefect.cache import NodeCache
from kedro_prefect.config import DatasetArtifact
from kedro_prefect.plan import PlannedGroup, PlannedNode


@dataclass(frozen=True)
class NodeJob:
    """What a node task needs of the plan, as plain data that pickles anywhere."""

    limits: tuple[str, ...] = ()  # Prefect global concurrency limits to take a slot of
    cache: NodeCache | None = None
    thread_safe: bool = True  # False: never overlaps another such node (task_runners.py)

    @classmethod
    def of(cls, planned: PlannedNode) -> NodeJob:
        return cls(planned.placement.limits, planned.cache, planned.settings.thread_safe)


@dataclass(frozen=True)
class GroupJob:
    """What a group task needs of the plan (grouping.py): its nodes in the order it
    runs them, and the group's limits, cache and thread safety."""

    nodes: tuple[str, ...]
    limits: tuple[str, ...] = ()
    cache: NodeCache | None = None
    thread_safe: bool = True

    @classmethod
    def of(cls, planned: PlannedGroup) -> GroupJob:
        return cls(
            planned.nodes,
            planned.placement.limits,
            planned.cache,
            planned.settings.thread_safe,
        )


@dataclass
class RunSpec:
    """How to open the run's Kedro session again, in a process that has none."""

    project_path: str
    pipeline: str
    env: str | None
    params: dict[str, Any] | None
    conf_source: str | None
    run_id: str | None
    jobs: dict[str, NodeJob]
    loggers: list[str] = field(default_factory=list)  # whose records go to the task run
    groups: dict[str, GroupJob] = field(default_factory=dict)
    load_versions: dict[str, str] | None = None  # `kedro run --load-versions`
    # Variables every process of the run needs (the run's tracking run: tracking.py).
    environment: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, DatasetArtifact] = field(default_factory=dict)  # prefect.yml's


@dataclass
class RunRef:
    """A node task's handle on its run: the key of the run registered in this
    process, and the spec to re-open it where it is not registered."""

    key: str
    spec: RunSpec | None = None


@dataclass
class RunContext:
    """Everything a node task needs from the Kedro session of its run."""

    catalog: Any
    hook_manager: Any
    run_id: str | None
    nodes: dict[str, Node]
    jobs: dict[str, NodeJob]
    groups: dict[str, GroupJob] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


RUNS: dict[str, RunContext] = {}
