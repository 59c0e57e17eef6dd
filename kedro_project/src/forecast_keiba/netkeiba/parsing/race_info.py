"""Building :class:`RaceInfo` from the pieces every race page has.

The race id gives the venue code and race number; NAR ids also carry the
date, which fills in when the page itself does not print one.
"""

from __future__ import annotations

import datetime as dt

from forecast_keiba.netkeiba.errors import InvalidRaceIdError
from forecast_keiba.netkeiba.model import RaceInfo
from forecast_keiba.netkeiba.parsing import cells
from forecast_keiba.netkeiba.parsing.integrity import refuse_garbled
from forecast_keiba.netkeiba.race_id import parse_race_id


def nar_date(race_id: str) -> dt.date | None:
    """The date inside a NAR race id; None for JRA, overseas or malformed ids."""
    try:
        return parse_race_id(race_id).nar_date
    except InvalidRaceIdError:
        return None


def build_race_info(
    race_id: str, date: dt.date | None, name: str, conditions_text: str, source: str
) -> RaceInfo:
    """A RaceInfo from the id, the printed date (if any), name and conditions line.

    The venue code and race number come from the id's digits; ids that are not
    all digits (db.netkeiba's overseas races) keep the venue code and get no
    race number rather than failing the page.
    """
    refuse_garbled((name,), source, "race name")
    conditions = cells.parse_race_conditions(conditions_text)
    number = race_id[10:12]
    return RaceInfo(
        race_id=race_id,
        date=date or nar_date(race_id),
        name=cells.clean(name),
        surface=conditions.surface,
        distance_m=conditions.distance_m,
        direction=conditions.direction,
        weather=conditions.weather,
        going=conditions.going,
        start_time=conditions.start_time,
        venue_code=race_id[4:6],
        race_number=int(number) if number.isdecimal() else None,
    )
