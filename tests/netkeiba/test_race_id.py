import datetime as dt

import pytest

from forecast_keiba.netkeiba.errors import InvalidRaceIdError
from forecast_keiba.netkeiba.race_id import parse_race_id


def test_jra_id_splits_into_year_venue_and_race() -> None:
    rid = parse_race_id("202105010101")
    assert (rid.year, rid.venue_code, rid.race_number, rid.is_jra) == (2021, "05", 1, True)
    assert rid.nar_date is None


def test_nar_id_carries_its_date() -> None:
    rid = parse_race_id("202243122101")  # Funabashi, 2022-12-21, race 1
    assert (rid.venue_code, rid.is_jra, rid.nar_date) == ("43", False, dt.date(2022, 12, 21))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("20210501010", "12 digits"),
        ("2021050101a1", "12 digits"),
        ("202105010113", "race number 13"),
        ("202199010101", "unknown venue code 99"),
        ("202243133101", "impossible date"),
        (None, "12 digits"),
    ],
)
def test_invalid_ids_are_named_in_the_error(value: object, reason: str) -> None:
    with pytest.raises(InvalidRaceIdError, match=reason) as info:
        parse_race_id(value)
    assert repr(value) in str(info.value)
