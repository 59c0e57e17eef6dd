# ruff: noqa: E501 - the pages' markup is kept on the lines netkeiba puts it on
"""Small netkeiba-shaped HTML pages for parser tests and the parse bench.

Not a test module: the bench (``bench/parse_bench.py``) loads it by path to
generate pages when the real ones in ``../shared`` are absent. The markup
follows the saved real pages (db.netkeiba's ``race_table_01`` with premium
columns wrapped in ``<diary_snap_cut>``, ``pay_table_01`` with ``<br>``-joined
values, race.netkeiba's ``RaceList_NameBox`` / ``#All_Result_Table`` /
``Payout_Detail_Table`` / ``Shutuba_Table``), trimmed to what matters for
parsing. Every cell value is given as netkeiba prints it, so tests can feed
edge cases ("計不", "3(降)", "同着") straight in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape


@dataclass(frozen=True)
class Runner:
    """One runners-table row, every cell as printed."""

    finish: str = "1"
    bracket: str = "1"
    number: str = "1"
    horse_id: str = "2017105318"
    horse_name: str = "ゴルコンダ"
    sex_age: str = "牡2"
    weight: str = "54"
    jockey_id: str = "05339"
    jockey_name: str = "ルメール"
    time: str = "1:48.3"
    margin: str = ""
    odds: str = "1.4"
    popularity: str = "1"
    body_weight: str = "518(-16)"
    trainer_id: str = "01126"
    trainer_name: str = "木村哲也"
    region: str = "東"


@dataclass(frozen=True)
class PayoutRow:
    """One payout row: label and parallel lists as printed ("1,100", "3 - 6")."""

    label: str
    combinations: Sequence[str]
    amounts: Sequence[str]
    popularities: Sequence[str] = field(default_factory=tuple)


def runners(count: int, *, first_horse_id: int = 2017105300) -> list[Runner]:
    """``count`` ordinary finishers, 1st to last, with distinct ids and numbers."""
    out = []
    # a step coprime with count makes the numbers a permutation of 1..count
    step = next(s for s in (7, 5, 3, 1) if math.gcd(s, count) == 1)
    for place in range(1, count + 1):
        number = (place * step) % count + 1
        out.append(
            Runner(
                finish=str(place),
                bracket=str(min(8, (number + 1) // 2)),
                number=str(number),
                horse_id=str(first_horse_id + place),
                horse_name=f"テストホース{place}",
                sex_age=("牡", "牝", "セ")[place % 3] + str(2 + place % 5),
                weight="55.0" if place % 2 else "54",
                jockey_id=f"{1000 + place:05d}",
                jockey_name=f"騎手{place}",
                time=f"1:{34 + place // 3:02d}.{place % 10}",
                margin="" if place == 1 else ("クビ", "1.1/4", "ハナ", "3/4", "2", "大")[place % 6],
                odds=f"{1.5 * place:.1f}",
                popularity=str(place),
                body_weight=f"{440 + 2 * place}({'+' if place % 2 else '-'}{place % 7})",
                trainer_id=f"{1100 + place:05d}",
                trainer_name=f"調教師{place}",
                region="東" if place % 2 else "西",
            )
        )
    return out


def default_payouts(field: Sequence[Runner]) -> list[PayoutRow]:
    """Plausible payouts for the first three finishers of ``field``."""
    first, second, third = (r.number for r in field[:3])
    return [
        PayoutRow("単勝", [first], ["140"], ["1"]),
        PayoutRow("複勝", [first, second, third], ["110", "110", "470"], ["1", "2", "7"]),
        PayoutRow("枠連", [f"{field[0].bracket} - {field[1].bracket}"], ["190"], ["1"]),
        PayoutRow("馬連", [f"{first} - {second}"], ["190"], ["1"]),
        PayoutRow(
            "ワイド",
            [f"{first} - {second}", f"{first} - {third}", f"{second} - {third}"],
            ["120", "840", "1,100"],
            ["1", "12", "13"],
        ),
        PayoutRow("馬単", [f"{first} → {second}"], ["290"], ["1"]),
        PayoutRow("三連複", [f"{first} - {second} - {third}"], ["1,610"], ["6"]),
        PayoutRow("三連単", [f"{first} → {second} → {third}"], ["3,560"], ["10"]),
    ]


def _jp_date(day: dt.date, zero_pad: bool = False) -> str:
    if zero_pad:
        return f"{day.year}年{day.month:02d}月{day.day:02d}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _encode(html: str, encoding: str | None) -> str | bytes:
    return html if encoding is None else html.encode(encoding)


# ---------------------------------------------------------------- db.netkeiba race page

_DB_HEADER = (
    "着<br />順",
    "枠<br />番",
    "馬<br />番",
    "馬名",
    "性齢",
    "斤量",
    "騎手",
    "タイム",
    "着差",
)
_PREMIUM_HEADER = ("ﾀｲﾑ<br />指数", "通過", "上り")


def _db_row(runner: Runner, extra_column: bool, premium: bool, race_id: str) -> str:
    cells = [
        f'<td class="txt_r" nowrap="nowrap">{escape(runner.finish)}</td>',
        f'<td class="w1ml" align="right" nowrap="nowrap"><span>{runner.bracket}</span></td>',
        f'<td class="txt_r" nowrap="nowrap">{runner.number}</td>',
        f'<td class="txt_l" nowrap="nowrap">\n<a href="/horse/{runner.horse_id}/" '
        f'title="{runner.horse_name}" id="umalink_{race_id}">{runner.horse_name}</a>\n</td>',
        f'<td class="txt_c" nowrap="nowrap">{runner.sex_age}</td>',
        f'<td class="txt_c" nowrap="nowrap">{runner.weight}</td>',
        f'<td class="txt_l" nowrap="nowrap">\n<a href="/jockey/result/recent/{runner.jockey_id}/" '
        f'title="{runner.jockey_name}">{runner.jockey_name}</a>\n</td>',
        f'<td class="txt_r" nowrap="nowrap">{runner.time}</td>',
        f'<td class="txt_c" nowrap="nowrap">{runner.margin}</td>',
    ]
    if premium:
        cells.append(
            '<diary_snap_cut>\n<td class="speed_index bml" nowrap="nowrap"><div class="txt_c">'
            '<a href="https://www.netkeiba.com/premium/?service=p13">**</a></div></td>\n'
            '<td nowrap="nowrap">1-1-1-1</td>\n<td class="r1ml txt_c" nowrap="nowrap">'
            "<span>36.5</span></td>\n</diary_snap_cut>"
        )
    if extra_column:
        cells.append('<td nowrap="nowrap">新しい値</td>')
    cells += [
        f'<td class="txt_r" nowrap="nowrap">{runner.odds}</td>',
        f'<td class="r1ml" align="right" nowrap="nowrap"><span>{runner.popularity}</span></td>',
        f'<td nowrap="nowrap">{runner.body_weight}</td>',
        f'<td class="txt_l" nowrap="nowrap">\n[{runner.region}]\n'
        f'<a href="/trainer/result/recent/{runner.trainer_id}/" title="{runner.trainer_name}">'
        f"{runner.trainer_name}</a>\n</td>",
    ]
    if premium:
        cells.append(
            '<diary_snap_cut>\n<td class="txt_l w1ml" nowrap="nowrap">'
            '<a href="/owner/226800/" title="馬主">馬主</a></td>\n'
            '<td class="txt_r" nowrap="nowrap">500.0</td>\n</diary_snap_cut>'
        )
    return "<tr>\n" + "\n".join(cells) + "\n</tr>"


def db_results_table(
    field: Sequence[Runner],
    *,
    race_id: str = "201901010101",
    extra_column: bool = False,
    premium: bool = True,
    summary: str = "レース結果",
) -> str:
    """db.netkeiba's ``race_table_01`` for ``field``.

    ``premium`` adds the premium and owner columns (wrapped in ``diary_snap_cut``
    as on the real pages); ``extra_column`` adds a column with an unknown
    header between 着差 and 単勝, as a future layout change would.
    """
    header = [f'<th nowrap="nowrap">{label}</th>' for label in _DB_HEADER]
    if premium:
        header.append(
            "<diary_snap_cut>\n"
            + "\n".join(f'<th nowrap="nowrap">{label}</th>' for label in _PREMIUM_HEADER)
            + "\n</diary_snap_cut>"
        )
    if extra_column:
        header.append('<th nowrap="nowrap">新列</th>')
    header += [
        '<th nowrap="nowrap">単勝</th>',
        '<th nowrap="nowrap">人<br />気</th>',
        '<th nowrap="nowrap">馬体重</th>',
        '<th nowrap="nowrap">調教師</th>',
    ]
    if premium:
        header.append(
            '<diary_snap_cut>\n<th nowrap="nowrap">馬主</th>\n'
            '<th nowrap="nowrap">賞金<br />(万円)</th>\n</diary_snap_cut>'
        )
    rows = "\n".join(_db_row(r, extra_column, premium, race_id) for r in field)
    return (
        f'<table class="race_table_01 nk_tb_common" summary="{summary}" cellspacing="1" '
        f'cellpadding="0">\n<tr class="txt_c">\n' + "\n".join(header) + f"\n</tr>\n{rows}\n</table>"
    )


def db_pay_tables(payouts: Sequence[PayoutRow]) -> str:
    """The two ``pay_table_01`` tables (first four rows, then the rest)."""

    def row(payout: PayoutRow) -> str:
        return (
            f"<tr>\n<th>{payout.label}</th>\n<td>{'<br />'.join(payout.combinations)}</td>\n"
            f'<td class="txt_r">{"<br />".join(payout.amounts)}</td>\n'
            f'<td class="txt_r">{"<br />".join(payout.popularities)}</td>\n</tr>'
        )

    halves = (payouts[:4], payouts[4:])
    return "\n".join(
        '<table cellpadding="0" cellspacing="1" class="pay_table_01" summary="払い戻し">\n'
        + "\n".join(row(p) for p in half)
        + "\n</table>"
        for half in halves
        if half
    )


def db_race_page(
    field: Sequence[Runner] | None = None,
    *,
    race_id: str = "201901010101",
    name: str = "2歳未勝利",
    day: dt.date | None = dt.date(2019, 7, 27),
    conditions: str = "芝右1800m&nbsp;/&nbsp;天候 : 曇&nbsp;/&nbsp;芝 : 良&nbsp;/&nbsp;発走 : 09:50",
    payouts: Sequence[PayoutRow] | None = None,
    extra_column: bool = False,
    premium: bool = True,
    lookalike: bool = False,
    results_table: str | None = None,
    smalltxt: bool = True,
    encoding: str | None = None,
) -> str | bytes:
    """A db.netkeiba ``/race/<id>/`` result page.

    ``lookalike`` puts a look-alike ``race_table_01`` (another race's result
    table, with its own 着順/馬名/馬番 header and different horses) before the
    real one and a ``tr`` of a third horse in a side table after it.
    ``results_table`` replaces the runners table's markup (e.g. "" for none).
    ``encoding`` returns bytes in that encoding, with a matching ``<meta>``.
    """
    field = list(field) if field is not None else runners(9)
    payouts = default_payouts(field) if payouts is None else payouts
    charset = encoding or "euc-jp"
    date_title = _jp_date(day, zero_pad=True) if day else ""
    smalltxt_html = (
        f'<p class="smalltxt">{_jp_date(day) if day else ""} 1回札幌1日目 {name}'
        "&nbsp;&nbsp;(混)[指](馬齢)</p>"
        if smalltxt
        else ""
    )
    table = db_results_table(
        field, race_id=race_id, extra_column=extra_column, premium=premium
    ) if results_table is None else results_table  # fmt: skip
    before = after = ""
    if lookalike:
        other = [
            replace(r, horse_id=f"20160{i:05d}", horse_name=f"ソックリ{i}")
            for i, r in enumerate(runners(3), start=1)
        ]
        before = (
            '<div class="past_results">'
            + db_results_table(other, race_id="201801010101", summary="過去のレース結果")
            + "</div>"
        )
        after = (
            '<table class="race_table_01 side"><tr><td>1</td><td>'
            '<a href="/horse/2015999999/">サイドホース</a></td></tr></table>'
        )
    html = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x">
<html xmlns="http://www.w3.org/1999/xhtml" lang="ja" xml:lang="ja" id="html">
<head>
<title>{name}｜{date_title} | 競馬データベース - netkeiba.com</title>
<meta http-equiv="content-type" content="text/html; charset={charset}" />
</head>
<body class="db " id="db_race_detail">
<div class="race_head">
<ul class="race_num fc"><li><a href="/race/{race_id}/" class="active">1R</a></li></ul>
<diary_snap>
<div class="mainrace_data fc">
<div class="data_intro">
<dl class="racedata fc">
<dt>
1 R
</dt>
<dd>
<h1>{name}<!--img src="race_grade_g2_01.png" alt=""--></h1>
<p>
<diary_snap_cut>
<span>{conditions}</span><br />
<diary_snap_cut>

</diary_snap_cut>
</p>
</dd>
</dl>
{smalltxt_html}
</div>
</div>
</diary_snap>
</div>
{before}
<div class="race_deta_menu">
<ul class="main_menu fc">
<li class="race_navi_result"><a class="active" href="https://db.netkeiba.com/race/{race_id}/">結果/払戻</a></li>
<li class="race_navi_bbs"><a href="https://db.netkeiba.com//?pid=race_board&amp;thread=race&amp;id={race_id}">掲示板</a></li>
</ul>
</div>
<div class="race_result fc">
<div id="contents_liquid">
{table}
</div>
{after}
<div class="result_info box_left">
<dl class="pay_block">
<dt><h3>払い戻し</h3></dt>
<dd class="fc">
{db_pay_tables(payouts)}
</dd>
</dl>
<table width="100%" cellpadding="0" cellspacing="0" class="result_table_02" summary="コーナー通過順位">
<caption>コーナー通過順位</caption>
<tr><th>1コーナー</th><td>1(4,3)6(5,8)2(9,7)</td></tr>
</table>
</div>
</div>
<footer><p class="copyright">netkeiba.com</p></footer>
</body>
</html>
"""
    return _encode(html, encoding)


