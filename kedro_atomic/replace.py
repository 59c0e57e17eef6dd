"""Replacing a file atomically: write beside it, fsync, rename over it.

``os.replace`` within one directory is atomic on POSIX (and on Windows for
files on the same volume): a reader opens either the old inode or the new
one. fsync before the rename makes sure the new name never points at data
still in the page cache when the machine dies; fsync of the directory makes
the rename itself durable.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from durable_rename import fsync_directory

_SUFFIX = ".tmp"


def temp_name(target: Path, pid: int | None = None) -> Path:
    """A hidden sibling of ``target`` that names its writer's pid (for :func:`sweep`).

    Hidden and ending in ``.tmp``, so a folder reader that filters by suffix
    (``PartitionedDataset(filename_suffix=".html")``) never takes it for data.
    """
    pid = os.getpid() if pid is None else pid
    return target.with_name(f".{target.name}.{pid}.{secrets.token_hex(4)}{_SUFFIX}")


def sweep(target: Path) -> list[Path]:
    """Remove temp files of ``target`` left by writers that no longer run (killed mid-save)."""
    removed = []
    for leftover in target.parent.glob(f".{target.name}.*{_SUFFIX}"):
        pid_part = leftover.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid_part.isdecimal() and not _alive(int(pid_part)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover)
    return removed


@contextlib.contextmanager
def atomic_replace(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces ``target`` atomically.

    On any exception the temp file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target)
    temp = temp_name(target)
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_directory(target.parent)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
