"""The betting backtest: Harville place probabilities, settlement from the
payouts table, the favourite baseline and the EV rule with its odds cap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_keiba.evaluation.backtest import backtest_bets, estimated_place_odds, harville_place

PARAMS = {"strategies": ["model"], "ev_thresholds": [0.0, 0.5], "ev_threshold": 0.0,
          "stake_yen": 100, "place_takeout": 0.2, "max_odds": None}  # fmt: skip


def race(race_id: str, odds: list[float], model: list[float], winner: int) -> pd.DataFrame:
    n = len(odds)
    implied = 1 / np.array(odds)
    frame = pd.DataFrame({
        "race_id": race_id, "date": pd.Timestamp("2024-01-06"), "horse_number": np.arange(1, n + 1),
        "horse_id": [f"h{race_id}{i}" for i in range(n)], "win_odds": odds, "field_size": n,
        "p_model": model, "p_market": implied / implied.sum(), "p_oracle": np.nan,
    })  # fmt: skip
    frame["won"] = frame["horse_number"] == winner
    frame["top3"] = frame["horse_number"].isin([winner, winner % n + 1, (winner + 1) % n + 1])
    return frame


@pytest.mark.parametrize("places", [1, 2, 3])
def test_harville_place_probabilities_sum_to_the_places(places: int) -> None:
    p = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    result = harville_place(p, places)
    assert result.sum() == pytest.approx(places)
    assert np.all(np.diff(result) <= 0) and np.all(result >= p)


def test_bets_are_settled_with_the_payouts_table() -> None:
    odds = [2.0, 4.0, 8.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    model = [0.1, 0.1, 0.4, 0.1, 0.1, 0.1, 0.05, 0.05]  # value on no. 3 (EV 2.2) and others
    frame = race("r1", odds, model, winner=3)
    payouts = pd.DataFrame({
        "race_id": ["r1"] * 4, "bet_type": ["win", "place", "place", "place"],
        "combination": ["3", "3", "4", "5"], "payout_yen": [800, 250, 300, 500],
        "popularity": [3, 3, 4, 5],
    })  # fmt: skip
    _, bets, metrics = backtest_bets(frame, payouts, PARAMS)
    ev = np.array(model) * np.array(odds) - 1
    win = bets[(bets["strategy"] == "model") & (bets["bet_type"] == "win")]
    assert sorted(win["horse_number"]) == [i + 1 for i in np.flatnonzero(ev > 0)]
    assert win["return_yen"].sum() == 800  # only no. 3 won: its 800-yen win payout
    favourite = bets[(bets["strategy"] == "favourite") & (bets["bet_type"] == "win")]
    assert favourite["horse_number"].tolist() == [1] and favourite["return_yen"].sum() == 0
    assert metrics["roi_win_model"] == pytest.approx((800 - 100 * len(win)) / (100 * len(win)))
    assert metrics["roi_win_favourite"] == -1.0
    fav_place = bets[(bets["strategy"] == "favourite") & (bets["bet_type"] == "place")]
    assert fav_place["return_yen"].sum() == 0  # no. 1 did not place


def test_the_odds_cap_keeps_longshots_out() -> None:
    frame = race("r1", [2.0, 4.0, 8.0, 10.0, 60.0], [0.3, 0.3, 0.05, 0.05, 0.3], winner=5)
    payouts = pd.DataFrame({"race_id": ["r1"], "bet_type": ["win"], "combination": ["5"],
                            "payout_yen": [6000], "popularity": [5]})  # fmt: skip
    _, bets, uncapped = backtest_bets(frame, payouts, PARAMS)
    _, capped_bets, capped = backtest_bets(frame, payouts, {**PARAMS, "max_odds": 30})
    assert 5 in bets.loc[bets["strategy"] == "model", "horse_number"].tolist()
    assert 5 not in capped_bets.loc[capped_bets["strategy"] == "model", "horse_number"].tolist()
    assert uncapped["roi_win_model"] > 0 > capped["roi_win_model"]


def test_races_without_payouts_settle_win_bets_at_the_odds_and_take_no_place_bets() -> None:
    frame = race("r9", [2.0, 3.0, 9.0, 12.0, 15.0], [0.2, 0.2, 0.3, 0.2, 0.1], winner=3)
    empty = pd.DataFrame(columns=["race_id", "bet_type", "combination", "payout_yen", "popularity"])
    _, bets, metrics = backtest_bets(frame, empty, PARAMS)
    win = bets[(bets["strategy"] == "model") & (bets["bet_type"] == "win")]
    assert win["return_yen"].sum() == pytest.approx(900)
    assert metrics["races_settled_from_odds"] == 1
    assert bets[bets["bet_type"] == "place"].empty


def test_estimated_place_odds_are_at_least_the_stake() -> None:
    frame = race("r1", [1.5, 4.0, 8.0, 10.0, 20.0, 30.0, 40.0, 80.0], [0.125] * 8, winner=1)
    frame["places_paid"] = 3
    odds = estimated_place_odds(frame, takeout=0.2)
    assert (odds >= 1.0).all() and odds.is_monotonic_increasing  # longer odds, longer place odds
