"""Betting backtest: would these probabilities have made money on held-out races?

Strategies bet a flat stake on every runner whose expected value exceeds a
threshold, ``EV = p x odds - 1``, and are settled with the payouts table (what
the track actually paid). Win bets use the final win odds; place bets use an
estimate of the place odds, because a result page prints place payouts only
for the horses that placed: the place pool is modelled as pari-mutuel on the
market's place probabilities (Harville from the win odds) after takeout.

Betting at final odds is the usual backtest idealisation (a real bettor sees
odds a minute before the off); it is the same for every strategy, including
the favourite baseline (always the market's favourite) and the oracle (the
world's true probabilities), which bound what a model can do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

BET_TYPES = ("win", "place")
SUMMARY_COLUMNS = ["strategy", "bet_type", "threshold", "bets", "staked", "returned", "roi",
                   "hit_rate"]  # fmt: skip


def backtest_bets(
    predictions: pd.DataFrame, payouts: pd.DataFrame, backtest: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """(summary per strategy x bet type x threshold, the bets at the reported
    threshold, headline metrics at that threshold).

    ``backtest``: ``strategies`` (probability columns ``p_<name>`` that bet by
    EV), ``ev_thresholds`` (the curve), ``ev_threshold`` (the reported point,
    chosen before looking at the test period), ``max_odds`` (no EV bet on a
    runner at longer final win odds: the longshot bias makes the market's
    longshots the least reliable "value"; null = no cap), ``stake_yen``,
    ``place_takeout``.
    """
    stake = float(backtest.get("stake_yen", 100))
    max_odds = backtest.get("max_odds")
    thresholds = sorted(float(t) for t in backtest["ev_thresholds"])
    chosen = float(backtest["ev_threshold"])
    if chosen not in thresholds:
        thresholds = sorted({*thresholds, chosen})
    runners = _with_returns(predictions, payouts)
    runners["place_odds_est"] = estimated_place_odds(runners, float(backtest["place_takeout"]))
    strategies = [s for s in backtest["strategies"] if runners[f"p_{s}"].notna().all()]
    for strategy in strategies:
        runners[f"p_{strategy}_place"] = _place_prob(runners, f"p_{strategy}")

    rows: list[dict[str, Any]] = []
    chosen_bets: list[pd.DataFrame] = []
    for bet_type in BET_TYPES:
        settled = runners[runners[f"{bet_type}_settled"]]
        favourite = settled[settled["is_favourite"]]
        rows.append(_summary("favourite", bet_type, np.nan, favourite, stake))
        chosen_bets.append(_bets(favourite, "favourite", bet_type, stake))
        odds = settled["win_odds"] if bet_type == "win" else settled["place_odds_est"]
        eligible = settled["win_odds"].astype(float) <= float(max_odds) if max_odds else True
        for strategy in strategies:
            probability = settled[f"p_{strategy}" if bet_type == "win" else f"p_{strategy}_place"]
            ev = probability * odds.astype(float) - 1.0
            for threshold in thresholds:
                picked = settled[(ev > threshold) & eligible]
                rows.append(_summary(strategy, bet_type, threshold, picked, stake))
                if threshold == chosen:
                    chosen_bets.append(_bets(picked, strategy, bet_type, stake))
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    bets = pd.concat(chosen_bets, ignore_index=True).sort_values(
        ["strategy", "bet_type", "date", "race_id", "horse_number"], ignore_index=True
    )
    return summary, bets, _headline(summary, chosen, runners, max_odds)


def estimated_place_odds(runners: pd.DataFrame, takeout: float) -> pd.Series:
    """Expected place payout per yen of each runner, if it places, before the race.

    Stakes in the place pool follow the market's place probabilities q (Harville
    from the implied win probabilities); the net pool minus the stakes on the
    placed horses is shared equally between them, so a runner pays
    ``1 + ((1 - takeout) - w_i - E[w of the others that place]) / (k w_i)``
    with w = q / k the pool shares and k the number of places paid. Never
    below 1.0 (JRA refunds at least the stake)."""
    market_place = _place_prob(runners, "p_market")
    places = runners["places_paid"].astype(float)
    share = market_place / places
    others = (
        ((market_place * share).groupby(runners["race_id"]).transform("sum") - market_place * share)
        / (places - market_place).clip(lower=1e-9)
        * (places - 1)
    )
    odds = 1.0 + ((1.0 - takeout) - share - others) / (places * share)
    return odds.clip(lower=1.0).where(places > 0)


def harville_place(p: np.ndarray, places: int) -> np.ndarray:
    """Probability of each runner finishing in the first ``places`` (1-3) under
    Harville's model (the runners' win probabilities, renormalised after each place)."""
    p = np.asarray(p, float)
    n = len(p)
    result = p.copy()
    if places >= 2 and n >= 2:
        second = p[:, None] * p[None, :] / np.maximum(1 - p[:, None], 1e-12)  # [first, second]
        np.fill_diagonal(second, 0.0)
        result = result + second.sum(axis=0)
        if places >= 3 and n >= 3:
            rest = np.maximum(1 - p[:, None] - p[None, :], 1e-12)
            third = second[:, :, None] * p[None, None, :] / rest[:, :, None]
            idx = np.arange(n)
            third[idx, idx, :] = 0
            third[idx, :, idx] = 0
            third[:, idx, idx] = 0
            result = result + third.sum(axis=(0, 1))
    return np.clip(result, 0.0, 1.0)


def _place_prob(runners: pd.DataFrame, column: str) -> pd.Series:
    out = pd.Series(np.nan, index=runners.index)
    for (_, places), race in runners.groupby(["race_id", "places_paid"], sort=False):
        if places > 0 and race[column].notna().all():
            out.loc[race.index] = harville_place(race[column].to_numpy(float), int(places))
    return out


def _with_returns(predictions: pd.DataFrame, payouts: pd.DataFrame) -> pd.DataFrame:
    """Runners with what a 1-yen win / place bet returned, the places paid, the favourite.

    Races without win payouts (the real CSV export has none) settle win bets at
    the final odds, which is what a win ticket pays; without place payouts a
    race takes no place bets."""
    runners = predictions.copy()
    runners["places_paid"] = np.select(
        [runners["field_size"] >= 8, runners["field_size"] >= 5], [3, 2], 0
    )
    number = runners["horse_number"].astype(int).astype(str)
    for bet_type in BET_TYPES:
        rows = payouts[payouts["bet_type"] == bet_type]
        race_ids, combinations = rows["race_id"].astype(str), rows["combination"].astype(str)
        paid = rows["payout_yen"].astype(float).groupby([race_ids, combinations]).sum() / 100.0
        key = pd.MultiIndex.from_arrays([runners["race_id"].astype(str), number])
        runners[f"{bet_type}_return"] = np.nan_to_num(paid.reindex(key).to_numpy(float))
        runners[f"{bet_type}_settled"] = runners["race_id"].astype(str).isin(set(race_ids))
    from_odds = ~runners["win_settled"] & runners["p_market"].notna()
    runners.loc[from_odds, "win_return"] = np.where(
        runners.loc[from_odds, "won"], runners.loc[from_odds, "win_odds"].astype(float), 0.0
    )
    runners["win_settled"] = runners["win_settled"] | from_odds
    runners["win_settled_from_odds"] = from_odds
    favourite = (
        runners.sort_values(["race_id", "win_odds", "horse_number"]).groupby("race_id").head(1)
    )
    runners["is_favourite"] = runners.index.isin(favourite.index) & runners["win_odds"].notna()
    return runners


def _summary(
    strategy: str, bet_type: str, threshold: float, picked: pd.DataFrame, stake: float
) -> dict[str, Any]:
    bets = len(picked)
    staked = bets * stake
    returned = float(picked[f"{bet_type}_return"].sum() * stake)
    return {
        "strategy": strategy,
        "bet_type": bet_type,
        "threshold": threshold,
        "bets": bets,
        "staked": staked,
        "returned": returned,
        "roi": (returned - staked) / staked if bets else np.nan,
        "hit_rate": float((picked[f"{bet_type}_return"] > 0).mean()) if bets else np.nan,
    }


def _bets(picked: pd.DataFrame, strategy: str, bet_type: str, stake: float) -> pd.DataFrame:
    return pd.DataFrame({
        "strategy": strategy,
        "bet_type": bet_type,
        "race_id": picked["race_id"].astype(str),
        "date": picked["date"],
        "horse_number": picked["horse_number"].astype(int),
        "stake_yen": stake,
        "return_yen": picked[f"{bet_type}_return"].astype(float) * stake,
    })  # fmt: skip


def _headline(
    summary: pd.DataFrame, chosen: float, runners: pd.DataFrame, max_odds: float | None
) -> dict[str, float]:
    """``roi_<bet>_<strategy>``, ``bets_...`` and ``hit_rate_...`` at the reported threshold."""
    at = summary[summary["threshold"].eq(chosen) | summary["strategy"].eq("favourite")]
    metrics: dict[str, float] = {"ev_threshold": chosen}
    if max_odds:
        metrics["max_odds"] = float(max_odds)
    for row in at.itertuples():
        suffix = f"{row.bet_type}_{row.strategy}"
        metrics[f"bets_{suffix}"] = int(row.bets)
        if row.bets:
            metrics[f"roi_{suffix}"] = float(row.roi)
            metrics[f"hit_rate_{suffix}"] = float(row.hit_rate)
    metrics["races_settled_from_odds"] = int(
        runners.loc[runners["win_settled_from_odds"], "race_id"].nunique()
    )
    return metrics
