"""Turning a world's numpy rows into page-model objects and render contexts.

Kept apart from :mod:`world` so the generator and the (lazy, per request)
presentation can change independently.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

import numpy as np

from forecast_keiba.netkeiba.model import (
    Entry,
    HorseProfilePage,
    HorseRaceRow,
    RaceCardPage,
    RaceInfo,
    RaceResultPage,
)
from forecast_keiba.netkeiba.race_id import JRA_VENUES
from netkeiba_replica import conditions as cond
from netkeiba_replica.calendar import Meeting
from netkeiba_replica.context import (
    DayContext,
    HorseContext,
    HorseRowExtra,
    MeetingSummary,
    RaceContext,
    RaceSummary,
)
from netkeiba_replica.payouts import race_payouts
from netkeiba_replica.population import COLOURS, SEX_LABELS, Horses, People, Stallions
from netkeiba_replica.simulate import (
    DEMOTED,
    EXCLUDED,
    FINISHED,
    MARGINS,
    SCRATCHED,
    STATUS_CODES,
)


class _Config(Protocol):
    seed: int
    sell_bracket_exacta: bool


class World(Protocol):
    """What the views read of a world: ``netkeiba_replica.world.World`` has it all. A
    protocol, so that the world imports its views and the views never import the world."""

    config: _Config
    races: dict[str, np.ndarray]
    entries: dict[str, np.ndarray]
    entry_race: np.ndarray
    race_ids: tuple[str, ...]
    horses: Horses
    people: People
    stallions: Stallions
    special_names: list[str]
    stakes_names: list[str]

    @property
    def today(self) -> dt.date: ...

    def racing_days(self) -> tuple[dt.date, ...]: ...

    def race_indices_on(self, day: dt.date) -> list[int]: ...

    def horse_entry_index(self) -> tuple[np.ndarray, np.ndarray]: ...


_GRADE = re.compile(r"\((G1|G2|G3|L)\)$")
_PRIZE = (510, 510, 750, 1000, 1500, 2200)  # winner's prize by level, 10k yen
_WEATHER_LABEL = ("晴", "曇", "雨", "小雨", "雪", "小雪")
_GOING_SHORT = ("良", "稍", "重", "不")
_SURFACE_SHORT = ("芝", "ダ", "障")


def race_name(world: World, r: int) -> str:
    """h1 name of a race: its special/stakes name or else its class."""
    races = world.races
    level, special, jump = int(races["level"][r]), int(races["special"][r]), bool(races["jump"][r])
    label = cond.class_label(int(races["age_group"][r]), level, jump)
    if special < 0:
        return label
    if jump:
        base = world.special_names[special % len(world.special_names)]
        return base.removesuffix("特別").removesuffix("ステークス") + "ジャンプステークス"
    if level == cond.OPEN:
        return world.stakes_names[special % len(world.stakes_names)]
    return world.special_names[special % len(world.special_names)]


def race_info(world: World, r: int, *, card: bool = False) -> RaceInfo:
    races = world.races
    rid = world.race_ids[r]
    upcoming = bool(races["upcoming"][r])
    surface = int(races["surface"][r])
    direction = int(races["direction"][r])
    name = race_name(world, r)
    if card:
        name = _GRADE.sub("", name)
    hide = card and upcoming
    return RaceInfo(
        race_id=rid,
        date=dt.date.fromordinal(int(races["date"][r])),
        name=name,
        surface=cond.SURFACES[surface],  # type: ignore[arg-type]
        distance_m=int(races["distance"][r]),
        direction=None if direction < 0 else cond.DIRECTIONS[direction],  # type: ignore[arg-type]
        weather=None if hide else cond.WEATHERS[int(races["weather"][r])],  # type: ignore[arg-type]
        going=None if hide else cond.GOINGS[int(races["going"][r])],  # type: ignore[arg-type]
        start_time=_meeting(world, r).post_time(int(races["number"][r])),
        venue_code=rid[4:6],
        race_number=int(races["number"][r]),
    )


def _meeting(world: World, r: int) -> Meeting:
    races = world.races
    return Meeting(
        dt.date.fromordinal(int(races["date"][r])),
        f"{int(races['venue'][r]):02d}",
        int(races["kai"][r]),
        int(races["nichi"][r]),
        12,
        int(races["order"][r]),
    )


def _entry(world: World, e: int, *, card: bool, upcoming: bool) -> Entry:
    ent, h, p = world.entries, world.horses, world.people
    horse = int(ent["horse"][e])
    jockey = int(ent["jockey"][e])
    trainer = int(h.trainer[horse])
    status = int(ent["status"][e])
    started = status not in (SCRATCHED, EXCLUDED)
    weighed = int(ent["body_weight"][e]) > 0 and not (card and upcoming)
    common = dict(
        horse_number=int(ent["number"][e]),
        bracket=int(ent["bracket"][e]),
        horse_id=h.ids[horse],
        horse_name=h.names[horse],
        jockey_id=p.jockey_ids[jockey],
        trainer_id=p.trainer_ids[trainer],
        sex=SEX_LABELS[int(h.sex[horse])],
        age=int(ent["age"][e]),
        weight_carried=int(ent["weight10"][e]) / 10,
        win_odds=int(ent["odds10"][e]) / 10 if started and not upcoming else None,
        popularity=int(ent["popularity"][e]) if started and not upcoming else None,
        body_weight=int(ent["body_weight"][e]) if weighed else None,
        body_weight_diff=int(ent["body_diff"][e]) if weighed else None,
        jockey_name=(p.jockey_short if card else p.jockey_names)[jockey],
        trainer_name=(p.trainer_short if card else p.trainer_names)[trainer],
    )
    if card:
        return Entry(**common)  # type: ignore[arg-type]
    timed = status in (FINISHED, DEMOTED)
    margin = int(ent["margin"][e])
    return Entry(
        **common,  # type: ignore[arg-type]
        finish_position=int(ent["position"][e]) if timed else None,
        finish_status=STATUS_CODES[status],  # type: ignore[arg-type]
        time_s=int(ent["time10"][e]) / 10 if timed else None,
        margin=MARGINS[margin] if margin >= 0 else None,
    )


def result_page(world: World, r: int) -> RaceResultPage:
    start, size = int(world.races["start"][r]), int(world.races["size"][r])
    rows = range(start, start + size)
    entries = tuple(_entry(world, e, card=False, upcoming=False) for e in rows)
    ent = world.entries
    idx = np.arange(start, start + size)
    starters = idx[(ent["status"][idx] != SCRATCHED) & (ent["status"][idx] != EXCLUDED)]
    st = ent["status"][starters]
    payouts = race_payouts(
        numbers=ent["number"][starters].astype(np.int64),
        brackets=ent["bracket"][starters].astype(np.int64),
        positions=np.where((st == FINISHED) | (st == DEMOTED), ent["position"][starters], 0),
        p_public=ent["p_public"][starters].astype(np.float64),
        odds10=ent["odds10"][starters],
        popularity=ent["popularity"][starters],
        n_entries=size,
        sell_bracket_exacta=world.config.sell_bracket_exacta,
    )
    rid = world.race_ids[r]
    return RaceResultPage(
        source=f"replica:race/{rid}", race=race_info(world, r), entries=entries, payouts=payouts
    )


def race_card(world: World, r: int) -> RaceCardPage:
    start, size = int(world.races["start"][r]), int(world.races["size"][r])
    upcoming = bool(world.races["upcoming"][r])
    rows = sorted(range(start, start + size), key=lambda e: int(world.entries["number"][e]))
    entries = tuple(_entry(world, e, card=True, upcoming=upcoming) for e in rows)
    rid = world.race_ids[r]
    return RaceCardPage(
        source=f"replica:shutuba/{rid}", race=race_info(world, r, card=True), entries=entries
    )


def race_context(world: World, r: int) -> RaceContext:
    races, ent, h, p = world.races, world.entries, world.horses, world.people
    day = dt.date.fromordinal(int(races["date"][r]))
    venue = f"{int(races['venue'][r]):02d}"
    level = int(races["level"][r])
    special = int(races["special"][r]) >= 0
    same_day = [i for i in world.race_indices_on(day)]
    meeting_ids = tuple(
        world.race_ids[i] for i in same_day if int(races["venue"][i]) == int(races["venue"][r])
    )
    day_meetings: list[tuple[str, str]] = []
    for i in same_day:
        v = f"{int(races['venue'][i]):02d}"
        if any(JRA_VENUES[v] == name for name, _ in day_meetings):
            continue
        same_no = [
            j
            for j in same_day
            if int(races["venue"][j]) == int(v) and races["number"][j] == races["number"][r]
        ]
        day_meetings.append((JRA_VENUES[v], world.race_ids[same_no[0] if same_no else i]))
    start, size = int(races["start"][r]), int(races["size"][r])
    idx = np.arange(start, start + size)
    horses = ent["horse"][idx]
    hid = [h.ids[int(x)] for x in horses]
    trainers = {
        p.trainer_ids[int(h.trainer[x])]: bool(p.trainer_east[int(h.trainer[x])]) for x in horses
    }
    owners = {
        hid[k]: (p.owner_ids[int(h.owner[x])], p.owner_names[int(h.owner[x])])
        for k, x in enumerate(horses)
    }
    plain = not special and level < cond.OPEN and not races["handicap"][r] and not races["jump"][r]
    allowance = {}
    if plain:
        for j in ent["jockey"][idx]:
            kg = int(p.jockey_allowance[int(j)])
            if kg:
                allowance[p.jockey_ids[int(j)]] = kg
    passing, last3f, prize, laps, corners = _running(world, r, idx, hid)
    name = race_name(world, r)
    grade = _GRADE.search(name)
    return RaceContext(
        venue_name=JRA_VENUES[venue],
        kai=int(races["kai"][r]),
        nichi=int(races["nichi"][r]),
        class_label=cond.class_label(int(races["age_group"][r]), level, bool(races["jump"][r])),
        conditions=cond.conditions_text(
            level, bool(races["fillies"][r]), bool(races["handicap"][r]), special
        ),
        grade=grade.group(1) if grade else None,
        meeting_race_ids=meeting_ids,
        day_meetings=tuple(day_meetings),
        field_size=size,
        trainer_east=trainers,
        owners=owners,
        allowance=allowance,
        passing=passing,
        last3f=last3f,
        prize=prize,
        laps=laps,
        corners=corners,
    )


def _running(world: World, r: int, idx: np.ndarray, hid: list[str]):
    """Decoration drawn from a per-race generator: passing orders, last 600 m,
    prize money, lap times, corner orders (consistent with the finishing order)."""
    races, ent = world.races, world.entries
    rng = np.random.default_rng([world.config.seed, 7, r])
    upcoming = bool(races["upcoming"][r])
    if upcoming:
        return {}, {}, {}, (), ()
    status = ent["status"][idx]
    cross = ent["cross_rank"][idx].astype(float)
    started = cross >= 0
    n = int(started.sum())
    distance = int(races["distance"][r])
    n_corners = 2 if distance <= 1400 else 4
    style = rng.random(idx.size)
    passing: dict[str, str] = {}
    last3f: dict[str, str] = {}
    corner_orders = []
    for c in range(n_corners):
        w = (c + 1) / (n_corners + 1)
        key = (1 - w) * style * n + w * cross + rng.normal(0, 1.0, idx.size)
        key = np.where(started, key, np.inf)
        corner_orders.append(np.argsort(np.argsort(key)) + 1)
    win_time = ent["time10"][idx][ent["position"][idx] == 1]
    base3f = 34.0 if races["surface"][r] == 0 else 37.0 if races["surface"][r] == 1 else 38.5
    for k in range(idx.size):
        if not started[k]:
            continue
        passing[hid[k]] = "-".join(str(int(o[k])) for o in corner_orders)
        if status[k] in (FINISHED, DEMOTED):
            last3f[hid[k]] = f"{base3f + 0.12 * cross[k] + rng.normal(0, 0.4):.1f}"
    prize = {}
    level = int(races["level"][r])
    for k in range(idx.size):
        pos = int(ent["position"][idx[k]])
        if status[k] in (FINISHED, DEMOTED) and 1 <= pos <= 5:
            prize[hid[k]] = f"{_PRIZE[level] * (1, 0.4, 0.25, 0.15, 0.1)[pos - 1]:.1f}"
    laps: tuple[float, ...] = ()
    if win_time.size:
        total = int(win_time[0]) / 10
        n_laps = -(-distance // 200)
        shares = np.full(n_laps, 1.0) + rng.normal(0, 0.03, n_laps)
        shares[0] *= 1.05 * (distance - 200 * (n_laps - 1)) / 200
        laps_arr = np.round(shares / shares.sum() * total, 1)
        laps = tuple(float(x) for x in laps_arr)
    numbers = ent["number"][idx]
    corners = []
    labels = ("1コーナー", "2コーナー", "3コーナー", "4コーナー")[-n_corners:]
    for label, order in zip(labels, corner_orders, strict=True):
        seq = [int(numbers[k]) for k in np.argsort(order) if started[k]]
        corners.append((label, _corner_text(rng, seq)))
    return passing, last3f, prize, laps, tuple(corners)


def _corner_text(rng: np.random.Generator, seq: list[int]) -> str:
    """netkeiba's corner notation: ``1(4,3)6(5,8)-2`` (parentheses = abreast)."""
    out, k = [], 0
    while k < len(seq):
        if k + 1 < len(seq) and rng.random() < 0.3:
            out.append(f"({seq[k]},{seq[k + 1]})")
            k += 2
        else:
            out.append(str(seq[k]))
            k += 1
        if k < len(seq):
            out.append(
                rng.choice(["", ",", "-"], p=[0.2, 0.65, 0.15]) if not out[-1].endswith(")") else ""
            )
    return "".join(out)


