"""Fingerprints of Kedro datasets: what a cache key knows about data.

A fingerprint changes exactly when a dataset's content does. File datasets
are identified by a hash of their bytes (a folder, such as a versioned
dataset's with every version in it: of every file, by relative path). Hashing
gigabytes on every run would make caching pointless, so file hashes are
memoised on (path, size, mtime): git's trick, and as safe as git's, racy
files included: a file hashed less than :data:`RACY_NS` after it was last
modified could still change within the same mtime tick, so its hash is only
trusted once it has been taken again later (git's "racily clean" entries).
Datasets that do not persist (MemoryDataset) have no fingerprint: their
producer's cache key stands in for them.

A dataset persisted somewhere without a file (a model registry, a database
table) can still take part in caching by saying what it holds: a public
``fingerprint() -> str | None`` method, a string that changes whenever the
content does (a version, a digest, an ETag), ``None`` when nothing is stored.
Nothing else marks such a dataset; it must pickle if nodes run on Ray.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MISSING = "missing"
_CHUNK = 1 << 20
RACY_NS = 2_000_000_000  # more than any filesystem's mtime granularity


class FingerprintMemo:
    """Remembers file hashes by (size, mtime_ns), persisted as one JSON file;
    each entry is [size, mtime_ns, digest, when it was hashed (ns)]."""

    @classmethod
    def shared(cls, path: str | Path | None) -> FingerprintMemo:
        """This process's one memo of ``path``, read from disk once: every cache
        lookup of every node used to read and parse the whole file again (three
        times per cached node). Entries another process saves later are not seen
        here, which costs a re-hash, never a wrong answer: every entry is checked
        against its file's size and mtime before it is trusted."""
        if path is None:
            return cls(None)
        with _SHARED_LOCK:
            memo = _SHARED.get(str(path))
            if memo is None:
                memo = _SHARED[str(path)] = cls(Path(path))
            return memo

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        if path and path.exists():
            try:
                self._entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self._entries = {}  # a damaged memo only costs re-hashing

    def file_hash(self, path: Path) -> str:
        stat = path.stat()
        key = str(path)
        with self._lock:
            known = self._entries.get(key)
            if (
                known
                and known[0] == stat.st_size
                and known[1] == stat.st_mtime_ns
                and len(known) > 3
                and known[3] - stat.st_mtime_ns >= RACY_NS
            ):
                return str(known[2])
        hashed_at = time.time_ns()
        digest = _hash_file(path)
        with self._lock:
            self._entries[key] = [stat.st_size, stat.st_mtime_ns, digest, hashed_at]
            self._dirty = True
        return digest

    def save(self) -> None:
        if not (self.path and self._dirty):
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(self._entries))
            os.replace(tmp, self.path)
            self._dirty = False


_SHARED: dict[str, FingerprintMemo] = {}
_SHARED_LOCK = threading.Lock()

TRANSCODING_SEPARATOR = "@"


def dataset_id(name: str) -> str:
    """The dataset a node input or output name refers to: ``x@pandas`` and
    ``x@spark`` are two catalog entries, and two ways to load and save, of one
    dataset ``x`` (Kedro's transcoding). Dependencies and cache keys are about
    that one dataset. Kedro 1.x has this only as a private helper
    (``kedro.pipeline.transcoding._strip_transcoding``); Kedro itself rejects
    names with more than one separator before anything runs."""
    return name.split(TRANSCODING_SEPARATOR, 1)[0]


def dataset_locations(catalog: Any) -> dict[str, str]:
    """The file or folder each catalog dataset persists to (absolute paths).

    Read from the catalog's public ``to_config()``: Kedro has already made
    relative paths absolute against the project, so every process agrees.
    """
    configs = catalog.to_config()[0]
    locations = {}
    for name, config in configs.items():
        if not isinstance(config, dict):
            continue
        # A dataset subclass without an __init__ of its own, once loaded or saved,
        # reports its arguments nested: {"args": (), "kwargs": {"filepath": ...}}
        # (Kedro records the parent's wrapped __init__'s call arguments).
        nested = config.get("kwargs") if isinstance(config.get("kwargs"), dict) else {}
        # A dataset wrapping another (Kedro's CachedDataset, a plugin's dataset that
        # also logs what it saves) persists to its inner ``dataset``'s file.
        inner = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
        for source in (config, nested, inner):
            found = next((source[k] for k in ("filepath", "path") if source.get(k)), None)
            if found:
                locations[name] = str(found)
                break
        else:
            found = built_location(catalog, name)
            if found:
                locations[name] = found
    return locations


def built_location(catalog: Any, name: str) -> str | None:
    """The file of a dataset whose config no longer names it: a class made at run time
    around another dataset (a wrapper that also logs what it saves) is recorded by its
    own arguments only once built. kedro-datasets' file datasets keep the file in
    ``_filepath`` (folders: ``_path``) and its protocol in ``_protocol``."""
    try:
        dataset = catalog.get(name)
    except Exception:  # a dataset that cannot be built has no location
        return None
    path = getattr(dataset, "_filepath", None) or getattr(dataset, "_path", None)
    if path is None or str(path) in ("", "."):
        return None
    protocol = getattr(dataset, "_protocol", None) or "file"
    return str(path) if protocol == "file" else f"{protocol}://{path}"


def pinned_versions(catalog: Any) -> dict[str, str]:
    """The versions ``--load-versions`` pins, by dataset: a versioned dataset's
    fingerprint covers its whole folder, the same whichever version is read."""
    return {name: str(v) for name, v in catalog.to_config()[2].items() if v is not None}


def describes_itself(dataset: Any) -> bool:
    """Does the dataset fingerprint itself (see the module docstring)?"""
    return callable(getattr(dataset, "fingerprint", None))


def source_fingerprint(source: str | Any, memo: FingerprintMemo) -> str:
    """The fingerprint of a location (a path or URL) or of a dataset that
    describes itself; ``MISSING`` when nothing is there to look at."""
    if isinstance(source, str):
        return path_fingerprint(source, memo)
    try:
        value = source.fingerprint()
    except Exception as exc:  # an unreachable store: no proof of content, no cache hit
        log.warning("cannot fingerprint %s: %s", source, exc)
        return MISSING
    return MISSING if value is None else f"self:{value}"


def path_fingerprint(location: str, memo: FingerprintMemo) -> str:
    """Content hash of a local file or folder; size+mtime+etag for remote URLs."""
    if "://" in location and not location.startswith("file://"):
        return _remote_fingerprint(location)
    path = Path(location.removeprefix("file://"))
    if path.is_file():
        return "sha256:" + memo.file_hash(path)
    if path.is_dir():
        digest = hashlib.sha256()
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(path)).encode())
            digest.update(memo.file_hash(file).encode())
        return "sha256:" + digest.hexdigest()
    return MISSING


def _remote_fingerprint(location: str) -> str:
    import fsspec  # only for remote catalogs (s3://, gcs://...)

    fs, _, paths = fsspec.get_fs_token_paths(location)
    try:
        infos = (
            fs.find(paths[0], detail=True) if fs.isdir(paths[0]) else {paths[0]: fs.info(paths[0])}
        )
    except FileNotFoundError:
        return MISSING
    if not infos:
        return MISSING
    stable = {
        name: [info.get("size"), info.get("ETag") or info.get("etag"), str(info.get("mtime"))]
        for name, info in sorted(infos.items())
    }
    return "remote:" + hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
