"""The parser on the real saved netkeiba pages, checked against values read off each page."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from forecast_keiba.netkeiba.decode import decode_html
from forecast_keiba.netkeiba.model import (
    Ancestor,
    Entry,
    HorsePedigreePage,
    HorseProfilePage,
    HorseRaceRow,
    HorseResultsPage,
    NoRacePage,
    Payout,
    RaceCardPage,
    RaceInfo,
    RaceListPage,
    RaceResultPage,
)
from forecast_keiba.netkeiba.parsing import PageFamily, cells, detect_kind, parse_page, parse_tree

pytestmark = pytest.mark.shared


def _parse(pages: Path, name: str) -> object:
    path = pages / name
    return parse_page(path.read_bytes(), str(path))


def _full_route(pages: Path, name: str) -> object:
    """The page parsed from its whole tree (no result-page window)."""
    path = pages / name
    return parse_tree(LexborHTMLParser(decode_html(path.read_bytes())), str(path))


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("db_race_201901010101.html", PageFamily.DB_RACE),
        ("db_race_202105010101.html", PageFamily.DB_RACE),
        ("db_race_missing.html", PageFamily.NO_RACE),
        ("db_race_sum_20221221.html", PageFamily.DB_RACE_LIST),
        ("race_shutuba_202001010102.html", PageFamily.RACE_CARD),
        ("db_horse_2018100498.html", PageFamily.HORSE_PROFILE),
        ("db_horse_ped_2018100498.html", PageFamily.HORSE_PEDIGREE),
        ("db_horse_results_ajax_2009100502.html", PageFamily.HORSE_RESULTS),
    ],
)
def test_detect_kind(shared_pages: Path, name: str, family: PageFamily) -> None:
    assert detect_kind((shared_pages / name).read_bytes()) is family


def test_db_race_2019_euc_jp(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_race_201901010101.html")
    assert isinstance(page, RaceResultPage)
    assert page.race == RaceInfo(
        race_id="201901010101",
        date=dt.date(2019, 7, 27),
        name="2歳未勝利",
        surface="turf",
        distance_m=1800,
        direction="right",
        weather="cloudy",
        going="good",
        start_time="09:50",
        venue_code="01",
        race_number=1,
    )
    assert len(page.entries) == 9
    assert [e.finish_position for e in page.entries] == list(range(1, 10))
    assert page.entries[0] == Entry(
        horse_number=1,
        bracket=1,
        horse_id="2017105318",
        horse_name="ゴルコンダ",
        jockey_id="05339",
        trainer_id="01126",
        sex="colt",
        age=2,
        weight_carried=54.0,
        finish_position=1,
        finish_status="finished",
        time_s=108.3,
        margin=None,
        win_odds=1.4,
        popularity=1,
        body_weight=518,
        body_weight_diff=-16,
        jockey_name="ルメール",
        trainer_name="木村哲也",
    )
    second, third, fourth, fifth = page.entries[1:5]
    assert (second.horse_id, second.margin, second.time_s) == ("2017104612", "大", 110.1)
    assert (third.weight_carried, third.jockey_id, third.win_odds) == (51.0, "01180", 46.6)
    assert (fourth.horse_number, fourth.bracket, fourth.margin) == (9, 8, "3.1/2")
    assert (fifth.body_weight, fifth.body_weight_diff) == (436, 0)
    assert page.entries[-1].sex == "filly" and page.entries[-1].margin == "クビ"

    assert len(page.payouts) == 12
    assert page.payouts[0] == Payout("win", (1,), 140, 1)
    assert [p for p in page.payouts if p.bet_type == "place"] == [
        Payout("place", (1,), 110, 1),
        Payout("place", (3,), 110, 2),
        Payout("place", (4,), 470, 7),
    ]
    assert [p for p in page.payouts if p.bet_type == "quinella_place"] == [
        Payout("quinella_place", (1, 3), 120, 1),
        Payout("quinella_place", (1, 4), 840, 12),
        Payout("quinella_place", (3, 4), 1100, 13),
    ]
    assert Payout("bracket_quinella", (1, 3), 190, 1) in page.payouts
    assert Payout("exacta", (1, 3), 290, 1) in page.payouts
    assert Payout("trio", (1, 3, 4), 1610, 6) in page.payouts
    assert page.payouts[-1] == Payout("trifecta", (1, 3, 4), 3560, 10)


def test_db_race_2021_minified_utf8(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_race_202105010101.html")
    assert isinstance(page, RaceResultPage)
    race = page.race
    assert (race.race_id, race.date, race.name) == (
        "202105010101",
        dt.date(2021, 1, 30),
        "3歳未勝利",
    )
    assert (race.surface, race.distance_m, race.direction) == ("dirt", 1400, "left")
    assert (race.weather, race.going, race.start_time) == ("sunny", "heavy", "10:10")
    assert (race.venue_code, race.race_number) == ("05", 1)

    assert len(page.entries) == 16
    winner = page.entries[0]
    assert (winner.horse_id, winner.horse_name, winner.horse_number, winner.bracket) == (
        "2018105460",
        "プレフェリータ",
        2,
        1,
    )
    assert (winner.jockey_id, winner.jockey_name) == ("05386", "戸崎圭太")
    assert (winner.trainer_id, winner.trainer_name) == ("01017", "萩原清")
    assert (winner.time_s, winner.win_odds, winner.popularity) == (85.5, 10.2, 5)
    assert (winner.body_weight, winner.body_weight_diff) == (468, -4)
    assert (winner.sex, winner.age, winner.weight_carried) == ("filly", 3, 54.0)
    assert page.entries[1].margin == "3/4" and page.entries[1].jockey_id == "01170"
    assert page.entries[9].margin == "ハナ"
    # the horse whose profile page is saved too ran 14th here
    fourteenth = page.entries[13]
    assert (fourteenth.horse_id, fourteenth.finish_position) == ("2018100498", 14)
    last = page.entries[-1]
    assert (last.horse_name, last.time_s, last.margin) == ("キボウノヒビキ", 92.3, "大")
    assert (last.body_weight, last.body_weight_diff, last.win_odds) == (404, 26, 220.0)

    assert page.payouts[0] == Payout("win", (2,), 1020, 5)
    assert [p.combination for p in page.payouts if p.bet_type == "place"] == [(2,), (4,), (3,)]
    assert [p.payout_yen for p in page.payouts if p.bet_type == "place"] == [270, 150, 220]
    assert page.payouts[-1] == Payout("trifecta", (2, 4, 3), 24570, 75)


@pytest.mark.parametrize("name", ["db_race_201901010101.html", "db_race_202105010101.html"])
def test_window_route_equals_whole_page(shared_pages: Path, name: str) -> None:
    assert _parse(shared_pages, name) == _full_route(shared_pages, name)


@pytest.mark.parametrize(
    "name",
    [
        "db_race_201901010101.html",
        "race_shutuba_202001010102.html",
        "db_horse_results_ajax_2009100502.html",
    ],
)
def test_euc_jp_bytes_equal_utf8_reencoding(shared_pages: Path, name: str) -> None:
    raw = (shared_pages / name).read_bytes()
    text = raw.decode("euc_jp")
    as_declared = text.encode("utf-8")  # still says charset=EUC-JP: must be sniffed
    redeclared = text.replace("euc-jp", "utf-8").replace("EUC-JP", "UTF-8").encode("utf-8")
    expected = parse_page(raw, name)
    assert parse_page(as_declared, name) == expected
    assert parse_page(redeclared, name) == expected
    assert parse_page(text, name) == expected


def test_no_race_page(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_race_missing.html")
    assert page == NoRacePage(
        source=str(shared_pages / "db_race_missing.html"), race_id="201904060810"
    )
    assert page.to_json() == {
        "kind": "no_race",
        "race_id": "201904060810",
        "source": str(shared_pages / "db_race_missing.html"),
    }


def test_db_day_list_nar(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_race_sum_20221221.html")
    assert isinstance(page, RaceListPage)
    assert page.date == dt.date(2022, 12, 21)
    assert page.race_ids == tuple(f"2022431221{n:02d}" for n in range(1, 13))


def test_race_card(shared_pages: Path) -> None:
    page = _parse(shared_pages, "race_shutuba_202001010102.html")
    assert isinstance(page, RaceCardPage)
    assert page.race == RaceInfo(
        race_id="202001010102",
        date=dt.date(2020, 7, 25),
        name="3歳未勝利",
        surface="dirt",
        distance_m=1700,
        direction="right",
        weather="cloudy",
        going="good",
        start_time="10:25",
        venue_code="01",
        race_number=2,
    )
    assert len(page.entries) == 14  # the pickup tables below repeat some horses
    assert [e.horse_number for e in page.entries] == list(range(1, 15))
    first = page.entries[0]
    assert (first.horse_id, first.horse_name, first.bracket) == (
        "2017106103",
        "ムーンフェアリー",
        1,
    )
    assert (first.jockey_id, first.jockey_name) == ("01181", "秋山稔")  # printed "▲秋山稔"
    assert (first.trainer_id, first.trainer_name) == ("01051", "岩戸")
    assert (first.weight_carried, first.body_weight, first.body_weight_diff) == (51.0, 450, 6)
    assert (first.finish_position, first.finish_status, first.win_odds) == (None, None, None)
    assert page.entries[11].horse_id == "2017104334"
    assert page.entries[6].jockey_name == "団野"  # printed "☆団野"
    assert all(e.sex == "filly" and e.age == 3 for e in page.entries)


def test_horse_profile(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_horse_2018100498.html")
    assert isinstance(page, HorseProfilePage)
    assert dataclasses.replace(page, past_race_ids=()) == HorseProfilePage(
        source=str(shared_pages / "db_horse_2018100498.html"),
        horse_id="2018100498",
        name="モッツアフィアート",
        sex="filly",
        birth_date=dt.date(2018, 4, 18),
        trainer_id="05726",
        owner_id="333803",
        breeder_id="033357",
        sire_id="2001103312",
        dam_id="2008105651",
        damsire_id="000a00fd4c",
    )
    assert len(page.past_race_ids) == 42
    assert page.past_race_ids[0] == "202254102205"
    assert page.past_race_ids[-1] == "202004030506"
    assert "202105010101" in page.past_race_ids  # the saved 2021 result page


def test_horse_pedigree(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_horse_ped_2018100498.html")
    assert isinstance(page, HorsePedigreePage)
    assert page.horse_id == "2018100498"
    assert Counter(a.generation for a in page.ancestors) == {1: 2, 2: 4, 3: 8, 4: 16, 5: 32}
    by_slot = {(a.generation, a.position): a for a in page.ancestors}
    assert by_slot[1, 0] == Ancestor(1, 0, "2001103312", "ブラックタイド")
    assert by_slot[1, 1] == Ancestor(1, 1, "2008105651", "リュミエールゲラン")
    assert by_slot[2, 0] == Ancestor(2, 0, "000a00033a", "サンデーサイレンス")
    assert by_slot[2, 2] == Ancestor(2, 2, "000a00fd4c", "ロックオブジブラルタル")
    assert by_slot[5, 0] == Ancestor(5, 0, "000a001042", "Turn-to")
    assert by_slot[5, 31] == Ancestor(5, 31, "1955100298", "ゲラン")


def test_horse_results_fragment(shared_pages: Path) -> None:
    page = _parse(shared_pages, "db_horse_results_ajax_2009100502.html")
    assert isinstance(page, HorseResultsPage)
    assert page.horse_id == "2009100502"
    assert len(page.rows) == 60
    assert page.rows[0] == HorseRaceRow(
        race_id="202010020104",
        date=dt.date(2020, 8, 15),
        venue="小倉",
        race_name="障害3歳以上OP",
        field_size=12,
        bracket=2,
        horse_number=2,
        win_odds=33.6,
        popularity=9,
        finish_position=9,
        finish_status="finished",
        jockey_id="00691",
        weight_carried=62.0,
        surface="jump_turf",
        distance_m=2860,
        going="good",
        time_s=189.6,
        margin="3.0",
        body_weight=494,
        body_weight_diff=-24,
    )
    sonoda = next(row for row in page.rows if row.race_id == "201250112007")
    assert (sonoda.venue, sonoda.finish_position, sonoda.margin) == ("園田", 1, "-0.5")
    assert (sonoda.surface, sonoda.distance_m, sonoda.going) == ("dirt", 1400, "slightly_heavy")
    assert Counter(row.surface for row in page.rows) == {"dirt": 24, "jump_turf": 21, "turf": 15}
    assert page.rows[-1].date == dt.date(2012, 4, 14)


def test_every_cell_of_the_results_export(shared_data: Path) -> None:
    """All 3,030 rows of a real month of results go through the cell parsers."""
    with (shared_data / "race_results_2022-02.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3030
    statuses: Counter[str | None] = Counter()
    unmeasured = 0
    for row in rows:
        position, status = cells.parse_finish(row["着順"])
        statuses[status] += 1
        assert cells.parse_sex_age(row["性齢"])[0] is not None
        assert cells.parse_float(row["斤量"]) is not None
        cells.parse_time(row["タイム"])
        cells.parse_odds(row["単勝"])
        cells.parse_popularity(row["人気"])
        weight, _ = cells.parse_body_weight(row["馬体重"])
        unmeasured += weight is None
        if status == "finished":
            assert position is not None and cells.parse_time(row["タイム"]) is not None
    assert statuses["demoted"] == 1
    assert statuses["pulled_up"] == 10
    assert statuses["scratched"] == 5
    assert statuses["excluded"] == 7
    assert unmeasured == 5  # 計不