def no_race_page(
    race_id: str | None = "201904060810", *, encoding: str | None = None
) -> str | bytes:
    """db.netkeiba's HTTP-200 page for a race id that does not exist."""
    tab = (
        f'<li class="race_navi_result"><a class="active" '
        f'href="https://db.netkeiba.com/race/{race_id}/">結果/払戻</a></li>'
        if race_id
        else ""
    )
    html = f"""<html><head><title>｜年月日 | 競馬データベース - netkeiba.com</title>
<meta http-equiv="content-type" content="text/html; charset={encoding or "euc-jp"}" /></head>
<body class="db " id="db_race_detail">
<div class="race_deta_menu"><ul class="main_menu fc">{tab}</ul></div>
<div class="race_result fc">
<table width="100%" class="result_table_02" summary="馬場情報"><tr></tr><tr></tr></table>
</div></body></html>"""
    return _encode(html, encoding)


# ---------------------------------------------------------------- race.netkeiba pages


def _race_head(race_id: str, kind: str, name: str, day: dt.date | None, data01: str) -> str:
    """``<head>`` and ``RaceList_NameBox`` of race.netkeiba's card/result pages."""
    page_name = {"shutuba": "出馬表", "result": "結果・払戻"}[kind]
    date = _jp_date(day) if day else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="EUC-JP">
