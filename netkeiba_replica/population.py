"""The people and horses of the synthetic world, as numpy columns.

Horses carry the latent traits the simulation scores them on (ability,
preferred distance, surface and going affinity, age curve) and the state that
makes careers (starts, wins -> class, resting until, retirement). The arrays
grow as newcomers are foaled in, so one index names one horse for the whole
world and horse ids stay stable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from netkeiba_replica import names

SEX_LABELS = ("colt", "filly", "gelding")
COLOURS = ("鹿毛", "黒鹿毛", "栗毛", "青鹿毛", "芦毛", "栃栗毛", "青毛")
_COLOUR_P = (0.38, 0.2, 0.22, 0.07, 0.07, 0.04, 0.02)


@dataclass
class People:
    """Jockeys, trainers, owners, breeders: small fixed tables."""

    jockey_ids: list[str]
    jockey_names: list[str]
    jockey_short: list[str]
    jockey_skill: np.ndarray  # log-strength bonus
    jockey_demand: np.ndarray  # how often a jockey gets rides (top jockeys ride more)
    jockey_allowance: np.ndarray  # apprentice weight allowance in kg (0 for seniors)
    trainer_ids: list[str]
    trainer_names: list[str]
    trainer_short: list[str]
    trainer_skill: np.ndarray
    trainer_east: np.ndarray  # True: Miho ("[東]", "美浦"), False: Ritto ("[西]", "栗東")
    owner_ids: list[str]
    owner_names: list[str]
    breeder_ids: list[str]
    breeder_names: list[str]


@dataclass
class Stallions:
    """The sire pool, with the two ancestors the profile's blood table prints."""

    ids: list[str]
    names: list[str]
    sire_ids: list[str]
    sire_names: list[str]
    dam_ids: list[str]
    dam_names: list[str]


def make_people(rng: np.random.Generator, n_jockeys: int, n_trainers: int) -> People:
    j_names = names.person_names(rng, n_jockeys, foreign_share=0.03)
    t_names = names.person_names(rng, n_trainers)
    j_ids = _distinct_codes(rng, n_jockeys, lambda k: f"0{1000 + k % 9000:04d}"[-5:])
    t_ids = _distinct_codes(rng, n_trainers, lambda k: f"{1000 + k % 9000:05d}")
    skill = rng.normal(0.0, 0.18, n_jockeys).astype(np.float32)
    allowance = np.where(rng.random(n_jockeys) < 0.15, rng.integers(1, 4, n_jockeys), 0)
    skill = np.where(allowance > 0, skill - 0.1, skill).astype(np.float32)
    demand = np.exp(1.5 * skill + rng.normal(0, 0.3, n_jockeys)).astype(np.float64)
    n_owners, n_breeders = max(50, 4 * n_trainers), max(30, 2 * n_trainers)
    owner_names = [
        w + s
        for w, s in zip(
            names.katakana_names(rng, n_owners),
            rng.choice(["", "レーシング", "ファーム", "ホールディングス", "", ""], n_owners),
            strict=True,
        )
    ]
    breeder_names = [w + "牧場" for w in names.katakana_names(rng, n_breeders)]
    return People(
        jockey_ids=j_ids,
        jockey_names=j_names,
        jockey_short=names.short_names(j_names),
        jockey_skill=skill,
        jockey_demand=demand,
        jockey_allowance=allowance.astype(np.int8),
        trainer_ids=t_ids,
        trainer_names=t_names,
        trainer_short=names.short_names(t_names),
        trainer_skill=rng.normal(0.0, 0.1, n_trainers).astype(np.float32),
        trainer_east=rng.random(n_trainers) < 0.5,
        owner_ids=_distinct_codes(rng, n_owners, lambda k: f"{k % 1000000:06d}"),
        owner_names=owner_names,
        breeder_ids=_distinct_codes(rng, n_breeders, lambda k: f"{k % 1000000:06d}"),
        breeder_names=breeder_names,
    )


def make_stallions(rng: np.random.Generator, n: int, taken: set[str]) -> Stallions:
    stallion_names = names.katakana_names(rng, n, taken)
    sire_names = names.katakana_names(rng, n, taken)
    dam_names = names.katakana_names(rng, n, taken)
    years = rng.integers(1995, 2015, n)
    ids = [
        f"000a{v:06x}" if rng.random() < 0.3 else f"{y}{100000 + v % 9000:06d}"
        for y, v in zip(years, rng.integers(0, 0xFFFFFF, n), strict=True)
    ]
    sire_ids = [f"000a{v:06x}" for v in rng.integers(0, 0xFFFFFF, n)]
    dam_ids = [
        f"{y - 8}{100000 + v % 9000:06d}"
        for y, v in zip(years, rng.integers(0, 9000, n), strict=True)
    ]
    return Stallions(ids, stallion_names, sire_ids, sire_names, dam_ids, dam_names)


