"""Row counts of datasets a node served from cache did not write in this run.

The run summary counts rows as nodes save them (a Kedro dataset hook). A node
served from cache saves nothing: its counts come from the cached result, i.e.
what it wrote when it ran. That is the dataset's size for a file written whole,
but not for a partitioned dataset, whose save writes only the partitions given
(an incremental scrape writes the new pages: a night with nothing new saved 0).
For those the summary shows the partitions the dataset holds now.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


def _is_partitioned(dataset: Any) -> bool:
    try:
        from kedro_datasets.partitions import PartitionedDataset
    except ImportError:  # a project without kedro-datasets has none
        return False
    return isinstance(dataset, PartitionedDataset)


def partition_counts(catalog: Any, names: Iterable[str]) -> dict[str, int]:
    """How many partitions each partitioned dataset among ``names`` holds now
    (listing them: a PartitionedDataset loads lazily); other names are left out."""
    counts: dict[str, int] = {}
    for name in names:
        dataset = catalog.get(name)
        if not _is_partitioned(dataset):
            continue
        with contextlib.suppress(Exception):  # none yet, or unreadable: no figure
            counts[name] = len(dataset.load())
    return counts