<title>{name} {page_name} | {date} 札幌{int(race_id[10:])}R レース情報(JRA) - netkeiba</title>
<meta property="og:url" content="https://race.netkeiba.com/race/{kind}.html?race_id={race_id}" />
<link rel="canonical" href="https://race.netkeiba.com/race/{kind}.html?race_id={race_id}" />
</head>
<body id="page_race_{kind}">
<div class="RaceList_NameBox">
<div class="RaceList_Item01"><span class="RaceNum">
<span class="MyRace_Item MyRace-Item-{race_id}"></span>{int(race_id[10:])}R</span></div>
<div class="RaceList_Item02">
<h1 class="RaceName">{name}
</h1>
<div class="RaceData01">
{data01}
</div>
<div class="RaceData02"><span>1回</span><span>札幌</span><span>1日目</span></div>
</div>
</div>
"""


def race_result_page(
    field: Sequence[Runner] | None = None,
    *,
    race_id: str = "202001010102",
    name: str = "3歳未勝利",
    day: dt.date | None = dt.date(2020, 7, 25),
    data01: str = '10:25発走 /<span> ダ1700m</span> (右)\n/ 天候:曇<span class="Icon_Weather '
    'Weather02"></span>\n<span class="Item04">/ 馬場:良</span>',
    payouts: Sequence[PayoutRow] | None = None,
    encoding: str | None = None,
) -> str | bytes:
    """race.netkeiba's ``result.html``: ``#All_Result_Table``, ``Payout_Detail_Table``
    and, after them, a lap table whose ``tr.HorseList`` rows must be ignored."""
    field = list(field) if field is not None else runners(9)
    payouts = default_payouts(field) if payouts is None else payouts
    rows = []
    for r in field:
        torikeshi = " Torikeshi" if r.finish in ("取消", "除外") else ""
        rows.append(f"""<tr class="HorseList{torikeshi}">
