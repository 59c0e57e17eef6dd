"""Kedro projects written on disk from a small spec, for the plugin's tests.

A :class:`ProjectSpec` names nodes and datasets with their final names
(``ns.x`` for a dataset a namespace prefixes, ``x@json`` / ``x@text`` for the
two transcoded entries of one file, ``x_data`` for a dataset made by the
``"{name}_data"`` factory, any undeclared name for a MemoryDataset). Every node
is a function of its own module (``nodes_<i>.py``, with a constant ``K``, so
that editing one node's code is editing one module) computing a number from
all it reads; what it writes depends on the dataset (a dict for JSON, its text
for a text dataset). Nodes with a namespace are one modular pipeline
(``pipeline(..., namespace=...)``), mapping every name that is not prefixed.

:func:`kedro_run` runs a project as ``kedro run`` does (a KedroSession with
Kedro's SequentialRunner), in this process: a project's package is dropped from
``sys.modules`` before each session, so edited node code is what runs.
"""

from __future__ import annotations

import importlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

RAW_DIR = "data/01_raw"

# kedro-mlflow's hook, installed in this environment, registers itself for every Kedro
# project; one without mlflow.yml would open a ./mlruns file store, which MLflow 3.17 refuses.
UNTRACKED_SETTINGS = 'DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")\n'

COMMON = '''"""What every node computes: a number from all it reads."""

import json
import threading
import time

_active = 0
_lock = threading.Lock()


def value(x):
    if isinstance(x, str):
        x = json.loads(x)
    if isinstance(x, dict):
        return sum(value(v) for _, v in sorted(x.items()))
    if isinstance(x, (list, tuple)):
        return sum(value(v) for v in x)
    if isinstance(x, (bool, int, float)):
        return int(x)
    return 0


def combine(k, args, text_outputs, sleep=0.0, exclusive=False):
    global _active
    with _lock:
        _active += 1
        overlap = _active > 1
    try:
        if exclusive and overlap:
            raise RuntimeError("another node runs at the same time")
        time.sleep(sleep)
        if exclusive and _active > 1:
            raise RuntimeError("another node runs at the same time")
    finally:
        with _lock:
            _active -= 1
    v = k
    for i, a in enumerate(args):
        v = (v * 31 + (i + 1) * value(a)) % 1_000_003
    outs = [{"v": v, "o": j} for j in range(len(text_outputs))]
    outs = [json.dumps(o) if text else o for o, text in zip(outs, text_outputs)]
    if not outs:
        return None
    return outs[0] if len(outs) == 1 else outs
'''

NODE = """from {package}.common import combine

K = {k}


def {function}(*args):
    return combine(K, args, {text_outputs!r}, sleep={sleep!r}, exclusive={exclusive!r})
"""


@dataclass(frozen=True)
class NodeSpec:
    name: str  # without the namespace
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    namespace: str | None = None
    tags: tuple[str, ...] = ()
    k: int = 1  # the constant of its module: change it to change the node's code
    sleep: float = 0.0
    exclusive: bool = False  # raises when another node runs at the same time

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


@dataclass
class ProjectSpec:
    package: str
    nodes: list[NodeSpec]
    catalog: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, int] = field(default_factory=dict)  # raw JSON datasets and their values
    prefect: dict[str, Any] | None = None  # conf/base/prefect.yml

    def renamed(self, package: str) -> ProjectSpec:
        return replace(self, package=package)


def json_entry(path: str) -> dict[str, Any]:
    return {"type": "json.JSONDataset", "filepath": path}


def text_entry(path: str) -> dict[str, Any]:
    return {"type": "text.TextDataset", "filepath": path}


def transcoded_entries(name: str) -> dict[str, dict[str, Any]]:
    """``name@json`` and ``name@text``: one file, two ways to read and write it."""
    path = f"data/{name}.json"
    return {f"{name}@json": json_entry(path), f"{name}@text": text_entry(path)}


FACTORY = {"{name}_data": json_entry("data/{name}.json")}


def write_project(root: Path, spec: ProjectSpec) -> Path:
    """The project of ``spec`` in ``root`` (created or rewritten)."""
    package = root / "src" / spec.package
    package.mkdir(parents=True, exist_ok=True)
    (root / "conf" / "base").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "local").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[tool.kedro]\npackage_name = "{spec.package}"\nproject_name = "{spec.package}"\n'
        f'kedro_init_version = "1.7.0"\nsource_dir = "src"\n'
    )
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(UNTRACKED_SETTINGS)
    (package / "common.py").write_text(COMMON)
    for index, node in enumerate(spec.nodes):
        write_node_code(root, spec, index, node.k)
    (package / "pipeline_registry.py").write_text(_registry(spec))
    catalog = {**spec.catalog}
    catalog.update({name: json_entry(f"{RAW_DIR}/{name}.json") for name in spec.raw})
    (root / "conf" / "base" / "catalog.yml").write_text(yaml.safe_dump(catalog))
    write_parameters(root, spec.parameters)
    if spec.prefect is not None:
        (root / "conf" / "base" / "prefect.yml").write_text(yaml.safe_dump(spec.prefect))
    for name, value in spec.raw.items():
        write_raw(root, name, value)
    return root


def write_node_code(root: Path, spec: ProjectSpec, index: int, k: int) -> None:
    node = spec.nodes[index]
    text = [_writes_text(o) for o in node.outputs]
    code = NODE.format(package=spec.package, k=k, function=f"node_{index}", text_outputs=text,
                       sleep=node.sleep, exclusive=node.exclusive)  # fmt: skip
    (root / "src" / spec.package / f"nodes_{index}.py").write_text(code)


