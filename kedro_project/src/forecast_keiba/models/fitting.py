"""Win-probability models: a time-based split, fitting, and per-race probabilities.

A classifier scores each runner on its own; a race is won against a field, so
:class:`RaceWinModel` turns scores into a distribution over the field with a
softmax whose temperature is fitted on the most recent training days (the
calibration slice). Exactly one horse wins each race (dead heats aside), so
each race's probabilities sum to 1 and the winner's probability is the score.

A model may also be a "with market odds" variant: a second stage, fitted on
the same calibration slice, blends the model's log-probabilities with the
market's (final win odds) as in Benter's conditional logit. It is the only
place where a result-time column enters a prediction, it is named as such in
every report, and without odds (race cards) it falls back to the model alone.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from forecast_keiba.features.pre_race import CATEGORICAL, NUMERIC
from forecast_keiba.models.race_model import RaceRanker

log = logging.getLogger(__name__)

FEATURES = CATEGORICAL + NUMERIC
_EPS = 1e-12


def split_by_date(
    features: pd.DataFrame, test_start_date: object = None, test_fraction: float = 0.25
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the past, test on the future: races before/after one cut-off day,
    ``test_start_date`` or else the start of the last ``test_fraction`` of race days.

    Never a random split: the same horse's later races would teach the model
    the outcome of the earlier ones it is tested on.

    A race has been run when any runner has a position; all its starters stay,
    those without one (pulled up, disqualified) too: money was on them, and
    dropping them would give every other runner's probability their share.
    """
    run = features["finish_position"].notna() | features["won"]
    past = features[run.groupby(features["race_id"]).transform("any")]
    days = np.sort(past["date"].unique())
    if len(days) < 2:
        raise ValueError(f"need races on at least 2 days to split train/test, got {len(days)}")
    if test_start_date:
        cut = pd.Timestamp(test_start_date)
    else:
        fraction = float(test_fraction)
        cut = pd.Timestamp(days[min(len(days) - 1, max(1, int(len(days) * (1 - fraction))))])
    train, test = past[past["date"] < cut], past[past["date"] >= cut]
    if train.empty or test.empty:
        raise ValueError(f"time split at {cut.date()} leaves an empty train or test set")
    return train.reset_index(drop=True), test.reset_index(drop=True)


@dataclass
class RaceWinModel:
    """A fitted runner classifier + the per-race softmax that calibrates it.

    ``predict(frame)`` is what MLflow's pyfunc flavour serves: ``frame`` holds
    ``race_id`` and the feature columns (plus ``win_odds`` for a market
    variant) and the result is each runner's win probability.
    """

    estimator: Any
    kind: str
    device: str
    temperature: float = 1.0
    market_weights: tuple[float, float] | None = None  # (model, market) log-prob weights
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def with_market_odds(self) -> bool:
        return self.market_weights is not None

    @property
    def feature_names_in_(self) -> list[str]:
        """The input columns (sklearn's convention; also the MLflow signature)."""
        return ["race_id", *FEATURES, *(["win_odds"] if self.with_market_odds else [])]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.race_probabilities(frame).to_numpy()

    def race_probabilities(self, frame: pd.DataFrame, *, market: bool = True) -> pd.Series:
        """Win probability of every runner; each race sums to 1. ``market=False``
        gives a market variant's probabilities without the odds."""
        logits = self.temperature * _scores(self.estimator, frame)
        fundamental = _race_softmax(logits, frame["race_id"])
        if not (market and self.market_weights):
            return pd.Series(fundamental, index=frame.index, name="win_prob")
        implied = market_probabilities(frame)
        have_odds = implied.notna().to_numpy()
        a, b = self.market_weights
        blended = a * np.log(np.clip(fundamental, _EPS, 1)) + b * np.log(
            np.clip(implied.fillna(1.0).to_numpy(), _EPS, 1)
        )
        probabilities = np.where(have_odds, _race_softmax(blended, frame["race_id"]), fundamental)
        return pd.Series(probabilities, index=frame.index, name="win_prob")