def day_context(world: World, day: dt.date, include_upcoming: bool) -> DayContext:
    races, ent, h, p = world.races, world.entries, world.horses, world.people
    meetings: dict[int, list[RaceSummary]] = {}
    meta: dict[int, tuple[int, int, int, int]] = {}
    for r in world.race_indices_on(day):
        if races["upcoming"][r] and not include_upcoming:
            continue
        v = int(races["venue"][r])
        start, size = int(races["start"][r]), int(races["size"][r])
        placed = []
        if not races["upcoming"][r]:
            for e in range(start, start + size):
                if int(ent["position"][e]) in (1, 2, 3) and ent["status"][e] in (FINISHED, DEMOTED):
                    x, j = int(ent["horse"][e]), int(ent["jockey"][e])
                    placed.append((h.ids[x], h.names[x], p.jockey_ids[j], p.jockey_names[j]))
        surface = int(races["surface"][r])
        meetings.setdefault(v, []).append(
            RaceSummary(
                race_id=world.race_ids[r],
                race_number=int(races["number"][r]),
                name=race_name(world, r),
                course=f"{_SURFACE_SHORT[surface]}{int(races['distance'][r])}m",
                field_size=size,
                start_time=_meeting(world, r).post_time(int(races["number"][r])),
                surface_class=("Shiba", "Dart", "Shogai")[surface],
                placed=tuple(placed[:3]),
            )
        )
        meta[v] = (
            int(races["kai"][r]),
            int(races["nichi"][r]),
            int(races["weather"][r]),
            int(races["going"][r]),
        )
    summaries = tuple(
        MeetingSummary(
            venue_code=f"{v:02d}",
            venue_name=JRA_VENUES[f"{v:02d}"],
            kai=meta[v][0],
            nichi=meta[v][1],
            races=tuple(rs),
            weather=_WEATHER_LABEL[meta[v][2]],
            going_text=f"芝:{_GOING_SHORT[meta[v][3]]}",
        )
        for v, rs in meetings.items()
    )
    month_days = tuple(d for d in world.racing_days() if (d.year, d.month) == (day.year, day.month))
    return DayContext(meetings=summaries, month_racing_days=month_days)


