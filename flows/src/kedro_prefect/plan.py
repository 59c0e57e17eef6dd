"""The dry-run plan: what a run will do, node by node, before it does it.

Built from the filtered Kedro pipeline and the catalog, the plan fixes each
node's wave (topological layer), Prefect settings, infra class, cache policy
and cache prediction (hit, miss or excluded), and the task runner. The runner
executes exactly this plan; ``kedro prefect plan`` prints it; every flow run
attaches it as an artifact. It is also where misconfiguration fails early:
unknown infra classes, resource requests that the execution mode cannot
satisfy, and in-memory datasets that would have to cross a process or machine
boundary (see execution.py, task_runners.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kedro.io import MemoryDataset
from kedro.pipeline import Node, Pipeline

from kedro_prefect.cache import (
    KedroNodeCachePolicy,
    KeyRecipe,
    KnownKeys,
    StateFolder,
    code_fingerprint,
    stable_hash,
)
from kedro_prefect.config import OrchestrationConfig, ResolvedSettings
from kedro_prefect.execution import ExecutionTarget, Placement, limits_of, place, resource_problem
from kedro_prefect.fingerprint import (
    FingerprintMemo,
    dataset_id,
    dataset_locations,
    describes_itself,
    pinned_versions,
)
from kedro_prefect.free_inputs import (
    missing_free_inputs,
    missing_inputs_message,
    registered_pipelines,
)
from kedro_prefect.task_runners import TaskRunnerChoice

CachePrediction = Literal["hit", "miss", "excluded"]


class PlanError(ValueError):
    """The pipeline cannot run as configured; the message says which node or dataset."""


@dataclass(frozen=True)
class PlannedNode:
    node: Node
    wave: int
    settings: ResolvedSettings
    upstream: tuple[str, ...]
    # (dataset, absolute location) of the persisted datasets it reads and writes.
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    cache_policy: KedroNodeCachePolicy | None
    prediction: CachePrediction
    refresh: bool
    note: str = ""  # why a node is excluded from caching
    placement: Placement = field(default_factory=lambda: Placement("local"))

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(frozen=True)
class Plan:
    pipeline_name: str
    waves: tuple[tuple[PlannedNode, ...], ...]
    infra: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: str = "local"
    # Prefect global concurrency limits (name → slots) the run's local nodes take.
    limits: dict[str, int] = field(default_factory=dict)
    task_runner: TaskRunnerChoice = field(default_factory=TaskRunnerChoice)
    # Why the run cannot start (free inputs that do not exist), or "" (free_inputs.py).
    # A dry run still shows the plan; a run refuses it (check_runnable) before any node.
    cannot_start: str = ""

    def check_runnable(self) -> Plan:
        """This plan, if a run can start on it; else PlanError with the reason."""
        if self.cannot_start:
            raise PlanError(self.cannot_start)
        return self

    @property
    def nodes(self) -> list[PlannedNode]:
        return [planned for wave in self.waves for planned in wave]

    def __getitem__(self, name: str) -> PlannedNode:
        for planned in self.nodes:
            if planned.name == name:
                return planned
        raise KeyError(name)

    @property
    def predictions(self) -> dict[str, CachePrediction]:
        return {p.name: p.prediction for p in self.nodes}

    @property
    def execution(self) -> str:
        """The execution mode, and the task runner where nodes run on this machine."""
        if self.mode == "ray":
            return self.mode
        return f"{self.mode}, task runner {self.task_runner.describe()}"

    def summary(self) -> str:
        counts = {k: list(self.predictions.values()).count(k) for k in ("hit", "miss", "excluded")}
        return (
            f"{len(self.nodes)} node(s) in {len(self.waves)} wave(s); cache: "
            f"{counts['hit']} hit, {counts['miss']} miss, {counts['excluded']} excluded"
        )

    def to_text(self) -> str:
        lines = [
            f"Plan for pipeline {self.pipeline_name!r}: {self.summary()}; "
            f"execution: {self.execution}"
        ]
        if self.cannot_start:
            lines.append(f"  CANNOT START: {self.cannot_start}")
        for number, wave in enumerate(self.waves, start=1):
            lines.append(f"  wave {number}:")
            for p in wave:
                refresh = ", refresh" if p.refresh else ""
                unsafe = not p.settings.thread_safe and self.task_runner.kind == "threads"
                marks = (p.note, p.placement.note, "not thread-safe: never beside another" * unsafe)
                notes = "; ".join(filter(None, marks))
                lines.append(
                    f"    - {p.name}  [cache: {p.prediction}{refresh}] retries={p.settings.retries}"
                    f" infra={p.settings.infra or '-'} → {p.placement.describe()}"
                    + (f"  ({notes})" if notes else "")
                )
        return "\n".join(lines)

    def to_markdown(self) -> str:
        rows = [
            f"| {n} | `{p.name}` | {p.prediction}{' (refresh)' if p.refresh else ''}"
            f"{f' ({p.note})' if p.note else ''} | "
            f"{p.settings.retries} | {p.settings.infra or '-'} | {p.placement.describe()} | "
            f"{', '.join(sorted(p.node.tags)) or '-'} |"
            for n, wave in enumerate(self.waves, start=1)
            for p in wave
        ]
        return "\n".join(
            [
                f"# Plan: `{self.pipeline_name}`",
                "",
                f"{self.summary()}; execution: {self.execution}",
                "",
                "| wave | node | cache | retries | infra | runs on | tags |",
                "|---|---|---|---|---|---|---|",
                *rows,
            ]
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "pipeline": self.pipeline_name,
                "execution": self.mode,
                "task_runner": {"kind": self.task_runner.kind,
                                "max_workers": self.task_runner.workers},
                "limits": self.limits,
                "cannot_start": self.cannot_start or None,
                "waves": [
                    [
                        {"node": p.name, "cache": p.prediction, "retries": p.settings.retries,
                         "infra": p.settings.infra, "refresh": p.refresh, "note": p.note,
                         "thread_safe": p.settings.thread_safe,
                         "runs_on": p.placement.where, "resources": p.placement.resources,
                         "limits": list(p.placement.limits)}
                        for p in wave
                    ]
                    for wave in self.waves
                ],
            },
            indent=2,
        )  # fmt: skip


def build_plan(
    pipeline: Pipeline,
    catalog: Any,
    config: OrchestrationConfig,
    *,
    pipeline_name: str = "__default__",
    refresh: bool | Iterable[str] = False,
    state_dir: Path,
    target: ExecutionTarget | None = None,
    task_runner: TaskRunnerChoice | None = None,
) -> Plan:
    """Plan ``pipeline`` (already filtered as Kedro filters it).

    Predictions assume that upstream nodes which re-run reproduce the content
    they wrote before (true of deterministic nodes); the run itself always
    keys on the content it actually finds.

    ``refresh`` forces re-running all (True) or the named nodes, ignoring
    their cache. ``state_dir`` keeps validity records, the fingerprint memo and
    Prefect's cache records (:class:`~kedro_prefect.cache.StateFolder`): the plan looks
    where the run's tasks will look, whatever process plans. ``target`` is
    where the run executes (default: local on this machine), ``task_runner`` what
    runs its local nodes (default: sequential).

    Datasets are matched by :func:`~kedro_prefect.fingerprint.dataset_id`:
    a node reading ``x@spark`` depends on the node writing ``x@pandas``.
    """
    target = target or ExecutionTarget()
    task_runner = task_runner or TaskRunnerChoice()
    refresh_names = _refresh_names(pipeline, refresh)
    _materialise(pipeline, catalog)
    missing = missing_free_inputs(pipeline, catalog)
    cannot_start = (
        missing_inputs_message(pipeline_name, missing, registered_pipelines()) if missing else ""
    )
    locations = dataset_locations(catalog)
    pinned = pinned_versions(catalog)
    state = StateFolder(state_dir)
    memo = FingerprintMemo(state.memo_path)
    results = state.result_store()
    producers = {dataset_id(out): n for n in pipeline.nodes for out in n.outputs}
    static_keys: dict[str, str] = {}
    recipes: dict[str, KeyRecipe] = {}
    # Producers' keys, computed once: `rebuilt` only grows by outputs of later waves.
    known_keys = KnownKeys()
    # Nodes whose content key cannot see all they depend on, with why.
    blind: dict[str, str] = {}
    rebuilt: dict[str, str] = {}  # predicted fingerprints of the outputs of re-run nodes
    waves: list[tuple[PlannedNode, ...]] = []

    for number, group in enumerate(pipeline.grouped_nodes):
        planned_wave = []
        for node in sorted(group, key=lambda n: n.name):
            settings = config.for_node(node.name, node.namespace, node.tags)
            placement = place(settings, config, target)
            problem = resource_problem(node.name, settings.infra, placement, target)
            if problem:
                raise PlanError(problem)
            made_here = {
                i: producers[dataset_id(i)] for i in node.inputs if dataset_id(i) in producers
            }
            upstream = tuple(sorted({producer.name for producer in made_here.values()}))
            versions = {i: pinned[i] for i in node.inputs if i in pinned}
            static_keys[node.name] = stable_hash(
                "kedro-node/v1",
                node.name,
                code_fingerprint(node.func),
                _parameter_values(node, catalog),
                {i: static_keys[producer.name] for i, producer in made_here.items()},
                sorted(node.outputs),
                *([versions] if versions else []),  # keys without pinned versions unchanged
            )
            inputs = _persisted(node.inputs, catalog, locations)
            outputs = _persisted(node.outputs, catalog, locations)
            # What the cache policy looks at: files, then datasets that fingerprint themselves.
            input_sources = inputs + _self_described(node.inputs, catalog, locations)
            output_sources = outputs + _self_described(node.outputs, catalog, locations)
            # Inputs without a fingerprint: their producer's content key stands for them.
            fingerprinted = {name for name, _ in input_sources}
            derived, unseen = [], []
            for name in sorted(set(node.inputs) - fingerprinted):
                producer = made_here.get(name)
                if _is_parameter(name):
                    continue  # its value is in the static key
                if producer is None or producer.name in blind:
                    unseen.append(name)
                else:
                    derived.append((name, recipes[producer.name]))
            recipes[node.name] = KeyRecipe(static_keys[node.name], input_sources, tuple(derived))
            if unseen:
                blind[node.name] = (
                    f"reads {', '.join(unseen)}, whose content nothing can fingerprint "
                    "(no file, no fingerprint() method, no cacheable producer in this run)"
                )
            policy, prediction, note = None, "excluded", ""
            unfingerprinted = sorted(set(node.outputs) - {name for name, _ in output_sources})
            in_memory = [n for n in unfingerprinted if _in_memory(catalog.get(n))]
            if not settings.cache_enabled:
                note = "cache off in prefect.yml"
            elif not node.outputs:
                # Only its side effects (a report sent, a check) are left of such a
                # node; `kedro run` has them on every run, so has the bridge.
                note = "no outputs: runs for its side effects"
            elif node.name in blind:
                # A hit could not prove that what it reads is what it read last time.
                note = blind[node.name]
            elif in_memory:
                # A cache hit cannot restore data that was never persisted.
                note = f"writes in-memory dataset(s) {', '.join(in_memory)}"
            elif unfingerprinted:
                # Persisted, but neither to a file nor able to say what it holds: a
                # hit could not prove the output still exists unchanged.
                note = (
                    f"writes {', '.join(unfingerprinted)}, which has no file to fingerprint "
                    "and no fingerprint() method"
                )
            else:
                policy = KedroNodeCachePolicy(
                    node_name=node.name,
                    static_key=static_keys[node.name],
                    inputs=input_sources,
                    outputs=output_sources,
                    records_dir=str(state.validity_dir),
                    memo_path=str(state.memo_path),
                    results_dir=str(state.results_dir),
                    derived=tuple(derived),
                )
                key = policy.content_key(memo, assume=rebuilt, known=known_keys)
                hit = (
                    node.name not in refresh_names
                    and results.exists(key)
                    and policy.is_valid(key, memo)
                )
                prediction = "hit" if hit else "miss"
            if prediction != "hit":
                # It runs; deterministic, it writes what it wrote last time under this
                # key, whatever its outputs hold now. Under a key it never ran with
                # (or uncached) what it writes is unknown: its consumers will miss.
                key = recipes[node.name].key(memo, rebuilt, known_keys)
                recorded = (policy.recorded_outputs(key) if policy else None) or {}
                for name, _ in output_sources:
                    rebuilt[dataset_id(name)] = recorded.get(name) or f"unknown:{key}"
            planned_wave.append(
                PlannedNode(
                    node=node,
                    wave=number,
                    settings=settings,
                    upstream=upstream,
                    inputs=inputs,
                    outputs=outputs,
                    cache_policy=policy,
                    prediction=prediction,  # type: ignore[arg-type]
                    refresh=node.name in refresh_names,
                    note=note,
                    placement=placement,
                )
            )
        waves.append(tuple(planned_wave))
    memo.save()
    local_classes = {
        p.settings.infra for wave in waves for p in wave
        if p.settings.infra and p.placement.where == "local"
    }  # fmt: skip
    plan = Plan(
        pipeline_name=pipeline_name,
        waves=tuple(waves),
        infra={name: infra.model_dump(exclude_none=True) for name, infra in config.infra.items()},
        mode=target.mode,
        limits=limits_of(config, target, local_classes),  # type: ignore[arg-type]
        task_runner=task_runner,
        cannot_start=cannot_start,
    )
    _check_memory_boundaries(plan, catalog)
    _check_timeouts(plan)
    return plan


def _refresh_names(pipeline: Pipeline, refresh: bool | Iterable[str]) -> set[str]:
    names = {n.name for n in pipeline.nodes}
    if refresh is True:
        return names
    if not refresh:
        return set()
    wanted = {refresh} if isinstance(refresh, str) else set(refresh)
    unknown = wanted - names
    if unknown:
        raise PlanError(f"refresh: no node named {', '.join(sorted(unknown))} in this pipeline")
    return wanted


def _materialise(pipeline: Pipeline, catalog: Any) -> None:
    """Resolve every dataset of the pipeline in the catalog, as ``kedro run`` does
    before running (AbstractRunner.run): dataset factory patterns become datasets
    with their locations, undeclared names MemoryDatasets. Without it a plan made
    outside a run would not know where a ``{name}_data`` dataset lives."""
    for name in pipeline.datasets():
        catalog.get(name, fallback_to_runtime_pattern=True)


def _is_parameter(name: str) -> bool:
    return name == "parameters" or name.startswith("params:")


def _parameter_values(node: Node, catalog: Any) -> dict[str, Any]:
    return {name: catalog.load(name) for name in node.inputs if _is_parameter(name)}


def _in_memory(dataset: Any) -> bool:
    """Undeclared (None: Kedro makes a MemoryDataset at run time) or a MemoryDataset."""
    return dataset is None or isinstance(dataset, MemoryDataset)


def _persisted(
    names: Iterable[str], catalog: Any, locations: dict[str, str]
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, locations[name])
        for name in sorted(names)
        if name in locations and not isinstance(catalog.get(name), MemoryDataset)
    )


def _self_described(
    names: Iterable[str], catalog: Any, locations: dict[str, str]
) -> tuple[tuple[str, Any], ...]:
    """(name, dataset) of the datasets without a file that fingerprint themselves."""
    datasets = {name: catalog.get(name) for name in sorted(names) if name not in locations}
    return tuple((name, ds) for name, ds in datasets.items() if describes_itself(ds))


def _check_memory_boundaries(plan: Plan, catalog: Any) -> None:
    """An undeclared (in-memory) dataset only passes between nodes of one process:
    not into or out of a Ray task, nor into or out of a node delegated to a work pool,
    nor between nodes of the processes task runner."""
    producers = {dataset_id(out): p for p in plan.nodes for out in p.node.outputs}
    for consumer in plan.nodes:
        for name in consumer.node.inputs:
            producer = producers.get(dataset_id(name))
            if producer is None or not _crosses_processes(producer, consumer, plan.task_runner):
                continue
            if isinstance(catalog.get(name, fallback_to_runtime_pattern=True), MemoryDataset):
                raise PlanError(
                    f"dataset {name!r} is not declared in the catalog but passes from node "
                    f"{producer.name!r} ({_where(producer, plan.task_runner)}) to node "
                    f"{consumer.name!r} ({_where(consumer, plan.task_runner)}), another "
                    f"process: declare it in conf/base/catalog.yml on storage both can reach"
                )


def _check_timeouts(plan: Plan) -> None:
    """A ``timeout_seconds`` must be able to stop its node. Prefect interrupts a
    sync task with a signal (SIGALRM) in a process's main thread, where even a
    blocking call (a sleep, a socket read) is cut short; in a worker thread it can
    only raise once the thread runs Python again, so a node blocked in C or I/O
    overruns it silently. Local nodes run in worker threads under ``threads``,
    and under ``sequential`` when the flow run itself is not in the main thread
    (a flow called from a thread): the plan refuses those, naming the nodes.
    Under ``processes`` each node runs in a pool process's main thread, on Ray in
    a worker process; work-pool nodes are planned again by their sub-flow."""
    import threading

    runner = plan.task_runner
    threaded = runner.kind == "threads" or (
        runner.kind == "sequential" and threading.current_thread() is not threading.main_thread()
    )
    if plan.mode == "ray" or not threaded:
        return
    timed = [p.name for p in plan.nodes
             if p.settings.timeout_seconds and p.placement.where == "local"]  # fmt: skip
    if timed:
        where = ("the threads task runner" if runner.kind == "threads"
                 else "a flow run outside the main thread")  # fmt: skip
        raise PlanError(
            f"timeout_seconds cannot interrupt node(s) {', '.join(timed)} under {where}: "
            "Prefect stops a blocked node only in a process's main thread. Use the "
            "sequential or processes task runner (execution.task_runner), or drop their "
            "timeout_seconds in prefect.yml"
        )


def _crosses_processes(
    producer: PlannedNode, consumer: PlannedNode, task_runner: TaskRunnerChoice
) -> bool:
    a, b = producer.placement, consumer.placement
    return (
        a.where != b.where
        or a.where == "ray"
        or a.is_delegated
        or (a.where == "local" and task_runner.crosses_processes)
    )


def _where(planned: PlannedNode, task_runner: TaskRunnerChoice) -> str:
    placement = planned.placement
    if placement.is_delegated:
        return f"work pool {placement.pool}"
    if placement.where == "ray":
        return "a Ray task"
    if task_runner.crosses_processes:
        return "a process of the processes task runner"
    return "this flow run"