<td class="Result_Num"><div class="Rank">{r.finish}</div></td>
<td class="Num Waku{r.bracket}"><div>{r.bracket}</div></td>
<td class="Num Txt_C"><div>{r.number}</div></td>
<td class="Horse_Info"><span class="Horse_Name"><a href="https://db.netkeiba.com/horse/{r.horse_id}" target="_blank" title="{r.horse_name}">{r.horse_name}</a></span></td>
<td class="Horse_Info Txt_C"><span class="Lgt_Txt Txt_C">{r.sex_age}</span></td>
<td class="Jockey_Info"><span class="JockeyWeight">{r.weight}</span></td>
<td class="Jockey"><a href="https://db.netkeiba.com/jockey/result/recent/{r.jockey_id}/" target="_blank" title="{r.jockey_name}">{r.jockey_name}</a></td>
<td class="Time"><span class="RaceTime">{r.time}</span></td>
<td class="Time"><span class="RaceTime">{r.margin}</span></td>
<td class="Odds Txt_C"><span class="OddsPeople">{r.popularity}</span></td>
<td class="Odds Txt_R"><span class="Odds_Ninki">{r.odds}</span></td>
<td class="Time BgOrange">36.5</td>
<td class="PassageRate">1-1-1-1</td>
<td class="Trainer"><span class="Label1">美浦</span><a href="https://db.netkeiba.com/trainer/result/recent/{r.trainer_id}/" target="_blank" title="{r.trainer_name}">{r.trainer_name}</a></td>
<td class="Weight">{r.body_weight.replace("(", "<small>(").replace(")", ")</small>")}</td>
</tr>""")
    pay_classes = {"単勝": "Tansho", "複勝": "Fukusho", "枠連": "Wakuren", "馬連": "Umaren",
                   "ワイド": "Wide", "馬単": "Umatan", "三連複": "Fuku3", "三連単": "Tan3"}  # fmt: skip
    pay_labels = {"三連複": "3連複", "三連単": "3連単"}
    pay_rows = []
    for p in payouts:
        if p.label in ("単勝", "複勝"):
            result = "".join(f"<div><span>{c}</span></div>" for c in p.combinations)
            result += "<div><span></span></div>" * (3 - len(p.combinations))
        else:
            result = "".join(
                "<ul>"
                + "".join(
                    f"<li><span>{n.strip()}</span></li>" for n in c.replace("→", "-").split("-")
                )
                + "<li></li></ul>"
                for c in p.combinations
            )
        amounts = "<br />".join(f"{a}円" for a in p.amounts)
        pops = "".join(f"<span>{n}人気</span>" for n in p.popularities)
        pay_rows.append(
            f'<tr class="{pay_classes.get(p.label, "")}"><th>{pay_labels.get(p.label, p.label)}'
            f'</th><td class="Result">{result}</td><td class="Payout"><span>{amounts}</span></td>'
            f'<td class="Ninki">{pops}</td></tr>'
        )
    html = (
        _race_head(race_id, "result", name, day, data01)
        + """<div class="ResultTableWrap">
