"""Which data a run read: content fingerprints of the datasets its nodes load.

kedro-mlflow logs what nodes write, not what they read. :class:`InputFingerprints`
logs every persisted dataset a node loads as an MLflow dataset input (name, digest,
where it lives) of the active run, so two runs that read the same bytes show the
same digest. Folders hash every file by relative path; hashes are memoised on
(size, mtime) for the process.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag

_CHUNK = 1 << 20
DIGEST_LENGTH = 32  # MLflow keeps at most 36 characters of a dataset digest


class InputFingerprints:
    """Kedro hook: the digest of each persisted dataset a run loads, once per run."""

    def __init__(self) -> None:
        self._locations: dict[str, str] = {}
        self._fingerprints = Fingerprints()
        self._logged: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        self._locations = dataset_locations(catalog)

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        location = self._locations.get(dataset_name)
        active = mlflow.active_run()
        # Inputs load before kedro-mlflow's before_node_run re-activates the run in a
        # worker thread of `kedro run --runner ThreadRunner`: then the environment says.
        run_id = active.info.run_id if active else os.environ.get("MLFLOW_RUN_ID")
        if location is None or run_id is None:
            return
        with self._lock:
            if (run_id, dataset_name) in self._logged:
                return
            self._logged.add((run_id, dataset_name))
        digest = self._fingerprints.of(location)
        if digest is not None:
            MlflowClient().log_inputs(run_id, [dataset_input(dataset_name, digest, location)])


class Fingerprints:
    def __init__(self) -> None:
        self._memo: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def of(self, location: str) -> str | None:
        """sha256 (truncated) of a local file or folder; None if absent or remote."""
        if "://" in location and not location.startswith("file://"):
            return None
        path = Path(location.removeprefix("file://"))
        if path.is_file():
            return self._file(path)[:DIGEST_LENGTH]
        if path.is_dir():
            digest = hashlib.sha256()
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                digest.update(str(file.relative_to(path)).encode())
                digest.update(self._file(file).encode())
            return digest.hexdigest()[:DIGEST_LENGTH]
        return None

    def _file(self, path: Path) -> str:
        stat = path.stat()
        with self._lock:
            known = self._memo.get(str(path))
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        with self._lock:
            self._memo[str(path)] = (stat.st_size, stat.st_mtime_ns, digest.hexdigest())
        return digest.hexdigest()


def dataset_input(name: str, digest: str, location: str) -> DatasetInput:
    return DatasetInput(
        dataset=Dataset(name=name, digest=digest, source_type="local",
                        source=json.dumps({"uri": location})),
        tags=[InputTag(key="mlflow.data.context", value="kedro")],
    )  # fmt: skip


def dataset_locations(catalog: Any) -> dict[str, str]:
    """The file or folder each catalog dataset persists to (Kedro made them absolute)."""
    configs = catalog.to_config()[0]
    locations = {}
    for name, config in configs.items():
        if not isinstance(config, dict):
            continue
        # once built, a subclass without an __init__ of its own nests its arguments
        # under kwargs; kedro-mlflow's artifact datasets keep the file on the object only
        nested = [config.get(key) for key in ("dataset", "kwargs")]
        config = {
            k: v for part in [*nested, config] if isinstance(part, dict) for k, v in part.items()
        }
        found = next((config[k] for k in ("filepath", "path") if isinstance(config.get(k), str)),
                     None) or _built_location(catalog, name)  # fmt: skip
        if found:
            locations[name] = str(found)
    return locations


def _built_location(catalog: Any, name: str) -> str | None:
    try:
        dataset = catalog.get(name)
    except Exception:  # a dataset that cannot be built has no location
        return None
    path = getattr(dataset, "_filepath", None) or getattr(dataset, "_path", None)
    protocol = getattr(dataset, "_protocol", None) or "file"
    if path is None or str(path) in ("", ".") or protocol != "file":
        return None
    return str(path)