def market_probabilities(frame: pd.DataFrame) -> pd.Series:
    """The market's win probabilities: inverse final odds, normalised per race
    (NaN for races where any runner lacks odds, e.g. race cards)."""
    odds = (
        frame["win_odds"].astype(float) if "win_odds" in frame else pd.Series(np.nan, frame.index)
    )
    implied = (1.0 / odds).where(odds > 0)
    complete = implied.notna().groupby(frame["race_id"]).transform("all")
    total = implied.groupby(frame["race_id"]).transform("sum")
    return (implied / total).where(complete)


def train_win_model(
    train: pd.DataFrame,
    model: Mapping[str, Any],
    fitting: Mapping[str, Any],
    use_gpu: str = "auto",
    gpu_model: Mapping[str, Any] | None = None,
) -> RaceWinModel:
    """The model this run nominates: ``model`` (``training.model``), or ``gpu_model``
    when ``use_gpu`` allows it and a CUDA device is present. A ``race_ranking``
    model picks its device itself: CUDA under ``use_gpu: auto`` when JAX sees one,
    else the CPU. ``fitting``: see :func:`fit_race_model`."""
    spec = dict(model or {})
    gpu_spec = gpu_model
    use_gpu = str(use_gpu)
    if use_gpu not in ("auto", "never"):
        raise ValueError(f"training.use_gpu: expected 'auto' or 'never', got {use_gpu!r}")
    if gpu_spec and use_gpu == "auto" and cuda_available():
        spec = {**dict(gpu_spec), "device": "cuda"}
    if spec.get("kind") == "race_ranking":
        spec.setdefault("device", "auto" if use_gpu == "auto" else "cpu")
    return fit_race_model(train, spec, fitting)


def train_baseline_model(
    train: pd.DataFrame, baseline: Mapping[str, Any], fitting: Mapping[str, Any]
) -> RaceWinModel:
    """The reference every model is read against: ``training.baseline``."""
    return fit_race_model(train, dict(baseline or {}), fitting)


def fit_race_model(
    train: pd.DataFrame, spec: Mapping[str, Any], fitting: Mapping[str, Any]
) -> RaceWinModel:
    """Fit the estimator of ``spec`` on the earlier training days, the softmax
    temperature (and market blend) on the last ``fitting.calibration_fraction``
    of them, then refit the estimator on all training days (``fitting``:
    ``training.fitting``, shared by every model a run fits)."""
    spec = dict(spec)
    kind = spec.pop("kind", "logistic_regression")
    with_market = bool(spec.pop("with_market_odds", False))
    random_state = fitting.get("random_state")
    fit_days, calibration = _calibration_split(
        train, float(fitting.get("calibration_fraction", 0.2))
    )
    estimator, device = _estimator(kind, spec, random_state)
    _fit(estimator, fit_days)
    scores = _scores(estimator, calibration)
    temperature = _fit_temperature(scores, calibration)
    market_weights = None
    if with_market:
        fundamental = _race_softmax(temperature * scores, calibration["race_id"])
        market_weights = _fit_market_blend(fundamental, calibration)
    final, _ = _estimator(kind, spec, random_state)
    _fit(final, train)
    model = RaceWinModel(
        estimator=final,
        kind=kind,
        device=final.device_name if isinstance(final, RaceRanker) else device,
        temperature=temperature,
        market_weights=market_weights,
        spec={"kind": kind, "with_market_odds": with_market, **spec},
    )
    log.info(
        "fitted %s on %s (%d runners), temperature %.3f, market weights %s",
        kind, device, len(train), temperature, market_weights,
    )  # fmt: skip
    return model


