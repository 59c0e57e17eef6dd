"""How good a win model is on held-out races, against naive references.

Log loss over races (the probability given to the actual winner) is the
primary score: it rewards calibrated probabilities, which is what betting
needs. The uniform model (1 / field size) and, where odds exist, the market's
implied probabilities are the references every model must be read against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from forecast_keiba.modeling import race_probabilities

_EPS = 1e-12


def race_log_loss(frame: pd.DataFrame, prob: str) -> float:
    """Mean over races of -log(probability of the winner); dead heats average."""
    winners = frame[frame["won"]]
    return float(-np.log(np.clip(winners[prob].to_numpy(float), _EPS, 1.0)).mean())


def evaluate(test: pd.DataFrame, probabilities: pd.Series) -> dict[str, float]:
    """Scores of ``probabilities`` (indexed like ``test``) and the references."""
    frame = test.assign(p_model=probabilities)
    frame["p_uniform"] = 1.0 / frame.groupby("race_id")["race_id"].transform("size")
    odds = frame["win_odds"].astype(float)
    implied = (1.0 / odds).where(odds > 0)
    frame["p_market"] = implied / implied.groupby(frame["race_id"]).transform("sum")
    top = frame.loc[frame.groupby("race_id")["p_model"].idxmax()]
    metrics = {
        "races": int(frame["race_id"].nunique()),
        "runners": len(frame),
        "log_loss_model": race_log_loss(frame, "p_model"),
        "log_loss_uniform": race_log_loss(frame, "p_uniform"),
        "auc_win": float(roc_auc_score(frame["won"], frame["p_model"])),
        "auc_top3": float(roc_auc_score(frame["top3"], frame["p_model"])),
        "top_pick_win_rate": float(top["won"].mean()),
        # Flat 100-yen win bet on the model's top pick every race.
        "top_pick_roi": float((top["won"] * top["win_odds"].astype(float)).sum() / len(top)),
    }
    if frame["p_market"].notna().all():
        metrics["log_loss_market"] = race_log_loss(frame, "p_market")
    return metrics


def evaluate_win_model(model: Pipeline, test: pd.DataFrame) -> dict[str, float]:
    """Held-out metrics of a fitted win model (see :func:`evaluate`)."""
    return evaluate(test, race_probabilities(model, test))
