"""Child process of the kill test: saves ever newer versions of a dataset until killed.

Not a test module. ``python saver.py KIND PATH MODE`` with KIND ``json`` or
``parquet`` and MODE ``atomic`` (kedro_atomic) or ``plain`` (kedro-datasets).
Version k is a large value every part of which says k, so a reader can tell
a complete version from a torn one. Prints ``saved k`` after each save.
"""

from __future__ import annotations

import sys

import pandas as pd
from kedro.io import AbstractDataset
from kedro_datasets.json import JSONDataset as PlainJSON
from kedro_datasets.pandas import ParquetDataset as PlainParquet

import kedro_atomic

ROWS = {"json": 150_000, "parquet": 1_000_000}


def value(kind: str, version: int) -> object:
    rows = ROWS[kind]
    if kind == "json":
        return {"version": version, "rows": [[version, i] for i in range(rows)]}
    return pd.DataFrame({"version": [version] * rows, "i": range(rows)})


def dataset(kind: str, path: str, mode: str) -> AbstractDataset:
    classes = {
        ("json", "atomic"): kedro_atomic.JSONDataset,
        ("json", "plain"): PlainJSON,
        ("parquet", "atomic"): kedro_atomic.ParquetDataset,
        ("parquet", "plain"): PlainParquet,
    }
    return classes[kind, mode](filepath=path)


def main(kind: str, path: str, mode: str) -> None:
    target = dataset(kind, path, mode)
    values = [value(kind, 0), value(kind, 1)]
    version = 0
    while True:
        target.save(values[version % 2])
        print(f"saved {version % 2}", flush=True)
        version += 1


if __name__ == "__main__":
    main(*sys.argv[1:4])
