"""The netkeiba page parser: bytes of any supported page → a :mod:`..model` object.

``parse_page`` decodes the bytes, builds one lexbor tree, works out which page
it is from the content itself (title, canonical link, table classes; never
the file name, which scrapers and people choose freely) and hands the tree to
that family's parser. Supported pages (family: page → result):

* ``db_race``: db.netkeiba ``/race/<id>/`` → RaceResultPage
* ``no_race``: the same URL for an id without a race (title ``｜年月日``) → NoRacePage
* ``race_result``: race.netkeiba ``race/result.html?race_id=`` → RaceResultPage
* ``race_card``: race.netkeiba ``race/shutuba.html?race_id=`` → RaceCardPage
* ``db_race_list``: db.netkeiba ``/race/list/YYYYMMDD/`` → RaceListPage
* ``race_list_sub``: race.netkeiba ``top/race_list_sub.html?kaisai_date=`` → RaceListPage
* ``horse_profile``: db.netkeiba ``/horse/<id>/`` → HorseProfilePage
* ``horse_pedigree``: db.netkeiba ``/horse/ped/<id>/`` → HorsePedigreePage
* ``horse_results``: db.netkeiba ``horse/ajax_horse_results.html?id=`` → HorseResultsPage

Anything else, and any supported page whose layout is not understood, raises
:class:`~forecast_keiba.netkeiba.errors.ParseError` naming the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from selectolax.lexbor import LexborHTMLParser, LexborNode

from forecast_keiba.netkeiba.decode import decode_html
from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import ParsedPage
from forecast_keiba.netkeiba.parsing.db_race import parse_db_race, parse_no_race
from forecast_keiba.netkeiba.parsing.horse import (
    parse_horse_pedigree,
    parse_horse_profile,
    parse_horse_results,
)
from forecast_keiba.netkeiba.parsing.race_card import parse_race_card
from forecast_keiba.netkeiba.parsing.race_list import parse_db_race_list, parse_race_list_sub
from forecast_keiba.netkeiba.parsing.race_result import parse_race_result
from forecast_keiba.netkeiba.parsing.tables import canonical_url, title_of
from forecast_keiba.netkeiba.parsing.window import db_race_window

__all__ = ["PageFamily", "detect_kind", "parse_page", "parse_tree", "truncation"]


class PageFamily(StrEnum):
    """Which netkeiba page a document is; decides the parser."""

    DB_RACE = "db_race"
    NO_RACE = "no_race"
    RACE_RESULT = "race_result"
    RACE_CARD = "race_card"
    DB_RACE_LIST = "db_race_list"
    RACE_LIST_SUB = "race_list_sub"
    HORSE_PROFILE = "horse_profile"
    HORSE_PEDIGREE = "horse_pedigree"
    HORSE_RESULTS = "horse_results"


_PARSERS: dict[PageFamily, Callable[[LexborHTMLParser, str], ParsedPage]] = {
    PageFamily.DB_RACE: parse_db_race,
    PageFamily.NO_RACE: parse_no_race,
    PageFamily.RACE_RESULT: parse_race_result,
    PageFamily.RACE_CARD: parse_race_card,
    PageFamily.DB_RACE_LIST: parse_db_race_list,
    PageFamily.RACE_LIST_SUB: parse_race_list_sub,
    PageFamily.HORSE_PROFILE: parse_horse_profile,
    PageFamily.HORSE_PEDIGREE: parse_horse_pedigree,
    PageFamily.HORSE_RESULTS: parse_horse_results,
}

# The no-race page prints an empty name and date around its separators.
_NO_RACE_TITLE = re.compile(r"^\s*｜\s*年\s*月\s*日")

# (pattern on the canonical URL, family); first match wins, so specific first.
_CANONICAL: tuple[tuple[re.Pattern[str], PageFamily], ...] = (
    (re.compile(r"/race/shutuba\.html"), PageFamily.RACE_CARD),
    (re.compile(r"/race/result\.html"), PageFamily.RACE_RESULT),
    (re.compile(r"/top/race_list(?:_sub)?\.html"), PageFamily.RACE_LIST_SUB),
    (re.compile(r"/horse/ped/[0-9A-Za-z]{10}"), PageFamily.HORSE_PEDIGREE),
    (re.compile(r"ajax_horse_results"), PageFamily.HORSE_RESULTS),
    (re.compile(r"/horse/[0-9A-Za-z]{10}(?:/|$)"), PageFamily.HORSE_PROFILE),
    (re.compile(r"/race/list/\d{8}"), PageFamily.DB_RACE_LIST),
    (re.compile(r"/race/[0-9A-Za-z]{12}(?:/|$)"), PageFamily.DB_RACE),
)

# What each kind of table says about the page, strongest evidence first: the
# pedigree page also has race_table_01 tables. The results table of the AJAX
# fragment is not here: the profile page carries it too, so it only decides
# after the non-table evidence (a profile page without its profile table is
# still a profile page, by its div.horse_title).
_TABLE_RANK: tuple[PageFamily, ...] = (
    PageFamily.RACE_RESULT,
    PageFamily.RACE_CARD,
    PageFamily.HORSE_PEDIGREE,
    PageFamily.HORSE_PROFILE,
    PageFamily.DB_RACE_LIST,
    PageFamily.DB_RACE,
)


def _table_family(node: LexborNode) -> PageFamily | None:
    """The page family a ``<table>`` is characteristic of, if any."""
    attrs = node.attrs
    classes = (attrs.get("class") or "").split()
    summary = attrs.get("summary") or ""
    if attrs.get("id") == "All_Result_Table" or "ResultRefund" in classes:
        return PageFamily.RACE_RESULT
    if "Shutuba_Table" in classes or "ShutubaTable" in classes:
        return PageFamily.RACE_CARD
    if "blood_table" in classes and "detail" in classes:
        return PageFamily.HORSE_PEDIGREE
    if "db_prof_table" in classes:
        return PageFamily.HORSE_PROFILE
    if "race_table_01" in classes and summary == "レース一覧":
        return PageFamily.DB_RACE_LIST
    if "race_table_01" in classes and summary == "レース結果":
        return PageFamily.DB_RACE
    if "db_h_race_results" in classes:
        return PageFamily.HORSE_RESULTS
    return None


# Non-table evidence, checked only when no table decided.
_OTHER: tuple[tuple[str, PageFamily], ...] = (
    ("li.RaceList_DataItem", PageFamily.RACE_LIST_SUB),
    ("div.horse_title", PageFamily.HORSE_PROFILE),
    ('div.cate_bar h2 a[href*="/race/list/"]', PageFamily.DB_RACE_LIST),
    ("dl.racedata, body#db_race_detail", PageFamily.DB_RACE),
    # A race_list_sub fragment for a day without races: the box, no items.
    ("div.RaceList_Box", PageFamily.RACE_LIST_SUB),
)


def detect_kind(
    document: LexborHTMLParser | bytes | str, header_charset: str | None = None
) -> PageFamily | None:
    """Which page ``document`` is, from its title, canonical link and tables; None if unknown."""
    tree = document if isinstance(document, LexborHTMLParser) else _tree(document, header_charset)
    if _NO_RACE_TITLE.match(title_of(tree)):
        return PageFamily.NO_RACE
    canonical = canonical_url(tree)
    if canonical:
        for pattern, family in _CANONICAL:
            if pattern.search(canonical):
                return family
    found = {_table_family(table) for table in tree.css("table")}
    for family in _TABLE_RANK:
        if family in found:
            return family
    for selector, family in _OTHER:
        if tree.css_first(selector) is not None:
            return family
    return PageFamily.HORSE_RESULTS if PageFamily.HORSE_RESULTS in found else None


def parse_tree(tree: LexborHTMLParser, source: str) -> ParsedPage:
    """Parse an already built tree (for callers that inspect the tree themselves)."""
    family = detect_kind(tree)
    if family is None:
        title = title_of(tree)
        raise ParseError(source, f"not a known netkeiba page (title {title[:60]!r})")
    return _PARSERS[family](tree, source)


def parse_page(content: bytes | str, source: str, header_charset: str | None = None) -> ParsedPage:
    """Decode, detect and parse one page; ParseError naming ``source`` if that fails.

    ``source`` is the file path or URL the content came from; it only names
    the page in the result and in errors (and, for race.netkeiba's day list,
    is the date of last resort). ``header_charset`` is the HTTP header's
    charset, if the bytes came over HTTP.

    A page cut short (see :func:`truncation`) is refused before anything is
    read: lexbor closes whatever was open at the cut, so a results table cut
    between two rows would otherwise read as a smaller, complete field.

    db.netkeiba result pages, the bulk of any batch, first go the fast route
    of :mod:`.window` (only the slice holding the race is decoded and
    parsed); every other page, and any result page the slice does not fully
    explain, is parsed whole.
    """
    truncated = truncation(content)
    if truncated is not None:
        raise ParseError(source, truncated)
    window = db_race_window(content, header_charset)
    if window is not None:
        # Fast route for result pages, see .window; any doubt → the whole page.
        try:
            page = parse_db_race(LexborHTMLParser(window), source)
        except ParseError:
            pass
        else:
            # a date and a distance prove the race header was inside the slice
            if page.race.date is not None and page.race.distance_m is not None:
                return page
    text = decode_html(content, header_charset)
    return parse_tree(LexborHTMLParser(text), source)


# A whole document announces itself in its first bytes and must end with its
# closing tag; ASCII markers, so the bytes are searched before any decoding.
_DOCUMENT_HEAD = 1024
_HTML_OPEN = (b"<html", b"<HTML")
_HTML_CLOSE = (b"</html", b"</HTML")
# Containers of what fragments (AJAX responses, no <html>) are read from:
# one still open at the end of the fragment was cut off.
_FRAGMENT_CONTAINERS = (
    (b"<table", b"</table"),
    (b"<ul", b"</ul"),
    (b"<dl", b"</dl"),
    (b"<div", b"</div"),
)


def truncation(content: bytes | str) -> str | None:
    """Why ``content`` looks cut short, or None when it looks whole.

    A document (``<html`` near the top) must have its ``</html>``; netkeiba
    always sends one, and a body cut by a dropped connection or a proxy
    loses it. A fragment must close every ``<table>``, ``<ul>``, ``<dl>``
    and ``<div>`` it opens (race.netkeiba's day list lives in the last three).
    Cheap: a few substring searches, no decoding.
    """
    raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content
    head = raw[:_DOCUMENT_HEAD]
    if any(marker in head for marker in _HTML_OPEN):
        if any(raw.rfind(marker) >= 0 for marker in _HTML_CLOSE):
            return None
        return f"truncated page: {len(raw)} bytes and no closing </html>"
    for opening, closing in _FRAGMENT_CONTAINERS:
        opened, closed = raw.count(opening), raw.count(closing)
        if opened > closed:
            tag = opening.decode()[1:]
            return f"truncated fragment: {opened} <{tag}> but {closed} closed"
    return None


def _tree(content: bytes | str, header_charset: str | None) -> LexborHTMLParser:
    """One lexbor tree of the whole decoded page."""
    return LexborHTMLParser(decode_html(content, header_charset))
