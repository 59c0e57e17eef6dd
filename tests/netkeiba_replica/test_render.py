"""The rendered pages have netkeiba's real structure (checked without our parser)."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from forecast_keiba.netkeiba.model import RaceListPage
from netkeiba_replica import render
from netkeiba_replica.world import World


def _tree(html: str) -> LexborHTMLParser:
    raw = render.encode(html)  # strict EUC-JP: every character must be encodable
    return LexborHTMLParser(raw.decode("euc_jp"))


def _header_labels(table) -> list[str]:
    return [re.sub(r"\s+", "", th.text()) for th in table.css("tr")[0].css("th")]


def test_result_page_structure(small_world: World) -> None:
    rid = small_world.run_race_ids()[3]
    page = small_world.result_page(rid)
    html = render.render_result_page(page, small_world.race_context(rid))
    assert "charset=euc-jp" in html
    tree = _tree(html)
    assert tree.css_first("title").text().startswith(f"{page.race.name}｜")
    table = tree.css_first('table.race_table_01[summary="レース結果"]')
    labels = _header_labels(table)
    core = [
        x
        for x in labels
        if x
        in {
            "着順",
            "枠番",
            "馬番",
            "馬名",
            "性齢",
            "斤量",
            "騎手",
            "タイム",
            "着差",
            "単勝",
            "人気",
            "馬体重",
            "調教師",
        }
    ]
    assert core == [
        "着順",
        "枠番",
        "馬番",
        "馬名",
        "性齢",
        "斤量",
        "騎手",
        "タイム",
        "着差",
        "単勝",
        "人気",
        "馬体重",
        "調教師",
    ]
    rows = table.css("tr")[1:]
    assert len(rows) == len(page.entries)
    first = rows[0]
    assert (
        first.css_first('a[href^="/horse/"]').attributes["href"]
        == f"/horse/{page.entries[0].horse_id}/"
    )
    assert first.css_first('a[href^="/jockey/result/recent/"]') is not None
    assert first.css_first('a[href^="/trainer/result/recent/"]') is not None
    smalltxt = tree.css_first("p.smalltxt").text()
    d = page.race.date
    assert smalltxt.startswith(f"{d.year}年{d.month}月{d.day}日 ")
    racedata = tree.css_first("dl.racedata span").text()
    assert (
        f"{page.race.distance_m}m" in racedata and "天候 : " in racedata and "発走 : " in racedata
    )
    pays = tree.css("table.pay_table_01")
    assert len(pays) == 2
    place = next(tr for tr in pays[0].css("tr") if tr.css_first("th").text() == "複勝")
    assert "<br" in place.css("td")[0].html
    # Look-alike tables the parser must skip.
    assert tree.css('table.result_table_02[summary="コーナー通過順位"]')
    assert tree.css('table.result_table_02[summary="ラップタイム"]')
    assert len(tree.css('a[href^="/race/20"]')) > len(page.entries)  # race nav links


def test_no_race_page_matches_the_real_one(small_world: World) -> None:
    html = render.render_no_race_page(small_world.no_race_page("202306019912"))
    tree = _tree(html)
    assert tree.css_first("title").text() == "｜年月日 | 競馬データベース - netkeiba.com"
    assert tree.css_first("table.race_table_01") is None
    assert "202306019912" in tree.css_first("li.race_navi_result a").attributes["href"]


def test_day_list_structure(small_world: World) -> None:
    day = small_world.racing_days()[0]
    page = small_world.day_list(day)
    tree = _tree(render.render_day_list(page, small_world.day_context(day)))
    tables = tree.css('table.race_table_01[summary="レース一覧"]')
    assert len(tables) == 2  # one per venue
    links = [a.attributes["href"] for t in tables for a in t.css('a[href^="/race/"]')]
    assert links == [f"/race/{rid}/" for rid in page.race_ids]
    assert tree.css('table[summary="レーススケジュールカレンダー"]')  # side calendar look-alike


def test_race_list_sub_structure(small_world: World) -> None:
    day = small_world.today
    page = small_world.upcoming_list(day)
    html = render.render_race_list_sub(page, small_world.day_context(day, include_upcoming=True))
    tree = _tree(html)
    items = tree.css("li.RaceList_DataItem")
    assert len(items) == len(page.race_ids)
    hrefs = [li.css_first("a").attributes["href"] for li in items]
    assert hrefs == [f"../race/shutuba.html?race_id={rid}&rf=race_list" for rid in page.race_ids]
    empty = render.render_race_list_sub(RaceListPage(source="x", date=day, race_ids=()))
    assert "RaceList_DataItem" not in empty


def test_race_card_structure(small_world: World) -> None:
    rid = small_world.race_ids_on(small_world.today)[0]
    card = small_world.race_card(rid)
    html = render.render_race_card(card, small_world.race_context(rid))
    assert '<meta charset="EUC-JP">' in html
    tree = _tree(html)
    rows = tree.css("table.Shutuba_Table tr.HorseList")
    assert len(rows) == len(card.entries)
    assert rows[0].css_first("td.Umaban1, td[class^=Umaban]").text().strip() == "1"
    assert (
        rows[0]
        .css_first("span.HorseName a")
        .attributes["href"]
        .endswith(f"/horse/{card.entries[0].horse_id}")
    )
    assert rows[0].css_first("td.Popular span").text() == "---.-"  # no odds before the day
    assert tree.css_first("h1.RaceName").text().strip().startswith(card.race.name)
    assert "発走" in tree.css_first("div.RaceData01").text()


def test_horse_profile_structure(small_world: World) -> None:
    rid = small_world.run_race_ids()[0]
    hid = small_world.result_page(rid).entries[0].horse_id
    profile = small_world.horse_profile(hid)
    tree = _tree(render.render_horse_profile(profile, small_world.horse_context(hid)))
    assert tree.css_first("div.horse_title h1").text() == profile.name
    blood = tree.css_first("table.blood_table")
    assert blood.css_first("a").attributes["href"] == f"/horse/ped/{profile.sire_id}/"
    results = tree.css_first("table.db_h_race_results")
    race_links = [a.attributes["href"] for a in results.css('a[href^="/race/20"]')]
    assert race_links == [f"/race/{r}/" for r in profile.past_race_ids]
