"""Win-probability models: a time-based split, fitting, and per-race probabilities.

A model scores each runner; :func:`race_probabilities` turns scores into a
distribution over the field, because exactly one horse wins each race (dead
heats aside) and bets are priced against the whole field, not one runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from forecast_keiba.features import CATEGORICAL, NUMERIC


def split_by_date(
    features: pd.DataFrame, training: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the past, test on the future: races before/after one cut-off day.

    Never a random split: the same horse's later races would teach the model
    the outcome of the earlier ones it is tested on.
    """
    past = features[features["finish_position"].notna() | features["won"]]
    days = np.sort(past["date"].unique())
    if len(days) < 2:
        raise ValueError(f"need races on at least 2 days to split train/test, got {len(days)}")
    if training.get("test_start_date"):
        cut = pd.Timestamp(training["test_start_date"])
    else:
        fraction = float(training.get("test_fraction", 0.25))
        cut = pd.Timestamp(days[min(len(days) - 1, max(1, int(len(days) * (1 - fraction))))])
    train, test = past[past["date"] < cut], past[past["date"] >= cut]
    if train.empty or test.empty:
        raise ValueError(f"time split at {cut.date()} leaves an empty train or test set")
    return train.reset_index(drop=True), test.reset_index(drop=True)


def train_win_model(train: pd.DataFrame, training: Mapping[str, Any]) -> Pipeline:
    """Fit the configured model on one row per runner with target ``won``."""
    spec = dict(training.get("model", {}))
    kind = spec.pop("kind", "logistic_regression")
    if kind != "logistic_regression":
        raise ValueError(f"training.model.kind: unknown model {kind!r}")
    estimator = LogisticRegression(
        C=float(spec.get("C", 1.0)),
        max_iter=int(spec.get("max_iter", 1000)),
        random_state=training.get("random_state"),
    )
    model = Pipeline([("prepare", _preprocessor()), ("model", estimator)])
    model.fit(train[CATEGORICAL + NUMERIC], train["won"].astype(int))
    return model


def race_probabilities(model: Pipeline, features: pd.DataFrame) -> pd.Series:
    """Each runner's win probability, normalised so that every race sums to 1."""
    raw = model.predict_proba(features[CATEGORICAL + NUMERIC])[:, 1]
    scores = pd.Series(raw, index=features.index)
    return scores / scores.groupby(features["race_id"]).transform("sum")


def _preprocessor() -> ColumnTransformer:
    numeric = Pipeline(
        [("impute", SimpleImputer(strategy="median", add_indicator=True)),
         ("scale", StandardScaler())]
    )  # fmt: skip
    categorical = OneHotEncoder(handle_unknown="ignore", min_frequency=5)
    return ColumnTransformer([("num", numeric, NUMERIC), ("cat", categorical, CATEGORICAL)])