<table summary="全着順" class="RaceTable01 RaceCommon_Table ResultRefund Table_Show_All" id="All_Result_Table">
<thead><tr class="Header">
<th class="Result_Num"><div>着順</div></th><th>枠</th><th>馬<br>番</th><th>馬名</th><th>性齢</th>
<th>斤量</th><th>騎手</th><th>タイム</th><th>着差</th><th>人気</th><th>単勝<br>オッズ</th>
<th>後3F</th><th>コーナー<br>通過順</th><th>厩舎</th><th>馬体重<br><small>(増減)</small></th>
</tr></thead>
<tbody>
"""
        + "\n".join(rows)
        + """
</tbody></table></div>
<div class="Result_Pay_Back"><div class="FullWrap">
<table class="Payout_Detail_Table" summary="払い戻し"><tbody>
"""
        + "\n".join(pay_rows)
        + """
</tbody></table></div></div>
<table class="RaceCommon_Table LapSummary_Table"><tr class="HorseList">
<td class="Result_Num">1</td><td><a href="https://db.netkeiba.com/horse/2015999999">ラップ</a></td>
</tr></table>
</body></html>"""
    )
    return _encode(html, encoding)


def race_card_page(
    field: Sequence[Runner] | None = None,
    *,
    race_id: str = "202001010102",
    name: str = "3歳未勝利",
    day: dt.date | None = dt.date(2020, 7, 25),
    data01: str = '10:25発走 /<span> ダ1700m</span> (右)\n/ 天候:曇<span class="Icon_Weather '
    'Weather02"></span>\n<span class="Item04">/ 馬場:良</span>',
    cancelled: Sequence[str] = (),
    encoding: str | None = None,
) -> str | bytes:
    """race.netkeiba's ``shutuba.html``: ``Shutuba_Table`` with its two header rows,
    modal ``div``s between rows and a pickup table below that repeats horses.
    Horse numbers in ``cancelled`` get a ``Cancel`` row saying 取消."""
    field = list(field) if field is not None else runners(9)
    rows = []
    for r in field:
        cancel = r.number in cancelled
        odds = "取消" if cancel else "---.-"
        rows.append(f"""<tr class="HorseList{" Cancel" if cancel else ""}" id="tr_{r.number}">