def _horse_rows(world: World, x: int) -> tuple[list[int], list[int]]:
    offsets, order = world.horse_entry_index()
    es = [int(e) for e in order[offsets[x] : offsets[x + 1]]]
    es = [e for e in es if not world.races["upcoming"][world.entry_race[e]]]
    es.reverse()  # most recent first, as on the page
    return es, [int(world.entry_race[e]) for e in es]


def horse_profile(world: World, x: int) -> HorseProfilePage:
    h, p, s = world.horses, world.people, world.stallions
    _, rs = _horse_rows(world, x)
    return HorseProfilePage(
        source=f"replica:horse/{h.ids[x]}",
        horse_id=h.ids[x],
        name=h.names[x],
        sex=SEX_LABELS[int(h.sex[x])],  # type: ignore[arg-type]
        birth_date=dt.date.fromordinal(int(h.birth[x])),
        trainer_id=p.trainer_ids[int(h.trainer[x])],
        owner_id=p.owner_ids[int(h.owner[x])],
        breeder_id=p.breeder_ids[int(h.breeder[x])],
        sire_id=s.ids[int(h.sire[x])],
        dam_id=_dam_id(world, x),
        damsire_id=s.ids[int(h.damsire[x])],
        past_race_ids=tuple(world.race_ids[r] for r in rs),
    )


