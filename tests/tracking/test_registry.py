"""The registry dataset on a real SQLite MLflow store: every save of a new
model or score registers a version, the champion alias moves only to a strictly
better score, and load serves the alias holder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError
from mlflow import MlflowClient

from forecast_keiba.data.tables import tables_from_pages
from forecast_keiba.features.pre_race import features_from_tables
from forecast_keiba.models.champion import Candidate
from forecast_keiba.models.fitting import fit_race_model
from forecast_keiba.tracking.registry import RegisteredModelDataset
from netkeiba_replica.world import World, WorldConfig

TRAINING = {"calibration_fraction": 0.3, "random_state": 0}


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    world = World(WorldConfig(seed=3, n_days=6, races_per_day=6, upcoming_days=0))
    tables = tables_from_pages(
        (rid, lambda rid=rid: world.result_page(rid)) for rid in world.run_race_ids()
    )
    return features_from_tables(tables.races, tables.entries)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # as the tracking hook sets it for a run
    client = MlflowClient(uri)
    experiment = client.create_experiment("test", artifact_location=(tmp_path / "a").as_uri())
    monkeypatch.setenv("MLFLOW_RUN_ID", client.create_run(experiment).info.run_id)
    return client


def candidate(features: pd.DataFrame, score: float, C: float = 1.0) -> Candidate:
    model = fit_race_model(features, {"kind": "logistic_regression", "C": C}, TRAINING)
    example = features[model.feature_names_in_].head(5).reset_index(drop=True)
    return Candidate(model, "log_loss_model", score, False, example)


def test_alias_moves_only_to_a_strictly_better_score(features: pd.DataFrame, store) -> None:
    registry = RegisteredModelDataset("keiba-test")
    for score, champion in [(2.0, "1"), (2.1, "1"), (2.0, "1"), (1.9, "4"), (1.95, "4")]:
        registry.save(candidate(features, score))
        holder = store.get_model_version_by_alias("keiba-test", "champion")
        assert str(holder.version) == champion, (score, holder.version)
    assert len(store.search_model_versions("name='keiba-test'")) == 5


def test_the_same_model_and_score_is_registered_once(features: pd.DataFrame, store) -> None:
    registry = RegisteredModelDataset("keiba-test")
    same = candidate(features, 2.0)
    registry.save(same)
    registry.save(same)  # an unchanged rerun: the model came back from a cache
    assert len(store.search_model_versions("name='keiba-test'")) == 1
    registry.save(candidate(features, 2.0, C=0.1))  # another model
    assert len(store.search_model_versions("name='keiba-test'")) == 2


def test_load_serves_the_champion_not_the_latest(features: pd.DataFrame, store) -> None:
    registry = RegisteredModelDataset("keiba-test")
    best, worse = candidate(features, 1.5, C=0.01), candidate(features, 3.0, C=100.0)
    registry.save(best)
    registry.save(worse)
    served = registry.load()
    np.testing.assert_allclose(
        served.predict(best.input_example), best.model.predict(best.input_example)
    )
    assert not np.allclose(served.predict(features), worse.model.predict(features))


def test_fingerprint_changes_with_what_the_registry_holds(features: pd.DataFrame, store) -> None:
    """What the Prefect bridge's cache keys on: unchanged by a rerun that
    registers nothing, changed by a new version and by the alias moving."""
    registry = RegisteredModelDataset("keiba-test")
    assert registry.fingerprint() is None  # nothing registered yet
    first = candidate(features, 2.0)
    registry.save(first)
    after_first = registry.fingerprint()
    assert after_first is not None and after_first.startswith("keiba-test/1:")
    registry.save(first)  # the same model again: nothing registered
    assert registry.fingerprint() == after_first
    registry.save(candidate(features, 2.5, C=0.1))  # a new version; the alias stays
    after_second = registry.fingerprint()
    assert after_second not in (None, after_first) and after_second.endswith("@champion=1")
    store.set_registered_model_alias("keiba-test", "champion", "2")  # moved by hand
    assert registry.fingerprint() == after_second.replace("@champion=1", "@champion=2")


def test_load_outside_a_run_uses_the_configured_store(features: pd.DataFrame, store, monkeypatch):
    RegisteredModelDataset("keiba-test").save(candidate(features, 1.0))
    uri = os.environ["MLFLOW_TRACKING_URI"]
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert RegisteredModelDataset("keiba-test", tracking_uri=uri).load() is not None


def test_errors_name_the_model_and_what_to_do(features: pd.DataFrame, store, monkeypatch) -> None:
    with pytest.raises(DatasetError, match=r"keiba-absent@champion.*Train first"):
        RegisteredModelDataset("keiba-absent").load()
    monkeypatch.delenv("MLFLOW_RUN_ID")
    with pytest.raises(DatasetError, match="needs an MLflow run"):
        RegisteredModelDataset("keiba-test").save(candidate(features, 1.0))


def test_beats_is_strict_and_respects_the_direction(features: pd.DataFrame) -> None:
    lower = candidate(features, 1.0)
    assert lower.beats(None) and lower.beats(1.1) and not lower.beats(1.0)
    higher = Candidate(lower.model, "auc", 0.7, True, lower.input_example)
    assert higher.beats(0.6) and not higher.beats(0.7) and not higher.beats(0.8)
