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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from kedro.io import MemoryDataset
from kedro.pipeline import Node, Pipeline

from kedro_prefect.cache import (
    KeyRecipe,
    KnownKeys,
    NodeCache,
    StateFolder,
    code_fingerprint,
    stable_hash,
)
from kedro_prefect.config import GroupBy, OrchestrationConfig, ResolvedSettings, TaskRunnerChoice
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
from kedro_prefect.grouping import (
    GROUP_PREFIX,
    GroupingError,
    NodeGroup,
    form_groups,
    merged_settings,
    unit_order,
    upstream_nodes,
)

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
    cache: NodeCache | None
    prediction: CachePrediction
    refresh: bool
    note: str = ""  # why a node is excluded from caching
    placement: Placement = field(default_factory=lambda: Placement("local"))
    group: str | None = None  # the group whose task runs it (grouping.py); its own if None

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(frozen=True)
class PlannedGroup:
    """Nodes that run as one task (grouping.py): one retry, cache and placement unit.

    Its members' :class:`PlannedNode` carry the group's settings, placement and
    prediction, and no cache policy of their own: the group's covers them."""

    name: str
    nodes: tuple[str, ...]  # in the order the group's task runs them
    settings: ResolvedSettings  # merged from its nodes' (grouping.merged_settings)
    upstream: tuple[str, ...]  # outside nodes it waits for
    inputs: tuple[tuple[str, str], ...]  # persisted datasets it reads from outside
    outputs: tuple[tuple[str, str], ...]  # persisted datasets its nodes write
    cache: NodeCache | None
    recipe: KeyRecipe
    prediction: CachePrediction
    refresh: bool
    note: str = ""
    placement: Placement = field(default_factory=lambda: Placement("local"))

    @property
    def task_name(self) -> str:
        return f"{GROUP_PREFIX}{self.name}"


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

    groups: tuple[PlannedGroup, ...] = ()

    def group(self, name: str) -> PlannedGroup:
        for planned in self.groups:
            if planned.name == name:
                return planned
        raise KeyError(name)

    @property
    def nodes(self) -> list[PlannedNode]:
        return [planned for wave in self.waves for planned in wave]

    @property
    def node_names(self) -> set[str]:
        return {planned.name for wave in self.waves for planned in wave}

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
            + (f"; {len(self.groups)} group(s)" if self.groups else "")
        )

    def group_lines(self) -> list[str]:
        """One line per group: its task, its cache prediction as a unit, its nodes."""
        lines = []
        for g in self.groups:
            refresh = ", refresh" if g.refresh else ""
            lines.append(
                f"    - {g.task_name}  [cache: {g.prediction}{refresh}]"
                f" retries={g.settings.retries} infra={g.settings.infra or '-'}"
                f" → {g.placement.describe()}: "
                f"{', '.join(g.nodes)}" + (f"  ({g.note})" if g.note else "")
            )
        return lines

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
                if p.group:  # its cache note is the group's, on the group's line
                    marks = (f"in group:{p.group}", *marks[1:])
                notes = "; ".join(filter(None, marks))
                lines.append(
                    f"    - {p.name}  [cache: {p.prediction}{refresh}] retries={p.settings.retries}"
                    f" infra={p.settings.infra or '-'} → {p.placement.describe()}"
                    + (f"  ({notes})" if notes else "")
                )
        if self.groups:
            lines += ["  groups (one task each; cache and retries as a unit):", *self.group_lines()]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        rows = [
            f"| {n} | `{p.name}` | {p.prediction}{' (refresh)' if p.refresh else ''}"
            f"{f' ({p.note})' if p.note else ''} | "
            f"{p.settings.retries} | {p.settings.infra or '-'} | {p.placement.describe()} | "
            f"{', '.join(sorted(p.node.tags)) or '-'} | {p.group or '-'} |"
            for n, wave in enumerate(self.waves, start=1)
            for p in wave
        ]
        groups = [
            f"| `{g.task_name}` | {g.prediction}{' (refresh)' if g.refresh else ''}"
            f"{f' ({g.note})' if g.note else ''} | {g.settings.retries} | "
            f"{', '.join(f'`{n}`' for n in g.nodes)} |"
            for g in self.groups
        ]
        if groups:
            groups = ["", "## Groups", "", "| group | cache | retries | nodes |",
                      "|---|---|---|---|", *groups]  # fmt: skip
        return "\n".join(
            [
                f"# Plan: `{self.pipeline_name}`",
                "",
                f"{self.summary()}; execution: {self.execution}",
                "",
                "| wave | node | cache | retries | infra | runs on | tags | group |",
                "|---|---|---|---|---|---|---|---|",
                *rows,
                *groups,
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
                         "limits": list(p.placement.limits), "group": p.group}
                        for p in wave
                    ]
                    for wave in self.waves
                ],
                "groups": [
                    {"group": g.name, "task": g.task_name, "nodes": list(g.nodes),
                     "cache": g.prediction, "refresh": g.refresh, "note": g.note,
                     "retries": g.settings.retries, "timeout_seconds": g.settings.timeout_seconds,
                     "infra": g.settings.infra, "runs_on": g.placement.where,
                     "upstream": list(g.upstream)}
                    for g in self.groups
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
    group_by: GroupBy | None = None,
) -> Plan:
    """Plan ``pipeline`` (already filtered as Kedro filters it).

    Predictions assume that upstream nodes which re-run reproduce the content
    they wrote before (true of deterministic nodes); the run itself always
    keys on the content it actually finds.

    ``refresh`` forces re-running all (True) or the named nodes, ignoring
    their cache (a node of a group refreshes its group). ``state_dir`` keeps
    validity records, the fingerprint memo and Prefect's cache records
    (:class:`~kedro_prefect.cache.StateFolder`): the plan looks where the run's
    tasks will look, whatever process plans. ``target`` is where the run executes
    (default: local on this machine), ``task_runner`` what runs its local nodes
    (default: sequential), ``group_by`` overrides ``grouping.by`` of prefect.yml
    (grouping.py).

    Datasets are matched by :func:`~kedro_prefect.fingerprint.dataset_id`:
    a node reading ``x@spark`` depends on the node writing ``x@pandas``.
    Units (single nodes and groups) are planned in an order where each comes after
    all it reads, so that a unit's prediction can assume what those before it rebuild.
    """
    target = target or ExecutionTarget()
    task_runner = task_runner or TaskRunnerChoice()
    refresh_names = _refresh_names(pipeline, refresh)
    _materialise(pipeline, catalog)
    missing = missing_free_inputs(pipeline, catalog)
    cannot_start = (
        missing_inputs_message(pipeline_name, missing, registered_pipelines()) if missing else ""
    )
    state = StateFolder(state_dir)
    memo = FingerprintMemo.shared(state.memo_path)
    keys = _KeyBook(pipeline, catalog)
    wave_of = {n.name: number for number, wave in enumerate(pipeline.grouped_nodes) for n in wave}
    order = sorted(wave_of, key=lambda name: (wave_of[name], name))
    by_name = {n.name: n for n in pipeline.nodes}
    own = {n.name: config.for_node(n.name, n.namespace, n.tags) for n in pipeline.nodes}
    upstream_of = upstream_nodes(pipeline)
    try:
        groups = form_groups(pipeline, config.grouping, group_by)
        units = unit_order(order, groups, upstream_of)
        group_settings = {g.name: merged_settings(g, own) for g in groups}
    except GroupingError as exc:
        raise PlanError(str(exc)) from None
    # Producers' keys, computed once: `rebuilt` only grows by outputs of later units.
    known_keys = KnownKeys()
    rebuilt: dict[str, str] = {}  # predicted fingerprints of the outputs of re-run nodes
    planned: dict[str, PlannedNode] = {}
    planned_groups: list[PlannedGroup] = []

    def predict(policy: NodeCache | None, recipe: KeyRecipe, refreshed: bool,
                output_sources: Iterable[tuple[str, Any]]) -> CachePrediction:  # fmt: skip
        prediction: CachePrediction = "excluded"
        if policy is not None:
            key = policy.content_key(memo, assume=rebuilt, known=known_keys)
            hit = not refreshed and policy.has_record(key) and policy.is_valid(key, memo)
            prediction = "hit" if hit else "miss"
        if prediction != "hit":
            # It runs; deterministic, it writes what it wrote last time under this
            # key, whatever its outputs hold now. Under a key it never ran with
            # (or uncached) what it writes is unknown: its consumers will miss.
            key = recipe.key(memo, rebuilt, known_keys)
            recorded = (policy.recorded_outputs(key) if policy else None) or {}
            for name, _ in output_sources:
                rebuilt[dataset_id(name)] = recorded.get(name) or f"unknown:{key}"
        return prediction

    for unit in units:
        if isinstance(unit, NodeGroup):
            settings = group_settings[unit.name]
            placement = place(settings, config, target)
            problem = resource_problem(unit.task_name, settings.infra, placement, target)
            if problem:
                raise PlanError(problem)
            facts = [keys.add(by_name[name]) for name in unit.nodes]
            cache_off = [n for n in unit.nodes if not own[n].cache_enabled]
            group = _plan_group(unit, facts, pipeline, keys, settings, state, placement, cache_off)
            refreshed = bool(refresh_names & set(unit.nodes))
            outputs = [src for f in facts for src in f.output_sources]
            prediction = predict(group.cache, group.recipe, refreshed, outputs)
            group = replace(group, prediction=prediction, refresh=refreshed)
            planned_groups.append(group)
            for f in facts:
                planned[f.node.name] = PlannedNode(
                    node=f.node, wave=wave_of[f.node.name], settings=settings,
                    upstream=f.upstream, inputs=f.inputs, outputs=f.outputs, cache=None,
                    prediction=prediction, refresh=refreshed, note=group.note,
                    placement=placement, group=unit.name,
                )  # fmt: skip
            continue
        node = by_name[unit]
        settings = own[unit]
        placement = place(settings, config, target)
        problem = resource_problem(node.name, settings.infra, placement, target)
        if problem:
            raise PlanError(problem)
        f = keys.add(node)
        policy, note = None, _exclusion(f, settings, keys.blind.get(node.name))
        if not note:
            policy = _policy(node.name, keys.recipes[node.name], f.output_sources, state, settings)
        refreshed = node.name in refresh_names
        prediction = predict(policy, keys.recipes[node.name], refreshed, f.output_sources)
        planned[node.name] = PlannedNode(
            node=node, wave=wave_of[node.name], settings=settings, upstream=f.upstream,
            inputs=f.inputs, outputs=f.outputs, cache=policy, prediction=prediction,
            refresh=refreshed, note=note, placement=placement,
        )  # fmt: skip
    memo.save()
    waves = [
        tuple(planned[n.name] for n in sorted(wave, key=lambda n: n.name))
        for wave in pipeline.grouped_nodes
    ]
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
        groups=tuple(planned_groups),
    )
    _check_memory_boundaries(plan, catalog)
    _check_timeouts(plan)
    return plan