def write_parameters(root: Path, parameters: dict[str, Any]) -> None:
    (root / "conf" / "base" / "parameters.yml").write_text(yaml.safe_dump(parameters))


def write_raw(root: Path, name: str, value: int) -> None:
    path = root / RAW_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"v": value}))


def data_files(root: Path) -> dict[str, bytes]:
    """Every file the project's nodes wrote (under data/, raw inputs aside)."""
    data = root / "data"
    return {
        str(p.relative_to(data)): p.read_bytes()
        for p in sorted(data.rglob("*"))
        if p.is_file() and not str(p.relative_to(root)).startswith(RAW_DIR)
    }


def _writes_text(dataset: str) -> bool:
    return dataset.endswith("@text")


def _registry(spec: ProjectSpec) -> str:
    lines = [
        "from kedro.pipeline import Pipeline, node, pipeline",
        "",
        *(f"from {spec.package}.nodes_{i} import node_{i}" for i in range(len(spec.nodes))),
        "",
        "",
        "def register_pipelines() -> dict[str, Pipeline]:",
        "    parts = []",
    ]
    namespaces = sorted({n.namespace for n in spec.nodes if n.namespace})
    top = [(i, n) for i, n in enumerate(spec.nodes) if not n.namespace]
    lines.append(f"    parts.append(pipeline([{', '.join(_node(i, n, None) for i, n in top)}]))")
    for namespace in namespaces:
        members = [(i, n) for i, n in enumerate(spec.nodes) if n.namespace == namespace]
        inner = pipeline_names([n for _, n in members])
        made = {_base(o) for o in inner["outputs"]}
        free = {d for d in inner["inputs"] if _base(d) not in made}
        mapped_inputs = sorted({_base(d) for d in free if not _prefixed(d, namespace)})
        mapped_outputs = sorted({_base(d) for d in inner["outputs"] if not _prefixed(d, namespace)})
        params = sorted(p for p in inner["params"] if not _prefixed(p[7:], namespace))
        body = ", ".join(_node(i, n, namespace) for i, n in members)
        lines.append(
            f"    parts.append(pipeline([{body}], namespace={namespace!r}, "
            f"inputs={set(mapped_inputs) or None!r}, outputs={set(mapped_outputs) or None!r}, "
            f"parameters={set(params) or None!r}))"
        )
    lines.append("    return {'__default__': sum(parts, Pipeline([]))}")
    return "\n".join(lines) + "\n"


def pipeline_names(nodes: Iterable[NodeSpec]) -> dict[str, set[str]]:
    inputs, outputs, params = set(), set(), set()
    for n in nodes:
        for name in n.inputs:
            if name.startswith("params:"):
                params.add(name)
            elif name != "parameters":
                inputs.add(name)
        outputs.update(n.outputs)
    return {"inputs": inputs, "outputs": outputs, "params": params}


def _prefixed(name: str, namespace: str) -> bool:
    return name.startswith(f"{namespace}.")


def _base(name: str) -> str:
    return name.split("@", 1)[0]


def _local(name: str, namespace: str | None) -> str:
    """The name as written inside the modular pipeline (Kedro adds the prefix back)."""
    if not namespace:
        return name
    if name.startswith("params:") and _prefixed(name[7:], namespace):
        return "params:" + name[7 + len(namespace) + 1 :]
    return name[len(namespace) + 1 :] if _prefixed(name, namespace) else name


def _node(index: int, node: NodeSpec, namespace: str | None) -> str:
    inputs = [_local(i, namespace) for i in node.inputs]
    outputs = [_local(o, namespace) for o in node.outputs]
    out: Any = outputs[0] if len(outputs) == 1 else (outputs or None)
    return f"node(node_{index}, {inputs!r}, {out!r}, name={node.name!r}, tags={list(node.tags)!r})"


@contextmanager
def fresh_imports(package: str) -> Iterator[None]:
    """Imports of ``package`` from its files as they are now."""
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no .pyc that a same-size edit in the same second hides
    try:
        yield
    finally:
        sys.dont_write_bytecode = previous


def kedro_run(root: Path, package: str, pipeline: str = "__default__") -> None:
    """``kedro run`` of the project at ``root`` (SequentialRunner), in this process."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    with fresh_imports(package):
        bootstrap_project(root)
        with KedroSession.create(project_path=root) as session:
            session.run(pipeline_names=[pipeline])


_numbers = itertools.count()


class Twins:
    """A generated project for the plugin and its twin for ``kedro run``."""

    def __init__(self, tmp_path: Path, spec: ProjectSpec) -> None:
        number = next(_numbers)
        self.spec = spec.renamed(f"{spec.package}_{number}")
        self.twin = spec.renamed(f"{spec.package}_{number}_twin")
        self.root = write_project(tmp_path / "plugin", self.spec)
        self.twin_root = write_project(tmp_path / "twin", self.twin)

    def plan(self, **kwargs: Any):
        from kedro_prefect import plan_pipeline

        with fresh_imports(self.spec.package):
            return plan_pipeline(project_path=str(self.root), **kwargs)

    def run(self, **kwargs: Any):
        from kedro_prefect import kedro_flow

        with fresh_imports(self.spec.package):
            return kedro_flow(project_path=str(self.root), return_state=True, **kwargs)

    def set_raw(self, name: str, value: int) -> None:
        write_raw(self.root, name, value)
        write_raw(self.twin_root, name, value)

    def set_parameters(self, parameters: dict[str, Any]) -> None:
        write_parameters(self.root, parameters)
        write_parameters(self.twin_root, parameters)

    def assert_outputs_equal_kedro_run(self) -> None:
        kedro_run(self.twin_root, self.twin.package)
        assert data_files(self.root) == data_files(self.twin_root)
