"""kedro_atomic's datasets: same files as kedro-datasets, and a failed save changes nothing."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError
from kedro.pipeline import node, pipeline
from kedro.runner import SequentialRunner
from kedro_datasets.partitions import PartitionedDataset
from kedro_datasets.pickle import PickleDataset as PlainPickle

import kedro_atomic
from kedro_atomic.replace import sweep, temp_name


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file())


def test_each_type_round_trips_and_leaves_only_its_file(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    cases = [
        (kedro_atomic.ParquetDataset(filepath=str(tmp_path / "p/f.parquet")), frame),
        (kedro_atomic.JSONDataset(filepath=str(tmp_path / "j/f.json")), {"k": [1, 2]}),
        (kedro_atomic.PickleDataset(filepath=str(tmp_path / "k/f.pkl")), {"model": (1, 2)}),
        (kedro_atomic.TextDataset(filepath=str(tmp_path / "t/f.txt")), "馬\n"),
    ]
    for dataset, value in cases:
        assert not dataset.exists()
        dataset.save(value)
        dataset.save(value)  # replacing an existing file
        loaded = dataset.load()
        assert loaded.equals(value) if isinstance(value, pd.DataFrame) else loaded == value
    assert _files(tmp_path) == ["f.json", "f.parquet", "f.pkl", "f.txt"]


def test_save_args_reach_the_file(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    kedro_atomic.JSONDataset(filepath=str(target), save_args={"indent": 3}).save({"a": 1})
    assert target.read_text() == '{\n   "a": 1\n}'


def test_a_failed_save_keeps_the_old_file_where_kedro_datasets_tears_it(tmp_path: Path) -> None:
    """Pickling fails half-way (a lambda after 1 MB of data): bytes were already written."""
    old = {"model": "v1"}
    new = [bytes(1_000_000), lambda: None]
    atomic = kedro_atomic.PickleDataset(filepath=str(tmp_path / "atomic.pkl"))
    plain = PlainPickle(filepath=str(tmp_path / "plain.pkl"))
    for dataset in (atomic, plain):
        dataset.save(old)
        with pytest.raises(DatasetError, match="not serialised"):
            dataset.save(new)
    assert atomic.load() == old
    assert _files(tmp_path) == ["atomic.pkl", "plain.pkl"]  # no temp file left behind
    with pytest.raises(DatasetError):  # the control: kedro-datasets' file is torn
        plain.load()


def test_a_failed_node_leaves_earlier_outputs_intact(tmp_path: Path) -> None:
    """A Kedro run whose second node's output cannot be saved: every file is still whole."""
    catalog = DataCatalog.from_config(
        {
            "first": {"type": "kedro_atomic.ParquetDataset", "filepath": str(tmp_path / "a.pq")},
            "second": {"type": "kedro_atomic.PickleDataset", "filepath": str(tmp_path / "b.pkl")},
        }
    )
    state: dict[str, object] = {"run": 1, "second": "v1"}

    def make_first() -> pd.DataFrame:
        return pd.DataFrame({"run": [state["run"]] * 1000})

    def make_second(first: pd.DataFrame) -> object:
        return state["second"]

    flow = pipeline(
        [node(make_first, None, "first", name="a"), node(make_second, "first", "second", name="b")]
    )
    SequentialRunner().run(flow, catalog)
    before = (tmp_path / "b.pkl").read_bytes()

    state.update(run=2, second=[bytes(1_000_000), lambda: None])  # its save fails half-way
    with pytest.raises(DatasetError):
        SequentialRunner().run(flow, catalog)
    assert (tmp_path / "b.pkl").read_bytes() == before
    assert pickle.loads(before) == "v1"
    assert set(catalog.load("first")["run"]) == {2}  # the earlier node's new output, whole
    assert _files(tmp_path) == ["a.pq", "b.pkl"]


def test_partitions_are_written_atomically_and_temp_files_are_never_partitions(
    tmp_path: Path,
) -> None:
    store = PartitionedDataset(
        path=str(tmp_path / "pages"),
        dataset={"type": "kedro_atomic.TextDataset"},
        filename_suffix=".html",
    )
    store.save({"a": "<html>a</html>", "b": lambda: "<html>b</html>"})
    # a writer killed mid-save leaves its temp file beside the partitions
    (tmp_path / "pages" / ".c.html.999999999.dead.tmp").write_text("<html>ha")
    loaded = {key: load() for key, load in store.load().items()}
    assert loaded == {"a": "<html>a</html>", "b": "<html>b</html>"}


def test_temp_files_of_dead_writers_are_swept_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "x.parquet"
    dead = temp_name(target, pid=999_999_999)
    mine = temp_name(target)
    other = tmp_path / ".y.parquet.999999999.ab.tmp"  # another target's: not ours to touch
    for path in (dead, mine, other):
        path.write_bytes(b"partial")
    assert sweep(target) == [dead]
    assert mine.exists() and other.exists() and not dead.exists()


def test_the_project_catalog_writes_nothing_in_place() -> None:
    """No dataset a pipeline writes uses a kedro-datasets type that has an atomic twin.

    (Read-only inputs keep the plain types; types without a twin, such as a
    model registry, are not file writes of this kind.)
    """
    import yaml

    catalog = Path(__file__).parents[2] / "kedro_project" / "conf" / "base" / "catalog.yml"
    config = yaml.safe_load(catalog.read_text())
    in_place = {"pandas.ParquetDataset", "json.JSONDataset", "pickle.PickleDataset",
                "text.TextDataset"}  # fmt: skip
    read_only = {"real_results_csv", "real_race_ids_by_month"}

    def kind(entry: dict) -> str:
        inner = entry.get("dataset")  # a PartitionedDataset's: a mapping or a bare type
        if inner is None:
            return entry["type"]
        return inner if isinstance(inner, str) else inner["type"]

    written = {name: kind(entry) for name, entry in config.items() if name not in read_only}
    assert written, catalog
    offenders = {name: kind for name, kind in written.items() if kind in in_place}
    assert not offenders, f"write in place (use kedro_atomic.<Class>): {offenders}"
