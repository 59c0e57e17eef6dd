"""The model report's table with bootstrap intervals, from a finished training run.

    uv run python bench/model_quality.py kedro_project/data/replica2y
    uv run python bench/model_quality.py kedro_project/data/replica2y --json out.json

Reads what ``kedro run`` left in a data root (``07_model_output/test_predictions``
and ``02_intermediate/payouts``) and prints every predictor's race log loss with a
95% bootstrap interval over races, the model's difference from the market (paired:
the same resampled races), and the win-bet backtest at the reported EV threshold
both with the configured odds cap and without one, model against the favourite.
A point figure on 1,248 races moves by a few thousandths from one test period to
the next; the intervals say which differences the data can tell apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast_keiba.evaluation.backtest import backtest_bets
from forecast_keiba.evaluation.metrics import PREDICTORS

RESAMPLES = 2000
SEED = 0


def race_losses(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per race and predictor: the sum of -log p(winner) over its winners, and
    ``winners`` (2 after a dead heat). The report's log loss is the mean over
    winners, i.e. sum of sums / sum of winners, over any resample of races too."""
    winners = predictions[predictions["won"]]
    columns = [f"p_{name}" for name in PREDICTORS if predictions[f"p_{name}"].notna().all()]
    losses = -np.log(winners[columns].clip(lower=1e-12).astype(float))
    sums = losses.groupby(winners["race_id"]).sum()
    sums["winners"] = winners.groupby("race_id").size()
    return sums


def _mean_loss(rows: np.ndarray) -> float:
    return float(rows[:, 0].sum() / rows[:, 1].sum())


def bootstrap(values: np.ndarray, statistic: Any, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile interval of ``statistic`` over races resampled with replacement
    (``values``: one row per race)."""
    n = len(values)
    draws = np.array([statistic(values[rng.integers(0, n, n)]) for _ in range(RESAMPLES)])
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def win_roi(bets: pd.DataFrame, strategy: str, rng: np.random.Generator) -> dict[str, Any]:
    """ROI of one strategy's win bets with an interval from resampling races (a
    race's bets win or lose together)."""
    picked = bets[(bets["strategy"] == strategy) & (bets["bet_type"] == "win")]
    if picked.empty:
        return {"bets": 0, "roi": None, "low": None, "high": None}
    per_race = picked.groupby("race_id")[["stake_yen", "return_yen"]].sum().to_numpy()

    def roi(rows: np.ndarray) -> float:
        return float(rows[:, 1].sum() / rows[:, 0].sum() - 1.0)

    low, high = bootstrap(per_race, roi, rng)
    return {"bets": len(picked), "roi": roi(per_race), "low": low, "high": high}


def quality(data_root: Path, backtest: dict[str, Any]) -> dict[str, Any]:
    predictions = pd.read_parquet(data_root / "07_model_output" / "test_predictions.parquet")
    payouts = pd.read_parquet(data_root / "02_intermediate" / "payouts.parquet")
    rng = np.random.default_rng(SEED)
    losses = race_losses(predictions)
    result: dict[str, Any] = {"races": len(losses), "log_loss": {}, "win_roi": {}}
    for column in losses.columns.drop("winners"):
        rows = losses[[column, "winners"]].to_numpy()
        low, high = bootstrap(rows, _mean_loss, rng)
        result["log_loss"][column[2:]] = {"mean": _mean_loss(rows), "low": low, "high": high}
    if "p_market" in losses:
        rows = np.column_stack([losses["p_model"] - losses["p_market"], losses["winners"]])
        low, high = bootstrap(rows, _mean_loss, rng)
        result["model_minus_market"] = {"mean": _mean_loss(rows), "low": low, "high": high}
    for cap in (backtest.get("max_odds"), None):
        _, bets, _ = backtest_bets(predictions, payouts, {**backtest, "max_odds": cap})
        label = f"max_odds={cap:g}" if cap else "no_cap"
        result["win_roi"][label] = {
            strategy: win_roi(bets, strategy, rng) for strategy in ("model", "favourite", "oracle")
        }
    return result


def format_quality(result: dict[str, Any]) -> str:
    lines = [f"{result['races']:,} held-out races; 95% bootstrap intervals over races", ""]
    lines.append(f"  {'predictor':<20}{'log loss':>10}   interval")
    for name, row in result["log_loss"].items():
        lines.append(f"  {name:<20}{row['mean']:>10.4f}   [{row['low']:.4f}, {row['high']:.4f}]")
    if "model_minus_market" in result:
        row = result["model_minus_market"]
        interval = f"[{row['low']:+.4f}, {row['high']:+.4f}]"
        lines.append(f"  {'model - market':<20}{row['mean']:>+10.4f}   {interval}")
    for label, strategies in result["win_roi"].items():
        lines += ["", f"  win bets, EV > 0, {label}: {'bets':>6}{'ROI':>9}   interval"]
        for strategy, row in strategies.items():
            if row["roi"] is None:
                lines.append(f"    {strategy:<12}{0:>6}")
                continue
            lines.append(
                f"    {strategy:<12}{row['bets']:>6}{100 * row['roi']:>+8.1f}%   "
                f"[{100 * row['low']:+.1f}%, {100 * row['high']:+.1f}%]"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_root", type=Path, help="a Kedro data root, e.g. data/replica2y")
    parser.add_argument("--max-odds", type=float, default=30.0, help="the report's odds cap")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    backtest = {
        "strategies": ["model", "oracle"],
        "ev_thresholds": [0.0],
        "ev_threshold": 0.0,
        "max_odds": args.max_odds,
        "stake_yen": 100,
        "place_takeout": 0.2,
    }
    result = quality(args.data_root, backtest)
    print(format_quality(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