<td class="Waku{r.bracket} Txt_C"><span>{r.bracket}</span></td>
<td class="Umaban{r.bracket} Txt_C">{r.number}</td>
<td class="CheckMark Horse_Select"><select><option>--</option><option>◎</option></select></td>
<td class="HorseInfo"><div><div><span class="HorseName"><a href="https://db.netkeiba.com/horse/{r.horse_id}" target="_blank" title="{r.horse_name}">{r.horse_name}</a></span></div></div></td>
<td class="Barei Txt_C">{r.sex_age}</td>
<td class="Txt_C">{r.weight}</td>
<td class="Jockey"><a href="https://db.netkeiba.com/jockey/result/recent/{r.jockey_id}/" target="_blank" title="{r.jockey_name}">▲{r.jockey_name}</a></td>
<td class="Trainer"><span class="Label1">美浦</span><a href="https://db.netkeiba.com/trainer/result/recent/{r.trainer_id}/" target="_blank" title="{r.trainer_name}">{r.trainer_name}</a></td>
<td class="Weight">
{"" if cancel else r.body_weight.replace("(", "<small>(").replace(")", ")</small>")}
</td>
<td class="Txt_R Popular"><span id="odds-1_{r.number}">{odds}</span></td>
<td class="Popular Popular_Ninki Txt_C"><span id="ninki-1_{r.number}">**</span></td>
<td class="FavRegist Txt_C"></td><td class="FavMemo"></td>
</tr>
<div id="EditHorseModal-{r.horse_id}" class="BetAddInputModal"><label>{r.horse_name}</label></div>""")
    html = (
        _race_head(race_id, "shutuba", name, day, data01)
        + """<table class="Shutuba_Table RaceTable01 ShutubaTable"><thead>
