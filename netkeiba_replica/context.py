"""What a page shows beyond the parsed model: the decoration a renderer needs.

The page model holds only what the parser extracts. A real page also prints
the meeting (``1回札幌1日目``), the class and conditions, owners, passing
orders, lap times, the other races of the day... The world fills these in so
the replica's pages look like netkeiba's; every field has a default so a page
can also be rendered from a bare model object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from forecast_keiba.netkeiba.model import HorseRaceRow


@dataclass(frozen=True)
class RaceContext:
    venue_name: str = ""
    kai: int = 1
    nichi: int = 1
    class_label: str = ""
    conditions: str = ""
    grade: str | None = None  # "G1", "G2", "G3", "L"
    meeting_race_ids: tuple[str, ...] = ()  # the races of this venue on this day
    day_meetings: tuple[tuple[str, str], ...] = ()  # (venue name, its race with this number)
    field_size: int | None = None
    trainer_east: Mapping[str, bool] = field(default_factory=dict)  # trainer id -> 美浦?
    owners: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # horse id -> (id, name)
    allowance: Mapping[str, int] = field(default_factory=dict)  # jockey id -> apprentice kg
    passing: Mapping[str, str] = field(default_factory=dict)  # horse id -> "5-6-6-8"
    last3f: Mapping[str, str] = field(default_factory=dict)
    prize: Mapping[str, str] = field(default_factory=dict)  # horse id -> "510.0" (10k yen)
    laps: tuple[float, ...] = ()
    corners: tuple[tuple[str, str], ...] = ()  # ("3コーナー", "(*1,3)(4,8)6-5")


@dataclass(frozen=True)
class RaceSummary:
    race_id: str
    race_number: int
    name: str
    course: str  # "ダ1000m"
    field_size: int
    start_time: str
    surface_class: str = "Dart"  # race.netkeiba's RaceList_ItemLong class
    placed: tuple[tuple[str, str, str, str], ...] = ()  # (horse id, name, jockey id, name)


@dataclass(frozen=True)
class MeetingSummary:
    venue_code: str
    venue_name: str
    kai: int
    nichi: int
    races: tuple[RaceSummary, ...]
    weather: str = ""
    going_text: str = ""  # "芝:良 ダ:稍"


@dataclass(frozen=True)
class DayContext:
    meetings: tuple[MeetingSummary, ...] = ()
    month_racing_days: tuple[dt.date, ...] = ()  # for the side calendar


@dataclass(frozen=True)
class HorseRowExtra:
    weather: str
    jockey_name: str
    winner: tuple[str, str]  # (horse id, name) of the winner, or of the 2nd for a winner
    venue_code: str
    race_number: int
    passing: str = ""
    last3f: str = ""


@dataclass(frozen=True)
class HorseContext:
    active: bool = True
    age: int | None = None
    colour: str = "鹿毛"
    trainer_name: str = ""
    trainer_east: bool = True
    owner_name: str = ""
    breeder_name: str = ""
    sire_name: str = ""
    dam_name: str = ""
    damsire_name: str = ""
    sire_parents: tuple[tuple[str, str], tuple[str, str]] = (("", ""), ("", ""))
    dam_dam: tuple[str, str] = ("", "")
    rows: tuple[HorseRaceRow, ...] = ()
    row_extras: tuple[HorseRowExtra, ...] = ()