@dataclass(frozen=True)
class _NodeFacts:
    """What the plan learns of one node's datasets and key (see :class:`_KeyBook`)."""

    node: Node
    upstream: tuple[str, ...]
    # (dataset, absolute location) of the persisted datasets it reads and writes.
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    # What a cache policy looks at: files, then datasets that fingerprint themselves.
    input_sources: tuple[tuple[str, Any], ...]
    output_sources: tuple[tuple[str, Any], ...]
    derived: tuple[tuple[str, KeyRecipe], ...]  # inputs stood for by their producer's key
    unseen: tuple[str, ...]  # inputs nothing can fingerprint
    unfingerprinted: tuple[str, ...]  # outputs with neither file nor fingerprint()
    in_memory: tuple[str, ...]  # of those, the in-memory ones


class _KeyBook:
    """Static keys and key recipes of the nodes planned so far (a node is added
    after every node producing its inputs), and the nodes whose key is blind to
    something they read, with why."""

    def __init__(self, pipeline: Pipeline, catalog: Any) -> None:
        self.catalog = catalog
        self.locations = dataset_locations(catalog)
        self.pinned = pinned_versions(catalog)
        self.producers = {dataset_id(out): n for n in pipeline.nodes for out in n.outputs}
        self.static_keys: dict[str, str] = {}
        self.recipes: dict[str, KeyRecipe] = {}
        self.blind: dict[str, str] = {}

    def add(self, node: Node) -> _NodeFacts:
        catalog, locations = self.catalog, self.locations
        made_here = {
            i: self.producers[dataset_id(i)] for i in node.inputs
            if dataset_id(i) in self.producers
        }  # fmt: skip
        versions = {i: self.pinned[i] for i in node.inputs if i in self.pinned}
        self.static_keys[node.name] = stable_hash(
            "kedro-node/v1",
            node.name,
            code_fingerprint(node.func),
            _parameter_values(node, catalog),
            {i: self.static_keys[producer.name] for i, producer in made_here.items()},
            sorted(node.outputs),
            *([versions] if versions else []),  # keys without pinned versions unchanged
        )
        inputs = _persisted(node.inputs, catalog, locations)
        outputs = _persisted(node.outputs, catalog, locations)
        input_sources = inputs + _self_described(node.inputs, catalog, locations)
        output_sources = outputs + _self_described(node.outputs, catalog, locations)
        # Inputs without a fingerprint: their producer's content key stands for them.
        fingerprinted = {name for name, _ in input_sources}
        derived, unseen = [], []
        for name in sorted(set(node.inputs) - fingerprinted):
            producer = made_here.get(name)
            if _is_parameter(name):
                continue  # its value is in the static key
            if producer is None or producer.name in self.blind:
                unseen.append(name)
            else:
                derived.append((name, self.recipes[producer.name]))
        self.recipes[node.name] = KeyRecipe(
            self.static_keys[node.name], input_sources, tuple(derived)
        )
        if unseen:
            self.blind[node.name] = (
                f"reads {', '.join(unseen)}, whose content nothing can fingerprint "
                "(no file, no fingerprint() method, no cacheable producer in this run)"
            )
        unfingerprinted = sorted(set(node.outputs) - {name for name, _ in output_sources})
        return _NodeFacts(
            node=node,
            upstream=tuple(sorted({producer.name for producer in made_here.values()})),
            inputs=inputs,
            outputs=outputs,
            input_sources=input_sources,
            output_sources=output_sources,
            derived=tuple(derived),
            unseen=tuple(unseen),
            unfingerprinted=tuple(unfingerprinted),
            in_memory=tuple(n for n in unfingerprinted if _in_memory(catalog.get(n))),
        )


