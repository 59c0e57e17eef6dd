"""A deterministic synthetic racing world: the replica's data.

``World(WorldConfig(seed=...))`` simulates every racing day up front into
compact numpy columns (a 10-year world is ~35k races, ~450k entries, tens of
MB, generated in seconds) and builds the page model objects only on request.
Same seed and config give the same world, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast_keiba.netkeiba.model import (
    HorseProfilePage,
    NoRacePage,
    RaceCardPage,
    RaceInfo,
    RaceListPage,
    RaceResultPage,
)
from netkeiba_replica import names, views
from netkeiba_replica.calendar import racing_days
from netkeiba_replica.context import DayContext, HorseContext, RaceContext
from netkeiba_replica.population import Horses, make_people, make_stallions
from netkeiba_replica.simulate import Rates, Simulator


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes a world. Same config -> identical world."""

    seed: int = 42
    start_date: dt.date = dt.date(2023, 1, 7)
    n_days: int = 8  # racing days with results (Saturdays and Sundays)
    races_per_day: int = 24  # split over venues of at most 12 races
    upcoming_days: int = 2  # racing days after those: race cards, no results
    horses: int | None = None  # active horse population; default scales with races_per_day
    jockeys: int | None = None
    trainers: int | None = None
    jump_rate: float = 0.03  # share of races that are jump races
    public_noise: float = 0.4  # sd of the public's error on the log-strength scale
    rates: Rates = field(default_factory=Rates)
    sell_bracket_exacta: bool = True  # JRA sells 8 bet types; NAR adds 枠単

    def __post_init__(self) -> None:
        if self.n_days < 0 or self.upcoming_days < 0:
            raise ValueError("n_days and upcoming_days must be >= 0")
        if not 1 <= self.races_per_day <= 120:
            raise ValueError("races_per_day must be in 1..120 (10 venues x 12 races)")
        if self.horses is not None and self.horses < 40 * self.races_per_day:
            raise ValueError("horses must be >= 40 x races_per_day to fill the fields")

    @classmethod
    def from_params(cls, values: Mapping[str, Any]) -> WorldConfig:
        """From Kedro parameters (``source.embedded_replica``): dates as ISO strings."""
        config = dict(values)
        config.pop("faults", None)  # the server's (FaultConfig), not the world's
        if "start_date" in config:
            config["start_date"] = dt.date.fromisoformat(str(config["start_date"]))
        return cls(**config)

    @property
    def active_horses(self) -> int:
        return self.horses or max(600, 330 * self.races_per_day)


