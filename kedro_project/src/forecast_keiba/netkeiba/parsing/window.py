"""Parsing only the part of a db.netkeiba result page that the parser reads.

Why: building the lexbor tree is a large share of the cost of parsing a
result page (~10-20 µs per kB), and the 45-50 kB page's head, navigation,
side bar, corner and lap tables and footer are a third to a half of it.
Result pages are by far the most numerous pages the pipeline parses, and
everything :func:`~.db_race.parse_db_race` reads lies between the race header
(``dl.racedata``) and the last payout table, so only that slice is decoded
and parsed.

Safety: the slice runs from the first occurrence of any marker of an element
the parser reads to the ``</table>`` closing the last payout table (or the
results table), and is refused when any marker occurs after it. An
occurrence of a marker in a script or comment can therefore only widen the
slice or refuse it; the slice always holds every real occurrence. The markers
are ASCII, which EUC-JP and UTF-8 never produce inside a multi-byte
character, so the bytes can be cut before decoding. The caller uses the slice
only when the sliced tree has the race header and parsing it succeeds with a
race date; in every other case the whole page is parsed the ordinary way.
Tests check that both routes give equal results.
"""

from __future__ import annotations

import re
from typing import AnyStr

from forecast_keiba.netkeiba.decode import declared_charset, decode_html

# Markers of the elements parse_db_race reads besides the two table kinds.
_HEAD_MARKERS = ("racedata", "smalltxt", "race_navi_result")
_RESULTS, _PAYOUTS, _TABLE_END = "race_table_01", "pay_table_01", "</table>"
# db.netkeiba's race titles: "2歳未勝利｜2019年07月27日 | 競馬データベース".
# The no-race page ("｜年月日") does not match.
_RACE_TITLE = re.compile(r"｜\s*\d{4}年\d{1,2}月\d{1,2}日")
_TITLE_SCAN = 8192  # the <title> sits near the top of the head


def _bounds(text: AnyStr, head: tuple[AnyStr, ...], results: AnyStr, payouts: AnyStr,
            table_end: AnyStr, lt: AnyStr) -> tuple[int, int] | None:  # fmt: skip
    """(start, end) of the slice in ``text`` (str or bytes alike), or None."""
    table = text.find(results)
    if table < 0:
        return None
    # Header markers normally precede the results table, so they are looked
    # for in front of it only; one that is not there must not occur after the
    # slice either (checked below), so the slice still holds all of them.
    firsts = [text.find(marker, 0, table) for marker in head]
    start = text.rfind(lt, 0, min([table] + [p for p in firsts if p >= 0]))
    end = text.find(table_end, max(text.rfind(payouts), table))
    if start < 0 or end < 0:
        return None
    end += len(table_end)
    # The parser takes the first element of each kind, so a marker seen in front
    # of the results table is settled; one that was not, and the results table,
    # must not turn up after the slice.
    late = [marker for marker, first in zip(head, firsts, strict=True) if first < 0]
    if any(text.find(marker, end) >= 0 for marker in (*late, results)):
        return None
    return start, end


def title_text(text: str) -> str:
    """The raw ``<title>`` contents found by string search (no tree needed)."""
    start = text.find("<title", 0, _TITLE_SCAN)
    if start < 0:
        return ""
    start = text.find(">", start)
    end = text.find("</title", start)
    return text[start + 1 : end] if start >= 0 and end >= 0 else ""


def db_race_window(content: bytes | str, header_charset: str | None = None) -> str | bytes | None:
    """The slice of a db.netkeiba race page worth parsing, or None to parse it all.

    Bytes are cut before decoding, with the charset the whole page declares
    (or ``header_charset``), so the rest of the page is never decoded. A
    slice that is valid UTF-8 where UTF-8 would be tried first is returned
    as bytes, which lexbor reads without the str round trip.
    """
    if isinstance(content, str):
        if not _RACE_TITLE.search(title_text(content)):
            return None
        bounds = _bounds(content, _HEAD_MARKERS, _RESULTS, _PAYOUTS, _TABLE_END, "<")
        return None if bounds is None else content[bounds[0] : bounds[1]]
    charset = declared_charset(content, header_charset)
    start = content.find(b"<title", 0, _TITLE_SCAN)
    end = content.find(b"</title", start) if start >= 0 else -1
    if end < 0:
        return None
    # same charset order as decode_html: declared, else UTF-8, else EUC-JP
    title = decode_html(content[start:end], header_charset=charset or "utf-8")
    if not _RACE_TITLE.search(title):
        return None
    markers = tuple(marker.encode() for marker in _HEAD_MARKERS)
    bounds = _bounds(content, markers, b"race_table_01", b"pay_table_01", b"</table>", b"<")
    if bounds is None:
        return None
    window = content[bounds[0] : bounds[1]]
    if charset in (None, "utf-8"):
        try:
            window.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return window
    return decode_html(window, header_charset=charset or "utf-8")
