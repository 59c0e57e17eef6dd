"""Pre-race features: only what was known before the race went off.

The rule that keeps backtests honest: a feature of a race on day D reads
nothing dated on or after D. Form statistics (horse, jockey, trainer) are
aggregated per entity and day, cumulated, and shifted by one day, so even
another race on the same afternoon cannot leak in. Result-time columns of the
race itself (finishing time, final odds, popularity) never become features;
the odds are kept aside only for evaluation and betting backtests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Entries that never started carry no information about anyone's form.
NON_STARTERS = ("scratched", "excluded")

CATEGORICAL = ["surface", "going", "weather", "sex", "venue_code"]
NUMERIC = [
    "race_class",
    "h_class_change",
    "distance_m",
    "field_size",
    "draw_ratio",
    "bracket",
    "weight_carried",
    "body_weight",
    "body_weight_diff",
    "age",
    "h_starts",
    "h_win_rate",
    "h_top3_rate",
    "h_mean_finish_pct",
    "h_last_finish_pct",
    "h_days_since_last",
    "h_distance_change",
    "h_surface_finish_pct",
    "h_last3_finish_pct",
    "h_distance_finish_pct",
    "h_going_finish_pct",
    "h_best_distance_gap",
    "h_last_speed_fig",
    "h_last3_speed_fig",
    "h_best_speed_fig",
    "h_market_rating",
    "h_market_rating_sd",
    "j_starts",
    "j_win_rate",
    "j_top3_rate",
    "t_starts",
    "t_win_rate",
    "t_top3_rate",
    # The same form relative to today's rivals (field mean subtracted): a race is
    # won against this field, and every rival's form is pre-race knowledge too.
    "rel_h_win_rate",
    "rel_h_mean_finish_pct",
    "rel_h_last3_finish_pct",
    "rel_h_last3_speed_fig",
    "rel_h_best_speed_fig",
    "rel_h_market_rating",
    "rel_j_win_rate",
    "rel_t_win_rate",
    "rel_weight_carried",
]
# Field-relative versions of these columns are NUMERIC's ``rel_*`` entries.
RELATIVE_TO_FIELD = [
    "h_win_rate",
    "h_mean_finish_pct",
    "h_last3_finish_pct",
    "h_last3_speed_fig",
    "h_best_speed_fig",
    "h_market_rating",
    "j_win_rate",
    "t_win_rate",
    "weight_carried",
]
KEYS = ["race_id", "date", "horse_id", "horse_number"]
TARGETS = ["won", "top3", "finish_position", "win_odds"]

# Small samples shrink towards a typical runner's rates (fields average ~12.5
# runners) with this many pseudo-starts. Fixed numbers, not the data's mean:
# a mean over the whole table would let future races leak into the prior.
_PRIOR_STARTS = 5.0
_PRIOR_WIN = 1 / 12.5
_PRIOR_TOP3 = 3 / 12.5

# The market rating (see _add_market_rating), on the scale of log win odds: a
# newcomer's rating is uncertain by this variance, one race's odds measure a
# runner against its field up to this variance, and a rating drifts by this much
# a race (horses improve and decline). Chosen on the development world (seed 42).
_RATING_PRIOR_VAR = 1.0
_RATING_OBSERVATION_VAR = 0.3
_RATING_DRIFT_VAR = 0.01

# The class ladder as printed in a race's name (JRA): debut < maiden < 1-3 wins
# < open. Named races without a class word (特別 / ステークス / graded) are open
# or conditions races; they rank at the top. Unknown names stay missing.
_CLASS_WORDS = (("新馬", 0), ("未勝利", 1), ("1勝", 2), ("2勝", 3), ("3勝", 4), ("G", 6),
                ("ステークス", 5), ("特別", 5), ("オープン", 5))  # fmt: skip


def race_class(name: pd.Series) -> pd.Series:
    """The class level of each race from its name (NaN when it says none)."""
    text = name.astype("string")
    level = pd.Series(np.nan, index=name.index, dtype=float)
    for word, value in reversed(_CLASS_WORDS):  # first listed word wins
        level = level.mask(text.str.contains(word, regex=False).fillna(False), float(value))
    return level


def runs_frame(races: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Entries of horses that started, joined with their race's conditions."""
    started = entries[~entries["finish_status"].isin(NON_STARTERS)]
    runs = started.merge(
        races[["race_id", "date", "name", "surface", "distance_m", "going", "weather",
               "venue_code", "field_size"]],
        on="race_id",
        how="inner",
        validate="many_to_one",
    )  # fmt: skip
    runs = runs.sort_values(["date", "race_id", "horse_number"], kind="stable", ignore_index=True)
    position = runs["finish_position"].astype("Float64")
    runs["won"] = (position == 1).fillna(False).astype(bool)
    runs["top3"] = (position <= 3).fillna(False).astype(bool)
    # Not finishing (pulled up, disqualified) counts as last place for form.
    pct = position / runs["field_size"].astype("Float64")
    runs["finish_pct"] = pct.fillna(1.0).astype(float)
    runs.loc[runs["finish_status"].isna(), "finish_pct"] = np.nan  # a card: not run yet
    return runs


