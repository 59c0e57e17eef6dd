"""Which data a run read: content fingerprints of the datasets its nodes load.

Logged as MLflow dataset inputs (name, digest, where it lives), so two runs
that read the same bytes show the same digest. Folders hash every file by
relative path; hashes are memoised on (size, mtime) for the process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from mlflow.entities import Dataset, DatasetInput, InputTag

_CHUNK = 1 << 20
DIGEST_LENGTH = 32  # MLflow keeps at most 36 characters of a dataset digest


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
        for key in ("filepath", "path"):
            if isinstance(config, dict) and config.get(key):
                locations[name] = str(config[key])
                break
    return locations
