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

from forecast_keiba.data.incremental import (
    as_of,
    days_to_scrape,
    is_final,
    resolve_date_range,
    stored_days,
)
from forecast_keiba.data.prediction_target import PredictionTarget, prediction_target
from forecast_keiba.netkeiba.client import (
    BodyRejected,
    ClientConfig,
    ClientStats,
    NetkeibaClient,
)
from forecast_keiba.netkeiba.errors import FetchError, ParseError
from forecast_keiba.netkeiba.model import NoRacePage, RaceCardPage, RaceListPage, RaceResultPage
from forecast_keiba.netkeiba.parsing import parse_page, truncation
from forecast_keiba.netkeiba.race_id import parse_race_id
from forecast_keiba.netkeiba.urls import SiteUrls
from forecast_keiba.reporting.progress import progress

log = logging.getLogger(__name__)


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


def discover_race_ids(
    scraping: Mapping[str, Any],
    source: Mapping[str, Any],
    client: Mapping[str, Any],
    stored_race_days: Mapping[str, object],
) -> dict[str, Any]:
    """The races to fetch: those run on each day of the range not yet stored.

    ``stored_race_days`` is the ledger of earlier scrapes (day → race ids
    stored); its days are skipped (see :mod:`forecast_keiba.data.incremental`).
    Returns the race index: ``days``, each day read whose list is final
    (before ``scraping.as_of``) with every race run on it, and ``races``, the
    races to fetch (``race_id`` and ``date``). A past day's list is cached by
    the client; today's and future days' are not.
    """
    config = SourceConfig.from_params(source, client)
    start, end = resolve_date_range(scraping)
    today = as_of(scraping)
    days = days_to_scrape(start, end, stored_days(stored_race_days))
    final_days: dict[str, list[str]] = {}
    races: list[dict[str, str]] = []
    with config.open_client() as http:
        for day in progress(days, description="day lists", log=log):
            url = config.urls.day_list(day)
            fetched = http.fetch(url, final=is_final(day, today), validate=require_complete)
            page = parse_page(fetched.text, source=url)
            if isinstance(page, RaceListPage):
                ids = list(page.race_ids)
            elif isinstance(page, NoRacePage):
                ids = []
            else:
                raise ParseError(url, f"expected a day list, got a {page.kind} page")
            races.extend({"race_id": rid, "date": day.isoformat()} for rid in ids)
            if is_final(day, today):
                final_days[day.isoformat()] = ids
        log_summary("day lists", http.stats, pages=len(days))
    log.info(
        "%d races to fetch from %d day(s) not yet stored between %s and %s",
        len(races), len(days), start, end,
    )  # fmt: skip
    return {"days": final_days, "races": races}


def fetch_result_pages(
    race_index: Mapping[str, Any], source: Mapping[str, Any], client: Mapping[str, Any]
) -> tuple[dict[str, Callable[[], str]], dict[str, list[str]]]:
    """The raw pages of the index's races, and the ledger entries of its days.

    Pages come as one lazy loader per race id: the store calls each loader as
    it saves, so pages stream to disk. A page counts as final (cached forever,
    never fetched again) only once it parses as a race result; a no-race page
    or a truncated body is fetched again. The ledger entries (day → race ids)
    are saved after the pages (the node's output order), so a day is recorded
    as stored only once all its pages are.
    """
    ids = sorted({parse_race_id(r["race_id"]).value for r in race_index["races"]})
    fetcher = _ResultFetcher(SourceConfig.from_params(source, client), total=len(ids))
    pages = {race_id: partial(fetcher.fetch, race_id) for race_id in ids}
    return pages, {day: list(day_ids) for day, day_ids in race_index["days"].items()}


def find_race_day(target: PredictionTarget, scraping: Mapping[str, Any]) -> dt.date:
    """The first race day to look at: ``prediction.race_date``, or the day after
    the scraped range (after yesterday when the range is open-ended)."""
    if target.race_date:
        return target.race_date
    return resolve_date_range(scraping)[1] + dt.timedelta(days=1)


def fetch_race_cards(
    prediction: Mapping[str, Any],
    scraping: Mapping[str, Any],
    source: Mapping[str, Any],
    client: Mapping[str, Any],
) -> dict[str, str]:
    """Race cards to forecast (never cached, since cards change until post): the
    one of ``prediction.race_id``, or every card of the race day to forecast."""
    target = prediction_target(prediction)
    config = SourceConfig.from_params(source, client)
    with config.open_client() as http:
        if target.race_id:
            return {target.race_id: _race_card(http, config.urls, target.race_id)}
        first = find_race_day(target, scraping)
        for offset in range(target.search_days):
            day = first + dt.timedelta(days=offset)
            url = config.urls.upcoming_list(day)
            listing = parse_page(http.fetch(url, validate=require_complete).text, source=url)
            if isinstance(listing, RaceListPage) and listing.race_ids:
                log.info("forecasting %d races on %s", len(listing.race_ids), day)
                return {
                    rid: http.fetch(config.urls.race_card(rid), validate=require_complete).text
                    for rid in listing.race_ids
                }
    where = "on prediction.race_date" if target.race_date else f"in {target.search_days} day(s)"
    raise LookupError(f"no races found on {config.urls.race_base} {where} from {first}")


def _race_card(http: NetkeibaClient, urls: SiteUrls, race_id: str) -> str:
    url = urls.race_card(race_id)
    try:
        text = http.fetch(url, validate=require_complete).text
    except FetchError as exc:
        raise LookupError(f"prediction.race_id {race_id}: no race card at {url} ({exc})") from exc
    if not isinstance(parse_page(text, source=url), RaceCardPage):
        raise LookupError(f"prediction.race_id {race_id}: {url} is not a race card")
    return text


def require_complete(text: str) -> None:
    """The client's ``validate`` hook: a page cut short (a dropped connection, a proxy)
    is refused and fetched again, so it is never stored, cached or parsed."""
    problem = truncation(text)
    if problem is not None:
        raise BodyRejected(problem)


def log_summary(what: str, stats: ClientStats, **counts: int) -> None:
    """One line of what a node's fetching took (requests, retries by cause, pages
    stored), with the figures as ``extra={"summary": ...}``: the Prefect bridge
    turns that into a table artifact of the node's task run."""
    summary = {
        **counts,
        "requests": stats.requests,
        "retries": stats.retries,
        **{f"retries.{cause}": n for cause, n in sorted(stats.retries_by_cause.items())},
        "cache_hits": stats.cache_hits,
        "pages_cached_as_final": stats.pages_stored,
        "failures": stats.failures,
    }
    log.info(
        "%s: %s", what, ", ".join(f"{k}={v}" for k, v in summary.items()),
        extra={"summary": {"title": what, **summary}},
    )  # fmt: skip


def _is_result_page(url: str) -> Callable[[str], bool]:
    def parses_as_result(text: str) -> bool:
        try:
            return isinstance(parse_page(text, source=url), RaceResultPage)
        except ParseError:
            return False

    return parses_as_result


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
        text = client.fetch(url, final=_is_result_page(url), validate=require_complete).text
        with self._lock:
            self.done += 1  # one per page handed to the raw store: the store's write count
            if self.done % 200 == 0 or self.done == self.total:
                log.info(
                    "fetched %d/%d result pages (%s)",
                    self.done,
                    self.total,
                    client.stats,
                    extra={"progress": (self.done, self.total)},  # → Prefect progress artifact
                )
            if self.done == self.total:
                log_summary("result pages", client.stats, pages_to_store=self.done)
                client.close()
                self._client = None
        return text