@dataclass
class Horses:
    """Column store of every horse ever in the world (active or retired)."""

    capacity: int
    n: int = 0
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    taken_names: set[str] = field(default_factory=set)
    serial_by_year: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = self.capacity
        self.birth = np.zeros(c, np.int32)  # date ordinal
        self.birth_year = np.zeros(c, np.int16)
        self.sex = np.zeros(c, np.int8)
        self.colour = np.zeros(c, np.int8)
        self.ability = np.zeros(c, np.float32)
        self.log_pref_dist = np.zeros(c, np.float32)
        self.turf_aff = np.zeros(c, np.float32)
        self.mud = np.zeros(c, np.float32)
        self.peak_age = np.zeros(c, np.float32)
        self.jumper = np.zeros(c, bool)
        self.trainer = np.zeros(c, np.int16)
        self.owner = np.zeros(c, np.int32)
        self.breeder = np.zeros(c, np.int32)
        self.sire = np.zeros(c, np.int16)
        self.damsire = np.zeros(c, np.int16)
        self.dam_serial = np.zeros(c, np.int32)
        self.body_weight = np.zeros(c, np.int16)
        self.starts = np.zeros(c, np.int16)
        self.wins = np.zeros(c, np.int16)
        self.next_free = np.zeros(c, np.int32)
        self.active = np.zeros(c, bool)
        self.retire_after_starts = np.zeros(c, np.int16)
        self.retire_age = np.zeros(c, np.int8)

    def _grow(self, need: int) -> None:
        if need <= self.capacity:
            return
        new_cap = max(need, int(self.capacity * 1.5) + 16)
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.shape[0] == self.capacity:
                grown = np.zeros(new_cap, value.dtype)
                grown[: self.capacity] = value
                setattr(self, name, grown)
        self.capacity = new_cap

    def add(
        self,
        rng: np.random.Generator,
        count: int,
        birth_years: np.ndarray,
        today: dt.date,
        people: People,
        stallions: Stallions,
        jumper_share: float,
    ) -> np.ndarray:
        """Foal in ``count`` horses born in ``birth_years``; returns their indices."""
        if count <= 0:
            return np.zeros(0, np.int64)
        start = self.n
        self._grow(start + count)
        idx = np.arange(start, start + count)
        doy = rng.integers(31, 150, count)
        self.birth_year[idx] = birth_years
        self.birth[idx] = [
            dt.date(int(y), 1, 1).toordinal() + int(d)
            for y, d in zip(birth_years, doy, strict=True)
        ]
        sex = rng.choice(3, count, p=(0.5, 0.44, 0.06))
        self.sex[idx] = sex
        self.colour[idx] = rng.choice(len(COLOURS), count, p=_COLOUR_P)
        self.ability[idx] = rng.normal(0.0, 1.0, count)
        self.log_pref_dist[idx] = np.log(
            np.clip(rng.lognormal(np.log(1700), 0.22, count), 1000, 3600)
        )
        self.turf_aff[idx] = rng.normal(0.0, 0.5, count)
        self.mud[idx] = rng.normal(0.0, 0.2, count)
        self.peak_age[idx] = rng.normal(4.5, 0.7, count)
        self.jumper[idx] = rng.random(count) < jumper_share
        self.trainer[idx] = rng.integers(0, len(people.trainer_ids), count)
        self.owner[idx] = rng.integers(0, len(people.owner_ids), count)
        self.breeder[idx] = rng.integers(0, len(people.breeder_ids), count)
        self.sire[idx] = rng.integers(0, len(stallions.ids), count)
        self.damsire[idx] = rng.integers(0, len(stallions.ids), count)
        self.dam_serial[idx] = rng.integers(0, 9000, count)
        base = rng.normal(472, 26, count) - 14 * (sex == 1)
        self.body_weight[idx] = np.clip(np.round(base / 2) * 2, 380, 580)
        self.next_free[idx] = today.toordinal()
        self.active[idx] = True
        self.retire_after_starts[idx] = 4 + rng.geometric(1 / 14, count)
        self.retire_age[idx] = rng.integers(5, 11, count)
        for y in birth_years:
            serial = self.serial_by_year.get(int(y), 0)
            self.serial_by_year[int(y)] = serial + 1
            self.ids.append(f"{int(y)}{100001 + serial:06d}")
        self.names.extend(names.katakana_names(rng, count, self.taken_names))
        self.n = start + count
        return idx


def _distinct_codes(rng: np.random.Generator, n: int, fmt) -> list[str]:
    picks = rng.choice(9000, size=n, replace=False) if n <= 9000 else np.arange(n)
    return [fmt(int(k) + 1000) for k in picks]
