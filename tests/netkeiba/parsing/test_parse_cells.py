"""The pure cell parsers, on every cell shape seen in real pages and the CSV export."""

from __future__ import annotations

import datetime as dt

import pytest

from forecast_keiba.netkeiba.parsing import cells


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 12 ", 12), ("1,350", 1350), ("", None), ("---", None), ("**", None)],
)
def test_parse_int(text: str, expected: int | None) -> None:
    assert cells.parse_int(text) == expected


@pytest.mark.parametrize("text", ["1a", "one", "1.5", "-3", "nan"])
def test_parse_int_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        cells.parse_int(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("54", 54.0),
        (" 51.0 ", 51.0),
        ("57.5", 57.5),
        ("1,350.0", 1350.0),  # past the plain-number fast path
        ("5 4", 54.0),
        ("５４", 54.0),  # full-width digits, as int() and float() read them
        ("", None),
        ("---", None),
    ],
)
def test_parse_float(text: str, expected: float | None) -> None:
    assert cells.parse_float(text) == expected


@pytest.mark.parametrize("text", ["nan", "inf", "1e3", "5４kg", "1.2.3"])
def test_parse_float_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        cells.parse_float(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.4", 1.4),
        (" 219.6 ", 219.6),
        ("7.2倍", 7.2),
        ("1,021.5", 1021.5),
        ("---", None),
        ("---.-", None),
        ("", None),
    ],
)
def test_parse_odds(text: str, expected: float | None) -> None:
    assert cells.parse_odds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 16 ", 16), ("3人気", 3), ("2.0", 2), ("**", None), ("", None)],
)
def test_parse_popularity(text: str, expected: int | None) -> None:
    assert cells.parse_popularity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2:29.9", 149.9),
        ("1:48.3", 108.3),
        (" 1:25.5 ", 85.5),
        ("0:58.3", 58.3),
        ("58.3", 58.3),
        ("3:09.6", 189.6),
        ("1:08.12", 68.12),
        ("", None),
    ],
)
def test_parse_time(text: str, expected: float | None) -> None:
    assert cells.parse_time(text) == expected


@pytest.mark.parametrize("text", ["1:2x.3", "abc", "1::2", "中止"])
def test_parse_time_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a race time"):
        cells.parse_time(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("448(+14)", (448, 14)),
        ("434(-12)", (434, -12)),
        ("436(0)", (436, 0)),
        (" 468(-4) ", (468, -4)),
        ("450\n(+6)\n", (450, 6)),  # race card: 450<small>(+6)</small>
        ("470kg(+2)", (470, 2)),  # smartphone layout
        ("448", (448, None)),
        ("450(前計不)", (450, None)),
        ("計不", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_body_weight(text: str, expected: tuple[int | None, int | None]) -> None:
    assert cells.parse_body_weight(text) == expected


@pytest.mark.parametrize("text", ["heavy", "44x(+2)", "(+2)"])
def test_parse_body_weight_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a body weight"):
        cells.parse_body_weight(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("牝3", ("filly", 3)),
        ("牡2", ("colt", 2)),
        ("セ10", ("gelding", 10)),
        (" 牝 3 ", ("filly", 3)),
        (" 牡4\n", ("colt", 4)),
        ("牝３", ("filly", 3)),
        ("", (None, None)),
        ("**", (None, None)),
    ],
)
def test_parse_sex_age(text: str, expected: tuple[str | None, int | None]) -> None:
    assert cells.parse_sex_age(text) == expected


@pytest.mark.parametrize("text", ["牝", "X3", "3牝", "牝三", " X 3 ", "牝3.5"])
def test_parse_sex_age_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a sex-age"):
        cells.parse_sex_age(text)


@pytest.mark.parametrize(("label", "expected"), [("牡", "colt"), ("牝", "filly"), ("セ", "gelding"),
                                                 ("鹿毛", None), ("現役", None)])  # fmt: skip
def test_parse_sex(label: str, expected: str | None) -> None:
    assert cells.parse_sex(label) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", (1, "finished")),
        (" 16 ", (16, "finished")),
        ("1着", (1, "finished")),
        ("中", (None, "pulled_up")),
        ("取", (None, "scratched")),
        ("除", (None, "excluded")),
        ("失", (None, "disqualified")),
        ("中止", (None, "pulled_up")),
        ("取消", (None, "scratched")),
        ("除外", (None, "excluded")),
        ("失格", (None, "disqualified")),
        ("3(降)", (3, "demoted")),
        ("12(降)", (12, "demoted")),
        ("", (None, None)),
    ],
)
def test_parse_finish(text: str, expected: tuple[int | None, str | None]) -> None:
    assert cells.parse_finish(text) == expected


