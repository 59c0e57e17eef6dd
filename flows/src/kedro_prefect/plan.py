"""The dry-run plan: what a run will do, node by node, before it does it.

Built from the filtered Kedro pipeline and the catalog, the plan fixes each
node's wave (topological layer), Prefect settings, infra class, cache policy
and cache prediction (hit, miss or excluded). The runner executes exactly this
plan; ``kedro prefect plan`` prints it; every flow run attaches it as an artifact.
It is also where misconfiguration fails early: unknown infra classes, resource
requests that the execution mode cannot satisfy, and in-memory datasets that
would have to cross a process or machine boundary (see execution.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kedro.io import MemoryDataset
from kedro.pipeline import Node, Pipeline

from kedro_prefect.cache import KedroNodeCachePolicy, StateFolder, code_fingerprint, stable_hash
from kedro_prefect.config import OrchestrationConfig, ResolvedSettings
from kedro_prefect.execution import ExecutionTarget, Placement, limits_of, place, resource_problem
from kedro_prefect.fingerprint import FingerprintMemo, dataset_locations, describes_itself

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

    def summary(self) -> str:
        counts = {k: list(self.predictions.values()).count(k) for k in ("hit", "miss", "excluded")}
        return (
            f"{len(self.nodes)} node(s) in {len(self.waves)} wave(s); cache: "
            f"{counts['hit']} hit, {counts['miss']} miss, {counts['excluded']} excluded"
        )

    def to_text(self) -> str:
        lines = [
            f"Plan for pipeline {self.pipeline_name!r}: {self.summary()}; execution: {self.mode}"
        ]
        for number, wave in enumerate(self.waves, start=1):
            lines.append(f"  wave {number}:")
            for p in wave:
                refresh = ", refresh" if p.refresh else ""
                notes = "; ".join(filter(None, (p.note, p.placement.note)))
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
                f"{self.summary()}; execution: {self.mode}",
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
                "limits": self.limits,
                "waves": [
                    [
                        {"node": p.name, "cache": p.prediction, "retries": p.settings.retries,
                         "infra": p.settings.infra, "refresh": p.refresh,
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
) -> Plan:
    """Plan ``pipeline`` (already filtered as Kedro filters it).

    Predictions assume that upstream nodes which re-run reproduce the content
    they wrote before (true of deterministic nodes); the run itself always
    keys on the content it actually finds.

    ``refresh`` forces re-running all (True) or the named nodes, ignoring
    their cache. ``state_dir`` keeps validity records, the fingerprint memo and
    Prefect's cache records (:class:`~kedro_prefect.cache.StateFolder`): the plan looks
    where the run's tasks will look, whatever process plans. ``target`` is
    where the run executes (default: local on this machine).
    """
    target = target or ExecutionTarget()
    refresh_names = _refresh_names(pipeline, refresh)
    locations = dataset_locations(catalog)
    state = StateFolder(state_dir)
    memo = FingerprintMemo(state.memo_path)
    results = state.result_store()
    producers = {out: n for n in pipeline.nodes for out in n.outputs}
    static_keys: dict[str, str] = {}
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
            upstream = tuple(sorted({producers[i].name for i in node.inputs if i in producers}))
            static_keys[node.name] = stable_hash(
                "kedro-node/v1",
                node.name,
                code_fingerprint(node.func),
                _parameter_values(node, catalog),
                {i: static_keys[producers[i].name] for i in node.inputs if i in producers},
                sorted(node.outputs),
            )
            inputs = _persisted(node.inputs, catalog, locations)
            outputs = _persisted(node.outputs, catalog, locations)
            # What the cache policy looks at: files, then datasets that fingerprint themselves.
            input_sources = inputs + _self_described(node.inputs, catalog, locations)
            output_sources = outputs + _self_described(node.outputs, catalog, locations)
            policy, prediction, note = None, "excluded", ""
            unfingerprinted = sorted(set(node.outputs) - {name for name, _ in output_sources})
            in_memory = [n for n in unfingerprinted if _in_memory(catalog.get(n))]
            if not settings.cache_enabled:
                note = "cache off in prefect.yml"
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
                )
                key = policy.content_key(memo, assume=rebuilt)
                hit = (
                    node.name not in refresh_names
                    and results.exists(key)
                    and policy.is_valid(key, memo)
                )
                prediction = "hit" if hit else "miss"
                if not hit:
                    # It re-runs; deterministic, it writes what it wrote last time
                    # under this key (if it ran), whatever its outputs hold now.
                    rebuilt.update(policy.recorded_outputs(key) or {})
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
    )
    _check_memory_boundaries(plan, catalog)
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


def _parameter_values(node: Node, catalog: Any) -> dict[str, Any]:
    values = {}
    for name in node.inputs:
        if name == "parameters" or name.startswith("params:"):
            values[name] = catalog.load(name)
    return values


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
    not into or out of a Ray task, nor into or out of a node delegated to a work pool."""
    producers = {out: p for p in plan.nodes for out in p.node.outputs}
    for consumer in plan.nodes:
        for name in consumer.node.inputs:
            producer = producers.get(name)
            if producer is None or not _crosses_processes(producer, consumer):
                continue
            if isinstance(catalog.get(name, fallback_to_runtime_pattern=True), MemoryDataset):
                raise PlanError(
                    f"dataset {name!r} is not declared in the catalog but passes from node "
                    f"{producer.name!r} ({_where(producer)}) to node {consumer.name!r} "
                    f"({_where(consumer)}), another process: declare it in "
                    f"conf/base/catalog.yml on storage both can reach"
                )


def _crosses_processes(producer: PlannedNode, consumer: PlannedNode) -> bool:
    a, b = producer.placement, consumer.placement
    return a.where != b.where or a.where == "ray" or a.is_delegated


def _where(planned: PlannedNode) -> str:
    placement = planned.placement
    if placement.is_delegated:
        return f"work pool {placement.pool}"
    return "a Ray task" if placement.where == "ray" else "this flow run"
