"""Forecasting upcoming races: race cards scored against the whole history.

A card's runners are appended to the history of past runs so that their form
features are computed exactly as they were for training rows (and, the card
being dated after every past race, from past races only).
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from forecast_keiba.features.pre_race import build_features, runs_frame
from forecast_keiba.models.fitting import RaceWinModel


def forecast_races(
    model: RaceWinModel,
    races: pd.DataFrame,
    entries: pd.DataFrame,
    card_races: pd.DataFrame,
    card_entries: pd.DataFrame,
) -> pd.DataFrame:
    """Win probability, rank and fair odds of every runner on the cards (``model``:
    the registry's champion by default, see the catalog's ``champion_model``)."""
    if card_entries.empty:
        raise ValueError("race_cards: no runners on the cards to forecast")
    history = runs_frame(races, entries)
    cards = runs_frame(card_races, card_entries)
    cards["finish_pct"] = float("nan")  # not run yet: contributes no form
    combined = pd.concat([history, cards], ignore_index=True)
    features = build_features(combined)
    target = features[features["race_id"].isin(card_races["race_id"])].copy()
    # Cards carry no odds yet: a "with market odds" model falls back to its own view.
    target["win_prob"] = model.race_probabilities(target)
    target["rank"] = target.groupby("race_id")["win_prob"].rank(ascending=False, method="first")
    target["fair_odds"] = 1.0 / target["win_prob"]
    names = card_entries[["race_id", "horse_number", "horse_name"]]
    info = card_races[["race_id", "name", "start_time"]].rename(columns={"name": "race_name"})
    table = target[["race_id", "horse_number", "horse_id", "win_prob", "rank", "fair_odds"]]
    table = table.merge(names, on=["race_id", "horse_number"]).merge(info, on="race_id")
    table["rank"] = table["rank"].astype(int)
    columns = ["race_id", "race_name", "start_time", "rank", "horse_number", "horse_name",
               "horse_id", "win_prob", "fair_odds"]  # fmt: skip
    return table[columns].sort_values(["race_id", "rank"], ignore_index=True)


def format_forecast(forecast: pd.DataFrame, top: int = 5) -> str:
    """A plain-text table per race (the demo and logs print this)."""
    lines: list[str] = []
    for race_id, race in forecast.groupby("race_id", sort=True):
        first = race.iloc[0]
        lines.append(f"{race_id}  {first['race_name']}  post {first['start_time'] or '?'}")
        lines.append("  rank  no  horse                     win%   fair odds")
        for row in race.head(top).itertuples():
            lines.append(
                f"  {row.rank:>4}  {row.horse_number:>2}  {_pad(row.horse_name, 24)}"
                f"  {100 * row.win_prob:5.1f}  {row.fair_odds:8.1f}"
            )
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-align in ``width`` terminal columns: full-width (Japanese) characters take two."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)
