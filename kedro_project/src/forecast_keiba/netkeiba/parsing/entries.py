"""Turning a runners table (result or card, either site) into :class:`Entry` rows.

db.netkeiba's ``race_table_01``, race.netkeiba's ``#All_Result_Table`` and
``Shutuba_Table`` share their header labels (着順, 枠番/枠, 馬番, 馬名, ...), so
one header-driven row reader serves all three; only the status handling of
race cards differs.

This is the hot loop of the parser (every runner of every page), so it reads
the table column by column, one comprehension per column, and locates a bad
cell only once something failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar, cast

from selectolax.lexbor import LexborNode

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import Entry, FinishStatus
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.parsing.integrity import refuse_garbled, refuse_repeats
from forecast_keiba.netkeiba.parsing.tables import Table, link_in, text_of

T = TypeVar("T")

# Statuses of runners that never started: their rows have no numbers to check.
_WITHDRAWN: frozenset[FinishStatus | None] = frozenset({"scratched", "excluded"})
# Weight-allowance marks race.netkeiba prints before apprentice jockeys' names.
_JOCKEY_MARKS = "▲△☆◇★"
# Affiliation printed before a trainer's name: "[東]", "[西]", "[地]", "美浦", "栗東".
_AFFILIATION = re.compile(r"^\s*(?:\[[^\]]*\]|美浦|栗東|地方|海外)\s*")
# Words in a race-card row that mark a runner as withdrawn.
_CARD_STATUS: dict[str, FinishStatus] = {"取消": "scratched", "除外": "excluded"}


def _link(cell: LexborNode | None, kind: str) -> tuple[str | None, str | None]:
    """(id, name) of the first ``kind`` link in ``cell``; the name is the link's
    title if set (race.netkeiba prefixes visible jockey names with marks), else
    its text, else the cell's text."""
    found = link_in(cell, kind)
    if found is None:
        text = text_of(cell)
        return None, text or None
    link, attributes = found
    title = attributes.get("title")
    name = title.strip() if title else text_of(link) or text_of(cell)
    return cells.link_id(attributes.get("href"), kind), name or None


def _unlinked_trainer(text: str | None) -> str | None:
    """A trainer name printed without a link, minus its "[東]" / "美浦" affiliation mark."""
    name = _AFFILIATION.sub("", text or "").strip()
    return name or None


def _lenient(parse: Callable[[str], T], text: str, default: T) -> T:
    """``parse(text)``, ``default`` instead of an error: for runners that never started.

    A withdrawn runner's row carries words ("取消") or nothing where the numbers
    would be; only its identity matters.
    """
    try:
        return parse(text)
    except ValueError:
        return default


