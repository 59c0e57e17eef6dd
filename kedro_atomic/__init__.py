"""Atomic-write variants of kedro-datasets' file datasets, for any Kedro project.

kedro-datasets opens the target file and writes into it, so a process killed
mid-save (OOM, SIGKILL, a worker lost) leaves a half-written file that the
next run loads as if it were data. These classes write a temporary file beside
the target, fsync it and ``os.replace`` it over the target: readers see the
old complete file or the new complete one, never a mix. Swap the type in the
catalog, nothing else changes::

    races:
      type: kedro_atomic.ParquetDataset   # was pandas.ParquetDataset
      filepath: data/02_intermediate/races.parquet

Inside a ``partitions.PartitionedDataset`` give the partition ``dataset`` one
of these types and every partition file is written the same way.

Generic on purpose (no Prefect, nothing of any one project): it lives beside
the Kedro→Prefect bridge ``flows/`` rather than in it, because atomic files
are a property of the data, wanted by ``kedro run`` just as much.

:class:`FileLock` is the other half: atomic files keep a reader from seeing half
a file, the lock keeps two runs from writing the same data side by side.
"""

from kedro_atomic.datasets import (
    AtomicSave,
    JSONDataset,
    ParquetDataset,
    PickleDataset,
    TextDataset,
)
from kedro_atomic.lock import FileLock, LockTimeout
from kedro_atomic.replace import atomic_replace

__all__ = [
    "AtomicSave",
    "FileLock",
    "JSONDataset",
    "LockTimeout",
    "ParquetDataset",
    "PickleDataset",
    "TextDataset",
    "atomic_replace",
]