def _exclusion(facts: _NodeFacts, settings: ResolvedSettings, blind: str | None) -> str:
    """Why a node is not cached ("" when it is)."""
    if not settings.cache_enabled:
        return "cache off in prefect.yml"
    if not facts.node.outputs:
        # Only its side effects (a report sent, a check) are left of such a
        # node; `kedro run` has them on every run, so has the bridge.
        return "no outputs: runs for its side effects"
    if blind:
        # A hit could not prove that what it reads is what it read last time.
        return blind
    if facts.in_memory:
        # A cache hit cannot restore data that was never persisted.
        return f"writes in-memory dataset(s) {', '.join(facts.in_memory)}"
    if facts.unfingerprinted:
        # Persisted, but neither to a file nor able to say what it holds: a
        # hit could not prove the output still exists unchanged.
        return (
            f"writes {', '.join(facts.unfingerprinted)}, which has no file to fingerprint "
            "and no fingerprint() method"
        )
    return ""


def _policy(
    name: str,
    recipe: KeyRecipe,
    output_sources: tuple[tuple[str, Any], ...],
    state: StateFolder,
    settings: ResolvedSettings,
) -> NodeCache:
    return NodeCache(
        node_name=name,
        static_key=recipe.static_key,
        inputs=recipe.inputs,
        outputs=output_sources,
        records_dir=str(state.validity_dir),
        memo_path=str(state.memo_path),
        results_dir=str(state.results_dir),
        derived=recipe.derived,
        expires=bool(settings.cache_expiration_seconds),
    )


