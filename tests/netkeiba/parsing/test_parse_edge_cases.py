"""Edge cases on pages built in the test (no ../shared needed).

Each builder in ``page_builders`` produces netkeiba-structured HTML; here they
are fed the cases real pages only show now and then: dead heats, every
finish status, demotions, jump races, 計不, NAR ids, broken or unknown
layouts, extra columns and look-alike tables.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import page_builders as pb
import pytest
from selectolax.lexbor import LexborHTMLParser

from forecast_keiba.netkeiba.decode import decode_html
from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import (
    HorseResultsPage,
    NoRacePage,
    Payout,
    RaceCardPage,
    RaceListPage,
    RaceResultPage,
)
from forecast_keiba.netkeiba.parsing import PageFamily, detect_kind, parse_page, parse_tree


def _result(page: str | bytes, source: str = "built.html") -> RaceResultPage:
    parsed = parse_page(page, source)
    assert isinstance(parsed, RaceResultPage)
    # the result-page window must never change what is parsed
    assert parsed == parse_tree(LexborHTMLParser(decode_html(page)), source)
    return parsed


def _dead_heat_field() -> list[pb.Runner]:
    field = pb.runners(6)
    return [
        replace(field[0], finish="1", number="3", bracket="3"),
        replace(field[1], finish="1", number="6", bracket="5", margin="同着", time=field[0].time),
        replace(field[2], finish="3", number="1", bracket="1"),
        # the rest keep the numbers left over: a field never repeats a horse number
        *(replace(runner, number=n) for runner, n in zip(field[3:], ("2", "4", "5"), strict=True)),
    ]


_DEAD_HEAT_PAYOUTS = [
    pb.PayoutRow("単勝", ["3", "6"], ["230", "180"], ["1", "2"]),
    pb.PayoutRow("複勝", ["3", "6", "1"], ["110", "100", "240"], ["1", "2", "4"]),
    pb.PayoutRow("馬連", ["3 - 6"], ["310"], ["1"]),
    pb.PayoutRow("馬単", ["3 → 6", "6 → 3"], ["520", "480"], ["2", "1"]),
]


# ---------------------------------------------------------------- db.netkeiba result pages


def test_db_dead_heat_keeps_both_winners_and_both_win_payouts() -> None:
    page = _result(pb.db_race_page(_dead_heat_field(), payouts=_DEAD_HEAT_PAYOUTS))
    winners = [e for e in page.entries if e.finish_position == 1]
    assert [e.horse_number for e in winners] == [3, 6]
    assert winners[1].margin == "同着"
    assert page.entries[2].finish_position == 3
    assert [p for p in page.payouts if p.bet_type == "win"] == [
        Payout("win", (3,), 230, 1),
        Payout("win", (6,), 180, 2),
    ]
    assert [p.combination for p in page.payouts if p.bet_type == "exacta"] == [(3, 6), (6, 3)]


@pytest.mark.parametrize(
    ("printed", "position", "status"),
    [
        ("中", None, "pulled_up"),
        ("取", None, "scratched"),
        ("除", None, "excluded"),
        ("失", None, "disqualified"),
        ("3(降)", 3, "demoted"),
    ],
)
def test_db_finish_statuses(printed: str, position: int | None, status: str) -> None:
    field = pb.runners(5)
    odd = replace(field[3], finish=printed)
    if status in ("scratched", "excluded"):
        odd = replace(odd, time="", margin="", odds="---", popularity="", body_weight="計不")
    elif status == "pulled_up":
        odd = replace(odd, time="", margin="")
    page = _result(pb.db_race_page([*field[:3], odd, field[4]]))
    entry = page.entries[3]
    assert (entry.finish_position, entry.finish_status) == (position, status)
    assert entry.horse_id == field[3].horse_id
    if status in ("scratched", "excluded"):
        assert (entry.time_s, entry.win_odds, entry.popularity) == (None, None, None)
        assert (entry.body_weight, entry.body_weight_diff) == (None, None)
    if status == "pulled_up":
        assert entry.time_s is None and entry.win_odds == float(field[3].odds)
    assert [e.finish_status for e in page.entries].count("finished") == 4


def test_db_unmeasured_body_weight() -> None:
    field = pb.runners(4)
    page = _result(pb.db_race_page([*field[:2], replace(field[2], body_weight="計不"), field[3]]))
    assert (page.entries[2].body_weight, page.entries[2].body_weight_diff) == (None, None)
    assert page.entries[2].finish_status == "finished"


@pytest.mark.parametrize(
    ("conditions", "surface", "distance", "direction"),
    [
        ("障芝 外-内3000m&nbsp;/&nbsp;天候 : 晴&nbsp;/&nbsp;芝 : 良&nbsp;/&nbsp;発走 : 13:30",
         "jump_turf", 3000, None),
        ("障芝2880m&nbsp;/&nbsp;天候 : 雨&nbsp;/&nbsp;芝 : 不良&nbsp;/&nbsp;発走 : 11:20",
         "jump_turf", 2880, None),
        ("芝右 外2200m&nbsp;/&nbsp;天候 : 晴&nbsp;/&nbsp;芝 : 良&nbsp;/&nbsp;発走 : 15:45",
         "turf", 2200, "right_outer"),
        ("芝直線1000m&nbsp;/&nbsp;天候 : 晴&nbsp;/&nbsp;芝 : 良&nbsp;/&nbsp;発走 : 15:45",
         "turf", 1000, "straight"),
    ],
)  # fmt: skip
def test_db_course_variants(
    conditions: str, surface: str, distance: int, direction: str | None
) -> None:
    race = _result(pb.db_race_page(name="障害4歳以上未勝利", conditions=conditions)).race
    assert (race.surface, race.distance_m, race.direction) == (surface, distance, direction)
    assert race.weather is not None and race.going is not None


def test_db_nar_race_takes_its_date_from_the_id() -> None:
    page = _result(pb.db_race_page(race_id="202243122101", day=None, smalltxt=False, name="C3二"))
    assert page.race.race_id == "202243122101"
    assert page.race.date == dt.date(2022, 12, 21)
    assert (page.race.venue_code, page.race.race_number) == ("43", 1)


def test_db_jra_race_without_any_date_keeps_none() -> None:
    page = _result(pb.db_race_page(day=None, smalltxt=False))
    assert page.race.date is None and page.race.race_id == "201901010101"


def test_db_extra_unknown_column_does_not_shift_values() -> None:
    field = pb.runners(8)
    page = _result(pb.db_race_page(field, extra_column=True))
    for entry, runner in zip(page.entries, field, strict=True):
        assert entry.win_odds == float(runner.odds)
        assert entry.popularity == int(runner.popularity)
        assert entry.trainer_id == runner.trainer_id


def test_db_layout_without_premium_columns() -> None:
    field = pb.runners(7)
    page = _result(pb.db_race_page(field, premium=False))
    assert [e.horse_id for e in page.entries] == [r.horse_id for r in field]
    assert page.entries[-1].body_weight_diff is not None


def _custom_table(labels: list[str], rows: list[dict[str, str]]) -> str:
    """A race_table_01 whose columns come in the order of ``labels``."""
    head = "".join(f"<th>{label}</th>" for label in labels)
    body = "".join("<tr>" + "".join(f"<td>{row[label]}</td>" for label in labels) + "</tr>"
                   for row in rows)  # fmt: skip
    return (
        f'<table class="race_table_01 nk_tb_common" summary="レース結果"><tr>{head}</tr>'
        f"{body}</table>"
    )


def test_db_moved_columns_are_found_by_label() -> None:
    labels = ["馬名", "馬体重", "着順", "単勝", "馬番", "騎手", "性齢", "枠番", "人気", "斤量"]
    rows = [
        {"馬名": '<a href="/horse/2019105096/">ヴィブラフォン</a>', "馬体重": "448(+14)",
         "着順": "1", "単勝": "2.4", "馬番": "6", "騎手": '<a href="/jockey/01170/">横山武史</a>',
         "性齢": "牝3", "枠番": "3", "人気": "1", "斤量": "54.0"},
        {"馬名": '<a href="/horse/2019102186/">オーロラアーク</a>', "馬体重": "418(-4)",
         "着順": "2", "単勝": "5.2", "馬番": "12", "騎手": '<a href="/jockey/01029/">武士沢友</a>',
         "性齢": "牝3", "枠番": "6", "人気": "3", "斤量": "54.0"},
    ]  # fmt: skip
    page = _result(pb.db_race_page(results_table=_custom_table(labels, rows)))
    first = page.entries[0]
    assert (first.horse_id, first.horse_number, first.bracket) == ("2019105096", 6, 3)
    assert (first.body_weight, first.body_weight_diff, first.win_odds) == (448, 14, 2.4)
    assert (first.jockey_id, first.jockey_name, first.trainer_id) == ("01170", "横山武史", None)
    assert (first.time_s, first.margin) == (None, None)  # columns this layout lacks
    assert page.entries[1].jockey_id == "01029"


def test_db_lookalike_tables_are_ignored() -> None:
    field = pb.runners(5)
    page = _result(pb.db_race_page(field, lookalike=True))
    assert [e.horse_id for e in page.entries] == [r.horse_id for r in field]
    assert all(not e.horse_name.startswith("ソックリ") for e in page.entries)


def test_db_results_table_found_by_header_when_summary_is_missing() -> None:
    table = pb.db_results_table(pb.runners(3), summary="")
    page = _result(pb.db_race_page(results_table=table))
    assert len(page.entries) == 3


def test_db_euc_jp_and_utf8_bytes_agree() -> None:
    field = _dead_heat_field()
    euc = _result(pb.db_race_page(field, encoding="euc_jp"), "same")
    utf8 = _result(pb.db_race_page(field, encoding="utf-8"), "same")
    text = _result(pb.db_race_page(field), "same")
    assert euc == utf8 == text


# ---------------------------------------------------------------- errors name the page


def test_db_page_without_results_table_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=re.escape("no-table.html")) as caught:
        parse_page(pb.db_race_page(results_table=""), "no-table.html")
    assert caught.value.source == "no-table.html"
    assert "results table" in caught.value.reason


def test_missing_required_header_is_a_parse_error() -> None:
    labels = ["着順", "馬番", "騎手"]  # no 馬名
    rows = [{"着順": "1", "馬番": "1", "騎手": "a"}]
    with pytest.raises(ParseError, match="missing column") as caught:
        parse_page(pb.db_race_page(results_table=_custom_table(labels, rows)), "hdr.html")
    assert caught.value.source == "hdr.html" and "horse" in caught.value.reason


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"finish": "X"}, "finish"),
        ({"finish": ""}, "finish"),
        ({"sex_age": "牡?"}, "sex_age"),
        ({"odds": "abc"}, "odds"),
        ({"time": "1:2x.3"}, "time"),
        ({"body_weight": "heavy"}, "body_weight"),
        ({"number": "一"}, "horse_number"),
    ],
)
def test_garbage_in_a_cell_is_a_parse_error_naming_row_and_column(
    change: dict[str, str], column: str
) -> None:
    field = pb.runners(4)
    field[2] = replace(field[2], **change)
    with pytest.raises(ParseError, match=f"row 3, column {column}") as caught:
        parse_page(pb.db_race_page(field), "garbage.html")
    assert caught.value.source == "garbage.html"


def test_row_without_horse_link_is_a_parse_error() -> None:
    labels = ["着順", "馬番", "馬名"]
    rows = [{"着順": "1", "馬番": "1", "馬名": "名無し"}]
    with pytest.raises(ParseError, match="row 1 has no horse link"):
        parse_page(pb.db_race_page(results_table=_custom_table(labels, rows)), "nolink.html")


def test_short_row_is_a_parse_error() -> None:
    table = _custom_table(["着順", "馬番", "馬名"], [])
    table = table.replace(
        "</table>", '<tr><td>1</td><td><a href="/horse/2019105096/">x</a></td></tr></table>'
    )
    with pytest.raises(ParseError, match="row 1 has 2 cells, header has 3"):
        parse_page(pb.db_race_page(results_table=table), "short.html")


def test_empty_results_table_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no runner rows"):
        parse_page(pb.db_race_page(results_table=_custom_table(["着順", "馬番", "馬名"], [])), "e")


@pytest.mark.parametrize(
    "payouts",
    [
        [pb.PayoutRow("複勝", ["1", "3", "4"], ["110", "110"], ["1", "2"])],
        [pb.PayoutRow("ワイド", ["1 - 3", "1 - 4"], ["120", "840"], ["1"])],
        [pb.PayoutRow("三連単", ["1 → 3"], ["3,560"], ["10"])],
        [pb.PayoutRow("単勝", ["1"], ["百四十"], ["1"])],
    ],
)
def test_inconsistent_payouts_are_a_parse_error(payouts: list[pb.PayoutRow]) -> None:
    with pytest.raises(ParseError, match="payout") as caught:
        parse_page(pb.db_race_page(payouts=payouts), "pay.html")
    assert caught.value.source == "pay.html"


def test_payout_row_with_a_second_header_cell_is_a_parse_error() -> None:
    """A row is one payout, "label | numbers | yen | popularity": a second ``th`` is garbage."""
    page = pb.db_race_page(payouts=[pb.PayoutRow("単勝", ["1"], ["140"], ["1"])])
    assert isinstance(page, str)
    broken = page.replace("<th>単勝</th>", "<th>単勝</th><th>x</th>")
    with pytest.raises(ParseError, match="payout 単勝"):
        parse_page(broken, "pay.html")


def test_payout_rows_skip_header_rows_and_markup_between_cells() -> None:
    page = pb.db_race_page(payouts=[pb.PayoutRow("単勝", ["1"], ["140"], ["1"])])
    assert isinstance(page, str)
    page = page.replace(
        "<tr>\n<th>単勝</th>\n<td>1</td>",
        "<tr><th>券種</th><th>馬番</th><th>払戻</th><th>人気</th></tr>"
        "<tr>\n<th>単勝</th><!-- c -->\n<td>1</td>",
    )
    assert "券種" in page
    assert _result(page).payouts == (Payout("win", (1,), 140, 1),)


def test_unknown_bet_label_is_skipped() -> None:
    payouts = [pb.PayoutRow("単勝", ["1"], ["140"], ["1"]), pb.PayoutRow("WIN5", ["1"], ["9"])]
    page = _result(pb.db_race_page(payouts=payouts))
    assert [p.bet_type for p in page.payouts] == ["win"]


def test_unknown_page_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a known netkeiba page"):
        parse_page("<html><head><title>hello</title></head><body><p>x</p></body></html>", "x.html")
    assert detect_kind("<p>nothing</p>") is None


# ---------------------------------------------------------------- no-race page


def test_no_race_page() -> None:
    page = parse_page(pb.no_race_page("201904060810", encoding="euc_jp"), "missing.html")
    assert page == NoRacePage(source="missing.html", race_id="201904060810")
    assert parse_page(pb.no_race_page(None), "m") == NoRacePage(source="m", race_id=None)


# ---------------------------------------------------------------- race.netkeiba result page


def test_race_result_page() -> None:
    field = pb.runners(10)
    page = _result(pb.race_result_page(field))
    assert page.race.race_id == "202001010102" and page.race.date == dt.date(2020, 7, 25)
    assert (page.race.surface, page.race.distance_m, page.race.direction) == ("dirt", 1700, "right")
    assert (page.race.weather, page.race.going, page.race.start_time) == ("cloudy", "good", "10:25")
    assert len(page.entries) == 10  # the lap table's HorseList row is not a runner
    for entry, runner in zip(page.entries, field, strict=True):
        assert entry.horse_id == runner.horse_id
        assert entry.horse_number == int(runner.number)
        assert entry.bracket == int(runner.bracket)
        assert entry.jockey_id == runner.jockey_id and entry.trainer_id == runner.trainer_id
        assert entry.win_odds == float(runner.odds) and entry.popularity == int(runner.popularity)
        assert entry.body_weight == int(runner.body_weight.split("(")[0])
    first, second, third = (int(r.number) for r in field[:3])
    assert page.payouts[0] == Payout("win", (first,), 140, 1)
    assert [p.combination for p in page.payouts if p.bet_type == "place"] == [
        (first,),
        (second,),
        (third,),
    ]
    assert [p.payout_yen for p in page.payouts if p.bet_type == "quinella_place"] == [
        120,
        840,
        1100,
    ]
    assert page.payouts[-1] == Payout("trifecta", (first, second, third), 3560, 10)


def test_race_result_dead_heat_and_statuses() -> None:
    field = _dead_heat_field()
    field[4] = replace(field[4], finish="取消", time="", margin="", odds="", popularity="")
    field[5] = replace(field[5], finish="中止", time="", margin="")
    page = _result(pb.race_result_page(field, payouts=_DEAD_HEAT_PAYOUTS))
    assert [e.finish_position for e in page.entries[:3]] == [1, 1, 3]
    assert [p.combination for p in page.payouts if p.bet_type == "win"] == [(3,), (6,)]
    assert [p.popularity for p in page.payouts if p.bet_type == "win"] == [1, 2]
    assert page.entries[4].finish_status == "scratched"
    assert page.entries[5].finish_status == "pulled_up"


def test_race_result_without_table_is_a_parse_error() -> None:
    html = pb.race_result_page()
    assert isinstance(html, str)
    broken = html.replace('id="All_Result_Table"', "").replace("ResultRefund", "Other")
    with pytest.raises(ParseError, match="All_Result_Table") as caught:
        parse_page(broken, "result.html")
    assert caught.value.source == "result.html"


# ---------------------------------------------------------------- race card


def test_race_card_with_a_scratched_horse() -> None:
    field = pb.runners(8)
    page = parse_page(pb.race_card_page(field, cancelled=[field[2].number]), "card.html")
    assert isinstance(page, RaceCardPage)
    assert len(page.entries) == 8  # not the modal divs' or the pickup table's horses
    assert [e.horse_id for e in page.entries] == [r.horse_id for r in field]
    scratched = page.entries[2]
    assert scratched.finish_status == "scratched" and scratched.body_weight is None
    others = [e for i, e in enumerate(page.entries) if i != 2]
    assert all(e.finish_status is None and e.finish_position is None for e in others)
    assert all(e.win_odds is None and e.popularity is None for e in others)  # "---.-", "**"
    assert page.entries[0].jockey_name == field[0].jockey_name  # "▲" stripped via title
    assert page.entries[0].body_weight == int(field[0].body_weight.split("(")[0])


def test_race_card_before_the_weather_is_announced() -> None:
    page = parse_page(pb.race_card_page(data01="9:50発走 /<span> 芝1200m</span> (右 A)"), "c")
    assert isinstance(page, RaceCardPage)
    race = page.race
    assert (race.surface, race.distance_m, race.direction) == ("turf", 1200, "right")
    assert (race.weather, race.going, race.start_time) == (None, None, "09:50")


def test_race_card_without_table_is_a_parse_error() -> None:
    html = pb.race_card_page()
    assert isinstance(html, str)
    with pytest.raises(ParseError, match="Shutuba_Table"):
        parse_page(html.replace("Shutuba_Table RaceTable01 ShutubaTable", "Other"), "card.html")


# ---------------------------------------------------------------- day lists


def test_db_day_list_with_two_meetings() -> None:
    ids = [["202205010301", "202205010302"], ["202209010301"]]
    page = parse_page(pb.db_race_list_page(dt.date(2022, 2, 5), ids, encoding="utf-8"), "l")
    assert page == RaceListPage(
        source="l",
        date=dt.date(2022, 2, 5),
        race_ids=("202205010301", "202205010302", "202209010301"),
    )


def test_db_day_list_without_races_is_empty_not_an_error() -> None:
    page = parse_page(pb.db_race_list_page(dt.date(2022, 2, 7), []), "l")
    assert page == RaceListPage(source="l", date=dt.date(2022, 2, 7), race_ids=())


def test_race_list_sub_card_links_and_kaisai_date() -> None:
    ids = ["202005020801", "202005020802"]
    html = pb.race_list_sub_page(ids, finished=False, kaisai_date=dt.date(2020, 6, 13))
    assert detect_kind(html) is PageFamily.RACE_LIST_SUB
    page = parse_page(html, "sub.html")
    assert page == RaceListPage(source="sub.html", date=dt.date(2020, 6, 13), race_ids=tuple(ids))


def test_race_list_sub_dates_from_nar_ids_or_source() -> None:
    nar = parse_page(pb.race_list_sub_page(["202244061501"]), "sub.html")
    assert isinstance(nar, RaceListPage) and nar.date == dt.date(2022, 6, 15)
    url = "https://race.netkeiba.com/top/race_list_sub.html?kaisai_date=20200725"
    jra = parse_page(pb.race_list_sub_page(["202001010101"]), url)
    assert isinstance(jra, RaceListPage) and jra.date == dt.date(2020, 7, 25)
    with pytest.raises(ParseError, match="without a date"):
        parse_page(pb.race_list_sub_page(["202001010101"]), "saved.html")


# ---------------------------------------------------------------- horse results fragment


def test_horse_results_statuses_and_unmeasured_weight() -> None:
    rows = [
        pb.PastRace(),
        pb.PastRace(race_id="202010020105", finish="中", time="", margin="", body_weight="494(0)"),
        pb.PastRace(race_id="202010020106", finish="取", time="", margin="", odds="",
                    popularity="", body_weight="計不"),
        pb.PastRace(race_id="202010020107", finish="2(降)", course="ダ1400", going="稍"),
        pb.PastRace(race_id="202010020108", finish="", field_size="0", odds="", popularity="",
                    time="", margin="", body_weight="計不"),
    ]  # fmt: skip
    page = parse_page(pb.horse_results_fragment(rows, horse_id="2009100502"), "ajax.html")
    assert isinstance(page, HorseResultsPage)
    assert page.horse_id == "2009100502"
    assert [(r.finish_position, r.finish_status) for r in page.rows] == [
        (9, "finished"),
        (None, "pulled_up"),
        (None, "scratched"),
        (2, "demoted"),
        (None, None),
    ]
    assert page.rows[2].body_weight is None and page.rows[2].win_odds is None
    assert (page.rows[3].surface, page.rows[3].distance_m, page.rows[3].going) == (
        "dirt",
        1400,
        "slightly_heavy",
    )
    assert page.rows[0].venue == "小倉" and page.rows[0].surface == "jump_turf"


def test_horse_results_garbage_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="row 1, column date"):
        parse_page(pb.horse_results_fragment([pb.PastRace(date="昨日")]), "ajax.html")


def test_withdrawn_rows_tolerate_words_in_number_cells() -> None:
    field = pb.runners(4)
    scratched = replace(
        field[3], finish="取", time="取消", odds="取消", popularity="-", body_weight="取消"
    )
    page = _result(pb.db_race_page([*field[:3], scratched]))
    entry = page.entries[3]
    assert entry.finish_status == "scratched"
    assert (entry.time_s, entry.win_odds, entry.popularity) == (None, None, None)
    assert (entry.body_weight, entry.body_weight_diff) == (None, None)
    # the same words on a runner that finished are garbage
    with pytest.raises(ParseError, match="row 4, column body_weight"):
        parse_page(pb.db_race_page([*field[:3], replace(field[3], body_weight="取消")]), "x")


def test_names_printed_without_links() -> None:
    labels = ["着順", "馬番", "馬名", "騎手", "調教師"]
    rows = [{"着順": "1", "馬番": "4", "馬名": '<a href="/horse/2019105096/">ヴィブラフォン</a>',
             "騎手": "Ｃ．ルメール", "調教師": "[東] 高木登"}]  # fmt: skip
    entry = _result(pb.db_race_page(results_table=_custom_table(labels, rows))).entries[0]
    assert (entry.jockey_id, entry.jockey_name) == (None, "Ｃ．ルメール")
    assert (entry.trainer_id, entry.trainer_name) == (None, "高木登")


def test_empty_race_list_fragment_is_a_day_without_races() -> None:
    from forecast_keiba.netkeiba.model import RaceListPage
    from forecast_keiba.netkeiba.parsing import parse_page

    fragment = '<div class="RaceList_Box clearfix">\n</div>'
    url = "http://127.0.0.1:1/race/top/race_list_sub.html?kaisai_date=20230130"
    page = parse_page(fragment, source=url)
    assert isinstance(page, RaceListPage) and page.race_ids == ()
    assert page.date.isoformat() == "2023-01-30"
