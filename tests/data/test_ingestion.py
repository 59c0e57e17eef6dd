"""Real results CSV → the same typed tables as scraping produces."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from forecast_keiba.data.ingestion import estimate_race_dates, ingest_results_csv
from forecast_keiba.data.tables import ENTRY_COLUMNS, RACE_COLUMNS
from forecast_keiba.netkeiba.model import Entry
from netkeiba_replica.world import World, WorldConfig


def read_csv(path: Path) -> pd.DataFrame:
    # As the catalog's real_results_csv loads it.
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def test_dates_follow_the_venue_meeting_calendar() -> None:
    # February 2022's real meetings: Tokyo 1st (days 3-8), Chukyo 1st (11-12), Kokura 1st (7-8)
    # and 2nd (1-4), Hanshin 1st (1-4). Known dates: Tokyo day 3 was Sat 5 Feb, Hanshin's
    # meeting opened on Sat 12 Feb, Kokura's 2nd on Sat 12 Feb, Tokyo day 8 was Sun 20 Feb.
    days = {"05": ["01" + d for d in ["03", "04", "05", "06", "07", "08"]], "07": ["0111", "0112"],
            "10": ["0107", "0108", "0201", "0202", "0203", "0204"],
            "09": ["0101", "0102", "0103", "0104"]}  # fmt: skip
    ids = [f"2022{venue}{day}01" for venue, venue_days in days.items() for day in venue_days]
    dates = estimate_race_dates(ids, "202202")
    assert dates["202205010301"] == dt.date(2022, 2, 5)
    assert dates["202205010801"] == dt.date(2022, 2, 20)
    assert dates["202207011201"] == dt.date(2022, 2, 6)
    assert dates["202209010101"] == dt.date(2022, 2, 12)
    assert dates["202210020101"] == dt.date(2022, 2, 12)


@pytest.mark.shared
def test_real_february_2022_results(shared_netkeiba: Path) -> None:
    data = shared_netkeiba / "data"
    ids = json.loads((data / "jra_race_ids_2010-2022.json").read_text())
    races, entries, payouts = ingest_results_csv(read_csv(data / "race_results_2022-02.csv"), ids)
    assert len(races) == 216 and len(entries) == 3030 and payouts.empty
    assert list(races.columns) == list(RACE_COLUMNS)
    assert list(entries.columns) == list(ENTRY_COLUMNS)
    statuses = entries["finish_status"].value_counts().to_dict()
    assert statuses["scratched"] == 5 and statuses["pulled_up"] == 10
    assert statuses["excluded"] == 7 and statuses["demoted"] == 1
    first = entries[(entries["race_id"] == "202205010301") & (entries["horse_number"] == 6)].iloc[0]
    assert first["horse_id"] == "2019105096" and first["finish_position"] == 1
    assert first["time_s"] == pytest.approx(86.2)
    assert (first["body_weight"], first["body_weight_diff"]) == (448, 14)
    assert races["date"].min() == pd.Timestamp("2022-02-05")
    assert races["date"].max() == pd.Timestamp("2022-02-20")


def export_row(race_id: str, e: Entry) -> dict[str, object]:
    """One runner as netkeiba's result table prints it (the export's layout)."""
    finish = "取" if e.finish_status == "scratched" else str(e.finish_position or "中")
    time = "" if e.time_s is None else f"{int(e.time_s // 60)}:{e.time_s % 60:04.1f}"
    weight = "計不" if e.body_weight is None else f"{e.body_weight}({e.body_weight_diff:+d})"
    sex = {"colt": "牡", "filly": "牝", "gelding": "セ"}[e.sex or "colt"]
    return {
        "着順": finish, "枠番": e.bracket, "馬番": e.horse_number, "馬名": e.horse_name,
        "性齢": f"{sex}{e.age}", "斤量": e.weight_carried, "騎手": e.jockey_name,
        "タイム": time, "着差": e.margin or "", "単勝": e.win_odds or "---",
        "人気": e.popularity or "", "馬体重": weight, "調教師": f"[東] {e.trainer_name}",
        "race_id": race_id, "horse_id": e.horse_id, "jockey_id": e.jockey_id,
        "trainer_id": e.trainer_id,
    }  # fmt: skip


def test_a_generated_export_round_trips(tmp_path: Path) -> None:
    """The same CSV layout written from a replica world ingests to its tables."""
    world = World(WorldConfig(seed=9, start_date=dt.date(2022, 2, 5), n_days=2, races_per_day=12))
    rows = [
        export_row(rid, e) for rid in world.run_race_ids() for e in world.result_page(rid).entries
    ]
    path = tmp_path / "export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    races, entries, _ = ingest_results_csv(read_csv(path), {"202202": world.run_race_ids()})
    assert len(races) == len(world.run_race_ids()) and len(entries) == len(rows)
    assert set(races["date"].dt.date) == set(world.racing_days())
    winners = entries[entries["finish_position"] == 1]
    assert set(winners["race_id"]) == set(world.run_race_ids())


def test_missing_columns_and_unknown_ids_are_named() -> None:
    with pytest.raises(ValueError, match="missing column"):
        ingest_results_csv(pd.DataFrame({"race_id": ["1"]}), {})
    frame = pd.DataFrame([{c: "1" for c in ["着順", "枠番", "馬番", "馬名", "性齢", "斤量", "騎手",
                          "タイム", "着差", "単勝", "人気", "馬体重", "調教師", "horse_id",
                          "jockey_id", "trainer_id"]} | {"race_id": "202205010301"}])  # fmt: skip
    with pytest.raises(ValueError, match="202205010301"):
        ingest_results_csv(frame, {"202202": []})
