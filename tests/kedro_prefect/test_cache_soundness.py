"""Cache soundness, as a property: whatever was hit or missed, the plugin's outputs
equal ``kedro run``'s on the same inputs, and a node the plan predicts a hit never
has anything changed upstream of it.

Random DAGs (seeded ``random.Random``, so a failure names its seed and replays)
mix every kind of dataset Kedro has: catalog files, ``"{name}_data"`` factory
datasets, transcoded pairs (``x@json`` / ``x@text`` on one file), undeclared
MemoryDatasets, ``params:`` (nested keys too) and ``parameters``, nodes in a
modular pipeline whose namespace prefixes some datasets and parameters, nodes
without inputs or outputs. Each step applies random mutations to a project and
its twin: raw inputs rewritten (sometimes with the same content), parameters
changed, a node's code (its module) edited, an output deleted. Then:

* the plan is made, and every node it predicts a hit must already hold exactly
  what ``kedro run`` (SequentialRunner, on the twin) writes now: a hit leaves its
  outputs as they are, so anything else means something upstream changed unseen;
* every ``RUN_EVERY``-th step the plugin runs the project for real (Prefect
  server; sequential or threads, at random) and all it wrote must equal the
  twin's outputs.

Every other project groups its nodes by namespace (``grouping.by: namespace``,
split into convex parts where a path leaves the namespace and comes back): a
group is one cache unit, so a hit predicted for a group must hold for all it writes.

Bounded for CI: ``PROJECTS`` × ``STEPS`` steps of 1 to 4 mutations each (about
300 mutations, 40 plugin runs: 5 minutes on 2 cores).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.kedro_prefect.generated import (
    FACTORY,
    NodeSpec,
    ProjectSpec,
    Twins,
    data_files,
    json_entry,
    kedro_run,
    transcoded_entries,
    write_node_code,
)

PROJECTS = 4
STEPS = 30
RUN_EVERY = 3
SEED = 20261202
NAMESPACE = "ns"
PARAMETER_INPUTS = ("params:p1", "params:grp.a", "params:grp.b.c", "parameters")


def random_project(rng: random.Random, package: str) -> ProjectSpec:
    """A random DAG of 5 to 9 nodes over every kind of dataset (module docstring)."""
    raw = {f"raw_{c}": rng.randrange(100) for c in "abc"[: rng.randint(1, 3)]}
    catalog: dict[str, dict[str, Any]] = dict(FACTORY)
    readable: list[str | tuple[str, str]] = list(raw)  # a name, or a transcoded base
    nodes = []
    for index in range(rng.randint(5, 9)):
        namespace = NAMESPACE if rng.random() < 0.35 else None
        inputs: list[str] = []
        for choice in rng.sample(readable, min(rng.randint(0, 3), len(readable))):
            inputs.append(
                f"{choice[1]}@{rng.choice(['json', 'text'])}" if isinstance(choice, tuple)
                else choice
            )  # fmt: skip
        if rng.random() < 0.5:
            options = [*PARAMETER_INPUTS, *([f"params:{NAMESPACE}.q"] if namespace else [])]
            inputs.append(rng.choice(options))
        outputs = []
        # Kedro refuses a node with neither inputs nor outputs.
        for j in range(rng.choice([0, 1, 1, 1, 2]) if inputs else 1):
            base = f"d{index}_{j}"
            if namespace and rng.random() < 0.5:
                base = f"{NAMESPACE}.{base}"  # prefixed by the modular pipeline
            kind = rng.choice(["file", "factory", "memory", "transcoded"])
            if kind == "file":
                catalog[base] = json_entry(f"data/{base}.json")
                name = base
            elif kind == "factory":
                name = f"{base}_data"
            elif kind == "memory":
                name = base
            else:
                catalog.update(transcoded_entries(base))
                name = f"{base}@{rng.choice(['json', 'text'])}"
            outputs.append(name)
            readable.append(("transcoded", base) if kind == "transcoded" else name)
        nodes.append(
            NodeSpec(f"n{index}", tuple(inputs), tuple(outputs), namespace=namespace,
                     tags=(rng.choice(["a", "b"]),), k=rng.randrange(1, 50))
        )  # fmt: skip
    parameters = {
        "p1": rng.randrange(10),
        "grp": {"a": rng.randrange(10), "b": {"c": rng.randrange(10)}, "unused": 0},
        NAMESPACE: {"q": rng.randrange(10)},
    }
    return ProjectSpec(package, nodes, catalog, parameters, raw)


@dataclass
class Mutator:
    """Random mutations, applied to a project and its twin alike."""

    rng: random.Random
    twins: Twins
    applied: list[str] = field(default_factory=list)

    def mutate(self) -> None:
        kind = self.rng.choices(["raw", "param", "code", "delete", "touch"], [3, 3, 3, 1, 1])[0]
        getattr(self, f"_{kind}")()

    def _raw(self) -> None:
        name = self.rng.choice(sorted(self.twins.spec.raw))
        value = self.rng.randrange(100)
        self.twins.set_raw(name, value)
        self.applied.append(f"raw {name}={value}")

    def _touch(self) -> None:  # same content, new mtime: must not change anything
        name = self.rng.choice(sorted(self.twins.spec.raw))
        path = self.twins.root / "data" / "01_raw" / f"{name}.json"
        self.twins.set_raw(name, json.loads(path.read_text())["v"])
        self.applied.append(f"touch {name}")

    def _param(self) -> None:
        parameters = json.loads(json.dumps(self.twins.spec.parameters))
        path = self.rng.choice([("p1",), ("grp", "a"), ("grp", "b", "c"), ("grp", "unused"),
                                (NAMESPACE, "q")])  # fmt: skip
        target = parameters
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = self.rng.randrange(10)
        self.twins.spec.parameters = self.twins.twin.parameters = parameters
        self.twins.set_parameters(parameters)
        self.applied.append(f"param {'.'.join(path)}={target[path[-1]]}")

    def _code(self) -> None:
        index = self.rng.randrange(len(self.twins.spec.nodes))
        k = self.rng.randrange(1, 50)
        for spec, root in ((self.twins.spec, self.twins.root),
                           (self.twins.twin, self.twins.twin_root)):  # fmt: skip
            spec.nodes[index] = replace(spec.nodes[index], k=k)
            write_node_code(root, spec, index, k)
        self.applied.append(f"code {self.twins.spec.nodes[index].full_name} K={k}")

    def _delete(self) -> None:
        files = sorted((self.twins.root / "data").glob("*.json"))
        if files:
            victim = self.rng.choice(files)
            victim.unlink()
            self.applied.append(f"delete {victim.name}")


def unsound_hits(twins: Twins, plan: Any) -> list[str]:
    """Nodes predicted a hit whose outputs are not what ``kedro run`` writes now
    (the twin has just run)."""
    found = []
    for planned in plan.nodes:
        if planned.prediction != "hit":
            continue
        for _, location in planned.outputs:
            ours = Path(location)
            theirs = twins.twin_root / ours.relative_to(twins.root)
            if not ours.exists() or ours.read_bytes() != theirs.read_bytes():
                found.append(f"{planned.name} ({ours.name})")
    return found


def test_plugin_outputs_equal_kedro_run_after_random_mutations(
    prefect_api: str, tmp_path: Path
) -> None:
    mutations = runs = hits = grouped = 0
    for project in range(PROJECTS):
        seed = SEED + project
        rng = random.Random(seed)
        spec = random_project(rng, f"prop{project}")
        if project % 2:
            spec.prefect = {"grouping": {"by": "namespace"}}
        twins = Twins(tmp_path / f"p{project}", spec)
        mutator = Mutator(rng, twins)
        for step in range(STEPS):
            if step:
                for _ in range(rng.randint(1, 4)):
                    mutator.mutate()
            kedro_run(twins.twin_root, twins.twin.package)
            plan = twins.plan()
            where = f"seed {seed}, step {step}, after {mutator.applied[-4:]}"
            assert unsound_hits(twins, plan) == [], f"{where}: {plan.to_text()}"
            hits += list(plan.predictions.values()).count("hit")
            grouped += len(plan.groups)
            if step % RUN_EVERY == 0:
                state = twins.run(task_runner=rng.choice(["sequential", "threads"]))
                assert state.is_completed(), f"{where}: {state.message}"
                runs += 1
                assert data_files(twins.root) == data_files(twins.twin_root), (
                    f"{where}: {plan.to_text()}"
                )
        mutations += len(mutator.applied)
    print(f"cache soundness: {mutations} mutations, {runs} plugin runs, {hits} predicted hits, "
          f"{grouped} planned groups")  # fmt: skip
    assert mutations >= 250 and hits > 0  # the property was exercised, not vacuous