def _dam_id(world: World, x: int) -> str:
    year = int(world.horses.birth_year[x]) - 5 - int(world.horses.dam_serial[x]) % 10
    return f"{year}{100000 + int(world.horses.dam_serial[x]):06d}"


def _dam_name(world: World, x: int) -> str:
    base = world.stallions.dam_names[
        int(world.horses.dam_serial[x]) % len(world.stallions.dam_names)
    ]
    return base + "ヒメ"[: 1 + int(world.horses.dam_serial[x]) % 2]


def horse_context(world: World, x: int) -> HorseContext:
    h, p, s, races, ent = world.horses, world.people, world.stallions, world.races, world.entries
    es, rs = _horse_rows(world, x)
    rows, extras = [], []
    for e, r in zip(es, rs, strict=True):
        start, size = int(races["start"][r]), int(races["size"][r])
        status = int(ent["status"][e])
        timed = status in (FINISHED, DEMOTED)
        started = status not in (SCRATCHED, EXCLUDED)
        pos = int(ent["position"][e])
        times = {
            int(ent["position"][k]): (k, int(ent["time10"][k]))
            for k in range(start, start + size)
            if ent["status"][k] in (FINISHED, DEMOTED) and int(ent["position"][k]) in (1, 2)
        }
        margin = None
        if timed and 1 in times:
            ref = times[2][1] if pos == 1 and 2 in times else times[1][1]
            margin = f"{(int(ent['time10'][e]) - ref) / 10:.1f}"
        other = times.get(2 if pos == 1 else 1)
        venue_code = f"{int(races['venue'][r]):02d}"
        other_h = int(ent["horse"][other[0]]) if other else x
        rows.append(
            HorseRaceRow(
                race_id=world.race_ids[r],
                date=dt.date.fromordinal(int(races["date"][r])),
                venue=f"{int(races['kai'][r])}{JRA_VENUES[venue_code]}{int(races['nichi'][r])}",
                race_name=race_name(world, r),
                field_size=size,
                bracket=int(ent["bracket"][e]),
                horse_number=int(ent["number"][e]),
                win_odds=int(ent["odds10"][e]) / 10 if started else None,
                popularity=int(ent["popularity"][e]) if started else None,
                finish_position=pos if timed else None,
                finish_status=STATUS_CODES[status],  # type: ignore[arg-type]
                jockey_id=p.jockey_ids[int(ent["jockey"][e])],
                weight_carried=int(ent["weight10"][e]) / 10,
                surface=cond.SURFACES[int(races["surface"][r])],  # type: ignore[arg-type]
                distance_m=int(races["distance"][r]),
                going=cond.GOINGS[int(races["going"][r])],  # type: ignore[arg-type]
                time_s=int(ent["time10"][e]) / 10 if timed else None,
                margin=margin,
                body_weight=int(ent["body_weight"][e]) or None,
                body_weight_diff=int(ent["body_diff"][e]) if int(ent["body_weight"][e]) else None,
            )
        )
        extras.append(
            HorseRowExtra(
                weather=_WEATHER_LABEL[int(races["weather"][r])],
                jockey_name=p.jockey_names[int(ent["jockey"][e])],
                winner=(h.ids[other_h], h.names[other_h]),
                venue_code=f"{int(races['venue'][r]):02d}",
                race_number=int(races["number"][r]),
            )
        )
    t = int(h.trainer[x])
    sire = int(h.sire[x])
    age = world.today.year - int(h.birth_year[x])
    return HorseContext(
        active=bool(h.active[x]),
        age=age,
        colour=COLOURS[int(h.colour[x])],
        trainer_name=p.trainer_names[t],
        trainer_east=bool(p.trainer_east[t]),
        owner_name=p.owner_names[int(h.owner[x])],
        breeder_name=p.breeder_names[int(h.breeder[x])],
        sire_name=s.names[sire],
        dam_name=_dam_name(world, x),
        damsire_name=s.names[int(h.damsire[x])],
        sire_parents=((s.sire_ids[sire], s.sire_names[sire]), (s.dam_ids[sire], s.dam_names[sire])),
        dam_dam=(
            f"{int(h.birth_year[x]) - 14}{110000 + int(h.dam_serial[x]):06d}",
            s.dam_names[(int(h.dam_serial[x]) + 7) % len(s.dam_names)],
        ),
        rows=tuple(rows),
        row_extras=tuple(extras),
    )
