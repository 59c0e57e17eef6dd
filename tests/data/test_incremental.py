"""Which days a scrape reads, given the ledger of stored days and "today"."""

from __future__ import annotations

import datetime as dt

import pytest

from forecast_keiba.data.incremental import (
    as_of,
    days_to_scrape,
    is_final,
    resolve_date_range,
    stored_days,
    today_jst,
)

D = dt.date


def test_open_end_means_the_day_before_as_of() -> None:
    scraping = {"start_date": "2023-01-07", "end_date": None, "as_of": "2023-01-21"}
    assert resolve_date_range(scraping) == (D(2023, 1, 7), D(2023, 1, 20))


def test_as_of_defaults_to_today_in_tokyo() -> None:
    assert as_of({"as_of": None}) == today_jst()
    assert as_of({}) == today_jst()


def test_nightly_window_starts_after_the_last_stored_day() -> None:
    stored = stored_days({"2023-01-07": [], "2023-01-08": [], "2023-01-09": []})
    days = days_to_scrape(D(2023, 1, 7), D(2023, 1, 12), stored)
    assert days == [D(2023, 1, 10), D(2023, 1, 11), D(2023, 1, 12)]


def test_a_day_missing_from_the_ledger_is_scraped_again() -> None:
    stored = {D(2023, 1, 7), D(2023, 1, 9)}
    assert days_to_scrape(D(2023, 1, 7), D(2023, 1, 9), stored) == [D(2023, 1, 8)]


def test_nothing_to_scrape_when_everything_is_stored() -> None:
    stored = {D(2023, 1, 7), D(2023, 1, 8)}
    assert days_to_scrape(D(2023, 1, 7), D(2023, 1, 8), stored) == []


def test_only_days_before_today_are_final() -> None:
    assert is_final(D(2023, 1, 20), today=D(2023, 1, 21))
    assert not is_final(D(2023, 1, 21), today=D(2023, 1, 21))


@pytest.mark.parametrize(
    ("scraping", "named"),
    [
        ({"start_date": "2023-13-01", "end_date": None}, "scraping.start_date"),
        ({"start_date": "2023-01-07", "end_date": "yesterday"}, "scraping.end_date"),
        ({"start_date": "2023-01-07", "end_date": None, "as_of": "1/21"}, "scraping.as_of"),
        ({"start_date": "2023-01-07", "end_date": "2023-01-01"}, "scraping.end_date"),
    ],
)
def test_bad_dates_fail_naming_the_parameter(scraping: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        resolve_date_range(scraping)


def test_a_ledger_entry_that_is_not_a_date_is_named() -> None:
    with pytest.raises(ValueError, match="race_days/notes"):
        stored_days({"notes": []})
