"""Per-node orchestration settings, read from the Kedro project's ``prefect.yml``.

The file lives in ``conf/<env>/`` like any Kedro config, so ``conf/local`` or
``--env`` override it. Settings resolve from the general to the specific:
``default`` < ``namespaces.<ns>`` < ``tags.<tag>`` (in file order) <
``nodes.<node name>``, key by key. Infra classes are declared once under
``infra`` and referred to by name. Every block is validated on load and an
unknown or mistyped key fails with its full path, before anything runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

CONFIG_KEY = "prefect"
CONFIG_PATTERNS = ["prefect*", "prefect*/**", "**/prefect*"]


class OrchestrationConfigError(ValueError):
    """``prefect.yml`` is invalid; the message names the offending key."""


class ExponentialBackoff(BaseModel):
    """Delays of ``factor * 2**n`` seconds for retry n (Prefect's exponential_backoff)."""

    model_config = ConfigDict(extra="forbid")
    backoff_factor: float = Field(gt=0)


class CacheSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    expiration_seconds: float | None = Field(default=None, gt=0)


class NodeSettings(BaseModel):
    """Settings for one node; ``None`` fields mean "inherit"."""

    model_config = ConfigDict(extra="forbid")
    retries: int | None = Field(default=None, ge=0)
    retry_delay_seconds: float | list[float] | ExponentialBackoff | None = None
    retry_jitter_factor: float | None = Field(default=None, ge=0)
    timeout_seconds: float | None = Field(default=None, gt=0)
    cache: bool | CacheSettings | None = None
    infra: str | None = None
    concurrency_key: str | None = None
    thread_safe: bool | None = Field(
        default=None,
        description="false: under the threads task runner the node never runs at the same "
        "time as another node marked so (plotting libraries, global state); default true",
    )

    @field_validator("cache", mode="after")
    @classmethod
    def _normalise_cache(cls, value: bool | CacheSettings | None) -> CacheSettings | None:
        return CacheSettings(enabled=value) if isinstance(value, bool) else value


class InfraClass(BaseModel):
    """Resources a class of nodes needs, and optionally the work pool that has them."""

    model_config = ConfigDict(extra="forbid")
    num_cpus: float | None = Field(default=None, gt=0)
    num_gpus: float | None = Field(default=None, ge=0)
    memory: int | None = Field(default=None, gt=0, description="bytes")
    work_pool: str | None = None
    deployment: str | None = Field(
        default=None,
        description="work_pools mode: the '<flow>/<deployment>' that runs this class's nodes "
        "on its pool (default: kedro/<work_pool>, see work_pools.py)",
    )
    slots: int | None = Field(
        default=None,
        gt=0,
        description="local mode: how many nodes of this class may run at once on one machine "
        "(default: from the machine's GPUs or CPUs and the class's request)",
    )


ExecutionMode = Literal["local", "ray", "work_pools"]
TaskRunnerKind = Literal["sequential", "threads", "processes"]
TASK_RUNNERS: tuple[TaskRunnerKind, ...] = ("sequential", "threads", "processes")
EXECUTION_MODES: tuple[ExecutionMode, ...] = ("local", "ray", "work_pools")


class RaySettings(BaseModel):
    """Where the Ray cluster is: ``address`` (``ray://head:10001``, ``auto``) or, when
    unset, ``$RAY_ADDRESS`` or a local Ray started for the run with ``init`` (extra
    ``ray.init`` arguments, e.g. ``num_gpus`` or ``object_store_memory``)."""

    model_config = ConfigDict(extra="forbid")
    address: str | None = None
    init: dict[str, Any] = {}


class ExecutionSettings(BaseModel):
    """How nodes are executed: ``local`` (on the flow run's machine, with the
    ``task_runner`` chosen here, a Prefect global concurrency limit per infra
    class), ``ray`` (one Ray task per node with its class's resources) or
    ``work_pools`` (nodes whose class names another work pool run as a sub-flow
    deployment on that pool)."""

    model_config = ConfigDict(extra="forbid")
    mode: ExecutionMode = "local"
    ray: RaySettings = RaySettings()
    poll_interval_seconds: float = Field(
        default=5, gt=0, description="work_pools mode: how often a sub-flow's state is polled"
    )
    task_runner: TaskRunnerKind = Field(
        default="sequential",
        description="how the nodes run on this machine (local mode, and the local part of "
        "work_pools mode): sequential (one at a time in the flow run's thread, as kedro "
        "run), threads (independent nodes at once, at most max_workers) or processes "
        "(a process pool; no in-memory dataset may pass between nodes). See "
        "kedro_prefect.task_runners for why sequential is the default",
    )
    max_workers: int | None = Field(
        default=None,
        gt=0,
        description="threads/processes: how many nodes at once at most (default: "
        "min(32, CPUs + 4) threads, as Python's and Kedro's thread pools; one process per CPU)",
    )


GroupBy = Literal["none", "namespace", "tag"]
GROUP_BY: tuple[GroupBy, ...] = ("none", "namespace", "tag")


class GroupSpec(BaseModel):
    """An explicit group: these nodes run as one task (see :class:`GroupingSettings`)."""

    model_config = ConfigDict(extra="forbid")
    nodes: list[str] = Field(min_length=1, description="node names (full, namespace included)")


class GroupingSettings(BaseModel):
    """Which nodes run together as one Prefect task: one retry and cache unit whose
    in-memory datasets stay in its process (plan.py, grouping.py).

    ``groups`` are explicit groups by name; then ``by`` groups the remaining nodes:
    ``namespace`` one group per outermost namespace (nodes without one stay alone),
    ``tag`` one group per tag listed in ``tags`` (a node with several: the first
    listed). A node in no group is its own task, as without grouping."""

    model_config = ConfigDict(extra="forbid")
    by: GroupBy = "none"
    tags: list[str] = Field(
        default_factory=list, description="by: tag: the tags that make groups, in priority order"
    )
    groups: dict[str, GroupSpec] = {}

    @model_validator(mode="after")
    def _consistent(self) -> GroupingSettings:
        if self.by == "tag" and not self.tags:
            raise ValueError("by: tag needs the tags that make groups under 'tags'")
        owner: dict[str, str] = {}
        for name, group in self.groups.items():
            for node in group.nodes:
                if node in owner:
                    raise ValueError(
                        f"node {node!r} is in two groups: {owner[node]!r} and {name!r}"
                    )
                owner[node] = name
        return self


class DatasetArtifact(BaseModel):
    """A dataset that the task run saving it also publishes as a Prefect artifact
    (dataset_artifacts.py), so that the UI shows what a run produced: a forecast,
    a report. ``table``: a DataFrame (or a list of records) as a table artifact;
    ``markdown``: a string as it is; ``text``: a string kept verbatim (a fixed-width
    report) in a code block."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["table", "markdown", "text"] = "table"
    description: str | None = Field(default=None, description="shown beside the artifact")
    columns: list[str] | None = Field(
        default=None, description="table: these columns, in this order (default: all)"
    )
    max_rows: int = Field(default=500, ge=1, description="table: the first rows only")
    float_digits: int | None = Field(
        default=None, ge=0, description="table: round floats to this many digits"
    )


class CrashDetection(BaseModel):
    """How the Prefect server tells a dead deployment run from a slow one.

    A flow run whose process dies with its machine (SIGKILL, OOM kill, power loss)
    cannot report its own end: it stays Running forever and holds its deployment's
    concurrency slot. Runs started by a worker send a heartbeat every
    ``heartbeat_seconds`` (Prefect's minimum is 30); the server's automation
    (deployments/crash_detection.py) marks a Running run Crashed when none arrived for
    ``crashed_after_seconds``, which makes it retryable (UI Retry, ``prefect flow-run
    retry``)."""

    model_config = ConfigDict(extra="forbid")
    heartbeat_seconds: int = Field(default=30, ge=30)
    crashed_after_seconds: int = Field(default=90, gt=0)

    @model_validator(mode="after")
    def _misses_a_few_beats(self) -> CrashDetection:
        if self.crashed_after_seconds <= self.heartbeat_seconds:
            raise ValueError(
                "crashed_after_seconds must be longer than heartbeat_seconds "
                f"({self.crashed_after_seconds} <= {self.heartbeat_seconds}): a live run "
                "would be marked Crashed between two heartbeats"
            )
        return self


class OrchestrationConfig(BaseModel):
    """The whole ``prefect.yml``."""

    model_config = ConfigDict(extra="forbid")
    default: NodeSettings = NodeSettings()
    namespaces: dict[str, NodeSettings] = {}
    tags: dict[str, NodeSettings] = {}
    nodes: dict[str, NodeSettings] = {}
    infra: dict[str, InfraClass] = {}
    execution: ExecutionSettings = ExecutionSettings()
    loggers: list[str] = Field(
        default_factory=list,
        description="extra loggers whose records show under each task run (kedro's and "
        "the project package's are always included)",
    )
    console_logs: Literal["prefect", "kedro"] = Field(
        default="prefect",
        description="who prints those records on the console during a bridge run: "
        "Prefect's console handler, like the flow's own lines (cheap), or the project's "
        "logging configuration, as in `kedro run`",
    )
    state_dir: str | None = Field(
        default=None,
        description="where the cache state lives (validity records, fingerprints, Prefect's "
        "cache records); relative to the project folder. Every process that runs the "
        "project (workers of every pool, Ray workers) must see the same folder. Default: "
        "$KEDRO_PREFECT_STATE_DIR or ~/.local/state/kedro-prefect, in a folder per project",
    )
    crash_detection: CrashDetection = CrashDetection()
    grouping: GroupingSettings = GroupingSettings()
    artifacts: dict[str, DatasetArtifact] = Field(
        default_factory=dict,
        description="datasets (by catalog name) published as Prefect artifacts when saved",
    )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> OrchestrationConfig:
        try:
            config = cls.model_validate(dict(raw or {}))
        except ValidationError as exc:
            raise OrchestrationConfigError(_describe(exc)) from None
        config._check_infra_names()
        return config

    def _check_infra_names(self) -> None:
        blocks = {"default": self.default}
        for section in ("namespaces", "tags", "nodes"):
            blocks |= {f"{section}.{k}": v for k, v in getattr(self, section).items()}
        for where, block in blocks.items():
            if block.infra is not None and block.infra not in self.infra:
                known = ", ".join(sorted(self.infra)) or "none declared"
                raise OrchestrationConfigError(
                    f"prefect.yml: {where}.infra: unknown infra class {block.infra!r} "
                    f"(declared under 'infra': {known})"
                )

    def for_node(self, name: str, namespace: str | None, tags: Iterable[str]) -> ResolvedSettings:
        """The settings of one node: every matching block applied, general to specific."""
        layers = [self.default]
        if namespace:
            # "a.b.c" matches the blocks for "a", "a.b" and "a.b.c", outermost first.
            parts = namespace.split(".")
            layers += [
                self.namespaces[ns]
                for ns in (".".join(parts[: i + 1]) for i in range(len(parts)))
                if ns in self.namespaces
            ]
        node_tags = set(tags)
        layers += [block for tag, block in self.tags.items() if tag in node_tags]
        if name in self.nodes:
            layers.append(self.nodes[name])
        merged: dict[str, Any] = {}
        for layer in layers:
            merged.update(layer.model_dump(exclude_none=True, exclude_unset=True))
        cache = merged.get("cache") or {}
        return ResolvedSettings(
            retries=merged.get("retries", 0),
            retry_delay_seconds=_delays(
                merged.get("retry_delay_seconds"), merged.get("retries", 0)
            ),
            retry_jitter_factor=merged.get("retry_jitter_factor"),
            timeout_seconds=merged.get("timeout_seconds"),
            cache_enabled=cache.get("enabled", True),
            cache_expiration_seconds=cache.get("expiration_seconds"),
            infra=merged.get("infra"),
            concurrency_key=merged.get("concurrency_key"),
            thread_safe=merged.get("thread_safe", True),
        )


class ResolvedSettings(BaseModel):
    """What one node's Prefect task is configured with."""

    model_config = ConfigDict(frozen=True)
    retries: int = 0
    retry_delay_seconds: float | list[float] = 0
    retry_jitter_factor: float | None = None
    timeout_seconds: float | None = None
    cache_enabled: bool = True
    cache_expiration_seconds: float | None = None
    infra: str | None = None
    concurrency_key: str | None = None
    thread_safe: bool = True


def _delays(value: Any, retries: int) -> float | list[float]:
    if value is None:
        return 0
    if isinstance(value, Mapping):  # an ExponentialBackoff dumped to a dict
        factor = float(value["backoff_factor"])
        return [factor * 2**n for n in range(max(retries, 1))]
    return value


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
        problems.append(f"{path}: {error['msg']}")
    return "prefect.yml: " + "; ".join(problems)


class TaskRunnerError(ValueError):
    """An unknown task runner was asked for; the message lists the known ones."""


@dataclass(frozen=True)
class TaskRunnerChoice:
    """Which task runner, and how many nodes at once (``None``: the default)."""

    kind: TaskRunnerKind = "sequential"
    max_workers: int | None = None

    @classmethod
    def resolve(cls, config: OrchestrationConfig, override: str | None = None) -> TaskRunnerChoice:
        kind = override or config.execution.task_runner
        if kind not in TASK_RUNNERS:
            raise TaskRunnerError(f"task runner {kind!r} is not one of {', '.join(TASK_RUNNERS)}")
        return cls(kind, config.execution.max_workers)  # type: ignore[arg-type]

    @property
    def workers(self) -> int:
        """How many nodes may run at once."""
        if self.kind == "sequential":
            return 1
        if self.max_workers:
            return self.max_workers
        cpus = os.cpu_count() or 1
        # Threads are for nodes that wait (requests, queries): Python's own default for
        # I/O-bound pools, as Kedro's ThreadRunner; processes are for nodes that compute.
        return min(32, cpus + 4) if self.kind == "threads" else cpus

    @property
    def crosses_processes(self) -> bool:
        return self.kind == "processes"

    def describe(self) -> str:
        return self.kind if self.kind == "sequential" else f"{self.kind} (max {self.workers})"