def read_entries(table: Table, *, card: bool = False) -> tuple[Entry, ...]:
    """One :class:`Entry` per data row of ``table``.

    Result tables (``card=False``) must give every row a finish cell that
    :func:`cells.parse_finish` understands. Race cards (``card=True``) have no
    着順 column; a row marked 取消/除外 gets that ``finish_status``, every other
    card row ``None``. Any other cell that is present but unreadable raises
    :class:`ParseError` naming the row and column.

    The table is read column by column (one comprehension per column), which
    is markedly cheaper than a statement per cell; errors are located
    afterwards, on the slow path only.
    """
    rows = table.rows
    if not rows:
        raise ParseError(table.source, f"{table.what}: no runner rows")
    horses = _links(table, "horse")
    for index, (horse_id, _) in enumerate(horses, start=1):
        if horse_id is None:
            raise ParseError(table.source, f"{table.what}: row {index} has no horse link")

    finishes: list[tuple[int | None, FinishStatus | None]]
    if card:
        finishes = [(None, _card_status(row, row_cells)) for row, row_cells in rows]
    else:
        finishes = _column(table, "finish", cells.parse_finish)
        for index, (_, status) in enumerate(finishes, start=1):
            if status is None:
                raise ParseError(
                    table.source, f"{table.what}: row {index}, column finish: empty 着順"
                )
    withdrawn = {index for index, (_, status) in enumerate(finishes) if status in _WITHDRAWN}

    numbers = _column(table, "horse_number", cells.parse_int)
    brackets = _column(table, "bracket", cells.parse_int)
    sex_ages = _column(table, "sex_age", cells.parse_sex_age)
    weights = _column(table, "weight_carried", cells.parse_float)
    times = _column(table, "time", cells.parse_time, withdrawn)
    margins = _column(table, "margin", cells.parse_margin)
    odds = _column(table, "odds", cells.parse_odds, withdrawn)
    popularities = _column(table, "popularity", cells.parse_popularity, withdrawn)
    bodies = _column(table, "body_weight", cells.parse_body_weight, withdrawn, (None, None))
    jockeys = _links(table, "jockey")
    trainers = _links(table, "trainer")
    # a repeated row would be a runner counted twice; garbled names, undecodable bytes
    refuse_repeats([horse_id for horse_id, _ in horses], table.source, table.what)
    refuse_repeats(numbers, table.source, table.what)
    refuse_garbled(
        (
            f"{horse[1]} {jockey[1]} {trainer[1]} {margin}"
            for horse, jockey, trainer, margin in zip(
                horses, jockeys, trainers, margins, strict=True
            )
        ),
        table.source,
        table.what,
    )
    return tuple(
        Entry(
            horse_number=number,
            bracket=bracket,
            horse_id=horse_id or "",
            horse_name=horse_name or "",
            jockey_id=jockey_id,
            trainer_id=trainer_id,
            sex=sex_age[0],
            age=sex_age[1],
            weight_carried=weight,
            finish_position=finish[0],
            finish_status=finish[1],
            time_s=time_s,
            margin=margin,
            win_odds=win_odds,
            popularity=popularity,
            body_weight=body[0],
            body_weight_diff=body[1],
            jockey_name=jockey_name.lstrip(_JOCKEY_MARKS) if jockey_name else None,
            trainer_name=trainer_name if trainer_id else _unlinked_trainer(trainer_name),
        )
        for (
            (horse_id, horse_name),
            finish,
            number,
            bracket,
            sex_age,
            weight,
            time_s,
            margin,
            win_odds,
            popularity,
            body,
            (jockey_id, jockey_name),
            (trainer_id, trainer_name),
        ) in zip(
            horses,
            finishes,
            numbers,
            brackets,
            sex_ages,
            weights,
            times,
            margins,
            odds,
            popularities,
            bodies,
            jockeys,
            trainers,
            strict=True,
        )
    )


def _column(
    table: Table,
    key: str,
    parse: Callable[[str], T],
    lenient: set[int] | None = None,
    default: T | None = None,
) -> list[T]:
    """``parse`` applied to column ``key`` of every row ("" where the table lacks it).

    Rows in ``lenient`` (runners that never started) get ``default`` instead of
    an error. Any other unreadable cell is a ParseError naming its row.
    """
    position = table.columns.get(key)
    if position is None:
        return [parse("")] * len(table.rows)
    # text_lexbor() is lexbor's textContent: what text() returns, for half the call cost
    try:
        if not lenient:
            return [parse(row_cells[position].text_lexbor()) for _, row_cells in table.rows]
        fallback = cast(T, default)
        return [
            _lenient(parse, row_cells[position].text_lexbor(), fallback)
            if index in lenient
            else parse(row_cells[position].text_lexbor())
            for index, (_, row_cells) in enumerate(table.rows)
        ]
    except ValueError:
        for index, (_, row_cells) in enumerate(table.rows):
            if lenient and index in lenient:
                continue
            try:
                parse(row_cells[position].text_lexbor())
            except ValueError as exc:
                message = f"{table.what}: row {index + 1}, column {key}: {exc}"
                raise ParseError(table.source, message) from None
        raise


def _links(table: Table, kind: str) -> list[tuple[str | None, str | None]]:
    """(id, name) of the ``kind`` link of every row; (None, None) where the column is absent."""
    position = table.columns.get(kind)
    if position is None:
        return [(None, None)] * len(table.rows)
    return [_link(row_cells[position], kind) for _, row_cells in table.rows]


def _card_status(row: LexborNode, row_cells: list[LexborNode]) -> FinishStatus | None:
    """取消/除外 on a race card: a cell saying so, or a ``Cancel`` row class."""
    for cell in row_cells:
        status = _CARD_STATUS.get(cell.text().strip())
        if status is not None:
            return status
    row_class = row.attrs.get("class") or ""
    if "Cancel" in row_class or "Torikeshi" in row_class:
        return "scratched"
    return None
