"""The typed tables every source is turned into: races, entries, payouts.

These schemas are the data contract behind the catalog's parquet datasets:
the replica scraper, the real-results CSV ingestion and the race-card path of
prediction all produce exactly these columns and dtypes, so features and models
never need to know where the data came from.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import (
    Entry,
    NoRacePage,
    ParsedPage,
    RaceCardPage,
    RaceInfo,
    RaceResultPage,
)
from forecast_keiba.netkeiba.parsing import parse_page
from forecast_keiba.reporting.progress import progress

log = logging.getLogger(__name__)

RACE_COLUMNS: dict[str, str] = {
    "race_id": "string",
    "date": "datetime64[ns]",
    "name": "string",
    "surface": "string",
    "distance_m": "Int64",
    "direction": "string",
    "weather": "string",
    "going": "string",
    "start_time": "string",
    "venue_code": "string",
    "race_number": "Int64",
    "field_size": "Int64",
}

ENTRY_COLUMNS: dict[str, str] = {
    "race_id": "string",
    "horse_number": "Int64",
    "bracket": "Int64",
    "horse_id": "string",
    "horse_name": "string",
    "jockey_id": "string",
    "trainer_id": "string",
    "sex": "string",
    "age": "Int64",
    "weight_carried": "Float64",
    "finish_position": "Int64",
    "finish_status": "string",
    "time_s": "Float64",
    "margin": "string",
    "win_odds": "Float64",
    "popularity": "Int64",
    "body_weight": "Int64",
    "body_weight_diff": "Int64",
}

PAYOUT_COLUMNS: dict[str, str] = {
    "race_id": "string",
    "bet_type": "string",
    "combination": "string",  # horse numbers joined by "-" in the order netkeiba prints them
    "payout_yen": "Int64",
    "popularity": "Int64",
}

FAILURE_COLUMNS: dict[str, str] = {"source": "string", "reason": "string"}


@dataclass
class RaceTables:
    races: pd.DataFrame
    entries: pd.DataFrame
    payouts: pd.DataFrame
    failures: pd.DataFrame


class TooManyParseFailures(RuntimeError):
    """More pages failed than the configured ratio allows; names the first few."""


def typed_frame(rows: Iterable[Mapping[str, object]], columns: Mapping[str, str]) -> pd.DataFrame:
    """A frame with exactly ``columns`` in order and dtype, even when empty."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    return frame.astype(dict(columns))


def race_row(race: RaceInfo, field_size: int) -> dict[str, object]:
    row = dataclasses.asdict(race)
    row["date"] = pd.Timestamp(race.date) if race.date else pd.NaT
    row["field_size"] = field_size
    return {column: row.get(column) for column in RACE_COLUMNS}


def entry_row(race_id: str, entry: Entry) -> dict[str, object]:
    row = dataclasses.asdict(entry)
    row["race_id"] = race_id
    return {column: row.get(column) for column in ENTRY_COLUMNS}


def runners(entries: Iterable[Entry]) -> int:
    """Field size as the public knew it at post time: every horse not scratched."""
    return sum(1 for e in entries if e.finish_status not in ("scratched", "excluded"))


def tables_from_pages(
    pages: Iterable[tuple[str, Callable[[], ParsedPage]]],
    *,
    max_failure_ratio: float = 0.0,
    total: int | None = None,
) -> RaceTables:
    """Parse a batch of pages into tables, quarantining the ones that fail.

    ``pages`` yields ``(source, parse)`` pairs so that each page is loaded and
    parsed one at a time (a 10-year archive does not fit in memory as text).
    No-race pages are skipped: they mean "no such race", not bad data. Pages
    that raise :class:`ParseError` land in ``failures``; if their share exceeds
    ``max_failure_ratio`` the batch fails, naming them, instead of silently
    producing a shrunken dataset.
    """
    races: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []
    payouts: list[dict[str, object]] = []
    failures: list[dict[str, object]] = []
    seen = 0
    for source, parse in progress(pages, total=total, description="pages parsed", log=log):
        seen += 1
        try:
            page = parse()
        except ParseError as exc:
            log.warning("quarantined %s: %s", source, exc.reason)
            failures.append({"source": source, "reason": exc.reason})
            continue
        if isinstance(page, NoRacePage):
            log.info("no race at %s", source)
            continue
        if not isinstance(page, RaceResultPage | RaceCardPage):
            failures.append({"source": source, "reason": f"unexpected page kind {page.kind}"})
            continue
        races.append(race_row(page.race, runners(page.entries)))
        entries.extend(entry_row(page.race_id, e) for e in page.entries)
        if isinstance(page, RaceResultPage):
            payouts.extend(
                {
                    "race_id": page.race_id,
                    "bet_type": p.bet_type,
                    "combination": "-".join(str(n) for n in p.combination),
                    "payout_yen": p.payout_yen,
                    "popularity": p.popularity,
                }
                for p in page.payouts
            )
    if failures and (len(failures) == seen or len(failures) > max_failure_ratio * seen):
        names = ", ".join(f["source"] for f in failures[:5])  # type: ignore[misc]
        raise TooManyParseFailures(
            f"{len(failures)} of {seen} pages failed to parse "
            f"(allowed ratio {max_failure_ratio:.2%}); first: {names}"
        )
    return RaceTables(
        races=typed_frame(races, RACE_COLUMNS).sort_values("race_id", ignore_index=True),
        entries=typed_frame(entries, ENTRY_COLUMNS),
        payouts=typed_frame(payouts, PAYOUT_COLUMNS),
        failures=typed_frame(failures, FAILURE_COLUMNS),
    )


def parse_result_pages(
    raw_pages: Mapping[str, Callable[[], str]], preprocessing: Mapping[str, object]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The raw page store (race id → loader) as races, entries, payouts, failures.

    Fails when the store holds no race at all: an empty table downstream would
    otherwise train a model on nothing without a word.
    """

    def parse(race_id: str) -> Callable[[], ParsedPage]:
        return lambda: parse_page(raw_pages[race_id](), source=f"raw_result_pages/{race_id}")

    tables = tables_from_pages(
        ((f"raw_result_pages/{rid}", parse(rid)) for rid in sorted(raw_pages)),
        max_failure_ratio=float(preprocessing.get("max_failure_ratio", 0.0)),  # type: ignore[arg-type]
        total=len(raw_pages),
    )
    if tables.races.empty:
        raise ValueError(f"raw_result_pages: none of {len(raw_pages)} pages holds a race result")
    return tables.races, tables.entries, tables.payouts, tables.failures


def parse_race_cards(
    raw_cards: Mapping[str, Callable[[], str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Race cards (race id → loader of its HTML) as the card's races and entries tables."""

    def parse(race_id: str) -> Callable[[], ParsedPage]:
        return lambda: parse_page(raw_cards[race_id](), source=f"raw_race_cards/{race_id}")

    tables = tables_from_pages((f"raw_race_cards/{rid}", parse(rid)) for rid in sorted(raw_cards))
    return tables.races, tables.entries
