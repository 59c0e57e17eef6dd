"""Features read nothing dated on or after the race they describe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_keiba.data.tables import RaceTables, tables_from_pages
from forecast_keiba.features.pre_race import (
    CATEGORICAL,
    NUMERIC,
    build_features,
    race_class,
    runs_frame,
)
from netkeiba_replica.world import World, WorldConfig

RESULT_COLUMNS = ["finish_position", "time_s", "margin", "win_odds", "popularity"]


@pytest.fixture(scope="module")
def tables() -> RaceTables:
    world = World(WorldConfig(seed=3, n_days=20, races_per_day=12, upcoming_days=0))
    return tables_from_pages(
        (rid, lambda rid=rid: world.result_page(rid)) for rid in world.run_race_ids()
    )


def as_of(tables: RaceTables, day: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What was knowable on the morning of ``day``: the past, and day's cards."""
    races = tables.races[tables.races["date"] <= day]
    entries = tables.entries[tables.entries["race_id"].isin(races["race_id"])].copy()
    today = entries["race_id"].isin(races.loc[races["date"] == day, "race_id"])
    entries.loc[today, RESULT_COLUMNS] = pd.NA
    started = ~entries["finish_status"].isin(["scratched", "excluded"])
    entries.loc[today & started, "finish_status"] = pd.NA  # unknown until the race is run
    return races, entries


@pytest.mark.parametrize("day_index", [1, 7, 15, 19])
def test_features_of_a_day_ignore_everything_from_that_day_on(
    tables: RaceTables, day_index: int
) -> None:
    days = sorted(tables.races["date"].unique())
    day = pd.Timestamp(days[day_index])
    full = build_features(runs_frame(tables.races, tables.entries))
    known = build_features(runs_frame(*as_of(tables, day)))
    columns = ["race_id", "horse_number", *CATEGORICAL, *NUMERIC]
    expected = full.loc[full["date"] == day, columns].sort_values(["race_id", "horse_number"])
    actual = known.loc[known["date"] == day, columns].sort_values(["race_id", "horse_number"])
    assert len(expected) > 50
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_form_accumulates_over_earlier_days_only(tables: RaceTables) -> None:
    features = build_features(runs_frame(tables.races, tables.entries))
    first_day = features["date"].min()
    debut = features[features["date"] == first_day]
    assert (debut["h_starts"] == 0).all() and (debut["j_starts"] == 0).all()
    assert debut["h_last_finish_pct"].isna().all()
    later = features[features["date"] > first_day]
    assert (later["j_starts"] > 0).mean() > 0.9  # jockeys ride every week


def test_no_result_time_column_is_a_feature() -> None:
    forbidden = {"win_odds", "popularity", "time_s", "finish_position", "margin", "won", "top3"}
    assert not forbidden & set(NUMERIC + CATEGORICAL)


def test_rewriting_results_from_a_day_on_changes_no_feature_up_to_it(tables: RaceTables) -> None:
    """Every result-time column of every race dated on or after ``day`` is scrambled:
    any feature of a race on ``day`` that read one of those rows would change."""
    days = sorted(tables.races["date"].unique())
    day = pd.Timestamp(days[10])
    later = tables.races.loc[tables.races["date"] >= day, "race_id"]
    entries = tables.entries.copy()
    rows = entries["race_id"].isin(later)
    rng = np.random.default_rng(0)
    for column in ("finish_position", "time_s", "win_odds", "popularity", "body_weight"):
        values = entries.loc[rows, column].to_numpy()
        entries.loc[rows, column] = rng.permutation(values)
    columns = ["race_id", "horse_number", *CATEGORICAL, *NUMERIC]
    before = build_features(runs_frame(tables.races, tables.entries))
    after = build_features(runs_frame(tables.races, entries))
    # body_weight is known before the off (the paddock): only it may change on the day.
    on_day = [c for c in columns if c not in ("body_weight", "body_weight_diff")]
    for frame in (before, after):
        frame.sort_values(["race_id", "horse_number"], inplace=True, ignore_index=True)
    mask = before["date"] <= day
    assert mask.sum() > 500
    pd.testing.assert_frame_equal(
        after.loc[mask, on_day].reset_index(drop=True),
        before.loc[mask, on_day].reset_index(drop=True),
    )


def test_race_class_reads_the_class_ladder_from_names() -> None:
    names = pd.Series(["2歳新馬", "3歳未勝利", "3歳以上1勝クラス", "4歳以上3勝クラス",
                       "有馬記念(G1)", "鹿島特別", None])  # fmt: skip
    assert race_class(names).tolist()[:6] == [0.0, 1.0, 2.0, 4.0, 6.0, 5.0]
    assert np.isnan(race_class(names).iloc[6])


def test_the_market_rating_learns_from_earlier_odds_only() -> None:
    from forecast_keiba.features.pre_race import _add_market_rating

    days = pd.to_datetime(["2024-01-06"] * 3 + ["2024-01-07"] * 3 + ["2024-01-13"] * 3)
    frame = pd.DataFrame(
        {
            "race_id": ["r1"] * 3 + ["r2"] * 3 + ["card"] * 3,
            "date": days,
            "horse_id": ["fav", "mid", "long"] * 3,
            "win_odds": [2.0, 5.0, 20.0, 2.2, 6.0, 18.0, None, None, None],
        }
    )
    rated = _add_market_rating(frame)
    first, second, card = (rated[rated["race_id"] == r] for r in ("r1", "r2", "card"))
    # Nothing known before the first race: the prior, the same for everyone.
    assert (first["h_market_rating"] == 0).all() and (first["h_market_rating_sd"] == 1).all()
    for later in (second, card):
        ratings = later["h_market_rating"].to_numpy()
        assert ratings[0] > ratings[1] > ratings[2]  # the market's order
        assert (later["h_market_rating_sd"] < 1).all()
    # A second race's odds move the ratings further; a card's (no odds) do not exist yet.
    assert card["h_market_rating_sd"].max() < second["h_market_rating_sd"].min()
    assert card["h_market_rating"].iloc[0] > second["h_market_rating"].iloc[0]