def build_features(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per started entry: keys, pre-race features and (for past races) targets."""
    frame = runs.copy()
    frame["draw_ratio"] = frame["horse_number"].astype(float) / frame["field_size"].astype(float)
    frame["race_class"] = race_class(frame["name"])
    frame = _add_form(frame, "horse_id", "h")
    frame = _add_form(frame, "jockey_id", "j")
    frame = _add_form(frame, "trainer_id", "t")
    frame = _add_speed_figures(frame)
    frame = _add_horse_history(frame)
    frame = _add_market_rating(frame)
    frame = _add_relative_to_field(frame)
    columns = KEYS + CATEGORICAL + NUMERIC + [c for c in TARGETS if c in frame]
    out = frame[columns].copy()
    out[NUMERIC] = out[NUMERIC].astype(float)
    for column in CATEGORICAL:
        out[column] = out[column].astype("string").fillna("unknown").astype(object)
    return out


def _add_form(frame: pd.DataFrame, entity: str, prefix: str) -> pd.DataFrame:
    """Starts, win and top-3 rates of ``entity`` over strictly earlier days."""
    run = frame["finish_pct"].notna()
    daily = (
        frame[run]
        .groupby([entity, "date"], observed=True, sort=True)
        .agg(starts=("won", "size"), wins=("won", "sum"), top3=("top3", "sum"))
        .reset_index()
    )
    cumulative = daily.groupby(entity, observed=True)[["starts", "wins", "top3"]].cumsum()
    daily[["starts", "wins", "top3"]] = cumulative
    # As-of join: each (entity, date) sees the cumulative totals of the last
    # earlier day. merge_asof with allow_exact_matches=False is the one-day shift.
    left = frame[[entity, "date"]].reset_index()
    left = left[left[entity].notna()].sort_values("date", kind="stable")
    right = daily.dropna(subset=[entity]).sort_values("date", kind="stable")
    joined = pd.merge_asof(
        left, right, on="date", by=entity, allow_exact_matches=False, direction="backward"
    ).set_index("index")
    starts = joined["starts"].reindex(frame.index).fillna(0.0).astype(float)
    wins = joined["wins"].reindex(frame.index).fillna(0.0).astype(float)
    top3 = joined["top3"].reindex(frame.index).fillna(0.0).astype(float)
    frame[f"{prefix}_starts"] = starts
    frame[f"{prefix}_win_rate"] = (wins + _PRIOR_STARTS * _PRIOR_WIN) / (starts + _PRIOR_STARTS)
    frame[f"{prefix}_top3_rate"] = (top3 + _PRIOR_STARTS * _PRIOR_TOP3) / (starts + _PRIOR_STARTS)
    return frame


def _add_speed_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """``speed_fig`` of each run: its speed (m/s) minus the par speed of the same
    course (surface, distance, going) over strictly earlier days. Faster classes
    run faster, so unlike a finish position it compares runs across classes.
    (Only earlier runs' figures become features, in :func:`_add_horse_history`.)"""
    course = ["surface", "distance_m", "going"]
    speed = frame["distance_m"].astype(float) / frame["time_s"].astype(float)
    timed = frame.assign(speed=speed)[speed.notna() & np.isfinite(speed)]
    daily = (
        timed.groupby([*course, "date"], observed=True, sort=True)
        .agg(total=("speed", "sum"), count=("speed", "size"))
        .reset_index()
    )
    daily[["total", "count"]] = daily.groupby(course, observed=True)[["total", "count"]].cumsum()
    daily["course_key"] = _course_key(daily, course)
    left = frame[["date"]].assign(course_key=_course_key(frame, course)).reset_index()
    left = left.sort_values("date", kind="stable")
    right = daily[["course_key", "date", "total", "count"]].sort_values("date", kind="stable")
    joined = pd.merge_asof(
        left, right, on="date", by="course_key", allow_exact_matches=False, direction="backward"
    ).set_index("index")
    par = (joined["total"] / joined["count"]).reindex(frame.index).astype(float)
    frame["speed_fig"] = (speed - par).astype(float)
    return frame


def _course_key(frame: pd.DataFrame, course: list[str]) -> pd.Series:
    parts = [frame[column].astype("string").fillna("?") for column in course]
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key


def _add_horse_history(frame: pd.DataFrame) -> pd.DataFrame:
    """The horse's own recent form: last and mean finish, rest, distance change."""
    frame = frame.sort_values(["horse_id", "date"], kind="stable")
    by_horse = frame.groupby("horse_id", observed=True, sort=False)
    previous_date = by_horse["date"].shift(1)
    previous_pct = by_horse["finish_pct"].shift(1)
    previous_distance = by_horse["distance_m"].shift(1)
    frame["h_class_change"] = frame["race_class"] - by_horse["race_class"].shift(1)
    # Each horse runs at most once a day, so shift(1) within a horse is the
    # previous day it raced: no same-day leakage possible here.
    frame["h_last_finish_pct"] = previous_pct.astype(float)
    frame["h_days_since_last"] = (frame["date"] - previous_date).dt.days.astype(float)
    frame["h_distance_change"] = (
        frame["distance_m"].astype(float) - previous_distance.astype(float)
    ).astype(float)
    shifted = previous_pct.astype(float)
    counts = shifted.notna().groupby(frame["horse_id"], observed=True).cumsum()
    sums = shifted.fillna(0.0).groupby(frame["horse_id"], observed=True).cumsum()
    frame["h_mean_finish_pct"] = (sums / counts.replace(0, np.nan)).astype(float)
    frame["h_surface_finish_pct"] = _mean_previous_by(frame, ["horse_id", "surface"])
    frame["h_last3_finish_pct"] = (
        shifted.groupby(frame["horse_id"], observed=True)
        .rolling(3, min_periods=1)
        .mean()
        .reset_index(level=0, drop=True)
        .astype(float)
    )
    frame["distance_band"] = _distance_band(frame["distance_m"])
    frame["h_distance_finish_pct"] = _mean_previous_by(frame, ["horse_id", "distance_band"])
    frame["going_band"] = frame["going"].astype("string").fillna("unknown")
    frame["h_going_finish_pct"] = _mean_previous_by(frame, ["horse_id", "going_band"])
    frame["h_best_distance_gap"] = _best_distance_gap(frame, previous_pct, previous_distance)
    previous_fig = by_horse["speed_fig"].shift(1).astype(float)
    by_horse_fig = previous_fig.groupby(frame["horse_id"], observed=True)
    frame["h_last_speed_fig"] = previous_fig
    frame["h_last3_speed_fig"] = (
        by_horse_fig.rolling(3, min_periods=1).mean().reset_index(level=0, drop=True)
    )
    frame["h_best_speed_fig"] = by_horse_fig.cummax()
    return frame.sort_index()


def _add_market_rating(frame: pd.DataFrame) -> pd.DataFrame:
    """``h_market_rating``: what the betting market thought of the horse in its earlier
    races, as a rating; ``h_market_rating_sd`` its uncertainty.

    A race's final odds measure each runner against that race's field far more
    precisely than its finishing position does (a finish is one noisy draw; the
    odds pool everyone's information). The rating is a Kalman filter over race days:
    after each day, a runner's log implied probability relative to its field updates
    its rating by how far it beat the field's ratings' expectation, weighted by the
    rating's uncertainty. A row reads the rating as it stood before its day, so no
    race informs a runner on its own day; race cards (no odds yet) update nothing."""
    horse, horses = pd.factorize(frame["horse_id"])
    race, _ = pd.factorize(frame["race_id"])
    odds = frame["win_odds"].astype(float).to_numpy()
    known = horse >= 0
    mean = np.zeros(len(horses))
    var = np.full(len(horses), _RATING_PRIOR_VAR)
    rating = np.full(len(frame), np.nan)
    rating_var = np.full(len(frame), np.nan)
    by_date = np.flatnonzero(known)[np.argsort(frame["date"].to_numpy()[known], kind="stable")]
    _, day_starts = np.unique(frame["date"].to_numpy()[by_date], return_index=True)
    for rows in np.split(by_date, day_starts[1:]):
        h = horse[rows]
        rating[rows], rating_var[rows] = mean[h], var[h]
        rows, h = rows[odds[rows] > 0], h[odds[rows] > 0]
        if not rows.size:
            continue
        _, field = np.unique(race[rows], return_inverse=True)
        size = np.bincount(field)
        observed = -np.log(odds[rows])
        observed -= (np.bincount(field, observed) / size)[field]
        expected = mean[h] - (np.bincount(field, mean[h]) / size)[field]
        gain = var[h] / (var[h] + _RATING_OBSERVATION_VAR)
        mean[h] += gain * (observed - expected)
        var[h] = var[h] * (1.0 - gain) + _RATING_DRIFT_VAR
    frame["h_market_rating"] = rating
    frame["h_market_rating_sd"] = np.sqrt(rating_var)
    return frame


def _distance_band(distance: pd.Series) -> pd.Series:
    """Sprint / mile / intermediate / long: a horse's best trip is a band, not a metre."""
    bins = [0, 1400, 1800, 2200, 10_000]
    return pd.cut(distance.astype(float), bins, labels=False, right=True).astype("Float64")


def _best_distance_gap(
    frame: pd.DataFrame, previous_pct: pd.Series, previous_distance: pd.Series
) -> pd.Series:
    """|log distance today - log distance of the best earlier finish| (frame by horse, date).

    Horses have a preferred trip; the distance of their best run so far is the
    pre-race estimate of it."""
    best = pd.DataFrame(
        {"horse_id": frame["horse_id"], "pct": previous_pct.astype(float),
         "distance": previous_distance.astype(float)}
    )  # fmt: skip
    # Running argmin of the finish percentile per horse, over strictly earlier runs.
    best["pct"] = best["pct"].fillna(np.inf)
    running_min = best.groupby("horse_id", observed=True)["pct"].cummin()
    at_best = best["distance"].where(best["pct"].eq(running_min) & np.isfinite(best["pct"]))
    best_distance = at_best.groupby(best["horse_id"], observed=True).ffill()
    return (np.log(frame["distance_m"].astype(float)) - np.log(best_distance)).abs().astype(float)


def _add_relative_to_field(frame: pd.DataFrame) -> pd.DataFrame:
    """Each runner's pre-race form minus the mean of its race's field."""
    for column in RELATIVE_TO_FIELD:
        values = frame[column].astype(float)
        field_mean = values.groupby(frame["race_id"], observed=True).transform("mean")
        frame[f"rel_{column}"] = values - field_mean
    return frame


def _mean_previous_by(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Mean finish percentile of earlier runs sharing ``keys`` (frame sorted by date)."""
    grouped = frame.groupby(keys, observed=True, sort=False)["finish_pct"]
    shifted = grouped.shift(1).astype(float)
    group_ids = frame.groupby(keys, observed=True, sort=False).ngroup()
    counts = shifted.notna().groupby(group_ids).cumsum()
    sums = shifted.fillna(0.0).groupby(group_ids).cumsum()
    return (sums / counts.replace(0, np.nan)).astype(float)


def features_from_tables(races: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """Feature rows of every started entry of every past race."""
    return build_features(runs_frame(races, entries))
