"""The report's table with bootstrap intervals: the same log loss as the report
(dead heats included), intervals around it, and the backtest with and without cap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast_keiba.evaluation.metrics import PREDICTORS, race_log_loss
from tests.bench.loader import load_bench


def predictions(races: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for race in range(races):
        n = 8
        p_true = rng.dirichlet(np.ones(n))
        winner = rng.choice(n, p=p_true)
        won = np.arange(n) == winner
        if race == 0:
            won[(winner + 1) % n] = True  # a dead heat
        market = 0.7 * p_true + 0.3 / n
        for i in range(n):
            rows.append({
                "race_id": f"r{race:03d}", "date": pd.Timestamp("2024-01-06"),
                "horse_number": i + 1, "horse_id": f"h{race}-{i}", "won": bool(won[i]),
                "top3": bool(won[i]), "win_odds": round(0.8 / market[i], 1), "field_size": n,
                "p_model": 0.5 * p_true[i] + 0.5 * market[i], "p_model_fundamental": p_true[i],
                "p_baseline": 1 / n, "p_market": market[i], "p_uniform": 1 / n,
                "p_oracle": p_true[i],
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_the_table_matches_the_report_and_brackets_it(tmp_path: Path) -> None:
    quality = load_bench("model_quality")
    frame = predictions()
    (tmp_path / "07_model_output").mkdir()
    (tmp_path / "02_intermediate").mkdir()
    frame.to_parquet(tmp_path / "07_model_output" / "test_predictions.parquet")
    payouts = pd.DataFrame(columns=["race_id", "bet_type", "combination", "payout_yen"])
    payouts.to_parquet(tmp_path / "02_intermediate" / "payouts.parquet")
    result = quality.quality(tmp_path, {
        "strategies": ["model", "oracle"], "ev_thresholds": [0.0], "ev_threshold": 0.0,
        "max_odds": 30.0, "stake_yen": 100, "place_takeout": 0.2,
    })  # fmt: skip
    assert result["races"] == 60 and set(result["log_loss"]) == set(PREDICTORS)
    for name, row in result["log_loss"].items():
        assert row["mean"] == pytest.approx(race_log_loss(frame, f"p_{name}"))
        assert row["low"] <= row["mean"] <= row["high"]  # (equal: 1 / field size)
    model = result["log_loss"]["model"]
    assert model["low"] < model["mean"] < model["high"]
    difference = result["model_minus_market"]["mean"]
    assert difference == pytest.approx(
        race_log_loss(frame, "p_model") - race_log_loss(frame, "p_market")
    )
    assert set(result["win_roi"]) == {"max_odds=30", "no_cap"}
    favourite = result["win_roi"]["no_cap"]["favourite"]
    assert favourite["bets"] == 60 and favourite["low"] <= favourite["roi"] <= favourite["high"]
    assert "model - market" in quality.format_quality(result)
