"""Race ids: 12 digits, two schemes.

JRA: ``YYYY`` + venue (01-10) + meeting (kai) + day (nichi) + race number.
NAR: ``YYYY`` + venue (30-65) + ``MMDD`` + race number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from forecast_keiba.netkeiba.errors import InvalidRaceIdError

JRA_VENUES: dict[str, str] = {
    "01": "札幌", "02": "函館", "03": "福島", "04": "新潟", "05": "東京",
    "06": "中山", "07": "中京", "08": "京都", "09": "阪神", "10": "小倉",
}  # fmt: skip

_RACE_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class RaceId:
    value: str
    year: int
    venue_code: str
    race_number: int
    is_jra: bool
    nar_date: dt.date | None  # NAR ids carry their date; JRA ids do not

    def __str__(self) -> str:
        return self.value


def parse_race_id(value: object) -> RaceId:
    """Validate and split a race id; raise :class:`InvalidRaceIdError` naming it."""
    text = str(value).strip()
    if not _RACE_ID.match(text):
        raise InvalidRaceIdError(value, "expected 12 digits")
    year, venue, race_number = int(text[:4]), text[4:6], int(text[10:12])
    if not 1 <= race_number <= 12:
        raise InvalidRaceIdError(value, f"race number {race_number} not in 1..12")
    if venue in JRA_VENUES:
        return RaceId(text, year, venue, race_number, is_jra=True, nar_date=None)
    if 30 <= int(venue) <= 65:
        try:
            day = dt.date(year, int(text[6:8]), int(text[8:10]))
        except ValueError as exc:
            raise InvalidRaceIdError(value, f"NAR id with an impossible date: {exc}") from exc
        return RaceId(text, year, venue, race_number, is_jra=False, nar_date=day)
    raise InvalidRaceIdError(value, f"unknown venue code {venue}")
