"""Win models: per-race probabilities sum to 1, the market variant, model kinds,
the GPU switch, and errors that name the parameter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_keiba.data.tables import tables_from_pages
from forecast_keiba.features.pre_race import features_from_tables
from forecast_keiba.models import fitting
from forecast_keiba.models.fitting import fit_race_model, split_by_date, train_win_model
from netkeiba_replica.world import World, WorldConfig

TRAINING = {"calibration_fraction": 0.25, "random_state": 0}
HGB = {"kind": "hist_gradient_boosting", "max_iter": 20, "max_depth": 2}


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    world = World(WorldConfig(seed=8, n_days=12, races_per_day=8, upcoming_days=0))
    tables = tables_from_pages(
        (rid, lambda rid=rid: world.result_page(rid)) for rid in world.run_race_ids()
    )
    return split_by_date(features_from_tables(tables.races, tables.entries), test_fraction=0.25)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "logistic_regression"},
        HGB,
        {"kind": "xgboost", "n_estimators": 20, "device": "cpu"},
    ],
)
def test_every_race_sums_to_one(split, spec) -> None:  # fmt: skip
    train, test = split
    model = fit_race_model(train, spec, TRAINING)
    probabilities = model.race_probabilities(test)
    assert (probabilities > 0).all()
    sums = probabilities.groupby(test["race_id"]).sum()
    np.testing.assert_allclose(sums, 1.0)
    assert model.device == "cpu" and model.temperature > 0


def test_the_market_variant_blends_odds_and_falls_back_without_them(split) -> None:
    train, test = split
    model = fit_race_model(train, {**HGB, "with_market_odds": True}, TRAINING)
    assert model.with_market_odds and "win_odds" in model.feature_names_in_
    with_odds = model.race_probabilities(test)
    cards = test.assign(win_odds=np.nan)  # race cards: no odds yet
    np.testing.assert_allclose(model.race_probabilities(cards), model.race_probabilities(
        test, market=False))  # fmt: skip
    assert not np.allclose(with_odds, model.race_probabilities(test, market=False))


def test_gpu_model_only_when_cuda_is_there(split, monkeypatch: pytest.MonkeyPatch) -> None:
    train, _ = split
    gpu_model = {"kind": "xgboost", "n_estimators": 5}
    monkeypatch.setattr(fitting, "cuda_available", lambda: False)
    assert train_win_model(train, HGB, TRAINING, "auto", gpu_model).kind == "hist_gradient_boosting"
    chosen = {}
    monkeypatch.setattr(fitting, "cuda_available", lambda: True)
    monkeypatch.setattr(fitting, "fit_race_model", lambda t, spec, tr: chosen.update(spec))
    train_win_model(train, HGB, TRAINING, "auto", gpu_model)
    assert chosen == {"kind": "xgboost", "n_estimators": 5, "device": "cuda"}
    train_win_model(train, HGB, TRAINING, "never", gpu_model)
    assert chosen["kind"] == "hist_gradient_boosting"
    with pytest.raises(ValueError, match=r"training\.use_gpu: expected 'auto' or 'never'"):
        train_win_model(train, HGB, TRAINING, "always")


def test_this_machine_reports_no_cuda_without_a_gpu() -> None:
    assert fitting.cuda_available() in (True, False)  # never raises, even without nvidia-smi


@pytest.mark.parametrize(
    ("spec", "message"),
    [({"kind": "random_forest"}, "kind 'random_forest' is unknown"),
     ({"kind": "hist_gradient_boosting", "max_leafs": 3}, "unknown parameter.*max_leafs")],
)  # fmt: skip
def test_bad_model_parameters_are_named(split, spec, message) -> None:
    with pytest.raises(ValueError, match=message):
        fit_race_model(split[0], spec, TRAINING)


def test_the_split_keeps_starters_without_a_position_and_drops_race_cards() -> None:
    """A pulled-up runner started and was bet on: dropping it would hand its share
    of every race's probability to the others (the market's too)."""
    date = pd.to_datetime(["2024-01-06"] * 3 + ["2024-01-07"] * 3 + ["2024-01-13"] * 2)
    features = pd.DataFrame(
        {
            "race_id": ["r1"] * 3 + ["r2"] * 3 + ["card"] * 2,
            "date": date,
            "finish_position": [1, 2, None, 2, 1, 3, None, None],
            "won": [True, False, False, False, True, False, False, False],
        }
    )
    train, test = split_by_date(features, test_fraction=0.5)
    assert train["race_id"].tolist() == ["r1"] * 3
    assert test["race_id"].tolist() == ["r2"] * 3
    assert train["finish_position"].isna().sum() == 1  # the pulled-up runner of r1
