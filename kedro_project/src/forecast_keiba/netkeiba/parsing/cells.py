"""Pure parsers for single netkeiba table cells and text snippets.

Every function takes the cell's text as netkeiba prints it and returns typed
values. The rule shared by all of them: an empty cell (or a known placeholder
such as ``---`` or ``**``) is ``None``; anything else that does not match the
expected shape raises :class:`ValueError`, which the table parsers turn into a
:class:`~forecast_keiba.netkeiba.errors.ParseError` naming the page, row and
column. Silently turning garbage into ``None`` would hide layout changes.

Nothing here touches the DOM, so these are cheap to test exhaustively.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import cast

from forecast_keiba.netkeiba import vocab
from forecast_keiba.netkeiba.model import (
    Direction,
    FinishStatus,
    Going,
    Sex,
    Surface,
    Weather,
)

# Placeholders netkeiba prints where a value is not (yet) known.
_PLACEHOLDERS = frozenset({"", "-", "--", "---", "---.-", "**", "*", "計不"})


def clean(text: str) -> str:
    """Collapse runs of whitespace (incl. NBSP and ideographic space) to one space."""
    return " ".join(text.split())


def squash(text: str) -> str:
    """Remove all whitespace: header labels are printed as "着<br>順" etc."""
    return "".join(text.split())


def parse_int(text: str) -> int | None:
    """``"12"`` / ``"1,350"`` → int; empty or placeholder → None."""
    value = text.strip()
    if value.isdecimal():  # the common case, without the slower normalisation
        return int(value)
    value = squash(value).replace(",", "")
    if value in _PLACEHOLDERS:
        return None
    if not value.isdecimal():
        raise ValueError(f"not an integer: {text!r}")
    return int(value)


def parse_float(text: str) -> float | None:
    """``"54"`` / ``"51.0"`` / ``"1,350.0"`` → float; empty or placeholder → None."""
    value = text.strip()
    if value.replace(".", "", 1).isdecimal():  # the common case, as in parse_odds
        return float(value)
    value = squash(value).replace(",", "")
    if value in _PLACEHOLDERS:
        return None
    # isdecimal() keeps float()'s extras ("nan", "1e3", "inf") out
    if not value.replace(".", "", 1).isdecimal():
        raise ValueError(f"not a number: {text!r}")
    return float(value)


def parse_odds(text: str) -> float | None:
    """Win odds: ``"1.4"``, ``"7.2倍"`` (race.netkeiba); ``"---"``/``"---.-"`` → None."""
    value = text.strip()
    if value.replace(".", "", 1).isdecimal():
        return float(value)
    return parse_float(squash(value).removesuffix("倍"))


def parse_popularity(text: str) -> int | None:
    """Popularity rank: ``"1"``, ``"1人気"``, ``"1.0"`` (CSV export); ``"**"`` → None."""
    value = text.strip()
    if value.isdecimal():
        return int(value)
    value = squash(value).removesuffix("人気")
    if value.endswith(".0"):
        value = value[:-2]
    return parse_int(value)


_TIME = re.compile(r"^(?:(\d{1,2}):)?(\d{1,2}(?:\.\d+)?)$")


def parse_time(text: str) -> float | None:
    """Race time ``"2:29.9"`` → 149.9 seconds, ``"58.3"`` → 58.3; empty → None."""
    value = text.strip()
    minutes, colon, seconds = value.partition(":")
    whole, dot, tenths = seconds.partition(".")
    if colon and dot and len(tenths) == 1 and (minutes + whole + tenths).isdecimal():
        # integer tenths / 10 is the correctly rounded float: 2:29.9 gives 149.9,
        # not 149.89999999999998 as 120 + 29.9 would
        return (int(minutes) * 600 + int(whole) * 10 + int(tenths)) / 10
    value = squash(value)
    if value in _PLACEHOLDERS:
        return None
    match = _TIME.match(value)
    if match is None:
        raise ValueError(f"not a race time: {text!r}")
    minutes, seconds = match.groups()
    return round(int(minutes or 0) * 60 + float(seconds), 3)


_BODY_WEIGHT = re.compile(r"^(\d{2,4})(?:kg)?(?:\(([^)]*)\))?$")


def parse_body_weight(text: str) -> tuple[int | None, int | None]:
    """``"448(+14)"`` → (448, 14), ``"436(0)"`` → (436, 0), ``"計不"``/empty → (None, None).

    A weight whose change is not a number (``"450(前計不)"``, ``"450(初)"``) keeps
    the weight and gives ``None`` for the change.
    """
    value = text.strip()
    weight, paren, rest = value.partition("(")
    if paren and weight.isdecimal() and rest.endswith(")"):  # "448(+14)", the common case
        diff = rest[:-1]
        return int(weight), int(diff) if diff.lstrip("+-").isdecimal() else None
    value = squash(value)
    if value in _PLACEHOLDERS:
        return None, None
    match = _BODY_WEIGHT.match(value)
    if match is None:
        raise ValueError(f"not a body weight: {text!r}")
    weight, diff = match.groups()
    diff_value: int | None = None
    if diff and re.fullmatch(r"[+-]?\d{1,3}", diff):
        diff_value = int(diff)
    return int(weight), diff_value


# Typed once here: typing.cast is a real call, too dear per runner.
_SEX = cast("dict[str, Sex]", vocab.SEX)


def parse_sex(label: str) -> Sex | None:
    """牡/牝/セ → colt/filly/gelding; anything else None (used to pick the sex out of a list)."""
    return cast("Sex | None", vocab.SEX.get(squash(label)))


def parse_sex_age(text: str) -> tuple[Sex | None, int | None]:
    """``"牝3"`` → ("filly", 3), ``"セ10"`` → ("gelding", 10); empty → (None, None)."""
    value = text.strip()
    if not value[1:].isdecimal():  # not the plain "牝3": normalise, look for placeholders
        value = squash(value)
        if value in _PLACEHOLDERS:
            return None, None
    sex = _SEX.get(value[:1])
    age = value[1:]
    if sex is None or not age.isdecimal():
        raise ValueError(f"not a sex-age: {text!r}")
    return sex, int(age)


# race.netkeiba.com spells the statuses out; db.netkeiba uses one character.
_LONG_STATUS: dict[str, FinishStatus] = {
    "取消": "scratched",
    "除外": "excluded",
    "中止": "pulled_up",
    "失格": "disqualified",
}
_DEMOTED = re.compile(r"^(\d{1,2})\(降\)$|^\(降\)(\d{1,2})$|^降(\d{1,2})$")


def parse_finish(text: str) -> tuple[int | None, FinishStatus | None]:
    """The 着順 cell: a position and a status.

    ``"1"`` → (1, "finished"); ``"中"``/``"中止"`` → (None, "pulled_up");
    ``"取"``/``"取消"`` → (None, "scratched"); ``"除"``/``"除外"`` → (None, "excluded");
    ``"失"``/``"失格"`` → (None, "disqualified"); ``"3(降)"`` → (3, "demoted");
    ``"1着"`` (smartphone layout) → (1, "finished"); empty → (None, None).
    """
    value = text.strip()
    if value.isdecimal():
        return int(value), "finished"
    value = squash(value).removesuffix("着")
    if value == "":
        return None, None
    if value.isdecimal():
        return int(value), "finished"
    status = vocab.FINISH_STATUS.get(value) or _LONG_STATUS.get(value)
    if status is not None:
        return None, cast(FinishStatus, status)
    match = _DEMOTED.match(value)
    if match is not None:
        position = next(group for group in match.groups() if group)
        return int(position), "demoted"
    raise ValueError(f"not a finish position: {text!r}")


def parse_margin(text: str) -> str | None:
    """The 着差 cell as printed ("クビ", "1.1/4", "大", "同着"); empty → None.

    Kept as text (see :class:`~forecast_keiba.netkeiba.model.Entry`); use
    :func:`margin_lengths` for a number.
    """
    value = text.strip()
    if not value:
        return None
    return squash(value)


# Conventional lengths of netkeiba's word margins (ハナ: nose, アタマ: head, クビ: neck).
_MARGIN_WORDS = {"同着": 0.0, "ハナ": 0.05, "アタマ": 0.1, "クビ": 0.25, "大": 10.0}
_MARGIN = re.compile(r"^(?:(\d+)\.)?(?:(\d+)/(\d+))$|^(\d+)$")


def margin_lengths(margin: str | None) -> float | None:
    """A printed margin in horse lengths: ``"1.1/4"`` → 1.25, ``"3/4"`` → 0.75, ``"クビ"`` → 0.25.

    ``"大"`` (ten lengths or more) is 10.0. Returns None for None and for
    anything that is not a length (e.g. the horse-results page's time gaps).
    """
    if margin is None:
        return None
    value = squash(margin)
    if value in _MARGIN_WORDS:
        return _MARGIN_WORDS[value]
    match = _MARGIN.match(value)
    if match is None:
        return None
    whole, numerator, denominator, integer = match.groups()
    if integer is not None:
        return float(integer)
    if int(denominator) == 0:
        return None
    return int(whole or 0) + int(numerator) / int(denominator)


def parse_yen(text: str) -> int:
    """A payout amount: ``"1,100"`` / ``"1,100円"`` → 1100. Never empty."""
    value = text.strip().replace(",", "")
    if value.isdecimal():
        return int(value)
    value = squash(value).removesuffix("円").replace(",", "")
    if not value.isdecimal():
        raise ValueError(f"not a payout amount: {text!r}")
    return int(value)


_NUMBERS = re.compile(r"\d+")
_COMBINATION = re.compile(r"^\d+(?:\s*(?:-|→|>|ー|－|=)\s*\d+)*$")


def parse_combination(text: str) -> tuple[int, ...]:
    """A winning combination: ``"3"`` → (3,), ``"3 - 6"`` → (3, 6), ``"3 → 6 → 11"`` → (3, 6, 11).

    Dashes mean an unordered bet, arrows an ordered one; the bet type says
    which, so both become a plain tuple in printed order.
    """
    value = text.strip()
    if value.isdecimal():
        return (int(value),)
    if value[:1].isdecimal() and value[-1:].isdecimal() and "_" not in value:
        try:  # int() ignores the spaces around "3 - 6"; anything else falls through
            return tuple(map(int, value.replace("→", "-").split("-")))
        except ValueError:
            pass
    value = clean(value)
    if not _COMBINATION.match(value):
        raise ValueError(f"not a combination: {text!r}")
    return tuple(int(number) for number in _NUMBERS.findall(value))


def split_multi(text: str) -> list[str]:
    """The values of a multi-value cell whose ``<br>``-separated parts were joined
    with newlines ("1\n3\n4" for 複勝's horses), blank parts dropped."""
    if "\n" not in text:  # one value, as in most payout cells
        value = text.strip()
        return [value] if value else []
    return [part for part in map(str.strip, text.split("\n")) if part]


_JP_DATE = re.compile(r"(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日")
_SLASH_DATE = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")


def find_jp_date(text: str) -> dt.date | None:
    """The first ``2019年7月27日`` / ``2019年07月27日`` in ``text``.

    None if there is none or it is impossible (the no-race page prints ``年月日``).
    """
    match = _JP_DATE.search(text)
    return _date(*match.groups()) if match else None


def parse_slash_date(text: str) -> dt.date | None:
    """``"2020/08/15"`` → date; empty → None; anything else raises ValueError."""
    value = squash(text)
    if value == "":
        return None
    match = _SLASH_DATE.fullmatch(value)
    day = _date(*match.groups()) if match else None
    if day is None:
        raise ValueError(f"not a date: {text!r}")
    return day


def parse_compact_date(text: str) -> dt.date | None:
    """``"20221221"`` → date; None when not a valid YYYYMMDD."""
    if len(text) != 8 or not text.isdecimal():
        return None
    return _date(text[:4], text[4:6], text[6:])


def _date(year: str, month: str, day: str) -> dt.date | None:
    """A date from its printed parts; None for impossible ones (2021年2月30日)."""
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def weather(label: str) -> Weather | None:
    """天候 label → code; unknown labels are None (weather is never a required cell)."""
    return cast("Weather | None", vocab.WEATHER.get(squash(label)))


def going(label: str) -> Going | None:
    """馬場 label (良, 稍重/稍, 重, 不良/不) → code; unknown → None."""
    return cast("Going | None", vocab.GOING.get(squash(label)))


# ---------------------------------------------------------------- course / race conditions

# Longest labels first so "障芝ダ" is not read as "障芝".
_SURFACES = sorted(vocab.SURFACE, key=len, reverse=True)
_COURSE = re.compile(
    r"(?P<surface>" + "|".join(_SURFACES) + r"|障)"
    r"(?P<pre>(?:[^\d/()]|\d周)*?)\s*(?P<distance>\d{3,4})\s*m?"
    r"(?:\s*\((?P<post>[^)]*)\))?"
)
# "障" alone (the horse-results table prints "障2860") does not say which
# surface; JRA jump courses are turf with dirt crossings, so turf is the
# closest code the model has.
_JUMP_ONLY: Surface = "jump_turf"


@dataclass(frozen=True)
class Course:
    """Surface, distance and direction read from "芝右1800m", "ダ1700m (右)", "障2860"."""

    surface: Surface | None
    distance_m: int | None
    direction: Direction | None


def parse_course(text: str) -> Course | None:
    """The course part of a race-conditions text, or None if there is none.

    Accepts db.netkeiba's "芝右1800m", "ダ左1400m", "芝右 外2200m", "芝直線1000m",
    "障芝 外-内3000m", "障芝2880m", race.netkeiba's "ダ1700m (右)", "芝1800m (右 外 A)"
    and the horse-results table's "ダ1400" / "障2860".
    """
    match = _COURSE.search(text)
    if match is None:
        return None
    label = match["surface"]
    surface = _JUMP_ONLY if label == "障" else cast(Surface, vocab.SURFACE[label])
    direction = _direction(match["pre"] or "") or _direction(match["post"] or "")
    return Course(surface, int(match["distance"]), direction)


def _direction(text: str) -> Direction | None:
    """ "右", "右 外", "右外", "右 内2周", "直線", "左 A" → code; "外-内" (jump) → None."""
    value = squash(text)
    if value.startswith("直"):
        return "straight"
    base = value[:1]
    if base not in ("右", "左"):
        return None
    rest = value[1:]
    key = base + rest[:1] if rest[:1] in ("外", "内") else base
    return cast(Direction, vocab.DIRECTION.get(key) or vocab.DIRECTION[base])


@dataclass(frozen=True)
class RaceConditions:
    """Everything in a race-conditions line besides the race name."""

    surface: Surface | None = None
    distance_m: int | None = None
    direction: Direction | None = None
    weather: Weather | None = None
    going: Going | None = None
    start_time: str | None = None


_WEATHER_ITEM = re.compile(r"天候\s*[:：]\s*([^\s/]+)")
_GOING_ITEM = re.compile(r"(?:芝|ダート|ダ|馬場|障害)\s*[:：]\s*([^\s/]+)")
_START = re.compile(r"発走\s*[:：]\s*(\d{1,2}:\d{2})|(\d{1,2}:\d{2})\s*発走")


def parse_race_conditions(text: str) -> RaceConditions:
    """Parse a race-conditions line from either site.

    db.netkeiba: ``"ダ左1400m / 天候 : 晴 / ダート : 良 / 発走 : 10:05"``;
    race.netkeiba: ``"10:25発走 / ダ1700m (右) / 天候:曇 / 馬場:良"``. Parts that
    are missing (cards before the weather is announced) are None.
    """
    value = clean(text)
    course = parse_course(value)
    weather_match = _WEATHER_ITEM.search(value)
    going_match = _GOING_ITEM.search(value)
    start_match = _START.search(value)
    start_time = None
    if start_match is not None:
        start_time = (start_match.group(1) or start_match.group(2)).zfill(5)
    return RaceConditions(
        surface=course.surface if course else None,
        distance_m=course.distance_m if course else None,
        direction=course.direction if course else None,
        weather=weather(weather_match.group(1)) if weather_match else None,
        going=going(going_match.group(1)) if going_match else None,
        start_time=start_time,
    )


# ---------------------------------------------------------------- ids in links

# netkeiba ids are alphanumeric ("000a00033a" for foreign horses, "a0247" for
# NAR jockeys) with a fixed length per kind; the length keeps "/race/list/"
# from being read as race id "list".
_ID_LENGTH = {"horse": "10", "race": "12", "jockey": "5", "trainer": "5", "owner": "4,8",
              "breeder": "4,8"}  # fmt: skip
_PATH_IDS = {
    kind: re.compile(
        rf"/{kind}/(?:result/recent/|result/|ped/|sire/|mare/)?([0-9A-Za-z]{{{length}}})(?:[/?#&]|$)"
    )
    for kind, length in _ID_LENGTH.items()
}
_QUERY_IDS = {
    kind: re.compile(rf"[?&;](?:id|race_id)=([0-9A-Za-z]{{{length}}})(?:[&#]|$)")
    for kind, length in _ID_LENGTH.items()
}


def link_id(href: str | None, kind: str) -> str | None:
    """The id of a ``kind`` ("horse", "jockey", "trainer", ...) in a netkeiba link.

    Understands ``/horse/2019105096/``, ``https://db.netkeiba.com/horse/2017104334``,
    ``/jockey/result/recent/01170/``, ``/jockey/01170/``, ``/trainer/01088/`` and the
    query forms ``?pid=jockey_detail&id=01170`` / ``shutuba.html?race_id=...``.
    """
    if not href:
        return None
    match = _PATH_IDS[kind].search(href)
    if match is not None:
        return match.group(1)
    if kind in href:
        query = _QUERY_IDS[kind].search(href)
        if query is not None:
            return query.group(1)
    return None
