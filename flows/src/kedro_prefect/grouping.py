"""Node groups: several Kedro nodes run as one Prefect task.

Kedro offers one task per node or the whole pipeline, nothing in between; a
group is the in-between (``grouping`` in prefect.yml, ``--group-by``). Its
nodes run one after another, in a topological order, in one process: in-memory
datasets between them never leave it, and the group is one retry and one cache
unit (plan.py keys it, node_task.py runs it).

This module decides *which* nodes form which group and checks that the groups
can run as units: every group must be convex (no path from the group through
an outside node back into it, or it would wait for itself) and the groups
together must not wait on each other in a circle. It also merges the members'
settings into the one set the group's task runs with (:func:`merged_settings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kedro.pipeline import Node, Pipeline

from kedro_prefect.config import GroupBy, GroupingSettings, ResolvedSettings
from kedro_prefect.fingerprint import dataset_id

GROUP_PREFIX = "group:"


class GroupingError(ValueError):
    """The groups cannot run as units; the message names the group and the nodes."""


@dataclass(frozen=True)
class NodeGroup:
    """A group's name and its nodes, in a topological order."""

    name: str
    nodes: tuple[str, ...]

    @property
    def task_name(self) -> str:
        """The name of the group's Prefect task and task runs."""
        return f"{GROUP_PREFIX}{self.name}"


def upstream_nodes(pipeline: Pipeline) -> dict[str, set[str]]:
    """Each node's direct upstream nodes, matching datasets as Kedro does and
    transcoded names as one dataset (``x@spark`` waits for ``x@pandas``)."""
    producers = {dataset_id(out): n.name for n in pipeline.nodes for out in n.outputs}
    return {
        n.name: {producers[dataset_id(i)] for i in n.inputs if dataset_id(i) in producers}
        for n in pipeline.nodes
    }


def form_groups(
    pipeline: Pipeline, grouping: GroupingSettings, by: GroupBy | None = None
) -> list[NodeGroup]:
    """The groups of ``pipeline`` (already filtered): explicit groups first (their
    nodes that are in this pipeline), then the remaining nodes grouped ``by``
    (default: ``grouping.by``). Groups of one node are left out: such a node is a
    task of its own, as without grouping. An explicit group that is not convex is
    an error; a namespace or tag group that is not is split into convex parts
    (:func:`convex_parts`). Raises :class:`GroupingError` too when groups wait on
    each other in a circle."""
    by = by or grouping.by
    if by == "tag" and not grouping.tags:
        raise GroupingError("grouping by tag needs the tags that make groups: grouping.tags")
    order = [n.name for n in pipeline.nodes]  # Kedro's topological order
    members: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for name, spec in grouping.groups.items():
        wanted = set(spec.nodes)
        members[name] = [n for n in order if n in wanted]
        owner.update(dict.fromkeys(members[name], name))
    for node in pipeline.nodes:
        if node.name in owner:
            continue
        key = _automatic_group(node, by, grouping.tags)
        if key is None:
            continue
        if key in grouping.groups:
            raise GroupingError(
                f"group {key!r} is both an explicit group and a {by} group (node "
                f"{node.name!r}): rename the explicit group"
            )
        members.setdefault(key, []).append(node.name)
        owner[node.name] = key
    upstream = upstream_nodes(pipeline)
    groups = []
    for name, nodes in members.items():
        if name in grouping.groups:  # asked for as it is: refused if not convex
            groups.append(NodeGroup(name, tuple(nodes)))
            _check_convex(groups[-1], upstream)
        else:
            groups += convex_parts(NodeGroup(name, tuple(nodes)), order, upstream)
    groups = [group for group in groups if len(group.nodes) > 1]
    unit_order(order, groups, upstream)  # raises on groups waiting on each other
    return groups


def _automatic_group(node: Node, by: GroupBy, tags: list[str]) -> str | None:
    if by == "namespace" and node.namespace:
        return node.namespace.split(".")[0]
    if by == "tag":
        return next((tag for tag in tags if tag in node.tags), None)
    return None


def convex_parts(
    group: NodeGroup, order: list[str], upstream: Mapping[str, set[str]]
) -> list[NodeGroup]:
    """``group`` split where a path leaves it and comes back: each member is labelled
    with the most times a path reaching it has left the group (labels never decrease
    along a path and grow on leaving), so members with one label form a convex part,
    and parts only feed parts of a higher label. A convex group stays whole; later
    parts are named ``<group>#2``, ``<group>#3``..."""
    inside = set(group.nodes)
    exits: dict[str, int] = {}
    for name in order:  # topological
        exits[name] = max(
            (exits[up] + (up in inside and name not in inside) for up in upstream[name]),
            default=0,
        )
    labels = sorted({exits[name] for name in group.nodes})
    if len(labels) == 1:
        return [group]
    return [
        NodeGroup(
            group.name if number == 0 else f"{group.name}#{number + 1}",
            tuple(name for name in group.nodes if exits[name] == label),
        )
        for number, label in enumerate(labels)
    ]


