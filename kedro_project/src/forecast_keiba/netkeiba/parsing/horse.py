"""db.netkeiba.com horse pages: profile, pedigree and the past-results fragment.

* ``/horse/<id>/``: ``div.horse_title`` (name, "現役　牝　鹿毛"), ``table.db_prof_table``
  (th label → td: 生年月日, 調教師, 馬主, 生産者), a 2-generation
  ``table.blood_table`` and, on most saved pages, the results table.
* ``/horse/ped/<id>/``: ``table.blood_table.detail``, 5 generations laid out
  with rowspans (16, 8, 4, 2, 1 for 32 rows).
* ``/horse/ajax_horse_results.html?id=``: only ``table.db_h_race_results``.
  Its columns (日付, 開催, レース名, 頭数, オッズ, 着順, 距離 "ダ1400", 馬場 "稍",
  着差 as a time gap, ...) are read by header label, hidden ones (水分量) included.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import (
    Ancestor,
    HorsePedigreePage,
    HorseProfilePage,
    HorseRaceRow,
    HorseResultsPage,
)
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.parsing.integrity import refuse_garbled, refuse_repeats
from forecast_keiba.netkeiba.parsing.tables import (
    Table,
    canonical_url,
    first_link,
    href_of,
    lines_of,
    rows_of,
    text_of,
)

_QUERY_HORSE_ID = re.compile(r"[?&]id=([0-9A-Za-z]{10})(?:[&#]|$)")
_MEETING_DIGITS = re.compile(r"^\d+|\d+$")


def _horse_id(tree: LexborHTMLParser, *fallback_selectors: str) -> str | None:
    """The page's own horse id: canonical URL first, then the given link selectors."""
    horse_id = cells.link_id(canonical_url(tree), "horse")
    for selector in fallback_selectors:
        if horse_id is not None:
            break
        horse_id = cells.link_id(href_of(tree.css_first(selector)), "horse")
    return horse_id


# ---------------------------------------------------------------- profile


def parse_horse_profile(tree: LexborHTMLParser, source: str) -> HorseProfilePage:
    """A horse's profile page → :class:`HorseProfilePage`."""
    horse_id = _horse_id(tree, "ul.db_detail_menu a", "p.detail_link a")
    if horse_id is None:
        raise ParseError(source, "horse page without its horse id (canonical link)")
    title = tree.css_first("div.horse_title")
    if title is None:
        raise ParseError(source, "horse page without div.horse_title")
    name = text_of(title.css_first("h1"))
    # "現役　牝　鹿毛" or "現役　牡3歳　鹿毛": status, sex (with the age on some
    # layouts), coat; the sex is the token that starts with one.
    sex = next(
        (
            s
            for s in (
                cells.parse_sex(token[:1]) for token in text_of(title.css_first("p.txt_01")).split()
            )
            if s
        ),
        None,
    )

    profile = _profile_cells(tree.css_first("table.db_prof_table"))
    birth = profile.get("生年月日")
    ancestors = _ancestors(tree.css_first("table.blood_table"))
    _refuse_misshapen(ancestors, source)
    by_slot = {(a.generation, a.position): a.horse_id for a in ancestors}

    past_race_ids: tuple[str, ...] = ()
    results = tree.css_first("table.db_h_race_results")
    if results is not None:
        table = Table(results, source, "results table", required=("race_name",))
        past_race_ids = tuple(
            _row_race_id(table, row_cells, index)
            for index, (_, row_cells) in enumerate(table.rows, start=1)
        )
        refuse_repeats(past_race_ids, source, "results table")
    refuse_garbled((name,), source, "horse name")
    return HorseProfilePage(
        source=source,
        horse_id=horse_id,
        name=name,
        sex=sex,
        birth_date=cells.find_jp_date(text_of(birth)),
        trainer_id=cells.link_id(href_of(first_link(profile.get("調教師"), "trainer")), "trainer"),
        owner_id=cells.link_id(href_of(first_link(profile.get("馬主"), "owner")), "owner"),
        breeder_id=cells.link_id(href_of(first_link(profile.get("生産者"), "breeder")), "breeder"),
        sire_id=by_slot.get((1, 0)),
        dam_id=by_slot.get((1, 1)),
        damsire_id=by_slot.get((2, 2)),
        past_race_ids=past_race_ids,
    )


def _profile_cells(table: LexborNode | None) -> dict[str, LexborNode]:
    """The profile table as {th label: td}."""
    found: dict[str, LexborNode] = {}
    if table is None:
        return found
    for row in rows_of(table):
        label, value = row.css_first("th"), row.css_first("td")
        if label is not None and value is not None:
            found.setdefault(cells.squash(label.text(deep=True, separator="")), value)
    return found


# ---------------------------------------------------------------- pedigree


def parse_horse_pedigree(tree: LexborHTMLParser, source: str) -> HorsePedigreePage:
    """The 5-generation pedigree page → :class:`HorsePedigreePage`."""
    horse_id = _horse_id(tree, "ul.db_detail_menu a.active", "ul.db_detail_menu a")
    if horse_id is None:
        raise ParseError(source, "pedigree page without its horse id (canonical link)")
    table = tree.css_first("table.blood_table.detail") or tree.css_first("table.blood_table")
    ancestors = _ancestors(table)
    if not ancestors:
        raise ParseError(source, "pedigree page without a blood_table")
    refuse_garbled((a.name for a in ancestors), source, "blood table")
    _refuse_misshapen(ancestors, source)
    return HorsePedigreePage(source=source, horse_id=horse_id, ancestors=ancestors)