@pytest.mark.parametrize("text", ["降", "1位", "?", "3(再)"])
def test_parse_finish_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a finish position"):
        cells.parse_finish(text)


@pytest.mark.parametrize(
    ("text", "printed", "lengths"),
    [
        ("", None, None),
        ("クビ", "クビ", 0.25),
        ("ハナ", "ハナ", 0.05),
        ("アタマ", "アタマ", 0.1),
        ("同着", "同着", 0.0),
        ("大", "大", 10.0),
        ("1.1/4", "1.1/4", 1.25),
        (" 3/4 ", "3/4", 0.75),
        ("1/2", "1/2", 0.5),
        ("2.1/2", "2.1/2", 2.5),
        ("5", "5", 5.0),
        ("-0.5", "-0.5", None),  # a horse-results time gap is not a length
    ],
)
def test_margins(text: str, printed: str | None, lengths: float | None) -> None:
    assert cells.parse_margin(text) == printed
    assert cells.margin_lengths(printed) == lengths


@pytest.mark.parametrize(
    ("text", "expected"),
    [("140", 140), ("1,100", 1100), ("24,570円", 24570), (" 3,560 ", 3560)],
)
def test_parse_yen(text: str, expected: int) -> None:
    assert cells.parse_yen(text) == expected


@pytest.mark.parametrize("text", ["", "-", "1,1OO", "特払"])
def test_parse_yen_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a payout amount"):
        cells.parse_yen(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", (1,)),
        ("3 - 6", (3, 6)),
        ("1 → 3", (1, 3)),
        ("3 → 6 → 11", (3, 6, 11)),
        ("2 - 3 - 4", (2, 3, 4)),
        ("10-12", (10, 12)),
    ],
)
def test_parse_combination(text: str, expected: tuple[int, ...]) -> None:
    assert cells.parse_combination(text) == expected


@pytest.mark.parametrize("text", ["", "1 -", "a - b", "1 - - 2", "1_0"])
def test_parse_combination_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a combination"):
        cells.parse_combination(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1\n3\n\n 4 ", ["1", "3", "4"]),
        (" 1,100 ", ["1,100"]),  # one value, no separator
        ("\u3000", []),
        ("", []),
    ],
)
def test_split_multi(text: str, expected: list[str]) -> None:
    assert cells.split_multi(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年7月27日 1回札幌1日目 2歳未勝利", dt.date(2019, 7, 27)),
        ("2歳未勝利｜2019年07月27日 | 競馬データベース", dt.date(2019, 7, 27)),
        (" 2021年1月30日 1回東京1日目", dt.date(2021, 1, 30)),
        ("｜年月日 | 競馬データベース", None),
        ("2021年2月30日", None),
    ],
)
def test_find_jp_date(text: str, expected: dt.date | None) -> None:
    assert cells.find_jp_date(text) == expected


def test_slash_and_compact_dates() -> None:
    assert cells.parse_slash_date("2020/08/15") == dt.date(2020, 8, 15)
    assert cells.parse_slash_date("") is None
    with pytest.raises(ValueError, match="not a date"):
        cells.parse_slash_date("2020/13/45")
    assert cells.parse_compact_date("20221221") == dt.date(2022, 12, 21)
    assert cells.parse_compact_date("2022122") is None


@pytest.mark.parametrize(
    ("label", "weather", "going"),
    [("晴", "sunny", None), ("曇", "cloudy", None), ("小雨", "light_rain", None),
     ("雪", "snowy", None), ("良", None, "good"), ("稍重", None, "slightly_heavy"),
     ("稍", None, "slightly_heavy"), ("重", None, "heavy"), ("不良", None, "bad"),
     ("不", None, "bad"), ("霧", None, None)],
)  # fmt: skip
def test_weather_and_going(label: str, weather: str | None, going: str | None) -> None:
    assert cells.weather(label) == weather
    assert cells.going(label) == going


