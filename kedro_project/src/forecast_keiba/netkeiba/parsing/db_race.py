"""db.netkeiba.com ``/race/<id>/``: the archived result page, and its no-race twin.

Layout (2010s to now, EUC-JP or re-saved UTF-8): race name in
``dl.racedata h1``, conditions in ``dl.racedata span`` ("芝右1800m / 天候 : 曇 /
芝 : 良 / 発走 : 09:50"), date in ``p.smalltxt``, runners in
``table.race_table_01`` (``summary="レース結果"``), payouts in
``table.pay_table_01`` rows of <th>label</th><td>numbers</td><td>yen</td><td>popularity</td>
with several values per cell separated by ``<br>``.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import NoRacePage, Payout, RaceResultPage
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.parsing.entries import read_entries
from forecast_keiba.netkeiba.parsing.integrity import refuse_missing_payouts, refuse_repeats
from forecast_keiba.netkeiba.parsing.payouts import payout_rows
from forecast_keiba.netkeiba.parsing.race_info import build_race_info
from forecast_keiba.netkeiba.parsing.tables import (
    Table,
    canonical_url,
    cells_of,
    href_of,
    lines_of,
    rows_of,
    text_of,
    title_of,
)

_REQUIRED = ("finish", "horse", "horse_number")


def race_id_of(tree: LexborHTMLParser) -> str | None:
    """The page's race id: the 結果/払戻 tab link, else the canonical URL."""
    race_id = cells.link_id(href_of(tree.css_first("li.race_navi_result a")), "race")
    if race_id is None:
        race_id = cells.link_id(canonical_url(tree), "race")
    if race_id is None:
        race_id = cells.link_id(href_of(tree.css_first("ul.race_num a.active")), "race")
    return race_id


def parse_no_race(tree: LexborHTMLParser, source: str) -> NoRacePage:
    """The HTTP-200 "no such race" page: title ``｜年月日``; id from its tab link if any."""
    return NoRacePage(source=source, race_id=race_id_of(tree))


def parse_db_race(tree: LexborHTMLParser, source: str) -> RaceResultPage:
    """A db.netkeiba result page → :class:`RaceResultPage`; ParseError on an unknown layout."""
    race_id = race_id_of(tree)
    if race_id is None:
        raise ParseError(source, "db race page without a race id (no 結果/払戻 link or canonical)")
    table_node = _results_table(tree)
    if table_node is None:
        raise ParseError(source, "db race page without a results table (race_table_01)")
    table = Table(table_node, source, "results table", required=_REQUIRED)
    entries = read_entries(table)

    racedata = tree.css_first("dl.racedata")
    name = text_of(racedata.css_first("h1")) if racedata is not None else ""
    conditions = _conditions_text(racedata)
    # p.smalltxt sits next to dl.racedata; look there before scanning the page
    intro = racedata.parent if racedata is not None else None
    smalltxt = (intro.css_first("p.smalltxt") if intro is not None else None) or tree.css_first(
        "p.smalltxt"
    )
    date = cells.find_jp_date(text_of(smalltxt)) or cells.find_jp_date(title_of(tree))
    race = build_race_info(race_id, date, name, conditions, source)

    payouts: list[Payout] = []
    for pay_table in tree.css("table.pay_table_01"):
        payouts.extend(_payouts(pay_table, source))
    # a combination pays once per bet: a repeat is a repeated row, not a second payout
    refuse_repeats([(p.bet_type, p.combination) for p in payouts], source, "payouts")
    refuse_missing_payouts(entries, payouts, source)
    return RaceResultPage(source=source, race=race, entries=entries, payouts=tuple(payouts))


def _results_table(tree: LexborHTMLParser) -> LexborNode | None:
    """The runners table: by its summary, else the first race_table_01 with a 着順 header.

    The day-list and pedigree pages use ``race_table_01`` too, which is why the
    summary is tried first and the fallback checks the header.
    """
    node = tree.css_first('table.race_table_01[summary="レース結果"]')
    if node is not None:
        return node
    for candidate in tree.css("table.race_table_01"):
        header = candidate.css_first("th")
        if header is not None and cells.squash(header.text(deep=True, separator="")) == "着順":
            return candidate
    return None


def _conditions_text(racedata: LexborNode | None) -> str:
    """The "芝右1800m / 天候 : 曇 / ..." line under the race name."""
    if racedata is None:
        return ""
    for span in racedata.css("span"):
        text = text_of(span)
        if "m" in text or "天候" in text:
            return text
    return text_of(racedata)


def _payouts(table: LexborNode, source: str) -> list[Payout]:
    """One pay_table_01: each row "label | numbers | yen | popularity", ``<br>``-separated."""
    rows: list[tuple[str, list[str], list[str], list[str]]] = []
    for row in rows_of(table):
        row_cells = cells_of(row)
        if len(row_cells) < 3 or row_cells[0].tag != "th":
            continue
        label_cell, *values = row_cells
        label = cells.squash(label_cell.text())
        # db cells hold bare text between <br>s, so splitting the text nodes is
        # enough; if the three cells then disagree, split exactly at the <br>s
        combos, amounts = _quick_lines(values[0]), _quick_lines(values[1])
        popularity = _quick_lines(values[2]) if len(values) > 2 else []
        if len(combos) != len(amounts) or (popularity and len(popularity) != len(amounts)):
            combos, amounts = lines_of(values[0]), lines_of(values[1])
            popularity = lines_of(values[2]) if len(values) > 2 else []
        rows.append((label, combos, amounts, popularity))
    return payout_rows(rows, source)


def _quick_lines(cell: LexborNode) -> list[str]:
    """The cell's text nodes as lines (blank ones dropped)."""
    return cells.split_multi(cell.text(separator="\n"))
