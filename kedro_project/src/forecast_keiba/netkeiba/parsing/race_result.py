"""race.netkeiba.com ``race/result.html?race_id=``: the fresh result page.

No saved sample exists in the project, so this follows netkeiba's published
structure, kept deliberately close to the db parser's output:

* runners: ``table#All_Result_Table`` (class ``RaceTable01 RaceCommon_Table
  ResultRefund``), header labels 着順, 枠, 馬番, 馬名, 性齢, 斤量, 騎手, タイム,
  着差, 人気, 単勝オッズ, 後3F, コーナー通過順, 厩舎, 馬体重(増減); finish in
  ``div.Rank`` ("1", "取消", "除外", "中止", "失格");
* payouts: ``table.Payout_Detail_Table`` rows ``<th>単勝</th><td class=Result>``
  with one ``<div><span>n</span></div>`` per horse for single-horse bets and one
  ``<ul><li><span>n</span>...</ul>`` per combination otherwise, ``td.Payout``
  amounts "1,100円" split by ``<br>``, ``td.Ninki`` "3人気" spans.

The lap and distance tables below the result repeat ``tr.HorseList`` rows;
only the result table's own rows are read.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import Payout, RaceResultPage
from forecast_keiba.netkeiba.parsing.entries import read_entries
from forecast_keiba.netkeiba.parsing.integrity import refuse_missing_payouts, refuse_repeats
from forecast_keiba.netkeiba.parsing.payouts import payout_rows
from forecast_keiba.netkeiba.parsing.race_page import race_info_of
from forecast_keiba.netkeiba.parsing.tables import Table, lines_of, text_of

_REQUIRED = ("finish", "horse", "horse_number")
_POPULARITY = re.compile(r"(\d+)\s*人気")


def parse_race_result(tree: LexborHTMLParser, source: str) -> RaceResultPage:
    """A race.netkeiba result page → :class:`RaceResultPage`; ParseError on an unknown layout."""
    race = race_info_of(tree, source)
    node = tree.css_first("table#All_Result_Table") or tree.css_first("table.ResultRefund")
    if node is None:
        raise ParseError(source, "result page without #All_Result_Table")
    table = Table(node, source, "results table", required=_REQUIRED)
    entries = read_entries(table)
    payouts: list[Payout] = []
    for pay_table in tree.css("table.Payout_Detail_Table"):
        payouts.extend(_payouts(pay_table, source))
    # a combination pays once per bet: a repeat is a repeated row, not a second payout
    refuse_repeats([(p.bet_type, p.combination) for p in payouts], source, "payouts")
    refuse_missing_payouts(entries, payouts, source)
    return RaceResultPage(source=source, race=race, entries=entries, payouts=tuple(payouts))


def _payouts(table: LexborNode, source: str) -> list[Payout]:
    """One Payout_Detail_Table: rows of label, Result, Payout and Ninki cells."""
    rows: list[tuple[str, list[str], list[str], list[str]]] = []
    for row in table.css("tr"):
        label = row.css_first("th")
        result = row.css_first("td.Result")
        if label is None or result is None:
            continue
        amounts = lines_of(row.css_first("td.Payout"))
        rows.append((text_of(label), _combinations(result), amounts, _popularities(row)))
    return payout_rows(rows, source)


def _combinations(cell: LexborNode) -> list[str]:
    """One "a - b - c" string per combination of a Result cell."""
    groups = cell.css("ul")
    if groups:
        combos = [" - ".join(text_of(li) for li in ul.css("li") if text_of(li)) for ul in groups]
    else:
        parts = cell.css("div") or cell.css("span")
        combos = [text_of(part) for part in parts] if parts else lines_of(cell)
    return [combo for combo in combos if combo]


def _popularities(row: LexborNode) -> list[str]:
    """The popularity of each combination ("3人気" spans, or plain ``<br>`` lines)."""
    cell = row.css_first("td.Ninki")
    if cell is None:
        return []
    text = cell.text(deep=True, separator=" ")
    found = _POPULARITY.findall(text)
    return found if found else lines_of(cell)
