"""The racing calendar: which days race, at which venues, under which ids.

JRA-style: racing on Saturdays and Sundays, venues rotating in blocks of eight
racing days (one *kai*, "meeting", of eight *nichi*). The block, and so the
venues, kai and nichi of a date, depend only on the date and the number of
venues, so the same calendar date gets the same race ids in every world.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Venue rotation per block of 8 racing days; the first n venues of a tuple race.
_ROTATION: tuple[tuple[str, ...], ...] = (
    ("06", "08", "07", "10", "05", "09", "03", "04", "01", "02"),
    ("05", "08", "10", "06", "09", "07", "03", "04", "01", "02"),
    ("06", "09", "07", "05", "08", "10", "03", "04", "01", "02"),
    ("05", "09", "03", "06", "08", "07", "10", "04", "01", "02"),
    ("05", "08", "04", "06", "09", "07", "10", "03", "01", "02"),
    ("09", "03", "05", "06", "08", "07", "10", "04", "01", "02"),
    ("02", "03", "07", "10", "04", "01", "05", "06", "08", "09"),
    ("02", "04", "10", "07", "03", "01", "05", "06", "08", "09"),
    ("01", "04", "10", "07", "02", "03", "05", "06", "08", "09"),
    ("06", "09", "01", "04", "07", "10", "02", "03", "05", "08"),
    ("05", "08", "03", "06", "09", "07", "10", "04", "01", "02"),
    ("05", "08", "07", "06", "09", "03", "10", "04", "01", "02"),
    ("06", "09", "07", "05", "08", "10", "03", "04", "01", "02"),
)
BLOCK_DAYS = 8

# Minutes after 09:50 of each race number's post time (real cards: 09:50 ... 16:10).
_POST_OFFSETS = (0, 30, 60, 90, 140, 170, 200, 230, 260, 295, 340, 380)


@dataclass(frozen=True)
class Meeting:
    """One venue on one racing day."""

    date: dt.date
    venue_code: str
    kai: int
    nichi: int
    n_races: int
    order: int  # 0 for the first venue of the day: sets post-time offsets

    def race_id(self, race_number: int) -> str:
        return f"{self.date.year}{self.venue_code}{self.kai:02d}{self.nichi:02d}{race_number:02d}"

    def post_time(self, race_number: int) -> str:
        minutes = 9 * 60 + 50 + _POST_OFFSETS[race_number - 1] + 10 * self.order
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


def racing_days(start: dt.date, count: int) -> list[dt.date]:
    """The first ``count`` Saturdays and Sundays on or after ``start``."""
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if day.weekday() >= 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def races_per_venue(races_per_day: int) -> list[int]:
    """Split a day's races over venues of at most 12 races, as evenly as possible."""
    if races_per_day < 1:
        return []
    n_venues = min(10, -(-races_per_day // 12))
    base, extra = divmod(min(races_per_day, 120), n_venues)
    return [base + (1 if i < extra else 0) for i in range(n_venues)]


def meetings_on(day: dt.date, races_per_day: int) -> list[Meeting]:
    """The meetings of a racing day (empty for a weekday)."""
    if day.weekday() < 5:
        return []
    split = races_per_venue(races_per_day)
    index = _weekend_index(day)
    block, nichi = divmod(index, BLOCK_DAYS)
    venues = _ROTATION[block % len(_ROTATION)][: len(split)]
    out = []
    for order, (venue, n) in enumerate(zip(venues, split, strict=True)):
        kai = 1 + sum(venue in _ROTATION[b % len(_ROTATION)][: len(split)] for b in range(block))
        out.append(Meeting(day, venue, kai, nichi + 1, n, order))
    return out


def _weekend_index(day: dt.date) -> int:
    """How many Saturdays and Sundays of ``day``'s year come before it."""
    jan1 = dt.date(day.year, 1, 1)
    n_days = (day - jan1).days
    full_weeks, rest = divmod(n_days, 7)
    count = 2 * full_weeks
    for k in range(rest):
        if (jan1 + dt.timedelta(days=7 * full_weeks + k)).weekday() >= 5:
            count += 1
    return count