def model_card(model: RaceWinModel, train: pd.DataFrame) -> dict[str, Any]:
    """What was fitted, on what, on which device: logged with every run."""
    card: dict[str, Any] = {
        "kind": model.kind,
        "device": model.device,
        "with_market_odds": model.with_market_odds,
        "temperature": round(model.temperature, 6),
        "train_runners": len(train),
        "train_races": int(train["race_id"].nunique()),
        "train_start": str(pd.Timestamp(train["date"].min()).date()),
        "train_end": str(pd.Timestamp(train["date"].max()).date()),
        "features": len(FEATURES),
    }
    if isinstance(model.estimator, RaceRanker) and model.estimator.fitted is not None:
        card["objective"] = model.estimator.objective
        card["fit_iterations"] = model.estimator.fitted.iterations
        card["fit_converged"] = model.estimator.fitted.converged
    if model.market_weights:
        card["market_weight_model"] = round(model.market_weights[0], 6)
        card["market_weight_market"] = round(model.market_weights[1], 6)
    return card


def cuda_available() -> bool:
    """A CUDA device is visible and xgboost (the optional ``gpu`` extra) is installed
    with CUDA support. Checked without importing a GPU framework."""
    try:
        import xgboost
    except ImportError:
        return False
    if not xgboost.build_info().get("USE_CUDA"):
        return False
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    result = subprocess.run([smi, "-L"], capture_output=True, text=True, check=False, timeout=30)
    return result.returncode == 0 and "GPU" in result.stdout


def _fit(estimator: Any, frame: pd.DataFrame) -> None:
    """A runner classifier learns who won; a race ranker each race's finishing order."""
    if isinstance(estimator, RaceRanker):
        estimator.fit(frame[FEATURES], frame["race_id"], frame["finish_position"])
    else:
        estimator.fit(frame[FEATURES], frame["won"].astype(int))


def _scores(estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    """Each runner's log-score (a race's softmax of them is its win distribution)."""
    if isinstance(estimator, RaceRanker):
        return estimator.race_scores(frame[FEATURES])
    return _logit(estimator.predict_proba(frame[FEATURES])[:, 1])


def _estimator(
    kind: str, spec: Mapping[str, Any], random_state: Any
) -> tuple[Pipeline | RaceRanker, str]:
    """(unfitted estimator, device) for a model kind; unknown kinds and keys fail by name."""
    spec = dict(spec)
    if kind == "race_ranking":  # forecast_keiba.race_model: per-race softmax, JAX
        known = _pop_known(spec, kind, RACE_RANKING_KEYS)
        ranker = RaceRanker(prepare=_one_hot_preprocessor(), seed=int(random_state or 0), **known)
        if spec:
            raise ValueError(
                f"training model {kind!r}: unknown parameter(s) {', '.join(sorted(spec))}"
            )
        return ranker, ranker.device_name
    if kind == "logistic_regression":
        classifier = LogisticRegression(
            C=float(spec.pop("C", 1.0)),
            max_iter=int(spec.pop("max_iter", 1000)),
            random_state=random_state,
        )
        prepare, device = _one_hot_preprocessor(), "cpu"
    elif kind == "hist_gradient_boosting":
        classifier = HistGradientBoostingClassifier(
            **_pop_known(spec, kind, HIST_GRADIENT_BOOSTING_KEYS),
            categorical_features=CATEGORICAL,
            random_state=random_state,
        )
        prepare, device = _ordinal_preprocessor(), "cpu"
    elif kind == "xgboost":
        from xgboost import XGBClassifier  # the optional `gpu` extra

        device = str(spec.pop("device", "cpu"))
        classifier = XGBClassifier(
            **_pop_known(spec, kind, XGBOOST_KEYS),
            device=device,
            tree_method="hist",
            random_state=random_state,
        )
        prepare = _ordinal_preprocessor()
    else:
        raise ValueError(
            f"training model kind {kind!r} is unknown "
            "(logistic_regression, hist_gradient_boosting, xgboost, race_ranking)"
        )
    if spec:
        raise ValueError(f"training model {kind!r}: unknown parameter(s) {', '.join(sorted(spec))}")
    return Pipeline([("prepare", prepare), ("model", classifier)]), device


HIST_GRADIENT_BOOSTING_KEYS = {
    "learning_rate", "max_iter", "max_leaf_nodes", "max_depth", "min_samples_leaf",
    "l2_regularization", "max_features", "early_stopping", "validation_fraction",
    "n_iter_no_change",
}  # fmt: skip
RACE_RANKING_KEYS = {"objective", "depth", "hidden", "l2", "max_iter", "tol", "device"}
XGBOOST_KEYS = {
    "n_estimators", "learning_rate", "max_depth", "min_child_weight", "subsample",
    "colsample_bytree", "reg_lambda", "reg_alpha", "max_bin",
}  # fmt: skip


def _pop_known(spec: dict[str, Any], kind: str, known: set[str]) -> dict[str, Any]:
    return {key: spec.pop(key) for key in sorted(set(spec) & known)}


def _one_hot_preprocessor() -> ColumnTransformer:
    numeric = Pipeline(
        [("impute", SimpleImputer(strategy="median", add_indicator=True)),
         ("scale", StandardScaler())]
    )  # fmt: skip
    categorical = OneHotEncoder(handle_unknown="ignore", min_frequency=5)
    return ColumnTransformer([("num", numeric, NUMERIC), ("cat", categorical, CATEGORICAL)])


def _ordinal_preprocessor() -> ColumnTransformer:
    """Trees split on category codes and on numbers, a missing value flagged by its
    own indicator column. Columns without a single value in the training data (the
    real CSV has no race conditions) are dropped: binning cannot split nothing."""
    categorical = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
    )
    numeric = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=False)
    transformer = ColumnTransformer(
        [("cat", categorical, CATEGORICAL), ("num", numeric, NUMERIC)],
        verbose_feature_names_out=False,
    )
    return transformer.set_output(transform="pandas")