class World:
    """The simulated world and its page-model views (see the module docstring)."""

    def __init__(self, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        n_j = cfg.jockeys or max(40, 6 * cfg.races_per_day)
        n_t = cfg.trainers or max(40, 9 * cfg.races_per_day)
        self.people = make_people(rng, n_j, n_t)
        self.horses = Horses(capacity=cfg.active_horses * 2)
        self.stallions = make_stallions(rng, 60, self.horses.taken_names)
        self.special_names, self.stakes_names = names.special_race_names(rng)
        self._seed_population(rng, cfg.active_horses)
        days = racing_days(cfg.start_date, cfg.n_days + cfg.upcoming_days)
        sim = Simulator(
            rng,
            self.horses,
            self.people,
            cfg.races_per_day,
            cfg.rates,
            cfg.public_noise,
            cfg.jump_rate,
            self.stallions,
            0.05,
            cfg.active_horses,
        )
        for i, day in enumerate(days):
            sim.run_day(day, upcoming=i >= cfg.n_days)
        self.races, self.entries = sim.tables()
        self._run_days = tuple(days[: cfg.n_days])
        self._upcoming_days = tuple(days[cfg.n_days :])
        r = self.races
        dates = [dt.date.fromordinal(int(o)) for o in r["date"]]
        self.race_ids: tuple[str, ...] = tuple(
            f"{d.year}{v:02d}{k:02d}{n:02d}{no:02d}"
            for d, v, k, n, no in zip(
                dates, r["venue"], r["kai"], r["nichi"], r["number"], strict=True
            )
        )
        self._index = {rid: i for i, rid in enumerate(self.race_ids)}
        self._by_date: dict[dt.date, list[int]] = {}
        for i, d in enumerate(dates):
            self._by_date.setdefault(d, []).append(i)
        self.entry_race = np.repeat(np.arange(len(self.race_ids)), r["size"].astype(np.int64))
        self.result_page = functools.lru_cache(maxsize=2048)(self._result_page)
        self._horse_index: dict[str, int] | None = None
        self._horse_entries: tuple[np.ndarray, np.ndarray] | None = None

    def _seed_population(self, rng: np.random.Generator, count: int) -> None:
        """The horses already in training when the world starts, with past wins."""
        start = self.config.start_date
        ages = np.arange(2, 9) if start.month >= 6 else np.arange(3, 9)
        w = np.array([0.22, 0.26, 0.2, 0.14, 0.09, 0.05, 0.04])[-ages.size :]
        age = rng.choice(ages, count, p=w / w.sum())
        h = self.horses
        idx = h.add(rng, count, start.year - age, start, self.people, self.stallions, 0.05)
        lam = np.clip(age - 2.5, 0, 4) * 0.45 * np.exp(0.9 * h.ability[idx])
        h.wins[idx] = np.minimum(rng.poisson(lam), 8)
        h.wins[idx] = np.where(age >= 4, np.maximum(h.wins[idx], 1), h.wins[idx])
        h.retire_age[idx] = np.maximum(h.retire_age[idx], age + 1 + rng.integers(0, 3, count))
        h.starts[idx] = h.wins[idx] + rng.poisson(2 + 3 * (age - 2))
        h.starts[idx] = np.where(age == 2, 0, h.starts[idx])
        h.retire_after_starts[idx] = h.starts[idx] + 3 + rng.geometric(1 / 12, count)
        h.next_free[idx] = start.toordinal() + rng.integers(-30, 42, count)

    # -- calendar ------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        """The first upcoming racing day (the day after the last run day if none)."""
        if self._upcoming_days:
            return self._upcoming_days[0]
        last = self._run_days[-1] if self._run_days else self.config.start_date
        return last + dt.timedelta(days=1)

    def racing_days(self) -> tuple[dt.date, ...]:
        """Days whose races have been run (results published)."""
        return self._run_days

    def upcoming_days(self) -> tuple[dt.date, ...]:
        """Days whose races have cards but no results yet."""
        return self._upcoming_days

    def race_ids_on(self, day: dt.date) -> tuple[str, ...]:
        """Every race id of ``day`` (run or upcoming), venue by venue, race by race."""
        return tuple(self.race_ids[i] for i in self.race_indices_on(day))

    def race_indices_on(self, day: dt.date) -> list[int]:
        """Row numbers (in ``races``) of every race of ``day``, in race-id order."""
        return self._by_date.get(day, [])

    def has_race(self, race_id: str) -> bool:
        return race_id in self._index

    def is_upcoming(self, race_id: str) -> bool:
        return bool(self.races["upcoming"][self._index[race_id]])

    def run_race_ids(self) -> tuple[str, ...]:
        """Ids of all races with results, in date order."""
        up = self.races["upcoming"]
        return tuple(rid for rid, u in zip(self.race_ids, up, strict=True) if not u)

    # -- pages (model objects) ---------------------------------------------------------
    def _run_index(self, race_id: str) -> int:
        i = self._index.get(race_id)
        if i is None or self.races["upcoming"][i]:
            raise KeyError(f"no result for race {race_id}")
        return i

    def _result_page(self, race_id: str) -> RaceResultPage:
        """The db result page of a run race; ``KeyError`` for unknown or upcoming ids."""
        return views.result_page(self, self._run_index(race_id))

    def race_card(self, race_id: str) -> RaceCardPage:
        """The race card of any race (upcoming ones: no odds, weights, weather or going)."""
        return views.race_card(self, self._index[race_id])

    def race_info(self, race_id: str, *, card: bool = False) -> RaceInfo:
        return views.race_info(self, self._index[race_id], card=card)

    def day_list(self, day: dt.date) -> RaceListPage:
        """db ``/race/list/YYYYMMDD/``: the races with results on ``day`` (maybe none)."""
        ids = tuple(rid for rid in self.race_ids_on(day) if not self.is_upcoming(rid))
        return RaceListPage(source=f"replica:day_list/{day:%Y%m%d}", date=day, race_ids=ids)

    def upcoming_list(self, day: dt.date) -> RaceListPage:
        """race.netkeiba ``race_list_sub.html``: every race held on ``day``."""
        return RaceListPage(
            source=f"replica:race_list_sub/{day:%Y%m%d}", date=day, race_ids=self.race_ids_on(day)
        )

    def no_race_page(self, race_id: str | None) -> NoRacePage:
        return NoRacePage(source=f"replica:no_race/{race_id}", race_id=race_id)

    def horse_ids(self) -> tuple[str, ...]:
        return tuple(self.horses.ids)

    def has_horse(self, horse_id: str) -> bool:
        return horse_id in self._horses()

    def horse_profile(self, horse_id: str) -> HorseProfilePage:
        """The horse's db page: profile, pedigree ids, past races (most recent first)."""
        return views.horse_profile(self, self._horses()[horse_id])

    # -- render contexts -----------------------------------------------------------------
    def race_context(self, race_id: str) -> RaceContext:
        return views.race_context(self, self._index[race_id])

    def day_context(self, day: dt.date, *, include_upcoming: bool = False) -> DayContext:
        return views.day_context(self, day, include_upcoming)

    def horse_context(self, horse_id: str) -> HorseContext:
        return views.horse_context(self, self._horses()[horse_id])

    # -- oracle --------------------------------------------------------------------
    def ground_truth(self) -> pd.DataFrame:
        """One row per entry: the true win probability the results were drawn from.

        Non-starters (scratched, excluded) have probability 0. Upcoming races are
        included (``upcoming`` True): their probabilities are what a perfect
        forecaster would say, their results stay hidden.
        """
        e, r = self.entries, self.races
        race = self.entry_race
        return pd.DataFrame(
            {
                "race_id": pd.array(np.array(self.race_ids, dtype=object)[race], dtype="string"),
                "horse_id": pd.array(
                    np.array(self.horses.ids, dtype=object)[e["horse"]], dtype="string"
                ),
                "horse_number": e["number"].astype(np.int16),
                "true_win_prob": e["p_true"].astype(np.float64),
                "public_win_prob": e["p_public"].astype(np.float64),
                "date": pd.to_datetime([dt.date.fromordinal(int(o)) for o in r["date"]])[race],
                "upcoming": r["upcoming"][race],
            }
        )

    def export_ground_truth(self, path: str | Path) -> Path:
        """Write :meth:`ground_truth` as parquet (``.parquet``) or CSV (anything else)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.ground_truth()
        if path.suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return path

    def nbytes(self) -> int:
        """Bytes held by the race and entry columns (the bulk of a big world)."""
        return sum(a.nbytes for a in self.races.values()) + sum(
            a.nbytes for a in self.entries.values()
        )

    # -- internals ------------------------------------------------------------------
    def _horses(self) -> dict[str, int]:
        if self._horse_index is None:
            self._horse_index = {hid: i for i, hid in enumerate(self.horses.ids)}
        return self._horse_index

    def horse_entry_index(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR index of entries by horse: (offsets, entry indices in date order)."""
        if self._horse_entries is None:
            order = np.argsort(self.entries["horse"], kind="stable")
            counts = np.bincount(self.entries["horse"], minlength=self.horses.n)
            self._horse_entries = (np.r_[0, np.cumsum(counts)], order)
        return self._horse_entries
