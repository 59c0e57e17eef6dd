"""Making a rename durable: fsync of the directory that holds the new name.

``os.replace`` is atomic, but the new directory entry may still sit in the page cache
when the machine dies; fsync of the directory writes it down. Shared by kedro_atomic's
atomic files and the netkeiba page cache, and free of dependencies so that neither
drags the other's imports in.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Make renames into ``directory`` durable; harmless where a platform cannot open a
    directory or fsync it."""
    try:
        fd = os.open(Path(directory), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
