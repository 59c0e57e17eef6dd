"""Real netkeiba results exported as CSV (one row per runner) → the typed tables.

The export carries the result table's cells and the ids, but neither the race
date nor the race conditions. Dates are estimated from the real race-id
calendar: a JRA id counts a venue's meeting (kai) and day (nichi); JRA races
at all its open venues on the same Saturdays and Sundays; a venue whose month
starts mid-meeting races from the month's first race day, and one that opens
a meeting (nichi 1) races up to the month's last. That is exact for ordinary
months (February 2022: every venue) and off around holiday meetings, which is
good enough to order races for form features. Conditions stay unknown (null).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

import pandas as pd

from forecast_keiba.data.tables import (
    ENTRY_COLUMNS,
    PAYOUT_COLUMNS,
    RACE_COLUMNS,
    entry_row,
    runners,
    typed_frame,
)
from forecast_keiba.netkeiba.model import Entry
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.race_id import parse_race_id

log = logging.getLogger(__name__)

CSV_COLUMNS = [
    *("着順", "枠番", "馬番", "馬名", "性齢", "斤量", "騎手", "タイム", "着差", "単勝", "人気"),
    *("馬体重", "調教師", "race_id", "horse_id", "jockey_id", "trainer_id"),
]


def estimate_race_dates(race_ids: Iterable[str], month: str) -> dict[str, dt.date]:
    """Race id → estimated date, for the JRA races of ``month`` ("YYYYMM")."""
    year, number = int(month[:4]), int(month[4:])
    weekend = [
        dt.date(year, number, day)
        for day in range(1, calendar.monthrange(year, number)[1] + 1)
        if dt.date(year, number, day).weekday() >= 5
    ]
    days_by_venue: dict[str, set[tuple[str, str]]] = defaultdict(set)
    ids = [parse_race_id(rid).value for rid in race_ids]
    for rid in ids:
        days_by_venue[rid[4:6]].add((rid[6:8], rid[8:10]))  # (kai, nichi)
    race_days = max(len(days) for days in days_by_venue.values())
    index: dict[tuple[str, str, str], int] = {}
    for venue, days in days_by_venue.items():
        ordered = sorted(days)
        opens_meeting = ordered[0][1] == "01"
        offset = race_days - len(ordered) if opens_meeting else 0
        index |= {(venue, *day): offset + i for i, day in enumerate(ordered)}
    return {
        rid: weekend[min(index[(rid[4:6], rid[6:8], rid[8:10])], len(weekend) - 1)] for rid in ids
    }


def ingest_results_csv(
    results: pd.DataFrame, race_ids_by_month: Mapping[str, list[str]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Races, entries and (empty: the export has none) payouts from the CSV."""
    missing = [c for c in CSV_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"real_results_csv: missing column(s) {', '.join(missing)}")
    if results.empty:
        raise ValueError("real_results_csv: the file has no rows")
    month_of = {rid: month for month, ids in race_ids_by_month.items() for rid in ids}
    unknown = sorted(set(results["race_id"]) - set(month_of))
    if unknown:
        raise ValueError(
            f"real_results_csv: race id(s) not in real_race_ids_by_month: {', '.join(unknown[:5])}"
        )
    dates: dict[str, dt.date] = {}
    for month in sorted({month_of[rid] for rid in results["race_id"]}):
        dates |= estimate_race_dates(race_ids_by_month[month], month)

    entries_by_race: dict[str, list[Entry]] = defaultdict(list)
    for number, row in enumerate(results.fillna("").to_dict("records"), start=2):
        try:
            entries_by_race[row["race_id"]].append(_entry(row))
        except ValueError as exc:
            raise ValueError(f"real_results_csv line {number}: {exc}") from exc

    races = [
        {
            "race_id": rid,
            "date": pd.Timestamp(dates[rid]),
            "venue_code": rid[4:6],
            "race_number": int(rid[10:12]),
            "field_size": runners(race_entries),
        }
        for rid, race_entries in sorted(entries_by_race.items())
    ]
    entries = [
        entry_row(rid, e) for rid, race_entries in entries_by_race.items() for e in race_entries
    ]
    log.info(
        "ingested %d races, %d entries (dates estimated from the race-id calendar; "
        "the export has no payouts)",
        len(races),
        len(entries),
    )
    return (
        typed_frame(races, RACE_COLUMNS),
        typed_frame(entries, ENTRY_COLUMNS),
        typed_frame([], PAYOUT_COLUMNS),
    )


def _entry(row: Mapping[str, str]) -> Entry:
    position, status = cells.parse_finish(row["着順"])
    sex, age = cells.parse_sex_age(row["性齢"])
    body_weight, body_weight_diff = cells.parse_body_weight(row["馬体重"])
    popularity = cells.parse_float(row["人気"])
    return Entry(
        horse_number=cells.parse_int(row["馬番"]),
        bracket=cells.parse_int(row["枠番"]),
        horse_id=row["horse_id"],
        horse_name=row["馬名"],
        jockey_id=row["jockey_id"] or None,
        trainer_id=row["trainer_id"] or None,
        sex=sex,
        age=age,
        weight_carried=cells.parse_float(row["斤量"]),
        finish_position=position,
        finish_status=status,
        time_s=cells.parse_time(row["タイム"]),
        margin=cells.parse_margin(row["着差"]),
        win_odds=cells.parse_odds(row["単勝"]),
        popularity=int(popularity) if popularity is not None else None,
        body_weight=body_weight,
        body_weight_diff=body_weight_diff,
        jockey_name=row["騎手"] or None,
        trainer_name=row["調教師"].split("]")[-1].strip() or None,
    )
