"""The race header shared by race.netkeiba.com's card and result pages.

Both pages open with ``div.RaceList_NameBox``: ``h1.RaceName``, ``div.RaceData01``
("10:25発走 / ダ1700m (右) / 天候:曇 / 馬場:良") and ``div.RaceData02`` (meeting,
class, runners). The race id is in the canonical URL (``?race_id=``), the date
in the title ("… | 2020年7月25日 札幌2R …").
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import RaceInfo
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.parsing.race_info import build_race_info
from forecast_keiba.netkeiba.parsing.tables import canonical_url, href_of, text_of, title_of

_KAISAI_DATE = re.compile(r"kaisai_date=(\d{8})")
_MYRACE = re.compile(r"MyRace-Item-([0-9A-Za-z]{12})")


def race_id_of(tree: LexborHTMLParser) -> str | None:
    """The race id: canonical URL, else the active race-number tab, else the MyRace marker."""
    for href in (canonical_url(tree), href_of(tree.css_first("div.RaceNumWrap li.Active a"))):
        race_id = cells.link_id(href, "race")
        if race_id is not None:
            return race_id
    marker = tree.css_first("span.MyRace_Item")
    if marker is not None:
        match = _MYRACE.search(marker.attributes.get("class") or "")
        if match is not None:
            return match.group(1)
    return None


def race_info_of(tree: LexborHTMLParser, source: str) -> RaceInfo:
    """The RaceInfo of a race.netkeiba card or result page."""
    race_id = race_id_of(tree)
    if race_id is None:
        raise ParseError(source, "race page without a race id (canonical ?race_id=)")
    name_box = tree.css_first("div.RaceList_NameBox") or tree.root
    name = text_of(name_box.css_first("h1.RaceName")) if name_box is not None else ""
    conditions = text_of(name_box.css_first("div.RaceData01")) if name_box is not None else ""
    date = cells.find_jp_date(title_of(tree))
    if date is None:
        meta = tree.css_first('meta[name="description"]')
        date = cells.find_jp_date(meta.attributes.get("content") or "") if meta else None
    if date is None:
        for link in (tree.css_first("dd.Active a"), tree.css_first('a[href*="kaisai_date="]')):
            match = _KAISAI_DATE.search(href_of(link) or "")
            if match is not None:
                date = cells.parse_compact_date(match.group(1))
                break
    return build_race_info(race_id, date, name, conditions, source)
