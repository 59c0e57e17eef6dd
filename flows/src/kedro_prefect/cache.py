"""Content-addressed caching of Kedro nodes on Prefect's cache machinery.

A node's cache key has two parts:

* a *static* part fixed when the run is planned: the node's identity, the
  source of the module defining its function and of the project modules it
  uses, the values of the parameters it reads, the versions ``--load-versions``
  pins of its inputs, and the keys of the upstream nodes producing its inputs
  (so any change cascades downstream, as in prefect-dbt);
* a *content* part computed when the task starts: fingerprints of the
  persisted datasets it reads, which upstream tasks may just have rewritten.
  An input with no fingerprint (a MemoryDataset, a store that cannot say what
  it holds) is stood for by the *content* key of the node producing it, which
  covers that node's own inputs, recursively (:class:`KeyRecipe`): its static
  key alone would not change when a file upstream of it does, and the consumer
  would be served stale results. Transcoded names (``x@pandas``, ``x@spark``)
  are one dataset here (:func:`~kedro_prefect.fingerprint.dataset_id`).

Prefect stores only a small :class:`NodeResult` under the key, never data.
A cache hit is only worth something while the node's outputs are still there,
unchanged; so after each successful run the outputs' fingerprints are written
to a *validity record* named by the key, and a key whose outputs no longer
match its record is swapped for a one-off key that forces a re-run. The next
run then hits again (the record now describes the new outputs).

Everything the cache knows lives in one *state folder* per project (validity
records, the fingerprint memo, and Prefect's own cache records, i.e. the task
results): every process that runs the project — the flow run, a retry started
from the UI or the CLI, a worker, a Ray worker — must read and write the same
records, or a retry re-runs what its first attempt finished. Prefect's ambient
result storage (``PREFECT_LOCAL_STORAGE_PATH``, by default under the user's
``PREFECT_HOME``) differs from process to process, so it is never used.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from kedro_prefect.fingerprint import MISSING, FingerprintMemo, dataset_id, source_fingerprint


def stable_hash(*parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def code_fingerprint(func: Any) -> str:
    """Hash of the source of the module defining ``func`` (the whole module, not
    just the function, so edits to the helpers it calls invalidate the cache too)
    and of the project modules it uses, transitively (:func:`_helper_modules`)."""
    while hasattr(func, "func"):  # functools.partial
        func = func.func
    module = sys.modules.get(getattr(func, "__module__", "") or "")
    try:
        source = inspect.getsource(module) if module else inspect.getsource(func)
    except (OSError, TypeError):
        source = f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"
    helpers = _helper_modules(module) if module else []
    if not helpers:
        return hashlib.sha256(source.encode()).hexdigest()
    return stable_hash(source, [(m.__name__, _source(m)) for m in helpers])


def _helper_modules(module: ModuleType) -> list[ModuleType]:
    """The modules of the same top-level package as ``module`` that it refers to
    (``import pkg.utils``, ``from pkg.utils import clean``), transitively, in name
    order; none for installed libraries (a node that is ``pandas.concat`` is not
    fingerprinted by all of pandas): a node's code is its own and its project's."""
    if not _is_project_code(module):
        return []
    root = module.__name__.split(".")[0]
    seen: dict[str, ModuleType] = {module.__name__: module}
    pending = [module]
    while pending:
        for value in list(vars(pending.pop()).values()):
            name = (
                value.__name__ if isinstance(value, ModuleType)
                else getattr(value, "__module__", None)
                if inspect.isfunction(value) or inspect.isclass(value) else None
            )  # fmt: skip
            if not name or name in seen or name.split(".")[0] != root:
                continue
            helper = sys.modules.get(name)
            if helper is not None and _is_project_code(helper):
                seen[name] = helper
                pending.append(helper)
    return [seen[name] for name in sorted(seen) if name != module.__name__]


def _is_project_code(module: ModuleType) -> bool:
    path = getattr(module, "__file__", None)
    return bool(path) and not {"site-packages", "dist-packages"} & set(Path(path).parts)


def _source(module: ModuleType) -> str:
    try:
        return inspect.getsource(module)
    except (OSError, TypeError):
        return module.__name__


@dataclass(frozen=True)
class StateFolder:
    """Where one project's cache state lives (see the module docstring)."""

    root: Path

    @property
    def validity_dir(self) -> Path:
        return self.root / "validity"

    @property
    def memo_path(self) -> Path:
        return self.root / "fingerprints.json"

    @property
    def results_dir(self) -> Path:
        """Prefect's cache records (the task results), one file per cache key."""
        return self.root / "results"


@dataclass(frozen=True)
class NodeResult:
    """What Prefect persists for a node run: a receipt, not the data."""

    node: str
    outputs: dict[str, str | None]
    rows: dict[str, int]
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "outputs": self.outputs, "rows": self.rows,
                "duration_s": self.duration_s}  # fmt: skip


class ValidityRecords:
    """Output fingerprints of each cache key's last successful run, one small
    JSON file per key, written atomically (several workers may share the folder)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def read(self, key: str) -> dict[str, str] | None:
        try:
            return json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None

    def write(self, key: str, outputs: dict[str, str]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(outputs, sort_keys=True))
        os.replace(tmp, path)


class KnownKeys(dict[int, str]):
    """Content keys of recipes already computed, by the recipe's identity; it holds
    the recipes too, so that no identity is reused by another object meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self._alive: list[KeyRecipe] = []

    def add(self, recipe: KeyRecipe, key: str) -> None:
        self._alive.append(recipe)
        self[id(recipe)] = key


