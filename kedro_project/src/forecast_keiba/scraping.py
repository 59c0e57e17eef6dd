"""Collecting netkeiba pages: which races exist, and their result or card pages.

Plain functions over a :class:`SourceConfig` and the HTTP client; the Kedro
pipeline passes parameters in and the raw page store out. Result pages are
fetched lazily (one callable per race) so that a multi-year backfill streams
page by page into the raw store instead of holding every page in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from forecast_keiba.netkeiba.client import ClientConfig, NetkeibaClient
from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.model import NoRacePage, RaceListPage, RaceResultPage
from forecast_keiba.netkeiba.parsing import parse_page
from forecast_keiba.netkeiba.race_id import parse_race_id
from forecast_keiba.netkeiba.urls import SiteUrls
from forecast_keiba.progress import progress

log = logging.getLogger(__name__)

JST = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class SourceConfig:
    """Where pages come from and how politely: the ``source`` and ``client`` parameters."""

    urls: SiteUrls
    client: ClientConfig

    @classmethod
    def from_params(cls, source: Mapping[str, Any], client: Mapping[str, Any]) -> SourceConfig:
        return cls(
            urls=SiteUrls(db_base=source["db_base_url"], race_base=source["race_base_url"]),
            client=ClientConfig(**client),
        )

    def open_client(self) -> NetkeibaClient:
        return NetkeibaClient(self.client)


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


def resolve_date_range(scraping: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    """``start_date``..``end_date`` inclusive; a null end means yesterday in JST."""
    start = _as_date(scraping["start_date"], "scraping.start_date")
    end_raw = scraping.get("end_date")
    end = _as_date(end_raw, "scraping.end_date") if end_raw else today_jst() - dt.timedelta(1)
    if end < start:
        raise ValueError(f"scraping.end_date {end} is before scraping.start_date {start}")
    return start, end


def discover_race_ids(
    scraping: Mapping[str, Any], source: Mapping[str, Any], client: Mapping[str, Any]
) -> list[dict[str, str]]:
    """Race ids run on each day of the range, from the archive's day lists.

    A past day's list is final and cached; today's and future days' are not.
    """
    config = SourceConfig.from_params(source, client)
    start, end = resolve_date_range(scraping)
    today = today_jst()
    found: list[dict[str, str]] = []
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    with config.open_client() as http:
        for day in progress(days, description="day lists", log=log):
            url = config.urls.day_list(day)
            page = parse_page(http.fetch(url, final=day < today).text, source=url)
            if isinstance(page, RaceListPage):
                found.extend({"race_id": rid, "date": day.isoformat()} for rid in page.race_ids)
            elif not isinstance(page, NoRacePage):
                raise ParseError(url, f"expected a day list, got a {page.kind} page")
    log.info("discovered %d races from %s to %s", len(found), start, end)
    return found


def fetch_result_pages(
    race_ids: list[dict[str, str]], source: Mapping[str, Any], client: Mapping[str, Any]
) -> dict[str, Callable[[], str]]:
    """One lazy loader per race for the raw page store, keyed by race id.

    The store calls each loader as it saves, so pages stream to disk. A page
    counts as final (cached forever, never fetched again) only once it parses
    as a race result; a no-race page or a truncated body is fetched again.
    """
    ids = sorted({parse_race_id(r["race_id"]).value for r in race_ids})
    fetcher = _ResultFetcher(SourceConfig.from_params(source, client), total=len(ids))
    return {race_id: partial(fetcher.fetch, race_id) for race_id in ids}


def find_race_day(prediction: Mapping[str, Any], scraping: Mapping[str, Any]) -> dt.date:
    """The race day to forecast: ``prediction.race_date``, or the first day with
    races after the scraped range (after today when the range is open-ended)."""
    if prediction.get("race_date"):
        return _as_date(prediction["race_date"], "prediction.race_date")
    end = scraping.get("end_date")
    return (_as_date(end, "scraping.end_date") if end else today_jst() - dt.timedelta(1)) + (
        dt.timedelta(days=1)
    )


def fetch_race_cards(
    prediction: Mapping[str, Any],
    scraping: Mapping[str, Any],
    source: Mapping[str, Any],
    client: Mapping[str, Any],
) -> dict[str, str]:
    """Race cards of the next race day: never cached, since cards change until post."""
    config = SourceConfig.from_params(source, client)
    first = find_race_day(prediction, scraping)
    search_days = 1 if prediction.get("race_date") else int(prediction.get("search_days", 14))
    with config.open_client() as http:
        for offset in range(search_days):
            day = first + dt.timedelta(days=offset)
            url = config.urls.upcoming_list(day)
            listing = parse_page(http.fetch(url).text, source=url)
            if isinstance(listing, RaceListPage) and listing.race_ids:
                log.info("forecasting %d races on %s", len(listing.race_ids), day)
                return {
                    rid: http.fetch(config.urls.race_card(rid)).text for rid in listing.race_ids
                }
    raise LookupError(
        f"no races found on {config.urls.race_base} in the {search_days} day(s) from {first}"
    )


def _is_result_page(url: str) -> Callable[[str], bool]:
    def is_final(text: str) -> bool:
        try:
            return isinstance(parse_page(text, source=url), RaceResultPage)
        except ParseError:
            return False

    return is_final


def _as_date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


class _ResultFetcher:
    """Shared by the lazy loaders of one batch: one client (politeness and cache
    are per client), progress logging, and closing the client after the last page."""

    def __init__(self, config: SourceConfig, total: int) -> None:
        self.config = config
        self.total = total
        self.done = 0
        self._client: NetkeibaClient | None = None
        self._lock = threading.Lock()

    def fetch(self, race_id: str) -> str:
        with self._lock:
            if self._client is None:
                self._client = self.config.open_client()
            client = self._client
        url = self.config.urls.race_result(race_id)
        text = client.fetch(url, final=_is_result_page(url)).text
        with self._lock:
            self.done += 1
            if self.done % 200 == 0 or self.done == self.total:
                log.info(
                    "fetched %d/%d result pages (%s)",
                    self.done,
                    self.total,
                    client.stats,
                    extra={"progress": (self.done, self.total)},  # → Prefect progress artifact
                )
            if self.done == self.total:
                client.close()
                self._client = None
        return text