@pytest.mark.parametrize(
    ("text", "surface", "distance", "direction"),
    [
        ("芝右1800m", "turf", 1800, "right"),
        ("ダ左1400m", "dirt", 1400, "left"),
        ("芝右 外2200m", "turf", 2200, "right_outer"),
        ("芝左外1600m", "turf", 1600, "left_outer"),
        ("芝右 内2周3600m", "turf", 3600, "right_inner"),
        ("芝直線1000m", "turf", 1000, "straight"),
        ("障芝 外-内3000m", "jump_turf", 3000, None),
        ("障芝2880m", "jump_turf", 2880, None),
        ("障芝ダ3300m", "jump_turf_dirt", 3300, None),
        ("障ダ3000m", "jump_dirt", 3000, None),
        ("ダ1700m (右)", "dirt", 1700, "right"),
        ("芝1800m (右 外 A)", "turf", 1800, "right_outer"),
        ("芝1600m (左 A)", "turf", 1600, "left"),
        ("ダ1400", "dirt", 1400, None),
        ("障2860", "jump_turf", 2860, None),
    ],
)
def test_parse_course(text: str, surface: str, distance: int, direction: str | None) -> None:
    course = cells.parse_course(text)
    assert course == cells.Course(surface, distance, direction)  # type: ignore[arg-type]


def test_parse_course_without_course() -> None:
    assert cells.parse_course("天候 : 晴") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ダ左1400m\xa0/\xa0天候 : 晴\xa0/\xa0ダート : 良\xa0/\xa0発走 : 10:05",
            cells.RaceConditions("dirt", 1400, "left", "sunny", "good", "10:05"),
        ),
        (
            "芝右1800m / 天候 : 曇 / 芝 : 稍重 / 発走 : 09:50",
            cells.RaceConditions("turf", 1800, "right", "cloudy", "slightly_heavy", "09:50"),
        ),
        (
            "障芝 外-内3000m / 天候 : 雨 / 芝 : 不良 / 発走 : 13:30",
            cells.RaceConditions("jump_turf", 3000, None, "rainy", "bad", "13:30"),
        ),
        (
            "10:25発走 / ダ1700m (右)\n/ 天候:曇\n/ 馬場:良",
            cells.RaceConditions("dirt", 1700, "right", "cloudy", "good", "10:25"),
        ),
        (
            "9:50発走 / 芝1200m (右 A)",  # a card before the weather is announced
            cells.RaceConditions("turf", 1200, "right", None, None, "09:50"),
        ),
        ("", cells.RaceConditions()),
    ],
)
def test_parse_race_conditions(text: str, expected: cells.RaceConditions) -> None:
    assert cells.parse_race_conditions(text) == expected


@pytest.mark.parametrize(
    ("href", "kind", "expected"),
    [
        ("/horse/2019105096/", "horse", "2019105096"),
        ("https://db.netkeiba.com/horse/2017104334", "horse", "2017104334"),
        ("https://db.netkeiba.com/horse/2017104334/", "horse", "2017104334"),
        ("/horse/ped/000a00033a/", "horse", "000a00033a"),
        ("https://db.netkeiba.com/?pid=horse_detail&id=2017104334", "horse", "2017104334"),
        ("/jockey/result/recent/01170/", "jockey", "01170"),
        ("/jockey/01170/", "jockey", "01170"),
        ("/jockey/result/recent/a0247/", "jockey", "a0247"),
        ("https://db.netkeiba.com/?pid=jockey_detail&id=05339", "jockey", "05339"),
        ("/trainer/result/recent/01088/", "trainer", "01088"),
        ("/trainer/01088/", "trainer", "01088"),
        ("/owner/226800/", "owner", "226800"),
        ("/breeder/033357/", "breeder", "033357"),
        ("/race/201901010101/", "race", "201901010101"),
        ("https://db.netkeiba.com/race/202105010101/", "race", "202105010101"),
        ("../race/shutuba.html?race_id=202001010102", "race", "202001010102"),
        ("../race/result.html?race_id=202001010101&rf=race_list", "race", "202001010101"),
        ("/race/list/20221221/", "race", None),
        ("/race/sum/54/20221022/", "race", None),
        ("/race/movie/202010020104", "race", None),
        ("/horse/2019105096/", "jockey", None),
        ("/horse/20191050960/", "horse", None),  # eleven characters: not a horse id
        ("/horse/2019105096?x=1", "horse", "2019105096"),
        ("/trainer/result/01088/", "trainer", "01088"),
        ("/owner/result/recent/226800/", "owner", "226800"),
        ("/jockey/result/recent/011/", "jockey", None),
        ("/?pid=horse_training&id=20171", "horse", None),
        (None, "horse", None),
        ("", "horse", None),
    ],
)
def test_link_id(href: str | None, kind: str, expected: str | None) -> None:
    assert cells.link_id(href, kind) == expected