@dataclass(frozen=True)
class KeyRecipe:
    """How one node's content key is made, as plain data that pickles anywhere.

    ``inputs`` are the (dataset name, source) of the inputs that can be
    fingerprinted: a file location or a dataset with ``fingerprint()``.
    ``derived`` are the inputs that cannot, each with the recipe of the node
    producing it in this run: deterministic nodes write the same data for the
    same content key, so that key stands for the data.
    """

    static_key: str
    inputs: tuple[tuple[str, str | Any], ...] = ()
    derived: tuple[tuple[str, KeyRecipe], ...] = ()

    def key(
        self,
        memo: FingerprintMemo,
        assume: Mapping[str, str],
        known: KnownKeys | None = None,
    ) -> str:
        """The static key + the inputs' current fingerprints, or those ``assume``
        gives (by :func:`~kedro_prefect.fingerprint.dataset_id`) for a prediction.

        The recipes below this one are walked without recursion, each computed once
        (``known``: pass one to share the work between calls made under the same
        fingerprints and ``assume``): a chain of a thousand nodes passing in-memory
        data is a thousand recipes deep."""
        known = KnownKeys() if known is None else known
        stack: list[KeyRecipe] = [self]
        while stack:
            recipe = stack[-1]
            if id(recipe) in known:
                stack.pop()
                continue
            pending = [r for _, r in recipe.derived if id(r) not in known]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            known.add(recipe, recipe._own_key(memo, assume, known))
        return known[id(self)]

    def _own_key(self, memo: FingerprintMemo, assume: Mapping[str, str], known: KnownKeys) -> str:
        fingerprints = {
            name: assume.get(dataset_id(name)) or source_fingerprint(src, memo)
            for name, src in self.inputs
        }
        if not self.derived:
            return stable_hash(self.static_key, fingerprints)
        derived = {name: known[id(recipe)] for name, recipe in self.derived}
        return stable_hash(self.static_key, fingerprints, derived)


@dataclass(frozen=True)
class NodeCache:
    """How one Kedro node (or group) is cached; everything it needs is baked in at
    plan time, mostly as plain strings, so it pickles across processes like
    prefect-dbt's cache policy. Plain data, free of Prefect: the plan predicts hits
    with it without importing Prefect, and :class:`~kedro_prefect.cache_policy.
    KedroNodeCachePolicy` hands its keys to Prefect's cache machinery."""

    node_name: str = ""
    static_key: str = ""
    # (dataset name, source) of persisted inputs and outputs: the absolute
    # location of a file dataset, or a dataset that fingerprints itself.
    inputs: tuple[tuple[str, str | Any], ...] = ()
    outputs: tuple[tuple[str, str | Any], ...] = ()
    records_dir: str = ""
    memo_path: str | None = None
    results_dir: str = ""  # Prefect's cache records (the task results) of the project
    # Inputs without a fingerprint, each with its producer's recipe (KeyRecipe).
    derived: tuple[tuple[str, KeyRecipe], ...] = ()
    expires: bool = False  # cache.expiration_seconds is set: records may expire

    @property
    def recipe(self) -> KeyRecipe:
        return KeyRecipe(self.static_key, self.inputs, self.derived)

    def content_key(
        self,
        memo: FingerprintMemo | None = None,
        assume: Mapping[str, str] | None = None,
        known: KnownKeys | None = None,
    ) -> str:
        """Static part + current fingerprints of the persisted inputs (or, for
        a prediction, the fingerprints ``assume`` gives some of them); ``known`` as
        for :meth:`KeyRecipe.key`."""
        memo = memo or FingerprintMemo.shared(self.memo_path)
        key = self.recipe.key(memo, assume or {}, known)
        memo.save()
        return key

    def output_fingerprints(self, memo: FingerprintMemo | None = None) -> dict[str, str]:
        memo = memo or FingerprintMemo.shared(self.memo_path)
        result = {name: source_fingerprint(src, memo) for name, src in self.outputs}
        memo.save()
        return result

    def recorded_outputs(self, key: str) -> dict[str, str] | None:
        """The output fingerprints the last successful run under ``key`` left."""
        return ValidityRecords(self.records_dir).read(key)

    def is_valid(self, key: str, memo: FingerprintMemo | None = None) -> bool:
        """Would a cached result for ``key`` leave the node's outputs as they should be?"""
        current = self.output_fingerprints(memo)
        if any(fp == MISSING for fp in current.values()):
            return False
        record = ValidityRecords(self.records_dir).read(key)
        # No record: the outputs exist and nothing says they changed (records
        # are kept beside the data; a lost record only costs trust, not data).
        return record is None or record == current

    def has_record(self, key: str) -> bool:
        """Does Prefect hold a cache record under ``key`` (what a task run would hit)?

        Prefect names a record after its cache key in the result storage (the state
        folder's ``results``): without the file there is nothing to hit, which needs
        no Prefect. Whether a record that is there has expired only Prefect can say
        (read through its own ``ResultStore``), so that is asked only where
        ``cache.expiration_seconds`` is set."""
        if not (Path(self.results_dir) / key).is_file():
            return False
        if not self.expires:
            return True
        from prefect.filesystems import LocalFileSystem
        from prefect.results import ResultStore

        store = ResultStore(result_storage=LocalFileSystem(basepath=self.results_dir))
        return store.exists(key)

    def record_success(self) -> dict[str, str]:
        """After the node ran: remember its outputs under its content key (not
        the one-off key of an invalidated run, so that the next run hits).
        Returns the outputs' fingerprints."""
        memo = FingerprintMemo.shared(self.memo_path)
        outputs = self.output_fingerprints(memo)
        ValidityRecords(self.records_dir).write(self.content_key(memo), outputs)
        return outputs