def _calibration_split(train: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not 0 < fraction < 1:
        raise ValueError(f"training.calibration_fraction must be in (0, 1), got {fraction}")
    days = np.sort(train["date"].unique())
    if len(days) < 2:
        raise ValueError("training needs races on at least 2 days (fit + calibration)")
    cut = days[min(len(days) - 1, max(1, round(len(days) * (1 - fraction))))]
    return train[train["date"] < cut], train[train["date"] >= cut]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, float), 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def _race_softmax(logits: np.ndarray, race_id: pd.Series) -> np.ndarray:
    values = pd.Series(np.asarray(logits, float), index=race_id.index)
    shifted = values - values.groupby(race_id).transform("max")
    weights = np.exp(shifted)
    return (weights / weights.groupby(race_id).transform("sum")).to_numpy()


def _race_nll(probabilities: np.ndarray, frame: pd.DataFrame) -> float:
    won = frame["won"].to_numpy(bool)
    return float(-np.log(np.clip(probabilities[won], _EPS, 1)).mean())


def _fit_temperature(scores: np.ndarray, calibration: pd.DataFrame) -> float:
    """The softmax temperature minimising the winners' log loss on the calibration days."""
    race_id = calibration["race_id"]

    def loss(t: np.ndarray) -> float:
        return _race_nll(_race_softmax(t[0] * scores, race_id), calibration)

    result = minimize(loss, x0=[1.0], bounds=[(0.05, 5.0)], method="L-BFGS-B")
    return float(result.x[0])


def _fit_market_blend(fundamental: np.ndarray, calibration: pd.DataFrame) -> tuple[float, float]:
    """Weights (a, b) of softmax(a log p_model + b log p_market), by the same criterion."""
    implied = market_probabilities(calibration)
    usable = implied.notna().to_numpy()
    if not usable.any():
        raise ValueError("with_market_odds: no calibration race has complete win odds")
    frame = calibration[usable]
    log_model = np.log(np.clip(fundamental[usable], _EPS, 1))
    log_market = np.log(np.clip(implied[usable].to_numpy(), _EPS, 1))

    def loss(w: np.ndarray) -> float:
        return _race_nll(
            _race_softmax(w[0] * log_model + w[1] * log_market, frame["race_id"]), frame
        )

    result = minimize(loss, x0=[0.5, 0.5], bounds=[(0.0, 5.0), (0.0, 5.0)], method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])