<tr class="Header">
<th rowspan="2" class="Waku">枠</th>
<th rowspan="2" class="Umaban"><div class="Inner_Shutuba">馬<br>番</div></th>
<th rowspan="2" class="CheckMark">印</th>
<th rowspan="2" class="HorseInfo"><div class="Inner_Shutuba"><span class="HorseName">馬名</span></div></th>
<th rowspan="2" class="Barei">性齢</th>
<th rowspan="2" class="Dredging"><div class="Inner_Shutuba">斤量</div></th>
<th rowspan="2" class="Jockey">騎手</th>
<th rowspan="2" class="Trainer">厩舎</th>
<th rowspan="2" class="Weight"><div class="Inner_Shutuba">馬体重<br/><small>(増減)</small></div></th>
<th rowspan="2" class="Popular" id="sort_cell_odds"><div><button><span>更新</span></button></div></th>
<th rowspan="2" class="Popular Popular_Ninki"><div class="Inner_Shutuba">人気</div></th>
<th colspan="2" class="FavHorse"><a href="#">お気に入り馬</a></th>
</tr>
<tr class="Header FavHorseSub"><th class="FavRegist">登録</th><th class="FavGroup">グループ</th></tr>
</thead>
"""
        + "\n".join(rows)
        + """
</table>
<table class="RaceCommon_Table PickupHorseTable01"><tr class="HorseList"><th>能力</th>
<td><a href="https://db.netkeiba.com/horse/2015999999">ピックアップ</a></td></tr></table>
</body></html>"""
    )
    return _encode(html, encoding)


# ---------------------------------------------------------------- day lists


def db_race_list_page(
    day: dt.date, meetings: Sequence[Sequence[str]], *, encoding: str | None = None
) -> str | bytes:
    """db.netkeiba's ``/race/list/YYYYMMDD/``: one table per meeting of race ids."""
    tables = []
    for race_ids in meetings:
        rows = "".join(
            f'<tr><td class="bml">{int(rid[10:])}</td><td class="bml txt_l">'
            f'<a href="/race/{rid}/">レース{int(rid[10:])}</a><br><div>ダ1200m 8頭</div></td>'
            f'<td><a href="https://nar.netkeiba.com/race/movie.html?race_id={rid}">映像</a></td>'
            f'<td class="bml txt_l"><a href="/horse/2020102974/">勝ち馬</a></td></tr>'
            for rid in race_ids
        )
        tables.append(
            '<div class="race_summary_info"><h3> 第1回 </h3><ul class="Prev_Next">'
            '<li><a href="/race/sum/43/20221221/">ダイジェスト</a></li></ul></div>'
            '<table class="race_table_01 nk_tb_common" summary="レース一覧"><tr><th>　</th>'
            f"<th>レース名</th><th>映像</th><th>勝ち馬(騎手)</th></tr>{rows}</table>"
        )
    html = (
        f"<html><head><title>{_jp_date(day)}のレース情報 | 競馬データベース - netkeiba.com"
        f'</title><meta content="text/html; charset={encoding or "utf-8"}" '
        'http-equiv="content-type"></head><body><div id="contents"><div id="main">'
        f'<div class="cate_bar"><h2><a href="/race/list/{day:%Y%m%d}/">{_jp_date(day)}</a>'
        f"のレース情報</h2></div>{''.join(tables)}"
        '<ul class="list_date"><li><a href="/race/list/20221203/">12/3</a></li></ul>'
        "</div></div></body></html>"
    )
    return _encode(html, encoding)