def _plan_group(
    group: NodeGroup,
    facts: list[_NodeFacts],
    pipeline: Pipeline,
    keys: _KeyBook,
    settings: ResolvedSettings,
    state: StateFolder,
    placement: Placement,
    cache_off: list[str],
) -> PlannedGroup:
    """A group's key, cache policy and why it is not cached (prediction left to the caller).

    The group's key covers what every member's key covers: the members' static keys
    (code, parameters, pinned versions, upstream static keys), and what the group
    reads from outside: persisted inputs by fingerprint, the others by their outside
    producer's content key. Datasets made inside the group are left out of the key:
    the group rewrites them, and its members' static keys stand for how. A hit needs
    every persisted output of every member (those only the group reads too) to be
    there unchanged; an in-memory dataset may be a member's output only if no node
    outside the group reads it (a hit could not restore it)."""
    inside = set(group.nodes)
    made_inside = {dataset_id(out) for f in facts for out in f.node.outputs}
    read_outside = {dataset_id(i) for n in pipeline.nodes if n.name not in inside for i in n.inputs}
    # By name (a dataset that fingerprints itself need not hash), first reader's entry.
    external_inputs = tuple({
        src[0]: src for f in reversed(facts) for src in f.input_sources
        if dataset_id(src[0]) not in made_inside
    }.values())  # fmt: skip
    external_derived = tuple({
        d[0]: d for f in reversed(facts) for d in f.derived if dataset_id(d[0]) not in made_inside
    }.values())  # fmt: skip
    unseen = sorted({u for f in facts for u in f.unseen if dataset_id(u) not in made_inside})
    escaping = sorted({m for f in facts for m in f.in_memory if dataset_id(m) in read_outside})
    unknown = sorted({u for f in facts for u in f.unfingerprinted if u not in f.in_memory})
    recipe = KeyRecipe(
        stable_hash("kedro-group/v1", group.name, [keys.static_keys[n] for n in group.nodes]),
        external_inputs,
        external_derived,
    )
    silent = [f.node.name for f in facts if not f.node.outputs]
    note = ""
    if not settings.cache_enabled:
        note = f"cache off in prefect.yml for {', '.join(cache_off)}"
    elif silent:
        note = f"{', '.join(silent)} has no outputs: runs for its side effects"
    elif unseen:
        note = (
            f"reads {', '.join(unseen)}, whose content nothing can fingerprint "
            "(no file, no fingerprint() method, no cacheable producer in this run)"
        )
    elif escaping:
        note = f"writes in-memory dataset(s) {', '.join(escaping)}, read outside the group"
    elif unknown:
        note = (
            f"writes {', '.join(unknown)}, which has no file to fingerprint "
            "and no fingerprint() method"
        )
    outputs = tuple(src for f in facts for src in f.output_sources)
    policy = None if note else _policy(group.task_name, recipe, outputs, state, settings)
    return PlannedGroup(
        name=group.name,
        nodes=group.nodes,
        settings=settings,
        upstream=tuple(sorted({u for f in facts for u in f.upstream} - inside)),
        inputs=tuple(dict.fromkeys(
            i for f in facts for i in f.inputs if dataset_id(i[0]) not in made_inside
        )),
        outputs=tuple(o for f in facts for o in f.outputs),
        cache=policy,
        recipe=recipe,
        prediction="excluded",
        refresh=False,
        note=note,
        placement=placement,
    )  # fmt: skip


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
    nor between nodes of the processes task runner. Nodes of one group (grouping.py)
    share their group's process, so the fix offered is either to persist the
    dataset or to group its producer and consumer."""
    producers = {dataset_id(out): p for p in plan.nodes for out in p.node.outputs}
    for consumer in plan.nodes:
        for name in consumer.node.inputs:
            producer = producers.get(dataset_id(name))
            if producer is None or (producer.group and producer.group == consumer.group):
                continue
            if not _crosses_processes(producer, consumer, plan.task_runner):
                continue
            if isinstance(catalog.get(name, fallback_to_runtime_pattern=True), MemoryDataset):
                raise PlanError(
                    f"dataset {name!r} is not declared in the catalog (or is a MemoryDataset): "
                    f"it stays in memory, but passes from node {producer.name!r} "
                    f"({_where(producer, plan.task_runner)}) to node {consumer.name!r} "
                    f"({_where(consumer, plan.task_runner)}), another process: declare it "
                    f"in conf/base/catalog.yml on storage both can reach, or run both nodes "
                    f"as one task: a group in prefect.yml (grouping: {{groups: {{NAME: "
                    f"{{nodes: [{producer.name}, {consumer.name}]}}}}}}, or grouping: {{by: "
                    f"namespace}})"
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
    unit = f"group:{planned.group} in " if planned.group else ""
    if placement.is_delegated:
        return f"{unit}work pool {placement.pool}"
    if placement.where == "ray":
        return f"{unit}a Ray task"
    if task_runner.crosses_processes:
        return f"{unit}a process of the processes task runner"
    return "this flow run"