def _ancestors(table: LexborNode | None) -> tuple[Ancestor, ...]:
    """Ancestors of a blood table, generation from each cell's rowspan.

    With R rows, a cell spanning R/2 rows is a parent, R/4 a grandparent, ...
    so generation = log2(R / rowspan). Cells come in document order, which is
    top to bottom within each generation.
    """
    if table is None:
        return ()
    rows = list(rows_of(table))
    total = len(rows)
    counters: dict[int, int] = {}
    ancestors: list[Ancestor] = []
    for row in rows:
        for cell in row.iter():
            if cell.tag != "td":
                continue
            raw = cell.attributes.get("rowspan")
            span = int(raw) if raw and raw.isdecimal() and int(raw) > 0 else 1
            generation = max(1, (total // span).bit_length() - 1)
            position = counters.get(generation, 0)
            counters[generation] = position + 1
            link = first_link(cell, "/horse/")
            lines = lines_of(link) if link is not None else lines_of(cell)
            ancestors.append(
                Ancestor(
                    generation=generation,
                    position=position,
                    horse_id=cells.link_id(href_of(link), "horse"),
                    name=lines[0] if lines else "",
                )
            )
    return tuple(ancestors)


def _refuse_misshapen(ancestors: tuple[Ancestor, ...], source: str) -> None:
    """ParseError unless generations 1..n are all there, each g holding 2**g ancestors,
    and both parents carry their horse id.

    Generations come from rowspans, so a lost or damaged rowspan would move
    an ancestor into another generation and shift every position after it:
    the sire read as a grandsire, silently.
    """
    counts: dict[int, int] = {}
    for ancestor in ancestors:
        counts[ancestor.generation] = counts.get(ancestor.generation, 0) + 1
    if not counts:
        return  # no blood table at all: a profile without one is whole
    missing = sorted(set(range(1, max(counts) + 1)) - set(counts))
    if missing:
        raise ParseError(source, f"blood table: generation(s) {missing} missing (a lost block)")
    parents = [a for a in ancestors if a.generation == 1]
    if any(parent.horse_id is None for parent in parents):
        raise ParseError(source, "blood table: a parent without its horse link (sire/dam id)")
    for generation, count in sorted(counts.items()):
        if count != 2**generation:
            raise ParseError(
                source,
                f"blood table: {count} ancestor(s) in generation {generation}, "
                f"expected {2**generation} (rowspans do not add up)",
            )


# ---------------------------------------------------------------- past results


def parse_horse_results(tree: LexborHTMLParser, source: str) -> HorseResultsPage:
    """The AJAX past-results fragment → :class:`HorseResultsPage`."""
    node = tree.css_first("table.db_h_race_results")
    if node is None:
        raise ParseError(source, "horse results without table.db_h_race_results")
    table = Table(node, source, "horse results", required=("date", "race_name", "finish"))
    horse_id = None
    for link in tree.css('a[href*="id="]'):
        href = href_of(link) or ""
        if "sogoch" in href or "horse" in href:
            match = _QUERY_HORSE_ID.search(href)
            if match is not None:
                horse_id = match.group(1)
                break
    rows = tuple(
        _race_row(table, row_cells, index)
        for index, (_, row_cells) in enumerate(table.rows, start=1)
    )
    refuse_repeats([row.race_id for row in rows], source, table.what)
    refuse_garbled((f"{row.venue} {row.race_name}" for row in rows), source, table.what)
    return HorseResultsPage(source=source, horse_id=horse_id, rows=rows)


def _row_race_id(table: Table, row_cells: list[LexborNode], index: int) -> str:
    """The race id of a results row's レース名 link; ParseError without one."""
    race_id = cells.link_id(href_of(first_link(table.cell(row_cells, "race_name"), "race")), "race")
    if race_id is None:
        raise ParseError(table.source, f"{table.what}: row {index} has no race link")
    return race_id


def _race_row(table: Table, row_cells: list[LexborNode], index: int) -> HorseRaceRow:
    """One results row → :class:`HorseRaceRow` (an empty 着順 is allowed: race not run)."""
    position, status = table.value(row_cells, "finish", cells.parse_finish, index)
    course = cells.parse_course(table.text(row_cells, "course"))
    body_weight, body_weight_diff = table.value(
        row_cells, "body_weight", cells.parse_body_weight, index
    )
    jockey_link = first_link(table.cell(row_cells, "jockey"), "jockey")
    return HorseRaceRow(
        race_id=_row_race_id(table, row_cells, index),
        date=table.value(row_cells, "date", cells.parse_slash_date, index),
        venue=_MEETING_DIGITS.sub("", table.text(row_cells, "venue")),
        race_name=table.text(row_cells, "race_name"),
        field_size=table.value(row_cells, "field_size", cells.parse_int, index),
        bracket=table.value(row_cells, "bracket", cells.parse_int, index),
        horse_number=table.value(row_cells, "horse_number", cells.parse_int, index),
        win_odds=table.value(row_cells, "odds", cells.parse_odds, index),
        popularity=table.value(row_cells, "popularity", cells.parse_popularity, index),
        finish_position=position,
        finish_status=status,
        jockey_id=cells.link_id(href_of(jockey_link), "jockey"),
        weight_carried=table.value(row_cells, "weight_carried", cells.parse_float, index),
        surface=course.surface if course else None,
        distance_m=course.distance_m if course else None,
        going=cells.going(table.text(row_cells, "going")),
        time_s=table.value(row_cells, "time", cells.parse_time, index),
        margin=cells.parse_margin(table.text(row_cells, "margin")),
        body_weight=body_weight,
        body_weight_diff=body_weight_diff,
    )