def _check_convex(group: NodeGroup, upstream: Mapping[str, set[str]]) -> None:
    """No path may leave the group and re-enter it: the group's task would have to
    wait for an outside node that waits for the group."""
    inside = set(group.nodes)
    downstream: dict[str, set[str]] = {name: set() for name in upstream}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].add(name)
    # Outside nodes reachable from the group, each with the member it leaves from.
    reached: dict[str, str] = {}
    pending = [(d, m) for m in group.nodes for d in sorted(downstream[m]) if d not in inside]
    while pending:
        name, origin = pending.pop()
        if name in reached:
            continue
        reached[name] = origin
        pending += [(d, origin) for d in sorted(downstream[name]) if d not in inside]
    for member in group.nodes:
        for outside in sorted(upstream[member] & reached.keys()):
            raise GroupingError(
                f"group {group.name!r} is not convex: node {reached[outside]!r} (in the group) "
                f"leads to node {outside!r} (not in it), which feeds node {member!r} (in the "
                f"group) again, so the group would wait for itself. Add {outside!r} and the "
                f"nodes between to the group, or split it there"
            )


def unit_order(
    order: list[str], groups: list[NodeGroup], upstream: Mapping[str, set[str]]
) -> list[str | NodeGroup]:
    """Nodes and groups in an order where each comes after everything it waits for
    (each group's nodes together); Kedro's topological order breaks ties."""
    group_of = {n: g for g in groups for n in g.nodes}
    units: list[str | NodeGroup] = []
    for name in order:
        unit = group_of.get(name, name)
        if unit not in units:
            units.append(unit)

    def waits_for(unit: str | NodeGroup) -> set[str | NodeGroup]:
        names = unit.nodes if isinstance(unit, NodeGroup) else (unit,)
        found = {group_of.get(u, u) for n in names for u in upstream[n]}
        found.discard(unit)
        return found

    done: list[str | NodeGroup] = []
    pending = list(units)
    while pending:
        ready = next((u for u in pending if waits_for(u) <= set(done)), None)
        if ready is None:
            stuck = ", ".join(sorted(g.name for g in pending if isinstance(g, NodeGroup)))
            raise GroupingError(
                f"groups {stuck} wait on each other in a circle: each reads what another "
                f"writes; merge them into one group or move the nodes between them"
            )
        pending.remove(ready)
        done.append(ready)
    return done


def merged_settings(group: NodeGroup, settings: Mapping[str, ResolvedSettings]) -> ResolvedSettings:
    """The settings of a group's task, from its nodes' own:

    * retries: the most any node asks for (its delays and jitter with it), since
      one failure re-runs the whole group;
    * timeout: the sum of the nodes' timeouts (they run one after another), none
      if any node has none;
    * cache: on only when on for every node; expiration the shortest;
    * thread_safe: false if any node is;
    * infra and concurrency_key: one value for the group; nodes asking for two
      different ones are an error naming them (the group runs in one place).
    """
    members = [(name, settings[name]) for name in group.nodes]
    most = max(members, key=lambda m: m[1].retries)[1]
    timeouts = [s.timeout_seconds for _, s in members]
    expirations = [s.cache_expiration_seconds for _, s in members if s.cache_expiration_seconds]
    return ResolvedSettings(
        retries=most.retries,
        retry_delay_seconds=most.retry_delay_seconds,
        retry_jitter_factor=most.retry_jitter_factor,
        timeout_seconds=None if None in timeouts else sum(timeouts),  # type: ignore[arg-type]
        cache_enabled=all(s.cache_enabled for _, s in members),
        cache_expiration_seconds=min(expirations) if expirations else None,
        infra=_one_value(group, "infra", members),
        concurrency_key=_one_value(group, "concurrency_key", members),
        thread_safe=all(s.thread_safe for _, s in members),
    )


def _one_value(
    group: NodeGroup, key: str, members: Iterable[tuple[str, ResolvedSettings]]
) -> str | None:
    values: dict[str, list[str]] = {}
    for name, settings in members:
        value = getattr(settings, key)
        if value is not None:
            values.setdefault(value, []).append(name)
    if len(values) > 1:
        which = "; ".join(f"{v!r} for {', '.join(nodes)}" for v, nodes in sorted(values.items()))
        raise GroupingError(
            f"group {group.name!r} runs as one task but its nodes ask for different {key}: "
            f"{which}. Give them one {key} in prefect.yml, or split the group"
        )
    return next(iter(values), None)
