"""The parsed-page model: the one shape every netkeiba page is turned into.

The parser produces these objects, the offline replica renders HTML from them,
and the preprocessing tables are built from them, so ``parse(render(x)) == x``
is the replica's round-trip contract. Codes are English snake_case; the
Japanese labels they come from are mapped in ``vocab``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Surface = Literal["turf", "dirt", "jump_turf", "jump_dirt", "jump_turf_dirt"]
Direction = Literal["right", "left", "straight", "right_outer", "left_outer", "right_inner"]
Weather = Literal["sunny", "cloudy", "rainy", "light_rain", "snowy", "light_snow"]
Going = Literal["good", "slightly_heavy", "heavy", "bad"]
Sex = Literal["colt", "filly", "gelding"]
FinishStatus = Literal["finished", "scratched", "pulled_up", "excluded", "disqualified", "demoted"]
BetType = Literal[
    "win",
    "place",
    "bracket_quinella",
    "quinella",
    "quinella_place",
    "exacta",
    "bracket_exacta",
    "trio",
    "trifecta",
]


@dataclass(frozen=True)
class RaceInfo:
    """Conditions of one race, known before post time."""

    race_id: str
    date: dt.date | None
    name: str
    surface: Surface | None
    distance_m: int | None
    direction: Direction | None
    weather: Weather | None = None  # announced shortly before post; None on early cards
    going: Going | None = None
    start_time: str | None = None  # "HH:MM", JST
    venue_code: str | None = None  # two digits of the race id, e.g. "05" Tokyo, "44" Ohi
    race_number: int | None = None


@dataclass(frozen=True)
class Entry:
    """One horse in one race: a race-card row, or a result row once run."""

    horse_number: int | None  # None only for some scratched horses on old pages
    bracket: int | None
    horse_id: str
    horse_name: str
    jockey_id: str | None
    trainer_id: str | None
    sex: Sex | None
    age: int | None
    weight_carried: float | None
    finish_position: int | None = None  # None when not finished or not yet run
    finish_status: FinishStatus | None = None  # None on race cards
    time_s: float | None = None
    margin: str | None = None  # as printed: "クビ", "1.1/4", "大"; None for the winner
    win_odds: float | None = None
    popularity: int | None = None
    body_weight: int | None = None  # kg; None for 計不 (not measured)
    body_weight_diff: int | None = None
    jockey_name: str | None = None
    trainer_name: str | None = None


@dataclass(frozen=True)
class Payout:
    bet_type: BetType
    combination: tuple[int, ...]
    payout_yen: int
    popularity: int | None = None


@dataclass(frozen=True)
class ParsedPage:
    """Base of every parse result. ``source`` is the file or URL it came from."""

    source: str

    kind: str = field(init=False, default="page")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: dates ISO, tuples as lists, ``kind`` first."""
        raw = dataclasses.asdict(self)
        raw.pop("kind", None)
        head: dict[str, Any] = {"kind": self.kind}
        if hasattr(self, "race_id"):
            head["race_id"] = self.race_id
        return {**head, **_jsonable(raw)}


@dataclass(frozen=True)
class RaceResultPage(ParsedPage):
    """db.netkeiba.com ``/race/<id>/`` or race.netkeiba.com ``result.html``."""

    race: RaceInfo
    entries: tuple[Entry, ...]
    payouts: tuple[Payout, ...]
    kind: str = field(init=False, default="race_result")

    @property
    def race_id(self) -> str:
        return self.race.race_id


@dataclass(frozen=True)
class RaceCardPage(ParsedPage):
    """race.netkeiba.com ``shutuba.html?race_id=``: the entries before the race."""

    race: RaceInfo
    entries: tuple[Entry, ...]
    kind: str = field(init=False, default="race_card")

    @property
    def race_id(self) -> str:
        return self.race.race_id


@dataclass(frozen=True)
class NoRacePage(ParsedPage):
    """netkeiba's HTTP-200 page for an id with no race (title ``｜年月日``).

    A result of its own, not an error: discovery and scraping use it to learn
    that an id does not exist.
    """

    race_id: str | None
    kind: str = field(init=False, default="no_race")


@dataclass(frozen=True)
class RaceListPage(ParsedPage):
    """db.netkeiba.com ``/race/list/YYYYMMDD/``: the race ids run on one day."""

    date: dt.date
    race_ids: tuple[str, ...]
    kind: str = field(init=False, default="race_list")


@dataclass(frozen=True)
class HorseProfilePage(ParsedPage):
    """db.netkeiba.com ``/horse/<id>/``: profile (and its results table, if any)."""

    horse_id: str
    name: str
    sex: Sex | None
    birth_date: dt.date | None
    trainer_id: str | None
    owner_id: str | None
    breeder_id: str | None
    sire_id: str | None
    dam_id: str | None
    damsire_id: str | None
    past_race_ids: tuple[str, ...] = ()
    kind: str = field(init=False, default="horse_profile")


@dataclass(frozen=True)
class Ancestor:
    generation: int  # 1 = parents, 2 = grandparents, ...
    position: int  # 0-based top-to-bottom within the generation
    horse_id: str | None
    name: str


@dataclass(frozen=True)
class HorsePedigreePage(ParsedPage):
    """db.netkeiba.com ``/horse/ped/<id>/``: the 5-generation blood table."""

    horse_id: str
    ancestors: tuple[Ancestor, ...]
    kind: str = field(init=False, default="horse_pedigree")


@dataclass(frozen=True)
class HorseRaceRow:
    """One row of a horse's past-results table."""

    race_id: str
    date: dt.date | None
    venue: str
    race_name: str
    field_size: int | None
    bracket: int | None
    horse_number: int | None
    win_odds: float | None
    popularity: int | None
    finish_position: int | None
    finish_status: FinishStatus | None
    jockey_id: str | None
    weight_carried: float | None
    surface: Surface | None
    distance_m: int | None
    going: Going | None
    time_s: float | None
    margin: str | None
    body_weight: int | None
    body_weight_diff: int | None


@dataclass(frozen=True)
class HorseResultsPage(ParsedPage):
    """db.netkeiba.com's AJAX fragment of a horse's past results."""

    horse_id: str | None
    rows: tuple[HorseRaceRow, ...]
    kind: str = field(init=False, default="horse_results")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
