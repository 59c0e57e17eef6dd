"""Drawing the races of a day: conditions for each slot, the field, the jockeys.

A mixin of :class:`.simulate.Simulator`: it works on the simulator's random
generator, horses and people, and on the day's view of the active horses
(``self.act`` indices, ``self.view`` columns, ``self.running_today``).
"""

from __future__ import annotations

import numpy as np

from netkeiba_replica import conditions as cond
from netkeiba_replica.calendar import Meeting
from netkeiba_replica.population import Horses, People


class FieldDrawing:
    """Race planning and field selection (see the module docstring)."""

    rng: np.random.Generator
    h: Horses
    p: People
    act: np.ndarray
    view: dict[str, np.ndarray]
    running_today: np.ndarray

    def _plan(
        self, month: int, number: int, n_races: int, jump: bool
    ) -> tuple[int, int, bool, bool]:
        """Draw a race's (age group, level, fillies only, handicap) for its slot in the card."""
        rng = self.rng
        frac = (number - 1) / max(1, n_races - 1)
        main = n_races >= 10 and number == n_races - 1
        if jump:
            level = cond.MAIDEN if rng.random() < 0.6 else cond.OPEN
            age_group = cond.A4UP if month <= 5 else cond.A3UP
            return age_group, level, False, False
        if main:
            level = int(rng.choice([3, 4, 5], p=[0.15, 0.3, 0.55]))
        elif frac < 0.35:
            level = cond.DEBUT if rng.random() < 0.3 else cond.MAIDEN
        elif frac < 0.7:
            level = int(rng.choice([1, 2, 3], p=[0.3, 0.55, 0.15]))
        else:
            level = int(rng.choice([2, 3, 4, 5], p=[0.35, 0.35, 0.2, 0.1]))
        if level <= cond.MAIDEN:
            if month <= 5:
                age_group = cond.A3
                if level == cond.DEBUT and month > 3:
                    level = cond.MAIDEN
            elif month >= 10 or level == cond.DEBUT or rng.random() < 0.5:
                age_group = cond.A2
            else:
                age_group = cond.A3
        elif month <= 5:
            age_group = cond.A3 if rng.random() < 0.35 else cond.A4UP
        else:
            young = month >= 7 and level in (cond.ONE_WIN, cond.OPEN) and rng.random() < 0.12
            age_group = cond.A2 if young else cond.A3UP
        fillies = level <= cond.TWO_WINS and rng.random() < 0.1
        handicap = level >= cond.TWO_WINS and rng.random() < 0.25
        return age_group, level, fillies, handicap

    def _candidates(self, plan, jump, free, age_all, level_all) -> np.ndarray:
        view = self.view
        age_group, level, fillies, _ = plan
        kind = view["jumper"] if jump else ~view["jumper"]
        age_ok = {
            cond.A2: age_all == 2,
            cond.A3: age_all == 3,
            cond.A3UP: age_all >= 3,
            cond.A4UP: age_all >= 4,
        }[age_group]
        if level == cond.DEBUT:
            lvl_ok = view["starts"] == 0
        elif jump:
            lvl_ok = (level_all == cond.MAIDEN) == (level == cond.MAIDEN)
        else:
            lvl_ok = level_all == level
        mask = free & kind & age_ok & lvl_ok
        if fillies:
            mask &= view["sex"] == 1
        return np.flatnonzero(mask)

    def _draw_race(
        self, day, meeting: Meeting, number, jump, weather, going, free, age_all, level_all
    ):
        """Plan a race the available horses can fill (re-planning a few times, as a
        racing secretary would), then draw its field, favouring suitable horses."""
        rng, h = self.rng, self.h
        want = int(
            np.clip(
                np.round(rng.normal(12 if jump else 14.3, 2.0 if jump else 2.8)),
                8,
                14 if jump else 18,
            )
        )
        for attempt in range(8):
            is_jump = jump and attempt < 4
            plan = self._plan(day.month, number, meeting.n_races, is_jump)
            cands = self._candidates(plan, is_jump, free, age_all, level_all)
            if cands.size >= min(want, 10):
                break
        jump = is_jump
        age_group, level, fillies, handicap = plan
        if cands.size < 8:  # last resort: any free flat horse old enough
            cands = np.flatnonzero(free & ~self.view["jumper"] & (age_all >= 2))
        if cands.size < 8:  # a tiny population: bring horses back early from their rest
            idle = ~self.running_today & ~self.view["jumper"] & (age_all >= 2)
            cands = np.flatnonzero(idle)
        frac = (number - 1) / max(1, meeting.n_races - 1)
        special = -1
        if level == cond.OPEN or (level >= cond.ONE_WIN and frac >= 0.7 and rng.random() < 0.6):
            special = int(rng.integers(0, 10_000))
        if jump:
            surface, direction = 2, -1
            distance = int(rng.choice(cond.JUMP_DISTANCES))
        else:
            surface, direction, distance = cond.pick_course(rng, meeting.venue_code)
        race_going = going[1] if surface == 1 else going[0]
        size = min(want, cands.size)
        logd = np.log(distance)
        glob = self.act[cands]
        fit = -6.0 * (logd - h.log_pref_dist[glob]) ** 2
        if surface < 2:
            fit += 0.8 * h.turf_aff[glob] * (1 if surface == 0 else -1)
        keys = fit + rng.gumbel(size=cands.size)
        field = cands[np.argpartition(-keys, size - 1)[:size]] if size else cands[:0]
        field = field[rng.permutation(size)]  # the draw: horse numbers 1..size
        row = (
            day.toordinal(),
            int(meeting.venue_code),
            meeting.kai,
            meeting.nichi,
            number,
            meeting.order,
            surface,
            direction,
            distance,
            weather,
            race_going,
            age_group,
            level,
            jump,
            special,
            fillies,
            handicap,
        )
        return row, field

    def _pick_jockeys(self, pool: np.ndarray, field: np.ndarray, row: tuple) -> np.ndarray:
        """Distinct jockeys for a field; better horses tend to get better jockeys."""
        rng, p = self.rng, self.p
        if pool.size < field.size:
            pool = np.arange(len(p.jockey_ids))
        keys = np.log(p.jockey_demand[pool]) + rng.gumbel(size=pool.size)
        chosen = (
            pool[np.argpartition(-keys, field.size - 1)[: field.size]] if field.size else pool[:0]
        )
        by_skill = chosen[np.argsort(-(p.jockey_skill[chosen] + rng.normal(0, 0.1, chosen.size)))]
        horse_rank = np.argsort(
            np.argsort(-(self.h.ability[field] + rng.normal(0, 0.6, field.size)))
        )
        return by_skill[horse_rank]

    # -- results ---------------------------------------------------------------------
