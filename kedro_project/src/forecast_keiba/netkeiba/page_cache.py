"""A raw-HTML cache on disk, keyed by URL.

Why raw bytes and not parsed data: the parser will keep improving, and
re-parsing a hundred thousand stored pages takes minutes while re-fetching
them politely takes days. So every page that will never change (a published
race result) is kept exactly as the server sent it.

Layout: ``<directory>/<h[:2]>/<h>.page`` where ``h`` is the sha256 of the
normalised URL (two hex chars of sharding keep directories small). Each file
is one self-describing record::

    FKPAGE1\\n
    {"url": ..., "status": 200, "charset": "euc-jp", "fetched_at": ..., "length": N,
     "sha256": ...}\\n
    <N raw bytes>

One file rather than a body plus a sidecar, so that a single atomic
``os.replace`` publishes the whole entry: a crash leaves either the old entry,
the new one or none, and concurrent writers of one key (threads or processes)
end with one complete file, the last writer's. The stored length and sha256
also let :meth:`PageCache.get` refuse a file damaged outside this class (a
copy cut short, a full disk during ``rsync``) instead of returning half a page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from durable_rename import fsync_directory
from forecast_keiba.netkeiba.decode import decode_html

logger = logging.getLogger(__name__)

_MAGIC = b"FKPAGE1\n"
_SUFFIX = ".page"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class CachedPage:
    """One stored page: the raw bytes and what the server said about them."""

    url: str
    content: bytes
    status: int
    charset: str | None
    fetched_at: dt.datetime
    path: Path

    @property
    def text(self) -> str:
        """The body decoded like a fresh response (header charset, then sniffing)."""
        return decode_html(self.content, self.charset)


def normalise_url(url: str) -> str:
    """The cache key's spelling of ``url``: equivalent URLs map to one entry.

    Lower-cases scheme and host, drops a default port, the fragment and any
    user-info, turns an empty path into ``/`` and orders query parameters by
    name (netkeiba ignores their order; repeated names keep their order).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted(pairs, key=lambda kv: kv[0]))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def url_key(url: str) -> str:
    """Hex sha256 of the normalised URL: the entry's file name."""
    return hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()


class PageCache:
    """Raw pages on disk; see the module docstring for the format and guarantees.

    Holds no state besides the directory, so one instance can be shared by
    threads and any number of processes may use the same directory.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"PageCache({str(self.directory)!r})"

    def path_for(self, url: str) -> Path:
        """Where the entry of ``url`` lives (whether or not it exists yet)."""
        key = url_key(url)
        return self.directory / key[:2] / f"{key}{_SUFFIX}"

    def get(self, url: str) -> CachedPage | None:
        """The stored page of ``url``, or ``None`` if absent or damaged."""
        path = self.path_for(url)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            header, content = _split(raw)
            return CachedPage(
                url=header["url"],
                content=content,
                status=int(header["status"]),
                charset=header.get("charset"),
                fetched_at=dt.datetime.fromisoformat(header["fetched_at"]),
                path=path,
            )
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring damaged cache entry %s for %s: %s", path, url, exc)
            return None

    def put(
        self,
        url: str,
        content: bytes,
        *,
        status: int,
        charset: str | None,
        fetched_at: dt.datetime | None = None,
    ) -> CachedPage:
        """Store ``content`` for ``url`` atomically, replacing any previous entry.

        The record is written to a temporary file in the same directory,
        fsynced, then renamed over the final name, so readers only ever see a
        complete file. Temporary files start with ``.`` and end in ``.tmp``;
        one left by a killed process is never read (and may be deleted).
        """
        path = self.path_for(url)
        fetched_at = fetched_at or dt.datetime.now(dt.UTC)
        header = {
            "url": url,
            "status": status,
            "charset": charset,
            "fetched_at": fetched_at.isoformat(),
            "length": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        record = _MAGIC + json.dumps(header, ensure_ascii=True).encode("ascii") + b"\n" + content
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.stem[:16]}-", suffix=".tmp", dir=path.parent
        )
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o644)  # mkstemp's 0600 would hide pages from other users
                fh.write(record)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        fsync_directory(path.parent)
        return CachedPage(url, content, status, charset, fetched_at, path)

    def discard(self, url: str) -> bool:
        """Remove the entry of ``url``; return whether there was one."""
        try:
            self.path_for(url).unlink()
        except FileNotFoundError:
            return False
        return True

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.path_for(url).is_file()

    def __len__(self) -> int:
        return sum(1 for _ in self._entry_paths())

    def __iter__(self) -> Iterator[str]:
        """The URLs of the stored pages (as given to :meth:`put`), in key order."""
        for path in sorted(self._entry_paths()):
            try:
                with path.open("rb") as fh:
                    magic = fh.readline()
                    header_line = fh.readline()
                if magic != _MAGIC:
                    raise ValueError("not a page record")
                yield json.loads(header_line)["url"]
            except FileNotFoundError:  # discarded meanwhile
                continue
            except (ValueError, KeyError) as exc:
                logger.warning("skipping damaged cache entry %s: %s", path, exc)

    def _entry_paths(self) -> Iterator[Path]:
        if not self.directory.is_dir():
            return iter(())
        return self.directory.glob(f"??/*{_SUFFIX}")


def _split(raw: bytes) -> tuple[dict, bytes]:
    """Header and body of one record; ``ValueError`` unless complete and intact."""
    if not raw.startswith(_MAGIC):
        raise ValueError("not a page record")
    end = raw.find(b"\n", len(_MAGIC))
    if end < 0:
        raise ValueError("header cut short")
    header = json.loads(raw[len(_MAGIC) : end])
    content = raw[end + 1 :]
    if len(content) != header["length"]:
        raise ValueError(f"body of {len(content)} bytes, header says {header['length']}")
    if hashlib.sha256(content).hexdigest() != header["sha256"]:
        raise ValueError("body does not match its sha256")
    return header, content
