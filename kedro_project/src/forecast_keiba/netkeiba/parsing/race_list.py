"""Lists of the races run on one day, from either site.

* db.netkeiba.com ``/race/list/YYYYMMDD/``: one ``table.race_table_01``
  (``summary="レース一覧"``) per meeting, race links ``/race/<id>/``; the date is
  in the ``div.cate_bar h2`` link and in the title ("2022年12月21日のレース情報").
* race.netkeiba.com ``top/race_list_sub.html?kaisai_date=``: an AJAX fragment
  with one ``li.RaceList_DataItem`` per race linking to
  ``../race/shutuba.html?race_id=`` (upcoming) or ``result.html?race_id=``
  (finished). The fragment does not print its date; it is taken from a
  ``kaisai_date=`` link, the race ids (NAR ids carry it) or, last, the
  ``source`` URL the page was fetched from.
"""

from __future__ import annotations

import datetime as dt
import re

from selectolax.lexbor import LexborHTMLParser

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import RaceListPage
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.parsing.race_info import nar_date
from forecast_keiba.netkeiba.parsing.tables import href_of, text_of, title_of

_LIST_DATE = re.compile(r"/race/list/(\d{8})")
_KAISAI_DATE = re.compile(r"kaisai_date=(\d{8})")


def parse_db_race_list(tree: LexborHTMLParser, source: str) -> RaceListPage:
    """db.netkeiba's day list → :class:`RaceListPage` (ids in page order, no duplicates).

    A day without races is an empty list, not an error: discovery asks for
    every day. Only a page without any date is rejected.
    """
    tables = tree.css('table.race_table_01[summary="レース一覧"]') or tree.css(
        "table.race_table_01"
    )
    race_ids: dict[str, None] = {}
    for table in tables:
        for link in table.css('a[href*="/race/"]'):
            race_id = cells.link_id(href_of(link), "race")
            if race_id is not None:
                race_ids[race_id] = None
    date = _first_date(
        _match(_LIST_DATE, href_of(tree.css_first("div.cate_bar h2 a"))),
        cells.find_jp_date(title_of(tree)),
        cells.find_jp_date(text_of(tree.css_first("div.cate_bar h2"))),
        *(nar_date(race_id) for race_id in race_ids),
    )
    if date is None:
        raise ParseError(source, "day list without a date")
    return RaceListPage(source=source, date=date, race_ids=tuple(race_ids))


def parse_race_list_sub(tree: LexborHTMLParser, source: str) -> RaceListPage:
    """race.netkeiba's ``race_list_sub`` fragment → :class:`RaceListPage`."""
    race_ids: dict[str, None] = {}
    items = tree.css("li.RaceList_DataItem")
    for item in items:
        for link in item.css('a[href*="race_id="]'):
            href = href_of(link) or ""
            if "shutuba" in href or "result" in href:
                race_id = cells.link_id(href, "race")
                if race_id is not None:
                    race_ids[race_id] = None
                    break
    if items and not race_ids:
        # Items but no race in any of them: a changed layout, not a day without races.
        raise ParseError(source, "race list without race links in li.RaceList_DataItem")
    kaisai = [_match(_KAISAI_DATE, href_of(link)) for link in tree.css('a[href*="kaisai_date="]')]
    date = _first_date(
        *kaisai,
        *(nar_date(race_id) for race_id in race_ids),
        _match(_KAISAI_DATE, source),
        _match(_LIST_DATE, source),
    )
    if date is None:
        raise ParseError(source, "race list without a date (no kaisai_date link, JRA ids)")
    return RaceListPage(source=source, date=date, race_ids=tuple(race_ids))


def _match(pattern: re.Pattern[str], text: str | None) -> dt.date | None:
    """The YYYYMMDD date ``pattern`` captures in ``text``, if any."""
    match = pattern.search(text or "")
    return cells.parse_compact_date(match.group(1)) if match else None


def _first_date(*candidates: dt.date | None) -> dt.date | None:
    """The first candidate that is a date, in order of trust."""
    return next((day for day in candidates if day is not None), None)
