"""File fingerprints: memoised on (size, mtime), but never trusted while racy."""

from __future__ import annotations

import os
from pathlib import Path

from kedro_prefect.fingerprint import RACY_NS, FingerprintMemo, dataset_id


def test_a_same_size_rewrite_in_the_same_mtime_tick_is_seen(tmp_path: Path) -> None:
    data = tmp_path / "x.json"
    data.write_text('{"v": 1}')
    memo = FingerprintMemo(tmp_path / "memo.json")
    first = memo.file_hash(data)
    tick = data.stat().st_mtime_ns
    data.write_text('{"v": 2}')  # same size, and (forced) the same mtime
    os.utime(data, ns=(tick, tick))
    assert memo.file_hash(data) != first


def test_a_settled_file_is_not_hashed_again(tmp_path: Path) -> None:
    data = tmp_path / "x.json"
    data.write_text('{"v": 1}')
    old = data.stat().st_mtime_ns - 2 * RACY_NS  # last modified long before it is hashed
    os.utime(data, ns=(old, old))
    memo = FingerprintMemo(tmp_path / "memo.json")
    first = memo.file_hash(data)
    memo.save()
    data.write_text('{"v": 2}')  # behind the memo's back: same size, same mtime
    os.utime(data, ns=(old, old))
    assert FingerprintMemo(tmp_path / "memo.json").file_hash(data) == first  # git's trade-off


def test_transcoded_names_are_one_dataset() -> None:
    assert dataset_id("shuttles@pandas") == dataset_id("shuttles@spark") == "shuttles"
    assert dataset_id("ns.table") == "ns.table"


def test_a_subclassed_dataset_keeps_its_location_once_used(tmp_path: Path) -> None:
    """A dataset subclass without its own __init__ reports its arguments under
    ``kwargs`` once Kedro has built it: its file must still be found (else its
    readers would be left uncached)."""
    import pandas as pd
    from kedro.io import DataCatalog
    from kedro_datasets.pandas import ParquetDataset

    from kedro_prefect.fingerprint import dataset_locations

    class TruthDataset(ParquetDataset):
        pass

    path = tmp_path / "truth.parquet"
    catalog = DataCatalog({"truth": TruthDataset(filepath=str(path))})
    catalog.save("truth", pd.DataFrame({"x": [1]}))
    assert "kwargs" in catalog.to_config()[0]["truth"]  # the shape this guards against
    assert dataset_locations(catalog) == {"truth": str(path)}


def test_a_wrapping_dataset_persists_to_its_inner_datasets_file(tmp_path: Path) -> None:
    """A dataset declared with an inner ``dataset`` (Kedro's CachedDataset; the
    artifact-logging wrappers of tracking plugins) is fingerprinted by that file."""
    from kedro.io import DataCatalog

    from kedro_prefect.fingerprint import dataset_locations

    path = tmp_path / "report.txt"
    catalog = DataCatalog.from_config({"report": {
        "type": "CachedDataset", "dataset": {"type": "text.TextDataset", "filepath": str(path)},
    }})  # fmt: skip
    assert dataset_locations(catalog) == {"report": str(path)}


def test_a_dataset_built_around_another_keeps_its_location(tmp_path: Path) -> None:
    """A class made at run time around a file dataset, recorded by its own arguments
    only once built (no filepath in its config): the file comes from the object."""
    from kedro.io import DataCatalog
    from kedro_datasets.text import TextDataset

    from kedro_prefect.fingerprint import dataset_locations

    def wrapping(**dataset: str) -> TextDataset:
        class Wrapper(TextDataset):
            def __init__(self, tag: str) -> None:
                super().__init__(**dataset)
                self.tag = tag

        return Wrapper(tag="t")

    path = tmp_path / "report.txt"
    catalog = DataCatalog({"report": wrapping(filepath=str(path))})
    assert "filepath" not in catalog.to_config()[0]["report"]  # the shape this guards against
    assert dataset_locations(catalog) == {"report": str(path)}