def race_list_sub_page(
    race_ids: Sequence[str], *, finished: bool = True, kaisai_date: dt.date | None = None
) -> str:
    """race.netkeiba's ``top/race_list_sub.html`` fragment (no head, no title)."""
    target = "result" if finished else "shutuba"
    items = "".join(
        f'<li class="RaceList_DataItem"><a href="../race/{target}.html?race_id={rid}&rf=race_list">'
        f'<div class="Race_Num"><span>{int(rid[10:])}R</span></div>'
        f'<div class="RaceList_ItemContent"><span class="ItemTitle">レース</span></div></a>'
        f'<a href="../race/movie.html?race_id={rid}" class="LinkIconRaceMovie">映像</a></li>'
        for rid in race_ids
    )
    refund = (
        f'<a href="../top/payback_list.html?kaisai_date={kaisai_date:%Y%m%d}&kaisai_id=1">払戻</a>'
        if kaisai_date
        else ""
    )
    return (
        '<div class="RaceList_Box clearfix"><dl class="RaceList_DataList">'
        '<dt class="RaceList_DataHeader"><p class="RaceList_DataTitle">1回 札幌 1日目</p>'
        f'{refund}</dt><dd class="RaceList_Data"><ul>{items}</ul></dd></dl></div>'
    )


# ---------------------------------------------------------------- horse results fragment


@dataclass(frozen=True)
class PastRace:
    """One row of a horse's results table, cells as printed."""

    date: str = "2020/08/15"
    venue: str = "2小倉1"
    race_id: str = "202010020104"
    race_name: str = "障害3歳以上OP"
    field_size: str = "12"
    bracket: str = "2"
    number: str = "2"
    odds: str = "33.6"
    popularity: str = "9"
    finish: str = "9"
    jockey_id: str = "00691"
    weight: str = "62"
    course: str = "障2860"
    going: str = "良"
    time: str = "3:09.6"
    margin: str = "3.0"
    body_weight: str = "494(-24)"


def horse_results_fragment(rows: Sequence[PastRace], *, horse_id: str = "2009100502") -> str:
    """db.netkeiba's AJAX ``ajax_horse_results.html`` fragment (hidden 水分量 column kept)."""
    header = ("日付", "開催", "天<br />気", "R", "レース名", "映<br />像", "頭<br />数", "枠<br />番",
              "馬<br />番", "オ<br />ッ<br />ズ", "人<br />気", "着<br />順", "騎手", "斤<br />量",
              "距離", "水分量", "馬<br />場", "タイム", "着差", "馬体重", "勝ち馬<br />(2着馬)")  # fmt: skip
    body = "".join(
        f'<tr><td><a href="https://db.netkeiba.com/race/list/{r.date.replace("/", "")}/">'
        f"{r.date}</a></td><td>{r.venue}</td><td>晴</td><td>4</td>"
        f'<td><a href="https://db.netkeiba.com/race/{r.race_id}/" title="{r.race_name}">'
        f"{r.race_name}</a></td><td></td><td>{r.field_size}</td><td>{r.bracket}</td>"
        f"<td>{r.number}</td><td>{r.odds}</td><td>{r.popularity}</td><td>{r.finish}</td>"
        f'<td><a href="https://db.netkeiba.com/jockey/result/recent/{r.jockey_id}/">騎手</a></td>'
        f'<td>{r.weight}</td><td>{r.course}</td><td class="disp_none"></td><td>{r.going}</td>'
        f"<td>{r.time}</td><td>{r.margin}</td><td>{r.body_weight}</td>"
        '<td><a href="https://db.netkeiba.com/horse/2015999999/">勝ち馬</a></td></tr>'
        for r in rows
    )
    return (
        '<div class="cate_bar"><h2>テストの競走成績</h2><div class="sp_info_box_01 fc">'
        f'<a href="https://www.netkeiba.com/?pid=sogoch_introduction&id={horse_id}">詳しく</a>'
        '</div></div><table class="db_h_race_results nk_tb_common"><thead><tr align="center">'
        + "".join(f"<th>{h}</th>" for h in header)
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )
