"""How good win models are on held-out races, against naive references.

Log loss over races (minus the log of the probability given to the actual
winner) is the primary score: it rewards calibrated probabilities, which is
what betting needs. Every model is read next to the uniform model
(1 / field size), the logistic baseline, the market (inverse final odds) and,
where the source knows it (the replica), the oracle: the world's true
probabilities, the best any model could do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from forecast_keiba.models.fitting import RaceWinModel, market_probabilities

_EPS = 1e-12

# Probability columns of ``test_predictions``, in report order.
PREDICTORS = {
    "model": "the nominated model",
    "model_fundamental": "the nominated model without market odds",
    "baseline": "logistic baseline",
    "market": "market (final win odds)",
    "uniform": "uniform (1 / field size)",
    "oracle": "oracle (the world's true probabilities)",
}
KEY_COLUMNS = ["race_id", "date", "horse_number", "horse_id", "won", "top3", "win_odds"]
TRUTH_COLUMNS = {"race_id": "string", "horse_number": "int16", "horse_id": "string",
                 "true_win_prob": "float64"}  # fmt: skip


def predict_test_set(
    model: RaceWinModel,
    baseline: RaceWinModel,
    test: pd.DataFrame,
    ground_truth: pd.DataFrame,
) -> pd.DataFrame:
    """Every held-out runner with each predictor's win probability (``p_<name>``).

    ``ground_truth`` (true win probabilities, empty when the source has none)
    must describe exactly these races: a truth of another world would make
    the oracle's figures meaningless, so a mismatch fails instead."""
    frame = test[KEY_COLUMNS].copy()
    frame["field_size"] = frame.groupby("race_id")["race_id"].transform("size")
    frame["p_model"] = model.race_probabilities(test).to_numpy()
    frame["p_model_fundamental"] = model.race_probabilities(test, market=False).to_numpy()
    frame["p_baseline"] = baseline.race_probabilities(test).to_numpy()
    frame["p_market"] = market_probabilities(test).to_numpy()
    frame["p_uniform"] = 1.0 / frame["field_size"]
    frame["p_oracle"] = _oracle(frame, ground_truth)
    return frame


def _oracle(frame: pd.DataFrame, ground_truth: pd.DataFrame) -> np.ndarray:
    if ground_truth.empty:
        return np.full(len(frame), np.nan)
    truth = ground_truth[list(TRUTH_COLUMNS)].astype(TRUTH_COLUMNS)
    keys = frame[["race_id", "horse_number", "horse_id"]].astype(
        {"race_id": "string", "horse_number": "int16", "horse_id": "string"}
    )
    joined = keys.merge(truth, on=["race_id", "horse_number", "horse_id"], how="left")
    missing = joined["true_win_prob"].isna()
    if missing.any():
        example = joined.loc[missing, ["race_id", "horse_number"]].head(3).to_dict("records")
        raise ValueError(
            f"ground_truth does not describe the scraped races: {int(missing.sum())} of "
            f"{len(joined)} held-out runners have no true probability (e.g. {example}); is the "
            "replica on source.db_base_url serving the world of source.embedded_replica?"
        )
    return joined["true_win_prob"].to_numpy(float)


def race_log_loss(frame: pd.DataFrame, prob: str) -> float:
    """Mean over races of -log(probability of the winner); dead heats average."""
    winners = frame[frame["won"]]
    return float(-np.log(np.clip(winners[prob].to_numpy(float), _EPS, 1.0)).mean())


def evaluate_predictions(predictions: pd.DataFrame) -> dict[str, float]:
    """Log loss and AUC (win, top 3) of every available predictor.

    ``log_loss_model``, ``auc_win`` and ``auc_top3`` are the nominated model's;
    ``*_<predictor>`` the others'. Predictors without probabilities for every
    runner (no odds, no ground truth) are left out rather than scored on a part.
    """
    metrics: dict[str, float] = {
        "races": int(predictions["race_id"].nunique()),
        "runners": len(predictions),
    }
    for name in PREDICTORS:
        column = f"p_{name}"
        if predictions[column].isna().any():
            continue
        metrics[f"log_loss_{name}"] = race_log_loss(predictions, column)
        if name != "uniform":
            metrics[f"auc_win_{name}"] = _auc(predictions["won"], predictions[column])
            metrics[f"auc_top3_{name}"] = _auc(predictions["top3"], predictions[column])
    metrics["auc_win"] = metrics["auc_win_model"]
    metrics["auc_top3"] = metrics["auc_top3_model"]
    top = predictions.loc[predictions.groupby("race_id")["p_model"].idxmax()]
    metrics["top_pick_win_rate"] = float(top["won"].mean())
    return metrics


def calibration_table(predictions: pd.DataFrame, column: str, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs observed win rate per probability decile (reliability curve)."""
    frame = predictions[[column, "won"]].dropna()
    quantile = pd.qcut(frame[column].rank(method="first"), bins, labels=False)
    return (
        frame.groupby(quantile)
        .agg(predicted=(column, "mean"), observed=("won", "mean"), runners=("won", "size"))
        .reset_index(drop=True)
    )


def _auc(target: pd.Series, score: pd.Series) -> float:
    if target.nunique() < 2:
        return float("nan")
    return float(roc_auc_score(target.astype(bool), score.astype(float)))
